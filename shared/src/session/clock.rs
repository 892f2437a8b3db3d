//! The device's clock as the device shows it, learnt from what it sends: the `Date` header of
//! every reply and the issue times inside its tokens.
//!
//! Leases and renewal plans run on the device's clock, because the device decides when a token
//! is dead. A real device's clock runs at real speed but may be set minutes off; a simulated one
//! in a demo may run twenty times faster (`--clock-speed 20`). [`DeviceClock`] learns both the
//! offset and the speed from (local, device) samples, so a sped-up demo renews ahead like a real
//! device does and the countdowns tell the truth.
//!
//! Rules: the speed is measured over at least [`MIN_RATE_SPAN_MICROS`] of device time (a `Date`
//! header has one-second resolution); a speed within [`SNAP_PERMILLE`] of real time is real time;
//! a device clock never runs slower than real time (only a frozen test clock would, and treating
//! that as real time keeps tests that move both clocks together exact).

const MICROS: i64 = 1_000_000;
/// Speed is only measured across at least this much device time.
pub const MIN_RATE_SPAN_MICROS: i64 = 20 * MICROS;
/// Speeds within ±15 % of real time are real time (a `Date` header is only second-exact).
pub const SNAP_PERMILLE: i64 = 150;
/// Samples older than this (local time) no longer anchor the speed.
const WINDOW_MICROS: i64 = 10 * 60 * MICROS;
/// Fastest device clock believed (×1000).
const MAX_RATE_PERMILLE: i64 = 1_000_000;

/// An instant as both clocks show it: the browser's (`local`, for pacing and loop guards) and
/// the device's (`device`, for token lifetimes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub local: i64,
    pub device: i64,
}

impl Now {
    /// Both clocks agree (tests, or a device known to be in sync).
    pub fn same(micros: i64) -> Self {
        Self {
            local: micros,
            device: micros,
        }
    }
}

/// What the console has learnt about one device's clock (kept across a reload with the session).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DeviceClock {
    /// The sample speed is measured from.
    anchor: Option<(i64, i64)>,
    /// The newest sample: device time is extrapolated from it.
    latest: Option<(i64, i64)>,
    /// Device microseconds per local microsecond, ×1000 (1000 = real time).
    rate_permille: Option<i64>,
}

impl DeviceClock {
    /// Record that the device's clock read `device` when the local clock read `local`.
    pub fn observe(&mut self, local: i64, device: i64) {
        let Some((anchor_local, anchor_device)) = self.anchor else {
            self.anchor = Some((local, device));
            self.latest = Some((local, device));
            return;
        };
        let local_span = local - anchor_local;
        let device_span = device - anchor_device;
        if device_span >= MIN_RATE_SPAN_MICROS && local_span > 0 {
            let rate = (i128::from(device_span) * 1000 / i128::from(local_span)) as i64;
            let rate = if (rate - 1000).abs() <= SNAP_PERMILLE {
                1000
            } else {
                rate.clamp(1000, MAX_RATE_PERMILLE)
            };
            self.rate_permille = Some(rate);
        }
        if local_span > WINDOW_MICROS {
            // Keep measuring over recent history, so a changed speed is learnt again.
            self.anchor = self.latest;
        }
        self.latest = Some((local, device));
    }

    /// Record a reply's `Date` header (second resolution: the middle of that second is used).
    /// Returns whether it could be read.
    pub fn observe_http_date(&mut self, local: i64, date: &str) -> bool {
        match parse_http_date(date) {
            Some(secs) => {
                self.observe(local, secs * MICROS + MICROS / 2);
                true
            }
            None => false,
        }
    }

    /// The device's clock at local time `local` (the local time itself until a sample arrives).
    pub fn device_at(&self, local: i64) -> i64 {
        match self.latest {
            None => local,
            Some((l, d)) => {
                let rate = i128::from(self.rate_permille.unwrap_or(1000));
                d.saturating_add((i128::from(local - l) * rate / 1000) as i64)
            }
        }
    }

    /// Both clocks at local time `local`.
    pub fn now(&self, local: i64) -> Now {
        Now {
            local,
            device: self.device_at(local),
        }
    }

    /// The local time at which the device's clock will read `device` (for "at 14:05:10").
    pub fn local_at(&self, device: i64) -> i64 {
        match self.latest {
            None => device,
            Some((l, d)) => {
                let rate = i128::from(self.rate_permille.unwrap_or(1000).max(1));
                l.saturating_add((i128::from(device - d) * 1000 / rate) as i64)
            }
        }
    }

    /// Whether the speed has been measured (until then real speed is assumed).
    pub fn speed_known(&self) -> bool {
        self.rate_permille.is_some()
    }

    /// How many times faster than real time the device's clock runs, ×1000.
    pub fn rate_permille(&self) -> i64 {
        self.rate_permille.unwrap_or(1000)
    }

    /// Device minus local time now, in whole seconds (for "the device's clock is 3 min ahead").
    pub fn offset_secs(&self, local: i64) -> i64 {
        (self.device_at(local) - local).div_euclid(MICROS)
    }
}

/// Seconds since the epoch of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's
/// IMF-fixdate, the only form servers may send).
pub fn parse_http_date(text: &str) -> Option<i64> {
    let rest = text.trim().split_once(", ")?.1;
    let mut words = rest.split(' ');
    let day: i64 = words.next()?.parse().ok()?;
    let month = match words.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = words.next()?.parse().ok()?;
    let mut hms = words.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if words.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000_000;
    const S: i64 = MICROS;

    #[test]
    fn reads_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Now 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn before_any_sample_the_device_clock_is_the_local_one() {
        let clock = DeviceClock::default();
        assert_eq!(clock.device_at(T0), T0);
        assert!(!clock.speed_known());
    }

    #[test]
    fn a_device_minutes_off_keeps_its_offset() {
        let mut clock = DeviceClock::default();
        clock.observe(T0, T0 - 180 * S);
        assert_eq!(clock.device_at(T0 + 10 * S), T0 - 170 * S);
        clock.observe(T0 + 30 * S, T0 - 150 * S + 400_000);
        assert_eq!(clock.rate_permille(), 1000, "real speed");
        assert_eq!(clock.offset_secs(T0 + 30 * S), -180);
    }

    #[test]
    fn a_sped_up_demo_clock_is_learnt_from_date_headers() {
        let mut clock = DeviceClock::default();
        // --clock-speed 20: one local second is twenty device seconds; a `Date` header shows
        // whole seconds, read as the middle of that second.
        for local_ms in [0, 300, 1200, 2500] {
            let local = T0 + local_ms * 1000;
            let device = T0 + local_ms * 1000 * 20;
            clock.observe(local, device / S * S + S / 2);
        }
        let rate = clock.rate_permille();
        assert!((19_000..=21_000).contains(&rate), "{rate}");
        // Ten local seconds later the device is ~200 s further on.
        let ahead = clock.device_at(T0 + 12_500_000) - (T0 + 50 * S);
        assert!((190 * S..=210 * S).contains(&ahead), "{ahead}");
        assert!(clock.local_at(T0 + 250 * S) < T0 + 13 * S);
    }

    #[test]
    fn a_frozen_test_clock_moved_with_the_local_one_stays_in_step() {
        let mut clock = DeviceClock::default();
        clock.observe(T0, T0);
        // The device's clock stands still while 5 local seconds pass: never "slower" than real.
        clock.observe(T0 + 5 * S, T0);
        assert_eq!(clock.rate_permille(), 1000);
        // Both clocks jump 19 minutes.
        clock.observe(T0 + 19 * 60 * S + 6 * S, T0 + 19 * 60 * S);
        assert_eq!(clock.rate_permille(), 1000);
        assert_eq!(clock.device_at(T0 + 19 * 60 * S + 6 * S), T0 + 19 * 60 * S);
    }

    #[test]
    fn real_devices_are_real_speed_despite_second_resolution() {
        let mut clock = DeviceClock::default();
        // Date headers truncate to the second; the samples jitter by up to one second.
        clock.observe(T0, T0 + S / 2);
        clock.observe(T0 + 21 * S + 900_000, T0 + 21 * S + S / 2);
        assert_eq!(clock.rate_permille(), 1000);
    }
}
