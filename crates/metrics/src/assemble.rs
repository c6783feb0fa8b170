//! Shapes what the engine computed into a report: row keys and labels, row order, bands,
//! the previous period and the change, thresholds and notes.

use crate::dataset::Dataset;
use crate::engine::{Plan, compute, millis};
use crate::kpi::{self, Family};
use crate::output::{Change, Grouping, Names, Ordered, PeriodInfo, Previous, Report, Row};
use crate::period::{DurationClock, Period};
use crate::request::{Dimension, ReportRequest};
use crate::slicing::Keyer;
use crate::table::tickets::{channel_label, kind_label, priority_label};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// The full report.
pub fn report<C: DurationClock>(ds: &Dataset, req: &ReportRequest, clock: &C) -> Report {
    report_of(ds, req, clock, &Family::ALL)
}

/// The report with only the KPIs of `families` (the others absent): one pass per family
/// asked for, so a page that shows a few KPIs does not pay for all of them.
pub fn report_of<C: DurationClock>(
    ds: &Dataset,
    req: &ReportRequest,
    clock: &C,
    families: &[Family],
) -> Report {
    let mut groupings = req.groupings();
    // The agents' ranking reads the per-agent rows: reuse a by-agent grouping or add one.
    let agent_grouping = vec![Dimension::Agent];
    let hidden_agents = !groupings.contains(&agent_grouping);
    if hidden_agents {
        groupings.push(agent_grouping.clone());
    }
    let plan = Plan {
        families: families.to_vec(),
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

    let mut notes = Vec::new();
    if ds.sla.is_empty() {
        notes.push(
            "no SLA outcomes were fed: overdue_backlog is 0 and sla_achievement_rate is null"
                .to_owned(),
        );
    }
    if req.calendars.is_none() {
        notes.push(
            "no business calendars in the request: durations are in calendar time only".to_owned(),
        );
    }
    if c.totals.backlog.is_some_and(|b| b.inferred > 0) {
        notes.push("some reopen instants are not recorded: those tickets are taken as reopened right after their solve (backlog.inferred)".to_owned());
    }
    let mut totals = std::mem::take(&mut c.totals);
    totals.top_agents = Some(top);
    // A filtered report is a row of a grouping by the filter: its group's targets apply.
    let group = req.filter.group.as_deref();
    totals.apply_bands(&req.targets, group);

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
            prev.apply_bands(&req.targets, group);
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
            .filter_map(|&k| req.targets.threshold(k, group).map(|t| (k, t)))
            .collect(),
    );
    Report {
        period,
        filter: req.filter.clone(),
        kpis: totals,
        by,
        previous,
        change,
        thresholds,
        names,
        notes,
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
