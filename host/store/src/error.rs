//! The errors of the storage layer. Messages are bounded and hold no
//! secret: a database URL's password never appears in one.

use crate::kv::KvError;
use crate::workspace::FsError;

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// The store could not be opened or reached (a file that cannot be
    /// created, a database that refuses connections).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The configuration is wrong (an unknown URL scheme, a bad option).
    #[error("bad store configuration: {0}")]
    Config(String),
    /// The backend failed a statement.
    #[error("the store failed: {0}")]
    Backend(String),
    /// The schema in the database is not one this isobox knows.
    #[error("store schema: {0}")]
    Schema(String),
    /// A row holds what the schema does not allow.
    #[error("the store holds unexpected data: {0}")]
    Corrupt(String),
    /// A write expected a state that another writer has changed (a worker
    /// version that is no longer the newest).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The blob store failed.
    #[error("the blob store failed: {0}")]
    Blob(String),
    /// A key-value operation was refused.
    #[error(transparent)]
    Kv(#[from] KvError),
    /// A workspace operation was refused.
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// Bounds text from a backend before it goes into an error.
pub(crate) fn bounded(text: impl std::fmt::Display) -> String {
    const MAX: usize = 300;
    let mut text = text.to_string();
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// The POSIX code of a workspace error, for tests (any other error fails
/// the test).
#[cfg(test)]
pub(crate) fn fs_code(error: impl std::borrow::Borrow<StoreError>) -> crate::workspace::FsCode {
    match error.borrow() {
        StoreError::Fs(e) => e.code,
        other => panic!("not a file-system error: {other}"),
    }
}
