//! Trust on first use against the simulator: probe, pin what the user checked, keep the pin in
//! the state file across restarts, and the operator's ways to say no. Also ad-hoc devices.

mod common;

use std::path::PathBuf;

use common::{Relay, client, device, relay_error_code, tofu_device};
use relay::AppState;
use relay::inventory::adhoc::AdHocPolicy;
use relay::inventory::{DeviceConfig, Inventory, InventoryOptions, PinStore, Timeouts};
use relay::trust::TrustPolicy;
use shared::wire::DeviceKind;
use simulator::SimConfig;

async fn simulator() -> simulator::RunningDevice {
    simulator::start(
        DeviceKind::Bigip,
        "127.0.0.1:0".parse().unwrap(),
        SimConfig::default(),
    )
    .await
    .unwrap()
}

fn temp_state_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokendeck-tofu-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokendeck.state.toml");
    let _ = std::fs::remove_file(&path);
    path
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
    let state_file = temp_state_file("restart");
    let options = || InventoryOptions {
        pins: PinStore::open(&state_file).unwrap(),
        ..InventoryOptions::default()
    };
    let first = relay_for(tofu_device("lab", &sim.base_url()), options()).await;
    assert_eq!(
        relay_error_code(version_status(&first).await).await,
        "untrusted_certificate"
    );

    let probe: serde_json::Value =
        post_json(&first, "/api/devices/lab/probe", serde_json::json!({}))
            .await
            .json()
            .await
            .unwrap();
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
    let pinned = post_json(
        &first,
        "/api/devices/lab/trust",
        serde_json::json!({"fingerprint": probe["sha256_public_key"]}),
    )
    .await;
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
    let probe: serde_json::Value = post_json(&off, "/api/devices/lab/probe", serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(probe["can_pin"], false);
    let refused = post_json(
        &off,
        "/api/devices/lab/trust",
        serde_json::json!({"fingerprint": sim.fingerprint}),
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(relay_error_code(refused).await, "tofu_disabled");

    let operator_pin = format!("sha256:{}", "ab".repeat(32));
    let pinned = relay(
        &sim.base_url(),
        TrustPolicy::pin(&operator_pin).unwrap(),
        InventoryOptions::default(),
    )
    .await;
    let probe: serde_json::Value =
        post_json(&pinned, "/api/devices/lab/probe", serde_json::json!({}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(probe["matches_pin"], false);
    assert_eq!(probe["can_pin"], false);
    let refused = post_json(
        &pinned,
        "/api/devices/lab/trust",
        serde_json::json!({"fingerprint": sim.fingerprint}),
    )
    .await;
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
