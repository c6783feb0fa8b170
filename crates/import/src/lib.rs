//! Converters from the systems teams leave behind to Sanjeh's interchange events.
//!
//! Each format module turns its files into a stream of [`Item`]s, in constant memory: an
//! interchange [`Event`] with the file and line it came from, a record skipped with the reason,
//! or a value the format (or the mapping) did not know. A stream ends early with an
//! `Err(Problem)` when a file must be rejected as a whole; the caller then commits nothing.
//!
//! The stream is written through the same path as `sanjeh import --format events`, so the
//! store's rules (replay, idempotency by event id) apply unchanged. Every event a converter
//! emits carries a stable `id` derived from the source's own ids, so importing the same export
//! twice adds nothing; ticket, customer and agent ids are the source's ids with a prefix per
//! system (`zd-`, `fd-`, …) so they never collide with another import.
//!
//! The order within a ticket matters: a ticket's `ticket.created` comes before its other
//! events, and its events come in time order.

pub mod asterisk;
pub mod csv;
pub mod freshdesk;
mod json_stream;
pub mod record;
pub mod summary;
pub mod zendesk;

pub use record::{Converted, Item, Origin, Problem, Record, ZoneOptions};
pub use sanjeh_domain::Event;
pub use summary::Summary;
