//! What tickets derive besides their state, append-only: replies, solves and reopens, and
//! what agents do: their work sessions and the topics they have solved.

use crate::column::OffsetColumn;
use crate::table::zones::Zones;
use hashbrown::HashMap;

/// Agent replies that answered a waiting customer (the `reply_time` samples).
#[derive(Default)]
pub struct ReplyTable {
    pub at: Vec<i64>,
    /// Milliseconds the customer waited (base 0).
    pub wait: OffsetColumn,
    pub ticket: Vec<u32>,
    pub agent: Vec<u32>,
    /// The span of `at` per block of rows.
    pub zones: Zones,
}

impl ReplyTable {
    pub fn push(&mut self, ticket: u32, agent: u32, waiting_since: i64, replied_at: i64) {
        let row = u32::try_from(self.at.len()).expect("more than 4 billion replies");
        self.zones.note(row as usize, replied_at);
        self.at.push(replied_at);
        self.wait.push_absent();
        self.wait.set(row, 0, Some(replied_at - waiting_since));
        self.ticket.push(ticket);
        self.agent.push(agent);
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }
}

/// Solves, each with the tags the ticket had then and how many of them were topics the agent
/// had never solved before (for `learning_rate`).
#[derive(Default)]
pub struct SolveTable {
    pub at: Vec<i64>,
    pub ticket: Vec<u32>,
    pub agent: Vec<u32>,
    pub tag_set: Vec<u32>,
    /// How many of the solve's tags the agent solves here for the first time (ties at the same
    /// instant all count as first). Kept exact as solves arrive in any order.
    pub new_topics: Vec<u16>,
    /// The span of `at` per block of rows.
    pub zones: Zones,
    /// Each ticket's solves as a chain: the ticket row's latest solve, and each solve's
    /// previous one of the same ticket ([`NO_SOLVE`] ends it).
    latest_of_ticket: Vec<u32>,
    previous_of_ticket: Vec<u32>,
}

const NO_SOLVE: u32 = u32::MAX;

impl SolveTable {
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Appends a solve of ticket `row` at `at` by `agent` with the tags `tag_set`, counted as
    /// no new topic yet (see [`LearningIndex::record`]); returns its index.
    pub fn push(&mut self, row: u32, at: i64, agent: u32, tag_set: u32) -> u32 {
        let idx = u32::try_from(self.at.len()).expect("more than 4 billion solves");
        self.zones.note(idx as usize, at);
        self.at.push(at);
        self.ticket.push(row);
        self.agent.push(agent);
        self.tag_set.push(tag_set);
        self.new_topics.push(0);
        if self.latest_of_ticket.len() <= row as usize {
            self.latest_of_ticket.resize(row as usize + 1, NO_SOLVE);
        }
        self.previous_of_ticket
            .push(self.latest_of_ticket[row as usize]);
        self.latest_of_ticket[row as usize] = idx;
        idx
    }

    /// The instants of every solve of ticket `row`, latest added first.
    pub fn of_ticket(&self, row: u32) -> impl Iterator<Item = i64> + '_ {
        let mut next = self
            .latest_of_ticket
            .get(row as usize)
            .copied()
            .unwrap_or(NO_SOLVE);
        std::iter::from_fn(move || {
            (next != NO_SOLVE).then(|| {
                let i = next as usize;
                next = self.previous_of_ticket[i];
                self.at[i]
            })
        })
    }

    pub fn shrink_to_fit(&mut self) {
        self.at.shrink_to_fit();
        self.ticket.shrink_to_fit();
        self.agent.shrink_to_fit();
        self.tag_set.shrink_to_fit();
        self.new_topics.shrink_to_fit();
        self.zones.shrink_to_fit();
        self.latest_of_ticket.shrink_to_fit();
        self.previous_of_ticket.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        self.at.capacity() * 8
            + (self.ticket.capacity()
                + self.agent.capacity()
                + self.tag_set.capacity()
                + self.latest_of_ticket.capacity()
                + self.previous_of_ticket.capacity())
                * 4
            + self.new_topics.capacity() * 2
            + self.zones.heap_bytes()
    }
}

/// The first time an agent solved a ticket with a given tag, and the solves made then.
struct FirstSolve {
    at: i64,
    solves: Vec<u32>,
}

/// Maintains `SolveTable::new_topics` as solves arrive, in any order.
#[derive(Default)]
pub struct LearningIndex {
    first: HashMap<(u32, u32), FirstSolve>,
}

impl LearningIndex {
    /// Records solve `idx` by `agent` at `at` with `tags`, updating which solves are firsts.
    pub fn record(&mut self, solves: &mut SolveTable, idx: u32, agent: u32, at: i64, tags: &[u32]) {
        if agent == 0 {
            return;
        }
        for &tag in tags {
            match self.first.get_mut(&(agent, tag)) {
                None => {
                    self.first.insert(
                        (agent, tag),
                        FirstSolve {
                            at,
                            solves: vec![idx],
                        },
                    );
                    bump(solves, idx, true);
                }
                Some(first) if at < first.at => {
                    for &old in &first.solves {
                        bump(solves, old, false);
                    }
                    *first = FirstSolve {
                        at,
                        solves: vec![idx],
                    };
                    bump(solves, idx, true);
                }
                Some(first) if at == first.at => {
                    first.solves.push(idx);
                    bump(solves, idx, true);
                }
                Some(_) => {}
            }
        }
    }
}

fn bump(solves: &mut SolveTable, idx: u32, up: bool) {
    let n = &mut solves.new_topics[idx as usize];
    *n = if up {
        n.saturating_add(1)
    } else {
        n.saturating_sub(1)
    };
}

/// Work sessions are runs of agent activity with no gap over this long.
pub const SESSION_GAP_MS: i64 = 30 * 60 * 1000;

/// A work session: the first and last activity of a run with no gap over [`SESSION_GAP_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub start: i64,
    pub end: i64,
}

/// One agent's sessions and solve instants, both sorted: a report walks them together.
#[derive(Default)]
pub struct AgentTimeline {
    pub sessions: Vec<Session>,
    pub solves: Vec<i64>,
}

impl AgentTimeline {
    /// Adds one activity instant. Sessions are the connected runs of activity, so adding a
    /// point only ever extends or joins sessions: the result does not depend on arrival order,
    /// and adding the same instant twice changes nothing.
    pub fn add_activity(&mut self, t: i64) {
        let s = &mut self.sessions;
        let idx = s.partition_point(|x| x.start <= t);
        if idx > 0 && t <= s[idx - 1].end.saturating_add(SESSION_GAP_MS) {
            let p = idx - 1;
            s[p].end = s[p].end.max(t);
            if idx < s.len() && s[idx].start - s[p].end <= SESSION_GAP_MS {
                s[p].end = s[p].end.max(s[idx].end);
                s.remove(idx);
            }
        } else if idx < s.len() && s[idx].start - t <= SESSION_GAP_MS {
            s[idx].start = t;
        } else {
            s.insert(idx, Session { start: t, end: t });
        }
    }

    pub fn add_solve(&mut self, t: i64) {
        let i = self.solves.partition_point(|&x| x <= t);
        self.solves.insert(i, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn sessions(points: &[i64]) -> Vec<(i64, i64)> {
        let mut t = AgentTimeline::default();
        for &p in points {
            t.add_activity(p);
        }
        t.sessions.iter().map(|s| (s.start, s.end)).collect()
    }

    #[test]
    fn a_gap_of_exactly_thirty_minutes_stays_in_the_session() {
        assert_eq!(sessions(&[0, 30 * MIN, 60 * MIN]), [(0, 60 * MIN)]);
        assert_eq!(
            sessions(&[0, 30 * MIN + 1]),
            [(0, 0), (30 * MIN + 1, 30 * MIN + 1)]
        );
    }

    #[test]
    fn order_of_arrival_does_not_matter() {
        let pts = [
            0,
            100 * MIN,
            20 * MIN,
            50 * MIN,
            75 * MIN,
            200 * MIN,
            45 * MIN,
        ];
        let expected = sessions(&{
            let mut p = pts;
            p.sort();
            p
        });
        assert_eq!(sessions(&pts), expected);
        // A late point bridges two sessions.
        assert_eq!(sessions(&[0, 50 * MIN, 25 * MIN]), [(0, 50 * MIN)]);
        assert_eq!(expected, [(0, 100 * MIN), (200 * MIN, 200 * MIN)]);
    }

    #[test]
    fn learning_firsts_follow_the_earliest_solve_whatever_the_order() {
        let mut solves = SolveTable::default();
        let mut idx = LearningIndex::default();
        let mut add = |at: i64, tags: &[u32], solves: &mut SolveTable| {
            let i = solves.len() as u32;
            solves.at.push(at);
            solves.ticket.push(1);
            solves.agent.push(7);
            solves.tag_set.push(0);
            solves.new_topics.push(0);
            idx.record(solves, i, 7, at, tags);
        };
        add(200, &[1], &mut solves); // first of tag 1 so far
        add(100, &[1, 2], &mut solves); // now the first of both
        add(100, &[2], &mut solves); // a tie: also a first
        add(300, &[2, 3], &mut solves); // tag 3 is new
        assert_eq!(solves.new_topics, [0, 2, 1, 1]);
    }
}
