//! When the shell sends a call by itself: again after a 429 (how often, until when, and who
//! refused), and a cheap call that shows a device's clock while its speed is unknown. Times are
//! browser microseconds.

const MICROS: i64 = 1_000_000;

/// 429s a call waits out before it gives up and shows the refusal.
pub const MAX_RATE_LIMIT_RETRIES: u32 = 3;
/// After a 429 that says nothing of when to retry, and with no hold known: a whole window.
const UNKNOWN_WAIT_MICROS: i64 = 60 * MICROS;

/// Clock checks per sign-in, at most (a real device's speed is known after about five).
pub const MAX_CLOCK_CHECKS: u8 = 5;
/// Quiet before a clock check: one second for the first (a sped-up demo clock shows at once),
/// five for the next.
pub const FIRST_CHECK_QUIET_MICROS: i64 = MICROS;
pub const CLOCK_CHECK_QUIET_MICROS: i64 = 5 * MICROS;

/// A device's `Retry-After` in the browser's seconds: a device whose clock runs faster than
/// real time (`rate_permille` > 1000, a sped-up demo) counts its seconds faster.
pub fn local_retry_secs(device_secs: u64, rate_permille: i64) -> u64 {
    let rate = rate_permille.max(1000) as u64;
    (device_secs.saturating_mul(1000)).div_ceil(rate)
}

/// When to send again after a 429: after the `Retry-After` (browser seconds) if there was one,
/// else when the device's budget frees (`held_until`, from the pacer), else after a window.
pub fn retry_at(now: i64, retry_after_secs: Option<u64>, held_until: Option<i64>) -> i64 {
    match (retry_after_secs, held_until) {
        (Some(secs), _) => now + secs.max(1) as i64 * MICROS,
        (None, Some(held)) => held,
        (None, None) => now + UNKNOWN_WAIT_MICROS,
    }
}

/// Whether the 429 is worth waiting out: `attempt` retries were made already.
pub fn retry_again(attempt: u32) -> bool {
    attempt < MAX_RATE_LIMIT_RETRIES
}

/// What the Activity log says of a 429 before retry `attempt` (from 1): who refused —
/// `held_by_relay`: Tokendeck held it to stay under the device's limit — and how many retries.
pub fn refusal_note(held_by_relay: bool, attempt: u32) -> String {
    let who = if held_by_relay {
        "held by Tokendeck to stay under the device's limit"
    } else {
        "refused by the device (rate limit)"
    };
    format!("429 {who}; retry {attempt} of {MAX_RATE_LIMIT_RETRIES}")
}

/// Whether a clock check is due: the session is active, the device's clock speed is still
/// unknown, fewer than [`MAX_CLOCK_CHECKS`] were made since the sign-in, and no call went to
/// the device for a quiet while (`quiet_micros`: since the last one).
pub fn clock_check_due(
    checks_made: u8,
    speed_known: bool,
    quiet_micros: i64,
    active: bool,
) -> bool {
    let quiet_needed = if checks_made == 0 {
        FIRST_CHECK_QUIET_MICROS
    } else {
        CLOCK_CHECK_QUIET_MICROS
    };
    active && !speed_known && checks_made < MAX_CLOCK_CHECKS && quiet_micros >= quiet_needed
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000_000;

    #[test]
    fn a_sped_up_devices_retry_after_passes_faster() {
        assert_eq!(local_retry_secs(30, 1000), 30);
        // A device at 20x: its 30 s are 1.5 s here, rounded up.
        assert_eq!(local_retry_secs(30, 20_000), 2);
        // A clock read as slower than real time is not trusted to stretch the wait.
        assert_eq!(local_retry_secs(30, 500), 30);
        assert_eq!(local_retry_secs(u64::MAX, 1000), u64::MAX.div_ceil(1000));
    }

    #[test]
    fn a_429_waits_for_what_it_said_else_the_budget_else_a_window() {
        assert_eq!(
            retry_at(T0, Some(7), Some(T0 + 99 * MICROS)),
            T0 + 7 * MICROS
        );
        assert_eq!(retry_at(T0, Some(0), None), T0 + MICROS);
        assert_eq!(retry_at(T0, None, Some(T0 + 12 * MICROS)), T0 + 12 * MICROS);
        assert_eq!(retry_at(T0, None, None), T0 + 60 * MICROS);
        assert!(retry_again(0) && retry_again(2) && !retry_again(3));
        assert_eq!(
            refusal_note(true, 1),
            "429 held by Tokendeck to stay under the device's limit; retry 1 of 3"
        );
        assert!(refusal_note(false, 3).starts_with("429 refused by the device"));
    }

    #[test]
    fn clock_checks_come_after_quiet_while_the_speed_is_unknown() {
        assert!(clock_check_due(0, false, MICROS, true));
        assert!(!clock_check_due(0, false, MICROS - 1, true));
        assert!(!clock_check_due(1, false, MICROS, true));
        assert!(clock_check_due(1, false, 5 * MICROS, true));
        assert!(!clock_check_due(5, false, 60 * MICROS, true));
        assert!(!clock_check_due(0, true, 60 * MICROS, true));
        assert!(!clock_check_due(0, false, 60 * MICROS, false));
    }
}
