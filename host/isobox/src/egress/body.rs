//! The response body the guest reads: capped in size, bounded in time,
//! counted into the audit trail, and holding the connection (and the run's
//! concurrency permit) through its [`BodySlot`] until it ends, is dropped or
//! is cancelled because the run would otherwise wait forever for a slot.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;
use wasmtime_wasi::runtime::AbortOnDropJoinHandle;
use wasmtime_wasi_http::Error;

use super::audit::AuditLog;

/// Where the body reports its size and end.
pub(crate) struct AuditSlot {
    pub log: Arc<AuditLog>,
    pub index: usize,
    pub started: Instant,
}

/// What an open response body holds of the run's network resources: its
/// concurrency permit and its connection. Shared between the body and the
/// run's list of open bodies, so the run can cancel a body nobody reads
/// (see [`super::EgressRun::acquire_slot`]).
pub(crate) struct BodySlot {
    state: Mutex<SlotState>,
    log: Arc<AuditLog>,
    index: usize,
}

struct SlotState {
    permit: Option<OwnedSemaphorePermit>,
    connection: Option<AbortOnDropJoinHandle<()>>,
    /// The last time the guest asked for more of this body (or when it
    /// arrived).
    last_used: Instant,
    /// The guest is waiting for data that has not come yet: the body is
    /// being read, so the run is not stuck on it.
    waiting: bool,
    cancelled: bool,
    waker: Option<Waker>,
}

impl BodySlot {
    pub fn new(
        permit: Option<OwnedSemaphorePermit>,
        connection: AbortOnDropJoinHandle<()>,
        log: Arc<AuditLog>,
        index: usize,
    ) -> Arc<Self> {
        Arc::new(BodySlot {
            log,
            index,
            state: Mutex::new(SlotState {
                permit,
                connection: Some(connection),
                last_used: Instant::now(),
                waiting: false,
                cancelled: false,
                waker: None,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        // A poisoned lock only means a panic elsewhere; the state is plain data.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the body holds a permit and the guest is not reading it:
    /// `Some(last use)` when it could be cancelled to free its slot.
    pub fn idle_since(&self) -> Option<Instant> {
        let state = self.state();
        (state.permit.is_some() && !state.waiting && !state.cancelled).then_some(state.last_used)
    }

    /// Closes the connection and gives the permit back; the guest's next
    /// read of the body fails.
    pub fn cancel(&self) {
        let mut state = self.state();
        state.cancelled = true;
        state.permit = None;
        state.connection = None;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        drop(state);
        self.log.update(self.index, |record| {
            record.error = Some(CANCELLED.to_owned());
        });
    }

    /// Gives back the permit and the connection: the body is done.
    fn release(&self) {
        let mut state = self.state();
        state.permit = None;
        state.connection = None;
    }
}

/// The audit trail's note on a body cancelled unread.
const CANCELLED: &str = "cancelled unread to free a connection slot for a new request";

pub(crate) struct ResponseBody {
    pub inner: hyper::body::Incoming,
    pub limit: u64,
    pub received: u64,
    pub deadline: Pin<Box<Sleep>>,
    pub audit: AuditSlot,
    pub done: bool,
    pub slot: Arc<BodySlot>,
    /// The run's concurrency limit, for the message of a cancelled body.
    pub max_concurrent: u32,
}

impl ResponseBody {
    fn finish(&mut self, error: Option<&str>) {
        if self.done {
            return;
        }
        self.done = true;
        let (received, elapsed) = (self.received, self.audit.started.elapsed());
        self.audit.log.update(self.audit.index, |record| {
            record.response_bytes = received;
            record.duration_us = elapsed.as_micros().try_into().unwrap_or(u64::MAX);
            if let Some(error) = error {
                record.error = Some(error.to_owned());
            }
        });
        self.slot.release();
    }

    fn cancelled_error(&self) -> Error {
        Error::InternalError(Some(format!(
            "the response body was cancelled unread: the run needed its connection for a new \
             request and all {} of its connections (the egress policy's max_concurrent) held \
             bodies nobody was reading; read the body of each response you keep (for example \
             await response.text()) before starting more requests",
            self.max_concurrent
        )))
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        self.finish(None);
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        {
            let mut state = this.slot.state();
            if state.cancelled {
                drop(state);
                this.finish(Some(CANCELLED));
                return Poll::Ready(Some(Err(this.cancelled_error())));
            }
            state.last_used = Instant::now();
            state.waiting = false;
            state.waker = Some(cx.waker().clone());
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                this.finish(Some("the upstream connection failed while sending the body"));
                Poll::Ready(Some(Err(Error::Hyper(error))))
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                    if this.received > this.limit {
                        this.finish(Some("the response body is larger than the policy allows"));
                        return Poll::Ready(Some(Err(Error::HttpResponseBodySize(Some(this.limit)))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.finish(Some("the request took longer than the policy's request timeout"));
                    return Poll::Ready(Some(Err(Error::HttpResponseTimeout)));
                }
                this.slot.state().waiting = true;
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
