//! SLA outcomes per ticket, as the SLA tracker reports them: the runs that ended (for the
//! achievement rate) and the current state of every target (for the overdue backlog). Both are
//! replaced whole per ticket on every change, like ticket states.

use crate::intern::Interner;
use crate::period::Period;
use crate::table::zones::Zones;
use hashbrown::HashMap;
use sanjeh_sla::{Finished, Metric, MetricStatus, State};

/// No instant.
pub const NEVER: i64 = i64::MAX;

/// The metric's code: its index in [`Metric::ALL`].
pub fn metric_code(m: Metric) -> u8 {
    Metric::ALL.iter().position(|&x| x == m).unwrap_or(0) as u8
}

/// One ended run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaRun {
    pub metric: u8,
    /// Interned policy id.
    pub policy: u32,
    pub started: i64,
    pub ended: i64,
    /// [`NEVER`] when the run was achieved.
    pub breached: i64,
}

/// An interval `(from, until]` of instants at which a target of the ticket was overdue: from
/// its breach (or due date) to the end of its run ([`NEVER`] while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    pub from: i64,
    pub until: i64,
}

#[derive(Default)]
pub struct SlaTable {
    pub policies: Interner,
    /// Ended runs per ticket row.
    pub finished: HashMap<u32, Vec<SlaRun>>,
    /// Overdue intervals per ticket row, from its ended runs and its current statuses.
    pub overdue: HashMap<u32, Vec<Overdue>>,
    /// Per ticket row: the overdue intervals of its ended runs and of its statuses, kept apart
    /// so each input replaces only its own.
    from_finished: HashMap<u32, Vec<Overdue>>,
    from_statuses: HashMap<u32, Vec<Overdue>>,
    /// The span of the runs' ends per block of ticket rows, and the rows' end: a period's
    /// runs are looked up only in the blocks that reach into it.
    ended: Zones,
    rows: usize,
}

impl SlaTable {
    pub fn set_finished(&mut self, row: u32, runs: &[Finished]) {
        let list: Vec<SlaRun> = runs
            .iter()
            .map(|f| SlaRun {
                metric: metric_code(f.metric),
                policy: self.policies.intern(&f.policy),
                started: f.started_at,
                ended: f.ended_at,
                breached: f.breached_at.unwrap_or(NEVER),
            })
            .collect();
        let overdue: Vec<Overdue> = list
            .iter()
            .filter(|r| r.breached != NEVER)
            .map(|r| Overdue {
                from: r.breached,
                until: r.ended,
            })
            .collect();
        for r in &list {
            self.ended.note(row as usize, r.ended);
        }
        self.rows = self.rows.max(row as usize + 1);
        put(&mut self.finished, row, list);
        put(&mut self.from_finished, row, overdue);
        self.rebuild(row);
    }

    pub fn set_statuses(&mut self, row: u32, statuses: &[MetricStatus]) {
        let overdue: Vec<Overdue> = statuses
            .iter()
            .filter_map(|s| {
                // Breached, or due and still counting (the tracker breaches at the due instant
                // whether or not an event happened then). A paused run is not overdue unless
                // it was breached already.
                let from = match (s.breached_at, s.state) {
                    (Some(b), _) => b,
                    (None, State::Active) => s.due_at?,
                    _ => return None,
                };
                Some(Overdue {
                    from,
                    until: s.ended_at.unwrap_or(NEVER),
                })
            })
            .collect();
        put(&mut self.from_statuses, row, overdue);
        self.rebuild(row);
    }

    fn rebuild(&mut self, row: u32) {
        let mut all: Vec<Overdue> = Vec::new();
        for m in [&self.from_finished, &self.from_statuses] {
            all.extend(m.get(&row).into_iter().flatten());
        }
        all.sort_unstable_by_key(|o| (o.from, o.until));
        all.dedup();
        put(&mut self.overdue, row, all);
    }

    /// Whether any target of `row` is overdue at `t`: breached (or past due) before `t` and not
    /// ended before `t`.
    #[inline]
    pub fn overdue_at(list: &[Overdue], due_before: i64, t: i64) -> bool {
        list.iter().any(|o| o.from < due_before && t <= o.until)
    }

    /// The tickets with runs that may have ended in `p`, with all their runs.
    pub fn finished_in(&self, p: Period) -> impl Iterator<Item = (u32, &[SlaRun])> {
        self.ended.rows(0..self.rows, p).filter_map(|row| {
            let row = row as u32;
            self.finished.get(&row).map(|runs| (row, runs.as_slice()))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.overdue.is_empty() && self.finished.is_empty()
    }

    pub fn shrink_to_fit(&mut self) {
        for m in [
            &mut self.overdue,
            &mut self.from_finished,
            &mut self.from_statuses,
        ] {
            m.shrink_to_fit();
        }
        self.finished.shrink_to_fit();
        self.policies.shrink_to_fit();
        self.ended.shrink_to_fit();
    }
}

fn put<V>(m: &mut HashMap<u32, Vec<V>>, row: u32, list: Vec<V>) {
    if list.is_empty() {
        m.remove(&row);
    } else {
        m.insert(row, list);
    }
}
