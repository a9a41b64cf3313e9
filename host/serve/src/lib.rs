//! `isobox serve`: the sandbox as an HTTP service (axum on tokio).
//!
//! Routes: `POST /v1/run` (a run; `Authorization: Bearer KEY`; with
//! `Accept: text/event-stream` its console lines stream as server-sent
//! events before the outcome), `ANY /v1/workers/{name}/{*path}` and
//! `POST /v1/dispatch` (Workers-style handlers, configured as
//! `[workers.NAME]` or uploaded: `PUT /v1/workers/{name}`, the
//! [`registry`]), `GET
//! /healthz`, `GET /metrics` (Prometheus text) and `GET /openapi.json`.
//! Tenants, their keys, ceilings, capabilities and egress policies come from
//! a [`ServeConfig`] (a TOML file, format in [`config`]).
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use isobox_serve::{Server, ServeConfig};
//! let config = ServeConfig::from_toml_file("serve.toml".as_ref())?;
//! let engine = isobox::Engine::builder().build().await?;
//! let (addr, handle) = Server::bind(config, engine, "127.0.0.1:0".parse()?).await?;
//! println!("listening on {addr}");
//! handle.shutdown().await?;
//! # Ok(()) }
//! ```

mod admission;
mod api;
mod assets;
mod auth;
pub mod config;
mod console;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod metrics;
mod openapi;
mod packages;
mod plugins;
mod policies;
mod registry;
mod runs;
mod stored;
mod stream;
mod trace;
mod workers;
mod workspaces;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use tokio::sync::watch;

pub use api::OPENAPI_JSON;
pub use config::{LOCAL_TENANT, ServeConfig, ServerSettings, Tenant, key_sha256_hex};
pub use error::{ConfigError, ServeError};
pub use limits::{AboveCeiling, LimitValues};
pub use metrics::Metrics;
pub use packages::NpmSettings;

/// The HTTP service.
pub struct Server;

/// A running server: stop it with [`shutdown`](ServerHandle::shutdown).
pub struct ServerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<Finished>>,
    metrics: Arc<Metrics>,
    draining: Arc<std::sync::atomic::AtomicBool>,
    drain_delay: Duration,
}

/// How a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Every connection closed within the grace period.
    Drained,
    /// The grace period ended with requests still open; they were dropped.
    DeadlinePassed,
}

impl Server {
    /// Binds `addr` (port 0 picks a free one) and serves on the current
    /// tokio runtime until the handle shuts it down. Returns the bound
    /// address. Plugins not compiled yet are compiled first
    /// ([`ServeConfig::load_plugins`]).
    ///
    /// # Errors
    /// [`ServeError::Config`] for a plugin that cannot be loaded;
    /// [`ServeError::Bind`] when `addr` cannot be listened on.
    pub async fn bind(
        mut config: ServeConfig,
        engine: isobox::Engine,
        addr: SocketAddr,
    ) -> Result<(SocketAddr, ServerHandle), ServeError> {
        config.load_plugins(&engine)?;
        let bind = |source| ServeError::Bind { addr, source };
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let metrics = Arc::new(Metrics::default());
        let grace = config.server.shutdown_grace();
        let state_read_timeout = config.server.read_timeout();
        metrics.set_slots(config.server.max_in_flight);
        let state = app_state(config, engine, metrics.clone()).await?;
        if state.config.runs.history {
            spawn_pruning(state.runs.clone(), state.config.runs.clone());
        }
        let app = Router::new()
            .route("/v1/run", post(api::run))
            .route("/v1/dispatch", post(workers::inline))
            .route("/v1/workers", get(registry::list))
            .route(
                "/v1/workers/{name}",
                get(registry::info)
                    .put(registry::upload)
                    .delete(registry::remove)
                    .fallback(registry::other_method),
            )
            .route("/v1/workers/{name}/", any(workers::stored))
            .route("/v1/workers/{name}/{*path}", any(workers::stored))
            .route("/v1/workspaces/{id}", get(workspaces::info))
            .route("/v1/workspaces/{id}/export", get(workspaces::export))
            .route("/v1/workspaces/{id}/import", post(workspaces::import))
            .route("/v1/workspaces/{id}/files", any(workspaces::files))
            .route("/v1/workspaces/{id}/files/", any(workspaces::files))
            .route("/v1/workspaces/{id}/files/{*path}", any(workspaces::files))
            .route("/v1/runs", get(runs::list))
            .route("/v1/runs/{id}", get(runs::get))
            .route("/v1/runs/{id}/journal", get(runs::journal))
            .route("/v1/runs/{id}/{action}", post(runs::act))
            .route("/v1/snippets", get(runs::snippets))
            .route("/v1/snippets/{name}", any(runs::snippet))
            .route("/v1/snippets/{name}/run", post(runs::run_snippet))
            .route("/console", get(console::index))
            .route("/console/{file}", get(console::asset))
            .route("/healthz", get(api::healthz))
            .route("/livez", get(api::livez))
            .route("/readyz", get(api::readyz))
            .route("/metrics", get(api::metrics))
            .route("/openapi.json", get(api::openapi))
            .with_state(state.clone());
        let runs_idle = state.gate.idle();
        let draining = state.draining.clone();
        let drain_delay = Duration::from_millis(state.config.server.drain_delay_ms);
        drop(state);
        let (stop, stopped) = watch::channel(false);
        let read_timeout = state_read_timeout;
        let task = tokio::spawn(accept_loop(listener, app, stopped, read_timeout, grace, runs_idle));
        tracing::info!(%local, "isobox serve listening");
        Ok((
            local,
            ServerHandle {
                stop,
                task,
                metrics,
                draining,
                drain_delay,
            },
        ))
    }
}

/// What every route shares, with the store `config` names opened.
async fn app_state(
    config: ServeConfig,
    engine: isobox::Engine,
    metrics: Arc<Metrics>,
) -> Result<Arc<api::AppState>, ServeError> {
    let store = open_store(&config.store).await?;
    Ok(Arc::new(api::AppState {
        gate: admission::Gate::new(
            config.server.max_in_flight,
            config.server.max_queued,
            config.server.max_queue_wait(),
        ),
        config,
        engine,
        metrics,
        kv: isobox_state::kv_capability(store.kv(), isobox_state::Tenancy::PerTenant),
        workspace: isobox_state::workspace_capability(
            store.clone(),
            Default::default(),
            isobox_state::Tenancy::PerTenant,
        ),
        runs: store.runs(),
        registry: registry::RegistryCache::new(store.workers().changes()),
        store,
        todo: isobox::Capability::todo(isobox::capability::TodoStore::new()),
        draining: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    }))
}

impl Server {
    /// Re-executes run `id` of `tenant` from the store `config` names,
    /// exactly and offline (its journal answers every clock read, random
    /// value, capability call and request), as `POST /v1/runs/{id}/replay`
    /// does: `{"id", "same", "outcome", "recorded"}`. Without `tenant`,
    /// every tenant's runs are searched.
    ///
    /// # Errors
    /// A message when the store cannot be opened, the run is not there, or
    /// its request can no longer be built from `config`.
    pub async fn replay_run(
        mut config: ServeConfig,
        engine: isobox::Engine,
        tenant: Option<&str>,
        id: &str,
    ) -> Result<serde_json::Value, String> {
        config.load_plugins(&engine).map_err(|e| e.to_string())?;
        let state = app_state(config, engine, Arc::new(Metrics::default()))
            .await
            .map_err(|e| e.to_string())?;
        runs::replay_by_id(&state, tenant, id).await
    }
}

/// Removes finished runs past `[runs]`'s retention now and every hour.
fn spawn_pruning(runs: isobox_store::runs::Runs, settings: config::RunsSettings) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            let older = now.saturating_sub(i64::from(settings.retention_days) * 86_400_000);
            match runs.prune(older, settings.keep).await {
                Ok(removed) if removed > 0 => tracing::info!(removed, "old runs removed"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "removing old runs failed"),
            }
        }
    });
}

/// Opens (and migrates) the store `[store]` names.
async fn open_store(settings: &config::StoreSettings) -> Result<isobox_store::Store, ServeError> {
    Ok(isobox_store::Store::open_with_blobs(&settings.location, settings.blobs.as_deref()).await?)
}

/// The largest request head (request line and headers) the server reads.
const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// Accepts connections until `stopped`, serving each with hyper's HTTP/1
/// (a request head must arrive within `read_timeout`, or the connection is
/// closed); then lets the connections finish their requests in flight, and
/// the runs theirs (a streamed worker's run may outlast its response),
/// within `grace`.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    mut stopped: watch::Receiver<bool>,
    read_timeout: Duration,
    grace: Duration,
    runs_idle: impl std::future::Future<Output = ()>,
) -> std::io::Result<Finished> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(read_timeout)
        // A request head (line and headers) over 64 KiB is a 431.
        .max_buf_size(MAX_REQUEST_HEAD_BYTES);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stop = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let tcp = match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(error) => {
                        // Out of descriptors, or a connection reset before
                        // it was accepted: wait a little, go on serving.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Answers go out at once: no Nagle delay behind a client's ACK.
                let _ = tcp.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away or times out ends only its
                    // own connection.
                    let _ = connection.await;
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; runs in flight may finish");
    let drained = async {
        graceful.shutdown().await;
        runs_idle.await;
    };
    tokio::select! {
        () = drained => Ok(Finished::Drained),
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "shutdown grace period over: dropping open requests");
            Ok(Finished::DeadlinePassed)
        }
    }
}

impl ServerHandle {
    /// Stops accepting connections, lets requests in flight finish within
    /// the configured grace period, and waits for the server to end.
    ///
    /// # Errors
    /// [`ServeError::Serve`] for the server's I/O error,
    /// [`ServeError::Task`] if its task panicked.
    pub async fn shutdown(self) -> Result<Finished, ServeError> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Drains, as on SIGTERM: `/readyz` fails at once while the server
    /// goes on serving for `server.drain_delay_ms` (load balancers stop
    /// routing to it), then it stops accepting and the runs in flight finish
    /// within `server.shutdown_grace_ms`.
    ///
    /// # Errors
    /// As [`shutdown`](ServerHandle::shutdown).
    pub async fn drain(self) -> Result<Finished, ServeError> {
        self.draining.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            delay_ms = self.drain_delay.as_millis() as u64,
            "draining: not ready; still serving"
        );
        tokio::time::sleep(self.drain_delay).await;
        self.shutdown().await
    }

    /// Begins shutting down without waiting.
    pub fn begin_shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits for the server to end (after a shutdown began).
    ///
    /// # Errors
    /// As [`shutdown`](ServerHandle::shutdown).
    pub async fn wait(self) -> Result<Finished, ServeError> {
        match self.task.await {
            Ok(served) => served.map_err(ServeError::Serve),
            Err(joined) => Err(ServeError::Task(joined.to_string())),
        }
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
