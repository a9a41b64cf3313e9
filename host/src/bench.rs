//! Hooks for `benches/run.rs`: measurements the public API cannot make.
//! Not part of the supported API.

use std::time::Instant;

use wasmtime::Store;

use crate::sandbox::RunState;
use crate::{Engine, RunRequest};

/// A sandbox that has run and is kept alive (its instance, memory and Store),
/// as a run in flight would be.
pub struct HeldSandbox {
    _store: Store<RunState>,
}

impl Engine {
    /// Runs `request` but keeps the sandbox instead of tearing it down.
    /// Returns whether the run succeeded. Holds one pool slot until dropped.
    pub async fn run_and_hold(&self, request: &RunRequest) -> (bool, HeldSandbox) {
        let guest_request = self.prepare_for_bench(request).expect("bench requests are valid");
        let _ticking = self.inner.ticker.enter();
        let (called, store) = self.execute(request, guest_request, Instant::now()).await;
        let ok = matches!(called, Ok(Ok(Ok(_))));
        (ok, HeldSandbox { _store: store })
    }

    /// Creates a Store and instantiates the snapshot, then drops both: the
    /// cost of a sandbox that runs nothing.
    pub async fn instantiate_only(&self) {
        let request = RunRequest::new("0");
        let deadline = Instant::now() + request.limits.wall_time;
        let console = crate::console::LogCapture::new(0, 0);
        let mut store = Store::new(
            &self.inner.engine,
            RunState::new(request.limits.memory_bytes, console, deadline),
        );
        store.limiter(|state| &mut state.memory);
        if self.inner.config.fuel_metering {
            let _ = store.set_fuel(request.limits.fuel);
        }
        // Far enough that the epoch never interrupts an instantiation.
        store.set_epoch_deadline(u64::MAX / 2);
        self.inner
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiating the snapshot");
        drop(store);
    }
}
