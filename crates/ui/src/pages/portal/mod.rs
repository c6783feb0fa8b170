//! The customer portal under `/portal`: a customer signs in through a link mailed to them,
//! opens tickets through a web form (the `web` channel), follows and answers their own
//! tickets, and rates solved ones. Anyone may write through the contact form.
//!
//! A customer's session is an ordinary web session of kind `customer`
//! (`sanjeh_store::sessions`), so cookies, CSRF and sign-out work as for agents; the role
//! `customer` opens no agent page, and agent roles open no portal page. A ticket that is not
//! the signed-in customer's answers 404, exactly like one that does not exist.
//!
//! - `signin`: asking for a link, the confirmation page, using the link.
//! - `tickets`: my tickets, a ticket's public conversation, reply, new ticket, rating.
//! - `contact`: the anonymous contact form.
//! - `mail`: composing the link mail, queueing it, logging it.

mod contact;
mod mail;
mod signin;
mod tickets;

use crate::Ui;
use crate::error::UiError;
use crate::i18n::Lang;
use crate::session::{
    PRESESSION_COOKIE, Role, User, constant_time_eq, cookie, request_lang, set_cookie,
};
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use sanjeh_store::sessions::WebSession;
use sanjeh_store::{Store, StoreError};

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .merge(signin::routes())
        .merge(tickets::routes())
        .merge(contact::routes())
}

/// The signed-in user of a customer session.
pub(crate) async fn customer_user(
    store: &Store,
    headers: &HeaderMap,
    session: WebSession,
    secret: String,
) -> Result<User, UiError> {
    let Some(customer) = store.customer(&session.agent).await? else {
        store.end_web_session(&secret).await?;
        return Err(UiError::SignIn);
    };
    Ok(User {
        name: customer
            .name
            .or(customer.email)
            .unwrap_or_else(|| customer.id.clone()),
        id: customer.id,
        role: Role::Customer,
        lang: request_lang(headers),
        // Customers have no time-zone preference: pages use the server's zone.
        tz: None,
        csrf: session.csrf,
        secret,
    })
}

/// A signed-in customer. Without a session: to the portal's sign-in (and back, for a page);
/// with an agent's session: 403.
pub(crate) struct Customer(pub User);

impl FromRequestParts<Ui> for Customer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<Customer, UiError> {
        match User::from_request_parts(parts, ui).await {
            Ok(user) if user.role == Role::Customer => Ok(Customer(user)),
            Ok(_) => Err(UiError::Forbidden),
            Err(UiError::SignIn) => {
                let next = if parts.method == Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                Err(UiError::PortalSignIn(next))
            }
            Err(e) => Err(e),
        }
    }
}

/// Percent-encodes text for a URL path segment or query value.
pub(crate) fn encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A page of the portal to go to after signing in; anything else (another site, an agent
/// page) becomes the ticket list.
pub(crate) fn portal_path(raw: &str) -> &str {
    let ok = raw.starts_with("/portal/")
        && !raw.contains("//")
        && !raw.contains('\\')
        && !raw.contains("/..")
        && raw.len() <= 512
        // A redirect's Location must be visible ASCII (ids in it are percent-encoded).
        && raw.bytes().all(|b| b.is_ascii_graphic());
    if ok { raw } else { "/portal/tickets" }
}

/// The portal's sign-in page, coming back to `next` afterwards.
pub(crate) fn signin_url(next: &str) -> String {
    let next = portal_path(next);
    if next == "/portal/tickets" {
        "/portal/signin".into()
    } else {
        format!("/portal/signin?next={}", encode(next))
    }
}

/// The link of a customer's ticket page.
pub(crate) fn ticket_path(id: &str) -> String {
    format!("/portal/tickets/{}", encode(id))
}

/// The CSRF token of a form shown before signing in (double submit: an `HttpOnly`,
/// `SameSite=Strict` cookie the form repeats), and the cookie to set when the browser has none.
pub(crate) fn anonymous_csrf(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(existing) = cookie(headers, PRESESSION_COOKIE).filter(|c| c.len() == 64) {
        return (existing.to_owned(), None);
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let set = set_cookie(PRESESSION_COOKIE, &token, "/", 3600, "Strict", true, secure);
    (token, Some(set))
}

/// Refuses a form posted before signing in whose token is not its cookie's.
pub(crate) fn check_anonymous_csrf(headers: &HeaderMap, sent: &str) -> Result<(), UiError> {
    let expected = cookie(headers, PRESESSION_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
        return Err(UiError::Csrf);
    }
    Ok(())
}

/// Counts one try of `key` in `bucket` if fewer than `limit` were made within the window;
/// false (and nothing counted) when the limit is reached.
pub(crate) async fn within_limit(
    ui: &Ui,
    bucket: &str,
    key: &str,
    limit: i64,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let since = now_ms - ui.options.portal.rate_window.as_millis() as i64;
    let taken = ui
        .app
        .store()
        .rate_take(bucket, key, limit, now_ms, since)
        .await?;
    if !taken {
        tracing::info!(bucket, "portal rate limit reached");
    }
    Ok(taken)
}

/// What every portal page's layout needs.
pub(crate) struct PortalPage {
    pub lang: Lang,
    pub user: Option<User>,
    pub title: String,
    /// This page, for the language links to come back to.
    pub path: String,
    pub tz: jiff::tz::TimeZone,
}

impl PortalPage {
    pub fn new(ui: &Ui, lang: Lang, user: Option<&User>, title_key: &str, path: &str) -> Self {
        PortalPage {
            lang,
            user: user.cloned(),
            title: lang.t(title_key),
            path: path.to_owned(),
            tz: ui.options.time_zone.clone(),
        }
    }

    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    /// The language switcher: (code, name in that language, link, selected).
    pub fn languages(&self) -> Vec<(&'static str, String, String, bool)> {
        Lang::ALL
            .iter()
            .map(|l| {
                (
                    l.code(),
                    l.t("language-name"),
                    format!("/language?lang={}&next={}", l.code(), encode(&self.path)),
                    *l == self.lang,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_portal_pages_are_next() {
        assert_eq!(
            portal_path("/portal/tickets/T-1/rate"),
            "/portal/tickets/T-1/rate"
        );
        assert_eq!(portal_path("/tickets/T-1"), "/portal/tickets");
        assert_eq!(portal_path("//evil.example/portal/"), "/portal/tickets");
        assert_eq!(portal_path("/portal//evil"), "/portal/tickets");
        assert_eq!(portal_path("/portal/tickets/ت"), "/portal/tickets");
        assert_eq!(portal_path("/portal/../tickets"), "/portal/tickets");
        assert_eq!(
            portal_path("https://evil.example/portal/x"),
            "/portal/tickets"
        );
        assert_eq!(
            signin_url("/portal/tickets/T%201/rate"),
            "/portal/signin?next=%2Fportal%2Ftickets%2FT%25201%2Frate"
        );
    }
}
