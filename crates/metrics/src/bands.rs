//! Bands: whether a KPI value is best, average or poor, against the industry benchmark of
//! MISSION.md where it names the KPI, or against a team's own target.
//!
//! The rule, with `best` and `poor` thresholds and the KPI's direction (lower or higher is
//! better): a value at or better than `best` is **best**; otherwise a value at or worse than
//! `poor` is **poor**; anything between is **average**. A single goal is `best = poor`: met is
//! best, missed is poor. The value banded is the KPI's headline: the mean for a duration (in
//! seconds), the value for a rate (a fraction), a count or a ratio, the score for NPS, the
//! mean for CES, the amount for money (when the row has a single currency).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Best,
    Average,
    Poor,
}

/// A team's target for one KPI, in the KPI's unit (seconds, fraction, count, ratio, amount).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub best: f64,
    pub poor: f64,
    /// The typical value, shown beside the band; it does not change the banding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<f64>,
    /// Only needed for KPIs that have no natural direction (volumes, page views, money).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub higher_is_better: Option<bool>,
}

/// Targets for a help desk, with per-team (group) overrides. In TOML:
///
/// ```toml
/// [kpis.first_reply_time]   # seconds
/// best = 300
/// poor = 1800
///
/// [kpis.service_level]      # a single goal: 80 % answered within the threshold
/// best = 0.8
/// poor = 0.8
///
/// [groups.billing.first_reply_time]
/// best = 600
/// poor = 3600
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    /// Keyed by catalogue id. A target overrides the benchmark for its KPI.
    pub kpis: BTreeMap<String, Target>,
    /// Keyed by group id, then catalogue id: used for rows of that group.
    pub groups: BTreeMap<String, BTreeMap<String, Target>>,
}

/// Which way a KPI improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// Where a threshold came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Benchmark,
    Target,
}

/// The thresholds a KPI is banded with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    pub best: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average: Option<f64>,
    pub poor: f64,
    pub better: Better,
    pub source: Source,
}

impl Threshold {
    pub fn band(&self, v: f64) -> Band {
        let (at_best, at_poor) = match self.better {
            Better::Lower => (v <= self.best, v >= self.poor),
            Better::Higher => (v >= self.best, v <= self.poor),
        };
        if at_best {
            Band::Best
        } else if at_poor {
            Band::Poor
        } else {
            Band::Average
        }
    }
}

/// The natural direction of a catalogue KPI, if it has one.
pub fn natural_direction(kpi: &str) -> Option<Better> {
    use Better::*;
    Some(match kpi {
        "first_reply_time"
        | "first_reply_time_business"
        | "reply_time"
        | "reply_time_business"
        | "first_resolution_time_business"
        | "full_resolution_time_business"
        | "speed_of_answer_business"
        | "handle_time_business"
        | "handle_time_tickets_business"
        | "requester_wait_time_business"
        | "first_resolution_time"
        | "full_resolution_time"
        | "handle_time"
        | "handle_time_tickets"
        | "handle_time_calls"
        | "requester_wait_time"
        | "speed_of_answer"
        | "backlog"
        | "overdue_backlog"
        | "reopen_rate"
        | "repeat_contact_rate"
        | "abandonment_rate"
        | "churn_rate"
        | "complaints"
        | "cost_per_contact"
        | "cost_per_call"
        | "replies_per_ticket" => Lower,
        "resolution_rate"
        | "fcr_rate"
        | "csat"
        | "nps"
        | "ces"
        | "helpful_rate"
        | "service_level"
        | "self_service_ratio"
        | "resolved_per_session"
        | "learning_rate"
        | "retention_rate"
        | "support_roi"
        | "sla_achievement_rate"
        | "solved_tickets" => Higher,
        _ => return None,
    })
}

/// The benchmark table of MISSION.md (article 003), in the KPIs' units. "Average resolution
/// time" is the full resolution time; durations are banded on their mean.
pub fn benchmark(kpi: &str) -> Option<Threshold> {
    let (best, average, poor, better) = match kpi {
        "first_reply_time" => (600.0, 1440.0, 2400.0, Better::Lower),
        "csat" => (0.90, 0.75, 0.50, Better::Higher),
        "resolved_per_session" => (5.0, 3.0, 1.0, Better::Higher),
        "repeat_contact_rate" => (0.03, 0.10, 0.20, Better::Lower),
        "full_resolution_time" => (1800.0, 7200.0, 14400.0, Better::Lower),
        "retention_rate" => (0.90, 0.80, 0.70, Better::Higher),
        _ => return None,
    };
    Some(Threshold {
        best,
        average: Some(average),
        poor,
        better,
        source: Source::Benchmark,
    })
}

impl Targets {
    /// The thresholds for `kpi` in a row of `group` (or the whole help desk): the team's
    /// target, else the help desk's target, else the benchmark.
    pub fn threshold(&self, kpi: &str, group: Option<&str>) -> Option<Threshold> {
        let own = group
            .and_then(|g| self.groups.get(g))
            .and_then(|t| t.get(kpi));
        match own.or_else(|| self.kpis.get(kpi)) {
            Some(t) => {
                let better = match (t.higher_is_better, natural_direction(kpi)) {
                    (Some(true), _) => Better::Higher,
                    (Some(false), _) => Better::Lower,
                    (None, Some(b)) => b,
                    (None, None) if t.best < t.poor => Better::Lower,
                    (None, None) => Better::Higher,
                };
                Some(Threshold {
                    best: t.best,
                    average: t.average,
                    poor: t.poor,
                    better,
                    source: Source::Target,
                })
            }
            None => benchmark(kpi),
        }
    }

    /// Unknown KPI ids and thresholds that contradict the KPI's direction are errors.
    pub fn validate(&self) -> Result<(), String> {
        let all = std::iter::once(("", &self.kpis))
            .chain(self.groups.iter().map(|(g, t)| (g.as_str(), t)));
        for (group, targets) in all {
            for (kpi, t) in targets {
                let at = if group.is_empty() {
                    kpi.clone()
                } else {
                    format!("groups.{group}.{kpi}")
                };
                if !crate::output::KPI_IDS.contains(&kpi.as_str()) {
                    return Err(format!("{at}: unknown KPI id"));
                }
                if !t.best.is_finite() || !t.poor.is_finite() {
                    return Err(format!("{at}: best and poor must be numbers"));
                }
                let better = t
                    .higher_is_better
                    .map(|h| if h { Better::Higher } else { Better::Lower });
                match better.or_else(|| natural_direction(kpi)) {
                    Some(Better::Lower) if t.best > t.poor => {
                        return Err(format!(
                            "{at}: lower is better, so best must not exceed poor"
                        ));
                    }
                    Some(Better::Higher) if t.best < t.poor => {
                        return Err(format!(
                            "{at}: higher is better, so best must not be below poor"
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banding_rule_at_the_edges() {
        let frt = benchmark("first_reply_time").unwrap();
        assert_eq!(frt.band(600.0), Band::Best);
        assert_eq!(frt.band(600.001), Band::Average);
        assert_eq!(frt.band(2399.9), Band::Average);
        assert_eq!(frt.band(2400.0), Band::Poor);
        let csat = benchmark("csat").unwrap();
        assert_eq!(csat.band(0.9), Band::Best);
        assert_eq!(csat.band(0.75), Band::Average);
        assert_eq!(csat.band(0.5), Band::Poor);
    }

    #[test]
    fn a_single_goal_is_met_or_missed() {
        let t: Targets =
            serde_json::from_str(r#"{"kpis":{"service_level":{"best":0.8,"poor":0.8}}}"#).unwrap();
        let th = t.threshold("service_level", None).unwrap();
        assert_eq!(th.band(0.8), Band::Best);
        assert_eq!(th.band(0.79), Band::Poor);
    }

    #[test]
    fn team_targets_override_the_desk_and_the_benchmark() {
        let t: Targets = toml::from_str(
            "[kpis.first_reply_time]\nbest = 300\npoor = 1800\n\n[groups.billing.first_reply_time]\nbest = 900\npoor = 3600\n",
        )
        .unwrap();
        assert_eq!(t.threshold("first_reply_time", None).unwrap().best, 300.0);
        assert_eq!(
            t.threshold("first_reply_time", Some("billing"))
                .unwrap()
                .best,
            900.0
        );
        assert_eq!(
            t.threshold("first_reply_time", Some("sales")).unwrap().best,
            300.0
        );
        assert_eq!(
            t.threshold("csat", Some("billing")).unwrap().source,
            Source::Benchmark
        );
        assert_eq!(t.threshold("ticket_volume", None), None);
        assert!(t.validate().is_ok());
    }

    #[test]
    fn validation_names_the_bad_target() {
        let t: Targets =
            serde_json::from_str(r#"{"kpis":{"first_reply_time":{"best":900,"poor":60}}}"#)
                .unwrap();
        assert!(t.validate().unwrap_err().contains("first_reply_time"));
        let t: Targets = serde_json::from_str(r#"{"kpis":{"frt":{"best":1,"poor":2}}}"#).unwrap();
        assert!(t.validate().unwrap_err().contains("unknown KPI"));
        assert!(serde_json::from_str::<Targets>(r#"{"kpi":{}}"#).is_err());
    }
}
