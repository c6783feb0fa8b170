//! One module per subcommand; errors mapped once, here, to messages and exit codes.

mod admin;
mod backup;
mod demo;
mod explain;
mod export;
mod import;
mod mail;
mod report;
mod rules;
mod serve;
mod sla;

pub use mail::MailCommand;
pub use sla::SlaCommand;

use crate::cli::Command;
use crate::config::Settings;
use sanjeh_store::{Durability, Store, StoreError, StoreOptions};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// sysexits-style codes: 65 for bad input data, 64 for bad usage, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Store(StoreError::Line(_)) | CliError::Store(StoreError::Domain(_)) => 65,
            CliError::Usage(_) => 64,
            _ => 1,
        }
    }
}

pub type CliResult = Result<(), CliError>;

pub async fn run(command: Command, settings: Settings) -> CliResult {
    match command {
        Command::Serve(_) => serve::run(&settings).await,
        Command::Demo(args) => demo::run(&settings, &args).await,
        Command::Import(args) => import::run(&settings, &args).await,
        Command::Export(args) => export::run(&settings, &args).await,
        Command::Admin(cmd) => admin::run(&settings, cmd).await,
        Command::Backup(args) => backup::run(&settings, &args).await,
        Command::Explain(args) => explain::run(&settings, &args).await,
        Command::Report(args) => report::run(&settings, &args).await,
        Command::Sla(cmd) => sla::run(&settings, cmd).await,
        Command::Mail(cmd) => mail::run(&settings, cmd).await,
    }
}

/// Opens the configured store for `serve`: durable commits, WAL checkpoints in the background.
pub(crate) async fn open_for_serving(settings: &Settings) -> Result<Store, CliError> {
    let options = StoreOptions {
        background_checkpoints: true,
        ..StoreOptions::default()
    };
    Ok(Store::connect(&settings.database_url, &options).await?)
}

/// Opens the configured store to write a long history in one transaction (`import`, `demo`):
/// see [`StoreOptions::bulk_load`]. Close it when done.
pub(crate) async fn open_for_bulk_load(settings: &Settings) -> Result<Store, CliError> {
    let options = StoreOptions {
        durability: Durability::Normal,
        bulk_load: true,
        ..StoreOptions::default()
    };
    Ok(Store::connect(&settings.database_url, &options).await?)
}

/// Opens the configured store (migrations run here).
pub(crate) async fn open(settings: &Settings, durability: Durability) -> Result<Store, CliError> {
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    Ok(Store::connect(&settings.database_url, &options).await?)
}
