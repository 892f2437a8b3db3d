//! Reading the error bodies devices send, so the app can show the device's own words.
//!
//! Shapes handled:
//! - iControl REST framework errors: `{"code":401,"message":"…","referer":…,"kind":":resterrorresponse"}`
//! - iControl configuration errors: `{"code":404,"message":"…","errorStack":[],"apiError":3}`
//! - FMC: `{"error":{"category":"FRAMEWORK","messages":[{"description":"…"}],"severity":"ERROR"}}`

use serde_json::Value;

/// The human message inside a device's error body, if the body is one of the known shapes.
pub fn device_error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    if let Some(message) = value.get("message").and_then(Value::as_str) {
        return Some(message.to_owned());
    }
    let messages = value.get("error")?.get("messages")?.as_array()?;
    let descriptions: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.get("description").and_then(Value::as_str))
        .collect();
    (!descriptions.is_empty()).then(|| descriptions.join(" "))
}

/// What the user should do about a device's error, from its status and message.
pub fn advice(status: u16, message: &str) -> Option<&'static str> {
    let m = message.to_ascii_lowercase();
    let tip = match status {
        401 if m.contains("authentication failed") || m.contains("user authentication failed") => {
            "Check the username, password and login provider, then log in again."
        }
        401 if m.contains("has expired") || m.contains("invalid registered claims") => {
            "The token expired. Log in again to get a new one."
        }
        401 if m.contains("invalid refresh token") => {
            "The refresh token is no longer valid (used up, expired, or ended by another login). Log in again."
        }
        401 if m.contains("does not exist") || m.contains("access token invalid") => {
            "The device no longer knows this token (it was deleted or the device restarted). Log in again."
        }
        401 => "The device refused the credentials. Log in again.",
        400 if m.contains("maximum active login tokens") => {
            "This user holds too many tokens. Delete unused tokens on the Tokens page, or wait for them to expire."
        }
        400 if m.contains("authorization failed") => {
            "Only an administrator may manage another user's tokens."
        }
        406 if m.contains("absolute timeout") => "Choose a timeout of at most 36000 seconds.",
        429 => "The device is rate-limiting this user. Wait a minute and try again.",
        422 if m.contains("payload") || m.contains("size") => {
            "The request is larger than the device accepts (FMC: 2,048,000 bytes). Send less at once."
        }
        _ => return None,
    };
    Some(tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advises_on_the_documented_failures() {
        let cases = [
            (401, "Authentication failed.", "password"),
            (401, "X-F5-Auth-Token has expired.", "expired"),
            (401, "X-F5-Auth-Token does not exist.", "no longer knows"),
            (
                400,
                "user foo has reached maximum active login tokens",
                "too many tokens",
            ),
            (
                406,
                "Auth-token absolute timeout (36000 seconds) exceeded",
                "36000",
            ),
            (429, "", "Wait a minute"),
        ];
        for (status, message, want) in cases {
            let tip = advice(status, message).unwrap_or_default();
            assert!(tip.contains(want), "{status} {message:?} gave {tip:?}");
        }
        assert_eq!(
            advice(
                404,
                "01020036:3: The requested Node (/Common/x) was not found."
            ),
            None
        );
    }

    #[test]
    fn reads_rest_framework_errors() {
        let body = r#"{"code":401,"message":"Authentication failed.","referer":"10.0.0.1","restOperationId":5,"kind":":resterrorresponse"}"#;
        assert_eq!(
            device_error_message(body).as_deref(),
            Some("Authentication failed.")
        );
    }

    #[test]
    fn reads_configuration_errors() {
        let body = r#"{"code":404,"message":"01020036:3: The requested Node (/Common/x) was not found.","errorStack":[],"apiError":3}"#;
        assert!(
            device_error_message(body)
                .unwrap()
                .contains("was not found")
        );
    }

    #[test]
    fn reads_fmc_errors() {
        let body = r#"{"error":{"category":"FRAMEWORK","messages":[{"description":"Access token invalid."}],"severity":"ERROR"}}"#;
        assert_eq!(
            device_error_message(body).as_deref(),
            Some("Access token invalid.")
        );
    }

    #[test]
    fn ignores_other_bodies() {
        assert_eq!(device_error_message("<html>502</html>"), None);
        assert_eq!(device_error_message(r#"{"items":[]}"#), None);
    }
}
