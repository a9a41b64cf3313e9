//! Why `isobox serve` could not start (its configuration, its address),
//! or how it ended badly.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure of the server itself (a request's failure is an HTTP answer,
/// never this).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration (or a plugin it names) cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address cannot be listened on: in use, not local, or not
    /// permitted. Pick another `--listen` address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed after it started (accepting a connection, say).
    #[error("the server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The store (`[store]`) cannot be opened.
    #[error("[store]: {0}")]
    Store(#[from] isobox_store::StoreError),
    /// The server's task ended abnormally (it panicked or was cancelled).
    #[error("the server's task ended abnormally: {0}")]
    Task(String),
}

/// Why a configuration cannot be used. Messages never carry a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the serve config {}: {message}", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// The TOML is malformed or has an unknown key.
    #[error("serve config: {0}")]
    Toml(String),
    /// A value is wrong; the message names where.
    #[error("serve config: {0}")]
    Invalid(String),
    /// A plugin cannot be loaded.
    #[error("serve config: plugin {name}: {message}")]
    Plugin {
        /// The plugin's name in `[plugins]`.
        name: String,
        /// What is wrong with it.
        message: String,
    },
}
