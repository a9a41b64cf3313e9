//! The workspace's errors: POSIX-style codes, the path concerned, and a
//! message that says what to do.

use serde::Serialize;

/// A POSIX-style error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FsCode {
    /// No such file or directory.
    ENOENT,
    /// The path exists already.
    EEXIST,
    /// A directory where a file was needed.
    EISDIR,
    /// A file where a directory was needed.
    ENOTDIR,
    /// The directory is not empty.
    ENOTEMPTY,
    /// A bad argument: a path that escapes, holds NUL, a bad pattern.
    EINVAL,
    /// A name or path too long, or too deep.
    ENAMETOOLONG,
    /// The workspace's file or byte quota would be passed.
    EDQUOT,
    /// A file larger than the largest allowed.
    EFBIG,
    /// The workspace changed: a version precondition failed.
    ESTALE,
    /// Not permitted (a read-only workspace, a link leaving the root).
    EACCES,
    /// The backend failed.
    EIO,
}

impl FsCode {
    /// The code as text (`"ENOENT"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FsCode::ENOENT => "ENOENT",
            FsCode::EEXIST => "EEXIST",
            FsCode::EISDIR => "EISDIR",
            FsCode::ENOTDIR => "ENOTDIR",
            FsCode::ENOTEMPTY => "ENOTEMPTY",
            FsCode::EINVAL => "EINVAL",
            FsCode::ENAMETOOLONG => "ENAMETOOLONG",
            FsCode::EDQUOT => "EDQUOT",
            FsCode::EFBIG => "EFBIG",
            FsCode::ESTALE => "ESTALE",
            FsCode::EACCES => "EACCES",
            FsCode::EIO => "EIO",
        }
    }
}

/// A refused workspace operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{code}: {message}{}", if path.is_empty() { String::new() } else { format!(" ({path})") })]
pub struct FsError {
    /// The code.
    pub code: FsCode,
    /// The path concerned (empty when none).
    pub path: String,
    /// What happened and what to do.
    pub message: String,
}

impl std::fmt::Display for FsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FsError {
    /// An error about `path`.
    pub fn new(code: FsCode, path: impl Into<String>, message: impl Into<String>) -> FsError {
        let mut path = path.into();
        if path.len() > 512 {
            path = crate::error::bounded(&path);
        }
        FsError {
            code,
            path,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(path: &str) -> FsError {
        FsError::new(FsCode::ENOENT, path, "no such file or directory")
    }

    pub(crate) fn invalid(path: &str, message: impl Into<String>) -> FsError {
        FsError::new(FsCode::EINVAL, path, message)
    }
}
