//! The Tokens page in real Chromium: a non-administrator sees their tokens, changes the
//! session's timeout (the session panel follows), is stopped at the 36000 s cap, and deletes
//! their other tokens.

use e2e::{Browser, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_manages_their_tokens() {
    let stack = Stack::start().await.expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser.client.goto(&stack.url()).await.unwrap();
    browser.fill("#username", "foo").await.unwrap();
    browser.fill("#password", "fooPass").await.unwrap();
    browser.click("#login").await.unwrap();
    browser.text_of("#token-table").await.unwrap();

    // A script elsewhere logged in as foo too and never cleaned up.
    let device = stack.bigip_client().unwrap();
    let reply = device
        .post(format!("{}/mgmt/shared/authn/login", stack.bigip().base_url()))
        .json(&serde_json::json!({"username": "foo", "password": "fooPass", "loginProviderName": "tmos"}))
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success());

    browser.click("#refresh-tokens").await.unwrap();
    browser
        .wait_text("#token-quota", |t| t == "2 of 100 tokens")
        .await
        .unwrap();
    let table = browser.text_of("#token-table").await.unwrap();
    assert!(table.contains("this session"), "{table}");
    assert!(table.contains("foo"), "{table}");
    // foo is no administrator: no "delete all".
    assert!(!browser.exists("#delete-all").await.unwrap());

    // Above the cap: refused before anything is sent, quoting the device's rule.
    let timeout_input = "#token-table tr.current input";
    browser.fill(timeout_input, "40000").await.unwrap();
    browser
        .click("#token-table tr.current button.link")
        .await
        .unwrap();
    let error = browser
        .text_of("#token-table tr.current .error")
        .await
        .unwrap();
    assert!(error.contains("36000"), "{error}");

    // Within it: the device extends the session's own token and the panel follows.
    browser.fill(timeout_input, "3600").await.unwrap();
    browser
        .click("#token-table tr.current button.link")
        .await
        .unwrap();
    browser
        .wait_text("#session-timeout", |t| t == "3600 s")
        .await
        .unwrap();
    let countdown = browser.text_of("#countdown").await.unwrap();
    assert!(
        countdown.starts_with("59:") || countdown.starts_with("1:00:"),
        "{countdown}"
    );
    let plan = browser.text_of("#renewal-plan").await.unwrap();
    assert!(
        plan.contains("(in 5"),
        "renewal moved to the new expiry: {plan}"
    );
    // The timeline shows the shorter token's bar at about a third of the longer one's
    // (the widths are set through the CSSOM, which the relay's CSP permits).
    let widths = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#token-table .fill')).map(e => e.getBoundingClientRect().width)",
            vec![],
        )
        .await
        .unwrap();
    let widths: Vec<f64> = serde_json::from_value(widths).unwrap();
    let (short, long) = (
        widths.iter().cloned().fold(f64::MAX, f64::min),
        widths.iter().cloned().fold(0.0, f64::max),
    );
    assert!(long > 0.0 && short / long < 0.5, "bar widths {widths:?}");
    browser.screenshot("tokens").await.unwrap();

    browser.click("#delete-others").await.unwrap();
    browser
        .wait_text("#token-quota", |t| t == "1 of 100 tokens")
        .await
        .unwrap();
    let remaining = browser.text_of("#token-table").await.unwrap();
    assert!(remaining.contains("this session"), "{remaining}");
    browser.close().await.unwrap();
}
