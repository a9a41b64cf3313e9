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
        let compile = crate::sandbox::CompileOffer::default();
        let (called, store) = self
            .execute(request, guest_request, compile, Instant::now(), None, None)
            .await;
        let ok = matches!(called, Ok(Ok(Ok(_))));
        (ok, HeldSandbox { _store: store })
    }

    /// Creates a Store and instantiates the snapshot, then drops both: the
    /// cost of a sandbox that runs nothing.
    pub async fn instantiate_only(&self) {
        let limits = crate::Limits::default();
        let mut store = self.new_store(
            &limits,
            Instant::now() + limits.wall_time,
            crate::egress::EgressRun::new(None),
            crate::capability::RunBridge::new(
                &[],
                crate::capability::plugin_limits(&limits, Instant::now() + limits.wall_time, false),
            ),
        );
        self.inner
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiating the snapshot");
    }
}
