//! The persistent key-value store: strings under string keys, one
//! namespace per tenant, with versions for compare-and-swap, optional
//! expiry, cursors that never truncate silently, and quotas checked in the
//! transaction that writes.
//!
//! Every write of a namespace first locks the namespace's row, so writes to
//! one namespace are serialised on every backend and each key's history is
//! linear across every process sharing the database. Versions come from
//! one counter per namespace and never repeat, even after a delete, so a
//! compare-and-swap cannot be fooled by a key deleted and written again.

use serde::Serialize;

use crate::sql::{Access, Dialect, Tx, Value, transact};
use crate::{Store, StoreError, now_ms};

/// The limits of a namespace. Every field has a default
/// ([`KvLimits::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvLimits {
    /// The most keys a namespace holds (default 10,000).
    pub max_keys: u64,
    /// The most bytes of keys and values a namespace holds (default 64 MiB).
    pub max_bytes: u64,
    /// The longest key in bytes (default 1,024).
    pub max_key_bytes: usize,
    /// The largest value in bytes (default 1 MiB).
    pub max_value_bytes: usize,
    /// The most keys one `list` returns (default 1,000).
    pub max_page: u32,
}

impl Default for KvLimits {
    fn default() -> Self {
        KvLimits {
            max_keys: 10_000,
            max_bytes: 64 << 20,
            max_key_bytes: 1024,
            max_value_bytes: 1 << 20,
            max_page: 1000,
        }
    }
}

/// Why a key-value operation was refused. The guest sees these as the
/// error's `code`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
    /// The key is empty or too long.
    #[error("kv: {0}")]
    BadKey(String),
    /// The value is too large.
    #[error("kv: {0}")]
    TooLarge(String),
    /// The write would pass the namespace's key or byte quota.
    #[error("kv: {0}")]
    Quota(String),
    /// An argument is out of range (a cursor, a page size, a TTL).
    #[error("kv: {0}")]
    Invalid(String),
}

impl KvError {
    /// A stable code for the error: `bad-key`, `too-large`, `quota`,
    /// `invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            KvError::BadKey(_) => "bad-key",
            KvError::TooLarge(_) => "too-large",
            KvError::Quota(_) => "quota",
            KvError::Invalid(_) => "invalid",
        }
    }
}

/// A stored value and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvEntry {
    /// The value.
    pub value: String,
    /// The version written with it; a later write always has a larger one.
    pub version: u64,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at: Option<i64>,
}

/// A key as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvKey {
    /// The key.
    pub key: String,
    /// Its version.
    pub version: u64,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at: Option<i64>,
}

/// One page of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvPage {
    /// The keys, in byte order.
    pub keys: Vec<KvKey>,
    /// Where the next page starts, or `None` when this page is the last.
    pub cursor: Option<String>,
}

/// The preconditions and expiry of a `put`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Write only if the key's current version is this one.
    pub if_version: Option<u64>,
    /// Write only if the key is absent (or expired).
    pub if_absent: bool,
    /// Expire the value this many milliseconds after the write.
    pub ttl_ms: Option<u64>,
}

/// What a `put` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PutResult {
    /// Whether the value was written (false: a precondition failed).
    pub ok: bool,
    /// The new version when written; else the key's current version (0 when
    /// it is absent).
    pub version: u64,
}

/// The key-value store of a [`Store`], under its limits.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use isobox_store::{Store, kv::PutOptions};
///
/// let store = Store::open("memory").await?;
/// let kv = store.kv();
/// let first = kv.put("acme", "counter", "1", PutOptions::default()).await?;
/// let swap = PutOptions { if_version: Some(first.version), ..PutOptions::default() };
/// assert!(kv.put("acme", "counter", "2", swap).await?.ok);
/// // The same precondition again fails: the version moved on.
/// assert!(!kv.put("acme", "counter", "3", swap).await?.ok);
/// assert_eq!(kv.get("acme", "counter").await?.unwrap().value, "2");
/// # Ok::<(), isobox_store::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Kv {
    store: Store,
    limits: KvLimits,
}

/// How many expired keys a write removes on its way.
const PURGE_BATCH: i64 = 32;

impl Kv {
    pub(crate) fn new(store: Store) -> Kv {
        Kv {
            store,
            limits: KvLimits::default(),
        }
    }

    /// The same store under other limits.
    pub fn with_limits(mut self, limits: KvLimits) -> Kv {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &KvLimits {
        &self.limits
    }

    fn check_key(&self, key: &str) -> Result<(), KvError> {
        if key.is_empty() {
            return Err(KvError::BadKey("a key must not be empty".into()));
        }
        if key.len() > self.limits.max_key_bytes {
            return Err(KvError::BadKey(format!(
                "a key may have at most {} bytes (this one has {})",
                self.limits.max_key_bytes,
                key.len()
            )));
        }
        if key.contains('\0') {
            return Err(KvError::BadKey("a key must not contain NUL".into()));
        }
        Ok(())
    }

    /// The live value of `key` in namespace `ns`.
    ///
    /// # Errors
    /// [`KvError::BadKey`]; a backend failure.
    pub async fn get(&self, ns: &str, key: &str) -> Result<Option<KvEntry>, StoreError> {
        self.check_key(key)?;
        let (ns, key) = (ns.to_owned(), key.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let row = tx.query_opt(
                        "SELECT value, version, expires_at FROM kv_entry
                         WHERE ns = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)",
                        &[ns.as_str().into(), key.as_str().into(), now_ms().into()],
                    )?;
                    row.map(|row| {
                        Ok(KvEntry {
                            value: row.text(0)?.to_owned(),
                            version: row.int(1)? as u64,
                            expires_at: row.opt_int(2)?,
                        })
                    })
                    .transpose()
                })
            })
            .await
    }

    /// Writes `value` under `key` if the options' preconditions hold.
    ///
    /// # Errors
    /// [`KvError::BadKey`], [`KvError::TooLarge`], [`KvError::Quota`] (the
    /// namespace is full even after expired keys are removed),
    /// [`KvError::Invalid`] (a TTL past ten years); a backend failure.
    pub async fn put(&self, ns: &str, key: &str, value: &str, options: PutOptions) -> Result<PutResult, StoreError> {
        self.check_key(key)?;
        if value.len() > self.limits.max_value_bytes {
            return Err(KvError::TooLarge(format!(
                "a value may have at most {} bytes (this one has {})",
                self.limits.max_value_bytes,
                value.len()
            ))
            .into());
        }
        const TEN_YEARS_MS: u64 = 10 * 366 * 24 * 3600 * 1000;
        if options.ttl_ms.is_some_and(|ttl| ttl == 0 || ttl > TEN_YEARS_MS) {
            return Err(KvError::Invalid("a TTL must be between 1 ms and ten years".into()).into());
        }
        let limits = self.limits;
        let (ns, key, value) = (ns.to_owned(), key.to_owned(), value.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    put(tx, &limits, &ns, &key, &value, options)
                })
            })
            .await
    }

    /// Removes `key`; with `if_version`, only when that is its version.
    /// True when a live value was removed.
    ///
    /// # Errors
    /// [`KvError::BadKey`]; a backend failure.
    pub async fn delete(&self, ns: &str, key: &str, if_version: Option<u64>) -> Result<bool, StoreError> {
        self.check_key(key)?;
        let (ns, key) = (ns.to_owned(), key.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    lock_namespace(tx, &ns)?;
                    let now = now_ms();
                    let Some(row) = tx.query_opt(
                        "SELECT version, size, expires_at FROM kv_entry WHERE ns = $1 AND key = $2",
                        &[ns.as_str().into(), key.as_str().into()],
                    )?
                    else {
                        return Ok(false);
                    };
                    let (version, size) = (row.int(0)?, row.int(1)?);
                    let live = row.opt_int(2)?.is_none_or(|at| at > now);
                    if live && if_version.is_some_and(|want| want != version as u64) {
                        return Ok(false);
                    }
                    if !live && if_version.is_some() {
                        return Ok(false);
                    }
                    tx.execute(
                        "DELETE FROM kv_entry WHERE ns = $1 AND key = $2",
                        &[ns.as_str().into(), key.as_str().into()],
                    )?;
                    tx.execute(
                        "UPDATE kv_namespace SET keys = keys - 1, bytes = bytes - $2 WHERE ns = $1",
                        &[ns.as_str().into(), size.into()],
                    )?;
                    Ok(live)
                })
            })
            .await
    }

    /// One page of the live keys that start with `prefix`, in byte order,
    /// after `cursor` (from the previous page), at most `limit` (default
    /// and most: [`KvLimits::max_page`]).
    ///
    /// # Errors
    /// [`KvError::Invalid`] for a cursor that is not from this prefix; a
    /// backend failure.
    pub async fn list(
        &self,
        ns: &str,
        prefix: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<KvPage, StoreError> {
        if let Some(cursor) = cursor
            && !cursor.starts_with(prefix)
        {
            return Err(KvError::Invalid("the cursor is not from a list of this prefix".into()).into());
        }
        let limit = limit.unwrap_or(self.limits.max_page).clamp(1, self.limits.max_page);
        let (ns, prefix, cursor) = (ns.to_owned(), prefix.to_owned(), cursor.map(str::to_owned));
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    // Keys at or past the prefix, in byte order: those that
                    // start with it come first and together.
                    let (sql, params): (&str, Vec<Value>) = match &cursor {
                        Some(after) => (
                            "SELECT key, version, expires_at FROM kv_entry
                             WHERE ns = $1 AND key > $2 AND (expires_at IS NULL OR expires_at > $3)
                             ORDER BY key LIMIT $4",
                            vec![
                                ns.as_str().into(),
                                after.as_str().into(),
                                now_ms().into(),
                                i64::from(limit + 1).into(),
                            ],
                        ),
                        None => (
                            "SELECT key, version, expires_at FROM kv_entry
                             WHERE ns = $1 AND key >= $2 AND (expires_at IS NULL OR expires_at > $3)
                             ORDER BY key LIMIT $4",
                            vec![
                                ns.as_str().into(),
                                prefix.as_str().into(),
                                now_ms().into(),
                                i64::from(limit + 1).into(),
                            ],
                        ),
                    };
                    let mut keys = Vec::new();
                    let mut more = false;
                    for row in tx.query(sql, &params)? {
                        let key = row.text(0)?;
                        if !key.starts_with(prefix.as_str()) {
                            break;
                        }
                        if keys.len() == limit as usize {
                            more = true;
                            break;
                        }
                        keys.push(KvKey {
                            key: key.to_owned(),
                            version: row.int(1)? as u64,
                            expires_at: row.opt_int(2)?,
                        });
                    }
                    let cursor = if more { keys.last().map(|k| k.key.clone()) } else { None };
                    Ok(KvPage { keys, cursor })
                })
            })
            .await
    }

    /// How many keys and bytes namespace `ns` holds (expired keys not yet
    /// removed included).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn usage(&self, ns: &str) -> Result<(u64, u64), StoreError> {
        let ns = ns.to_owned();
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let row = tx.query_opt(
                        "SELECT keys, bytes FROM kv_namespace WHERE ns = $1",
                        &[ns.as_str().into()],
                    )?;
                    Ok(match row {
                        Some(row) => (row.int(0)? as u64, row.int(1)? as u64),
                        None => (0, 0),
                    })
                })
            })
            .await
    }
}

/// Locks the namespace's row (making it if needed) and returns its counter,
/// keys and bytes. Every write takes this lock first.
fn lock_namespace(tx: &mut dyn Tx, ns: &str) -> Result<(i64, i64, i64), StoreError> {
    let row = tx
        .query_opt(
            "INSERT INTO kv_namespace (ns, seq, keys, bytes) VALUES ($1, 0, 0, 0)
             ON CONFLICT (ns) DO UPDATE SET seq = kv_namespace.seq
             RETURNING seq, keys, bytes",
            &[ns.into()],
        )?
        .ok_or_else(|| StoreError::Backend("the namespace upsert returned no row".into()))?;
    Ok((row.int(0)?, row.int(1)?, row.int(2)?))
}

/// Removes up to [`PURGE_BATCH`] expired keys of `ns`; returns how many.
fn purge_expired(tx: &mut dyn Tx, ns: &str, now: i64) -> Result<u64, StoreError> {
    let expired = tx.query(
        "SELECT key, size FROM kv_entry WHERE ns = $1 AND expires_at IS NOT NULL AND expires_at <= $2
         ORDER BY expires_at LIMIT $3",
        &[ns.into(), now.into(), PURGE_BATCH.into()],
    )?;
    let mut bytes = 0;
    for row in &expired {
        tx.execute(
            "DELETE FROM kv_entry WHERE ns = $1 AND key = $2",
            &[ns.into(), row.text(0)?.into()],
        )?;
        bytes += row.int(1)?;
    }
    if !expired.is_empty() {
        tx.execute(
            "UPDATE kv_namespace SET keys = keys - $2, bytes = bytes - $3 WHERE ns = $1",
            &[ns.into(), (expired.len() as i64).into(), bytes.into()],
        )?;
    }
    Ok(expired.len() as u64)
}

fn put(
    tx: &mut dyn Tx,
    limits: &KvLimits,
    ns: &str,
    key: &str,
    value: &str,
    options: PutOptions,
) -> Result<PutResult, StoreError> {
    lock_namespace(tx, ns)?;
    let now = now_ms();
    purge_expired(tx, ns, now)?;
    let existing = tx.query_opt(
        "SELECT version, size, expires_at FROM kv_entry WHERE ns = $1 AND key = $2",
        &[ns.into(), key.into()],
    )?;
    let (live_version, old_size) = match &existing {
        Some(row) => {
            let live = row.opt_int(2)?.is_none_or(|at| at > now);
            (live.then(|| row.int(0)).transpose()?, Some(row.int(1)?))
        }
        None => (None, None),
    };
    let current = live_version.unwrap_or(0) as u64;
    if options.if_absent && live_version.is_some() {
        return Ok(PutResult {
            ok: false,
            version: current,
        });
    }
    if let Some(want) = options.if_version
        && live_version.map(|v| v as u64) != Some(want)
    {
        return Ok(PutResult {
            ok: false,
            version: current,
        });
    }
    let size = (key.len() + value.len()) as i64;
    let (add_keys, add_bytes) = match old_size {
        Some(old) => (0, size - old),
        None => (1, size),
    };
    // The quota check and the counter in one statement, under the lock.
    let row = tx.query_opt(
        "UPDATE kv_namespace SET seq = seq + 1, keys = keys + $2, bytes = bytes + $3
         WHERE ns = $1 AND keys + $2 <= $4 AND bytes + $3 <= $5
         RETURNING seq",
        &[
            ns.into(),
            add_keys.into(),
            add_bytes.into(),
            (limits.max_keys as i64).into(),
            (limits.max_bytes as i64).into(),
        ],
    )?;
    let Some(row) = row else {
        return Err(KvError::Quota(format!(
            "the namespace is full: it may hold at most {} keys and {} bytes",
            limits.max_keys, limits.max_bytes
        ))
        .into());
    };
    let version = row.int(0)?;
    let expires_at = options.ttl_ms.map(|ttl| now + ttl as i64);
    let upsert = match tx.dialect() {
        Dialect::Sqlite | Dialect::Postgres => {
            "INSERT INTO kv_entry (ns, key, value, size, version, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, size = excluded.size,
                 version = excluded.version, expires_at = excluded.expires_at"
        }
    };
    tx.execute(
        upsert,
        &[
            ns.into(),
            key.into(),
            value.into(),
            size.into(),
            version.into(),
            expires_at.into(),
        ],
    )?;
    Ok(PutResult {
        ok: true,
        version: version as u64,
    })
}
