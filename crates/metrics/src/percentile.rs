//! Exact duration statistics: mean, median and 90th percentile of millisecond samples.
//!
//! Percentiles interpolate linearly between the closest ranks, as PostgreSQL's
//! `percentile_cont`, numpy's default and Excel's `PERCENTILE.INC` do: for `n` sorted samples
//! `x[0..n]` and a fraction `p`, the rank is `h = (n - 1) p` and the value is
//! `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`. Ranks are computed in integers, so `p = 0.9`
//! never suffers from `0.9` not being a binary fraction.
//!
//! Samples are kept as `u32` milliseconds (durations under 49 days), the rare longer ones
//! apart, at 4 bytes a sample. Only the needed order statistics are found, never a full sort:
//! a pass counts the samples per logarithmic bucket (64 per power of two) and sums them, which
//! names the bucket holding each needed rank; a second pass copies just those buckets' samples
//! (a few percent of them) and selects within. The samples of several cells can be summarised
//! as one set without copying them (a report's totals from the cells of one of its
//! groupings). A large set keeps its counts (its [`Tally`]), so a later summary of a union
//! that includes it adds counts instead of counting again: a report summarises each sample
//! two or three times (its cell, its grouping's totals, handle time with and without calls).

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

/// The duration samples of one cell. Negative durations count as 0.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    narrow: Vec<u32>,
    /// Narrow samples taken in from other accumulators of the same cell, kept as they are
    /// (appending them would copy, and briefly double, the largest buffers of a report).
    more: Vec<Vec<u32>>,
    /// Samples of 2³² ms or more: above every narrow one.
    wide: Vec<i64>,
    /// Count and sum of samples that are counted only (the values are taken from other cells
    /// when summarising).
    counted: u64,
    counted_sum: i128,
    count_only: bool,
    /// The narrow samples' counts per bucket, made by the first summary that reads this set.
    tally: Option<Box<Tally>>,
}

/// How many narrow samples fall in each bucket, and their sum. It holds for the samples it
/// was made from: `len` tells whether the set has grown or moved on since.
#[derive(Debug, Clone)]
struct Tally {
    counts: Box<[u32; BUCKETS]>,
    sum: u64,
    len: u64,
}

impl Tally {
    fn of<'a>(parts: impl Iterator<Item = &'a [u32]>) -> Tally {
        let mut t = Tally {
            counts: Box::new([0; BUCKETS]),
            sum: 0,
            len: 0,
        };
        for p in parts {
            t.count(p);
        }
        t
    }

    /// Counts and sums `xs` in one pass.
    fn count(&mut self, xs: &[u32]) {
        let mut sum = 0u64;
        for &v in xs {
            self.counts[bucket(v)] += 1;
            sum += u64::from(v);
        }
        self.sum += sum;
        self.len += xs.len() as u64;
    }

    fn add(&mut self, other: &Tally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.sum += other.sum;
        self.len += other.len;
    }
}

impl Samples {
    /// Samples that are counted and summed but not kept.
    pub fn count_only() -> Samples {
        Samples {
            count_only: true,
            ..Samples::default()
        }
    }

    #[inline]
    pub fn push(&mut self, v: i64) {
        let v = v.max(0);
        if self.count_only {
            self.counted += 1;
            self.counted_sum += i128::from(v);
        } else if let Ok(x) = u32::try_from(v) {
            self.narrow.push(x);
        } else {
            self.wide.push(v);
        }
    }

    pub fn len(&self) -> u64 {
        self.counted + self.narrow_len() + self.wide.len() as u64
    }

    /// Adds `other`'s count and sum (not its values) to count-only samples.
    pub fn add_counts(&mut self, other: &Samples) {
        self.counted += other.len();
        self.counted_sum += other.sum();
    }

    /// Takes in `other`'s samples (values moved when these keep values).
    pub fn absorb(&mut self, other: &mut Samples) {
        if self.count_only {
            self.add_counts(other);
        } else {
            self.counted += other.counted;
            self.counted_sum += other.counted_sum;
            self.more.push(std::mem::take(&mut other.narrow));
            self.more.append(&mut other.more);
            self.wide.append(&mut other.wide);
        }
    }

    fn sum(&self) -> i128 {
        // Summed when asked: cheaper than summing on every push.
        let narrow: u64 = match self.valid_tally() {
            Some(t) => t.sum,
            None => self.narrow_parts().flatten().map(|&x| u64::from(x)).sum(),
        };
        self.counted_sum + i128::from(narrow) + self.wide_sum()
    }

    fn wide_sum(&self) -> i128 {
        self.wide.iter().map(|&x| i128::from(x)).sum()
    }

    /// The tally, if it still counts exactly these samples (pushes and absorbs change the
    /// length; samples are never replaced in place).
    fn valid_tally(&self) -> Option<&Tally> {
        self.tally.as_deref().filter(|t| t.len == self.narrow_len())
    }

    /// This set's tally, made now if it has none (or an outdated one).
    fn tally(&mut self) -> &Tally {
        if self.valid_tally().is_none() {
            self.tally = Some(Box::new(Tally::of(self.narrow_parts())));
        }
        self.tally.as_deref().expect("just made")
    }

    fn narrow_len(&self) -> u64 {
        self.narrow_parts().map(|p| p.len() as u64).sum()
    }

    fn narrow_parts(&self) -> impl Iterator<Item = &[u32]> {
        std::iter::once(self.narrow.as_slice()).chain(self.more.iter().map(Vec::as_slice))
    }

    /// Summarises these samples.
    pub fn summarize(&mut self) -> Option<Summary> {
        summarize_union(&mut [self])
    }
}

/// Summarises several sets of samples as one (count-only sets are left out: they have no
/// values to give).
pub fn summarize_union(parts: &mut [&mut Samples]) -> Option<Summary> {
    let mut parts: Vec<&mut Samples> = parts
        .iter_mut()
        .map(|p| &mut **p)
        .filter(|p| !p.count_only)
        .collect();
    let n: u64 = parts.iter().map(|p| p.len()).sum();
    if n == 0 {
        return None;
    }
    let narrow_n: u64 = parts.iter().map(|p| p.narrow_len()).sum();
    // A large union is counted per bucket: from each large part's tally (made once, kept for
    // the next union that includes it) and by counting the small parts.
    let tally = (narrow_n > SMALL).then(|| {
        let mut union = Tally::of(std::iter::empty());
        for p in &mut parts {
            if p.narrow_len() > SMALL {
                union.add(p.tally());
            } else {
                for xs in p.narrow_parts() {
                    union.count(xs);
                }
            }
        }
        union
    });
    let sum_ms: i128 = match &tally {
        Some(t) => {
            i128::from(t.sum)
                + parts
                    .iter()
                    .map(|p| p.counted_sum + p.wide_sum())
                    .sum::<i128>()
        }
        None => parts.iter().map(|p| p.sum()).sum(),
    };
    let (lo90, f90) = rank(n, 9, 10);
    let (lo50, f50) = rank(n, 1, 2);
    let mut wanted = [lo50, lo50 + 1, lo90, lo90 + 1];
    for w in &mut wanted {
        *w = (*w).min(n - 1);
    }
    // The distinct ranks, ascending; those below the narrow count are narrow samples, the rest
    // wide ones (all greater), in order.
    let mut ranks = wanted.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    let split = ranks.partition_point(|&r| r < narrow_n);
    let mut found: Vec<i64> = Vec::with_capacity(ranks.len());
    if split > 0 {
        let narrow: Vec<&[u32]> = parts.iter().flat_map(|p| p.narrow_parts()).collect();
        let narrow_ranks = &ranks[..split];
        let values = match &tally {
            Some(t) => select_in_buckets(&narrow, &t.counts, narrow_ranks),
            // Few: copying them all and selecting is cheaper than bucketing.
            None => {
                let mut all: Vec<u32> = narrow.iter().flat_map(|p| p.iter().copied()).collect();
                order_statistics(&mut all, narrow_ranks)
            }
        };
        found.extend(values.into_iter().map(i64::from));
    }
    if split < ranks.len() {
        let mut wide: Vec<i64> = parts.iter().flat_map(|p| p.wide.iter().copied()).collect();
        wide.sort_unstable();
        found.extend(
            ranks[split..]
                .iter()
                .map(|&r| wide[(r - narrow_n) as usize]),
        );
    }
    let value = |r: u64| found[ranks.binary_search(&r).expect("a wanted rank")];
    let values = wanted.map(value);
    let lerp = |lo: i64, hi: i64, frac: f64| lo as f64 + (hi - lo) as f64 * frac;
    Some(Summary {
        n,
        sum_ms,
        median_ms: lerp(values[0], values[1], f50),
        p90_ms: lerp(values[2], values[3], f90),
    })
}

/// The rank `⌊(n - 1) num / den⌋` and the fraction past it, in exact integer arithmetic.
fn rank(n: u64, num: u64, den: u64) -> (u64, f64) {
    let scaled = (n - 1) * num;
    (scaled / den, (scaled % den) as f64 / den as f64)
}

/// Below this many samples, copying and selecting directly is cheaper than bucketing.
const SMALL: u64 = 4096;

/// 64 buckets per power of two: values below 128 have their own bucket.
const SUB_BITS: u32 = 6;
const BUCKETS: usize = ((32 - SUB_BITS as usize) + 2) << SUB_BITS;

#[inline]
fn bucket(v: u32) -> usize {
    if v < (2 << SUB_BITS) {
        return v as usize;
    }
    let e = 31 - v.leading_zeros(); // ≥ SUB_BITS + 1
    let shift = e - SUB_BITS;
    (((shift + 1) << SUB_BITS) | ((v >> shift) & ((1 << SUB_BITS) - 1))) as usize
}

/// The values of bucket `b`, as its lowest value and its width: `v` is in it when
/// `v - lowest < width` (wrapping). The inverse of [`bucket`].
fn bucket_range(b: usize) -> (u32, u32) {
    let b = b as u32;
    if b < (2 << SUB_BITS) {
        return (b, 1);
    }
    let shift = (b >> SUB_BITS) - 1;
    let mantissa = (1 << SUB_BITS) | (b & ((1 << SUB_BITS) - 1));
    (mantissa << shift, 1 << shift)
}

/// The samples at the given ranks (ascending order statistics) among `parts`, whose counts
/// per bucket are `counts`.
fn select_in_buckets(parts: &[&[u32]], counts: &[u32; BUCKETS], ranks: &[u64]) -> Vec<u32> {
    // Each rank's bucket and its rank within the bucket (ranks are ascending).
    let mut located: Vec<(usize, u64)> = Vec::with_capacity(ranks.len());
    let (mut b, mut start) = (0usize, 0u64);
    for &r in ranks {
        while start + u64::from(counts[b]) <= r {
            start += u64::from(counts[b]);
            b += 1;
        }
        located.push((b, r - start));
    }
    let mut wanted: Vec<usize> = located.iter().map(|l| l.0).collect();
    wanted.dedup();
    // A bucket is a range of values: testing a sample against two or three ranges is cheaper
    // than computing its bucket (this pass reads every sample).
    let ranges: Vec<(u32, u32)> = wanted.iter().map(|&w| bucket_range(w)).collect();
    let mut pools: Vec<Vec<u32>> = wanted
        .iter()
        .map(|&w| Vec::with_capacity(counts[w] as usize))
        .collect();
    for p in parts {
        for &v in *p {
            for (pool, &(lo, width)) in pools.iter_mut().zip(&ranges) {
                if v.wrapping_sub(lo) < width {
                    pool.push(v);
                    break;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(ranks.len());
    for (i, &w) in wanted.iter().enumerate() {
        let in_pool: Vec<u64> = located.iter().filter(|l| l.0 == w).map(|l| l.1).collect();
        out.extend(order_statistics(&mut pools[i], &in_pool));
    }
    out
}

/// The values at ascending `ranks` of `xs` (reordering it). The highest rank is selected first;
/// everything left of it is then no greater, so each lower rank is found within that prefix
/// only: the rank just below is the prefix's maximum, others a selection within it.
fn order_statistics(xs: &mut [u32], ranks: &[u64]) -> Vec<u32> {
    let mut out = vec![0u32; ranks.len()];
    let mut limit = xs.len();
    for i in (0..ranks.len()).rev() {
        let r = ranks[i] as usize;
        if i + 1 < ranks.len() && ranks[i + 1] as usize == r {
            out[i] = out[i + 1];
            continue;
        }
        out[i] = if r + 1 == limit {
            // The largest of the prefix, moved to its end so the rest stays the smaller ones.
            let (at, &max) = xs[..limit]
                .iter()
                .enumerate()
                .max_by_key(|x| x.1)
                .expect("not empty");
            xs.swap(at, r);
            max
        } else {
            *xs[..limit].select_nth_unstable(r).1
        };
        limit = r;
    }
    out
}

/// Summarises plain `i64` samples (reordering nothing: they are copied).
pub fn summarize(samples: &[i64]) -> Option<Summary> {
    let mut s = Samples::default();
    for &x in samples {
        s.push(x);
    }
    s.summarize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook definition on a sorted copy, the rank `(n - 1) num / den` kept exact.
    fn reference(xs: &[i64], num: usize, den: usize) -> f64 {
        let mut s = xs.to_vec();
        s.sort();
        let scaled = (s.len() - 1) * num;
        let (lo, frac) = (scaled / den, (scaled % den) as f64 / den as f64);
        let hi = (lo + 1).min(s.len() - 1);
        s[lo] as f64 + frac * (s[hi] - s[lo]) as f64
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn worked_example() {
        // Sorted: 60 120 300 600 3600. Median is x[2] = 300; p90 rank 3.6 → 600 + 0.6 × 3000.
        let s = summarize(&[600, 60, 3600, 300, 120]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.sum_ms, 4680);
        assert_eq!(s.median_ms, 300.0);
        assert_eq!(s.p90_ms, 2400.0);
        let s = summarize(&[10, 20]).unwrap();
        assert_eq!((s.median_ms, s.p90_ms), (15.0, 19.0));
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[7]).unwrap().p90_ms, 7.0);
    }

    #[test]
    fn buckets_are_monotonic_and_fine() {
        let mut last = 0;
        for v in (0..5000u32).chain([u32::MAX / 2, u32::MAX - 1, u32::MAX]) {
            let b = bucket(v);
            assert!(b >= last && b < BUCKETS, "{v}");
            last = b;
        }
        assert_eq!(bucket(127), 127);
        // Each bucket's range holds exactly the values that fall in it.
        for v in (0..70_000u32).chain([u32::MAX / 3, u32::MAX - 1, u32::MAX]) {
            let (lo, width) = bucket_range(bucket(v));
            assert!(v.wrapping_sub(lo) < width, "{v} in {lo}+{width}");
            assert_eq!(bucket(lo), bucket(v));
            assert_eq!(bucket(lo + (width - 1)), bucket(v));
            if lo > 0 {
                assert_ne!(bucket(lo - 1), bucket(v));
            }
        }
        assert_eq!(bucket(128), 128);
        assert_eq!(bucket(129), 128);
    }

    #[test]
    fn large_skewed_sets_match_the_definition() {
        // Heavy tail with wide values and many ties, large enough to take the bucketed path.
        let mut x = 12345u64;
        let mut xs = Vec::new();
        for i in 0..50_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = match i % 10 {
                0 => (x >> 20) as i64,             // up to 2^44: often wide
                1 => 42,                           // ties
                _ => ((x >> 33) % 600_000) as i64, // minutes
            };
            xs.push(v);
        }
        let s = summarize(&xs).unwrap();
        assert!(close(s.median_ms, reference(&xs, 1, 2)));
        assert!(close(s.p90_ms, reference(&xs, 9, 10)));
        // The same split across cells and summarised as a union.
        let mut a = Samples::default();
        let mut b = Samples::default();
        for (i, &v) in xs.iter().enumerate() {
            if i % 3 == 0 { a.push(v) } else { b.push(v) }
        }
        assert_eq!(summarize_union(&mut [&mut a, &mut b]), Some(s));
    }

    #[test]
    fn kept_tallies_give_the_same_summaries_after_the_sets_change() {
        // Parts large enough to keep tallies, summarised alone first (each keeps its tally),
        // then grown by a push and an absorb, then summarised as one union: stale tallies
        // must be recounted, fresh ones reused.
        let mut x = 99u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % 5_000_000) as i64
        };
        let mut all = Vec::new();
        let mut parts: Vec<Samples> = (0..3).map(|_| Samples::default()).collect();
        for (i, p) in parts.iter_mut().enumerate() {
            for _ in 0..(SMALL as usize + 1000 * (i + 1)) {
                let v = next();
                all.push(v);
                p.push(v);
            }
            let alone = p.summarize().unwrap();
            assert_eq!(alone.n, p.len());
        }
        let union = |parts: &mut [Samples]| {
            let mut refs: Vec<&mut Samples> = parts.iter_mut().collect();
            summarize_union(&mut refs).unwrap()
        };
        let check = |s: Summary, all: &[i64]| {
            assert_eq!(s.n, all.len() as u64);
            assert_eq!(s.sum_ms, all.iter().map(|&v| i128::from(v)).sum::<i128>());
            assert!(close(s.median_ms, reference(all, 1, 2)));
            assert!(close(s.p90_ms, reference(all, 9, 10)));
        };
        check(union(&mut parts), &all);
        // A sample far above the rest moves the p90 only if it is counted.
        let high = 4_000_000_000;
        for _ in 0..2000 {
            parts[0].push(high);
        }
        all.extend(std::iter::repeat_n(high, 2000));
        let mut extra = Samples::default();
        for _ in 0..SMALL + 10 {
            let v = next();
            extra.push(v);
            all.push(v);
        }
        extra.summarize();
        parts[1].absorb(&mut extra);
        check(union(&mut parts), &all);
    }

    proptest! {
        #[test]
        fn matches_the_sorted_definition(xs in proptest::collection::vec(0i64..10_000_000_000, 1..300)) {
            let s = summarize(&xs).unwrap();
            prop_assert!(close(s.median_ms, reference(&xs, 1, 2)));
            prop_assert!(close(s.p90_ms, reference(&xs, 9, 10)));
            prop_assert!(s.median_ms <= s.p90_ms);
        }
    }
}
