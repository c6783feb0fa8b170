//! Hand-made Freshdesk exports: status history from `stats` interleaved with conversations,
//! custom statuses, outbound email, merges, CSAT, missing fields and malformed JSON.

use sanjeh_domain::event::Score;
use sanjeh_domain::{EventBody, Id, Mode, Status, TicketState, to_millis};
use sanjeh_import::freshdesk::{self, Options};
use sanjeh_import::{Event, Item, Problem, Summary};
use std::collections::HashMap;
use tempfile::TempDir;

fn export(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).expect("write fixture");
    }
    dir
}

fn run(dir: &TempDir) -> (Summary, Vec<Event>) {
    let mut summary = Summary::default();
    let mut events = Vec::new();
    for item in freshdesk::convert(&[dir.path().to_path_buf()], &Options::default()).expect("probe")
    {
        let item = item.expect("no rejection");
        summary.add(&item);
        if let Item::Event(record) = item {
            events.push(record.event);
        }
    }
    (summary, events)
}

fn states(events: &[Event]) -> HashMap<Id, TicketState> {
    let mut states: HashMap<Id, TicketState> = HashMap::new();
    for e in events {
        let Some(ticket) = e.body.ticket() else {
            continue;
        };
        match &e.body {
            EventBody::TicketCreated(c) => {
                states.insert(ticket.clone(), TicketState::create(c, to_millis(e.at)));
            }
            body if body.is_ticket_change() => {
                let state = states.get_mut(ticket).expect("created before its changes");
                state
                    .apply(body, to_millis(e.at), Mode::Replay)
                    .expect("replays");
            }
            _ => {}
        }
    }
    states
}

fn id(raw: &str) -> Id {
    Id::parse("id", raw).expect("id")
}

const AGENTS: &str = r#"[{"id":5,"contact":{"name":"Ann","email":"ann@example.com","active":true},"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","occasional":false,"ticket_scope":1}]"#;

/// Ticket 1: reopened by the customer and resolved again. Ticket 2: an outbound email, in a
/// custom status. Ticket 3: merged into 1. Ticket 4: no created_at.
const TICKETS: &str = r#"[
 {"id":1,"created_at":"2024-03-01T10:00:00Z","updated_at":"2024-03-01T13:00:00Z","status":4,"priority":3,"source":1,
  "requester_id":9,"responder_id":5,"group_id":2,"subject":"Refund","type":"Question","tags":["Refund"],
  "description_text":"Where is my refund?",
  "stats":{"resolved_at":"2024-03-01T13:00:00Z","reopened_at":"2024-03-01T11:30:00Z","closed_at":null,"status_updated_at":"2024-03-01T13:00:00Z"}},
 {"id":2,"created_at":"2024-03-01T10:05:00Z","updated_at":"2024-03-01T10:06:00Z","status":6,"priority":2,"source":10,
  "requester_id":9,"responder_id":5,"subject":"Your renewal","description_text":"Renewal offer"},
 {"id":3,"created_at":"2024-03-01T10:10:00Z","updated_at":"2024-03-01T10:40:00Z","status":5,"priority":4,"source":99,
  "requester_id":9,"description_text":"Refund again",
  "stats":{"closed_at":"2024-03-01T10:40:00Z"}},
 {"id":4,"status":2,"requester_id":9}
]"#;

const CONVERSATIONS: &str = r#"[
 {"id":11,"ticket_id":1,"user_id":5,"incoming":false,"private":false,"body_text":"Processing it","created_at":"2024-03-01T10:30:00Z"},
 {"id":12,"ticket_id":1,"user_id":9,"incoming":true,"private":false,"body_text":"Still nothing","created_at":"2024-03-01T11:30:00Z"},
 {"id":13,"ticket_id":1,"user_id":5,"incoming":false,"private":true,"body_text":"Asked finance","created_at":"2024-03-01T12:00:00Z"},
 {"id":14,"ticket_id":1,"user_id":5,"incoming":false,"private":false,"body_text":"Refunded","created_at":"2024-03-01T12:30:00Z"},
 {"id":31,"ticket_id":3,"user_id":5,"incoming":false,"private":true,"body_text":"This ticket is closed and merged into ticket 1","created_at":"2024-03-01T10:40:00Z"},
 {"id":99,"ticket_id":77,"user_id":5,"incoming":false,"private":false,"body_text":"orphan","created_at":"2024-03-01T10:40:00Z"}
]"#;

const RATINGS: &str = r#"[
 {"id":201,"ticket_id":1,"user_id":9,"agent_id":5,"survey_id":1,"feedback":"Fine","ratings":{"default_question":103},"created_at":"2024-03-02T09:00:00Z","updated_at":"2024-03-02T09:00:00Z"},
 {"id":202,"ticket_id":3,"user_id":9,"survey_id":1,"ratings":{"default_question":-103},"created_at":"2024-03-02T09:00:00Z"},
 {"id":203,"ticket_id":3,"user_id":9,"survey_id":1,"ratings":{"default_question":55},"created_at":"2024-03-02T09:00:00Z"}
]"#;

fn full() -> TempDir {
    export(&[
        ("a_conversations.json", CONVERSATIONS),
        ("b_tickets.json", TICKETS),
        ("c_agents.json", AGENTS),
        ("d_ratings.json", RATINGS),
    ])
}

#[test]
fn status_history_interleaves_with_conversations_in_time_order() {
    let (summary, events) = run(&full());
    let of_1: Vec<(&str, String)> = events
        .iter()
        .filter(|e| e.body.ticket().map(Id::as_str) == Some("fd-1"))
        .map(|e| (e.body.type_name(), e.at.to_string()))
        .collect();
    let types: Vec<&str> = of_1.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        types,
        [
            "ticket.created",
            "ticket.message",  // the description
            "ticket.status",   // open from the start
            "ticket.assigned", // the responder
            "ticket.message",  // 10:30 reply
            "ticket.status",   // 11:30 reopened (held back until its turn)
            "ticket.message",  // 11:30 customer
            "ticket.message",  // 12:00 note
            "ticket.message",  // 12:30 reply
            "ticket.status",   // 13:00 resolved (released after the last conversations)
            "survey.response",
        ],
        "{summary}"
    );
    let times: Vec<&String> = of_1.iter().map(|(_, at)| at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let s = states(&events);
    let t1 = &s[&id("fd-1")];
    assert_eq!(t1.status, Status::Solved);
    assert_eq!(t1.facts.agent_replies, 2);
    assert_eq!(t1.facts.internal_notes, 1);
    assert_eq!(t1.facts.customer_messages, 2);
    assert_eq!(t1.facts.first_reply_ms(), Some(30 * 60_000));
    assert_eq!(t1.facts.full_resolution_ms(), Some(3 * 3_600_000));
    assert_eq!(t1.tags, ["refund"]);
}

#[test]
fn outbound_email_is_opened_by_the_agent() {
    let (_, events) = run(&full());
    let s = states(&events);
    let t2 = &s[&id("fd-2")];
    assert!(t2.facts.outbound);
    assert_eq!(t2.facts.first_reply_ms(), None);
}

#[test]
fn custom_statuses_and_sources_are_reported_with_a_fallback() {
    let (summary, events) = run(&full());
    assert_eq!(summary.unmapped["status"]["6"], 1, "{summary}");
    assert_eq!(summary.unmapped["source"]["99"], 1, "{summary}");
    let s = states(&events);
    assert_eq!(s[&id("fd-2")].status, Status::Open);
}

#[test]
fn a_merge_note_merges_the_ticket() {
    let (_, events) = run(&full());
    let merge = events
        .iter()
        .find(|e| matches!(e.body, EventBody::TicketMerged { .. }))
        .expect("a merge");
    assert_eq!(merge.id.as_deref(), Some("fd:conv:31:merge"));
    let s = states(&events);
    assert_eq!(
        s[&id("fd-3")].merged_into.as_ref().map(Id::as_str),
        Some("fd-1")
    );
    assert_eq!(s[&id("fd-3")].facts.solves, 0);
}

#[test]
fn csat_answers_map_onto_one_to_five() {
    let (summary, events) = run(&full());
    let scores: Vec<(Option<&str>, Score)> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::SurveyResponse(s) => Some((e.id.as_deref(), s.score)),
            _ => None,
        })
        .collect();
    assert_eq!(
        scores,
        [
            (Some("fd:csat:201"), Score::Scale(5)),
            (Some("fd:csat:202"), Score::Scale(1))
        ]
    );
    assert_eq!(summary.unmapped["ratings"]["55"], 1);
}

#[test]
fn records_missing_what_they_need_are_skipped_with_their_place() {
    let (summary, _) = run(&full());
    let problems: Vec<(String, u64, &str)> = summary
        .problems
        .iter()
        .map(|p| {
            let file = p.origin.file.rsplit('/').next().unwrap_or("").to_owned();
            (file, p.origin.line, p.field.as_str())
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("b_tickets.json".to_owned(), 4, "created_at"),
            ("a_conversations.json".to_owned(), 6, "ticket_id"),
        ]
    );
}

#[test]
fn malformed_json_rejects_the_input() {
    let dir = export(&[(
        "t.json",
        "[{\"id\":1,\"created_at\":\"2024-01-01T00:00:00Z\",\"status\":2,\"requester_id\":1},\n{\"id\":2,",
    )]);
    let problem: Problem = freshdesk::convert(&[dir.path().join("t.json")], &Options::default())
        .expect("probe reads the first record")
        .filter_map(Result::err)
        .next()
        .expect("rejected");
    assert_eq!(problem.field, "json");
    let dir = export(&[("t.json", "]")]);
    assert!(freshdesk::convert(&[dir.path().join("t.json")], &Options::default()).is_err());
}

#[test]
fn times_without_an_offset_take_the_given_zone() {
    let dir = export(&[(
        "t.json",
        r#"[{"id":1,"created_at":"2024-03-01 10:00:00","status":2,"requester_id":1}]"#,
    )]);
    let options = Options {
        tz: jiff::tz::TimeZone::get("Asia/Tehran").expect("zone"),
    };
    let events: Vec<Event> = freshdesk::convert(&[dir.path().to_path_buf()], &options)
        .expect("probe")
        .filter_map(|i| match i.expect("ok") {
            Item::Event(r) => Some(r.event),
            _ => None,
        })
        .collect();
    assert_eq!(events[0].at.to_string(), "2024-03-01T06:30:00Z");
}
