//! What a report is asked for: the period, its time zone, the groupings and the settings.

use crate::bands::Targets;
use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use sanjeh_calendar::Calendars;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A dimension a report can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Day,
    Week,
    Month,
    Channel,
    Group,
    Agent,
    Priority,
    Tag,
    Kind,
    Organization,
}

impl Dimension {
    pub const ALL: [Dimension; 10] = [
        Dimension::Day,
        Dimension::Week,
        Dimension::Month,
        Dimension::Channel,
        Dimension::Group,
        Dimension::Agent,
        Dimension::Priority,
        Dimension::Tag,
        Dimension::Kind,
        Dimension::Organization,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Day => "day",
            Dimension::Week => "week",
            Dimension::Month => "month",
            Dimension::Channel => "channel",
            Dimension::Group => "group",
            Dimension::Agent => "agent",
            Dimension::Priority => "priority",
            Dimension::Tag => "tag",
            Dimension::Kind => "kind",
            Dimension::Organization => "organization",
        }
    }

    /// Day, week and month: the dimensions that cut the period itself.
    pub fn is_time(self) -> bool {
        matches!(self, Dimension::Day | Dimension::Week | Dimension::Month)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown dimension name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown dimension {0:?}; expected one of: day, week, month, channel, group, agent, priority, tag, kind, organization"
)]
pub struct UnknownDimension(pub String);

impl FromStr for Dimension {
    type Err = UnknownDimension;
    fn from_str(s: &str) -> Result<Dimension, UnknownDimension> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDimension(s.to_owned()))
    }
}

/// The most dimensions one grouping may combine (a row key packs one 32-bit value each).
pub const MAX_DIMENSIONS: usize = 4;

/// How much each measure weighs in the agents' ranking (see `top_agents`). Weights are
/// relative: only their ratios matter; 0 leaves a measure out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RankWeights {
    pub fcr: f64,
    pub first_reply_time: f64,
    pub resolution_time: f64,
    pub csat: f64,
    pub solved: f64,
    pub learning_rate: f64,
    pub resolved_per_session: f64,
}

impl Default for RankWeights {
    /// The catalogue ranks on FCR, first reply time, resolution time, CSAT and solved volume,
    /// equally; learning and resolved-per-session are shown but weigh nothing by default.
    fn default() -> RankWeights {
        RankWeights {
            fcr: 1.0,
            first_reply_time: 1.0,
            resolution_time: 1.0,
            csat: 1.0,
            solved: 1.0,
            learning_rate: 0.0,
            resolved_per_session: 0.0,
        }
    }
}

/// One channel, group and/or agent (ids as in the events); `None` leaves a dimension free.
///
/// A report with a filter is exactly the row of a grouping by the filtered dimensions: an item
/// counts when its channel and group are those named, and a KPI credited to an agent (volume
/// to the assignee, first reply to its author, a solve to the solver) counts when it is that
/// agent's. KPIs of families that do not follow a filtered dimension (sessions, costs,
/// self-service, customer lifecycle) are absent, as they are from such a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl Filter {
    /// The filtered dimensions, in the order channel, group, agent.
    pub fn dimensions(&self) -> Vec<Dimension> {
        [
            (self.channel.is_some(), Dimension::Channel),
            (self.group.is_some(), Dimension::Group),
            (self.agent.is_some(), Dimension::Agent),
        ]
        .into_iter()
        .filter_map(|(on, d)| on.then_some(d))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }
}

/// A report request. Build it with [`ReportRequest::new`] and set what differs.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The period is `[from, to)`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The zone days, weeks and months are cut in.
    pub tz: TimeZone,
    /// The main grouping: one row per combination of these dimensions' values.
    pub by: Vec<Dimension>,
    /// Further groupings computed in the same pass (e.g. `[[agent]]` beside `by = [month,
    /// channel]`).
    pub also_by: Vec<Vec<Dimension>>,
    /// First day of a week: Saturday for Persian teams, Monday for Russian and English ones
    /// (see [`week_start_for_language`]).
    pub week_start: Weekday,
    pub targets: Targets,
    /// Also compute the period of the same length just before, and the change.
    pub compare_previous: bool,
    /// A customer ticket this many days after a solve is a repeat contact.
    pub repeat_window_days: i64,
    /// A call answered within this many seconds meets the service level.
    pub service_level_s: i64,
    /// The present instant: the end of data, for ages and "as of now".
    pub now: Timestamp,
    pub rank_weights: RankWeights,
    /// Customer health looks back this many days from the end of the period.
    pub health_lookback_days: i64,
    /// How many of the least healthy customers a report lists.
    pub health_limit: usize,
    /// Business schedules (the default and per-group calendars). When set, the report also
    /// carries the business-time variant of every end-point duration KPI
    /// (`first_reply_time_business`…), each item measured with its ticket's group calendar.
    pub calendars: Option<Arc<Calendars>>,
    /// Only the items of one channel, group and/or agent (see [`Filter`]).
    pub filter: Filter,
}

impl ReportRequest {
    pub fn new(from: Timestamp, to: Timestamp, tz: TimeZone, now: Timestamp) -> ReportRequest {
        ReportRequest {
            from,
            to,
            tz,
            by: Vec::new(),
            also_by: Vec::new(),
            week_start: Weekday::Monday,
            targets: Targets::default(),
            compare_previous: false,
            repeat_window_days: 7,
            service_level_s: 20,
            now,
            rank_weights: RankWeights::default(),
            health_lookback_days: 90,
            health_limit: 20,
            calendars: None,
            filter: Filter::default(),
        }
    }

    /// Every grouping asked for, normalised: duplicates and a second time dimension dropped,
    /// at most [`MAX_DIMENSIONS`] dimensions each, empty and repeated groupings left out.
    pub fn groupings(&self) -> Vec<Vec<Dimension>> {
        let mut out: Vec<Vec<Dimension>> = Vec::new();
        for dims in std::iter::once(&self.by).chain(&self.also_by) {
            let mut g: Vec<Dimension> = Vec::new();
            for &d in dims {
                let time_taken = d.is_time() && g.iter().any(|x| x.is_time());
                if !g.contains(&d) && !time_taken && g.len() < MAX_DIMENSIONS {
                    g.push(d);
                }
            }
            if !g.is_empty() && !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    /// Checks the request; a server rejects what [`crate::report`] would otherwise quietly
    /// normalise.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.to <= self.from {
            return Err(RequestError::EmptyPeriod);
        }
        for dims in std::iter::once(&self.by).chain(&self.also_by) {
            if dims.len() > MAX_DIMENSIONS {
                return Err(RequestError::TooManyDimensions(dims.len()));
            }
            if dims.iter().filter(|d| d.is_time()).count() > 1 {
                return Err(RequestError::TwoTimeDimensions);
            }
            for (i, d) in dims.iter().enumerate() {
                if dims[..i].contains(d) {
                    return Err(RequestError::RepeatedDimension(*d));
                }
            }
        }
        if self.repeat_window_days < 0 || self.service_level_s < 0 || self.health_lookback_days <= 0
        {
            return Err(RequestError::NegativeSetting);
        }
        self.targets.validate().map_err(RequestError::Targets)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("the period is empty: `to` must be after `from`")]
    EmptyPeriod,
    #[error("a grouping combines at most {MAX_DIMENSIONS} dimensions, got {0}")]
    TooManyDimensions(usize),
    #[error("a grouping can use only one of day, week and month")]
    TwoTimeDimensions,
    #[error("dimension {0} is repeated in a grouping")]
    RepeatedDimension(Dimension),
    #[error("repeat window, service level and health look-back must not be negative")]
    NegativeSetting,
    #[error("targets: {0}")]
    Targets(String),
}

/// The first day of the week for a language: Saturday for Persian (`fa`), Monday otherwise
/// (Russian and English, as ISO 8601).
pub fn week_start_for_language(lang: &str) -> Weekday {
    if lang.eq_ignore_ascii_case("fa") || lang.to_ascii_lowercase().starts_with("fa-") {
        Weekday::Saturday
    } else {
        Weekday::Monday
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_parse_from_their_names() {
        for d in Dimension::ALL {
            assert_eq!(d.as_str().parse::<Dimension>().unwrap(), d);
        }
        assert!("year".parse::<Dimension>().is_err());
    }

    #[test]
    fn groupings_are_normalised() {
        let t = Timestamp::UNIX_EPOCH;
        let mut r = ReportRequest::new(t, t, TimeZone::UTC, t);
        r.by = vec![
            Dimension::Month,
            Dimension::Channel,
            Dimension::Day,
            Dimension::Channel,
        ];
        r.also_by = vec![vec![Dimension::Agent], vec![], vec![Dimension::Agent]];
        assert_eq!(
            r.groupings(),
            [
                vec![Dimension::Month, Dimension::Channel],
                vec![Dimension::Agent]
            ]
        );
        assert_eq!(r.validate(), Err(RequestError::EmptyPeriod));
    }

    #[test]
    fn persian_weeks_start_on_saturday() {
        assert_eq!(week_start_for_language("fa"), Weekday::Saturday);
        assert_eq!(week_start_for_language("fa-IR"), Weekday::Saturday);
        assert_eq!(week_start_for_language("ru"), Weekday::Monday);
        assert_eq!(week_start_for_language("en"), Weekday::Monday);
    }
}
