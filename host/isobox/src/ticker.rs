//! The epoch ticker: one thread per engine that advances wasmtime's epoch
//! while runs are in flight, and sleeps once none has been for a while.
//!
//! Each run's Store checks its wall-clock deadline whenever the epoch moves,
//! so the tick period bounds how late a timeout can fire. The thread keeps
//! ticking for `IDLE_TICKS` after the last run, so back-to-back runs do not
//! pay a wake-up each.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the epoch advances while a run is in flight.
pub(crate) const TICK: Duration = Duration::from_millis(1);
/// Ticks with no run in flight before the thread parks.
const IDLE_TICKS: u32 = 100;

struct Shared {
    active: AtomicUsize,
    sleeping: AtomicBool,
    stop: AtomicBool,
}

pub(crate) struct EpochTicker {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: wasmtime::Engine) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            active: AtomicUsize::new(0),
            sleeping: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("isobox-epoch".into())
            .spawn(move || tick(&state, &engine))?;
        Ok(EpochTicker {
            shared,
            thread: Some(thread),
        })
    }

    /// Marks a run as in flight until the guard drops.
    pub(crate) fn enter(&self) -> Ticking<'_> {
        // With `tick`'s store of `sleeping` before its load of `active`, all
        // SeqCst: either the thread sees this run, or this sees it asleep.
        let first = self.shared.active.fetch_add(1, SeqCst) == 0;
        if let Some(thread) = self
            .thread
            .as_ref()
            .filter(|_| first && self.shared.sleeping.load(SeqCst))
        {
            thread.thread().unpark();
        }
        Ticking { ticker: self }
    }
}

fn tick(state: &Shared, engine: &wasmtime::Engine) {
    let mut idle = 0;
    while !state.stop.load(SeqCst) {
        if state.active.load(SeqCst) == 0 {
            idle += 1;
            if idle > IDLE_TICKS {
                state.sleeping.store(true, SeqCst);
                if state.active.load(SeqCst) == 0 && !state.stop.load(SeqCst) {
                    std::thread::park();
                }
                state.sleeping.store(false, SeqCst);
                idle = 0;
                continue;
            }
        } else {
            idle = 0;
        }
        std::thread::sleep(TICK);
        engine.increment_epoch();
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// A run in flight; the ticker keeps ticking while any exists.
pub(crate) struct Ticking<'a> {
    ticker: &'a EpochTicker,
}

impl Drop for Ticking<'_> {
    fn drop(&mut self) {
        self.ticker.shared.active.fetch_sub(1, SeqCst);
    }
}
