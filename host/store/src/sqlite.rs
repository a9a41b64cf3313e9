//! The embedded backend: SQLite (bundled) in one file with write-ahead
//! logging, or in memory for tests and throwaway runs.
//!
//! Writers are serialised by `BEGIN IMMEDIATE` (SQLite has one writer at a
//! time); readers run beside them on other connections of the pool. An
//! in-memory database has one connection.

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::StoreError;
use crate::error::bounded;
use crate::sql::{Access, Backend, Dialect, Row, Tx, TxBody, Value};

/// How many connections a file database keeps.
const POOL_SIZE: usize = 4;
/// How long a statement waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite, in a file or in memory.
pub struct Sqlite {
    path: Option<PathBuf>,
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Sqlite {
    /// Opens (creating if needed) the database file at `path`, in WAL mode.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or created.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Unavailable(bounded(format!("cannot create {}: {e}", parent.display()))))?;
        }
        let mut connections = Vec::with_capacity(POOL_SIZE);
        for _ in 0..POOL_SIZE {
            let connection = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| StoreError::Unavailable(bounded(format!("cannot open {}: {e}", path.display()))))?;
            configure(&connection, true)?;
            connections.push(connection);
        }
        Ok(Sqlite {
            path: Some(path.to_owned()),
            idle: Mutex::new(connections),
            returned: Condvar::new(),
        })
    }

    /// A private database in memory: gone when the store is dropped.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite cannot allocate it.
    pub fn in_memory() -> Result<Sqlite, StoreError> {
        let connection = Connection::open_in_memory().map_err(|e| StoreError::Unavailable(bounded(e)))?;
        configure(&connection, false)?;
        Ok(Sqlite {
            path: None,
            idle: Mutex::new(vec![connection]),
            returned: Condvar::new(),
        })
    }

    fn take(&self) -> Connection {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(connection) = idle.pop() {
                return connection;
            }
            idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn give_back(&self, connection: Connection) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(connection);
        self.returned.notify_one();
    }
}

fn configure(connection: &Connection, file: bool) -> Result<(), StoreError> {
    let fail = |e: rusqlite::Error| StoreError::Unavailable(bounded(e));
    connection.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
    if file {
        // WAL: readers never wait for the writer; NORMAL sync is durable
        // across a process crash (the WAL is fsynced at checkpoints).
        connection.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(fail)?;
    }
    connection.pragma_update(None, "foreign_keys", "ON").map_err(fail)?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn transact(&self, access: Access, body: TxBody<'_>) -> Result<(), StoreError> {
        let connection = self.take();
        let result = run(&connection, access, body);
        self.give_back(connection);
        result
    }
}

fn run(connection: &Connection, access: Access, body: TxBody<'_>) -> Result<(), StoreError> {
    let begin = match access {
        Access::Read | Access::Statement => "BEGIN DEFERRED",
        Access::Write => "BEGIN IMMEDIATE",
    };
    connection.execute_batch(begin).map_err(backend_error)?;
    let mut tx = SqliteTx { connection };
    match body(&mut tx) {
        Ok(()) => match connection.execute_batch("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = connection.execute_batch("ROLLBACK");
                Err(backend_error(e))
            }
        },
        Err(e) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn backend_error(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(bounded(e))
}

struct SqliteTx<'c> {
    connection: &'c Connection,
}

/// `$1` becomes `?1`: SQLite's numbered parameter.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Value::Text(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Value::Bytes(value) => ToSqlOutput::Borrowed(ValueRef::Blob(value)),
        })
    }
}

impl SqliteTx<'_> {
    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StoreError> {
        self.connection.prepare_cached(&numbered(sql)).map_err(backend_error)
    }
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.statement(sql)?;
        let columns = statement.column_count();
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(backend_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend_error)? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                values.push(match row.get_ref(index).map_err(backend_error)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(value) => Value::Int(value),
                    ValueRef::Real(value) => Value::Int(value as i64),
                    ValueRef::Text(text) => Value::Text(
                        String::from_utf8(text.to_vec())
                            .map_err(|_| StoreError::Corrupt(format!("column {index} is not UTF-8")))?,
                    ),
                    ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn script(&mut self, sql: &str) -> Result<(), StoreError> {
        self.connection.execute_batch(sql).map_err(backend_error)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut statement = self.statement(sql)?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let changed = statement
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(backend_error)?;
        Ok(changed as u64)
    }
}
