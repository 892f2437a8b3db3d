//! How iControl REST writes links and times: always `https://localhost/...`, `?ver=` on
//! configuration links, name-derived UUIDs in user links.

use crate::name_uuid::name_uuid;

/// The TMOS version the simulated BIG-IP runs.
pub const VERSION: &str = "17.1.3";

/// `https://localhost<path>?<query without ver>&ver=17.1.3`, the `selfLink` form of
/// `/mgmt/tm/...` resources. The client's own query text (e.g. `$select=name%2Caddress`) is
/// kept as sent.
pub fn tm_self_link(path: &str, query: Option<&str>) -> String {
    let mut parts: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("ver="))
        .collect();
    let ver = format!("ver={VERSION}");
    parts.push(&ver);
    format!("https://localhost{path}?{}", parts.join("&"))
}

/// The provider part of user and login links: `providers/tmos/<uuid(provider)>`.
///
/// The seeds show this form for `tmos`; remote providers (LDAP, RADIUS, …) are given the same
/// form with their own name's UUID (unverified). Note that `shared::devices::bigip::user_uuid::user_link`
/// leaves out the `tmos/` segment; the simulator serves the user resource under both forms.
fn provider_base(provider: &str) -> String {
    format!(
        "https://localhost/mgmt/cm/system/authn/providers/tmos/{}",
        name_uuid(provider)
    )
}

/// `…/providers/tmos/<uuid(provider)>/users/<uuid(user)>`.
pub fn user_link(provider: &str, user: &str) -> String {
    format!("{}/users/{}", provider_base(provider), name_uuid(user))
}

/// `…/providers/tmos/<uuid(provider)>/login`.
pub fn login_reference(provider: &str) -> String {
    format!("{}/login", provider_base(provider))
}

/// `2020-04-30T10:18:49.471+0000`: the device's start-time format (in UTC here).
pub fn format_start_time(micros: i64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_iso_with_millis() {
        assert_eq!(
            format_start_time(1_588_198_729_471_000),
            "2020-04-29T22:18:49.471+0000"
        );
    }

    #[test]
    fn links_match_the_seed_examples() {
        assert_eq!(
            user_link("tmos", "foo"),
            "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8"
        );
        assert_eq!(
            login_reference("tmos"),
            "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"
        );
    }

    #[test]
    fn self_links_keep_the_query_and_pin_ver() {
        assert_eq!(
            tm_self_link(
                "/mgmt/tm/ltm/node",
                Some("$select=name%2Caddress&ver=11.6.0")
            ),
            "https://localhost/mgmt/tm/ltm/node?$select=name%2Caddress&ver=17.1.3"
        );
        assert_eq!(
            tm_self_link("/mgmt/tm/sys", None),
            "https://localhost/mgmt/tm/sys?ver=17.1.3"
        );
    }
}
