//! Inbound mail's attachments and inline images, kept in the store (`mail_blobs`, once per
//! content) and listed on their ticket:
//!
//! - `GET /api/v1/tickets/{id}/attachments`: the listing (admin, agent);
//! - `GET /api/v1/tickets/{id}/attachments/{attachment_id}`: the bytes (admin, agent), with
//!   the sniffed type when it is a safe one (images, PDF) else `application/octet-stream`,
//!   `Content-Disposition: attachment` except for safe inline images, `nosniff`, and a
//!   sandboxing CSP. The policy is `sanjeh_email::attachments::serving`, for the portal too.

use crate::auth::Worker;
use crate::error::ApiError;
use crate::extract::IdPath;
use crate::ids::path_segment;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use sanjeh_domain::Id;
use sanjeh_email::attachments::serving;
use sanjeh_store::mail::AttachmentRow;
use serde::Serialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}/attachments", get(list))
        .route("/tickets/{id}/attachments/{attachment_id}", get(download))
}

#[derive(Debug, Serialize)]
struct AttachmentDto {
    id: i64,
    /// The ticket message it came with (`messages` id).
    message: Option<i64>,
    filename: Option<String>,
    /// What the mail said it is.
    declared_type: String,
    /// What its bytes say it is, when recognised.
    sniffed_type: Option<String>,
    size: i64,
    inline: bool,
    content_id: Option<String>,
    /// False when it was over the size limit: listed, not kept.
    stored: bool,
    /// Where its bytes are served (absent when not stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Debug, Serialize)]
struct ListDto {
    items: Vec<AttachmentDto>,
}

fn dto(row: AttachmentRow) -> AttachmentDto {
    let url = row.sha256.as_ref().map(|_| {
        format!(
            "/api/v1/tickets/{}/attachments/{}",
            path_segment(&row.ticket),
            row.id
        )
    });
    AttachmentDto {
        id: row.id,
        message: row.message,
        filename: row.filename,
        declared_type: row.declared_type,
        sniffed_type: row.sniffed_type,
        size: row.size,
        inline: row.inline,
        content_id: row.content_id,
        stored: row.sha256.is_some(),
        url,
    }
}

async fn ticket_exists(state: &AppState, id: &Id) -> Result<(), ApiError> {
    match state.store().ticket(id.as_str()).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(
            "id",
            format!("ticket {id} does not exist"),
        )),
    }
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn list(
    State(state): State<AppState>,
    _: Worker,
    IdPath(id): IdPath,
) -> Result<Json<ListDto>, ApiError> {
    ticket_exists(&state, &id).await?;
    let rows = state.store().ticket_attachments(id.as_str()).await?;
    Ok(Json(ListDto {
        items: rows.into_iter().map(dto).collect(),
    }))
}

#[tracing::instrument(skip_all)]
async fn download(
    State(state): State<AppState>,
    _: Worker,
    Path((ticket, attachment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ticket = Id::parse("id", &ticket)
        .map_err(|e| ApiError::not_found("id", format!("no such id: {}", e.message)))?;
    let not_found = || {
        ApiError::not_found(
            "attachment_id",
            format!("ticket {ticket} has no attachment {attachment}"),
        )
    };
    let attachment_id: i64 = attachment.parse().map_err(|_| not_found())?;
    ticket_exists(&state, &ticket).await?;
    let (row, bytes) = state
        .store()
        .ticket_attachment(ticket.as_str(), attachment_id)
        .await?
        .ok_or_else(not_found)?;
    let Some(bytes) = bytes else {
        return Err(ApiError::not_found(
            "attachment_id",
            format!(
                "attachment {attachment_id} was over the size limit ({} bytes) and not kept",
                row.size
            ),
        ));
    };
    let how = serving(
        row.sniffed_type.as_deref(),
        row.inline,
        row.filename.as_deref(),
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(how.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&how.disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    } else {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use crate::state::{AppState, WebOptions};
    use axum::body::Body;
    use axum::http::Request;
    use sanjeh_store::Writer;
    use serde_json::Value;
    use tower::ServiceExt;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn mail() -> String {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        format!(
            "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Files\r\nMessage-ID: <files-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee files.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=\"shot.png\"\r\nContent-ID: <shot@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"page.html\"\r\n\r\n<script>alert(1)</script>\r\n--b--\r\n",
            b64(PNG)
        )
    }

    async fn get(app: &axum::Router, token: &str, path: &str) -> axum::response::Response {
        app.clone()
            .oneshot(
                Request::get(path)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    }

    async fn body(r: axum::response::Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn attachments_are_listed_and_served_with_safe_headers() {
        let db = sanjeh_testkit::fresh_sqlite();
        let store = sanjeh_testkit::open(&db).await;
        store
            .set_mailbox("support@sanjeh.test", Some("G-1"), 0)
            .await
            .unwrap();
        let (_, sanjeh_store::auth::Secret(agent)) = store
            .issue_token("agent", sanjeh_store::auth::Role::Agent, None)
            .await
            .unwrap();
        let (_, sanjeh_store::auth::Secret(reporter)) = store
            .issue_token("reporter", sanjeh_store::auth::Role::Reporter, None)
            .await
            .unwrap();
        let writer = Writer::start(store.clone(), None);
        let app = crate::router(AppState::new(store.clone(), writer, WebOptions::default()));
        let r = app
            .clone()
            .oneshot(
                Request::post("/api/v1/mail/raw")
                    .header("authorization", format!("Bearer {agent}"))
                    .header("content-type", "message/rfc822")
                    .body(Body::from(mail()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: Value = serde_json::from_slice(&body(r).await).unwrap();
        let ticket = created["ticket"].as_str().unwrap().to_owned();

        let r = get(
            &app,
            &agent,
            &format!("/api/v1/tickets/{ticket}/attachments"),
        )
        .await;
        assert_eq!(r.status(), 200);
        let list: Value = serde_json::from_slice(&body(r).await).unwrap();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{list}");
        let png = items.iter().find(|a| a["filename"] == "shot.png").unwrap();
        let html = items.iter().find(|a| a["filename"] == "page.html").unwrap();
        assert_eq!(png["stored"], true);

        // A safe inline image: its own type, inline.
        let r = get(&app, &agent, png["url"].as_str().unwrap()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline; filename=\"shot.png\"")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(body(r).await, PNG);

        // HTML is never served as HTML: octet-stream, attachment.
        let r = get(&app, &agent, html["url"].as_str().unwrap()).await;
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");

        // Reporters may not; another ticket's path, a bad id and an unknown id are 404s.
        let url = png["url"].as_str().unwrap();
        assert_eq!(get(&app, &reporter, url).await.status(), 403);
        let id = png["id"].as_i64().unwrap();
        assert_eq!(
            get(
                &app,
                &agent,
                &format!("/api/v1/tickets/T-nope/attachments/{id}")
            )
            .await
            .status(),
            404
        );
        for bad in ["x", "999999"] {
            let r = get(
                &app,
                &agent,
                &format!("/api/v1/tickets/{ticket}/attachments/{bad}"),
            )
            .await;
            assert_eq!(r.status(), 404);
            let p: Value = serde_json::from_slice(&body(r).await).unwrap();
            assert_eq!(p["field"], "attachment_id", "{p}");
        }

        // The customer's JSON carries her bounces (none yet).
        let customer = store
            .customer_by_email("ann@example.com")
            .await
            .unwrap()
            .unwrap();
        let r = get(&app, &agent, &format!("/api/v1/customers/{customer}")).await;
        let c: Value = serde_json::from_slice(&body(r).await).unwrap();
        assert_eq!(c["email_bounces"]["count"], 0, "{c}");
        store
            .record_bounce(&sanjeh_store::mail::BounceRecord {
                address: "ann@example.com".into(),
                customer: Some(customer.clone()),
                message_id: "b-1@mx".into(),
                reason: Some("smtp; 550 5.1.1 User unknown".into()),
                original_message_id: None,
                at: 1_767_603_600_000,
            })
            .await
            .unwrap();
        let r = get(&app, &agent, &format!("/api/v1/customers/{customer}")).await;
        let c: Value = serde_json::from_slice(&body(r).await).unwrap();
        assert_eq!(c["email_bounces"]["count"], 1, "{c}");
        assert_eq!(c["email_bounces"]["last_at"], "2026-01-05T09:00:00Z");
        assert_eq!(
            c["email_bounces"]["last_reason"],
            "smtp; 550 5.1.1 User unknown"
        );
        let r = get(&app, &agent, "/api/v1/customers").await;
        let page: Value = serde_json::from_slice(&body(r).await).unwrap();
        assert_eq!(page["items"][0]["email_bounces"]["count"], 1, "{page}");
    }
}
