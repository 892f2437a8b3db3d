//! Harness for Tokendeck's end-to-end tests: a [`Stack`] (simulated devices plus a relay serving
//! the built console, all on `127.0.0.1:0`) and a [`Browser`] (headless Chromium driven through
//! ChromeDriver).
//!
//! Run through `cargo xtask test`, which builds the console first and sets `TOKENDECK_DIST`,
//! `CHROME` and `CHROMEDRIVER`.

pub mod cpu;
pub mod latency;
pub mod order;
pub mod source;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use relay::AppState;
use relay::demo::{DemoDevices, start_demo_devices};
use relay::inventory::adhoc::AdHocPolicy;
use relay::inventory::{DeviceConfig, Inventory, InventoryOptions, Timeouts};
use relay::trust::TrustPolicy;
use shared::wire::DeviceKind;
use simulator::{Clock, RunningDevice, SimConfig};

/// Where the built console is; `cargo xtask test` sets it after a fresh Trunk build.
pub fn dist_dir() -> PathBuf {
    let dist = std::env::var_os("TOKENDECK_DIST").map(PathBuf::from).expect(
        "TOKENDECK_DIST is not set: run the end-to-end tests with `cargo xtask test`, which builds the console first",
    );
    assert!(
        dist.join("index.html").exists(),
        "{} has no index.html: the console was not built",
        dist.display()
    );
    dist
}

/// How an extra simulated device (beside the demo's, one of each kind) is trusted by the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtraTrust {
    /// No trust policy of the operator's: users may pin it (trust on first use).
    FirstUse,
    /// The operator pinned a certificate the device does not present.
    WrongPin,
}

/// What a test's stack is made of.
pub struct StackOptions {
    pub clock: Clock,
    pub access: relay::access::AccessPolicy,
    /// Extra simulated devices: (id, name, kind, trust).
    pub extra: Vec<(&'static str, &'static str, DeviceKind, ExtraTrust)>,
    pub sim: SimConfig,
    /// The relay's ad-hoc allowlist (`[ad_hoc] allowed`); loopback is admitted for tests.
    pub ad_hoc: Vec<String>,
    /// The console the relay serves, if not the one built for the tests ([`dist_dir`]).
    pub dist: Option<PathBuf>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            clock: Clock::manual(),
            access: relay::access::AccessPolicy::default(),
            extra: Vec::new(),
            sim: SimConfig::default(),
            ad_hoc: Vec::new(),
            dist: None,
        }
    }
}

/// The median of some measurements (NaN for none), for the benchmarks.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Simulated devices and a relay in front of them.
pub struct Stack {
    pub clock: Clock,
    pub devices: DemoDevices,
    /// The extra devices, in the order asked for.
    pub extra: Vec<RunningDevice>,
    pub relay_addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Stack {
    /// Start the demo devices (with a manual clock) and a relay serving the built console.
    pub async fn start() -> Result<Self> {
        Self::start_with_options(StackOptions::default()).await
    }

    /// [`Stack::start`] with the relay's access rules (e.g. an access key).
    pub async fn start_with(access: relay::access::AccessPolicy) -> Result<Self> {
        Self::start_with_options(StackOptions {
            access,
            ..StackOptions::default()
        })
        .await
    }

    /// A stack as `options` describe it.
    pub async fn start_with_options(options: StackOptions) -> Result<Self> {
        let clock = options.clock;
        let sim = SimConfig {
            clock: clock.clone(),
            ..options.sim
        };
        let devices = start_demo_devices(clock.clone()).await?;
        let mut configs = devices.inventory.clone();
        let mut extra = Vec::new();
        for (id, name, kind, trust) in options.extra {
            let device = simulator::start(kind, "127.0.0.1:0".parse()?, sim.clone()).await?;
            let trust = match trust {
                ExtraTrust::FirstUse => TrustPolicy::Ca { roots_pem: None },
                // Some other device's certificate: never what this one presents.
                ExtraTrust::WrongPin => {
                    TrustPolicy::pin(&devices.running[0].fingerprint).map_err(anyhow::Error::msg)?
                }
            };
            configs.push(DeviceConfig {
                id: id.into(),
                name: name.into(),
                kind,
                base_url: device.base_url().parse()?,
                tofu: matches!(trust, TrustPolicy::Ca { .. }),
                trust,
            });
            extra.push(device);
        }
        let ad_hoc = AdHocPolicy::parse(&options.ad_hoc)
            .map_err(anyhow::Error::msg)?
            .admitting_loopback_for_tests();
        let inventory = Inventory::with_options(
            configs,
            Timeouts::default(),
            InventoryOptions {
                ad_hoc,
                ..InventoryOptions::default()
            },
        )?;
        let dist = options.dist.unwrap_or_else(dist_dir);
        let state = AppState::new(inventory, Some(dist)).with_access(options.access);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let relay_addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(relay::serve(listener, state, async {
            let _ = rx.await;
        }));
        Ok(Self {
            clock,
            devices,
            extra,
            relay_addr,
            shutdown: Some(tx),
        })
    }

    /// `http://<relay>/devices/<id>/<page>`.
    pub fn page(&self, device: &str, page: &str) -> String {
        format!("http://{}/devices/{device}/{page}", self.relay_addr)
    }

    /// The demo's kinds, in the order the console lists them (every kind, `DeviceKind::ALL`).
    pub fn kinds(&self) -> impl Iterator<Item = DeviceKind> + '_ {
        self.devices.running.iter().map(|device| device.kind)
    }

    /// The id of the demo's device of `kind`: `<kind>-sim` (`bigip-sim`).
    pub fn id(&self, kind: DeviceKind) -> String {
        format!("{}-sim", kind.name())
    }

    /// The name of the demo's device of `kind`, as the device list shows it.
    pub fn name(&self, kind: DeviceKind) -> &str {
        self.devices
            .inventory
            .iter()
            .find(|device| device.kind == kind)
            .map(|device| device.name.as_str())
            .expect("the demo has one device of each kind")
    }

    /// `http://<relay>/devices/<id>/<page>` for the demo's device of `kind`.
    pub fn page_of(&self, kind: DeviceKind, page: &str) -> String {
        self.page(&self.id(kind), page)
    }

    /// `/devices/<id>/<landing page>`: where the console shows the demo's device of `kind`
    /// first.
    pub fn home_path(&self, kind: DeviceKind) -> String {
        let home = shared::devices::profile(kind).home();
        format!("/devices/{}/{home}", self.id(kind))
    }

    /// The landing page of the demo's device of `kind`, as a URL.
    pub fn home(&self, kind: DeviceKind) -> String {
        format!("http://{}{}", self.relay_addr, self.home_path(kind))
    }

    /// The simulated device of this kind from the demo's devices (one of each kind).
    pub fn device(&self, kind: DeviceKind) -> &RunningDevice {
        self.devices
            .running
            .iter()
            .find(|d| d.kind == kind)
            .expect("the demo has one device of each kind")
    }

    /// An HTTPS client that trusts exactly this simulated device's certificate, for acting on
    /// the device behind the console's back.
    pub fn client_for(device: &RunningDevice) -> Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(device.cert_pem.as_bytes())?)
            .build()?)
    }

    /// The status the demo device of `kind` answers to `GET path` with `token` in the kind's
    /// token header (e.g. 401 once the console logged out and ended the session).
    pub async fn status_with_token(
        &self,
        kind: DeviceKind,
        path: &str,
        token: &str,
    ) -> Result<u16> {
        let device = self.device(kind);
        let header = shared::devices::profile(kind).token_header;
        let reply = Self::client_for(device)?
            .get(format!("{}{path}", device.base_url()))
            .header(header, token)
            .send()
            .await?;
        Ok(reply.status().as_u16())
    }

    /// Move the simulated devices' clock and the console's together.
    pub async fn advance(&self, browser: &Browser, by: Duration) -> Result<()> {
        self.clock.advance(by);
        browser.advance_clock(by).await
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.relay_addr)
    }

    /// The simulated BIG-IP.
    pub fn bigip(&self) -> &RunningDevice {
        self.device(DeviceKind::Bigip)
    }

    /// An HTTPS client that trusts exactly the simulated BIG-IP's certificate.
    pub fn bigip_client(&self) -> Result<reqwest::Client> {
        self.client(DeviceKind::Bigip)
    }

    /// An HTTPS client that trusts exactly the certificate of the demo's device of `kind`.
    pub fn client(&self, kind: DeviceKind) -> Result<reqwest::Client> {
        Self::client_for(self.device(kind))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Headless Chromium under a private ChromeDriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Removed after the browser is stopped ([`Browser`]'s `drop` runs before its fields').
    _profile: tempfile::TempDir,
}

/// Block until ChromeDriver says it listens (it prints so on stdout, "… started successfully
/// on port N."), or it exits; the port it listens on.
fn wait_until_started(driver: &mut Child) -> Result<u16> {
    use std::io::BufRead;
    let stdout = driver.stdout.take().context("chromedriver's stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut said = Vec::new();
    while let Some(line) = lines.next() {
        let line = line?;
        if line.contains("started successfully") {
            let port = line
                .rsplit_once("on port ")
                .and_then(|(_, port)| port.trim_end_matches('.').parse().ok())
                .with_context(|| format!("no port in chromedriver's {line:?}"))?;
            // Keep draining, so a later line never meets a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(port);
        }
        said.push(line);
    }
    bail!("chromedriver exited before listening:\n{}", said.join("\n"))
}

impl Browser {
    pub async fn start() -> Result<Self> {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let chrome = std::env::var("CHROME").unwrap_or("/usr/bin/chromium".into());
        // The profile, and the temporary files Chromium makes (`TMPDIR`, which ChromeDriver
        // passes on): a browser killed rather than closed cannot remove its own, so they go
        // where the guard removes them with the profile.
        let profile = tempfile::Builder::new()
            .prefix("tokendeck-chrome-")
            .tempdir()
            .context("making a profile folder")?;
        // Port 0: ChromeDriver binds a free port itself and says which, so no other process
        // can take the port between choosing it and binding it.
        let mut driver = Command::new(&chromedriver)
            .arg("--port=0")
            .env("TMPDIR", profile.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {chromedriver}"))?;
        let port = wait_until_started(&mut driver)?;
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,860".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"binary": chrome, "args": args}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a Chromium session")?;
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Wait (up to 20 s) for an element and return its text.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => Ok(element.text().await?),
            Err(err) => {
                let page = self.page_text().await;
                let shot = self.screenshot("failure").await.ok();
                bail!("waiting for {css}: {err}; the page shows:\n{page}\n(screenshot: {shot:?})")
            }
        }
    }

    /// Wait (up to 20 s) until the element's text satisfies `pred`; returns the text.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> Result<String> {
        let waited = self
            .poll(
                None,
                async || Ok(self.text_of(css).await.unwrap_or_default()),
                |text| pred(text),
                |text, page| format!("{css} still reads {text:?}; the page shows:\n{page}"),
            )
            .await;
        match waited {
            Ok(text) => Ok(text),
            Err(err) => {
                let shot = self.screenshot("failure").await.ok();
                bail!("{err}\n(screenshot: {shot:?})")
            }
        }
    }

    /// Read with `read` until `done` accepts what it read, for up to 20 s, pausing `pause`
    /// between reads (`None`: only let other tasks run); then fail with `stuck`'s sentence, given
    /// the last read and the page's text.
    async fn poll<T>(
        &self,
        pause: Option<Duration>,
        read: impl AsyncFn() -> Result<T>,
        done: impl Fn(&T) -> bool,
        stuck: impl Fn(&T, &str) -> String,
    ) -> Result<T> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = read().await?;
            if done(&value) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                let page = self.page_text().await;
                bail!("{}", stuck(&value, &page));
            }
            match pause {
                Some(pause) => tokio::time::sleep(pause).await,
                None => tokio::task::yield_now().await,
            }
        }
    }

    /// Move the console's clock forward (the simulated devices' clock is moved separately).
    pub async fn advance_clock(&self, by: Duration) -> Result<()> {
        self.client
            .execute(
                "window.__tokendeckClockOffsetMs = (window.__tokendeckClockOffsetMs || 0) + arguments[0]; return null;",
                vec![serde_json::json!(by.as_millis() as u64)],
            )
            .await?;
        Ok(())
    }

    /// Open a device page and submit its login form.
    pub async fn submit_login(&self, url: &str, user: &str, password: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.fill("#username", user).await?;
        self.fill("#password", password).await?;
        self.click("#login").await
    }

    /// A new browser, signed in as `user` on the device page at `url`.
    pub async fn start_signed_in(url: &str, user: &str, password: &str) -> Result<Self> {
        let browser = Self::start().await?;
        browser.sign_in(url, user, password).await?;
        Ok(browser)
    }

    /// Open a device page and sign in there.
    pub async fn sign_in(&self, url: &str, user: &str, password: &str) -> Result<()> {
        self.submit_login(url, user, password).await?;
        self.wait_text("#countdown", |t| t.contains(':')).await?;
        Ok(())
    }

    /// Count Activity rows whose text contains all of `needles` (opens the Activity page).
    pub async fn activity_rows(&self, needles: &[&str]) -> Result<usize> {
        self.click("#tab-activity").await?;
        self.text_of("#activity-table").await?;
        // One read of every row's text: rows re-render while calls finish.
        let texts = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll('#activity-table tbody tr')).map(r => r.innerText.replace(/\\n/g, ' '))",
                vec![],
            )
            .await?;
        let rows: Vec<String> = serde_json::from_value(texts)?;
        Ok(rows
            .iter()
            .filter(|text| needles.iter().all(|n| text.contains(n)))
            .count())
    }

    /// Wait (up to 20 s) until at least `at_least` Activity rows contain all of `needles`.
    pub async fn wait_activity(&self, needles: &[&str], at_least: usize) -> Result<usize> {
        self.poll(
            Some(Duration::from_millis(200)),
            async || self.activity_rows(needles).await,
            |n| *n >= at_least,
            |n, page| {
                format!(
                    "{at_least} Activity rows with {needles:?} never appeared ({n}); the page shows:\n{page}"
                )
            },
        )
        .await
    }

    /// The path of the page shown.
    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    /// Wait (up to 20 s) until the page's path satisfies `pred` (the router has moved);
    /// returns the path.
    pub async fn wait_path(&self, pred: impl Fn(&str) -> bool) -> Result<String> {
        let url = self.wait_url(|url| pred(url.path())).await?;
        Ok(url.path().to_owned())
    }

    /// Wait (up to 20 s) until the page's whole URL satisfies `pred` (e.g. it left the console).
    pub async fn wait_url(&self, pred: impl Fn(&url::Url) -> bool) -> Result<url::Url> {
        self.poll(
            Some(Duration::from_millis(50)),
            async || Ok(self.client.current_url().await?),
            pred,
            |url, page| format!("the page stayed at {url}; it shows:\n{page}"),
        )
        .await
    }

    /// Whether any element matches `css` right now.
    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The visible text of the whole page, for failure messages.
    pub async fn page_text(&self) -> String {
        self.client
            .execute("return document.body.innerText", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Type into an input (clearing it first).
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await?;
        element.clear().await?;
        element.send_keys(value).await?;
        Ok(())
    }

    /// The current value of an input.
    pub async fn value_of(&self, css: &str) -> Result<String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await?;
        Ok(element.prop("value").await?.unwrap_or_default())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Save a PNG screenshot under `target/e2e-screenshots/`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// ChromeDriver's process id: Chromium's processes are below it.
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    pub async fn close(mut self) -> Result<()> {
        let result = self.client.clone().close().await;
        stop_tree(&mut self.driver);
        result.map_err(Into::into)
    }
}

impl Drop for Browser {
    /// Also when a test panics before [`Browser::close`]: Chromium and its helpers run below
    /// ChromeDriver and outlive it unless stopped themselves.
    fn drop(&mut self) {
        stop_tree(&mut self.driver);
    }
}

/// Kill `child` and every process below it (listed first: once `child` is gone they are
/// re-parented and no longer found below it).
fn stop_tree(child: &mut Child) {
    let below = cpu::descendants(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if !below.is_empty() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(below.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_takes_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(super::median(vec![5.0, 1.0, 3.0]), 3.0);
        assert_eq!(super::median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(super::median(vec![]).is_nan());
    }
}
