//! The two proxies under test as child processes on loopback ports: the shipped relay, pinned
//! to the simulated device's certificate, and nginx with an HTTPS upstream that verifies the
//! same certificate. Both log each request as they ship (the relay at `info` to stdout, nginx
//! its access log to stdout), and the bench drains both pipes the same way.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A child process, killed when dropped.
pub struct Process(Child);

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Process {
    /// SIGTERM first, so nginx's master stops its workers (a SIGKILLed master leaves them
    /// running, holding the port and every file the bench's parent had open); SIGKILL after 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Read and discard a pipe until it closes, so the writer never blocks on it.
fn drain(mut pipe: impl Read + Send + 'static) {
    std::thread::spawn(move || std::io::copy(&mut pipe, &mut std::io::sink()));
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// The shipped relay with one device, `sim`, pinned to the simulator's certificate.
pub struct Relay {
    pub process: Process,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Relay {
    pub fn start(bin: &str, dir: &Path, device: &simulator::RunningDevice) -> anyhow::Result<Self> {
        let config = dir.join("tokendeck.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:0\"\n\n[[devices]]\nid = \"sim\"\nname = \"Simulated BIG-IP\"\n\
                 kind = \"bigip\"\nbase_url = \"{}\"\npin = \"{}\"\n",
                device.base_url(),
                device.fingerprint
            ),
        )?;
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(&config)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {bin}"))?;
        let stdout = child.stdout.take().context("the relay's stdout")?;
        let process = Process(child);
        let mut reader = BufReader::new(stdout);
        // The relay prints its URL once it listens.
        let base = loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                bail!("the relay exited before listening");
            }
            if let Some(url) = line.trim().strip_prefix("Tokendeck console: ") {
                break url.trim_end_matches('/').to_owned();
            }
        };
        drain(reader);
        Ok(Self { process, base })
    }
}

/// nginx as an HTTPS reverse proxy for the device, from its own config in `dir`.
pub struct Nginx {
    pub process: Process,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

/// The path prefix both proxies put before the device's path.
pub const FORWARD_PREFIX: &str = "/api/devices/sim/fwd";

/// The configuration: upstream keep-alive (64 idle connections per worker, HTTP/1.1 with the
/// `Connection` header cleared), TLS to the device verified against exactly the device's
/// certificate under the name it carries (`localhost`), no request cap per connection on either
/// side (the relay has none), one worker per core, every path writable without root.
fn config(dir: &Path, listen: SocketAddr, device: SocketAddr) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log /dev/stdout;
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 100000000;
  upstream device {{
    server {device};
    keepalive 64;
    keepalive_requests 100000000;
  }}
  server {{
    listen {listen};
    client_max_body_size 8m;
    location {FORWARD_PREFIX}/ {{
      proxy_pass https://device/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate {d}/device.pem;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }}
  }}
}}
"#
    )
}

impl Nginx {
    /// nginx takes its port from the config file and cannot bind port 0 and say which it got, so
    /// the bench asks the OS for a free port and lets it go for nginx to bind; another process may
    /// take it in between. Then nginx exits ("Address already in use") and the bench starts it
    /// again on a fresh port, a few times at most.
    pub fn start(bin: &str, dir: &Path, device: &simulator::RunningDevice) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("device.pem"), &device.cert_pem)?;
        let mut tries = 1;
        loop {
            let listen = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            match Self::start_on(bin, dir, device.addr, listen)? {
                Ok(nginx) => return Ok(nginx),
                Err(log) if tries < 5 && log.contains("Address already in use") => {
                    eprintln!("bench: {listen} was taken before nginx bound it; another port");
                    tries += 1;
                }
                Err(log) => bail!("nginx exited before listening:\n{log}"),
            }
        }
    }

    /// Start nginx on `listen`; `Err` with its error log if it exits before listening.
    fn start_on(
        bin: &str,
        dir: &Path,
        device: SocketAddr,
        listen: SocketAddr,
    ) -> anyhow::Result<Result<Self, String>> {
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, listen, device))?;
        let pid_file = dir.join("nginx.pid");
        let _ = std::fs::remove_file(&pid_file);
        let _ = std::fs::remove_file(dir.join("error.log"));
        let nginx = |extra: &[&str]| {
            let mut cmd = Command::new(bin);
            cmd.arg("-p")
                .arg(dir)
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.join("error.log"))
                .args(extra);
            cmd
        };
        let check = nginx(&["-t", "-q"]).output().context("running nginx -t")?;
        if !check.status.success() {
            bail!(
                "nginx refuses the config: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
        let mut child = nginx(&[])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {bin}"))?;
        let stdout = child.stdout.take().context("nginx's stdout")?;
        drain(stdout);
        let mut process = Process(child);
        // nginx says nothing when it is ready. It writes its pid file once its port is bound, so
        // the port answering with that file in place is nginx, not whoever took the port: wait
        // (bounded) for both.
        let pid = process.pid().to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&pid_file).is_ok_and(|p| p.trim() == pid)
            || TcpStream::connect(listen).is_err()
        {
            if let Some(status) = process.0.try_wait()? {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                return Ok(Err(format!("({status}) {log}")));
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen on {listen} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Ok(Self {
            process,
            base: format!("http://{listen}"),
        }))
    }
}
