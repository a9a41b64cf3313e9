//! Why assets cannot be loaded, or an option cannot be read.

use std::path::PathBuf;

/// Why [`Assets::from_dir`](crate::Assets::from_dir) or
/// [`Assets::from_files`](crate::Assets::from_files) failed. Each message
/// names the path and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssetError {
    /// A file or directory cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The assets' path is not a directory.
    #[error("{} is not a directory: give the directory that holds the assets", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// More files than [`AssetConfig::max_files`](crate::AssetConfig::max_files).
    #[error(
        "more than {limit} asset files (at {}): remove files, or raise max_files",
        path.display()
    )]
    TooManyFiles {
        /// The file past the limit.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// More bytes than [`AssetConfig::max_total_bytes`](crate::AssetConfig::max_total_bytes).
    #[error(
        "the asset files are over {limit} bytes in all (at {}): remove files, or raise max_total_bytes",
        path.display()
    )]
    TooLarge {
        /// The file that went past the limit.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// A file or directory name that is not UTF-8: no URL could name it.
    #[error("{}: a name that is not UTF-8 cannot be served; rename it or remove it", path.display())]
    NotUtf8 {
        /// The file or directory (lossily shown).
        path: PathBuf,
    },
    /// A path given to [`Assets::from_files`](crate::Assets::from_files)
    /// that is not a plain relative path.
    #[error("asset path {path:?}: {reason}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A value of `html_handling` or `not_found_handling` that is not one of
/// the names they take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option} {value:?} is not known: use one of {expected}")]
pub struct UnknownOption {
    /// `html_handling` or `not_found_handling`.
    pub option: &'static str,
    /// The value given.
    pub value: String,
    /// The values it takes.
    pub expected: &'static str,
}

impl UnknownOption {
    pub(crate) fn new(option: &'static str, value: &str, expected: &'static str) -> Self {
        UnknownOption {
            option,
            value: value.chars().take(64).collect(),
            expected,
        }
    }
}
