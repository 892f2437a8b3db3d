//! The two hard cases of the token lifecycle, in real Chromium against the simulated BIG-IP:
//! a token that reaches its renewal point mid-session is extended with no error shown, and a
//! token deleted on the device is recovered with exactly one re-login.
//!
//! Time moves by advancing the simulator's manual clock and the console's clock offset together;
//! nothing sleeps through a token's lifetime.

use std::time::Duration;

use e2e::{Browser, Stack};

async fn log_in(browser: &Browser, stack: &Stack) {
    browser.client.goto(&stack.url()).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();
    browser
        .wait_text("#countdown", |t| {
            t.starts_with("20:00") || t.starts_with("19:5")
        })
        .await
        .unwrap();
}

/// Count Activity rows whose text contains all of `needles`.
async fn activity_rows(browser: &Browser, needles: &[&str]) -> usize {
    browser.click("#tab-activity").await.unwrap();
    browser.text_of("#activity-table").await.unwrap();
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("#activity-table tbody tr"))
        .await
        .unwrap();
    let mut count = 0;
    for row in rows {
        let text = row.text().await.unwrap().replace('\n', " ");
        if needles.iter().all(|n| text.contains(n)) {
            count += 1;
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reaching_its_renewal_point_is_extended_without_any_error() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    log_in(&browser, &stack).await;

    // 19 minutes later: inside the 120 s renewal margin of the 1200 s token.
    let later = Duration::from_secs(19 * 60);
    stack.clock.advance(later);
    browser.advance_clock(later).await.unwrap();

    // The next tick extends the token. The device counts `timeout` from the token's start, so
    // the console asks for its age plus another 1200 s.
    let timeout = browser
        .wait_text("#session-timeout", |t| !t.is_empty() && t != "1200 s")
        .await
        .unwrap();
    let secs: u64 = timeout.trim_end_matches(" s").parse().unwrap();
    assert!(secs >= 1200 + 19 * 60, "{timeout}");
    // The countdown is back to about 20 minutes instead of about one.
    let countdown = browser.text_of("#countdown").await.unwrap();
    let minutes: u32 = countdown.split(':').next().unwrap().parse().unwrap();
    assert!(minutes >= 15, "{countdown}");

    // The device accepts the token: the version reads fine, and no error is on the page.
    browser.click("#tab-version").await.unwrap();
    let version = browser.text_of("#version-table").await.unwrap();
    assert!(version.contains("17.1.3"), "{version}");
    assert!(
        !browser.exists(".error").await.unwrap(),
        "{}",
        browser.page_text().await
    );
    assert_eq!(
        activity_rows(&browser, &["PATCH", "auto-renew", "200"]).await,
        1
    );
    assert_eq!(activity_rows(&browser, &["auto login"]).await, 0);
    browser.screenshot("renewed").await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_deleted_on_the_device_is_recovered_with_one_relogin() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    log_in(&browser, &stack).await;
    browser.text_of("#token-table").await.unwrap();

    // Someone deletes every token on the device (HTTP Basic as admin, behind the console's back).
    let device = stack.bigip_client().unwrap();
    let reply = device
        .delete(format!(
            "{}/mgmt/shared/authz/tokens",
            stack.bigip().base_url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "{}", reply.status());

    // The next call gets 401 "does not exist"; the console logs in again once and replays it.
    browser.click("#tab-version").await.unwrap();
    let version = browser.text_of("#version-table").await.unwrap();
    assert!(version.contains("17.1.3"), "{version}");
    assert!(
        !browser.exists(".error").await.unwrap(),
        "{}",
        browser.page_text().await
    );
    assert_eq!(
        activity_rows(&browser, &["POST", "auto login", "200"]).await,
        1
    );
    assert_eq!(
        activity_rows(&browser, &["GET", "/mgmt/tm/sys/version", "401"]).await,
        1
    );
    assert_eq!(
        activity_rows(&browser, &["GET", "/mgmt/tm/sys/version", "replay", "200"]).await,
        1
    );
    browser.screenshot("recovered").await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_stay_signed_in_a_deleted_token_asks_for_the_password_and_loses_nothing() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#stay-signed-in").await.unwrap();
    browser.click("#login").await.unwrap();
    browser.text_of("#token-table").await.unwrap();

    let device = stack.bigip_client().unwrap();
    device
        .delete(format!(
            "{}/mgmt/shared/authz/tokens",
            stack.bigip().base_url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();

    browser.click("#tab-version").await.unwrap();
    let reason = browser.text_of("#login-reason").await.unwrap();
    assert!(reason.contains("does not exist"), "{reason}");
    browser.screenshot("password-prompt").await.unwrap();
    browser.fill(".overlay #password", "admin").await.unwrap();
    browser.click(".overlay #login").await.unwrap();

    // The waiting request is replayed after the new login: the version appears.
    let version = browser.text_of("#version-table").await.unwrap();
    assert!(version.contains("17.1.3"), "{version}");
    assert!(!browser.exists(".overlay").await.unwrap());
    browser.close().await.unwrap();
}
