//! Which ticket an inbound message belongs to: the ticket token, subject normalization and
//! the threading decision. Pure: the caller looks the keys up and passes what it found.
//!
//! Order of evidence, strongest first:
//! 1. the Message-ID was stored before → a duplicate, dropped (whatever the retries);
//! 2. In-Reply-To / References name a message Sanjeh stored or sent → that ticket;
//! 3. a ticket token, `[#T-123]` in the subject or `support+T-123@…` in a recipient, of a
//!    ticket whose customer is the sender (a token alone is guessable, so a stranger's mail
//!    naming someone else's ticket opens a ticket of its own) → that ticket;
//! 4. the same sender wrote the same (normalized) subject within the window → that ticket;
//! 5. otherwise a new ticket.
//!
//! A ticket found closed is never joined (closed is final): the mail opens a new ticket. A
//! merged ticket is followed to the ticket it was merged into.

use sanjeh_domain::{Id, Status};

/// What the store knows about a ticket a key led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub ticket: Id,
    pub status: Status,
    /// The ticket it was merged into, when it was; already followed by the caller if it can.
    pub merged_into: Option<Id>,
    /// The ticket's customer is the sender of the message being threaded.
    pub sender_is_customer: bool,
}

/// Everything the lookups found for one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The ticket a message with this Message-ID was already stored on.
    pub stored: Option<Id>,
    /// The first ticket found through In-Reply-To / References.
    pub by_reference: Option<Found>,
    /// The ticket named by a token in the subject or a recipient address.
    pub by_token: Option<Found>,
    /// A ticket the same sender opened with the same subject within the window.
    pub recent_same_subject: Option<Found>,
}

/// Why a message joins a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinReason {
    Reference,
    Token,
    SameSubject,
}

impl JoinReason {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinReason::Reference => "reference",
            JoinReason::Token => "token",
            JoinReason::SameSubject => "same_subject",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Stored already: do nothing, answer with the ticket it is on.
    Duplicate(Id),
    /// Post the message on this ticket.
    Join(Id, JoinReason),
    /// Open a new ticket; `follows` names a closed ticket the message answered, if any.
    Open { follows: Option<Id> },
}

/// Decides where a message goes from what the lookups found.
pub fn decide(e: &Evidence) -> Decision {
    if let Some(t) = &e.stored {
        return Decision::Duplicate(t.clone());
    }
    let mut follows = None;
    let candidates = [
        (e.by_reference.as_ref(), JoinReason::Reference),
        (
            e.by_token.as_ref().filter(|f| f.sender_is_customer),
            JoinReason::Token,
        ),
        (e.recent_same_subject.as_ref(), JoinReason::SameSubject),
    ];
    for (found, reason) in candidates {
        let Some(found) = found else { continue };
        if found.status == Status::Closed {
            // Merged tickets are closed too: join where it went, if that is still open.
            if let Some(into) = &found.merged_into {
                return Decision::Join(into.clone(), reason);
            }
            follows.get_or_insert_with(|| found.ticket.clone());
            continue;
        }
        return Decision::Join(found.ticket.clone(), reason);
    }
    Decision::Open { follows }
}

// ----- the ticket token -----

/// The token Sanjeh puts in the subject of every mail about a ticket: `[#T-123]`.
pub fn subject_token(ticket: &str) -> String {
    format!("[#{ticket}]")
}

/// Can this ticket id travel in a token (subject and address local part)? Ids Sanjeh makes
/// always can; imported ones with other characters rely on the threading headers alone.
pub fn tokenable(ticket: &str) -> bool {
    !ticket.is_empty()
        && ticket.len() <= 64
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A subject carrying the token once: `Re: Refund [#T-123]`.
pub fn subject_with_token(subject: &str, ticket: &str) -> String {
    let token = subject_token(ticket);
    if !tokenable(ticket) || subject.contains(&token) {
        return subject.to_owned();
    }
    if subject.trim().is_empty() {
        token
    } else {
        format!("{} {token}", subject.trim_end())
    }
}

/// The ticket id in the first `[#…]` token of a subject.
pub fn token_in_subject(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(start) = rest.find("[#") {
        let after = &rest[start + 2..];
        if let Some(end) = after.find(']') {
            let id = after[..end].trim();
            if tokenable(id) {
                return Some(id.to_owned());
            }
            rest = &after[end..];
        } else {
            break;
        }
    }
    None
}

/// The reply address for a ticket: `support+T-123@example.com` (plus addressing).
pub fn token_address(mailbox: &str, ticket: &str) -> String {
    match mailbox.split_once('@') {
        Some((local, domain)) if tokenable(ticket) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}+{ticket}@{domain}")
        }
        _ => mailbox.to_owned(),
    }
}

/// The ticket id in a plus-addressed recipient, `support+T-123@…`.
pub fn token_in_address(address: &str) -> Option<String> {
    let local = address.split('@').next()?;
    let (_, tag) = local.split_once('+')?;
    tokenable(tag).then(|| tag.to_owned())
}

/// The address without its plus tag, lowercased: how a mailbox is recognised.
pub fn base_address(address: &str) -> String {
    let address = address.trim().to_lowercase();
    match address.split_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => address,
    }
}

/// The subject as threading compares it: reply and forward prefixes (en, ru, fa, de, and
/// `[#…]` tokens) removed, spaces collapsed, lowercased.
pub fn normalize_subject(subject: &str) -> String {
    const PREFIXES: &[&str] = &[
        "re:",
        "re :",
        "fw:",
        "fwd:",
        "aw:",
        "wg:",
        "sv:",
        "ответ:",
        "отв:",
        "пересл:",
        "fw :",
        "پاسخ:",
        "پاسخ :",
        "ارسال:",
        "هدایت:",
    ];
    let mut s = subject.trim().to_lowercase();
    // Remove tokens wherever they are.
    while let Some(start) = s.find("[#") {
        match s[start..].find(']') {
            Some(end) => s.replace_range(start..start + end + 1, " "),
            None => break,
        }
    }
    loop {
        let t = s.trim_start();
        let mut stripped = None;
        for p in PREFIXES {
            if let Some(rest) = t.strip_prefix(p) {
                stripped = Some(rest.to_owned());
                break;
            }
        }
        // "Re[2]:" and "RE(2):".
        if stripped.is_none()
            && let Some(rest) = t.strip_prefix("re[").or_else(|| t.strip_prefix("re("))
            && let Some(pos) = rest.find(':')
            && rest[..pos]
                .trim_end_matches([']', ')'])
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            stripped = Some(rest[pos + 1..].to_owned());
        }
        match stripped {
            Some(rest) => s = rest,
            None => break,
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::parse("id", s).unwrap()
    }

    fn found(t: &str, status: Status, mine: bool) -> Found {
        Found {
            ticket: id(t),
            status,
            merged_into: None,
            sender_is_customer: mine,
        }
    }

    #[test]
    fn a_stored_message_is_a_duplicate_whatever_else_matches() {
        let e = Evidence {
            stored: Some(id("T-1")),
            by_reference: Some(found("T-2", Status::Open, true)),
            ..Default::default()
        };
        assert_eq!(decide(&e), Decision::Duplicate(id("T-1")));
    }

    #[test]
    fn references_beat_tokens_beat_subjects() {
        let e = Evidence {
            by_reference: Some(found("T-1", Status::Open, false)),
            by_token: Some(found("T-2", Status::Open, true)),
            recent_same_subject: Some(found("T-3", Status::Open, true)),
            ..Default::default()
        };
        assert_eq!(decide(&e), Decision::Join(id("T-1"), JoinReason::Reference));
        let e = Evidence {
            by_token: Some(found("T-2", Status::Solved, true)),
            recent_same_subject: Some(found("T-3", Status::Open, true)),
            ..Default::default()
        };
        assert_eq!(decide(&e), Decision::Join(id("T-2"), JoinReason::Token));
        let e = Evidence {
            recent_same_subject: Some(found("T-3", Status::New, true)),
            ..Default::default()
        };
        assert_eq!(
            decide(&e),
            Decision::Join(id("T-3"), JoinReason::SameSubject)
        );
        assert_eq!(
            decide(&Evidence::default()),
            Decision::Open { follows: None }
        );
    }

    #[test]
    fn a_strangers_token_opens_a_new_ticket() {
        let e = Evidence {
            by_token: Some(found("T-2", Status::Open, false)),
            ..Default::default()
        };
        assert_eq!(decide(&e), Decision::Open { follows: None });
    }

    #[test]
    fn closed_tickets_are_not_joined_merged_ones_are_followed() {
        let e = Evidence {
            by_reference: Some(found("T-1", Status::Closed, true)),
            ..Default::default()
        };
        assert_eq!(
            decide(&e),
            Decision::Open {
                follows: Some(id("T-1"))
            }
        );
        let mut merged = found("T-1", Status::Closed, true);
        merged.merged_into = Some(id("T-9"));
        let e = Evidence {
            by_reference: Some(merged),
            ..Default::default()
        };
        assert_eq!(decide(&e), Decision::Join(id("T-9"), JoinReason::Reference));
    }

    #[test]
    fn tokens_round_trip() {
        let s = subject_with_token("Re: Refund", "T-19b3f0c2a4e7c1d09f3");
        assert_eq!(s, "Re: Refund [#T-19b3f0c2a4e7c1d09f3]");
        assert_eq!(subject_with_token(&s, "T-19b3f0c2a4e7c1d09f3"), s);
        assert_eq!(
            token_in_subject("RE: [#bad id] Refund [#T-1]").as_deref(),
            Some("T-1")
        );
        assert_eq!(token_in_subject("Refund [#]"), None);
        let a = token_address("support@example.com", "T-1");
        assert_eq!(a, "support+T-1@example.com");
        assert_eq!(token_in_address(&a).as_deref(), Some("T-1"));
        assert_eq!(
            base_address("Support+T-1@Example.com"),
            "support@example.com"
        );
        assert!(!tokenable("a b"));
        assert_eq!(subject_with_token("x", "a b"), "x");
    }

    #[test]
    fn subjects_normalize_across_languages() {
        for s in [
            "Refund",
            "Re: Refund",
            "RE: Fwd: refund [#T-1]",
            "Ответ: Refund",
            "پاسخ: Refund",
            "Re[2]: Refund",
            "AW:  Refund ",
        ] {
            assert_eq!(normalize_subject(s), "refund", "{s}");
        }
    }
}
