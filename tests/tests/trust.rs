//! Trust in the browser (issue 9): a device the relay does not trust yet shows its certificate
//! and is pinned from the console, finishing the sign-in the user started; a device whose
//! certificate no longer matches its pin shows both fingerprints and who can fix it.

use e2e::{Browser, ExtraTrust, Stack, StackOptions};
use shared::wire::{DeviceKind, openssl_style};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_is_pinned_through_the_trust_panel() {
    let stack = Stack::start_with_options(StackOptions {
        extra: vec![(
            "lab-bigip",
            "Lab BIG-IP",
            DeviceKind::Bigip,
            ExtraTrust::FirstUse,
        )],
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .submit_login(&stack.page("lab-bigip", "tokens"), "admin", "admin")
        .await
        .unwrap();

    // The relay refuses the unknown certificate: the console shows it, worded for a person.
    let title = browser.text_of("#trust-panel h1").await.unwrap();
    assert!(title.contains("not trusted yet"), "{title}");
    let certificate = browser.text_of("#certificate").await.unwrap();
    let fingerprint = openssl_style(&stack.extra[0].fingerprint);
    assert!(certificate.contains(&fingerprint), "{certificate}");
    assert!(
        certificate.contains("SHA-256 (public key)"),
        "{certificate}"
    );
    let page = browser.page_text().await;
    assert!(
        !page.contains("UnknownIssuer") && !page.contains("status 0"),
        "{page}"
    );
    assert!(!browser.exists(".session").await.unwrap());
    browser.screenshot("trust-panel").await.unwrap();

    // Pinning it finishes the sign-in with what the user typed.
    browser.click("#pin-certificate").await.unwrap();
    browser
        .wait_text("#countdown", |t| t.contains(':'))
        .await
        .unwrap();
    browser.text_of("#token-table").await.unwrap();
    let item = browser
        .text_of("a.device[data-device=\"lab-bigip\"]")
        .await
        .unwrap();
    assert!(item.contains("pinned"), "{item}");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_mismatch_shows_both_fingerprints_and_who_can_fix_it() {
    let stack = Stack::start_with_options(StackOptions {
        extra: vec![(
            "moved-bigip",
            "Moved BIG-IP",
            DeviceKind::Bigip,
            ExtraTrust::WrongPin,
        )],
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    let browser = Browser::start().await.expect("browser");
    browser
        .submit_login(&stack.page("moved-bigip", "tokens"), "admin", "admin")
        .await
        .unwrap();

    let title = browser.text_of("#trust-panel h1").await.unwrap();
    assert!(title.contains("has changed"), "{title}");
    let certificate = browser.text_of("#certificate").await.unwrap();
    let pinned = openssl_style(&stack.bigip().fingerprint);
    let presented = openssl_style(&stack.extra[0].fingerprint);
    assert!(certificate.contains(&pinned), "{certificate}");
    assert!(certificate.contains(&presented), "{certificate}");
    let advice = browser.text_of("#trust-advice").await.unwrap();
    assert!(advice.contains("operator"), "{advice}");
    assert!(!browser.exists("#pin-certificate").await.unwrap());
    browser.screenshot("pin-mismatch").await.unwrap();
    browser.close().await.unwrap();
}
