//! Sanjeh's storage: the append-only event log, the current-state tables and the per-ticket
//! metric facts, on SQLite (a file, WAL) or PostgreSQL, through one code path.
//!
//! Every write goes through [`changes::Changes`]: events are folded by the domain in memory,
//! then the events and everything derived from them are written in one transaction.

mod backend;
mod changes;
mod deferred_indexes;
mod error;
mod flush;
mod load;
mod rows;

pub mod alerting;
pub mod auth;
pub mod backup;
pub mod export;
pub mod ingest;
pub mod mail;
pub mod mail_config;
pub mod portal;
pub mod read;
pub mod rebuild;
pub mod scan;
pub mod sessions;
pub mod sla;
pub mod webhook_secrets;
pub mod workspace;
pub mod writer;

pub use backend::{Durability, Store, StoreOptions};
pub use changes::Committed;
pub use error::{LineError, StoreError};
pub use ingest::{Incoming, IngestReport};
pub use read::{Page, TicketFilter, TicketView};
pub use writer::{Outcome, Request, Writer};
