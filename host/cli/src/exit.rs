//! Exit codes: they tell ok, a JS error, a limit and bad usage apart.

use std::process::ExitCode;

use isobox::ErrorKind;

/// The code ran and produced a result.
pub const OK: u8 = 0;
/// The code failed: it threw, did not parse, or its result is not JSON.
pub const JS_ERROR: u8 = 1;
/// Bad usage: unknown flags, a missing file, bad `--input`, limits out of
/// range, empty or oversized or non-UTF-8 code (clap also uses 2).
pub const USAGE: u8 = 2;
/// A limit stopped the run: time, fuel, memory, stack or output.
pub const LIMIT: u8 = 3;
/// isobox itself failed (the engine could not be built, the sandbox trapped).
pub const INTERNAL: u8 = 4;
/// The run paused: it waits for approval of a call (`--resume` it).
pub const PENDING: u8 = 5;
/// A replay diverged from its journal (the code, input, grants or engine changed).
pub const DIVERGED: u8 = 6;

/// The exit code for a run's error kind.
pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        kind if kind.is_limit() => LIMIT,
        ErrorKind::InvalidInput => USAGE,
        ErrorKind::Internal => INTERNAL,
        ErrorKind::PendingApproval => PENDING,
        ErrorKind::ReplayDiverged => DIVERGED,
        _ => JS_ERROR,
    }
}

/// Prints `isobox: message` to stderr and returns `code`.
pub fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("isobox: {message}");
    ExitCode::from(code)
}
