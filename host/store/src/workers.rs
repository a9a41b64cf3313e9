//! The worker registry: named workers per namespace (a tenant), each a
//! numbered series of versions. A version is a JSON spec and an optional
//! archive of static assets, both owned by the caller (isobox-serve), with
//! the SHA-256 of the two together; the store never reads them.
//!
//! Every write of a name is serialised on its `worker` row (PostgreSQL
//! locks it for the upsert; SQLite has one writer), so versions are
//! numbered without gaps or duplicates across every replica sharing the
//! database, and [`Workers::put`] with `expect` is a compare-and-swap.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), isobox_store::StoreError> {
//! use isobox_store::Store;
//! use isobox_store::workers::NewVersion;
//! let store = Store::open("memory").await?;
//! let workers = store.workers();
//! let first = workers.put("acme", "hello", NewVersion::new("{}", None, "a1"), None, 10).await?;
//! let second = workers.put("acme", "hello", NewVersion::new("{ }", None, "b2"), Some(1), 10).await?;
//! assert_eq!((first.version, second.version), (1, 2));
//! // A write that expected version 1 lost the race: refused.
//! assert!(workers.put("acme", "hello", NewVersion::new("{}", None, "c3"), Some(1), 10).await.is_err());
//! assert_eq!(workers.head("acme", "hello").await?.map(|h| h.sha256), Some("b2".to_owned()));
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::sql::{Access, Dialect, Heard, Row, Tx, transact};
use crate::{Store, StoreError, now_ms};

/// The PostgreSQL channel every registry write notifies.
const CHANNEL: &str = "isobox_worker";

/// The most bytes of one version (spec and assets together).
pub const MAX_VERSION_BYTES: usize = 64 * 1024 * 1024;

/// A worker's newest version, or one of its versions, without its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerHead {
    /// The worker's name.
    pub name: String,
    /// The version number, from 1.
    pub version: i64,
    /// The SHA-256 (hex) the caller gave for the content.
    pub sha256: String,
    /// When this version was written (ms since the epoch).
    pub created_ms: i64,
    /// Bytes of spec and assets.
    pub bytes: i64,
}

/// One version with its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerVersion {
    /// What identifies it.
    pub head: WorkerHead,
    /// The caller's JSON spec.
    pub spec: String,
    /// The caller's assets archive, if any.
    pub assets: Option<Vec<u8>>,
}

/// The content of a version to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVersion {
    /// The caller's JSON spec.
    pub spec: String,
    /// The caller's assets archive, if any.
    pub assets: Option<Vec<u8>>,
    /// The SHA-256 (hex) of the content, as the caller computes it.
    pub sha256: String,
}

impl NewVersion {
    /// A version of `spec`, `assets` and their hash.
    pub fn new(spec: impl Into<String>, assets: Option<Vec<u8>>, sha256: impl Into<String>) -> Self {
        NewVersion {
            spec: spec.into(),
            assets,
            sha256: sha256.into(),
        }
    }

    fn bytes(&self) -> usize {
        self.spec.len() + self.assets.as_ref().map_or(0, Vec::len)
    }
}

/// The worker registry over a [`Store`].
#[derive(Clone, Debug)]
pub struct Workers {
    store: Store,
}

impl Store {
    /// The worker registry.
    pub fn workers(&self) -> Workers {
        Workers { store: self.clone() }
    }
}

fn head_of(name: &str, row: &Row) -> Result<WorkerHead, StoreError> {
    Ok(WorkerHead {
        name: name.to_owned(),
        version: row.int(0)?,
        sha256: row.text(1)?.to_owned(),
        created_ms: row.int(2)?,
        bytes: row.int(3)?,
    })
}

impl Workers {
    /// Writes `content` as the next version of `name` in `ns` and returns
    /// it. With `expect`, the write happens only when the newest version is
    /// `expect` (0: the worker does not exist yet). Versions older than the
    /// newest `keep` (at least 1) are removed.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when `expect` is not the newest version;
    /// [`StoreError::Config`] when the content is over
    /// [`MAX_VERSION_BYTES`]; a backend failure.
    pub async fn put(
        &self,
        ns: &str,
        name: &str,
        content: NewVersion,
        expect: Option<i64>,
        keep: usize,
    ) -> Result<WorkerHead, StoreError> {
        let bytes = content.bytes();
        if bytes > MAX_VERSION_BYTES {
            return Err(StoreError::Config(format!(
                "a worker version may hold at most {MAX_VERSION_BYTES} bytes (this one has {bytes})"
            )));
        }
        let (ns, name) = (ns.to_owned(), name.to_owned());
        let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    let now = now_ms();
                    // The upsert locks the name's row until the end: the
                    // next writer of the name waits, then sees this version.
                    let row = tx
                        .query_opt(
                            "INSERT INTO worker (ns, name, latest, sha256, created_ms, updated_ms)
                             VALUES ($1, $2, 1, $3, $4, $4)
                             ON CONFLICT (ns, name) DO UPDATE SET latest = worker.latest + 1,
                                 sha256 = $3, updated_ms = $4
                             RETURNING latest",
                            &[
                                ns.as_str().into(),
                                name.as_str().into(),
                                content.sha256.as_str().into(),
                                now.into(),
                            ],
                        )?
                        .ok_or_else(|| StoreError::Backend("the worker upsert returned no row".into()))?;
                    let version = row.int(0)?;
                    if let Some(expect) = expect
                        && expect != version - 1
                    {
                        return Err(StoreError::Conflict(format!(
                            "worker {name} is at version {}, not {expect}",
                            version - 1
                        )));
                    }
                    let size = i64::try_from(bytes).unwrap_or(i64::MAX);
                    tx.execute(
                        "INSERT INTO worker_version (ns, name, version, sha256, created_ms, bytes, spec, assets)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        &[
                            ns.as_str().into(),
                            name.as_str().into(),
                            version.into(),
                            content.sha256.as_str().into(),
                            now.into(),
                            size.into(),
                            content.spec.as_str().into(),
                            content.assets.as_deref().into(),
                        ],
                    )?;
                    tx.execute(
                        "DELETE FROM worker_version WHERE ns = $1 AND name = $2 AND version <= $3",
                        &[ns.as_str().into(), name.as_str().into(), (version - keep).into()],
                    )?;
                    notify(tx)?;
                    Ok(WorkerHead {
                        name: name.clone(),
                        version,
                        sha256: content.sha256.clone(),
                        created_ms: now,
                        bytes: size,
                    })
                })
            })
            .await
    }

    /// The newest version of `name` in `ns`: one indexed row in one
    /// statement (on PostgreSQL one round trip), what every request to a
    /// registered worker reads first.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn head(&self, ns: &str, name: &str) -> Result<Option<WorkerHead>, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Statement, |tx| {
                    let row = tx.query_opt(
                        "SELECT w.latest, w.sha256, v.created_ms, v.bytes FROM worker w
                         JOIN worker_version v ON v.ns = w.ns AND v.name = w.name AND v.version = w.latest
                         WHERE w.ns = $1 AND w.name = $2",
                        &[ns.as_str().into(), name.as_str().into()],
                    )?;
                    row.map(|row| head_of(&name, &row)).transpose()
                })
            })
            .await
    }

    /// Version `version` of `name` (the newest when `None`) with its content.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn get(&self, ns: &str, name: &str, version: Option<i64>) -> Result<Option<WorkerVersion>, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let version = match version {
                        Some(version) => version,
                        None => match tx.query_opt(
                            "SELECT latest FROM worker WHERE ns = $1 AND name = $2",
                            &[ns.as_str().into(), name.as_str().into()],
                        )? {
                            Some(row) => row.int(0)?,
                            None => return Ok(None),
                        },
                    };
                    let row = tx.query_opt(
                        "SELECT version, sha256, created_ms, bytes, spec, assets FROM worker_version
                         WHERE ns = $1 AND name = $2 AND version = $3",
                        &[ns.as_str().into(), name.as_str().into(), version.into()],
                    )?;
                    row.map(|mut row| {
                        Ok(WorkerVersion {
                            head: head_of(&name, &row)?,
                            spec: row.text(4)?.to_owned(),
                            assets: row.take_bytes(5)?,
                        })
                    })
                    .transpose()
                })
            })
            .await
    }

    /// The versions of `name` still kept, newest first.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn versions(&self, ns: &str, name: &str) -> Result<Vec<WorkerHead>, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let rows = tx.query(
                        "SELECT version, sha256, created_ms, bytes FROM worker_version
                         WHERE ns = $1 AND name = $2 ORDER BY version DESC",
                        &[ns.as_str().into(), name.as_str().into()],
                    )?;
                    rows.iter().map(|row| head_of(&name, row)).collect()
                })
            })
            .await
    }

    /// The newest version of every worker of `ns`, by name.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn list(&self, ns: &str) -> Result<Vec<WorkerHead>, StoreError> {
        let ns = ns.to_owned();
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let rows = tx.query(
                        "SELECT w.latest, w.sha256, v.created_ms, v.bytes, w.name FROM worker w
                         JOIN worker_version v ON v.ns = w.ns AND v.name = w.name AND v.version = w.latest
                         WHERE w.ns = $1 ORDER BY w.name",
                        &[ns.as_str().into()],
                    )?;
                    rows.iter().map(|row| head_of(row.text(4)?, row)).collect()
                })
            })
            .await
    }

    /// Removes `name` and every version of it; false when there was none.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn delete(&self, ns: &str, name: &str) -> Result<bool, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    let params = [ns.as_str().into(), name.as_str().into()];
                    tx.execute("DELETE FROM worker_version WHERE ns = $1 AND name = $2", &params)?;
                    let deleted = tx.execute("DELETE FROM worker WHERE ns = $1 AND name = $2", &params)? == 1;
                    if deleted {
                        notify(tx)?;
                    }
                    Ok(deleted)
                })
            })
            .await
    }
}

/// Tells every process listening (PostgreSQL: delivered when the
/// transaction commits) that the registry changed.
fn notify(tx: &mut dyn Tx) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        tx.script(&format!("NOTIFY {CHANNEL}"))?;
    }
    Ok(())
}

/// The registry's changes as this process hears them: every version
/// written and every worker removed, through any replica, moves
/// [`generation`](WorkerChanges::generation) on. While
/// [`is_live`](WorkerChanges::is_live), what was read at the current
/// generation is still the newest, up to the delay of the notification
/// (on loopback, well under a millisecond); a lost connection moves the
/// generation on and is not live until it listens again. Dropping it stops
/// listening.
pub struct WorkerChanges {
    state: Arc<ChangeState>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

#[derive(Default)]
struct ChangeState {
    live: AtomicBool,
    generation: AtomicU64,
}

impl std::fmt::Debug for WorkerChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerChanges")
            .field("live", &self.is_live())
            .field("generation", &self.generation())
            .finish()
    }
}

impl WorkerChanges {
    /// Whether changes are being heard now.
    pub fn is_live(&self) -> bool {
        self.state.live.load(Ordering::Acquire)
    }

    /// How many changes (and losses) have been heard.
    pub fn generation(&self) -> u64 {
        self.state.generation.load(Ordering::Acquire)
    }

    /// Counts a change this process made itself, so that it serves its own
    /// writes at once.
    pub fn bump(&self) {
        self.state.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl Workers {
    /// Starts hearing the registry's changes; `None` where the store has
    /// no notifications (SQLite and memory: read the newest version
    /// instead, which costs microseconds there). Must be called inside a
    /// tokio runtime.
    pub fn changes(&self) -> Option<WorkerChanges> {
        let state = Arc::new(ChangeState::default());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let heard = state.clone();
        let on = Arc::new(move |event: Heard| {
            // Whatever was read before this event may be older than it.
            heard.generation.fetch_add(1, Ordering::AcqRel);
            match event {
                Heard::Listening => heard.live.store(true, Ordering::Release),
                Heard::Lost => heard.live.store(false, Ordering::Release),
                Heard::Notified => {}
            }
        });
        self.store
            .backend()
            .listen(CHANNEL, on, stopped)
            .then_some(WorkerChanges { state, _stop: stop })
    }
}
