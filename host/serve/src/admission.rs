//! Backpressure: at most `max_in_flight` runs at once and `max_queued`
//! requests waiting for one, each at most `max_queue_wait`; past those, the
//! request is turned away.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::metrics::Metrics;

/// Run slots and a bounded queue in front of them.
pub(crate) struct Gate {
    slots: Arc<Semaphore>,
    max_in_flight: usize,
    queued: AtomicUsize,
    max_queued: usize,
    max_wait: Duration,
}

/// What the gate says to a request.
pub(crate) enum Admission {
    /// A run slot, held until dropped.
    Admitted(OwnedSemaphorePermit),
    /// Every slot is taken and the queue is full.
    QueueFull,
    /// The request waited `max_queue_wait` without a slot coming free.
    TimedOut,
}

/// Leaves the queue when dropped (also when the client goes away while
/// waiting).
struct QueueSpot<'a>(&'a AtomicUsize);

impl Drop for QueueSpot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub fn new(max_in_flight: usize, max_queued: usize, max_wait: Duration) -> Gate {
        Gate {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            queued: AtomicUsize::new(0),
            max_queued,
            max_wait,
        }
    }

    /// Resolves once every run slot is free: no run in flight, including a
    /// streamed worker's whose response is sent but whose `ctx.waitUntil`
    /// work goes on.
    pub fn idle(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let slots = self.slots.clone();
        let all = u32::try_from(self.max_in_flight).ok();
        async move {
            if let Some(all) = all {
                let _ = slots.acquire_many_owned(all).await;
            }
        }
    }

    /// A run slot, at once or after waiting in the queue (at most
    /// `max_wait`).
    pub async fn admit(&self, metrics: &Metrics) -> Admission {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Admission::Admitted(permit);
        }
        let before = self.queued.fetch_add(1, Ordering::AcqRel);
        let _spot = QueueSpot(&self.queued);
        if before >= self.max_queued {
            return Admission::QueueFull;
        }
        let _queued = metrics.enter_queue();
        match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Admission::Admitted(permit),
            // The semaphore is never closed, so acquiring cannot fail.
            Ok(Err(_closed)) => Admission::QueueFull,
            Err(_elapsed) => Admission::TimedOut,
        }
    }
}
