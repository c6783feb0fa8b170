//! Checks a conversion against Zendesk's own `ticket_metrics`: the converted events of each
//! ticket are folded through the domain (`TicketState` in replay mode, exactly as the store
//! does on import) and the domain's facts are compared with what Zendesk computed. The metric
//! definitions stay in the domain; this only reads them.

use super::model::{TicketMetric, TicketMetricSet};
use super::{Options, convert, metric_sources, ticket_id};
use crate::json_stream::{self, Layout, SourceId};
use crate::record::{Item, Problem};
use sanjeh_domain::{EventBody, Id, Mode, TicketFacts, TicketState, to_millis};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A minute, in milliseconds: Zendesk gives durations in whole minutes, so a Sanjeh duration
/// within a minute of Zendesk's agrees.
const MINUTE_MS: i64 = 60_000;

/// One metric of one ticket on which Zendesk and Sanjeh differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// Sanjeh's ticket id (`zd-<id>`).
    pub ticket: String,
    /// `first_reply_time`, `first_resolution_time`, `full_resolution_time` (minutes, calendar),
    /// `reopens` or `replies` (counts).
    pub metric: &'static str,
    /// Zendesk's value; `None` when Zendesk has none (e.g. never replied).
    pub zendesk: Option<i64>,
    /// Sanjeh's value, in the same unit (durations rounded down to the minute).
    pub sanjeh: Option<i64>,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.metric.ends_with("_time") {
            " min"
        } else {
            ""
        };
        let show = |v: Option<i64>| v.map_or_else(|| "none".to_owned(), |v| format!("{v}{unit}"));
        write!(
            f,
            "{} {}: zendesk {}, sanjeh {}",
            self.ticket,
            self.metric,
            show(self.zendesk),
            show(self.sanjeh)
        )
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Tickets with Zendesk metrics in the export.
    pub with_metrics: u64,
    /// Of those, tickets the conversion created (and so were compared).
    pub compared: u64,
    /// Tickets with metrics that the conversion did not create.
    pub missing: Vec<String>,
    pub disagreements: Vec<Disagreement>,
}

impl Verification {
    /// Whether every compared metric agreed.
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tickets with zendesk metrics: {}, compared: {}, disagreements: {}",
            self.with_metrics,
            self.compared,
            self.disagreements.len()
        )?;
        if !self.missing.is_empty() {
            writeln!(
                f,
                "not in the converted events: {}",
                self.missing.join(", ")
            )?;
        }
        for d in &self.disagreements {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// Converts the export in `paths` and compares Sanjeh's metrics with Zendesk's
/// `ticket_metrics` (a `ticket_metrics` file, or `metric_set` embedded in tickets).
pub fn verify(paths: &[PathBuf], options: &Options) -> Result<Verification, Problem> {
    let metrics = read_metrics(paths)?;
    let wanted: HashMap<Id, &TicketMetric> = metrics
        .iter()
        .map(|(id, m)| (ticket_id(SourceId(*id)), m))
        .collect();
    let mut states: HashMap<Id, TicketState> = HashMap::new();
    for item in convert(paths, options)? {
        let Item::Event(record) = item? else { continue };
        let event = &record.event;
        let Some(ticket) = event.body.ticket() else {
            continue;
        };
        if !wanted.contains_key(ticket) || !event.body.is_ticket_change() {
            continue;
        }
        let at = to_millis(event.at);
        match &event.body {
            EventBody::TicketCreated(created) => {
                states
                    .entry(ticket.clone())
                    .or_insert_with(|| TicketState::create(created, at));
            }
            body => {
                if let Some(state) = states.get_mut(ticket) {
                    // Replay accepts every recorded transition; an error here could only be a
                    // second creation, which the entry above already ignores.
                    let _ = state.apply(body, at, Mode::Replay);
                }
            }
        }
    }
    let mut result = Verification {
        with_metrics: wanted.len() as u64,
        ..Verification::default()
    };
    let mut ids: Vec<&Id> = wanted.keys().collect();
    ids.sort_by(|a, b| json_stream::natural_cmp(a.as_str(), b.as_str()));
    for id in ids {
        match states.get(id) {
            Some(state) => {
                result.compared += 1;
                compare(id, wanted[id], &state.facts, &mut result.disagreements);
            }
            None => result.missing.push(id.to_string()),
        }
    }
    Ok(result)
}

/// Zendesk's metrics by ticket id, from metrics files and tickets' `metric_set`.
fn read_metrics(paths: &[PathBuf]) -> Result<HashMap<i64, TicketMetric>, Problem> {
    let mut metrics = HashMap::new();
    for source in metric_sources(paths)? {
        let (file, path, layout) = (source.file, source.path, source.layout);
        if source.embedded {
            for m in drain(&file, path, layout, |t: TicketMetricSet| {
                t.metric_set.map(|mut m| {
                    m.ticket_id = m.ticket_id.or(t.id);
                    m
                })
            })? {
                insert(&mut metrics, m);
            }
        } else {
            for m in drain(&file, path, layout, Some)? {
                insert(&mut metrics, m);
            }
        }
    }
    Ok(metrics)
}

fn insert(metrics: &mut HashMap<i64, TicketMetric>, m: Option<TicketMetric>) {
    if let Some(m) = m
        && let Some(ticket) = m.ticket_id
    {
        metrics.insert(ticket.0, m);
    }
}

/// Reads a whole file of records through a reader thread.
fn drain<T: serde::de::DeserializeOwned + 'static, R: Send + 'static>(
    file: &Arc<str>,
    path: PathBuf,
    layout: Layout,
    wrap: fn(T) -> R,
) -> Result<Vec<R>, Problem> {
    let rx = json_stream::spawn(path, layout, wrap);
    let mut all = Vec::new();
    for batch in rx {
        for item in batch {
            let (_, record) = item.map_err(|e| e.into_problem(file))?;
            all.push(record);
        }
    }
    Ok(all)
}

/// Compares one ticket's facts with Zendesk's metrics, adding what differs.
fn compare(id: &Id, zd: &TicketMetric, facts: &TicketFacts, out: &mut Vec<Disagreement>) {
    // A metric Zendesk did not give at all is not compared; one given as null (never
    // replied, never solved) is compared with Sanjeh having none either.
    let calendar = |m: &Option<super::model::Minutes>| m.as_ref().map(|m| m.calendar);
    let durations = [
        (
            "first_reply_time",
            calendar(&zd.reply_time_in_minutes),
            facts.first_reply_ms(),
        ),
        (
            "first_resolution_time",
            calendar(&zd.first_resolution_time_in_minutes),
            facts.first_resolution_ms(),
        ),
        (
            "full_resolution_time",
            calendar(&zd.full_resolution_time_in_minutes),
            facts.full_resolution_ms(),
        ),
    ];
    for (metric, given, sanjeh_ms) in durations {
        let Some(zendesk) = given else { continue };
        let agree = match (zendesk, sanjeh_ms) {
            (None, None) => true,
            (Some(z), Some(s)) => (z * MINUTE_MS - s).abs() < MINUTE_MS,
            _ => false,
        };
        if !agree {
            out.push(Disagreement {
                ticket: id.to_string(),
                metric,
                zendesk,
                sanjeh: sanjeh_ms.map(|ms| ms.div_euclid(MINUTE_MS)),
            });
        }
    }
    let counts = [
        ("reopens", zd.reopens, facts.reopens),
        ("replies", zd.replies, facts.agent_replies),
    ];
    for (metric, zendesk, sanjeh) in counts {
        if let Some(z) = zendesk
            && z != sanjeh
        {
            out.push(Disagreement {
                ticket: id.to_string(),
                metric,
                zendesk: Some(z),
                sanjeh: Some(sanjeh),
            });
        }
    }
}
