//! Sign-in state: the session cookie, the signed-in user and role, CSRF tokens, and the
//! headers every page carries.
//!
//! A session is a row in the store (`web_sessions`, see `sanjeh_store::sessions`) keyed by the
//! SHA-256 of a random 256-bit secret; the secret travels only in an `HttpOnly`,
//! `SameSite=Lax` cookie. Each session has its own CSRF token, which every form carries in a
//! hidden field and every POST handler checks ([`User::check_csrf`]). The sign-in form,
//! posted before there is a session, uses a double-submit token: a random value in an
//! `HttpOnly`, `SameSite=Strict` cookie that the form must repeat.

use crate::Ui;
use crate::error::UiError;
use crate::i18n::Lang;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sanjeh_store::sessions::SessionKind;

pub const SESSION_COOKIE: &str = "sanjeh_session";
pub const PRESESSION_COOKIE: &str = "sanjeh_signin";
pub const LANG_COOKIE: &str = "sanjeh_lang";

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Work tickets.
    Agent,
    /// Read reports only.
    Manager,
    /// A customer in the portal: their own tickets only, no agent page or API.
    Customer,
}

impl Role {
    /// The role of an agent profile (`admin`, `manager`, else `agent`).
    pub fn of_profile(raw: Option<&str>) -> Role {
        match raw {
            Some("admin") => Role::Admin,
            Some("manager") => Role::Manager,
            _ => Role::Agent,
        }
    }

    pub fn works_tickets(self) -> bool {
        matches!(self, Role::Admin | Role::Agent)
    }

    pub fn reads_reports(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "role-admin",
            Role::Agent => "role-agent",
            Role::Manager => "role-manager",
            Role::Customer => "role-customer",
        }
    }
}

/// The signed-in user of a request.
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub lang: Lang,
    /// The time zone the user picked, if any (else the server's).
    pub tz: Option<jiff::tz::TimeZone>,
    /// This session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// The session cookie's secret (to end this session).
    pub(crate) secret: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl User {
    /// The time zone dates are shown and periods counted in: the user's own, else `default`
    /// (the server's).
    pub fn time_zone(&self, default: &jiff::tz::TimeZone) -> jiff::tz::TimeZone {
        self.tz.clone().unwrap_or_else(|| default.clone())
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        if constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(UiError::Csrf)
        }
    }

    /// Whose session this is, in the store's terms.
    pub fn session_kind(&self) -> SessionKind {
        if self.role == Role::Customer {
            SessionKind::Customer
        } else {
            SessionKind::Agent
        }
    }

    pub fn require_tickets(&self) -> Result<(), UiError> {
        if self.role.works_tickets() {
            Ok(())
        } else {
            Err(UiError::Forbidden)
        }
    }

    pub fn require_reports(&self) -> Result<(), UiError> {
        if self.role.reads_reports() {
            Ok(())
        } else {
            Err(UiError::Forbidden)
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_s: u64,
    same_site: &str,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age_s}; SameSite={same_site}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The language of a request that has no signed-in user: the one picked on this browser,
/// else the best of `Accept-Language`.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl FromRequestParts<Ui> for User {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<User, UiError> {
        if let Some(user) = parts.extensions.get::<User>() {
            return Ok(user.clone());
        }
        let secret = cookie(&parts.headers, SESSION_COOKIE)
            .filter(|s| !s.is_empty())
            .ok_or(UiError::SignIn)?
            .to_owned();
        let store = ui.app.store();
        let session = store
            .web_session(&secret, now_ms())
            .await?
            .ok_or(UiError::SignIn)?;
        if session.kind == SessionKind::Customer {
            let user =
                crate::pages::portal::customer_user(store, &parts.headers, session, secret).await?;
            parts.extensions.insert(user.clone());
            return Ok(user);
        }
        let profile = store.agent(&session.agent).await?;
        let Some(profile) = profile.filter(|p| p.active != Some(false)) else {
            store.end_web_session(&secret).await?;
            return Err(UiError::SignIn);
        };
        let lang = store
            .web_language(&profile.id)
            .await?
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| request_lang(&parts.headers));
        let tz = store
            .web_time_zone(&profile.id)
            .await?
            .and_then(|name| jiff::tz::TimeZone::get(&name).ok());
        let user = User {
            tz,
            name: profile.name.clone().unwrap_or_else(|| profile.id.clone()),
            role: Role::of_profile(profile.role.as_deref()),
            id: profile.id,
            lang,
            csrf: session.csrf,
            secret,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// Middleware: headers for every UI response — no framing, no sniffing, a strict CSP (the UI
/// has no inline scripts), no referrer leaks, and no caching of pages that may hold tickets.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sanjeh_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn compares_in_constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
