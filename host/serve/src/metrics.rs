//! Counters of the server, written out in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use isobox::Outcome;

/// Upper bounds of the run latency histogram, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// The server's counters; cheap to update from many tasks.
#[derive(Default)]
pub struct Metrics {
    responses: Mutex<BTreeMap<u16, u64>>,
    runs: Mutex<BTreeMap<&'static str, u64>>,
    egress: Mutex<BTreeMap<&'static str, u64>>,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    assets: Mutex<BTreeMap<u16, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    in_flight: AtomicI64,
    queued: AtomicI64,
    /// Runs by tenant and outcome (tenants come from the config: bounded).
    tenant_runs: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// `server.max_in_flight`.
    slots: AtomicI64,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    *map.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default() += by;
}

/// Decrements a gauge when dropped.
pub(crate) struct GaugeGuard<'a>(&'a AtomicI64);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts one HTTP response.
    pub(crate) fn response(&self, status: u16) {
        bump(&self.responses, status, 1);
    }

    /// Counts one finished run: its outcome kind, latency and egress decisions.
    pub(crate) fn run(&self, tenant: &str, outcome: &Outcome, elapsed: Duration) {
        let kind = outcome.error_kind().map_or("ok", |kind| kind.as_str());
        bump(&self.runs, kind, 1);
        bump(&self.tenant_runs, (tenant.to_owned(), kind), 1);
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
        for record in &outcome.egress {
            let decision = match record.decision {
                isobox::egress::AuditDecision::Allowed => "allowed",
                isobox::egress::AuditDecision::Denied => "denied",
                isobox::egress::AuditDecision::Responded => "responded",
            };
            bump(&self.egress, decision, 1);
        }
    }

    /// Counts a request turned away before running, by reason
    /// (`overloaded`, `queue-timeout`).
    pub(crate) fn rejected(&self, reason: &'static str) {
        bump(&self.rejected, reason, 1);
    }

    /// Counts one response from a stored worker's static assets (no run).
    pub(crate) fn asset(&self, status: u16) {
        bump(&self.assets, status, 1);
    }

    /// One more sandbox in flight, until the guard drops.
    pub(crate) fn enter_run(&self) -> GaugeGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.in_flight)
    }

    /// One more request queued, until the guard drops.
    pub(crate) fn enter_queue(&self) -> GaugeGuard<'_> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.queued)
    }

    /// Sets the number of run slots (`server.max_in_flight`).
    pub(crate) fn set_slots(&self, slots: usize) {
        self.slots
            .store(i64::try_from(slots).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// The text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP isobox_build_info The isobox version serving (always 1).");
        let _ = writeln!(out, "# TYPE isobox_build_info gauge");
        let _ = writeln!(out, "isobox_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(
            out,
            "# HELP isobox_run_slots Runs this server executes at once at most (server.max_in_flight)."
        );
        let _ = writeln!(out, "# TYPE isobox_run_slots gauge");
        let _ = writeln!(out, "isobox_run_slots {}", self.slots.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "# HELP isobox_tenant_runs_total Runs by tenant and outcome: ok or the error kind."
        );
        let _ = writeln!(out, "# TYPE isobox_tenant_runs_total counter");
        for ((tenant, outcome), count) in self.tenant_runs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let tenant = tenant.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let _ = writeln!(
                out,
                "isobox_tenant_runs_total{{tenant=\"{tenant}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        counters(
            &mut out,
            "isobox_http_responses_total",
            "HTTP responses by status.",
            "status",
            &self.responses,
        );
        counters(
            &mut out,
            "isobox_runs_total",
            "Runs by outcome: ok or the error kind.",
            "outcome",
            &self.runs,
        );
        let _ = writeln!(
            out,
            "# HELP isobox_run_duration_seconds Time of a run, queueing excluded."
        );
        let _ = writeln!(out, "# TYPE isobox_run_duration_seconds histogram");
        for (bound, count) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "isobox_run_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "isobox_run_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "isobox_run_duration_seconds_sum {sum}");
        let _ = writeln!(out, "isobox_run_duration_seconds_count {count}");
        let _ = writeln!(out, "# HELP isobox_sandboxes_in_flight Runs executing now.");
        let _ = writeln!(out, "# TYPE isobox_sandboxes_in_flight gauge");
        let _ = writeln!(
            out,
            "isobox_sandboxes_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP isobox_requests_queued Requests waiting for a run slot.");
        let _ = writeln!(out, "# TYPE isobox_requests_queued gauge");
        let _ = writeln!(out, "isobox_requests_queued {}", self.queued.load(Ordering::Relaxed));
        counters(
            &mut out,
            "isobox_requests_rejected_total",
            "Requests turned away before running: overloaded (queue full) or queue-timeout.",
            "reason",
            &self.rejected,
        );
        counters(
            &mut out,
            "isobox_asset_responses_total",
            "Responses from stored workers' static assets, answered without a run, by status.",
            "status",
            &self.assets,
        );
        counters(
            &mut out,
            "isobox_egress_requests_total",
            "fetch() requests by egress decision.",
            "decision",
            &self.egress,
        );
        out
    }
}

/// One counter family in the Prometheus text format: its HELP and TYPE
/// lines, then a sample per label value.
fn counters<K: std::fmt::Display>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &Mutex<BTreeMap<K, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (value, n) in values.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
    }
}
