//! The Explorer in real Chromium against the simulated BIG-IP: browse from `/mgmt/tm/sys` to
//! the version purely by clicking the device's links, see device and relay errors told apart,
//! and an invalid JSON body stopped before anything is sent.

use e2e::{Browser, Stack};
use fantoccini::Locator;

/// Log in as admin and open the Explorer tab.
async fn explorer_page() -> (Stack, Browser) {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    browser.click("#tab-explorer").await.unwrap();
    (stack, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_to_the_version_by_clicking_links() {
    let (_stack, browser) = explorer_page().await;
    assert_eq!(
        browser.value_of("#explorer-path").await.unwrap(),
        "/mgmt/tm"
    );
    browser.text_of("#explorer-idle").await.unwrap();

    // Start at /mgmt/tm/sys: the collection's references are links back to this device.
    browser
        .click("button.start[data-path=\"/mgmt/tm/sys\"]")
        .await
        .unwrap();
    browser
        .wait_text("#explorer-status", |t| t == "200 OK")
        .await
        .unwrap();
    let listing = browser.text_of("#explorer-response").await.unwrap();
    assert!(listing.contains("tm:sys:syscollectionstate"), "{listing}");
    assert!(
        listing.contains("\"https://localhost/mgmt/tm/sys/version?ver=17.1.3\""),
        "{listing}"
    );
    let time = browser.text_of("#explorer-time").await.unwrap();
    assert!(time.ends_with(" ms"), "{time}");
    browser
        .client
        .execute(
            "document.querySelector('section.explorer').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot("explorer").await.unwrap();

    // One click on the version's link: path and query follow, and the version shows.
    browser
        .click("a.json-link[data-path=\"/mgmt/tm/sys/version\"]")
        .await
        .unwrap();
    let version = browser
        .wait_text("#explorer-response", |t| {
            t.contains("tm:sys:version:versionstats")
        })
        .await
        .unwrap();
    assert!(version.contains("\"description\": \"17.1.3\""), "{version}");
    assert_eq!(
        browser.value_of("#explorer-path").await.unwrap(),
        "/mgmt/tm/sys/version"
    );
    assert_eq!(
        browser.value_of("#explorer-query").await.unwrap(),
        "ver=17.1.3"
    );

    // The breadcrumb leads back up.
    browser
        .click("a.crumb[data-path=\"/mgmt/tm/sys\"]")
        .await
        .unwrap();
    browser
        .wait_text("#explorer-response", |t| {
            t.contains("tm:sys:syscollectionstate")
        })
        .await
        .unwrap();

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_relay_errors_differ_and_bad_json_is_never_sent() {
    let (_stack, browser) = explorer_page().await;

    // A device error: status and the device's own message.
    browser
        .fill("#explorer-path", "/mgmt/tm/ltm/node/~Common~ghost")
        .await
        .unwrap();
    browser.click("#explorer-send").await.unwrap();
    browser
        .wait_text("#explorer-status", |t| t == "404 Not Found")
        .await
        .unwrap();
    let error = browser.text_of("#explorer-error").await.unwrap();
    assert!(
        error.contains("01020036:3: The requested Node (/Common/ghost) was not found."),
        "{error}"
    );
    assert_eq!(
        browser.text_of("#explorer-origin").await.unwrap(),
        "from the device"
    );

    // A relay error (the relay refuses an encoded slash): marked as the relay's.
    browser
        .fill("#explorer-path", "/mgmt/tm/sys%2Fversion")
        .await
        .unwrap();
    browser.click("#explorer-send").await.unwrap();
    let origin = browser
        .wait_text("#explorer-origin", |t| t.contains("relay"))
        .await
        .unwrap();
    assert_eq!(origin, "from the Tokendeck relay, not the device");
    let relay_error = browser.text_of("#explorer-error").await.unwrap();
    assert!(
        relay_error.starts_with("Relay error (forbidden_target)"),
        "{relay_error}"
    );

    // An invalid body is caught in the page: an error, and no request in the Activity log.
    let calls_before = browser.text_of("#tab-activity .badge").await.unwrap();
    browser
        .client
        .find(Locator::Css("#explorer-method"))
        .await
        .unwrap()
        .select_by_value("PATCH")
        .await
        .unwrap();
    browser
        .fill("#explorer-path", "/mgmt/tm/ltm/node/~Common~ghost")
        .await
        .unwrap();
    browser
        .fill("#explorer-body", "{\"session\": \"user-disabled\"")
        .await
        .unwrap();
    browser.click("#explorer-send").await.unwrap();
    let complaint = browser.text_of("#explorer-body-error").await.unwrap();
    assert!(complaint.contains("not valid JSON"), "{complaint}");
    assert!(complaint.contains("nothing was sent"), "{complaint}");
    assert_eq!(
        browser.text_of("#tab-activity .badge").await.unwrap(),
        calls_before
    );
    // The last answer on screen is still the relay's.
    assert_eq!(
        browser.text_of("#explorer-origin").await.unwrap(),
        "from the Tokendeck relay, not the device"
    );

    // Fixed, the same PATCH reaches the device, which answers for the missing node.
    browser
        .fill("#explorer-body", "{\"session\": \"user-disabled\"}")
        .await
        .unwrap();
    browser.click("#explorer-send").await.unwrap();
    browser
        .wait_text("#explorer-origin", |t| t == "from the device")
        .await
        .unwrap();
    assert_eq!(
        browser.text_of("#explorer-status").await.unwrap(),
        "404 Not Found"
    );
    let page = browser.page_text().await;
    assert!(!page.contains("not valid JSON"), "{page}");

    browser.close().await.unwrap();
}
