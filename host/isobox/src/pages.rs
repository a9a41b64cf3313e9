//! Keeps the pages a run dirties in few ranges, so that the next run in the
//! same pool slot finds them resident.
//!
//! When a Store is dropped, wasmtime's pooling allocator resets its memory
//! with Linux's `PAGEMAP_SCAN`: the dirty pages it finds are copied back from
//! the snapshot in place and stay mapped, but it reads at most 32 disjoint
//! ranges, and everything past the 32nd is decommitted. A run that writes
//! here and there in QuickJS's heap (a worker's Request and Response, a zod
//! parse) dirties more ranges than that, so its pages past the 32nd range are
//! dropped after every run and fault in again in the next one: about a
//! hundred copy-on-write faults per request for a trivial worker, each one a
//! TLB shootdown across cores.
//!
//! At the start of each run, before any of the run's code, the guest shows
//! the host its linear memory (`isobox:sandbox/pages.settle`), and the host
//! notes where it lies. When the run ends the host chooses what teardown
//! does (`choose_settle`). When the run's Store is torn down, just before
//! wasmtime resets the memory, the host scans it itself, with room for many ranges, and when there are more
//! than wasmtime keeps it fills the smallest gaps between them
//! (`MADV_POPULATE_WRITE`: the kernel copies the pages, their contents stay
//! as they are) until few enough ranges remain, within the engine's
//! keep-resident bytes. A filled page stays resident and is reset by copying
//! like any dirty page, so each slot converges after a few runs and then
//! costs one scan per run. Filling at teardown, not at the end of the run,
//! keeps a sandbox that is held after its run (in flight) at the pages the
//! run itself wrote. Nothing of a run survives it: wasmtime still resets
//! every page the run touched.
//!
//! A slot keeps every page any of its runs wrote, and copies them all back
//! on every reset, so one run in [`SHED_EVERY`] that took no faults sheds
//! its slot's pages instead: the next run faults in what it uses.
//!
//! A recycled sandbox (recycle.rs) is not torn down: [`reset`] copies the
//! pages its run wrote back from the snapshot's image in place.
//!
//! Elsewhere than Linux, or where the scan is refused, `settle` does nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::component::{Linker, WasmList};
use wasmtime::{Store, StoreContextMut};

use crate::sandbox::RunState;

/// The ranges wasmtime 48's reset restores in place (its `MAX_REGIONS`).
#[cfg(target_os = "linux")]
const WASMTIME_RANGES: usize = 32;

/// How many ranges `settle` leaves at most: a few fewer than wasmtime keeps,
/// a margin below its limit.
#[cfg(target_os = "linux")]
const TARGET_RANGES: usize = WASMTIME_RANGES - 6;

/// The most ranges one scan reports; a memory with more is left as it is.
#[cfg(target_os = "linux")]
const SCAN_RANGES: usize = 512;

/// Adds `isobox:sandbox/pages` to `linker`. Its one function borrows the
/// guest's memory as a `list<u8>` without copying it, and notes the address
/// range for [`drop_store`] and [`reset`].
///
/// The guest calls it first thing in a run, before any of the run's
/// JavaScript, while the sandbox is still the snapshot as it was built: so
/// the range it shows is the whole memory (from its second byte; a slice
/// cannot start at address 0). Only a run's first call counts, so code
/// that took the guest over later cannot narrow what is reset.
pub(crate) fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    linker.instance("isobox:sandbox/pages@0.1.0")?.func_wrap(
        "settle",
        |mut store: StoreContextMut<'_, RunState>, (memory,): (WasmList<u8>,)| {
            let bytes = memory.as_le_slice(&store);
            let start = (bytes.as_ptr() as usize).saturating_sub(1);
            let range = (start, bytes.as_ptr() as usize + bytes.len());
            let state = store.data_mut();
            if state.memory_range.is_none() {
                state.memory_range = Some(range);
            }
            Ok(())
        },
    )
}

/// Chooses what the teardown of a finished run's Store does to its memory
/// before wasmtime resets it, from the run's page faults: a run that took
/// none found its pages resident (the slot has settled) and is left as it
/// is, but for one in [`SHED_EVERY`], which sheds them; one that took some
/// has the gaps between its dirty ranges filled. Called on the run's own
/// thread, whose faults are counted.
pub(crate) fn choose_settle(state: &mut RunState) {
    let Some(range) = state.memory_range else {
        return;
    };
    state.settle = if state.resident_budget == 0 {
        // With nothing kept resident wasmtime decommits the slot anyway.
        None
    } else if faults_so_far().saturating_sub(state.faults_at_arm) >= FAULTS_WORTH_A_SCAN {
        Some(Settle::Fill(range))
    } else if time_to_shed() {
        Some(Settle::Shed(range))
    } else {
        None
    };
}

/// Drops a finished run's Store, wherever that happens (the run's own
/// thread or the spares' thread): first what the run's `settle` chose is
/// done to its memory (the gaps filled, or every page shed); then wasmtime
/// resets the slot.
///
/// The range is only handed to the kernel (`PAGEMAP_SCAN`,
/// `madvise`), never read or written from Rust. It stays the guest's
/// memory until the Store is dropped: the pooling allocator never moves a
/// slot's memory, and no guest code runs after `settle`.
pub(crate) fn drop_store(mut store: Store<RunState>) {
    let state = store.data_mut();
    match state.settle.take() {
        Some(Settle::Fill((start, end))) => settle(start, end, state.resident_budget),
        Some(Settle::Shed((start, end))) => shed(start, end),
        None => {}
    }
    drop(store);
}

/// How [`reset`] put a memory back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reset {
    /// The private pages, this many bytes, were copied back from the image
    /// and stay resident (and private: every later reset copies them too).
    Copied(usize),
    /// There were more private bytes (this many) than the caller would
    /// copy: they were dropped instead, and the next run faults in only
    /// what it touches.
    Shed(usize),
}

/// Puts the memory at `range` (a finished run's, recorded by `settle`) back
/// to `image`, the snapshot's memory as every sandbox starts with it. Each
/// page the process holds privately there, resident or swapped out, is
/// copied back from the image, or, when they come to more than
/// `shed_above` bytes, dropped (`MADV_DONTNEED`, which leaves a page of the
/// slot as wasmtime maps it: the snapshot's file or zeros, the image's
/// bytes either way); the pages it maps from the snapshot's file or as zeros
/// are the image already. So the memory reads as a fresh sandbox's, byte
/// for byte, as after wasmtime's own reset (which looks only at resident
/// pages). `None`, when the memory is not the image's size, the scan is
/// refused or finds more than [`SCAN_RANGES`] ranges, or a drop fails: the
/// Store must then be dropped rather than used again.
#[cfg(target_os = "linux")]
pub(crate) fn reset(range: (usize, usize), image: &[u8], shed_above: usize) -> Option<Reset> {
    let (start, end) = range;
    if end.checked_sub(start)? != image.len() || start % page_size() != 0 {
        return None;
    }
    let ranges = scan::private_ranges(start, end, SCAN_RANGES)?;
    let private: usize = ranges.iter().map(|(from, to)| to - from).sum();
    if private > shed_above {
        for (from, to) in ranges {
            // SAFETY: [from, to) lies in [start, end), the guest's linear
            // memory of a Store whose run is over (no guest code runs) and
            // which keeps it mapped; MADV_DONTNEED only drops the private
            // copies, as `shed` does.
            if unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED) } != 0 {
                return None;
            }
        }
        SHEDS.fetch_add(1, Ordering::Relaxed);
        return Some(Reset::Shed(private));
    }
    for (from, to) in ranges {
        let source = image.get(from - start..to - start)?;
        // SAFETY: [from, to) lies in [start, end), the guest's linear memory
        // of a Store whose run is over (no guest code runs, and nothing else
        // holds a reference into it) and which keeps it mapped; the image is
        // a separate read-only mapping, so the two do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(source.as_ptr(), from as *mut u8, to - from) };
    }
    Some(Reset::Copied(private))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn reset(_range: (usize, usize), _image: &[u8], _shed_above: usize) -> Option<Reset> {
    None
}

/// What the teardown of a run does to its memory before wasmtime resets it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Settle {
    /// The run took page faults: fill the smallest gaps between the dirty
    /// ranges of the memory at (start, end).
    Fill((usize, usize)),
    /// A settled slot's turn to drop every page of the memory at (start,
    /// end), so that it keeps only what the next runs write.
    Shed((usize, usize)),
}

/// Every this many settled runs (runs that took no page faults), one sheds
/// its slot's pages.
///
/// A page a run wrote stays a private copy in its slot after the reset, and
/// Linux reports every private page as written (there is no write tracking
/// without userfaultfd), so every later reset of the slot copies it back
/// from the snapshot whether or not that run touched it. A slot therefore
/// keeps, and copies on every reset, the union of all that its runs ever
/// wrote: the first run's compilation, a heavy run's heap. Shedding drops
/// them all (`MADV_DONTNEED`, as wasmtime's own decommit does: the memory
/// reads as the snapshot again) and the next run faults in only what it
/// uses. Measured side by side (release builds): with a trivial script a
/// settled slot keeps 29 private pages instead of 42 (the first run's
/// compilation no longer copied back on every reset), `isobox run --repeat`
/// went from a p50 of 39 or 40 us to 37, and `isobox serve`'s `/v1/run` of
/// `1 + 1` from about 11,250 to 15,100 requests/s at 8 connections, the
/// worker route unchanged. Shedding every 32 (with faults then counted per
/// process) cost a worker, whose requests dirty more ranges than wasmtime
/// keeps and so refill their gaps after each shed, a quarter of its rate at
/// 8 connections.
const SHED_EVERY: u64 = 256;

/// How many times a slot has shed its pages in this process.
static SHEDS: AtomicU64 = AtomicU64::new(0);

/// How many times a slot has shed its pages in this process (for tests and
/// benches, through `bench::pages_shed`).
pub(crate) fn sheds_so_far() -> u64 {
    SHEDS.load(Ordering::Relaxed)
}

/// Whether this settled run is the one in [`SHED_EVERY`] that sheds.
fn time_to_shed() -> bool {
    static SETTLED_RUNS: AtomicU64 = AtomicU64::new(0);
    sheds(SETTLED_RUNS.fetch_add(1, Ordering::Relaxed))
}

/// Whether the settled run counted `n` (from 0) sheds: the last of every
/// [`SHED_EVERY`].
fn sheds(n: u64) -> bool {
    n % SHED_EVERY == SHED_EVERY - 1
}

/// Drops every page of the memory at [start, end): the private copies go,
/// and the memory reads as the snapshot (or zeros, outside its image) until
/// the next run faults the pages it touches back in.
#[cfg(target_os = "linux")]
fn shed(start: usize, end: usize) {
    let Some((start, end)) = whole_pages(start, end) else {
        return;
    };
    SHEDS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: [start, end) is the guest's linear memory, which the Store
    // keeps mapped until it is dropped (just after this) and which no code
    // reads or writes meanwhile. MADV_DONTNEED on its private mappings
    // leaves it as wasmtime maps a slot it decommits: the snapshot's image
    // from its file, zeros elsewhere. A failure leaves the pages in place.
    unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
}

#[cfg(not(target_os = "linux"))]
fn shed(_start: usize, _end: usize) {}

/// The whole pages inside [start, end), if any.
#[cfg(target_os = "linux")]
fn whole_pages(start: usize, end: usize) -> Option<(usize, usize)> {
    let page = page_size();
    let start = start.next_multiple_of(page);
    let end = end / page * page;
    (end > start).then_some((start, end))
}

/// Page faults (of the thread that runs the guest, from the arming of a
/// run's Store to its `settle`) from which a run's memory is scanned. Faults
/// of other runs on the same thread, or a run moved to another thread
/// between arming and `settle`, only make a scan likelier or rarer.
const FAULTS_WORTH_A_SCAN: u64 = 8;

/// Minor page faults the calling thread has taken so far (0 elsewhere than
/// Linux). Per thread rather than per process, so that the faults of runs on
/// other cores (a slot that just shed its pages, say) do not send every run
/// in flight to scan its memory.
pub(crate) fn faults_so_far() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `usage` is a writable rusage for the call to fill.
        if unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) } == 0 {
            // SAFETY: getrusage returned 0, so it filled `usage`.
            return u64::try_from(unsafe { usage.assume_init() }.ru_minflt).unwrap_or(0);
        }
        0
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// Fills the smallest gaps between the dirty ranges of the memory at
/// [start, end) until at most [`TARGET_RANGES`] remain, keeping the dirty
/// and filled bytes within `budget` (the engine's keep-resident bytes).
#[cfg(target_os = "linux")]
fn settle(start: usize, end: usize, budget: usize) {
    let Some((start, end)) = whole_pages(start, end) else {
        return;
    };
    let Some(ranges) = scan::dirty_ranges(start, end, SCAN_RANGES) else {
        return;
    };
    for gap in gaps_to_fill(&ranges, budget) {
        // SAFETY: `gap` lies between two dirty ranges inside the guest's
        // linear memory, which the Store keeps mapped until it is dropped
        // (after this). MADV_POPULATE_WRITE only breaks copy-on-write
        // sharing: the kernel copies each page and its contents stay the
        // same.
        let failed =
            unsafe { libc::madvise(gap.0 as *mut libc::c_void, gap.1 - gap.0, libc::MADV_POPULATE_WRITE) } != 0;
        if failed {
            // An old kernel (before 5.14) or memory pressure: leave the rest.
            return;
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn settle(_start: usize, _end: usize, _budget: usize) {}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf with a valid name has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| s.is_power_of_two())
        .unwrap_or(4096)
}

/// The gaps (start, end) between `ranges` (sorted, disjoint) to fill so that
/// at most [`TARGET_RANGES`] remain: the smallest first, while the dirty and
/// filled bytes stay within `budget`. Nothing when there are few enough.
#[cfg(target_os = "linux")]
fn gaps_to_fill(ranges: &[(usize, usize)], budget: usize) -> Vec<(usize, usize)> {
    if ranges.len() <= WASMTIME_RANGES {
        return Vec::new();
    }
    let mut resident: usize = ranges.iter().map(|(s, e)| e - s).sum();
    let mut gaps: Vec<(usize, usize)> = ranges.windows(2).map(|w| (w[0].1, w[1].0)).collect();
    gaps.sort_by_key(|(s, e)| e - s);
    let mut chosen = Vec::new();
    for gap in gaps.into_iter().take(ranges.len() - TARGET_RANGES) {
        let size = gap.1 - gap.0;
        if resident + size > budget {
            break;
        }
        resident += size;
        chosen.push(gap);
    }
    chosen
}

#[cfg(target_os = "linux")]
mod scan {
    //! `PAGEMAP_SCAN` (Linux 6.7) on `/proc/self/pagemap`: the ranges of
    //! pages a process wrote to since they were mapped from a file or as
    //! zeros, as wasmtime's reset asks for them.

    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::sync::OnceLock;

    const PAGE_IS_WRITTEN: u64 = 1 << 1;
    const PAGE_IS_FILE: u64 = 1 << 2;
    const PAGE_IS_PRESENT: u64 = 1 << 3;
    const PAGE_IS_SWAPPED: u64 = 1 << 4;
    const PAGE_IS_PFNZERO: u64 = 1 << 5;

    /// `struct pm_scan_arg` of `linux/fs.h`.
    #[repr(C)]
    struct ScanArg {
        size: u64,
        flags: u64,
        start: u64,
        end: u64,
        walk_end: u64,
        vec: u64,
        vec_len: u64,
        max_pages: u64,
        category_inverted: u64,
        category_mask: u64,
        category_anyof_mask: u64,
        return_mask: u64,
    }

    /// `struct page_region` of `linux/fs.h`.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Region {
        start: u64,
        end: u64,
        categories: u64,
    }

    /// `_IOWR('f', 16, struct pm_scan_arg)`.
    const PAGEMAP_SCAN: libc::c_ulong =
        (3 << 30) | ((size_of::<ScanArg>() as libc::c_ulong) << 16) | ((b'f' as libc::c_ulong) << 8) | 16;

    fn pagemap() -> Option<&'static File> {
        static PAGEMAP: OnceLock<Option<File>> = OnceLock::new();
        PAGEMAP.get_or_init(|| File::open("/proc/self/pagemap").ok()).as_ref()
    }

    /// The dirty ranges of [start, end) in address order, or `None` when
    /// the scan is refused or there are more than `max` of them.
    pub(super) fn dirty_ranges(start: usize, end: usize, max: usize) -> Option<Vec<(usize, usize)>> {
        ranges(start, end, max, PAGE_IS_WRITTEN | PAGE_IS_PRESENT, 0)
    }

    /// The ranges of [start, end) that the process holds privately (pages
    /// written since they were mapped from a file or as zeros), resident
    /// or swapped out, in address order; `None` when the scan is refused
    /// or there are more than `max` of them.
    pub(super) fn private_ranges(start: usize, end: usize, max: usize) -> Option<Vec<(usize, usize)>> {
        ranges(start, end, max, 0, PAGE_IS_PRESENT | PAGE_IS_SWAPPED)
    }

    /// The ranges of [start, end) whose pages are neither file-backed nor
    /// the zero page, have every category of `all` and, unless it is 0, one
    /// of `any`.
    fn ranges(start: usize, end: usize, max: usize, all: u64, any: u64) -> Option<Vec<(usize, usize)>> {
        let file = pagemap()?;
        let mut regions = vec![
            Region {
                start: 0,
                end: 0,
                categories: 0
            };
            max
        ];
        let mut arg = ScanArg {
            size: size_of::<ScanArg>() as u64,
            flags: 0,
            start: start as u64,
            end: end as u64,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: max as u64,
            max_pages: 0,
            category_inverted: PAGE_IS_PFNZERO | PAGE_IS_FILE,
            category_mask: all | PAGE_IS_PFNZERO | PAGE_IS_FILE,
            category_anyof_mask: any,
            return_mask: 0,
        };
        // SAFETY: `arg` is a valid pm_scan_arg whose `vec` points at `max`
        // writable page_region entries that outlive the call; the ioctl
        // only reads the page tables of [start, end).
        let found = unsafe { libc::ioctl(file.as_raw_fd(), PAGEMAP_SCAN, &mut arg as *mut ScanArg) };
        let found = usize::try_from(found).ok()?;
        if arg.walk_end < end as u64 {
            return None;
        }
        Some(
            regions[..found.min(max)]
                .iter()
                .map(|r| (r.start as usize, r.end as usize))
                .collect(),
        )
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    fn ranges(n: usize, gap_pages: impl Fn(usize) -> usize) -> Vec<(usize, usize)> {
        let mut at = 0x10_0000;
        (0..n)
            .map(|i| {
                let range = (at, at + PAGE);
                at += PAGE * (1 + gap_pages(i));
                range
            })
            .collect()
    }

    #[test]
    fn few_ranges_are_left_alone() {
        assert!(gaps_to_fill(&ranges(WASMTIME_RANGES, |_| 3), usize::MAX).is_empty());
    }

    #[test]
    fn the_smallest_gaps_are_filled_down_to_the_target() {
        // 40 ranges, gaps of 1..=5 pages: 14 gaps filled, the smallest ones.
        let all = ranges(40, |i| 1 + i % 5);
        let chosen = gaps_to_fill(&all, usize::MAX);
        assert_eq!(chosen.len(), 40 - TARGET_RANGES);
        let largest_filled = chosen.iter().map(|(s, e)| e - s).max().unwrap();
        assert!(largest_filled <= 3 * PAGE, "filled a gap of {largest_filled} bytes");
        for (s, e) in &chosen {
            assert!(
                all.windows(2).any(|w| w[0].1 == *s && w[1].0 == *e),
                "{s:#x}..{e:#x} is not a gap"
            );
        }
    }

    #[test]
    fn filling_stops_at_the_budget() {
        let all = ranges(40, |_| 1);
        // 40 dirty pages plus room for 5 more.
        let chosen = gaps_to_fill(&all, 45 * PAGE);
        assert_eq!(chosen.len(), 5);
    }

    #[test]
    fn one_settled_run_in_shed_every_sheds() {
        let shedding: Vec<u64> = (0..SHED_EVERY * 3).filter(|n| sheds(*n)).collect();
        assert_eq!(shedding, vec![SHED_EVERY - 1, 2 * SHED_EVERY - 1, 3 * SHED_EVERY - 1]);
    }

    /// A private writable mapping of a file holding `contents`, as a slot
    /// maps its snapshot image; its address. `read_and_unmap` ends it.
    fn map_private_file(contents: &[u8], name: &str) -> usize {
        use std::os::fd::AsRawFd;
        let path = std::env::temp_dir().join(format!("isobox-{name}-{}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: a fresh private mapping of the file, unmapped by
        // `read_and_unmap`.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                contents.len(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        let _ = std::fs::remove_file(&path);
        assert_ne!(base, libc::MAP_FAILED);
        base as usize
    }

    /// The `len` bytes of the mapping at `base`, which is then unmapped.
    fn read_and_unmap(base: usize, len: usize) -> Vec<u8> {
        // SAFETY: a mapping of `map_private_file`, read before it is unmapped
        // and not used after.
        let bytes = unsafe { std::slice::from_raw_parts(base as *const u8, len) }.to_vec();
        // SAFETY: as above.
        unsafe { libc::munmap(base as *mut libc::c_void, len) };
        bytes
    }

    #[test]
    fn shedding_returns_written_pages_to_the_file_they_map() {
        let len = 8 * PAGE;
        let base = map_private_file(&vec![7u8; len], "shed");
        for page in [0, 3, 5] {
            // SAFETY: inside the mapping made above.
            unsafe { std::ptr::write_volatile((base + page * PAGE + 9) as *mut u8, 1) };
        }
        let before = scan::dirty_ranges(base, base + len, 16);
        shed(base, base + len);
        let after = scan::dirty_ranges(base, base + len, 16);
        let bytes = read_and_unmap(base, len);
        assert!(
            bytes.iter().all(|b| *b == 7),
            "a shed page still holds what was written"
        );
        if let (Some(before), Some(after)) = (before, after) {
            assert_eq!(before.len(), 3, "{before:x?}");
            assert!(after.is_empty(), "private pages left after shedding: {after:x?}");
        }
    }

    #[test]
    fn a_reset_copies_back_or_drops_exactly_the_private_pages() {
        // Reset to an image that holds the file's bytes.
        let len = 8 * PAGE;
        let image: Vec<u8> = (0..len).map(|i| (i / PAGE) as u8 + 1).collect();
        let base = map_private_file(&image, "reset");
        for page in [0, 3, 4, 7] {
            // SAFETY: inside the mapping made above.
            unsafe { std::ptr::write_bytes((base + page * PAGE + 100) as *mut u8, 0xee, 50) };
        }
        let wrong_size = reset((base, base + len - PAGE), &image[..len - PAGE * 2], usize::MAX);
        let copied = reset((base, base + len), &image, usize::MAX);
        // SAFETY: inside the mapping made above.
        unsafe { std::ptr::write_bytes((base + 6 * PAGE) as *mut u8, 0xee, 10) };
        let shed = reset((base, base + len), &image, 4 * PAGE);
        let bytes = read_and_unmap(base, len);
        assert_eq!(wrong_size, None, "a memory of another size than the image was reset");
        let Some(copied) = copied else {
            // A kernel without PAGEMAP_SCAN (before 6.7): nothing is recycled there.
            return;
        };
        assert_eq!(
            copied,
            Reset::Copied(4 * PAGE),
            "copied other pages than the written ones"
        );
        // The four copied pages stay private, with the one written since.
        assert_eq!(shed, Some(Reset::Shed(5 * PAGE)));
        assert!(bytes == image, "the memory is not the image after its resets");
    }

    #[test]
    fn a_scan_of_written_memory_finds_its_ranges() {
        // An anonymous mapping: three written pages with gaps between them.
        let len = 16 * PAGE;
        // SAFETY: a fresh private anonymous mapping, unmapped below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as usize;
        for page in [1, 2, 7, 12] {
            // SAFETY: inside the mapping made above.
            unsafe { std::ptr::write_volatile((base + page * PAGE) as *mut u8, 1) };
        }
        let found = scan::dirty_ranges(base, base + len, 16);
        // SAFETY: the mapping made above, no longer used.
        unsafe { libc::munmap(base as *mut libc::c_void, len) };
        let Some(found) = found else {
            // A kernel without PAGEMAP_SCAN (before 6.7): settle does nothing there.
            return;
        };
        let pages: Vec<(usize, usize)> = found
            .iter()
            .map(|(s, e)| ((s - base) / PAGE, (e - base) / PAGE))
            .collect();
        assert_eq!(pages, vec![(1, 3), (7, 8), (12, 13)]);
    }
}
