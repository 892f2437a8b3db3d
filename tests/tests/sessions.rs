//! One console, several devices (issue 9): every kind signed in side by side in one tab,
//! switched between without a password prompt, each renewing on its own under a sped-up device
//! clock; a reload returns to the same device and page without a new token on the device; what
//! was typed on a page survives a page switch; back and forward follow the URL.

use std::time::{Duration, Instant};

use e2e::{Browser, Stack, StackOptions};
use fantoccini::Locator;
use shared::wire::DeviceKind;
use simulator::Clock;

/// How many tokens the simulated BIG-IP holds (asked as admin with HTTP Basic).
async fn tokens_on_bigip(stack: &Stack) -> usize {
    let reply: serde_json::Value = stack
        .bigip_client()
        .unwrap()
        .get(format!(
            "{}/mgmt/shared/authz/tokens",
            stack.bigip().base_url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["items"].as_array().map_or(0, Vec::len)
}

/// How a kind's automatic renewal shows in the Activity log, and how many there are at least
/// in 75 s of a device clock running 60 times faster.
fn renewals(kind: DeviceKind) -> (&'static str, usize) {
    match kind {
        // A 1200 s token, retimed with a PATCH of its own resource.
        DeviceKind::Bigip => ("PATCH", 3),
        // A 300 s access token, exchanged for a new one.
        DeviceKind::Bigiq => ("/mgmt/shared/authn/exchange", 8),
        // A 1800 s token pair, refreshed.
        DeviceKind::Fmc => ("/api/fmc_platform/v1/auth/refreshtoken", 2),
    }
}

/// Click a device in the list.
async fn pick(browser: &Browser, id: &str) {
    browser
        .click(&format!("a.device[data-device=\"{id}\"]"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_side_by_side_each_renewing_on_its_own_without_a_password_prompt() {
    // Device clocks run 60 times faster: a BIG-IP token lasts 20 s, a BIG-IQ access token 5 s,
    // an FMC pair 30 s. The console learns the speed from the devices' Date headers.
    let stack = Stack::start_with_options(StackOptions {
        clock: Clock::with_speed(60.0),
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    // Signed in to the BIG-IP first (its tokens page shows a live session), then every other
    // kind.
    let browser = Browser::start_signed_in(&stack.home(DeviceKind::Bigip), "admin", "admin")
        .await
        .unwrap();
    for kind in stack.kinds().filter(|kind| *kind != DeviceKind::Bigip) {
        pick(&browser, &stack.id(kind)).await;
        assert_eq!(browser.path().await.unwrap(), stack.home_path(kind));
        browser.fill("#username", "admin").await.unwrap();
        browser.fill("#password", "admin").await.unwrap();
        browser.click("#login").await.unwrap();
        browser
            .wait_text("#countdown", |t| t.contains(':'))
            .await
            .unwrap();
    }
    // Back to the BIG-IP: still signed in, no password asked.
    pick(&browser, &stack.id(DeviceKind::Bigip)).await;
    browser.text_of("#token-table").await.unwrap();
    assert!(!browser.exists("#password").await.unwrap());

    // Let every kind live through several lifetimes of its first token.
    let started = Instant::now();
    let mut seen_overlay = false;
    while started.elapsed() < Duration::from_secs(75) {
        seen_overlay |= browser.exists(".overlay").await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(!seen_overlay, "{}", browser.page_text().await);
    let statuses = browser
        .client
        .find_all(Locator::Css("a.device .device-status"))
        .await
        .unwrap();
    assert_eq!(
        statuses.len(),
        stack.kinds().count(),
        "{}",
        browser.page_text().await
    );
    for status in statuses {
        let text = status.text().await.unwrap();
        assert!(text.starts_with("admin · "), "{text}");
    }
    browser.click("#tab-activity").await.unwrap();
    browser
        .client
        .find(Locator::Css("#activity-device"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    for kind in stack.kinds() {
        let (call, at_least) = renewals(kind);
        let device = stack.name(kind);
        let n = browser
            .activity_rows(&[device, call, "auto-renew", "20"])
            .await
            .unwrap();
        assert!(n >= at_least, "{device}: {n} renewals");
    }
    assert_eq!(browser.activity_rows(&["auto login"]).await.unwrap(), 0);
    assert_eq!(browser.activity_rows(&["401"]).await.unwrap(), 0);
    browser.screenshot("side-by-side").await.unwrap();

    // "Log out everywhere" ends every session.
    browser.click("#logout-everywhere").await.unwrap();
    browser.text_of("#username").await.unwrap();
    assert!(!browser.exists(".device-status").await.unwrap());
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_returns_to_the_same_page_with_the_same_token() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start_signed_in(
        &stack.page_of(DeviceKind::Bigip, "tokens"),
        "admin",
        "admin",
    )
    .await
    .unwrap();
    browser.text_of("#token-table").await.unwrap();
    browser.click("#tab-nodes").await.unwrap();
    browser.fill("#node-filter", "web").await.unwrap();

    // A page switch keeps what was typed.
    browser.click("#tab-version").await.unwrap();
    browser.text_of("#version-table").await.unwrap();
    browser.click("#tab-nodes").await.unwrap();
    assert_eq!(browser.value_of("#node-filter").await.unwrap(), "web");

    // Back and forward follow the URL.
    browser.client.back().await.unwrap();
    browser.text_of("#version-table").await.unwrap();
    let version = format!("/devices/{}/version", stack.id(DeviceKind::Bigip));
    assert_eq!(browser.path().await.unwrap(), version);
    browser.client.forward().await.unwrap();
    browser.text_of("#node-filter").await.unwrap();

    let before = tokens_on_bigip(&stack).await;
    let token = browser.text_of("#session-token").await.unwrap();
    browser.client.refresh().await.unwrap();
    browser.text_of("#node-filter").await.unwrap();
    let nodes = format!("/devices/{}/nodes", stack.id(DeviceKind::Bigip));
    assert_eq!(browser.path().await.unwrap(), nodes);
    assert!(!browser.exists("#password").await.unwrap());
    assert_eq!(browser.text_of("#session-token").await.unwrap(), token);
    assert_eq!(tokens_on_bigip(&stack).await, before, "no new token");
    assert_eq!(browser.activity_rows(&["authn/login"]).await.unwrap(), 0);
    // The count of the user's tokens comes from the token list, not read since the reload: the
    // panel says so rather than showing a placeholder that looks like loading.
    assert_eq!(
        browser.text_of("#token-quota").await.unwrap(),
        "not counted yet"
    );

    // A bookmark lands there too.
    browser
        .client
        .goto(&stack.page_of(DeviceKind::Bigip, "version"))
        .await
        .unwrap();
    browser.text_of("#version-table").await.unwrap();
    assert_eq!(tokens_on_bigip(&stack).await, before);
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_sign_in_stays_on_the_login_form_with_one_message() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .client
        .goto(&stack.page_of(DeviceKind::Fmc, "version"))
        .await
        .unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "wrong").await.unwrap();
    browser.click("#login").await.unwrap();
    let error = browser.text_of("#login-error").await.unwrap();
    assert!(error.contains("User authentication failed"), "{error}");
    assert!(!browser.exists(".session").await.unwrap());
    assert!(!browser.exists(".overlay").await.unwrap());
    let page = browser.page_text().await;
    assert_eq!(
        page.matches("User authentication failed").count(),
        1,
        "{page}"
    );
    assert!(
        !page.contains("status 0") && !page.contains("Logging in again"),
        "{page}"
    );
    browser.close().await.unwrap();
}
