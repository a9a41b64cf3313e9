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

/// How many times a pool slot has shed its pages in this process
/// (`pages.rs`): one settled run in 256 does, on Linux.
pub fn pages_shed() -> u64 {
    crate::pages::sheds_so_far()
}

impl Engine {
    /// How many finished runs' sandboxes this engine renewed for another
    /// run (`recycle.rs`).
    pub fn sandboxes_recycled(&self) -> u64 {
        self.inner.recycler.as_ref().map_or(0, |stash| stash.renewed())
    }

    /// How many of this engine's renewals shed the sandbox's private pages
    /// instead of copying them back (`recycle.rs`).
    pub fn recycled_sandboxes_shed(&self) -> u64 {
        self.inner.recycler.as_ref().map_or(0, |stash| stash.shed())
    }

    /// Runs `request` but keeps the sandbox instead of tearing it down.
    /// Returns whether the run succeeded. Holds one pool slot until dropped.
    pub async fn run_and_hold(&self, request: &RunRequest) -> (bool, HeldSandbox) {
        let guest_request = self.prepare_for_bench(request).expect("bench requests are valid");
        let _ticking = self.inner.ticker.enter();
        let compile = crate::sandbox::CompileOffer::default();
        let (called, store, _) = self
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

impl Engine {
    /// Instantiates one sandbox, then evaluates `request` in it `runs` times
    /// and returns each call's time: the floor that a fresh sandbox's cost is
    /// measured against (the same guest call, with no Store, instance or
    /// reset around it). Later calls see what earlier ones left, which only
    /// a bench may allow.
    pub async fn run_in_one_sandbox(&self, request: &RunRequest, runs: usize) -> Vec<std::time::Duration> {
        let guest_request = self.prepare_for_bench(request).expect("bench requests are valid");
        let _ticking = self.inner.ticker.enter();
        let limits = &request.limits;
        let mut store = self.new_store(
            limits,
            Instant::now() + limits.wall_time,
            crate::egress::EgressRun::new(None),
            crate::capability::RunBridge::new(
                &[],
                crate::capability::plugin_limits(limits, Instant::now() + limits.wall_time, false),
            ),
        );
        let sandbox = self
            .inner
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiating the snapshot");
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            store.data_mut().clock.deadline = Instant::now() + limits.wall_time;
            if self.inner.config.fuel_metering {
                let _ = store.set_fuel(limits.fuel);
            }
            store.set_epoch_deadline(1);
            let start = Instant::now();
            let called = sandbox.call_run(&mut store, &guest_request).await;
            times.push(start.elapsed());
            assert!(matches!(called, Ok(Ok(_))), "the floor's run must succeed");
        }
        times
    }
}
