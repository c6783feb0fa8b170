//! `sanjeh export --format events`: the event log as interchange JSON Lines, in the order it
//! was applied, streamed in constant memory. Importing the output into an empty store gives
//! the identical state.

use crate::backend::{Store, on_read};
use crate::error::StoreError;
use futures::TryStreamExt;
use std::io::Write;

impl Store {
    /// Writes every event, one line each; returns how many. `progress` sees the running count.
    #[tracing::instrument(skip_all)]
    pub async fn export_events<W: Write>(
        &self,
        out: &mut W,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, StoreError> {
        let mut written = 0u64;
        on_read!(self, p => {
            let mut rows = sqlx::query_scalar::<_, String>("SELECT payload FROM events ORDER BY seq").fetch(p);
            while let Some(line) = rows.try_next().await? {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
                written += 1;
                if written.is_multiple_of(65_536) {
                    progress(written);
                }
            }
            Ok::<(), StoreError>(())
        })?;
        out.flush()?;
        progress(written);
        Ok(written)
    }
}
