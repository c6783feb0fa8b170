//! Reply time: for each agent reply in the period that answered a waiting customer, the time
//! from the earliest unanswered customer message (or the creation of an inbound ticket) to the
//! reply. Filed under the replying agent and the ticket's other dimensions.

use super::{per_scope, ticket_attrs};
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Duration, Kpis};
use crate::period::DurationClock;
use crate::slicing::{Keyer, Slice};

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let r = &ds.replies;
    let p = ctx.period;
    let mut slices: Vec<Slice<Vec<i64>>> = per_scope(scopes, p);
    for i in 0..r.len() {
        let at = r.at[i];
        if !p.contains(at) {
            continue;
        }
        let wait = r.wait.get(i as u32, 0).unwrap_or(0);
        let sample = ctx.clock.elapsed(at - wait, at);
        let attrs = ticket_attrs(ds, r.ticket[i]);
        for slice in &mut slices {
            slice.begin(&attrs);
            slice.at(r.agent[i], at, |v, _| v.push(sample));
        }
    }
    slices
        .into_iter()
        .map(|s| {
            s.finish()
                .into_iter()
                .map(|(k, mut v)| (k, Kpis { reply_time: Some(Duration::from_samples(&mut v)), ..Kpis::default() }))
                .collect()
        })
        .collect()
}
