//! Run history and saved snippets: what a durable run was, how it ended,
//! and its journal, per namespace (a tenant); and named code with a
//! description and an input schema. The store keeps JSON texts and never
//! reads them: the caller (isobox-serve) owns their shape.
//!
//! A run paused for approval is resumed by whoever claims it first
//! ([`Runs::claim`]): two approvers, or two replicas sharing PostgreSQL,
//! cannot both resume it.

use serde::{Deserialize, Serialize};

use crate::sql::{Access, Row, transact};
use crate::{Store, StoreError, now_ms};

/// The most bytes of a run's texts together (request, outcome, journal).
pub const MAX_RUN_BYTES: usize = 96 * 1024 * 1024;

/// One stored run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The namespace (tenant).
    pub ns: String,
    /// The run's id.
    pub id: String,
    /// `ok`, `error`, `pending-approval`, `resuming`, `running`.
    pub status: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// When the record last changed.
    pub updated_ms: i64,
    /// The code's SHA-256 (hex).
    pub code_sha256: String,
    /// A small JSON summary for lists (the caller's shape).
    pub summary: String,
    /// The request as JSON (the caller's shape).
    pub request: String,
    /// The outcome as JSON, once there is one.
    pub outcome: Option<String>,
    /// The journal as JSON.
    pub journal: Option<String>,
}

/// A run in a list: everything but its request, outcome and journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub id: String,
    /// Its status.
    pub status: String,
    /// When it was created (ms since the epoch).
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
    /// The code's SHA-256.
    pub code_sha256: String,
    /// The caller's JSON summary.
    pub summary: String,
}

/// A named piece of code to run again with new input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// Its name: letters, digits, `-`, `_`, `.`, at most 100 bytes.
    pub name: String,
    /// What it does, for search (at most 4 KiB).
    pub description: String,
    /// The JSON Schema of its input, as JSON text.
    pub input_schema: String,
    /// The code.
    pub code: String,
    /// When it was first saved.
    pub created_ms: i64,
    /// When it was last saved.
    pub updated_ms: i64,
}

/// Run history and snippets over a [`Store`].
#[derive(Clone, Debug)]
pub struct Runs {
    store: Store,
}

impl Store {
    /// Run history and snippets.
    pub fn runs(&self) -> Runs {
        Runs { store: self.clone() }
    }
}

fn summary_of(row: &Row) -> Result<RunSummary, StoreError> {
    Ok(RunSummary {
        id: row.text(0)?.to_owned(),
        status: row.text(1)?.to_owned(),
        created_ms: row.int(2)?,
        updated_ms: row.int(3)?,
        code_sha256: row.text(4)?.to_owned(),
        summary: row.text(5)?.to_owned(),
    })
}

impl Runs {
    /// Writes `record` (a new run, or a newer state of one).
    ///
    /// # Errors
    /// [`StoreError::Config`] when its texts are over [`MAX_RUN_BYTES`];
    /// a backend failure.
    pub async fn put(&self, record: RunRecord) -> Result<(), StoreError> {
        let size = record.request.len()
            + record.outcome.as_ref().map_or(0, String::len)
            + record.journal.as_ref().map_or(0, String::len);
        if size > MAX_RUN_BYTES {
            return Err(StoreError::Config(format!(
                "a run record may hold at most {MAX_RUN_BYTES} bytes (this one has {size})"
            )));
        }
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    let params = [
                        record.ns.as_str().into(),
                        record.id.as_str().into(),
                        record.status.as_str().into(),
                        record.created_ms.into(),
                        record.updated_ms.into(),
                        record.code_sha256.as_str().into(),
                        record.summary.as_str().into(),
                        record.request.as_str().into(),
                        record.outcome.as_deref().into(),
                        record.journal.as_deref().into(),
                    ];
                    tx.execute(
                        "INSERT INTO run_record (ns, id, status, created_ms, updated_ms, code_sha256, summary, request, outcome, journal)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (ns, id) DO UPDATE SET status = $3, updated_ms = $5, summary = $7,
                             request = $8, outcome = $9, journal = $10",
                        &params,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Run `id` of namespace `ns`.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn get(&self, ns: &str, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let (ns, id) = (ns.to_owned(), id.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let row = tx.query_opt(
                        "SELECT id, status, created_ms, updated_ms, code_sha256, summary, request, outcome, journal
                         FROM run_record WHERE ns = $1 AND id = $2",
                        &[ns.as_str().into(), id.as_str().into()],
                    )?;
                    row.map(|row| {
                        let summary = summary_of(&row)?;
                        Ok(RunRecord {
                            ns: ns.clone(),
                            id: summary.id,
                            status: summary.status,
                            created_ms: summary.created_ms,
                            updated_ms: summary.updated_ms,
                            code_sha256: summary.code_sha256,
                            summary: summary.summary,
                            request: row.text(6)?.to_owned(),
                            outcome: row.opt_text(7)?.map(str::to_owned),
                            journal: row.opt_text(8)?.map(str::to_owned),
                        })
                    })
                    .transpose()
                })
            })
            .await
    }

    /// The newest runs of `ns` first, with `status` when given, created
    /// before `before` (a `created_ms` from the previous page), at most
    /// `limit` (1 to 1,000).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn list(
        &self,
        ns: &str,
        status: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RunSummary>, StoreError> {
        let (ns, status) = (ns.to_owned(), status.map(str::to_owned));
        let limit = limit.clamp(1, 1000) as i64;
        let before = before.unwrap_or(i64::MAX);
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let rows = match &status {
                        Some(status) => tx.query(
                            "SELECT id, status, created_ms, updated_ms, code_sha256, summary FROM run_record
                             WHERE ns = $1 AND created_ms < $2 AND status = $3
                             ORDER BY created_ms DESC, id DESC LIMIT $4",
                            &[ns.as_str().into(), before.into(), status.as_str().into(), limit.into()],
                        )?,
                        None => tx.query(
                            "SELECT id, status, created_ms, updated_ms, code_sha256, summary FROM run_record
                             WHERE ns = $1 AND created_ms < $2
                             ORDER BY created_ms DESC, id DESC LIMIT $3",
                            &[ns.as_str().into(), before.into(), limit.into()],
                        )?,
                    };
                    rows.iter().map(summary_of).collect()
                })
            })
            .await
    }

    /// Moves run `id` from status `from` to `to`; false when it is not in
    /// `from` (someone else claimed it, or it is gone).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn claim(&self, ns: &str, id: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        let (ns, id, from, to) = (ns.to_owned(), id.to_owned(), from.to_owned(), to.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    let changed = tx.execute(
                        "UPDATE run_record SET status = $4, updated_ms = $5 WHERE ns = $1 AND id = $2 AND status = $3",
                        &[
                            ns.as_str().into(),
                            id.as_str().into(),
                            from.as_str().into(),
                            to.as_str().into(),
                            now_ms().into(),
                        ],
                    )?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    /// Removes finished runs (not paused or resuming) last changed before
    /// `older_than_ms`, and beyond the newest `keep` of each namespace.
    /// Returns how many were removed.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn prune(&self, older_than_ms: i64, keep: usize) -> Result<u64, StoreError> {
        let keep = keep as i64;
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    let old = tx.execute(
                        "DELETE FROM run_record WHERE updated_ms < $1 AND status IN ('ok', 'error')",
                        &[older_than_ms.into()],
                    )?;
                    let over = tx.execute(
                        "DELETE FROM run_record WHERE status IN ('ok', 'error') AND (ns, id) IN (
                             SELECT ns, id FROM (
                                 SELECT ns, id, ROW_NUMBER() OVER (PARTITION BY ns ORDER BY created_ms DESC, id DESC) AS n
                                 FROM run_record
                             ) ranked WHERE n > $1)",
                        &[keep.into()],
                    )?;
                    Ok(old + over)
                })
            })
            .await
    }

    /// Saves `snippet` under its name in `ns` (replacing one of that name).
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad name or an oversized part; a
    /// backend failure.
    pub async fn put_snippet(&self, ns: &str, snippet: Snippet) -> Result<(), StoreError> {
        check_snippet(&snippet)?;
        let ns = ns.to_owned();
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    tx.execute(
                        "INSERT INTO snippet (ns, name, description, input_schema, code, created_ms, updated_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (ns, name) DO UPDATE SET description = $3, input_schema = $4, code = $5, updated_ms = $7",
                        &[
                            ns.as_str().into(),
                            snippet.name.as_str().into(),
                            snippet.description.as_str().into(),
                            snippet.input_schema.as_str().into(),
                            snippet.code.as_str().into(),
                            snippet.created_ms.into(),
                            snippet.updated_ms.into(),
                        ],
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Saves `code` as snippet `name` of `ns` now: its input schema (a
    /// JSON Schema object; default `{"type": "object"}`), and its first
    /// save's time kept when it replaces one. Returns what was saved.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad name, a schema that is not an
    /// object, or an oversized part; a backend failure.
    pub async fn save_snippet(
        &self,
        ns: &str,
        name: &str,
        description: String,
        input_schema: Option<serde_json::Value>,
        code: String,
    ) -> Result<Snippet, StoreError> {
        if !is_snippet_name(name) {
            return Err(StoreError::Config(
                "a snippet's name has 1 to 100 letters, digits, `-`, `_` or `.`".into(),
            ));
        }
        let schema = input_schema.unwrap_or_else(|| serde_json::json!({ "type": "object" }));
        if !schema.is_object() {
            return Err(StoreError::Config("`input_schema` must be a JSON Schema object".into()));
        }
        let now = now_ms();
        let created_ms = self.snippet(ns, name).await?.map_or(now, |old| old.created_ms);
        let snippet = Snippet {
            name: name.to_owned(),
            description,
            input_schema: schema.to_string(),
            code,
            created_ms,
            updated_ms: now,
        };
        self.put_snippet(ns, snippet.clone()).await?;
        Ok(snippet)
    }

    /// Snippet `name` of `ns`.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn snippet(&self, ns: &str, name: &str) -> Result<Option<Snippet>, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let row = tx.query_opt(
                        &format!("SELECT {SNIPPET_COLUMNS} FROM snippet WHERE ns = $1 AND name = $2"),
                        &[ns.as_str().into(), name.as_str().into()],
                    )?;
                    row.as_ref().map(snippet_of).transpose()
                })
            })
            .await
    }

    /// Every snippet of `ns`, by name (at most 10,000).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn snippets(&self, ns: &str) -> Result<Vec<Snippet>, StoreError> {
        let ns = ns.to_owned();
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Read, |tx| {
                    let rows = tx.query(
                        &format!("SELECT {SNIPPET_COLUMNS} FROM snippet WHERE ns = $1 ORDER BY name LIMIT 10000"),
                        &[ns.as_str().into()],
                    )?;
                    rows.iter().map(snippet_of).collect()
                })
            })
            .await
    }

    /// Removes snippet `name`; true when there was one.
    ///
    /// # Errors
    /// A backend failure.
    pub async fn delete_snippet(&self, ns: &str, name: &str) -> Result<bool, StoreError> {
        let (ns, name) = (ns.to_owned(), name.to_owned());
        self.store
            .blocking(move |backend| {
                transact(backend, Access::Write, |tx| {
                    Ok(tx.execute(
                        "DELETE FROM snippet WHERE ns = $1 AND name = $2",
                        &[ns.as_str().into(), name.as_str().into()],
                    )? == 1)
                })
            })
            .await
    }
}

/// The columns `snippet_of` reads, in its order.
const SNIPPET_COLUMNS: &str = "name, description, input_schema, code, created_ms, updated_ms";

fn snippet_of(row: &Row) -> Result<Snippet, StoreError> {
    Ok(Snippet {
        name: row.text(0)?.to_owned(),
        description: row.text(1)?.to_owned(),
        input_schema: row.text(2)?.to_owned(),
        code: row.text(3)?.to_owned(),
        created_ms: row.int(4)?,
        updated_ms: row.int(5)?,
    })
}

/// True for a usable snippet name.
pub fn is_snippet_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_snippet(snippet: &Snippet) -> Result<(), StoreError> {
    if !is_snippet_name(&snippet.name) {
        return Err(StoreError::Config(
            "a snippet's name has 1 to 100 letters, digits, `-`, `_` or `.`".into(),
        ));
    }
    if snippet.description.len() > 4096 {
        return Err(StoreError::Config(
            "a snippet's description may have at most 4 KiB".into(),
        ));
    }
    if snippet.code.is_empty() || snippet.code.len() > 1024 * 1024 {
        return Err(StoreError::Config("a snippet's code has 1 byte to 1 MiB".into()));
    }
    if snippet.input_schema.len() > 64 * 1024 {
        return Err(StoreError::Config(
            "a snippet's input schema may have at most 64 KiB".into(),
        ));
    }
    Ok(())
}
