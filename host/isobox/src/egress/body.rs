//! The response body the guest reads: capped in size, bounded in time,
//! counted into the audit trail, and holding the connection (and the run's
//! concurrency permit) until it ends or is dropped.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
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

pub(crate) struct ResponseBody {
    pub inner: hyper::body::Incoming,
    pub limit: u64,
    pub received: u64,
    pub deadline: Pin<Box<Sleep>>,
    pub audit: AuditSlot,
    pub done: bool,
    pub _connection: AbortOnDropJoinHandle<()>,
    pub _permit: Option<OwnedSemaphorePermit>,
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
        self._permit = None;
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
