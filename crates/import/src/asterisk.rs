//! asterisk converter (being written).
