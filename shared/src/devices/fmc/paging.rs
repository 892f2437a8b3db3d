//! FMC paging (`limit`, `offset`, `expanded`; replies carry `paging.count`), and what "fetch
//! all" would cost: how many calls, how long the rate limit makes them take, and whether the
//! session lasts that long.

/// FMC's largest page.
pub const MAX_PAGE: u64 = 1000;

/// `offset=…&limit=…&expanded=true`.
pub fn page_query(offset: u64, limit: u64, expanded: bool) -> String {
    let mut query = format!("offset={offset}&limit={}", limit.clamp(1, MAX_PAGE));
    if expanded {
        query.push_str("&expanded=true");
    }
    query
}

/// What fetching the rest of a collection would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchAllEstimate {
    /// Calls still to make.
    pub calls: u64,
    /// Seconds the rate limit makes them take (0 when they fit in what is left of the budget).
    pub secs: u64,
    /// Whether the session (without the password) lasts until they are done.
    pub fits_session: bool,
}

/// Estimate fetching `total` items `limit` at a time when `fetched` are in hand: `budget` calls
/// may start in the current minute and `per_minute` in each later one; `session_left_secs`
/// is how long the session lasts without a password (`None`: indefinitely).
pub fn estimate_fetch_all(
    total: u64,
    fetched: u64,
    limit: u64,
    budget: u64,
    per_minute: u64,
    session_left_secs: Option<u64>,
) -> FetchAllEstimate {
    let calls = total
        .saturating_sub(fetched)
        .div_ceil(limit.clamp(1, MAX_PAGE));
    let later = calls.saturating_sub(budget);
    let secs = later.div_ceil(per_minute.max(1)) * 60;
    FetchAllEstimate {
        calls,
        secs,
        fits_session: session_left_secs.is_none_or(|left| left > secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_page_through() {
        assert_eq!(page_query(25, 25, true), "offset=25&limit=25&expanded=true");
        assert_eq!(page_query(0, 5000, false), "offset=0&limit=1000");
    }

    #[test]
    fn estimates_the_rate_limit_and_the_session() {
        // 180 hosts, 25 in hand, 25 a page: 7 calls, all within this minute's budget.
        assert_eq!(
            estimate_fetch_all(180, 25, 25, 100, 115, Some(600)),
            FetchAllEstimate {
                calls: 7,
                secs: 0,
                fits_session: true
            }
        );
        // 500 more objects one at a time with 10 calls left this minute: five more minutes,
        // longer than the 3 minutes the session has.
        let e = estimate_fetch_all(30_000, 29_500, 1, 10, 115, Some(180));
        assert_eq!((e.calls, e.secs, e.fits_session), (500, 300, false));
    }
}
