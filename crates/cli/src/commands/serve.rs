//! `sanjeh serve`: the API over the configured store until SIGINT or SIGTERM, and the email
//! tasks the mail configuration asks for (SMTP receiver, IMAP pollers, outbound sender).

use super::{CliError, CliResult};
use crate::config::Settings;
use sanjeh_email::service::ServiceOptions;
use sanjeh_store::{Store, Writer};
use sanjeh_web::live::{self, SharedDataset};
use sanjeh_web::{AppState, WebOptions};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// This machine's name, for the default node id in mailbox leases.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

pub async fn run(settings: &Settings) -> CliResult {
    let store = super::open_for_serving(settings).await?;
    serve(store, settings).await
}

/// Serves `store` on the configured address; prints the URL once listening.
pub async fn serve(store: Store, settings: &Settings) -> CliResult {
    let dataset: SharedDataset = Arc::new(RwLock::new(live::load_dataset(&store).await?));
    let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
    let smtp = match &settings.smtp_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| CliError::Usage(format!("cannot listen for SMTP on {addr}: {e}")))?;
            let local = listener.local_addr()?;
            tracing::info!(%local, "receiving mail over SMTP");
            println!("Sanjeh receives mail over SMTP on {local}");
            Some(listener)
        }
        None => None,
    };
    let options = WebOptions {
        max_body_bytes: settings.max_body_bytes,
    };
    let webhook_client = sanjeh_web::alerting::webhook::client(settings.webhook_ca_file.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mail_writer = writer.clone();
    // Escalation rules, KPI alerts and webhook delivery, beside the API (15 s ticks).
    let alerting = tokio::spawn(sanjeh_web::alerting::run(
        store.clone(),
        writer.clone(),
        Some(dataset.clone()),
        sanjeh_web::alerting::AlertingOptions {
            webhook_client,
            ..sanjeh_web::alerting::AlertingOptions::default()
        },
        std::future::pending(),
    ));
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
    // The email tasks stop with the HTTP server: one shutdown signal, seen by both.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mail = tokio::spawn(sanjeh_email::service::run(
        store.clone(),
        mail_writer,
        smtp,
        ServiceOptions {
            node: settings
                .node_id
                .clone()
                .unwrap_or_else(|| format!("{}/{}", host_name(), settings.listen)),
            reload: Duration::from_secs(settings.mail_reload_secs.max(1)),
            ..ServiceOptions::default()
        },
        until_stopped(),
    ));
    // The web UI (sign-in, agent workspace, dashboard) beside the API, on one listener.
    // Links in portal mail point at the public address (else this listener).
    let public_url = settings
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let ui_options = sanjeh_ui::UiOptions {
        // Served to people over HTTPS (by a proxy in front): the session cookie is `Secure`.
        secure_cookies: public_url.starts_with("https://"),
        portal: settings.portal.options(public_url),
        ..sanjeh_ui::UiOptions::default()
    };
    let served = sanjeh_ui::serve(listener, state, ui_options, {
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        }
    })
    .await;
    // The HTTP server may also end by an error: the email tasks stop then too.
    let _ = stop.send(true);
    let _ = mail.await;
    served?;
    alerting.abort();
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
