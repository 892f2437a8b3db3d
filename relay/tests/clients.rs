//! Who the client is, behind an ingress, over real sockets: from a trusted proxy the client is
//! the rightmost untrusted `X-Forwarded-For` hop, so one person guessing keys locks out only
//! themselves (an IPv6 client with its whole /64), and from anyone else the header changes
//! nothing.

mod common;

use common::{Relay, client, relay_error_code, state};
use relay::access::AccessPolicy;
use relay::guard::ProxyPolicy;
use relay::guard::access_key::MAX_FAILURES;
use relay::inventory::Timeouts;

const KEY: &str = "correct-horse-battery-staple";

async fn relay(trusted: &[&str]) -> Relay {
    let access = AccessPolicy::new(vec![], vec![], Some(KEY.into()), false).unwrap();
    let trusted: Vec<String> = trusted.iter().map(|t| t.to_string()).collect();
    let proxies = ProxyPolicy::new(&trusted, None).unwrap();
    Relay::start(
        state(vec![], Timeouts::default())
            .with_access(access)
            .with_proxies(proxies),
    )
    .await
}

/// `GET /api/devices` with `key`, as the ingress forwards it for `client`.
async fn from(relay: &Relay, client_addr: &str, key: &str) -> reqwest::Response {
    client()
        .get(relay.url("/api/devices"))
        .header("x-forwarded-for", format!("198.51.100.77, {client_addr}"))
        .header("x-tokendeck-access-key", key)
        .send()
        .await
        .unwrap()
}

async fn lock_out(relay: &Relay, client_addr: &str) {
    for _ in 0..MAX_FAILURES {
        let wrong = from(relay, client_addr, "a-wrong-guess-of-the-key").await;
        assert_eq!(relay_error_code(wrong).await, "access_key_wrong");
    }
    let locked = from(relay, client_addr, KEY).await;
    assert_eq!(locked.status(), 429);
    assert_eq!(relay_error_code(locked).await, "rate_limited");
}

#[tokio::test]
async fn behind_a_trusted_ingress_a_guesser_locks_out_only_themselves() {
    // The test's connections come from 127.0.0.1: the ingress.
    let relay = relay(&["127.0.0.1"]).await;
    lock_out(&relay, "203.0.113.9").await;
    assert_eq!(from(&relay, "203.0.113.10", KEY).await.status(), 200);
    // The forged first hop is not who the relay counts: changing it changes nothing.
    let still = client()
        .get(relay.url("/api/devices"))
        .header("x-forwarded-for", "192.0.2.200, 203.0.113.9")
        .header("x-tokendeck-access-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 429);
}

#[tokio::test]
async fn an_ipv6_client_is_locked_out_with_its_whole_64() {
    let relay = relay(&["127.0.0.0/8"]).await;
    lock_out(&relay, "2001:db8:1:2::1").await;
    for same_64 in ["2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"] {
        let rotated = from(&relay, same_64, KEY).await;
        assert_eq!(rotated.status(), 429, "{same_64}");
    }
    assert_eq!(from(&relay, "2001:db8:1:3::1", KEY).await.status(), 200);
}

#[tokio::test]
async fn from_an_untrusted_peer_x_forwarded_for_changes_nothing() {
    let relay = relay(&["10.0.0.0/8"]).await;
    lock_out(&relay, "203.0.113.9").await;
    // Another forged address: still the same client (the connection's), still locked.
    assert_eq!(from(&relay, "203.0.113.10", KEY).await.status(), 429);
}
