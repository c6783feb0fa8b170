//! Reply time: for each agent reply in the period that answered a waiting customer, the time
//! from the earliest unanswered customer message (or the creation of an inbound ticket) to the
//! reply. Filed under the replying agent and the ticket's other dimensions.

use super::{Totals, finish_cells, needs_tags, ticket_attrs, union_of, with_warm_tickets};
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Duration, Kpis};
use crate::percentile::Samples;
use crate::period::DurationClock;
use crate::slicing::{Key, Keyer, Slice};

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let r = &ds.replies;
    let p = ctx.period;
    let plan = Totals::plan(scopes);
    let business = ctx.business;
    let counting = || (Samples::count_only(), Samples::count_only());
    let mut slices: Vec<Slice<(Samples, Samples)>> = plan.slices(scopes, p, ctx.only, counting);
    let tags = needs_tags(scopes);
    with_warm_tickets(
        ds,
        r.zones.rows(0..r.len(), p),
        |i| r.ticket[i],
        |i| {
            let at = r.at[i];
            if !p.contains(at) {
                return;
            }
            let wait = r.wait.get(i as u32, 0).unwrap_or(0);
            let sample = ctx.clock.elapsed(at - wait, at);
            let attrs = ticket_attrs(ds, r.ticket[i], tags);
            // The ticket's group calendar (its current group, like every other dimension).
            let sample_b = business.map(|b| b.elapsed(attrs.group, at - wait, at));
            for slice in &mut slices {
                slice.begin(&attrs);
                slice.at(r.agent[i], at, |v, _| {
                    v.0.push(sample);
                    if let Some(b) = sample_b {
                        v.1.push(b);
                    }
                });
            }
        },
    );
    let mut cells: Vec<Vec<(Key, (Samples, Samples))>> =
        slices.into_iter().map(Slice::finish).collect();
    let totals = plan.partition().map(|g| Kpis {
        reply_time: Some(union_of(&mut cells[g], |s| vec![&mut s.0])),
        reply_time_business: business.map(|_| union_of(&mut cells[g], |s| vec![&mut s.1])),
        ..Kpis::default()
    });
    finish_cells(cells, scopes, totals, |mut v| Kpis {
        reply_time: Some(Duration::from_samples(&mut v.0)),
        reply_time_business: business.map(|_| Duration::from_samples(&mut v.1)),
        ..Kpis::default()
    })
}
