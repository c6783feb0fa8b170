//! Block summaries ("zone maps"): for each block of rows of a table, the earliest and latest
//! instant any of its rows holds, so that a pass over a period reads only the blocks that can
//! have something in it.
//!
//! Tables grow in the order things happen, so the rows of a block lie within hours of each
//! other and a month's report over a year of history reads about a twelfth of each table.
//! Nothing depends on that order for being right: a summary only ever widens (a row changed
//! later widens its block again), so a skipped block is one where no row can match, and rows
//! out of order only make more blocks be read.

use crate::period::Period;
use std::ops::Range;

/// Rows per block: large enough that the summaries cost nothing (16 bytes per 1,024 rows),
/// small enough that a month's edge wastes little.
const BLOCK_SHIFT: u32 = 10;

/// Where a block lies against a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// It may hold an instant in the period.
    Into,
    /// Everything it holds is before the period.
    Before,
}

/// The span of instants in each block. A block no instant was noted in spans nothing and is
/// never read (its rows have nothing that falls in any period).
#[derive(Clone, Default)]
pub struct Zones {
    min: Vec<i64>,
    max: Vec<i64>,
}

impl Zones {
    /// Widens the block of `row` to hold `at`.
    #[inline]
    pub fn note(&mut self, row: usize, at: i64) {
        let b = row >> BLOCK_SHIFT;
        if b >= self.min.len() {
            self.min.resize(b + 1, i64::MAX);
            self.max.resize(b + 1, i64::MIN);
        }
        self.min[b] = self.min[b].min(at);
        self.max[b] = self.max[b].max(at);
    }

    /// Where block `b` lies against `p`: `None` when it holds nothing before the period's end.
    #[inline]
    fn reach_of(&self, b: usize, p: Period) -> Option<Reach> {
        if b >= self.min.len() || self.min[b] >= p.to {
            None
        } else if self.max[b] >= p.from {
            Some(Reach::Into)
        } else {
            Some(Reach::Before)
        }
    }

    /// The runs of rows within `rows` whose blocks hold something before the period's end, in
    /// order, with where they lie; adjacent blocks that lie alike are joined into one run.
    pub fn reach(&self, rows: Range<usize>, p: Period) -> Vec<(Range<usize>, Reach)> {
        let mut out: Vec<(Range<usize>, Reach)> = Vec::new();
        if rows.is_empty() {
            return out;
        }
        for b in (rows.start >> BLOCK_SHIFT)..=((rows.end - 1) >> BLOCK_SHIFT) {
            let Some(reach) = self.reach_of(b, p) else {
                continue;
            };
            let start = (b << BLOCK_SHIFT).max(rows.start);
            let end = ((b + 1) << BLOCK_SHIFT).min(rows.end);
            match out.last_mut() {
                Some((last, r)) if last.end == start && *r == reach => last.end = end,
                _ => out.push((start..end, reach)),
            }
        }
        out
    }

    /// The runs of rows within `rows` whose blocks may hold an instant in `p`, in order,
    /// adjacent blocks joined into one run.
    pub fn runs(&self, rows: Range<usize>, p: Period) -> Vec<Range<usize>> {
        self.reach(rows, p)
            .into_iter()
            .filter_map(|(run, reach)| (reach == Reach::Into).then_some(run))
            .collect()
    }

    /// Every row of `rows` in a block that may hold an instant in `p`.
    pub fn rows(&self, rows: Range<usize>, p: Period) -> impl Iterator<Item = usize> {
        self.runs(rows, p).into_iter().flatten()
    }

    pub fn heap_bytes(&self) -> usize {
        (self.min.capacity() + self.max.capacity()) * 8
    }

    pub fn shrink_to_fit(&mut self) {
        self.min.shrink_to_fit();
        self.max.shrink_to_fit();
    }
}

/// A set of rows as bits, for the few rows a pass must read even in blocks it otherwise skips.
#[derive(Clone, Default)]
pub struct RowBits {
    words: Vec<u64>,
}

impl RowBits {
    pub fn set(&mut self, row: usize, on: bool) {
        let w = row / 64;
        if w >= self.words.len() {
            if !on {
                return;
            }
            self.words.resize(w + 1, 0);
        }
        let bit = 1u64 << (row % 64);
        if on {
            self.words[w] |= bit;
        } else {
            self.words[w] &= !bit;
        }
    }

    /// The rows set within `rows`, in order.
    pub fn within(&self, rows: Range<usize>) -> impl Iterator<Item = usize> + '_ {
        let (start, end) = (rows.start, rows.end);
        let words = (start / 64)..end.div_ceil(64).min(self.words.len());
        words.flat_map(move |w| {
            let mut bits = self.words[w];
            std::iter::from_fn(move || {
                while bits != 0 {
                    let row = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if (start..end).contains(&row) {
                        return Some(row);
                    }
                }
                None
            })
        })
    }

    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    pub fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BLOCK: usize = 1 << BLOCK_SHIFT;

    fn period(from: i64, to: i64) -> Period {
        Period { from, to }
    }

    #[test]
    fn only_blocks_that_reach_into_the_period_are_read() {
        let mut z = Zones::default();
        for row in 0..3 * BLOCK {
            z.note(row, (row / BLOCK) as i64 * 100);
        }
        let rows: Vec<usize> = z.rows(0..3 * BLOCK, period(100, 200)).collect();
        assert_eq!(rows, (BLOCK..2 * BLOCK).collect::<Vec<_>>());
        // Before it, the first block; after it, nothing.
        assert_eq!(
            z.reach(0..3 * BLOCK, period(100, 200)),
            [(0..BLOCK, Reach::Before), (BLOCK..2 * BLOCK, Reach::Into)]
        );
        // Adjacent blocks are one run, cut to the rows asked for.
        let runs = z.runs(5..3 * BLOCK - 1, period(0, 150));
        assert_eq!((runs.len(), &runs[0]), (1, &(5..2 * BLOCK)));
        // A block widened later by one row out of order is read again.
        z.note(5, 250);
        let runs = z.runs(0..3 * BLOCK, period(250, 300));
        assert_eq!((runs.len(), &runs[0]), (1, &(0..BLOCK)));
        // Nothing noted past the end: nothing read there.
        assert!(
            z.runs(3 * BLOCK..5 * BLOCK, period(i64::MIN, i64::MAX))
                .is_empty()
        );
    }

    #[test]
    fn row_bits_list_the_rows_set_in_a_range() {
        let mut b = RowBits::default();
        for row in [1, 63, 64, 200, 5000] {
            b.set(row, true);
        }
        b.set(200, false);
        b.set(9999, false);
        assert_eq!(b.within(0..5001).collect::<Vec<_>>(), [1, 63, 64, 5000]);
        assert_eq!(b.within(2..64).collect::<Vec<_>>(), [63]);
        assert_eq!(b.within(6000..7000).count(), 0);
    }

    proptest! {
        /// Whatever the order of the instants, every row holding an instant in the period
        /// is read.
        #[test]
        fn no_row_in_the_period_is_skipped(
            ats in proptest::collection::vec(-5_000i64..5_000, 1..5_000),
            from in -6_000i64..6_000,
            len in 0i64..3_000,
            start in 0usize..2_000,
        ) {
            let mut z = Zones::default();
            for (row, &at) in ats.iter().enumerate() {
                z.note(row, at);
            }
            let p = period(from, from + len);
            let rows = start.min(ats.len())..ats.len();
            let read: std::collections::HashSet<usize> = z.rows(rows.clone(), p).collect();
            for row in rows {
                if p.contains(ats[row]) {
                    prop_assert!(read.contains(&row), "row {row} at {} skipped", ats[row]);
                }
            }
        }
    }
}
