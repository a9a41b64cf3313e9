//! Durable state, measured (`make bench-state`): a workspace holding a real
//! source tree (lodash 4.17.21's ~1,000 files, benches/store/install.sh) on
//! SQLite (a file, WAL) and PostgreSQL (the tests' private cluster, on
//! loopback): readFile, writeFile and stat per second, grep over every file,
//! a glob, a 100-edit batch; kv get, put and compare-and-swap per second;
//! and what one capability call costs from JavaScript. Each figure is the
//! median of five rounds; the two backends run side by side in one process,
//! so their ratio is the figure to quote.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use isobox::capability::NativeFunctions;
use isobox::{Capability, Engine, RunRequest};
use isobox_state::{Tenancy, kv_capability};
use isobox_store::Store;
use isobox_store::kv::PutOptions;
use isobox_store::workspace::{GlobOptions, GrepOptions, Op, TextEdit, Workspace};

const ROUNDS: usize = 5;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `f` (which does `ops` operations) ROUNDS times: the median rate.
async fn rate<F, Fut>(ops: usize, mut f: F) -> f64
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut rates = Vec::new();
    for round in 0..ROUNDS {
        let start = Instant::now();
        f(round).await;
        rates.push(ops as f64 / start.elapsed().as_secs_f64());
    }
    median(rates)
}

/// The median time of one `f`.
async fn time<F, Fut>(mut f: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::new();
    for round in 0..ROUNDS {
        let start = Instant::now();
        f(round).await;
        times.push(start.elapsed().as_secs_f64());
    }
    Duration::from_secs_f64(median(times))
}

fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the bench tree") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("below the root")
                    .to_string_lossy()
                    .into_owned();
                out.push((format!("/{relative}"), std::fs::read(&path).expect("a file")));
            }
        }
    }
    out.sort();
    out
}

async fn load(ws: &Workspace, files: &[(String, Vec<u8>)]) -> Duration {
    let files = files.to_vec();
    let start = Instant::now();
    ws.transaction(true, None, move |fs| {
        fs.remove("/", true)?;
        for (path, bytes) in &files {
            fs.write(path, bytes, true, false)?;
        }
        Ok(())
    })
    .await
    .expect("loading the tree");
    start.elapsed()
}

async fn workspace_figures(name: &str, store: &Store, files: &[(String, Vec<u8>)]) {
    let ws = store.workspace("bench", "lodash").expect("a workspace id");
    let loaded = load(&ws, files).await;
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{name:<9} load       {} files, {} KiB in one transaction: {:.0} ms",
        files.len(),
        bytes / 1024,
        loaded.as_secs_f64() * 1e3
    );
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let n = 1000;
    let read = rate(n, |round| {
        let ws = ws.clone();
        let paths = paths.clone();
        async move {
            for i in 0..n {
                ws.read_file(paths[(i * 7 + round) % paths.len()]).await.expect("read");
            }
        }
    })
    .await;
    let stat = rate(n, |round| {
        let ws = ws.clone();
        let paths = paths.clone();
        async move {
            for i in 0..n {
                ws.stat(paths[(i * 13 + round) % paths.len()]).await.expect("stat");
            }
        }
    })
    .await;
    let writes = 300;
    let write = rate(writes, |round| {
        let ws = ws.clone();
        async move {
            for i in 0..writes {
                ws.write_file(
                    &format!("/bench-{}.txt", i % 50),
                    format!("round {round} write {i}\n").as_bytes(),
                )
                .await
                .expect("write");
            }
        }
    })
    .await;
    println!("{name:<9} readFile   {read:>8.0} ops/s   stat {stat:>8.0} ops/s   writeFile {write:>8.0} ops/s");
    let matches = Arc::new(AtomicUsize::new(0));
    let grep = time(|_| {
        let ws = ws.clone();
        let matches = matches.clone();
        async move {
            let options = GrepOptions {
                max_matches: Some(10_000),
                ..GrepOptions::default()
            };
            let found = ws.grep(r"function \w+\(", options).await.expect("grep").matches.len();
            matches.store(found, Ordering::Relaxed);
        }
    })
    .await;
    let matches = matches.load(Ordering::Relaxed);
    let globbed = Arc::new(AtomicUsize::new(0));
    let glob = time(|_| {
        let ws = ws.clone();
        let globbed = globbed.clone();
        async move {
            // Every page.
            let mut found = 0;
            let mut cursor = None;
            loop {
                let options = GlobOptions {
                    cursor: cursor.take(),
                    ..GlobOptions::default()
                };
                let page = ws.glob(vec!["**/*.js".into()], options).await.expect("glob");
                found += page.paths.len();
                match page.cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            globbed.store(found, Ordering::Relaxed);
        }
    })
    .await;
    let globbed = globbed.load(Ordering::Relaxed);
    // A batch of 100 edits over 100 files, each flipping a marker line.
    let targets: Vec<String> = paths
        .iter()
        .filter(|p| p.ends_with(".js"))
        .take(100)
        .map(|p| (*p).to_owned())
        .collect();
    let marked: Vec<Op> = targets
        .iter()
        .map(|path| Op::AppendFile {
            path: path.clone(),
            content: "// marker-a\n".into(),
            encoding: Default::default(),
        })
        .collect();
    ws.batch(marked, None).await.expect("markers");
    let batch = time(|round| {
        let ws = ws.clone();
        let (from, to) = if round % 2 == 0 {
            ("marker-a", "marker-b")
        } else {
            ("marker-b", "marker-a")
        };
        let ops: Vec<Op> = targets
            .iter()
            .map(|path| Op::Edit {
                path: path.clone(),
                edits: vec![TextEdit {
                    old_text: format!("// {from}\n"),
                    new_text: format!("// {to}\n"),
                    replace_all: false,
                }],
            })
            .collect();
        async move {
            ws.batch(ops, None).await.expect("the edit batch");
        }
    })
    .await;
    println!(
        "{name:<9} grep       {:>8.1} ms ({matches} matches in {} files)   glob **/*.js {:>6.1} ms ({globbed} paths)   100-edit batch {:>6.1} ms",
        grep.as_secs_f64() * 1e3,
        files.len(),
        glob.as_secs_f64() * 1e3,
        batch.as_secs_f64() * 1e3
    );
}

async fn kv_figures(name: &str, store: &Store) {
    let kv = store.kv();
    let n = 1000;
    let ns = format!("bench-{}", std::process::id());
    let put = rate(n, |round| {
        let kv = kv.clone();
        let ns = ns.clone();
        async move {
            for i in 0..n {
                kv.put(
                    &ns,
                    &format!("k{}", i % 100),
                    &format!("{round}-{i}"),
                    PutOptions::default(),
                )
                .await
                .expect("put");
            }
        }
    })
    .await;
    let get = rate(n, |_| {
        let kv = kv.clone();
        let ns = ns.clone();
        async move {
            for i in 0..n {
                kv.get(&ns, &format!("k{}", i % 100)).await.expect("get");
            }
        }
    })
    .await;
    let cas = rate(n, |_| {
        let kv = kv.clone();
        let ns = ns.clone();
        async move {
            for _ in 0..n {
                let entry = kv.get(&ns, "counter").await.expect("get");
                let (value, options) = match entry {
                    Some(e) => (
                        e.value.parse::<u64>().unwrap_or(0) + 1,
                        PutOptions {
                            if_version: Some(e.version),
                            ..Default::default()
                        },
                    ),
                    None => (
                        1,
                        PutOptions {
                            if_absent: true,
                            ..Default::default()
                        },
                    ),
                };
                assert!(
                    kv.put(&ns, "counter", &value.to_string(), options)
                        .await
                        .expect("cas")
                        .ok
                );
            }
        }
    })
    .await;
    println!(
        "{name:<9} kv get     {get:>8.0} ops/s   put {put:>8.0} ops/s   compare-and-swap (get + put) {cas:>8.0} ops/s"
    );
}

/// What one capability call costs from JavaScript: a run making 1,000 calls
/// against one making none, per call; a no-op native function (the bridge
/// alone) beside kv.get on SQLite in memory (bridge and store).
async fn call_figures(engine: &Engine) {
    let store = Store::open("memory").await.expect("memory store");
    let kv = kv_capability(store.kv(), Tenancy::Shared);
    let noop = Capability::native(
        "package bench:noop; interface api { ping: func(); }",
        "api",
        NativeFunctions::new().function("ping", |_, _| async { Ok(None) }),
    )
    .expect("the no-op WIT");
    let calls = 1000;
    let run = |code: String| {
        let request = RunRequest::new(code)
            .grant("kv", kv.clone())
            .grant("noop", noop.clone());
        async move {
            let outcome = engine.run(request).await;
            assert!(outcome.result.is_ok(), "{:?}", outcome.result);
        }
    };
    let base = time(|_| run(format!("for (let i = 0; i < {calls}; i++) {{ await null; }} 0"))).await;
    let noop_time = time(|_| run(format!("for (let i = 0; i < {calls}; i++) await env.noop.ping(); 0"))).await;
    let kv_time = time(|_| run(format!("for (let i = 0; i < {calls}; i++) await env.kv.get('k'); 0"))).await;
    let per = |d: Duration| (d.as_secs_f64() - base.as_secs_f64()).max(0.0) / calls as f64 * 1e6;
    println!(
        "one call from JS (median of {ROUNDS} runs of {calls} awaited calls, minus a run of {calls} awaits): no-op native {:.1} us, kv.get (SQLite in memory) {:.1} us",
        per(noop_time),
        per(kv_time)
    );
}

fn pg_url() -> String {
    if let Ok(url) = std::env::var("ISOBOX_TEST_PG_URL") {
        return format!("{url}?sslmode=disable");
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg/cluster.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg("start")
        .output()
        .expect("bash");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let url = text
        .lines()
        .find_map(|l| l.strip_prefix("ISOBOX_TEST_PG_URL="))
        .expect("the cluster's URL")
        .to_owned();
    format!("{url}?sslmode=disable")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/store/node_modules/lodash");
        assert!(
            root.is_dir(),
            "run benches/store/install.sh first (make bench-state does)"
        );
        let files = tree(&root);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite = Store::open(dir.path().join("bench.db").to_str().expect("utf-8"))
            .await
            .expect("sqlite");
        let postgres = Store::open(&pg_url()).await.expect("postgres");
        println!(
            "workspace: lodash 4.17.21; each figure the median of {ROUNDS} rounds, sequential calls from one task"
        );
        for (name, store) in [("sqlite", &sqlite), ("postgres", &postgres)] {
            workspace_figures(name, store, &files).await;
        }
        for (name, store) in [("sqlite", &sqlite), ("postgres", &postgres)] {
            kv_figures(name, store).await;
        }
        let engine = Engine::builder().build().await.expect("an engine");
        call_figures(&engine).await;
    });
}
