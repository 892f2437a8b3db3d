//! The Kubernetes manifests in `deploy/` do what their comments say, run for real where that
//! can be done here: Redis gets its password from the Secret's file through a config file its
//! init container renders, so the password is in no command line and no environment.

mod common;

use std::path::Path;

use common::redis_server::RedisServer;
use common::temp_dir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn manifest(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy/kubernetes")
            .join(name),
    )
    .unwrap()
}

/// The script of the init container `config` (`args: - |` block), as written.
fn init_script(yaml: &str) -> String {
    let after = yaml
        .split_once("- name: config\n")
        .expect("an init container named config")
        .1;
    let block = after.split_once("- |\n").expect("a script block").1;
    let indent = block.len() - block.trim_start().len();
    block
        .lines()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn proc_file(pid: u32, name: &str) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/{name}")).unwrap()
}

#[tokio::test]
async fn the_redis_manifest_keeps_its_password_off_the_command_line() {
    let yaml = manifest("redis.yaml");
    // Neither on the command line nor in the environment of the container.
    assert!(!yaml.contains("--requirepass"), "{yaml}");
    assert!(!yaml.contains("REDIS_PASSWORD"), "{yaml}");
    assert!(
        !yaml.contains("secretKeyRef"),
        "no Secret in an environment variable"
    );
    assert!(yaml.contains("command: [\"redis-server\", \"/config/redis.conf\"]"));

    // The init container's script, run as written against a password file.
    let dir = temp_dir("redis-manifest");
    let secrets = dir.path().join("secrets");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    let password = "manifest-s3cret-0123456789abcdef";
    std::fs::write(secrets.join("password"), format!("{password}\n")).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script = init_script(&yaml)
        .replace("/run/secrets/redis", secrets.to_str().unwrap())
        .replace("/config/", &format!("{}/", config.display()))
        .replace("dir /data", &format!("dir {}", data.display()));
    let rendered = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{rendered:?}\n{script}");
    let conf = config.join("redis.conf");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&conf).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only Redis's user reads it");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("appendonly yes"), "{text}");
    assert!(text.contains("appendfsync everysec"), "{text}");

    // A real Redis from that file (the data folder and port are the test's own).
    let redis = RedisServer::start_with_config("manifest", &conf);
    let pid = redis.pid();
    for proc in ["cmdline", "environ"] {
        let seen = proc_file(pid, proc);
        assert!(
            !seen
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "the password is in /proc/{pid}/{proc}"
        );
    }
    // Without the password: refused.
    let mut anonymous = tokio::net::TcpStream::connect(("127.0.0.1", redis.port))
        .await
        .unwrap();
    anonymous.write_all(b"PING\r\n").await.unwrap();
    let mut said = [0u8; 64];
    let n = anonymous.read(&mut said).await.unwrap();
    let said = String::from_utf8_lossy(&said[..n]);
    assert!(said.starts_with("-NOAUTH"), "{said}");
    let with_password = format!("redis://:{password}@127.0.0.1:{}/0", redis.port);
    let mut authed = redis::Client::open(with_password.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut authed).await.unwrap();
    assert_eq!(pong, "PONG");
    // Nobody flushes it by accident.
    let flush = redis::cmd("FLUSHALL")
        .query_async::<String>(&mut authed)
        .await
        .unwrap_err();
    assert!(flush.to_string().contains("unknown command"), "{flush}");
}

#[test]
fn every_replica_reads_the_state_signing_key_the_config_names() {
    let deployment = manifest("deployment.yaml");
    let config = manifest("configmap.yaml");
    let secret = manifest("secret.example.yaml");
    assert!(
        config.contains("state_signing_key_file = \"/etc/tokendeck-secret/state-signing-key\"")
    );
    assert!(
        deployment.contains("name: tokendeck-state-key"),
        "{deployment}"
    );
    assert!(
        deployment.contains("path: state-signing-key"),
        "{deployment}"
    );
    assert!(deployment.contains("mountPath: /etc/tokendeck-secret"));
    assert!(secret.contains("name: tokendeck-state-key"), "{secret}");
    assert!(secret.contains("openssl rand -base64 32"), "{secret}");
    let redis = manifest("redis.yaml");
    assert!(
        !redis.contains("tokendeck-state-key"),
        "Redis never holds the key"
    );
}
