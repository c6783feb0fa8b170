//! A ticket's status at a past instant, for "as of the end of the period" KPIs (backlog,
//! resolution rate, open urgent tickets).
//!
//! The state at an instant `T` is the state after every event before `T` (an event at `T`
//! belongs to the period starting at `T`). A ticket is unsolved at `T` when `T` lies in one of
//! its *unsolved intervals* `(open, close]`: from creation to its first solve, and from each
//! reopen to the next solve; a merge closes it for good.
//!
//! A ticket never reopened needs only its creation, first solve and merge instants. A reopened
//! ticket needs its solve instants (from the solves) and its reopen instants (from
//! [`crate::Dataset::add_reopen`]). When a reopen instant is missing, the reopen is taken to
//! follow its solve at once: exact for the current backlog, an upper bound for a past one, and
//! counted apart as `inferred`.

use crate::dataset::Dataset;

/// Open-ended intervals close here.
pub const FOREVER: i64 = i64::MAX;

/// `(open, close]`: unsolved at every `T` with `open < T <= close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub open: i64,
    pub close: i64,
    /// Opened by a reopen whose instant is not recorded.
    pub inferred: bool,
}

/// The unsolved intervals of reopened tickets, computed once per report.
#[derive(Default)]
pub struct History {
    intervals: Vec<Interval>,
    /// `intervals[offsets[row]..offsets[row + 1]]` are the row's (a dense index: reports read
    /// rows in order, and a hash lookup per reopened ticket costs a cache miss each).
    offsets: Vec<u32>,
}

impl History {
    pub fn build(ds: &Dataset) -> History {
        let t = &ds.tickets;
        let mut h = History::default();
        if t.reopened_count == 0 {
            return h;
        }
        let rows = t.len();
        let reopened = |row: u32| {
            let tk = t.get(row);
            tk.is_present() && tk.reopens > 0
        };
        let mut solves: Vec<(u32, i64)> = ds
            .solves
            .ticket
            .iter()
            .zip(&ds.solves.at)
            .filter(|&(&row, _)| reopened(row))
            .map(|(&row, &at)| (row, at))
            .collect();
        solves.sort_unstable();
        let none = Vec::new();
        let mut next = 0;
        h.offsets.reserve(rows + 1);
        h.offsets.push(0);
        for row in 0..rows as u32 {
            let start = next;
            while next < solves.len() && solves[next].0 == row {
                next += 1;
            }
            if reopened(row) {
                let tk = t.get(row);
                let mut s: Vec<i64> = solves[start..next].iter().map(|x| x.1).collect();
                // The facts always know the first and last solve, even if a solve was not fed.
                s.extend(t.first_solved_at(row));
                s.extend(t.last_solved_at(row));
                s.sort_unstable();
                s.dedup();
                let reopens = ds.reopen_times.get(&row).unwrap_or(&none);
                let unsolved_now = crate::table::tickets::status_unsolved(tk.status());
                let merged = t.merged_at.get(&row).copied();
                h.intervals
                    .extend(intervals(tk.created, &s, reopens, unsolved_now, merged));
            }
            h.offsets.push(h.intervals.len() as u32);
        }
        h
    }

    /// Calls `f` with each unsolved interval of a present ticket.
    #[inline]
    pub fn each_unsolved(&self, ds: &Dataset, row: u32, mut f: impl FnMut(Interval)) {
        let t = &ds.tickets;
        let tk = t.get(row);
        if tk.reopens > 0 && !self.offsets.is_empty() {
            let (a, b) = (self.offsets[row as usize], self.offsets[row as usize + 1]);
            for iv in &self.intervals[a as usize..b as usize] {
                f(*iv);
            }
            return;
        }
        let mut close = t.first_solved_at(row).unwrap_or(FOREVER);
        if tk.is_merged() {
            close = close.min(t.merged_at.get(&row).copied().unwrap_or(FOREVER));
        }
        f(Interval {
            open: tk.created,
            close,
            inferred: false,
        });
    }

    /// Whether a present ticket is unsolved at `at`, and whether that was inferred.
    pub fn unsolved_at(&self, ds: &Dataset, row: u32, at: i64) -> Option<bool> {
        let mut found = None;
        self.each_unsolved(ds, row, |iv| {
            if iv.open < at && at <= iv.close {
                found = Some(iv.inferred);
            }
        });
        found
    }
}

/// The unsolved intervals from creation, sorted solves and reopens, the current status and
/// the merge.
fn intervals(
    created: i64,
    solves: &[i64],
    reopens: &[i64],
    unsolved_now: bool,
    merged: Option<i64>,
) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut open = Some((created, false));
    let mut last_solve = created;
    let mut r = 0;
    for (i, &s) in solves.iter().enumerate() {
        if s < created {
            continue;
        }
        match open {
            Some((o, inferred)) => {
                out.push(Interval {
                    open: o,
                    close: s,
                    inferred,
                });
            }
            None => {
                // Solved twice with no recorded reopen between: the reopen is inferred.
                out.push(Interval {
                    open: last_solve,
                    close: s,
                    inferred: true,
                });
            }
        }
        open = None;
        last_solve = s;
        // The reopen after this solve, if recorded before the next solve.
        let next = solves.get(i + 1).copied().unwrap_or(FOREVER);
        while r < reopens.len() && reopens[r] < s {
            r += 1;
        }
        if r < reopens.len() && reopens[r] < next {
            open = Some((reopens[r], false));
            r += 1;
        }
    }
    // Still open at the end: when the status says so, or until a merge closes it (a merge
    // closes without solving). A recorded reopen after the last solve of a ticket solved now
    // means a solve is missing: the status is trusted.
    match open {
        Some((o, inferred)) if unsolved_now || merged.is_some() || solves.is_empty() => {
            out.push(Interval {
                open: o,
                close: FOREVER,
                inferred,
            });
        }
        None if unsolved_now => out.push(Interval {
            open: last_solve,
            close: FOREVER,
            inferred: true,
        }),
        _ => {}
    }
    if let Some(m) = merged {
        out.retain(|iv| iv.open < m);
        for iv in &mut out {
            iv.close = iv.close.min(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(open: i64, close: i64, inferred: bool) -> Interval {
        Interval {
            open,
            close,
            inferred,
        }
    }

    #[test]
    fn recorded_reopens_give_exact_intervals() {
        assert_eq!(
            intervals(0, &[10, 30], &[20], false, None),
            [iv(0, 10, false), iv(20, 30, false)]
        );
        assert_eq!(
            intervals(0, &[10], &[20], true, None),
            [iv(0, 10, false), iv(20, FOREVER, false)]
        );
    }

    #[test]
    fn missing_reopens_follow_their_solve_at_once() {
        assert_eq!(
            intervals(0, &[10, 30], &[], false, None),
            [iv(0, 10, false), iv(10, 30, true)]
        );
        assert_eq!(
            intervals(0, &[10], &[], true, None),
            [iv(0, 10, false), iv(10, FOREVER, true)]
        );
    }

    #[test]
    fn a_merge_closes_the_ticket() {
        assert_eq!(intervals(0, &[], &[], false, Some(5)), [iv(0, 5, false)]);
        assert_eq!(
            intervals(0, &[10], &[20], true, Some(25)),
            [iv(0, 10, false), iv(20, 25, false)]
        );
        assert_eq!(
            intervals(0, &[10], &[20], true, Some(15)),
            [iv(0, 10, false)]
        );
    }
}
