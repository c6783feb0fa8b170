//! zendesk converter (being written).
