//! The blob store: file contents above a workspace's inline threshold,
//! content-addressed (the name is the SHA-256 of the bytes), so writing one
//! twice is harmless and a blob is written before the row that names it
//! commits. A local directory by default; S3-compatible object storage with
//! the `s3` feature; in memory for a memory store.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::StoreError;
use crate::error::bounded;

/// Where large file contents live. Cloning shares it.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    describe: String,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore").field("at", &self.describe).finish()
    }
}

impl BlobStore {
    /// Blobs in memory, gone with the store.
    pub fn memory() -> BlobStore {
        BlobStore {
            store: Arc::new(object_store::memory::InMemory::new()),
            describe: "memory".into(),
        }
    }

    /// Blobs as files under `dir` (made if absent).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the directory cannot be made.
    pub fn directory(dir: PathBuf) -> Result<BlobStore, StoreError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::Unavailable(bounded(format!("cannot create {}: {e}", dir.display()))))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| StoreError::Unavailable(bounded(e)))?;
        Ok(BlobStore {
            store: Arc::new(store),
            describe: dir.display().to_string(),
        })
    }

    /// Blobs in any object store (S3 through `object_store`'s `aws`
    /// feature, this crate's `s3`).
    pub fn object_store(store: Arc<dyn ObjectStore>, describe: impl Into<String>) -> BlobStore {
        BlobStore {
            store,
            describe: describe.into(),
        }
    }

    fn path(hash: &str) -> ObjectPath {
        ObjectPath::from(format!("sha256/{}/{hash}", &hash[..2.min(hash.len())]))
    }

    /// Stores `bytes` under their hash (a no-op if present).
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn put(&self, hash: &str, bytes: bytes::Bytes) -> Result<(), StoreError> {
        let path = Self::path(hash);
        if self.store.head(&path).await.is_ok() {
            return Ok(());
        }
        self.store
            .put(&path, bytes.into())
            .await
            .map(drop)
            .map_err(|e| StoreError::Blob(bounded(e)))
    }

    /// The bytes stored under `hash`.
    ///
    /// # Errors
    /// [`StoreError::Blob`], [`StoreError::Corrupt`] when it is missing.
    pub async fn get(&self, hash: &str) -> Result<bytes::Bytes, StoreError> {
        let found = self.store.get(&Self::path(hash)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => {
                StoreError::Corrupt(format!("the blob {hash} is missing from the blob store"))
            }
            e => StoreError::Blob(bounded(e)),
        })?;
        found.bytes().await.map_err(|e| StoreError::Blob(bounded(e)))
    }

    /// Removes the blob under `hash` (absent is fine).
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn delete(&self, hash: &str) -> Result<(), StoreError> {
        match self.store.delete(&Self::path(hash)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::Blob(bounded(e))),
        }
    }

    /// Every blob's hash.
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn list(&self) -> Result<Vec<String>, StoreError> {
        use futures_util::StreamExt;
        let mut listing = self.store.list(Some(&ObjectPath::from("sha256")));
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| StoreError::Blob(bounded(e)))?;
            if let Some(name) = meta.location.filename() {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }
}
