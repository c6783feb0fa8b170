//! SLA achievement: of the SLA runs that ended in the period (a first reply, next reply,
//! periodic update or resolution target kept or missed), the share achieved (never breached),
//! overall, per target metric and per policy. Filed at the run's end under the ticket's
//! assignee and its other (current) dimensions, like the backlog.

use super::{needs_tags, per_scope, ticket_attrs};
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Kpis, Rate, Share, SlaAchievement};
use crate::period::DurationClock;
use crate::slicing::{Keyer, Slice};
use crate::table::sla::NEVER;
use sanjeh_sla::Metric;
use std::collections::BTreeMap;

#[derive(Default)]
struct Acc {
    achieved: u64,
    ended: u64,
    /// (achieved, ended) per metric code.
    by_metric: [(u64, u64); 4],
    /// (achieved, ended) per interned policy.
    by_policy: BTreeMap<u32, (u64, u64)>,
}

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let p = ctx.period;
    let tags = needs_tags(scopes);
    let mut slices: Vec<Slice<Acc>> = per_scope(scopes, p, ctx.only);
    for (row, runs) in ds.sla.finished_in(p) {
        if !runs.iter().any(|r| p.contains(r.ended)) {
            continue;
        }
        let attrs = ticket_attrs(ds, row, tags);
        let assignee = ds.tickets.get(row).assignee;
        for slice in &mut slices {
            slice.begin(&attrs);
            for r in runs.iter().filter(|r| p.contains(r.ended)) {
                let ok = u64::from(r.breached == NEVER);
                slice.at(assignee, r.ended, |a, _| {
                    a.ended += 1;
                    a.achieved += ok;
                    let m = &mut a.by_metric[usize::from(r.metric.min(3))];
                    m.0 += ok;
                    m.1 += 1;
                    let e = a.by_policy.entry(r.policy).or_default();
                    e.0 += ok;
                    e.1 += 1;
                });
            }
        }
    }
    let policies = &ds.sla.policies;
    slices
        .into_iter()
        .map(|s| {
            s.finish()
                .into_iter()
                .map(|(k, a)| {
                    let by_metric = Metric::ALL
                        .iter()
                        .zip(a.by_metric)
                        .filter(|(_, (_, den))| *den > 0)
                        .map(|(m, (num, den))| (m.as_str(), Share::new(num, den)))
                        .collect();
                    let by_policy = a
                        .by_policy
                        .iter()
                        .map(|(&id, &(num, den))| {
                            (policies.name(id).to_owned(), Share::new(num, den))
                        })
                        .collect();
                    let kpis = Kpis {
                        sla_achievement_rate: Some(SlaAchievement {
                            rate: Rate::new(a.achieved, a.ended),
                            by_metric,
                            by_policy,
                        }),
                        ..Kpis::default()
                    };
                    (k, kpis)
                })
                .collect()
        })
        .collect()
}
