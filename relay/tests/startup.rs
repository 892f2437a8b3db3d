//! Start-up tells the truth, for the relay binary as an operator runs it: with trust on first
//! use on, a pin location that cannot be written stops `relay --check` and the relay itself
//! (not the first pin, later, with a 500); `$STATE_DIRECTORY` is where pins go by default; an
//! unreachable Redis is named with what to check; settings that work but are probably wrong
//! are warned about.

mod common;

use common::relay_process::{RelayProcess, check, write};
use common::temp_dir;

const TOFU_DEVICE: &str = r#"
[[devices]]
id = "fmc"
name = "FMC"
kind = "fmc"
base_url = "https://192.0.2.10"
tofu = true
"#;

#[tokio::test]
async fn an_unwritable_pin_location_with_tofu_on_stops_check_and_start_up() {
    let dir = temp_dir("unwritable");
    // A file where the pin file's folder should be: not even root can write below it.
    write(&dir, "not-a-folder", "");
    let config = format!("state_file = \"not-a-folder/tokendeck.state.toml\"\n{TOFU_DEVICE}");
    let path = write(&dir, "tokendeck.toml", &config);

    let (ok, out) = check(&path, &[]).await;
    assert!(!ok, "{out}");
    for says in [
        "not-a-folder/tokendeck.state.toml",
        "tofu = true on fmc",
        "state_file",
        "StateDirectory",
        "redis://",
        "allow_tofu = false",
    ] {
        assert!(out.contains(says), "{says:?} missing from: {out}");
    }
    let refused = RelayProcess::try_start(&path, &[]).await;
    let out = refused.err().expect("the relay refuses to start");
    assert!(out.contains("pins cannot be saved"), "{out}");

    // With trust on first use off, nothing will ever be pinned: fine.
    let off = write(&dir, "off.toml", &format!("allow_tofu = false\n{config}"));
    let (ok, out) = check(&off, &[]).await;
    assert!(ok, "{out}");
}

#[tokio::test]
async fn pins_go_to_the_state_directory_systemd_gives() {
    let dir = temp_dir("state-directory");
    let state_directory = dir.path().join("var-lib-tokendeck");
    std::fs::create_dir_all(&state_directory).unwrap();
    let path = write(&dir, "tokendeck.toml", TOFU_DEVICE);
    let env = [("STATE_DIRECTORY", state_directory.to_str().unwrap())];
    let (ok, out) = check(&path, &env).await;
    assert!(ok, "{out}");
    let expected = state_directory.join("tokendeck.state.toml");
    assert!(
        out.contains(&format!("the pin file {}", expected.display())),
        "{out}"
    );
    assert!(
        out.contains("budget of fmc: 115 requests a minute (5 kept for sign-ins and renewals), 9 calls at once (1 kept)"),
        "{out}"
    );
    // A missing state directory is a start-up error, not a run-time one.
    let env = [("STATE_DIRECTORY", "/nonexistent/tokendeck")];
    let (ok, out) = check(&path, &env).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("/nonexistent/tokendeck/tokendeck.state.toml"),
        "{out}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_is_named_with_what_to_check() {
    let dir = temp_dir("no-redis");
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write(&dir, "state-signing-key", &"k".repeat(44));
    let config = format!(
        "state = \"redis://:hunter2-password@127.0.0.1:{port}/0\"\nstate_signing_key_file = \"state-signing-key\"\n{TOFU_DEVICE}"
    );
    let path = write(&dir, "tokendeck.toml", &config);
    let (ok, out) = check(&path, &[]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("redis://127.0.0.1:{port}/0")),
        "{out}"
    );
    assert!(
        out.contains("unreachable") && out.contains("Check state"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "never the password: {out}");
}

#[tokio::test]
async fn check_warns_about_a_body_limit_above_the_fmc_s_and_per_replica_state() {
    let dir = temp_dir("warnings");
    let config = format!(
        "listen = \"0.0.0.0:8080\"\naccess_key = \"correct-horse-battery-staple\"\nallow_tofu = false\n\n[limits]\nmax_body_bytes = 4194304\n{TOFU_DEVICE}"
    );
    let path = write(&dir, "tokendeck.toml", &config);
    let (ok, out) = check(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("warning: [limits] max_body_bytes = 4194304 is more than a Cisco FMC accepts"),
        "{out}"
    );
    assert!(out.contains("set state = \"redis://…\""), "{out}");
}

/// Two halves of the address space trust everyone as surely as `0.0.0.0/0`: any client could
/// write its own address into `X-Forwarded-For`.
#[tokio::test]
async fn check_refuses_a_catch_all_proxy_list() {
    let dir = temp_dir("catch-all");
    let config = format!(
        "allow_tofu = false\ntrusted_proxies = [\"0.0.0.0/1\", \"128.0.0.0/1\"]\n{TOFU_DEVICE}"
    );
    let path = write(&dir, "tokendeck.toml", &config);
    let (ok, out) = check(&path, &[]).await;
    assert!(!ok, "{out}");
    for says in [
        "trusted_proxies",
        "every IPv4 address",
        "0.0.0.0/1, 128.0.0.0/1",
    ] {
        assert!(out.contains(says), "{says:?} missing from: {out}");
    }
    let narrow = write(
        &dir,
        "narrow.toml",
        &config.replace("\"0.0.0.0/1\", \"128.0.0.0/1\"", "\"10.244.0.0/16\""),
    );
    let (ok, out) = check(&narrow, &[]).await;
    assert!(ok, "{out}");
}

/// `tokendeck.toml` as `deploy/kubernetes/configmap.yaml` holds it.
fn kubernetes_config() -> String {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy/kubernetes/configmap.yaml"),
    )
    .unwrap();
    let block = yaml
        .split_once("tokendeck.toml: |\n")
        .expect("the ConfigMap holds tokendeck.toml")
        .1;
    block
        .lines()
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_kubernetes_config_is_valid_and_draws_no_warning() {
    let dir = temp_dir("kubernetes");
    write(&dir, "access-key", "correct-horse-battery-staple-0123\n");
    write(&dir, "redis-password", "redis-password\n");
    write(&dir, "state-signing-key", &format!("{}\n", "k".repeat(44)));
    write(
        &dir,
        "corp-ca.pem",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    );
    let config = kubernetes_config().replace(
        "/etc/tokendeck-secret/",
        &format!("{}/", dir.path().display()),
    );
    let path = write(&dir, "tokendeck.toml", &config);
    let (settings, ignored) = relay::config::Settings::load(Some(&path), []).unwrap();
    assert!(ignored.is_empty());
    let relay::config::StateLocation::Redis(redis) = &settings.state else {
        panic!("{:?}", settings.state)
    };
    assert!(redis.signing_key.is_some(), "pins in Redis are signed");
    assert!(settings.allow_tofu && settings.devices.iter().any(|d| d.tofu));
    assert_eq!(relay::startup::warnings(&settings), Vec::<String>::new());
}
