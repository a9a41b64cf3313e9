//! `isobox mcp`: a Model Context Protocol server that gives an agent code
//! mode. Instead of one MCP tool per action, the agent gets three:
//!
//! - `execute { code, lang?, input? }` runs a program in a fresh sandbox
//!   with the server's grants, limits and egress policy; the result
//!   (`{value, logs}` or `{error, logs}`, `isError` on failure) is the only
//!   thing that goes back to the model, however many capability calls the
//!   program chained;
//! - `search { query }` finds TypeScript declarations of the capabilities
//!   (`env.NAME.method`) and the globals;
//! - `describe { name? }` shows them in full.
//!
//! Capabilities are the usual grants (built-ins, plugins) and other MCP
//! servers ([`Upstream`]): their tools become `env.NAME.tool(args)`, typed
//! from their JSON Schemas.
//!
//! The server speaks MCP over stdio ([`CodeModeServer::serve_stdio`]) or
//! streamable HTTP ([`CodeModeServer::serve_http`]), through the `rmcp`
//! crate; every `execute` goes through the same [`Engine`](isobox::Engine)
//! as `isobox run` and `isobox serve`.

mod declarations;
mod durable;
mod server;
mod sessions;
mod tools;
mod upstream;

use std::future::Future;
use std::sync::Arc;

pub use declarations::{Declarations, MAX_SEARCH_CHARS, MAX_SEARCH_RESULTS};
pub use durable::DurableRuns;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
pub use server::{CodeModeServer, DependencyCheck, MAX_EXECUTE_DEPENDENCIES, PackageGrant};
pub use sessions::StoreSessions;
pub use upstream::{UPSTREAM_START_TIMEOUT, Upstream, UpstreamError, UpstreamSpec};

/// The path the streamable HTTP endpoint is served at.
pub const HTTP_PATH: &str = "/mcp";

/// Why serving stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpServeError {
    /// The MCP handshake failed (the client sent no valid `initialize`).
    #[error("the MCP client did not initialize: {0}")]
    Initialize(String),
    /// The transport failed.
    #[error("the MCP transport failed: {0}")]
    Transport(String),
}

impl CodeModeServer {
    /// Serves one client on stdin and stdout until it closes stdin.
    /// Nothing else may write to stdout meanwhile.
    ///
    /// # Errors
    ///
    /// [`McpServeError`] when the handshake or the transport fails.
    pub async fn serve_stdio(self) -> Result<(), McpServeError> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| McpServeError::Initialize(e.to_string()))?;
        running
            .waiting()
            .await
            .map_err(|e| McpServeError::Transport(e.to_string()))?;
        Ok(())
    }

    /// Serves streamable HTTP at [`HTTP_PATH`] on `listener` until
    /// `shutdown` completes; each client session gets its own handler over
    /// the same engine and grants. Only loopback `Host` headers are accepted
    /// (rmcp's protection against DNS rebinding).
    ///
    /// # Errors
    ///
    /// The listener's I/O error.
    pub async fn serve_http(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve_http_with_sessions(listener, shutdown, None).await
    }

    /// [`serve_http`](Self::serve_http), with the sessions kept in
    /// `sessions` (see [`StoreSessions`]) so that other processes sharing it
    /// serve them too.
    ///
    /// # Errors
    ///
    /// The listener's I/O error.
    pub async fn serve_http_with_sessions(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        sessions: Option<StoreSessions>,
    ) -> std::io::Result<()> {
        let mut config = StreamableHttpServerConfig::default();
        if let Some(sessions) = sessions {
            config.session_store = Some(Arc::new(sessions));
        }
        // Cancelled on shutdown: ends every session's streams.
        let cancel = config.cancellation_token.clone();
        let service = StreamableHttpService::new(
            move || Ok(self.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let router = axum::Router::new().nest_service(HTTP_PATH, service);
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                cancel.cancel();
            })
            .await
    }
}
