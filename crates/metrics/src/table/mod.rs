//! The dataset's tables, one module per kind of record.

pub mod activity;
pub mod contacts;
pub mod events;
pub mod sla;
pub mod spans;
pub mod tickets;
pub mod zones;
