//! Identifiers Sanjeh makes when a client does not bring its own.

/// A fresh id: `prefix` + creation time in milliseconds (hex, so ids sort by time for the
/// next five centuries) + 32 random bits, e.g. `T-19b3f0c2a4e7c1d09f3`. Unique enough that a
/// collision is a 409 the client can retry, not a risk to data.
pub(crate) fn generate(prefix: &str) -> String {
    let ms = jiff::Timestamp::now().as_millisecond().max(0);
    format!("{prefix}{ms:011x}{:08x}", rand::random::<u32>())
}

/// Percent-encodes an id for a URL path segment (`Location` headers): ids come from other
/// systems and may hold `/`, `?` or spaces.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_ids_are_distinct_and_valid() {
        let a = super::generate("T-");
        let b = super::generate("T-");
        assert_ne!(a, b);
        assert!(a.starts_with("T-") && a.len() == 21, "{a}");
        sanjeh_domain::Id::parse("id", &a).unwrap();
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(super::path_segment("T-1"), "T-1");
        assert_eq!(super::path_segment("a/b c"), "a%2Fb%20c");
    }
}
