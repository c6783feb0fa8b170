//! Raw RFC 5322 bytes → [`InboundMail`]: addresses, threading headers, the customer's own words
//! (quoted history and signature stripped), sanitized HTML, attachment metadata with sniffed
//! types, and the loop-protection class (auto-submitted, bulk, bounce).
//!
//! No I/O and no clock: everything here is a function of the bytes and the limits.
//! MIME decoding and charsets (windows-1256, ISO-8859-6, KOI8-R, windows-1251, ISO-2022-JP,
//! UTF-8, encoded words) are mail-parser's; what Sanjeh decides is in this file.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// Bounds on what one inbound message may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest raw message accepted at all.
    pub max_message_bytes: usize,
    /// The largest attachment kept; larger ones are listed with `over_limit`.
    pub max_attachment_bytes: usize,
    /// At most this many attachments are listed.
    pub max_attachments: usize,
    /// The ticket message body is cut to this many bytes (the domain refuses more).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 25 * 1024 * 1024,
            max_attachment_bytes: 10 * 1024 * 1024,
            max_attachments: 50,
            max_body_bytes: sanjeh_domain::command::MAX_BODY_BYTES,
        }
    }
}

/// Why a message could not be read as mail at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the message is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("not an RFC 5322 message (no header section)")]
    NotMail,
    #[error("the message has no From address")]
    NoSender,
    /// The MIME parser gave up on the structure (it panicked; caught here).
    #[error("the MIME structure of the message could not be read")]
    Malformed,
}

/// An address with its display name; the address is lowercased (the comparison key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// How the message came to be written: only `Personal` mail may get an automatic answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClass {
    /// Written by a person (as far as the headers tell).
    Personal,
    /// `Auto-Submitted` other than `no`, or an out-of-office marker (`X-Autoreply`,
    /// `X-Autorespond`, `X-Auto-Response-Suppress: OOF`/`All`).
    AutoSubmitted,
    /// `Precedence: bulk|list|junk`, or a mailing list (`List-Id`, `List-Unsubscribe`).
    Bulk,
    /// A delivery status notification: from mailer-daemon/postmaster, an empty return path
    /// with a report, or `multipart/report; report-type=delivery-status`.
    Bounce,
}

impl MailClass {
    pub fn as_str(self) -> &'static str {
        match self {
            MailClass::Personal => "personal",
            MailClass::AutoSubmitted => "auto_submitted",
            MailClass::Bulk => "bulk",
            MailClass::Bounce => "bounce",
        }
    }

    /// May Sanjeh answer this message automatically (acknowledgement, notification)?
    pub fn may_auto_reply(self) -> bool {
        self == MailClass::Personal
    }
}

/// An attachment or inline image: described, with its bytes when within the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    /// What the message says it is (`image/png`), lowercased.
    pub declared_type: String,
    /// What its first bytes say it is, when recognised; trust this one.
    pub sniffed_type: Option<&'static str>,
    pub size: usize,
    /// Shown inside the HTML (`Content-Disposition: inline` or a `Content-ID`).
    pub inline: bool,
    pub content_id: Option<String>,
    /// Larger than [`Limits::max_attachment_bytes`]: listed, not kept.
    pub over_limit: bool,
    /// SHA-256 of the content, hex: the key it is stored under, once per content.
    pub sha256: String,
    /// The decoded bytes; empty when `over_limit` (they are not kept).
    pub content: Vec<u8>,
}

/// A parsed inbound message: what threading, loop protection and the ticket need.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMail {
    /// The Message-ID without angle brackets; made from the content when the message has
    /// none (`sha256-<hex>@sanjeh.invalid`), so every message has a dedup key.
    pub message_id: String,
    /// True when `message_id` was made here.
    pub message_id_synthesized: bool,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Decoded subject as written (encoded words decoded); empty when absent.
    pub subject: String,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The Date header, epoch milliseconds.
    pub date_ms: Option<i64>,
    /// The whole plain text (the text/plain part, or the HTML part turned into text).
    pub text: String,
    /// The customer's new words: `text` without quoted history and signature.
    pub reply_text: String,
    /// The HTML part, sanitized (scripts, styles, event handlers and remote loads removed).
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub class: MailClass,
    /// For a bounce: the recipient whose delivery failed, if the report names it.
    pub bounced_recipient: Option<String>,
    /// For a bounce: the Message-IDs of the returned mail (the original message or its
    /// headers inside the report, then In-Reply-To and References), nearest first.
    pub bounced_message_ids: Vec<String>,
    /// For a bounce: why delivery failed (`Diagnostic-Code`, else `Status`, else the subject).
    pub bounce_reason: Option<String>,
}

impl InboundMail {
    /// The address replies go to: Reply-To when given, else From.
    pub fn reply_address(&self) -> &str {
        self.reply_to
            .as_ref()
            .map_or(self.from.address.as_str(), |m| m.address.as_str())
    }

    /// Every address the message was sent to (To, then Cc).
    pub fn recipients(&self) -> impl Iterator<Item = &Mailbox> {
        self.to.iter().chain(self.cc.iter())
    }

    /// Message-IDs this message answers, nearest first (In-Reply-To, then References from the
    /// newest back).
    pub fn thread_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.in_reply_to.iter().chain(self.references.iter().rev()) {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }
}

/// Parses raw message bytes.
///
/// mail-parser is not panic-free on hostile input (the fuzz harness found a debug assertion
/// on a multipart whose parent part is lost, `tests/corpus/fuzz-found-1.eml`): a panic inside
/// it is caught and the message refused as `Malformed`, so one bad mail cannot stop a poller
/// or the SMTP receiver.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<InboundMail, ParseError> {
    std::panic::catch_unwind(|| parse_unguarded(raw, limits)).unwrap_or_else(|_| {
        tracing::warn!(
            bytes = raw.len(),
            "the MIME parser panicked; message refused"
        );
        Err(ParseError::Malformed)
    })
}

fn parse_unguarded(raw: &[u8], limits: &Limits) -> Result<InboundMail, ParseError> {
    if raw.len() > limits.max_message_bytes {
        return Err(ParseError::TooLarge {
            size: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotMail)?;
    if message.headers().is_empty() {
        return Err(ParseError::NotMail);
    }
    let from = message
        .from()
        .and_then(first_mailbox)
        .or_else(|| message.sender().and_then(first_mailbox))
        .ok_or(ParseError::NoSender)?;
    let (message_id, message_id_synthesized) = match message.message_id().map(clean_id) {
        Some(id) if !id.is_empty() => (id, false),
        _ => (synthesized_id(raw), true),
    };
    let text = message
        .body_text(0)
        .map(|t| normalize_newlines(&t))
        .unwrap_or_default();
    let html = if message.html_body_count() > 0 {
        message
            .html_part(0)
            .and_then(|p| match &p.body {
                PartType::Html(h) => Some(sanitize_html(h)),
                _ => None,
            })
            .filter(|h| !h.trim().is_empty())
    } else {
        None
    };
    let mut reply_text = strip_reply(&text);
    truncate_utf8(&mut reply_text, limits.max_body_bytes);
    let class = classify(&message, &from);
    let in_reply_to = id_list(message.in_reply_to());
    let references = id_list(message.references());
    let subject = message
        .subject()
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let (bounced_recipient, bounced_message_ids, bounce_reason) = if class == MailClass::Bounce {
        let mut ids = returned_message_ids(&message);
        for id in in_reply_to.iter().chain(references.iter().rev()) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        let reason =
            bounce_reason(&message).or_else(|| Some(subject.clone()).filter(|s| !s.is_empty()));
        (bounced_recipient(&message), ids, reason)
    } else {
        (None, Vec::new(), None)
    };
    Ok(InboundMail {
        message_id,
        message_id_synthesized,
        reply_to: message.reply_to().and_then(first_mailbox),
        to: message.to().map(mailboxes).unwrap_or_default(),
        cc: message.cc().map(mailboxes).unwrap_or_default(),
        subject,
        in_reply_to,
        references,
        date_ms: message.date().map(|d| d.to_timestamp() * 1000),
        text,
        reply_text,
        html,
        attachments: attachments(&message, limits),
        class,
        bounced_recipient,
        bounced_message_ids,
        bounce_reason,
        from,
    })
}

fn first_mailbox(a: &Address<'_>) -> Option<Mailbox> {
    mailboxes(a).into_iter().next()
}

fn mailboxes(a: &Address<'_>) -> Vec<Mailbox> {
    a.iter()
        .filter_map(|addr| {
            let address = addr.address()?.trim().to_lowercase();
            if !address.contains('@') {
                return None;
            }
            Some(Mailbox {
                name: addr
                    .name()
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                address,
            })
        })
        .collect()
}

/// A Message-ID as stored and compared: no angle brackets, no surrounding space.
pub fn clean_id(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<String> = match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    raw.iter()
        .flat_map(|t| t.split_whitespace().map(clean_id).collect::<Vec<_>>())
        .filter(|id| !id.is_empty())
        .collect()
}

/// A stable Message-ID for a message without one: the same bytes always get the same id.
fn synthesized_id(raw: &[u8]) -> String {
    format!("sha256-{}@sanjeh.invalid", hex::encode(Sha256::digest(raw)))
}

fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(crate) fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

/// Removes what must never reach an agent's browser from inbound HTML: scripts, styles,
/// event handlers, forms, remote resources other than links. `cid:` images are kept (they
/// point at the message's own inline parts).
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "cid"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

// ----- quoted history and signatures -----

/// The line Sanjeh puts above its outbound messages: everything from it down is history.
pub const REPLY_ABOVE_MARKER: &str = "##- Please type your reply above this line -##";

/// The customer's own words: cut at the first line that opens quoted history (an attribution
/// line in English, Russian or Persian, an "Original Message" separator, an Outlook header
/// block, Sanjeh's reply marker) or a signature delimiter, then drop trailing `>` lines.
/// Interleaved quotes above the cut are kept: they give the answers below them their context.
/// When nothing would remain, the whole text is kept.
pub fn strip_reply(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if opens_history(line, lines.get(i + 1).copied()) || is_signature_delimiter(line) {
            end = i;
            break;
        }
    }
    let mut kept = &lines[..end];
    while let Some(last) = kept.last() {
        let t = last.trim();
        if t.is_empty() || t.starts_with('>') {
            kept = &kept[..kept.len() - 1];
        } else {
            break;
        }
    }
    while let Some(first) = kept.first() {
        if first.trim().is_empty() {
            kept = &kept[1..];
        } else {
            break;
        }
    }
    let out = kept
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    if out.trim().is_empty() {
        text.trim().to_owned()
    } else {
        out
    }
}

fn is_signature_delimiter(line: &str) -> bool {
    // RFC 3676 "-- " and the common "--" without its space; "__" lines from mobile clients.
    line == "-- " || line == "--" || line.trim_end() == "—"
}

fn opens_history(line: &str, next: Option<&str>) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    if t.contains(REPLY_ABOVE_MARKER) {
        return true;
    }
    let lower = t.to_lowercase();
    if lower.starts_with("-----original message-----")
        || lower.starts_with("-----исходное сообщение-----")
        || lower.starts_with("-------- original message --------")
        || lower.starts_with("-------- пересылаемое сообщение --------")
        || lower.starts_with("---------- forwarded message")
    {
        return true;
    }
    // Outlook: a rule of underscores, then "From:".
    if t.len() >= 20 && t.chars().all(|c| c == '_') {
        return next.is_some_and(|n| {
            let n = n.trim().to_lowercase();
            n.starts_with("from:") || n.starts_with("от:") || n.starts_with("از:")
        });
    }
    // Attribution lines: "On <date>, <name> wrote:", "<date>, <name> написал(а):",
    // "در تاریخ … نوشت:". Long lines wrapped by the client end the same way.
    let ends_attribution = lower.ends_with("wrote:")
        || lower.ends_with("написал:")
        || lower.ends_with("написала:")
        || lower.ends_with("написал(а):")
        || lower.ends_with("пишет:")
        || t.ends_with("نوشت:")
        || t.ends_with("نوشته است:");
    if ends_attribution && !t.starts_with('>') {
        return true;
    }
    // An attribution wrapped over two lines: "On Mon, 5 Jan 2026 at 09:00, Ann <a@b>" + "wrote:".
    if lower.starts_with("on ") && next.is_some_and(|n| n.trim().to_lowercase() == "wrote:") {
        return true;
    }
    false
}

// ----- loop protection -----

fn header_text<'a>(message: &'a Message<'_>, name: &'static str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim)
}

fn classify(message: &Message<'_>, from: &Mailbox) -> MailClass {
    if is_bounce(message, from) {
        return MailClass::Bounce;
    }
    if let Some(v) = header_text(message, "Auto-Submitted")
        && !v.to_ascii_lowercase().starts_with("no")
    {
        return MailClass::AutoSubmitted;
    }
    if header_text(message, "X-Autoreply").is_some()
        || header_text(message, "X-Autorespond").is_some()
        || header_text(message, "X-Auto-Response-Suppress").is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("oof") || v.contains("all")
        })
    {
        return MailClass::AutoSubmitted;
    }
    if let Some(v) = header_text(message, "Precedence") {
        let v = v.to_ascii_lowercase();
        if v == "bulk" || v == "list" || v == "junk" {
            return MailClass::Bulk;
        }
        if v == "auto_reply" {
            return MailClass::AutoSubmitted;
        }
    }
    if header_text(message, "List-Id").is_some()
        || header_text(message, "List-Unsubscribe").is_some()
    {
        return MailClass::Bulk;
    }
    MailClass::Personal
}

fn is_bounce(message: &Message<'_>, from: &Mailbox) -> bool {
    let local = from.address.split('@').next().unwrap_or_default();
    if local == "mailer-daemon" || local == "postmaster" {
        return true;
    }
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    if report {
        return true;
    }
    // An empty envelope sender is what MTAs give their notifications.
    header_text(message, "Return-Path").is_some_and(|r| r == "<>")
        && header_text(message, "X-Failed-Recipients").is_some()
}

fn bounced_recipient(message: &Message<'_>) -> Option<String> {
    if let Some(r) = header_text(message, "X-Failed-Recipients") {
        let r = r.split(',').next().unwrap_or_default().trim();
        if r.contains('@') {
            return Some(r.to_lowercase());
        }
    }
    // The delivery-status part: "Final-Recipient: rfc822; ann@example.com".
    for part in message.parts.iter() {
        let body: &[u8] = match &part.body {
            PartType::Text(t) => t.as_bytes(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            _ => continue,
        };
        let text = String::from_utf8_lossy(body);
        for line in text.lines() {
            let lower = line.to_ascii_lowercase();
            for field in ["final-recipient:", "original-recipient:"] {
                if let Some(rest) = lower.strip_prefix(field) {
                    let addr = rest.rsplit(';').next().unwrap_or(rest).trim();
                    let addr = addr.trim_start_matches('<').trim_end_matches('>');
                    if addr.contains('@') {
                        return Some(addr.to_owned());
                    }
                }
            }
        }
    }
    None
}

/// The Message-IDs of the mail a report returns: an attached `message/rfc822` part, or the
/// `Message-ID:` lines of a `text/rfc822-headers` part (or of any text part after the first,
/// for MTAs that paste the headers into the report).
fn returned_message_ids(message: &Message<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, part) in message.parts.iter().enumerate() {
        match &part.body {
            PartType::Message(inner) => {
                if let Some(id) = inner.message_id().map(clean_id).filter(|id| !id.is_empty()) {
                    ids.push(id);
                }
            }
            PartType::Text(_) | PartType::Binary(_) | PartType::InlineBinary(_) if i > 1 => {
                let text = String::from_utf8_lossy(part.contents());
                for line in text.lines() {
                    let Some((name, value)) = line.split_once(':') else {
                        continue;
                    };
                    if name.trim().eq_ignore_ascii_case("message-id") {
                        let id = clean_id(value);
                        if !id.is_empty() && !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    ids
}

/// `Diagnostic-Code` of the delivery-status part (the remote server's answer), else its
/// `Status`, cut to 500 bytes.
fn bounce_reason(message: &Message<'_>) -> Option<String> {
    let mut status = None;
    for part in message.parts.iter() {
        let body: &[u8] = match &part.body {
            PartType::Text(t) => t.as_bytes(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            _ => continue,
        };
        let text = String::from_utf8_lossy(body);
        for line in text.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if name == "diagnostic-code" {
                let mut v = value.to_owned();
                truncate_utf8(&mut v, 500);
                return Some(v);
            }
            if name == "status" && status.is_none() {
                status = Some(value.to_owned());
            }
        }
    }
    status.map(|mut s| {
        truncate_utf8(&mut s, 500);
        s
    })
}

// ----- attachments -----

fn attachments(message: &Message<'_>, limits: &Limits) -> Vec<Attachment> {
    message
        .attachments()
        .take(limits.max_attachments)
        .map(|part| {
            let bytes = part.contents();
            let declared_type = part
                .content_type()
                .map(|ct| {
                    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream"))
                        .to_ascii_lowercase()
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            let content_id = part.content_id().map(clean_id);
            let over_limit = bytes.len() > limits.max_attachment_bytes;
            let inline = part
                .content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"))
                || content_id.is_some();
            Attachment {
                filename: part.attachment_name().map(sanitize_filename),
                declared_type,
                sniffed_type: sniff(bytes),
                size: bytes.len(),
                inline,
                content_id,
                over_limit,
                sha256: hex::encode(Sha256::digest(bytes)),
                content: if over_limit {
                    Vec::new()
                } else {
                    bytes.to_vec()
                },
            }
        })
        .collect()
}

/// A file name safe to show and to store under: no directories, no control characters.
fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "attachment".into()
    } else {
        clean
    }
}

/// The type the content's first bytes announce, for the formats mail commonly carries.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"BM", "image/bmp"),
        (b"Rar!\x1a\x07", "application/vnd.rar"),
        (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "application/x-ole-storage",
        ),
        (b"MZ", "application/x-msdownload"),
        (b"\x7fELF", "application/x-elf"),
        (b"OggS", "audio/ogg"),
        (b"ID3", "audio/mpeg"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some("video/mp4");
    }
    MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_attribution_and_quotes() {
        let text = "Thanks, it works now.\n\nOn Mon, 5 Jan 2026, Support <support@x.org> wrote:\n> Try again\n> please\n";
        assert_eq!(strip_reply(text), "Thanks, it works now.");
    }

    #[test]
    fn strips_wrapped_attribution_signature_and_marker() {
        let t = "Yes.\nOn Mon, 5 Jan 2026 at 09:00, Ann <a@b.c>\nwrote:\n> x";
        assert_eq!(strip_reply(t), "Yes.");
        let t = "Still broken.\n-- \nAnn\nACME";
        assert_eq!(strip_reply(t), "Still broken.");
        let t = format!("ok\n\n{REPLY_ABOVE_MARKER}\nold text");
        assert_eq!(strip_reply(&t), "ok");
    }

    #[test]
    fn strips_russian_persian_and_outlook_history() {
        let t = "Спасибо!\n\n5 янв. 2026 г., в 9:00, Поддержка <s@x.ru> написал(а):\n> старое";
        assert_eq!(strip_reply(t), "Спасибо!");
        let t = "ممنون\n\nدر تاریخ ۱۴۰۴/۱۰/۱۵، پشتیبانی نوشت:\n> قدیمی";
        assert_eq!(strip_reply(t), "ممنون");
        let t = "Done.\n\n________________________________\nFrom: Support\nSent: today";
        assert_eq!(strip_reply(t), "Done.");
    }

    #[test]
    fn keeps_interleaved_quotes_and_whole_text_when_all_is_quoted() {
        let t = "> Which version?\n2.1\n> OS?\nLinux";
        assert_eq!(strip_reply(t), t);
        let t = "> only a quote";
        assert_eq!(strip_reply(t), "> only a quote");
    }

    #[test]
    fn sniffs_common_types() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn file_names_lose_directories() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\x\\a.pdf"), "a.pdf");
        assert_eq!(sanitize_filename(".."), "attachment");
    }

    #[test]
    fn html_is_sanitized() {
        let h = sanitize_html(
            "<p onclick=\"x()\">Hi<script>alert(1)</script><img src=\"cid:logo\"></p>",
        );
        assert!(!h.contains("script") && !h.contains("onclick"), "{h}");
        assert!(h.contains("cid:logo"), "{h}");
    }
}
