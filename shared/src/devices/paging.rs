//! Paging a long collection the way its kind does ([`Paging`]: FMC's `offset`, `limit` and
//! `paging.count`), and what "fetch all" would cost: how many calls, how long the device's rate
//! budget makes them take, and whether the session lasts that long.

use super::profile::Paging;

/// The page size a user typed, as the device will serve it: a whole number from 1 to the
/// largest page, `default` when the text is not a number.
pub fn page_size(paging: &Paging, typed: &str, default: u64) -> u64 {
    typed
        .trim()
        .parse::<u64>()
        .unwrap_or(default)
        .clamp(1, paging.max_page)
}

/// The query for one page: `offset=…&limit=…` and the kind's extra parameters.
pub fn page_query(paging: &Paging, offset: u64, limit: u64) -> String {
    let mut query = format!(
        "{}={offset}&{}={}",
        paging.offset,
        paging.limit,
        limit.clamp(1, paging.max_page)
    );
    if !paging.extra.is_empty() {
        query.push('&');
        query.push_str(paging.extra);
    }
    query
}

/// `path` with a query added.
pub fn with_query(path: &str, query: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{query}")
}

/// What fetching the rest of a collection would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchAllEstimate {
    /// Calls still to make.
    pub calls: u64,
    /// Seconds the rate budget makes them take (0 when they fit in what is left of it).
    pub secs: u64,
    /// Whether the session (without the password) lasts until they are done.
    pub fits_session: bool,
}

/// Estimate fetching `total` items `limit` at a time when `fetched` are in hand: `budget` calls
/// may start in the current minute and `per_minute` in each later one (`None`: no rate limit);
/// `session_left_secs` is how long the session lasts without a password (`None`: indefinitely).
pub fn estimate_fetch_all(
    paging: &Paging,
    total: u64,
    fetched: u64,
    limit: u64,
    budget: Option<(u64, u64)>,
    session_left_secs: Option<u64>,
) -> FetchAllEstimate {
    let calls = total
        .saturating_sub(fetched)
        .div_ceil(limit.clamp(1, paging.max_page));
    let secs = match budget {
        Some((now, per_minute)) => calls.saturating_sub(now).div_ceil(per_minute.max(1)) * 60,
        None => 0,
    };
    FetchAllEstimate {
        calls,
        secs,
        fits_session: session_left_secs.is_none_or(|left| left > secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGING: Paging = Paging {
        offset: "offset",
        limit: "limit",
        extra: "expanded=true",
        max_page: 1000,
        total: "/paging/count",
    };

    #[test]
    fn queries_page_through() {
        assert_eq!(
            page_query(&PAGING, 25, 25),
            "offset=25&limit=25&expanded=true"
        );
        let plain = Paging {
            extra: "",
            ..PAGING
        };
        assert_eq!(page_query(&plain, 0, 5000), "offset=0&limit=1000");
        assert_eq!(with_query("/a", "x=1"), "/a?x=1");
        assert_eq!(with_query("/a?y=2", "x=1"), "/a?y=2&x=1");
    }

    #[test]
    fn a_typed_page_size_is_clamped_to_what_the_device_serves() {
        assert_eq!(page_size(&PAGING, " 50 ", 25), 50);
        assert_eq!(page_size(&PAGING, "0", 25), 1);
        assert_eq!(page_size(&PAGING, "5000", 25), 1000);
        assert_eq!(page_size(&PAGING, "many", 25), 25);
        assert_eq!(page_size(&PAGING, "", 25), 25);
    }

    #[test]
    fn estimates_the_rate_budget_and_the_session() {
        // 180 hosts, 25 in hand, 25 a page: 7 calls, all within this minute's budget.
        assert_eq!(
            estimate_fetch_all(&PAGING, 180, 25, 25, Some((100, 110)), Some(600)),
            FetchAllEstimate {
                calls: 7,
                secs: 0,
                fits_session: true
            }
        );
        // 500 more objects one at a time with 10 calls left this minute: five more minutes,
        // longer than the 3 minutes the session has.
        let e = estimate_fetch_all(&PAGING, 30_000, 29_500, 1, Some((10, 110)), Some(180));
        assert_eq!((e.calls, e.secs, e.fits_session), (500, 300, false));
        // No rate limit: no wait.
        let e = estimate_fetch_all(&PAGING, 30_000, 0, 1000, None, Some(1));
        assert_eq!((e.calls, e.secs, e.fits_session), (30, 0, true));
    }
}
