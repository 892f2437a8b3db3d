//! Forwarding over real sockets: nothing in a path or header steers the relay, only allowlisted
//! headers cross it, redirects are handed back (never followed), and timeouts and the body limit
//! answer with the relay's own errors.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::{
    Relay, TestCert, TlsServer, client, device, raw, recording_router, relay_error_code, state,
};
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;

async fn recording_device(
    reply_headers: Vec<(&'static str, &'static str)>,
) -> (TlsServer, common::Log, TestCert) {
    let cert = TestCert::self_signed();
    let (router, log) = recording_router(reply_headers);
    let server = TlsServer::start(&cert, router).await;
    (server, log, cert)
}

/// A relay in front of one recording device `lab`, pinned.
async fn relay_before_recording_device(
    reply_headers: Vec<(&'static str, &'static str)>,
) -> (Relay, common::Log, TlsServer) {
    let (server, log, cert) = recording_device(reply_headers).await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &server.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    )])
    .await;
    (relay, log, server)
}

#[tokio::test]
async fn no_path_can_leave_the_device_or_its_base_url() {
    let (relay, log, _server) = relay_before_recording_device(vec![]).await;
    for target in [
        "/api/devices/lab/fwd/../../../etc/passwd",
        "/api/devices/lab/fwd/mgmt/../../x",
        "/api/devices/lab/fwd/mgmt/%2e%2e/%2E%2E/x",
        "/api/devices/lab/fwd/mgmt/.%2e/x",
        "/api/devices/lab/fwd/mgmt%2f..%2fx",
        "/api/devices/lab/fwd/%252e%252e/x",
        "/api/devices/lab/fwd//evil.example/x",
        "/api/devices/lab/fwd/https://evil.example/x",
        "/api/devices/lab/fwd/http:%2F%2Fevil.example/x",
        "/api/devices/lab/fwd/admin@evil.example/x",
        "/api/devices/lab/fwd/mgmt/%40evil.example",
        "/api/devices/lab/fwd/mgmt/%0d%0aHost:%20evil.example",
        "/api/devices/lab/fwd/mgmt/%00",
        "/api/devices/lab/fwd/mgmt\\..\\x",
    ] {
        let (status, reply) = raw(relay.addr, "GET", target, "").await;
        assert!(
            status == 403 || status == 400 || status == 404,
            "{target}: {status}\n{reply}"
        );
        assert!(
            reply
                .to_ascii_lowercase()
                .contains("x-tokendeck-relay-error: 1")
                || status == 400,
            "{target}: {reply}"
        );
    }
    // Absolute-form request targets and IP literals in the path or Host never pick the target.
    for (target, extra) in [
        ("http://127.0.0.1:1/api/devices/lab/fwd/mgmt/x", ""),
        ("/api/devices/lab/fwd/127.0.0.1:22/x", ""),
        (
            "/api/devices/lab/fwd/mgmt/x",
            "X-Forwarded-Host: 127.0.0.1:22\r\n",
        ),
        (
            "/api/devices/lab/fwd/mgmt/x?url=https://169.254.169.254/",
            "",
        ),
    ] {
        let (status, reply) = raw(relay.addr, "GET", target, extra).await;
        assert_eq!(status, 200, "{target}: {reply}");
    }
    let seen: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path_and_query.clone())
        .collect();
    assert_eq!(
        seen,
        vec![
            "/mgmt/x",
            "/127.0.0.1:22/x",
            "/mgmt/x",
            "/mgmt/x?url=https://169.254.169.254/"
        ],
        "only the configured device was dialled, with the path as given"
    );
    // A device that is not in the inventory cannot be named.
    let (status, _) = raw(relay.addr, "GET", "/api/devices/127.0.0.1/fwd/x", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_allowlisted_headers_cross_in_either_direction() {
    let (server, log, cert) = recording_device(vec![
        ("x-auth-access-token", "new-access"),
        ("x-auth-refresh-token", "new-refresh"),
        ("domain_uuid", "e276abec-e0f2-11e3-8169-6d9ed49b625f"),
        ("retry-after", "3"),
        ("set-cookie", "BIGIPAuthCookie=abc; Path=/"),
        ("server", "Apache"),
        ("location", "https://evil.example/"),
        ("connection", "keep-alive"),
        ("x-frame-options", "ALLOWALL"),
        ("access-control-allow-origin", "*"),
    ])
    .await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &server.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    )])
    .await;
    let response = client()
        .post(relay.url("/api/devices/lab/fwd/mgmt/tm/ltm/node?expandSubcollections=true"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .header("X-F5-Auth-Token", "tok")
        .header("X-auth-access-token", "acc")
        .header("X-auth-refresh-token", "ref")
        .header("X-F5-REST-Coordination-Id", "1")
        .header("Cookie", "session=stolen")
        .header("X-Forwarded-For", "10.9.9.9")
        .header("Proxy-Authorization", "Basic x")
        .header("Origin", format!("http://{}", relay.addr))
        .header("Referer", "http://127.0.0.1/secret-page")
        .header("X-Tokendeck-Access-Key", "not-for-devices")
        .header("TE", "trailers")
        .body("{\"name\":\"web\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    for (name, value) in [
        ("x-auth-access-token", "new-access"),
        ("x-auth-refresh-token", "new-refresh"),
        ("domain_uuid", "e276abec-e0f2-11e3-8169-6d9ed49b625f"),
        ("retry-after", "3"),
        ("content-type", "application/json"),
    ] {
        assert_eq!(headers.get(name).unwrap(), value, "{name} passes back");
    }
    for name in [
        "set-cookie",
        "server",
        "location",
        "access-control-allow-origin",
    ] {
        assert!(headers.get(name).is_none(), "{name} must not pass back");
    }
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(
        headers.get("content-length").unwrap(),
        "11",
        "a reply of known length keeps it (not re-sent chunked)"
    );
    assert!(headers.get("transfer-encoding").is_none());
    assert!(headers.get("x-request-id").is_some());
    assert_eq!(
        response.text().await.unwrap(),
        "{\"ok\":true}",
        "body unchanged"
    );

    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.headers.get("content-length").unwrap(),
        "14",
        "the upload is streamed with the client's Content-Length"
    );
    assert_eq!(
        seen.path_and_query,
        "/mgmt/tm/ltm/node?expandSubcollections=true"
    );
    assert_eq!(seen.body, b"{\"name\":\"web\"}");
    for name in [
        "accept",
        "content-type",
        "authorization",
        "x-f5-auth-token",
        "x-auth-access-token",
        "x-auth-refresh-token",
        "x-f5-rest-coordination-id",
    ] {
        assert!(
            seen.headers.get(name).is_some(),
            "{name} reaches the device"
        );
    }
    for name in [
        "cookie",
        "x-forwarded-for",
        "proxy-authorization",
        "origin",
        "referer",
        "x-tokendeck-access-key",
        "te",
    ] {
        assert!(
            seen.headers.get(name).is_none(),
            "{name} must not reach the device"
        );
    }
}

#[tokio::test]
async fn redirects_are_handed_back_without_location_and_never_followed() {
    let (target, target_log, _) = recording_device(vec![]).await;
    let location = format!("{}/stolen", target.base_url());
    let cert = TestCert::self_signed();
    let redirecting = Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                axum::http::StatusCode::FOUND,
                [("location", location)],
                "moved",
            )
        }
    });
    let server = TlsServer::start(&cert, redirecting).await;
    let relay = Relay::with_devices(vec![device(
        "lab",
        &server.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    )])
    .await;
    let response = client()
        .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .header("X-F5-Auth-Token", "secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "the device's status passes through");
    assert!(response.headers().get("location").is_none());
    assert!(response.headers().get("x-tokendeck-relay-error").is_none());
    assert!(
        target_log.lock().unwrap().is_empty(),
        "the token went nowhere else"
    );
}

#[tokio::test]
async fn a_device_that_never_answers_times_out_within_the_configured_limit() {
    let cert = TestCert::self_signed();
    let silent = Router::new().route("/{*path}", get(std::future::pending::<()>));
    let server = TlsServer::start(&cert, silent).await;
    // A port that accepts TCP but never speaks TLS.
    let mute = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mute_addr = mute.local_addr().unwrap();
    let timeouts = Timeouts {
        connect: Duration::from_millis(200),
        request: Duration::from_millis(200),
        ..Timeouts::default()
    };
    let pin = TrustPolicy::pin(&cert.fingerprint()).unwrap();
    let relay = Relay::start(state(
        vec![
            device("silent", &server.base_url(), pin.clone()),
            device("mute", &format!("https://{mute_addr}"), pin),
        ],
        timeouts,
    ))
    .await;
    for id in ["silent", "mute"] {
        let started = Instant::now();
        let response = client()
            .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(response.status(), 504, "{id}");
        assert_eq!(relay_error_code(response).await, "timeout", "{id}");
        assert!(elapsed < Duration::from_secs(3), "{id}: took {elapsed:?}");
    }
    drop(mute);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_before_reaching_the_device() {
    let (server, log, cert) = recording_device(vec![]).await;
    let state = state(
        vec![device(
            "lab",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )],
        Timeouts::default(),
    )
    .with_max_body(1024);
    let relay = Relay::start(state).await;
    let http = client();
    let big = http
        .post(relay.url("/api/devices/lab/fwd/mgmt/x"))
        .body(vec![b'a'; 1025])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(relay_error_code(big).await, "body_too_large");
    // Chunked, with no Content-Length to refuse early.
    let chunks =
        futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 512])));
    let streamed = http
        .post(relay.url("/api/devices/lab/fwd/mgmt/x"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(relay_error_code(streamed).await, "body_too_large");
    let ok = http
        .post(relay.url("/api/devices/lab/fwd/mgmt/x"))
        .body(vec![b'a'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_device_whose_kind_accepts_less_gets_its_kinds_body_limit() {
    let (server, log, cert) = recording_device(vec![]).await;
    // A kind with a body limit of its own, under a relay that would forward more.
    let (kind, accepted) = shared::kind::DeviceKind::ALL
        .into_iter()
        .find_map(|k| Some((k, shared::devices::profile(k).max_body_bytes?)))
        .expect("a kind with a body limit");
    let config = relay::inventory::DeviceConfig {
        kind,
        ..device(
            "small",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )
    };
    let relay =
        Relay::start(state(vec![config], Timeouts::default()).with_max_body(8 * 1024 * 1024)).await;
    let over = client()
        .post(relay.url("/api/devices/small/fwd/api/x"))
        .body(vec![b'a'; accepted as usize + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 413);
    let body: serde_json::Value = over.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("limit of {accepted} bytes")),
        "{body}"
    );
    assert!(log.lock().unwrap().is_empty(), "refused before the device");
}

#[tokio::test]
async fn a_device_id_sent_percent_encoded_names_the_same_device() {
    let (relay, log, _server) = relay_before_recording_device(vec![]).await;
    // `lab` with its first letter encoded: looked up decoded, and the device path found
    // where the grammar puts it, whatever the id's spelling.
    let (status, reply) = raw(relay.addr, "GET", "/api/devices/%6Cab/fwd/mgmt/tm/sys", "").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(log.lock().unwrap()[0].path_and_query, "/mgmt/tm/sys");
}

#[tokio::test]
async fn an_unreachable_device_and_an_unknown_device_are_relay_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let relay = Relay::with_devices(vec![device(
        "gone",
        &format!("https://127.0.0.1:{port}"),
        TrustPolicy::Insecure,
    )])
    .await;
    let http = client();
    let gone = http
        .get(relay.url("/api/devices/gone/fwd/mgmt/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 502);
    assert_eq!(relay_error_code(gone).await, "device_unreachable");
    let unknown = http
        .get(relay.url("/api/devices/nope/fwd/mgmt/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(relay_error_code(unknown).await, "unknown_device");
}

#[tokio::test]
async fn route_domain_names_travel_as_percent_25_and_double_encoded_escapes_do_not() {
    let (relay, log, _server) = relay_before_recording_device(vec![]).await;
    for node in [
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~10.1.1.1%250",
        // Route domain 40 reads exactly like a double-encoded `@`, and still passes.
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~10.1.1.1%2540",
    ] {
        let (status, reply) = raw(relay.addr, "GET", node, "").await;
        assert_eq!(status, 200, "{reply}");
    }
    for refused in [
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/%252e%252e/x",
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/%252F..",
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/a%255Cb",
        // The hex digits encoded too, CR LF, an `@` that is no route domain, NUL.
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/%25%32%65%25%32%65/x",
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/a%250d%250aHost:%20evil",
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/%2540evil",
        "/api/devices/lab/fwd/mgmt/tm/ltm/node/a%2500",
    ] {
        let (status, reply) = raw(relay.addr, "GET", refused, "").await;
        assert_eq!(status, 403, "{refused}: {reply}");
        assert!(reply.contains("\"code\":\"forbidden_target\""), "{reply}");
    }
    let seen: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path_and_query.clone())
        .collect();
    assert_eq!(
        seen,
        vec![
            "/mgmt/tm/ltm/node/~Common~10.1.1.1%250",
            "/mgmt/tm/ltm/node/~Common~10.1.1.1%2540"
        ]
    );
}

#[tokio::test]
async fn only_the_methods_devices_use_are_forwarded() {
    let (relay, log, _server) = relay_before_recording_device(vec![]).await;
    for method in ["TRACE", "PROPFIND", "BREW"] {
        let (status, reply) = raw(relay.addr, method, "/api/devices/lab/fwd/mgmt/x", "").await;
        assert_eq!(status, 405, "{method}: {reply}");
        let lower = reply.to_ascii_lowercase();
        assert!(lower.contains("x-tokendeck-relay-error: 1"), "{reply}");
        assert!(
            lower.contains("allow: get, head, post, put, patch, delete"),
            "{reply}"
        );
        assert!(reply.contains("\"code\":\"method_not_allowed\""), "{reply}");
    }
    let (status, reply) = raw(relay.addr, "CONNECT", "127.0.0.1:22", "").await;
    assert!(status >= 400, "{reply}");
    // OPTIONS is the CORS layer's to answer; it never reaches a device either.
    let (_, reply) = raw(relay.addr, "OPTIONS", "/api/devices/lab/fwd/mgmt/x", "").await;
    assert!(!reply.contains("{\"ok\":true}"), "{reply}");
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
        let (status, reply) = raw(
            relay.addr,
            method,
            "/api/devices/lab/fwd/mgmt/x",
            "Content-Length: 0\r\n",
        )
        .await;
        assert_eq!(status, 200, "{method}: {reply}");
    }
    let methods: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.method.clone())
        .collect();
    assert_eq!(methods, ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
}

#[tokio::test]
async fn non_utf8_paths_and_oversized_json_get_relay_errors() {
    let (relay, log, _server) = relay_before_recording_device(vec![]).await;
    for (method, target) in [
        ("POST", "/api/devices/%FF%FE/probe"),
        ("GET", "/api/devices/%C3%28/fwd/mgmt/x"),
    ] {
        let (status, reply) = raw(relay.addr, method, target, "Content-Length: 0\r\n").await;
        assert_eq!(status, 404, "{target}: {reply}");
        assert!(
            reply
                .to_ascii_lowercase()
                .contains("x-tokendeck-relay-error: 1"),
            "{reply}"
        );
        assert!(reply.contains("\"code\":\"unknown_device\""), "{reply}");
    }
    // Not UTF-8 in the device's part of the path: the device decides.
    let (status, _) = raw(relay.addr, "GET", "/api/devices/lab/fwd/mgmt/%FF", "").await;
    assert_eq!(status, 200);
    assert_eq!(log.lock().unwrap()[0].path_and_query, "/mgmt/%FF");

    let huge = format!("{{\"fingerprint\":\"{}\"}}", "a".repeat(100_000));
    let too_large = client()
        .post(relay.url("/api/devices/lab/trust"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    assert_eq!(relay_error_code(too_large).await, "body_too_large");
    let malformed = client()
        .post(relay.url("/api/devices"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(relay_error_code(malformed).await, "bad_request");
}
