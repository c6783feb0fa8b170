//! Sanjeh's HTTP surface: the JSON API under `/api/v1`, liveness, readiness and Prometheus
//! metrics.
//!
//! Handlers only convert: a request body is parsed into a domain command (or profile record),
//! submitted to the store's writer, and the writer's [`Outcome`](sanjeh_store::Outcome) is
//! rendered back. Rules live in the domain; durability and idempotency live in the store.
//!
//! Map of the crate:
//! - `app`: the router, its layers (request ids, tracing, metrics, panics, body limit) and
//!   graceful serving.
//! - `auth`: bearer tokens and the role each route needs.
//! - `extract`: the body, query and path extractors that turn every bad input into a problem
//!   naming its field.
//! - `error`: the crate's one error type and its `application/problem+json` rendering.
//! - `dto`: every JSON shape the API reads or writes.
//! - `routes`: one module per resource.
//! - `telemetry`: the Prometheus recorder and the per-route request metrics.
//! - `live`: the KPI engine's dataset, loaded at start and kept current after each commit.
//! - `report_params`: the parameters of a report, shared with `sanjeh report`.

pub mod alerting;
mod app;
mod attachments;
mod auth;
mod bounces;
mod dto;
mod error;
mod extract;
mod ids;
pub mod live;
mod mail;
mod mail_config;
mod reply_files;
pub mod report_params;
mod routes;
mod state;
mod telemetry;

pub use app::{router, serve};
pub use state::{AppState, WebOptions};
pub use telemetry::install_metrics_recorder;
