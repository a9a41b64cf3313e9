//! Warm sandboxes: fresh instances made ahead of the runs that take them,
//! and Stores torn down after their runs, on one thread per engine, so that
//! a run's own path holds little more than its guest call.
//!
//! Nothing of one run reaches another any more than without them: a spare
//! is the snapshot instantiated into a brand-new Store, exactly as a run
//! would instantiate it itself, or a finished run's sandbox the thread put
//! back to the snapshot (recycle.rs); no code runs in it before its run,
//! and one run takes it. The run arms it with its own
//! limits and state ([`RunState::arm`]) when it takes it. A retired Store
//! is dropped (its slot reset and returned to the pool) on the thread
//! instead of the run's; at most as many as there are spares wait there, past that
//! a run drops its own, so the pool always has the room the engine sized it
//! for.
//!
//! When the thread falls behind (more runs at once than spares), runs
//! instantiate for themselves as before: spares only ever take work off a
//! run's path, never add a wait to it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use wasmtime::Store;

use crate::bindings::{Sandbox, SandboxPre};
use crate::sandbox::RunState;

/// A sandbox ready for a run: the snapshot instantiated in a Store no run
/// has used, or one recycled (recycle.rs).
pub(crate) struct Warm {
    pub store: Store<RunState>,
    pub sandbox: Sandbox,
    /// What recycling knows of its earlier runs.
    pub history: crate::recycle::History,
}

/// A finished run's sandbox handed to the thread.
pub(crate) enum Finished {
    /// To drop: its slot is reset and returned to the pool.
    Drop(Store<RunState>),
    /// To renew (recycle.rs) and keep as a spare.
    Renew(Warm),
}

impl Finished {
    /// The Store, for the caller to drop when the thread has no room.
    pub(crate) fn into_store(self) -> Store<RunState> {
        match self {
            Finished::Drop(store) => store,
            Finished::Renew(warm) => warm.store,
        }
    }
}

/// What the thread and the runs share.
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a spare was taken, a Store retired, or on stop.
    wake: Condvar,
    /// Spares kept ready, and retired Stores allowed to wait.
    capacity: usize,
}

#[derive(Default)]
struct Queue {
    ready: Vec<Warm>,
    /// Finished runs' sandboxes, to drop or renew.
    finished: Vec<Finished>,
    /// Set while the thread waits for work, so runs only signal it then.
    idle: bool,
    stop: bool,
}

/// Makes `Warm` sandboxes: how a blank Store is created and instantiated,
/// and the image that recycled ones are reset to (`None`: none are).
pub(crate) struct Factory {
    pub engine: wasmtime::Engine,
    pub pre: SandboxPre<RunState>,
    pub recycler: Option<std::sync::Arc<crate::recycle::Stash>>,
}

/// The engine's warm sandboxes and the thread that keeps them.
pub(crate) struct Spares {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Spares {
    /// Starts the thread, which makes `capacity` spares at once.
    pub(crate) fn start(factory: Factory, capacity: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            capacity,
        });
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("isobox-spares".into())
            .spawn(move || keep(&state, &factory))?;
        Ok(Spares {
            shared,
            thread: Some(thread),
        })
    }

    /// A fresh sandbox if one is ready; `None` when the thread is behind
    /// (the run instantiates its own).
    pub(crate) fn take(&self) -> Option<Warm> {
        let mut queue = self.shared.lock();
        let warm = queue.ready.pop();
        if warm.is_some() && queue.idle {
            queue.idle = false;
            self.shared.wake.notify_one();
        }
        warm
    }

    /// Hands a finished run's sandbox to the thread to drop or renew, or
    /// gives it back when enough already wait (the caller drops its Store).
    pub(crate) fn hand_over(&self, finished: Finished) -> Option<Finished> {
        let mut queue = self.shared.lock();
        if queue.stop || queue.finished.len() >= self.shared.capacity {
            return Some(finished);
        }
        queue.finished.push(finished);
        if queue.idle {
            queue.idle = false;
            self.shared.wake.notify_one();
        }
        None
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; if something did, the
        // queue is still a valid queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Spares {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: drops or renews finished runs' sandboxes first (dropping
/// frees pool slots, renewing makes spares), then tops up the spares, then
/// waits.
fn keep(shared: &Shared, factory: &Factory) {
    // Instantiation is async in an async-enabled engine; with no start
    // function it completes without waiting on anything.
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    loop {
        let (finished, wanted) = {
            let mut queue = shared.lock();
            loop {
                if queue.stop {
                    return;
                }
                let wanted = shared.capacity.saturating_sub(queue.ready.len());
                if !queue.finished.is_empty() || wanted > 0 {
                    break (std::mem::take(&mut queue.finished), wanted);
                }
                queue.idle = true;
                queue = shared.wake.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut wanted = wanted;
        for finished in finished {
            let renewed = match (finished, &factory.recycler) {
                (Finished::Renew(warm), Some(recycler)) => recycler.renew(warm),
                (finished, _) => Err(finished.into_store()),
            };
            match renewed {
                Ok(warm) if wanted > 0 => {
                    wanted -= 1;
                    shared.lock().ready.push(warm);
                }
                Ok(warm) => crate::pages::drop_store(warm.store),
                Err(store) => crate::pages::drop_store(store),
            }
        }
        for _ in 0..wanted {
            let mut store = factory.blank_store();
            match runtime.block_on(factory.pre.instantiate_async(&mut store)) {
                Ok(sandbox) => shared.lock().ready.push(Warm {
                    store,
                    sandbox,
                    history: crate::recycle::History::FRESH,
                }),
                // The pool is full (every slot in a run): try again when a
                // run retires its Store or takes a spare.
                Err(_) => {
                    let mut queue = shared.lock();
                    if queue.finished.is_empty() && !queue.stop {
                        queue.idle = true;
                        let _unused = shared.wake.wait(queue);
                    }
                    break;
                }
            }
        }
    }
}
