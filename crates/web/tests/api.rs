//! The API over real HTTP: the app is spawned on 127.0.0.1:0 against a fresh SQLite file and,
//! when `SANJEH_TEST_POSTGRES_URL` is set, a fresh PostgreSQL database. Logs are silent unless
//! `TEST_LOG` is set.

mod common;

use common::TestApp;
use reqwest::{Method, Response, StatusCode};
use sanjeh_domain::EventBody;
use sanjeh_domain::Id;
use sanjeh_domain::event::AgentProfile;
use sanjeh_store::Request;
use sanjeh_web::WebOptions;
use serde_json::{Value, json};

/// Small, so the oversize test sends little.
const MAX_BODY: usize = 64 * 1024;

/// One app per backend under test, with agent A-1's profile recorded.
async fn apps() -> Vec<TestApp> {
    let apps = common::apps(WebOptions {
        max_body_bytes: MAX_BODY,
    })
    .await;
    for app in &apps {
        app.writer
            .submit(
                Request::Record(vec![EventBody::AgentProfile(AgentProfile {
                    agent: Id::parse("id", "A-1").unwrap(),
                    name: Some("Sara".into()),
                    email: None,
                    role: None,
                    groups: None,
                    active: None,
                })]),
                None,
            )
            .await
            .expect("seed agent");
    }
    apps
}

impl TestApp {
    async fn create_ticket(&self, body: Value) -> Value {
        let r = self.post("/api/v1/tickets", &self.agent, body).await;
        self.json(r, StatusCode::CREATED).await
    }
}

#[tokio::test]
async fn tickets_are_created_read_changed_listed_and_paged() {
    for app in apps().await {
        let a = &app;
        // Created with a given id, and with a generated one.
        let r = a
            .post(
                "/api/v1/tickets",
                &a.agent,
                json!({"id": "T-1", "subject": "Refund", "customer": "C-1", "channel": "email",
                       "priority": "high", "tags": [" Refund", "refund", "VIP"], "kind": "question",
                       "body": "My card was charged twice."}),
            )
            .await;
        assert_eq!(r.headers()["location"], "/api/v1/tickets/T-1");
        let t = a.json(r, StatusCode::CREATED).await;
        assert_eq!(t["status"], "new");
        assert_eq!(t["priority"], "high");
        assert_eq!(t["tags"], json!(["refund", "vip"]));
        assert_eq!(t["facts"]["customer_messages"], 1);
        assert_eq!(t["facts"]["outbound"], false);
        assert!(t["created_at"].as_str().unwrap().ends_with('Z'), "{t}");
        let generated = a
            .create_ticket(json!({"subject": "Login", "customer": "C-2"}))
            .await;
        let gid = generated["id"].as_str().unwrap().to_owned();
        assert!(gid.starts_with("T-"), "{gid}");
        assert_eq!(generated["channel"], "api");

        // Outbound: opened by the token's agent.
        let out = a
            .create_ticket(json!({"subject": "Follow-up", "customer": "C-1", "outbound": true}))
            .await;
        assert_eq!(out["facts"]["outbound"], true);

        // Read back.
        let r = a.get("/api/v1/tickets/T-1", &a.reporter).await;
        let read = a.json(r, StatusCode::OK).await;
        assert_eq!(read, t);

        // Change: status, priority, assignee, tags; then unassign with null.
        let r = a
            .patch(
                "/api/v1/tickets/T-1",
                &a.agent,
                json!({"status": "pending", "priority": "urgent", "assignee": "A-1", "tags": ["billing"]}),
            )
            .await;
        let changed = a.json(r, StatusCode::OK).await;
        assert_eq!(changed["status"], "pending");
        assert_eq!(changed["priority"], "urgent");
        assert_eq!(changed["assignee"], "A-1");
        assert_eq!(changed["tags"], json!(["billing"]));
        let r = a
            .patch("/api/v1/tickets/T-1", &a.agent, json!({"assignee": null}))
            .await;
        assert_eq!(a.json(r, StatusCode::OK).await["assignee"], Value::Null);

        // Merge the generated ticket into T-1.
        let r = a
            .post(
                &format!("/api/v1/tickets/{gid}/merge"),
                &a.agent,
                json!({"into": "T-1"}),
            )
            .await;
        let merged = a.json(r, StatusCode::OK).await;
        assert_eq!(merged["ticket"]["status"], "closed");
        assert_eq!(merged["ticket"]["merged_into"], "T-1");
        assert_eq!(merged["into"]["id"], "T-1");
        let r = a
            .post(
                "/api/v1/tickets/T-1/merge",
                &a.agent,
                json!({"into": "T-404"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "into").await;

        // Four more (seven in all), then filters and pages of three.
        for i in 4..=7 {
            a.create_ticket(
                json!({"id": format!("T-{i}"), "subject": "More", "customer": "C-7",
                                   "channel": if i % 2 == 0 { "chat" } else { "web" }}),
            )
            .await;
        }
        let list = |query: &'static str| async move {
            let r = a.get(&format!("/api/v1/tickets{query}"), &a.reporter).await;
            a.json(r, StatusCode::OK).await
        };
        let ids = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&list("?channel=chat").await), ["T-4", "T-6"]);
        assert_eq!(
            ids(&list("?customer=C-7&channel=web").await),
            ["T-5", "T-7"]
        );
        assert_eq!(ids(&list("?status=pending").await), ["T-1"]);
        assert_eq!(ids(&list("?status=closed").await), [gid.as_str()]);
        assert_eq!(
            ids(&list("?updated_since=2999-01-01T00:00:00Z").await).len(),
            0
        );
        assert_eq!(
            ids(&list("?updated_since=2000-01-01T00:00:00Z").await).len(),
            7
        );

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("/api/v1/tickets?limit=3&cursor={c}"),
                None => "/api/v1/tickets?limit=3".to_owned(),
            };
            let page = a.json(a.get(&query, &a.agent).await, StatusCode::OK).await;
            pages += 1;
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "[{}]", a.backend);
        assert_eq!(seen.len(), 7);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 7, "no ticket twice across pages");
    }
}

#[tokio::test]
async fn messages_follow_the_status_rules_and_notes_stay_internal() {
    for app in apps().await {
        let a = &app;
        a.create_ticket(json!({"id": "M-1", "subject": "Help", "customer": "C-1"}))
            .await;
        let path = "/api/v1/tickets/M-1/messages";

        // The first public agent reply opens a new ticket; the author defaults to the token's agent.
        let r = a.post(path, &a.agent, json!({"body": "On it."})).await;
        let reply = a.json(r, StatusCode::CREATED).await;
        assert_eq!(reply["author"], "agent:A-1");
        assert_eq!(reply["public"], true);
        assert_eq!(reply["ticket"], "M-1");
        assert_eq!(reply["ticket_status"], "open");
        assert!(
            reply["id"].as_i64().is_some() && reply["at"].is_string(),
            "{reply}"
        );

        let r = a
            .post(
                path,
                &a.agent,
                json!({"body": "VIP, be nice", "public": false}),
            )
            .await;
        assert_eq!(a.json(r, StatusCode::CREATED).await["public"], false);

        // An agent token does not write as another agent.
        let r = a
            .post(path, &a.agent, json!({"body": "hi", "author": "agent:A-2"}))
            .await;
        a.problem(r, StatusCode::FORBIDDEN, "").await;

        // Solved, then the customer answers: reopened.
        let r = a
            .patch("/api/v1/tickets/M-1", &a.agent, json!({"status": "solved"}))
            .await;
        assert_eq!(a.json(r, StatusCode::OK).await["status"], "solved");
        let r = a
            .post(
                path,
                &a.agent,
                json!({"body": "Still broken", "author": "customer:C-1"}),
            )
            .await;
        assert_eq!(
            a.json(r, StatusCode::CREATED).await["ticket_status"],
            "open"
        );
        let t = a
            .json(a.get("/api/v1/tickets/M-1", &a.agent).await, StatusCode::OK)
            .await;
        assert_eq!(t["facts"]["reopens"], 1);
        assert_eq!(t["facts"]["solves"], 1);
        assert_eq!(t["facts"]["agent_replies"], 1);
        assert!(t["facts"]["first_reply_at"].is_string());

        // Agents see the note; reporters do not.
        let all = a.json(a.get(path, &a.agent).await, StatusCode::OK).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 3);
        let mut listed_reply = reply.clone();
        listed_reply
            .as_object_mut()
            .unwrap()
            .remove("ticket_status");
        assert_eq!(
            all["items"][0], listed_reply,
            "a posted message reads back the same"
        );
        let public = a.json(a.get(path, &a.reporter).await, StatusCode::OK).await;
        let public = public["items"].as_array().unwrap();
        assert_eq!(public.len(), 2);
        assert!(public.iter().all(|m| m["public"] == true));

        // Nothing returns to new; a closed ticket takes nothing more.
        let r = a
            .patch("/api/v1/tickets/M-1", &a.agent, json!({"status": "new"}))
            .await;
        a.problem(r, StatusCode::CONFLICT, "status").await;
        let r = a
            .patch("/api/v1/tickets/M-1", &a.agent, json!({"status": "closed"}))
            .await;
        a.json(r, StatusCode::OK).await;
        let r = a.post(path, &a.agent, json!({"body": "hello?"})).await;
        a.problem(r, StatusCode::CONFLICT, "ticket").await;

        // The history of the ticket, as interchange events.
        let events = a
            .json(
                a.get("/api/v1/tickets/M-1/events", &a.reporter).await,
                StatusCode::OK,
            )
            .await;
        let events = events["items"].as_array().unwrap();
        assert_eq!(events[0]["event"]["type"], "ticket.created");
        assert!(events.iter().any(|e| e["event"]["type"] == "ticket.status"));
    }
}

const BATCH: &str = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"E-1","customer":"C-9","channel":"email","priority":"normal","subject":"Refund","tags":["refund"]}
{"type":"ticket.message","at":"2026-01-05T09:05:00Z","ticket":"E-1","author":"agent:A-2","public":true,"body":"Refunded."}

{"type":"ticket.status","at":"2026-01-05T09:06:00Z","ticket":"E-1","status":"solved","by":"agent:A-2"}
{"type":"survey.response","at":"2026-01-05T10:00:00Z","survey":"csat","score":5,"ticket":"E-1","customer":"C-9"}
"#;

#[tokio::test]
async fn event_batches_are_ingested_once() {
    for app in apps().await {
        let a = &app;
        let send = |body: &'static str, content_type: &'static str| async move {
            a.req(Method::POST, "/api/v1/events", &a.agent)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        };
        let r = send(BATCH, "application/x-ndjson").await;
        assert_eq!(
            a.json(r, StatusCode::CREATED).await,
            json!({"added": 4, "duplicates": 0})
        );
        let r = send(BATCH, "application/jsonl").await;
        assert_eq!(
            a.json(r, StatusCode::OK).await,
            json!({"added": 0, "duplicates": 4})
        );
        let t = a
            .json(a.get("/api/v1/tickets/E-1", &a.agent).await, StatusCode::OK)
            .await;
        assert_eq!(t["status"], "solved");
        assert_eq!(t["facts"]["first_reply_at"], "2026-01-05T09:05:00Z");
        assert_eq!(t["facts"]["first_reply_ms"], 300_000);

        // A bad line refuses the whole batch, naming the line and the field.
        let bad = "{\"type\":\"ticket.created\",\"at\":\"2026-01-06T09:00:00Z\",\"ticket\":\"E-2\",\"customer\":\"C-1\"}\n\
                   {\"type\":\"ticket.status\",\"at\":\"2026-01-06T09:01:00Z\",\"ticket\":\"E-2\",\"status\":\"done\"}\n";
        let r = send(bad, "text/plain; charset=utf-8").await;
        let p = a
            .problem(r, StatusCode::UNPROCESSABLE_ENTITY, "status")
            .await;
        assert_eq!(p["line"], 2);
        let r = a.get("/api/v1/tickets/E-2", &a.agent).await;
        a.problem(r, StatusCode::NOT_FOUND, "ticket").await;

        let r = send(BATCH, "application/json").await;
        a.problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type")
            .await;
        let r = send("", "application/x-ndjson").await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "body").await;
        let r = a
            .req(Method::POST, "/api/v1/events", &a.reporter)
            .header("content-type", "application/x-ndjson")
            .body(BATCH)
            .send()
            .await
            .unwrap();
        a.problem(r, StatusCode::FORBIDDEN, "").await;
    }
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field() {
    for app in apps().await {
        let a = &app;
        a.create_ticket(json!({"id": "B-1", "subject": "x", "customer": "C-1"}))
            .await;
        let raw = |method: Method, path: &'static str, body: Vec<u8>| async move {
            a.req(method, path, &a.agent)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        };
        let cases: Vec<(Response, StatusCode, &str)> = vec![
            (
                raw(Method::POST, "/api/v1/tickets", br#"{"subject": "#.to_vec()).await,
                StatusCode::BAD_REQUEST,
                "body",
            ),
            (
                raw(
                    Method::POST,
                    "/api/v1/tickets",
                    b"{\"subject\": \"\xff\xfe\", \"customer\": \"C-1\"}".to_vec(),
                )
                .await,
                StatusCode::BAD_REQUEST,
                "body",
            ),
            (
                raw(Method::POST, "/api/v1/tickets", b"[1, 2]".to_vec()).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "body",
            ),
            (
                a.post("/api/v1/tickets", &a.agent, json!({"customer": "C-1"}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "subject",
            ),
            (
                a.post("/api/v1/tickets", &a.agent, json!({"subject": "x"}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "customer",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"subject": "x", "customer": "C-1", "prority": "high"}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "prority",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"subject": "x", "customer": "C-1", "priority": "asap"}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "priority",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"subject": "x", "customer": "C-1", "channel": "pigeon"}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "channel",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"subject": "x", "customer": "C-1", "tags": ["ok", ""]}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "tags[1]",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"id": "B-1", "subject": "x", "customer": "C-1"}),
                )
                .await,
                StatusCode::CONFLICT,
                "ticket",
            ),
            (
                a.patch("/api/v1/tickets/B-1", &a.agent, json!({"status": "done"}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "status",
            ),
            (
                a.patch("/api/v1/tickets/B-1", &a.agent, json!({"kind": "rant"}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "kind",
            ),
            (
                a.patch("/api/v1/tickets/T-404", &a.agent, json!({"status": "open"}))
                    .await,
                StatusCode::NOT_FOUND,
                "ticket",
            ),
            (
                a.get("/api/v1/tickets/T-404", &a.agent).await,
                StatusCode::NOT_FOUND,
                "ticket",
            ),
            (
                a.post(
                    "/api/v1/tickets/T-404/messages",
                    &a.agent,
                    json!({"body": "hi"}),
                )
                .await,
                StatusCode::NOT_FOUND,
                "ticket",
            ),
            (
                a.post(
                    "/api/v1/tickets/B-1/messages",
                    &a.agent,
                    json!({"body": " "}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "body",
            ),
            (
                a.post(
                    "/api/v1/tickets/B-1/messages",
                    &a.agent,
                    json!({"body": "hi", "author": "robot:1"}),
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "author",
            ),
            (
                a.get("/api/v1/tickets?status=done", &a.agent).await,
                StatusCode::BAD_REQUEST,
                "status",
            ),
            (
                a.get("/api/v1/tickets?limit=0", &a.agent).await,
                StatusCode::BAD_REQUEST,
                "limit",
            ),
            (
                a.get("/api/v1/tickets?updated_since=yesterday", &a.agent)
                    .await,
                StatusCode::BAD_REQUEST,
                "updated_since",
            ),
            (
                a.get("/api/v1/tickets?stauts=open", &a.agent).await,
                StatusCode::BAD_REQUEST,
                "stauts",
            ),
            (
                a.get("/api/v1/tickets?cursor=zz", &a.agent).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "cursor",
            ),
            (
                a.req(Method::POST, "/api/v1/tickets", &a.agent)
                    .header("content-type", "text/plain")
                    .body("{}")
                    .send()
                    .await
                    .unwrap(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type",
            ),
            (
                a.post(
                    "/api/v1/tickets",
                    &a.agent,
                    json!({"subject": "x", "customer": "C-1", "body": "y".repeat(MAX_BODY)}),
                )
                .await,
                StatusCode::PAYLOAD_TOO_LARGE,
                "body",
            ),
            (
                a.req(Method::POST, "/api/v1/tickets", &a.agent)
                    .header("idempotency-key", "k".repeat(256))
                    .json(&json!({"subject": "x", "customer": "C-1"}))
                    .send()
                    .await
                    .unwrap(),
                StatusCode::BAD_REQUEST,
                "Idempotency-Key",
            ),
        ];
        for (response, status, field) in cases {
            a.problem(response, status, field).await;
        }

        // Routes and methods that do not exist are problems too.
        let r = a.get("/api/v1/nothing-here", &a.agent).await;
        let p = a.json(r, StatusCode::NOT_FOUND).await;
        assert_eq!(p["type"], "urn:sanjeh:problem:no-route");
        let r = a
            .req(Method::DELETE, "/api/v1/tickets", &a.admin)
            .send()
            .await
            .unwrap();
        let p = a.json(r, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(p["type"], "urn:sanjeh:problem:method-not-allowed");
    }
}

#[tokio::test]
async fn tokens_and_roles_guard_every_route() {
    for app in apps().await {
        let a = &app;
        // No token, a wrong one, a malformed header.
        let r = a
            .client
            .get(format!("{}/api/v1/tickets", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        a.problem(r, StatusCode::UNAUTHORIZED, "Authorization")
            .await;
        let r = a.get("/api/v1/tickets", "sjh_not-a-token").await;
        a.problem(r, StatusCode::UNAUTHORIZED, "Authorization")
            .await;

        // Reporters read but never write; agents do not manage the team.
        let r = a
            .post(
                "/api/v1/tickets",
                &a.reporter,
                json!({"subject": "x", "customer": "C-1"}),
            )
            .await;
        a.problem(r, StatusCode::FORBIDDEN, "").await;
        a.json(a.get("/api/v1/tickets", &a.reporter).await, StatusCode::OK)
            .await;
        let r = a
            .post("/api/v1/agents", &a.agent, json!({"name": "X"}))
            .await;
        a.problem(r, StatusCode::FORBIDDEN, "").await;
        let r = a.get("/api/v1/tokens", &a.agent).await;
        a.problem(r, StatusCode::FORBIDDEN, "").await;

        // Admins issue tokens (the secret once), list them, and revoke them.
        let r = a
            .post(
                "/api/v1/tokens",
                &a.admin,
                json!({"name": "bot", "role": "agent", "agent": "A-1"}),
            )
            .await;
        let issued = a.json(r, StatusCode::CREATED).await;
        let secret = issued["secret"].as_str().unwrap().to_owned();
        let id = issued["id"].as_str().unwrap().to_owned();
        a.json(a.get("/api/v1/tickets", &secret).await, StatusCode::OK)
            .await;
        let listed = a
            .json(a.get("/api/v1/tokens", &a.admin).await, StatusCode::OK)
            .await;
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == id.as_str())
        );
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("secret").is_none())
        );
        let r = a
            .req(Method::DELETE, &format!("/api/v1/tokens/{id}"), &a.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = a.get("/api/v1/tickets", &secret).await;
        a.problem(r, StatusCode::UNAUTHORIZED, "Authorization")
            .await;
        let r = a
            .req(Method::DELETE, &format!("/api/v1/tokens/{id}"), &a.admin)
            .send()
            .await
            .unwrap();
        a.problem(r, StatusCode::NOT_FOUND, "id").await;

        let r = a
            .post(
                "/api/v1/tokens",
                &a.admin,
                json!({"name": "x", "role": "root"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "role").await;
        let r = a
            .post(
                "/api/v1/tokens",
                &a.admin,
                json!({"name": "x", "role": "agent", "agent": "A-9"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "agent")
            .await;
    }
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    for app in apps().await {
        let a = &app;
        let send = |key: &'static str, body: Value| async move {
            a.req(Method::POST, "/api/v1/tickets", &a.agent)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        };
        // No id given: each attempt would make a new one; the key makes it one ticket.
        let body = json!({"subject": "Once", "customer": "C-1"});
        let first = send("k-1", body.clone()).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let location = first.headers()["location"].clone();
        let first = first.text().await.unwrap();
        let again = send("k-1", body.clone()).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()["location"], location);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.text().await.unwrap(), first);
        let all = a
            .json(a.get("/api/v1/tickets", &a.agent).await, StatusCode::OK)
            .await;
        assert_eq!(all["items"].as_array().unwrap().len(), 1);

        // The same key for a different request is refused.
        let r = send("k-1", json!({"subject": "Other", "customer": "C-1"})).await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key")
            .await;

        // Messages and profiles replay too.
        let ticket: Value = serde_json::from_str(&first).unwrap();
        let path = &format!(
            "/api/v1/tickets/{}/messages",
            ticket["id"].as_str().unwrap()
        );
        let post_message = || async move {
            let r = a
                .req(Method::POST, path, &a.agent)
                .header("Idempotency-Key", "m-1")
                .json(&json!({"body": "Hello"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        };
        let m1 = post_message().await;
        assert_eq!(m1.0, StatusCode::CREATED);
        assert_eq!(post_message().await, m1);
        let messages = a.json(a.get(path, &a.agent).await, StatusCode::OK).await;
        assert_eq!(messages["items"].as_array().unwrap().len(), 1);

        let create_agent = |key: &'static str| async move {
            let r = a
                .req(Method::POST, "/api/v1/agents", &a.admin)
                .header("Idempotency-Key", key)
                .json(&json!({"id": "A-7", "name": "Reza"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        };
        let created = create_agent("a-1").await;
        assert_eq!(created.0, StatusCode::CREATED);
        assert_eq!(create_agent("a-1").await, created);
        // A new key for an id that exists: a conflict, and the same conflict when retried.
        let conflict = create_agent("a-2").await;
        assert_eq!(conflict.0, StatusCode::CONFLICT);
        assert_eq!(create_agent("a-2").await, conflict);
    }
}

#[tokio::test]
async fn agents_groups_and_customers_are_recorded_profiles() {
    for app in apps().await {
        let a = &app;
        let r = a
            .post(
                "/api/v1/groups",
                &a.admin,
                json!({"id": "billing", "name": "Billing"}),
            )
            .await;
        assert_eq!(r.headers()["location"], "/api/v1/groups/billing");
        a.json(r, StatusCode::CREATED).await;
        let r = a
            .post(
                "/api/v1/groups",
                &a.admin,
                json!({"id": "billing", "name": "B"}),
            )
            .await;
        a.problem(r, StatusCode::CONFLICT, "id").await;
        let g = a
            .json(
                a.get("/api/v1/groups/billing", &a.agent).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(g, json!({"id": "billing", "name": "Billing"}));

        let r = a
            .post(
                "/api/v1/agents",
                &a.admin,
                json!({"name": "Olga", "email": "olga@example.com", "groups": ["billing"], "role": "manager"}),
            )
            .await;
        let agent = a.json(r, StatusCode::CREATED).await;
        let id = agent["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("A-"));
        assert_eq!(agent["groups"], json!(["billing"]));
        assert_eq!(agent["active"], true);
        let path = format!("/api/v1/agents/{id}");
        let read = a
            .json(a.get(&path, &a.reporter).await, StatusCode::OK)
            .await;
        assert_eq!(read, agent);
        let r = a.patch(&path, &a.admin, json!({"active": false})).await;
        let changed = a.json(r, StatusCode::OK).await;
        assert_eq!(changed["active"], false);
        assert_eq!(changed["name"], "Olga", "unchanged fields are kept");
        assert_eq!(
            a.json(a.get(&path, &a.agent).await, StatusCode::OK).await,
            changed
        );
        let r = a
            .post(
                "/api/v1/agents",
                &a.admin,
                json!({"name": "X", "role": "boss"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "role").await;
        let r = a
            .post(
                "/api/v1/agents",
                &a.admin,
                json!({"name": "X", "email": "nope"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "email")
            .await;
        let agents = a
            .json(a.get("/api/v1/agents", &a.agent).await, StatusCode::OK)
            .await;
        assert_eq!(agents["items"].as_array().unwrap().len(), 2);

        let r = a
            .post(
                "/api/v1/customers",
                &a.agent,
                json!({"id": "C-1", "name": "Ali", "language": "fa", "lifecycle": "active"}),
            )
            .await;
        let c = a.json(r, StatusCode::CREATED).await;
        assert_eq!(c["lifecycle"], "active");
        let r = a
            .patch(
                "/api/v1/customers/C-1",
                &a.agent,
                json!({"email": "ali@example.ir"}),
            )
            .await;
        let c = a.json(r, StatusCode::OK).await;
        assert_eq!(c["name"], "Ali");
        assert_eq!(c["email"], "ali@example.ir");
        assert_eq!(c["lifecycle"], "active");
        let read = a
            .json(
                a.get("/api/v1/customers/C-1", &a.reporter).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(read, c);
        let r = a
            .patch("/api/v1/customers/C-404", &a.agent, json!({"name": "x"}))
            .await;
        a.problem(r, StatusCode::NOT_FOUND, "id").await;
        for i in 2..=4 {
            a.post(
                "/api/v1/customers",
                &a.agent,
                json!({"id": format!("C-{i}")}),
            )
            .await;
        }
        let page = a
            .json(
                a.get("/api/v1/customers?limit=3", &a.agent).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 3);
        let next = page["next_cursor"].as_str().unwrap();
        let rest = a
            .json(
                a.get(
                    &format!("/api/v1/customers?limit=3&cursor={next}"),
                    &a.agent,
                )
                .await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next_cursor"].is_null());
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    for app in apps().await {
        let a = &app;
        let r = a
            .client
            .get(format!("{}/healthz", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "ok");
        let r = a
            .client
            .get(format!("{}/readyz", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("x-request-id"));

        a.json(
            a.get("/api/v1/tickets/T-404", &a.agent).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let r = a
            .client
            .get(format!("{}/metrics", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        assert!(
            text.lines().any(|l| l.starts_with("http_requests_total{")
                && l.contains(r#"route="/api/v1/tickets/{id}""#)
                && l.contains(r#"status="404""#)),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{"),
            "{text}"
        );

        // Once the database is gone, the instance is not ready (but still alive).
        a.store.close().await;
        let r = a
            .client
            .get(format!("{}/readyz", a.base))
            .send()
            .await
            .unwrap();
        a.problem(r, StatusCode::SERVICE_UNAVAILABLE, "").await;
        let r = a
            .client
            .get(format!("{}/healthz", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
