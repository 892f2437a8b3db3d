//! A device's error, for a person: each kind reads its own error shapes and knows its own
//! failures (`Profile::errors`); what applies to every kind is here.

use super::profile::Profile;

/// The device's own words in an error body, if the body is one of the kind's shapes.
pub fn device_error_message(profile: &Profile, body: &str) -> Option<String> {
    (profile.errors.message)(body)
}

/// What the user should do about a device's error, from its status and message: the kind's
/// advice where it has some, else what holds for any device.
pub fn advice(profile: &Profile, status: u16, message: &str) -> Option<&'static str> {
    (profile.errors.advice)(status, message).or(match status {
        401 => Some("The device refused the credentials. Log in again."),
        429 => Some("The device is rate-limiting this user. Wait a minute and try again."),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::profile as profile_of;
    use crate::kind::DeviceKind;

    #[test]
    fn every_kind_gets_the_generic_advice_where_it_has_none_of_its_own() {
        for kind in DeviceKind::ALL {
            let profile = profile_of(kind);
            let tip = advice(profile, 401, "something new").unwrap_or_default();
            assert!(tip.contains("Log in again"), "{kind}: {tip}");
            let tip = advice(profile, 429, "").unwrap_or_default();
            assert!(tip.contains("Wait a minute"), "{kind}: {tip}");
            assert_eq!(advice(profile, 404, "not found"), None, "{kind}");
            assert_eq!(device_error_message(profile, "<html>502</html>"), None);
            assert_eq!(device_error_message(profile, r#"{"items":[]}"#), None);
        }
    }
}
