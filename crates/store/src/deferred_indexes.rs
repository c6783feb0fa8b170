//! Building a bulk load's secondary indexes once, at its end, instead of row by row.
//!
//! A history replayed into an empty store inserts millions of rows into indexes ordered by
//! ticket (`events_by_ticket`, `messages_by_ticket`, the ticket list's indexes): each insert
//! lands on a random page, and once those indexes outgrow the page cache most inserts read a
//! page back from disk. Building an index over the finished table sorts it once instead. The
//! indexes are dropped and built again inside the load's own transaction (both backends have
//! transactional DDL), so a failed load rolls them back with everything else and readers never
//! see a store without them (on PostgreSQL, other sessions wait for the commit to read those
//! tables, as their writes already waited). Their definitions are read from the database's catalogue, so the
//! indexes built again are exactly those the migrations made.

use crate::backend::Tx;
use crate::error::StoreError;

/// The tables a replay fills row by row whose secondary indexes are deferred. Their primary
/// keys and unique constraints stay: the load reads by them (known tickets, stored event keys).
const TABLES: [&str; 3] = ["events", "tickets", "messages"];

/// Indexes dropped for a bulk load, to build again before it commits.
#[must_use = "the indexes must be built again before the transaction commits"]
pub(crate) struct DeferredIndexes {
    /// `CREATE INDEX` statements, as the catalogue holds them.
    definitions: Vec<String>,
}

impl DeferredIndexes {
    /// Drops the secondary indexes of [`TABLES`] in `tx`, remembering how to build them.
    pub(crate) async fn drop_in(tx: &mut Tx) -> Result<DeferredIndexes, StoreError> {
        let indexes: Vec<(String, String)> =
            match tx {
                // `sql` is NULL for the indexes behind PRIMARY KEY and UNIQUE constraints.
                Tx::Sqlite(t) => sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                     AND tbl_name IN ($1, $2, $3) ORDER BY name",
                )
                .bind(TABLES[0])
                .bind(TABLES[1])
                .bind(TABLES[2])
                .fetch_all(&mut **t)
                .await?,
                Tx::Postgres(t) => {
                    sqlx::query_as(
                        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i \
                     WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                         WHERE c.conname = i.indexname AND c.connamespace = \
                             (SELECT oid FROM pg_namespace WHERE nspname = current_schema())) \
                     ORDER BY i.indexname",
                    )
                    .bind(TABLES.as_slice())
                    .fetch_all(&mut **t)
                    .await?
                }
            };
        for (name, _) in &indexes {
            // The name comes from the catalogue, not from input; quoted all the same.
            execute(tx, format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))).await?;
        }
        Ok(DeferredIndexes {
            definitions: indexes.into_iter().map(|(_, sql)| sql).collect(),
        })
    }

    /// Builds the dropped indexes again, in `tx`.
    pub(crate) async fn build_in(self, tx: &mut Tx) -> Result<(), StoreError> {
        let sqlite = matches!(tx, Tx::Sqlite(_));
        if sqlite {
            // SQLite sorts each index's entries with temporary files: on disk, or they would
            // hold the whole index in memory (the store keeps temporary data in memory), and
            // on two threads.
            execute(tx, "PRAGMA temp_store = FILE".into()).await?;
            execute(tx, "PRAGMA threads = 2".into()).await?;
        }
        for sql in self.definitions {
            execute(tx, sql).await?;
        }
        if sqlite {
            execute(tx, "PRAGMA temp_store = MEMORY".into()).await?;
            execute(tx, "PRAGMA threads = 0".into()).await?;
        }
        Ok(())
    }
}

/// Runs one DDL statement read from the catalogue (no input reaches it).
async fn execute(tx: &mut Tx, sql: String) -> Result<(), StoreError> {
    let sql = sqlx::AssertSqlSafe(sql);
    match tx {
        Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(drop)?,
        Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(drop)?,
    }
    Ok(())
}
