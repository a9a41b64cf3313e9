//! Backpressure: at most `max_in_flight` runs at once and `max_queued`
//! requests waiting for one; past both, the request is turned away.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::metrics::Metrics;

/// Run slots and a bounded queue in front of them.
pub(crate) struct Gate {
    slots: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
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
    pub fn new(max_in_flight: usize, max_queued: usize) -> Gate {
        Gate {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            queued: AtomicUsize::new(0),
            max_queued,
        }
    }

    /// A run slot, at once or after waiting in the queue; `None` when the
    /// slots are taken and the queue is full.
    pub async fn admit(&self, metrics: &Metrics) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        let before = self.queued.fetch_add(1, Ordering::AcqRel);
        let _spot = QueueSpot(&self.queued);
        if before >= self.max_queued {
            return None;
        }
        let _queued = metrics.enter_queue();
        // The semaphore is never closed, so acquiring only fails if it were.
        self.slots.clone().acquire_owned().await.ok()
    }
}
