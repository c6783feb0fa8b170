//! Zendesk's values mapped onto Sanjeh's vocabulary. Each mapping says whether the value was
//! known, so the converter can report the ones it had to guess (`Item::Unmapped`).

pub use crate::json_stream::Mapped;
use sanjeh_domain::{Channel, Kind, Priority, Status};

/// Ticket status; `hold` is Sanjeh's `on_hold`. `None` for a value with no status to change
/// to (a custom or `deleted` status): the ticket then keeps the status it had.
pub fn status(raw: &str) -> Option<Status> {
    Some(match raw {
        "new" => Status::New,
        "open" => Status::Open,
        "pending" => Status::Pending,
        "hold" | "on_hold" => Status::OnHold,
        "solved" => Status::Solved,
        "closed" => Status::Closed,
        _ => return None,
    })
}

/// Priority; a ticket without one is `normal` (as Zendesk's reports treat it).
pub fn priority(raw: Option<&str>) -> Mapped<Priority> {
    match raw {
        None => Mapped::Known(Priority::Normal),
        Some("low") => Mapped::Known(Priority::Low),
        Some("normal") => Mapped::Known(Priority::Normal),
        Some("high") => Mapped::Known(Priority::High),
        Some("urgent") => Mapped::Known(Priority::Urgent),
        Some(_) => Mapped::Fallback(Priority::Normal),
    }
}

/// Ticket type → kind.
pub fn kind(raw: Option<&str>) -> Mapped<Option<Kind>> {
    match raw {
        None => Mapped::Known(None),
        Some("question") => Mapped::Known(Some(Kind::Question)),
        Some("incident") => Mapped::Known(Some(Kind::Incident)),
        Some("problem") => Mapped::Known(Some(Kind::Problem)),
        Some("task") => Mapped::Known(Some(Kind::Task)),
        Some(_) => Mapped::Fallback(None),
    }
}

/// `via.channel` → channel. Zendesk channels with no Sanjeh counterpart (`sample_ticket`,
/// `closed_ticket` follow-ups, `rule`, `merge`, …) become `other` and are reported.
pub fn channel(raw: Option<&str>) -> Mapped<Channel> {
    let Some(raw) = raw else {
        return Mapped::Known(Channel::Other);
    };
    Mapped::Known(match raw {
        "email" | "mail" => Channel::Email,
        "web" | "web_form" | "web_widget" | "web_service" | "help_center" | "mobile" => {
            Channel::Web
        }
        "chat"
        | "chat_transcript"
        | "native_messaging"
        | "messaging"
        | "sunshine_conversations_api" => Channel::Chat,
        "voice" | "phone" | "phone_call_inbound" | "phone_call_outbound" | "voicemail" => {
            Channel::Phone
        }
        "sms" | "text" => Channel::Sms,
        "twitter"
        | "twitter_dm"
        | "twitter_favorite"
        | "facebook"
        | "facebook_post"
        | "facebook_message"
        | "instagram_dm"
        | "whatsapp"
        | "wechat"
        | "line"
        | "viber"
        | "telegram"
        | "google_business_messages"
        | "apple_business_chat"
        | "any_channel" => Channel::Social,
        "api" | "mobile_sdk" => Channel::Api,
        _ => return Mapped::Fallback(Channel::Other),
    })
}

/// A satisfaction score: `Some(true)` good, `Some(false)` bad; `None` for `offered` and
/// `unoffered`, which are not answers. `Err` for a value this mapping does not know.
pub fn csat(raw: &str) -> Result<Option<bool>, ()> {
    match raw {
        "good" | "good_with_comment" => Ok(Some(true)),
        "bad" | "bad_with_comment" => Ok(Some(false)),
        "offered" | "unoffered" => Ok(None),
        _ => Err(()),
    }
}

/// A user's role: `Some(true)` for staff (agents and admins), `Some(false)` for end users.
pub fn is_staff(role: &str) -> Option<bool> {
    match role {
        "agent" | "admin" => Some(true),
        "end-user" | "end_user" => Some(false),
        _ => None,
    }
}
