//! A worker's Response as it streams out of its run: the [`Sink`] the run's
//! Store holds (the guest's `respond-head`, `respond-chunk` and
//! `respond-end` land there), and the caller's halves: the [`WorkerBody`]
//! (a bounded channel of chunks) and the [`WorkerRun`] (the outcome, once
//! the run is over).
//!
//! Fail closed: the body ends only on the guest's `respond-end`. A run that
//! is over without it (a thrown error, a limit, a trap, a body over
//! `result_bytes`) closes the channel without an end, and the reader gets a
//! [`BodyAborted`] instead of a short body that looks complete.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::outcome::{ErrorKind, Outcome, Phase, RunError};

/// How many chunks the host buffers between the guest and the reader; past
/// them `respond-chunk` waits for the reader (backpressure). The guest sends
/// chunks of at most 64 KiB, and the whole body is within `result_bytes`.
pub(crate) const BODY_CHANNEL_CHUNKS: usize = 8;

/// The most header bytes (names, values and 4 per field) and fields a
/// worker's Response head may carry; the guest checks the same first.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEAD_FIELDS: usize = 4096;

/// What goes through the body channel.
pub(crate) enum Piece {
    Chunk(Bytes),
    /// The body is complete.
    End,
}

/// The Response head, as the guest sent it or as the host made it for a
/// run that failed before there was one.
pub(crate) struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Set for the error response of a run that failed before its head.
    pub error: Option<RunError>,
}

/// The run's end of the stream, kept in its Store.
pub(crate) struct Sink {
    head: Option<oneshot::Sender<Head>>,
    body: mpsc::Sender<Piece>,
    /// Set (before the end is sent) once the body is complete.
    ended: Arc<AtomicBool>,
    sent_bytes: u64,
    max_body_bytes: u64,
    /// Why the host refused the stream (the client went away, a head or a
    /// body over its limit): the run's error, whatever the guest says.
    pub refused: Option<RunError>,
}

/// The caller's halves, before the run starts.
pub(crate) struct Receivers {
    pub head: oneshot::Receiver<Head>,
    pub body: mpsc::Receiver<Piece>,
}

impl Sink {
    /// A sink for a body of at most `max_body_bytes`, and the halves to
    /// read it.
    pub fn new(max_body_bytes: u32) -> (Sink, Receivers) {
        let (head_tx, head_rx) = oneshot::channel();
        let (body_tx, body_rx) = mpsc::channel(BODY_CHANNEL_CHUNKS);
        let sink = Sink {
            head: Some(head_tx),
            body: body_tx,
            ended: Arc::new(AtomicBool::new(false)),
            sent_bytes: 0,
            max_body_bytes: u64::from(max_body_bytes),
            refused: None,
        };
        (
            sink,
            Receivers {
                head: head_rx,
                body: body_rx,
            },
        )
    }

    /// Resolves when the reader dropped the body before its end: the run
    /// is to be cancelled. Never resolves once the body is complete.
    pub fn reader_gone(&self) -> crate::run::CancelSignal {
        let body = self.body.clone();
        let ended = self.ended.clone();
        Box::pin(async move {
            body.closed().await;
            if ended.load(Ordering::Acquire) {
                std::future::pending::<()>().await;
            }
        })
    }

    /// Whether the head went out.
    pub fn head_sent(&self) -> bool {
        self.head.is_none()
    }

    /// Whether the body is complete.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    fn refuse(&mut self, error: RunError) {
        self.refused.get_or_insert(error);
    }

    /// The guest's `respond-head`: the first is kept, after the host's own
    /// check of the status and the header caps.
    pub fn head(&mut self, status: u16, headers: Vec<(String, String)>) {
        if self.refused.is_some() {
            return;
        }
        let Some(sender) = self.head.take() else {
            return;
        };
        if !(200..=599).contains(&status) {
            self.refuse(RunError::new(
                Phase::Run,
                ErrorKind::Internal,
                format!("the worker's Response has status {status}, outside 200-599"),
            ));
            return;
        }
        let bytes: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
        if bytes > MAX_HEAD_BYTES || headers.len() > MAX_HEAD_FIELDS {
            self.refuse(RunError::new(
                Phase::Serialise,
                ErrorKind::OutputLimit,
                format!(
                    "the response headers are {bytes} bytes in {} fields, over the {MAX_HEAD_BYTES} bytes \
                     or {MAX_HEAD_FIELDS} fields a response may carry",
                    headers.len()
                ),
            ));
            return;
        }
        // A reader that is gone shows at the first chunk.
        let _ = sender.send(Head {
            status,
            headers,
            error: None,
        });
    }

    /// The guest's `respond-chunk`: waits while the channel is full; false
    /// when the stream is refused (no head, the reader is gone, the body is
    /// over its limit), and the guest sends nothing more.
    pub async fn chunk(&mut self, chunk: Vec<u8>) -> bool {
        if self.refused.is_some() || self.ended() {
            return false;
        }
        if !self.head_sent() {
            self.refuse(RunError::new(
                Phase::Run,
                ErrorKind::Internal,
                "the worker sent a body chunk before its Response head",
            ));
            return false;
        }
        self.sent_bytes = self.sent_bytes.saturating_add(chunk.len() as u64);
        if self.sent_bytes > self.max_body_bytes {
            self.refuse(RunError::new(
                Phase::Serialise,
                ErrorKind::OutputLimit,
                format!(
                    "the response body is over {} bytes (the result_bytes limit)",
                    self.max_body_bytes
                ),
            ));
            return false;
        }
        if chunk.is_empty() {
            return true;
        }
        if self.body.send(Piece::Chunk(Bytes::from(chunk))).await.is_err() {
            self.refuse(cancelled());
            return false;
        }
        true
    }

    /// The guest's `respond-end`.
    pub async fn end(&mut self) {
        if self.refused.is_some() || self.ended() || !self.head_sent() {
            return;
        }
        let reserved = match self.body.reserve().await {
            Ok(permit) => {
                // Before the end is visible, so the reader dropping the body
                // after it does not cancel the run.
                self.ended.store(true, Ordering::Release);
                permit.send(Piece::End);
                true
            }
            Err(_) => false,
        };
        if !reserved {
            self.refuse(cancelled());
        }
    }

    /// After the run: a head for a run that failed before it had one (the
    /// error response, body included), and the failure a reader of a body
    /// cut short is given.
    pub fn conclude(mut self, outcome: &Outcome, failure: &OnceLock<RunError>) {
        let error = match &outcome.result {
            Err(error) => error.clone(),
            Ok(_) => RunError::new(
                Phase::Run,
                ErrorKind::Internal,
                "the worker finished without completing its response",
            ),
        };
        if let Some(sender) = self.head.take() {
            let response = super::HttpResponse::for_error(&error);
            let _ = sender.send(Head {
                status: response.status,
                headers: response.headers,
                error: Some(error),
            });
            // The channel is empty: nothing is sent before a head.
            let _ = self.body.try_send(Piece::Chunk(Bytes::from(response.body)));
            self.ended.store(true, Ordering::Release);
            let _ = self.body.try_send(Piece::End);
        } else if !self.ended() {
            let _ = failure.set(error);
        }
        // Dropping the sender closes the channel: without an end, the
        // reader sees the body aborted.
    }
}

/// The error of a run whose reader went away.
pub(crate) fn cancelled() -> RunError {
    RunError::new(
        Phase::Run,
        ErrorKind::Cancelled,
        "the client went away before the response body was complete; the run was stopped",
    )
}

/// A streamed body that did not complete: the run failed after the head
/// was sent (a thrown error, a limit, a body over `result_bytes`), so the
/// body must not be taken as whole. [`error`](BodyAborted::error) says why.
#[derive(Clone, Debug)]
pub struct BodyAborted {
    error: RunError,
}

impl BodyAborted {
    /// The run's error.
    pub fn error(&self) -> &RunError {
        &self.error
    }
}

impl std::fmt::Display for BodyAborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the worker's response body was aborted: [{} / {}] {}",
            self.error.phase, self.error.kind, self.error.message
        )
    }
}

impl std::error::Error for BodyAborted {}

/// A worker's Response body as the run makes it: chunks from a bounded
/// channel (the run waits while it is full), ended only when the handler's
/// body is complete, or a [`BodyAborted`] when the run failed first.
/// Dropping it before its end cancels the run. Also an [`http_body::Body`],
/// for hyper and axum.
pub struct WorkerBody {
    chunks: mpsc::Receiver<Piece>,
    failure: Arc<OnceLock<RunError>>,
    done: bool,
}

impl WorkerBody {
    pub(crate) fn new(chunks: mpsc::Receiver<Piece>, failure: Arc<OnceLock<RunError>>) -> Self {
        WorkerBody {
            chunks,
            failure,
            done: false,
        }
    }

    /// The next chunk; `None` once the body is complete; `Some(Err(_))`
    /// (once, then `None`) when the run failed before the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyAborted>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyAborted>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Piece::Chunk(bytes))) => Poll::Ready(Some(Ok(bytes))),
            Poll::Ready(Some(Piece::End)) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                self.done = true;
                let error = self.failure.get().cloned().unwrap_or_else(|| {
                    RunError::new(
                        Phase::Run,
                        ErrorKind::Internal,
                        "the worker's run ended before its response body was complete",
                    )
                });
                Poll::Ready(Some(Err(BodyAborted { error })))
            }
        }
    }
}

impl http_body::Body for WorkerBody {
    type Data = Bytes;
    type Error = BodyAborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyAborted>>> {
        self.get_mut()
            .poll_chunk(cx)
            .map(|piece| piece.map(|result| result.map(http_body::Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl std::fmt::Debug for WorkerBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerBody").field("done", &self.done).finish()
    }
}

/// The run behind a streamed Response: a future of its [`Outcome`] (logs,
/// figures, egress audit, capability calls; `result` is `Ok(null)` when the
/// handler answered and its body was complete), ready when the run is over,
/// which may be after the body (`ctx.waitUntil` work).
#[derive(Debug)]
pub struct WorkerRun {
    outcome: oneshot::Receiver<Outcome>,
}

impl WorkerRun {
    pub(crate) fn new(outcome: oneshot::Receiver<Outcome>) -> Self {
        WorkerRun { outcome }
    }
}

impl Future for WorkerRun {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        Pin::new(&mut self.get_mut().outcome).poll(cx).map(|received| {
            received.unwrap_or_else(|_| {
                crate::run::refused(RunError::new(
                    Phase::Run,
                    ErrorKind::Internal,
                    "the worker's run was dropped before it ended (the runtime shut down)",
                ))
            })
        })
    }
}
