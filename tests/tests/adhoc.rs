//! Adding a device by URL (issue 9), where the relay's operator admits ad-hoc devices: the form
//! refuses what the allowlist refuses, with the relay's reason, and an admitted device is
//! pinned through the trust panel and signed in to like any other.

use e2e::{Browser, Stack, StackOptions};
use shared::wire::{DeviceKind, openssl_style};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_added_by_url_is_pinned_and_signed_in_to() {
    let stack = Stack::start_with_options(StackOptions {
        ad_hoc: vec!["127.0.0.1".into()],
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    browser.click("#add-device-open").await.unwrap();

    // Outside the operator's allowlist: refused, with the reason, and nothing is added.
    browser
        .fill("#add-device-url", "https://192.0.2.10")
        .await
        .unwrap();
    browser.click("#add-device-go").await.unwrap();
    let refused = browser.text_of("#add-device-error").await.unwrap();
    assert!(refused.contains("192.0.2.10"), "{refused}");
    assert_eq!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("a.device"))
            .await
            .unwrap()
            .len(),
        stack.kinds().count()
    );

    // The simulated BIG-IP, by its address.
    let url = stack.bigip().base_url();
    browser.fill("#add-device-url", &url).await.unwrap();
    browser.click("#add-device-go").await.unwrap();
    // The page moves to the new device (the login form of the one before is still showing
    // until it does).
    let path = browser
        .wait_path(|p| p.starts_with("/devices/adhoc~"))
        .await
        .unwrap();
    let adhoc = format!("/devices/adhoc~{}~", DeviceKind::Bigip.name());
    assert!(path.starts_with(&adhoc), "{path}");
    browser.text_of("#username").await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();
    let certificate = browser.text_of("#certificate").await.unwrap();
    assert!(
        certificate.contains(&openssl_style(&stack.bigip().fingerprint)),
        "{certificate}"
    );
    browser.click("#pin-certificate").await.unwrap();
    browser.text_of("#token-table").await.unwrap();

    // It stays in the list across a reload (remembered in this browser).
    browser.client.refresh().await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    let list = browser.text_of(".devices").await.unwrap();
    assert!(list.contains(&url), "{list}");
    browser.close().await.unwrap();
}
