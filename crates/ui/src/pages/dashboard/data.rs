//! Asks the KPI engine for everything the dashboard shows, in one report, and picks the cards,
//! the chart tables and the agents' ranking out of it. Nothing is computed here but the
//! selection of rows.
//!
//! A filter (channel, group, agent) is the report's own filter: the engine feeds only the
//! slice's items, and its totals, previous period and ranking are exactly the slice's
//! (`docs/metrics.md`, "Filters"). The report groups by time bucket (trends) and by time
//! bucket and channel (volume per channel).

use super::view::View;
use sanjeh_metrics::drill::DrillKpi;
use sanjeh_metrics::output::{Change, Kpis, Row};
use sanjeh_metrics::{AgentRow, Dataset, Dimension, Report, ReportRequest, Targets};
use serde_json::Value;
use std::collections::HashMap;

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Seconds.
    Duration,
    /// A fraction, shown as a percentage.
    Rate,
    /// A score from −100 to 100 (NPS).
    Score,
}

/// The KPIs on cards and in the KPI table, with how each headline is shown.
pub const CARDS: &[(&str, Unit)] = &[
    ("ticket_volume", Unit::Count),
    ("solved_tickets", Unit::Count),
    ("backlog", Unit::Count),
    ("overdue_backlog", Unit::Count),
    ("first_reply_time", Unit::Duration),
    ("full_resolution_time", Unit::Duration),
    ("resolution_rate", Unit::Rate),
    ("fcr_rate", Unit::Rate),
    ("sla_achievement_rate", Unit::Rate),
    ("csat", Unit::Rate),
    ("nps", Unit::Score),
    ("abandonment_rate", Unit::Rate),
    ("service_level", Unit::Rate),
];

/// The KPIs the dashboard asks the engine for (only their families run; under a filter, the
/// engine leaves out those that do not follow it, such as work sessions under a channel).
const ASKED: &[&str] = &[
    "ticket_volume",
    "sla_achievement_rate",
    "csat",
    "abandonment_rate",
    "top_agents",
];

/// One KPI's figures for a card and the KPI table.
pub struct CardData {
    pub id: &'static str,
    pub unit: Unit,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<Change>,
    pub band: Option<&'static str>,
    pub lower_is_better: bool,
    /// The list of tickets behind it, if it has one.
    pub drill: Option<DrillKpi>,
    /// For first reply time: the tickets never replied (its `excluded`).
    pub unreplied: Option<u64>,
}

/// How a table is charted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lines,
    Stacked,
}

/// A chart's data: one row per time bucket, one column per series.
pub struct Table {
    pub id: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    /// Message keys of the columns (series).
    pub columns: Vec<String>,
    /// (bucket key as the engine labels it, values).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

pub struct Dash {
    pub cards: Vec<CardData>,
    pub tables: Vec<Table>,
    pub agents: Vec<AgentRow>,
}

/// The value of dimension `d` in a row's key.
fn key(row: &Row, d: Dimension) -> Option<&str> {
    row.key
        .0
        .iter()
        .find(|(name, _)| *name == d.as_str())
        .and_then(|(_, v)| v.as_deref())
}

fn request(view: &View, now: jiff::Timestamp, targets: &Targets) -> ReportRequest {
    let mut req = ReportRequest::new(view.from, view.to, view.tz.clone(), now);
    req.week_start = view.lang.week_start();
    req.targets = targets.clone();
    req.filter = view.filter.clone();
    req.compare_previous = true;
    req.by = vec![view.bucket];
    req.also_by = vec![volume_grouping(view)];
    req
}

/// The grouping of the volume chart: time bucket and channel.
fn volume_grouping(view: &View) -> Vec<Dimension> {
    vec![view.bucket, Dimension::Channel]
}

/// The rows of the report's grouping by exactly `dims`.
fn rows_by<'r>(report: &'r Report, dims: &[Dimension]) -> &'r [Row] {
    report
        .by
        .iter()
        .find(|g| g.dimensions == dims)
        .map_or(&[][..], |g| g.rows.as_slice())
}

/// Runs the engine for a view (call off the async workers: it reads the whole dataset).
pub fn compute(ds: &Dataset, view: &View, targets: &Targets, now: jiff::Timestamp) -> Dash {
    let report = sanjeh_metrics::report_of_kpis(ds, &request(view, now, targets), ASKED);
    let previous = report.previous.as_ref().map(|p| p.kpis.clone());
    Dash {
        cards: cards(&report, report.kpis.clone(), previous),
        tables: tables(view, &report),
        agents: report.kpis.top_agents.clone().unwrap_or_default(),
    }
}

fn headline(kpis: &Value, id: &str, unit: Unit) -> Option<f64> {
    let k = kpis.get(id)?;
    match unit {
        Unit::Duration => k.get("mean_s")?.as_f64(),
        _ => k.get("value")?.as_f64(),
    }
}

fn cards(report: &Report, mut current: Kpis, previous: Option<Kpis>) -> Vec<CardData> {
    let now_json = serde_json::to_value(&current).unwrap_or(Value::Null);
    let heads: HashMap<&str, Option<f64>> = current.headlines().into_iter().collect();
    let before: Option<HashMap<&str, Option<f64>>> =
        previous.map(|mut p| p.headlines().into_iter().collect());
    let thresholds = serde_json::to_value(&report.thresholds).unwrap_or(Value::Null);
    CARDS
        .iter()
        .map(|&(id, unit)| {
            let band = now_json
                .pointer(&format!("/{id}/band"))
                .and_then(Value::as_str)
                .and_then(|b| ["best", "average", "poor"].into_iter().find(|x| *x == b));
            let previous = before.as_ref().and_then(|b| b.get(id).copied().flatten());
            let change = before.as_ref().map(|b| {
                Change::new(
                    b.get(id).copied().flatten(),
                    heads.get(id).copied().flatten(),
                )
            });
            let lower_is_better = thresholds
                .pointer(&format!("/{id}/better"))
                .and_then(Value::as_str)
                .map_or(
                    matches!(unit, Unit::Duration)
                        || matches!(id, "backlog" | "overdue_backlog" | "abandonment_rate"),
                    |b| b == "lower",
                );
            CardData {
                id,
                unit,
                value: headline(&now_json, id, unit),
                previous,
                change,
                band,
                lower_is_better,
                drill: DrillKpi::behind(id),
                unreplied: (id == "first_reply_time")
                    .then(|| now_json.pointer("/first_reply_time/excluded")?.as_u64())
                    .flatten(),
            }
        })
        .collect()
}

/// A series' values per bucket from rows keyed by bucket.
fn series(
    buckets: &[String],
    rows: &HashMap<&str, &Kpis>,
    f: impl Fn(&Kpis) -> Option<f64>,
) -> Vec<Option<f64>> {
    buckets
        .iter()
        .map(|b| rows.get(b.as_str()).and_then(|k| f(k)))
        .collect()
}

fn table(
    id: &'static str,
    kind: Kind,
    unit: Unit,
    columns: Vec<String>,
    buckets: &[String],
    values: Vec<Vec<Option<f64>>>,
) -> Table {
    Table {
        id,
        kind,
        unit,
        columns,
        rows: buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (b.clone(), values.iter().map(|s| s[i]).collect()))
            .collect(),
    }
}

fn tables(view: &View, report: &Report) -> Vec<Table> {
    let buckets = view.buckets();
    let bucket = view.bucket;
    let trend: HashMap<&str, &Kpis> = rows_by(report, &[bucket])
        .iter()
        .filter_map(|r| Some((key(r, bucket)?, &r.kpis)))
        .collect();
    let s = |f: &dyn Fn(&Kpis) -> Option<f64>| series(&buckets, &trend, f);
    let count = |n: u64| Some(n as f64);

    // Volume per channel: the channels that have tickets in the period, in catalogue order.
    let mut per_channel: HashMap<(&str, &str), f64> = HashMap::new();
    {
        for r in rows_by(report, &volume_grouping(view)) {
            if let (Some(b), Some(c)) = (key(r, bucket), key(r, Dimension::Channel)) {
                let v = r.kpis.ticket_volume.map_or(0, |c| c.value);
                *per_channel.entry((b, c)).or_default() += v as f64;
            }
        }
    }
    let channels: Vec<&str> = sanjeh_domain::Channel::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| per_channel.iter().any(|((_, ch), v)| ch == c && *v > 0.0))
        .collect();
    let volume = table(
        "volume",
        Kind::Stacked,
        Unit::Count,
        channels.iter().map(|c| format!("channel-{c}")).collect(),
        &buckets,
        channels
            .iter()
            .map(|c| {
                buckets
                    .iter()
                    .map(|b| Some(per_channel.get(&(b.as_str(), *c)).copied().unwrap_or(0.0)))
                    .collect()
            })
            .collect(),
    );
    let durations =
        |id: &'static str, pick: fn(&Kpis) -> Option<&sanjeh_metrics::output::Duration>| {
            table(
                id,
                Kind::Lines,
                Unit::Duration,
                vec!["dash-median".into(), "dash-p90".into()],
                &buckets,
                vec![
                    s(&|k| pick(k).and_then(|d| d.median_s)),
                    s(&|k| pick(k).and_then(|d| d.p90_s)),
                ],
            )
        };
    vec![
        volume,
        durations("first_reply", |k| k.first_reply_time.as_ref()),
        durations("resolution", |k| k.full_resolution_time.as_ref()),
        table(
            "backlog",
            Kind::Stacked,
            Unit::Count,
            ["under_1d", "from_1d_to_7d", "from_7d_to_30d", "over_30d"]
                .iter()
                .map(|a| format!("dash-age-{a}"))
                .collect(),
            &buckets,
            vec![
                s(&|k| count(k.backlog?.by_age.under_1d)),
                s(&|k| count(k.backlog?.by_age.from_1d_to_7d)),
                s(&|k| count(k.backlog?.by_age.from_7d_to_30d)),
                s(&|k| count(k.backlog?.by_age.over_30d)),
            ],
        ),
        table(
            "csat",
            Kind::Lines,
            Unit::Rate,
            vec!["kpi-csat".into()],
            &buckets,
            vec![s(&|k| k.csat?.value)],
        ),
        table(
            "nps",
            Kind::Lines,
            Unit::Score,
            vec!["kpi-nps".into()],
            &buckets,
            vec![s(&|k| k.nps?.value)],
        ),
        table(
            "calls",
            Kind::Lines,
            Unit::Rate,
            vec!["kpi-abandonment_rate".into(), "kpi-service_level".into()],
            &buckets,
            vec![
                s(&|k| k.abandonment_rate?.rate.value),
                s(&|k| k.service_level?.value),
            ],
        ),
    ]
}
