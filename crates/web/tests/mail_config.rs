//! The mail configuration routes over real HTTP: the app is spawned on 127.0.0.1:0 against a
//! fresh SQLite file and, when `SANJEH_TEST_POSTGRES_URL` is set, a fresh PostgreSQL database
//! (the harness in `common/`). Mailboxes, the outbound relay, the inbound limits, the
//! outbound queue and its retry; passwords are never echoed; only an admin may touch them.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use sanjeh_store::mail::NewOutbound;
use sanjeh_web::WebOptions;
use serde_json::{Value, json};

async fn apps() -> Vec<TestApp> {
    common::apps(WebOptions {
        max_body_bytes: 64 * 1024,
    })
    .await
}

fn assert_no_secret(backend: &str, body: &Value) {
    let text = body.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("relay-pass"),
        "[{backend}] password echoed: {text}"
    );
}

#[tokio::test]
async fn mailboxes_are_added_replaced_listed_and_removed() {
    for a in apps().await {
        let path = "/api/v1/mail/mailboxes/Support@Example.com";
        let imap =
            json!({"url": "imaps://imap.example.com", "user": "support", "password": "s3cret"});
        let created = a
            .json(
                a.admin_put(path, json!({"group": "G-support", "imap": imap}))
                    .await,
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(created["address"], "support@example.com", "[{}]", a.backend);
        assert_eq!(created["group"], "G-support");
        assert_eq!(created["imap"]["password_set"], true, "[{}]", a.backend);
        assert_eq!(created["imap"]["folder"], "INBOX");
        assert_no_secret(a.backend, &created);

        // Replaced without a password: the stored one is kept, and the answer is 200.
        let replaced = a
            .json(
                a.admin_put(
                    "/api/v1/mail/mailboxes/support@example.com",
                    json!({"group": "G-billing", "imap": {"url": "imap://127.0.0.1:1143", "user": "support", "tls": "plain"}}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(replaced["group"], "G-billing", "[{}]", a.backend);
        assert_eq!(replaced["imap"]["password_set"], true, "[{}]", a.backend);
        assert_no_secret(a.backend, &replaced);
        let stored = a.store.mailbox_configs().await.unwrap();
        assert_eq!(stored.len(), 1, "[{}]", a.backend);
        assert!(
            stored[0].imap.as_deref().unwrap().contains("s3cret"),
            "[{}] the password is kept for the poller",
            a.backend
        );

        // A mailbox without IMAP (mail arrives over SMTP).
        a.json(
            a.admin_put("/api/v1/mail/mailboxes/sales@example.com", json!({}))
                .await,
            StatusCode::CREATED,
        )
        .await;

        let one = a.json(a.admin_get(path).await, StatusCode::OK).await;
        assert_eq!(
            one["imap"]["url"], "imap://127.0.0.1:1143",
            "[{}]",
            a.backend
        );
        assert_no_secret(a.backend, &one);
        let list = a
            .json(a.admin_get("/api/v1/mail/mailboxes").await, StatusCode::OK)
            .await;
        let addresses: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["address"].as_str().unwrap())
            .collect();
        assert_eq!(
            addresses,
            ["sales@example.com", "support@example.com"],
            "[{}]",
            a.backend
        );
        assert_no_secret(a.backend, &list);

        let r = a.send(Method::DELETE, path, &a.admin, None).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{}]", a.backend);
        a.problem(a.admin_get(path).await, StatusCode::NOT_FOUND, "address")
            .await;
        a.problem(
            a.send(Method::DELETE, path, &a.admin, None).await,
            StatusCode::NOT_FOUND,
            "address",
        )
        .await;
        assert_eq!(a.store.mailbox_configs().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn bad_mailboxes_are_problems_naming_the_field_and_write_nothing() {
    for a in apps().await {
        let path = "/api/v1/mail/mailboxes/support@example.com";
        let cases = [
            (
                json!({"imap": {"url": "ftp://imap.example.com", "user": "u", "password": "p"}}),
                "imap.url",
            ),
            (
                json!({"imap": {"url": "imap.example.com", "user": "u", "password": "p"}}),
                "imap.url",
            ),
            (
                json!({"imap": {"url": "imaps://imap.example.com:99999", "user": "u", "password": "p"}}),
                "imap.url",
            ),
            (
                json!({"imap": {"url": "imaps://imap.example.com", "user": " ", "password": "p"}}),
                "imap.user",
            ),
            (
                json!({"imap": {"url": "imaps://imap.example.com", "user": "u"}}),
                "imap.password",
            ),
            (
                json!({"imap": {"url": "imaps://imap.example.com", "user": "u", "password": "p", "after": "move"}}),
                "imap.move_to",
            ),
            (json!({"group": " G-1"}), "group"),
        ];
        for (body, field) in cases {
            let p = a
                .problem(
                    a.admin_put(path, body.clone()).await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    field,
                )
                .await;
            assert_no_secret(a.backend, &p);
        }
        a.problem(
            a.admin_put("/api/v1/mail/mailboxes/not-an-address", json!({}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "address",
        )
        .await;
        assert!(
            a.store.mailbox_configs().await.unwrap().is_empty(),
            "[{}] a bad mailbox was written",
            a.backend
        );
    }
}

#[tokio::test]
async fn outbound_and_inbound_settings_are_read_and_replaced() {
    for a in apps().await {
        a.problem(
            a.admin_get("/api/v1/mail/outbound").await,
            StatusCode::NOT_FOUND,
            "outbound",
        )
        .await;
        let relay = json!({"host": "smtp.example.com", "from": "Support@Example.com",
            "user": "sanjeh", "password": "relay-pass"});
        let saved = a
            .json(
                a.admin_put("/api/v1/mail/outbound", relay).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(saved["password_set"], true, "[{}]", a.backend);
        assert_eq!(saved["port"], 587, "[{}] starttls by default", a.backend);
        assert_eq!(saved["from"], "support@example.com");
        assert_no_secret(a.backend, &saved);
        let read = a
            .json(a.admin_get("/api/v1/mail/outbound").await, StatusCode::OK)
            .await;
        assert_eq!(read, saved, "[{}]", a.backend);
        a.problem(
            a.admin_put(
                "/api/v1/mail/outbound",
                json!({"host": "smtp.example.com", "from": "support@example.com", "max_attempts": 0}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "max_attempts",
        )
        .await;
        a.problem(
            a.admin_put(
                "/api/v1/mail/outbound",
                json!({"host": "a b", "from": "support@example.com"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "host",
        )
        .await;
        let still = a
            .json(a.admin_get("/api/v1/mail/outbound").await, StatusCode::OK)
            .await;
        assert_eq!(still, saved, "[{}] a bad relay was written", a.backend);

        let defaults = a
            .json(a.admin_get("/api/v1/mail/inbound").await, StatusCode::OK)
            .await;
        assert!(
            defaults["rate_limit"].as_i64().unwrap() >= 1,
            "[{}]",
            a.backend
        );
        let changed = a
            .json(
                a.admin_put(
                    "/api/v1/mail/inbound",
                    json!({"rate_limit": 7, "own_addresses": ["noreply@example.com"]}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(changed["rate_limit"], 7, "[{}]", a.backend);
        assert_eq!(
            changed["max_message_bytes"], defaults["max_message_bytes"],
            "[{}] unnamed fields keep their defaults",
            a.backend
        );
        let read = a
            .json(a.admin_get("/api/v1/mail/inbound").await, StatusCode::OK)
            .await;
        assert_eq!(read, changed, "[{}]", a.backend);
        a.problem(
            a.admin_put("/api/v1/mail/inbound", json!({"rate_limit": 0}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "rate_limit",
        )
        .await;
        a.problem(
            a.admin_put("/api/v1/mail/inbound", json!({"rate_limt": 5}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "rate_limt",
        )
        .await;
    }
}

fn outgoing(n: usize) -> NewOutbound {
    NewOutbound {
        source: format!("event:{n}"),
        ticket: format!("T-{n}"),
        message_id: format!("<out-{n}@example.com>"),
        sender: "support@example.com".into(),
        recipient: format!("customer{n}@example.com"),
        subject_key: format!("order {n}"),
        message: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
        kind: "reply",
    }
}

#[tokio::test]
async fn the_queue_is_listed_filtered_and_failed_mail_retried() {
    for a in apps().await {
        let t0 = 1_790_000_000_000;
        a.store
            .enqueue_mail("outbound", 3, &[outgoing(1), outgoing(2), outgoing(3)], t0)
            .await
            .unwrap();
        let ids: Vec<i64> = a
            .store
            .mail_queue(None, 10)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        let (third, second, first) = (ids[0], ids[1], ids[2]);
        a.store.mail_sent(first, t0 + 1_000).await.unwrap();
        a.store
            .mail_attempt_failed(second, "550 no such user", None, t0 + 2_000)
            .await
            .unwrap();

        let all = a
            .json(a.admin_get("/api/v1/mail/queue").await, StatusCode::OK)
            .await;
        let statuses: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["queued", "failed", "sent"],
            "[{}] {all}",
            a.backend
        );
        assert_eq!(all["items"][1]["last_error"], "550 no such user");
        assert_eq!(all["items"][1]["attempts"], 1);
        assert_eq!(all["items"][2]["recipient"], "customer1@example.com");
        for (status, id) in [("queued", third), ("failed", second), ("sent", first)] {
            let only = a
                .json(
                    a.admin_get(&format!("/api/v1/mail/queue?status={status}"))
                        .await,
                    StatusCode::OK,
                )
                .await;
            let items = only["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "[{}] {status}: {only}", a.backend);
            assert_eq!(items[0]["id"], id, "[{}] {status}", a.backend);
        }
        let limited = a
            .json(
                a.admin_get("/api/v1/mail/queue?limit=2").await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(limited["items"].as_array().unwrap().len(), 2);
        a.problem(
            a.admin_get("/api/v1/mail/queue?status=lost").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "status",
        )
        .await;
        a.problem(
            a.admin_get("/api/v1/mail/queue?limit=0").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        )
        .await;

        // Retry: a failed mail is queued again, due now; a queued one answers the same.
        let retry = |id: i64| format!("/api/v1/mail/queue/{id}/retry");
        let again = a
            .json(
                a.send(Method::POST, &retry(second), &a.admin, None).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(again["status"], "queued", "[{}] {again}", a.backend);
        assert_eq!(again["last_error"], "550 no such user");
        let due = a
            .store
            .due_mail(jiff::Timestamp::now().as_millisecond(), 10)
            .await
            .unwrap();
        assert!(
            due.iter().any(|m| m.id == second),
            "[{}] not due",
            a.backend
        );
        let same = a
            .json(
                a.send(Method::POST, &retry(second), &a.admin, None).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(same["status"], "queued");
        a.problem(
            a.send(Method::POST, &retry(first), &a.admin, None).await,
            StatusCode::CONFLICT,
            "id",
        )
        .await;
        a.problem(
            a.send(Method::POST, &retry(999_999), &a.admin, None).await,
            StatusCode::NOT_FOUND,
            "id",
        )
        .await;
        a.problem(
            a.send(Method::POST, "/api/v1/mail/queue/abc/retry", &a.admin, None)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "id",
        )
        .await;
    }
}

#[tokio::test]
async fn only_an_admin_touches_the_mail_configuration() {
    for a in apps().await {
        a.store
            .enqueue_mail("outbound", 1, &[outgoing(1)], 1_790_000_000_000)
            .await
            .unwrap();
        let id = a.store.mail_queue(None, 1).await.unwrap()[0].id;
        let mailbox = "/api/v1/mail/mailboxes/support@example.com";
        let retry = format!("/api/v1/mail/queue/{id}/retry");
        let calls: [(Method, &str, Option<Value>); 10] = [
            (Method::GET, "/api/v1/mail/mailboxes", None),
            (Method::GET, mailbox, None),
            (Method::PUT, mailbox, Some(json!({}))),
            (Method::DELETE, mailbox, None),
            (Method::GET, "/api/v1/mail/outbound", None),
            (
                Method::PUT,
                "/api/v1/mail/outbound",
                Some(json!({"host": "smtp.example.com", "from": "support@example.com"})),
            ),
            (Method::GET, "/api/v1/mail/inbound", None),
            (
                Method::PUT,
                "/api/v1/mail/inbound",
                Some(json!({"rate_limit": 3})),
            ),
            (Method::GET, "/api/v1/mail/queue", None),
            (Method::POST, &retry, None),
        ];
        for (method, path, body) in calls {
            let r = a.send(method.clone(), path, &a.agent, body).await;
            a.problem(r, StatusCode::FORBIDDEN, "").await;
        }
        assert!(a.store.mailbox_configs().await.unwrap().is_empty());
        assert!(a.store.mail_setting("outbound").await.unwrap().is_none());
        assert!(a.store.mail_setting("inbound").await.unwrap().is_none());
        let r = a.admin_get("/api/v1/mail/mailboxes").await;
        a.json(r, StatusCode::OK).await;
    }
}

/// The lease upsert decides which node polls a mailbox (`mail_leases`): same holder renews,
/// another holder waits until it expires.
#[tokio::test]
async fn a_mailbox_lease_is_held_by_one_node_until_it_expires() {
    for a in apps().await {
        let s = &a.store;
        let name = "imap:support@example.com";
        assert!(
            s.take_mail_lease(name, "node-a", 2_000, 1_000)
                .await
                .unwrap(),
            "[{}]",
            a.backend
        );
        assert!(
            !s.take_mail_lease(name, "node-b", 2_500, 1_500)
                .await
                .unwrap(),
            "[{}]",
            a.backend
        );
        assert!(
            s.take_mail_lease(name, "node-a", 3_000, 1_600)
                .await
                .unwrap(),
            "[{}] renewal",
            a.backend
        );
        assert!(
            !s.take_mail_lease(name, "node-b", 3_500, 2_999)
                .await
                .unwrap(),
            "[{}]",
            a.backend
        );
        assert!(
            s.take_mail_lease(name, "node-b", 4_000, 3_000)
                .await
                .unwrap(),
            "[{}] expired",
            a.backend
        );
        assert!(
            !s.take_mail_lease(name, "node-a", 4_500, 3_100)
                .await
                .unwrap(),
            "[{}]",
            a.backend
        );
        s.release_mail_lease(name, "node-a").await.unwrap();
        assert!(
            !s.take_mail_lease(name, "node-a", 4_500, 3_100)
                .await
                .unwrap(),
            "[{}] not a's to release",
            a.backend
        );
        s.release_mail_lease(name, "node-b").await.unwrap();
        assert!(
            s.take_mail_lease(name, "node-a", 5_000, 3_200)
                .await
                .unwrap(),
            "[{}] released",
            a.backend
        );
    }
}
