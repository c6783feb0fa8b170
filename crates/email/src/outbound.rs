//! Agent replies out by email: composing (threading headers, the ticket token, plain + HTML),
//! the durable queue fed from the event log, and the sender that drains it with backoff.
//!
//! **Never losing a reply.** The queue is fed from the event log, not from the request that
//! made the reply: a reader keeps a cursor over `ticket.message` events and, in one
//! transaction, queues the composed mail of each public agent message on an email ticket
//! and moves the cursor (`Store::enqueue_mail`). A crash anywhere leaves either both or
//! neither. The sender retries transient failures with exponential backoff; a permanent
//! failure (SMTP 5xx) or the last attempt marks the mail `failed` and posts an internal note
//! on the ticket, and the composed mail stays in the queue for an admin's retry.

use crate::attachments::{Listed, without_listing};
use crate::notify::{Context, Kind, Lang, render};
use crate::thread::{normalize_subject, subject_token, subject_with_token, token_address};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};
use sanjeh_domain::event::TicketMessage;
use sanjeh_domain::{Author, Channel, Command, Event, EventBody, Id, Status};
use sanjeh_store::mail::NewOutbound;
use sanjeh_store::writer::IdempotencyKey;
use sanjeh_store::{Request, Store, StoreError, Writer};
use std::fmt;
use std::time::Duration;

pub use crate::send::{SendReport, send_due};

/// The event-log reader that feeds the queue.
pub const OUTBOX_CURSOR: &str = "outbox";

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on loopback.
    None,
    /// STARTTLS required (submission, port 587).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// A password that `Debug` never shows.
#[derive(Clone)]
pub struct SmtpPassword(pub String);

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword(***)")
    }
}

/// The SMTP server replies are submitted to.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, SmtpPassword)>,
    pub timeout: Duration,
    /// Connections kept open to the server (the pool's size): give the sender's
    /// `OutboundConfig::connections`.
    pub connections: u32,
}

/// How replies are composed and retried.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// The sender when the ticket came in on no mailbox (an agent opened it).
    pub default_from: String,
    /// The display name on replies.
    pub from_name: String,
    /// The domain of the Message-IDs Sanjeh makes.
    pub message_id_domain: String,
    /// Reply-To `support+T-1@…`, so a reply threads even when every header is lost. Only
    /// when the mail server delivers plus-addressed mail to the mailbox.
    pub plus_addressing: bool,
    /// Attempts before a mail is given up (`failed`, noted on the ticket).
    pub max_attempts: i64,
    /// Agent messages older than this when first read are not mailed (history imported
    /// through `POST /events` is not news to the customer).
    pub max_age_ms: i64,
    /// The public address of Sanjeh's web server (`https://help.example.com`), for links in
    /// mail: the satisfaction survey `{base_url}/portal/tickets/{ticket}/rate` in the
    /// "solved" notice. Without it the notice has no link.
    pub base_url: Option<String>,
    /// The notification language for customers whose profile names none we have templates
    /// for, when their mailbox sets none either (`en`, `fa`, `ru`).
    pub default_language: String,
    /// Mail the customer when their email ticket is solved (with the survey link).
    pub notify_solved: bool,
    /// Mails the sender has in flight at once, each on its own SMTP connection.
    pub connections: usize,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            default_from: "support@localhost".into(),
            from_name: "Support".into(),
            message_id_domain: "sanjeh.localhost".into(),
            plus_addressing: false,
            max_attempts: 8,
            max_age_ms: 24 * 3_600_000,
            base_url: None,
            default_language: "en".into(),
            notify_solved: true,
            connections: crate::send::DEFAULT_CONNECTIONS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("composing the mail: {0}")]
    Compose(String),
}

/// One mail to a customer to compose: an agent's reply, an acknowledgement or a "solved"
/// notice.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    pub kind: Kind,
    pub language: Lang,
    pub ticket: &'a str,
    pub subject: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    /// The agent's words (replies); empty for notices.
    pub body: &'a str,
    pub agent_name: Option<&'a str>,
    /// Message-IDs already on the ticket, oldest first: the last is answered (In-Reply-To),
    /// all go in References (the first and the last 10, as RFC 5322 suggests trimming).
    pub thread: &'a [String],
    /// Files the agent sent with the reply.
    pub attachments: &'a [OutAttachment],
}

/// A file that goes out with a reply, as a MIME attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutAttachment {
    pub filename: String,
    /// The type the agent's client gave (checked when the reply was posted).
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A composed mail: its Message-ID (without brackets) and its bytes.
#[derive(Debug, Clone)]
pub struct Composed {
    pub message_id: String,
    pub bytes: Vec<u8>,
}

/// The satisfaction survey of a ticket on the customer portal, when a base URL is set.
pub fn rate_url(config: &OutboundConfig, ticket: &str) -> Option<String> {
    let base = config.base_url.as_deref()?.trim_end_matches('/');
    let ticket: String = ticket
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Some(format!("{base}/portal/tickets/{ticket}/rate"))
}

/// Composes a mail from its template in the customer's language: the subject (`Re: <subject>
/// [#T-1]` for a reply, the template's subject with the token for a notice), threading
/// headers, and `multipart/alternative` with the plain text under the reply-above marker and
/// the HTML (`dir="rtl"` for Persian). Notices carry `Auto-Submitted` (RFC 3834), so other
/// robots do not answer them.
pub fn compose(reply: &Reply<'_>, config: &OutboundConfig) -> Result<Composed, OutboundError> {
    let bad = |e: &dyn fmt::Display| OutboundError::Compose(e.to_string());
    let message_id = format!(
        "sanjeh.{}.{}@{}",
        reply
            .ticket
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>(),
        hex::encode(rand::random::<[u8; 10]>()),
        config.message_id_domain
    );
    let from = Mailbox::new(
        Some(config.from_name.clone()),
        reply.from.parse().map_err(|e| bad(&e))?,
    );
    let to = Mailbox::new(
        reply.to_name.map(str::to_owned),
        reply.to.parse().map_err(|e| bad(&e))?,
    );
    let reply_to = if config.plus_addressing {
        token_address(reply.from, reply.ticket)
    } else {
        reply.from.to_owned()
    };
    let rate = rate_url(config, reply.ticket);
    let token = subject_token(reply.ticket);
    let rendered = render(
        reply.kind,
        reply.language,
        &Context {
            ticket: reply.ticket,
            token: &token,
            subject: reply.subject.trim(),
            customer_name: reply.to_name,
            body: reply.body.trim_end(),
            agent_name: reply.agent_name,
            rate_url: rate.as_deref(),
        },
    )
    .map_err(|e| bad(&e))?;
    let subject = match rendered.subject {
        Some(s) => s,
        None => {
            let base = reply.subject.trim();
            if normalize_subject(base) == base.to_lowercase() && !base.is_empty() {
                format!("Re: {base}")
            } else {
                base.to_owned()
            }
        }
    };
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .reply_to(Mailbox::new(None, reply_to.parse().map_err(|e| bad(&e))?))
        .subject(subject_with_token(&subject, reply.ticket))
        .message_id(Some(format!("<{message_id}>")));
    if let Some(last) = reply.thread.last() {
        builder = builder.in_reply_to(format!("<{last}>"));
        let mut refs: Vec<&String> = Vec::new();
        if reply.thread.len() > 11 {
            refs.push(&reply.thread[0]);
            refs.extend(reply.thread[reply.thread.len() - 10..].iter());
        } else {
            refs.extend(reply.thread.iter());
        }
        builder = builder.references(
            refs.iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    let alternative = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(rendered.text),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(rendered.html),
        );
    let body = if reply.attachments.is_empty() {
        alternative
    } else {
        // multipart/mixed: the text first, then each file.
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in reply.attachments {
            let content_type = ContentType::parse(&a.content_type)
                .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("valid"));
            mixed = mixed.singlepart(
                LettreAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
            );
        }
        mixed
    };
    let mut message = builder.multipart(body).map_err(|e| bad(&e))?;
    let headers = message.headers_mut();
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Sanjeh-Ticket"),
        reply.ticket.to_owned(),
    ));
    let auto = match reply.kind {
        Kind::Received => Some("auto-replied"),
        Kind::Solved => Some("auto-generated"),
        Kind::Replied => None,
    };
    if let Some(auto) = auto {
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            auto.to_owned(),
        ));
        // Asks Exchange not to answer with out-of-office notices.
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
            "All".to_owned(),
        ));
    }
    Ok(Composed {
        message_id,
        bytes: message.formatted(),
    })
}

/// The wait before attempt `attempts + 1`: 1, 2, 4 … minutes, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 6) as u32;
    (60_000i64 * 2i64.pow(exp)).min(3_600_000)
}

/// Batches of the log [`feed_outbox`] reads at most in one [`feed_outbox_all`] pass: enough
/// to keep the sender busy (200 events a batch), bounded so a huge backlog does not hold
/// sending back.
pub const FEED_BATCHES_PER_PASS: usize = 25;

/// [`feed_outbox`] again and again until the cursor reaches the log's end (or
/// [`FEED_BATCHES_PER_PASS`] batches were read): a burst of replies is queued in one pass,
/// not 200 events per tick. Returns how many mails were queued.
pub async fn feed_outbox_all(
    store: &Store,
    config: &OutboundConfig,
    now_ms: i64,
) -> Result<usize, OutboundError> {
    let mut queued = 0;
    for _ in 0..FEED_BATCHES_PER_PASS {
        let batch = feed_batch(store, config, now_ms).await?;
        queued += batch.queued;
        if !batch.full {
            break;
        }
    }
    Ok(queued)
}

/// Events of the log one [`feed_outbox`] reads at most.
const FEED_BATCH: i64 = 200;

/// What one batch of [`feed_outbox`] did.
struct FeedBatch {
    /// Mails queued.
    queued: usize,
    /// It read a whole [`FEED_BATCH`] of events: more may follow.
    full: bool,
}

/// Queues what is due to customers: acknowledgements asked for by inbound mail, then the
/// agent replies and "solved" notices found in the event log after the cursor; returns how
/// many mails were queued. The log's first run starts at its end: history is not mailed.
#[tracing::instrument(skip_all)]
pub async fn feed_outbox(
    store: &Store,
    config: &OutboundConfig,
    now_ms: i64,
) -> Result<usize, OutboundError> {
    Ok(feed_batch(store, config, now_ms).await?.queued)
}

/// One batch of [`feed_outbox`]: at most [`FEED_BATCH`] events after the cursor.
async fn feed_batch(
    store: &Store,
    config: &OutboundConfig,
    now_ms: i64,
) -> Result<FeedBatch, OutboundError> {
    let Some(cursor) = store.mail_cursor(OUTBOX_CURSOR).await? else {
        let last = store.last_seq().await?;
        store.enqueue_mail(OUTBOX_CURSOR, last, &[], now_ms).await?;
        return Ok(FeedBatch {
            queued: 0,
            full: false,
        });
    };
    let mut items = acks(store, config, now_ms).await?;
    let events = store.message_events_after(cursor, FEED_BATCH).await?;
    let full = events.len() as i64 == FEED_BATCH;
    let upto = events.last().map_or(cursor, |e| e.seq);
    for logged in &events {
        let Ok(event) = Event::parse_line(&logged.line) else {
            tracing::warn!(seq = logged.seq, "unreadable event skipped");
            continue;
        };
        if now_ms - event.at.as_millisecond() > config.max_age_ms {
            continue;
        }
        let item = match &event.body {
            EventBody::TicketMessage(m) if m.public && matches!(m.author, Author::Agent(_)) => {
                let agent = match &m.author {
                    Author::Agent(a) => store.agent(a.as_str()).await?.and_then(|a| a.name),
                    _ => None,
                };
                let (body, files) = reply_files(store, logged.seq, &m.body).await?;
                notice_for(
                    store,
                    config,
                    logged.seq,
                    &m.ticket,
                    Kind::Replied,
                    body,
                    &files,
                    agent.as_deref(),
                    m.channel == Some(Channel::Email),
                )
                .await?
            }
            EventBody::TicketStatus {
                ticket,
                status: Status::Solved,
                ..
            } if config.notify_solved => {
                notice_for(
                    store,
                    config,
                    logged.seq,
                    ticket,
                    Kind::Solved,
                    "",
                    &[],
                    None,
                    false,
                )
                .await?
            }
            _ => None,
        };
        items.extend(item);
    }
    if items.is_empty() && upto == cursor {
        return Ok(FeedBatch {
            queued: 0,
            full: false,
        });
    }
    store
        .enqueue_mail(OUTBOX_CURSOR, upto, &items, now_ms)
        .await?;
    Ok(FeedBatch {
        queued: items.len(),
        full,
    })
}

/// The files stored with the reply at `seq` (in the writer's transaction that wrote it), and
/// the reply's text without their listing, which the attachments themselves replace.
async fn reply_files<'b>(
    store: &Store,
    seq: i64,
    body: &'b str,
) -> Result<(&'b str, Vec<OutAttachment>), OutboundError> {
    let stored = store.message_attachments(seq).await?;
    let listed: Vec<Listed<'_>> = stored
        .iter()
        .map(|(row, bytes)| Listed {
            filename: row.filename.as_deref(),
            content_type: row.sniffed_type.as_deref().unwrap_or(&row.declared_type),
            size: row.size as usize,
            kept: bytes.is_some(),
        })
        .collect();
    let body = without_listing(body, &listed);
    let files = stored
        .into_iter()
        .filter_map(|(row, bytes)| {
            Some(OutAttachment {
                filename: row.filename.unwrap_or_else(|| "attachment".into()),
                content_type: row.declared_type,
                bytes: bytes?,
            })
        })
        .collect();
    Ok((body, files))
}

/// Composes the acknowledgements inbound mail asked for. One that cannot be sent (its ticket
/// is gone, the address does not parse, it waited longer than `max_age_ms`) is dropped.
async fn acks(
    store: &Store,
    config: &OutboundConfig,
    now_ms: i64,
) -> Result<Vec<NewOutbound>, OutboundError> {
    let mut items = Vec::new();
    for ack in store.pending_acks(50).await? {
        let ticket = match store.ticket(&ack.ticket).await? {
            Some(t) if now_ms - ack.requested_at <= config.max_age_ms => t,
            _ => {
                store.drop_ack(&ack.ticket).await?;
                continue;
            }
        };
        let profile = match &ticket.customer {
            Some(c) => store.customer(c.as_str()).await?,
            None => None,
        };
        let from = ack
            .mailbox
            .clone()
            .unwrap_or_else(|| config.default_from.clone());
        let language = language_for(
            store,
            config,
            profile.as_ref().and_then(|p| p.language.as_deref()),
            &from,
        )
        .await?;
        let composed = compose(
            &Reply {
                kind: Kind::Received,
                language,
                ticket: ticket.id.as_str(),
                subject: &ticket.subject,
                from: &from,
                to: &ack.recipient,
                to_name: profile.as_ref().and_then(|p| p.name.as_deref()),
                body: "",
                agent_name: None,
                thread: std::slice::from_ref(&ack.message_id),
                attachments: &[],
            },
            config,
        );
        match composed {
            Ok(composed) => items.push(NewOutbound {
                source: format!("ack:{}", ticket.id),
                ticket: ticket.id.to_string(),
                message_id: composed.message_id,
                sender: from,
                recipient: ack.recipient.clone(),
                subject_key: normalize_subject(&ticket.subject),
                message: composed.bytes,
                kind: Kind::Received.as_str(),
            }),
            Err(e) => {
                tracing::warn!(ticket = %ticket.id, error = %e, "acknowledgement not composed; dropped");
                store.drop_ack(&ack.ticket).await?;
            }
        }
    }
    Ok(items)
}

/// The customer's language if there are templates for it, else the mailbox's, else the
/// configured default.
async fn language_for(
    store: &Store,
    config: &OutboundConfig,
    customer: Option<&str>,
    mailbox: &str,
) -> Result<Lang, OutboundError> {
    if let Some(lang) = customer.and_then(Lang::from_tag) {
        return Ok(lang);
    }
    let mailbox = store.mailbox_language(mailbox).await?;
    Ok(Lang::resolve(
        None,
        mailbox.as_deref(),
        &config.default_language,
    ))
}

/// The mail of a reply or a "solved" notice on `ticket`, when the ticket is an email one (or
/// the message was posted for email) and its customer has an address.
#[allow(clippy::too_many_arguments)]
async fn notice_for(
    store: &Store,
    config: &OutboundConfig,
    seq: i64,
    ticket: &Id,
    kind: Kind,
    body: &str,
    attachments: &[OutAttachment],
    agent_name: Option<&str>,
    posted_for_email: bool,
) -> Result<Option<NewOutbound>, OutboundError> {
    let Some(ticket) = store.ticket(ticket.as_str()).await? else {
        return Ok(None);
    };
    if ticket.channel != Channel::Email && !posted_for_email {
        return Ok(None);
    }
    let Some(customer) = &ticket.customer else {
        return Ok(None);
    };
    let Some(profile) = store.customer(customer.as_str()).await? else {
        return Ok(None);
    };
    let Some(to) = profile.email.as_deref() else {
        tracing::warn!(ticket = %ticket.id, "customer has no email address; not mailed");
        return Ok(None);
    };
    let ids = store.ticket_message_ids(ticket.id.as_str()).await?;
    let from = ids
        .iter()
        .rev()
        .find_map(|(_, dir, mailbox)| (dir == "in").then_some(mailbox.clone()).flatten())
        .unwrap_or_else(|| config.default_from.clone());
    let thread: Vec<String> = ids.into_iter().map(|(id, _, _)| id).collect();
    let language = language_for(store, config, profile.language.as_deref(), &from).await?;
    let composed = match compose(
        &Reply {
            kind,
            language,
            ticket: ticket.id.as_str(),
            subject: &ticket.subject,
            from: &from,
            to,
            to_name: profile.name.as_deref(),
            body,
            agent_name,
            thread: &thread,
            attachments,
        },
        config,
    ) {
        Ok(c) => c,
        Err(e) => {
            // A customer address lettre cannot parse must not stop the queue for everyone.
            tracing::warn!(ticket = %ticket.id, error = %e, "mail not composed; skipped");
            return Ok(None);
        }
    };
    Ok(Some(NewOutbound {
        source: format!("event:{seq}"),
        ticket: ticket.id.to_string(),
        message_id: composed.message_id,
        sender: from,
        recipient: to.to_lowercase(),
        subject_key: normalize_subject(&ticket.subject),
        message: composed.bytes,
        kind: kind.as_str(),
    }))
}

/// The SMTP transport for `config`.
pub fn transport(config: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let mut builder = match config.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpSecurity::StartTls => {
            let tls = TlsParameters::new(config.host.clone()).map_err(|e| e.to_string())?;
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
                .tls(Tls::Required(tls))
        }
        SmtpSecurity::Tls => {
            let tls = TlsParameters::new(config.host.clone()).map_err(|e| e.to_string())?;
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
                .tls(Tls::Wrapper(tls))
        }
    }
    .port(config.port)
    .timeout(Some(config.timeout))
    // Connections are kept and reused: the sender has `connections` mails in flight,
    // and a handshake (with TLS) per mail would cost more than the mail.
    .pool_config(PoolConfig::new().max_size(config.connections));
    if let Some((user, password)) = &config.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
    }
    Ok(builder.build())
}

/// Makes an undelivered mail visible on its ticket, as an internal note.
pub(crate) async fn note_on_ticket(
    writer: &Writer,
    ticket: &str,
    body: String,
    key: Option<IdempotencyKey>,
) {
    let Ok(ticket) = Id::parse("ticket", ticket) else {
        return;
    };
    let mut body = body;
    crate::parse::truncate_utf8(&mut body, sanjeh_domain::command::MAX_BODY_BYTES);
    let note = Command::PostMessage(TicketMessage {
        ticket,
        author: Author::System,
        public: false,
        body,
        channel: Some(Channel::Email),
        message: None,
    });
    if let Err(e) = writer.submit(Request::Command(note), key).await {
        tracing::error!(error = %e, "noting a mail failure on the ticket failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(0), 60_000);
        assert_eq!(backoff_ms(1), 120_000);
        assert_eq!(backoff_ms(5), 1_920_000);
        assert_eq!(backoff_ms(6), 3_600_000);
        assert_eq!(backoff_ms(60), 3_600_000);
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            format!("{:?}", SmtpPassword("hunter2".into())),
            "SmtpPassword(***)"
        );
    }
}
