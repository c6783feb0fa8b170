//! Files sent with a ticket message over real HTTP (`"attachments"` of
//! `POST /api/v1/tickets/{id}/messages`), on a fresh SQLite file and, with
//! `SANJEH_TEST_POSTGRES_URL`, a fresh PostgreSQL database: stored with the message and listed
//! on the ticket, served back byte for byte, listed in the message's text so the event
//! exports and imports as any message; bad input is a problem naming the field, and writes
//! nothing.

mod common;

use base64::Engine;
use common::TestApp;
use reqwest::{Method, StatusCode};
use sanjeh_testkit::{TestDb, fresh_databases, fresh_sqlite};
use sanjeh_web::WebOptions;
use serde_json::json;

/// The app with the default 4 MiB request limit.
async fn spawn(db: TestDb) -> TestApp {
    TestApp::spawn(
        db,
        WebOptions {
            max_body_bytes: 4 * 1024 * 1024,
        },
    )
    .await
}

impl TestApp {
    async fn ticket(&self, id: &str) {
        let r = self
            .send(
                Method::POST,
                "/api/v1/tickets",
                &self.agent,
                json!({"id": id, "subject": "Invoice", "channel": "email", "customer": "C-1",
                       "body": "Where is my invoice?"}),
            )
            .await;
        self.json(r, StatusCode::CREATED).await;
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A small PDF and a PNG header: sniffable types, one with a non-ASCII name.
fn files() -> (Vec<u8>, Vec<u8>) {
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..=255u8).cycle().take(3000));
    (pdf, png)
}

#[tokio::test]
async fn a_reply_stores_its_files_lists_them_and_serves_them_back() {
    for db in fresh_databases().await {
        let app = spawn(db).await;
        app.ticket("T-1").await;
        let (pdf, png) = files();
        let r = app
            .send(
                Method::POST,
                "/api/v1/tickets/T-1/messages",
                &app.agent,
                json!({"body": "Here is your invoice.", "attachments": [
                    {"filename": "счёт-1.pdf", "content_type": "application/pdf",
                     "content_base64": b64(&pdf)},
                    // Line-wrapped base64, no content type: the sniffed one is taken.
                    {"filename": "screen.png",
                     "content_base64": b64(&png).as_bytes().chunks(76)
                        .map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n")}
                ]}),
            )
            .await;
        let posted = app.json(r, StatusCode::CREATED).await;
        let message = posted["id"].as_i64().unwrap();
        assert_eq!(
            posted["body"],
            format!(
                "Here is your invoice.\n\nAttachments:\n- счёт-1.pdf (application/pdf, {} bytes)\n- screen.png (image/png, {} bytes)",
                pdf.len(),
                png.len()
            ),
            "[{}]",
            app.backend
        );

        let r = app.get("/api/v1/tickets/T-1/attachments", &app.agent).await;
        let listed = app.json(r, StatusCode::OK).await;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "[{}] {listed}", app.backend);
        assert_eq!(items[0]["filename"], "счёт-1.pdf");
        assert_eq!(items[0]["declared_type"], "application/pdf");
        assert_eq!(items[0]["sniffed_type"], "application/pdf");
        assert_eq!(items[1]["declared_type"], "image/png");
        for (item, bytes) in items.iter().zip([&pdf, &png]) {
            assert_eq!(item["message"], message, "[{}] {item}", app.backend);
            assert_eq!(item["size"], bytes.len());
            assert_eq!(item["stored"], true);
            let r = app.get(item["url"].as_str().unwrap(), &app.agent).await;
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());
        }
        // The same file again is stored once.
        let r = app
            .send(
                Method::POST,
                "/api/v1/tickets/T-1/messages",
                &app.agent,
                json!({"body": "Again.", "public": false, "attachments": [
                    {"filename": "copy.pdf", "content_type": "application/pdf",
                     "content_base64": b64(&pdf)}]}),
            )
            .await;
        app.json(r, StatusCode::CREATED).await;
        assert_eq!(app.store.mail_blob_count().await.unwrap(), 2);

        // The message event is an ordinary `ticket.message`: another store imports it.
        let r = app.get("/api/v1/tickets/T-1/events", &app.agent).await;
        let events = app.json(r, StatusCode::OK).await;
        let lines: Vec<String> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].to_string())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("\"ticket.message\"") && l.contains("счёт-1.pdf")),
            "[{}] {lines:?}",
            app.backend
        );
        let other = spawn(fresh_sqlite()).await;
        let r = other
            .client
            .post(format!("{}/api/v1/events", other.base))
            .bearer_auth(&other.admin)
            .header("content-type", "application/x-ndjson")
            .body(lines.join("\n"))
            .send()
            .await
            .unwrap();
        other.json(r, StatusCode::CREATED).await;
        let r = other
            .get("/api/v1/tickets/T-1/messages", &other.agent)
            .await;
        let imported = other.json(r, StatusCode::OK).await;
        assert!(
            imported["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["body"] == posted["body"]),
            "{imported}"
        );
    }
}

#[tokio::test]
async fn bad_files_are_problems_naming_the_field_and_write_nothing() {
    for db in fresh_databases().await {
        let app = spawn(db).await;
        app.ticket("T-1").await;
        // A lower attachment limit, to test it without megabytes.
        let r = app
            .send(
                Method::PUT,
                "/api/v1/mail/inbound",
                &app.admin,
                json!({"max_message_bytes": 4096, "max_attachment_bytes": 2048}),
            )
            .await;
        app.json(r, StatusCode::OK).await;
        let good = json!({"filename": "a.txt", "content_type": "text/plain",
                          "content_base64": b64(b"hello")});
        let cases = [
            (
                json!([good, {"filename": "b.txt", "content_base64": "not*base64"}]),
                "attachments[1].content_base64",
            ),
            (
                json!([{"content_base64": b64(b"x")}]),
                "attachments[0].filename",
            ),
            (
                json!([good, good, {"filename": "../../etc/passwd", "content_base64": b64(b"x")}]),
                "attachments[2].filename",
            ),
            (
                json!([{"filename": "a", "content_type": "text/plain; charset=koi8-r",
                        "content_base64": b64(b"x")}]),
                "attachments[0].content_type",
            ),
            (json!([{"filename": "a"}]), "attachments[0].content_base64"),
            (
                json!([{"filename": "big.bin", "content_base64": b64(&[7u8; 2049])}]),
                "attachments[0].content_base64",
            ),
            (
                json!([{"filename": "a.bin", "content_base64": b64(&[1u8; 2000])},
                       {"filename": "b.bin", "content_base64": b64(&[2u8; 2000])},
                       {"filename": "c.bin", "content_base64": b64(&[3u8; 2000])}]),
                "attachments",
            ),
        ];
        for (attachments, field) in cases {
            let r = app
                .send(
                    Method::POST,
                    "/api/v1/tickets/T-1/messages",
                    &app.agent,
                    json!({"body": "See attached.", "attachments": attachments}),
                )
                .await;
            app.problem(r, StatusCode::UNPROCESSABLE_ENTITY, field)
                .await;
        }
        let r = app.get("/api/v1/tickets/T-1/messages", &app.agent).await;
        let messages = app.json(r, StatusCode::OK).await;
        assert_eq!(
            messages["items"].as_array().unwrap().len(),
            1,
            "[{}]",
            app.backend
        );
        assert_eq!(app.store.mail_blob_count().await.unwrap(), 0);
        let r = app.get("/api/v1/tickets/T-1/attachments", &app.agent).await;
        assert_eq!(app.json(r, StatusCode::OK).await["items"], json!([]));
    }
}
