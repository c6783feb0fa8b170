//! Sanjeh's KPI engine: every KPI of the catalogue (MISSION.md), exact and fast, from
//! per-ticket facts and events. Pure: no I/O and no wall clock (the present is a parameter).
//!
//! The store keeps a [`Dataset`] current (see its docs for what to feed it); a report is a
//! read-only pass over it:
//!
//! ```
//! use sanjeh_metrics::{Dataset, ReportRequest, report};
//! use jiff::{Timestamp, tz::TimeZone};
//!
//! let ds = Dataset::new();
//! let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
//! let to: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
//! let mut req = ReportRequest::new(from, to, TimeZone::UTC, to);
//! req.by = vec!["month".parse().unwrap(), "channel".parse().unwrap()];
//! let r = report(&ds, &req);
//! assert_eq!(r.kpis.ticket_volume.unwrap().value, 0);
//! let json = serde_json::to_value(&r).unwrap();
//! assert!(json["kpis"]["first_reply_time"]["mean_s"].is_null());
//! ```
//!
//! Definitions, JSON shapes, the banding rule and every decision the catalogue leaves open are
//! in `docs/metrics.md`.

mod assemble;
pub mod bands;
mod column;
mod dataset;
pub mod drill;
mod engine;
mod history;
mod intern;
mod kpi;
mod names;
pub mod output;
mod percentile;
mod period;
pub mod replay;
mod request;
mod slicing;
mod table;

pub use bands::{Band, Target, Targets};
pub use dataset::{Dataset, DatasetStats};
pub use output::{AgentRow, Report};
pub use period::{CalendarClock, DurationClock};
pub use request::{
    Dimension, Filter, MAX_DIMENSIONS, RankWeights, ReportRequest, RequestError, UnknownDimension,
    week_start_for_language,
};

/// Computes every KPI over the request's period, its groupings and (if asked) the previous
/// period, in calendar time.
pub fn report(ds: &Dataset, req: &ReportRequest) -> Report {
    assemble::report(ds, req, &CalendarClock)
}

/// [`report`] with durations measured by `clock` (e.g. a business-hours schedule).
pub fn report_with_clock<C: DurationClock>(ds: &Dataset, req: &ReportRequest, clock: &C) -> Report {
    assemble::report(ds, req, clock)
}

/// [`report`] restricted to the KPIs named (catalogue ids): only the families that compute
/// them run, so the others are absent from the report. `top_agents` needs the ticket,
/// survey, session and learning families. Unknown ids are ignored. The values of the KPIs
/// asked for are exactly those of the full report (families are independent), but derived
/// ratios that combine families (`self_service_ratio`, the money ratios) need every family
/// they read to be asked for.
pub fn report_of_kpis(ds: &Dataset, req: &ReportRequest, kpis: &[&str]) -> Report {
    use kpi::Family;
    let mut families: Vec<Family> = Vec::new();
    for id in kpis {
        let wanted: Vec<Family> = if *id == "top_agents" {
            vec![
                Family::Tickets,
                Family::Surveys,
                Family::Sessions,
                Family::Learning,
            ]
        } else {
            Family::of_kpi(id).into_iter().collect()
        };
        for f in wanted {
            if !families.contains(&f) {
                families.push(f);
            }
        }
    }
    assemble::report_of(ds, req, &CalendarClock, &families)
}

#[doc(hidden)]
pub fn family_timings(ds: &Dataset, req: &ReportRequest, reps: usize) -> Vec<(String, f64)> {
    engine::family_timings(ds, req, &CalendarClock, reps)
}

/// The agents active in the period, ranked with `weights` (see `docs/metrics.md`).
pub fn top_agents(ds: &Dataset, req: &ReportRequest, weights: &RankWeights) -> Vec<AgentRow> {
    use kpi::Family;
    let plan = engine::Plan {
        families: vec![
            Family::Tickets,
            Family::Surveys,
            Family::Learning,
            Family::Sessions,
        ],
        groupings: vec![vec![Dimension::Agent]],
        previous: false,
    };
    let c = engine::compute(ds, req, &CalendarClock, &plan);
    kpi::agents::rank(ds, &c.keyers[0], &c.rows[0], weights)
}
