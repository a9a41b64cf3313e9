//! The blob store: file contents above a workspace's inline threshold,
//! content-addressed (the name is the SHA-256 of the bytes), so writing one
//! twice is harmless and a blob is written before the row that names it
//! commits. A local directory by default, in memory for a memory store, or
//! any `object_store` store (S3-compatible storage with the `s3` feature).
//!
//! A directory and memory are read and written synchronously, from inside a
//! transaction; an object store is asynchronous, so a store with one runs
//! its transactions on tokio's blocking threads.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::StoreError;
use crate::error::bounded;

/// A blob in memory and when it was last written.
type MemoryBlobs = Arc<Mutex<HashMap<String, (Bytes, std::time::SystemTime)>>>;

#[derive(Clone)]
enum Backing {
    Memory(MemoryBlobs),
    Directory(PathBuf),
    Object(Arc<dyn ObjectStore>),
}

/// Where large file contents live. Cloning shares it.
#[derive(Clone)]
pub struct BlobStore {
    backing: Backing,
    describe: String,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore").field("at", &self.describe).finish()
    }
}

fn valid_hash(hash: &str) -> Result<(), StoreError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{} is not a SHA-256 in hex",
            bounded(hash)
        )))
    }
}

fn missing(hash: &str) -> StoreError {
    StoreError::Corrupt(format!("the blob {hash} is missing from the blob store"))
}

impl BlobStore {
    /// Blobs in memory, gone with the store.
    pub fn memory() -> BlobStore {
        BlobStore {
            backing: Backing::Memory(Arc::default()),
            describe: "memory".into(),
        }
    }

    /// Blobs as files under `dir` (made if absent): `sha256/ab/abcd...`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the directory cannot be made.
    pub fn directory(dir: PathBuf) -> Result<BlobStore, StoreError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::Unavailable(bounded(format!("cannot create {}: {e}", dir.display()))))?;
        Ok(BlobStore {
            describe: dir.display().to_string(),
            backing: Backing::Directory(dir),
        })
    }

    /// Blobs at `location`: `memory`, `s3://BUCKET[/PREFIX]` (with this
    /// crate's `s3` feature; see [`BlobStore::s3`]), or a directory path.
    ///
    /// # Errors
    /// [`StoreError::Config`] for an S3 URL without the `s3` feature or a
    /// bad one; [`StoreError::Unavailable`] for a directory that cannot be
    /// made.
    pub fn from_location(location: &str) -> Result<BlobStore, StoreError> {
        let location = location.trim();
        if location == "memory" {
            return Ok(BlobStore::memory());
        }
        if location.starts_with("s3://") {
            #[cfg(feature = "s3")]
            return BlobStore::s3(location);
            #[cfg(not(feature = "s3"))]
            return Err(StoreError::Config(
                "s3:// blobs need isobox built with the `s3` feature (cargo build --features s3)".into(),
            ));
        }
        if location.is_empty() {
            return Err(StoreError::Config("the blob location is empty".into()));
        }
        BlobStore::directory(PathBuf::from(location))
    }

    /// Blobs in S3-compatible object storage: `s3://BUCKET[/PREFIX]`, with
    /// `?endpoint=URL` for a store other than AWS (MinIO, R2, moto),
    /// `?region=NAME` (default `us-east-1`) and `?allow_http=true` (plain
    /// HTTP, for a store on loopback). Credentials come from the standard
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
    /// variables; they never appear in a message.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a URL that does not parse or an unknown
    /// parameter.
    #[cfg(feature = "s3")]
    pub fn s3(url: &str) -> Result<BlobStore, StoreError> {
        use object_store::aws::AmazonS3Builder;
        // reqwest's rustls without a built-in provider: ring, once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let parsed = url::Url::parse(url).map_err(|e| StoreError::Config(bounded(format!("the S3 URL: {e}"))))?;
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| StoreError::Config("the S3 URL names no bucket (s3://BUCKET/PREFIX)".into()))?
            .to_owned();
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&bucket)
            .with_region("us-east-1");
        for (name, value) in parsed.query_pairs() {
            builder = match &*name {
                "endpoint" => builder.with_endpoint(value.into_owned()),
                "region" => builder.with_region(value.into_owned()),
                "allow_http" => builder.with_allow_http(value == "true"),
                other => {
                    return Err(StoreError::Config(format!(
                        "the S3 URL's parameter {} is not one of endpoint, region, allow_http",
                        bounded(other)
                    )));
                }
            };
        }
        let store = builder
            .build()
            .map_err(|e| StoreError::Config(bounded(format!("the S3 blob store: {e}"))))?;
        let prefix = parsed.path().trim_matches('/').to_owned();
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix.as_str()))
        };
        let mut shown = parsed.clone();
        shown.set_query(None);
        Ok(BlobStore::object_store(store, shown.to_string()))
    }

    /// Blobs in any object store (S3 through `object_store`'s `aws`
    /// feature, this crate's `s3`).
    pub fn object_store(store: Arc<dyn ObjectStore>, describe: impl Into<String>) -> BlobStore {
        BlobStore {
            backing: Backing::Object(store),
            describe: describe.into(),
        }
    }

    /// Whether reads and writes are synchronous (a directory or memory).
    pub(crate) fn is_synchronous(&self) -> bool {
        !matches!(self.backing, Backing::Object(_))
    }

    fn object_path(hash: &str) -> ObjectPath {
        ObjectPath::from(format!("sha256/{}/{hash}", &hash[..2]))
    }

    fn file(dir: &std::path::Path, hash: &str) -> PathBuf {
        dir.join("sha256").join(&hash[..2]).join(hash)
    }

    /// Stores `bytes` under their hash (a no-op if present), from inside a
    /// transaction: synchronously, or through `handle` for an object store.
    pub(crate) fn put_blocking(
        &self,
        handle: &tokio::runtime::Handle,
        hash: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        valid_hash(hash)?;
        match &self.backing {
            Backing::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::SystemTime::now();
                map.entry(hash.to_owned())
                    .and_modify(|(_, written)| *written = now)
                    .or_insert_with(|| (Bytes::copy_from_slice(bytes), now));
                Ok(())
            }
            Backing::Directory(dir) => write_file(&Self::file(dir, hash), bytes),
            Backing::Object(_) => handle.block_on(self.put(hash, Bytes::copy_from_slice(bytes))),
        }
    }

    /// The bytes under `hash`, from inside a transaction.
    pub(crate) fn get_blocking(&self, handle: &tokio::runtime::Handle, hash: &str) -> Result<Bytes, StoreError> {
        valid_hash(hash)?;
        match &self.backing {
            Backing::Memory(map) => map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(hash)
                .map(|(bytes, _)| bytes.clone())
                .ok_or_else(|| missing(hash)),
            Backing::Directory(dir) => match std::fs::read(Self::file(dir, hash)) {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing(hash)),
                Err(e) => Err(StoreError::Blob(bounded(e))),
            },
            Backing::Object(_) => handle.block_on(self.get(hash)),
        }
    }

    /// Stores `bytes` under their hash (a no-op if present).
    ///
    /// # Errors
    /// [`StoreError::Blob`]; [`StoreError::Corrupt`] for a name that is not
    /// a SHA-256.
    pub async fn put(&self, hash: &str, bytes: Bytes) -> Result<(), StoreError> {
        valid_hash(hash)?;
        match &self.backing {
            Backing::Object(store) => {
                // Written even when present, so its age is the newest
                // write's and a collection cannot take it from a change
                // about to commit.
                let path = Self::object_path(hash);
                store
                    .put(&path, bytes.into())
                    .await
                    .map(drop)
                    .map_err(|e| StoreError::Blob(bounded(e)))
            }
            _ => self.put_blocking(&tokio::runtime::Handle::current(), hash, &bytes),
        }
    }

    /// The bytes stored under `hash`.
    ///
    /// # Errors
    /// [`StoreError::Blob`], [`StoreError::Corrupt`] when it is missing.
    pub async fn get(&self, hash: &str) -> Result<Bytes, StoreError> {
        valid_hash(hash)?;
        match &self.backing {
            Backing::Object(store) => {
                let found = store.get(&Self::object_path(hash)).await.map_err(|e| match e {
                    object_store::Error::NotFound { .. } => missing(hash),
                    e => StoreError::Blob(bounded(e)),
                })?;
                found.bytes().await.map_err(|e| StoreError::Blob(bounded(e)))
            }
            _ => self.get_blocking(&tokio::runtime::Handle::current(), hash),
        }
    }

    /// Removes the blob under `hash` (absent is fine).
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn delete(&self, hash: &str) -> Result<(), StoreError> {
        valid_hash(hash)?;
        match &self.backing {
            Backing::Memory(map) => {
                map.lock().unwrap_or_else(|e| e.into_inner()).remove(hash);
                Ok(())
            }
            Backing::Directory(dir) => match std::fs::remove_file(Self::file(dir, hash)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StoreError::Blob(bounded(e))),
            },
            Backing::Object(store) => match store.delete(&Self::object_path(hash)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(StoreError::Blob(bounded(e))),
            },
        }
    }

    /// Every blob's hash.
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.list_with_age().await?.into_iter().map(|(hash, _)| hash).collect())
    }

    /// Every blob's hash and when it was last written (when known).
    ///
    /// # Errors
    /// [`StoreError::Blob`].
    pub async fn list_with_age(&self) -> Result<Vec<(String, Option<std::time::SystemTime>)>, StoreError> {
        match &self.backing {
            Backing::Memory(map) => Ok(map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(hash, (_, written))| (hash.clone(), Some(*written)))
                .collect()),
            Backing::Directory(dir) => {
                let mut out = Vec::new();
                let root = dir.join("sha256");
                let fanout = match std::fs::read_dir(&root) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(StoreError::Blob(bounded(e))),
                };
                for prefix in fanout {
                    let prefix = prefix.map_err(|e| StoreError::Blob(bounded(e)))?;
                    for entry in std::fs::read_dir(prefix.path()).map_err(|e| StoreError::Blob(bounded(e)))? {
                        let entry = entry.map_err(|e| StoreError::Blob(bounded(e)))?;
                        if let Some(name) = entry.file_name().to_str()
                            && valid_hash(name).is_ok()
                        {
                            let written = entry.metadata().and_then(|m| m.modified()).ok();
                            out.push((name.to_owned(), written));
                        }
                    }
                }
                Ok(out)
            }
            Backing::Object(store) => {
                use futures_util::StreamExt;
                let mut listing = store.list(Some(&ObjectPath::from("sha256")));
                let mut out = Vec::new();
                while let Some(meta) = listing.next().await {
                    let meta = meta.map_err(|e| StoreError::Blob(bounded(e)))?;
                    if let Some(name) = meta.location.filename() {
                        out.push((name.to_owned(), Some(std::time::SystemTime::from(meta.last_modified))));
                    }
                }
                Ok(out)
            }
        }
    }
}

/// Writes `bytes` to `path` whole: to a temporary name beside it, synced,
/// then renamed over it. An existing file (the same content) is kept.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), StoreError> {
    let fail = |e: std::io::Error| StoreError::Blob(bounded(e));
    if let Ok(existing) = std::fs::File::options().append(true).open(path) {
        // Present: made young again, so a collection running now keeps it
        // for the change about to name it.
        return existing.set_modified(std::time::SystemTime::now()).map_err(fail);
    }
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::Blob("a blob path has no directory".into()))?;
    std::fs::create_dir_all(dir).map_err(fail)?;
    let temporary = dir.join(format!(
        ".tmp-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut file = std::fs::File::create(&temporary).map_err(fail)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(e));
    }
    Ok(())
}
