//! Hand-made Zendesk exports for the cases the samples do not show: a reopened ticket, a merge,
//! private comments, an agent-created ticket, unknown values, missing fields, malformed JSON,
//! JSON Lines, and verification against planted metrics.

use sanjeh_domain::{Author, EventBody, Id, Mode, Status, TicketFacts, TicketState, to_millis};
use sanjeh_import::zendesk::{self, Options};
use sanjeh_import::{Event, Item, Problem, Summary};
use std::collections::HashMap;
use std::path::PathBuf;
use tempfile::TempDir;

/// Writes `files` (name, content) into a fresh directory.
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
    for item in zendesk::convert(&[dir.path().to_path_buf()], &Options::default()).expect("probe") {
        let item = item.expect("no rejection");
        summary.add(&item);
        if let Item::Event(record) = item {
            events.push(record.event);
        }
    }
    (summary, events)
}

/// The first problem a conversion ends with (at the probe or in the stream).
fn rejection(paths: &[PathBuf]) -> Problem {
    match zendesk::convert(paths, &Options::default()) {
        Err(p) => p,
        Ok(items) => items
            .filter_map(Result::err)
            .next()
            .expect("the input is rejected"),
    }
}

/// Folds the events through the domain, as the store does on import.
fn facts(events: &[Event]) -> HashMap<Id, TicketState> {
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

fn facts_of<'a>(states: &'a HashMap<Id, TicketState>, ticket: &str) -> &'a TicketFacts {
    &states[&Id::parse("ticket", ticket).expect("id")].facts
}

const USERS: &str = r#"{"users":[
 {"id":10,"name":"Ann Agent","email":"ann@example.com","role":"agent","updated_at":"2024-01-01T00:00:00Z"},
 {"id":11,"name":"Ada Admin","role":"admin","updated_at":"2024-01-01T00:00:00Z"},
 {"id":20,"name":"Carl Customer","email":"carl@example.com","role":"end-user","organization_id":5,"locale":"de","updated_at":"2024-01-01T00:00:00Z"}
]}"#;

/// Ticket 1: created by the customer, replied and solved, reopened by the customer's answer,
/// solved again. Ticket 2: opened by an agent (outbound) with a private note. Ticket 3: merged
/// into ticket 1.
const AUDITS: &str = r#"{"audits":[
 {"id":100,"ticket_id":1,"created_at":"2024-01-02T09:00:00Z","author_id":20,"via":{"channel":"email"},
  "events":[
   {"id":101,"type":"Comment","author_id":20,"body":"My invoice is wrong","public":true},
   {"id":102,"type":"Create","field_name":"requester_id","value":"20"},
   {"id":103,"type":"Create","field_name":"status","value":"new"},
   {"id":104,"type":"Create","field_name":"priority","value":"high"},
   {"id":105,"type":"Create","field_name":"type","value":"question"},
   {"id":106,"type":"Create","field_name":"tags","value":["Billing","invoice"]},
   {"id":107,"type":"Create","field_name":"group_id","value":"7"}]},
 {"id":110,"ticket_id":1,"created_at":"2024-01-02T09:30:00Z","author_id":10,"via":{"channel":"web"},
  "events":[
   {"id":111,"type":"Comment","author_id":10,"body":"Fixed, sorry!","public":true},
   {"id":112,"type":"Change","field_name":"assignee_id","value":"10","previous_value":null},
   {"id":113,"type":"Change","field_name":"status","value":"solved","previous_value":"new"}]},
 {"id":120,"ticket_id":1,"created_at":"2024-01-02T12:00:00Z","author_id":20,"via":{"channel":"email"},
  "events":[
   {"id":121,"type":"Comment","author_id":20,"body":"Still wrong","public":true},
   {"id":122,"type":"Change","field_name":"status","value":"open","previous_value":"solved"}]},
 {"id":125,"ticket_id":2,"created_at":"2024-01-02T12:30:00Z","author_id":10,"via":{"channel":"web"},
  "events":[
   {"id":126,"type":"Comment","author_id":10,"body":"Your renewal is due","public":true},
   {"id":127,"type":"Create","field_name":"requester_id","value":"20"},
   {"id":128,"type":"Create","field_name":"status","value":"pending"},
   {"id":129,"type":"Create","field_name":"type","value":"feature_request"}]},
 {"id":130,"ticket_id":1,"created_at":"2024-01-02T13:00:00Z","author_id":10,"via":{"channel":"web"},
  "events":[
   {"id":131,"type":"Comment","author_id":10,"body":"Checked with billing (note)","public":false},
   {"id":132,"type":"Comment","author_id":10,"body":"Corrected invoice attached","public":true},
   {"id":133,"type":"Change","field_name":"status","value":"solved","previous_value":"open"},
   {"id":134,"type":"Change","field_name":"priority","value":"normal","previous_value":"high"}]},
 {"id":140,"ticket_id":3,"created_at":"2024-01-02T14:00:00Z","author_id":20,"via":{"channel":"carrier_pigeon"},
  "events":[
   {"id":141,"type":"Comment","author_id":20,"body":"Same invoice problem","public":true},
   {"id":142,"type":"Create","field_name":"requester_id","value":"20"},
   {"id":143,"type":"Create","field_name":"status","value":"new"}]},
 {"id":150,"ticket_id":3,"created_at":"2024-01-02T14:10:00Z","author_id":10,
  "via":{"channel":"merge","source":{"from":{},"to":{"ticket_id":1,"subject":"My invoice"},"rel":"merge"}},
  "events":[
   {"id":151,"type":"Comment","author_id":10,"body":"This request was closed and merged into request #1.","public":false},
   {"id":152,"type":"Change","field_name":"tags","value":["closed_by_merge"],"previous_value":[]},
   {"id":153,"type":"Change","field_name":"status","value":"closed","previous_value":"new"}]},
 {"id":160,"ticket_id":2,"created_at":"2024-01-03T08:00:00Z","author_id":10,"via":{"channel":"web"},
  "events":[{"id":161,"type":"Change","field_name":"status","value":"escalated","previous_value":"pending"}]},
 {"id":170,"created_at":"2024-01-03T09:00:00Z","author_id":10,"events":[]}
],"next_page":null,"count":9}"#;

#[test]
fn a_reopened_ticket_replays_its_history_in_order() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (summary, events) = run(&dir);
    let of_1: Vec<(&str, Option<&str>)> = events
        .iter()
        .filter(|e| e.body.ticket().map(Id::as_str) == Some("zd-1"))
        .map(|e| (e.body.type_name(), e.id.as_deref()))
        .collect();
    assert_eq!(
        of_1,
        [
            ("ticket.created", Some("zd:audit:100")),
            ("ticket.message", Some("zd:audit:100:101")),
            ("ticket.message", Some("zd:audit:110:111")),
            ("ticket.assigned", Some("zd:audit:110:112")),
            ("ticket.status", Some("zd:audit:110:113")),
            ("ticket.message", Some("zd:audit:120:121")),
            ("ticket.status", Some("zd:audit:120:122")),
            ("ticket.message", Some("zd:audit:130:131")),
            ("ticket.message", Some("zd:audit:130:132")),
            ("ticket.updated", Some("zd:audit:130:134")),
            ("ticket.status", Some("zd:audit:130:133")),
        ],
        "{summary}"
    );
    let states = facts(&events);
    let f = facts_of(&states, "zd-1");
    assert_eq!(f.reopens, 1);
    assert_eq!(f.solves, 2);
    assert_eq!(f.agent_replies, 2);
    assert_eq!(f.internal_notes, 1);
    assert_eq!(f.first_reply_ms(), Some(30 * 60_000));
    assert_eq!(f.first_resolution_ms(), Some(30 * 60_000));
    assert_eq!(f.full_resolution_ms(), Some(4 * 3_600_000));
    let t1 = &states[&Id::parse("t", "zd-1").expect("id")];
    assert_eq!(t1.tags, ["billing", "invoice"]);
    assert_eq!(t1.group.as_ref().map(Id::as_str), Some("zd-g7"));
    assert_eq!(t1.assignee.as_ref().map(Id::as_str), Some("zd-u10"));
}

#[test]
fn private_comments_are_internal_notes_by_agents() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (_, events) = run(&dir);
    let note = events
        .iter()
        .find(|e| e.id.as_deref() == Some("zd:audit:130:131"))
        .expect("the note");
    let EventBody::TicketMessage(m) = &note.body else {
        panic!("{note:?}")
    };
    assert!(!m.public);
    assert_eq!(
        m.author,
        Author::Agent(Id::parse("a", "zd-u10").expect("id"))
    );
}

#[test]
fn an_agent_created_ticket_is_outbound() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (_, events) = run(&dir);
    let states = facts(&events);
    let f = facts_of(&states, "zd-2");
    assert!(f.outbound);
    assert_eq!(f.first_reply_ms(), None);
    assert!(!facts_of(&states, "zd-1").outbound);
}

#[test]
fn a_close_by_merge_is_a_merge_into_the_named_ticket() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (_, events) = run(&dir);
    let merge = events
        .iter()
        .find(|e| matches!(e.body, EventBody::TicketMerged { .. }))
        .expect("a merge");
    assert_eq!(merge.id.as_deref(), Some("zd:audit:150:153"));
    let EventBody::TicketMerged { ticket, into, .. } = &merge.body else {
        unreachable!()
    };
    assert_eq!((ticket.as_str(), into.as_str()), ("zd-3", "zd-1"));
    let states = facts(&events);
    let t3 = &states[&Id::parse("t", "zd-3").expect("id")];
    assert_eq!(t3.status, Status::Closed);
    assert_eq!(t3.merged_into.as_ref().map(Id::as_str), Some("zd-1"));
    assert_eq!(t3.facts.solves, 0, "a merge closes without solving");
}

#[test]
fn unknown_values_are_reported_with_a_fallback_and_bad_records_skipped() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (summary, events) = run(&dir);
    // A status Zendesk never had (a custom one): reported, the ticket keeps `pending`.
    assert_eq!(summary.unmapped["status"]["escalated"], 1);
    let states = facts(&events);
    assert_eq!(
        states[&Id::parse("t", "zd-2").expect("id")].status,
        Status::Pending
    );
    assert_eq!(summary.unmapped["type"]["feature_request"], 1);
    assert_eq!(summary.unmapped["via.channel"]["carrier_pigeon"], 1);
    // The audit without a ticket_id: skipped, named by its index in the array.
    assert_eq!(summary.skipped, 1, "{summary}");
    let p = &summary.problems[0];
    assert_eq!((p.field.as_str(), p.origin.line), ("ticket_id", 9));
    assert!(p.origin.file.ends_with("a.json"));
}

#[test]
fn users_give_roles_and_profiles() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (summary, events) = run(&dir);
    assert_eq!(summary.events["agent.profile"], 2);
    assert_eq!(summary.events["customer.profile"], 1);
    let carl = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::CustomerProfile(c) => Some(c),
            _ => None,
        })
        .expect("a customer");
    assert_eq!(carl.customer.as_str(), "zd-u20");
    assert_eq!(carl.organization.as_ref().map(Id::as_str), Some("zd-o5"));
    assert_eq!(carl.language.as_deref(), Some("de"));
    // Profiles come first, whatever the file names.
    assert_eq!(events[0].body.type_name(), "agent.profile");
}

#[test]
fn without_users_the_requester_is_the_customer_and_others_are_agents() {
    let dir = export(&[("a.json", AUDITS)]);
    let (_, events) = run(&dir);
    let reply = events
        .iter()
        .find(|e| e.id.as_deref() == Some("zd:audit:110:111"))
        .expect("the reply");
    let EventBody::TicketMessage(m) = &reply.body else {
        panic!()
    };
    assert_eq!(m.author.kind(), "agent");
    let first = events
        .iter()
        .find(|e| e.id.as_deref() == Some("zd:audit:100:101"))
        .expect("the first comment");
    let EventBody::TicketMessage(m) = &first.body else {
        panic!()
    };
    assert_eq!(m.author.kind(), "customer");
}

#[test]
fn converting_twice_gives_the_same_events() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS)]);
    let (_, once) = run(&dir);
    let (_, twice) = run(&dir);
    assert_eq!(once, twice);
    let mut ids: Vec<&str> = once.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids.len(), once.len());
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), once.len(), "ids are unique");
}

#[test]
fn malformed_json_rejects_the_input() {
    // Truncated in the middle of the array.
    let dir = export(&[(
        "t.json",
        r#"{"tickets":[{"id":1,"created_at":"2024-01-01T00:00:00Z","status":"open","requester_id":2},
{"id":2,"created_at":"2024-01-01T00:00:00Z","status":"open","requester_id":2"#,
    )]);
    let p = rejection(&[dir.path().join("t.json")]);
    assert_eq!(p.field, "json");
    assert!(p.origin.file.ends_with("t.json"));
    // A broken element: its text line is named.
    let dir = export(&[(
        "t.json",
        "{\"tickets\":[\n{\"id\":1,\"created_at\":\"2024-01-01T00:00:00Z\"},\n{\"id\":2,,}\n]}",
    )]);
    let p = rejection(&[dir.path().join("t.json")]);
    assert_eq!((p.field.as_str(), p.origin.line), ("json", 3), "{p}");
    // Not JSON at all: rejected before anything is yielded.
    let dir = export(&[("t.json", "id,subject\n1,hello\n")]);
    assert!(zendesk::convert(&[dir.path().join("t.json")], &Options::default()).is_err());
}

#[test]
fn a_record_of_the_wrong_shape_rejects_the_input_naming_it() {
    let dir = export(&[(
        "t.json",
        r#"{"tickets":[{"id":1,"created_at":"2024-01-01T00:00:00Z","requester_id":2,"status":"new"},{"id":{"x":1},"requester_id":2,"status":"new"}]}"#,
    )]);
    let p = rejection(&[dir.path().join("t.json")]);
    assert_eq!((p.field.as_str(), p.origin.line), ("json", 2), "{p}");
}

/// A full JSON export: one ticket per line, with its comments.
const FULL_EXPORT: &str = r#"{"id":7,"created_at":"2024-02-01T10:00:00Z","updated_at":"2024-02-01T12:00:00Z","status":"solved","priority":"urgent","type":"incident","requester_id":20,"submitter_id":20,"assignee_id":10,"group_id":7,"tags":["outage"],"via":{"channel":"web"},"subject":"Down","comments":[{"id":71,"author_id":20,"body":"Site down","public":true,"created_at":"2024-02-01T10:00:00Z"},{"id":72,"author_id":10,"body":"On it","public":true,"created_at":"2024-02-01T10:20:00Z"}],"metric_set":{"ticket_id":7,"solved_at":"2024-02-01T11:00:00Z","reply_time_in_minutes":{"calendar":20,"business":20},"full_resolution_time_in_minutes":{"calendar":60,"business":60},"reopens":0,"replies":1}}

{"id":8,"status":"open","requester_id":20}
{"id":9,"created_at":"2024-02-02T10:00:00Z","updated_at":"2024-02-02T10:05:00Z","status":"hold","requester_id":20,"submitter_id":10,"via":{"channel":"voice"}}
"#;

#[test]
fn json_lines_tickets_with_comments_and_derived_status() {
    let dir = export(&[("export.jsonl", FULL_EXPORT), ("u.json", USERS)]);
    let (summary, events) = run(&dir);
    // Ticket 8 has no created_at: skipped, named by its line (a blank line before it).
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.problems[0].origin.line, 3);
    assert_eq!(summary.problems[0].field, "created_at");
    let states = facts(&events);
    let f = facts_of(&states, "zd-7");
    assert_eq!(f.first_reply_ms(), Some(20 * 60_000));
    // Solved at metric_set.solved_at, not at updated_at.
    assert_eq!(f.full_resolution_ms(), Some(60 * 60_000));
    // Ticket 9, submitted by an agent: outbound, on hold.
    let t9 = &states[&Id::parse("t", "zd-9").expect("id")];
    assert!(t9.facts.outbound);
    assert_eq!(t9.status, Status::OnHold);
}

/// Zendesk's metrics for the audits above: ticket 1 agrees; ticket 2 (outbound) too; for
/// ticket 3 Zendesk claims a reply after 30 minutes, which never happened.
const METRICS: &str = r#"{"ticket_metrics":[
 {"id":1,"ticket_id":1,"reopens":1,"replies":2,"reply_time_in_minutes":{"calendar":30,"business":30},
  "first_resolution_time_in_minutes":{"calendar":30,"business":30},"full_resolution_time_in_minutes":{"calendar":240,"business":240}},
 {"id":2,"ticket_id":2,"reopens":0,"replies":1,"reply_time_in_minutes":{"calendar":null,"business":null},
  "first_resolution_time_in_minutes":{"calendar":null},"full_resolution_time_in_minutes":{"calendar":null}},
 {"id":3,"ticket_id":3,"reopens":0,"replies":0,"reply_time_in_minutes":{"calendar":30,"business":30},
  "first_resolution_time_in_minutes":{"calendar":null},"full_resolution_time_in_minutes":{"calendar":null}},
 {"id":4,"ticket_id":404,"reopens":0,"replies":0}
]}"#;

#[test]
fn verify_finds_the_planted_disagreement_only() {
    let dir = export(&[("a.json", AUDITS), ("u.json", USERS), ("m.json", METRICS)]);
    let v = zendesk::verify(&[dir.path().to_path_buf()], &Options::default()).expect("verify");
    assert_eq!(v.with_metrics, 4);
    assert_eq!(v.compared, 3);
    assert_eq!(v.missing, ["zd-404"]);
    assert_eq!(v.disagreements.len(), 1, "{v}");
    let d = &v.disagreements[0];
    assert_eq!(
        (d.ticket.as_str(), d.metric, d.zendesk, d.sanjeh),
        ("zd-3", "first_reply_time", Some(30), None)
    );
    assert_eq!(
        d.to_string(),
        "zd-3 first_reply_time: zendesk 30 min, sanjeh none"
    );
}

#[test]
fn verify_reads_metrics_embedded_in_a_full_export() {
    let dir = export(&[("export.jsonl", FULL_EXPORT)]);
    let v = zendesk::verify(&[dir.path().to_path_buf()], &Options::default()).expect("verify");
    assert_eq!((v.with_metrics, v.compared), (1, 1));
    assert!(v.agrees(), "{v}");
}

#[test]
fn a_recorded_response_wrapper_is_read_through() {
    let wrapped =
        format!(r#"{{"request":"GET /api/v2/audits.json","status":200,"body":{AUDITS}}}"#);
    let dir = export(&[("recorded.json", &wrapped)]);
    let (summary, _) = run(&dir);
    assert_eq!(summary.events["ticket.created"], 3);
}

#[test]
fn a_merge_target_is_also_read_from_the_merge_comment() {
    let audits = r#"{"audits":[
 {"id":1,"ticket_id":1,"created_at":"2024-01-02T09:00:00Z","author_id":20,"via":{"channel":"web"},
  "events":[{"id":2,"type":"Create","field_name":"requester_id","value":"20"}]},
 {"id":3,"ticket_id":2,"created_at":"2024-01-02T09:05:00Z","author_id":20,"via":{"channel":"web"},
  "events":[{"id":4,"type":"Create","field_name":"requester_id","value":"20"}]},
 {"id":5,"ticket_id":2,"created_at":"2024-01-02T09:10:00Z","author_id":10,"via":{"channel":"merge","source":{"from":{},"to":{},"rel":null}},
  "events":[{"id":6,"type":"Comment","author_id":10,"body":"Request #2 was closed and merged into request #1 \"Help\".","public":false},
            {"id":7,"type":"Change","field_name":"status","value":"closed","previous_value":"new"}]},
 {"id":8,"ticket_id":3,"created_at":"2024-01-02T09:15:00Z","author_id":20,"via":{"channel":"web"},
  "events":[{"id":9,"type":"Create","field_name":"requester_id","value":"20"}]},
 {"id":10,"ticket_id":3,"created_at":"2024-01-02T09:20:00Z","author_id":10,"via":{"channel":"merge"},
  "events":[{"id":11,"type":"Comment","author_id":10,"body":"Closed and merged into request #999.","public":false},
            {"id":12,"type":"Change","field_name":"status","value":"closed","previous_value":"new"}]}
]}"#;
    let dir = export(&[("a.json", audits)]);
    let (summary, events) = run(&dir);
    let merges: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::TicketMerged { ticket, into, .. } => Some((ticket.as_str(), into.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(merges, [("zd-2", "zd-1")]);
    // Merged into a ticket not in the export: closed, and reported.
    assert_eq!(
        summary.unmapped["merge"]["target ticket not found in the export"],
        1
    );
    let states = facts(&events);
    assert_eq!(
        states[&Id::parse("t", "zd-3").expect("id")].status,
        Status::Closed
    );
}

#[test]
fn records_larger_than_a_read_chunk_stream_whole() {
    // 12 audits of ~300 KB each: records straddle the reader's 1 MiB reads.
    let body = "é\\\"x".repeat(75_000);
    let mut audits = String::from("{\"audits\":[");
    for i in 0..12 {
        if i > 0 {
            audits.push_str(",\n");
        }
        let create = if i == 0 {
            r#",{"id":2,"type":"Create","field_name":"requester_id","value":"20"}"#
        } else {
            ""
        };
        audits.push_str(&format!(
            r#"{{"id":{},"ticket_id":1,"created_at":"2024-01-02T09:{:02}:00Z","author_id":20,"events":[{{"id":{},"type":"Comment","author_id":20,"body":"{body}","public":true}}{create}]}}"#,
            100 + i,
            i,
            1000 + i
        ));
    }
    audits.push_str("],\"next_page\":null}");
    let dir = export(&[("big.json", &audits)]);
    let (summary, events) = run(&dir);
    assert_eq!(summary.events["ticket.message"], 12, "{summary}");
    for e in &events {
        if let EventBody::TicketMessage(m) = &e.body {
            assert_eq!(m.body.chars().count(), 3 * 75_000);
        }
    }
}
