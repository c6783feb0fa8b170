//! `sanjeh serve`: the API over the configured store until SIGINT or SIGTERM.

use super::{CliError, CliResult};
use crate::config::Settings;
use sanjeh_store::{Store, Writer};
use sanjeh_web::live::{self, SharedDataset};
use sanjeh_web::{AppState, WebOptions};
use std::sync::{Arc, RwLock};

pub async fn run(settings: &Settings) -> CliResult {
    let store = super::open_for_serving(settings).await?;
    serve(store, settings).await
}

/// Serves `store` on the configured address; prints the URL once listening.
pub async fn serve(store: Store, settings: &Settings) -> CliResult {
    let dataset: SharedDataset = Arc::new(RwLock::new(live::load_dataset(&store).await?));
    let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
    let options = WebOptions {
        max_body_bytes: settings.max_body_bytes,
    };
    let state = AppState::new(store.clone(), writer, options)
        .with_reports(dataset, settings.targets.clone());
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", settings.listen)))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend(), database = %store.display_url(), "serving");
    println!(
        "Sanjeh is serving on http://{addr}/ (web UI at http://{addr}/signin, API under http://{addr}/api/v1, health at /healthz)"
    );
    // The web UI (sign-in, agent workspace, dashboard) beside the API, on one listener.
    sanjeh_ui::serve(
        listener,
        state,
        sanjeh_ui::UiOptions::default(),
        shutdown_signal(),
    )
    .await?;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
