//! How a stored inbound attachment is served back (to agents over the API, later to the
//! ticket's customer on the portal): which content type and disposition are safe.
//!
//! The declared type is the sender's word and is never trusted: only a type sniffed from the
//! bytes that cannot run script in a browser (raster images, PDF) is sent as itself; anything
//! else is `application/octet-stream`. Only safe images marked inline in the mail are shown
//! inline; everything else is a download. The caller adds `X-Content-Type-Options: nosniff`.

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
    fn file_names_are_quoted_safely() {
        let s = serving(None, false, Some("счёт \"1\".pdf"));
        assert_eq!(
            s.disposition,
            "attachment; filename=\"____ _1_.pdf\"; filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82%20%221%22.pdf"
        );
    }
}
