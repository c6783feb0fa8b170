//! The report as it is serialised: KPI values, rows of groupings, the previous period and the
//! change. Shapes are documented in `docs/metrics.md`.

use crate::bands::{Band, Targets, Threshold};
use crate::percentile::{Samples, Summary, summarize_union};
use crate::request::Dimension;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::collections::BTreeMap;

/// Every KPI id a report can carry, in catalogue order (targets are validated against it).
pub const KPI_IDS: &[&str] = &[
    "first_reply_time",
    "first_reply_time_business",
    "reply_time",
    "reply_time_business",
    "first_resolution_time",
    "first_resolution_time_business",
    "full_resolution_time",
    "full_resolution_time_business",
    "handle_time",
    "handle_time_business",
    "handle_time_tickets",
    "handle_time_tickets_business",
    "handle_time_calls",
    "requester_wait_time",
    "requester_wait_time_business",
    "ticket_volume",
    "solved_tickets",
    "backlog",
    "overdue_backlog",
    "sla_achievement_rate",
    "resolution_rate",
    "reopen_rate",
    "fcr_rate",
    "replies_per_ticket",
    "repeat_contact_rate",
    "csat",
    "nps",
    "ces",
    "helpful_rate",
    "abandonment_rate",
    "speed_of_answer",
    "speed_of_answer_business",
    "service_level",
    "page_views",
    "self_service_ratio",
    "resolved_per_session",
    "learning_rate",
    "complaints",
    "top_agents",
    "retention_rate",
    "churn_rate",
    "operating_cost",
    "cost_per_contact",
    "cost_per_call",
    "support_revenue",
    "support_roi",
    "customer_health",
];

/// A duration KPI: mean, median and 90th percentile in seconds over `n` items, plus how many
/// items were left out (only where the catalogue counts some apart, e.g. never replied).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Duration {
    pub mean_s: Option<f64>,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
    pub n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<u64>,
    pub band: Option<Band>,
}

impl Duration {
    pub fn from_samples(samples: &mut Samples) -> Duration {
        Duration::from_summary(samples.summarize())
    }

    /// The duration of the union of several cells' samples.
    pub fn from_union(parts: &mut [&mut Samples]) -> Duration {
        Duration::from_summary(summarize_union(parts))
    }

    pub fn from_summary(s: Option<Summary>) -> Duration {
        match s {
            None => Duration::default(),
            Some(s) => Duration {
                // One correctly rounded division of exact integers: a mean equal to a
                // threshold compares equal to it.
                mean_s: Some(s.sum_ms as f64 / (s.n as f64 * 1000.0)),
                median_s: Some(s.median_ms / 1000.0),
                p90_s: Some(s.p90_ms / 1000.0),
                n: s.n,
                excluded: None,
                band: None,
            },
        }
    }

    pub fn excluding(mut self, n: u64) -> Duration {
        self.excluded = Some(n);
        self
    }
}

/// A rate (`value` a fraction) or a ratio (`value` any number): `num / den`, null when
/// `den` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Rate {
    pub value: Option<f64>,
    pub num: u64,
    pub den: u64,
    pub band: Option<Band>,
}

impl Rate {
    pub fn new(num: u64, den: u64) -> Rate {
        Rate {
            value: (den > 0).then(|| num as f64 / den as f64),
            num,
            den,
            band: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Count {
    pub value: u64,
    pub band: Option<Band>,
}

impl Count {
    pub fn new(value: u64) -> Count {
        Count { value, band: None }
    }
}

/// Backlog by priority, in the catalogue's order of priorities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct ByPriority {
    pub low: u64,
    pub normal: u64,
    pub high: u64,
    pub urgent: u64,
}

/// Backlog by age at the end of the period (from creation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct ByAge {
    pub under_1d: u64,
    pub from_1d_to_7d: u64,
    pub from_7d_to_30d: u64,
    pub over_30d: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Backlog {
    pub value: u64,
    pub by_priority: ByPriority,
    pub by_age: ByAge,
    /// Tickets whose status at the end was inferred (a reopen without a recorded instant).
    pub inferred: u64,
    pub band: Option<Band>,
}

impl Backlog {
    pub fn add(&mut self, o: &Backlog) {
        self.value += o.value;
        self.inferred += o.inferred;
        let (p, q) = (&mut self.by_priority, &o.by_priority);
        p.low += q.low;
        p.normal += q.normal;
        p.high += q.high;
        p.urgent += q.urgent;
        let (a, b) = (&mut self.by_age, &o.by_age);
        a.under_1d += b.under_1d;
        a.from_1d_to_7d += b.from_1d_to_7d;
        a.from_7d_to_30d += b.from_7d_to_30d;
        a.over_30d += b.over_30d;
    }
}

/// A share without a band (the parts of a breakdown).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Share {
    pub value: Option<f64>,
    pub num: u64,
    pub den: u64,
}

impl Share {
    pub fn new(num: u64, den: u64) -> Share {
        Share {
            value: (den > 0).then(|| num as f64 / den as f64),
            num,
            den,
        }
    }
}

/// SLA runs achieved / SLA runs ended, overall (`value`, `num`, `den`, `band`), per target
/// metric (`first_reply`, `next_reply`, `periodic_update`, `resolution`) and per policy id.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SlaAchievement {
    #[serde(flatten)]
    pub rate: Rate,
    pub by_metric: BTreeMap<&'static str, Share>,
    pub by_policy: BTreeMap<String, Share>,
}

impl Headline for SlaAchievement {
    fn headline(&self) -> Option<f64> {
        self.rate.value
    }
    fn set_band(&mut self, band: Option<Band>) {
        self.rate.band = band;
    }
}

/// A KPI that cannot be computed from what is recorded yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unavailable {
    pub value: Option<f64>,
    pub note: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Abandonment {
    #[serde(flatten)]
    pub rate: Rate,
    /// Abandons within 5 s of queueing (also counted in the rate).
    pub under_5s: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Nps {
    /// % promoters − % detractors, −100..100.
    pub value: Option<f64>,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub n: u64,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Ces {
    /// Mean effort score, 1..7.
    pub value: Option<f64>,
    pub sum: u64,
    pub n: u64,
    /// Share answering 5–7.
    pub high: Rate,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    pub topic: Option<String>,
    pub value: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Complaints {
    pub value: u64,
    /// Per tag, most frequent first; `null` for untagged complaints.
    pub by_topic: Vec<Topic>,
    pub band: Option<Band>,
}

/// An amount per currency (costs and revenue are never converted).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Money {
    pub value: BTreeMap<String, Decimal>,
    pub band: Option<Band>,
}

/// A money ratio per currency, null where its denominator is zero.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MoneyRatio {
    pub value: BTreeMap<String, Option<Decimal>>,
    pub band: Option<Band>,
}

/// One customer's health, 0–100, and the components it was made of (each 0–1, null when the
/// customer gave nothing to judge it by).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerHealth {
    pub customer: String,
    pub name: Option<String>,
    pub score: u32,
    pub nps: Option<f64>,
    pub csat: Option<f64>,
    pub contact_frequency: Option<f64>,
    pub open_urgent: Option<f64>,
    pub repeat_contacts: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct HealthSummary {
    pub customers: u64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Scores of 70 and above.
    pub healthy: u64,
    /// 40 to 69.
    pub at_risk: u64,
    /// Below 40.
    pub critical: u64,
    /// The least healthy customers, lowest first.
    pub lowest: Vec<CustomerHealth>,
}

/// One agent in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRow {
    pub rank: u32,
    pub agent: String,
    pub name: Option<String>,
    /// Weighted mean of the normalised measures, 0–100.
    pub score: f64,
    pub fcr: Rate,
    pub first_reply_time: Duration,
    pub resolution_time: Duration,
    pub csat: Rate,
    pub solved: u64,
    pub learning_rate: Rate,
    pub resolved_per_session: Rate,
}

/// Raw sums that derived KPIs combine across families (not serialised).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Raw {
    pub calls_queued: Option<u64>,
    /// Per currency, prorated cost per category (see `table::events::COST_CATEGORIES`).
    pub costs: Option<BTreeMap<String, [Decimal; 5]>>,
    pub revenue: Option<BTreeMap<String, Decimal>>,
}

/// Declares `Kpis` with one optional field per KPI, plus the field-wise merge.
macro_rules! kpis {
    ($($field:ident: $ty:ty),+ $(,)?) => {
        /// The KPIs of one scope (the whole period, a row, the previous period). A KPI is
        /// absent when it does not apply to the scope's grouping.
        #[derive(Debug, Clone, PartialEq, Serialize, Default)]
        pub struct Kpis {
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )+
            #[serde(skip)]
            pub raw: Raw,
        }

        impl Kpis {
            /// Takes the KPIs `other` has and these lack.
            pub fn fill(&mut self, other: &Kpis) {
                $(
                    if self.$field.is_none() {
                        self.$field = other.$field.clone();
                    }
                )+
                let raw = &other.raw;
                if self.raw.calls_queued.is_none() {
                    self.raw.calls_queued = raw.calls_queued;
                }
                if self.raw.costs.is_none() {
                    self.raw.costs = raw.costs.clone();
                }
                if self.raw.revenue.is_none() {
                    self.raw.revenue = raw.revenue.clone();
                }
            }

            /// Takes every KPI `other` has.
            pub fn absorb(&mut self, other: Kpis) {
                $(
                    if other.$field.is_some() {
                        self.$field = other.$field;
                    }
                )+
                let raw = other.raw;
                if raw.calls_queued.is_some() {
                    self.raw.calls_queued = raw.calls_queued;
                }
                if raw.costs.is_some() {
                    self.raw.costs = raw.costs;
                }
                if raw.revenue.is_some() {
                    self.raw.revenue = raw.revenue;
                }
            }
        }
    };
}

kpis! {
    first_reply_time: Duration,
    first_reply_time_business: Duration,
    reply_time: Duration,
    reply_time_business: Duration,
    first_resolution_time: Duration,
    first_resolution_time_business: Duration,
    full_resolution_time: Duration,
    full_resolution_time_business: Duration,
    handle_time: Duration,
    handle_time_business: Duration,
    handle_time_tickets: Duration,
    handle_time_tickets_business: Duration,
    handle_time_calls: Duration,
    requester_wait_time: Duration,
    requester_wait_time_business: Duration,
    ticket_volume: Count,
    solved_tickets: Count,
    backlog: Backlog,
    overdue_backlog: Backlog,
    sla_achievement_rate: SlaAchievement,
    resolution_rate: Rate,
    reopen_rate: Rate,
    fcr_rate: Rate,
    replies_per_ticket: Rate,
    repeat_contact_rate: Rate,
    csat: Rate,
    nps: Nps,
    ces: Ces,
    helpful_rate: Rate,
    abandonment_rate: Abandonment,
    speed_of_answer: Duration,
    speed_of_answer_business: Duration,
    service_level: Rate,
    page_views: Count,
    self_service_ratio: Rate,
    resolved_per_session: Rate,
    learning_rate: Rate,
    complaints: Complaints,
    top_agents: Vec<AgentRow>,
    retention_rate: Rate,
    churn_rate: Rate,
    operating_cost: Money,
    cost_per_contact: MoneyRatio,
    cost_per_call: MoneyRatio,
    support_revenue: Money,
    support_roi: MoneyRatio,
    customer_health: HealthSummary,
}

/// A KPI value with a headline number that can be banded and compared across periods.
trait Headline {
    fn headline(&self) -> Option<f64>;
    fn set_band(&mut self, band: Option<Band>);
}

macro_rules! headline {
    ($ty:ty, |$s:ident| $e:expr) => {
        impl Headline for $ty {
            fn headline(&self) -> Option<f64> {
                let $s = self;
                $e
            }
            fn set_band(&mut self, band: Option<Band>) {
                self.band = band;
            }
        }
    };
}

headline!(Duration, |d| d.mean_s);
headline!(Rate, |r| r.value);
headline!(Count, |c| Some(c.value as f64));
headline!(Backlog, |b| Some(b.value as f64));
headline!(Nps, |n| n.value);
headline!(Ces, |c| c.value);
headline!(Complaints, |c| Some(c.value as f64));
headline!(Money, |m| single(m.value.values().map(|d| Some(*d))));
headline!(MoneyRatio, |m| single(m.value.values().copied()));

impl Headline for Abandonment {
    fn headline(&self) -> Option<f64> {
        self.rate.value
    }
    fn set_band(&mut self, band: Option<Band>) {
        self.rate.band = band;
    }
}

/// The one amount of a single-currency money value.
fn single(mut values: impl Iterator<Item = Option<Decimal>>) -> Option<f64> {
    let first = values.next()??;
    if values.next().is_some() {
        return None;
    }
    use rust_decimal::prelude::ToPrimitive;
    first.to_f64()
}

impl Kpis {
    /// Visits every present KPI that has a headline number.
    fn each_headline(&mut self, mut f: impl FnMut(&'static str, &mut dyn Headline)) {
        macro_rules! visit {
            ($($field:ident),+) => {
                $( if let Some(v) = self.$field.as_mut() { f(stringify!($field), v); } )+
            };
        }
        visit!(
            first_reply_time,
            first_reply_time_business,
            reply_time,
            reply_time_business,
            first_resolution_time,
            first_resolution_time_business,
            full_resolution_time,
            full_resolution_time_business,
            handle_time,
            handle_time_business,
            handle_time_tickets,
            handle_time_tickets_business,
            handle_time_calls,
            requester_wait_time,
            requester_wait_time_business,
            ticket_volume,
            solved_tickets,
            backlog,
            overdue_backlog,
            sla_achievement_rate,
            resolution_rate,
            reopen_rate,
            fcr_rate,
            replies_per_ticket,
            repeat_contact_rate,
            csat,
            nps,
            ces,
            helpful_rate,
            abandonment_rate,
            speed_of_answer,
            speed_of_answer_business,
            service_level,
            page_views,
            self_service_ratio,
            resolved_per_session,
            learning_rate,
            complaints,
            retention_rate,
            churn_rate,
            operating_cost,
            cost_per_contact,
            cost_per_call,
            support_revenue,
            support_roi
        );
    }

    /// Bands every KPI that has thresholds (the group's targets in a row of that group).
    pub fn apply_bands(&mut self, targets: &Targets, group: Option<&str>) {
        self.each_headline(|kpi, v| {
            let band = targets
                .threshold(kpi, group)
                .and_then(|t| v.headline().map(|x| t.band(x)));
            v.set_band(band);
        });
    }

    /// The headline number of every present KPI, in catalogue order.
    pub fn headlines(&mut self) -> Vec<(&'static str, Option<f64>)> {
        let mut out = Vec::new();
        self.each_headline(|kpi, v| out.push((kpi, v.headline())));
        out
    }
}

/// A map serialised in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ordered<V>(pub Vec<(&'static str, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    pub from: String,
    pub to: String,
    pub tz: String,
    /// The period ends after `now`: its numbers will still change.
    pub partial: bool,
}

/// One row of a grouping: its dimension values (`null` for none) and its KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub key: Ordered<Option<String>>,
    pub kpis: Kpis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouping {
    pub dimensions: Vec<Dimension>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Previous {
    pub period: PeriodInfo,
    pub kpis: Kpis,
}

/// How a headline moved from the previous period: `abs` = current − previous, `rel` =
/// `abs` / |previous| (null when either side is null or previous is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub previous: Option<f64>,
    pub current: Option<f64>,
    pub abs: Option<f64>,
    pub rel: Option<f64>,
}

impl Change {
    pub fn new(previous: Option<f64>, current: Option<f64>) -> Change {
        let abs = previous.zip(current).map(|(p, c)| c - p);
        let rel = abs
            .zip(previous)
            .and_then(|(a, p)| (p != 0.0).then(|| a / p.abs()));
        Change {
            previous,
            current,
            abs,
            rel,
        }
    }
}

/// A KPI report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub period: PeriodInfo,
    /// The filter the report is restricted to (absent when none).
    #[serde(skip_serializing_if = "crate::request::Filter::is_empty")]
    pub filter: crate::request::Filter,
    pub kpis: Kpis,
    pub by: Vec<Grouping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Ordered<Change>>,
    /// The thresholds the whole-period KPIs were banded with.
    pub thresholds: Ordered<Threshold>,
    /// Display names of the agents, groups and organizations that appear in rows.
    pub names: Names,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Names {
    pub agents: BTreeMap<String, String>,
    pub groups: BTreeMap<String, String>,
    pub organizations: BTreeMap<String, String>,
}
