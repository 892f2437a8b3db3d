//! The FMC console in real Chromium (issue 10): sign in (tokens and domains in a 204's
//! headers), three refreshes then a fresh login when the password is held, a session taken
//! over by another login explained rather than fought over, a 429 ridden out with the wait
//! shown, and a logout that revokes the token.

use std::time::Duration;

use e2e::{Browser, Stack, StackOptions};
use shared::wire::DeviceKind;
use simulator::Clock;

/// The session's access token, as the panel reveals it.
async fn revealed_token(browser: &Browser) -> String {
    browser.click("#session-token + button").await.unwrap();
    browser.text_of("#session-token").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fmc_refreshes_three_times_then_logs_in_again() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .sign_in(&stack.page_of(DeviceKind::Fmc, "version"), "admin", "admin")
        .await
        .unwrap();
    let version = browser.text_of("#server-version").await.unwrap();
    assert!(version.contains("7.4"), "{version}");
    let domain = browser.text_of("#domain-picker").await.unwrap();
    assert!(domain.contains("Global"), "{domain}");
    let plan = browser.text_of("#renewal-plan").await.unwrap();
    assert!(plan.contains("refresh 1 of 3"), "{plan}");

    for refresh in 1..=3 {
        stack
            .advance(&browser, Duration::from_secs(28 * 60))
            .await
            .unwrap();
        browser
            .wait_activity(&["refreshtoken", "auto-renew", "204"], refresh)
            .await
            .unwrap();
    }
    browser.click("#tab-version").await.unwrap();
    let plan = browser.text_of("#renewal-plan").await.unwrap();
    assert!(plan.contains("Will log in again"), "{plan}");
    // The fourth renewal is a login with the password held in memory.
    stack
        .advance(&browser, Duration::from_secs(28 * 60))
        .await
        .unwrap();
    browser
        .wait_activity(&["generatetoken", "auto login", "204"], 1)
        .await
        .unwrap();
    browser
        .wait_text("#renewal-plan", |t| t.contains("refresh 1 of 3"))
        .await
        .unwrap();
    assert!(!browser.exists(".overlay").await.unwrap());
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_taken_over_is_explained_not_fought_over_and_logout_revokes() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .sign_in(&stack.page_of(DeviceKind::Fmc, "hosts"), "admin", "admin")
        .await
        .unwrap();
    browser.text_of("#hosts").await.unwrap();
    browser.screenshot("fmc").await.unwrap();

    // Someone logs in as admin elsewhere (a script): the FMC ends the console's session.
    let device = stack.device(DeviceKind::Fmc);
    let client = Stack::client_for(device).unwrap();
    let reply = client
        .post(format!(
            "{}/api/fmc_platform/v1/auth/generatetoken",
            device.base_url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 204);

    browser.click("#hosts-refresh").await.unwrap();
    let reason = browser.text_of("#login-reason").await.unwrap();
    assert!(
        reason.contains("Another login as admin ended this session")
            && reason.contains("Logging in again will end that one"),
        "{reason}"
    );
    let button = browser.text_of(".overlay #login").await.unwrap();
    assert!(button.contains("ends the other session"), "{button}");
    browser.screenshot("fmc-takeover").await.unwrap();

    // The user decides to take it back.
    browser.fill(".overlay #password", "admin").await.unwrap();
    browser.click(".overlay #login").await.unwrap();
    browser.text_of("#hosts").await.unwrap();
    assert!(!browser.exists(".overlay").await.unwrap());
    // The console never logged in again on its own: only the user's two sign-ins.
    assert_eq!(
        browser.activity_rows(&["auto login"]).await.unwrap(),
        0,
        "{}",
        browser.text_of("#activity-table").await.unwrap()
    );
    assert_eq!(
        browser
            .activity_rows(&["generatetoken", "sign-in", "204"])
            .await
            .unwrap(),
        2
    );

    // Logout revokes the token on the device.
    let token = revealed_token(&browser).await;
    browser.click("#logout").await.unwrap();
    browser.text_of("#username").await.unwrap();
    let status = stack
        .status_with_token(
            DeviceKind::Fmc,
            "/api/fmc_platform/v1/info/serverversion",
            &token,
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_the_fmc_is_waited_out_with_the_wait_shown() {
    // A device clock 10 times faster: the FMC's one-minute window passes in six seconds — long
    // enough that the console's next call still lands in the window the test has spent, even on
    // a busy machine (at 30× it passed in two, and a slow click could miss it).
    let stack = Stack::start_with_options(StackOptions {
        clock: Clock::with_speed(10.0),
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .sign_in(&stack.page_of(DeviceKind::Fmc, "version"), "admin", "admin")
        .await
        .unwrap();
    browser.text_of("#server-version").await.unwrap();
    // The console learns the device's speed from its Date headers (and says so).
    browser
        .wait_text("#clock-speed", |t| {
            // "The device's clock runs about 10× real time." — within one of the device's 10×.
            t.split_once("about ")
                .and_then(|(_, rest)| rest.split_once('×'))
                .and_then(|(speed, _)| speed.parse::<u32>().ok())
                .is_some_and(|speed| (9..=11).contains(&speed))
        })
        .await
        .unwrap();
    let token = revealed_token(&browser).await;

    // Another client spends the user's whole budget with the same token.
    let device = stack.device(DeviceKind::Fmc);
    let client = Stack::client_for(device).unwrap();
    let url = format!(
        "{}/api/fmc_platform/v1/info/serverversion",
        device.base_url()
    );
    let mut refused = false;
    for _ in 0..200 {
        let status = client
            .get(&url)
            .header("X-auth-access-token", &token)
            .send()
            .await
            .unwrap()
            .status();
        if status.as_u16() == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the simulated FMC never refused");
    browser.click("#tab-domains").await.unwrap();
    // The console waits as the FMC says and retries: the domains appear, no error shown.
    let domains = browser.text_of("#domains").await.unwrap();
    assert!(domains.contains("Global"), "{domains}");
    let waited = browser
        .activity_rows(&[
            "/api/fmc_platform/v1/info/domain",
            "429",
            "refused by the device",
        ])
        .await
        .unwrap();
    assert!(waited >= 1, "{}", browser.page_text().await);
    assert!(
        !browser.exists(".error").await.unwrap(),
        "{}",
        browser.page_text().await
    );
    browser.close().await.unwrap();
}
