//! Why a ticket's numbers are what they are: replays the ticket's events one by one and records
//! which event set or changed each metric fact, and the durations those facts give.

use crate::Millis;
use crate::event::{Event, EventBody};
use crate::ticket::{Mode, TicketState};
use crate::vocab::Status;
use serde::Serialize;
use serde_json::Value;

/// One change to a fact, and the event that made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactChange {
    pub fact: String,
    pub from: Value,
    pub to: Value,
    /// The sequence number of the event in the log.
    pub seq: i64,
    pub event_type: &'static str,
    pub at: String,
}

/// A metric of the ticket, its value, and the events it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: &'static str,
    /// Seconds for durations, a count otherwise; `None` when it does not apply (yet).
    pub value: Option<f64>,
    pub unit: &'static str,
    pub from_events: Vec<i64>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub ticket: String,
    pub status: Status,
    pub metrics: Vec<Metric>,
    pub changes: Vec<FactChange>,
    /// Escalations of the ticket (`ticket.escalated`), in log order.
    pub escalations: Vec<Escalated>,
}

/// One escalation level reached by the ticket, and the event that recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalated {
    pub seq: i64,
    pub at: String,
    pub level: u8,
    pub rule: String,
    pub metric: String,
    pub reason: Option<String>,
}

/// Replays `events` (the ticket's, in log order, with their sequence numbers) and explains
/// its metrics. `now` closes the current status's stretch for time-in-status. Returns `None`
/// when the events do not begin with the ticket's creation.
pub fn explain(events: &[(i64, Event)], now: Millis) -> Option<Explanation> {
    let (first_seq, first) = events.first()?;
    let EventBody::TicketCreated(created) = &first.body else {
        return None;
    };
    let mut state = TicketState::create(created, first.at.as_millisecond());
    let mut changes = Vec::new();
    let mut last_set: std::collections::HashMap<String, i64> = Default::default();
    let mut escalations = Vec::new();
    record(
        &mut changes,
        &mut last_set,
        &Value::Null,
        &facts_json(&state),
        *first_seq,
        first,
    );
    for (seq, event) in &events[1..] {
        if let EventBody::TicketEscalated(e) = &event.body {
            escalations.push(Escalated {
                seq: *seq,
                at: event.at.to_string(),
                level: e.level,
                rule: e.rule.clone(),
                metric: e.metric.clone(),
                reason: e.reason.clone(),
            });
        }
        let before = facts_json(&state);
        if state
            .apply(&event.body, event.at.as_millisecond(), Mode::Replay)
            .is_err()
        {
            continue;
        }
        record(
            &mut changes,
            &mut last_set,
            &before,
            &facts_json(&state),
            *seq,
            event,
        );
    }
    let f = &state.facts;
    let by = |fact: &str| last_set.get(fact).copied().into_iter().collect::<Vec<_>>();
    let with_created = |fact: &str| {
        std::iter::once(*first_seq)
            .chain(by(fact))
            .collect::<Vec<_>>()
    };
    let secs = |ms: Option<i64>| ms.map(|m| m as f64 / 1000.0);
    let mut metrics = vec![
        Metric {
            name: "first_reply_time",
            value: secs(f.first_reply_ms()),
            unit: "s",
            from_events: with_created("first_reply_at"),
            note: if f.outbound {
                "outbound ticket (opened by an agent): no first reply time".into()
            } else if f.first_reply_at.is_none() {
                "no public agent reply yet: counted apart as unreplied".into()
            } else {
                "created → first public agent reply".into()
            },
        },
        Metric {
            name: "first_resolution_time",
            value: secs(f.first_resolution_ms()),
            unit: "s",
            from_events: with_created("first_solved_at"),
            note: "created → first solve".into(),
        },
        Metric {
            name: "full_resolution_time",
            value: secs(f.full_resolution_ms()),
            unit: "s",
            from_events: with_created("last_solved_at"),
            note: if f.merged_at.is_some() {
                "merged away: closed without a solve, left out of resolution KPIs".into()
            } else {
                "created → last solve".into()
            },
        },
        Metric {
            name: "handle_time",
            value: secs(f.handle_ms),
            unit: "s",
            from_events: by("handle_ms"),
            note: "time in new and open up to the last solve".into(),
        },
        Metric {
            name: "requester_wait_time",
            value: secs(f.requester_wait_ms),
            unit: "s",
            from_events: by("requester_wait_ms"),
            note: "time in new, open and on_hold up to the last solve".into(),
        },
        Metric {
            name: "agent_replies",
            value: Some(f.agent_replies as f64),
            unit: "count",
            from_events: by("agent_replies"),
            note: "public agent messages (internal notes, bot and system messages do not count)"
                .into(),
        },
        Metric {
            name: "reopens",
            value: Some(f.reopens as f64),
            unit: "count",
            from_events: by("reopens"),
            note: "changes from solved back to an unsolved status".into(),
        },
        Metric {
            name: "first_contact_resolution",
            value: f
                .last_solved_at
                .map(|_| f64::from(u8::from(f.first_contact_resolved()))),
            unit: "bool",
            from_events: by("last_solved_at"),
            note: "solved with exactly one agent reply and never reopened".into(),
        },
    ];
    for status in Status::ALL {
        metrics.push(Metric {
            name: status_metric(*status),
            value: Some(f.time_in(*status, state.status, now) as f64 / 1000.0),
            unit: "s",
            from_events: Vec::new(),
            note: format!("time in {status} so far"),
        });
    }
    Some(Explanation {
        ticket: state.id.to_string(),
        status: state.status,
        metrics,
        changes,
        escalations,
    })
}

fn status_metric(s: Status) -> &'static str {
    match s {
        Status::New => "time_in_new",
        Status::Open => "time_in_open",
        Status::Pending => "time_in_pending",
        Status::OnHold => "time_in_on_hold",
        Status::Solved => "time_in_solved",
        Status::Closed => "time_in_closed",
    }
}

fn facts_json(state: &TicketState) -> Value {
    serde_json::to_value(&state.facts).unwrap_or(Value::Null)
}

fn record(
    changes: &mut Vec<FactChange>,
    last_set: &mut std::collections::HashMap<String, i64>,
    before: &Value,
    after: &Value,
    seq: i64,
    event: &Event,
) {
    let Value::Object(after) = after else { return };
    for (fact, to) in after {
        // status_since moves with every status change; the status_ms totals say more.
        if fact == "status_since" {
            continue;
        }
        let from = before.get(fact).cloned().unwrap_or(Value::Null);
        if &from != to {
            last_set.insert(fact.clone(), seq);
            changes.push(FactChange {
                fact: fact.clone(),
                from,
                to: to.clone(),
                seq,
                event_type: event.body.type_name(),
                at: event.at.to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(lines: &[&str]) -> Vec<(i64, Event)> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i as i64 + 1, Event::parse_line(l).unwrap()))
            .collect()
    }

    #[test]
    fn names_the_event_behind_each_metric() {
        let evs = events(&[
            r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C"}"#,
            r#"{"type":"ticket.message","at":"2026-01-05T09:01:00Z","ticket":"T-1","author":"agent:A","public":false,"body":"note"}"#,
            r#"{"type":"ticket.message","at":"2026-01-05T09:10:00Z","ticket":"T-1","author":"agent:A","body":"hi"}"#,
            r#"{"type":"ticket.status","at":"2026-01-05T10:00:00Z","ticket":"T-1","status":"solved","by":"agent:A"}"#,
        ]);
        let x = explain(&evs, 0).unwrap();
        let m = |name: &str| x.metrics.iter().find(|m| m.name == name).unwrap().clone();
        assert_eq!(m("first_reply_time").value, Some(600.0));
        assert_eq!(
            m("first_reply_time").from_events,
            vec![1, 3],
            "the internal note is not the reply"
        );
        assert_eq!(m("full_resolution_time").value, Some(3600.0));
        assert_eq!(m("full_resolution_time").from_events, vec![1, 4]);
        assert_eq!(m("handle_time").value, Some(3600.0));
        assert_eq!(m("first_contact_resolution").value, Some(1.0));
        assert!(
            x.changes
                .iter()
                .any(|c| c.fact == "internal_notes" && c.seq == 2)
        );
    }

    #[test]
    fn outbound_and_unreplied_say_why_there_is_no_value() {
        let evs = events(&[
            r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","by":"agent:A"}"#,
        ]);
        let x = explain(&evs, 0).unwrap();
        assert!(x.metrics[0].value.is_none() && x.metrics[0].note.contains("outbound"));
        assert!(explain(&[], 0).is_none());
    }
}
