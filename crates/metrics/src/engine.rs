//! Runs the KPI families over the period, the previous period and the groupings, and
//! assembles the report.
//!
//! A *family* is a set of KPIs computed in one pass over one table (tickets, replies, survey
//! answers, calls…). Each family runs once per period with every grouping it supports, so a
//! ticket is read once for all its KPIs and all groupings. Families are independent, so they
//! run on the available cores (two on the reference machine) without any shared state.

use crate::dataset::Dataset;
use crate::kpi::{self, Family};
use crate::output::Kpis;
use crate::period::{BusinessClocks, DurationClock, Period};
use crate::request::{Dimension, ReportRequest};
use crate::slicing::{Cardinalities, Key, Keyer, Only};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What every family reads.
pub struct Ctx<'a, C> {
    pub ds: &'a Dataset,
    pub req: &'a ReportRequest,
    pub period: Period,
    pub clock: &'a C,
    pub now: i64,
    /// Whether this is the report's own period (not the previous one): some costly,
    /// point-in-time KPIs (customer health) are only computed for it.
    pub main: bool,
    /// Per-group business calendars, when the request has calendars: the families then also
    /// measure every end-point duration in business time.
    pub business: Option<&'a BusinessClocks<'a>>,
    /// The request's filter: slices feed only what it admits.
    pub only: Only,
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

/// From this many ticket rows read, the period's ticket family runs alone (see [`compute`]).
const ALONE_ROWS: usize = 2_000_000;

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
    let card = Cardinalities::of(&ds.names);
    let keyers: Vec<Keyer> = plan
        .groupings
        .iter()
        .map(|g| Keyer::new(g, period, &req.tz, req.week_start, card))
        .collect();
    let now = millis(req.now);
    let business = business_clocks(ds, req);
    let main = Ctx {
        ds,
        req,
        period,
        clock,
        now,
        main: true,
        business: business.as_ref(),
        only: Only::resolve(&req.filter, &ds.names),
    };
    // A filter keeps the rows of a grouping by its dimensions, where the families that do not
    // follow them have no KPIs.
    let filtered = req.filter.dimensions();
    let families: Vec<Family> = plan
        .families
        .iter()
        .copied()
        .filter(|f| filtered.iter().all(|&d| f.supports(d)))
        .collect();
    let prev = Ctx {
        period: period.previous(),
        main: false,
        ..main
    };

    // Tasks: (family, ctx, scopes). Scope None is the totals.
    let mut tasks: Vec<Task<C>> = Vec::new();
    for &f in &families {
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
    // A long period's tickets first, alone: that family splits itself over the cores, and its
    // samples are gone before the other families' are made (a lower peak of memory). A short
    // period's are few, and its families all run at once (the cores stay busy while each
    // family summarises its percentiles).
    let first = tasks
        .iter()
        .position(|t| t.0 == Family::Tickets && t.1.main)
        .filter(|_| ds.tickets.rows_read(period) > ALONE_ROWS);
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
    let empty_ctx = Ctx {
        ds: &nothing,
        main: false,
        ..main
    };
    for (g, keyer) in keyers.iter().enumerate() {
        for f in families
            .iter()
            .filter(|f| keyer.dims.iter().all(|&d| f.supports(d)))
        {
            let empty = f.run(&empty_ctx, &[None]).remove(0).remove(0).1;
            for kpis in rows[g].values_mut() {
                kpis.fill(&empty);
            }
        }
    }
    kpi::derive(&mut totals);
    if let Some(p) = previous.as_mut() {
        kpi::derive(p);
    }
    let rows = rows
        .into_iter()
        .map(|cells| {
            cells
                .into_iter()
                .map(|(key, mut k)| {
                    kpi::derive(&mut k);
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

/// The request's calendars resolved for the dataset's groups and tabulated over the report's
/// periods (from 30 days before the earliest one), once per report.
pub fn business_clocks<'a>(ds: &Dataset, req: &'a ReportRequest) -> Option<BusinessClocks<'a>> {
    let cals = req.calendars.as_deref()?;
    let groups = &ds.names.groups;
    let period = Period {
        from: millis(req.from),
        to: millis(req.to).max(millis(req.from)),
    };
    let from = if req.compare_previous {
        period.previous().from
    } else {
        period.from
    };
    let range = Period {
        from: from.saturating_sub(30 * crate::period::DAY_MS),
        to: period.to,
    };
    Some(BusinessClocks::new(
        cals,
        groups.len(),
        |g| groups.label(g),
        range,
    ))
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
    let card = Cardinalities::of(&ds.names);
    let keyers: Vec<Keyer> = req
        .groupings()
        .iter()
        .map(|g| Keyer::new(g, period, &req.tz, req.week_start, card))
        .collect();
    let mut out = Vec::new();
    let business = business_clocks(ds, req);
    let ctx = Ctx {
        ds,
        req,
        period,
        clock,
        now: millis(req.now),
        main: true,
        business: business.as_ref(),
        only: Only::resolve(&req.filter, &ds.names),
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
