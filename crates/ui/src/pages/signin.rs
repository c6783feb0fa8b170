//! Signing in and out, and picking a language.
//!
//! Sign-in checks the agent's argon2 password (`sanjeh admin create-agent --password-env`).
//! Failed tries are counted per login in the store; past the limit within the window, the
//! login is refused without checking the password (429) until the window has passed.
//! Failures are also counted per client address across logins: an address that fails too
//! often (guessing many logins) is refused the same way, whichever login it tries.

use super::{Page, render};
use crate::Ui;
use crate::client::ClientAddr;
use crate::error::UiError;
use crate::i18n::Lang;
use crate::session::{
    LANG_COOKIE, PRESESSION_COOKIE, Role, SESSION_COOKIE, User, constant_time_eq, cookie, now_ms,
    request_lang, set_cookie,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
        .route("/signout/everywhere", post(signout_everywhere))
        .route("/language", get(language_anonymous))
        .route("/preferences/language", post(language))
}

/// `/`: the user's start page.
async fn home(user: Result<User, UiError>) -> Redirect {
    match user {
        Ok(u) if u.role.works_tickets() => Redirect::to("/tickets"),
        Ok(u) if u.role == Role::Customer => Redirect::to("/portal/tickets"),
        Ok(_) => Redirect::to("/dashboard"),
        Err(_) => Redirect::to("/signin"),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninTemplate {
    page: Page,
    csrf: String,
    login: String,
    error: Option<String>,
}

/// The sign-in form, with a fresh double-submit token when the browser has none.
fn signin_form(
    ui: &Ui,
    headers: &HeaderMap,
    status: StatusCode,
    login: String,
    error_key: Option<&str>,
) -> Response {
    let lang = request_lang(headers);
    let existing = cookie(headers, PRESESSION_COOKIE)
        .filter(|c| c.len() == 64)
        .map(str::to_owned);
    let csrf = existing
        .clone()
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>()));
    let template = SigninTemplate {
        page: Page::anonymous(lang, lang.t("signin-title")),
        csrf: csrf.clone(),
        login,
        error: error_key.map(|k| lang.t(k)),
    };
    let mut response = render(&template);
    *response.status_mut() = status;
    if existing.is_none() {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                PRESESSION_COOKIE,
                &csrf,
                "/",
                3600,
                "Strict",
                true,
                ui.options.secure_cookies,
            ),
        );
    }
    response
}

async fn signin_page(
    State(ui): State<Ui>,
    user: Result<User, UiError>,
    headers: HeaderMap,
) -> Response {
    if user.is_ok() {
        return Redirect::to("/").into_response();
    }
    signin_form(&ui, &headers, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The rate-limit bucket of failed sign-ins per client address.
const FAILURES_PER_CLIENT: &str = "signin-failure-client";

#[tracing::instrument(skip_all, fields(login = %form.login, client = %client.0))]
async fn signin(
    State(ui): State<Ui>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, UiError> {
    let expected = cookie(&headers, PRESESSION_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(UiError::Csrf);
    }
    let login = form.login.trim().to_owned();
    let store = ui.app.store();
    let now = now_ms();
    let window = ui.options.failure_window.as_millis() as i64;
    // The attempt is reserved as a failure before the password is checked (and taken back
    // when it succeeds): parallel guesses cannot all pass the limit before one is recorded.
    let reserved = store
        .take_signin_attempt(
            &login,
            FAILURES_PER_CLIENT,
            &client.0,
            ui.options.max_failures,
            ui.options.max_failures_per_address,
            now,
            now - window,
        )
        .await?;
    if !reserved {
        tracing::warn!("sign-in refused: too many failures");
        return Ok(signin_form(
            &ui,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            login,
            Some("signin-too-many"),
        ));
    }
    let profile = match store.agent(&login).await? {
        Some(p) if p.active != Some(false) && !login.is_empty() => Some(p),
        _ => None,
    };
    // Hashes even for an unknown or inactive login: timing does not tell which exist.
    let hashed_for = profile.as_ref().map_or("", |p| p.id.as_str());
    let valid = store.verify_signin(hashed_for, &form.password).await? && profile.is_some();
    let Some(profile) = profile.filter(|_| valid) else {
        tracing::info!("sign-in failed");
        return Ok(signin_form(
            &ui,
            &headers,
            StatusCode::UNAUTHORIZED,
            login,
            Some("signin-failed"),
        ));
    };
    store
        .signin_succeeded(&login, FAILURES_PER_CLIENT, &client.0, now)
        .await?;
    let ttl = ui.options.session_ttl.as_millis() as i64;
    let (secret, _) = store.create_web_session(&profile.id, now, ttl).await?;
    let lang = store
        .web_language(&profile.id)
        .await?
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| request_lang(&headers));
    tracing::info!(agent = %profile.id, "signed in");
    let start = if Role::of_profile(profile.role.as_deref()).works_tickets() {
        "/tickets"
    } else {
        "/dashboard"
    };
    let mut response = Redirect::to(start).into_response();
    let secure = ui.options.secure_cookies;
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &secret.0,
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
    h.append(header::SET_COOKIE, lang_cookie(lang, secure));
    Ok(response)
}

fn lang_cookie(lang: Lang, secure: bool) -> axum::http::HeaderValue {
    set_cookie(
        LANG_COOKIE,
        lang.code(),
        "/",
        365 * 24 * 3600,
        "Lax",
        true,
        secure,
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn signed_out(ui: &Ui, role: Role) -> Response {
    let to = if role == Role::Customer {
        "/portal/signin"
    } else {
        "/signin"
    };
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            "",
            "/",
            0,
            "Lax",
            true,
            ui.options.secure_cookies,
        ),
    );
    response
}

/// Ends this browser's session.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn signout(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    ui.app.store().end_web_session(&user.secret).await?;
    Ok(signed_out(&ui, user.role))
}

/// Ends every session of the user, on every browser.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn signout_everywhere(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let n = ui
        .app
        .store()
        .end_sessions_of(user.session_kind(), &user.id)
        .await?;
    tracing::info!(sessions = n, "signed out everywhere");
    Ok(signed_out(&ui, user.role))
}

/// A path on this site to go back to (never another origin).
fn local_path(raw: &str) -> &str {
    if raw.starts_with('/') && !raw.starts_with("//") && !raw.contains('\\') {
        raw
    } else {
        "/"
    }
}

#[derive(Deserialize)]
struct LanguageQuery {
    lang: String,
    #[serde(default)]
    next: String,
}

/// Before signing in: remembers the language on this browser only.
async fn language_anonymous(
    State(ui): State<Ui>,
    Query(q): Query<LanguageQuery>,
) -> Result<Response, UiError> {
    let lang = Lang::parse(&q.lang).ok_or(UiError::Invalid {
        field: "lang".into(),
        key: "error-invalid",
    })?;
    let mut response = Redirect::to(local_path(&q.next)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        lang_cookie(lang, ui.options.secure_cookies),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    lang: String,
    #[serde(default)]
    next: String,
}

/// A signed-in user's language, kept for every browser they use.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn language(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<LanguageForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let lang = Lang::parse(&form.lang).ok_or(UiError::Invalid {
        field: "lang".into(),
        key: "error-invalid",
    })?;
    // A customer's language lives in this browser's cookie (the portal follows the browser).
    if user.role != Role::Customer {
        ui.app
            .store()
            .set_web_language(&user.id, lang.code())
            .await?;
    }
    let mut response = Redirect::to(local_path(&form.next)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        lang_cookie(lang, ui.options.secure_cookies),
    );
    Ok(response)
}
