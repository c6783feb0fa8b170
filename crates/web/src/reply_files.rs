//! Files sent with a ticket message (`"attachments"` of `POST /tickets/{id}/messages`):
//! decoded, checked against the inbound limits (the same a customer's mail meets), typed, and
//! listed in the message's text. They are stored with the message in the writer's
//! transaction (`Request::CommandWithFiles`), and an agent's reply mails them as MIME
//! attachments.

use crate::error::ApiError;
use base64::Engine;
use sanjeh_email::attachments::Listed;
use sanjeh_email::config::InboundSettings;
use sanjeh_store::mail::NewFile;
use serde::Deserialize;

/// Files per message: a reply is not a file transfer.
pub(crate) const MAX_FILES: usize = 20;

/// Longest file name, in bytes (what file systems and mail clients keep).
const MAX_NAME_BYTES: usize = 255;

/// One file of the request. Every field is optional here so that a missing one is reported
/// by its name (`attachments[1].filename`) rather than as unreadable JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileBody {
    pub filename: Option<String>,
    /// `type/subtype`; the sniffed type (or `application/octet-stream`) when absent.
    pub content_type: Option<String>,
    pub content_base64: Option<String>,
}

/// The request's files, checked: each decodes, has a plain file name and a content type,
/// is within the attachment limit, and all together within the message limit.
pub(crate) fn check(
    files: Vec<FileBody>,
    limits: &InboundSettings,
) -> Result<Vec<NewFile>, ApiError> {
    if files.len() > MAX_FILES {
        return Err(ApiError::invalid(
            "attachments",
            format!("has {} files; at most {MAX_FILES}", files.len()),
        ));
    }
    let mut total = 0usize;
    let mut out = Vec::with_capacity(files.len());
    for (i, f) in files.into_iter().enumerate() {
        let field = |name: &str| format!("attachments[{i}].{name}");
        let filename = file_name(f.filename.as_deref())
            .map_err(|m| ApiError::invalid(field("filename"), m))?;
        let encoded = f
            .content_base64
            .ok_or_else(|| ApiError::invalid(field("content_base64"), "is required"))?;
        // Line-wrapped base64 (as MIME writes it) is accepted.
        let compact: Vec<u8> = encoded
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if compact.len() / 4 * 3 > limits.max_attachment_bytes + 3 {
            return Err(too_large(
                field("content_base64"),
                limits.max_attachment_bytes,
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|e| {
                ApiError::invalid(field("content_base64"), format!("is not base64: {e}"))
            })?;
        if bytes.len() > limits.max_attachment_bytes {
            return Err(too_large(
                field("content_base64"),
                limits.max_attachment_bytes,
            ));
        }
        total += bytes.len();
        if total > limits.max_message_bytes {
            return Err(ApiError::invalid(
                "attachments",
                format!(
                    "are {total}+ bytes together; the limit for a message is {} bytes",
                    limits.max_message_bytes
                ),
            ));
        }
        let sniffed = sanjeh_email::parse::sniff(&bytes);
        let declared = match f.content_type {
            Some(t) => content_type(&t).map_err(|m| ApiError::invalid(field("content_type"), m))?,
            None => sniffed.unwrap_or("application/octet-stream").to_owned(),
        };
        out.push(NewFile {
            filename,
            declared_type: declared,
            sniffed_type: sniffed.map(str::to_owned),
            bytes,
        });
    }
    Ok(out)
}

/// The files as the message lists them (as an inbound mail's are).
pub(crate) fn listed(files: &[NewFile]) -> Vec<Listed<'_>> {
    files
        .iter()
        .map(|f| Listed {
            filename: Some(&f.filename),
            content_type: f.sniffed_type.as_deref().unwrap_or(&f.declared_type),
            size: f.bytes.len(),
            kept: true,
        })
        .collect()
}

fn too_large(field: String, limit: usize) -> ApiError {
    ApiError::invalid(
        field,
        format!("is over the attachment limit of {limit} bytes"),
    )
}

/// A file name as it goes in `Content-Disposition`: no directories, no control characters.
fn file_name(raw: Option<&str>) -> Result<String, String> {
    let name = raw.ok_or("is required")?.trim();
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!("is longer than {MAX_NAME_BYTES} bytes"));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("must be a file name, without directories".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_owned())
}

/// `type/subtype` of RFC 2045 token characters, lowercased; parameters are not taken (the
/// mail part gets its own).
fn content_type(raw: &str) -> Result<String, String> {
    let t = raw.trim().to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match t.split_once('/') {
        Some((a, b)) if token(a) && token(b) => Ok(t),
        _ => Err("must be a media type such as application/pdf, without parameters".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_are_checked() {
        assert_eq!(file_name(Some(" счёт.pdf ")).unwrap(), "счёт.pdf");
        assert!(file_name(Some("../etc/passwd")).is_err());
        assert!(file_name(Some("a\\b")).is_err());
        assert!(file_name(Some("a\nb")).is_err());
        assert!(file_name(Some("")).is_err());
        assert!(file_name(None).is_err());
        assert_eq!(content_type("Application/PDF").unwrap(), "application/pdf");
        assert!(content_type("text/plain; charset=utf-8").is_err());
        assert!(content_type("pdf").is_err());
    }
}
