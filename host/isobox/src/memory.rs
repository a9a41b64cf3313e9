//! The memory limit of one sandbox: a wasmtime `ResourceLimiter` that
//! refuses growth past the run's limit and remembers the peak.
//!
//! The limit counts what a run adds to the memory image it starts from (the
//! snapshot's linear memory: the initialised engine and the read-only CLDR
//! data of Intl, about 14.5 MiB, shared copy-on-write between sandboxes and
//! resident only where touched), so a limit means the same headroom however
//! large the image is.

use wasmtime::ResourceLimiter;

/// Bounds the sandbox's linear memory and remembers its peak.
pub(crate) struct MemoryLimiter {
    limit: usize,
    /// The size of the memory at instantiation (the image), once seen.
    base: Option<usize>,
    pub peak: usize,
    /// Set when a growth was refused.
    pub hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        MemoryLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            base: None,
            peak: 0,
            hit: false,
        }
    }

    /// Sets the limit (a warm spare's Store gets its run's when a run takes
    /// it; instantiation only set the base).
    pub(crate) fn set_limit(&mut self, limit: u64) {
        self.limit = usize::try_from(limit).unwrap_or(usize::MAX);
    }

    /// For a recycled sandbox, whose memory is already `size` bytes (the
    /// image) rather than grown from nothing at instantiation.
    pub(crate) fn started_at(&mut self, size: usize) {
        self.base = Some(size);
        self.peak = size;
    }

    /// Whether the memory grew past the image it started from.
    pub(crate) fn grew(&self) -> bool {
        self.base.is_none_or(|base| self.peak > base)
    }
}

/// Entries of a table the sandbox may have: far above what the guest uses.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // The first growth from nothing is the instantiation of the image.
        let base = *self.base.get_or_insert(if current == 0 { desired } else { current });
        if desired > base.saturating_add(self.limit) {
            self.hit = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
