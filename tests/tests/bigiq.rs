//! The BIG-IQ console in real Chromium (issue 10): sign in (a 5-minute access token and a
//! 10-hour refresh token, both counted down), renewals by exchanging the refresh token across
//! several expiries with no password and no 401, and a logout that deletes the tokens on the
//! device.

use std::time::Duration;

use e2e::{Browser, Stack};
use shared::wire::DeviceKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bigiq_exchanges_across_expiries_and_logout_ends_the_tokens() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .sign_in(&stack.page_of(DeviceKind::Bigiq, "info"), "admin", "admin")
        .await
        .unwrap();
    let countdown = browser.text_of("#countdown").await.unwrap();
    assert!(
        countdown.starts_with("5:00") || countdown.starts_with("4:5"),
        "{countdown}"
    );
    let refresh = browser.text_of("#refresh-countdown").await.unwrap();
    assert!(refresh.contains(" h "), "{refresh}");
    let info = browser.text_of("#device-info").await.unwrap();
    assert!(info.contains("BIG-IQ"), "{info}");
    let plan = browser.text_of("#renewal-plan").await.unwrap();
    assert!(plan.contains("exchange the refresh token"), "{plan}");
    browser.screenshot("bigiq").await.unwrap();

    // Three access-token lifetimes, four minutes at a time: each time the console exchanges
    // the refresh token before the access token ends.
    for round in 1..=3 {
        stack
            .advance(&browser, Duration::from_secs(240))
            .await
            .unwrap();
        let n = browser
            .wait_activity(&["/mgmt/shared/authn/exchange", "auto-renew", "200"], round)
            .await
            .unwrap();
        assert_eq!(n, round);
        let countdown = browser.text_of("#countdown").await.unwrap();
        assert!(
            countdown.starts_with("5:00") || countdown.starts_with("4:"),
            "{countdown}"
        );
        browser.click("#tab-info").await.unwrap();
        browser.text_of("#device-info").await.unwrap();
    }
    assert!(!browser.exists(".overlay").await.unwrap());
    assert_eq!(browser.activity_rows(&["401"]).await.unwrap(), 0);

    // Logout deletes both tokens on the device: the access token no longer works there.
    browser.click("#session-token + button").await.unwrap();
    let token = browser.text_of("#session-token").await.unwrap();
    browser.click("#logout").await.unwrap();
    browser.text_of("#username").await.unwrap();
    let status = stack
        .status_with_token(
            DeviceKind::Bigiq,
            "/mgmt/shared/identified-devices/config/device-info",
            &token,
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    browser.close().await.unwrap();
}
