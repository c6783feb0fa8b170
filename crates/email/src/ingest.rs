//! One inbound message, from raw bytes to a ticket: parse, loop protection, threading, then
//! the same domain command the REST API would submit (`CreateTicket` with channel email, or
//! a customer's `PostMessage`), through the same writer.
//!
//! **Stored once, whatever the retries.** The command goes to the writer with an
//! idempotency key made from the Message-ID (scope `mail`, key `msgid:<sha256>`, request hash
//! the same), so the key row commits in the same transaction as the ticket's events. A second
//! delivery of the message, even one racing the first over another channel (IMAP and SMTP),
//! gets the first outcome back instead of writing again. The `mail_messages` row that makes
//! later lookups fast and lets replies thread is written right after the commit and is
//! idempotent; should the process die between the two, the retry replays the stored outcome
//! and writes the row then.

use crate::attachments::{Listed, with_listing};
use crate::parse::{InboundMail, Limits, MailClass, ParseError, parse};
use crate::thread::{
    Decision, Evidence, Found, JoinReason, base_address, decide, normalize_subject,
    token_in_address, token_in_subject,
};
use sanjeh_domain::command::NewTicket;
use sanjeh_domain::event::{CustomerProfile, TicketCreated, TicketMessage};
use sanjeh_domain::{Author, Channel, Command, Event, EventBody, Id, Priority, TicketState};
use sanjeh_store::mail::{AckRequest, BounceRecord, MailMessageRow, NewAttachment};
use sanjeh_store::writer::IdempotencyKey;
use sanjeh_store::{Request, Store, StoreError, Writer};
use sha2::{Digest, Sha256};

/// How inbound mail is handled.
#[derive(Debug, Clone)]
pub struct InboundConfig {
    pub limits: Limits,
    /// A message from the same sender with the same subject within this window joins the
    /// ticket the first one opened instead of opening another.
    pub same_subject_window_ms: i64,
    /// At most this many messages per sender per `rate_window_ms` make tickets; the rest are
    /// dropped (and logged).
    pub rate_limit: i64,
    pub rate_window_ms: i64,
    /// Sanjeh's own addresses besides its mailboxes (the From of notifications); mail from
    /// any of them is dropped: it can only be a loop.
    pub own_addresses: Vec<String>,
    /// Acknowledge a new ticket ("we received your message") when the mail may be answered
    /// automatically (`MailClass::may_auto_reply`).
    pub acknowledge: bool,
    /// At most one acknowledgement per sender within this window.
    pub ack_window_ms: i64,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            limits: Limits::default(),
            same_subject_window_ms: 15 * 60 * 1000,
            rate_limit: 30,
            rate_window_ms: 60 * 60 * 1000,
            own_addresses: Vec::new(),
            acknowledge: true,
            ack_window_ms: 60 * 60 * 1000,
        }
    }
}

/// Why a message made no ticket change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// From one of Sanjeh's own addresses.
    OwnAddress,
    /// A delivery failure report: recorded against the address that bounced.
    Bounce,
    /// The sender is over the per-sender rate limit.
    RateLimited,
    /// An automatic message (out-of-office, auto-responder) that belongs to no ticket: it
    /// opens none (an auto-reply to Sanjeh's own reply threads onto its ticket as usual).
    AutoReply,
}

impl Ignored {
    pub fn as_str(self) -> &'static str {
        match self {
            Ignored::OwnAddress => "own_address",
            Ignored::Bounce => "bounce",
            Ignored::RateLimited => "rate_limited",
            Ignored::AutoReply => "auto_reply",
        }
    }
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Created {
        ticket: String,
        message_id: String,
        class: MailClass,
    },
    Joined {
        ticket: String,
        message_id: String,
        reason: JoinReason,
        class: MailClass,
    },
    /// Stored before: nothing written.
    Duplicate {
        ticket: String,
        message_id: String,
    },
    Ignored {
        reason: Ignored,
        message_id: String,
    },
}

impl Received {
    pub fn ticket(&self) -> Option<&str> {
        match self {
            Received::Created { ticket, .. }
            | Received::Joined { ticket, .. }
            | Received::Duplicate { ticket, .. } => Some(ticket),
            Received::Ignored { .. } => None,
        }
    }

    pub fn message_id(&self) -> &str {
        match self {
            Received::Created { message_id, .. }
            | Received::Joined { message_id, .. }
            | Received::Duplicate { message_id, .. }
            | Received::Ignored { message_id, .. } => message_id,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the writer's outcome lacks the ticket")]
    NoTicket,
}

/// Receives one raw message. `envelope_to` is the SMTP envelope recipient when known (it
/// names the mailbox when the headers do not, e.g. for Bcc); `now_ms` is the current time.
#[tracing::instrument(skip_all, fields(message_id, ticket))]
pub async fn receive(
    store: &Store,
    writer: &Writer,
    raw: &[u8],
    envelope_to: Option<&str>,
    config: &InboundConfig,
    now_ms: i64,
) -> Result<Received, IngestError> {
    let mail = parse(raw, &config.limits)?;
    tracing::Span::current().record("message_id", mail.message_id.as_str());
    let message_id = mail.message_id.clone();
    if let Some(ticket) = store.mail_ticket(&message_id).await? {
        return Ok(Received::Duplicate { ticket, message_id });
    }
    let mailboxes = store.mailboxes().await?;
    let sender = mail.from.address.clone();
    let own = |a: &str| {
        let a = base_address(a);
        mailboxes.iter().any(|m| m.address == a)
            || config.own_addresses.iter().any(|o| base_address(o) == a)
    };
    if own(&sender) {
        tracing::info!(sender, "mail from our own address dropped (loop)");
        return Ok(Received::Ignored {
            reason: Ignored::OwnAddress,
            message_id,
        });
    }
    if mail.class == MailClass::Bounce {
        bounced(store, writer, &mail, now_ms).await?;
        return Ok(Received::Ignored {
            reason: Ignored::Bounce,
            message_id,
        });
    }
    if store
        .mail_count_from(&sender, now_ms - config.rate_window_ms)
        .await?
        >= config.rate_limit
    {
        tracing::warn!(sender, "sender over the mail rate limit; message dropped");
        return Ok(Received::Ignored {
            reason: Ignored::RateLimited,
            message_id,
        });
    }

    // The mailbox: the envelope recipient, else the first recipient that is one of ours.
    let mailbox = envelope_to
        .map(base_address)
        .into_iter()
        .chain(mail.recipients().map(|m| base_address(&m.address)))
        .find_map(|a| mailboxes.iter().find(|m| m.address == a))
        .cloned();

    let customer = customer_for(store, writer, &mail).await?;
    let subject_key = normalize_subject(&mail.subject);
    let evidence = gather(
        store,
        &mail,
        envelope_to,
        &customer,
        &subject_key,
        config,
        now_ms,
    )
    .await?;
    let decision = decide(&evidence);
    tracing::debug!(?decision, "threading decided");

    let key = IdempotencyKey::new(
        "mail",
        &format!(
            "msgid:{}",
            hex::encode(Sha256::digest(message_id.as_bytes()))
        ),
        "mail",
        message_id.as_bytes(),
    );
    let body = message_body(&mail);
    let (command, join) = match decision {
        Decision::Duplicate(t) => {
            return Ok(Received::Duplicate {
                ticket: t.to_string(),
                message_id,
            });
        }
        Decision::Join(ticket, reason) => (
            Command::PostMessage(TicketMessage {
                ticket,
                author: Author::Customer(customer.clone()),
                public: true,
                body,
                channel: Some(Channel::Email),
                message: None,
            }),
            Some(reason),
        ),
        Decision::Open { .. } if mail.class == MailClass::AutoSubmitted => {
            tracing::info!(sender, "auto-reply belonging to no ticket dropped");
            return Ok(Received::Ignored {
                reason: Ignored::AutoReply,
                message_id,
            });
        }
        Decision::Open { follows } => {
            let mut subject = if mail.subject.trim().is_empty() {
                "(no subject)".to_owned()
            } else {
                mail.subject.clone()
            };
            crate::parse::truncate_utf8(&mut subject, 1024);
            let mut tags = Vec::new();
            if follows.is_some() {
                tags.push("follow-up".to_owned());
            }
            let group = mailbox
                .as_ref()
                .and_then(|m| m.group.as_deref())
                .map(|g| Id::parse("group", g))
                .transpose()
                .map_err(|e| StoreError::Domain(e.into()))?;
            (
                Command::CreateTicket(NewTicket {
                    created: TicketCreated {
                        ticket: Id::parse("id", &generate_id("T-"))
                            .expect("generated ids are valid"),
                        customer: Some(customer.clone()),
                        organization: None,
                        channel: Channel::Email,
                        priority: Priority::Normal,
                        group,
                        subject: Some(subject),
                        tags,
                        kind: None,
                        by: None,
                    },
                    body: Some(body),
                    assignee: None,
                }),
                None,
            )
        }
    };
    let outcome = writer.submit(Request::Command(command), Some(key)).await?;
    let ticket: &TicketState = outcome.tickets.first().ok_or(IngestError::NoTicket)?;
    let ticket = ticket.id.to_string();
    tracing::Span::current().record("ticket", ticket.as_str());
    // Attachments and the acknowledgement before the Message-ID row: a retry after a crash
    // here finds no row, replays the outcome and stores what is missing (both idempotent).
    store_attachments(store, &mail, &ticket, message_seq(&outcome), now_ms).await?;
    if join.is_none() && config.acknowledge && mail.class.may_auto_reply() {
        let asked = store
            .request_ack(
                &AckRequest {
                    ticket: ticket.clone(),
                    recipient: mail.from.address.clone(),
                    mailbox: mailbox.as_ref().map(|m| m.address.clone()),
                    message_id: message_id.clone(),
                    requested_at: now_ms,
                },
                now_ms - config.ack_window_ms,
            )
            .await?;
        tracing::debug!(asked, "acknowledgement");
    }
    store
        .record_mail_message(&MailMessageRow {
            message_id: message_id.clone(),
            ticket: ticket.clone(),
            direction: "in",
            sender,
            subject_key,
            mailbox: mailbox.map(|m| m.address),
            at: now_ms,
        })
        .await?;
    if outcome.replayed {
        return Ok(Received::Duplicate { ticket, message_id });
    }
    Ok(match join {
        Some(reason) => Received::Joined {
            ticket,
            message_id,
            reason,
            class: mail.class,
        },
        None => Received::Created {
            ticket,
            message_id,
            class: mail.class,
        },
    })
}

/// The seq of the ticket message a command wrote (`messages.id`), which attachments hang on.
fn message_seq(outcome: &sanjeh_store::Outcome) -> Option<i64> {
    outcome.events.iter().find_map(|(seq, line)| {
        let event = Event::parse_line(line).ok()?;
        matches!(event.body, EventBody::TicketMessage(_)).then_some(*seq)
    })
}

/// Keeps each attachment's bytes (once per content) and lists it on the ticket message;
/// over-limit ones are listed without bytes.
async fn store_attachments(
    store: &Store,
    mail: &InboundMail,
    ticket: &str,
    message: Option<i64>,
    now_ms: i64,
) -> Result<(), IngestError> {
    for (part, a) in mail.attachments.iter().enumerate() {
        let listing = NewAttachment {
            ticket: ticket.to_owned(),
            message,
            mail_message_id: mail.message_id.clone(),
            part: part as i64,
            filename: a.filename.clone(),
            declared_type: a.declared_type.clone(),
            sniffed_type: a.sniffed_type.map(str::to_owned),
            size: a.size as i64,
            inline: a.inline,
            content_id: a.content_id.clone(),
            sha256: a.sha256.clone(),
        };
        let bytes = (!a.over_limit).then_some(a.content.as_slice());
        store.store_attachment(&listing, bytes, now_ms).await?;
    }
    Ok(())
}

/// A delivery failure report: recorded on the customer whose address bounced, and when it
/// names a mail we sent, that mail is marked `failed` and an internal note goes on its
/// ticket, as for a permanent SMTP failure. Safe to repeat: the bounce is recorded once,
/// the note carries an idempotency key made from the bounce's Message-ID.
async fn bounced(
    store: &Store,
    writer: &Writer,
    mail: &InboundMail,
    now_ms: i64,
) -> Result<(), IngestError> {
    let mut original = None;
    for id in &mail.bounced_message_ids {
        if let Some(row) = store.outbox_by_message_id(id).await? {
            original = Some(row);
            break;
        }
    }
    let address = mail
        .bounced_recipient
        .clone()
        .or_else(|| original.as_ref().map(|o| o.recipient.clone()));
    let reason = mail
        .bounce_reason
        .clone()
        .unwrap_or_else(|| "delivery failed".to_owned());
    if let Some(address) = &address {
        let customer = store.customer_by_email(address).await?;
        store
            .record_bounce(&BounceRecord {
                address: address.clone(),
                customer,
                message_id: mail.message_id.clone(),
                reason: Some(reason.clone()),
                original_message_id: original.as_ref().map(|o| o.message_id.clone()),
                at: now_ms,
            })
            .await?;
    }
    tracing::info!(bounced = ?address, original = ?original.as_ref().map(|o| o.id), "bounce recorded");
    if let Some(row) = original
        && row.status != "failed"
    {
        let key = IdempotencyKey::new(
            "mail",
            &format!(
                "bounce:{}",
                hex::encode(Sha256::digest(mail.message_id.as_bytes()))
            ),
            "mail-bounce",
            mail.message_id.as_bytes(),
        );
        let body = format!(
            "The email to {} bounced: {reason}\n\
             The mail is kept in the mail queue and can be sent again.",
            row.recipient
        );
        crate::outbound::note_on_ticket(writer, &row.ticket, body, Some(key)).await;
        store.mail_bounced(row.id, &reason, now_ms).await?;
    }
    Ok(())
}

/// What the ticket message says: the customer's new words, and the attachments listed.
fn message_body(mail: &InboundMail) -> String {
    let listed: Vec<Listed<'_>> = mail
        .attachments
        .iter()
        .map(|a| Listed {
            filename: a.filename.as_deref(),
            content_type: a.sniffed_type.unwrap_or(&a.declared_type),
            size: a.size,
            kept: !a.over_limit,
        })
        .collect();
    let mut body = with_listing(mail.reply_text.trim(), &listed);
    if body.trim().is_empty() {
        body = "(empty message)".into();
    }
    crate::parse::truncate_utf8(&mut body, sanjeh_domain::command::MAX_BODY_BYTES);
    body
}

/// The sender's customer, made on first contact. A new customer's id is derived from the
/// address, and its profile is recorded under an idempotency key, so two first messages
/// racing each other make one customer.
async fn customer_for(
    store: &Store,
    writer: &Writer,
    mail: &InboundMail,
) -> Result<Id, IngestError> {
    let address = &mail.from.address;
    if let Some(id) = store.customer_by_email(address).await? {
        return Ok(Id::parse("customer", &id).map_err(|e| StoreError::Domain(e.into()))?);
    }
    let digest = hex::encode(Sha256::digest(address.as_bytes()));
    let id =
        Id::parse("customer", &format!("C-mail-{}", &digest[..20])).expect("derived ids are valid");
    let profile = CustomerProfile {
        customer: id.clone(),
        name: mail.from.name.clone(),
        email: Some(address.clone()),
        organization: None,
        language: None,
    };
    let key = IdempotencyKey::new(
        "mail",
        &format!("customer:{digest}"),
        "mail-customer",
        address.as_bytes(),
    );
    writer
        .submit(
            Request::Record(vec![EventBody::CustomerProfile(profile)]),
            Some(key),
        )
        .await?;
    Ok(id)
}

/// Looks up every key threading needs.
async fn gather(
    store: &Store,
    mail: &InboundMail,
    envelope_to: Option<&str>,
    customer: &Id,
    subject_key: &str,
    config: &InboundConfig,
    now_ms: i64,
) -> Result<Evidence, IngestError> {
    let mut evidence = Evidence::default();
    for id in mail.thread_ids() {
        if let Some(t) = store.mail_ticket(id).await? {
            evidence.by_reference = found(store, &t, customer).await?;
            if evidence.by_reference.is_some() {
                break;
            }
        }
    }
    let token = token_in_subject(&mail.subject).or_else(|| {
        envelope_to
            .into_iter()
            .chain(mail.recipients().map(|m| m.address.as_str()))
            .find_map(token_in_address)
    });
    if let Some(t) = token {
        evidence.by_token = found(store, &t, customer).await?;
    }
    if !subject_key.is_empty()
        && let Some(t) = store
            .mail_recent_thread(
                &mail.from.address,
                subject_key,
                now_ms - config.same_subject_window_ms,
            )
            .await?
    {
        evidence.recent_same_subject = found(store, &t, customer).await?;
    }
    Ok(evidence)
}

async fn found(store: &Store, ticket: &str, customer: &Id) -> Result<Option<Found>, IngestError> {
    let Some(t) = store.ticket(ticket).await? else {
        return Ok(None);
    };
    // Follow a merge to the ticket it went into (one step; merges into merged tickets are
    // refused by the domain, which only merges into open tickets).
    let t = match &t.merged_into {
        Some(into) => match store.ticket(into.as_str()).await? {
            Some(target) => target,
            None => t,
        },
        None => t,
    };
    Ok(Some(Found {
        sender_is_customer: t.customer.as_ref() == Some(customer),
        ticket: t.id.clone(),
        status: t.status,
        merged_into: None,
    }))
}

/// A fresh id: prefix + milliseconds (hex) + 32 random bits, as the API makes them.
pub(crate) fn generate_id(prefix: &str) -> String {
    let ms = jiff::Timestamp::now().as_millisecond().max(0);
    format!("{prefix}{ms:011x}{:08x}", rand::random::<u32>())
}
