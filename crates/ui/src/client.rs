//! The client's network address, for rate limits per address.
//!
//! It is the TCP peer ([`serve`](crate::serve) records it), or, behind a reverse proxy
//! ([`UiOptions::trust_forwarded_for`](crate::UiOptions)), the last address in
//! `X-Forwarded-For`: the one the proxy itself appended, which the client cannot forge.

use crate::Ui;
use crate::error::UiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The client's address as text (`unknown` when the server was started without peer
/// addresses, which then share one limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl FromRequestParts<Ui> for ClientAddr {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<ClientAddr, UiError> {
        if ui.options.trust_forwarded_for
            && let Some(last) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| !s.is_empty())
        {
            return Ok(ClientAddr(last.to_owned()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(ClientAddr(peer.unwrap_or_else(|| "unknown".into())))
    }
}
