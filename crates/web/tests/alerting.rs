//! Escalation rules, KPI alerts, webhooks and in-app notifications, end to end: rules put
//! over HTTP, the evaluator driven with an injected `now`, a real loopback webhook receiver
//! that answers 500 once, the API's view afterwards. SQLite and, when configured, PostgreSQL.

use axum::http::{HeaderMap, StatusCode};
use sanjeh_store::Writer;
use sanjeh_store::auth::Role;
use sanjeh_web::alerting::{self, MailIdentity};
use sanjeh_web::{AppState, WebOptions, live};
use serde_json::{Value, json};
use sha2::Digest;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

const SECRET: &str = "s3cret-s3cret-s3cret";
const MIN: i64 = 60_000;

const SETUP: &str = r#"{"type":"sla.policies","at":"2026-01-01T00:00:00Z","policies":[{"id":"std","name":"Standard","targets":{"normal":{"first_reply":{"minutes":60,"hours":"calendar"}},"urgent":{"first_reply":{"minutes":60,"hours":"calendar"}}}}]}
{"type":"group.profile","at":"2026-01-01T00:00:00Z","group":"tier2","name":"Tier 2"}
{"type":"agent.profile","at":"2026-01-01T00:00:00Z","agent":"A-1","name":"Lead","email":"lead@example.com","groups":["tier2"]}
{"type":"agent.profile","at":"2026-01-01T00:00:00Z","agent":"A-2","name":"First line","email":"a2@example.com"}
"#;

/// HMAC-SHA256 written out from RFC 2104, independently of the `hmac` crate the server uses.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = sha2::Sha256::digest([ipad.as_slice(), msg].concat());
    let outer = sha2::Sha256::digest([opad.as_slice(), inner.as_slice()].concat());
    hex::encode(outer)
}

type Received = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// A webhook receiver on loopback: answers 500 to the first call, 200 after; keeps every
/// call's signature header and body.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let r = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let r = r.clone();
            async move {
                let sig = headers
                    .get("x-sanjeh-signature")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let mut calls = r.lock().unwrap();
                calls.push((sig, body));
                if calls.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_alerts_webhooks_and_notifications() {
    for db in sanjeh_testkit::fresh_databases().await {
        let name = db.name;
        let store = sanjeh_testkit::open(&db).await;
        let dataset = Arc::new(RwLock::new(live::load_dataset(&store).await.unwrap()));
        let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
        let state = AppState::new(store.clone(), writer.clone(), WebOptions::default())
            .with_reports(dataset.clone(), Default::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        tokio::spawn(sanjeh_web::serve(listener, state, std::future::pending()));
        let admin = store.issue_token("t", Role::Admin, None).await.unwrap().1.0;
        let reporter = store
            .issue_token("r", Role::Reporter, None)
            .await
            .unwrap()
            .1
            .0;
        let a2 = store
            .issue_token("a2", Role::Agent, Some("A-2"))
            .await
            .unwrap()
            .1
            .0;
        let client = reqwest::Client::new();
        let (hook, received) = receiver().await;
        let mail = MailIdentity::default();
        use reqwest::Method;

        let posted = client
            .post(format!("{base}/events"))
            .bearer_auth(&admin)
            .header("content-type", "application/x-ndjson")
            .body(SETUP)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201, "{name}");

        // A bad rule is refused naming the field, and nothing is recorded.
        let bad = json!({"rules": [{"id": "near", "level": 1, "when": {"metric": "first_reply", "at_percent": 175},
                                    "actions": [{"type": "email", "to": "lead@example.com"}]}]});
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/escalation-rules"),
            &admin,
            Some(bad),
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(
            body.to_string().contains("rules[0].when.at_percent"),
            "{name}: {body}"
        );
        let (status, _) = call(
            &client,
            Method::PUT,
            &format!("{base}/escalation-rules"),
            &reporter,
            Some(json!([])),
        )
        .await;
        assert_eq!(status, 403, "{name}: only admins write rules");

        let rules = json!({"rules": [
            {"id": "near", "name": "First reply at 75%", "level": 1,
             "when": {"metric": "first_reply", "at_percent": 75},
             "actions": [{"type": "in_app", "assignee": true},
                         {"type": "email", "to": "lead@example.com"},
                         {"type": "webhook", "url": hook, "secret": SECRET}]},
            {"id": "breach", "name": "First reply breached", "level": 2,
             "when": {"metric": "first_reply"},
             "actions": [{"type": "raise_priority", "to": "urgent"},
                         {"type": "reassign", "group": "tier2"},
                         {"type": "in_app", "groups": ["tier2"]}]}]});
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/escalation-rules"),
            &admin,
            Some(rules),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        let (status, shown) = call(
            &client,
            Method::GET,
            &format!("{base}/escalation-rules"),
            &reporter,
            None,
        )
        .await;
        assert_eq!(status, 200);
        let hook_action = &shown["rules"][0]["actions"][2];
        assert!(hook_action.get("secret").is_none(), "{name}: {hook_action}");
        let secret_id = hook_action["secret_id"].as_str().unwrap().to_owned();
        assert!(secret_id.starts_with("whsec_"), "{name}: {hook_action}");
        // The secret is kept apart: neither the event log nor its export carries it.
        let mut exported = Vec::new();
        store.export_events(&mut exported, &|_| {}).await.unwrap();
        let exported = String::from_utf8(exported).unwrap();
        assert!(exported.contains(&secret_id), "{name}");
        assert!(!exported.contains(SECRET), "{name}: secret in the log");
        // Rules may name a stored secret by its id; an unknown id is refused, naming the field.
        let mut again = shown["rules"].clone();
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/escalation-rules"),
            &admin,
            Some(json!({"rules": again.clone()})),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            body["rules"][0]["actions"][2]["secret_id"],
            secret_id.as_str()
        );
        again[0]["actions"][2]["secret_id"] = json!("whsec_000000000000000000000000");
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/escalation-rules"),
            &admin,
            Some(json!({"rules": again})),
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(
            body["field"], "rules[0].actions[2].secret_id",
            "{name}: {body}"
        );

        let (status, body) = call(
            &client,
            Method::POST,
            &format!("{base}/tickets"),
            &admin,
            Some(json!({
            "id": "T-1", "subject": "Refund", "customer": "C-1", "channel": "email",
            "body": "Where is my refund?", "assignee": "A-2"})),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        let created = store
            .sla_statuses(&sanjeh_domain::Id::parse("t", "T-1").unwrap(), 0)
            .await
            .unwrap()[0]
            .started_at;

        // 40 minutes in: nothing yet. 46 minutes (77%): the near-breach rule fires, once.
        let r = alerting::escalate_once(&store, &writer, &mail, created + 40 * MIN)
            .await
            .unwrap();
        assert_eq!(r.escalated, 0, "{name}");
        let r = alerting::escalate_once(&store, &writer, &mail, created + 46 * MIN)
            .await
            .unwrap();
        assert_eq!(r.escalated, 1, "{name}: {r:?}");
        let r = alerting::escalate_once(&store, &writer, &mail, created + 50 * MIN)
            .await
            .unwrap();
        assert_eq!((r.escalated, r.already), (0, 0), "{name}: fires once");

        // Past due: the breach rule raises the priority, reassigns, and is level 2.
        let r = alerting::escalate_once(&store, &writer, &mail, created + 61 * MIN)
            .await
            .unwrap();
        assert_eq!(r.escalated, 1, "{name}: {r:?}");
        let (_, t) = call(
            &client,
            Method::GET,
            &format!("{base}/tickets/T-1"),
            &reporter,
            None,
        )
        .await;
        assert_eq!(t["priority"], "urgent", "{name}: {t}");
        assert_eq!(t["group"], "tier2", "{name}: {t}");
        assert!(t["assignee"].is_null(), "{name}: {t}");
        let (_, history) = call(
            &client,
            Method::GET,
            &format!("{base}/tickets/T-1/events"),
            &reporter,
            None,
        )
        .await;
        let text = history.to_string();
        assert_eq!(
            text.matches("ticket.escalated").count(),
            2,
            "{name}: {text}"
        );

        // A restart (a new store handle and writer on the same database) does not fire again.
        let store2 = sanjeh_testkit::open(&db).await;
        let writer2 = Writer::start(store2.clone(), None);
        let r = alerting::escalate_once(&store2, &writer2, &mail, created + 90 * MIN)
            .await
            .unwrap();
        assert_eq!(
            r,
            Default::default(),
            "{name}: nothing fires after a restart"
        );
        let x = store2
            .explain_ticket("T-1", created + 90 * MIN)
            .await
            .unwrap()
            .unwrap();
        let levels: Vec<(u8, &str)> = x
            .escalations
            .iter()
            .map(|e| (e.level, e.rule.as_str()))
            .collect();
        assert_eq!(levels, [(1, "near"), (2, "breach")], "{name}");
        // A rebuild re-derives the escalations from the log: still nothing to fire.
        store2.rebuild(&|_| {}).await.unwrap();
        let r = alerting::escalate_once(&store2, &writer2, &mail, created + 95 * MIN)
            .await
            .unwrap();
        assert_eq!(
            r.escalated, 0,
            "{name}: rebuilt escalations keep their runs"
        );

        // The mail is queued in the outbound mail queue.
        let mails = store.ticket_mail("T-1").await.unwrap();
        assert!(
            mails
                .iter()
                .any(|m| m.recipient == "lead@example.com" && m.status == "queued"),
            "{name}: {mails:?}"
        );

        // The webhook: a 500, then delivered on the retry; the signature checks out.
        let now = jiff::Timestamp::now().as_millisecond() + 1_000;
        let d = alerting::deliver_due(&store, &alerting::webhook::client(None).unwrap(), now)
            .await
            .unwrap();
        assert_eq!((d.delivered, d.retrying), (0, 1), "{name}: {d:?}");
        let d = alerting::deliver_due(
            &store,
            &alerting::webhook::client(None).unwrap(),
            now + 10_000,
        )
        .await
        .unwrap();
        assert_eq!(d, Default::default(), "{name}: not before the backoff");
        let d = alerting::deliver_due(
            &store,
            &alerting::webhook::client(None).unwrap(),
            now + 31_000,
        )
        .await
        .unwrap();
        assert_eq!(d.delivered, 1, "{name}: {d:?}");
        {
            let calls = received.lock().unwrap();
            assert_eq!(calls.len(), 2, "{name}");
            assert_eq!(calls[0], calls[1], "{name}: the retry sends the same bytes");
            let (sig, body) = &calls[1];
            let expected = format!("sha256={}", hmac_sha256(SECRET.as_bytes(), body.as_bytes()));
            assert_eq!(sig.as_deref(), Some(expected.as_str()), "{name}");
            let payload: Value = serde_json::from_str(body).unwrap();
            assert_eq!(payload["ticket"], "T-1");
            assert_eq!(payload["level"], 1);
        }

        // In-app: the assignee got the near-breach, tier 2 the breach.
        let (status, list) = call(
            &client,
            Method::GET,
            &format!("{base}/notifications"),
            &a2,
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {list}");
        assert_eq!(list["unread"], 1, "{name}: {list}");
        let id = list["items"][0]["id"].as_i64().unwrap();
        let (status, n) = call(
            &client,
            Method::POST,
            &format!("{base}/notifications/{id}/read"),
            &a2,
            None,
        )
        .await;
        assert_eq!(
            (status, n["read"].clone()),
            (200, json!(true)),
            "{name}: {n}"
        );
        let (_, list) = call(
            &client,
            Method::GET,
            &format!("{base}/notifications?unread=true"),
            &a2,
            None,
        )
        .await;
        assert_eq!(list["items"], json!([]), "{name}");
        let (_, list) = call(
            &client,
            Method::GET,
            &format!("{base}/notifications?agent=A-1"),
            &admin,
            None,
        )
        .await;
        assert!(
            list["items"][0]["title"].as_str().unwrap().contains("L2"),
            "{name}: {list}"
        );
        let (status, _) = call(
            &client,
            Method::GET,
            &format!("{base}/notifications?agent=A-1"),
            &a2,
            None,
        )
        .await;
        assert_eq!(status, 403, "{name}: an agent reads only its own");

        // KPI alerts: ticket volume over the last hour above 1, repeated every 10 minutes.
        let bad = json!({"rules": [{"id": "x", "kpi": "happiness", "op": ">", "threshold": 1, "window_minutes": 60,
                          "notify": [{"type": "in_app", "agents": ["A-1"]}]}]});
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/alert-rules"),
            &admin,
            Some(bad),
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(body.to_string().contains("rules[0].kpi"), "{name}: {body}");
        let alerts = json!({"rules": [
            {"id": "busy", "kpi": "ticket_volume", "op": ">", "threshold": 1, "window_minutes": 60, "repeat_minutes": 10,
             "notify": [{"type": "in_app", "agents": ["A-1"]}]},
            {"id": "chat-busy", "kpi": "ticket_volume", "op": ">", "threshold": 0, "window_minutes": 60,
             "filters": {"channel": "chat"}, "notify": [{"type": "in_app", "agents": ["A-1"]}]}]});
        let (status, body) = call(
            &client,
            Method::PUT,
            &format!("{base}/alert-rules"),
            &admin,
            Some(alerts),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        let (status, _) = call(
            &client,
            Method::POST,
            &format!("{base}/tickets"),
            &admin,
            Some(json!({
            "id": "T-2", "subject": "Login", "customer": "C-2", "channel": "email"})),
        )
        .await;
        assert_eq!(status, 201);
        let t0 = jiff::Timestamp::now().as_millisecond() + MIN;
        // The dataset follows commits through the aggregator task: wait for T-2.
        for _ in 0..100 {
            let busy = store.alert_rules().await.unwrap().unwrap().rules[0].clone();
            let v = alerting::kpi_value(
                &dataset.read().unwrap(),
                &busy,
                jiff::Timestamp::from_millisecond(t0).unwrap(),
                None,
            );
            if v == Some(2.0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let notices = |evals: Vec<alerting::AlertEvaluation>| {
            evals
                .into_iter()
                .map(|e| (e.rule, e.notice.map(|n| n.as_str())))
                .collect::<Vec<_>>()
        };
        let step = |at: i64| alerting::evaluate_alerts(&store, &dataset, &mail, at);
        assert_eq!(
            notices(step(t0).await.unwrap()),
            [("busy".into(), Some("fired")), ("chat-busy".into(), None)],
            "{name}"
        );
        assert_eq!(
            notices(step(t0 + 5 * MIN).await.unwrap())[0].1,
            None,
            "{name}"
        );
        assert_eq!(
            notices(step(t0 + 11 * MIN).await.unwrap())[0].1,
            Some("repeated"),
            "{name}"
        );
        assert_eq!(
            notices(step(t0 + 15 * MIN).await.unwrap())[0].1,
            None,
            "{name}"
        );
        assert_eq!(
            notices(step(t0 + 70 * MIN).await.unwrap())[0].1,
            Some("recovered"),
            "{name}"
        );
        let (status, view) = call(
            &client,
            Method::GET,
            &format!("{base}/alerts"),
            &reporter,
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {view}");
        assert_eq!(view["items"][0]["state"], "ok", "{name}: {view}");
        assert_eq!(view["items"][0]["last_value"], 0.0, "{name}: {view}");
        let history: Vec<&str> = view["items"][0]["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["notice"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["recovered", "repeated", "fired"], "{name}");
        let (_, list) = call(
            &client,
            Method::GET,
            &format!("{base}/notifications?agent=A-1"),
            &admin,
            None,
        )
        .await;
        let titles = list["items"].to_string();
        assert!(
            titles.contains("Recovered: busy") && titles.contains("Alert: busy"),
            "{name}: {titles}"
        );
    }
}

/// An HTTPS webhook receiver on loopback with a certificate from a private authority: reads
/// one request per connection, keeps its signature header and body, answers 200.
async fn tls_receiver(dir: &std::path::Path) -> (String, std::path::PathBuf, Received) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let ca = sanjeh_testkit::mail_servers::make_certificates(dir);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}/hook",
        listener.local_addr().unwrap().port()
    );
    let received: Received = Arc::default();
    let r = received.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            let (head_end, length) = loop {
                let n = tls.read(&mut buf).await.unwrap();
                assert!(n > 0, "connection closed mid-request");
                request.extend_from_slice(&buf[..n]);
                if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    break (end + 4, length);
                }
            };
            while request.len() < head_end + length {
                let n = tls.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&request[..head_end]).to_string();
            let signature = head.lines().find_map(|l| {
                l.to_lowercase()
                    .starts_with("x-sanjeh-signature:")
                    .then(|| l["x-sanjeh-signature:".len()..].trim().to_owned())
            });
            let body = String::from_utf8_lossy(&request[head_end..]).to_string();
            r.lock().unwrap().push((signature, body));
            tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            tls.shutdown().await.ok();
        }
    });
    (url, ca, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_go_out_over_https_checked_against_a_private_authority() {
    use sanjeh_store::alerting::Outgoing;
    let dir = tempfile::tempdir().unwrap();
    let (url, ca, received) = tls_receiver(dir.path()).await;
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let body = r#"{"alert":"tls"}"#.to_owned();
    let now = jiff::Timestamp::now().as_millisecond();
    let call = |source: &str| Outgoing::Webhook {
        source: source.to_owned(),
        url: url.clone(),
        signature: alerting::signature(SECRET, body.as_bytes()),
        body: body.clone(),
    };
    store
        .record_alert(
            "tls",
            &sanjeh_sla::rules::AlertState::default(),
            None,
            &[call("tls:1")],
            now,
        )
        .await
        .unwrap();
    // Without the private authority the server is not trusted: the call waits for a retry.
    let plain = alerting::webhook::client(None).unwrap();
    let d = alerting::deliver_due(&store, &plain, now + 1)
        .await
        .unwrap();
    assert_eq!((d.delivered, d.retrying), (0, 1), "{d:?}");
    assert!(received.lock().unwrap().is_empty());
    // With it, the retry goes through, signed.
    let trusting = alerting::webhook::client(Some(&ca)).unwrap();
    let d = alerting::deliver_due(&store, &trusting, now + 60_000)
        .await
        .unwrap();
    assert_eq!(d.delivered, 1, "{d:?}");
    let calls = received.lock().unwrap();
    assert_eq!(calls.len(), 1);
    let expected = format!("sha256={}", hmac_sha256(SECRET.as_bytes(), body.as_bytes()));
    assert_eq!(calls[0].0.as_deref(), Some(expected.as_str()));
    assert_eq!(calls[0].1, body);
}

#[test]
fn a_webhook_ca_file_that_is_missing_or_not_pem_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem");
    let e = alerting::webhook::client(Some(&missing)).unwrap_err();
    assert!(e.to_string().contains("nope.pem"), "{e}");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let e = alerting::webhook::client(Some(&junk)).unwrap_err();
    assert!(e.to_string().contains("junk.pem"), "{e}");
}

#[tokio::test]
async fn notification_mail_comes_from_the_outbound_relays_sender_once_configured() {
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let fallback = MailIdentity::default();
    let mail = alerting::mail_identity(&store, &fallback).await;
    assert_eq!(
        (mail.from.as_str(), mail.message_id_domain.as_str()),
        ("support@localhost", "sanjeh.localhost")
    );
    let relay: sanjeh_email::config::OutboundSettings = serde_json::from_value(json!({
        "host": "127.0.0.1", "from": "help@example.org", "from_name": "Example Help"
    }))
    .unwrap();
    sanjeh_email::config::put_outbound(&store, relay, 0)
        .await
        .unwrap();
    let mail = alerting::mail_identity(&store, &fallback).await;
    assert_eq!(
        (mail.from.as_str(), mail.message_id_domain.as_str()),
        ("help@example.org", "example.org")
    );
}
