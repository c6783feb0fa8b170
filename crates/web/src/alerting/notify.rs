//! Turns a rule's notify targets into rows for the store's durable queues: a composed mail
//! for the outbound mail queue, a signed webhook call, in-app notifications per agent.

use hmac::{Hmac, KeyInit, Mac};
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use sanjeh_sla::rules::Notify;
use sanjeh_store::alerting::Outgoing;
use sanjeh_store::mail::NewOutbound;
use sanjeh_store::{Store, StoreError};

/// How notification mail is addressed.
#[derive(Debug, Clone)]
pub struct MailIdentity {
    /// The sender of notification mail.
    pub from: String,
    /// The domain of the Message-IDs made for it.
    pub message_id_domain: String,
}

impl Default for MailIdentity {
    fn default() -> Self {
        MailIdentity {
            from: "support@localhost".into(),
            message_id_domain: "sanjeh.localhost".into(),
        }
    }
}

/// What a notice says, to whom it is about, and what caused it.
pub struct Notice<'a> {
    /// What caused it (`escalation:T-1:rule:metric:run`): each target is queued once.
    pub source: &'a str,
    pub ticket: Option<&'a str>,
    /// The ticket's assignee, for `"to": "assignee"` and `assignee: true`.
    pub assignee: Option<&'a str>,
    pub title: &'a str,
    pub text: &'a str,
    /// The webhook body.
    pub payload: &'a serde_json::Value,
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, the `X-Sanjeh-Signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The rows to queue for `targets`. An email to an assignee without an address, or to a
/// ticket without an assignee, is skipped (and logged): the other targets still get theirs.
pub async fn outgoing(
    store: &Store,
    mail: &MailIdentity,
    targets: &[Notify],
    n: &Notice<'_>,
) -> Result<Vec<Outgoing>, StoreError> {
    let mut out = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        match target {
            Notify::Email { to } => {
                let address = if to == "assignee" {
                    match n.assignee {
                        Some(a) => store.agent_email(a).await?,
                        None => None,
                    }
                } else {
                    Some(to.clone())
                };
                let Some(address) = address else {
                    tracing::warn!(
                        source = n.source,
                        "no assignee address: escalation mail skipped"
                    );
                    continue;
                };
                match compose(mail, &address, n) {
                    Ok(message) => out.push(Outgoing::Mail(NewOutbound {
                        source: format!("{}:mail:{i}", n.source),
                        ticket: n.ticket.unwrap_or_default().to_owned(),
                        message_id: message.0,
                        sender: mail.from.clone(),
                        recipient: address,
                        subject_key: n.title.to_owned(),
                        message: message.1,
                        kind: "notification",
                    })),
                    Err(e) => tracing::warn!(
                        source = n.source,
                        error = e,
                        "notification mail not composed"
                    ),
                }
            }
            Notify::Webhook {
                url,
                secret,
                secret_id,
            } => {
                let secret = match (secret, secret_id) {
                    (Some(inline), _) => Some(inline.clone()),
                    (None, Some(id)) => store.webhook_secret(id).await?,
                    (None, None) => None,
                };
                let Some(secret) = secret else {
                    // A log imported from another instance names secrets kept there.
                    tracing::warn!(
                        source = n.source,
                        secret_id = secret_id.as_deref(),
                        "webhook secret not stored here: call skipped; set the rules again with the secret"
                    );
                    continue;
                };
                let body = n.payload.to_string();
                out.push(Outgoing::Webhook {
                    source: format!("{}:webhook:{i}", n.source),
                    url: url.clone(),
                    signature: signature(&secret, body.as_bytes()),
                    body,
                });
            }
            Notify::InApp {
                agents,
                groups,
                assignee,
            } => {
                let mut who: Vec<String> = agents.iter().map(|a| a.to_string()).collect();
                for g in groups {
                    who.extend(store.agents_of_group(g.as_str()).await?);
                }
                if *assignee && let Some(a) = n.assignee {
                    who.push(a.to_owned());
                }
                who.sort();
                who.dedup();
                for agent in who {
                    out.push(Outgoing::InApp {
                        source: n.source.to_owned(),
                        agent,
                        ticket: n.ticket.map(str::to_owned),
                        title: n.title.to_owned(),
                        body: n.text.to_owned(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A plain-text notification mail: its Message-ID (without brackets) and its bytes.
fn compose(mail: &MailIdentity, to: &str, n: &Notice<'_>) -> Result<(String, Vec<u8>), String> {
    let message_id = format!(
        "sanjeh.notice.{}@{}",
        hex::encode(rand::random::<[u8; 12]>()),
        mail.message_id_domain
    );
    let from: Mailbox = mail.from.parse().map_err(|e| format!("from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("to: {e}"))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(n.title)
        .message_id(Some(format!("<{message_id}>")))
        .header(ContentType::TEXT_PLAIN)
        .body(n.text.to_owned())
        .map_err(|e| e.to_string())?;
    Ok((message_id, message.formatted()))
}
