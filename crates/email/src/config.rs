//! The email channel's configuration as users set it (CLI `sanjeh mail …`, REST
//! `/api/v1/mail/…`), stored in the database so every `sanjeh serve` node sees the same:
//! mailboxes with their IMAP accounts, the outbound relay, the inbound limits.
//!
//! The shapes are JSON, validated here with errors that name the field. Passwords are kept
//! (an IMAP client must present them) but never shown: views say `password_set`. A password
//! may instead be named by environment variable (`password_env`), read by each node when its
//! tasks start, so none needs to sit in the database.

use crate::imap::{ImapConfig, ImapSecurity, Processed};
use crate::ingest::InboundConfig;
use crate::outbound::{OutboundConfig, SmtpPassword};
use crate::thread::base_address;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sanjeh_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// A bad setting: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a connection to a mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// No TLS: only for a server on loopback or a private link (the password travels in clear).
    Plain,
    /// Plain connection upgraded with STARTTLS, which is required (IMAP 143, submission 587).
    Starttls,
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
}

/// What the poller does with a message once it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterProcessing {
    /// Flag it `\Seen`; it stays in the folder.
    Seen,
    /// Move it to `move_to`.
    Move,
}

/// A mailbox's IMAP account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    /// `imaps://host[:993]` or `imap://host[:143]`.
    pub url: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The environment variable holding the password (read by each node at start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Default: `tls` for `imaps://`, `starttls` for `imap://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsMode>,
    /// PEM file of the certificate authorities to trust instead of the public (webpki) roots:
    /// for a server with a private or self-signed certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(default = "inbox")]
    pub folder: String,
    #[serde(default = "seen")]
    pub after: AfterProcessing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to: Option<String>,
    /// Seconds between passes when the server has no IDLE.
    #[serde(default = "sixty")]
    pub interval_secs: u64,
}

fn inbox() -> String {
    "INBOX".into()
}
fn seen() -> AfterProcessing {
    AfterProcessing::Seen
}
fn sixty() -> u64 {
    60
}

/// A mailbox: the address Sanjeh receives on, its group, and how its mail is fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxSettings {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<ImapSettings>,
}

/// The SMTP relay replies go out through, and how they are composed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    pub host: String,
    /// Default: 25 for plain, 587 for starttls, 465 for tls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default = "starttls")]
    pub tls: TlsMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// The sender when a ticket came in on no mailbox.
    pub from: String,
    #[serde(default = "support")]
    pub from_name: String,
    /// Default: the domain of `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id_domain: Option<String>,
    /// Reply-To `support+T-1@…` (only when the mail server delivers plus-addressed mail).
    #[serde(default)]
    pub plus_addressing: bool,
    #[serde(default = "eight")]
    pub max_attempts: i64,
    #[serde(default = "thirty")]
    pub timeout_secs: u64,
    /// SMTP connections kept open to the relay, and so mails sent at once (1 to 100).
    /// More is faster while the relay keeps up; some relays limit connections per client.
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// The public address of Sanjeh's web server, for the survey link in "solved" notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Notification language when neither the customer nor the mailbox names one.
    #[serde(default = "english")]
    pub default_language: String,
    /// Mail the customer when their email ticket is solved.
    #[serde(default = "yes")]
    pub notify_solved: bool,
}

fn english() -> String {
    "en".into()
}
fn yes() -> bool {
    true
}

fn starttls() -> TlsMode {
    TlsMode::Starttls
}
fn support() -> String {
    "Support".into()
}
fn eight() -> i64 {
    8
}
fn thirty() -> u64 {
    30
}
fn default_connections() -> u32 {
    crate::send::DEFAULT_CONNECTIONS as u32
}

/// Limits on inbound mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    pub max_message_bytes: usize,
    pub max_attachment_bytes: usize,
    /// Messages per sender per `rate_window_minutes` that make tickets.
    pub rate_limit: i64,
    pub rate_window_minutes: i64,
    pub same_subject_window_minutes: i64,
    /// Sanjeh's own addresses besides the mailboxes (mail from them is a loop).
    pub own_addresses: Vec<String>,
    /// Acknowledge a new ticket from a person (at most once per sender per hour).
    pub acknowledge: bool,
}

impl Default for InboundSettings {
    fn default() -> Self {
        let d = InboundConfig::default();
        InboundSettings {
            max_message_bytes: d.limits.max_message_bytes,
            max_attachment_bytes: d.limits.max_attachment_bytes,
            rate_limit: d.rate_limit,
            rate_window_minutes: d.rate_window_ms / 60_000,
            same_subject_window_minutes: d.same_subject_window_ms / 60_000,
            own_addresses: Vec::new(),
            acknowledge: d.acknowledge,
        }
    }
}

/// A mail address as mailboxes are keyed: lowercased, without a plus tag.
pub fn mailbox_key(field: &str, address: &str) -> Result<String, ConfigError> {
    let a = address.trim();
    if a.parse::<lettre::Address>().is_err() {
        return Err(bad(field, format!("{a:?} is not an e-mail address")));
    }
    Ok(base_address(a))
}

fn password_of(
    field: &str,
    password: &Option<String>,
    password_env: &Option<String>,
) -> Result<Option<SmtpPassword>, ConfigError> {
    match (password, password_env) {
        (Some(p), None) => Ok(Some(SmtpPassword(p.clone()))),
        (None, Some(var)) => match std::env::var(var) {
            Ok(p) => Ok(Some(SmtpPassword(p))),
            Err(_) => Err(bad(
                &format!("{field}password_env"),
                format!("environment variable {var} is not set on this node"),
            )),
        },
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(bad(
            &format!("{field}password"),
            "give password or password_env, not both",
        )),
    }
}

fn check_ca_file(field: &str, ca_file: &Option<String>) -> Result<(), ConfigError> {
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| bad(field, format!("{path}: {e}")))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(field, format!("{path} holds no PEM certificate")));
        }
    }
    Ok(())
}

impl ImapSettings {
    /// Host, port and TLS mode from `url` and `tls`.
    pub fn endpoint(&self) -> Result<(String, u16, TlsMode), ConfigError> {
        let (scheme, rest) = self.url.split_once("://").ok_or_else(|| {
            bad(
                "imap.url",
                "expected imaps://host[:port] or imap://host[:port]",
            )
        })?;
        let (default_tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "imaps" => (TlsMode::Tls, 993),
            "imap" => (TlsMode::Starttls, 143),
            other => {
                return Err(bad(
                    "imap.url",
                    format!("unknown scheme {other:?}; use imaps or imap"),
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = host_port(rest, default_port).map_err(|m| bad("imap.url", m))?;
        Ok((host, port, self.tls.unwrap_or(default_tls)))
    }

    /// Checks every field (not the password's environment variable: another node may have it).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.endpoint()?;
        if self.user.trim().is_empty() {
            return Err(bad("imap.user", "must not be empty"));
        }
        if self.password.is_none() && self.password_env.is_none() {
            return Err(bad("imap.password", "give password or password_env"));
        }
        if self.password.is_some() && self.password_env.is_some() {
            return Err(bad(
                "imap.password",
                "give password or password_env, not both",
            ));
        }
        if self.folder.trim().is_empty() {
            return Err(bad("imap.folder", "must not be empty"));
        }
        match (self.after, &self.move_to) {
            (AfterProcessing::Move, None) => {
                return Err(bad(
                    "imap.move_to",
                    "after = move needs the folder to move to",
                ));
            }
            (AfterProcessing::Seen, Some(_)) => {
                return Err(bad("imap.move_to", "only with after = move"));
            }
            _ => {}
        }
        if self.interval_secs == 0 {
            return Err(bad("imap.interval_secs", "must be at least 1"));
        }
        check_ca_file("imap.ca_file", &self.ca_file)
    }

    /// The poller's configuration, with the password read now.
    pub fn to_imap_config(&self, address: &str) -> Result<ImapConfig, ConfigError> {
        let (host, port, tls) = self.endpoint()?;
        let password = password_of("imap.", &self.password, &self.password_env)?
            .ok_or_else(|| bad("imap.password", "give password or password_env"))?;
        Ok(ImapConfig {
            host,
            port,
            security: match tls {
                TlsMode::Plain => ImapSecurity::Plain,
                TlsMode::Starttls => ImapSecurity::StartTls,
                TlsMode::Tls => ImapSecurity::Tls,
            },
            ca_file: self.ca_file.as_ref().map(PathBuf::from),
            user: self.user.clone(),
            password,
            folder: self.folder.clone(),
            address: Some(address.to_owned()),
            processed: match (&self.after, &self.move_to) {
                (AfterProcessing::Move, Some(folder)) => Processed::MoveTo(folder.clone()),
                _ => Processed::MarkSeen,
            },
            interval: Duration::from_secs(self.interval_secs),
        })
    }
}

fn host_port(s: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        // [::1]:993
        let (h, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        (h.to_owned(), after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (s.to_owned(), None),
        }
    };
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(format!("{s:?} is not host[:port]"));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("{p:?} is not a port"))?,
        None => default_port,
    };
    Ok((host, port))
}

impl MailboxSettings {
    /// Checks the fields and normalizes the address.
    pub fn validated(mut self) -> Result<MailboxSettings, ConfigError> {
        self.address = mailbox_key("address", &self.address)?;
        if let Some(g) = &self.group {
            sanjeh_domain::Id::parse("group", g).map_err(|e| bad("group", e.to_string()))?;
        }
        if let Some(imap) = &self.imap {
            imap.validate()?;
        }
        Ok(self)
    }

    /// What may be shown: the password replaced by `password_set`.
    pub fn public(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialize");
        if let Some(imap) = v.get_mut("imap").and_then(|i| i.as_object_mut()) {
            let set = imap.remove("password").is_some();
            imap.insert("password_set".into(), set.into());
        }
        v
    }
}

impl OutboundSettings {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Plain => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        })
    }

    pub fn validated(mut self) -> Result<OutboundSettings, ConfigError> {
        if self.host.trim().is_empty() || self.host.contains(['/', ' ', '@']) {
            return Err(bad("host", format!("{:?} is not a host name", self.host)));
        }
        self.from = mailbox_key("from", &self.from)?;
        if let Some(d) = &self.message_id_domain
            && (d.is_empty()
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)))
        {
            return Err(bad("message_id_domain", format!("{d:?} is not a domain")));
        }
        if self.password.is_some() && self.password_env.is_some() {
            return Err(bad("password", "give password or password_env, not both"));
        }
        if (self.password.is_some() || self.password_env.is_some()) && self.user.is_none() {
            return Err(bad("user", "a password needs a user"));
        }
        if self.user.is_some() && self.password.is_none() && self.password_env.is_none() {
            return Err(bad("password", "a user needs password or password_env"));
        }
        if let Some(url) = &self.base_url {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .ok_or_else(|| bad("base_url", format!("{url:?} is not an http or https URL")))?;
            if host.is_empty() || host.starts_with('/') || url.contains(char::is_whitespace) {
                return Err(bad("base_url", format!("{url:?} has no host")));
            }
            self.base_url = Some(url.trim_end_matches('/').to_owned());
        }
        if !matches!(self.default_language.as_str(), "en" | "fa" | "ru") {
            return Err(bad("default_language", "must be en, fa or ru"));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(bad("max_attempts", "must be between 1 and 100"));
        }
        if self.timeout_secs == 0 {
            return Err(bad("timeout_secs", "must be at least 1"));
        }
        if !(1..=100).contains(&self.connections) {
            return Err(bad("connections", "must be between 1 and 100"));
        }
        check_ca_file("ca_file", &self.ca_file)?;
        Ok(self)
    }

    pub fn public(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialize");
        if let Some(o) = v.as_object_mut() {
            let set = o.remove("password").is_some();
            o.insert("password_set".into(), set.into());
            o.insert("port".into(), self.port().into());
        }
        v
    }

    /// How replies are composed and retried.
    pub fn outbound_config(&self) -> OutboundConfig {
        OutboundConfig {
            default_from: self.from.clone(),
            from_name: self.from_name.clone(),
            message_id_domain: self.message_id_domain.clone().unwrap_or_else(|| {
                self.from
                    .rsplit_once('@')
                    .map(|(_, d)| d.to_owned())
                    .unwrap_or_else(|| "sanjeh.localhost".into())
            }),
            plus_addressing: self.plus_addressing,
            max_attempts: self.max_attempts,
            base_url: self.base_url.clone(),
            default_language: self.default_language.clone(),
            notify_solved: self.notify_solved,
            connections: self.connections as usize,
            ..OutboundConfig::default()
        }
    }

    /// The SMTP transport to the relay, with the password read now.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, ConfigError> {
        let tls = || -> Result<TlsParameters, ConfigError> {
            let mut b = TlsParameters::builder(self.host.clone());
            if let Some(path) = &self.ca_file {
                let pem =
                    std::fs::read(path).map_err(|e| bad("ca_file", format!("{path}: {e}")))?;
                let cert =
                    Certificate::from_pem(&pem).map_err(|e| bad("ca_file", e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| bad("ca_file", e.to_string()))
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host);
        let builder = match self.tls {
            TlsMode::Plain => builder,
            TlsMode::Starttls => builder.tls(Tls::Required(tls()?)),
            TlsMode::Tls => builder.tls(Tls::Wrapper(tls()?)),
        }
        .port(self.port())
        .timeout(Some(Duration::from_secs(self.timeout_secs)))
        // Kept open and reused by the sender's concurrent mails (see `send`).
        .pool_config(PoolConfig::new().max_size(self.connections));
        let builder = match (
            &self.user,
            password_of("", &self.password, &self.password_env)?,
        ) {
            (Some(user), Some(password)) => {
                builder.credentials(Credentials::new(user.clone(), password.0))
            }
            _ => builder,
        };
        Ok(builder.build())
    }
}

impl InboundSettings {
    pub fn validated(mut self) -> Result<InboundSettings, ConfigError> {
        if self.max_message_bytes < 1024 {
            return Err(bad("max_message_bytes", "must be at least 1024"));
        }
        if self.max_attachment_bytes > self.max_message_bytes {
            return Err(bad(
                "max_attachment_bytes",
                "must not exceed max_message_bytes",
            ));
        }
        if self.rate_limit < 1 {
            return Err(bad("rate_limit", "must be at least 1"));
        }
        if self.rate_window_minutes < 1 {
            return Err(bad("rate_window_minutes", "must be at least 1"));
        }
        if self.same_subject_window_minutes < 0 {
            return Err(bad("same_subject_window_minutes", "must not be negative"));
        }
        for (i, a) in self.own_addresses.iter_mut().enumerate() {
            *a = mailbox_key(&format!("own_addresses[{i}]"), a)?;
        }
        Ok(self)
    }

    pub fn inbound_config(&self) -> InboundConfig {
        let mut c = InboundConfig::default();
        c.limits.max_message_bytes = self.max_message_bytes;
        c.limits.max_attachment_bytes = self.max_attachment_bytes;
        c.rate_limit = self.rate_limit;
        c.rate_window_ms = self.rate_window_minutes * 60_000;
        c.same_subject_window_ms = self.same_subject_window_minutes * 60_000;
        c.own_addresses = self.own_addresses.clone();
        c.acknowledge = self.acknowledge;
        c
    }
}

const OUTBOUND: &str = "outbound";
const INBOUND: &str = "inbound";

fn stored<T: for<'de> Deserialize<'de>>(name: &str, json: &str) -> Result<T, ConfigError> {
    serde_json::from_str(json).map_err(|e| bad(name, format!("stored setting unreadable: {e}")))
}

/// Every mailbox, with its IMAP account.
pub async fn mailboxes(store: &Store) -> Result<Vec<MailboxSettings>, MailConfigError> {
    let mut out = Vec::new();
    for row in store.mailbox_configs().await? {
        let imap = row
            .imap
            .as_deref()
            .map(|j| stored::<ImapSettings>("imap", j))
            .transpose()?;
        out.push(MailboxSettings {
            address: row.address,
            group: row.group,
            imap,
        });
    }
    Ok(out)
}

/// Adds or replaces a mailbox (validated). An IMAP account given without password or
/// password_env keeps the stored one's, so a change of folder needs no password again.
pub async fn put_mailbox(
    store: &Store,
    mailbox: MailboxSettings,
    now_ms: i64,
) -> Result<MailboxSettings, MailConfigError> {
    let mut mailbox = mailbox;
    mailbox.address = mailbox_key("address", &mailbox.address)?;
    if let Some(imap) = mailbox.imap.as_mut()
        && imap.password.is_none()
        && imap.password_env.is_none()
        && let Some(old) = mailboxes(store)
            .await?
            .into_iter()
            .find(|m| m.address == mailbox.address)
            .and_then(|m| m.imap)
    {
        imap.password = old.password;
        imap.password_env = old.password_env;
    }
    let mailbox = mailbox.validated()?;
    let imap = mailbox
        .imap
        .as_ref()
        .map(|i| serde_json::to_string(i).expect("settings serialize"));
    store
        .put_mailbox(
            &mailbox.address,
            mailbox.group.as_deref(),
            imap.as_deref(),
            now_ms,
        )
        .await?;
    Ok(mailbox)
}

/// The outbound relay, if configured.
pub async fn outbound(store: &Store) -> Result<Option<OutboundSettings>, MailConfigError> {
    Ok(store
        .mail_setting(OUTBOUND)
        .await?
        .map(|j| stored(OUTBOUND, &j))
        .transpose()?)
}

/// Sets the outbound relay (validated). Given without password or password_env while a user
/// is, the stored password is kept.
pub async fn put_outbound(
    store: &Store,
    settings: OutboundSettings,
    now_ms: i64,
) -> Result<OutboundSettings, MailConfigError> {
    let mut settings = settings;
    if settings.user.is_some()
        && settings.password.is_none()
        && settings.password_env.is_none()
        && let Some(old) = outbound(store).await?
    {
        settings.password = old.password;
        settings.password_env = old.password_env;
    }
    let settings = settings.validated()?;
    store
        .put_mail_setting(
            OUTBOUND,
            &serde_json::to_string(&settings).expect("settings serialize"),
            now_ms,
        )
        .await?;
    Ok(settings)
}

/// The inbound limits (defaults when never set).
pub async fn inbound(store: &Store) -> Result<InboundSettings, MailConfigError> {
    Ok(store
        .mail_setting(INBOUND)
        .await?
        .map(|j| stored(INBOUND, &j))
        .transpose()?
        .unwrap_or_default())
}

pub async fn put_inbound(
    store: &Store,
    settings: InboundSettings,
    now_ms: i64,
) -> Result<InboundSettings, MailConfigError> {
    let settings = settings.validated()?;
    store
        .put_mail_setting(
            INBOUND,
            &serde_json::to_string(&settings).expect("settings serialize"),
            now_ms,
        )
        .await?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imap(url: &str) -> ImapSettings {
        serde_json::from_value(serde_json::json!({
            "url": url, "user": "u", "password": "p"
        }))
        .unwrap()
    }

    #[test]
    fn urls_give_host_port_and_tls() {
        assert_eq!(
            imap("imaps://mail.example.com").endpoint().unwrap(),
            ("mail.example.com".into(), 993, TlsMode::Tls)
        );
        assert_eq!(
            imap("imap://127.0.0.1:1143").endpoint().unwrap(),
            ("127.0.0.1".into(), 1143, TlsMode::Starttls)
        );
        assert_eq!(
            imap("imaps://[::1]:10993/").endpoint().unwrap(),
            ("::1".into(), 10993, TlsMode::Tls)
        );
        assert_eq!(imap("pop3://x").endpoint().unwrap_err().field, "imap.url");
        assert_eq!(
            imap("imap://x:notaport").endpoint().unwrap_err().field,
            "imap.url"
        );
    }

    #[test]
    fn bad_settings_name_their_field() {
        let m = MailboxSettings {
            address: "not an address".into(),
            group: None,
            imap: None,
        };
        assert_eq!(m.validated().unwrap_err().field, "address");
        let mut i = imap("imaps://h");
        i.after = AfterProcessing::Move;
        let m = MailboxSettings {
            address: "Support+x@Example.com".into(),
            group: Some("G-1".into()),
            imap: Some(i),
        };
        assert_eq!(m.clone().validated().unwrap_err().field, "imap.move_to");
        let mut ok = m;
        ok.imap.as_mut().unwrap().move_to = Some("Done".into());
        assert_eq!(ok.validated().unwrap().address, "support@example.com");
        let o: Result<OutboundSettings, _> =
            serde_json::from_value(serde_json::json!({"host": "h", "from": "a@b.c", "tls": "ssl"}));
        assert!(o.unwrap_err().to_string().contains("unknown variant"));
        let o: OutboundSettings = serde_json::from_value(
            serde_json::json!({"host": "h", "from": "a@b.c", "password": "x"}),
        )
        .unwrap();
        assert_eq!(o.validated().unwrap_err().field, "user");
    }

    #[test]
    fn passwords_are_never_shown() {
        let m = MailboxSettings {
            address: "support@example.com".into(),
            group: None,
            imap: Some(imap("imaps://h")),
        };
        let v = m.public();
        assert_eq!(v["imap"]["password_set"], true);
        assert!(!v.to_string().contains("\"p\""));
        let o: OutboundSettings = serde_json::from_value(serde_json::json!({
            "host": "h", "from": "a@b.c", "user": "u", "password": "hunter2"
        }))
        .unwrap();
        let v = o.public();
        assert_eq!(v["password_set"], true);
        assert_eq!(v["port"], 587);
        assert!(!v.to_string().contains("hunter2"));
    }

    #[test]
    fn a_password_env_is_read_when_tasks_start() {
        let mut i = imap("imap://127.0.0.1:1");
        i.password = None;
        i.password_env = Some("SANJEH_TEST_SURELY_UNSET_VARIABLE".into());
        assert!(i.validate().is_ok(), "another node may have the variable");
        let e = i.to_imap_config("a@b.c").unwrap_err();
        assert_eq!(e.field, "imap.password_env");
    }
}
