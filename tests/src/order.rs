//! The order in which a benchmark's interleaved rounds visit the paths it compares.
//!
//! A plain rotation keeps each path's predecessor fixed (with four paths rotated, the second
//! always runs right after the first), so whatever one run leaves behind — a device still
//! busy with the connections a heavy run opened, caches another process filled — falls on the
//! same path in every round. A Williams square (Williams 1949, the crossover design of
//! clinical trials) balances that: over every `n` rounds each path runs once in each position
//! and right after each other path exactly once.

/// The order of paths `0..n` in round `round` (counted from 0); `n` even. Round 0 is
/// `0, 1, n−1, 2, n−2, …`; each later round adds one to every index, modulo `n`.
pub fn balanced(n: usize, round: usize) -> Vec<usize> {
    assert!(
        n > 0 && n.is_multiple_of(2),
        "a Williams square of one row per round needs an even n"
    );
    (0..n)
        .map(|position| {
            let first = if position % 2 == 1 {
                position.div_ceil(2)
            } else {
                (n - position / 2) % n
            };
            (first + round) % n
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::balanced;

    #[test]
    fn the_first_round_alternates_from_both_ends() {
        assert_eq!(balanced(4, 0), [0, 1, 3, 2]);
        assert_eq!(balanced(6, 0), [0, 1, 5, 2, 4, 3]);
        assert_eq!(balanced(4, 1), [1, 2, 0, 3]);
        assert_eq!(balanced(4, 4), balanced(4, 0));
    }

    #[test]
    fn every_n_rounds_each_path_holds_each_place_and_follows_each_other_path_once() {
        for n in [2, 4, 6, 8] {
            let rows: Vec<Vec<usize>> = (0..n).map(|round| balanced(n, round)).collect();
            for row in &rows {
                let mut sorted = row.clone();
                sorted.sort();
                assert_eq!(
                    sorted,
                    (0..n).collect::<Vec<_>>(),
                    "each path once a round: {row:?}"
                );
            }
            for position in 0..n {
                let mut held: Vec<usize> = rows.iter().map(|row| row[position]).collect();
                held.sort();
                assert_eq!(
                    held,
                    (0..n).collect::<Vec<_>>(),
                    "n = {n}, position {position}"
                );
            }
            let mut follows = vec![vec![0; n]; n];
            for row in &rows {
                for pair in row.windows(2) {
                    follows[pair[0]][pair[1]] += 1;
                }
            }
            for (before, after) in follows.iter().enumerate() {
                for (next, &times) in after.iter().enumerate() {
                    let expected = usize::from(before != next);
                    assert_eq!(times, expected, "n = {n}: {next} right after {before}");
                }
            }
        }
    }
}
