//! csv converter (being written).
