//! "Copy as curl": a call from the Activity log as one line a user can paste into a shell.
//!
//! Secrets: a password (in a JSON body, at any depth) and HTTP Basic credentials are always
//! replaced by `********`; tokens (auth headers, `Bearer`, `…token` fields of a body) are
//! masked with [`mask_secret`] unless the user chose to reveal them. A body that is not JSON
//! (or too deep to parse) is withheld when it mentions a password (or passphrase, or
//! secret), or a token unrevealed. Every word that is not plainly safe is single-quoted, with
//! `'` written as `'\''`, so nothing in a URL (`$select`), header or body is expanded by the
//! shell.

use serde_json::Value;

use crate::devices::headers::{is_secret_header, is_secret_query_param};
use crate::session::mask_secret;

/// What replaces a password or Basic credentials, always.
pub const PASSWORD_MASK: &str = "********";

/// One HTTP call as the app made it (device URL, not the relay's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpCall {
    pub method: String,
    /// Full URL, e.g. `https://10.1.1.245/mgmt/tm/ltm/node?$select=name`.
    pub url: String,
    /// Header names and values, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// The call as a `curl -sk …` line; tokens shown in full only when `reveal` is true.
pub fn to_curl(call: &HttpCall, reveal: bool) -> String {
    let mut words = vec![
        "curl".to_string(),
        "-sk".to_string(),
        shell_quote(&mask_query(&call.url, reveal, is_secret_query_param)),
    ];
    let method = call.method.trim().to_ascii_uppercase();
    if !method.is_empty() && method != "GET" {
        words.push("-X".into());
        words.push(shell_quote(&method));
    }
    let has_content_type = call
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let body = call.body.as_deref().filter(|b| !b.is_empty());
    let json_body = body.and_then(|b| serde_json::from_str::<Value>(b).ok());
    if json_body.is_some() && !has_content_type {
        words.push("-H".into());
        words.push(shell_quote("Content-Type: application/json"));
    }
    for (name, value) in &call.headers {
        words.push("-H".into());
        words.push(shell_quote(&format!(
            "{name}: {}",
            header_value(name, value, reveal)
        )));
    }
    if let Some(body) = body {
        let shown = match json_body {
            Some(mut value) => {
                if mask_body(&mut value, reveal) {
                    value.to_string()
                } else {
                    body.to_string()
                }
            }
            None if mentions_a_password(body) => {
                "<body withheld: it may contain a password>".to_string()
            }
            // Not JSON to mask (a form, or JSON nested deeper than the parser goes).
            None if !reveal && body.to_ascii_lowercase().contains("token") => {
                "<body withheld: it may contain a token>".to_string()
            }
            None => body.to_string(),
        };
        words.push("-d".into());
        words.push(shell_quote(&shown));
    }
    words.join(" ")
}

/// A URL with the values of its secret query parameters masked (unless revealed): a kind that
/// takes a credential in the query (`Profile::secret_query_params`) shows it no more than in a
/// header.
fn mask_query(url: &str, reveal: bool, is_secret: fn(&str) -> bool) -> String {
    let Some((base, query)) = url.split_once('?').filter(|_| !reveal) else {
        return url.to_string();
    };
    let (query, fragment) = query
        .split_once('#')
        .map_or((query, None), |(q, f)| (q, Some(f)));
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret(name) => format!("{name}={}", mask_secret(value)),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Whether a body that cannot be masked field by field may hold a password (a `password`,
/// `passphrase` or `secret` field, as [`mask_body`] reads them, in any form).
fn mentions_a_password(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    ["password", "passphrase", "secret"]
        .iter()
        .any(|word| lower.contains(word))
}

/// A header value with its secret masked.
fn header_value(name: &str, value: &str, reveal: bool) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" || lower == "proxy-authorization" {
        // The scheme ends at any whitespace (a tab or two spaces as well as one); a value
        // without one is all credentials.
        let (scheme, credentials) = value
            .trim()
            .split_once(|c: char| c.is_ascii_whitespace())
            .map_or(("", ""), |(scheme, rest)| (scheme, rest.trim_start()));
        return if scheme.is_empty() {
            PASSWORD_MASK.to_string()
        } else if scheme.eq_ignore_ascii_case("basic") {
            format!("{scheme} {PASSWORD_MASK}")
        } else if reveal {
            value.to_string()
        } else {
            format!("{scheme} {}", mask_secret(credentials))
        };
    }
    if is_secret_header(&lower) && !reveal {
        return mask_secret(value);
    }
    value.to_string()
}

/// Mask secrets inside a JSON body; returns whether anything was masked.
fn mask_body(value: &mut Value, reveal: bool) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let lower = key.to_ascii_lowercase();
                if lower.contains("password") || lower == "passphrase" || lower == "secret" {
                    if *field != Value::String(PASSWORD_MASK.into()) {
                        *field = Value::String(PASSWORD_MASK.into());
                        changed = true;
                    }
                } else if lower.ends_with("token") && !reveal && field.is_string() {
                    let masked = mask_secret(field.as_str().unwrap_or_default());
                    *field = Value::String(masked);
                    changed = true;
                } else {
                    changed |= mask_body(field, reveal);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= mask_body(item, reveal);
            }
        }
        _ => {}
    }
    changed
}

/// A word as a POSIX shell reads it back unchanged: bare when every character is plainly
/// safe, otherwise single-quoted with `'` written as `'\''`.
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_query_parameters_are_masked_unless_revealed() {
        let key = |name: &str| name == "key";
        let url =
            "https://fw.lab/api/?type=op&key=LUFRPT14MW5xOEo1R09KVlBZNnpnemh0VHRBOWl6TGM9&cmd=x";
        let masked = mask_query(url, false, key);
        assert!(
            !masked.contains("LUFRPT14MW5xOEo1R09KVlBZNnpnemh0VHRBOWl6TGM9"),
            "{masked}"
        );
        assert!(
            masked.starts_with("https://fw.lab/api/?type=op&key=") && masked.ends_with("&cmd=x")
        );
        assert_eq!(mask_query(url, true, key), url);
        assert_eq!(mask_query("https://a/b", false, key), "https://a/b");
        assert_eq!(
            mask_query("https://a/b?x=1#key=2", false, key),
            "https://a/b?x=1#key=2"
        );
    }

    const HOST: &str = "https://10.1.1.245";
    const TOKEN: &str = "DCECRMQ66WOSPTSGPR7OAGG5SI";

    fn call(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> HttpCall {
        HttpCall {
            method: method.into(),
            url: format!("{HOST}{path}"),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.map(str::to_owned),
        }
    }

    #[test]
    fn renders_calls_like_the_seeds() {
        let auth = [("X-F5-Auth-Token", TOKEN)];
        let cases = [
            (
                "login: password always hidden, even revealed",
                call(
                    "POST",
                    "/mgmt/shared/authn/login",
                    &[],
                    Some(r#"{"username":"foo","password":"fooPass","loginProviderName":"tmos"}"#),
                ),
                true,
                r#"curl -sk https://10.1.1.245/mgmt/shared/authn/login -X POST -H 'Content-Type: application/json' -d '{"loginProviderName":"tmos","password":"********","username":"foo"}'"#,
            ),
            (
                "GET with a masked token",
                call("GET", "/mgmt/tm/sys/version", &auth, None),
                false,
                "curl -sk https://10.1.1.245/mgmt/tm/sys/version -H 'X-F5-Auth-Token: ••••••••••••G5SI'",
            ),
            (
                "PATCH with the token revealed, body kept verbatim",
                call(
                    "patch",
                    "/mgmt/shared/authz/tokens/DCECRMQ66WOSPTSGPR7OAGG5SI",
                    &[("Content-Type", "application/json"), auth[0]],
                    Some(r#"{"timeout" : 4200}"#),
                ),
                true,
                r#"curl -sk https://10.1.1.245/mgmt/shared/authz/tokens/DCECRMQ66WOSPTSGPR7OAGG5SI -X PATCH -H 'Content-Type: application/json' -H 'X-F5-Auth-Token: DCECRMQ66WOSPTSGPR7OAGG5SI' -d '{"timeout" : 4200}'"#,
            ),
            (
                "$select is quoted so the shell leaves it alone",
                call("GET", "/mgmt/tm/ltm/node?$select=name,address", &[], None),
                false,
                "curl -sk 'https://10.1.1.245/mgmt/tm/ltm/node?$select=name,address'",
            ),
            (
                "single quotes in a body survive",
                call(
                    "POST",
                    "/mgmt/tm/ltm/node",
                    &[],
                    Some(r#"{"name":"n1","description":"Bob's node"}"#),
                ),
                false,
                r#"curl -sk https://10.1.1.245/mgmt/tm/ltm/node -X POST -H 'Content-Type: application/json' -d '{"name":"n1","description":"Bob'\''s node"}'"#,
            ),
            (
                "Basic credentials always hidden",
                call(
                    "POST",
                    "/api/fmc_platform/v1/auth/generatetoken",
                    &[("Authorization", "Basic YWRtaW46c2VjcmV0")],
                    None,
                ),
                true,
                "curl -sk https://10.1.1.245/api/fmc_platform/v1/auth/generatetoken -X POST -H 'Authorization: Basic ********'",
            ),
            (
                "BIG-IQ refresh token in a body is masked",
                call(
                    "POST",
                    "/mgmt/shared/authn/exchange",
                    &[],
                    Some(r#"{"refreshToken":{"token":"eyJhbGciOiJSUzI1NiJ9.x.y"}}"#),
                ),
                false,
                r#"curl -sk https://10.1.1.245/mgmt/shared/authn/exchange -X POST -H 'Content-Type: application/json' -d '{"refreshToken":{"token":"••••••••••••.x.y"}}'"#,
            ),
            (
                "DELETE with a Bearer token",
                call(
                    "DELETE",
                    "/x",
                    &[("Authorization", "Bearer abcdefghijklmnop")],
                    None,
                ),
                false,
                "curl -sk https://10.1.1.245/x -X DELETE -H 'Authorization: Bearer ••••••••••••mnop'",
            ),
            (
                "a non-JSON body that mentions a password is withheld",
                call("POST", "/x", &[], Some("username=a&password=b")),
                true,
                "curl -sk https://10.1.1.245/x -X POST -d '<body withheld: it may contain a password>'",
            ),
        ];
        for (name, call, reveal, want) in cases {
            assert_eq!(to_curl(&call, reveal), want, "case: {name}");
        }
    }

    /// Found by the `curl_render` property: a tab after `Basic` showed the credentials, and a
    /// value without a scheme showed whole.
    #[test]
    fn credentials_stay_hidden_whatever_separates_them() {
        let credentials = "OnB3OE1BUktFUnE="; // ":pw8MARKERq"
        for (value, reveal, want) in [
            (format!("Basic\t{credentials}"), false, "Basic ********"),
            (format!("basic  {credentials}"), true, "basic ********"),
            (format!(" Basic {credentials} "), true, "Basic ********"),
            (credentials.to_string(), true, "********"),
            (format!("Bearer\t{TOKEN}"), false, "Bearer ••••••••••••G5SI"),
            ("Basic".to_string(), false, "********"),
        ] {
            let line = to_curl(
                &call("GET", "/x", &[("Authorization", value.as_str())], None),
                reveal,
            );
            assert!(!line.contains(credentials), "{value:?} → {line}");
            assert!(
                line.ends_with(&format!("'Authorization: {want}'")),
                "{value:?} → {line}"
            );
        }
    }

    /// Found by the `curl_render` fuzz target: a JSON body nested deeper than serde_json
    /// parses (128 levels) was shown verbatim, its token unmasked — or its passphrase, always.
    #[test]
    fn a_body_that_cannot_be_masked_is_withheld_unless_revealed() {
        let deep = format!(
            "{}{{\"token\":\"{TOKEN}\"}}{}",
            "[".repeat(130),
            "]".repeat(130)
        );
        for body in [deep.as_str(), "grant_type=x&refresh_token=abc"] {
            let hidden = to_curl(&call("POST", "/x", &[], Some(body)), false);
            assert!(
                hidden.ends_with("-d '<body withheld: it may contain a token>'"),
                "{hidden}"
            );
            let shown = to_curl(&call("POST", "/x", &[], Some(body)), true);
            assert!(shown.ends_with(&shell_quote(body)), "{shown}");
        }
        for field in ["passphrase", "secret", "newPassword"] {
            let deep = format!(
                "{}{{\"{field}\":\"x\"}}{}",
                "[".repeat(130),
                "]".repeat(130)
            );
            let line = to_curl(&call("POST", "/x", &[], Some(&deep)), true);
            assert!(
                line.ends_with("-d '<body withheld: it may contain a password>'"),
                "{line}"
            );
        }
    }

    #[test]
    fn quotes_shell_words() {
        let cases = [
            ("plain/path-1.2_x", "plain/path-1.2_x"),
            ("", "''"),
            ("a b", "'a b'"),
            ("it's", r"'it'\''s'"),
            ("$HOME", "'$HOME'"),
            ("`id`", "'`id`'"),
            ("a\nb", "'a\nb'"),
        ];
        for (word, want) in cases {
            assert_eq!(shell_quote(word), want, "{word:?}");
        }
    }
}
