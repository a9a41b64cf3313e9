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

mod bridge;
mod clone;
mod console;
mod encoding;
mod engine;
mod eval;
mod event_loop;
mod failure;
mod fetch;
mod modules;
mod platform;
mod random;
mod rejections;
mod result;
mod subtle;
mod timers;
mod url;
mod web;
mod worker;

mod bindings {
    wit_bindgen::generate!({
        world: "sandbox",
        path: "../wit",
        with: { "wasi:io/poll@0.2.12": wasip2::io::poll },
        generate_all,
    });
}

use bindings::isobox::sandbox::types::{GuestError, RunRequest};

struct Sandbox;

impl bindings::Guest for Sandbox {
    fn wizer_initialize() {
        engine::initialise();
    }

    fn run(request: RunRequest) -> Result<Option<String>, GuestError> {
        engine::run(request)
    }
}

bindings::export!(Sandbox with_types_in bindings);
