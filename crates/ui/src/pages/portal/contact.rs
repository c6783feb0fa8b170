//! The anonymous contact form: an address, a subject and a message open a ticket on the web
//! channel, and a sign-in link to follow it is mailed to the address.
//!
//! An address no customer has becomes a new customer when `PortalOptions::create_customers`
//! is on (its id derived from the address and recorded under an idempotency key, so two
//! first messages racing each other make one customer). When it is off, only known customers'
//! messages become tickets. The answer is the same page in every case. The form carries a
//! double-submit CSRF token, and tickets per client address are limited.

use super::mail::Purpose;
use super::signin::{mail_link, parse_address};
use super::tickets::{kinds_of, new_ticket_id, ticket_fields, web_ticket};
use super::{PortalPage, anonymous_csrf, check_anonymous_csrf, ticket_path, within_limit};
use crate::Ui;
use crate::client::ClientAddr;
use crate::error::UiError;
use crate::pages::render;
use crate::session::{now_ms, request_lang};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use sanjeh_domain::event::CustomerProfile;
use sanjeh_domain::{EventBody, Id};
use sanjeh_store::writer::IdempotencyKey;
use sanjeh_store::{Request, StoreError};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub(super) fn routes() -> Router<Ui> {
    Router::new().route("/portal/contact", get(contact_page).post(contact))
}

const CONTACTS_PER_CLIENT: &str = "portal-contact-client";
/// The longest name accepted, in characters.
const MAX_NAME_CHARS: usize = 200;

#[derive(Template)]
#[template(path = "portal_contact.html")]
struct ContactTemplate {
    page: PortalPage,
    csrf: String,
    form: ContactForm,
    kinds: Vec<super::tickets::KindChoice>,
    error: Option<String>,
    sent: bool,
}

#[derive(Deserialize, Default)]
struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
}

fn contact_form(
    ui: &Ui,
    headers: &HeaderMap,
    status: StatusCode,
    form: ContactForm,
    error_key: Option<&'static str>,
    sent: bool,
) -> Response {
    let lang = request_lang(headers);
    let (csrf, set) = anonymous_csrf(headers, ui.options.secure_cookies);
    let page = PortalPage::new(ui, lang, None, "portal-contact-title", "/portal/contact");
    let template = ContactTemplate {
        kinds: kinds_of(&page),
        csrf,
        form,
        error: error_key.map(|k| lang.t(k)),
        sent,
        page,
    };
    let mut response = render(&template);
    *response.status_mut() = status;
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

async fn contact_page(State(ui): State<Ui>, headers: HeaderMap) -> Response {
    contact_form(
        &ui,
        &headers,
        StatusCode::OK,
        ContactForm::default(),
        None,
        false,
    )
}

/// Opens the ticket and mails the link to follow it; the same answer for every address.
#[tracing::instrument(skip_all, fields(client = %client.0))]
async fn contact(
    State(ui): State<Ui>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ContactForm>,
) -> Result<Response, UiError> {
    check_anonymous_csrf(&headers, &form.csrf)?;
    let Some(address) = parse_address(&form.email) else {
        return Ok(contact_form(
            &ui,
            &headers,
            StatusCode::BAD_REQUEST,
            form,
            Some("portal-error-email"),
            false,
        ));
    };
    let fields = ticket_fields(&form.subject, &form.body, &form.kind);
    let name = form.name.trim().to_owned();
    let (subject, body, kind) = match fields {
        Ok(f) if name.chars().count() <= MAX_NAME_CHARS => f,
        Ok(_) => {
            return Ok(contact_form(
                &ui,
                &headers,
                StatusCode::BAD_REQUEST,
                form,
                Some("portal-error-name"),
                false,
            ));
        }
        Err(UiError::Invalid { key, .. }) => {
            return Ok(contact_form(
                &ui,
                &headers,
                StatusCode::BAD_REQUEST,
                form,
                Some(key),
                false,
            ));
        }
        Err(e) => return Err(e),
    };
    let now = now_ms();
    let limit = ui.options.portal.contacts_per_client;
    if !within_limit(&ui, CONTACTS_PER_CLIENT, &client.0, limit, now).await? {
        return Err(UiError::TooMany("portal-too-many"));
    }
    let lang = request_lang(&headers);
    let customer = match customer_for(&ui, &address, &name, lang).await? {
        Some(c) => c,
        None => {
            tracing::info!("contact form from an unknown address; no customers are made");
            return Ok(sent(&ui, &headers));
        }
    };
    let ticket = new_ticket_id();
    ui.app
        .writer()
        .submit(
            Request::Command(web_ticket(ticket.clone(), customer, subject, body, kind)),
            None,
        )
        .await?;
    tracing::info!(%ticket, "ticket opened through the contact form");
    let next = ticket_path(ticket.as_str());
    let task_ui = ui.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_link(&task_ui, &address, Some(&next), lang, Purpose::Contact).await {
            tracing::error!(error = %e, "contact form link not made");
        }
    });
    Ok(sent(&ui, &headers))
}

fn sent(ui: &Ui, headers: &HeaderMap) -> Response {
    contact_form(
        ui,
        headers,
        StatusCode::OK,
        ContactForm::default(),
        None,
        true,
    )
}

/// The customer with `address`; a new one when there is none and the portal makes customers.
async fn customer_for(
    ui: &Ui,
    address: &str,
    name: &str,
    lang: crate::i18n::Lang,
) -> Result<Option<Id>, StoreError> {
    let store = ui.app.store();
    let bad = |e: sanjeh_domain::FieldError| StoreError::Domain(e.into());
    if let Some(id) = store.customer_by_email(address).await? {
        return Ok(Some(Id::parse("customer", &id).map_err(bad)?));
    }
    if !ui.options.portal.create_customers {
        return Ok(None);
    }
    let digest = hex::encode(Sha256::digest(address.as_bytes()));
    let id = Id::parse("customer", &format!("C-web-{}", &digest[..20])).map_err(bad)?;
    let profile = CustomerProfile {
        customer: id.clone(),
        name: (!name.is_empty()).then(|| name.to_owned()),
        email: Some(address.to_owned()),
        organization: None,
        language: Some(lang.code().to_owned()),
    };
    let key = IdempotencyKey::new(
        "portal",
        &format!("customer:{digest}"),
        "portal-customer",
        address.as_bytes(),
    );
    ui.app
        .writer()
        .submit(
            Request::Record(vec![EventBody::CustomerProfile(profile)]),
            Some(key),
        )
        .await?;
    tracing::info!(customer = %id, "customer made by the contact form");
    Ok(Some(id))
}
