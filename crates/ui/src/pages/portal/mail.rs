//! The sign-in link mail: composed with lettre in the reader's language, from the outbound
//! relay's sender when one is configured, and queued in the store's durable outbound queue
//! (`mail_outbox`, drained by the email channel's sender). While no relay is configured (a
//! newcomer's first run) the link is also logged at info level, so customers can still be
//! signed in; once mail goes out the link is never logged: a log reader could sign in with it.

use crate::Ui;
use crate::i18n::Lang;
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox};
use sanjeh_store::portal::NoticeMail;

/// What a link mail is for; it changes the words, not the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The customer asked to sign in.
    SignIn,
    /// The customer wrote through the contact form; the link opens their ticket.
    Contact,
}

/// A link mail to send.
pub(crate) struct LinkMail<'a> {
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub url: &'a str,
    pub lang: Lang,
    pub purpose: Purpose,
}

/// Who portal mail comes from.
struct Sender {
    address: String,
    name: String,
}

/// The mail's Message-ID (without brackets) and bytes.
fn compose(ui: &Ui, sender: &Sender, m: &LinkMail<'_>) -> Result<(String, Vec<u8>), String> {
    let options = &ui.options.portal;
    let domain = sender
        .address
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let message_id = format!(
        "sanjeh.portal.{}@{domain}",
        hex::encode(rand::random::<[u8; 12]>())
    );
    let from = Mailbox::new(
        Some(sender.name.clone()),
        sender.address.parse().map_err(|e| format!("from: {e}"))?,
    );
    let to = Mailbox::new(
        m.to_name.map(str::to_owned),
        m.to.parse().map_err(|e| format!("to: {e}"))?,
    );
    let minutes = (options.link_ttl.as_secs() / 60).max(1) as i64;
    let (subject_key, intro_key) = match m.purpose {
        Purpose::SignIn => ("portal-mail-subject", "portal-mail-intro"),
        Purpose::Contact => ("portal-mail-contact-subject", "portal-mail-contact-intro"),
    };
    // The link stands alone on its line, outside any message: Fluent's bidi isolation marks
    // must not end up inside a URL.
    let text = format!(
        "{}\n\n{}\n\n{}\n",
        m.lang
            .t_args(intro_key, &[("minutes", m.lang.int(minutes))])
            .replace(['\u{2068}', '\u{2069}'], ""),
        m.url,
        m.lang.t("portal-mail-ignore"),
    );
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(m.lang.t(subject_key))
        .message_id(Some(format!("<{message_id}>")))
        .header(ContentType::TEXT_PLAIN)
        .body(
            Body::new_with_encoding(text, ContentTransferEncoding::Base64)
                .map_err(|_| "encoding the body".to_owned())?,
        )
        .map_err(|e| e.to_string())?;
    // Not a person writing: autoresponders must not answer it (RFC 3834).
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    ));
    Ok((message_id, message.formatted()))
}

/// Queues the link mail (and logs the link while no relay is configured). Failures are
/// logged: the answer to the browser never depends on them (it must not tell whether an
/// address is known).
pub(crate) async fn send_link(ui: &Ui, m: LinkMail<'_>) {
    let relay = match sanjeh_email::config::outbound(ui.app.store()).await {
        Ok(relay) => relay,
        Err(e) => {
            tracing::warn!(error = %e, "outbound mail settings unreadable");
            None
        }
    };
    let sender = match &relay {
        Some(r) => Sender {
            address: r.from.clone(),
            name: r.from_name.clone(),
        },
        None => {
            tracing::info!(
                to = m.to,
                link = m.url,
                purpose = ?m.purpose,
                "portal sign-in link (no outbound mail relay configured: logged, and queued)"
            );
            Sender {
                address: ui.options.portal.mail_from.clone(),
                name: ui.options.portal.mail_from_name.clone(),
            }
        }
    };
    if relay.is_some() {
        tracing::info!(to = m.to, purpose = ?m.purpose, "portal sign-in link queued");
    }
    let (message_id, bytes) = match compose(ui, &sender, &m) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = e, "portal link mail not composed");
            return;
        }
    };
    let mail = NoticeMail {
        source: format!("portal-link:{message_id}"),
        message_id,
        sender: sender.address,
        recipient: m.to.to_lowercase(),
        message: bytes,
    };
    let now = crate::session::now_ms();
    if let Err(e) = ui.app.store().queue_notice_mail(&mail, now).await {
        tracing::error!(error = %e, "portal link mail not queued");
    }
}
