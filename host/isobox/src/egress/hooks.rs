//! wasmtime-wasi-http's hooks for a run: every outgoing request of the guest
//! goes to [`EgressRun::send`]; there is no other way out.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::EgressRun;

/// The hooks one run's Store holds.
pub(crate) struct EgressHooks {
    pub run: Arc<EgressRun>,
    /// A journaled run's journal: its requests are recorded or replayed.
    pub journal: Option<crate::journal::JournalHandle>,
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

type Sent = Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Sent {
        // A span per request (debug: made only when a subscriber wants it,
        // as an OpenTelemetry exporter does), a child of the run's; the URL
        // without its query.
        let span = tracing::debug_span!(
            target: "isobox::fetch",
            "fetch",
            otel.name = %request.method(),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %request.method(),
            url.full = %without_query(request.uri()),
            http.response.status_code = tracing::field::Empty,
        );
        let sent = self.send(request);
        if span.is_disabled() {
            return sent;
        }
        let traced = span.clone();
        Box::new(tracing::Instrument::instrument(
            async move {
                let sent = Box::into_pin(sent).await;
                match &sent {
                    Ok((response, _)) => {
                        traced.record("http.response.status_code", response.status().as_u16());
                    }
                    Err(_) => {
                        traced.record("otel.status_code", "ERROR");
                    }
                }
                sent
            },
            span,
        ))
    }
}

/// `uri` without its query and fragment (which may carry what a trace
/// should not).
fn without_query(uri: &http::Uri) -> String {
    let mut shown = String::new();
    if let Some(scheme) = uri.scheme_str() {
        shown.push_str(scheme);
        shown.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        // No user:password@ either.
        shown.push_str(authority.as_str().rsplit('@').next().unwrap_or_default());
    }
    shown.push_str(uri.path());
    shown
}

impl EgressHooks {
    /// The request, journaled, refused or sent.
    fn send(&mut self, request: http::Request<WasiBody>) -> Sent {
        let run = self.run.clone();
        if let Some(journal) = &self.journal {
            let sent = crate::journal::send_fetch(journal.clone(), run, request);
            return Box::new(async move { Ok((sent.await?, Box::new(async { Ok(()) }) as IoFuture)) });
        }
        if let Some(rule) = run.approval_rule(request.method(), &request.uri().to_string()) {
            // Only a journaled run can pause for a person: fail closed.
            let message = format!(
                "fetch {} {}: the egress policy's {rule} asks for approval, and this run cannot pause (it is not journaled)",
                request.method(),
                request.uri()
            );
            let mut message = message;
            crate::text::truncate(&mut message, 1024, "...");
            return Box::new(async move { Err(Error::InternalError(Some(message))) });
        }
        Box::new(async move {
            let response = run.send(request).await?;
            // The connection's I/O is driven by a task the response body
            // owns; nothing is left for the caller to drive.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}
