//! Agent KPIs: resolved per session and learning rate, and the agents' ranking.
//!
//! - **resolved_per_session**: over the work sessions starting in the period (a session is a
//!   run of an agent's activity with no gap over 30 minutes), the solves credited to the agent
//!   between the session's first and last activity, per session.
//! - **learning_rate**: over solves in the period credited to an agent and carrying at least
//!   one tag, the share in which the agent solved a tag (topic) for the first time ever.
//! - **ranking** (`top_agents`): see [`rank`].

use super::{Merge, Totals, finish_cells, ticket_attrs, with_warm_tickets};
use crate::bands::Better;
use crate::dataset::Dataset;
use crate::engine::{Ctx, FamilyOut};
use crate::output::{AgentRow, Duration, Kpis, Rate};
use crate::period::DurationClock;
use crate::request::RankWeights;
use crate::slicing::{Attrs, Key, Keyer, Slice};

#[derive(Default)]
struct Sessions {
    sessions: u64,
    solves: u64,
}

pub fn run_sessions<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let p = ctx.period;
    let plan = Totals::plan(scopes);
    let mut slices: Vec<Slice<Sessions>> = plan.slices(scopes, p, ctx.only, Sessions::default);
    for slice in &mut slices {
        slice.begin(&Attrs::default());
    }
    for (agent, tl) in ctx.ds.timelines.iter().enumerate() {
        let first = tl.sessions.partition_point(|s| s.start < p.from);
        let mut j = 0;
        for s in &tl.sessions[first..] {
            if s.start >= p.to {
                break;
            }
            // Solves and sessions are both sorted: walk them together.
            j += tl.solves[j..].partition_point(|&x| x < s.start);
            let k = tl.solves[j..].partition_point(|&x| x <= s.end);
            let solved = k as u64;
            for slice in &mut slices {
                slice.at(agent as u32, s.start, |a, _| {
                    a.sessions += 1;
                    a.solves += solved;
                });
            }
        }
    }
    finish(plan, scopes, slices, |a| Kpis {
        resolved_per_session: Some(Rate::new(a.solves, a.sessions)),
        ..Kpis::default()
    })
}

#[derive(Default)]
struct Learning {
    firsts: u64,
    solves: u64,
}

pub fn run_learning<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let s = &ds.solves;
    let p = ctx.period;
    let plan = Totals::plan(scopes);
    let mut slices: Vec<Slice<Learning>> = plan.slices(scopes, p, ctx.only, Learning::default);
    with_warm_tickets(
        ds,
        s.zones.rows(0..s.len(), p),
        |i| s.ticket[i],
        |i| {
            if s.agent[i] == 0 || s.tag_set[i] == 0 || !p.contains(s.at[i]) {
                return;
            }
            // The topics are the tags the ticket had when solved.
            let attrs = Attrs {
                tags: ds.names.tag_sets.get(s.tag_set[i]),
                ..ticket_attrs(ds, s.ticket[i], false)
            };
            let first = s.new_topics[i] > 0;
            for slice in &mut slices {
                slice.begin(&attrs);
                slice.at(s.agent[i], s.at[i], |a, _| {
                    a.solves += 1;
                    a.firsts += u64::from(first);
                });
            }
        },
    );
    finish(plan, scopes, slices, |a| Kpis {
        learning_rate: Some(Rate::new(a.firsts, a.solves)),
        ..Kpis::default()
    })
}

fn finish<A: Merge + Default>(
    plan: Totals,
    scopes: &[Option<&Keyer>],
    slices: Vec<Slice<A>>,
    f: impl Fn(&A) -> Kpis,
) -> FamilyOut {
    let mut cells: Vec<Vec<(Key, A)>> = slices.into_iter().map(Slice::finish).collect();
    plan.merge(&mut cells, scopes);
    finish_cells(cells, scopes, None, |a| f(&a))
}

impl Merge for Sessions {
    fn merge(&mut self, o: &Sessions) {
        self.sessions += o.sessions;
        self.solves += o.solves;
    }
}

impl Merge for Learning {
    fn merge(&mut self, o: &Learning) {
        self.firsts += o.firsts;
        self.solves += o.solves;
    }
}

/// A measure's weight and its direction.
type Measure = (fn(&RankWeights) -> f64, Better);

/// The measures an agent is ranked on, with their direction.
const MEASURES: [Measure; 7] = [
    (|w| w.fcr, Better::Higher),
    (|w| w.first_reply_time, Better::Lower),
    (|w| w.resolution_time, Better::Lower),
    (|w| w.csat, Better::Higher),
    (|w| w.solved, Better::Higher),
    (|w| w.learning_rate, Better::Higher),
    (|w| w.resolved_per_session, Better::Higher),
];

fn measures(r: &AgentRow) -> [Option<f64>; 7] {
    [
        r.fcr.value,
        r.first_reply_time.mean_s,
        r.resolution_time.mean_s,
        r.csat.value,
        Some(r.solved as f64),
        r.learning_rate.value,
        r.resolved_per_session.value,
    ]
}

/// Ranks the agents from the rows of a by-agent grouping.
///
/// Each measure is normalised to 0–1 by its percent rank among the agents that have it: the
/// share of the other agents it beats, ties counting half (one agent alone scores 1). An
/// agent without a value for a measure (no CSAT answers, say) scores 0 on it. The score is
/// the weighted mean of the normalised measures, times 100. Percent ranks rather than
/// min–max scaling, so one outlier cannot squash everyone else together. Agents with no
/// activity in the period are left out; equal scores share a rank.
pub fn rank(
    ds: &Dataset,
    keyer: &Keyer,
    rows: &[(Key, Kpis)],
    weights: &RankWeights,
) -> Vec<AgentRow> {
    let mut out: Vec<AgentRow> = rows
        .iter()
        .filter_map(|(key, k)| {
            let agent = keyer.decode(*key)[0];
            let id = ds.names.agents.label(agent)?.to_owned();
            let name = ds.names.agent_names.get(&agent).cloned();
            let frt = k
                .first_reply_time
                .clone()
                .map(|d| Duration {
                    excluded: None,
                    band: None,
                    ..d
                })
                .unwrap_or_default();
            let row = AgentRow {
                rank: 0,
                agent: id,
                name,
                score: 0.0,
                fcr: k.fcr_rate.unwrap_or_default(),
                first_reply_time: frt,
                resolution_time: k.full_resolution_time.clone().unwrap_or_default(),
                csat: k.csat.unwrap_or_default(),
                solved: k.solved_tickets.map_or(0, |c| c.value),
                learning_rate: k.learning_rate.unwrap_or_default(),
                resolved_per_session: k.resolved_per_session.unwrap_or_default(),
            };
            let active = row.solved > 0
                || row.first_reply_time.n > 0
                || row.csat.den > 0
                || row.learning_rate.den > 0
                || row.resolved_per_session.den > 0;
            active.then_some(row)
        })
        .map(|mut r| {
            r.csat.band = None;
            r.fcr.band = None;
            r.resolution_time.band = None;
            r.learning_rate.band = None;
            r.resolved_per_session.band = None;
            r
        })
        .collect();
    let values: Vec<[Option<f64>; 7]> = out.iter().map(measures).collect();
    let total_weight: f64 = MEASURES.iter().map(|(w, _)| w(weights).max(0.0)).sum();
    for (m, (weight, better)) in MEASURES.iter().enumerate() {
        let w = weight(weights).max(0.0);
        if w == 0.0 {
            continue;
        }
        let present: Vec<f64> = values.iter().filter_map(|v| v[m]).collect();
        for (i, row) in out.iter_mut().enumerate() {
            let Some(x) = values[i][m] else { continue };
            row.score += w * percent_rank(x, &present, *better);
        }
    }
    for row in &mut out {
        row.score = if total_weight > 0.0 {
            row.score * 100.0 / total_weight
        } else {
            0.0
        };
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.solved.cmp(&a.solved))
            .then(a.agent.cmp(&b.agent))
    });
    for i in 0..out.len() {
        out[i].rank = if i > 0 && out[i].score == out[i - 1].score {
            out[i - 1].rank
        } else {
            i as u32 + 1
        };
    }
    out
}

/// The share of the other values `x` beats, ties counting half; 1 when alone.
fn percent_rank(x: f64, all: &[f64], better: Better) -> f64 {
    if all.len() <= 1 {
        return 1.0;
    }
    let (mut beaten, mut tied) = (0usize, 0usize);
    for &y in all {
        let wins = match better {
            Better::Higher => x > y,
            Better::Lower => x < y,
        };
        beaten += usize::from(wins);
        tied += usize::from(x == y);
    }
    // `tied` counts `x` itself.
    (beaten as f64 + (tied - 1) as f64 / 2.0) / (all.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rank_counts_ties_half() {
        let all = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(percent_rank(3.0, &all, Better::Higher), 1.0);
        assert_eq!(percent_rank(1.0, &all, Better::Higher), 0.0);
        assert_eq!(percent_rank(2.0, &all, Better::Higher), (1.0 + 0.5) / 3.0);
        assert_eq!(percent_rank(1.0, &all, Better::Lower), 1.0);
        assert_eq!(percent_rank(5.0, &[5.0], Better::Lower), 1.0);
    }
}
