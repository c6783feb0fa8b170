//! The Zendesk converter on the real API samples in `/work/shared/data/zendesk_api_samples`
//! (read in place, never copied; a missing sample fails the test).

use sanjeh_domain::event::{Score, TicketCreated};
use sanjeh_domain::{Author, Channel, EventBody, Kind, Priority, Status};
use sanjeh_import::zendesk::{self, Options};
use sanjeh_import::{Event, Item, Summary};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

const SAMPLES: &str = "/work/shared/data/zendesk_api_samples";
const TICKETS: &str = "recorded_responses/tickets_cursor_page_size100.json";
const AUDITS: &str = "recorded_responses/ticket_audits_cursor_page_size100.json";

fn sample(rel: &str) -> PathBuf {
    let path = Path::new(SAMPLES).join(rel);
    assert!(path.exists(), "sample {} is missing", path.display());
    path
}

fn run(paths: &[PathBuf]) -> (Summary, Vec<Event>) {
    let mut summary = Summary::default();
    let mut events = Vec::new();
    for item in zendesk::convert(paths, &Options::default()).expect("probe") {
        let item = item.expect("no rejection");
        summary.add(&item);
        if let Item::Event(record) = item {
            events.push(record.event);
        }
    }
    (summary, events)
}

fn created<'a>(events: &'a [Event], ticket: &str) -> &'a TicketCreated {
    events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::TicketCreated(c) if c.ticket.as_str() == ticket => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ticket.created for {ticket}"))
}

#[test]
fn recorded_tickets_and_audits_convert_with_pinned_counts() {
    // Given in the "wrong" order: audits are read before tickets whatever the order.
    let (summary, events) = run(&[sample(TICKETS), sample(AUDITS)]);
    println!("{summary}");
    let count = |t: &str| summary.events.get(t).copied().unwrap_or(0);
    // 99 tickets have their creation audit on the page; 22 more are only on the tickets page.
    assert_eq!(count("ticket.created"), 121, "{summary}");
    assert_eq!(count("ticket.message"), 99, "{summary}");
    assert_eq!(count("ticket.status"), 9, "{summary}");
    assert_eq!(count("ticket.assigned"), 1, "{summary}");
    assert_eq!(count("ticket.updated"), 2, "{summary}");
    assert_eq!(summary.total_events(), 232, "{summary}");
    assert_eq!(summary.skipped, 0, "{summary}");
    assert_eq!(summary.unmapped["via.channel"]["sample_ticket"], 1);
    // Every event has its own stable id.
    let ids: HashSet<&str> = events.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids.len(), events.len());
}

#[test]
fn the_sample_ticket_maps_field_by_field() {
    let (_, events) = run(&[sample(AUDITS), sample(TICKETS)]);
    let t1 = created(&events, "zd-1");
    assert_eq!(
        t1.customer.as_ref().map(|c| c.as_str()),
        Some("zd-u6130869168922")
    );
    assert_eq!(t1.channel, Channel::Other); // via.channel sample_ticket
    assert_eq!(t1.priority, Priority::Normal);
    assert_eq!(
        t1.group.as_ref().map(|g| g.as_str()),
        Some("zd-g6130852536346")
    );
    assert_eq!(t1.tags, ["sample", "support", "zendesk"]);
    assert_eq!(
        t1.subject.as_deref(),
        Some("Sample ticket: Meet the ticket")
    );
    // The first comment is the requester's: an inbound ticket.
    assert!(matches!(&t1.by, Some(Author::Customer(c)) if c.as_str() == "zd-u6130869168922"));
    let of_t1: Vec<&Event> = events
        .iter()
        .filter(|e| e.body.ticket().map(|t| t.as_str()) == Some("zd-1"))
        .collect();
    let types: Vec<&str> = of_t1.iter().map(|e| e.body.type_name()).collect();
    assert_eq!(
        types,
        [
            "ticket.created",
            "ticket.message",
            "ticket.assigned",
            "ticket.status",
            "ticket.updated",
            "ticket.updated"
        ]
    );
    assert_eq!(of_t1[0].id.as_deref(), Some("zd:audit:6130852545178"));
    assert!(matches!(
        &of_t1[3].body,
        EventBody::TicketStatus {
            status: Status::Open,
            ..
        }
    ));
    assert!(matches!(
        &of_t1[4].body,
        EventBody::TicketUpdated(u) if u.kind == Some(Kind::Incident)
    ));
    // A ticket created through the API, from the tickets page only (no audit): its current
    // status is reached at updated_at.
    let t28 = created(&events, "zd-28");
    assert_eq!(t28.channel, Channel::Api);
}

#[test]
fn tickets_without_audits_get_their_current_status() {
    let (summary, events) = run(&[sample(TICKETS)]);
    assert_eq!(summary.events["ticket.created"], 91);
    // 8 pending and 1 open ticket; the 82 new ones need no status event.
    assert_eq!(summary.events["ticket.status"], 9);
    let pending = events
        .iter()
        .filter(|e| {
            matches!(
                e.body,
                EventBody::TicketStatus {
                    status: Status::Pending,
                    ..
                }
            )
        })
        .count();
    assert_eq!(pending, 8);
    assert!(
        events
            .iter()
            .all(|e| e.id.as_deref().is_some_and(|i| i.starts_with("zd:ticket:")))
    );
}

#[test]
fn the_offset_page_repeats_the_cursor_page_and_duplicates_are_skipped() {
    let (summary, _) = run(&[sample("recorded_responses")]);
    // Both ticket pages, the audit page and the one-audit page after it.
    assert_eq!(summary.events["ticket.created"], 121);
    assert!(summary.skipped > 0);
    assert!(
        summary
            .problems
            .iter()
            .any(|p| p.message.contains("appears twice"))
    );
}

#[test]
fn satisfaction_ratings_become_csat_answers() {
    let (summary, events) = run(&[sample("airbyte_mock_responses/satisfaction_ratings.json")]);
    assert_eq!(summary.total_events(), 1);
    let e = &events[0];
    assert_eq!(e.id.as_deref(), Some("zd:csat:35436"));
    assert_eq!(e.at.to_string(), "2011-05-05T10:38:52Z");
    let EventBody::SurveyResponse(s) = &e.body else {
        panic!("{e:?}")
    };
    assert_eq!(s.score, Score::Good);
    assert_eq!(s.ticket.as_ref().map(|t| t.as_str()), Some("zd-35436"));
    assert_eq!(
        s.customer.as_ref().map(|t| t.as_str()),
        Some("zd-u20978392")
    );
    assert_eq!(s.agent.as_ref().map(|t| t.as_str()), Some("zd-u235323"));
    assert_eq!(s.comment.as_deref(), Some("Great support!"));
}

#[test]
fn metric_files_are_left_to_verify_and_unknown_collections_are_reported() {
    let (summary, _) = run(&[sample("airbyte_mock_responses")]);
    assert_eq!(summary.total_events(), 1); // the satisfaction rating
    assert_eq!(summary.unmapped["file"]["ticket_metric_events"], 1);
}

#[test]
fn verify_reports_tickets_with_metrics_but_no_events() {
    let v = zendesk::verify(
        &[
            sample(TICKETS),
            sample("airbyte_mock_responses/ticket_metrics.json"),
        ],
        &Options::default(),
    )
    .expect("verify");
    assert_eq!(v.with_metrics, 1);
    assert_eq!(v.compared, 0);
    assert_eq!(v.missing, ["zd-145"]);
    assert!(v.to_string().contains("zd-145"));
}

#[test]
fn the_stream_can_be_handed_to_another_thread() {
    fn send_static<T: Send + 'static>(t: T) -> T {
        t
    }
    let items =
        send_static(zendesk::convert(&[sample(TICKETS)], &Options::default()).expect("probe"));
    let handle = std::thread::spawn(move || items.count());
    assert!(handle.join().expect("joins") > 0);
}
