//! The end-to-end harness itself: a browser a test drops without closing (a test that panics
//! midway) stops with everything below its ChromeDriver, leaving no Chromium running.

use std::time::{Duration, Instant};

use e2e::{Browser, cpu};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_dropped_without_close_leaves_no_chromium_running() {
    let browser = Browser::start().await.expect("browser");
    browser.client.goto("about:blank").await.unwrap();
    let below = cpu::descendants(browser.driver_pid());
    assert!(!below.is_empty(), "Chromium runs below ChromeDriver");
    drop(browser);
    // Killed processes go once reaped; wait for that, within a bound.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alive: Vec<u32> = below
            .iter()
            .copied()
            .filter(|&p| cpu::is_running(p))
            .collect();
        if alive.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after the browser was dropped: {alive:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
