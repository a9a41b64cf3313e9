//! The shared backend: PostgreSQL through tokio-postgres, with a pool of
//! connections (deadpool) and TLS by rustls. Writers run at READ
//! COMMITTED; the stores lock the rows they depend on (a namespace's row, a
//! workspace's row) before reading, so writers of one namespace or one
//! workspace take turns on every replica. Readers run at REPEATABLE READ,
//! so every statement of one sees the same snapshot. A transaction that deadlocks or
//! fails to serialise is run again, up to three times.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::runtime::Handle;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::StoreError;
use crate::error::bounded;
use crate::sql::{Access, Backend, Dialect, Heard, Row, Tx, TxBody, Value};

/// How many times a transaction that deadlocked is tried in all.
const ATTEMPTS: usize = 3;

/// How to reach a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresConfig {
    config: tokio_postgres::Config,
    tls: Tls,
    pool_size: usize,
    /// The URL without its password, for messages.
    display: String,
}

#[derive(Clone)]
enum Tls {
    Off,
    /// TLS, verified against these roots.
    On(Arc<rustls::RootCertStore>),
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.display)
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

impl PostgresConfig {
    /// Reads a `postgres://USER:PASSWORD@HOST:PORT/DB` URL. Besides
    /// PostgreSQL's own parameters it reads `sslmode` (`disable`, `prefer`,
    /// `require`, `verify-ca`, `verify-full`: whenever TLS is used the
    /// server's certificate is verified, for every mode), `sslrootcert=FILE`
    /// (a PEM CA to verify against instead of the Web PKI roots) and
    /// `pool_max_size` (connections, default 16). A `host` parameter that is
    /// a directory connects over a unix socket.
    ///
    /// # Errors
    /// [`StoreError::Config`], naming what is wrong but never the password.
    pub fn from_url(url: &str) -> Result<PostgresConfig, StoreError> {
        let mut parsed =
            url::Url::parse(url).map_err(|e| StoreError::Config(format!("the PostgreSQL URL does not parse: {e}")))?;
        let mut display = parsed.clone();
        if display.password().is_some() {
            let _ = display.set_password(Some("***"));
        }
        let display = display.to_string();
        let mut sslmode = None;
        let mut rootcert = None;
        let mut pool_size = 16;
        let mut kept = Vec::new();
        for (name, value) in parsed.query_pairs() {
            match &*name {
                "sslmode" => sslmode = Some(value.into_owned()),
                "sslrootcert" => rootcert = Some(value.into_owned()),
                "pool_max_size" => {
                    pool_size = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| StoreError::Config("pool_max_size must be 1 to 1000".into()))?;
                }
                _ => kept.push((name.into_owned(), value.into_owned())),
            }
        }
        parsed.set_query(None);
        if !kept.is_empty() {
            parsed.query_pairs_mut().extend_pairs(kept);
        }
        let password_env = if parsed.password().is_none() {
            // libpq's variable, so the password can come from a secret
            // rather than the URL in a config file.
            std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty())
        } else {
            None
        };
        let mut config: tokio_postgres::Config = parsed
            .as_str()
            .parse()
            .map_err(|e| StoreError::Config(bounded(format!("the PostgreSQL URL {display}: {e}"))))?;
        let mode = match sslmode.as_deref() {
            None | Some("prefer") => tokio_postgres::config::SslMode::Prefer,
            Some("disable") => tokio_postgres::config::SslMode::Disable,
            Some("require" | "verify-ca" | "verify-full") => tokio_postgres::config::SslMode::Require,
            Some(other) => {
                return Err(StoreError::Config(format!(
                    "sslmode={} is not one of disable, prefer, require, verify-ca, verify-full",
                    crate::error::bounded(other)
                )));
            }
        };
        if let Some(password) = password_env {
            config.password(password);
        }
        config.ssl_mode(mode);
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("isobox");
        let tls = if mode == tokio_postgres::config::SslMode::Disable {
            Tls::Off
        } else {
            let mut roots = rustls::RootCertStore::empty();
            match rootcert {
                Some(file) => {
                    let pem = std::fs::read(&file)
                        .map_err(|e| StoreError::Config(bounded(format!("sslrootcert {file}: {e}"))))?;
                    let mut added = 0;
                    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
                        let cert = cert.map_err(|e| StoreError::Config(bounded(format!("sslrootcert {file}: {e}"))))?;
                        roots
                            .add(cert)
                            .map_err(|e| StoreError::Config(bounded(format!("sslrootcert {file}: {e}"))))?;
                        added += 1;
                    }
                    if added == 0 {
                        return Err(StoreError::Config(format!(
                            "sslrootcert {file} holds no PEM certificate"
                        )));
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            Tls::On(Arc::new(roots))
        };
        Ok(PostgresConfig {
            config,
            tls,
            pool_size,
            display,
        })
    }
}

use rustls_pki_types::pem::PemObject;

/// PostgreSQL behind a pool of connections.
pub struct Postgres {
    pool: Pool,
    /// How to open a connection of its own (a listener's).
    config: PostgresConfig,
    handle: Handle,
    display: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &self.display)
            .finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects (one connection is opened to check the database answers).
    /// Must be called inside a tokio runtime, which then drives the
    /// connections.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached or
    /// refuses the credentials.
    pub async fn connect(config: &PostgresConfig) -> Result<Postgres, StoreError> {
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &config.tls {
            Tls::Off => Manager::from_config(config.config.clone(), tokio_postgres::NoTls, manager_config),
            Tls::On(roots) => Manager::from_config(config.config.clone(), client_tls(roots)?, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| StoreError::Config(bounded(e)))?;
        let unavailable = |e: deadpool_postgres::PoolError| {
            StoreError::Unavailable(bounded(format!("{}: {}", config.display, pool_error(&e))))
        };
        drop(pool.get().await.map_err(unavailable)?);
        Ok(Postgres {
            pool,
            config: config.clone(),
            handle: Handle::current(),
            display: config.display.clone(),
        })
    }
}

/// TLS to the database, verified against `roots`.
fn client_tls(roots: &Arc<rustls::RootCertStore>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(bounded(e)))?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
}

fn pool_error(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => {
            // The source says why (refused, bad password, TLS) without
            // the connection string.
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                text = format!("{text}: {inner}");
                source = inner.source();
            }
            text
        }
        other => other.to_string(),
    }
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn listen(
        &self,
        channel: &'static str,
        on: Arc<dyn Fn(Heard) + Send + Sync>,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) -> bool {
        let config = self.config.clone();
        self.handle.spawn(async move {
            tokio::select! {
                () = listen_forever(config, channel, on) => {}
                _ = stop => {}
            }
        });
        true
    }

    fn transact(&self, access: Access, body: TxBody<'_>) -> Result<(), StoreError> {
        let client = self
            .handle
            .block_on(self.pool.get())
            .map_err(|e| StoreError::Unavailable(bounded(format!("{}: {}", self.display, pool_error(&e)))))?;
        // A reader sees one snapshot for all its statements (a grep never
        // sees half of a batch); writers run at READ COMMITTED and lock the
        // rows they depend on first.
        let begin = match access {
            Access::Read => Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            Access::Write => Some("BEGIN"),
            // One statement is atomic on its own: no BEGIN, no COMMIT.
            Access::Statement => None,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = PgTx {
                client: &client,
                handle: &self.handle,
                retryable: false,
            };
            let Some(begin) = begin else {
                return body(&mut tx);
            };
            tx.script(begin)?;
            let result = body(&mut tx).and_then(|()| tx.script("COMMIT"));
            match result {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let retry = tx.retryable && attempt < ATTEMPTS;
                    // A failed COMMIT has already ended the transaction;
                    // ROLLBACK then only warns.
                    let _ = self.handle.block_on(client.batch_execute("ROLLBACK"));
                    if !retry {
                        return Err(e);
                    }
                }
            }
        }
    }
}

struct PgTx<'c> {
    client: &'c deadpool_postgres::Client,
    handle: &'c Handle,
    /// Whether a statement failed in a way worth running the whole
    /// transaction again for.
    retryable: bool,
}

impl PgTx<'_> {
    fn fail(&mut self, e: tokio_postgres::Error) -> StoreError {
        if let Some(code) = e.code()
            && (*code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE)
        {
            self.retryable = true;
        }
        if e.is_closed() {
            return StoreError::Unavailable(bounded(e));
        }
        match e.as_db_error() {
            Some(db) => StoreError::Backend(bounded(format!("{}: {}", db.code().code(), db.message()))),
            None => StoreError::Backend(bounded(e)),
        }
    }
}

struct Param<'a>(&'a Value);

impl std::fmt::Debug for Param<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(value) => match *ty {
                Type::INT8 => value.to_sql(ty, out),
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                Type::BOOL => (*value != 0).to_sql(ty, out),
                _ => Err(format!("an integer cannot be a {ty}").into()),
            },
            Value::Text(value) => value.as_str().to_sql(ty, out),
            Value::Bytes(value) => value.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::BYTEA
        )
    }

    to_sql_checked!();
}

fn column(row: &tokio_postgres::Row, index: usize) -> Result<Value, tokio_postgres::Error> {
    let ty = row.columns()[index].type_();
    Ok(match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map_or(Value::Null, Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(index)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(index)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(index)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(index)?
            .map_or(Value::Null, Value::Bytes),
        Type::VOID => Value::Null,
        _ => row
            .try_get::<_, Option<String>>(index)?
            .map_or(Value::Null, Value::Text),
    })
}

impl Tx for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let statement = self
            .handle
            .block_on(self.client.prepare_cached(sql))
            .map_err(|e| self.fail(e))?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self
            .handle
            .block_on(self.client.query(&statement, &refs))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = Vec::with_capacity(row.len());
            for index in 0..row.len() {
                values.push(column(row, index).map_err(|e| self.fail(e))?);
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let statement = self
            .handle
            .block_on(self.client.prepare_cached(sql))
            .map_err(|e| self.fail(e))?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.handle
            .block_on(self.client.execute(&statement, &refs))
            .map_err(|e| self.fail(e))
    }

    fn script(&mut self, sql: &str) -> Result<(), StoreError> {
        self.handle
            .block_on(self.client.batch_execute(sql))
            .map_err(|e| self.fail(e))
    }
}

/// Listens on `channel` over a connection of its own, reconnecting after a
/// loss (1 s, doubling to 30 s); never returns.
async fn listen_forever(config: PostgresConfig, channel: &'static str, on: Arc<dyn Fn(Heard) + Send + Sync>) {
    let mut pause = Duration::from_secs(1);
    loop {
        let listened = match &config.tls {
            Tls::Off => listen_once(&config.config, tokio_postgres::NoTls, channel, &on).await,
            Tls::On(roots) => match client_tls(roots) {
                Ok(tls) => listen_once(&config.config, tls, channel, &on).await,
                Err(_) => false,
            },
        };
        on(Heard::Lost);
        if listened {
            pause = Duration::from_secs(1);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// One connection's LISTEN, until the connection ends; whether it got as
/// far as listening.
async fn listen_once<T>(
    config: &tokio_postgres::Config,
    tls: T,
    channel: &str,
    on: &Arc<dyn Fn(Heard) + Send + Sync>,
) -> bool
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let Ok((client, mut connection)) = config.connect(tls).await else {
        return false;
    };
    let heard = on.clone();
    // The connection's messages: notifications to `on`, until it ends.
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => heard(Heard::Notified),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    });
    if client.batch_execute(&format!("LISTEN {channel}")).await.is_err() {
        driver.abort();
        return false;
    }
    on(Heard::Listening);
    let _ = driver.await;
    true
}
