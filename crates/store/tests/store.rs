//! The store's behaviour on every backend under test: replay, idempotency, rejection without
//! partial writes, live commands with their rules, group commit, rebuild, export round trip.

use sanjeh_testkit::{self as common, import_text as import};

use sanjeh_domain::command::NewTicket;
use sanjeh_domain::event::{TicketCreated, TicketMessage};
use sanjeh_domain::{Author, Channel, Command, Id, Priority, Status, TicketChanges};
use sanjeh_store::ingest::IngestOptions;
use sanjeh_store::{Request, StoreError, Writer};
use std::io::Cursor;

const HISTORY: &str = r#"{"type":"agent.profile","at":"2026-01-01T00:00:00Z","agent":"A-2","name":"Sara","groups":["billing"]}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C-9","channel":"email","priority":"normal","group":"billing","subject":"Refund","tags":["refund"],"kind":"question"}
{"type":"ticket.assigned","at":"2026-01-05T09:01:00Z","ticket":"T-1","agent":"A-2","group":"billing"}
{"type":"ticket.message","at":"2026-01-05T09:10:00Z","ticket":"T-1","author":"agent:A-2","public":true,"body":"Done"}
{"type":"ticket.status","at":"2026-01-05T09:11:00Z","ticket":"T-1","status":"solved","by":"agent:A-2"}
{"type":"ticket.message","at":"2026-01-06T09:00:00Z","ticket":"T-1","author":"customer:C-9","public":true,"body":"Not refunded"}
{"type":"ticket.status","at":"2026-01-06T09:00:00Z","ticket":"T-1","status":"open","by":"system"}
{"type":"ticket.created","at":"2026-01-06T10:00:00Z","ticket":"T-2","customer":"C-9","channel":"chat"}
{"type":"ticket.merged","at":"2026-01-06T10:05:00Z","ticket":"T-2","into":"T-1"}
{"type":"survey.response","at":"2026-01-07T10:00:00Z","survey":"csat","score":4,"ticket":"T-1","customer":"C-9","comment":"ok"}
{"type":"call.queued","at":"2026-01-05T10:00:00Z","call":"X-7","queue":"support","customer":"C-9"}
{"type":"call.answered","at":"2026-01-05T10:00:30Z","call":"X-7","agent":"A-2"}
{"type":"call.ended","at":"2026-01-05T10:05:00Z","call":"X-7","wrapup_s":30,"mood":"calm"}
{"type":"cost","at":"2026-01-01T00:00:00Z","period":"month","category":"staff","amount":"12000.00","currency":"USD"}
{"type":"customer.lifecycle","at":"2026-01-05T10:00:00Z","customer":"C-9","state":"active"}
"#;

fn id(s: &str) -> Id {
    Id::parse("id", s).unwrap()
}

#[tokio::test]
async fn replay_builds_state_and_facts_and_reimport_adds_nothing() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let first = import(&store, HISTORY).await.unwrap();
        assert_eq!((first.added, first.duplicates), (15, 0), "{}", db.name);
        let again = import(&store, HISTORY).await.unwrap();
        assert_eq!((again.added, again.duplicates), (0, 15), "{}", db.name);
        assert_eq!(store.event_count().await.unwrap(), 15);
        let doubled = import(&store, &format!("{HISTORY}{HISTORY}"))
            .await
            .unwrap();
        assert_eq!((doubled.added, doubled.duplicates), (0, 30));

        let t1 = store.ticket("T-1").await.unwrap().expect("T-1");
        assert_eq!(
            t1.status,
            Status::Open,
            "{}: recorded reopen taken as a fact",
            db.name
        );
        assert_eq!(t1.assignee, Some(id("A-2")));
        assert_eq!(
            t1.facts.first_reply_at.map(|t| t - t1.created_at),
            Some(10 * 60_000)
        );
        assert_eq!(t1.facts.solves, 1);
        assert_eq!(t1.facts.reopens, 1);
        assert!(t1.facts.awaiting_since.is_some());
        let t2 = store.ticket("T-2").await.unwrap().expect("T-2");
        assert_eq!(
            (t2.status, t2.merged_into.clone()),
            (Status::Closed, Some(id("T-1")))
        );
        assert_eq!(t2.facts.solves, 0, "a merge is not a solve");
        let msgs = store.messages("T-1", true).await.unwrap();
        assert_eq!(msgs.len(), 2);
        let customer = store
            .customer("C-9")
            .await
            .unwrap()
            .expect("customer row made by reference");
        assert_eq!(customer.lifecycle.as_deref(), Some("active"));
        let agents = store.agents().await.unwrap();
        assert_eq!(agents[0].name.as_deref(), Some("Sara"));
        store.close().await;
    }
}

#[tokio::test]
async fn a_line_repeated_within_one_file_is_one_event() {
    let db = common::fresh_sqlite();
    let store = common::open(&db).await;
    let report = import(&store, &format!("{HISTORY}{HISTORY}"))
        .await
        .unwrap();
    assert_eq!((report.added, report.duplicates), (15, 15));
    store.close().await;
}

#[tokio::test]
async fn a_bad_line_rejects_the_whole_file_naming_line_and_field() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let bad = format!(
            "{HISTORY}{}\n",
            r#"{"type":"ticket.status","at":"2026-01-08T00:00:00Z","ticket":"T-1","status":"done"}"#
        );
        match import(&store, &bad).await {
            Err(StoreError::Line(e)) => {
                assert_eq!(
                    (e.line, e.field.as_str()),
                    (16, "status"),
                    "{}: {e}",
                    db.name
                );
            }
            other => panic!("{}: expected a line error, got {other:?}", db.name),
        }
        let missing = r#"{"type":"ticket.message","at":"2026-01-08T00:00:00Z","ticket":"T-404","author":"customer:C","body":"x"}"#;
        match import(&store, &format!("{HISTORY}{missing}\n")).await {
            Err(StoreError::Line(e)) => {
                assert_eq!((e.line, e.field.as_str()), (16, "ticket"), "{e}")
            }
            other => panic!("expected a missing-ticket error, got {other:?}"),
        }
        match import(&store, "{\"type\":\"vote\"\n").await {
            Err(StoreError::Line(e)) => assert_eq!((e.line, e.field.as_str()), (1, "json")),
            other => panic!("expected a JSON error, got {other:?}"),
        }
        let mut invalid_utf8 = HISTORY.as_bytes().to_vec();
        invalid_utf8.extend_from_slice(b"{\"type\":\"vote\",\"target\":\"article:\xff\"}\n");
        let r = store
            .import_reader(Cursor::new(invalid_utf8), IngestOptions::default())
            .await;
        assert!(
            matches!(r, Err(StoreError::Line(ref e)) if e.line == 16 && e.field == "encoding"),
            "{r:?}"
        );
        assert_eq!(
            store.event_count().await.unwrap(),
            0,
            "{}: nothing of a rejected file is committed",
            db.name
        );
        assert!(store.ticket("T-1").await.unwrap().is_none());
        store.close().await;
    }
}

fn new_ticket(ticket: &str) -> Command {
    Command::CreateTicket(NewTicket {
        created: TicketCreated {
            ticket: id(ticket),
            customer: Some(id("C-1")),
            organization: None,
            channel: Channel::Web,
            priority: Priority::High,
            group: None,
            subject: Some("Cannot log in".into()),
            tags: vec!["login".into()],
            kind: None,
            by: None,
        },
        body: Some("Help".into()),
        assignee: None,
    })
}

fn message(ticket: &str, author: &str, body: &str) -> Command {
    Command::PostMessage(TicketMessage {
        ticket: id(ticket),
        author: Author::parse("author", author).unwrap(),
        public: true,
        body: body.into(),
        channel: None,
        message: None,
    })
}

fn set_status(ticket: &str, status: Status) -> Command {
    Command::ChangeTicket {
        ticket: id(ticket),
        by: Some(Author::Agent(id("A-1"))),
        changes: TicketChanges {
            status: Some(status),
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn live_commands_apply_the_rules_and_a_refused_one_changes_nothing() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let writer = Writer::start(store.clone(), None);
        let cmd = |c| writer.submit(Request::Command(c), None);
        cmd(new_ticket("W-1")).await.unwrap();
        let out = cmd(message("W-1", "agent:A-1", "Try again")).await.unwrap();
        assert_eq!(
            out.tickets[0].status,
            Status::Open,
            "agent reply opens a new ticket"
        );
        cmd(set_status("W-1", Status::Solved)).await.unwrap();
        let out = cmd(message("W-1", "customer:C-1", "Still broken"))
            .await
            .unwrap();
        assert_eq!(
            out.tickets[0].status,
            Status::Open,
            "customer reply reopens"
        );
        assert_eq!(out.tickets[0].facts.reopens, 1);
        cmd(set_status("W-1", Status::Closed)).await.unwrap();
        let before = store.event_count().await.unwrap();
        let refused = cmd(message("W-1", "customer:C-1", "hello?")).await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Domain(
                    sanjeh_domain::DomainError::TicketClosed { .. }
                ))
            ),
            "{refused:?}"
        );
        let refused = cmd(new_ticket("W-1")).await;
        assert!(matches!(refused, Err(StoreError::Domain(_))), "{refused:?}");
        assert_eq!(
            store.event_count().await.unwrap(),
            before,
            "{}: refused commands write nothing",
            db.name
        );

        // Many at once: grouped into few transactions, each answered after its commit.
        let mut handles = Vec::new();
        for i in 0..200 {
            let w = writer.clone();
            handles.push(tokio::spawn(async move {
                w.submit(Request::Command(new_ticket(&format!("G-{i}"))), None)
                    .await
            }));
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let page = store
            .tickets(&sanjeh_store::TicketFilter {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 201);
        store.close().await;
    }
}

#[tokio::test]
async fn idempotency_keys_return_the_first_outcome() {
    use sanjeh_store::writer::IdempotencyKey;
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let writer = Writer::start(store.clone(), None);
        let key = IdempotencyKey::new("tok_1", "k-1", "POST /tickets", b"same");
        let a = writer
            .submit(Request::Command(new_ticket("I-1")), Some(key.clone()))
            .await
            .unwrap();
        let b = writer
            .submit(Request::Command(new_ticket("I-1")), Some(key.clone()))
            .await
            .unwrap();
        assert!(!a.replayed && b.replayed);
        assert_eq!(a.events, b.events);
        let other = IdempotencyKey::new("tok_1", "k-1", "POST /tickets", b"different");
        let c = writer
            .submit(Request::Command(new_ticket("I-2")), Some(other))
            .await;
        assert!(
            matches!(c, Err(StoreError::Conflict { ref field, .. }) if field == "Idempotency-Key"),
            "{c:?}"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn rebuilt_projections_equal_the_incremental_ones_and_export_round_trips() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        import(&store, HISTORY).await.unwrap();
        let writer = Writer::start(store.clone(), None);
        writer
            .submit(Request::Command(new_ticket("R-1")), None)
            .await
            .unwrap();
        writer
            .submit(Request::Command(message("R-1", "agent:A-2", "Hi")), None)
            .await
            .unwrap();
        writer
            .submit(Request::Command(set_status("R-1", Status::Pending)), None)
            .await
            .unwrap();
        writer
            .submit(
                Request::Command(message("R-1", "customer:C-1", "Thanks")),
                None,
            )
            .await
            .unwrap();
        let incremental = store.projection_digest().await.unwrap();
        store.rebuild(&|_| {}).await.unwrap();
        assert_eq!(
            store.projection_digest().await.unwrap(),
            incremental,
            "{}",
            db.name
        );

        let mut exported = Vec::new();
        let n = store.export_events(&mut exported, &|_| {}).await.unwrap();
        assert_eq!(n, store.event_count().await.unwrap() as u64);
        let copy_db = common::fresh_databases()
            .await
            .into_iter()
            .find(|d| d.name == db.name)
            .unwrap();
        let copy = common::open(&copy_db).await;
        let text = String::from_utf8(exported.clone()).unwrap();
        import(&copy, &text).await.unwrap();
        assert_eq!(
            copy.projection_digest().await.unwrap(),
            incremental,
            "{}: export re-imports to the same state",
            db.name
        );
        let again = import(&store, &text).await.unwrap();
        assert_eq!(
            again.added, 0,
            "re-importing an export into its source adds nothing"
        );
        copy.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn duplicates_are_found_however_the_input_spans_time() {
    let db = common::fresh_sqlite();
    let store = common::open(&db).await;
    let views: String = (0..100)
        .map(|i| format!("{{\"type\":\"article.viewed\",\"at\":\"2026-01-01T00:{:02}:{:02}Z\",\"article\":\"K-{i}\"}}\n", i / 60, i % 60))
        .collect();
    assert_eq!(import(&store, &views).await.unwrap().added, 100);
    // Two lines far apart in time around many stored events: the per-key probe answers.
    let first = views.lines().next().unwrap();
    let spread = format!(
        "{first}\n{}\n",
        r#"{"type":"article.viewed","at":"2026-01-01T00:01:39.5Z","article":"K-new"}"#
    );
    let report = import(&store, &spread).await.unwrap();
    assert_eq!((report.added, report.duplicates), (1, 1));
    store.close().await;
}

/// Demo history written in small batches, with the working set dropped many times, gives exactly the state a rebuild derives from the log,
/// and the state of a default ingest.
#[tokio::test]
async fn ingest_in_small_batches_equals_a_rebuild_and_a_default_ingest() {
    use sanjeh_store::ingest::{Chunk, IngestLimits};
    let config = sanjeh_demo::DemoConfig {
        tickets: 1500,
        seed: 3,
        ..Default::default()
    };
    let chunks = || {
        let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
        let config = config.clone();
        std::thread::spawn(move || {
            let events: Vec<_> = sanjeh_demo::generate(&config)
                .enumerate()
                .map(|(i, e)| sanjeh_store::Incoming::from_event(i as u64 + 1, e))
                .collect();
            for chunk in events.chunks(700) {
                if tx.blocking_send(Ok(chunk.to_vec())).is_err() {
                    return;
                }
            }
        });
        rx
    };
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let limits = IngestLimits {
            batch_events: 1000,
            cached_tickets: 300,
            unwritten_keys: 2500,
        };
        let small = store
            .ingest(
                chunks(),
                IngestOptions {
                    limits,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(small.added > 15_000, "{small:?}");
        let batched = store.projection_digest().await.unwrap();
        store.rebuild(&|_| {}).await.unwrap();
        assert_eq!(
            store.projection_digest().await.unwrap(),
            batched,
            "{}: rebuild",
            db.name
        );
        let again = store
            .ingest(
                chunks(),
                IngestOptions {
                    limits,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((again.added, again.duplicates), (0, small.added));

        let other_db = common::fresh_databases()
            .await
            .into_iter()
            .find(|d| d.name == db.name)
            .unwrap();
        let other = common::open(&other_db).await;
        other
            .ingest(chunks(), IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(
            other.projection_digest().await.unwrap(),
            batched,
            "{}: default limits",
            db.name
        );
        other.close().await;
        store.close().await;
    }
}
