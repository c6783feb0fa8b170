//! The mails Sanjeh writes to customers, rendered from templates in the customer's language:
//! the "ticket received" acknowledgement, the agent's reply, and the "solved" notice with its
//! satisfaction-survey link.
//!
//! Templates are minijinja files under `crates/email/templates/<lang>/` (`<kind>.subject`,
//! `<kind>.txt`, `<kind>.html`, the HTML ones extending `layout.html`), embedded in the binary
//! at build time: editing one means editing the file and rebuilding. HTML templates escape
//! every value (minijinja's auto-escape for `.html`); plain-text ones do not. Undefined
//! variables are errors, so a typo fails the tests that render every template in every
//! language instead of sending a mail with a hole in it.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::sync::LazyLock;

/// A language notifications are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fa,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fa, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
            Lang::Ru => "ru",
        }
    }

    /// The HTML text direction: Persian reads right to left.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Fa => "rtl",
            Lang::En | Lang::Ru => "ltr",
        }
    }

    /// A language tag as customers' profiles hold it (`fa`, `fa-IR`, `ru_RU`, `EN`, `fas`,
    /// `rus`), by its primary subtag; `None` for a language there are no templates for.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" | "eng" => Some(Lang::En),
            "fa" | "fas" | "per" => Some(Lang::Fa),
            "ru" | "rus" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The customer's language when there are templates for it, else the mailbox's, else the
    /// configured default, else English.
    pub fn resolve(customer: Option<&str>, mailbox: Option<&str>, default: &str) -> Lang {
        customer
            .and_then(Lang::from_tag)
            .or_else(|| mailbox.and_then(Lang::from_tag))
            .or_else(|| Lang::from_tag(default))
            .unwrap_or(Lang::En)
    }
}

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// "We received your message": the acknowledgement of a new email ticket.
    Received,
    /// An agent's public reply.
    Replied,
    /// The ticket was solved; links the satisfaction survey.
    Solved,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Received, Kind::Replied, Kind::Solved];

    /// The name templates and the outbox use.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Received => "received",
            Kind::Replied => "reply",
            Kind::Solved => "solved",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Kind::Received => "received",
            Kind::Replied => "replied",
            Kind::Solved => "solved",
        }
    }

    /// Does this kind have its own subject template? A reply keeps the ticket's subject.
    pub fn has_subject(self) -> bool {
        self != Kind::Replied
    }
}

/// What a template may use. Every field is defined (possibly empty) for every kind.
#[derive(Debug, Clone, Serialize)]
pub struct Context<'a> {
    /// The ticket id (`T-123`).
    pub ticket: &'a str,
    /// The ticket token for subjects and bodies (`[#T-123]`).
    pub token: &'a str,
    /// The ticket's subject.
    pub subject: &'a str,
    pub customer_name: Option<&'a str>,
    /// The agent's message (replies).
    pub body: &'a str,
    pub agent_name: Option<&'a str>,
    /// The satisfaction survey (`{base_url}/portal/tickets/{ticket}/rate`), when a base URL
    /// is configured.
    pub rate_url: Option<&'a str>,
}

/// A rendered mail: the subject (kinds that have one) and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("rendering the {kind} template ({lang}): {source}")]
pub struct RenderError {
    kind: &'static str,
    lang: &'static str,
    #[source]
    source: minijinja::Error,
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template, by name, as compiled into the binary.
const TEMPLATES: &[(&str, &str)] = embedded!(
    "layout.html",
    "en/received.subject",
    "en/received.txt",
    "en/received.html",
    "en/replied.txt",
    "en/replied.html",
    "en/solved.subject",
    "en/solved.txt",
    "en/solved.html",
    "fa/received.subject",
    "fa/received.txt",
    "fa/received.html",
    "fa/replied.txt",
    "fa/replied.html",
    "fa/solved.subject",
    "fa/solved.txt",
    "fa/solved.html",
    "ru/received.subject",
    "ru/received.txt",
    "ru/received.html",
    "ru/replied.txt",
    "ru/replied.html",
    "ru/solved.subject",
    "ru/solved.txt",
    "ru/solved.html",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    for (name, source) in TEMPLATES {
        // The templates are part of the program: one that does not compile is a build bug,
        // caught by the tests that render all of them.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "mail template does not compile");
        }
    }
    env
});

/// Renders `kind` in `lang`.
pub fn render(kind: Kind, lang: Lang, ctx: &Context<'_>) -> Result<Rendered, RenderError> {
    let err = |source| RenderError {
        kind: kind.template(),
        lang: lang.code(),
        source,
    };
    let values = minijinja::context! {
        marker => crate::parse::REPLY_ABOVE_MARKER,
        lang => lang.code(),
        dir => lang.dir(),
        ..minijinja::Value::from_serialize(ctx)
    };
    let one = |ext: &str| -> Result<String, RenderError> {
        let name = format!("{}/{}.{ext}", lang.code(), kind.template());
        ENV.get_template(&name)
            .and_then(|t| t.render(&values))
            .map_err(err)
    };
    let subject = if kind.has_subject() {
        // One line: a template's line breaks must not become header folding.
        Some(
            one("subject")?
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    } else {
        None
    };
    let mut text = one("txt")?.trim().to_owned();
    text.push('\n');
    Ok(Rendered {
        subject,
        text,
        html: one("html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_resolve_with_fallbacks() {
        assert_eq!(Lang::from_tag("fa-IR"), Some(Lang::Fa));
        assert_eq!(Lang::from_tag("ru_RU"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag(" EN "), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::resolve(Some("de"), Some("ru"), "fa"), Lang::Ru);
        assert_eq!(Lang::resolve(None, None, "fa"), Lang::Fa);
        assert_eq!(Lang::resolve(Some("fa"), Some("ru"), "en"), Lang::Fa);
        assert_eq!(Lang::resolve(None, Some("xx"), "yy"), Lang::En);
    }

    #[test]
    fn every_embedded_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(ENV.get_template(name).is_ok(), "{name} does not compile");
        }
    }
}
