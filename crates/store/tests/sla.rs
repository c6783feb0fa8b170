//! SLA state kept by the store, on every backend under test: due dates written with the
//! events, achievement, breaches, pauses, policy versions, per-group calendars, rebuild,
//! refusal of a bad configuration, overdue tickets.

use sanjeh_testkit::{self as common, import_text as import};

use sanjeh_domain::command::NewTicket;
use sanjeh_domain::event::{EventBody, TicketCreated};
use sanjeh_domain::{Channel, Command, Id, Millis, Priority};
use sanjeh_store::ingest::IngestOptions;
use sanjeh_store::sla::{Metric, MetricStatus, State};
use sanjeh_store::{Request, StoreError, Writer};

fn id(s: &str) -> Id {
    Id::parse("id", s).unwrap()
}

fn ms(s: &str) -> Millis {
    sanjeh_domain::to_millis(s.parse().unwrap())
}

fn status(list: &[MetricStatus], metric: Metric) -> MetricStatus {
    list.iter()
        .find(|s| s.metric == metric)
        .unwrap_or_else(|| panic!("no {metric:?} in {list:?}"))
        .clone()
}

const POLICIES_V1: &str = r#"{"type":"sla.policies","at":"2026-01-01T00:00:00Z","policies":[
 {"id":"std","name":"Standard","targets":{
   "normal":{"first_reply":{"minutes":60,"hours":"calendar"},"resolution":{"minutes":480,"hours":"calendar"}},
   "high":{"first_reply":{"minutes":30,"hours":"calendar"}}}}]}"#;

fn one_line(s: &str) -> String {
    s.replace('\n', "")
}

/// Three tickets under the standard policy: one answered in time, one late, one pending.
fn history() -> String {
    format!(
        "{}\n{}",
        one_line(POLICIES_V1),
        r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C-1","channel":"email"}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-2","customer":"C-2","channel":"email"}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-3","customer":"C-3","channel":"email"}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-5","customer":"C-5","channel":"email"}
{"type":"ticket.status","at":"2026-01-05T09:05:00Z","ticket":"T-5","status":"pending","by":"agent:A-1"}
{"type":"ticket.message","at":"2026-01-05T09:20:00Z","ticket":"T-1","author":"agent:A-1","body":"On it"}
{"type":"ticket.status","at":"2026-01-05T09:10:00Z","ticket":"T-3","status":"pending","by":"agent:A-1"}
{"type":"ticket.status","at":"2026-01-05T10:10:00Z","ticket":"T-3","status":"open","by":"system"}
{"type":"ticket.message","at":"2026-01-05T10:30:00Z","ticket":"T-2","author":"agent:A-1","body":"Sorry"}
"#
    )
}

#[tokio::test]
async fn replies_achieve_late_ones_breach_and_pending_pauses_resolution() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        import(&store, &history()).await.unwrap();
        let at = ms("2026-01-05T10:30:00Z");

        let t1 = store.sla_statuses(&id("T-1"), at).await.unwrap();
        let fr = status(&t1, Metric::FirstReply);
        assert_eq!(fr.state, State::Achieved, "{}", db.name);
        assert_eq!(fr.ended_at, Some(ms("2026-01-05T09:20:00Z")));
        assert_eq!(fr.breached_at, None);
        let res = status(&t1, Metric::Resolution);
        assert_eq!(
            (res.state, res.due_at),
            (State::Active, Some(ms("2026-01-05T17:00:00Z")))
        );

        let t2 = store.sla_statuses(&id("T-2"), at).await.unwrap();
        let fr = status(&t2, Metric::FirstReply);
        assert_eq!(fr.state, State::Breached, "{}", db.name);
        assert_eq!(
            fr.breached_at,
            Some(ms("2026-01-05T10:00:00Z")),
            "breached at the due instant"
        );

        // Pending from 09:10 to 10:10: the resolution clock stopped for an hour.
        let t3 = store.sla_statuses(&id("T-3"), at).await.unwrap();
        let res = status(&t3, Metric::Resolution);
        assert_eq!(res.due_at, Some(ms("2026-01-05T18:00:00Z")), "{}", db.name);
        // First reply is owed whatever the status: breached at 10:00 though nobody wrote.
        let fr = status(&t3, Metric::FirstReply);
        assert_eq!(
            (fr.state, fr.breached_at),
            (State::Breached, Some(ms("2026-01-05T10:00:00Z")))
        );
        // Still pending: resolution paused, no due date; its counted time stopped at 09:05.
        let t5 = store.sla_statuses(&id("T-5"), at).await.unwrap();
        let res = status(&t5, Metric::Resolution);
        assert_eq!(
            (res.state, res.due_at, res.counted_ms),
            (State::Paused, None, 5 * 60_000),
            "{}",
            db.name
        );
        // Several at once (a list page's badges) answer as one at a time; untracked: absent.
        let all = store
            .sla_statuses_of(&["T-1", "T-2", "T-5", "no-such-ticket"], at)
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "{}", db.name);
        assert_eq!(all["T-1"], t1, "{}", db.name);
        assert_eq!(all["T-2"], t2, "{}", db.name);
        assert_eq!(all["T-5"], t5, "{}", db.name);

        let achievement = store.sla_achievement().await.unwrap();
        let first_reply = achievement
            .iter()
            .find(|a| a.metric == "first_reply")
            .unwrap();
        assert_eq!(
            (first_reply.total, first_reply.achieved),
            (2, 1),
            "{}: T-1 kept, T-2 missed; T-3 still running",
            db.name
        );
        store.close().await;
    }
}

#[tokio::test]
async fn overdue_lists_tickets_breached_or_due_before_now() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        import(&store, &history()).await.unwrap();
        let tickets = |rows: Vec<sanjeh_store::sla::Overdue>| {
            let mut t: Vec<String> = rows.into_iter().map(|o| o.ticket).collect();
            t.dedup();
            t
        };
        // 09:30: nothing overdue yet (T-3's first reply falls due at 10:00).
        let early = store.overdue(ms("2026-01-05T09:30:00Z"), 10).await.unwrap();
        assert!(early.is_empty(), "{}: {early:?}", db.name);
        // 10:30: T-3's first reply was breached at 10:00 (recorded at its last event, 10:10);
        // T-5's fell due at 10:00 too, after its last event (09:05): due before now.
        let rows = store.overdue(ms("2026-01-05T10:30:00Z"), 10).await.unwrap();
        assert_eq!(
            tickets(rows.clone()),
            vec!["T-3", "T-5"],
            "{}: {rows:?}",
            db.name
        );
        assert!(rows[0].recorded && !rows[1].recorded);
        // 17:30: T-1's and T-2's resolution fell due at 17:00 (not yet recorded), T-3 breached.
        let rows = store.overdue(ms("2026-01-05T17:30:00Z"), 10).await.unwrap();
        let mut all = tickets(rows);
        all.sort();
        all.dedup();
        assert_eq!(all, vec!["T-1", "T-2", "T-3", "T-5"], "{}", db.name);
        let limited = store.overdue(ms("2026-01-05T17:30:00Z"), 1).await.unwrap();
        assert_eq!(tickets(limited), vec!["T-3"], "earliest first");
        store.close().await;
    }
}

#[tokio::test]
async fn a_policy_change_applies_from_then_on_and_keeps_earlier_outcomes() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        import(&store, &history()).await.unwrap();
        let before = store.sla_achievement().await.unwrap();
        let v2 = r#"{"type":"sla.policies","at":"2026-01-06T00:00:00Z","policies":[{"id":"std2","name":"Standard v2","targets":{"normal":{"first_reply":{"minutes":120,"hours":"calendar"}}}}]}
{"type":"ticket.created","at":"2026-01-06T09:00:00Z","ticket":"T-4","customer":"C-4","channel":"email"}
"#;
        import(&store, v2).await.unwrap();
        assert_eq!(
            store.sla_achievement().await.unwrap(),
            before,
            "{}: finished outcomes are history",
            db.name
        );
        let t4 = store
            .sla_statuses(&id("T-4"), ms("2026-01-06T09:00:00Z"))
            .await
            .unwrap();
        let fr = status(&t4, Metric::FirstReply);
        assert_eq!(
            (fr.policy.as_str(), fr.due_at),
            ("std2", Some(ms("2026-01-06T11:00:00Z")))
        );
        assert!(
            t4.iter().all(|s| s.metric != Metric::Resolution),
            "v2 promises no resolution"
        );
        let shown = store.sla_policies().await.unwrap().unwrap();
        assert_eq!(shown.since, ms("2026-01-06T00:00:00Z"));
        assert_eq!(shown.policies[0].id, "std2");
        store.close().await;
    }
}

fn weekdays_9_to_17() -> &'static str {
    r#"{"time_zone":"UTC","intervals":[{"day":"monday","start":"09:00","end":"17:00"},{"day":"tuesday","start":"09:00","end":"17:00"},{"day":"wednesday","start":"09:00","end":"17:00"},{"day":"thursday","start":"09:00","end":"17:00"},{"day":"friday","start":"09:00","end":"17:00"}]}"#
}

fn always_open() -> String {
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let intervals: Vec<String> = days
        .iter()
        .map(|d| format!(r#"{{"day":"{d}","start":"00:00","end":"24:00"}}"#))
        .collect();
    format!(
        r#"{{"time_zone":"UTC","intervals":[{}]}}"#,
        intervals.join(",")
    )
}

#[tokio::test]
async fn business_targets_count_each_groups_calendar() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let lines = format!(
            r#"{{"type":"calendars","at":"2026-01-01T00:00:00Z","default":{},"groups":{{"billing":{}}}}}
{{"type":"sla.policies","at":"2026-01-01T00:00:00Z","policies":[{{"id":"biz","name":"Business","targets":{{"normal":{{"first_reply":{{"minutes":60}}}}}}}}]}}
{{"type":"ticket.created","at":"2026-01-05T16:30:00Z","ticket":"B-1","customer":"C-1","group":"billing"}}
{{"type":"ticket.created","at":"2026-01-05T16:30:00Z","ticket":"S-1","customer":"C-2","group":"sales"}}
"#,
            always_open(),
            weekdays_9_to_17()
        );
        import(&store, &lines).await.unwrap();
        let now = ms("2026-01-05T16:30:00Z");
        let b1 = store.sla_statuses(&id("B-1"), now).await.unwrap();
        assert_eq!(
            status(&b1, Metric::FirstReply).due_at,
            Some(ms("2026-01-06T09:30:00Z")),
            "{}: billing closes at 17:00 and opens at 09:00",
            db.name
        );
        let s1 = store.sla_statuses(&id("S-1"), now).await.unwrap();
        assert_eq!(
            status(&s1, Metric::FirstReply).due_at,
            Some(ms("2026-01-05T17:30:00Z")),
            "{}: a group without its own calendar has the default one",
            db.name
        );
        assert!(store.sla_calendars().await.unwrap().is_some());
        store.close().await;
    }
}

fn created(ticket: &str) -> Command {
    Command::CreateTicket(NewTicket {
        created: TicketCreated {
            ticket: id(ticket),
            customer: Some(id("C-1")),
            organization: None,
            channel: Channel::Web,
            priority: Priority::High,
            group: None,
            subject: Some("Cannot log in".into()),
            tags: vec![],
            kind: None,
            by: None,
        },
        body: Some("Help".into()),
        assignee: None,
    })
}

fn policies_event(json: &str) -> EventBody {
    EventBody::SlaPolicies {
        policies: serde_json::from_str(json).unwrap(),
    }
}

#[tokio::test]
async fn live_writes_get_due_dates_in_their_transaction_and_bad_policies_are_refused() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let writer = Writer::start(store.clone(), None);
        let good = r#"[{"id":"std","name":"Standard","targets":{"high":{"first_reply":{"minutes":30,"hours":"calendar"}}}}]"#;
        writer
            .submit(Request::Record(vec![policies_event(good)]), None)
            .await
            .unwrap();
        let out = writer
            .submit(Request::Command(created("W-1")), None)
            .await
            .unwrap();
        let created_at = out.tickets[0].created_at;
        // Committed with the ticket: readable as soon as the write is answered.
        let statuses = store.sla_statuses(&id("W-1"), created_at).await.unwrap();
        assert_eq!(
            status(&statuses, Metric::FirstReply).due_at,
            Some(created_at + 30 * 60_000),
            "{}",
            db.name
        );

        let events = store.event_count().await.unwrap();
        let digest = store.projection_digest().await.unwrap();
        let bad = r#"[{"id":"p","name":"x","targets":{"high":{"resolution":{"minutes":0}}}}]"#;
        let err = writer
            .submit(Request::Record(vec![policies_event(bad)]), None)
            .await
            .unwrap_err();
        match &err {
            StoreError::Domain(e) => {
                assert_eq!(
                    e.field(),
                    Some("policies[0].targets.high.resolution.minutes")
                )
            }
            other => panic!("{other:?}"),
        }
        let unknown = r#"[{"id":"p","name":"x","targets":{"high":{"first_reply":{"minutes":5,"hours":"lunar"}}}}]"#;
        let err = writer
            .submit(Request::Record(vec![policies_event(unknown)]), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Domain(e) if e.field() == Some("policies[0].targets.high.first_reply.hours")),
            "{err:?}"
        );

        // In an import, the whole input is refused: the ticket before the bad line too.
        let lines = r#"{"type":"ticket.created","at":"2026-02-01T09:00:00Z","ticket":"I-1","customer":"C-1"}
{"type":"sla.policies","at":"2026-02-01T10:00:00Z","policies":[{"id":"","name":"x","targets":{"normal":{}}}]}
"#;
        let err = import(&store, lines).await.unwrap_err();
        match &err {
            StoreError::Line(l) => {
                assert_eq!((l.line, l.field.as_str()), (2, "policies[0].id"), "{l}")
            }
            other => panic!("{other:?}"),
        }
        let calendars = r#"{"type":"calendars","at":"2026-02-01T10:00:00Z","groups":{"billing":{"time_zone":"Mars/Olympus","intervals":[]}}}
"#;
        let err = import(&store, calendars).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Line(l) if l.field == "groups.billing.time_zone"),
            "{err:?}"
        );
        assert_eq!(store.event_count().await.unwrap(), events, "{}", db.name);
        assert_eq!(store.projection_digest().await.unwrap(), digest);
        assert!(store.ticket("I-1").await.unwrap().is_none());
        store.close().await;
    }
}

/// SLA tables rebuilt from the log equal those kept incrementally, with small batches that
/// drop the working set (and the trackers with it) many times.
#[tokio::test]
async fn rebuild_gives_the_same_sla_tables() {
    use sanjeh_store::ingest::{Chunk, IngestLimits};
    let config = sanjeh_demo::DemoConfig {
        tickets: 600,
        seed: 5,
        ..Default::default()
    };
    let policies = one_line(
        r#"{"type":"sla.policies","at":"2000-01-01T00:00:00Z","policies":[
 {"id":"vip","name":"Urgent","conditions":{"priorities":["urgent","high"]},"targets":{
   "urgent":{"first_reply":{"minutes":30},"next_reply":{"minutes":60},"resolution":{"minutes":240}},
   "high":{"first_reply":{"minutes":60},"periodic_update":{"minutes":240,"hours":"calendar"}}}},
 {"id":"std","name":"Standard","targets":{
   "normal":{"first_reply":{"minutes":240},"next_reply":{"minutes":480},"resolution":{"minutes":2400}},
   "low":{"first_reply":{"minutes":1440,"hours":"calendar"}}}}]}"#,
    );
    let calendars = format!(
        r#"{{"type":"calendars","at":"2000-01-01T00:00:00Z","default":{}}}"#,
        weekdays_9_to_17()
    );
    let chunks = move || {
        let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
        let config = config.clone();
        let head = [calendars.clone(), policies.clone()];
        std::thread::spawn(move || {
            let mut events: Vec<_> = head
                .iter()
                .enumerate()
                .map(|(i, l)| sanjeh_store::Incoming::parse(i as u64 + 1, l).unwrap())
                .collect();
            events.extend(
                sanjeh_demo::generate(&config)
                    .enumerate()
                    .map(|(i, e)| sanjeh_store::Incoming::from_event(i as u64 + 3, e)),
            );
            for chunk in events.chunks(500) {
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
            batch_events: 800,
            cached_tickets: 100,
            unwritten_keys: 2000,
        };
        store
            .ingest(
                chunks(),
                IngestOptions {
                    limits,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let achievement = store.sla_achievement().await.unwrap();
        assert!(
            achievement.iter().map(|a| a.total).sum::<i64>() > 500,
            "{}: {achievement:?}",
            db.name
        );
        assert!(achievement.iter().any(|a| a.achieved < a.total));
        let incremental = store.projection_digest().await.unwrap();
        store.rebuild(&|_| {}).await.unwrap();
        assert_eq!(
            store.projection_digest().await.unwrap(),
            incremental,
            "{}: rebuild",
            db.name
        );
        assert_eq!(store.sla_achievement().await.unwrap(), achievement);
        store.close().await;
    }
}
