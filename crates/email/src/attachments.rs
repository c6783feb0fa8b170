//! How a stored inbound attachment is served back (to agents over the API, later to the
//! ticket's customer on the portal): which content type and disposition are safe.
//!
//! The declared type is the sender's word and is never trusted: only a type sniffed from the
//! bytes that cannot run script in a browser (raster images, PDF) is sent as itself; anything
//! else is `application/octet-stream`. Only safe images marked inline in the mail are shown
//! inline; everything else is a download. The caller adds `X-Content-Type-Options: nosniff`.

/// An attachment as the ticket message lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed<'a> {
    pub filename: Option<&'a str>,
    /// The sniffed type when known, else the declared one.
    pub content_type: &'a str,
    pub size: usize,
    /// False: over the size limit, listed but not kept.
    pub kept: bool,
}

/// The lines a ticket message ends with when files came with it (`Attachments:` and one
/// `- name (type, N bytes)` line each). The event log carries this listing, so the message
/// says what came with it wherever the log goes (export, import, replay); the bytes are
/// operational state in the mail tables.
pub fn listing(items: &[Listed<'_>]) -> String {
    let mut out = String::from("Attachments:");
    for a in items {
        out.push_str(&format!(
            "\n- {} ({}, {} bytes{})",
            a.filename.unwrap_or("unnamed"),
            a.content_type,
            a.size,
            if a.kept {
                ""
            } else {
                ", over the size limit, not kept"
            }
        ));
    }
    out
}

/// `body` with `listing` appended, as the ticket message keeps it.
pub fn with_listing(body: &str, items: &[Listed<'_>]) -> String {
    let body = body.trim_end();
    if items.is_empty() {
        return body.to_owned();
    }
    let listing = listing(items);
    if body.is_empty() {
        listing
    } else {
        format!("{body}\n\n{listing}")
    }
}

/// The agent's words of a message stored with `with_listing`: the listing of the files
/// that go out as attachments is not repeated in the mail's text.
pub fn without_listing<'b>(body: &'b str, items: &[Listed<'_>]) -> &'b str {
    if items.is_empty() {
        return body;
    }
    let listing = listing(items);
    match body.trim_end().strip_suffix(listing.as_str()) {
        Some(rest) => rest.trim_end(),
        None => body,
    }
}

/// The headers an attachment is served with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    pub content_type: &'static str,
    /// The whole `Content-Disposition` value.
    pub disposition: String,
}

/// Sniffed types sent as themselves.
const SAFE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "application/pdf",
];

/// The content type and disposition for an attachment with this sniffed type, inline flag
/// and file name.
pub fn serving(sniffed_type: Option<&str>, inline: bool, filename: Option<&str>) -> Serving {
    let safe = sniffed_type.and_then(|t| SAFE_TYPES.iter().copied().find(|s| *s == t));
    let content_type = safe.unwrap_or("application/octet-stream");
    let show_inline = inline && content_type.starts_with("image/");
    let kind = if show_inline { "inline" } else { "attachment" };
    let disposition = match filename {
        Some(name) if !name.is_empty() => format!(
            "{kind}; filename=\"{}\"; filename*=UTF-8''{}",
            ascii_fallback(name),
            percent_encode(name)
        ),
        _ => kind.to_owned(),
    };
    Serving {
        content_type,
        disposition,
    }
}

/// The file name for clients that do not read `filename*`: printable ASCII without quotes
/// or backslashes.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 `attr-char`s as they are, everything else percent-encoded as UTF-8.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sniffed_safe_types_pass_and_only_images_go_inline() {
        let s = serving(Some("image/png"), true, Some("logo.png"));
        assert_eq!(s.content_type, "image/png");
        assert!(s.disposition.starts_with("inline;"), "{}", s.disposition);
        let s = serving(Some("application/pdf"), true, Some("a.pdf"));
        assert_eq!(s.content_type, "application/pdf");
        assert!(s.disposition.starts_with("attachment;"));
        let s = serving(None, true, Some("x.html"));
        assert_eq!(s.content_type, "application/octet-stream");
        assert!(s.disposition.starts_with("attachment;"));
        let s = serving(Some("application/x-msdownload"), false, None);
        assert_eq!(s.content_type, "application/octet-stream");
        assert_eq!(s.disposition, "attachment");
    }

    #[test]
    fn a_listing_is_appended_and_taken_off_again() {
        let items = [
            Listed {
                filename: Some("счёт.pdf"),
                content_type: "application/pdf",
                size: 1234,
                kept: true,
            },
            Listed {
                filename: None,
                content_type: "image/png",
                size: 9,
                kept: false,
            },
        ];
        let body = with_listing("Here you go.\n", &items);
        assert_eq!(
            body,
            "Here you go.\n\nAttachments:\n- счёт.pdf (application/pdf, 1234 bytes)\n\
             - unnamed (image/png, 9 bytes, over the size limit, not kept)"
        );
        assert_eq!(without_listing(&body, &items), "Here you go.");
        assert_eq!(without_listing("Edited by hand", &items), "Edited by hand");
        assert_eq!(with_listing("", &items[..1]), listing(&items[..1]));
        assert_eq!(with_listing("Hi ", &[]), "Hi");
    }

    #[test]
    fn file_names_are_quoted_safely() {
        let s = serving(None, false, Some("счёт \"1\".pdf"));
        assert_eq!(
            s.disposition,
            "attachment; filename=\"____ _1_.pdf\"; filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82%20%221%22.pdf"
        );
    }
}
