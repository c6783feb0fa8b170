//! The UI's one error type. A handler returns it; [`render_error_pages`] turns it into a page
//! in the reader's language, so handlers never write user-facing text. Internals are logged,
//! never shown.

use crate::i18n::Lang;
use crate::pages::{ErrorTemplate, Page, render};
use crate::session::request_lang;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sanjeh_domain::DomainError;
use sanjeh_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// No valid session: go and sign in.
    #[error("sign-in required")]
    SignIn,
    /// No customer session on a portal page: go to the portal's sign-in, then back to `0`.
    #[error("portal sign-in required")]
    PortalSignIn(String),
    /// Too many tries from this client or for this address; the message key says which.
    #[error("rate limited")]
    TooMany(&'static str),
    #[error("forbidden for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The form's CSRF token is missing or not this session's.
    #[error("CSRF token mismatch")]
    Csrf,
    /// A form field is not acceptable; the message key says why.
    #[error("invalid field {field}")]
    Invalid { field: String, key: &'static str },
    #[error("store: {0}")]
    Store(StoreError),
    #[error("template: {0}")]
    Template(String),
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        UiError::Store(e)
    }
}

/// What an error page shows: its status, message key and an optional detail (a domain
/// refusal, in the domain's words).
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    pub status: StatusCode,
    pub key: &'static str,
    pub detail: Option<String>,
}

impl UiError {
    fn page(&self) -> ErrorPage {
        let (status, key, detail) = match self {
            UiError::SignIn | UiError::PortalSignIn(_) => {
                (StatusCode::UNAUTHORIZED, "error-signin", None)
            }
            UiError::TooMany(key) => (StatusCode::TOO_MANY_REQUESTS, *key, None),
            UiError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden", None),
            UiError::NotFound => (StatusCode::NOT_FOUND, "error-not-found", None),
            UiError::Csrf => (StatusCode::FORBIDDEN, "error-csrf", None),
            UiError::Invalid { key, .. } => (StatusCode::BAD_REQUEST, *key, None),
            UiError::Store(StoreError::Domain(DomainError::UnknownTicket(_))) => {
                (StatusCode::NOT_FOUND, "error-not-found", None)
            }
            UiError::Store(StoreError::Domain(e)) => {
                (StatusCode::CONFLICT, "error-refused", Some(e.to_string()))
            }
            UiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable", None),
            UiError::Store(_) | UiError::Template(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", None)
            }
        };
        ErrorPage {
            status,
            key,
            detail,
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match &self {
            UiError::SignIn => return Redirect::to("/signin").into_response(),
            UiError::PortalSignIn(next) => {
                return Redirect::to(&crate::pages::portal::signin_url(next)).into_response();
            }
            _ => {}
        }
        let page = self.page();
        if page.status.is_server_error() {
            tracing::error!(error = %self, "UI request failed");
        } else {
            tracing::debug!(error = %self, "UI request refused");
        }
        let mut response = page.status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// Middleware: renders an [`ErrorPage`] left by a handler in the request's language.
pub(crate) async fn render_error_pages(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    error_response(lang, &page)
}

fn error_response(lang: Lang, page: &ErrorPage) -> Response {
    let template = ErrorTemplate {
        page: Page::anonymous(lang, lang.t("error-title")),
        message: lang.t(page.key),
        detail: page.detail.clone(),
        signin: page.status == StatusCode::UNAUTHORIZED,
    };
    let mut response = render(&template).into_response();
    *response.status_mut() = page.status;
    if page.status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("900"));
    }
    response
}
