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
use crate::dataset::Dataset;
use crate::engine::{Ctx, FamilyOut};
use crate::output::MoneyRatio;
use crate::output::{Kpis, Money, Raw};
use crate::period::{DurationClock, add_calendar};
use crate::slicing::{Attrs, Key, Keyer, Slice};
use crate::table::events::{CostEntry, CostPeriod};
use crate::table::events::{STAFF, TELEPHONY};
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
    let mut slices: Vec<Slice<Costs>> = per_scope(scopes, ctx.period, ctx.only);
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
    let mut slices: Vec<Slice<Revenue>> =
        plan.slices(scopes, ctx.period, ctx.only, Revenue::default);
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

/// The money KPIs made of several families' results: cost per contact and per call (costs
/// with ticket and call counts) and return on investment (costs with revenue).
pub fn derive(k: &mut Kpis) {
    let Some(costs) = k.raw.costs.clone() else {
        return;
    };
    let total = |c: &[Decimal; 5]| c.iter().copied().sum::<Decimal>();
    if let (Some(volume), Some(calls)) = (k.ticket_volume, k.raw.calls_queued) {
        let contacts = volume.value + calls;
        let per = |amount: Decimal, den: u64| (den > 0).then(|| money(amount / Decimal::from(den)));
        k.cost_per_contact = Some(MoneyRatio {
            value: costs
                .iter()
                .map(|(cur, c)| (cur.clone(), per(total(c), contacts)))
                .collect(),
            band: None,
        });
        // Calls carry all of telephony and their share (by count of contacts) of staff.
        k.cost_per_call = Some(MoneyRatio {
            value: costs
                .iter()
                .map(|(cur, c)| {
                    let staff_share = if contacts > 0 {
                        c[STAFF] * Decimal::from(calls) / Decimal::from(contacts)
                    } else {
                        Decimal::ZERO
                    };
                    (cur.clone(), per(c[TELEPHONY] + staff_share, calls))
                })
                .collect(),
            band: None,
        });
    }
    if let Some(revenue) = &k.raw.revenue {
        let currencies: std::collections::BTreeSet<&String> =
            costs.keys().chain(revenue.keys()).collect();
        k.support_roi = Some(MoneyRatio {
            value: currencies
                .into_iter()
                .map(|cur| {
                    let cost = costs.get(cur).map_or(Decimal::ZERO, total);
                    let rev = revenue.get(cur).copied().unwrap_or(Decimal::ZERO);
                    let roi =
                        (!cost.is_zero()).then(|| ((rev - cost) / cost).round_dp(4).normalize());
                    (cur.clone(), roi)
                })
                .collect(),
            band: None,
        });
    }
}

/// Money as reported: exactly two decimals, half away from zero.
pub fn money(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// Raw money sums per currency name.
pub fn currency_map<V>(ds: &Dataset, m: BTreeMap<u32, V>) -> BTreeMap<String, V> {
    m.into_iter()
        .map(|(c, v)| (ds.names.currencies.name(c).to_owned(), v))
        .collect()
}
