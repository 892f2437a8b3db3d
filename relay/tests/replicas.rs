//! Two relay processes sharing one real `redis-server` (`state = "redis://…"`), as a team
//! portal runs them behind a load balancer: a pin made through one is enforced by the other
//! and the first pin wins; a budget of N requests a minute holds across both; wrong keys are
//! counted once; Redis going away fails closed for pins and is reported; AUTH and TLS work.
//!
//! Processes rather than two in-process relays: each has its own memory, its own Redis
//! connection and its own start-up, exactly as replicas do, so nothing can be shared by
//! accident through the test's address space.

mod common;

use std::time::Duration;

use common::portal::{
    STATE_KEY, config, metric, pin, pin_in_use, portal, probe, relay_code, tofu_device, version,
    within,
};
use common::redis_server::{RedisServer, RedisTls};
use common::relay_process::{RelayProcess, check, init_state, write};
use common::{TestCa, TestCert, TlsServer, client, recording_router, simulator, temp_dir};
use relay::replica_store::{Budget, RedisOptions, ReplicaStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_made_through_one_replica_is_enforced_by_the_other_and_the_first_pin_wins() {
    let redis = RedisServer::start("pins");
    let (lab, race) = (simulator().await, simulator().await);
    let dir = temp_dir("pins");
    let devices = tofu_device("lab", &lab.base_url()) + &tofu_device("race", &race.base_url());
    let path = portal(&dir, &redis.url(), "", &devices).await;
    let a = RelayProcess::start(&path, &[]).await;
    let b = RelayProcess::start(&path, &[]).await;

    // Neither trusts the device yet.
    assert_eq!(
        relay_code(version(&b, "lab").await).await.as_deref(),
        Some("untrusted_certificate")
    );
    let seen = probe(&a, "lab").await;
    assert_eq!(seen["sha256_certificate"], lab.fingerprint.as_str());
    assert_eq!(
        pin(&a, "lab", &seen["sha256_certificate"]).await.status(),
        200
    );
    // The other replica applies it within seconds and dials the device under it.
    let took = within(Duration::from_secs(5), "b applies a's pin", || async {
        pin_in_use(&b, "lab").await.as_deref() == Some(lab.fingerprint.as_str())
    })
    .await;
    eprintln!("the other replica applied the pin after {took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(
        relay_code(version(&b, "lab").await).await,
        None,
        "the device itself answers"
    );
    // And refuses a second pin, even of the same device's public key.
    let again = pin(&b, "lab", &seen["sha256_public_key"]).await;
    assert_eq!(again.status(), 409);
    assert_eq!(relay_code(again).await.as_deref(), Some("trust_conflict"));

    // Both replicas race to pin another device, each with a different (valid) fingerprint:
    // exactly one wins, and both end up with the winner's.
    let seen = probe(&a, "race").await;
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let (relay, fingerprint) = if n % 2 == 0 {
                (
                    a.url("/api/devices/race/trust"),
                    seen["sha256_certificate"].clone(),
                )
            } else {
                (
                    b.url("/api/devices/race/trust"),
                    seen["sha256_public_key"].clone(),
                )
            };
            tokio::spawn(async move {
                let body = serde_json::json!({ "fingerprint": fingerprint });
                client()
                    .post(relay)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        match racer.await.unwrap() {
            200 => won += 1,
            409 => {}
            other => panic!("a racer got {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one pin wins");
    let winner = pin_in_use(&a, "race").await;
    assert!(winner.is_some());
    within(
        Duration::from_secs(5),
        "both use the winning pin",
        || async {
            pin_in_use(&a, "race").await == winner && pin_in_use(&b, "race").await == winner
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_of_n_a_minute_and_the_wrong_key_lockout_hold_across_both_replicas() {
    let redis = RedisServer::start("budget");
    let cert = TestCert::self_signed();
    let (router, seen) = recording_router(vec![]);
    let device = TlsServer::start(&cert, router).await;
    let dir = temp_dir("budget");
    let key = "correct-horse-battery-staple";
    // 25 a minute: 20 for ordinary calls, 5 more kept for sign-ins and renewals.
    let devices = format!(
        "[[devices]]\nid = \"api\"\nname = \"api\"\nkind = \"fmc\"\nbase_url = \"{}\"\npin = \"{}\"\nrequests_per_minute = 25\nconcurrent_calls = 0\n",
        device.base_url(),
        cert.fingerprint()
    );
    let extra = format!("access_key = \"{key}\"");
    let path = portal(&dir, &redis.url(), &extra, &devices).await;
    let a = RelayProcess::start(&path, &[]).await;
    let b = RelayProcess::start(&path, &[]).await;

    // Forty calls at once, half through each replica: twenty reach the device.
    let calls: Vec<_> = (0..40)
        .map(|n| {
            let url = if n % 2 == 0 { a.url("") } else { b.url("") };
            tokio::spawn(async move {
                client()
                    .get(format!(
                        "{url}/api/devices/api/fwd/api/fmc_platform/v1/info/serverversion"
                    ))
                    .header("x-tokendeck-access-key", key)
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let (mut passed, mut held) = (0, 0);
    for call in calls {
        let response = call.await.unwrap();
        match response.status().as_u16() {
            200 => passed += 1,
            429 => {
                assert!(response.headers().contains_key("retry-after"));
                assert_eq!(relay_code(response).await.as_deref(), Some("device_budget"));
                held += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((passed, held), (20, 20), "one budget for both replicas");
    assert_eq!(seen.lock().unwrap().len(), 20);

    // Three wrong keys through one replica and two through the other lock the client out of
    // both.
    let try_key = |relay: &RelayProcess, key: &str| {
        client()
            .get(relay.url("/api/devices"))
            .header("x-tokendeck-access-key", key)
            .send()
    };
    for relay in [&a, &a, &a, &b, &b] {
        let wrong = try_key(relay, "not-the-key-at-all").await.unwrap();
        assert_eq!(relay_code(wrong).await.as_deref(), Some("access_key_wrong"));
    }
    for relay in [&a, &b] {
        let locked = try_key(relay, key).await.unwrap();
        assert_eq!(locked.status(), 429);
        assert_eq!(relay_code(locked).await.as_deref(), Some("rate_limited"));
    }
}

/// Token calls and other calls count in one window with different limits: a call over the
/// lower limit waits until enough slots have left for it, not just the first — Redis's script
/// counts as the local windows do.
#[tokio::test]
async fn a_lower_limit_in_a_shared_window_waits_for_as_many_slots_as_it_is_over() {
    let redis = RedisServer::start("limits");
    let store = ReplicaStore::redis(&RedisOptions {
        url: redis.url(),
        password: None,
        ca_pem: None,
        prefix: "limits".into(),
        signing_key: None,
    })
    .await
    .unwrap();
    let budget = |limit, secs| Budget {
        key: "device:lab:requests".into(),
        limit,
        window: Duration::from_secs(secs),
    };
    // Five slots, leaving the window after 10, 20, 30, 40 and 50 s.
    for secs in [10, 20, 30, 40, 50] {
        store.take_slot(&budget(5, secs)).await.unwrap();
    }
    let wait =
        |waited: Result<(), relay::replica_store::Wait>| waited.map_err(|w| w.retry_after_secs());
    assert_eq!(
        wait(store.check(&budget(3, 60)).await),
        Err(30),
        "three must leave"
    );
    assert_eq!(
        wait(store.check(&budget(5, 60)).await),
        Err(10),
        "one must leave"
    );
    let taken = store.take_slot(&budget(3, 60)).await.map(|_| ());
    assert_eq!(wait(taken), Err(30));
    assert_eq!(wait(store.check(&budget(6, 60)).await), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_fails_closed_for_pins_and_is_reported_until_it_is_back() {
    let mut redis = RedisServer::start("outage");
    let (lab, spare) = (simulator().await, simulator().await);
    let dir = temp_dir("outage");
    let devices = tofu_device("lab", &lab.base_url()) + &tofu_device("spare", &spare.base_url());
    let path = portal(&dir, &redis.url(), "", &devices).await;
    let a = RelayProcess::start(&path, &[]).await;
    let b = RelayProcess::start(&path, &[]).await;
    let seen = probe(&a, "lab").await;
    assert_eq!(
        pin(&a, "lab", &seen["sha256_certificate"]).await.status(),
        200
    );
    within(Duration::from_secs(5), "b applies the pin", || async {
        pin_in_use(&b, "lab").await.is_some()
    })
    .await;

    redis.stop();
    within(Duration::from_secs(10), "b notices", || async {
        metric(&b, "tokendeck_shared_state_up").await.as_deref() == Some("0")
    })
    .await;
    // Reported clearly, once, in the log.
    let log = b.output();
    assert_eq!(
        log.matches("the shared state is unreachable").count(),
        1,
        "{log}"
    );
    assert!(log.contains("pins fail closed"), "{log}");
    // The pin b knows still holds: the pinned device is served.
    assert_eq!(relay_code(version(&b, "lab").await).await, None);
    // A device nobody pinned (as far as b can tell) is not dialled under the system roots...
    let refused = version(&b, "spare").await;
    assert_eq!(refused.status(), 503);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "state_unavailable");
    assert!(
        body["message"].as_str().unwrap().contains("shared state"),
        "{body}"
    );
    // ...and nobody can pin it.
    let spare_seen = probe(&b, "spare").await;
    let refused = pin(&b, "spare", &spare_seen["sha256_certificate"]).await;
    assert_eq!(refused.status(), 503);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "state_unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("nothing was pinned"),
        "{body}"
    );
    // The replica stays ready: taking every replica out would help nobody.
    let ready = client().get(b.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // Redis is back (with its data): both recover by themselves.
    redis.restart();
    for relay in [&a, &b] {
        within(Duration::from_secs(10), "recovers", || async {
            metric(relay, "tokendeck_shared_state_up").await.as_deref() == Some("1")
        })
        .await;
    }
    assert!(b.output().contains("the shared state answers"));
    assert_eq!(
        pin_in_use(&b, "lab").await.as_deref(),
        Some(lab.fingerprint.as_str())
    );
    assert_eq!(
        relay_code(version(&b, "spare").await).await.as_deref(),
        Some("untrusted_certificate"),
        "unpinned, and known to be"
    );
    assert_eq!(
        pin(&b, "spare", &spare_seen["sha256_certificate"])
            .await
            .status(),
        200
    );
}

/// PEM of a DER certificate or PKCS#8 key.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_with_a_password_over_tls_and_check_says_what_is_wrong() {
    let ca = TestCa::new();
    let leaf = ca.issue(&["127.0.0.1", "localhost"]);
    let tls = RedisTls {
        cert_pem: pem("CERTIFICATE", &leaf.der),
        key_pem: pem("PRIVATE KEY", leaf.key.secret_der()),
    };
    let redis = RedisServer::start_with("tls", Some("redis-s3cret-password"), Some(&tls));
    let dir = temp_dir("tls");
    write(&dir, "redis-ca.pem", &ca.pem());
    write(&dir, "redis-password", "redis-s3cret-password\n");
    write(&dir, "wrong-password", "not-the-password\n");
    let lab = simulator().await;
    let devices = tofu_device("lab", &lab.base_url());
    let state = |password: &str, ca: bool| {
        let ca = if ca {
            "state_ca = \"redis-ca.pem\"\n"
        } else {
            ""
        };
        format!("state_password_file = \"{password}\"\n{ca}")
    };

    write(&dir, "state-signing-key", &format!("{STATE_KEY}\n"));
    let good = write(
        &dir,
        "good.toml",
        &config(&redis.url(), &state("redis-password", true), &devices),
    );
    let (ok, out) = check(&good, &[]).await;
    assert!(!ok, "not initialised yet: {out}");
    assert!(out.contains("relay --config … --init-state"), "{out}");
    let (ok, out) = init_state(&good, &[]).await;
    assert!(ok, "{out}");
    assert!(
        !out.contains("s3cret"),
        "the password is never printed: {out}"
    );
    let (ok, out) = check(&good, &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("Redis at rediss://127.0.0.1:{}/0", redis.port)),
        "{out}"
    );
    assert!(
        !out.contains("s3cret"),
        "the password is never printed: {out}"
    );

    let wrong = write(
        &dir,
        "wrong.toml",
        &config(&redis.url(), &state("wrong-password", true), &devices),
    );
    let (ok, out) = check(&wrong, &[]).await;
    assert!(!ok);
    assert!(
        out.contains("state_password_file"),
        "says what to check: {out}"
    );

    let no_ca = write(
        &dir,
        "no-ca.toml",
        &config(&redis.url(), &state("redis-password", false), &devices),
    );
    let (ok, out) = check(&no_ca, &[]).await;
    assert!(!ok, "the server's certificate is checked: {out}");
    assert!(out.contains("state_ca"), "{out}");

    // And a replica works over it: pins go through TLS with AUTH.
    let relay = RelayProcess::start(&good, &[]).await;
    let seen = probe(&relay, "lab").await;
    assert_eq!(
        pin(&relay, "lab", &seen["sha256_certificate"])
            .await
            .status(),
        200
    );
}
