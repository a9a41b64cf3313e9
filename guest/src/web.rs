//! The small web platform APIs of web.js, and their host-backed parts:
//! randomness from the host (`wasi:random`, a CSPRNG, per call, so nothing of
//! the snapshot is reused) and a clock that starts with the run.

use std::cell::Cell;

use rquickjs::{Ctx, Function, Object, TypedArray};
use wasip2::clocks::{monotonic_clock, wall_clock};

use crate::console::{Level, write};

const PRELUDE: &str = include_str!("web.js");

thread_local! {
    /// Monotonic nanoseconds when the run started (0 in the snapshot).
    static RUN_START: Cell<u64> = const { Cell::new(0) };
}

/// Defines the globals. Runs at wizer time: no clock or randomness is read.
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:web", PRELUDE)?;
    let fill_random = Function::new(ctx.clone(), |bytes: TypedArray<'_, u8>| -> rquickjs::Result<()> {
        let Some(raw) = bytes.as_raw() else { return Ok(()) };
        let length = raw.len();
        let random = wasip2::random::random::get_random_bytes(length as u64);
        // SAFETY: `raw` points at the typed array's `length` live bytes, and
        // no JS runs while they are written.
        unsafe { std::ptr::copy_nonoverlapping(random.as_ptr(), raw.cast::<u8>().as_ptr(), length.min(random.len())) };
        Ok(())
    })?;
    let now = Function::new(ctx.clone(), || {
        monotonic_clock::now().saturating_sub(RUN_START.with(Cell::get)) as f64 / 1e6
    })?;
    let report = Function::new(ctx.clone(), |line: String| {
        let _ = write(Level::Error, &line);
    })?;
    let origin = Function::new(ctx.clone(), || {
        // The wall-clock time of the run's start, read only when asked for.
        let wall = wall_clock::now();
        let wall_ms = wall.seconds as f64 * 1e3 + f64::from(wall.nanoseconds) / 1e6;
        let since_start_ms = monotonic_clock::now().saturating_sub(RUN_START.with(Cell::get)) as f64 / 1e6;
        wall_ms - since_start_ms
    })?;
    let _performance: Object = installer.call((fill_random, now, report, origin))?;
    Ok(())
}

/// Starts the run's clock: `performance.now()` counts from here, and
/// `performance.timeOrigin` is the wall-clock time of it.
pub fn start_run() {
    RUN_START.with(|start| start.set(monotonic_clock::now()));
}
