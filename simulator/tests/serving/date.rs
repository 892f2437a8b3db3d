//! Every reply of every simulated device carries `Date` from the device's own clock: a
//! manual test clock and a sped-up demo clock both show in it.

use std::time::{Duration, SystemTime};

use reqwest::header::DATE;
use shared::devices::{Credentials, profile};
use shared::wire::DeviceKind;
use simulator::{Clock, SimConfig};

use crate::common::{Sim, client_for};

fn date_of(reply: &reqwest::Response) -> SystemTime {
    let text = reply.headers()[DATE].to_str().unwrap();
    httpdate::parse_http_date(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn device_time(clock: &Clock) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_micros(clock.now_micros() as u64)
}

fn close(a: SystemTime, b: SystemTime) -> bool {
    let diff = a.duration_since(b).unwrap_or_else(|e| e.duration());
    diff <= Duration::from_secs(2)
}

/// Calls that reach every part of a kind's device: its login, its other token calls, its clock
/// probe, its Explorer roots (those without a scope to fill in), and a path it does not serve.
fn calls_of(kind: DeviceKind) -> Vec<(String, String)> {
    let p = profile(kind);
    let login = (p.login)(&Credentials {
        username: "admin".into(),
        password: "admin".into(),
        provider: p.provider.default.into(),
    });
    let probe = (p.clock_probe)("stale");
    let mut calls = vec![(login.method.to_owned(), login.path)];
    calls.extend(p.token_calls.iter().map(|call| {
        let path = if call.with_token {
            format!("{}/stale", call.path)
        } else {
            call.path.to_owned()
        };
        (call.method.to_owned(), path)
    }));
    calls.push((probe.method.to_owned(), probe.path));
    calls.extend(
        p.explorer
            .roots
            .iter()
            .filter(|root| !root.contains('{'))
            .map(|root| ("GET".to_owned(), (*root).to_owned())),
    );
    calls.push(("GET".to_owned(), "/nowhere".to_owned()));
    calls
}

#[tokio::test]
async fn every_reply_of_every_device_is_dated_by_the_device_clock() {
    for kind in DeviceKind::ALL {
        let calls = calls_of(kind);
        let sim = Sim::start(kind).await;
        sim.advance(3 * 86_400 + 17);
        let expected = device_time(&sim.clock);
        assert!(!close(expected, SystemTime::now()), "the clock moved");
        for (method, path) in &calls {
            let reply = sim
                .http
                .request(method.parse().unwrap(), sim.url(path))
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap();
            assert!(
                close(date_of(&reply), expected),
                "{kind:?} {method} {path} ({}): {:?}",
                reply.status(),
                reply.headers().get(DATE)
            );
        }
        // A refusal before any handler runs (a body over the limit) is dated too.
        let refused = sim
            .post(&calls[0].1)
            .header("content-type", "application/json")
            .body(vec![b' '; 5 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert!(refused.status().is_client_error(), "{}", refused.status());
        assert!(close(date_of(&refused), expected), "{kind:?} refusal");
    }
}

#[tokio::test]
async fn a_sped_up_clock_shows_in_the_date_header() {
    let clock = Clock::with_speed(3600.0);
    let config = SimConfig {
        clock: clock.clone(),
        ..SimConfig::default()
    };
    let device = simulator::start(DeviceKind::Fmc, "127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let http = client_for(&device);
    let url = format!(
        "{}/api/fmc_platform/v1/info/serverversion",
        device.base_url()
    );
    let first = date_of(&http.get(&url).send().await.unwrap());
    // A tenth of a real second is six device minutes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = date_of(&http.get(&url).send().await.unwrap());
    let moved = second.duration_since(first).unwrap();
    assert!(moved >= Duration::from_secs(300), "{moved:?}");
    assert!(close(second, device_time(&clock)) || second <= device_time(&clock));
}
