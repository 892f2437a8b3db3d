//! Login and the token records it creates.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use shared::user_uuid::{f5_name_uuid, user_link};

use super::{BigIp, DEFAULT_TIMEOUT_SECS, referer};
use crate::rest_error;

/// One issued token.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub token: String,
    pub user_name: String,
    pub provider: String,
    pub address: String,
    pub timeout_secs: u64,
    pub start_micros: i64,
    pub last_update_micros: i64,
    pub generation: u64,
}

impl TokenRecord {
    pub fn expiration_micros(&self) -> i64 {
        self.last_update_micros + self.timeout_secs as i64 * 1_000_000
    }

    /// The token object as `/mgmt/shared/authz/tokens/<T>` shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "token": self.token,
            "name": self.token,
            "userName": self.user_name,
            "authProviderName": self.provider,
            "user": {"link": user_link(&self.provider, &self.user_name)},
            "timeout": self.timeout_secs,
            "startTime": format_start_time(self.start_micros),
            "address": self.address,
            "partition": "[All]",
            "generation": self.generation,
            "lastUpdateMicros": self.last_update_micros,
            "expirationMicros": self.expiration_micros(),
            "kind": "shared:authz:tokens:authtokenitemstate",
            "selfLink": format!("https://localhost/mgmt/shared/authz/tokens/{}", self.token),
        })
    }
}

/// `2020-04-30T10:18:49.471+0000`: the device's start-time format (in UTC here).
fn format_start_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let millis = micros.rem_euclid(1_000_000) / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A 26-character token from the base32 alphabet, like `DCECRMQ66WOSPTSGPR7OAGG5SI`.
pub fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    (0..26)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `POST /mgmt/shared/authn/login`.
pub async fn login(
    State(bigip): State<BigIp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: String,
) -> Response {
    let referer = referer(peer);
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return rest_error::framework(
            StatusCode::BAD_REQUEST,
            "Unable to parse login request body: not valid JSON.",
            &referer,
        );
    };
    let username = request
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or("");
    let password = request
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or("");
    let provider = request
        .get("loginProviderName")
        .and_then(Value::as_str)
        .unwrap_or("tmos");
    let authenticated = bigip
        .user(username)
        .is_some_and(|user| user.password == password);
    if !authenticated {
        return rest_error::framework(StatusCode::UNAUTHORIZED, "Authentication failed.", &referer);
    }
    let now = bigip.now_micros();
    let record = TokenRecord {
        token: new_token(),
        user_name: username.to_owned(),
        provider: provider.to_owned(),
        address: referer.clone(),
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        start_micros: now,
        last_update_micros: now,
        generation: 1,
    };
    let token_json = record.to_json();
    bigip.tokens().insert(record.token.clone(), record);
    Json(json!({
        "username": username,
        "loginReference": {"link": format!(
            "https://localhost/mgmt/cm/system/authn/providers/{provider}/{}/login",
            f5_name_uuid(provider)
        )},
        "loginProviderName": provider,
        "token": token_json,
        "generation": 0,
        "lastUpdateMicros": 0,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_use_the_base32_alphabet() {
        let token = new_token();
        assert_eq!(token.len(), 26);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        );
    }

    #[test]
    fn start_time_is_iso_with_millis() {
        assert_eq!(
            format_start_time(1_588_198_729_471_000),
            "2020-04-29T22:18:49.471+0000"
        );
    }
}
