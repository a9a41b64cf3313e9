//! Bounded scans of a directory workspace: one directory's names, or a
//! whole tree without following symlinks.

use std::io::ErrorKind;

use cap_std::fs::{Dir, DirEntry};

use super::os::{TEMP_PREFIX, fail, links, mtime, rel};
use crate::StoreError;
use crate::workspace::path::{MAX_DEPTH, MAX_PATH_BYTES, join};
use crate::workspace::{Kind, Stat};

/// The names in the directory at workspace path `dir`, in byte order;
/// `None` past `max`. Names that are not UTF-8 and isobox's temporaries
/// are left out.
pub(super) fn children(root: &Dir, dir: &str, max: usize) -> Result<Option<Vec<String>>, StoreError> {
    let read = root.read_dir(rel(dir)).map_err(|e| fail(e, dir))?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| fail(e, dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        if names.len() >= max {
            return Ok(None);
        }
        names.push(name.to_owned());
    }
    names.sort_unstable();
    Ok(Some(names))
}

/// An entry of a tree.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// Its stat (a symlink as [`Kind::Symlink`], not followed).
    pub stat: Stat,
    /// Whether it is a regular file with more than one name (hard-linked).
    pub shared: bool,
}

impl Entry {
    /// Whether whole-tree walks show it: not a symlink, not hard-linked.
    pub fn walked(&self) -> bool {
        self.stat.kind != Kind::Symlink && !self.shared
    }
}

/// The entries of a tree.
#[derive(Debug, Default)]
pub(super) struct Tree {
    /// Files, directories and symlinks, in byte order of path; without the
    /// tree's own directory.
    pub entries: Vec<Entry>,
    /// Entries left out: FIFOs, sockets, devices, names that are not UTF-8,
    /// paths past the workspace's depth or length, isobox's temporaries.
    pub skipped: usize,
}

/// Every entry below workspace directory `dir`, or `None` past `max`
/// entries. A subdirectory that vanishes while it is read is passed over.
pub(super) fn tree(root: &Dir, dir: &str, max: usize) -> Result<Option<Tree>, StoreError> {
    let mut out = Tree::default();
    let whole = visit(root, dir, &mut out.skipped, |entry| {
        if out.entries.len() >= max {
            return false;
        }
        out.entries.push(entry);
        true
    })?;
    if !whole {
        return Ok(None);
    }
    out.entries.sort_unstable_by(|a, b| a.stat.path.cmp(&b.stat.path));
    Ok(Some(out))
}

/// What a whole directory holds, as the quotas count it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted {
    /// Entries (files, directories, symlinks).
    pub files: u64,
    /// Bytes of regular files.
    pub bytes: u64,
    /// Whether all were counted (false past the bound).
    pub complete: bool,
}

/// Counts the entries below the root, stopping past `max`.
pub(super) fn count(root: &Dir, max: usize) -> Result<Counted, StoreError> {
    let mut counted = Counted {
        files: 0,
        bytes: 0,
        complete: true,
    };
    let mut skipped = 0;
    let whole = visit(root, "/", &mut skipped, |entry| {
        if counted.files >= max as u64 {
            return false;
        }
        counted.files += 1;
        counted.bytes += entry.stat.size;
        true
    })?;
    counted.complete = whole;
    Ok(counted)
}

fn depth(path: &str) -> usize {
    path.bytes().filter(|&b| b == b'/').count()
}

/// An entry seen in a directory, not following a symlink; `None` for an
/// entry that is none of file, directory, symlink (or that vanished).
fn entry_of(entry: &DirEntry, path: String) -> Result<Option<Entry>, StoreError> {
    let kind = match entry.file_type() {
        Ok(kind) => kind,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e, &path)),
    };
    let meta = match entry.metadata() {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e, &path)),
    };
    let (kind, size) = if kind.is_symlink() {
        (Kind::Symlink, 0)
    } else if kind.is_dir() {
        (Kind::Directory, 0)
    } else if kind.is_file() {
        (Kind::File, meta.len())
    } else {
        return Ok(None);
    };
    Ok(Some(Entry {
        shared: kind == Kind::File && links(&meta) > 1,
        stat: Stat {
            path,
            kind,
            size,
            mtime: mtime(&meta),
            hash: None,
        },
    }))
}

/// Calls `each` with every entry below `dir` (depth first, unsorted) until
/// it returns false; returns whether every entry was visited.
fn visit(root: &Dir, dir: &str, skipped: &mut usize, mut each: impl FnMut(Entry) -> bool) -> Result<bool, StoreError> {
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        let read = match root.read_dir(rel(&current)) {
            Ok(read) => read,
            Err(e) if current != dir && matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                continue;
            }
            Err(e) => return Err(fail(e, &current)),
        };
        for entry in read {
            let entry = entry.map_err(|e| fail(e, &current))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                *skipped += 1;
                continue;
            };
            if name.starts_with(TEMP_PREFIX) {
                *skipped += 1;
                continue;
            }
            let path = join(&current, name);
            if path.len() > MAX_PATH_BYTES || depth(&path) > MAX_DEPTH {
                *skipped += 1;
                continue;
            }
            let Some(entry) = entry_of(&entry, path)? else {
                *skipped += 1;
                continue;
            };
            if entry.stat.kind == Kind::Directory {
                stack.push(entry.stat.path.clone());
            }
            if !each(entry) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}
