//! Help-centre KPIs over the period: article views and the share of helpful votes (on articles
//! and on replies). The self-service ratio (views per ticket created) is derived with the
//! ticket volume when the report is assembled. They follow time only.

use super::per_scope;
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Count, Kpis, Rate};
use crate::period::DurationClock;
use crate::slicing::{Attrs, Keyer, Slice};

#[derive(Default)]
struct Acc {
    views: u64,
    helpful: u64,
    votes: u64,
}

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let p = ctx.period;
    let mut slices: Vec<Slice<Acc>> = per_scope(scopes, p, ctx.only);
    for slice in &mut slices {
        slice.begin(&Attrs::default());
    }
    for &at in &ds.events.views {
        if p.contains(at) {
            for slice in &mut slices {
                slice.at(0, at, |a, _| a.views += 1);
            }
        }
    }
    let v = &ds.events.votes;
    for (i, &at) in v.at.iter().enumerate() {
        if p.contains(at) {
            let helpful = v.helpful[i];
            for slice in &mut slices {
                slice.at(0, at, |a, _| {
                    a.votes += 1;
                    a.helpful += u64::from(helpful);
                });
            }
        }
    }
    slices
        .into_iter()
        .map(|s| {
            s.finish()
                .into_iter()
                .map(|(k, a)| {
                    let kpis = Kpis {
                        page_views: Some(Count::new(a.views)),
                        helpful_rate: Some(Rate::new(a.helpful, a.votes)),
                        ..Kpis::default()
                    };
                    (k, kpis)
                })
                .collect()
        })
        .collect()
}

/// Views per ticket created, from this family's views and the tickets family's volume.
pub fn derive(k: &mut Kpis) {
    if let (Some(views), Some(volume)) = (k.page_views, k.ticket_volume) {
        k.self_service_ratio = Some(Rate::new(views.value, volume.value));
    }
}
