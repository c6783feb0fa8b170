//! The csv converter on the real Helpdesk log and on hand-made edge cases.

use jiff::tz::TimeZone;
use sanjeh_domain::{Event, EventBody, Mode, Status, TicketState, to_millis};
use sanjeh_import::csv::{Mapping, Options, convert};
use sanjeh_import::{Item, Problem, Summary};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

const REAL_LOG: &str = "/work/shared/data/helpdesk_italian/helpdesk_full_finale.csv";

fn shipped_mapping() -> Mapping {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/helpdesk_italian.toml");
    Mapping::load(&path).expect("the shipped mapping parses")
}

/// A small mapping for hand-made logs: RFC 3339 or local times, a priority column.
const SMALL: &str = r#"
[columns]
case = "case"
activity = "activity"
timestamp = "at"
resource = "who"
customer = "customer"

[ids]
ticket_prefix = "t-"
agent_prefix = "a-"
customer_prefix = "c-"

[time]
format = "%Y-%m-%d %H:%M:%S"
zone = "Europe/Rome"

[activities]
"open" = "created"
"take" = ["assigned", "status:open"]
"answer" = "reply"
"ask" = "customer_message"
"wait" = "status:pending"
"resolve" = "solved"
"close" = "closed"
"reopen" = "reopened"
"comment" = "ignore"

[priority]
column = "sev"
[priority.values]
"1" = "urgent"
"2" = "high"
"3" = "normal"

[tags]
"product" = "product"
"#;

const HEADER: &str = "case,activity,at,who,customer,sev,product\n";

fn write_log(body: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(HEADER.as_bytes()).unwrap();
    f.write_all(body.as_bytes()).unwrap();
    f
}

fn small_options() -> Options {
    Options::new(Mapping::from_toml_str(SMALL).unwrap(), TimeZone::UTC)
}

/// Runs a conversion to its end: the items before a rejection, and the rejection.
fn run(paths: &[PathBuf], options: &Options) -> (Vec<Item>, Option<Problem>) {
    let mut items = Vec::new();
    for step in convert(paths, options).expect("files open") {
        match step {
            Ok(item) => items.push(item),
            Err(problem) => return (items, Some(problem)),
        }
    }
    (items, None)
}

fn events(items: &[Item]) -> Vec<&Event> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(r) => Some(&r.event),
            _ => None,
        })
        .collect()
}

/// Replays events the way the store does (Mode::Replay) and returns the tickets.
fn replay(events: &[&Event]) -> HashMap<String, TicketState> {
    let mut tickets = HashMap::new();
    for e in events {
        let at = to_millis(e.at);
        match &e.body {
            EventBody::TicketCreated(c) => {
                let id = c.ticket.to_string();
                assert!(!tickets.contains_key(&id), "{id} created twice");
                tickets.insert(id, TicketState::create(c, at));
            }
            body => {
                let id = body.ticket().expect("a ticket event").to_string();
                let t = tickets
                    .get_mut(&id)
                    .unwrap_or_else(|| panic!("{id}: event before ticket.created"));
                t.apply(body, at, Mode::Replay).expect("replay accepts it");
            }
        }
    }
    tickets
}

#[test]
fn real_helpdesk_log_converts_with_every_activity_mapped() {
    assert!(Path::new(REAL_LOG).exists(), "{REAL_LOG} is missing");
    let options = Options::new(shipped_mapping(), TimeZone::UTC);
    let (items, rejected) = run(&[PathBuf::from(REAL_LOG)], &options);
    assert_eq!(rejected, None);
    let mut summary = Summary::default();
    items.iter().for_each(|i| summary.add(i));
    // Expected counts computed independently with a Python pass over the file that applies
    // the mapping's rules (first row creates; Take in charge = assigned + open; Wait, Resolve,
    // Closed = one status each; Assign seriousness on a later row or a change of the tag
    // columns/customer = one ticket.updated):
    //   the script (run once with python3):
    //     import csv, collections
    //     r = csv.reader(open('/work/shared/data/helpdesk_italian/helpdesk_full_finale.csv', newline=''))
    //     h = next(r)
    //     ix = {n: h.index(n) for n in h}
    //     tagcols = ['seriousness','seriousness_2','product','service_level','service_type','workgroup','support_section','responsible_section']
    //     seen = {}
    //     c = collections.Counter()
    //     for row in r:
    //         case, act = row[0], row[1]
    //         attrs = tuple(row[ix[t]] for t in tagcols) + (row[ix['customer']],)
    //         first = case not in seen
    //         if first:
    //             c['ticket.created'] += 1
    //             seen[case] = attrs
    //         changed = (not first) and attrs != seen[case]
    //         if changed:
    //             seen[case] = attrs
    //             c['ticket.updated'] += 1
    //         if act == 'Assign seriousness' and not first and not changed:
    //             c['ticket.updated'] += 1
    //         if act == 'Take in charge ticket':
    //             c['ticket.assigned'] += 1; c['ticket.status'] += 1; c['status:open'] += 1
    //         elif act in ('Wait', 'Resolve ticket', 'Closed'):
    //             c['ticket.status'] += 1; c['status:' + act] += 1
    //     print(dict(sorted(c.items())))
    //   → created 4580, assigned 5060, status 16080
    //   (open 5060, on_hold 1463, solved 4983, closed 4574), updated 617
    let counts: Vec<(&str, u64)> = summary.events.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        counts,
        vec![
            ("ticket.assigned", 5060),
            ("ticket.created", 4580),
            ("ticket.status", 16080),
            ("ticket.updated", 617),
        ]
    );
    assert!(summary.unmapped.is_empty(), "{summary}");
    assert_eq!(summary.skipped, 0, "{summary}");

    let evs = events(&items);
    let mut by_status: HashMap<Status, u64> = HashMap::new();
    for e in &evs {
        if let EventBody::TicketStatus { status, .. } = &e.body {
            *by_status.entry(*status).or_default() += 1;
        }
    }
    assert_eq!(by_status[&Status::Open], 5060);
    assert_eq!(by_status[&Status::OnHold], 1463);
    assert_eq!(by_status[&Status::Solved], 4983);
    assert_eq!(by_status[&Status::Closed], 4574);

    // Stable, unique ids; every event survives the interchange line round trip.
    let ids: HashSet<&str> = evs.iter().map(|e| e.id.as_deref().unwrap()).collect();
    assert_eq!(ids.len(), evs.len());
    for e in evs.iter().step_by(97) {
        assert_eq!(&Event::parse_line(&e.to_line()).unwrap(), *e);
    }

    // Each ticket's events are in time order after its creation, and replay accepts them.
    let mut last: HashMap<String, jiff::Timestamp> = HashMap::new();
    for e in &evs {
        let t = e.body.ticket().unwrap().to_string();
        if let Some(prev) = last.insert(t, e.at) {
            assert!(prev <= e.at);
        }
    }
    let tickets = replay(&evs);
    assert_eq!(tickets.len(), 4580);
    // Case 1: Assign seriousness, Take in charge by Value 1 then Value 2, Resolve, Closed
    // (2012/10/09 14:50:17 in Rome is 12:50:17 UTC).
    let case1 = &tickets["hd-1"];
    assert_eq!(case1.status, Status::Closed);
    assert_eq!(
        case1.assignee.as_ref().unwrap().as_str(),
        "hd-agent-Value 2"
    );
    assert_eq!(case1.facts.assignments, 2);
    assert_eq!(
        case1.created_at,
        to_millis("2012-10-09T12:50:17Z".parse().unwrap())
    );
    assert!(case1.tags.contains(&"product:value-1".to_owned()));
    assert_eq!(
        case1.customer.as_ref().unwrap().as_str(),
        "hd-customer-Value 1"
    );
}

#[test]
fn converting_twice_gives_the_same_events() {
    let options = Options::new(shipped_mapping(), TimeZone::UTC);
    let path = [PathBuf::from(REAL_LOG)];
    let a = run(&path, &options).0;
    let b = run(&path, &options).0;
    assert_eq!(a, b);
}

#[test]
fn reopened_tickets_replay_as_reopens() {
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,2,mail\n\
         1,take,2026-03-02 09:10:00,ann,bob,2,mail\n\
         1,answer,2026-03-02 09:20:00,ann,bob,2,mail\n\
         1,resolve,2026-03-02 10:00:00,ann,bob,2,mail\n\
         1,ask,2026-03-03 08:00:00,,bob,2,mail\n\
         1,reopen,2026-03-03 08:00:01,,bob,2,mail\n\
         1,take,2026-03-03 09:00:00,joe,bob,1,mail\n\
         1,resolve,2026-03-03 10:00:00,joe,bob,1,mail\n\
         1,close,2026-03-20 00:00:00,,bob,1,mail\n",
    );
    let (items, rejected) = run(&[log.path().to_owned()], &small_options());
    assert_eq!(rejected, None);
    let evs = events(&items);
    let kinds: Vec<&str> = evs.iter().map(|e| e.body.type_name()).collect();
    assert_eq!(
        kinds,
        [
            "ticket.created",
            "ticket.assigned",
            "ticket.status",
            "ticket.message",
            "ticket.status",
            "ticket.message",
            "ticket.status",
            // The severity changed from 2 to 1: the priority goes from high to urgent.
            "ticket.updated",
            "ticket.assigned",
            "ticket.status",
            "ticket.status",
            "ticket.status",
        ]
    );
    // Local Rome time (UTC+1 in March).
    assert_eq!(evs[0].at, "2026-03-02T08:00:00Z".parse().unwrap());
    let t = &replay(&evs)["t-1"];
    assert_eq!(t.facts.reopens, 1);
    assert_eq!(t.facts.solves, 2);
    assert_eq!(t.status, Status::Closed);
    assert_eq!(t.priority, sanjeh_domain::Priority::Urgent);
    assert_eq!(t.facts.first_reply_by.as_ref().unwrap().as_str(), "a-ann");
}

#[test]
fn a_bad_timestamp_on_line_7_rejects_the_file_naming_line_and_column() {
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,3,mail\n\
         1,take,2026-03-02 09:10:00,ann,bob,3,mail\n\
         2,open,2026-03-02 09:11:00,,eve,3,mail\n\
         1,resolve,2026-03-02 10:00:00,ann,bob,3,mail\n\
         2,take,2026-03-02 10:30:00,ann,eve,3,mail\n\
         2,resolve,2026-03-02 25:00:00,ann,eve,3,mail\n\
         2,close,2026-03-09 10:00:00,,eve,3,mail\n",
    );
    let (items, rejected) = run(&[log.path().to_owned()], &small_options());
    let problem = rejected.expect("the file is rejected");
    assert_eq!(problem.origin.line, 7, "{problem}");
    assert_eq!(problem.field, "at");
    assert!(problem.message.contains("2026-03-02 25:00:00"), "{problem}");
    assert!(
        problem
            .to_string()
            .starts_with(&format!("{}:7: at:", log.path().display())),
        "{problem}"
    );
    // Nothing after the bad line is converted.
    assert!(items.iter().all(|i| match i {
        Item::Event(r) => r.origin.line < 7,
        _ => true,
    }));
}

#[test]
fn an_unmapped_activity_is_reported_and_the_rest_imported() {
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,3,mail\n\
         1,escalate,2026-03-02 09:05:00,ann,bob,3,mail\n\
         1,resolve,2026-03-02 10:00:00,ann,bob,7,mail\n",
    );
    let (items, rejected) = run(&[log.path().to_owned()], &small_options());
    assert_eq!(rejected, None);
    let unmapped: Vec<(u64, &str, &str)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Unmapped {
                origin,
                field,
                value,
            } => Some((origin.line, field.as_str(), value.as_str())),
            _ => None,
        })
        .collect();
    // The unknown activity, and a severity the priority table lacks (the default is used).
    assert_eq!(unmapped, [(3, "activity", "escalate"), (4, "sev", "7")]);
    // created and solved; the unknown severity falls back to normal, as before: no update.
    assert_eq!(events(&items).len(), 2);
}

#[test]
fn a_case_that_starts_with_another_activity_is_created_first() {
    let log = write_log(
        "5,take,2026-03-02 09:00:00,ann,bob,,mail\n\
         5,resolve,2026-03-02 10:00:00,ann,bob,,mail\n",
    );
    let (items, _) = run(&[log.path().to_owned()], &small_options());
    let evs = events(&items);
    assert_eq!(evs[0].body.type_name(), "ticket.created");
    assert_eq!(evs[0].at, evs[1].at);
    assert_eq!(evs[0].id.as_deref(), Some("csv:t-5:created"));
    assert_eq!(evs[1].id.as_deref(), Some("csv:t-5:1:0"));
    assert_eq!(evs[2].id.as_deref(), Some("csv:t-5:1:1"));
    assert_eq!(replay(&evs)["t-5"].status, Status::Solved);
}

#[test]
fn rows_out_of_time_order_and_without_a_case_are_skipped() {
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,3,mail\n\
         1,resolve,2026-03-02 10:00:00,ann,bob,3,mail\n\
         1,take,2026-03-02 09:30:00,ann,bob,3,mail\n\
         ,take,2026-03-02 09:30:00,ann,bob,3,mail\n",
    );
    let (items, rejected) = run(&[log.path().to_owned()], &small_options());
    assert_eq!(rejected, None);
    let skipped: Vec<(u64, &str)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped(p) => Some((p.origin.line, p.field.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, [(4, "at"), (5, "case")]);
}

#[test]
fn after_closed_skip_leaves_later_rows_out() {
    let text = SMALL.replace(
        "[activities]",
        "[ticket]\nafter_closed = \"skip\"\n\n[activities]",
    );
    let options = Options::new(Mapping::from_toml_str(&text).unwrap(), TimeZone::UTC);
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,3,mail\n\
         1,close,2026-03-02 10:00:00,ann,bob,3,mail\n\
         1,take,2026-03-05 09:30:00,ann,bob,3,mail\n",
    );
    let (items, _) = run(&[log.path().to_owned()], &options);
    assert_eq!(events(&items).len(), 2);
    assert!(matches!(&items[2], Item::Skipped(p) if p.origin.line == 4));
}

#[test]
fn a_missing_column_or_file_fails_before_converting() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(b"case,activity,when\n1,open,2026-03-02 09:00:00\n")
        .unwrap();
    let Err(problem) = convert(&[f.path().to_owned()], &small_options()) else {
        panic!("accepted a log without the timestamp column");
    };
    assert_eq!(problem.field, "columns.timestamp");
    assert_eq!(problem.origin.line, 1);
    assert!(convert(&[PathBuf::from("/nonexistent/log.csv")], &small_options()).is_err());
}

#[test]
fn a_malformed_row_rejects_the_file_with_its_line() {
    let log = write_log(
        "1,open,2026-03-02 09:00:00,,bob,3,mail\n\
         1,take,2026-03-02 09:10:00,ann\n",
    );
    let (_, rejected) = run(&[log.path().to_owned()], &small_options());
    let problem = rejected.expect("rejected");
    assert_eq!((problem.origin.line, problem.field.as_str()), (3, "csv"));
}

#[test]
fn the_mapping_zone_describes_the_source_and_tz_fills_in_without_one() {
    let log = write_log("1,open,2026-07-01 12:00:00,,bob,3,mail\n");
    let first_at = |options: &Options| events(&run(&[log.path().to_owned()], options).0)[0].at;
    let new_york = TimeZone::get("America/New_York").unwrap();
    // The mapping says Europe/Rome (UTC+2 in July): it wins.
    let with_zone = Options::new(Mapping::from_toml_str(SMALL).unwrap(), new_york.clone());
    assert_eq!(
        first_at(&with_zone),
        "2026-07-01T10:00:00Z".parse().unwrap()
    );
    // Without one, the given zone applies (UTC−4 in July)…
    let text = SMALL.replace("zone = \"Europe/Rome\"", "");
    let without = Options::new(Mapping::from_toml_str(&text).unwrap(), new_york);
    assert_eq!(first_at(&without), "2026-07-01T16:00:00Z".parse().unwrap());
    // …and setting the field forces a zone.
    let mut forced = with_zone;
    forced.tz = TimeZone::UTC;
    assert_eq!(first_at(&forced), "2026-07-01T12:00:00Z".parse().unwrap());
}

#[test]
fn a_mapping_problem_names_the_file_the_line_and_the_key() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(
        SMALL
            .replace(
                "\"wait\" = \"status:pending\"",
                "\"wait\" = \"status:later\"",
            )
            .as_bytes(),
    )
    .unwrap();
    let problem = Mapping::load(f.path()).unwrap_err();
    assert_eq!(problem.field, "activities.\"wait\"");
    assert_eq!(problem.origin.file.as_ref(), f.path().display().to_string());
    assert_eq!(problem.origin.line, 23, "{problem}");
    assert!(problem.message.contains("later"), "{problem}");
}

proptest::proptest! {
    /// Whatever the rows hold, the converter yields items or one rejection, and never panics.
    #[test]
    fn arbitrary_rows_never_panic(rows in proptest::collection::vec(
        ("[a-z0-9 ]{0,6}", "open|take|resolve|close|[a-z]{0,8}",
         "2026-0[1-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]|[0-9 :-]{0,20}",
         "[a-z]{0,4}"), 1..30)) {
        let body: String = rows
            .iter()
            .map(|(case, activity, at, who)| format!("{case},{activity},{at},{who},c,1,p\n"))
            .collect();
        let log = write_log(&body);
        let mut rejections = 0;
        for step in convert(&[log.path().to_owned()], &small_options()).unwrap() {
            rejections += usize::from(step.is_err());
        }
        proptest::prop_assert!(rejections <= 1);
    }
}
