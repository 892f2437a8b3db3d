//! iControl REST (BIG-IP) request and reply shapes the app reads, and the pure readers for them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The header that carries a BIG-IP or BIG-IQ token.
pub const AUTH_TOKEN_HEADER: &str = "X-F5-Auth-Token";
/// Login endpoint (BIG-IP and BIG-IQ).
pub const LOGIN_PATH: &str = "/mgmt/shared/authn/login";
/// Software version endpoint.
pub const VERSION_PATH: &str = "/mgmt/tm/sys/version";
/// Token collection.
pub const TOKENS_PATH: &str = "/mgmt/shared/authz/tokens";

/// Body of `POST /mgmt/shared/authn/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub login_provider_name: String,
}

/// `{"link": "…"}` references found throughout iControl REST bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub link: String,
}

/// A token object, as found in the login reply and in `/mgmt/shared/authz/tokens/<T>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    pub token: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub auth_provider_name: String,
    #[serde(default)]
    pub user: Option<Link>,
    /// Lifetime in seconds, counted from the last update of the token.
    pub timeout: u64,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Epoch microseconds at which the token stops working (BIG-IP only; BIG-IQ sends `exp`).
    #[serde(default)]
    pub expiration_micros: Option<i64>,
    /// JWT expiry in epoch seconds (BIG-IQ).
    #[serde(default)]
    pub exp: Option<i64>,
    /// JWT issue time in epoch seconds (BIG-IQ).
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub last_update_micros: Option<i64>,
}

impl AuthToken {
    /// A token known only by its value and lifetime (FMC's header tokens), for feeding the
    /// lifecycle machine; its expiry is counted from when it is received.
    pub fn opaque(token: impl Into<String>, timeout_secs: u64) -> Self {
        Self {
            token: token.into(),
            user_name: String::new(),
            auth_provider_name: String::new(),
            user: None,
            timeout: timeout_secs,
            start_time: None,
            address: None,
            expiration_micros: None,
            exp: None,
            iat: None,
            last_update_micros: None,
        }
    }

    /// When this token expires, in epoch microseconds, if the device said so.
    pub fn expires_at_micros(&self) -> Option<i64> {
        self.expiration_micros
            .or_else(|| self.exp.map(|s| s.saturating_mul(1_000_000)))
    }

    /// When the device issued (or last updated) this token, in epoch microseconds.
    pub fn issued_at_micros(&self) -> Option<i64> {
        self.last_update_micros
            .filter(|m| *m > 0)
            .or_else(|| self.iat.map(|s| s.saturating_mul(1_000_000)))
    }
}

/// Reply of a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginReply {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub login_provider_name: Option<String>,
    pub token: AuthToken,
    #[serde(default)]
    pub refresh_token: Option<AuthToken>,
}

/// The main-package rows of `GET /mgmt/tm/sys/version`, plus any hotfixes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VersionInfo {
    pub product: String,
    pub version: String,
    pub build: String,
    pub edition: String,
    pub date: String,
    pub title: String,
    /// Entries after the first (installed hotfixes), by their description.
    pub hotfixes: Vec<String>,
}

/// Why a version body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionParseError {
    #[error("the reply is not JSON: {0}")]
    NotJson(String),
    #[error("the reply has no `entries` object; is this really /mgmt/tm/sys/version?")]
    NoEntries,
}

/// Read the `nestedStats` shape of `GET /mgmt/tm/sys/version`.
///
/// Entries are keyed by `https://localhost/mgmt/tm/sys/version/<n>`; entry 0 is the main
/// package, later ones are hotfixes whose rows each carry a `description`.
pub fn parse_version(body: &str) -> Result<VersionInfo, VersionParseError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| VersionParseError::NotJson(e.to_string()))?;
    let entries = value
        .get("entries")
        .and_then(Value::as_object)
        .ok_or(VersionParseError::NoEntries)?;
    let mut indexed: Vec<(u64, &Value)> = entries
        .iter()
        .map(|(key, entry)| {
            let index = key
                .rsplit('/')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            (index, entry)
        })
        .collect();
    indexed.sort_by_key(|(index, _)| *index);

    let rows = |entry: &Value| -> Vec<(String, String)> {
        entry
            .pointer("/nestedStats/entries")
            .and_then(Value::as_object)
            .map(|rows| {
                rows.iter()
                    .map(|(name, row)| {
                        let description = row
                            .get("description")
                            .map(|d| d.as_str().map(str::to_owned).unwrap_or(d.to_string()))
                            .unwrap_or_default();
                        (name.clone(), description)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };

    let mut info = VersionInfo::default();
    let mut iter = indexed.into_iter();
    if let Some((_, main)) = iter.next() {
        for (name, description) in rows(main) {
            match name.as_str() {
                "Product" => info.product = description,
                "Version" => info.version = description,
                "Build" => info.build = description,
                "Edition" => info.edition = description,
                "Date" => info.date = description,
                "Title" => info.title = description,
                _ => {}
            }
        }
    }
    for (_, hotfix) in iter {
        info.hotfixes
            .extend(rows(hotfix).into_iter().map(|(_, description)| description));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"{
      "username": "foo",
      "loginReference": {"link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"},
      "loginProviderName": "tmos",
      "token": {
        "token": "DCECRMQ66WOSPTSGPR7OAGG5SI", "name": "DCECRMQ66WOSPTSGPR7OAGG5SI",
        "userName": "foo", "authProviderName": "tmos",
        "user": {"link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8"},
        "timeout": 1200, "startTime": "2020-04-30T10:18:49.471+1200", "address": "",
        "partition": "[All]", "generation": 1, "lastUpdateMicros": 1588198729470534,
        "expirationMicros": 1588199929471000, "kind": "shared:authz:tokens:authtokenitemstate",
        "selfLink": "https://localhost/mgmt/shared/authz/tokens/DCECRMQ66WOSPTSGPR7OAGG5SI"
      },
      "generation": 0, "lastUpdateMicros": 0
    }"#;

    #[test]
    fn reads_the_seed_login_reply() {
        let reply: LoginReply = serde_json::from_str(LOGIN).unwrap();
        assert_eq!(reply.token.token, "DCECRMQ66WOSPTSGPR7OAGG5SI");
        assert_eq!(reply.token.timeout, 1200);
        assert_eq!(reply.token.expires_at_micros(), Some(1588199929471000));
        assert_eq!(reply.refresh_token, None);
    }

    #[test]
    fn bigiq_tokens_expire_by_exp_seconds() {
        let token: AuthToken = serde_json::from_value(serde_json::json!({
            "token": "eyJ…", "timeout": 300, "exp": 1476680018
        }))
        .unwrap();
        assert_eq!(token.expires_at_micros(), Some(1_476_680_018_000_000));
    }

    #[test]
    fn login_request_uses_camel_case() {
        let body = serde_json::to_value(LoginRequest {
            username: "admin".into(),
            password: "admin".into(),
            login_provider_name: "tmos".into(),
        })
        .unwrap();
        assert_eq!(body["loginProviderName"], "tmos");
    }

    #[test]
    fn reads_version_and_hotfixes_in_index_order() {
        let body = r#"{
          "kind": "tm:sys:version:versionstats",
          "selfLink": "https://localhost/mgmt/tm/sys/version?ver=17.1.3",
          "entries": {
            "https://localhost/mgmt/tm/sys/version/1": {"nestedStats": {"entries": {
              "ID1009161_3": {"description": "ID1009161-3"}}}},
            "https://localhost/mgmt/tm/sys/version/0": {"nestedStats": {"entries": {
              "Build": {"description": "0.20.11"},
              "Date": {"description": "Sun Oct 12 12:43:02 PDT 2025"},
              "Edition": {"description": "Engineering Hotfix"},
              "Product": {"description": "BIG-IP"},
              "Title": {"description": "Main Package"},
              "Version": {"description": "17.1.3"}}}}
          }
        }"#;
        let info = parse_version(body).unwrap();
        assert_eq!(info.product, "BIG-IP");
        assert_eq!(info.version, "17.1.3");
        assert_eq!(info.build, "0.20.11");
        assert_eq!(info.edition, "Engineering Hotfix");
        assert_eq!(info.title, "Main Package");
        assert_eq!(info.hotfixes, vec!["ID1009161-3".to_string()]);
    }

    #[test]
    fn version_errors_say_what_is_wrong() {
        assert!(matches!(
            parse_version("nope"),
            Err(VersionParseError::NotJson(_))
        ));
        assert_eq!(parse_version("{}"), Err(VersionParseError::NoEntries));
    }
}
