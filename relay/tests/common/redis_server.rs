//! A real `redis-server` for the tests: the program `REDIS_SERVER` names (`cargo xtask test`
//! installs Debian's package and sets it), else `redis-server` on PATH. It listens on a free
//! loopback port, keeps its data (append-only file) in a temporary folder so a restart keeps
//! the pins, and is killed when dropped — or when the test that started it ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// TLS for the server: its certificate and key (PEM) and the CA clients are told to trust.
pub struct RedisTls {
    pub cert_pem: String,
    pub key_pem: String,
}

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    /// A config file, given first (before the options `args` and the port override).
    config: Option<PathBuf>,
    args: Vec<String>,
    tls: bool,
}

fn program() -> PathBuf {
    std::env::var_os("REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "redis-server".into())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A child process that is sent SIGKILL when the thread that started it ends.
pub fn dies_with_its_test(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

impl RedisServer {
    /// A plain server, no password.
    pub fn start(name: &str) -> Self {
        Self::start_with(name, None, None)
    }

    /// A server that wants `password` (AUTH) and, with `tls`, speaks only TLS.
    pub fn start_with(name: &str, password: Option<&str>, tls: Option<&RedisTls>) -> Self {
        let dir = Self::fresh_dir(name);
        let mut args: Vec<String> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            String::new(),
            "--appendonly".into(),
            "yes".into(),
            "--appendfsync".into(),
            "always".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--logfile".into(),
            dir.join("redis.log").display().to_string(),
        ];
        if let Some(password) = password {
            args.extend(["--requirepass".into(), password.into()]);
        }
        if let Some(tls) = tls {
            std::fs::write(dir.join("server.pem"), &tls.cert_pem).unwrap();
            std::fs::write(dir.join("server.key"), &tls.key_pem).unwrap();
            args.extend([
                "--tls-cert-file".into(),
                dir.join("server.pem").display().to_string(),
                "--tls-key-file".into(),
                dir.join("server.key").display().to_string(),
                "--tls-auth-clients".into(),
                "no".into(),
            ]);
        }
        Self::launched(Self {
            child: None,
            port: 0,
            dir,
            config: None,
            args,
            tls: tls.is_some(),
        })
    }

    /// A server run as `redis-server <config>` (an operator's rendered config file), on a free
    /// loopback port, its data and log in a folder of its own.
    pub fn start_with_config(name: &str, config: &Path) -> Self {
        let dir = Self::fresh_dir(name);
        let args = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--logfile".into(),
            dir.join("redis.log").display().to_string(),
        ];
        Self::launched(Self {
            child: None,
            port: 0,
            dir,
            config: Some(config.to_owned()),
            args,
            tls: false,
        })
    }

    fn fresh_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tokendeck-redis-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn launched(mut server: Self) -> Self {
        // A free port can be taken between the check and the bind: try a few.
        for _ in 0..5 {
            server.port = free_port();
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start; its log:\n{}", server.log());
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server runs").id()
    }

    /// Stop the server, put the append-only files in `backup` (a copy of its
    /// `appendonlydir`) in place of its own, and start it again: a restore from a file backup.
    pub fn restore_append_only_files(&mut self, backup: &Path) {
        self.stop();
        let own = self.dir.join("appendonlydir");
        let _ = std::fs::remove_dir_all(&own);
        copy_dir(backup, &own);
        self.restart();
    }

    /// A copy of the server's append-only files in `to` (a file backup).
    pub fn back_up_append_only_files(&self, to: &Path) {
        copy_dir(&self.dir.join("appendonlydir"), to);
    }

    /// Start the server on `self.port`; whether it is ready.
    fn launch(&mut self) -> bool {
        let port = self.port.to_string();
        let ports: Vec<&str> = if self.tls {
            vec!["--port", "0", "--tls-port", &port]
        } else {
            vec!["--port", &port]
        };
        let _ = std::fs::remove_file(self.dir.join("redis.log"));
        let mut command = Command::new(program());
        command
            .args(&self.config)
            .args(&ports)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = dies_with_its_test(&mut command)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): install Debian's redis-server (cargo xtask test does) or \
                 set REDIS_SERVER",
                    program().display()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log().contains("Ready to accept connections") {
                return true;
            }
            if let Some(child) = self.child.as_mut()
                && child.try_wait().unwrap().is_some()
            {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `redis://127.0.0.1:<port>/0` (`rediss://` for a TLS server).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// Kill the server (Redis "goes away").
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port, with the data it had.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.launch() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Copy the files of the folder `from` into a new folder `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
