//! The console in real Chromium: log in to the simulated BIG-IP through the relay.

use e2e::{Browser, Stack};
use shared::wire::DeviceKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_shows_token_countdown_and_version_then_wrong_password_is_explained() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();

    // The device list arrives and the first device's login form is shown: the BIG-IP's.
    let heading = browser.text_of(".login h1").await.unwrap();
    assert!(heading.contains(stack.name(DeviceKind::Bigip)), "{heading}");
    assert_eq!(browser.value_of("#provider").await.unwrap(), "tmos");

    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();

    // A 1200 s token: the countdown starts at (or just under) 20:00.
    browser
        .wait_text("#countdown", |t| {
            t.starts_with("20:00") || t.starts_with("19:5")
        })
        .await
        .unwrap();
    assert_eq!(browser.text_of("#session-user").await.unwrap(), "admin");
    // The Tokens page opens first and lists this session's token.
    let tokens = browser.text_of("#token-table").await.unwrap();
    assert!(tokens.contains("this session"), "{tokens}");
    browser
        .wait_text("#token-quota", |t| t.contains("admin is exempt"))
        .await
        .unwrap();
    let plan = browser.text_of("#renewal-plan").await.unwrap();
    assert!(plan.contains("Will extend the token"), "{plan}");

    // From here on, no click, Back or Forward loads the page again: a mark left on the window
    // survives them.
    browser
        .client
        .execute("window.__samePage = true; return null", vec![])
        .await
        .unwrap();
    browser.click("#tab-version").await.unwrap();
    let version = browser.text_of("#version-table").await.unwrap();
    assert!(version.contains("BIG-IP"), "{version}");
    assert!(version.contains("17.1.3"), "{version}");
    assert!(version.contains("0.20.11"), "{version}");
    browser.screenshot("version").await.unwrap();

    // The tabs are history: Back shows the tokens again, Forward the version.
    browser.client.back().await.unwrap();
    browser.wait_path(|p| p.ends_with("/tokens")).await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    browser.client.forward().await.unwrap();
    browser
        .wait_path(|p| p.ends_with("/version"))
        .await
        .unwrap();
    browser.text_of("#version-table").await.unwrap();
    let same_page = browser
        .client
        .execute("return window.__samePage === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        same_page,
        serde_json::json!(true),
        "a tab, Back or Forward loaded the page again"
    );

    // Logging out deletes the token and returns to the login form.
    browser.click("#logout").await.unwrap();
    assert_eq!(browser.value_of("#username").await.unwrap(), "admin");
    browser.fill("#password", "wrong").await.unwrap();
    browser.click("#login").await.unwrap();
    let error = browser.text_of("#login-error").await.unwrap();
    assert!(error.contains("Authentication failed."), "{error}");
    assert!(error.contains("Check the username"), "{error}");
    browser.screenshot("login-error").await.unwrap();

    browser.close().await.unwrap();
}

/// `/` leads to the first device's page without staying in the history: the page comes with the
/// inventory, so the app replaces `/` before its first render, and Back leaves the console
/// instead of bouncing back to the device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_leads_to_the_first_device_and_back_leaves_the_console() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    let landed = browser
        .wait_path(|p| p.starts_with("/devices/"))
        .await
        .unwrap();
    let first = stack.kinds().next().unwrap();
    assert_eq!(landed, stack.home_path(first));
    browser.text_of("#username").await.unwrap();
    let entries = browser
        .client
        .execute("return history.length", vec![])
        .await
        .unwrap();
    browser.client.back().await.unwrap();
    let console = url::Url::parse(&stack.url()).unwrap();
    browser
        .wait_url(|url| url.origin() != console.origin())
        .await
        .unwrap_or_else(|e| panic!("Back stayed in the console ({entries} history entries): {e}"));
    browser.close().await.unwrap();
}
