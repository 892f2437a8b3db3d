//! Pins that survive their store: replicas sharing one real `redis-server`, whose pins are signed
//! with the replicas' key under a generation marker. Redis losing its data (a flush, a restart
//! without persistence) reopens no device to trust on first use: the replicas notice within a
//! second, refuse what they cannot vouch for, tell the operator how to restore or re-initialise,
//! and recover when Redis is restored. Pins written without the key are refused, not applied.

mod common;

use std::time::Duration;

use common::portal::{
    STATE_KEY, config, metric, pin, pin_in_use, portal, probe, redis_cli, relay_code, tofu_device,
    version, within,
};
use common::redis_server::RedisServer;
use common::relay_process::{RelayProcess, check, init_state, write};
use common::{simulator, temp_dir};
use relay::replica_store::StateKey;

/// Within 5 s, every one of `relays` says whether the shared state lost its data.
async fn all_say_lost(relays: &[&RelayProcess], lost: bool) {
    let want = if lost { "1" } else { "0" };
    for relay in relays {
        within(Duration::from_secs(5), "pins_lost", || async {
            metric(relay, "tokendeck_shared_state_pins_lost")
                .await
                .as_deref()
                == Some(want)
        })
        .await;
    }
}

/// The relay error of `response`: its code and message.
async fn refusal(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    (status, code, message)
}

/// `DUMP` of `key` (an operator's backup of one key).
async fn dump(cli: &mut redis::aio::MultiplexedConnection, key: &str) -> Vec<u8> {
    redis::cmd("DUMP").arg(key).query_async(cli).await.unwrap()
}

async fn flush_all(cli: &mut redis::aio::MultiplexedConnection) {
    let _: String = redis::cmd("FLUSHALL").query_async(cli).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_losing_its_data_reopens_no_pin_and_a_restore_brings_everything_back() {
    let redis = RedisServer::start("loss");
    let (lab, spare) = (simulator().await, simulator().await);
    let dir = temp_dir("loss");
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
        pin_in_use(&b, "lab").await.as_deref() == Some(lab.fingerprint.as_str())
    })
    .await;
    all_say_lost(&[&a, &b], false).await;

    // The operator's backup, then Redis loses everything.
    let mut cli = redis_cli(&redis).await;
    let backup = [
        ("tokendeck:state", dump(&mut cli, "tokendeck:state").await),
        ("tokendeck:pins", dump(&mut cli, "tokendeck:pins").await),
    ];
    flush_all(&mut cli).await;
    all_say_lost(&[&a, &b], true).await;
    let log = b.output();
    for says in [
        "has lost its data",
        "restore Redis from its backup",
        "--init-state",
        lab.fingerprint.as_str(),
    ] {
        assert!(log.contains(says), "{says:?} missing from b's log:\n{log}");
    }
    // The pin both knew still holds.
    for relay in [&a, &b] {
        assert_eq!(relay_code(version(relay, "lab").await).await, None);
    }
    // A device nobody pinned, as far as they can tell, is not dialled, and nobody can pin it.
    let (status, code, message) = refusal(version(&b, "spare").await).await;
    assert_eq!(
        (status, code.as_str()),
        (503, "state_unavailable"),
        "{message}"
    );
    assert!(message.contains("lost the pins users made"), "{message}");
    let spare_seen = probe(&b, "spare").await;
    let (status, code, message) =
        refusal(pin(&b, "spare", &spare_seen["sha256_certificate"]).await).await;
    assert_eq!(
        (status, code.as_str()),
        (503, "state_unavailable"),
        "{message}"
    );
    assert!(message.contains("nobody can pin"), "{message}");
    // A replica that starts now knows no pin: no device becomes pinnable, or is dialled under
    // the system roots.
    let c = RelayProcess::start(&path, &[]).await;
    all_say_lost(&[&c], true).await;
    let (status, code, _) = refusal(version(&c, "lab").await).await;
    assert_eq!((status, code.as_str()), (503, "state_unavailable"));
    let impostor = serde_json::json!(format!("sha256:{}", "ab".repeat(32)));
    for fingerprint in [&seen["sha256_certificate"], &impostor] {
        let (status, code, _) = refusal(pin(&c, "lab", fingerprint).await).await;
        assert_eq!((status, code.as_str()), (503, "state_unavailable"));
    }
    let ready = common::client().get(c.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "a loss takes no replica out");
    // And --check fails with what to do.
    let (ok, out) = check(&path, &[]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("restore Redis from its backup") && out.contains("--init-state"),
        "{out}"
    );

    // Restored from the backup: everything works again.
    for (key, dumped) in &backup {
        let _: String = redis::cmd("RESTORE")
            .arg(*key)
            .arg(0)
            .arg(dumped.as_slice())
            .arg("REPLACE")
            .query_async(&mut cli)
            .await
            .unwrap();
    }
    all_say_lost(&[&a, &b, &c], false).await;
    within(
        Duration::from_secs(5),
        "c applies the restored pin",
        || async { pin_in_use(&c, "lab").await.as_deref() == Some(lab.fingerprint.as_str()) },
    )
    .await;
    assert_eq!(relay_code(version(&c, "lab").await).await, None);
    assert_eq!(
        pin(&c, "spare", &spare_seen["sha256_certificate"])
            .await
            .status(),
        200
    );
    assert!(c.output().contains("generation marker is valid again"));
    let (ok, out) = check(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(out.contains("2 pin(s) signed, 0 refused"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_from_the_append_only_file_brings_everything_back() {
    let mut redis = RedisServer::start("aof-restore");
    let (lab, spare) = (simulator().await, simulator().await);
    let dir = temp_dir("aof-restore");
    let devices = tofu_device("lab", &lab.base_url()) + &tofu_device("spare", &spare.base_url());
    let path = portal(&dir, &redis.url(), "", &devices).await;
    let a = RelayProcess::start(&path, &[]).await;
    let seen = probe(&a, "lab").await;
    assert_eq!(
        pin(&a, "lab", &seen["sha256_certificate"]).await.status(),
        200
    );
    let backup = temp_dir("aof-backup");
    redis.back_up_append_only_files(&backup.path().join("appendonlydir"));

    flush_all(&mut redis_cli(&redis).await).await;
    all_say_lost(&[&a], true).await;
    redis.restore_append_only_files(&backup.path().join("appendonlydir"));
    all_say_lost(&[&a], false).await;
    within(Duration::from_secs(10), "the store answers", || async {
        metric(&a, "tokendeck_shared_state_up").await.as_deref() == Some("1")
    })
    .await;
    let b = RelayProcess::start(&path, &[]).await;
    assert_eq!(
        pin_in_use(&b, "lab").await.as_deref(),
        Some(lab.fingerprint.as_str()),
        "a replica started after the restore has the pin"
    );
    let spare_seen = probe(&b, "spare").await;
    assert_eq!(
        pin(&b, "spare", &spare_seen["sha256_certificate"])
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_the_loss_with_init_state_lets_users_pin_again() {
    let redis = RedisServer::start("accept-loss");
    let lab = simulator().await;
    let dir = temp_dir("accept-loss");
    let path = portal(&dir, &redis.url(), "", &tofu_device("lab", &lab.base_url())).await;
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
    let mut cli = redis_cli(&redis).await;
    let first: String = redis::cmd("HGET")
        .arg("tokendeck:state")
        .arg("generation")
        .query_async(&mut cli)
        .await
        .unwrap();
    flush_all(&mut cli).await;
    all_say_lost(&[&a, &b], true).await;

    // The operator accepts the loss.
    let (ok, out) = init_state(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("initialised") && !out.contains(&first),
        "{out}"
    );
    all_say_lost(&[&a, &b], false).await;
    for relay in [&a, &b] {
        within(Duration::from_secs(5), "re-initialised", || async {
            relay.output().contains("re-initialised by the operator")
        })
        .await;
        // The old pin went with its generation: the operator's policy again.
        within(
            Duration::from_secs(5),
            "back to the operator's policy",
            || async { pin_in_use(relay, "lab").await.is_none() },
        )
        .await;
    }
    assert_eq!(
        relay_code(version(&b, "lab").await).await.as_deref(),
        Some("untrusted_certificate")
    );
    assert_eq!(
        pin(&b, "lab", &seen["sha256_certificate"]).await.status(),
        200
    );
    within(Duration::from_secs(5), "a applies the new pin", || async {
        pin_in_use(&a, "lab").await.as_deref() == Some(lab.fingerprint.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_written_to_redis_without_the_key_is_refused_not_applied() {
    let redis = RedisServer::start("planted");
    let (spare, race) = (simulator().await, simulator().await);
    let dir = temp_dir("planted");
    let devices = tofu_device("spare", &spare.base_url()) + &tofu_device("race", &race.base_url());
    let path = portal(&dir, &redis.url(), "", &devices).await;
    let a = RelayProcess::start(&path, &[]).await;
    let attacker = format!("sha256:{}", "ee".repeat(32));
    let mut cli = redis_cli(&redis).await;
    let generation: String = redis::cmd("HGET")
        .arg("tokendeck:state")
        .arg("generation")
        .query_async(&mut cli)
        .await
        .unwrap();
    // Unsigned, as anyone who can write Redis could; and signed, with another key.
    let foreign = StateKey::new(&[9; 32]).sign_pin("tokendeck", &generation, "race", &attacker);
    for (device, value) in [("spare", attacker.clone()), ("race", foreign)] {
        let _: i64 = redis::cmd("HSET")
            .arg("tokendeck:pins")
            .arg(device)
            .arg(value)
            .query_async(&mut cli)
            .await
            .unwrap();
    }
    within(Duration::from_secs(5), "both are refused", || async {
        metric(&a, "tokendeck_shared_state_pins_refused")
            .await
            .as_deref()
            == Some("2")
    })
    .await;
    for (device, why) in [
        ("spare", "not signed"),
        ("race", "signature does not match"),
    ] {
        assert_eq!(pin_in_use(&a, device).await, None, "{device}: not applied");
        let (status, code, message) = refusal(version(&a, device).await).await;
        assert_eq!(
            (status, code.as_str()),
            (503, "state_unavailable"),
            "{message}"
        );
        assert!(
            message.contains(&format!("The pin stored for {device}")),
            "{message}"
        );
        assert!(message.contains(why), "{message}");
        let log = a.output();
        assert!(
            log.contains(&format!("refusing the stored pin of {device}")),
            "{log}"
        );
    }
    let (ok, out) = check(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(out.contains("0 pin(s) signed, 2 refused"), "{out}");

    // The operator removes it (the documented way to unpin): the device is pinnable again.
    let _: i64 = redis::cmd("HDEL")
        .arg("tokendeck:pins")
        .arg("spare")
        .query_async(&mut cli)
        .await
        .unwrap();
    within(
        Duration::from_secs(5),
        "spare is no longer refused",
        || async {
            metric(&a, "tokendeck_shared_state_pins_refused")
                .await
                .as_deref()
                == Some("1")
        },
    )
    .await;
    let seen = probe(&a, "spare").await;
    assert_eq!(
        pin(&a, "spare", &seen["sha256_certificate"]).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninitialised_redis_refuses_tofu_devices_until_init_state() {
    let redis = RedisServer::start("uninitialised");
    let (lab, pinned) = (simulator().await, simulator().await);
    let dir = temp_dir("uninitialised");
    let devices = tofu_device("lab", &lab.base_url())
        + &format!(
            "[[devices]]\nid = \"pinned\"\nname = \"pinned\"\nkind = \"bigip\"\nbase_url = \"{}\"\npin = \"{}\"\n",
            pinned.base_url(),
            pinned.fingerprint
        );
    write(&dir, "state-signing-key", &format!("{STATE_KEY}\n"));
    let path = write(&dir, "tokendeck.toml", &config(&redis.url(), "", &devices));
    let (ok, out) = check(&path, &[]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("not initialised") && out.contains("--init-state"),
        "{out}"
    );

    // It starts and is ready: devices pinned by the operator work meanwhile.
    let a = RelayProcess::start(&path, &[]).await;
    let ready = common::client().get(a.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(relay_code(version(&a, "pinned").await).await, None);
    let (status, code, _) = refusal(version(&a, "lab").await).await;
    assert_eq!((status, code.as_str()), (503, "state_unavailable"));
    let seen = probe(&a, "lab").await;
    assert_eq!(seen["can_pin"], false, "{seen}");
    assert_eq!(
        pin(&a, "lab", &seen["sha256_certificate"]).await.status(),
        503
    );

    let (ok, out) = init_state(&path, &[]).await;
    assert!(ok, "{out}");
    all_say_lost(&[&a], false).await;
    assert_eq!(
        pin(&a, "lab", &seen["sha256_certificate"]).await.status(),
        200
    );
    let (ok, out) = init_state(&path, &[]).await;
    assert!(ok && out.contains("already initialised"), "{out}");
    assert!(out.contains("1 pin(s) signed"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_pins_from_before_are_adopted_by_init_state() {
    let redis = RedisServer::start("adopt");
    let lab = simulator().await;
    let dir = temp_dir("adopt");
    // A store from before pins were signed: a pin, and no marker.
    let mut cli = redis_cli(&redis).await;
    let _: i64 = redis::cmd("HSET")
        .arg("tokendeck:pins")
        .arg("lab")
        .arg(&lab.fingerprint)
        .query_async(&mut cli)
        .await
        .unwrap();
    write(&dir, "state-signing-key", &format!("{STATE_KEY}\n"));
    let path = write(
        &dir,
        "tokendeck.toml",
        &config(&redis.url(), "", &tofu_device("lab", &lab.base_url())),
    );
    let (ok, out) = init_state(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("refused, not applied: the pin of lab"),
        "{out}"
    );
    assert!(
        out.contains(&lab.fingerprint) && out.contains("--adopt-pins"),
        "{out}"
    );
    let a = RelayProcess::start(&path, &[]).await;
    assert_eq!(
        pin_in_use(&a, "lab").await,
        None,
        "not applied before it is adopted"
    );

    let (ok, out) = init_state(&path, &["--adopt-pins"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("adopted the pin of lab: {}", lab.fingerprint)),
        "{out}"
    );
    within(
        Duration::from_secs(5),
        "a applies the adopted pin",
        || async { pin_in_use(&a, "lab").await.as_deref() == Some(lab.fingerprint.as_str()) },
    )
    .await;
    assert_eq!(relay_code(version(&a, "lab").await).await, None);
}
