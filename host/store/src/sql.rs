//! What a backend offers the stores built on it: SQL transactions over a
//! handful of value types. The key-value store and the workspaces are
//! written once against [`Tx`]; each backend runs them in its own dialect.
//!
//! Statements are written with PostgreSQL's numbered placeholders (`$1`);
//! SQLite reads them as `?1`. Text compares byte by byte on both (SQLite's
//! `BINARY` collation, PostgreSQL's `"C"` on every text column the schema
//! makes), so keys and paths sort the same everywhere.

use std::fmt;

use crate::StoreError;

/// A value bound to a placeholder or read from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (`BIGINT`, `INTEGER`).
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Bytes (`BYTEA`, `BLOB`).
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&[u8]> for Value {
    fn from(value: &[u8]) -> Self {
        Value::Bytes(value.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Value::Bytes(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// One row of a result, its columns in the order the statement named them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `index` as an integer (`NULL` is an error).
    pub fn int(&self, index: usize) -> Result<i64, StoreError> {
        match self.0.get(index) {
            Some(Value::Int(value)) => Ok(*value),
            other => Err(column_error(index, "an integer", other)),
        }
    }

    /// Column `index` as an integer, or `None` for `NULL`.
    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.int(index).map(Some),
        }
    }

    /// Column `index` as text.
    pub fn text(&self, index: usize) -> Result<&str, StoreError> {
        match self.0.get(index) {
            Some(Value::Text(value)) => Ok(value),
            other => Err(column_error(index, "text", other)),
        }
    }

    /// Column `index` as text, or `None` for `NULL`.
    pub fn opt_text(&self, index: usize) -> Result<Option<&str>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.text(index).map(Some),
        }
    }

    /// Column `index` as bytes, or `None` for `NULL`.
    pub fn opt_bytes(&self, index: usize) -> Result<Option<&[u8]>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            Some(Value::Bytes(value)) => Ok(Some(value)),
            other => Err(column_error(index, "bytes", other)),
        }
    }

    /// Column `index` as bytes, taken out of the row.
    pub fn take_bytes(&mut self, index: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.0.get_mut(index) {
            Some(Value::Null) => Ok(None),
            Some(Value::Bytes(value)) => Ok(Some(std::mem::take(value))),
            other => Err(column_error(index, "bytes", other.as_deref())),
        }
    }
}

fn column_error(index: usize, wanted: &str, found: Option<&Value>) -> StoreError {
    let found = match found {
        None => "no such column",
        Some(Value::Null) => "NULL",
        Some(Value::Int(_)) => "an integer",
        Some(Value::Text(_)) => "text",
        Some(Value::Bytes(_)) => "bytes",
    };
    StoreError::Corrupt(format!("column {index}: expected {wanted}, found {found}"))
}

/// The SQL a backend speaks, where the two differ (schema, locking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (bundled).
    Sqlite,
    /// PostgreSQL 13 or newer.
    Postgres,
}

/// One open transaction. Every statement of a store's operation goes through
/// one, so the operation commits whole or not at all.
pub trait Tx {
    /// The backend's dialect.
    fn dialect(&self) -> Dialect;

    /// Runs a statement that returns rows.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or the statement is refused.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Runs a statement and says how many rows it changed.
    ///
    /// # Errors
    /// As [`Tx::query`].
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;

    /// Runs several statements separated by `;` (schema changes), without
    /// parameters.
    ///
    /// # Errors
    /// As [`Tx::query`].
    fn script(&mut self, sql: &str) -> Result<(), StoreError>;

    /// The first row of a query, if any.
    ///
    /// # Errors
    /// As [`Tx::query`].
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// Whether a transaction writes: a backend may run readers side by side and
/// serialise writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads.
    Read,
    /// Reads and writes.
    Write,
    /// One read statement, which needs no transaction around it: on
    /// PostgreSQL it runs on its own (one round trip instead of three), on
    /// SQLite as [`Access::Read`].
    Statement,
}

/// The body of a transaction: called with the open transaction; returning
/// an error rolls it back. A backend may call it again after a transient
/// failure (a deadlock, a busy database), so it must not keep effects of an
/// earlier call.
pub type TxBody<'a> = &'a mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>;

/// A SQL database the stores keep their state in. Its methods block: the
/// async API of [`crate::Store`] calls them on tokio's blocking threads.
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// The backend's dialect.
    fn dialect(&self) -> Dialect;

    /// Runs `body` in one transaction and commits it when `body` succeeds.
    ///
    /// # Errors
    /// What `body` returned, or [`StoreError`] when the backend fails.
    fn transact(&self, access: Access, body: TxBody<'_>) -> Result<(), StoreError>;

    /// Delivers the notifications of `channel` (PostgreSQL's LISTEN) to
    /// `on`, from a task of the backend's own, until `stop` resolves (its
    /// sender dropped); false when the backend has none (SQLite: one
    /// machine, where a read costs microseconds).
    fn listen(
        &self,
        channel: &'static str,
        on: std::sync::Arc<dyn Fn(Heard) + Send + Sync>,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) -> bool {
        let _ = (channel, on, stop);
        false
    }
}

/// What a [`Backend::listen`] task reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Listening: every notification from now on is delivered.
    Listening,
    /// A notification.
    Notified,
    /// The connection was lost; notifications may be missed until the
    /// next [`Heard::Listening`].
    Lost,
}

/// Runs `body` in a transaction and returns its value.
pub(crate) fn transact<T>(
    backend: &dyn Backend,
    access: Access,
    mut body: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    backend.transact(access, &mut |tx| {
        out = Some(body(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction committed without running".into()))
}
