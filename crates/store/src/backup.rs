//! `sanjeh backup`: an online, consistent copy of a SQLite store. PostgreSQL has its own tool.

use crate::backend::{Db, Store};
use crate::error::StoreError;
use std::path::Path;

/// What to tell a PostgreSQL user who asks for a backup.
pub const PG_DUMP_GUIDANCE: &str = "PostgreSQL stores are backed up with PostgreSQL's own tools: \
    `pg_dump --format=custom --file=sanjeh.dump \"$SANJEH_DATABASE_URL\"` for a consistent logical \
    copy taken while Sanjeh runs (restore with `pg_restore --clean --dbname=…`), or continuous \
    archiving (pg_basebackup + WAL) for point-in-time recovery.";

impl Store {
    /// Copies the SQLite store to `dest` while it stays in use (`VACUUM INTO`: one read
    /// transaction, so the copy is a consistent snapshot). Refuses to overwrite a file.
    pub async fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let Db::Sqlite { read, .. } = &self.db else {
            return Err(StoreError::Conflict {
                field: "database".into(),
                message: PG_DUMP_GUIDANCE.into(),
            });
        };
        if dest.exists() {
            return Err(StoreError::Conflict {
                field: "destination".into(),
                message: format!("{} already exists; choose a new file", dest.display()),
            });
        }
        let dest = dest.to_str().ok_or_else(|| StoreError::Conflict {
            field: "destination".into(),
            message: "the path is not valid UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(read)
            .await?;
        Ok(())
    }
}
