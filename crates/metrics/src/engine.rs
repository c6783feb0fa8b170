//! Runs the KPI families over the period, the previous period and the groupings, and
//! assembles the report.
//!
//! A *family* is a set of KPIs computed in one pass over one table (tickets, replies, survey
//! answers, calls…). Each family runs once per period with every grouping it supports, so a
//! ticket is read once for all its KPIs and all groupings. Families are independent, so they
//! run on the available cores (two on the reference machine) without any shared state.

use crate::dataset::Dataset;
use crate::history::History;
use crate::kpi::{self, Family};
use crate::output::{
    Change, Grouping, Kpis, MoneyRatio, Names, Ordered, PeriodInfo, Previous, Rate, Report, Row,
    Unavailable,
};
use crate::period::{DurationClock, Period};
use crate::request::{Dimension, ReportRequest};
use crate::slicing::{Cardinalities, Key, Keyer};
use crate::table::events::{STAFF, TELEPHONY};
use crate::table::tickets::{channel_label, kind_label, priority_label};
use jiff::Timestamp;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What every family reads.
pub struct Ctx<'a, C> {
    pub ds: &'a Dataset,
    pub req: &'a ReportRequest,
    pub period: Period,
    pub clock: &'a C,
    pub history: &'a History,
    pub now: i64,
    /// Whether this is the report's own period (not the previous one): some costly,
    /// point-in-time KPIs (customer health) are only computed for it.
    pub main: bool,
}

/// One family's cells per scope: `out[s]` belongs to `scopes[s]`.
pub type FamilyOut = Vec<Vec<(Key, Kpis)>>;

/// One family to run over one period with its scopes (None is the totals).
type Task<'a, C> = (Family, &'a Ctx<'a, C>, Vec<Option<&'a Keyer>>);

/// What to compute.
pub struct Plan {
    pub families: Vec<Family>,
    /// Groupings whose rows are wanted.
    pub groupings: Vec<Vec<Dimension>>,
    pub previous: bool,
}

/// Everything computed, before it is shaped into a report.
pub struct Computed {
    pub keyers: Vec<Keyer>,
    pub totals: Kpis,
    /// Per grouping, its cells.
    pub rows: Vec<Vec<(Key, Kpis)>>,
    pub previous: Option<Kpis>,
}

pub fn millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// Runs the plan's families over the period (and the previous one), with every grouping.
pub fn compute<C: DurationClock>(
    ds: &Dataset,
    req: &ReportRequest,
    clock: &C,
    plan: &Plan,
) -> Computed {
    let period = Period {
        from: millis(req.from),
        to: millis(req.to).max(millis(req.from)),
    };
    let n = &ds.names;
    let card = Cardinalities {
        groups: n.groups.len(),
        agents: n.agents.len(),
        orgs: n.orgs.len(),
        tags: n.tags.len(),
    };
    let keyers: Vec<Keyer> = plan
        .groupings
        .iter()
        .map(|g| Keyer::new(g, period, &req.tz, req.week_start, card))
        .collect();
    let history = History::build(ds);
    let now = millis(req.now);
    let main = Ctx {
        ds,
        req,
        period,
        clock,
        history: &history,
        now,
        main: true,
    };
    let prev = Ctx {
        period: period.previous(),
        main: false,
        ..main
    };

    // Tasks: (family, ctx, scopes). Scope None is the totals.
    let mut tasks: Vec<Task<C>> = Vec::new();
    for &f in &plan.families {
        let mut scopes = vec![None];
        for k in &keyers {
            if k.dims.iter().all(|&d| f.supports(d)) {
                scopes.push(Some(k));
            }
        }
        tasks.push((f, &main, scopes));
        if plan.previous {
            tasks.push((f, &prev, vec![None]));
        }
    }
    // Heaviest first, so the last task to start is a light one.
    tasks.sort_by_key(|t| (std::cmp::Reverse(t.0.weight()), !t.1.main));
    let results: Vec<Mutex<Option<FamilyOut>>> = tasks.iter().map(|_| Mutex::new(None)).collect();
    let run = |i: usize| {
        let (family, ctx, scopes) = &tasks[i];
        let out = family.run(ctx, scopes);
        *results[i].lock().expect("no panics while holding") = Some(out);
    };
    // The tickets of the period first, alone: that family splits itself over the cores, and
    // its samples are gone before the other families' are made (a lower peak of memory).
    let first = tasks
        .iter()
        .position(|t| t.0 == Family::Tickets && t.1.main);
    if let Some(i) = first {
        run(i);
    }
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= tasks.len() {
                break;
            }
            if Some(i) != first {
                run(i);
            }
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(tasks.len())
        .max(1);
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }

    let mut totals = Kpis::default();
    let mut previous = plan.previous.then(Kpis::default);
    let mut rows: Vec<BTreeMap<Key, Kpis>> = keyers.iter().map(|_| BTreeMap::new()).collect();
    for ((_, ctx, scopes), result) in tasks.iter().zip(results) {
        let out = result
            .into_inner()
            .expect("no panics while holding")
            .expect("every task ran");
        for (scope, cells) in scopes.iter().zip(out) {
            match scope {
                None => {
                    let target = if ctx.main {
                        &mut totals
                    } else {
                        previous.as_mut().expect("planned")
                    };
                    for (_, k) in cells {
                        target.absorb(k);
                    }
                }
                Some(keyer) => {
                    let g = keyers
                        .iter()
                        .position(|k| std::ptr::eq(k, *keyer))
                        .expect("own keyer");
                    for (key, k) in cells {
                        rows[g].entry(key).or_default().absorb(k);
                    }
                }
            }
        }
    }
    // A row has every KPI of every family that supports its grouping, zero when the family had
    // nothing in that row: the empty values come from running each family on no data.
    let nothing = Dataset::new();
    let empty_history = History::default();
    let empty_ctx = Ctx {
        ds: &nothing,
        history: &empty_history,
        main: false,
        ..main
    };
    for (g, keyer) in keyers.iter().enumerate() {
        for f in plan
            .families
            .iter()
            .filter(|f| keyer.dims.iter().all(|&d| f.supports(d)))
        {
            let empty = f.run(&empty_ctx, &[None]).remove(0).remove(0).1;
            for kpis in rows[g].values_mut() {
                kpis.fill(&empty);
            }
        }
    }
    derive(&mut totals);
    if let Some(p) = previous.as_mut() {
        derive(p);
    }
    let rows = rows
        .into_iter()
        .map(|cells| {
            cells
                .into_iter()
                .map(|(key, mut k)| {
                    derive(&mut k);
                    (key, k)
                })
                .collect()
        })
        .collect();
    Computed {
        keyers,
        totals,
        rows,
        previous,
    }
}

/// For benchmarks: the best of `reps` single-threaded runs of each family over the report's
/// groupings, in milliseconds.
pub fn family_timings<C: DurationClock>(
    ds: &Dataset,
    req: &ReportRequest,
    clock: &C,
    reps: usize,
) -> Vec<(String, f64)> {
    let period = Period {
        from: millis(req.from),
        to: millis(req.to).max(millis(req.from)),
    };
    let n = &ds.names;
    let card = Cardinalities {
        groups: n.groups.len(),
        agents: n.agents.len(),
        orgs: n.orgs.len(),
        tags: n.tags.len(),
    };
    let keyers: Vec<Keyer> = req
        .groupings()
        .iter()
        .map(|g| Keyer::new(g, period, &req.tz, req.week_start, card))
        .collect();
    let t = std::time::Instant::now();
    let history = History::build(ds);
    let mut out = vec![("history".to_owned(), t.elapsed().as_secs_f64() * 1000.0)];
    let ctx = Ctx {
        ds,
        req,
        period,
        clock,
        history: &history,
        now: millis(req.now),
        main: true,
    };
    for f in Family::ALL {
        let mut scopes = vec![None];
        scopes.extend(
            keyers
                .iter()
                .filter(|k| k.dims.iter().all(|&d| f.supports(d)))
                .map(Some),
        );
        let best = (0..reps.max(1))
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(f.run(&ctx, &scopes));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::INFINITY, f64::min);
        out.push((format!("{f:?}"), best));
    }
    out
}

/// KPIs made of other families' results: self-service ratio, cost per contact and per call,
/// return on investment.
fn derive(k: &mut Kpis) {
    if let (Some(views), Some(volume)) = (k.page_views, k.ticket_volume) {
        k.self_service_ratio = Some(Rate::new(views.value, volume.value));
    }
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

/// The full report.
pub fn report<C: DurationClock>(ds: &Dataset, req: &ReportRequest, clock: &C) -> Report {
    let mut groupings = req.groupings();
    // The agents' ranking reads the per-agent rows: reuse a by-agent grouping or add one.
    let agent_grouping = vec![Dimension::Agent];
    let hidden_agents = !groupings.contains(&agent_grouping);
    if hidden_agents {
        groupings.push(agent_grouping.clone());
    }
    let plan = Plan {
        families: Family::ALL.to_vec(),
        groupings: groupings.clone(),
        previous: req.compare_previous,
    };
    let mut c = compute(ds, req, clock, &plan);
    let agent_idx = groupings
        .iter()
        .position(|g| *g == agent_grouping)
        .expect("added");
    let top = kpi::agents::rank(
        ds,
        &c.keyers[agent_idx],
        &c.rows[agent_idx],
        &req.rank_weights,
    );

    let mut notes = vec![
        "overdue_backlog needs SLA policies, which are not recorded yet".to_owned(),
        "business-time durations need schedules, which are not recorded yet; durations are in calendar time".to_owned(),
    ];
    if c.totals.backlog.is_some_and(|b| b.inferred > 0) {
        notes.push("some reopen instants are not recorded: those tickets are taken as reopened right after their solve (backlog.inferred)".to_owned());
    }
    let mut totals = std::mem::take(&mut c.totals);
    totals.overdue_backlog = Some(unavailable());
    totals.top_agents = Some(top);
    totals.apply_bands(&req.targets, None);

    let mut names = Names::default();
    let mut by = Vec::new();
    for (g, dims) in groupings.iter().enumerate() {
        if hidden_agents && g == agent_idx {
            continue;
        }
        let keyer = &c.keyers[g];
        let group_pos = dims.iter().position(|&d| d == Dimension::Group);
        let mut rows: Vec<(Vec<SortKey>, Row)> = std::mem::take(&mut c.rows[g])
            .into_iter()
            .map(|(key, mut kpis)| {
                let values = keyer.decode(key);
                let group = group_pos.and_then(|p| ds.names.groups.label(values[p]));
                kpis.apply_bands(&req.targets, group);
                let mut sort = Vec::new();
                let mut pairs = Vec::new();
                for (&d, &v) in dims.iter().zip(&values) {
                    let label = label(ds, keyer, d, v, &mut names);
                    sort.push(if d.is_time() {
                        SortKey::Index(v)
                    } else {
                        SortKey::Label(label.is_none(), label.clone().unwrap_or_default())
                    });
                    pairs.push((d.as_str(), label));
                }
                (
                    sort,
                    Row {
                        key: Ordered(pairs),
                        kpis,
                    },
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        by.push(Grouping {
            dimensions: dims.clone(),
            rows: rows.into_iter().map(|r| r.1).collect(),
        });
    }

    let period = period_info(req.from, req.to, req, millis(req.now));
    let (previous, change) = match c.previous {
        None => (None, None),
        Some(mut prev) => {
            prev.apply_bands(&req.targets, None);
            let p = Period {
                from: millis(req.from),
                to: millis(req.to),
            }
            .previous();
            let info = period_info(
                Timestamp::from_millisecond(p.from).unwrap_or(Timestamp::MIN),
                req.from,
                req,
                millis(req.now),
            );
            let before: BTreeMap<&str, Option<f64>> = prev.headlines().into_iter().collect();
            let change = totals
                .headlines()
                .into_iter()
                .map(|(kpi, now)| (kpi, Change::new(before.get(kpi).copied().flatten(), now)))
                .collect();
            (
                Some(Previous {
                    period: info,
                    kpis: prev,
                }),
                Some(Ordered(change)),
            )
        }
    };
    let thresholds = Ordered(
        crate::output::KPI_IDS
            .iter()
            .filter_map(|&k| req.targets.threshold(k, None).map(|t| (k, t)))
            .collect(),
    );
    Report {
        period,
        kpis: totals,
        by,
        previous,
        change,
        thresholds,
        names,
        notes,
    }
}

fn unavailable() -> Unavailable {
    Unavailable {
        value: None,
        note: "needs SLA policies (deadlines per priority), not recorded yet",
    }
}

/// Rows sort by time bucket, then by label with none last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Index(u32),
    /// Whether the value is none (so none sorts last), and the label.
    Label(bool, String),
}

fn label(ds: &Dataset, keyer: &Keyer, d: Dimension, v: u32, names: &mut Names) -> Option<String> {
    let n = &ds.names;
    match d {
        Dimension::Day | Dimension::Week | Dimension::Month => keyer
            .time
            .as_ref()
            .and_then(|(_, b)| b.labels.get(v as usize))
            .cloned(),
        Dimension::Channel => channel_label(v).map(str::to_owned),
        Dimension::Priority => priority_label(v).map(str::to_owned),
        Dimension::Kind => kind_label(v).map(str::to_owned),
        Dimension::Tag => n.tags.label(v).map(str::to_owned),
        Dimension::Agent => n.agents.label(v).map(|id| {
            if let Some(name) = n.agent_names.get(&v) {
                names.agents.insert(id.to_owned(), name.clone());
            }
            id.to_owned()
        }),
        Dimension::Group => n.groups.label(v).map(|id| {
            if let Some(name) = n.group_names.get(&v) {
                names.groups.insert(id.to_owned(), name.clone());
            }
            id.to_owned()
        }),
        Dimension::Organization => n.orgs.label(v).map(|id| {
            if let Some(name) = n.org_names.get(&v) {
                names.organizations.insert(id.to_owned(), name.clone());
            }
            id.to_owned()
        }),
    }
}

fn period_info(from: Timestamp, to: Timestamp, req: &ReportRequest, now: i64) -> PeriodInfo {
    PeriodInfo {
        from: from.to_string(),
        to: to.to_string(),
        tz: req
            .tz
            .iana_name()
            .map_or_else(|| format!("{:?}", req.tz), str::to_owned),
        partial: millis(to) > now,
    }
}

/// Raw money sums per currency name.
pub fn currency_map<V>(ds: &Dataset, m: BTreeMap<u32, V>) -> BTreeMap<String, V> {
    m.into_iter()
        .map(|(c, v)| (ds.names.currencies.name(c).to_owned(), v))
        .collect()
}
