//! The undo journal of a directory workspace's transaction: before each
//! change, how to take it back. When the transaction's body fails, the
//! journal is applied in reverse. Best-effort: saved contents are kept in
//! memory up to [`MAX_JOURNAL_BYTES`]; past that (or for a file that cannot
//! be saved: hard-linked, too large, not a regular file) the journal stops
//! and the transaction can no longer be undone whole.

use std::path::PathBuf;

use cap_std::fs::{Dir, Permissions};

use super::os::{self, rel};
use crate::StoreError;
use crate::error::bounded;

/// The most bytes of saved file content one journal keeps (64 MiB).
pub const MAX_JOURNAL_BYTES: u64 = 64 << 20;

/// An entry as it was, to put back.
#[derive(Debug)]
pub(super) enum Saved {
    /// A directory (made again, empty).
    Dir(String),
    /// A regular file with its content and permissions.
    File {
        path: String,
        content: Vec<u8>,
        permissions: Permissions,
    },
    /// A symlink with its target text.
    Link { path: String, target: PathBuf },
}

/// How to take back one change.
#[derive(Debug)]
pub(super) enum Undo {
    /// A file or symlink was made: remove it.
    Created(String),
    /// A directory was made: remove it (it is empty again by then).
    CreatedDir(String),
    /// Entries were replaced or removed: put them back, in order (a
    /// directory before what was in it).
    Restore(Vec<Saved>),
    /// An entry was moved: move it back.
    Moved { from: String, to: String },
}

/// The steps of one transaction, in the order they happened.
#[derive(Debug)]
pub(super) struct Journal {
    steps: Vec<Undo>,
    bytes: u64,
    complete: bool,
}

/// What applying a journal left undone.
#[derive(Debug, Default)]
pub(super) struct Leftover {
    /// Steps whose undo failed.
    pub failed: usize,
    /// The first failures, bounded.
    pub first: Vec<String>,
    /// Whether the journal had stopped before the failure (some changes
    /// were never recorded).
    pub incomplete: bool,
}

impl Leftover {
    pub(super) fn is_clean(&self) -> bool {
        self.failed == 0 && !self.incomplete
    }
}

impl Journal {
    pub(super) fn new() -> Journal {
        Journal {
            steps: Vec::new(),
            bytes: 0,
            complete: true,
        }
    }

    /// Records a step (nothing once the journal has stopped).
    pub(super) fn push(&mut self, undo: Undo) {
        if self.complete {
            self.steps.push(undo);
        }
    }

    /// Whether `bytes` more of saved content fit; when they do not, the
    /// journal stops.
    pub(super) fn room(&mut self, bytes: u64) -> bool {
        if !self.complete {
            return false;
        }
        if self.bytes.saturating_add(bytes) > MAX_JOURNAL_BYTES {
            self.give_up();
            return false;
        }
        self.bytes += bytes;
        true
    }

    /// Stops journaling: the transaction can no longer be undone whole
    /// (the steps so far are still undone on failure).
    pub(super) fn give_up(&mut self) {
        self.complete = false;
    }

    /// Whether nothing was recorded and nothing was missed.
    pub(super) fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.complete
    }

    /// Takes back every recorded step, the last first, going on past
    /// failures.
    pub(super) fn apply(self, dir: &Dir) -> Leftover {
        let mut leftover = Leftover {
            incomplete: !self.complete,
            ..Leftover::default()
        };
        let mut note = |result: Result<(), StoreError>| {
            if let Err(e) = result {
                leftover.failed += 1;
                if leftover.first.len() < 3 {
                    leftover.first.push(bounded(e));
                }
            }
        };
        for step in self.steps.into_iter().rev() {
            match step {
                Undo::Created(path) => note(gone(dir.remove_file(rel(&path)), &path)),
                Undo::CreatedDir(path) => note(gone(dir.remove_dir(rel(&path)), &path)),
                Undo::Moved { from, to } => note(dir.rename(rel(&to), dir, rel(&from)).map_err(|e| os::fail(e, &to))),
                Undo::Restore(saved) => {
                    for entry in saved {
                        note(restore(dir, entry));
                    }
                }
            }
        }
        leftover
    }
}

/// A removal whose entry is already gone is done.
fn gone(result: std::io::Result<()>, path: &str) -> Result<(), StoreError> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(os::fail(e, path)),
        _ => Ok(()),
    }
}

fn restore(dir: &Dir, saved: Saved) -> Result<(), StoreError> {
    match saved {
        Saved::Dir(path) => match dir.create_dir(rel(&path)) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(os::fail(e, &path)),
            _ => Ok(()),
        },
        Saved::File {
            path,
            content,
            permissions,
        } => os::replace(dir, &path, &content, Some(permissions), false).map(drop),
        Saved::Link { path, target } => {
            // The link as it was, even one that leads outside: following
            // it stays refused, as before.
            let _ = dir.remove_file(rel(&path));
            dir.symlink_contents(&target, rel(&path))
                .map_err(|e| os::fail(e, &path))
        }
    }
}
