//! OpenTelemetry export for `isobox serve`: traces (each request, the run
//! in it, each capability call and fetch of the run) and logs, over
//! OTLP/HTTP, configured by the standard variables and off unless one of
//! them names an endpoint.
//!
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (traces to `/v1/traces`, logs to
//!   `/v1/logs` under it), or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
//!   `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` for one signal each, used as given;
//! - `OTEL_EXPORTER_OTLP_PROTOCOL` (and per signal): `http/protobuf` (the
//!   default) or `http/json`; gRPC is refused with a message;
//! - `OTEL_EXPORTER_OTLP_HEADERS`, `_TIMEOUT`, `_COMPRESSION`,
//!   `OTEL_SERVICE_NAME` (default `isobox`), `OTEL_RESOURCE_ATTRIBUTES`,
//!   `OTEL_BSP_*` and `OTEL_BLRP_*` (batching), `OTEL_TRACES_SAMPLER`: read
//!   by the OpenTelemetry SDK itself;
//! - `OTEL_SDK_DISABLED=true` turns it all off.
//!
//! Spans and log records are queued and sent by the SDK's own threads: a
//! collector that is down or slow never holds a request (the queue drops
//! past its bound). The exporters' own HTTP stack is kept out of what is
//! exported, so their logs cannot feed back into it.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_otlp::{LogExporter, Protocol, SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{LevelFilter, Targets};

/// A layer of the process's subscriber.
pub type BoxedLayer = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

/// The exporters running; [`Telemetry::shutdown`] sends what is queued.
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    logger: Option<SdkLoggerProvider>,
}

/// Targets whose events are never exported: the exporters' own HTTP
/// client and the SDK's internal logs (which the console still shows).
const NEVER_EXPORTED: [&str; 9] = [
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "opentelemetry_http",
];

/// The layers that export to the endpoints the environment names (logs
/// through `log_filter`, as the console's), or `None` when it names none
/// or `OTEL_SDK_DISABLED=true`.
///
/// # Errors
/// A message for a protocol other than OTLP/HTTP, or an exporter that
/// cannot be built.
pub fn from_env(log_filter: &Targets) -> Result<Option<(Vec<BoxedLayer>, Telemetry)>, String> {
    from_vars(log_filter, |name| std::env::var(name).ok())
}

fn from_vars(
    log_filter: &Targets,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<(Vec<BoxedLayer>, Telemetry)>, String> {
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    let both = set("OTEL_EXPORTER_OTLP_ENDPOINT");
    let traces = both || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    let logs = both || set("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
    if !traces && !logs {
        return Ok(None);
    }
    let trace_protocol = protocol(&var, "TRACES")?;
    let log_protocol = protocol(&var, "LOGS")?;
    // The exporters' HTTPS client (rustls without a default provider):
    // the same provider the rest of isobox uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut resource = Resource::builder();
    if !set("OTEL_SERVICE_NAME") && !var("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|v| v.contains("service.name=")) {
        resource = resource.with_service_name("isobox");
    }
    let resource = resource.build();
    let mut layers: Vec<BoxedLayer> = Vec::new();
    let mut telemetry = Telemetry {
        tracer: None,
        logger: None,
    };
    if traces {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(trace_protocol)
            .build()
            .map_err(|e| format!("OpenTelemetry: the OTLP span exporter cannot be built: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(exporter)
            .build();
        // isobox's own spans down to debug (a run's capability calls and
        // fetches); the rest at info.
        let spans = quiet(Targets::new().with_default(LevelFilter::INFO))
            .with_target("isobox", LevelFilter::DEBUG)
            .with_target("isobox_serve", LevelFilter::DEBUG);
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("isobox"))
                .with_tracked_inactivity(false)
                .with_threads(false)
                .with_filter(spans)
                .boxed(),
        );
        telemetry.tracer = Some(provider);
    }
    if logs {
        let exporter = LogExporter::builder()
            .with_http()
            .with_protocol(log_protocol)
            .build()
            .map_err(|e| format!("OpenTelemetry: the OTLP log exporter cannot be built: {e}"))?;
        let provider = SdkLoggerProvider::builder()
            .with_resource(resource)
            .with_batch_exporter(exporter)
            .build();
        layers.push(
            OpenTelemetryTracingBridge::new(&provider)
                .with_filter(quiet(log_filter.clone()))
                .boxed(),
        );
        telemetry.logger = Some(provider);
    }
    Ok(Some((layers, telemetry)))
}

/// `filter` with the exporters' own targets off.
fn quiet(filter: Targets) -> Targets {
    filter.with_targets(NEVER_EXPORTED.map(|target| (target, LevelFilter::OFF)))
}

/// The OTLP protocol of `signal` (`TRACES`, `LOGS`), as the specification
/// resolves it: the signal's variable, the general one, then
/// http/protobuf.
fn protocol(var: &impl Fn(&str) -> Option<String>, signal: &str) -> Result<Protocol, String> {
    let named = var(&format!("OTEL_EXPORTER_OTLP_{signal}_PROTOCOL"))
        .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_default();
    match named.trim().to_ascii_lowercase().as_str() {
        "" | "http/protobuf" => Ok(Protocol::HttpBinary),
        "http/json" => Ok(Protocol::HttpJson),
        other => {
            let shown: String = other.chars().take(40).collect();
            Err(format!(
                "OTEL_EXPORTER_OTLP_PROTOCOL={shown}: isobox exports OTLP over HTTP only: \
                 use http/protobuf (the default) or http/json"
            ))
        }
    }
}

impl Telemetry {
    /// Sends what is queued and stops the exporters, waiting at most
    /// `timeout` for each; blocking (call it on a blocking thread). The
    /// messages of what could not be sent.
    pub fn shutdown(self, timeout: Duration) -> Vec<String> {
        let mut failed = Vec::new();
        if let Some(tracer) = self.tracer
            && let Err(error) = tracer.shutdown_with_timeout(timeout)
        {
            failed.push(format!("traces: {error}"));
        }
        if let Some(logger) = self.logger
            && let Err(error) = logger.shutdown_with_timeout(timeout)
        {
            failed.push(format!("logs: {error}"));
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn nothing_is_exported_unless_an_endpoint_is_named_and_the_sdk_is_on() {
        let filter = Targets::new();
        assert!(from_vars(&filter, vars(&[])).unwrap().is_none());
        assert!(
            from_vars(&filter, vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")]))
                .unwrap()
                .is_none()
        );
        let off = &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ];
        assert!(from_vars(&filter, vars(off)).unwrap().is_none());
    }

    #[test]
    fn the_protocol_follows_the_specification_and_grpc_is_refused() {
        let p = |pairs| protocol(&vars(pairs), "TRACES");
        assert_eq!(p(&[]).unwrap(), Protocol::HttpBinary);
        assert_eq!(
            p(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]).unwrap(),
            Protocol::HttpJson
        );
        assert_eq!(
            p(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
            ])
            .unwrap(),
            Protocol::HttpBinary
        );
        let refused = p(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap_err();
        assert!(refused.contains("over HTTP only"), "{refused}");
    }
}
