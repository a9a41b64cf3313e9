//! The two `wasi` functions a journaled run must answer itself:
//! `wasi:io/poll.poll` (which waits became ready is an answer from outside,
//! and the wait where only gates are left is where a run pauses) and the
//! monotonic clock's `subscribe-*` (a replayed timer is due at once: its
//! time comes from the journal, not from waiting). Both go straight to
//! wasmtime-wasi's own when the run is not journaled.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::clocks::WasiClocksView;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host as MonotonicHost;
use wasmtime_wasi_io::bindings::wasi::io::poll::Host as PollHost;

use super::Entry;
use super::state::Stop;
use crate::sandbox::RunState;

const POLL: &str = "wasi:io/poll@0.2.12";
const MONOTONIC: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Shadows `poll` and the monotonic `subscribe-*` in `linker` (after
/// wasmtime-wasi's were added).
pub(crate) fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(POLL)?.func_wrap_async(
        "poll",
        |mut store: StoreContextMut<'_, RunState>, (list,): (Vec<Resource<DynPollable>>,)| {
            Box::new(async move { poll(store.data_mut(), list).await.map(|ready| (ready,)) })
        },
    )?;
    let mut monotonic = linker.instance(MONOTONIC)?;
    monotonic.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, RunState>, (when,): (u64,)| {
            let state = store.data_mut();
            if state.journal.as_ref().is_some_and(|j| j.lock().replaying()) {
                // The clock read the live call makes, from the journal.
                state.clocks().now()?;
                return Ok((state.clocks().subscribe_duration(0)?,));
            }
            Ok((state.clocks().subscribe_instant(when)?,))
        },
    )?;
    monotonic.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, RunState>, (duration,): (u64,)| {
            let state = store.data_mut();
            let replaying = state.journal.as_ref().is_some_and(|j| j.lock().replaying());
            let duration = if replaying { 0 } else { duration };
            Ok((state.clocks().subscribe_duration(duration)?,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The trap that ends a journaled run the journal stopped; `conclude` reads
/// why from the journal.
pub(crate) fn stopped() -> wasmtime::Error {
    wasmtime::Error::msg("isobox: the journal stopped the run")
}

async fn poll(state: &mut RunState, list: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
    let Some(journal) = state.journal.clone() else {
        return PollHost::poll(&mut state.table, list).await;
    };
    let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
    let replayed = {
        let mut journal = journal.lock();
        if journal.stop.is_some() {
            return Err(stopped());
        }
        if journal.replaying() {
            match journal.next() {
                Some(Entry::Poll { n: recorded, ready }) if recorded == n && ready.iter().all(|i| *i < n) => {
                    Some(ready)
                }
                other => {
                    journal.diverge(&format!("a wait on {n} things"), other.as_ref());
                    return Err(stopped());
                }
            }
        } else {
            if journal.should_pause(n) {
                journal.stop = Some(Stop::Paused);
                return Err(stopped());
            }
            if journal.refuse_live(&format!("a wait on {n} things")) {
                return Err(stopped());
            }
            None
        }
    };
    if let Some(ready) = replayed {
        // What was ready then is ready now (replayed answers come at once,
        // replayed timers are due) once its task has run: wait for exactly
        // those, so the code finds them ready.
        for index in &ready {
            let pollable = Resource::<DynPollable>::new_borrow(list[*index as usize].rep());
            PollHost::poll(&mut state.table, vec![pollable]).await?;
        }
        return Ok(ready);
    }
    let ready = PollHost::poll(&mut state.table, list).await?;
    let mut journal = journal.lock();
    journal.record(Entry::Poll {
        n,
        ready: ready.clone(),
    });
    if journal.stop.is_some() {
        return Err(stopped());
    }
    Ok(ready)
}
