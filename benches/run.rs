//! `make bench`: figures for a trivial script, printed, never asserted.
//!
//! - per-run latency of a fresh sandbox end to end (instantiate, run, tear
//!   down): p50, p99, p99.9;
//! - throughput with 1 and 2 worker threads;
//! - instantiation alone;
//! - resident memory: the pool at rest, and per in-flight sandbox;
//! - one fetch() through the egress filter to a loopback server, next to a
//!   direct hyper request (new connection each, as the sandbox makes);
//! - one capability call with small arguments, and one carrying 1 MB.
//!
//! `ISOBOX_BENCH_ONLY=latency` prints only a fresh sandbox's latency
//! (recycled, recycled with warm sandboxes, and a new instance every run),
//! rounds alternating, against the floor, and each engine's throughput with
//! every core busy.
//! `ISOBOX_BENCH_ONLY=concurrency` prints only runs/s with 1 and 16 runs in
//! flight on multi-thread runtimes of 1 and 2 workers (the shape of
//! `isobox serve` under load, without HTTP); `=fetch` and `=capability`
//! only those figures.

#[path = "../tests/integration/upstream.rs"]
mod upstream;

use std::time::{Duration, Instant};

use isobox::{Engine, RunRequest};

const TRIVIAL: &str = "1 + 1";
const WARM_UP_RUNS: usize = 2_000;
const LATENCY_RUNS: usize = 20_000;
const LATENCY_ROUNDS: usize = 5;
const THROUGHPUT_TIME: Duration = Duration::from_secs(3);
const HELD_SANDBOXES: usize = 200;
const BIG_RUNS: usize = 500;

fn main() {
    let runtime = current_thread_runtime();
    let rss_start = rss_bytes();
    let built = Instant::now();
    let engine = runtime
        .block_on(Engine::builder().build())
        .expect("building the engine");
    println!("isobox bench: trivial script `{TRIVIAL}`; goals from issue 2 in brackets");
    println!(
        "engine build (cached snapshot if present): {:.1} ms",
        built.elapsed().as_secs_f64() * 1e3
    );
    let rss_engine = rss_bytes();

    if std::env::var("ISOBOX_BENCH_PROFILE_INSTANTIATE").is_ok() {
        runtime.block_on(async {
            for _ in 0..300_000 {
                engine.instantiate_only().await;
            }
        });
        return;
    }
    match std::env::var("ISOBOX_BENCH_ONLY").as_deref() {
        Ok("latency") => return fresh_against_floor(&engine, &runtime),
        Ok("fetch") => return fetch_cost(&engine, &runtime),
        Ok("capability") => return capability_cost(&engine, &runtime),
        Ok("concurrency") => {
            for (workers, tasks) in [(1, 1), (1, 16), (2, 2), (2, 16)] {
                let rate = throughput_tasks(&engine, workers, tasks);
                println!("throughput, {workers} worker thread(s), {tasks} runs in flight: {rate:.0} runs/s");
            }
            return;
        }
        _ => {}
    }
    let request = RunRequest::new(TRIVIAL);
    runtime.block_on(async {
        for _ in 0..WARM_UP_RUNS {
            assert!(engine.run(request.clone()).await.is_ok(), "the trivial script must run");
        }
    });

    let faults_before = minor_faults();
    // Latency, end to end, in rounds: the spread between rounds shows how
    // noisy the machine is.
    let mut samples = Vec::with_capacity(LATENCY_RUNS);
    let mut round_p50s = Vec::new();
    runtime.block_on(async {
        for _ in 0..LATENCY_ROUNDS {
            let mut round = Vec::with_capacity(LATENCY_RUNS / LATENCY_ROUNDS);
            for _ in 0..LATENCY_RUNS / LATENCY_ROUNDS {
                let start = Instant::now();
                let outcome = engine.run(request.clone()).await;
                round.push(start.elapsed());
                debug_assert!(outcome.is_ok());
            }
            round.sort_unstable();
            round_p50s.push(us(round[round.len() / 2]));
            samples.extend(round);
        }
    });
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "latency per run, end to end ({LATENCY_RUNS} runs): p50 {} us [<= 30], p99 {} us, p99.9 {} us; \
         p50 of each round of {}: {}",
        us(pct(0.50)),
        us(pct(0.99)),
        us(pct(0.999)),
        LATENCY_RUNS / LATENCY_ROUNDS,
        round_p50s.join(", ")
    );

    // The floor: the same code evaluated again and again in one sandbox
    // instantiated once; what a fresh sandbox adds is the difference.
    let mut floor = Vec::with_capacity(LATENCY_RUNS);
    let mut floor_p50s = Vec::new();
    runtime.block_on(async {
        for _ in 0..LATENCY_ROUNDS {
            let mut round = engine.run_in_one_sandbox(&request, LATENCY_RUNS / LATENCY_ROUNDS).await;
            round.sort_unstable();
            floor_p50s.push(us(round[round.len() / 2]));
            floor.extend(round);
        }
    });
    floor.sort_unstable();
    let floor_p50 = floor[floor.len() / 2];
    println!(
        "the same code in an already-instantiated sandbox (the floor): p50 {} us, p99 {} us; \
         p50 of each round: {}; fresh / floor at p50: {:.2}x [<= 2]",
        us(floor_p50),
        us(floor[floor.len() * 99 / 100]),
        floor_p50s.join(", "),
        pct(0.50).as_secs_f64() / floor_p50.as_secs_f64()
    );

    println!(
        "minor page faults per run: {:.2}",
        (minor_faults() - faults_before) as f64 / LATENCY_RUNS as f64
    );

    // Instantiation alone.
    let mut instantiations = Vec::with_capacity(LATENCY_RUNS);
    runtime.block_on(async {
        for _ in 0..LATENCY_RUNS {
            let start = Instant::now();
            engine.instantiate_only().await;
            instantiations.push(start.elapsed());
        }
    });
    instantiations.sort_unstable();
    println!(
        "instantiation alone (Store + instance + drop): p50 {} us, p99 {} us",
        us(instantiations[instantiations.len() / 2]),
        us(instantiations[instantiations.len() * 99 / 100])
    );

    // Throughput with 1 and 2 threads, each thread its own runtime.
    for threads in [1, 2] {
        let rate = throughput(&engine, threads);
        let goal = if threads == 2 { " [>= 50,000]" } else { "" };
        println!("throughput, {threads} thread(s): {rate:.0} runs/s{goal}");
    }

    // TypeScript stripping throughput on a 100 KB file.
    let typescript = big_typescript(100 * 1024);
    let mut strip_times = Vec::with_capacity(20);
    for round in 0..25 {
        let start = Instant::now();
        let js = isobox::typescript::strip(&typescript, "bench.ts").expect("the bench TypeScript strips");
        if round >= 5 {
            strip_times.push(start.elapsed());
        }
        assert_eq!(js.len(), typescript.len(), "positions kept");
    }
    strip_times.sort_unstable();
    let median = strip_times[strip_times.len() / 2];
    println!(
        "TypeScript stripping, {} KB file: median {:.2} ms, {:.1} MB/s",
        typescript.len() / 1024,
        median.as_secs_f64() * 1e3,
        typescript.len() as f64 / median.as_secs_f64() / 1e6
    );

    // A 100 KB script, compiled every run and read from the bytecode cache.
    let big = big_script(100 * 1024);
    for (label, cache_bytes) in [("without the bytecode cache", 0), ("with the bytecode cache", 64 << 20)] {
        let engine = runtime
            .block_on(
                Engine::builder()
                    .max_concurrent_runs(4)
                    .bytecode_cache_bytes(cache_bytes)
                    .build(),
            )
            .expect("engine");
        let request = RunRequest::new(big.clone());
        let mut times = Vec::with_capacity(BIG_RUNS);
        runtime.block_on(async {
            assert!(engine.run(request.clone()).await.is_ok(), "the 100 KB script must run");
            for _ in 0..BIG_RUNS {
                let start = Instant::now();
                let outcome = engine.run(request.clone()).await;
                times.push(start.elapsed());
                debug_assert!(outcome.is_ok());
            }
        });
        times.sort_unstable();
        println!(
            "100 KB script {label}: p50 {} us, p99 {} us",
            us(times[times.len() / 2]),
            us(times[times.len() * 99 / 100])
        );
    }

    // Resident memory.
    let rss_rest = rss_bytes();
    let private_rest = private_bytes();
    let held = runtime.block_on(async {
        let mut held = Vec::with_capacity(HELD_SANDBOXES);
        for _ in 0..HELD_SANDBOXES {
            let (ok, sandbox) = engine.run_and_hold(&request).await;
            assert!(ok, "the held run must succeed");
            held.push(sandbox);
        }
        held
    });
    let rss_held = rss_bytes();
    let private_held = private_bytes();
    drop(held);
    let rss_after = rss_bytes();
    fetch_cost(&engine, &runtime);
    capability_cost(&engine, &runtime);
    println!(
        "resident memory: before engine {} MiB, engine built {} MiB, pool at rest after {} runs {} MiB",
        mib(rss_start),
        mib(rss_engine),
        WARM_UP_RUNS + LATENCY_RUNS * 2,
        mib(rss_rest)
    );
    println!(
        "resident memory per in-flight sandbox ({HELD_SANDBOXES} held after a run): {:.0} KiB of RSS, \
         {:.0} KiB private [<= 1024] (the rest are the snapshot's pages read from the page cache, \
         shared by every sandbox but counted in each one's RSS); after releasing them {} MiB",
        (rss_held.saturating_sub(rss_rest)) as f64 / HELD_SANDBOXES as f64 / 1024.0,
        (private_held.saturating_sub(private_rest)) as f64 / HELD_SANDBOXES as f64 / 1024.0,
        mib(rss_after)
    );
}

/// A fresh sandbox's latency without warm sandboxes (the default, which
/// recycles sandboxes), with two, and with a new instance for every run
/// (recycling off), and the floor, in alternating rounds so the machine's
/// drift hits all four; then each engine's throughput with every core busy.
fn fresh_against_floor(engine: &Engine, runtime: &tokio::runtime::Runtime) {
    const ROUNDS: usize = 7;
    const RUNS: usize = 4_000;
    let warm = runtime
        .block_on(Engine::builder().warm_sandboxes(2).build())
        .expect("building the engine with warm sandboxes");
    let unrecycled = runtime
        .block_on(Engine::builder().recycle_sandboxes(false).build())
        .expect("building the engine without recycling");
    let engines = [engine, &warm, &unrecycled];
    let request = RunRequest::new(TRIVIAL);
    let mut p50s: [Vec<f64>; 4] = Default::default();
    runtime.block_on(async {
        for _ in 0..WARM_UP_RUNS {
            for engine in engines {
                assert!(engine.run(request.clone()).await.is_ok(), "the trivial script must run");
            }
        }
        for _ in 0..ROUNDS {
            for (which, engine) in engines.into_iter().enumerate() {
                let mut round = Vec::with_capacity(RUNS);
                for _ in 0..RUNS {
                    let start = Instant::now();
                    let outcome = engine.run(request.clone()).await;
                    round.push(start.elapsed());
                    debug_assert!(outcome.is_ok());
                }
                round.sort_unstable();
                p50s[which].push(round[RUNS / 2].as_secs_f64() * 1e6);
            }
            let mut floor = engine.run_in_one_sandbox(&request, RUNS).await;
            floor.sort_unstable();
            p50s[3].push(floor[RUNS / 2].as_secs_f64() * 1e6);
        }
    });
    let median = |values: &[f64]| {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    let list = |values: &[f64]| values.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(", ");
    let ratios = |which: usize| -> Vec<f64> { (0..ROUNDS).map(|r| p50s[which][r] / p50s[3][r]).collect() };
    for (which, label) in [
        (0, "recycled, no warm sandboxes (the default)"),
        (1, "recycled, 2 warm sandboxes"),
        (2, "a new instance every run (recycling off)"),
    ] {
        let ratio = ratios(which);
        println!(
            "fresh sandbox, {label}: p50 {:.1} us (rounds {}); / floor: median {:.2}x (rounds {})",
            median(&p50s[which]),
            list(&p50s[which]),
            median(&ratio),
            list(&ratio)
        );
    }
    println!(
        "floor (the same code in an already-instantiated sandbox): p50 {:.1} us (rounds {})",
        median(&p50s[3]),
        list(&p50s[3])
    );
    // Throughput with every core busy, where spares cannot hide any work:
    // what they cost or bring when the machine is saturated.
    let mut rates: [Vec<f64>; 3] = Default::default();
    for _ in 0..3 {
        for (which, engine) in engines.into_iter().enumerate() {
            rates[which].push(throughput_tasks(engine, 2, 16));
        }
    }
    println!(
        "throughput, 2 worker threads, 16 runs in flight: recycled {:.0} runs/s (rounds {}), \
         2 warm sandboxes {:.0} runs/s (rounds {}), a new instance every run {:.0} runs/s (rounds {})",
        median(&rates[0]),
        list(&rates[0]),
        median(&rates[1]),
        list(&rates[1]),
        median(&rates[2]),
        list(&rates[2])
    );
}

/// The cost of one fetch through the filter, next to hyper alone.
fn fetch_cost(engine: &Engine, runtime: &tokio::runtime::Runtime) {
    const RUNS: usize = 1_000;
    let server = upstream::Upstream::http();
    let port = server.port();
    let url = format!("http://127.0.0.1:{port}/");
    let direct = runtime.block_on(async {
        let mut samples = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("handshake");
            let driver = tokio::spawn(connection);
            let request = http::Request::get("/")
                .header("host", format!("127.0.0.1:{port}"))
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .expect("request");
            let response = sender.send_request(request).await.expect("response");
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .expect("body");
            assert_eq!(&body.to_bytes()[..], b"hello");
            samples.push(start.elapsed());
            drop(sender);
            let _ = driver.await;
        }
        samples.sort_unstable();
        samples[samples.len() / 2]
    });
    let policy = isobox::egress::EgressPolicy::allow_net([format!("127.0.0.1:{port}")]).expect("policy");
    let egress = isobox::egress::Egress::new(policy);
    let p50 = |code: String| {
        let request = RunRequest::new(code).with_egress(egress.clone());
        runtime.block_on(async {
            let mut samples = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let start = Instant::now();
                let outcome = engine.run(request.clone()).await;
                samples.push(start.elapsed());
                assert!(outcome.is_ok(), "the fetch bench run failed: {:?}", outcome.result);
            }
            samples.sort_unstable();
            samples[samples.len() / 2]
        })
    };
    let sample = runtime
        .block_on(engine.run(RunRequest::new(format!("(await fetch('{url}')).text()")).with_egress(egress.clone())));
    let exchange = sample.egress.first().map_or(0, |r| r.duration_us);
    let none = p50("await Promise.resolve(1)".into());
    let one = p50(format!("(await fetch('{url}')).text()"));
    let ten = p50(format!(
        "let n = 0; for (let i = 0; i < 10; i++) n += (await (await fetch('{url}')).text()).length; n"
    ));
    println!(
        "fetch through the egress filter to loopback (p50 of {RUNS}): run without fetch {} us, with 1 fetch {} us \
         (+{} us), with 10 sequential fetches {} us ({} us each); direct hyper request, new connection: {} us; \
         host-side exchange of a first fetch (audit trail): {exchange} us",
        us(none),
        us(one),
        us(one.saturating_sub(none)),
        us(ten),
        us(ten.saturating_sub(none) / 10),
        us(direct)
    );
}

/// The round trip of one capability call: JS to the host and back, with the
/// arguments checked against the WIT both ways.
fn capability_cost(engine: &Engine, runtime: &tokio::runtime::Runtime) {
    use isobox::Capability;
    use isobox::capability::NativeFunctions;
    use isobox::capability::Val;
    const CALLS: usize = 10_000;
    let echo = NativeFunctions::new()
        .function("ping", |_context, args| async move { Ok(args.into_iter().next()) })
        .function("size", |_context, args| async move {
            match args.first() {
                Some(Val::List(bytes)) => Ok(Some(Val::U32(bytes.len() as u32))),
                _ => Ok(Some(Val::U32(0))),
            }
        });
    let capability = Capability::native(
        "package bench:echo; interface echo { ping: func(n: u32) -> u32; size: func(bytes: list<u8>) -> u32; }",
        "echo",
        echo,
    )
    .expect("the bench capability");
    let run = |code: String| {
        let request = RunRequest::new(code).grant("echo", capability.clone());
        runtime.block_on(async {
            let start = Instant::now();
            let outcome = engine.run(request).await;
            assert!(outcome.is_ok(), "the capability bench run failed: {:?}", outcome.result);
            (start.elapsed(), outcome.stats.wall_time_us)
        })
    };
    let (base, _) = run(format!(
        "let n = 0; for (let i = 0; i < {CALLS}; i++) n += await Promise.resolve(1); n"
    ));
    let (calls, _) = run(format!(
        "let n = 0; for (let i = 0; i < {CALLS}; i++) n += await env.echo.ping(i); n"
    ));
    let per_call = calls.saturating_sub(base) / CALLS as u32;
    let megabyte =
        "const b = new Uint8Array(1 << 20); let t = 0; for (let i = 0; i < 20; i++) t += await env.echo.size(b); t";
    let (big, _) = run(megabyte.to_owned());
    let (big_base, _) = run(
        "const b = new Uint8Array(1 << 20); let t = 0; for (let i = 0; i < 20; i++) t += await Promise.resolve(b.length); t"
            .to_owned(),
    );
    println!(
        "capability call round trip (JS -> host -> JS, WIT-checked, {CALLS} sequential calls in one run): {} us each \
         [<= 5]; with 1 MB of bytes (list<u8>): {} us each",
        us(per_call),
        us(big.saturating_sub(big_base) / 20)
    );
}

fn throughput(engine: &Engine, threads: usize) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let runtime = current_thread_runtime();
                let request = RunRequest::new(TRIVIAL);
                let mut runs = 0u64;
                runtime.block_on(async {
                    while start.elapsed() < THROUGHPUT_TIME {
                        for _ in 0..100 {
                            let outcome = engine.run(request.clone()).await;
                            debug_assert!(outcome.is_ok());
                        }
                        runs += 100;
                    }
                });
                runs
            })
        })
        .collect();
    let runs: u64 = handles.into_iter().map(|h| h.join().expect("bench thread")).sum();
    runs as f64 / start.elapsed().as_secs_f64()
}

/// Runs per second with `tasks` runs in flight on a multi-thread runtime of
/// `workers` threads (the shape of `isobox serve` under load).
fn throughput_tasks(engine: &Engine, workers: usize, tasks: usize) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let start = Instant::now();
    let runs: u64 = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            let engine = engine.clone();
            set.spawn(async move {
                let request = RunRequest::new(TRIVIAL);
                let mut runs = 0u64;
                while start.elapsed() < THROUGHPUT_TIME {
                    let outcome = engine.run(request.clone()).await;
                    debug_assert!(outcome.is_ok());
                    runs += 1;
                }
                runs
            });
        }
        let mut total = 0;
        while let Some(runs) = set.join_next().await {
            total += runs.expect("bench task");
        }
        total
    });
    runs as f64 / start.elapsed().as_secs_f64()
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn us(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// This process's private resident bytes (`Private_Clean` plus
/// `Private_Dirty` of /proc/self/smaps_rollup): unlike the RSS, pages of a
/// file mapped in many places (the snapshot's memory image, read by every
/// sandbox from the page cache) do not count once per mapping.
fn private_bytes() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .filter_map(|line| {
            line.strip_prefix("Private_Clean:")
                .or_else(|| line.strip_prefix("Private_Dirty:"))
        })
        .filter_map(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// VmRSS of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Minor page faults of this process so far, from /proc/self/stat.
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; minflt is field 10.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name
        .split_whitespace()
        .nth(7)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// About `bytes` of ordinary JS: many small functions, then a call.
fn big_script(bytes: usize) -> String {
    let mut code = String::with_capacity(bytes + 256);
    let mut index = 0;
    while code.len() < bytes {
        code.push_str(&format!(
            "function f{index}(a, b) {{ const x = a * b + {index}; if (x > 10) {{ \
             return [x, a, b].map((v) => v + 1).reduce((s, v) => s + v, 0); }} return x; }}\n"
        ));
        index += 1;
    }
    code.push_str("f1(2, 3) + f2(4, 5)\n");
    code
}

/// About `bytes` of varied TypeScript: interfaces, generics, classes with
/// typed members, type-only imports, casts, overloads, typed arrows.
fn big_typescript(bytes: usize) -> String {
    let mut code = String::from("import type { Readable } from './types.ts';\n");
    let mut index = 0;
    while code.len() < bytes {
        code.push_str(&format!(
            "export interface Item{index}<T> {{ id: number; value: T; tags?: readonly string[] }}\n\
             type Pair{index} = [left: number, right: string];\n\
             export class Store{index}<T extends object> {{\n\
               private items: Map<number, Item{index}<T>> = new Map();\n\
               readonly name: string = 'store{index}';\n\
               add(item: Item{index}<T>): this {{ this.items.set(item.id, item); return this; }}\n\
               get(id: number): Item{index}<T> | undefined {{ return this.items.get(id)!; }}\n\
             }}\n\
             export function pick{index}(x: string): string;\n\
             export function pick{index}(x: number): number;\n\
             export function pick{index}(x: unknown): unknown {{ return x as unknown; }}\n\
             export const total{index} = (pairs: Pair{index}[]): number => pairs.reduce((s: number, [l]) => s + l, 0) satisfies number;\n"
        ));
        index += 1;
    }
    code
}
