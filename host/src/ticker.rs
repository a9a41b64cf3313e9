//! The epoch ticker: one thread per engine that advances wasmtime's epoch
//! while runs are in flight, and sleeps when none is.
//!
//! Each run's Store checks its wall-clock deadline whenever the epoch moves,
//! so the tick period bounds how late a timeout can fire.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the epoch advances while a run is in flight.
pub(crate) const TICK: Duration = Duration::from_millis(1);

struct Shared {
    active: AtomicUsize,
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
            stop: AtomicBool::new(false),
        });
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("isobox-epoch".into()).spawn(move || {
            while !state.stop.load(Ordering::Acquire) {
                if state.active.load(Ordering::Acquire) == 0 {
                    // `enter` unparks; a wake-up that races this park is kept
                    // as the thread's token, so none is lost.
                    std::thread::park();
                    continue;
                }
                std::thread::park_timeout(TICK);
                engine.increment_epoch();
            }
        })?;
        Ok(EpochTicker {
            shared,
            thread: Some(thread),
        })
    }

    /// Marks a run as in flight until the guard drops.
    pub(crate) fn enter(&self) -> Ticking<'_> {
        if self.shared.active.fetch_add(1, Ordering::AcqRel) == 0 {
            if let Some(thread) = &self.thread {
                thread.thread().unpark();
            }
        }
        Ticking { ticker: self }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
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
        self.ticker.shared.active.fetch_sub(1, Ordering::AcqRel);
    }
}
