//! A relay that requires its access key: the console asks for it once, says when it is wrong,
//! and then works as usual (every call carries the key).

use e2e::{Browser, Stack};
use relay::access::AccessPolicy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_asks_for_the_relay_access_key_once() {
    let access = AccessPolicy::new(
        vec![],
        vec![],
        Some("correct-horse-battery-staple".into()),
        false,
    )
    .unwrap();
    let stack = Stack::start_with(access).await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();

    browser.text_of("#access-key").await.unwrap();
    browser
        .fill("#access-key", "not-the-key-at-all")
        .await
        .unwrap();
    browser.click("#access-key-save").await.unwrap();
    browser
        .wait_text(".access-key .notice", |t| {
            t.to_lowercase().contains("wrong")
        })
        .await
        .unwrap();

    browser
        .fill("#access-key", "correct-horse-battery-staple")
        .await
        .unwrap();
    browser.click("#access-key-save").await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();
    browser.text_of("#token-table").await.unwrap();

    // A reload in the same tab asks for nothing again: neither the key nor the password.
    browser.client.refresh().await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    assert!(!browser.exists("#access-key").await.unwrap());
    assert!(!browser.exists("#password").await.unwrap());

    // Without the inventory in the page (a key guards it), `/` redirects once the inventory is
    // read, replacing itself: Back leaves the console rather than bouncing back to the device.
    let first = stack.kinds().next().unwrap();
    assert_eq!(browser.path().await.unwrap(), stack.home_path(first));
    browser.client.back().await.unwrap();
    let console = url::Url::parse(&stack.url()).unwrap();
    browser
        .wait_url(|url| url.origin() != console.origin())
        .await
        .unwrap();
    browser.close().await.unwrap();
}
