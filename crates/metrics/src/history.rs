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
use crate::table::activity::SolveTable;
use crate::table::tickets::TicketTable;
use hashbrown::HashMap;

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

/// The unsolved intervals of reopened tickets, kept current by the dataset as tickets, solves
/// and reopens arrive (in any order), so a report reads them instead of rebuilding them.
#[derive(Default)]
pub struct History {
    reopened: HashMap<u32, Vec<Interval>>,
}

impl History {
    /// Recomputes the intervals of ticket `row` from its current row, its solves and its
    /// reopens (call after any of them changed); a ticket never reopened needs none kept.
    pub fn refresh(
        &mut self,
        t: &TicketTable,
        solves: &SolveTable,
        reopen_times: &HashMap<u32, Vec<i64>>,
        row: u32,
    ) {
        let tk = t.get(row);
        if !(tk.is_present() && tk.reopens > 0) {
            self.reopened.remove(&row);
            return;
        }
        let mut s: Vec<i64> = solves.of_ticket(row).collect();
        // The facts always know the first and last solve, even if a solve was not fed.
        s.extend(t.first_solved_at(row));
        s.extend(t.last_solved_at(row));
        s.sort_unstable();
        s.dedup();
        let reopens = reopen_times.get(&row).map_or(&[][..], Vec::as_slice);
        let unsolved_now = crate::table::tickets::status_unsolved(tk.status());
        let merged = t.merged_at.get(&row).copied();
        self.reopened.insert(
            row,
            intervals(tk.created, &s, reopens, unsolved_now, merged),
        );
    }

    pub fn heap_bytes(&self) -> usize {
        self.reopened.capacity() * (std::mem::size_of::<(u32, Vec<Interval>)>() + 1)
            + self
                .reopened
                .values()
                .map(|v| v.capacity() * std::mem::size_of::<Interval>())
                .sum::<usize>()
    }

    pub fn shrink_to_fit(&mut self) {
        self.reopened.shrink_to_fit();
    }
}

impl Dataset {
    /// Calls `f` with each unsolved interval of a present ticket.
    #[inline]
    pub(crate) fn each_unsolved(&self, row: u32, mut f: impl FnMut(Interval)) {
        let t = &self.tickets;
        let tk = t.get(row);
        if tk.reopens > 0
            && let Some(list) = self.history.reopened.get(&row)
        {
            for iv in list {
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
    pub(crate) fn unsolved_at(&self, row: u32, at: i64) -> Option<bool> {
        let mut found = None;
        self.each_unsolved(row, |iv| {
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
    use sanjeh_domain::event::Event;
    use sanjeh_domain::{Mode, TicketState, to_millis};

    fn unsolved(ds: &Dataset, row: u32) -> Vec<Interval> {
        let mut out = Vec::new();
        ds.each_unsolved(row, |iv| out.push(iv));
        out
    }

    /// The intervals kept current do not depend on the order the dataset is fed in: the
    /// ticket's final state first and its solves and reopens after (as a load may), or each
    /// after the change that derived it (as live commits do). Three solves: the middle one is
    /// known only from the solves, not from the ticket's facts.
    #[test]
    fn kept_intervals_do_not_depend_on_the_order_of_the_inputs() {
        let lines = [
            r#"{"type":"ticket.created","at":"2026-01-01T00:00:00Z","ticket":"T1","customer":"C1","channel":"email"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T01:00:00Z","ticket":"T1","status":"solved","by":"agent:A1"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T02:00:00Z","ticket":"T1","status":"open","by":"agent:A1"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T03:00:00Z","ticket":"T1","status":"solved","by":"agent:A1"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T04:00:00Z","ticket":"T1","status":"open","by":"agent:A1"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T05:00:00Z","ticket":"T1","status":"solved","by":"agent:A1"}"#,
            r#"{"type":"ticket.status","at":"2026-01-01T06:00:00Z","ticket":"T1","status":"pending","by":"agent:A1"}"#,
        ];
        let mut live = Dataset::new();
        let (mut solves, mut reopens) = (Vec::new(), Vec::new());
        let mut state: Option<TicketState> = None;
        for line in lines {
            let e = Event::parse_line(line).unwrap();
            let at = to_millis(e.at);
            match (&e.body, state.as_mut()) {
                (sanjeh_domain::EventBody::TicketCreated(c), _) => {
                    state = Some(TicketState::create(c, at));
                }
                (body, Some(t)) => {
                    let d = t.apply(body, at, Mode::Replay).unwrap();
                    if let Some(s) = d.solve {
                        live.add_solve(&s);
                        solves.push(s);
                    }
                    if d.reopened {
                        live.add_reopen(&t.id, at);
                        reopens.push(at);
                    }
                }
                _ => unreachable!(),
            }
            live.upsert_ticket(state.as_ref().unwrap());
        }
        let t = state.unwrap();
        let mut loaded = Dataset::new();
        loaded.upsert_ticket(&t);
        for at in reopens.iter().rev() {
            loaded.add_reopen(&t.id, *at);
        }
        for s in solves.iter().rev() {
            loaded.add_solve(s);
        }
        let hour = 3_600_000;
        let start = t.created_at;
        let expected = [
            Interval {
                open: start,
                close: start + hour,
                inferred: false,
            },
            Interval {
                open: start + 2 * hour,
                close: start + 3 * hour,
                inferred: false,
            },
            Interval {
                open: start + 4 * hour,
                close: start + 5 * hour,
                inferred: false,
            },
            Interval {
                open: start + 6 * hour,
                close: FOREVER,
                inferred: false,
            },
        ];
        assert_eq!(unsolved(&live, 1), expected);
        assert_eq!(unsolved(&loaded, 1), expected);
    }

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
