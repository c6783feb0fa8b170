//! freshdesk converter (being written).
