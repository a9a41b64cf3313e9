//! [`FileSystem`] on a host directory: the operations of [`DirFs`], each
//! confined to the root (see the parent module for the rules).

use super::journal::Undo;
use super::os::{self, clean, fail, open_file, read_all, rel};
use super::scan::{self, Counted};
use super::{DirFs, stat_of, too_many};
use crate::StoreError;
use crate::workspace::path::{self, join, within};
use crate::workspace::{FileSystem, FsCode, FsError, Kind, Stat, WorkspaceLimits, sha256_hex};

impl FileSystem for DirFs {
    fn version(&self) -> u64 {
        0
    }

    fn expect_version(&self, version: u64) -> Result<(), StoreError> {
        Err(FsError::invalid(
            "",
            format!("a directory workspace has no version (asked for {version}): leave ifVersion out"),
        )
        .into())
    }

    fn usage(&self) -> (u64, u64) {
        let base = self.base().unwrap_or(Counted {
            files: 0,
            bytes: 0,
            complete: false,
        });
        (
            (base.files as i64 + self.delta_files).max(0) as u64,
            (base.bytes as i64 + self.delta_bytes).max(0) as u64,
        )
    }

    fn count(&mut self) -> Result<(u64, u64), StoreError> {
        let base = self.counted()?;
        Ok((
            (base.files as i64 + self.delta_files).max(0) as u64,
            (base.bytes as i64 + self.delta_bytes).max(0) as u64,
        ))
    }

    fn limits(&self) -> &WorkspaceLimits {
        &self.limits
    }

    /// A file's hash is computed here (by reading it) unless it is larger
    /// than the largest file or hard-linked (then `None`).
    fn stat(&mut self, path: &str) -> Result<Option<Stat>, StoreError> {
        let path = clean(path)?;
        let Some(found) = self.lookup(&path)? else {
            return Ok(None);
        };
        let mut stat = stat_of(&path, &found);
        if found.kind == Kind::File && found.size <= self.limits.max_file_bytes {
            stat.hash = open_file(self.dir(), &path)
                .and_then(|(file, meta)| read_all(file, &meta, &path, self.limits.max_file_bytes))
                .ok()
                .map(|content| sha256_hex(&content));
        }
        Ok(Some(stat))
    }

    fn read(&mut self, path: &str) -> Result<Vec<u8>, StoreError> {
        let path = clean(path)?;
        if path == "/" {
            return Err(FsError::new(FsCode::EISDIR, path, "a directory has no content: use readdir").into());
        }
        let (file, meta) = open_file(self.dir(), &path)?;
        read_all(file, &meta, &path, self.limits.max_file_bytes)
    }

    fn write(&mut self, path: &str, content: &[u8], parents: bool, exclusive: bool) -> Result<Stat, StoreError> {
        let path = clean(path)?;
        self.writable(&path)?;
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
        let target = self.write_target(&path)?;
        let existing = match self.lstat(&target)? {
            None => None,
            Some(meta) if meta.is_dir() => {
                return Err(FsError::new(FsCode::EISDIR, &path, "a directory is there").into());
            }
            Some(_) if exclusive => return Err(FsError::new(FsCode::EEXIST, &path, "the file exists").into()),
            Some(meta) if meta.is_symlink() => return Err(self.link_error(&target)),
            Some(_) => {
                // Checked on the handle: a directory, a FIFO, a file with
                // more than one name are refused here.
                let (_, meta) = open_file(self.dir(), &target)?;
                Some(meta)
            }
        };
        if existing.is_none() {
            self.ensure_parent(&target, parents)?;
        }
        let old_size = existing.as_ref().map_or(0, |m| m.len());
        self.reserve(i64::from(existing.is_none()), content.len() as i64 - old_size as i64)?;
        let saved = existing.as_ref().and_then(|meta| self.save(&target, meta.len()));
        let permissions = existing.as_ref().map(|m| m.permissions());
        let written = os::replace(self.dir(), &target, content, permissions, exclusive);
        let meta = match written {
            Ok(meta) => meta,
            Err(e) => {
                // Nothing was placed: take the reservation back.
                self.delta_files -= i64::from(existing.is_none());
                self.delta_bytes -= content.len() as i64 - old_size as i64;
                return Err(e);
            }
        };
        self.generation += 1;
        match saved {
            Some(saved) => self.journal.push(Undo::Restore(vec![saved])),
            None if existing.is_none() => self.journal.push(Undo::Created(target)),
            None => {}
        }
        Ok(Stat {
            path,
            kind: Kind::File,
            size: content.len() as u64,
            mtime: os::mtime(&meta),
            hash: Some(sha256_hex(content)),
        })
    }

    fn mkdir(&mut self, path: &str, recursive: bool) -> Result<(), StoreError> {
        let path = clean(path)?;
        self.writable(&path)?;
        match self.lookup(&path)? {
            Some(found) if found.kind == Kind::Directory && recursive => return Ok(()),
            Some(found) if found.kind == Kind::Directory => {
                return Err(FsError::new(FsCode::EEXIST, path, "the directory exists").into());
            }
            Some(found) if found.kind == Kind::Symlink => {
                return Err(FsError::new(FsCode::EEXIST, path, "a symlink is there").into());
            }
            Some(_) => return Err(FsError::new(FsCode::EEXIST, path, "a file is there").into()),
            None => {}
        }
        self.ensure_parent(&path, recursive)?;
        self.reserve(1, 0)?;
        if let Err(e) = self.dir().create_dir(rel(&path)) {
            self.delta_files -= 1;
            return Err(fail(e, &path));
        }
        self.generation += 1;
        self.journal.push(Undo::CreatedDir(path));
        Ok(())
    }

    /// Reads the whole directory (at most [`WorkspaceLimits::max_scan`]
    /// names, else `EINVAL`), sorts the names by bytes, then pages.
    fn list(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        let dir = clean(dir)?;
        match self.lookup(&dir)? {
            None => return Err(FsError::not_found(&dir).into()),
            Some(found) if found.kind == Kind::Directory => {}
            Some(found) if found.kind == Kind::Symlink => return Err(self.link_error(&dir)),
            Some(_) => return Err(FsError::new(FsCode::ENOTDIR, dir, "not a directory").into()),
        }
        let max = self.limits.max_scan;
        let names = scan::children(self.dir(), &dir, max)?.ok_or_else(|| too_many(&dir, max))?;
        let start = match after {
            Some(after) => names.partition_point(|name| join(&dir, name).as_str() <= after),
            None => 0,
        };
        let mut out = Vec::new();
        let mut next = start;
        while next < names.len() && out.len() < limit {
            let path = join(&dir, &names[next]);
            next += 1;
            let Some(meta) = self.lstat(&path)? else { continue };
            let (kind, size) = if meta.is_symlink() {
                (Kind::Symlink, 0)
            } else if meta.is_dir() {
                (Kind::Directory, 0)
            } else if meta.is_file() {
                (Kind::File, meta.len())
            } else {
                continue;
            };
            out.push(Stat {
                path,
                kind,
                size,
                mtime: os::mtime(&meta),
                hash: None,
            });
        }
        let more = next < names.len();
        Ok((out, more))
    }

    /// Reads the whole tree (at most [`WorkspaceLimits::max_scan`] entries,
    /// else `EINVAL`) once per change, sorts it by path, then pages.
    /// Symlinks are neither followed nor listed.
    fn walk(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        let dir = clean(dir)?;
        match self.lookup(&dir)? {
            Some(found) if found.kind == Kind::Directory => {}
            _ => return Ok((Vec::new(), false)),
        }
        let from = path::descendants_from(&dir);
        let start = match after {
            Some(after) if after > from.as_str() => after.to_owned(),
            _ => from,
        };
        let entries = self.tree(&dir)?;
        let at = entries.partition_point(|e| e.stat.path.as_str() <= start.as_str());
        let mut page: Vec<Stat> = entries[at..]
            .iter()
            .filter(|e| e.walked())
            .take(limit.saturating_add(1))
            .map(|e| e.stat.clone())
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        Ok((page, more))
    }

    fn all_files(&mut self, dir: &str, max: usize) -> Result<Vec<Stat>, StoreError> {
        let dir = clean(dir)?;
        match self.lookup(&dir)? {
            None => Err(FsError::not_found(&dir).into()),
            Some(found) if found.kind == Kind::Directory => {
                let largest = self.limits.max_file_bytes;
                let files: Vec<Stat> = self
                    .tree(&dir)?
                    .iter()
                    .filter(|e| e.walked() && e.stat.is_file() && e.stat.size <= largest)
                    .map(|e| e.stat.clone())
                    .collect();
                if files.len() > max {
                    return Err(FsError::invalid(
                        &dir,
                        format!("more than {max} files to go through: narrow the path or the pattern"),
                    )
                    .into());
                }
                Ok(files)
            }
            Some(found) if found.kind == Kind::Symlink => Err(self.link_error(&dir)),
            Some(found) => Ok(vec![stat_of(&dir, &found)]),
        }
    }

    fn remove(&mut self, path: &str, recursive: bool) -> Result<u64, StoreError> {
        let path = clean(path)?;
        self.writable(&path)?;
        if path != "/" {
            return self.remove_entry(&path, recursive);
        }
        let max = self.limits.max_scan;
        let names = scan::children(self.dir(), "/", max)?.ok_or_else(|| too_many("/", max))?;
        if names.is_empty() {
            return Ok(0);
        }
        if !recursive {
            return Err(FsError::new(
                FsCode::ENOTEMPTY,
                "/",
                "the directory is not empty: remove it recursively",
            )
            .into());
        }
        let mut removed = 0;
        for name in names {
            removed += self.remove_entry(&join("/", &name), true)?;
        }
        Ok(removed)
    }

    fn copy(&mut self, from: &str, to: &str, recursive: bool) -> Result<u64, StoreError> {
        let (from, to) = (clean(from)?, clean(to)?);
        self.writable(&to)?;
        let source = self.lookup(&from)?.ok_or_else(|| FsError::not_found(&from))?;
        match source.kind {
            Kind::Symlink => return Err(self.link_error(&from)),
            Kind::File => {
                if let Some(target) = self.lookup(&to)?
                    && target.kind == Kind::Directory
                {
                    return Err(FsError::new(FsCode::EISDIR, to, "a directory is there").into());
                }
                return self.copy_file(&from, &to).map(|()| 1);
            }
            Kind::Directory => {}
        }
        if !recursive {
            return Err(FsError::new(FsCode::EISDIR, from, "copying a directory needs recursive").into());
        }
        if within(&to, &from) {
            return Err(FsError::invalid(&to, "a directory cannot be copied into itself").into());
        }
        if self.lstat(&to)?.is_some() {
            return Err(FsError::new(FsCode::EEXIST, to, "the destination exists").into());
        }
        let entries: Vec<Stat> = self
            .tree(&from)?
            .iter()
            .filter(|e| e.walked())
            .map(|e| e.stat.clone())
            .collect();
        self.mkdir(&to, false)?;
        let mut copied = 1;
        for entry in entries {
            let target = format!("{to}{}", &entry.path[from.len()..]);
            if entry.is_dir() {
                self.mkdir(&target, false)?;
            } else {
                self.copy_file(&entry.path, &target)?;
            }
            copied += 1;
        }
        Ok(copied)
    }

    /// Moves the entry itself: a symlink is moved, not followed.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        let (from, to) = (clean(from)?, clean(to)?);
        self.writable(&from)?;
        if from == "/" || to == "/" {
            return Err(FsError::invalid("/", "the root cannot be moved or replaced").into());
        }
        let source = self.lstat(&from)?.ok_or_else(|| FsError::not_found(&from))?;
        if from == to {
            return Ok(());
        }
        let target = self.lstat(&to)?;
        let mut replaced = None;
        if source.is_dir() {
            if within(&to, &from) {
                return Err(FsError::invalid(&to, "a directory cannot be moved into itself").into());
            }
            if target.is_some() {
                return Err(FsError::new(FsCode::EEXIST, to, "the destination exists").into());
            }
        } else if let Some(target) = &target {
            if target.is_dir() {
                return Err(FsError::new(FsCode::EISDIR, to, "a directory is there").into());
            }
            let saved = if target.is_symlink() {
                self.save_link(&to)
            } else {
                self.save(&to, target.len())
            };
            let bytes = if target.is_file() { target.len() as i64 } else { 0 };
            replaced = Some((saved, bytes));
        }
        if target.is_none() {
            self.ensure_parent(&to, false)?;
        }
        self.dir()
            .rename(rel(&from), self.dir(), rel(&to))
            .map_err(|e| fail(e, &from))?;
        self.generation += 1;
        if let Some((saved, bytes)) = replaced {
            self.journal.push(Undo::Restore(saved.into_iter().collect()));
            self.delta_files -= 1;
            self.delta_bytes -= bytes;
        }
        self.journal.push(Undo::Moved { from, to });
        Ok(())
    }
}
