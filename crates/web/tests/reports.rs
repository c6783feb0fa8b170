//! Reports over real HTTP: the live dataset sees new events at once, the JSON is the
//! engine's, and a ticket's explanation names its events. SQLite and, when configured,
//! PostgreSQL.

use sanjeh_store::Writer;
use sanjeh_store::auth::Role;
use sanjeh_web::{AppState, WebOptions, live};
use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const HISTORY: &str = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C-9","channel":"email","tags":["refund"]}
{"type":"ticket.message","at":"2026-01-05T09:10:00Z","ticket":"T-1","author":"agent:A-2","body":"Done"}
{"type":"ticket.status","at":"2026-01-05T10:00:00Z","ticket":"T-1","status":"solved","by":"agent:A-2"}
{"type":"ticket.created","at":"2026-01-06T09:00:00Z","ticket":"T-2","customer":"C-8","channel":"chat"}
{"type":"survey.response","at":"2026-01-05T11:00:00Z","survey":"csat","score":5,"ticket":"T-1"}
"#;

async fn get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_live_and_explain_names_the_events() {
    for db in sanjeh_testkit::fresh_databases().await {
        let store = sanjeh_testkit::open(&db).await;
        let dataset = Arc::new(RwLock::new(live::load_dataset(&store).await.unwrap()));
        let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
        let state = AppState::new(store.clone(), writer, WebOptions::default())
            .with_reports(dataset, Default::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        tokio::spawn(sanjeh_web::serve(listener, state, std::future::pending()));
        let token = store.issue_token("t", Role::Admin, None).await.unwrap().1.0;
        let reporter = store
            .issue_token("r", Role::Reporter, None)
            .await
            .unwrap()
            .1
            .0;
        let client = reqwest::Client::new();

        let posted = client
            .post(format!("{base}/events"))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(HISTORY)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201, "{}", db.name);
        let url = format!("{base}/reports?from=2026-01-01&to=2026-02-01&by=channel");
        let (status, report) = get(&client, &url, &reporter).await;
        assert_eq!(status, 200, "{}: {report}", db.name);
        assert_eq!(report["kpis"]["ticket_volume"]["value"], 2);
        assert_eq!(report["kpis"]["solved_tickets"]["value"], 1);
        assert_eq!(report["kpis"]["first_reply_time"]["median_s"], 600.0);
        assert_eq!(
            report["kpis"]["first_reply_time"]["excluded"], 1,
            "T-2 is unreplied"
        );
        assert_eq!(report["kpis"]["csat"]["value"], 1.0);
        assert_eq!(report["by"][0]["dimensions"], json!(["channel"]));
        // A filtered report is the email row of that grouping, and says what it was filtered by.
        let email = report["by"][0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"]["channel"] == "email")
            .unwrap()["kpis"]
            .clone();
        let url = format!("{base}/reports?from=2026-01-01&to=2026-02-01&channel=email&agent=A-2");
        let (status, filtered) = get(&client, &url, &reporter).await;
        assert_eq!(status, 200, "{}: {filtered}", db.name);
        assert_eq!(
            filtered["filter"],
            json!({"channel": "email", "agent": "A-2"})
        );
        assert_eq!(filtered["kpis"]["solved_tickets"]["value"], 1);
        assert_eq!(filtered["kpis"]["solved_tickets"], email["solved_tickets"]);
        assert_eq!(
            filtered["kpis"]["first_reply_time"],
            email["first_reply_time"]
        );
        let url = format!("{base}/reports?from=2026-01-01&to=2026-02-01&channel=pigeon");
        let (status, problem) = get(&client, &url, &reporter).await;
        assert_eq!(status, 422, "{}: {problem}", db.name);
        assert_eq!(problem["field"], "channel");

        // A live change shows in the next report within a second.
        let patched = client
            .patch(format!("{base}/tickets/T-2"))
            .bearer_auth(&token)
            .json(&json!({"status": "solved"}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 200);
        let now_url = format!("{base}/reports?from=2026-01-01&to=2100-01-01");
        let started = Instant::now();
        loop {
            let (_, r) = get(&client, &now_url, &reporter).await;
            if r["kpis"]["solved_tickets"]["value"] == 2 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{}: the solve is not in the report after 1 s",
                db.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let (status, x) = get(&client, &format!("{base}/tickets/T-1/explain"), &reporter).await;
        assert_eq!(status, 200);
        let frt = x["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "first_reply_time")
            .unwrap()
            .clone();
        assert_eq!(
            (frt["value"].clone(), frt["from_events"].clone()),
            (json!(600.0), json!([1, 2]))
        );
        assert_eq!(
            get(&client, &format!("{base}/tickets/T-404/explain"), &reporter)
                .await
                .0,
            404
        );

        let (status, problem) = get(
            &client,
            &format!("{base}/reports?from=2026-01-01&to=2026-02-01&by=colour"),
            &reporter,
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("by")),
            "{problem}"
        );
        let (status, agents) = get(
            &client,
            &format!("{base}/reports/agents?from=2026-01-01&to=2026-02-01"),
            &reporter,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(agents[0]["agent"], "A-2");
        store.close().await;
    }
}

/// Standard policy: a first reply within an hour (calendar). S-1 is answered in 30 minutes,
/// S-2 in two hours, S-3 not at all (yet).
const SLA_HISTORY: &str = r#"{"type":"sla.policies","at":"2026-01-01T00:00:00Z","policies":[{"id":"std","name":"Standard","targets":{"normal":{"first_reply":{"minutes":60,"hours":"calendar"}}}}]}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"S-1","customer":"C-1","channel":"email","priority":"normal"}
{"type":"ticket.message","at":"2026-01-05T09:30:00Z","ticket":"S-1","author":"agent:A-1","body":"Hi"}
{"type":"ticket.created","at":"2026-01-05T10:00:00Z","ticket":"S-2","customer":"C-2","channel":"email","priority":"normal"}
{"type":"ticket.message","at":"2026-01-05T12:00:00Z","ticket":"S-2","author":"agent:A-1","body":"Late"}
{"type":"ticket.created","at":"2026-01-06T10:00:00Z","ticket":"S-3","customer":"C-3","channel":"email","priority":"normal"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_outcomes_kept_by_the_store_reach_the_report_live() {
    for db in sanjeh_testkit::fresh_databases().await {
        let store = sanjeh_testkit::open(&db).await;
        let dataset = Arc::new(RwLock::new(live::load_dataset(&store).await.unwrap()));
        let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
        let state = AppState::new(store.clone(), writer, WebOptions::default())
            .with_reports(dataset, Default::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        tokio::spawn(sanjeh_web::serve(listener, state, std::future::pending()));
        let token = store.issue_token("t", Role::Admin, None).await.unwrap().1.0;
        let client = reqwest::Client::new();
        let post = |body: &'static str| {
            client
                .post(format!("{base}/events"))
                .bearer_auth(&token)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
        };
        assert_eq!(
            post(SLA_HISTORY).await.unwrap().status(),
            201,
            "{}",
            db.name
        );
        let url = format!("{base}/reports?from=2026-01-01&to=2026-02-01");
        // The aggregator applies a commit within milliseconds of the 201.
        let report = report_when(&client, &url, &token, |r| {
            r["kpis"]["sla_achievement_rate"]["den"] == 2
        })
        .await;
        let k = &report["kpis"];
        let rate = &k["sla_achievement_rate"];
        assert_eq!(rate["num"], 1, "{}: {rate}", db.name);
        assert_eq!(rate["by_policy"]["std"]["den"], 2);
        assert_eq!(
            k["overdue_backlog"]["value"], 1,
            "S-3's first reply was due on 6 January: {}",
            k["overdue_backlog"]
        );

        // S-3 is answered (late): the next report counts it, without a restart.
        let reply = r#"{"type":"ticket.message","at":"2026-01-07T09:00:00Z","ticket":"S-3","author":"agent:A-1","body":"Sorry"}
"#;
        assert_eq!(post(reply).await.unwrap().status(), 201);
        let r = report_when(&client, &url, &token, |r| {
            r["kpis"]["sla_achievement_rate"]["den"] == 3
        })
        .await;
        assert_eq!(r["kpis"]["sla_achievement_rate"]["num"], 1);
        assert_eq!(r["kpis"]["overdue_backlog"]["value"], 0);
    }
}

/// The report at `url` once `ready` holds of it; fails after a second.
async fn report_when(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let (status, r) = get(client, url, token).await;
        assert_eq!(status, 200, "{r}");
        if ready(&r) {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the report did not catch up within a second: {}",
            r["kpis"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
