//! Exact duration statistics: mean, median and 90th percentile of millisecond samples.
//!
//! Percentiles interpolate linearly between the closest ranks, as PostgreSQL's
//! `percentile_cont`, numpy's default and Excel's `PERCENTILE.INC` do: for `n` sorted samples
//! `x[0..n]` and a fraction `p`, the rank is `h = (n - 1) p` and the value is
//! `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`. The rank is computed in integers, so `p = 0.9`
//! never suffers from `0.9` not being a binary fraction. Only the needed order statistics are
//! selected (`select_nth_unstable`, linear on average); nothing is sorted.

/// Summary of a set of millisecond samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: u64,
    pub sum_ms: i128,
    pub median_ms: f64,
    pub p90_ms: f64,
}

impl Summary {
    pub fn mean_ms(&self) -> f64 {
        self.sum_ms as f64 / self.n as f64
    }
}

/// Summarises the samples (reordering them). `None` when there are none.
pub fn summarize(samples: &mut [i64]) -> Option<Summary> {
    let n = samples.len();
    if n == 0 {
        return None;
    }
    let sum_ms = samples.iter().map(|&x| i128::from(x)).sum();
    let (lo90, f90) = rank(n, 9, 10);
    let (lo50, f50) = rank(n, 1, 2);
    // p90 first over all samples; afterwards everything left of rank lo90 is no greater than
    // it, so the median (whose rank is lower) is selected within that prefix only.
    let (_, &mut x90, right) = samples.select_nth_unstable(lo90);
    let next90 = (f90 > 0.0 || (lo50 == lo90 && f50 > 0.0)).then(|| right.iter().copied().min()).flatten();
    let p90_ms = lerp(x90, next90, f90);
    let median_ms = if lo50 == lo90 {
        lerp(x90, next90, f50)
    } else {
        let prefix = &mut samples[..lo90];
        let (_, &mut x50, right) = prefix.select_nth_unstable(lo50);
        let next50 = if f50 == 0.0 { None } else { Some(right.iter().copied().min().unwrap_or(x90)) };
        lerp(x50, next50, f50)
    };
    Some(Summary { n: n as u64, sum_ms, median_ms, p90_ms })
}

/// The rank `⌊(n - 1) num / den⌋` and the fraction past it, in exact integer arithmetic.
fn rank(n: usize, num: usize, den: usize) -> (usize, f64) {
    let scaled = (n - 1) * num;
    (scaled / den, (scaled % den) as f64 / den as f64)
}

fn lerp(lo: i64, hi: Option<i64>, frac: f64) -> f64 {
    match hi {
        Some(hi) if frac > 0.0 => lo as f64 + (hi - lo) as f64 * frac,
        _ => lo as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook definition on a sorted copy.
    fn reference(xs: &[i64], p: f64) -> f64 {
        let mut s = xs.to_vec();
        s.sort();
        let h = (s.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(s.len() - 1);
        s[lo] as f64 + (h - lo as f64) * (s[hi] - s[lo]) as f64
    }

    #[test]
    fn worked_example() {
        // Sorted: 60 120 300 600 3600. Median is x[2] = 300; p90 rank 3.6 → 600 + 0.6 × 3000.
        let mut xs = vec![600, 60, 3600, 300, 120];
        let s = summarize(&mut xs).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.sum_ms, 4680);
        assert_eq!(s.median_ms, 300.0);
        assert_eq!(s.p90_ms, 2400.0);
        let mut two = vec![10, 20];
        let s = summarize(&mut two).unwrap();
        assert_eq!((s.median_ms, s.p90_ms), (15.0, 19.0));
        assert_eq!(summarize(&mut []), None);
        let mut one = vec![7];
        assert_eq!(summarize(&mut one).unwrap().p90_ms, 7.0);
    }

    proptest! {
        #[test]
        fn matches_the_sorted_definition(xs in proptest::collection::vec(-1_000_000i64..1_000_000, 1..300)) {
            let mut v = xs.clone();
            let s = summarize(&mut v).unwrap();
            prop_assert!((s.median_ms - reference(&xs, 0.5)).abs() < 1e-6);
            prop_assert!((s.p90_ms - reference(&xs, 0.9)).abs() < 1e-6);
            prop_assert!(s.median_ms <= s.p90_ms);
        }
    }
}
