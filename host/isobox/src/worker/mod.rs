//! Workers-style HTTP handlers: code that is an ES module whose default
//! export has `fetch(request, env, ctx)`, as on Cloudflare Workers.
//! [`Engine::dispatch`] runs one HTTP request through it in a fresh sandbox,
//! on the same path as [`Engine::run`]: the same checks, limits, egress
//! filter and capabilities (`env`), and an [`Outcome`] with the logs, figures,
//! egress audit and any error.
//!
//! [`Engine::dispatch_streaming`] gives the Response as soon as the
//! handler's Response exists: its status and headers, its body as a
//! [`WorkerBody`] that streams chunk by chunk as the Response's stream gives
//! them (through a bounded buffer: a fast handler waits for a slow reader),
//! and the run's [`Outcome`] as a [`WorkerRun`] once the run is over.
//! [`Engine::dispatch`] reads the body whole. The request's body is always
//! whole, within `limits.input_bytes`; the Response's within
//! `limits.result_bytes` (over it: `output-limit`).
//!
//! Failures fail closed: once the head is out, a run that fails before the
//! body's end (a thrown error, a body over `result_bytes`, any limit) ends
//! the body with a [`BodyAborted`], never with a short body that looks
//! complete; a reader that drops the body before its end cancels the run
//! ([`ErrorKind::Cancelled`]). `ctx.waitUntil(promise)` promises are awaited
//! before the run ends (within its limits), possibly after the body's end;
//! `ctx.passThroughOnException()` does nothing (there is no origin to fall
//! back to).

mod http;
mod stream;

pub use http::{HttpRequest, HttpResponse};
pub use stream::{BodyAborted, WorkerBody, WorkerRun};

pub(crate) use stream::{Sink, cancelled};

use std::sync::{Arc, OnceLock};

use crate::outcome::{ErrorKind, Outcome, Phase, RunError};
use crate::{CodeForm, Engine, RunRequest};

/// What dispatching one HTTP request to a worker gave.
#[derive(Clone, Debug)]
pub struct WorkerOutcome {
    /// The handler's Response; when the run failed, an error response:
    /// `504` when the wall-clock limit ended it, `400` when the HTTP request
    /// itself was refused, `500` otherwise (a thrown error, a value that is
    /// not a Response, no `fetch` handler, any other limit), with the error
    /// as `text/plain`.
    pub response: HttpResponse,
    /// The run: `result` is `Ok(null)` when the handler answered, or the
    /// error; logs, figures, egress audit and capability calls as for any run.
    pub outcome: Outcome,
}

impl WorkerOutcome {
    /// True when the handler itself answered (whatever its status).
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// A worker's Response as it streams: the head is known, the body is
/// still coming. See [`Engine::dispatch_streaming`].
#[derive(Debug)]
pub struct WorkerResponse {
    /// The status, 200 to 599; for a run that failed before the handler's
    /// Response existed, that of the error response (see
    /// [`WorkerOutcome::response`]).
    pub status: u16,
    /// The headers, names in lower case, in the Response's order.
    pub headers: Vec<(String, String)>,
    /// Set when the run failed before the handler's Response existed: the
    /// status, headers and body are then the error response.
    pub error: Option<RunError>,
    /// The body, chunk by chunk. Dropping it before its end cancels the run.
    pub body: WorkerBody,
    /// The run's outcome, once it is over.
    pub run: WorkerRun,
}

impl WorkerResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The response of a dispatch refused before any sandbox ran.
    fn refused(error: RunError) -> Self {
        let outcome = crate::run::refused(error);
        let (sink, receivers) = Sink::new(0);
        let failure = Arc::new(OnceLock::new());
        sink.conclude(&outcome, &failure);
        let (outcome_tx, outcome_rx) = tokio::sync::oneshot::channel();
        let _ = outcome_tx.send(outcome);
        let mut response = WorkerResponse::pending(receivers.body, failure, outcome_rx);
        // `conclude` sent the head; a closed channel is not possible here.
        if let Ok(head) = { receivers.head }.try_recv() {
            response.set_head(head);
        }
        response
    }

    fn pending(
        body: tokio::sync::mpsc::Receiver<stream::Piece>,
        failure: Arc<OnceLock<RunError>>,
        outcome: tokio::sync::oneshot::Receiver<Outcome>,
    ) -> Self {
        WorkerResponse {
            status: 500,
            headers: Vec::new(),
            error: None,
            body: WorkerBody::new(body, failure),
            run: WorkerRun::new(outcome),
        }
    }

    fn set_head(&mut self, head: stream::Head) {
        self.status = head.status;
        self.headers = head.headers;
        self.error = head.error;
    }
}

impl Engine {
    /// Runs the worker `request.code` (an ES module; `request.form` is set
    /// to [`CodeForm::Module`]) on one HTTP request in a brand-new sandbox,
    /// and gives its Response as soon as its head is known, the body still
    /// streaming. The run goes on in a task of its own (this must be called
    /// within a tokio runtime).
    ///
    /// - The body's chunks are those the Response's stream gives, as it
    ///   gives them; at most 8 chunks (of at most 64 KiB) wait in the host,
    ///   and past them the handler's reads wait for the reader.
    /// - The body ends (`None`) only when the handler's body is complete. A
    ///   run that fails after the head (a thrown error, a body over
    ///   `limits.result_bytes`, the wall-clock or any other limit) ends it
    ///   with `Some(Err(BodyAborted))` instead: never a short body that
    ///   looks whole.
    /// - Dropping the body before its end (or this future before the head)
    ///   cancels the run: its outcome is an [`ErrorKind::Cancelled`] error.
    /// - A run that fails before the head gives the error response
    ///   ([`WorkerOutcome::response`]) with [`WorkerResponse::error`] set.
    ///
    /// Never panics.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), isobox::EngineError> {
    /// # let engine = isobox::Engine::builder().build().await?;
    /// use isobox::RunRequest;
    /// use isobox::worker::HttpRequest;
    /// let code = "export default { fetch: () => new Response(new ReadableStream({ \
    ///     start(c) { c.enqueue(new TextEncoder().encode('a')); c.enqueue(new TextEncoder().encode('b')); c.close(); } })) }";
    /// let mut response = engine.dispatch_streaming(RunRequest::new(code), HttpRequest::new("GET", "http://localhost/")).await;
    /// assert_eq!(response.status, 200);
    /// let mut body = Vec::new();
    /// while let Some(chunk) = response.body.chunk().await {
    ///     body.extend_from_slice(&chunk.expect("the body is complete"));
    /// }
    /// assert_eq!(body, b"ab");
    /// assert!(response.run.await.is_ok());
    /// # Ok(()) }
    /// ```
    pub async fn dispatch_streaming(&self, mut request: RunRequest, http: HttpRequest) -> WorkerResponse {
        request.form = CodeForm::Module;
        if tokio::runtime::Handle::try_current().is_err() {
            return WorkerResponse::refused(RunError::new(
                Phase::Input,
                ErrorKind::Internal,
                "Engine::dispatch must be called within a tokio runtime (its timer enforces the wall-clock limit)",
            ));
        }
        let guest_http = match http.check(&request.limits) {
            Ok(checked) => checked,
            Err(message) => {
                return WorkerResponse::refused(RunError::new(Phase::Input, ErrorKind::InvalidInput, message));
            }
        };
        if let Err(error) = crate::packages::link(self.inner.packages.as_ref(), &mut request).await {
            return WorkerResponse::refused(error);
        }
        let mut prepared = match self.prepare(&mut request) {
            Ok(prepared) => prepared,
            Err(error) => return WorkerResponse::refused(error),
        };
        prepared.guest.http = Some(guest_http);
        let (sink, receivers) = Sink::new(request.limits.result_bytes);
        let failure = Arc::new(OnceLock::new());
        let (outcome_tx, outcome_rx) = tokio::sync::oneshot::channel();
        let mut response = WorkerResponse::pending(receivers.body, failure.clone(), outcome_rx);
        let engine = self.clone();
        // The run's task keeps the caller's span (a request's trace).
        tokio::spawn(tracing::Instrument::in_current_span(async move {
            // The semaphore is never closed, so acquire cannot fail.
            let _slot = engine.inner.slots.acquire().await;
            let _ticking = engine.inner.ticker.enter();
            let cancel = sink.reader_gone();
            let (mut outcome, sink) = engine
                .run_prepared(&request, prepared, Some((sink, cancel)), None)
                .await;
            if let Some(mut sink) = sink {
                if let Some(refused) = sink.refused.take() {
                    // The host's refusal (the reader gone, a head or body
                    // over its limit) explains whatever the guest made of it.
                    outcome.result = Err(refused);
                } else if outcome.result.is_ok() {
                    outcome.result = if sink.ended() {
                        Ok(serde_json::Value::Null)
                    } else {
                        Err(RunError::new(
                            Phase::Run,
                            ErrorKind::Internal,
                            "the worker finished without completing its response",
                        ))
                    };
                }
                sink.conclude(&outcome, &failure);
            }
            let _ = outcome_tx.send(outcome);
        }));
        // Dropping this future drops the body's receiver: the run is
        // cancelled.
        match receivers.head.await {
            Ok(head) => response.set_head(head),
            // The task ended without a head: only when the runtime shut down.
            Err(_) => {
                response.error = Some(RunError::new(
                    Phase::Run,
                    ErrorKind::Internal,
                    "the worker's run was dropped before it answered (the runtime shut down)",
                ))
            }
        }
        response
    }

    /// Runs the worker `request.code` (an ES module; `request.form` is set to
    /// [`CodeForm::Module`]) on one HTTP request in a brand-new sandbox, and
    /// gives its Response, body read whole, once the run is over (after any
    /// `ctx.waitUntil` work). Never panics; every failure becomes an error
    /// response (see [`WorkerOutcome::response`]) and a typed [`RunError`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), isobox::EngineError> {
    /// # let engine = isobox::Engine::builder().build().await?;
    /// use isobox::RunRequest;
    /// use isobox::worker::HttpRequest;
    /// let code = "export default { fetch: (request) => new Response('hi ' + request.method, { status: 201 }) }";
    /// let done = engine.dispatch(RunRequest::new(code), HttpRequest::new("POST", "http://localhost/")).await;
    /// assert_eq!(done.response.status, 201);
    /// assert_eq!(done.response.body, b"hi POST");
    /// # Ok(()) }
    /// ```
    pub async fn dispatch(&self, request: RunRequest, http: HttpRequest) -> WorkerOutcome {
        let mut streaming = self.dispatch_streaming(request, http).await;
        let mut body = Vec::new();
        while let Some(chunk) = streaming.body.chunk().await {
            match chunk {
                Ok(chunk) => body.extend_from_slice(&chunk),
                // The outcome says why.
                Err(_) => break,
            }
        }
        let outcome = streaming.run.await;
        if outcome.result.is_err() {
            return with_error_response(outcome);
        }
        WorkerOutcome {
            response: HttpResponse {
                status: streaming.status,
                headers: streaming.headers,
                body,
            },
            outcome,
        }
    }
}

fn with_error_response(outcome: Outcome) -> WorkerOutcome {
    let response = match &outcome.result {
        Err(error) => HttpResponse::for_error(error),
        Ok(_) => HttpResponse::plain(500, "the worker failed\n"),
    };
    WorkerOutcome { response, outcome }
}
