//! Money: operating cost (recorded costs) and support revenue (won opportunities). Cost per
//! contact, cost per call and return on investment combine them with the contact counts when
//! the report is assembled. Amounts stay `Decimal` and stay per currency: nothing is converted.
//!
//! A recurring cost covers `[at, at + its period)` (a day, week, month, quarter or year in the
//! report's zone) and a report gets the share of it that overlaps the report's period, in
//! proportion to time: a monthly cost recorded at the start of January counts fully in a
//! January report and half in a report of its first half-month. A one-off cost counts in the
//! period containing its instant.

use super::{Merge, Totals, finish_cells, needs_tags, per_scope, ticket_attrs};
use crate::engine::{Ctx, FamilyOut, currency_map, money};
use crate::output::{Kpis, Money, Raw};
use crate::period::{DurationClock, add_calendar};
use crate::slicing::{Attrs, Key, Keyer, Slice};
use crate::table::events::{CostEntry, CostPeriod};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

type Costs = BTreeMap<u32, [Decimal; 5]>;

/// The instant a cost's coverage ends (`None` for a one-off cost).
fn coverage_end(c: &CostEntry, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let (unit, n) = match c.period {
        CostPeriod::Once => return None,
        CostPeriod::Day => (jiff::Unit::Day, 1),
        CostPeriod::Week => (jiff::Unit::Week, 1),
        CostPeriod::Month => (jiff::Unit::Month, 1),
        CostPeriod::Quarter => (jiff::Unit::Month, 3),
        CostPeriod::Year => (jiff::Unit::Year, 1),
    };
    Some(add_calendar(c.at, tz, unit, n))
}

pub fn run_costs<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let costs = &ctx.ds.events.costs;
    let ends: Vec<Option<i64>> = costs.iter().map(|c| coverage_end(c, &ctx.req.tz)).collect();
    let mut slices: Vec<Slice<Costs>> = per_scope(scopes, ctx.period);
    for slice in &mut slices {
        slice.begin(&Attrs::default());
        for (i, sp) in slice.sub_periods().into_iter().enumerate() {
            for (c, end) in costs.iter().zip(&ends) {
                let share = match *end {
                    None if sp.contains(c.at) => c.amount,
                    None => continue,
                    Some(end) => {
                        let overlap = end.min(sp.to) - c.at.max(sp.from);
                        if overlap <= 0 || end <= c.at {
                            continue;
                        }
                        c.amount * Decimal::from(overlap) / Decimal::from(end - c.at)
                    }
                };
                slice.at_sub(0, i, |acc| {
                    acc.entry(c.currency).or_default()[c.category] += share
                });
            }
        }
    }
    slices
        .into_iter()
        .map(|s| {
            s.finish()
                .into_iter()
                .map(|(k, acc)| {
                    let costs = currency_map(ctx.ds, acc);
                    let total = costs
                        .iter()
                        .map(|(cur, c)| (cur.clone(), money(c.iter().copied().sum())))
                        .collect();
                    let kpis = Kpis {
                        operating_cost: Some(Money {
                            value: total,
                            band: None,
                        }),
                        raw: Raw {
                            costs: Some(costs),
                            ..Raw::default()
                        },
                        ..Kpis::default()
                    };
                    (k, kpis)
                })
                .collect()
        })
        .collect()
}

pub fn run_revenue<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let plan = Totals::plan(scopes);
    let mut slices: Vec<Slice<Revenue>> = plan.slices(scopes, ctx.period, Revenue::default);
    let tags = needs_tags(scopes);
    for o in &ds.events.opportunities.entries {
        if !o.won || !ctx.period.contains(o.at) {
            continue;
        }
        let attrs = ticket_attrs(ds, o.ticket, tags);
        for slice in &mut slices {
            slice.begin(&attrs);
            slice.at(o.agent, o.at, |acc, _| {
                *acc.0.entry(o.currency).or_default() += o.amount
            });
        }
    }
    let mut cells: Vec<Vec<(Key, Revenue)>> = slices.into_iter().map(Slice::finish).collect();
    plan.merge(&mut cells, scopes);
    finish_cells(cells, scopes, None, |acc| {
        let revenue = currency_map(ds, acc.0);
        let rounded = revenue
            .iter()
            .map(|(c, v)| (c.clone(), money(*v)))
            .collect();
        Kpis {
            support_revenue: Some(Money {
                value: rounded,
                band: None,
            }),
            raw: Raw {
                revenue: Some(revenue),
                ..Raw::default()
            },
            ..Kpis::default()
        }
    })
}

/// Won amounts per currency.
#[derive(Default)]
struct Revenue(BTreeMap<u32, Decimal>);

impl Merge for Revenue {
    fn merge(&mut self, o: &Revenue) {
        for (c, v) in &o.0 {
            *self.0.entry(*c).or_default() += *v;
        }
    }
}
