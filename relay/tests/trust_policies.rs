//! Each trust policy over real TLS: CA, pin (certificate and public key), insecure, and a pin
//! that no longer matches after the device's certificate was regenerated.

mod common;

use common::{
    Relay, TestCa, TestCert, TlsServer, client, device, get_json, recording_router,
    relay_error_code, simulator,
};
use relay::trust::{TrustPolicy, spki_fingerprint};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Log in to the simulated BIG-IP through the relay and read its version with the token.
async fn login_and_read_version(relay: &Relay, id: &str) -> String {
    let http = client();
    let login = http
        .post(relay.url(&format!("/api/devices/{id}/fwd/mgmt/shared/authn/login")))
        .json(&serde_json::json!({"username": "admin", "password": "admin", "loginProviderName": "tmos"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let body: serde_json::Value = login.json().await.unwrap();
    let token = body["token"]["token"].as_str().unwrap().to_owned();
    let version = http
        .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
        .header("X-F5-Auth-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(version.status(), 200);
    version.text().await.unwrap()
}

#[tokio::test]
async fn a_pinned_certificate_lets_a_user_log_in_and_read_the_version() {
    let sim = simulator().await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &sim.base_url(),
        TrustPolicy::pin(&sim.fingerprint).unwrap(),
    )])
    .await;
    assert!(
        login_and_read_version(&relay, "lab")
            .await
            .contains("BIG-IP")
    );
}

#[tokio::test]
async fn a_pinned_public_key_is_accepted_too() {
    let sim = simulator().await;
    let der = CertificateDer::from_pem_slice(sim.cert_pem.as_bytes()).unwrap();
    let spki = spki_fingerprint(der.as_ref()).unwrap();
    assert_ne!(spki, sim.fingerprint);
    let relay = Relay::with_devices(vec![device(
        "lab",
        &sim.base_url(),
        TrustPolicy::pin(&spki).unwrap(),
    )])
    .await;
    assert!(
        login_and_read_version(&relay, "lab")
            .await
            .contains("BIG-IP")
    );
}

#[tokio::test]
async fn a_changed_certificate_fails_hard_with_both_fingerprints_and_sends_nothing() {
    let old = simulator().await;
    let pinned = old.fingerprint.clone();
    old.shutdown().await;
    // The device comes back with a regenerated certificate.
    let new = simulator().await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &new.base_url(),
        TrustPolicy::pin(&pinned).unwrap(),
    )])
    .await;
    let response = client()
        .post(relay.url("/api/devices/lab/fwd/mgmt/shared/authn/login"))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let text = response.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "pin_mismatch", "{text}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(&pinned), "{message}");
    assert!(message.contains(&new.fingerprint), "{message}");
    assert!(!text.contains("admin"), "credentials never echo back");

    // And nothing reaches a device whose certificate does not match (no fallback).
    let (router, log) = recording_router(vec![]);
    let device_cert = TestCert::self_signed();
    let server = TlsServer::start(&device_cert, router).await;
    let relay = Relay::with_devices(vec![device(
        "x",
        &server.base_url(),
        TrustPolicy::pin(&pinned).unwrap(),
    )])
    .await;
    let response = client()
        .get(relay.url("/api/devices/x/fwd/mgmt/tm/sys/version"))
        .header("X-F5-Auth-Token", "secret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(relay_error_code(response).await, "pin_mismatch");
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_ca_policy_accepts_certificates_the_ca_issued_for_the_name_only() {
    let ca = TestCa::new();
    let (router, log) = recording_router(vec![]);
    let good = TlsServer::start(&ca.issue(&["127.0.0.1", "localhost"]), router.clone()).await;
    let wrong_name = TlsServer::start(&ca.issue(&["other.example"]), router.clone()).await;
    let self_signed = TlsServer::start(&TestCert::self_signed(), router).await;
    let policy = TrustPolicy::Ca {
        roots_pem: Some(ca.pem()),
    };
    let relay = Relay::with_devices(vec![
        device("good", &good.base_url(), policy.clone()),
        device("wrong-name", &wrong_name.base_url(), policy.clone()),
        device("self-signed", &self_signed.base_url(), policy),
    ])
    .await;
    let http = client();
    let ok = http
        .get(relay.url("/api/devices/good/fwd/mgmt/tm/sys/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "{\"ok\":true}");
    for id in ["wrong-name", "self-signed"] {
        let refused = http
            .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 502, "{id}");
        assert_eq!(
            relay_error_code(refused).await,
            "untrusted_certificate",
            "{id}"
        );
    }
    assert_eq!(
        log.lock().unwrap().len(),
        1,
        "only the trusted device saw a request"
    );
}

#[tokio::test]
async fn the_system_roots_do_not_trust_a_self_signed_device() {
    let sim = simulator().await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &sim.base_url(),
        TrustPolicy::Ca { roots_pem: None },
    )])
    .await;
    let response = client()
        .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(relay_error_code(response).await, "untrusted_certificate");
}

#[tokio::test]
async fn insecure_accepts_any_certificate_and_says_so_in_the_inventory() {
    let sim = simulator().await;
    let relay =
        Relay::with_devices(vec![device("lab", &sim.base_url(), TrustPolicy::Insecure)]).await;
    assert!(
        login_and_read_version(&relay, "lab")
            .await
            .contains("BIG-IP")
    );
    let devices: serde_json::Value = get_json(&relay, "/api/devices").await;
    assert_eq!(devices[0]["trust"]["policy"], "insecure");
}
