//! The file system of one workspace inside one transaction: every
//! operation of the workspace API (and every step of a batch) is a sequence
//! of these calls on one [`Fs`], committed together by
//! [`Fs::finish`], which also checks the quotas and moves the workspace's
//! version on.

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use super::path::{self, descendants_from, join, parent};
use super::{FsCode, FsError, WorkspaceLimits};
use crate::StoreError;
use crate::blob::BlobStore;
use crate::sql::{Row, Tx, Value};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only in a directory workspace: listings show a
    /// link as itself; whole-tree walks skip it; `stat` reports it as
    /// itself only when it dangles or leaves the directory).
    Symlink,
}

/// An entry's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// Its normalised path.
    pub path: String,
    /// File, directory or (in a directory workspace) symlink.
    pub kind: Kind,
    /// Bytes (0 for a directory or a symlink).
    pub size: u64,
    /// Last modified, in milliseconds since the Unix epoch.
    pub mtime: i64,
    /// The SHA-256 of a file's content, in hex. A directory workspace
    /// computes it only in `stat` of one file (`None` in listings and walks,
    /// and for a file above the largest size or with hard links).
    pub hash: Option<String>,
}

impl Stat {
    /// Whether it is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Directory
    }

    /// Whether it is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == Kind::File
    }
}

const COLUMNS: &str = "path, kind, size, mtime, hash";

fn stat_of(row: &Row) -> Result<Stat, StoreError> {
    let kind = match row.text(1)? {
        "f" => Kind::File,
        "d" => Kind::Directory,
        other => return Err(StoreError::Corrupt(format!("an entry of kind {other:?}"))),
    };
    Ok(Stat {
        path: row.text(0)?.to_owned(),
        kind,
        size: row.int(2)? as u64,
        mtime: row.int(3)?,
        hash: row.opt_text(4)?.map(str::to_owned),
    })
}

fn root() -> Stat {
    Stat {
        path: "/".into(),
        kind: Kind::Directory,
        size: 0,
        mtime: 0,
        hash: None,
    }
}

/// The SHA-256 of `bytes` in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// One workspace inside one open transaction.
pub struct Fs<'t> {
    tx: &'t mut dyn Tx,
    ns: &'t str,
    ws: &'t str,
    limits: &'t WorkspaceLimits,
    blobs: Option<&'t BlobStore>,
    handle: &'t Handle,
    version: u64,
    files: i64,
    bytes: i64,
    delta_files: i64,
    delta_bytes: i64,
    changed: bool,
    now: i64,
}

impl<'t> Fs<'t> {
    /// Opens the workspace in `tx`: for a writer, locks its row (making it)
    /// so writers of one workspace take turns.
    pub(crate) fn begin(
        tx: &'t mut dyn Tx,
        ns: &'t str,
        ws: &'t str,
        limits: &'t WorkspaceLimits,
        blobs: Option<&'t BlobStore>,
        handle: &'t Handle,
        write: bool,
    ) -> Result<Fs<'t>, StoreError> {
        let row = if write {
            tx.query_opt(
                "INSERT INTO ws_workspace (ns, id, version, files, bytes) VALUES ($1, $2, 0, 0, 0)
                 ON CONFLICT (ns, id) DO UPDATE SET version = ws_workspace.version
                 RETURNING version, files, bytes",
                &[ns.into(), ws.into()],
            )?
        } else {
            tx.query_opt(
                "SELECT version, files, bytes FROM ws_workspace WHERE ns = $1 AND id = $2",
                &[ns.into(), ws.into()],
            )?
        };
        let (version, files, bytes) = match row {
            Some(row) => (row.int(0)? as u64, row.int(1)?, row.int(2)?),
            None => (0, 0, 0),
        };
        Ok(Fs {
            tx,
            ns,
            ws,
            limits,
            blobs,
            handle,
            version,
            files,
            bytes,
            delta_files: 0,
            delta_bytes: 0,
            changed: false,
            now: crate::now_ms(),
        })
    }

    /// The workspace's version when the transaction began.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Entries and bytes, counting this transaction's changes so far.
    pub fn usage(&self) -> (u64, u64) {
        (
            (self.files + self.delta_files).max(0) as u64,
            (self.bytes + self.delta_bytes).max(0) as u64,
        )
    }

    /// The limits in force.
    pub fn limits(&self) -> &WorkspaceLimits {
        self.limits
    }

    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Commits the counters: checks the quotas in the statement that adds
    /// this transaction's changes and moves the version on. Returns the new
    /// version (the old one when nothing changed).
    pub(crate) fn finish(self) -> Result<u64, StoreError> {
        if !self.changed {
            return Ok(self.version);
        }
        let row = self.tx.query_opt(
            "UPDATE ws_workspace SET version = version + 1, files = files + $3, bytes = bytes + $4
             WHERE ns = $1 AND id = $2
               AND ($3 <= 0 OR files + $3 <= $5) AND ($4 <= 0 OR bytes + $4 <= $6)
             RETURNING version",
            &[
                self.ns.into(),
                self.ws.into(),
                self.delta_files.into(),
                self.delta_bytes.into(),
                (self.limits.max_files as i64).into(),
                (self.limits.max_bytes as i64).into(),
            ],
        )?;
        match row {
            Some(row) => Ok(row.int(0)? as u64),
            None => Err(FsError::new(
                FsCode::EDQUOT,
                "",
                format!(
                    "the workspace may hold at most {} entries and {} bytes; this change would make {} and {}",
                    self.limits.max_files,
                    self.limits.max_bytes,
                    self.files + self.delta_files,
                    self.bytes + self.delta_bytes
                ),
            )
            .into()),
        }
    }

    /// Fails with `ESTALE` unless the workspace is at `version`.
    pub fn expect_version(&self, version: u64) -> Result<(), StoreError> {
        if self.version != version {
            return Err(FsError::new(
                FsCode::ESTALE,
                "",
                format!(
                    "the workspace is at version {}, not {version}: read it again and retry",
                    self.version
                ),
            )
            .into());
        }
        Ok(())
    }

    fn early_quota(&self) -> Result<(), StoreError> {
        let (files, bytes) = self.usage();
        if files > self.limits.max_files || bytes > self.limits.max_bytes {
            return Err(FsError::new(
                FsCode::EDQUOT,
                "",
                format!(
                    "the workspace may hold at most {} entries and {} bytes",
                    self.limits.max_files, self.limits.max_bytes
                ),
            )
            .into());
        }
        Ok(())
    }

    /// The entry at normalised `path`, if any.
    pub fn stat(&mut self, path: &str) -> Result<Option<Stat>, StoreError> {
        if path == "/" {
            return Ok(Some(root()));
        }
        let row = self.tx.query_opt(
            &format!("SELECT {COLUMNS} FROM ws_entry WHERE ns = $1 AND ws = $2 AND path = $3"),
            &[self.ns.into(), self.ws.into(), path.into()],
        )?;
        row.as_ref().map(stat_of).transpose()
    }

    /// The entry at `path`, or `ENOENT`.
    pub fn stat_existing(&mut self, path: &str) -> Result<Stat, StoreError> {
        self.stat(path)?.ok_or_else(|| FsError::not_found(path).into())
    }

    /// The whole content of the file at `path`.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, StoreError> {
        let row = self.tx.query_opt(
            "SELECT kind, content, blob FROM ws_entry WHERE ns = $1 AND ws = $2 AND path = $3",
            &[self.ns.into(), self.ws.into(), path.into()],
        )?;
        let Some(mut row) = row else {
            if path == "/" {
                return Err(FsError::new(FsCode::EISDIR, path, "a directory has no content: use readdir").into());
            }
            return Err(FsError::not_found(path).into());
        };
        if row.text(0)? == "d" {
            return Err(FsError::new(FsCode::EISDIR, path, "a directory has no content: use readdir").into());
        }
        if let Some(content) = row.take_bytes(1)? {
            return Ok(content);
        }
        let Some(hash) = row.opt_text(2)?.map(str::to_owned) else {
            return Ok(Vec::new());
        };
        let blobs = self
            .blobs
            .ok_or_else(|| StoreError::Corrupt(format!("{path} is in a blob store, and none is configured")))?;
        let bytes = blobs.get_blocking(self.handle, &hash)?;
        Ok(bytes.to_vec())
    }

    /// The content of the file at `path` as UTF-8 text.
    pub fn read_text(&mut self, path: &str) -> Result<String, StoreError> {
        String::from_utf8(self.read(path)?)
            .map_err(|_| FsError::invalid(path, "the file is not UTF-8 text: read it as bytes").into())
    }

    /// Checks that the parent of `path` is a directory, making missing
    /// ones when `parents`.
    fn ensure_parent(&mut self, path: &str, parents: bool) -> Result<(), StoreError> {
        let dir = parent(path).to_owned();
        match self.stat(&dir)? {
            Some(stat) if stat.is_dir() => Ok(()),
            Some(_) => Err(FsError::new(FsCode::ENOTDIR, &dir, "a file where a directory was needed").into()),
            None if parents => self.mkdir(&dir, true),
            None => Err(FsError::new(
                FsCode::ENOENT,
                &dir,
                "the parent directory does not exist: make it first (or ask for parents)",
            )
            .into()),
        }
    }

    /// Writes `content` to the file at `path`, replacing it; its directory
    /// must exist unless `parents`. With `exclusive`, fails if it exists.
    pub fn write(&mut self, path: &str, content: &[u8], parents: bool, exclusive: bool) -> Result<Stat, StoreError> {
        if path == "/" {
            return Err(FsError::new(FsCode::EISDIR, path, "the root is a directory").into());
        }
        if content.len() as u64 > self.limits.max_file_bytes {
            return Err(FsError::new(
                FsCode::EFBIG,
                path,
                format!("a file may have at most {} bytes", self.limits.max_file_bytes),
            )
            .into());
        }
        let existing = self.stat(path)?;
        match &existing {
            Some(stat) if stat.is_dir() => {
                return Err(FsError::new(FsCode::EISDIR, path, "a directory is there").into());
            }
            Some(_) if exclusive => return Err(FsError::new(FsCode::EEXIST, path, "the file exists").into()),
            Some(_) => {}
            None => self.ensure_parent(path, parents)?,
        }
        let hash = sha256_hex(content);
        let (inline, blob): (Value, Value) = match self.blobs {
            Some(blobs) if content.len() > self.limits.inline_bytes => {
                blobs.put_blocking(self.handle, &hash, content)?;
                (Value::Null, hash.clone().into())
            }
            _ => (content.into(), Value::Null),
        };
        self.put_row(path, "f", content.len() as i64, Some(&hash), inline, blob)?;
        let old_size = existing.as_ref().map_or(0, |s| s.size as i64);
        self.delta_bytes += content.len() as i64 - old_size;
        if existing.is_none() {
            self.delta_files += 1;
        }
        self.changed = true;
        self.early_quota()?;
        Ok(Stat {
            path: path.to_owned(),
            kind: Kind::File,
            size: content.len() as u64,
            mtime: self.now,
            hash: Some(hash),
        })
    }

    fn put_row(
        &mut self,
        path: &str,
        kind: &str,
        size: i64,
        hash: Option<&str>,
        content: Value,
        blob: Value,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO ws_entry (ns, ws, path, parent, kind, size, mtime, hash, content, blob)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (ns, ws, path) DO UPDATE SET kind = excluded.kind, size = excluded.size,
                 mtime = excluded.mtime, hash = excluded.hash, content = excluded.content, blob = excluded.blob",
            &[
                self.ns.into(),
                self.ws.into(),
                path.into(),
                parent(path).into(),
                kind.into(),
                size.into(),
                self.now.into(),
                hash.into(),
                content,
                blob,
            ],
        )?;
        Ok(())
    }

    /// Makes the directory `path`; with `recursive`, its missing parents
    /// too, and an existing directory is fine.
    pub fn mkdir(&mut self, path: &str, recursive: bool) -> Result<(), StoreError> {
        match self.stat(path)? {
            Some(stat) if stat.is_dir() && recursive => return Ok(()),
            Some(stat) if stat.is_dir() => {
                return Err(FsError::new(FsCode::EEXIST, path, "the directory exists").into());
            }
            Some(_) => return Err(FsError::new(FsCode::EEXIST, path, "a file is there").into()),
            None => {}
        }
        self.ensure_parent(path, recursive)?;
        self.put_row(path, "d", 0, None, Value::Null, Value::Null)?;
        self.delta_files += 1;
        self.changed = true;
        self.early_quota()
    }

    /// One page of the directory `dir`'s entries in byte order of their
    /// names, after the entry `after` (a path), at most `limit`. The bool
    /// says whether more follow.
    pub fn list(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        let stat = self.stat_existing(dir)?;
        if !stat.is_dir() {
            return Err(FsError::new(FsCode::ENOTDIR, dir, "not a directory").into());
        }
        let rows = self.tx.query(
            &format!(
                "SELECT {COLUMNS} FROM ws_entry WHERE ns = $1 AND ws = $2 AND parent = $3 AND path > $4
                 ORDER BY path LIMIT $5"
            ),
            &[
                self.ns.into(),
                self.ws.into(),
                dir.into(),
                after.unwrap_or("").into(),
                (limit as i64 + 1).into(),
            ],
        )?;
        let mut out: Vec<Stat> = rows.iter().map(stat_of).collect::<Result<_, _>>()?;
        let more = out.len() > limit;
        out.truncate(limit);
        Ok((out, more))
    }

    /// One page of everything below `dir` (at any depth) in byte order of
    /// path, after `after`, at most `limit`. The bool says whether more
    /// follow.
    pub fn walk(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        let from = descendants_from(dir);
        let start = match after {
            Some(after) if after > from.as_str() => after.to_owned(),
            _ => from.clone(),
        };
        // Everything that starts with `dir/` sorts below `dir0` ('0' follows '/').
        let end = if dir == "/" { "0".to_owned() } else { format!("{dir}0") };
        let rows = self.tx.query(
            &format!(
                "SELECT {COLUMNS} FROM ws_entry WHERE ns = $1 AND ws = $2 AND path > $3 AND path < $4
                 ORDER BY path LIMIT $5"
            ),
            &[
                self.ns.into(),
                self.ws.into(),
                start.into(),
                end.into(),
                (limit as i64 + 1).into(),
            ],
        )?;
        let mut out: Vec<Stat> = rows.iter().map(stat_of).collect::<Result<_, _>>()?;
        let more = out.len() > limit;
        out.truncate(limit);
        Ok((out, more))
    }

    /// Every file below `dir` (all pages), for whole-tree operations such as
    /// grep; fails with `EINVAL` past `max` entries rather than truncating.
    pub fn all_files(&mut self, dir: &str, max: usize) -> Result<Vec<Stat>, StoreError> {
        let stat = self.stat_existing(dir)?;
        if !stat.is_dir() {
            return Ok(vec![stat]);
        }
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, more) = self.walk(dir, after.as_deref(), 1000)?;
            after = page.last().map(|s| s.path.clone());
            out.extend(page.into_iter().filter(|s| !s.is_dir()));
            if out.len() > max {
                return Err(FsError::invalid(
                    dir,
                    format!("more than {max} files to go through: narrow the path or the pattern"),
                )
                .into());
            }
            if !more {
                return Ok(out);
            }
        }
    }

    /// Removes the entry at `path`; a directory with entries only when
    /// `recursive` (the root: everything in it). Returns how many entries
    /// went.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<u64, StoreError> {
        let stat = self.stat_existing(path)?;
        let mut removed_files = 0i64;
        let mut removed_bytes = 0i64;
        if stat.is_dir() {
            let end = if path == "/" {
                "0".to_owned()
            } else {
                format!("{path}0")
            };
            let from = descendants_from(path);
            let row = self
                .tx
                .query_opt(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM ws_entry
                     WHERE ns = $1 AND ws = $2 AND path >= $3 AND path < $4",
                    &[
                        self.ns.into(),
                        self.ws.into(),
                        from.as_str().into(),
                        end.as_str().into(),
                    ],
                )?
                .ok_or_else(|| StoreError::Backend("COUNT returned no row".into()))?;
            let (count, bytes) = (row.int(0)?, row.int(1)?);
            if count > 0 && !recursive {
                return Err(FsError::new(
                    FsCode::ENOTEMPTY,
                    path,
                    "the directory is not empty: remove it recursively",
                )
                .into());
            }
            self.tx.execute(
                "DELETE FROM ws_entry WHERE ns = $1 AND ws = $2 AND path >= $3 AND path < $4",
                &[self.ns.into(), self.ws.into(), from.into(), end.into()],
            )?;
            removed_files += count;
            removed_bytes += bytes;
        }
        if path != "/" {
            self.tx.execute(
                "DELETE FROM ws_entry WHERE ns = $1 AND ws = $2 AND path = $3",
                &[self.ns.into(), self.ws.into(), path.into()],
            )?;
            removed_files += 1;
            removed_bytes += stat.size as i64;
        }
        if removed_files > 0 {
            self.changed = true;
        }
        self.delta_files -= removed_files;
        self.delta_bytes -= removed_bytes;
        Ok(removed_files as u64)
    }

    /// Copies `from` to `to`: a file (replacing a file at `to`), or with
    /// `recursive` a directory and everything in it (`to` must not exist).
    pub fn copy(&mut self, from: &str, to: &str, recursive: bool) -> Result<u64, StoreError> {
        let source = self.stat_existing(from)?;
        if !source.is_dir() {
            let content_row = self.tx.query_opt(
                "SELECT content, blob FROM ws_entry WHERE ns = $1 AND ws = $2 AND path = $3",
                &[self.ns.into(), self.ws.into(), from.into()],
            )?;
            if let Some(target) = self.stat(to)?
                && target.is_dir()
            {
                return Err(FsError::new(FsCode::EISDIR, to, "a directory is there").into());
            }
            return self.copy_file(&source, to, content_row).map(|()| 1);
        }
        if !recursive {
            return Err(FsError::new(FsCode::EISDIR, from, "copying a directory needs recursive").into());
        }
        if path::within(to, from) {
            return Err(FsError::invalid(to, "a directory cannot be copied into itself").into());
        }
        if self.stat(to)?.is_some() {
            return Err(FsError::new(FsCode::EEXIST, to, "the destination exists").into());
        }
        self.mkdir(to, false)?;
        let mut copied = 1;
        let mut after: Option<String> = None;
        loop {
            let (page, more) = self.walk(from, after.as_deref(), 500)?;
            after = page.last().map(|s| s.path.clone());
            for entry in page {
                let target = format!("{to}{}", &entry.path[from.len()..]);
                if entry.is_dir() {
                    self.mkdir(&target, false)?;
                } else {
                    let content_row = self.tx.query_opt(
                        "SELECT content, blob FROM ws_entry WHERE ns = $1 AND ws = $2 AND path = $3",
                        &[self.ns.into(), self.ws.into(), entry.path.as_str().into()],
                    )?;
                    self.copy_file(&entry, &target, content_row)?;
                }
                copied += 1;
            }
            if !more {
                return Ok(copied);
            }
        }
    }

    /// Writes a copy of a file's row (a blob is shared, not copied).
    fn copy_file(&mut self, source: &Stat, to: &str, row: Option<Row>) -> Result<(), StoreError> {
        let mut row = row.ok_or_else(|| FsError::not_found(&source.path))?;
        let existing = self.stat(to)?;
        if existing.is_none() {
            self.ensure_parent(to, false)?;
        }
        let content = row.take_bytes(0)?.map_or(Value::Null, Value::Bytes);
        let blob = row.opt_text(1)?.map_or(Value::Null, |b| Value::Text(b.to_owned()));
        self.put_row(to, "f", source.size as i64, source.hash.as_deref(), content, blob)?;
        self.delta_bytes += source.size as i64 - existing.as_ref().map_or(0, |s| s.size as i64);
        if existing.is_none() {
            self.delta_files += 1;
        }
        self.changed = true;
        self.early_quota()
    }

    /// Moves `from` to `to` (a file replaces a file at `to`; a directory
    /// moves with everything in it, and `to` must not exist).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        if from == "/" || to == "/" {
            return Err(FsError::invalid("/", "the root cannot be moved or replaced").into());
        }
        let source = self.stat_existing(from)?;
        if from == to {
            return Ok(());
        }
        let target = self.stat(to)?;
        if source.is_dir() {
            if path::within(to, from) {
                return Err(FsError::invalid(to, "a directory cannot be moved into itself").into());
            }
            if target.is_some() {
                return Err(FsError::new(FsCode::EEXIST, to, "the destination exists").into());
            }
        } else if let Some(target) = &target {
            if target.is_dir() {
                return Err(FsError::new(FsCode::EISDIR, to, "a directory is there").into());
            }
            self.remove(to, false)?;
        }
        if target.is_none() || !source.is_dir() {
            self.ensure_parent(to, false)?;
        }
        self.tx.execute(
            "UPDATE ws_entry SET path = $4, parent = $5, mtime = $6 WHERE ns = $1 AND ws = $2 AND path = $3",
            &[
                self.ns.into(),
                self.ws.into(),
                from.into(),
                to.into(),
                parent(to).into(),
                self.now.into(),
            ],
        )?;
        if source.is_dir() {
            // Every descendant: the old prefix replaced by the new one, in
            // its path and its parent's path.
            let chars = from.chars().count() as i64;
            self.tx.execute(
                "UPDATE ws_entry SET path = $4 || substr(path, CAST($5 AS INTEGER)),
                                     parent = $4 || substr(parent, CAST($5 AS INTEGER))
                 WHERE ns = $1 AND ws = $2 AND path > $3 AND path < $6",
                &[
                    self.ns.into(),
                    self.ws.into(),
                    format!("{from}/").into(),
                    to.into(),
                    (chars + 1).into(),
                    format!("{from}0").into(),
                ],
            )?;
        }
        self.changed = true;
        Ok(())
    }

    /// `dir` joined with `name`, for callers building paths.
    pub fn join(dir: &str, name: &str) -> String {
        join(dir, name)
    }
}
