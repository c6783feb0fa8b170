//! Connecting to SQLite or PostgreSQL, running migrations, and the one transaction type the
//! write path uses on either.

use crate::error::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fsync on every commit (SQLite `synchronous=FULL`): survives power loss. For serving.
    #[default]
    Full,
    /// SQLite `synchronous=NORMAL` in WAL: survives a killed process, not a power cut. For bulk
    /// loads that can be rerun (import, demo).
    Normal,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub durability: Durability,
    pub read_connections: u32,
    /// SQLite: checkpoint the WAL from a background task instead of in the commit that
    /// crosses the threshold, so no write waits for a checkpoint (for serving; the other
    /// commands keep SQLite's automatic checkpoints, which bound the WAL on their own).
    pub background_checkpoints: bool,
    /// SQLite: this process is about to write a long history in one transaction (`import`,
    /// `demo`). While the store is open it keeps a rollback journal instead of the WAL: a
    /// transaction larger than the page cache then writes its pages to the database file once,
    /// where in the WAL it writes them twice and each page it reads back is looked up in a WAL
    /// that grows with the transaction. Closing the store returns it to the WAL. When another
    /// process has the store open, SQLite keeps the WAL, and the load is only slower.
    pub bulk_load: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Full,
            read_connections: 8,
            background_checkpoints: false,
            bulk_load: false,
        }
    }
}

/// How often the background task checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The storage handle: cheap to clone, shared by the writer and the readers.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) url: String,
    pub(crate) tokens: crate::auth::TokenCache,
}

#[derive(Clone)]
pub(crate) enum Db {
    /// One writing connection (SQLite has a single writer) and a pool of readers.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// Opened for a bulk load ([`StoreOptions::bulk_load`]): back to the WAL at close.
        bulk_load: bool,
    },
    Postgres(PgPool),
}

/// A write transaction on either backend.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Expands `$body` once per backend with `$t` bound to the backend's transaction, so the
/// write path is written once and type-checked for both.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::backend::Tx::Sqlite($t) => $body,
            $crate::backend::Tx::Postgres($t) => $body,
        }
    };
}
pub(crate) use on_tx;

/// Expands `$body` once per backend with `$p` bound to a pool for reading.
macro_rules! on_read {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.db {
            $crate::backend::Db::Sqlite { read: $p, .. } => $body,
            $crate::backend::Db::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_read;

/// Expands `$body` once per backend with `$p` bound to the pool that writes (SQLite's single
/// writing connection), for the few writes outside the event log (credentials).
macro_rules! on_write {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.db {
            $crate::backend::Db::Sqlite { write: $p, .. } => $body,
            $crate::backend::Db::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_write;

/// Serializes writers across every `sanjeh serve` node sharing one PostgreSQL database, as
/// SQLite's single writer does on one machine: sequence numbers and ticket folds stay exact.
const PG_WRITE_LOCK: i64 = 0x5341_4e4a_4548; // "SANJEH"

impl Store {
    /// Opens the store at `url` (`postgres://…`, `sqlite:PATH` or a plain file path) and
    /// applies pending migrations.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            tracing::Span::current().record("backend", "postgres");
            let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Url {
                url: redact(url),
                message: e.to_string(),
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(options.read_connections.max(2) + 2)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else {
            tracing::Span::current().record("backend", "sqlite");
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if path.is_empty() {
                return Err(StoreError::Url {
                    url: url.into(),
                    message: "no file path".into(),
                });
            }
            match open_sqlite(path, options, options.bulk_load).await {
                // Another connection holds the store in WAL mode (a running `serve`): SQLite
                // cannot leave the WAL under it, so the load keeps the WAL.
                Err(e) if options.bulk_load && is_busy(&e) => {
                    tracing::info!("the store is open elsewhere; the bulk load keeps the WAL");
                    open_sqlite(path, options, false).await?
                }
                opened => opened?,
            }
        };
        Ok(Store {
            db,
            url: url.to_owned(),
            tokens: Default::default(),
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// The URL the store was opened with, password removed.
    pub fn display_url(&self) -> String {
        redact(&self.url)
    }

    /// Begins the one kind of write transaction: exclusive among writers on both backends.
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.db {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        })
    }

    /// Checks that the database answers (for readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_read!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection, checkpointing SQLite's WAL (and returning a store opened for a
    /// bulk load to it).
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite {
                write,
                read,
                bulk_load,
            } => {
                read.close().await;
                if *bulk_load {
                    // Alone on the file now: the switch cannot be refused. Were it refused, the
                    // next `serve` makes the same switch as it opens the store.
                    if let Err(e) = sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(write)
                        .await
                    {
                        tracing::warn!(error = %e, "could not return the store to the WAL");
                    }
                }
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.commit().await)?;
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.rollback().await)?;
        Ok(())
    }
}

/// Whether SQLite refused for another connection's lock (`SQLITE_BUSY` or `SQLITE_LOCKED`,
/// extended codes included).
fn is_busy(e: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(e)) = e else {
        return false;
    };
    e.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Opens SQLite's writing connection and its readers, with a rollback journal for a bulk load
/// (see [`StoreOptions::bulk_load`]) and the WAL otherwise, and applies pending migrations.
async fn open_sqlite(
    path: &str,
    options: &StoreOptions,
    bulk_load: bool,
) -> Result<Db, StoreError> {
    let journal = if bulk_load {
        SqliteJournalMode::Truncate
    } else {
        SqliteJournalMode::Wal
    };
    let base = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(journal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(false)
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory")
        .pragma("mmap_size", "268435456");
    // A rollback journal survives a power cut only with FULL; it syncs once per spill of
    // the page cache, not per row, so a bulk load hardly notices.
    let mut write_opts = base.clone().synchronous(match options.durability {
        _ if bulk_load => SqliteSynchronous::Full,
        Durability::Full => SqliteSynchronous::Full,
        Durability::Normal => SqliteSynchronous::Normal,
    });
    if options.background_checkpoints {
        write_opts = write_opts.pragma("wal_autocheckpoint", "0");
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone())
            .await?;
        tokio::spawn(checkpoint_in_background(checkpointer));
    }
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(write_opts)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&write).await?;
    let read = SqlitePoolOptions::new()
        .max_connections(options.read_connections.max(1))
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(base.read_only(true))
        .await?;
    Ok(Db::Sqlite {
        write,
        read,
        bulk_load,
    })
}

/// Copies committed pages from the WAL into the database file every [`CHECKPOINT_EVERY`],
/// without blocking the writer (PASSIVE), until the pool is closed.
async fn checkpoint_in_background(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// Removes a password from a URL for logs and messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("/tmp/x.db"), "/tmp/x.db");
    }
}
