//! Workers-style HTTP handlers: code that is an ES module whose default
//! export has `fetch(request, env, ctx)`, as on Cloudflare Workers.
//! [`Engine::dispatch`] runs one HTTP request through it in a fresh sandbox,
//! on the same path as [`Engine::run`]: the same checks, limits, egress
//! filter and capabilities (`env`), and an [`Outcome`] with the logs, figures,
//! egress audit and any error.
//!
//! The body of the request and of the Response is buffered whole: the
//! request's within `limits.input_bytes`, the Response's within
//! `limits.result_bytes`. `ctx.waitUntil(promise)` promises are awaited before
//! the run ends (within its limits); `ctx.passThroughOnException()` does
//! nothing (there is no origin to fall back to).

mod http;

pub use http::{HttpRequest, HttpResponse};

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

impl Engine {
    /// Runs the worker `request.code` (an ES module; `request.form` is set to
    /// [`CodeForm::Module`]) on one HTTP request in a brand-new sandbox, and
    /// gives its Response. Never panics; every failure becomes an error
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
    pub async fn dispatch(&self, mut request: RunRequest, http: HttpRequest) -> WorkerOutcome {
        request.form = CodeForm::Module;
        if tokio::runtime::Handle::try_current().is_err() {
            return failed(RunError::new(
                Phase::Input,
                ErrorKind::Internal,
                "Engine::dispatch must be called within a tokio runtime (its timer enforces the wall-clock limit)",
            ));
        }
        let guest_http = match http.check(&request.limits) {
            Ok(checked) => checked,
            Err(message) => return failed(RunError::new(Phase::Input, ErrorKind::InvalidInput, message)),
        };
        let mut prepared = match self.prepare(&mut request) {
            Ok(prepared) => prepared,
            Err(error) => return failed(error),
        };
        prepared.guest.http = Some(guest_http);
        // The semaphore is never closed, so acquire cannot fail.
        let _slot = self.inner.slots.acquire().await;
        let _ticking = self.inner.ticker.enter();
        let (mut outcome, response) = self.run_prepared(&request, prepared).await;
        match (&outcome.result, response) {
            (Ok(_), Some(response)) => {
                outcome.result = Ok(serde_json::Value::Null);
                WorkerOutcome {
                    response: HttpResponse::from_guest(response),
                    outcome,
                }
            }
            (Ok(_), None) => {
                outcome.result = Err(RunError::new(
                    Phase::Run,
                    ErrorKind::Internal,
                    "the worker finished without a response",
                ));
                with_error_response(outcome)
            }
            (Err(_), _) => with_error_response(outcome),
        }
    }
}

/// A dispatch refused before any sandbox ran.
fn failed(error: RunError) -> WorkerOutcome {
    with_error_response(crate::run::refused(error))
}

fn with_error_response(outcome: Outcome) -> WorkerOutcome {
    let response = match &outcome.result {
        Err(error) => HttpResponse::for_error(error),
        Ok(_) => HttpResponse::plain(500, "the worker failed\n"),
    };
    WorkerOutcome { response, outcome }
}
