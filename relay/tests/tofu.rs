//! Trust on first use against the simulator: probe, pin what the user checked, keep the pin in
//! the state file across restarts, and the operator's ways to say no. Also ad-hoc devices.

mod common;

use std::path::PathBuf;

use common::{Relay, client, device, get_json, relay_error_code, simulator, tofu_device};
use relay::AppState;
use relay::inventory::adhoc::AdHocPolicy;
use relay::inventory::{DeviceConfig, Inventory, InventoryOptions, Timeouts};
use relay::replica_store::ReplicaStore;
use relay::trust::TrustPolicy;

/// A state file's path (not yet written) in a folder of its own, removed when dropped.
fn temp_state_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = common::temp_dir(&format!("tofu-{name}"));
    let path = dir.path().join("tokendeck.state.toml");
    (dir, path)
}

async fn relay(sim_url: &str, trust: TrustPolicy, options: InventoryOptions) -> Relay {
    relay_for(device("lab", sim_url, trust), options).await
}

async fn relay_for(device: DeviceConfig, options: InventoryOptions) -> Relay {
    let inventory = Inventory::with_options(vec![device], Timeouts::default(), options).unwrap();
    Relay::start(AppState::new(inventory, None)).await
}

async fn post_json(relay: &Relay, path: &str, body: serde_json::Value) -> reqwest::Response {
    client()
        .post(relay.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// What device `lab` presents.
async fn probe_lab(relay: &Relay) -> serde_json::Value {
    post_json(relay, "/api/devices/lab/probe", serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap()
}

/// Ask to pin device `lab` to `fingerprint`.
async fn pin_lab(relay: &Relay, fingerprint: impl serde::Serialize) -> reqwest::Response {
    post_json(
        relay,
        "/api/devices/lab/trust",
        serde_json::json!({ "fingerprint": fingerprint }),
    )
    .await
}

async fn version_status(relay: &Relay) -> reqwest::Response {
    client()
        .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn probe_then_pin_what_was_checked_and_keep_it_across_restarts() {
    let sim = simulator().await;
    let (_dir, state_file) = temp_state_file("restart");
    let options = || InventoryOptions {
        state: std::sync::Arc::new(ReplicaStore::pin_file(&state_file).unwrap()),
        ..InventoryOptions::default()
    };
    let first = relay_for(tofu_device("lab", &sim.base_url()), options()).await;
    assert_eq!(
        relay_error_code(version_status(&first).await).await,
        "untrusted_certificate"
    );

    let probe = probe_lab(&first).await;
    assert_eq!(probe["sha256_certificate"], sim.fingerprint.as_str());
    assert_ne!(probe["sha256_public_key"], probe["sha256_certificate"]);
    assert!(
        probe["subject"]
            .as_str()
            .unwrap()
            .contains("BIG-IP simulator")
    );
    let sans = probe["subject_alt_names"].to_string();
    assert!(
        sans.contains("DNS:localhost") && sans.contains("IP:127.0.0.1"),
        "{sans}"
    );
    assert!(probe["not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(probe["can_pin"], true);
    assert_eq!(probe["trust"]["policy"], "ca");

    // A fingerprint the device does not present is refused.
    let wrong = post_json(
        &first,
        "/api/devices/lab/trust",
        serde_json::json!({"fingerprint": format!("sha256:{}", "0".repeat(64))}),
    )
    .await;
    assert_eq!(wrong.status(), 409);
    assert_eq!(relay_error_code(wrong).await, "trust_conflict");

    // The public-key fingerprint the user checked is pinned.
    let pinned = pin_lab(&first, &probe["sha256_public_key"]).await;
    assert_eq!(pinned.status(), 200);
    let summary: serde_json::Value = pinned.json().await.unwrap();
    assert_eq!(summary["trust"]["fingerprint"], probe["sha256_public_key"]);
    assert_eq!(
        version_status(&first).await.status(),
        401,
        "the device's own 401"
    );
    let stored = std::fs::read_to_string(&state_file).unwrap();
    assert!(stored.contains(probe["sha256_public_key"].as_str().unwrap()));
    assert!(!stored.contains("admin"));

    // A restarted relay reads the pin back.
    drop(first);
    let second = relay_for(tofu_device("lab", &sim.base_url()), options()).await;
    let response = version_status(&second).await;
    assert!(response.headers().get("x-tokendeck-relay-error").is_none());
}

#[tokio::test]
async fn operators_can_switch_tofu_off_and_their_own_pins_cannot_be_replaced() {
    let sim = simulator().await;
    let off = relay_for(
        tofu_device("lab", &sim.base_url()),
        InventoryOptions {
            deny_tofu: true,
            ..InventoryOptions::default()
        },
    )
    .await;
    let probe = probe_lab(&off).await;
    assert_eq!(probe["can_pin"], false);
    let refused = pin_lab(&off, &sim.fingerprint).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(relay_error_code(refused).await, "tofu_disabled");

    let operator_pin = format!("sha256:{}", "ab".repeat(32));
    let pinned = relay(
        &sim.base_url(),
        TrustPolicy::pin(&operator_pin).unwrap(),
        InventoryOptions::default(),
    )
    .await;
    let probe = probe_lab(&pinned).await;
    assert_eq!(probe["matches_pin"], false);
    assert_eq!(probe["can_pin"], false);
    let refused = pin_lab(&pinned, &sim.fingerprint).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(relay_error_code(refused).await, "trust_conflict");
}

#[tokio::test]
async fn ad_hoc_devices_only_inside_the_allowlist_and_only_with_trust() {
    let sim = simulator().await;
    let off = relay(
        &sim.base_url(),
        TrustPolicy::Insecure,
        InventoryOptions::default(),
    )
    .await;
    let refused = post_json(
        &off,
        "/api/devices",
        serde_json::json!({"kind": "bigip", "base_url": sim.base_url()}),
    )
    .await;
    assert_eq!(relay_error_code(refused).await, "forbidden_target");
    let guessed = client()
        .get(off.url(&format!(
            "/api/devices/adhoc~bigip~127.0.0.1~{}/fwd/mgmt/tm/sys/version",
            sim.addr.port()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(relay_error_code(guessed).await, "unknown_device");

    let on = relay(
        &sim.base_url(),
        TrustPolicy::Insecure,
        InventoryOptions {
            // Loopback is never dialled ad hoc; the simulated device lives there.
            ad_hoc: AdHocPolicy::parse(&["127.0.0.1/32".into()])
                .unwrap()
                .admitting_loopback_for_tests(),
            ..InventoryOptions::default()
        },
    )
    .await;
    for outside in [
        "https://10.9.9.9",
        "https://localhost:443",
        "https://169.254.169.254",
    ] {
        let refused = post_json(
            &on,
            "/api/devices",
            serde_json::json!({"kind": "bigip", "base_url": outside}),
        )
        .await;
        assert_eq!(
            relay_error_code(refused).await,
            "forbidden_target",
            "{outside}"
        );
    }
    let admitted: serde_json::Value = post_json(
        &on,
        "/api/devices",
        serde_json::json!({"kind": "bigip", "base_url": sim.base_url()}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = admitted["id"].as_str().unwrap().to_owned();
    assert_eq!(id, format!("adhoc~bigip~127.0.0.1~{}", sim.addr.port()));
    assert_eq!(admitted["trust"]["policy"], "ca");
    let version = |relay: &Relay| {
        client()
            .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
            .send()
    };
    // Never insecure: a self-signed ad-hoc device must be pinned first.
    assert_eq!(
        relay_error_code(version(&on).await.unwrap()).await,
        "untrusted_certificate"
    );
    let trusted = post_json(
        &on,
        &format!("/api/devices/{id}/trust"),
        serde_json::json!({"fingerprint": sim.fingerprint}),
    )
    .await;
    assert_eq!(trusted.status(), 200);
    assert_eq!(
        version(&on).await.unwrap().status(),
        401,
        "the device's own 401"
    );
}

#[tokio::test]
async fn only_devices_the_operator_marked_may_be_pinned_and_only_once() {
    let sim = simulator().await;
    // A CA-trusted device: its certificate is refused, and no user can pin it instead.
    let ca = relay(
        &sim.base_url(),
        TrustPolicy::Ca { roots_pem: None },
        InventoryOptions::default(),
    )
    .await;
    let devices: serde_json::Value = get_json(&ca, "/api/devices").await;
    assert_eq!(devices[0]["tofu"], false);
    let probe = probe_lab(&ca).await;
    assert_eq!(probe["can_pin"], false);
    let refused = pin_lab(&ca, &sim.fingerprint).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(relay_error_code(refused).await, "trust_conflict");
    assert_eq!(
        relay_error_code(version_status(&ca).await).await,
        "untrusted_certificate",
        "the CA policy still holds"
    );

    // A device marked for trust on first use: pinned once, then only the operator may change it.
    let marked = relay_for(
        tofu_device("lab", &sim.base_url()),
        InventoryOptions::default(),
    )
    .await;
    let summary: serde_json::Value = get_json(&marked, "/api/devices").await;
    assert_eq!(summary[0]["tofu"], true);
    let probe = probe_lab(&marked).await;
    let pinned: serde_json::Value = pin_lab(&marked, &probe["sha256_certificate"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pinned["tofu"], false, "no second pin is offered");
    let again = pin_lab(&marked, &probe["sha256_public_key"]).await;
    assert_eq!(again.status(), 409);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["code"], "trust_conflict");
    assert!(
        body["message"].as_str().unwrap().contains("operator"),
        "{body}"
    );
}

#[tokio::test]
async fn racing_pins_leave_the_pin_in_use_equal_to_the_pin_saved() {
    let sim = simulator().await;
    for round in 0..5 {
        let (_dir, state_file) = temp_state_file(&format!("race-{round}"));
        let options = InventoryOptions {
            state: std::sync::Arc::new(ReplicaStore::pin_file(&state_file).unwrap()),
            ..InventoryOptions::default()
        };
        let relay = relay_for(tofu_device("lab", &sim.base_url()), options).await;
        let probe = probe_lab(&relay).await;
        let fingerprints = [
            probe["sha256_certificate"].clone(),
            probe["sha256_public_key"].clone(),
        ];
        let racers: Vec<_> = (0..8)
            .map(|n| {
                let body = serde_json::json!({"fingerprint": fingerprints[n % 2]});
                let url = relay.url("/api/devices/lab/trust");
                tokio::spawn(async move { client().post(url).json(&body).send().await.unwrap() })
            })
            .collect();
        let mut winners = Vec::new();
        for racer in racers {
            let response = racer.await.unwrap();
            if response.status() == 200 {
                let summary: serde_json::Value = response.json().await.unwrap();
                winners.push(summary["trust"]["fingerprint"].as_str().unwrap().to_owned());
            } else {
                assert_eq!(relay_error_code(response).await, "trust_conflict");
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one pin wins");
        let in_use: serde_json::Value = get_json(&relay, "/api/devices").await;
        assert_eq!(in_use[0]["trust"]["fingerprint"], winners[0].as_str());
        let saved = std::fs::read_to_string(&state_file).unwrap();
        assert!(saved.contains(&winners[0]), "round {round}: {saved}");
    }
}

#[tokio::test]
async fn reserved_addresses_are_never_ad_hoc_devices() {
    let sim = simulator().await;
    let on = relay(
        &sim.base_url(),
        TrustPolicy::Insecure,
        InventoryOptions {
            ad_hoc: AdHocPolicy::parse(&["169.254.0.0/16".into(), "127.0.0.0/8".into()]).unwrap(),
            ..InventoryOptions::default()
        },
    )
    .await;
    for reserved in ["https://169.254.169.254", "https://127.0.0.1:8443"] {
        let refused = post_json(
            &on,
            "/api/devices",
            serde_json::json!({"kind": "bigip", "base_url": reserved}),
        )
        .await;
        assert_eq!(refused.status(), 403);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "forbidden_target");
        assert!(
            body["message"].as_str().unwrap().contains("never dials"),
            "{body}"
        );
    }
    let guessed = client()
        .get(on.url("/api/devices/adhoc~bigip~169.254.169.254~80/fwd/latest/meta-data"))
        .send()
        .await
        .unwrap();
    assert_eq!(relay_error_code(guessed).await, "unknown_device");
}

#[tokio::test]
async fn an_unreachable_ad_hoc_device_gives_one_answer_whatever_the_port_does() {
    let sim = simulator().await;
    let relay = relay(
        &sim.base_url(),
        TrustPolicy::Insecure,
        InventoryOptions {
            ad_hoc: AdHocPolicy::parse(&["127.0.0.1/32".into()])
                .unwrap()
                .admitting_loopback_for_tests(),
            ..InventoryOptions::default()
        },
    )
    .await;
    // A closed port, and a port that accepts and never speaks (a filtered one, as a scanner
    // would see it): the same code and the same words, so the relay is no port scanner.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let mute = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mute_port = mute.local_addr().unwrap().port();
    let mut answers = Vec::new();
    for port in [closed_port, mute_port] {
        let id = format!("adhoc~bigip~127.0.0.1~{port}");
        let response = client()
            .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["message"]
            .as_str()
            .unwrap()
            .replace(&port.to_string(), "PORT");
        answers.push((status, body["code"].clone(), message));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].1, "device_unreachable");
    assert!(answers[0].2.contains("down, filtered"), "{}", answers[0].2);
    drop(mute);
}
