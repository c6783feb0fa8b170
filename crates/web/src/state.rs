//! What every handler shares: the store for reads, the writer for changes, the metrics handle.

use crate::error::ApiError;
use crate::live::SharedDataset;
use metrics_exporter_prometheus::PrometheusHandle;
use sanjeh_metrics::Targets;
use sanjeh_store::writer::IdempotencyKey;
use sanjeh_store::{Outcome, Request, Store, Writer};

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// The largest request body accepted; larger ones get 413. Bounds the memory one request
    /// can hold (an `/events` batch is read whole, so it is also the largest batch).
    pub max_body_bytes: usize,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

/// The application's shared state: cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) writer: Writer,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) options: WebOptions,
    /// The KPI engine's live dataset and the team's targets; reports answer 503 without it.
    pub(crate) reports: Option<(SharedDataset, Targets)>,
}

impl AppState {
    /// Wraps a store and its running writer. Installs the Prometheus recorder if no one has
    /// yet (see [`install_metrics_recorder`](crate::install_metrics_recorder)).
    pub fn new(store: Store, writer: Writer, options: WebOptions) -> AppState {
        AppState {
            store,
            writer,
            metrics: crate::telemetry::install_metrics_recorder(),
            options,
            reports: None,
        }
    }

    /// Serves reports from `dataset` (kept current by [`crate::live::commit_hook`]).
    pub fn with_reports(mut self, dataset: SharedDataset, targets: Targets) -> AppState {
        self.reports = Some((dataset, targets));
        self
    }

    /// The store, for reads (other HTTP surfaces mounted beside the API, such as the UI).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The writer every change goes through.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The live dataset and targets, when reports are enabled.
    pub fn reports(&self) -> Option<&(SharedDataset, Targets)> {
        self.reports.as_ref()
    }

    /// Submits a change and waits until it is durably committed (or refused).
    pub(crate) async fn submit(
        &self,
        request: Request,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Outcome, ApiError> {
        Ok(self.writer.submit(request, idempotency).await?)
    }
}
