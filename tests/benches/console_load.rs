//! The time from navigation to a usable login form: cold loads of the console in headless
//! Chromium, each in a fresh browser with a fresh profile (nothing cached, no compiled wasm
//! kept), against a relay that `cargo xtask bench` started (`CONSOLE_URL`).
//!
//! Before the page loads, a script registered through the DevTools protocol
//! (`Page.addScriptToEvaluateOnNewDocument`) watches the document and notes
//! `performance.now()` — milliseconds since navigation start — the moment `#username` exists
//! and is enabled. The median of `BENCH_LOADS` (7) loads is judged against the 200 ms target;
//! the tables and the verdict go to `BENCH_OUT/console_load.{md,targets}` when it is set.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use e2e::{Browser, median};
use fantoccini::wd::WebDriverCompatibleCommand;

const TARGET_MS: f64 = 200.0;

/// Sets `window.__tokendeckLoginReadyMs` when the login form's username field is usable.
const WATCH_LOGIN_FORM: &str = r#"
(() => {
  const usable = () => {
    const field = document.getElementById('username');
    return field !== null && field.matches(':enabled');
  };
  const observer = new MutationObserver(() => {
    if (window.__tokendeckLoginReadyMs === undefined && usable()) {
      window.__tokendeckLoginReadyMs = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['disabled'],
  });
})();
"#;

/// What the page itself says about the load, read after the form is usable.
const PAGE_TIMINGS: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const assets = performance.getEntriesByType('resource')
  .filter(r => /\.(wasm|js|css)$/.test(new URL(r.name).pathname));
return {
  ready: window.__tokendeckLoginReadyMs ?? null,
  dom_content_loaded: nav ? nav.domContentLoadedEventEnd : null,
  asset_bytes: assets.reduce((sum, r) => sum + r.encodedBodySize, 0),
};
"#;

/// A Chrome DevTools Protocol command through ChromeDriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.method, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One cold load.
struct Load {
    ready_ms: f64,
    dom_content_loaded_ms: f64,
    asset_bytes: f64,
}

async fn cold_load(url: &str) -> anyhow::Result<Load> {
    let browser = Browser::start().await?;
    browser
        .client
        .issue_cmd(Cdp {
            method: "Page.addScriptToEvaluateOnNewDocument",
            params: serde_json::json!({"source": WATCH_LOGIN_FORM}),
        })
        .await
        .context("registering the login-form watcher")?;
    browser.client.goto(url).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let timings = loop {
        let timings = browser.client.execute(PAGE_TIMINGS, vec![]).await?;
        if !timings["ready"].is_null() {
            break timings;
        }
        if Instant::now() > deadline {
            let page = browser.page_text().await;
            bail!("no usable #username after 30 s; the page shows:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    browser.close().await?;
    let number = |k: &str| {
        timings[k]
            .as_f64()
            .with_context(|| format!("{k} in {timings}"))
    };
    Ok(Load {
        ready_ms: number("ready")?,
        dom_content_loaded_ms: number("dom_content_loaded")?,
        asset_bytes: number("asset_bytes")?,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("CONSOLE_URL")
        .context("CONSOLE_URL is not set: run `cargo xtask bench`, which starts a relay")?;
    let loads: usize = std::env::var("BENCH_LOADS")
        .ok()
        .map(|v| v.parse())
        .transpose()
        .context("BENCH_LOADS")?
        .unwrap_or(7);
    if loads == 0 {
        bail!("BENCH_LOADS must be at least 1");
    }
    println!("console load: {loads} cold loads of {url} in headless Chromium");
    let mut done = Vec::new();
    for i in 0..loads {
        let load = cold_load(&url).await?;
        println!(
            "  load {}: login form usable at {:.0} ms (DOMContentLoaded {:.0} ms, {:.0} B of wasm/js/css)",
            i + 1,
            load.ready_ms,
            load.dom_content_loaded_ms,
            load.asset_bytes
        );
        done.push(load);
    }
    let ready = median(done.iter().map(|l| l.ready_ms).collect());
    let (fastest, slowest) = done
        .iter()
        .map(|l| l.ready_ms)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let markdown = format!(
        "| cold loads | usable login form, median | fastest | slowest | DOMContentLoaded, median | wasm + js + css the browser received |\n\
         |---:|---:|---:|---:|---:|---:|\n\
         | {loads} | {ready:.0} ms | {fastest:.0} ms | {slowest:.0} ms | {:.0} ms | {:.0} B |\n",
        median(done.iter().map(|l| l.dom_content_loaded_ms).collect()),
        median(done.iter().map(|l| l.asset_bytes).collect()),
    );
    let verdict = format!(
        "{} login form usable within {TARGET_MS:.0} ms of navigation (median of {loads} cold loads): {ready:.0} ms",
        if ready <= TARGET_MS { "PASS" } else { "FAIL" }
    );
    println!("\n{markdown}\n{verdict}");
    if let Some(out) = std::env::var_os("BENCH_OUT").map(std::path::PathBuf::from) {
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("console_load.md"), markdown)?;
        std::fs::write(out.join("console_load.targets"), verdict + "\n")?;
    }
    Ok(())
}
