//! The memory limit of one sandbox: a wasmtime `ResourceLimiter` that
//! refuses growth past the run's limit and remembers the peak.

use wasmtime::ResourceLimiter;

/// Bounds the sandbox's linear memory and remembers its peak.
pub(crate) struct MemoryLimiter {
    limit: usize,
    pub peak: usize,
    /// Set when a growth was refused.
    pub hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        MemoryLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            peak: 0,
            hit: false,
        }
    }
}

/// Entries of a table the sandbox may have: far above what the guest uses.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
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
