//! Shared helpers: datasets are built by folding interchange events through the domain, as the
//! store does (see `sanjeh_metrics::replay`).

#![allow(dead_code)]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use sanjeh_metrics::replay::Replayer;
use sanjeh_metrics::{Dataset, Dimension, Report, ReportRequest, report};
use serde_json::Value;

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A dataset from JSON Lines events (in order per ticket).
pub fn dataset(lines: &str) -> Dataset {
    Replayer::dataset_from_lines(lines).unwrap_or_else(|e| panic!("{e}"))
}

/// A request for `[from, to)` in UTC, with `now` at `to`.
pub fn request(from: &str, to: &str) -> ReportRequest {
    ReportRequest::new(ts(from), ts(to), TimeZone::UTC, ts(to))
}

pub fn by(req: &mut ReportRequest, dims: &[&str]) {
    req.by = dims
        .iter()
        .map(|d| d.parse::<Dimension>().unwrap())
        .collect();
}

pub fn run(ds: &Dataset, req: &ReportRequest) -> (Report, Value) {
    let r = report(ds, req);
    let v = serde_json::to_value(&r).unwrap();
    (r, v)
}

/// The report's `kpis` as JSON.
pub fn kpis(lines: &str, from: &str, to: &str) -> Value {
    let ds = dataset(lines);
    run(&ds, &request(from, to)).1["kpis"].clone()
}

/// Asserts that `expected` is contained in `actual`: every key of an expected object is in the
/// actual one with a matching value, arrays match element by element, numbers within 1e-9.
pub fn assert_subset(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k}: missing in {actual}"));
                assert_subset(av, ev, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(
                a.len(),
                e.len(),
                "{path}: lengths differ: {actual} vs {expected}"
            );
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                assert_subset(av, ev, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (a - e).abs() <= 1e-9 * e.abs().max(1.0),
                "{path}: {a} != {e}"
            );
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

/// Feeds an example's SLA outcomes: `"sla": {"finished": {"T1": [run…]}, "statuses": {…}}`,
/// each run `{"metric", "policy", "minutes", "started_at", "ended_at", "breached_at",
/// "due_at", "state"}` (instants in RFC 3339, absent ones null).
pub fn feed_sla(ds: &mut sanjeh_metrics::Dataset, spec: &Value) {
    use sanjeh_sla::{Finished, Hours, Metric, MetricStatus, State, Target};
    let Some(sla) = spec.get("sla") else { return };
    let at = |v: &Value| v.as_str().map(|s| ts(s).as_millisecond());
    let metric = |v: &Value| match v.as_str().unwrap() {
        "first_reply" => Metric::FirstReply,
        "next_reply" => Metric::NextReply,
        "periodic_update" => Metric::PeriodicUpdate,
        _ => Metric::Resolution,
    };
    let target = |v: &Value| Target {
        minutes: v["minutes"].as_u64().unwrap_or(60) as u32,
        hours: Hours::Business,
    };
    if let Some(map) = sla["finished"].as_object() {
        for (ticket, runs) in map {
            let runs: Vec<Finished> = runs
                .as_array()
                .unwrap()
                .iter()
                .map(|r| Finished {
                    metric: metric(&r["metric"]),
                    policy: r["policy"].as_str().unwrap().to_owned(),
                    target: target(r),
                    started_at: at(&r["started_at"]).unwrap(),
                    ended_at: at(&r["ended_at"]).unwrap(),
                    breached_at: at(&r["breached_at"]),
                    counted_ms: 0,
                })
                .collect();
            ds.set_sla_outcomes(&sanjeh_domain::Id::parse("ticket", ticket).unwrap(), &runs);
        }
    }
    if let Some(map) = sla["statuses"].as_object() {
        for (ticket, runs) in map {
            let runs: Vec<MetricStatus> = runs
                .as_array()
                .unwrap()
                .iter()
                .map(|r| MetricStatus {
                    metric: metric(&r["metric"]),
                    policy: r["policy"].as_str().unwrap().to_owned(),
                    target: target(r),
                    state: match r["state"].as_str().unwrap_or("active") {
                        "paused" => State::Paused,
                        "achieved" => State::Achieved,
                        "breached" => State::Breached,
                        _ => State::Active,
                    },
                    started_at: at(&r["started_at"]).unwrap(),
                    due_at: at(&r["due_at"]),
                    breached_at: at(&r["breached_at"]),
                    ended_at: at(&r["ended_at"]),
                    counted_ms: 0,
                })
                .collect();
            ds.set_sla_statuses(&sanjeh_domain::Id::parse("ticket", ticket).unwrap(), &runs);
        }
    }
}
