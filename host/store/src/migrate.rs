//! Versioned schema migrations, applied in order when a store opens. Each
//! has its SQL for both dialects; the `isobox_schema` table records which
//! ran. A database whose schema is newer than this isobox knows is refused
//! rather than written to.

use crate::StoreError;
use crate::sql::{Access, Backend, Dialect, Tx, transact};

/// One step of the schema.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every migration, oldest first. Never edit one that has shipped: add
/// another.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "kv",
        sqlite: "
            CREATE TABLE kv_namespace (
                ns TEXT PRIMARY KEY,
                seq INTEGER NOT NULL,
                keys INTEGER NOT NULL,
                bytes INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE kv_entry (
                ns TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                size INTEGER NOT NULL,
                version INTEGER NOT NULL,
                expires_at INTEGER,
                PRIMARY KEY (ns, key)
            ) WITHOUT ROWID;
            CREATE INDEX kv_entry_expiry ON kv_entry (ns, expires_at) WHERE expires_at IS NOT NULL;
        ",
        postgres: r#"
            CREATE TABLE kv_namespace (
                ns TEXT COLLATE "C" PRIMARY KEY,
                seq BIGINT NOT NULL,
                keys BIGINT NOT NULL,
                bytes BIGINT NOT NULL
            );
            CREATE TABLE kv_entry (
                ns TEXT COLLATE "C" NOT NULL,
                key TEXT COLLATE "C" NOT NULL,
                value TEXT NOT NULL,
                size BIGINT NOT NULL,
                version BIGINT NOT NULL,
                expires_at BIGINT,
                PRIMARY KEY (ns, key)
            );
            CREATE INDEX kv_entry_expiry ON kv_entry (ns, expires_at) WHERE expires_at IS NOT NULL;
        "#,
    },
    Migration {
        version: 2,
        name: "workspace",
        sqlite: "
            CREATE TABLE ws_workspace (
                ns TEXT NOT NULL,
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                files INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                PRIMARY KEY (ns, id)
            ) WITHOUT ROWID;
            CREATE TABLE ws_entry (
                ns TEXT NOT NULL,
                ws TEXT NOT NULL,
                path TEXT NOT NULL,
                parent TEXT NOT NULL,
                kind TEXT NOT NULL,
                size INTEGER NOT NULL,
                mtime INTEGER NOT NULL,
                hash TEXT,
                content BLOB,
                blob TEXT,
                PRIMARY KEY (ns, ws, path)
            ) WITHOUT ROWID;
            CREATE INDEX ws_entry_parent ON ws_entry (ns, ws, parent, path);
            CREATE INDEX ws_entry_blob ON ws_entry (blob) WHERE blob IS NOT NULL;
        ",
        postgres: r#"
            CREATE TABLE ws_workspace (
                ns TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                files BIGINT NOT NULL,
                bytes BIGINT NOT NULL,
                PRIMARY KEY (ns, id)
            );
            CREATE TABLE ws_entry (
                ns TEXT COLLATE "C" NOT NULL,
                ws TEXT COLLATE "C" NOT NULL,
                path TEXT COLLATE "C" NOT NULL,
                parent TEXT COLLATE "C" NOT NULL,
                kind TEXT NOT NULL,
                size BIGINT NOT NULL,
                mtime BIGINT NOT NULL,
                hash TEXT,
                content BYTEA,
                blob TEXT,
                PRIMARY KEY (ns, ws, path)
            );
            CREATE INDEX ws_entry_parent ON ws_entry (ns, ws, parent, path);
            CREATE INDEX ws_entry_blob ON ws_entry (blob) WHERE blob IS NOT NULL;
        "#,
    },
    Migration {
        version: 3,
        name: "runs",
        sqlite: "
            CREATE TABLE run_record (
                ns TEXT NOT NULL,
                id TEXT NOT NULL,
                status TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL,
                code_sha256 TEXT NOT NULL,
                summary TEXT NOT NULL,
                request TEXT NOT NULL,
                outcome TEXT,
                journal TEXT,
                PRIMARY KEY (ns, id)
            ) WITHOUT ROWID;
            CREATE INDEX run_record_created ON run_record (ns, created_ms);
            CREATE INDEX run_record_updated ON run_record (updated_ms);
            CREATE TABLE snippet (
                ns TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                input_schema TEXT NOT NULL,
                code TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL,
                PRIMARY KEY (ns, name)
            ) WITHOUT ROWID;
        ",
        postgres: r#"
            CREATE TABLE run_record (
                ns TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                status TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                code_sha256 TEXT NOT NULL,
                summary TEXT NOT NULL,
                request TEXT NOT NULL,
                outcome TEXT,
                journal TEXT,
                PRIMARY KEY (ns, id)
            );
            CREATE INDEX run_record_created ON run_record (ns, created_ms);
            CREATE INDEX run_record_updated ON run_record (updated_ms);
            CREATE TABLE snippet (
                ns TEXT COLLATE "C" NOT NULL,
                name TEXT COLLATE "C" NOT NULL,
                description TEXT NOT NULL,
                input_schema TEXT NOT NULL,
                code TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (ns, name)
            );
        "#,
    },
    Migration {
        version: 4,
        name: "worker registry",
        sqlite: "
            CREATE TABLE worker (
                ns TEXT NOT NULL,
                name TEXT NOT NULL,
                latest INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL,
                PRIMARY KEY (ns, name)
            ) WITHOUT ROWID;
            CREATE TABLE worker_version (
                ns TEXT NOT NULL,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                spec TEXT NOT NULL,
                assets BLOB,
                PRIMARY KEY (ns, name, version)
            ) WITHOUT ROWID;
        ",
        postgres: r#"
            CREATE TABLE worker (
                ns TEXT COLLATE "C" NOT NULL,
                name TEXT COLLATE "C" NOT NULL,
                latest BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (ns, name)
            );
            CREATE TABLE worker_version (
                ns TEXT COLLATE "C" NOT NULL,
                name TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                bytes BIGINT NOT NULL,
                spec TEXT NOT NULL,
                assets BYTEA,
                PRIMARY KEY (ns, name, version)
            );
        "#,
    },
];

/// The newest schema version this isobox writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Brings the schema up to [`SCHEMA_VERSION`]. Safe to run from several
/// processes at once: PostgreSQL takes an advisory lock, SQLite's writer
/// lock does the same. Returns the versions applied.
///
/// # Errors
/// [`StoreError::Schema`] when the database is newer than this isobox; a
/// backend error when a migration fails (it is rolled back whole).
pub fn migrate(backend: &dyn Backend) -> Result<Vec<i64>, StoreError> {
    transact(backend, Access::Write, |tx| {
        if tx.dialect() == Dialect::Postgres {
            // One migrator at a time across every replica.
            tx.query("SELECT pg_advisory_xact_lock(7310585229143900208)", &[])?;
        }
        tx.script(
            "CREATE TABLE IF NOT EXISTS isobox_schema (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )",
        )?;
        let current = current_version(tx)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::Schema(format!(
                "the database has schema version {current}, newer than this isobox's {SCHEMA_VERSION}: \
                 use a newer isobox with it"
            )));
        }
        let mut applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
            let sql = match tx.dialect() {
                Dialect::Sqlite => migration.sqlite,
                Dialect::Postgres => migration.postgres,
            };
            tx.script(sql).map_err(|e| {
                StoreError::Schema(format!(
                    "migration {} ({}) failed: {e}",
                    migration.version, migration.name
                ))
            })?;
            tx.execute(
                "INSERT INTO isobox_schema (version, name, applied_at) VALUES ($1, $2, $3)",
                &[migration.version.into(), migration.name.into(), crate::now_ms().into()],
            )?;
            applied.push(migration.version);
        }
        Ok(applied)
    })
}

fn current_version(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    let row = tx.query_opt("SELECT MAX(version) FROM isobox_schema", &[])?;
    Ok(match row {
        Some(row) => row.opt_int(0)?.unwrap_or(0),
        None => 0,
    })
}
