//! The Nodes page in real Chromium against the simulated BIG-IP: create (and the device's 409
//! for a duplicate), disable, delete with confirmation, a staged two-change transaction (and
//! one the device refuses as a whole), and the column chooser.

use e2e::{Browser, Stack};
use shared::wire::DeviceKind;

/// Log in as admin and open the Nodes tab.
async fn nodes_page() -> (Stack, Browser) {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "admin").await.unwrap();
    browser.click("#login").await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    browser.click("#tab-nodes").await.unwrap();
    (stack, browser)
}

fn row(full_path: &str, cell: &str) -> String {
    format!("#node-table tr[data-node=\"{full_path}\"] {cell}")
}

async fn create_node(browser: &Browser, name: &str, address: &str, description: &str) {
    browser.fill("#node-name", name).await.unwrap();
    browser.fill("#node-address", address).await.unwrap();
    browser
        .fill("#node-description", description)
        .await
        .unwrap();
    browser.click("#create-node").await.unwrap();
    browser
        .wait_text("#node-form-success", |t| {
            t.contains(&format!("Created /Common/{name}."))
        })
        .await
        .unwrap();
    browser
        .wait_text(&row(&format!("/Common/{name}"), ".col-address"), |t| {
            t == address
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuse_duplicate_disable_and_delete_a_node() {
    let (_stack, browser) = nodes_page().await;

    // The demo device starts with no nodes, and says so.
    let empty = browser.text_of("#nodes-empty").await.unwrap();
    assert!(empty.contains("no nodes yet"), "{empty}");

    // Form problems are shown beside their fields, before anything is sent.
    browser.fill("#node-name", "web 01").await.unwrap();
    browser.fill("#node-address", "10.0.0.300").await.unwrap();
    browser.click("#create-node").await.unwrap();
    let name_error = browser.text_of("#node-name-error").await.unwrap();
    assert!(name_error.contains("no spaces"), "{name_error}");
    let address_error = browser.text_of("#node-address-error").await.unwrap();
    assert!(
        address_error.contains("not an IPv4 or IPv6 address"),
        "{address_error}"
    );

    create_node(&browser, "web-01", "10.0.0.10", "first web server").await;
    assert_eq!(
        browser
            .text_of(&row("/Common/web-01", ".col-session"))
            .await
            .unwrap(),
        "enabled"
    );
    assert_eq!(
        browser
            .text_of(&row("/Common/web-01", ".col-description"))
            .await
            .unwrap(),
        "first web server"
    );

    // The same node again: the device's 409 shows under the form, and the typed values stay.
    browser.fill("#node-name", "web-01").await.unwrap();
    browser.fill("#node-address", "10.0.0.10").await.unwrap();
    browser.click("#create-node").await.unwrap();
    let error = browser.text_of("#node-form-error").await.unwrap();
    assert!(error.contains("409"), "{error}");
    assert!(
        error.contains("The requested Node (/Common/web-01) already exists in partition Common."),
        "{error}"
    );
    assert_eq!(browser.value_of("#node-name").await.unwrap(), "web-01");
    assert_eq!(
        browser.value_of("#node-address").await.unwrap(),
        "10.0.0.10"
    );
    assert_eq!(browser.value_of("#node-partition").await.unwrap(), "Common");

    // Disable: the session column follows, and the button now offers Enable.
    browser
        .click(&row("/Common/web-01", ".toggle-session"))
        .await
        .unwrap();
    browser
        .wait_text(&row("/Common/web-01", ".col-session"), |t| t == "disabled")
        .await
        .unwrap();
    assert_eq!(
        browser
            .text_of(&row("/Common/web-01", ".toggle-session"))
            .await
            .unwrap(),
        "Enable"
    );

    // Delete asks first; confirming removes the node.
    browser
        .click(&row("/Common/web-01", ".delete"))
        .await
        .unwrap();
    let question = browser
        .text_of(&row("/Common/web-01", ".row-confirm"))
        .await
        .unwrap();
    assert!(question.contains("Delete /Common/web-01?"), "{question}");
    browser
        .click(&row("/Common/web-01", ".confirm-delete"))
        .await
        .unwrap();
    browser.text_of("#nodes-empty").await.unwrap();
    let notice = browser.text_of("#nodes-notice").await.unwrap();
    assert!(notice.contains("Delete /Common/web-01: done."), "{notice}");

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_changes_commit_as_one_transaction_or_not_at_all() {
    let (stack, browser) = nodes_page().await;
    create_node(&browser, "app-01", "10.0.1.1", "").await;
    create_node(&browser, "app-02", "10.0.1.2", "").await;
    create_node(&browser, "app-03", "10.0.1.3", "spare").await;

    // Staged clicks change nothing on the device until the commit.
    browser.click("#stage-mode").await.unwrap();
    browser.text_of("#pending-empty").await.unwrap();
    browser
        .click(&row("/Common/app-01", ".toggle-session"))
        .await
        .unwrap();
    browser
        .click(&row("/Common/app-02", ".toggle-state"))
        .await
        .unwrap();
    let staged = browser
        .wait_text("#pending-changes", |t| {
            t.contains("Force offline /Common/app-02")
        })
        .await
        .unwrap();
    assert!(staged.contains("Disable /Common/app-01"), "{staged}");
    assert_eq!(
        browser
            .text_of(&row("/Common/app-01", ".col-session"))
            .await
            .unwrap(),
        "enabled"
    );
    assert_eq!(
        browser.text_of("#commit-transaction").await.unwrap(),
        "Commit 2 changes as one transaction"
    );
    browser
        .client
        .execute(
            "document.querySelector('section.nodes').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot("nodes").await.unwrap();

    browser.click("#commit-transaction").await.unwrap();
    let notice = browser
        .wait_text("#nodes-notice", |t| t.contains("Committed"))
        .await
        .unwrap();
    assert!(
        notice.contains("Committed 2 changes as transaction"),
        "{notice}"
    );
    browser
        .wait_text(&row("/Common/app-01", ".col-session"), |t| t == "disabled")
        .await
        .unwrap();
    browser
        .wait_text(&row("/Common/app-02", ".col-state"), |t| {
            t == "forced offline"
        })
        .await
        .unwrap();
    browser.text_of("#pending-empty").await.unwrap();

    // Stage two more; then someone else deletes app-03 before the commit. The device refuses
    // the whole transaction, so app-01 stays disabled too.
    browser
        .click(&row("/Common/app-01", ".toggle-session"))
        .await
        .unwrap();
    browser
        .click(&row("/Common/app-03", ".delete"))
        .await
        .unwrap();
    browser
        .wait_text("#pending-changes", |t| {
            t.contains("Enable /Common/app-01") && t.contains("Delete /Common/app-03")
        })
        .await
        .unwrap();
    let behind_the_back = reqwest::Client::new()
        .delete(format!(
            "http://{}/api/devices/{}/fwd/mgmt/tm/ltm/node/~Common~app-03",
            stack.relay_addr,
            stack.id(DeviceKind::Bigip)
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(behind_the_back.status(), 200);

    browser.click("#commit-transaction").await.unwrap();
    let refusal = browser
        .wait_text("#nodes-notice", |t| t.contains("rejected"))
        .await
        .unwrap();
    assert!(
        refusal.contains("none of its 2 changes were applied"),
        "{refusal}"
    );
    assert!(
        refusal.contains("The requested Node (/Common/app-03) was not found."),
        "{refusal}"
    );
    // The list re-read after the refusal: app-03 is gone (deleted outside), app-01 unchanged.
    browser
        .wait_text("#node-count", |t| t == "2 nodes")
        .await
        .unwrap();
    assert_eq!(
        browser
            .text_of(&row("/Common/app-01", ".col-session"))
            .await
            .unwrap(),
        "disabled"
    );
    // The refused changes stay staged, to undo or fix.
    let still = browser.text_of("#pending-changes").await.unwrap();
    assert!(still.contains("Enable /Common/app-01"), "{still}");

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_chooser_narrows_the_select_and_filter_narrows_the_rows() {
    let (_stack, browser) = nodes_page().await;
    create_node(&browser, "db-01", "10.0.2.1", "primary database").await;
    create_node(&browser, "cache-01", "10.0.3.1", "").await;

    let heading = browser.text_of("#node-table thead").await.unwrap();
    assert!(
        heading.contains("DESCRIPTION") || heading.contains("Description"),
        "{heading}"
    );

    browser.click("#column-chooser summary").await.unwrap();
    browser.click("#column-description").await.unwrap();
    browser.click("#column-connectionLimit").await.unwrap();
    browser
        .wait_text("#node-table thead", |t| {
            !t.to_lowercase().contains("description")
                && t.to_lowercase().contains("connection limit")
        })
        .await
        .unwrap();
    assert_eq!(
        browser.text_of("#column-chooser summary").await.unwrap(),
        "Columns (4 of 10)"
    );
    let table = browser.text_of("#node-table").await.unwrap();
    assert!(!table.contains("primary database"), "{table}");
    assert!(table.contains("no limit"), "{table}");
    let select = browser.text_of("#node-select").await.unwrap();
    assert!(
        select.contains("$select=name,partition,address,session,state,connectionLimit"),
        "{select}"
    );

    // The filter hides rows by name, address or partition.
    browser.fill("#node-filter", "10.0.3").await.unwrap();
    browser
        .wait_text("#node-count", |t| t == "1 of 2 nodes match the filter")
        .await
        .unwrap();
    let visible = browser.text_of("#node-table tbody").await.unwrap();
    assert!(
        visible.contains("cache-01") && !visible.contains("db-01"),
        "{visible}"
    );
    browser
        .fill("#node-filter", "nothing-like-this")
        .await
        .unwrap();
    let none = browser.text_of("#nodes-no-match").await.unwrap();
    assert!(none.contains("No node matches"), "{none}");

    // The partition matches too; and a narrow window still shows the list (see the screenshot).
    browser.fill("#node-filter", "common").await.unwrap();
    browser.client.set_window_size(480, 900).await.unwrap();
    browser
        .wait_text("#node-count", |t| t == "2 nodes")
        .await
        .unwrap();
    browser
        .client
        .execute(
            "document.querySelector('section.nodes').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot("nodes-narrow").await.unwrap();
    // The table scrolls inside its card; the page itself does not scroll sideways (a label
    // positioned outside the table's scroller once widened it by 73 px).
    let page = browser
        .client
        .execute(
            "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let [wide, shown] = [0, 1].map(|i| page[i].as_u64().unwrap());
    assert!(
        wide <= shown,
        "the page is {wide} px wide in a {shown} px window"
    );

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_a_route_domain_works_from_the_list_and_the_explorer() {
    let (_stack, browser) = nodes_page().await;
    // Controllers create names such as 10.1.1.1%0 (route domain 0): in a path the `%` travels
    // as `%25`.
    browser.fill("#node-name", "10.1.1.1%0").await.unwrap();
    browser.fill("#node-address", "10.1.1.1%0").await.unwrap();
    browser.click("#create-node").await.unwrap();
    browser
        .wait_text("#node-form-success", |t| {
            t.contains("Created /Common/10.1.1.1%0.")
        })
        .await
        .unwrap();
    // Route domain 0 is the default one: the device shows the plain address.
    browser
        .wait_text(&row("/Common/10.1.1.1%0", ".col-address"), |t| {
            t == "10.1.1.1"
        })
        .await
        .unwrap();
    browser
        .click(&row("/Common/10.1.1.1%0", "button.toggle-session"))
        .await
        .unwrap();
    browser
        .wait_text("#nodes-notice", |t| {
            t.contains("Disable /Common/10.1.1.1%0: done.")
        })
        .await
        .unwrap();
    assert_eq!(
        browser
            .activity_rows(&["PATCH", "/mgmt/tm/ltm/node/~Common~10.1.1.1%250", "200"])
            .await
            .unwrap(),
        1
    );

    // The node's own link in the list opens it in the Explorer.
    browser.click("#tab-explorer").await.unwrap();
    browser
        .fill("#explorer-path", "/mgmt/tm/ltm/node")
        .await
        .unwrap();
    browser.click("#explorer-send").await.unwrap();
    browser
        .wait_text("#explorer-status", |t| t == "200 OK")
        .await
        .unwrap();
    browser
        .click("a.json-link[data-path=\"/mgmt/tm/ltm/node/~Common~10.1.1.1%250\"]")
        .await
        .unwrap();
    let node = browser
        .wait_text("#explorer-response", |t| {
            t.contains("\"fullPath\": \"/Common/10.1.1.1%0\"")
        })
        .await
        .unwrap();
    assert!(node.contains("user-disabled"), "{node}");
    assert_eq!(browser.text_of("#explorer-status").await.unwrap(), "200 OK");
    browser.close().await.unwrap();
}
