//! The relay's per-device budget over real sockets, one relay (the local backend): requests a
//! minute and calls at once, on by default for FMC devices just under their limits, with a
//! reserve only token calls (sign-ins, renewals) may use, set per device, answered
//! `429 device_budget` with `Retry-After` and never sent to the device. Two relays sharing one
//! budget through Redis: `replicas.rs`.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use common::{Relay, TestCert, TlsServer, client, device, recording_router, state};
use relay::AppState;
use relay::inventory::{BudgetSetting, DeviceConfig, Inventory, InventoryOptions, Timeouts};
use relay::trust::TrustPolicy;
use shared::wire::DeviceKind;
use shared::wire::budget::{Priority, RateBudget};
use tokio::sync::Semaphore;

/// A relay in front of `devices`, with the operator's budget `settings`.
async fn relay_with_budgets(
    devices: Vec<DeviceConfig>,
    settings: HashMap<String, BudgetSetting>,
) -> Relay {
    relay_with_budgets_and(devices, settings, Timeouts::default()).await
}

/// [`relay_with_budgets`] with the devices' `timeouts`.
async fn relay_with_budgets_and(
    devices: Vec<DeviceConfig>,
    settings: HashMap<String, BudgetSetting>,
    timeouts: Timeouts,
) -> Relay {
    let options = InventoryOptions {
        budgets: settings,
        ..InventoryOptions::default()
    };
    let inventory = Inventory::with_options(devices, timeouts, options).unwrap();
    Relay::start(AppState::new(inventory, None)).await
}

/// 6 requests a minute: 1 for ordinary calls, 5 kept for sign-ins and renewals.
fn one_call_a_minute(ids: &[&str]) -> HashMap<String, BudgetSetting> {
    ids.iter()
        .map(|id| {
            let setting = BudgetSetting {
                per_minute: Some(6),
                concurrent: None,
            };
            (id.to_string(), setting)
        })
        .collect()
}

/// An FMC at `base_url` with `trust`.
fn fmc(id: &str, base_url: &str, trust: TrustPolicy) -> DeviceConfig {
    DeviceConfig {
        kind: DeviceKind::Fmc,
        ..device(id, base_url, trust)
    }
}

/// A pinned device of `kind` in front of `router`.
async fn device_of(id: &str, kind: DeviceKind, router: Router) -> (TlsServer, DeviceConfig) {
    let cert = TestCert::self_signed();
    let server = TlsServer::start(&cert, router).await;
    let config = DeviceConfig {
        kind,
        ..device(
            id,
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )
    };
    (server, config)
}

async fn call(relay: &Relay, id: &str) -> reqwest::Response {
    client()
        .get(relay.url(&format!("/api/devices/{id}/fwd/api/info")))
        .send()
        .await
        .unwrap()
}

/// The relay error body of a held call, checked for what the console reads.
async fn held(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-tokendeck-relay-error"], "1");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "device_budget");
    assert_eq!(body["retry_after_secs"], retry_after);
    assert!(
        body["message"].as_str().unwrap().contains("Tokendeck held"),
        "{body}"
    );
    body
}

/// `POST` to the kind's login path (a token call: it may use the reserve).
async fn sign_in(relay: &Relay, id: &str, kind: DeviceKind) -> reqwest::Response {
    let login = shared::devices::profile(kind)
        .token_calls
        .iter()
        .find(|call| call.method == "POST" && !call.with_token)
        .expect("the kind signs in with a POST");
    client()
        .post(relay.url(&format!("/api/devices/{id}/fwd{}", login.path)))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_fmc_gets_115_requests_a_minute_by_default_of_which_5_only_sign_ins_may_use() {
    let (router, seen) = recording_router(vec![]);
    let (_fmc, config) = device_of("fmc", DeviceKind::Fmc, router).await;
    let (other_router, _) = recording_router(vec![]);
    let (_bigip, bigip) = device_of("bigip", DeviceKind::Bigip, other_router).await;
    let relay = Relay::start(state(vec![config, bigip], Timeouts::default())).await;
    for n in 0..110 {
        assert_eq!(call(&relay, "fmc").await.status(), 200, "call {n}");
    }
    let body = held(call(&relay, "fmc").await).await;
    assert_eq!(body["device"], "fmc");
    let wait = body["retry_after_secs"].as_u64().unwrap();
    assert!(
        (55..=60).contains(&wait),
        "until the first call leaves the minute: {wait}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("under 110 requests a minute to it (and 5 more kept for sign-ins"),
        "{body}"
    );
    // The reserve is still there for sign-ins and renewals, and only them.
    for n in 0..5 {
        assert_eq!(
            sign_in(&relay, "fmc", DeviceKind::Fmc).await.status(),
            200,
            "sign-in {n}"
        );
    }
    held(sign_in(&relay, "fmc", DeviceKind::Fmc).await).await;
    assert_eq!(
        seen.lock().unwrap().len(),
        115,
        "a held call never reaches the device"
    );
    // A BIG-IP has no such limit, so no budget by default.
    for _ in 0..130 {
        assert_eq!(call(&relay, "bigip").await.status(), 200);
    }
    let metrics = common::metrics(&relay).await;
    assert!(
        metrics.contains("tokendeck_relay_errors_total{code=\"device_budget\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_call_the_relay_refuses_anyway_spends_no_budget() {
    let (router, seen) = recording_router(vec![]);
    let (_fmc, config) = device_of("fmc", DeviceKind::Fmc, router).await;
    let settings = HashMap::from([(
        "fmc".to_string(),
        BudgetSetting {
            per_minute: Some(6),
            concurrent: None,
        },
    )]);
    let relay = relay_with_budgets(vec![config], settings).await;
    // Refused for its method or its path: counted nowhere.
    for _ in 0..5 {
        let refused = client()
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                relay.url("/api/devices/fmc/fwd/api/info"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 405);
        let (status, _) =
            common::raw(relay.addr, "GET", "/api/devices/fmc/fwd/api/%2e%2e/x", "").await;
        assert_eq!(status, 403);
    }
    // So the one ordinary call a minute this budget leaves is still there.
    assert_eq!(call(&relay, "fmc").await.status(), 200);
    held(call(&relay, "fmc").await).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_device_s_own_setting_replaces_the_default_and_zero_switches_it_off() {
    let (router, seen) = recording_router(vec![]);
    let (_lab, config) = device_of("lab", DeviceKind::Bigip, router).await;
    let (fmc_router, _) = recording_router(vec![]);
    let (_fmc, fmc) = device_of("fmc", DeviceKind::Fmc, fmc_router).await;
    let settings = HashMap::from([
        (
            "lab".to_string(),
            // 8 a minute: 3 for ordinary calls, 5 more kept for sign-ins and renewals.
            BudgetSetting {
                per_minute: Some(8),
                concurrent: None,
            },
        ),
        (
            "fmc".to_string(),
            BudgetSetting {
                per_minute: Some(0),
                concurrent: Some(0),
            },
        ),
    ]);
    let relay = relay_with_budgets(vec![config, fmc], settings).await;
    for _ in 0..3 {
        assert_eq!(call(&relay, "lab").await.status(), 200);
    }
    held(call(&relay, "lab").await).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
    for _ in 0..130 {
        assert_eq!(call(&relay, "fmc").await.status(), 200, "no budget");
    }
    // The inventory tells the console each device's budget, the operator's setting included.
    let devices: serde_json::Value = client()
        .get(relay.url("/api/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let budget_of = |id: &str| {
        let device = devices.as_array().unwrap().iter().find(|d| d["id"] == id);
        let budget = device.unwrap().get("budget").cloned();
        budget.map(|b| serde_json::from_value::<RateBudget>(b).unwrap())
    };
    let lab = budget_of("lab").expect("lab has a budget");
    assert_eq!(lab.total.per_minute, Some(8));
    assert_eq!(lab.allowance(Priority::Ordinary).per_minute, Some(3));
    assert_eq!(budget_of("fmc"), None, "no budget: none advertised");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_at_once_are_held_until_one_has_been_answered() {
    // A device that answers only when the test lets it, counting the calls that arrived.
    let gate = Arc::new(Semaphore::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let (waiting, counting) = (gate.clone(), arrived.clone());
    let router = Router::new().fallback(move || {
        let (gate, arrived) = (waiting.clone(), counting.clone());
        async move {
            arrived.fetch_add(1, Ordering::SeqCst);
            gate.acquire().await.unwrap().forget();
            "{}"
        }
    });
    let (_slow, config) = device_of("slow", DeviceKind::Bigip, router).await;
    // 3 at once: 2 for ordinary calls, 1 more kept for sign-ins and renewals.
    let settings = HashMap::from([(
        "slow".to_string(),
        BudgetSetting {
            per_minute: None,
            concurrent: Some(3),
        },
    )]);
    let relay = Arc::new(relay_with_budgets(vec![config], settings).await);
    let in_flight: Vec<_> = (0..2)
        .map(|_| {
            let relay = relay.clone();
            tokio::spawn(async move {
                let response = call(&relay, "slow").await;
                let status = response.status();
                response.bytes().await.unwrap();
                status
            })
        })
        .collect();
    // Both are at the device (waiting at the gate): a third is held, with a second to wait.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while arrived.load(Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let body = held(call(&relay, "slow").await).await;
    assert_eq!(
        arrived.load(Ordering::SeqCst),
        2,
        "the held call was not sent"
    );
    assert_eq!(body["retry_after_secs"], 1);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most 2 calls")
    );
    gate.add_permits(2);
    for call in in_flight {
        assert_eq!(call.await.unwrap(), 200);
    }
    // Their slots are handed back once their replies have been sent: a new call goes through
    // (at once, or after the moment the relay takes to finish sending them).
    gate.add_permits(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let status = call(&relay, "slow").await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 429);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slots were never handed back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A call the relay could not get to the device — nothing listens, the certificate is not the
/// pinned one, the handshake never ends, the name does not resolve — reached nothing, so the
/// device's minute is not spent on it: each of four such calls gets its own error, never
/// `429 device_budget`.
#[tokio::test]
async fn a_call_that_never_reaches_the_device_spends_no_budget() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("https://{}", closed.local_addr().unwrap());
    drop(closed);
    let (impostor_router, reached) = recording_router(vec![]);
    let impostor = TlsServer::start(&TestCert::self_signed(), impostor_router).await;
    let pinned = TrustPolicy::pin(&TestCert::self_signed().fingerprint()).unwrap();
    // Accepts, never speaks: the call is stuck in the TLS handshake when its time is up.
    let mute = common::RawDevice::tcp(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let devices = vec![
        fmc("down", &closed_url, TrustPolicy::Insecure),
        fmc("impostor", &impostor.base_url(), pinned),
        fmc("mute", &mute.base_url(), TrustPolicy::Insecure),
        fmc(
            "nowhere",
            "https://tokendeck-test.invalid",
            TrustPolicy::Insecure,
        ),
    ];
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        request: Duration::from_millis(300),
        ..Timeouts::default()
    };
    let settings = one_call_a_minute(&["down", "impostor", "mute", "nowhere"]);
    let relay = relay_with_budgets_and(devices, settings, timeouts).await;
    for (id, status, code) in [
        ("down", 502, "device_unreachable"),
        ("impostor", 502, "pin_mismatch"),
        ("mute", 504, "timeout"),
        ("nowhere", 502, "dns_failure"),
    ] {
        for n in 0..4 {
            let response = call(&relay, id).await;
            assert_eq!(response.status(), status, "{id}, call {n}");
            assert_eq!(
                common::relay_error_code(response).await,
                code,
                "{id}, call {n}"
            );
        }
    }
    assert!(
        reached.lock().unwrap().is_empty(),
        "nothing reached the impostor"
    );
}

/// The refund is for calls that reached nothing: one that went out and was never answered
/// counts, since the device may have acted on it.
#[tokio::test]
async fn a_call_sent_but_unanswered_still_counts() {
    let cert = TestCert::self_signed();
    let arrived = Arc::new(AtomicUsize::new(0));
    let counting = arrived.clone();
    let silent = common::RawDevice::tls(&cert, move |mut tls| {
        let arrived = counting.clone();
        async move {
            common::read_head(&mut tls).await;
            arrived.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let devices = vec![fmc(
        "silent",
        &silent.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    )];
    let timeouts = Timeouts {
        request: Duration::from_millis(300),
        ..Timeouts::default()
    };
    let relay = relay_with_budgets_and(devices, one_call_a_minute(&["silent"]), timeouts).await;
    let first = call(&relay, "silent").await;
    assert_eq!(first.status(), 504);
    assert_eq!(common::relay_error_code(first).await, "timeout");
    held(call(&relay, "silent").await).await;
    assert_eq!(
        arrived.load(Ordering::SeqCst),
        1,
        "the held call was not sent"
    );
}
