//! Recycled sandboxes: a sandbox whose run ended cleanly is put back to the
//! snapshot in place and hosts another run, instead of being torn down and
//! a new one instantiated. A run in a recycled sandbox starts exactly as
//! in a fresh one: nothing of an earlier run reaches it.
//!
//! What a run can change, and how each is put back:
//!
//! - **Linear memory**: every page the process holds privately in it
//!   (written by the run, resident or swapped out) is copied back from the
//!   snapshot's memory image, or dropped so that it maps the snapshot's
//!   file again (`pages::reset`); the other pages map the snapshot's file
//!   or zeros. The range is the one the guest showed before
//!   any of the run's code ran. A memory that grew is not recycled (it
//!   cannot shrink).
//! - **Core globals**: the snapshot's only mutable one is the stack pointer
//!   (the image is only made for such a snapshot, `image.rs`), and a call
//!   that returns leaves it where it found it.
//! - **Tables**: the guest has no instruction that writes one; wasmtime
//!   fills entries lazily with the same functions a fresh instance would.
//! - **Handles**: a run whose guest still holds a host resource (its
//!   resource table is not empty) is not recycled.
//! - **Host state** (`RunState`: WASI, egress, console, limits, journal):
//!   replaced by a blank one; fuel and the epoch deadline are re-armed by
//!   the next run, as for a spare.
//!
//! Only a run whose call returned is recycled: a trap (fuel, the wall
//! clock, memory), a cancelled run or a journaled one is torn down as
//! before, and a journaled run never takes a recycled sandbox. A sandbox
//! hosts at most [`MAX_RUNS`] runs.
//!
//! A page copied back stays private, so every later reset copies it again:
//! after one heavy run, each trivial run after it would copy the heavy
//! run's pages. So a reset that finds more than [`SHED_FACTOR`] times the
//! fewest private bytes this sandbox's resets have copied (and more than
//! [`SHED_FLOOR_BYTES`]), or more than the engine keeps resident, drops the
//! pages instead of copying them: the next run faults in what it touches,
//! and the resets after it copy that again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::image::MemoryImage;
use crate::sandbox::RunState;
use crate::spares::Warm;

/// The most runs one sandbox hosts before it is torn down.
pub(crate) const MAX_RUNS: u32 = 256;

/// A reset sheds the private pages rather than copy them when they are
/// more than this many times the fewest its sandbox's resets have copied.
const SHED_FACTOR: usize = 4;

/// ... and more than this many bytes (64 pages): a few pages more than a
/// trivial run writes are copied.
const SHED_FLOOR_BYTES: usize = 256 * 1024;

/// What recycling knows of a sandbox's earlier runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct History {
    /// The runs it has hosted.
    pub runs: u32,
    /// The fewest private bytes a reset of it copied back; `usize::MAX`
    /// before its first.
    pub fewest_private_bytes: usize,
}

impl History {
    /// A sandbox no run has used.
    pub(crate) const FRESH: History = History {
        runs: 0,
        fewest_private_bytes: usize::MAX,
    };
}

/// Whether a finished run's sandbox may host another run: its call
/// returned (`returned`), it is not journaled, its guest holds no host
/// resource, its memory did not grow and was shown to the host, and it has
/// not hosted [`MAX_RUNS`] runs.
pub(crate) fn eligible(returned: bool, state: &RunState, runs: u32) -> bool {
    returned
        && runs < MAX_RUNS
        && state.journal.is_none()
        && !state.clock.timed_out
        && state.table.is_empty()
        && !state.memory.grew()
        && state.memory_range.is_some()
}

impl Stash {
    /// Puts a finished run's sandbox back to the snapshot: its memory reset
    /// to the image (its private pages copied back, or shed when there are
    /// many more than usual) and its state blank, ready to be armed for a
    /// run. Gives the Store back (to be dropped) when the memory could not
    /// be reset.
    pub(crate) fn renew(&self, mut warm: Warm) -> Result<Warm, wasmtime::Store<RunState>> {
        let Some(range) = warm.store.data().memory_range else {
            return Err(warm.store);
        };
        let shed_above = warm
            .history
            .fewest_private_bytes
            .saturating_mul(SHED_FACTOR)
            .max(SHED_FLOOR_BYTES)
            .min(self.keep_resident);
        match crate::pages::reset(range, self.image.bytes(), shed_above) {
            Some(crate::pages::Reset::Copied(bytes)) => {
                warm.history.fewest_private_bytes = warm.history.fewest_private_bytes.min(bytes);
            }
            Some(crate::pages::Reset::Shed(_)) => {
                self.shed.fetch_add(1, Ordering::Relaxed);
            }
            None => return Err(warm.store),
        }
        self.renewed.fetch_add(1, Ordering::Relaxed);
        Ok(blank(warm, range.1 - range.0))
    }

    /// How many finished runs' sandboxes were renewed for another run.
    pub(crate) fn renewed(&self) -> u64 {
        self.renewed.load(Ordering::Relaxed)
    }

    /// How many of those renewals shed the private pages.
    pub(crate) fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

/// `warm`, whose memory (`memory_bytes` long) is the image again, with a
/// blank state.
fn blank(mut warm: Warm, memory_bytes: usize) -> Warm {
    let mut state = RunState::blank();
    state.memory.started_at(memory_bytes);
    // Drops the run's own state: its WASI context, egress and console.
    *warm.store.data_mut() = state;
    // As a spare's: no fuel and a deadline already past, until armed.
    let _ = warm.store.set_fuel(0);
    warm.store.set_epoch_deadline(0);
    warm
}

/// Recycled sandboxes waiting for a run, for an engine without warm spares
/// (whose thread keeps recycled sandboxes with its spares instead).
pub(crate) struct Stash {
    image: MemoryImage,
    waiting: Mutex<Vec<Warm>>,
    capacity: usize,
    /// The engine's keep-resident bytes: a reset sheds more than this.
    keep_resident: usize,
    renewed: AtomicU64,
    shed: AtomicU64,
}

impl Stash {
    /// A stash of at most `capacity` sandboxes, reset to `image`, keeping
    /// at most `keep_resident` private bytes in each.
    pub(crate) fn new(image: MemoryImage, capacity: usize, keep_resident: usize) -> Self {
        Stash {
            image,
            waiting: Mutex::new(Vec::new()),
            capacity,
            keep_resident,
            renewed: AtomicU64::new(0),
            shed: AtomicU64::new(0),
        }
    }

    /// The sandbox renewed last, if one waits.
    pub(crate) fn take(&self) -> Option<Warm> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    /// Renews a finished run's sandbox and keeps it, or gives its Store
    /// back to be dropped (it could not be renewed, or the stash is full).
    pub(crate) fn keep(&self, warm: Warm) -> Option<wasmtime::Store<RunState>> {
        if self.waiting.lock().unwrap_or_else(PoisonError::into_inner).len() >= self.capacity {
            return Some(warm.store);
        }
        match self.renew(warm) {
            Ok(warm) => {
                let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                if waiting.len() >= self.capacity {
                    return Some(warm.store);
                }
                waiting.push(warm);
                None
            }
            Err(store) => Some(store),
        }
    }
}
