//! The isobox sandbox: QuickJS (through rquickjs) built as a `wasm32-wasip2`
//! component that exports the `isobox:sandbox/sandbox` world from `wit/`.
//!
//! # The snapshot contract
//!
//! `wizer-initialize` runs once, under wizer, before the host snapshots the
//! instance's memory. It creates the QuickJS runtime and context and installs
//! the built-ins (console, the per-run Math.random). It calls no host import,
//! reads no clock and keeps no randomness: anything it leaves in memory is
//! shared, byte for byte, by every run that starts from the snapshot.
//!
//! `run` is called exactly once per instance. Everything that must differ per
//! run (the random seed, the stack top, the input) is set at its start.

#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "proxy")]
mod app;
mod blob;
// A built app (`isobox build`, feature `proxy`) has no capabilities.
#[cfg_attr(feature = "proxy", path = "bridge_off.rs")]
mod bridge;
mod clone;
mod console;
mod crypto;
mod encoding;
mod engine;
mod eval;
mod event_loop;
mod failure;
mod fetch;
mod heap;
#[cfg(feature = "intl")]
mod intl;
mod modules;
mod platform;
mod random;
mod rejections;
mod result;
mod streams;
mod subtle;
mod text;
mod timers;
#[cfg(feature = "fuzzing")]
pub mod url;
#[cfg(not(feature = "fuzzing"))]
mod url;
mod wasi_stubs;
mod web;
mod worker;

#[cfg(not(feature = "proxy"))]
mod bindings {
    wit_bindgen::generate!({
        world: "sandbox",
        path: "../wit",
        with: { "wasi:io/poll@0.2.12": wasip2::io::poll },
        generate_all,
    });
}

/// A built app's world: the same imports (none of them called), no `run`;
/// `wasi:http/incoming-handler` is exported through the `wasip2` crate.
#[cfg(feature = "proxy")]
mod bindings {
    wit_bindgen::generate!({
        world: "app",
        path: "../wit",
        with: { "wasi:io/poll@0.2.12": wasip2::io::poll },
        generate_all,
    });
}

struct Sandbox;

#[cfg(not(feature = "proxy"))]
impl bindings::Guest for Sandbox {
    fn wizer_initialize() {
        engine::initialise();
    }

    fn run(
        request: bindings::isobox::sandbox::types::RunRequest,
    ) -> Result<Option<String>, bindings::isobox::sandbox::types::GuestError> {
        settle_pages();
        engine::run(request)
    }
}

#[cfg(feature = "proxy")]
impl bindings::Guest for Sandbox {
    fn wizer_initialize() {
        app::initialise();
    }
}

/// Shows the host this instance's linear memory first thing in a run,
/// before any of the run's code, so that it knows the whole memory: to keep
/// the pages the run dirties resident for the next run in the same slot, or
/// to put them back to the snapshot when it recycles the sandbox
/// (`isobox:sandbox/pages`). The host only reads the range.
#[cfg(not(feature = "proxy"))]
fn settle_pages() {
    #[cfg(target_arch = "wasm32")]
    {
        let end = core::arch::wasm32::memory_size(0) * 65536;
        // Address 0 cannot start a slice; nothing the host looks for is in
        // the first page's first byte either way.
        let start = std::ptr::with_exposed_provenance::<u8>(1);
        // SAFETY: [1, end) is this instance's linear memory, all of it
        // readable; the slice lives only for the call, during which no
        // code of the sandbox runs and the host changes no byte of it.
        let memory = unsafe { std::slice::from_raw_parts(start, end - 1) };
        bindings::isobox::sandbox::pages::settle(memory);
    }
}

bindings::export!(Sandbox with_types_in bindings);
#[cfg(feature = "proxy")]
use app::App;
#[cfg(feature = "proxy")]
wasip2::http::proxy::export!(App);
