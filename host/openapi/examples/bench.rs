//! Figures for an OpenAPI spec (GitHub's by default): load time (read,
//! parse, `$ref` check, operations, index), resident memory after loading,
//! and the p50/p99 of a search and of a describe. `make bench-openapi`
//! runs it on the pinned fixtures; figures, not pass/fail.
//!
//!   cargo run --release -p isobox-openapi --example bench -- [SPEC] [ROUNDS]

use std::time::{Duration, Instant};

use isobox_openapi::OpenApiSpec;

const QUERIES: [&str; 10] = [
    "create issue",
    "list pull request reviews",
    "get repository content",
    "delete a branch protection",
    "workflow runs for a repository",
    "add labels",
    "search code",
    "update a gist",
    "list organization members",
    "create a release",
];

/// `VmRSS` or `VmHWM` of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at.min(samples.len() - 1)]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| ".cache/openapi-fixtures/github/api.github.com.json".to_owned());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let before = status_kib("VmRSS:");
    let mut loads = Vec::with_capacity(rounds);
    let load = || OpenApiSpec::from_file(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    // Memory is read after the first load, before others reuse the heap.
    let started = Instant::now();
    let spec = load();
    loads.push(started.elapsed());
    let after = status_kib("VmRSS:");
    let peak = status_kib("VmHWM:");
    for _ in 1..rounds {
        let started = Instant::now();
        std::hint::black_box(load());
        loads.push(started.elapsed());
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "spec: {path} ({:.1} MiB, {} operations)",
        bytes as f64 / 1048576.0,
        spec.operations().len()
    );
    println!(
        "load (read + parse + $ref check + operations + index): p50 {:.0} ms over {rounds} loads",
        percentile(&mut loads, 0.5).as_secs_f64() * 1000.0
    );
    println!(
        "resident memory: {:.0} MiB with one spec loaded ({:.0} MiB before; peak {:.0} MiB)",
        after as f64 / 1024.0,
        before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let mut searches = Vec::new();
    for _ in 0..50 {
        for query in QUERIES {
            let started = Instant::now();
            let hits = spec.search(query, 0, 8);
            searches.push(started.elapsed());
            std::hint::black_box(hits);
        }
    }
    let n = searches.len();
    println!(
        "search (8 best of all matches): p50 {:.1} us, p99 {:.1} us over {n} queries",
        percentile(&mut searches, 0.5).as_secs_f64() * 1e6,
        percentile(&mut searches, 0.99).as_secs_f64() * 1e6
    );
    let mut describes = Vec::new();
    let methods: Vec<String> = spec.operations().iter().map(|o| o.method.clone()).collect();
    let mut longest = 0;
    for method in &methods {
        let started = Instant::now();
        let text = spec.describe(method);
        describes.push(started.elapsed());
        longest = longest.max(text.map(|t| t.len()).unwrap_or(0));
    }
    println!(
        "describe (one operation with its types): p50 {:.1} us, p99 {:.1} us over {} operations; longest {longest} characters",
        percentile(&mut describes, 0.5).as_secs_f64() * 1e6,
        percentile(&mut describes, 0.99).as_secs_f64() * 1e6,
        methods.len()
    );
}
