//! Call KPIs over calls queued in the period: abandonment rate (with the abandons under 5 s
//! given on their own), speed of answer and service level; and the calls' handle time over
//! calls ended in the period.
//!
//! A call is answered if it has an answer, whatever else it has (an abandon after an answer is
//! a hang-up); abandoned if it has an abandon and no answer. A call with neither is still in
//! the queue (or its outcome was not recorded): it is in the denominators only. Calls file
//! under channel phone, their queue as group, the answering agent and the caller's
//! organization.

use super::{Merge, Totals, customer_org, finish_cells, union_of};
use crate::dataset::Dataset;
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Abandonment, Duration, Kpis, Rate};
use crate::percentile::Samples;
use crate::period::DurationClock;
use crate::slicing::{Attrs, Key, Keyer, Slice};
use crate::table::events::NEVER;
use crate::table::tickets::channel_code;
use sanjeh_domain::Channel;

/// An abandon this soon after queueing is a "short abandon" (often a misdial).
pub const SHORT_ABANDON_MS: i64 = 5_000;

#[derive(Default)]
struct Acc {
    queued: u64,
    abandoned: u64,
    short: u64,
    within: u64,
    speed: Samples,
    /// Speed of answer in business time (the queue's group calendar), with calendars only.
    speed_b: Samples,
    handle: Samples,
}

pub fn call_attrs(ds: &Dataset, row: usize) -> Attrs<'static> {
    let c = &ds.events.calls;
    Attrs {
        channel: u32::from(channel_code(Channel::Phone)),
        group: c.queue[row],
        org: customer_org(ds, c.customer[row]),
        ..Attrs::default()
    }
}

/// Talk (answer to end, holds included) plus wrap-up.
pub fn call_handle_ms(ds: &Dataset, row: usize) -> i64 {
    let c = &ds.events.calls;
    (c.ended[row] - c.answered[row]).max(0) + i64::from(c.wrapup_s[row]) * 1000
}

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let c = &ds.events.calls;
    let p = ctx.period;
    let level_ms = ctx.req.service_level_s.saturating_mul(1000);
    let plan = Totals::plan(scopes);
    let counting = || Acc {
        speed: Samples::count_only(),
        speed_b: Samples::count_only(),
        handle: Samples::count_only(),
        ..Acc::default()
    };
    let mut slices: Vec<Slice<Acc>> = plan.slices(scopes, p, ctx.only, counting);
    for row in c.zones.rows(1..c.len(), p) {
        let queued = c.queued[row];
        let in_queue = queued != NEVER && p.contains(queued);
        let ended = c.answered[row] != NEVER && c.ended[row] != NEVER && p.contains(c.ended[row]);
        if !in_queue && !ended {
            continue;
        }
        let attrs = call_attrs(ds, row);
        let agent = c.agent[row];
        let speed_b = match ctx.business {
            Some(b) if in_queue && c.answered[row] != NEVER => {
                Some(b.elapsed(c.queue[row], queued, c.answered[row]))
            }
            _ => None,
        };
        for slice in &mut slices {
            slice.begin(&attrs);
            if in_queue {
                slice.at(agent, queued, |a, _| {
                    a.queued += 1;
                    if c.answered[row] != NEVER {
                        let wait = ctx.clock.elapsed(queued, c.answered[row]);
                        a.speed.push(wait);
                        if let Some(b) = speed_b {
                            a.speed_b.push(b);
                        }
                        a.within += u64::from(wait <= level_ms);
                    } else if c.abandoned[row] != NEVER {
                        a.abandoned += 1;
                        a.short += u64::from(c.abandoned[row] - queued < SHORT_ABANDON_MS);
                    }
                });
            }
            if ended {
                slice.at(agent, c.ended[row], |a, _| {
                    a.handle.push(call_handle_ms(ds, row))
                });
            }
        }
    }
    let business = ctx.business.is_some();
    let mut cells: Vec<Vec<(Key, Acc)>> = slices.into_iter().map(Slice::finish).collect();
    plan.merge(&mut cells, scopes);
    let totals = plan.partition().map(|g| Kpis {
        speed_of_answer: Some(union_of(&mut cells[g], |a| vec![&mut a.speed])),
        speed_of_answer_business: business
            .then(|| union_of(&mut cells[g], |a| vec![&mut a.speed_b])),
        handle_time_calls: Some(union_of(&mut cells[g], |a| vec![&mut a.handle])),
        ..Kpis::default()
    });
    finish_cells(cells, scopes, totals, |mut a| Kpis {
        abandonment_rate: Some(Abandonment {
            rate: Rate::new(a.abandoned, a.queued),
            under_5s: a.short,
        }),
        speed_of_answer: Some(Duration::from_samples(&mut a.speed)),
        speed_of_answer_business: business.then(|| Duration::from_samples(&mut a.speed_b)),
        service_level: Some(Rate::new(a.within, a.queued)),
        handle_time_calls: Some(Duration::from_samples(&mut a.handle)),
        raw: crate::output::Raw {
            calls_queued: Some(a.queued),
            ..Default::default()
        },
        ..Kpis::default()
    })
}

impl Merge for Acc {
    fn merge(&mut self, o: &Acc) {
        self.queued += o.queued;
        self.abandoned += o.abandoned;
        self.short += o.short;
        self.within += o.within;
        self.speed.add_counts(&o.speed);
        self.speed_b.add_counts(&o.speed_b);
        self.handle.add_counts(&o.handle);
    }
}
