//! The Freshdesk converter on the real API samples in `/work/shared/data/freshdesk_api_samples`
//! (read in place, never copied; a missing sample fails the test).

use sanjeh_domain::{Author, Channel, EventBody, Id, Kind, Priority, Status};
use sanjeh_import::freshdesk::{self, Options};
use sanjeh_import::{Event, Item, Summary};
use std::path::{Path, PathBuf};

const SAMPLES: &str = "/work/shared/data/freshdesk_api_samples/v2";

fn sample(rel: &str) -> PathBuf {
    let path = Path::new(SAMPLES).join(rel);
    assert!(path.exists(), "sample {} is missing", path.display());
    path
}

fn run(paths: &[PathBuf]) -> (Summary, Vec<Event>) {
    let mut summary = Summary::default();
    let mut events = Vec::new();
    for item in freshdesk::convert(paths, &Options::default()).expect("probe") {
        let item = item.expect("no rejection");
        summary.add(&item);
        if let Item::Event(record) = item {
            events.push(record.event);
        }
    }
    (summary, events)
}

#[test]
fn the_sample_directory_converts_with_pinned_counts() {
    let (summary, _) = run(&[sample("")]);
    let count = |t: &str| summary.events.get(t).copied().unwrap_or(0);
    assert_eq!(count("ticket.created"), 1, "{summary}");
    assert_eq!(count("ticket.message"), 5, "{summary}");
    assert_eq!(count("ticket.status"), 1, "{summary}");
    assert_eq!(count("ticket.assigned"), 1, "{summary}");
    assert_eq!(count("agent.profile"), 4, "{summary}");
    assert_eq!(count("customer.profile"), 7, "{summary}");
    assert_eq!(count("group.profile"), 6, "{summary}");
    assert_eq!(count("organization.profile"), 7, "{summary}");
    assert_eq!(summary.total_events(), 32, "{summary}");
    // Ticket 1 comes in five files (list, search, single, updated, outbound): the first kept.
    assert_eq!(summary.skipped, 5, "{summary}");
    // Time entries and solution articles are not imported; they are reported.
    assert_eq!(summary.unmapped["file"]["time_entries"], 2);
}

#[test]
fn a_ticket_maps_field_by_field() {
    let (_, events) = run(&[sample("ticket_1.json")]);
    let created = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::TicketCreated(c) => Some((e, c)),
            _ => None,
        })
        .expect("a ticket");
    let (e, c) = created;
    assert_eq!(e.id.as_deref(), Some("fd:ticket:1"));
    assert_eq!(e.at.to_string(), "2016-05-18T04:36:04Z");
    assert_eq!(c.ticket.as_str(), "fd-1");
    assert_eq!(c.customer.as_ref().map(Id::as_str), Some("fd-u6012691534"));
    assert_eq!(c.channel, Channel::Web); // source 2, portal
    assert_eq!(c.priority, Priority::Low); // 1
    assert_eq!(c.kind, Some(Kind::Question));
    assert_eq!(c.tags, ["foo", "bar"]);
    // Stats: resolved in 2020 while the ticket is open now (the sample is hand-edited), so the
    // ticket is solved at resolved_at and open again after it.
    let statuses: Vec<(Status, String)> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::TicketStatus { status, .. } => Some((*status, e.at.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (Status::Open, "2016-05-18T04:36:04Z".to_owned()),
            (Status::Solved, "2020-07-24T15:35:21Z".to_owned()),
            (Status::Open, "2020-07-24T15:35:21Z".to_owned()),
        ]
    );
}

#[test]
fn conversations_are_replies_and_notes() {
    let (summary, events) = run(&[sample("all_tickets.json"), sample("conversations.json")]);
    assert_eq!(summary.events["ticket.message"], 3, "{summary}");
    let messages: Vec<(bool, &Author, &str)> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::TicketMessage(m) => {
                Some((m.public, &m.author, e.id.as_deref().unwrap_or("")))
            }
            _ => None,
        })
        .collect();
    // The description (the requester's), the private note, the public reply.
    assert_eq!(messages[0].1.kind(), "customer");
    assert_eq!(
        (messages[1].0, messages[1].1.kind(), messages[1].2),
        (false, "agent", "fd:conv:1")
    );
    assert_eq!(
        (messages[2].0, messages[2].1.kind(), messages[2].2),
        (true, "agent", "fd:conv:2")
    );
}

#[test]
fn times_with_offsets_are_kept_exact() {
    let (_, events) = run(&[sample("all_tickets.json")]);
    // "2014-12-31T12:27:09+10:00"
    assert_eq!(events[0].at.to_string(), "2014-12-31T02:27:09Z");
}

#[test]
fn search_results_are_classified_by_their_records() {
    let (summary, _) = run(&[
        sample("search_contacts.json"),
        sample("search_companies.json"),
    ]);
    assert!(summary.events["customer.profile"] >= 1, "{summary}");
    assert!(summary.events["organization.profile"] >= 1, "{summary}");
    assert!(summary.unmapped.is_empty(), "{summary}");
}
