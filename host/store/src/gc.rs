//! Collecting blobs no file names any more. A blob is written before the
//! row that names it commits, and kept when that row goes (another row may
//! share it), so blobs of removed, replaced or never-committed contents
//! stay until a collection. Only blobs last written longer ago than a grace
//! period are taken: a blob written for a change still in flight (or
//! written again for one: every write makes it young) is never collected
//! from under it, as long as no change takes longer than the grace period.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::sql::{Access, transact};
use crate::{Store, StoreError};

/// What a collection did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BlobCollection {
    /// Blobs in the blob store.
    pub blobs: u64,
    /// Blobs some file names.
    pub referenced: u64,
    /// Blobs removed.
    pub removed: u64,
    /// Unreferenced blobs kept because they are younger than the grace.
    pub young: u64,
}

impl Store {
    /// Removes the blobs no workspace file names that were last written
    /// more than `grace` ago (an hour is a safe choice; zero only when no
    /// change is in flight). A store without a blob store collects nothing.
    ///
    /// # Errors
    /// A backend or blob store failure (blobs removed before it stay
    /// removed; the rest stay).
    pub async fn collect_blobs(&self, grace: Duration) -> Result<BlobCollection, StoreError> {
        let Some(blobs) = self.blobs().cloned() else {
            return Ok(BlobCollection::default());
        };
        // Listed before the references are read: a blob written after the
        // listing is not considered at all.
        let listed = blobs.list_with_age().await?;
        let referenced: BTreeSet<String> = self
            .blocking(|backend| {
                transact(backend, Access::Read, |tx| {
                    tx.query("SELECT DISTINCT blob FROM ws_entry WHERE blob IS NOT NULL", &[])?
                        .iter()
                        .map(|row| row.text(0).map(str::to_owned))
                        .collect()
                })
            })
            .await?;
        let now = SystemTime::now();
        let mut out = BlobCollection {
            blobs: listed.len() as u64,
            ..BlobCollection::default()
        };
        for (hash, written) in listed {
            if referenced.contains(&hash) {
                out.referenced += 1;
                continue;
            }
            let old_enough = written.is_some_and(|at| now.duration_since(at).unwrap_or_default() >= grace);
            if !old_enough {
                out.young += 1;
                continue;
            }
            blobs.delete(&hash).await?;
            out.removed += 1;
        }
        Ok(out)
    }
}
