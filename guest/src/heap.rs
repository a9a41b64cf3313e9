//! Leaves the snapshot's heap with no free holes, so that what a run
//! allocates comes from one contiguous stretch at the heap's end.
//!
//! Initialisation leaves free chunks all over the heap: the garbage its
//! final collection freed and the temporaries of installing the built-ins.
//! The allocator (wasi-libc's dlmalloc) serves a request from such a hole
//! before it touches the top of the heap, so a run's first few hundred
//! allocations would land on pages spread over megabytes of the snapshot.
//! Each page a run writes is a private copy that the host's pool copies back
//! from the snapshot after every run, and each separate stretch of them is
//! one more range for its page scan. With the holes taken, a run's new
//! objects sit side by side after the snapshot's, and the pages it writes in
//! the snapshot itself are the objects it changes.
//!
//! The holes are taken once, at wizer time, by allocating them and never
//! freeing them: their bytes were already in the image (113 KiB of them
//! when this was written), so the image grows by nothing but a few chunk
//! headers. The probe that finds the heap's top may grow the memory by up
//! to 256 KiB of zeros, which is where runs then allocate first.

#![cfg(target_arch = "wasm32")]

/// Allocates every free chunk below the top of the heap, largest requests
/// first, and keeps them.
///
/// A request that dlmalloc serves from the top of the heap (at or above the
/// probe's address) shows there is no hole of that size left; it is given
/// back and the next smaller size is tried.
pub fn take_holes() {
    unsafe extern "C" {
        fn malloc(size: usize) -> *mut u8;
        fn free(pointer: *mut u8);
    }
    // SAFETY: plain libc allocation calls; the pointers are compared as
    // addresses, never dereferenced, and only the probe and the requests
    // served from the top are freed, once each.
    unsafe {
        // A request larger than any hole is served from the top: where it
        // starts is where the run's allocations will start.
        let probe = malloc(PROBE_BYTES);
        if probe.is_null() {
            return;
        }
        let top = probe as usize;
        free(probe);
        let mut size = PROBE_BYTES / 2;
        while size >= MIN_REQUEST {
            loop {
                let pointer = malloc(size);
                if pointer.is_null() {
                    return;
                }
                if pointer as usize >= top {
                    free(pointer);
                    break;
                }
            }
            size /= 2;
        }
    }
}

/// Larger than any hole initialisation leaves: the built-ins' biggest
/// allocations are a few tens of KiB.
const PROBE_BYTES: usize = 256 * 1024;

/// dlmalloc's smallest chunk on wasm32 holds this many bytes.
const MIN_REQUEST: usize = 8;
