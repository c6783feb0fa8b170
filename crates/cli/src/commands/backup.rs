//! `sanjeh backup DEST`: an online copy of a SQLite store (guidance for PostgreSQL).

use super::CliResult;
use crate::cli::BackupArgs;
use crate::config::Settings;
use sanjeh_store::Durability;

pub async fn run(settings: &Settings, args: &BackupArgs) -> CliResult {
    let store = super::open(settings, Durability::Normal).await?;
    store.backup_to(&args.destination).await?;
    eprintln!(
        "backed up {} to {}",
        store.display_url(),
        args.destination.display()
    );
    store.close().await;
    Ok(())
}
