//! Customer KPIs: retention and churn (from `customer.lifecycle` events) and customer health.
//!
//! **Retention**: of the customers whose lifecycle state just before the start of the period
//! was `active`, the share whose state just before its end is `active` too; churn is the rest.
//! Customers who became active during the period are not in either. Follows time and the
//! customer's organization.
//!
//! **Customer health** (as of the end of the period, or now if sooner; for the whole help desk
//! only): a 0–100 score per customer, the weighted mean of the components the customer has
//! data for (weights renormalised over those), each 0–1 with 1 healthy:
//!
//! | component | weight | value |
//! |---|---|---|
//! | NPS | 0.30 | latest NPS score / 10 (any time before the end) |
//! | CSAT | 0.25 | share of satisfied CSAT answers in the look-back window (default 90 days) |
//! | contact frequency | 0.15 | 1 − (inbound tickets created in the window) / 10, at least 0 |
//! | open urgent tickets | 0.15 | 1 − (urgent tickets unsolved at the end) / 2, at least 0 |
//! | repeat contacts | 0.15 | 1 − share of the window's solved tickets followed by a repeat contact |
//!
//! Contact frequency and open urgent tickets count for every customer with a ticket; the other
//! components only when there is something to measure. Scores round half up to a whole number;
//! 70 and above is healthy, 40–69 at risk, below 40 critical.

use super::per_scope;
use crate::engine::{Ctx, FamilyOut};
use crate::output::{CustomerHealth, HealthSummary, Kpis, Rate};
use crate::period::{DAY_MS, DurationClock};
use crate::slicing::{Attrs, Keyer, Slice};
use crate::table::events::{ACTIVE, EventTables};
use crate::table::tickets::URGENT;
use sanjeh_domain::SurveyKind;

#[derive(Default)]
struct Acc {
    kept: u64,
    active_at_start: u64,
}

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let mut slices: Vec<Slice<Acc>> = per_scope(scopes, ctx.period, ctx.only);
    let subs: Vec<_> = slices.iter().map(Slice::sub_periods).collect();
    let changes = ds.events.lifecycle_by_customer();
    for list in changes.chunk_by(|a, b| a.customer == b.customer) {
        let customer = list[0].customer;
        let attrs = Attrs {
            org: super::customer_org(ds, customer),
            ..Attrs::default()
        };
        for (slice, subs) in slices.iter_mut().zip(&subs) {
            slice.begin(&attrs);
            for (i, &sp) in subs.iter().enumerate() {
                if EventTables::lifecycle_at(list, sp.from) != Some(ACTIVE) {
                    continue;
                }
                let kept = EventTables::lifecycle_at(list, sp.to) == Some(ACTIVE);
                slice.at_sub(0, i, |a| {
                    a.active_at_start += 1;
                    a.kept += u64::from(kept);
                });
            }
        }
    }
    let health = (ctx.main && scopes.first().is_some_and(Option::is_none)).then(|| health(ctx));
    let mut out: FamilyOut = slices
        .into_iter()
        .map(|s| {
            s.finish()
                .into_iter()
                .map(|(k, a)| {
                    let kpis = Kpis {
                        retention_rate: Some(Rate::new(a.kept, a.active_at_start)),
                        churn_rate: Some(Rate::new(a.active_at_start - a.kept, a.active_at_start)),
                        ..Kpis::default()
                    };
                    (k, kpis)
                })
                .collect()
        })
        .collect();
    if let (Some(h), Some(totals)) = (health, out.first_mut()) {
        totals[0].1.customer_health = Some(h);
    }
    out
}

const WEIGHTS: [f64; 5] = [0.30, 0.25, 0.15, 0.15, 0.15];

/// Per-customer inputs of the health score (whether the customer has a ticket at all is kept
/// apart, see [`health`]).
#[derive(Clone, Copy, Default)]
struct Inputs {
    nps_at: i64,
    nps: Option<u8>,
    csat_yes: u32,
    csat_n: u32,
    urgent_open: u32,
    /// Inbound tickets created in the window.
    contacts: u32,
    solved: u32,
    repeated: u32,
}

fn health<C: DurationClock>(ctx: &Ctx<C>) -> HealthSummary {
    let ds = ctx.ds;
    let t = &ds.tickets;
    let end = ctx.period.to.min(ctx.now);
    let start = end - ctx.req.health_lookback_days.max(1) * DAY_MS;
    let window = ctx.req.repeat_window_days.saturating_mul(DAY_MS);
    let customers = ds.names.customers.len();
    let mut inputs = vec![Inputs::default(); customers];
    // Every ticket marks its customer, but most tickets are older than the window and add
    // nothing else: a bit per customer stays in cache where the inputs (tens of bytes each,
    // read in no order) would not.
    let mut has_ticket = vec![0u64; customers.div_ceil(64)];

    for row in 1..t.len() as u32 {
        let tk = t.get(row);
        let c = tk.customer as usize;
        if c == 0 || !tk.is_present() || tk.created >= end {
            continue;
        }
        has_ticket[c / 64] |= 1 << (c % 64);
        let contact = !tk.is_outbound() && tk.created >= start;
        let urgent_open = tk.priority == URGENT && ds.unsolved_at(row, end).is_some();
        let solved = tk
            .is_finally_solved()
            .then(|| t.last_solved_at(row).unwrap_or(i64::MIN))
            .filter(|&s| start <= s && s < end);
        if !contact && !urgent_open && solved.is_none() {
            continue;
        }
        let inp = &mut inputs[c];
        inp.contacts += u32::from(contact);
        inp.urgent_open += u32::from(urgent_open);
        if let Some(s) = solved {
            inp.solved += 1;
            inp.repeated += u32::from(t.repeat_contact(row, s, window));
        }
    }
    let s = &ds.events.surveys;
    let (csat, nps) = (SurveyKind::Csat as u8, SurveyKind::Nps as u8);
    for i in 0..s.len() {
        let c = s.customer[i] as usize;
        let c = if c == 0 && s.ticket[i] != 0 {
            t.get(s.ticket[i]).customer as usize
        } else {
            c
        };
        if c == 0 || !s.live[i] || s.at[i] >= end {
            continue;
        }
        let inp = &mut inputs[c];
        if s.kind[i] == nps && (inp.nps.is_none() || s.at[i] >= inp.nps_at) {
            inp.nps = Some(s.score[i]);
            inp.nps_at = s.at[i];
        } else if s.kind[i] == csat && s.at[i] >= start {
            inp.csat_n += 1;
            inp.csat_yes += u32::from(super::surveys::satisfied(s.score[i]));
        }
    }

    let mut scored: Vec<(u32, u32, [Option<f64>; 5])> = Vec::new();
    for (c, inp) in inputs.iter().enumerate().skip(1) {
        let has_ticket = has_ticket[c / 64] & (1 << (c % 64)) != 0;
        let contacts = has_ticket.then(|| (1.0 - f64::from(inp.contacts) / 10.0).max(0.0));
        let parts = [
            inp.nps.map(|n| f64::from(n) / 10.0),
            (inp.csat_n > 0).then(|| f64::from(inp.csat_yes) / f64::from(inp.csat_n)),
            contacts,
            has_ticket.then(|| (1.0 - f64::from(inp.urgent_open) / 2.0).max(0.0)),
            (inp.solved > 0).then(|| 1.0 - f64::from(inp.repeated) / f64::from(inp.solved)),
        ];
        let (mut sum, mut weight) = (0.0, 0.0);
        for (p, w) in parts.iter().zip(WEIGHTS) {
            if let Some(p) = p {
                sum += p * w;
                weight += w;
            }
        }
        if weight > 0.0 {
            let score = (sum / weight * 100.0 + 0.5).floor().clamp(0.0, 100.0) as u32;
            scored.push((score, c as u32, parts));
        }
    }
    summarize(ctx, scored)
}

fn summarize<C>(ctx: &Ctx<C>, mut scored: Vec<(u32, u32, [Option<f64>; 5])>) -> HealthSummary {
    let n = scored.len() as u64;
    let mut h = HealthSummary {
        customers: n,
        ..HealthSummary::default()
    };
    if n == 0 {
        return h;
    }
    let scores: Vec<i64> = scored.iter().map(|s| i64::from(s.0)).collect();
    let summary = crate::percentile::summarize(&scores).expect("not empty");
    h.mean = Some(summary.mean_ms());
    h.median = Some(summary.median_ms);
    for s in &scored {
        match s.0 {
            70.. => h.healthy += 1,
            40..=69 => h.at_risk += 1,
            _ => h.critical += 1,
        }
    }
    let names = &ctx.ds.names;
    let limit = ctx.req.health_limit.min(scored.len());
    // Lowest score first, ties by customer id.
    let order = |a: &(u32, u32, [Option<f64>; 5]), b: &(u32, u32, [Option<f64>; 5])| {
        a.0.cmp(&b.0)
            .then_with(|| names.customers.name(a.1).cmp(names.customers.name(b.1)))
    };
    if limit > 0 && limit < scored.len() {
        scored.select_nth_unstable_by(limit - 1, order);
    }
    let mut lowest: Vec<_> = scored[..limit].to_vec();
    lowest.sort_by(order);
    h.lowest = lowest
        .into_iter()
        .map(|(score, c, p)| CustomerHealth {
            customer: names.customers.name(c).to_owned(),
            name: names.customer_names.get(&c).cloned(),
            score,
            nps: p[0],
            csat: p[1],
            contact_frequency: p[2],
            open_urgent: p[3],
            repeat_contacts: p[4],
        })
        .collect();
    h
}
