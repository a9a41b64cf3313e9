//! Request spans: one per request to a run, worker or workspace route,
//! named by its route and method, the parent of the run's span (and so of
//! its capability calls and fetches). A W3C `traceparent` header makes the
//! caller's span its parent; `isobox serve` exports the spans over OTLP
//! when the `OTEL_*` variables ask for it. Without an exporter the spans
//! are only the context of the server's log lines.

use axum::http::{HeaderMap, Method, StatusCode};
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The span of a request to `route` (`/v1/run`) with `method`, holding its
/// request id; the tenant and the status are recorded on it later.
pub(crate) fn server_span(route: &str, method: &Method, request_id: &str, headers: &HeaderMap) -> tracing::Span {
    // Only what the console's log lines should show is a field; the rest
    // goes to the exported span alone (a no-op without an exporter).
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        request_id = %request_id,
        tenant = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    span.set_attribute("http.request.method", method.to_string());
    span.set_attribute("http.route", route.to_owned());
    if headers.contains_key("traceparent") {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        // Fails only when the span has been entered already: it has not.
        let _ = span.set_parent(parent);
    }
    span
}

/// Records the response's status on the request's span (5xx: an error).
pub(crate) fn record_status(span: &tracing::Span, status: StatusCode) {
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(opentelemetry::trace::Status::error(""));
    }
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
