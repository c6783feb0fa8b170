//! A customer signs in through a link mailed to them.
//!
//! 1. `POST /portal/signin` with an address: if a customer has it, a single-use link
//!    (a random 256-bit secret, stored hashed, valid for `PortalOptions::link_ttl`) is mailed.
//!    The answer is the same page whether or not the address is known, and the link is made
//!    and mailed after the answer (a spawned task), so its timing does not tell either.
//! 2. `GET /portal/link/{secret}` shows a button; only `POST` uses the link. Mail scanners
//!    that open links do not spend it, and a page on another site cannot sign a browser
//!    in to someone else's account (the form carries a double-submit CSRF token).
//!
//! Link requests are limited per address and per client address.

use super::mail::{LinkMail, Purpose, send_link};
use super::{
    Customer, PortalPage, anonymous_csrf, check_anonymous_csrf, portal_path, within_limit,
};
use crate::Ui;
use crate::client::ClientAddr;
use crate::error::UiError;
use crate::pages::render;
use crate::session::{PRESESSION_COOKIE, SESSION_COOKIE, User, now_ms, request_lang, set_cookie};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use sanjeh_store::sessions::SessionKind;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub(super) fn routes() -> Router<Ui> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/", get(home))
        .route("/portal/signin", get(signin_page).post(request_link))
        .route("/portal/link/{secret}", get(link_page).post(use_link))
}

pub(super) const LINKS_PER_ADDRESS: &str = "portal-link-address";
const LINKS_PER_CLIENT: &str = "portal-link-client";

async fn home(customer: Result<Customer, UiError>) -> Redirect {
    match customer {
        Ok(_) => Redirect::to("/portal/tickets"),
        Err(_) => Redirect::to("/portal/signin"),
    }
}

#[derive(Template)]
#[template(path = "portal_signin.html")]
struct SigninTemplate {
    page: PortalPage,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    sent: bool,
}

#[derive(Deserialize)]
struct SigninQuery {
    #[serde(default)]
    next: String,
}

fn signin_form(
    ui: &Ui,
    headers: &HeaderMap,
    status: StatusCode,
    email: String,
    next: &str,
    error_key: Option<&'static str>,
    sent: bool,
) -> Response {
    let lang = request_lang(headers);
    let (csrf, set) = anonymous_csrf(headers, ui.options.secure_cookies);
    let template = SigninTemplate {
        page: PortalPage::new(ui, lang, None, "portal-signin-title", "/portal/signin"),
        csrf,
        email,
        next: portal_path(next).to_owned(),
        error: error_key.map(|k| lang.t(k)),
        sent,
    };
    let mut response = render(&template);
    *response.status_mut() = status;
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

async fn signin_page(
    State(ui): State<Ui>,
    user: Result<User, UiError>,
    headers: HeaderMap,
    Query(q): Query<SigninQuery>,
) -> Response {
    if user.is_ok_and(|u| u.role == crate::session::Role::Customer) {
        return Redirect::to(portal_path(&q.next)).into_response();
    }
    signin_form(
        &ui,
        &headers,
        StatusCode::OK,
        String::new(),
        &q.next,
        None,
        false,
    )
}

/// An e-mail address as typed, checked and lowercased; `None` when it is not one.
pub(super) fn parse_address(raw: &str) -> Option<String> {
    let address = raw.trim().to_lowercase();
    let (local, domain) = address.rsplit_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    (plausible && address.parse::<lettre::Address>().is_ok()).then_some(address)
}

/// The key of an address in the rate-limit table (hashed: the table is not a mailing list).
pub(super) fn address_key(address: &str) -> String {
    hex::encode(&Sha256::digest(address.as_bytes())[..16])
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

/// Mails a sign-in link when a customer has the address; answers the same either way.
#[tracing::instrument(skip_all, fields(client = %client.0))]
async fn request_link(
    State(ui): State<Ui>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, UiError> {
    check_anonymous_csrf(&headers, &form.csrf)?;
    let Some(address) = parse_address(&form.email) else {
        return Ok(signin_form(
            &ui,
            &headers,
            StatusCode::BAD_REQUEST,
            form.email,
            &form.next,
            Some("portal-error-email"),
            false,
        ));
    };
    let now = now_ms();
    let options = &ui.options.portal;
    if !within_limit(
        &ui,
        LINKS_PER_CLIENT,
        &client.0,
        options.links_per_client,
        now,
    )
    .await?
    {
        return Err(UiError::TooMany("portal-too-many"));
    }
    let next = portal_path(&form.next).to_owned();
    let lang = request_lang(&headers);
    let task_ui = ui.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_link(&task_ui, &address, Some(&next), lang, Purpose::SignIn).await {
            tracing::error!(error = %e, "portal sign-in link not made");
        }
    });
    Ok(signin_form(
        &ui,
        &headers,
        StatusCode::OK,
        String::new(),
        &form.next,
        None,
        true,
    ))
}

/// Makes and mails a link for the customer with `address`, if there is one and the address
/// has not asked too often. Runs after the answer: nothing here may change it.
pub(super) async fn mail_link(
    ui: &Ui,
    address: &str,
    next: Option<&str>,
    lang: crate::i18n::Lang,
    purpose: Purpose,
) -> Result<(), sanjeh_store::StoreError> {
    let store = ui.app.store();
    let Some(customer) = store.customer_by_email(address).await? else {
        tracing::info!("portal link asked for an address no customer has; nothing sent");
        return Ok(());
    };
    let now = now_ms();
    let options = &ui.options.portal;
    if !within_limit(
        ui,
        LINKS_PER_ADDRESS,
        &address_key(address),
        options.links_per_address,
        now,
    )
    .await?
    {
        return Ok(());
    }
    let ttl = options.link_ttl.as_millis() as i64;
    let secret = store.create_portal_link(&customer, next, now, ttl).await?;
    let name = store.customer(&customer).await?.and_then(|c| c.name);
    let url = format!(
        "{}/portal/link/{}",
        options.public_url.trim_end_matches('/'),
        secret.0
    );
    send_link(
        ui,
        LinkMail {
            to: address,
            to_name: name.as_deref(),
            url: &url,
            lang,
            purpose,
        },
    )
    .await;
    Ok(())
}

#[derive(Template)]
#[template(path = "portal_link.html")]
struct LinkTemplate {
    page: PortalPage,
    csrf: String,
    action: String,
    usable: bool,
}

/// A link secret is 64 hex digits; anything else is no link.
fn plausible_secret(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The page a mailed link opens: a button that signs in (the link is spent only by it).
async fn link_page(
    State(ui): State<Ui>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, UiError> {
    let usable =
        plausible_secret(&secret) && ui.app.store().portal_link_usable(&secret, now_ms()).await?;
    let lang = request_lang(&headers);
    let (csrf, set) = anonymous_csrf(&headers, ui.options.secure_cookies);
    let template = LinkTemplate {
        page: PortalPage::new(&ui, lang, None, "portal-link-title", "/portal/signin"),
        csrf,
        action: format!("/portal/link/{secret}"),
        usable,
    };
    let mut response = render(&template);
    if !usable {
        *response.status_mut() = StatusCode::GONE;
    }
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    csrf: String,
}

/// Spends the link: starts a customer session and opens the page the link was made for.
#[tracing::instrument(skip_all)]
async fn use_link(
    State(ui): State<Ui>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, UiError> {
    check_anonymous_csrf(&headers, &form.csrf)?;
    let store = ui.app.store();
    let now = now_ms();
    let used = if plausible_secret(&secret) {
        store.use_portal_link(&secret, now).await?
    } else {
        None
    };
    let Some(used) = used else {
        tracing::info!("portal link refused: unknown, used or expired");
        let lang = request_lang(&headers);
        let template = LinkTemplate {
            page: PortalPage::new(&ui, lang, None, "portal-link-title", "/portal/signin"),
            csrf: String::new(),
            action: String::new(),
            usable: false,
        };
        let mut response = render(&template);
        *response.status_mut() = StatusCode::GONE;
        return Ok(response);
    };
    let ttl = ui.options.session_ttl.as_millis() as i64;
    let (session, _) = store
        .create_session_of(SessionKind::Customer, &used.customer, now, ttl)
        .await?;
    tracing::info!(customer = %used.customer, "customer signed in through a mailed link");
    let next = portal_path(used.next.as_deref().unwrap_or("")).to_owned();
    let mut response = Redirect::to(&next).into_response();
    let secure = ui.options.secure_cookies;
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session.0,
            "/",
            (ttl / 1000) as u64,
            "Lax",
            true,
            secure,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(PRESESSION_COOKIE, "", "/", 0, "Strict", true, secure),
    );
    Ok(response)
}
