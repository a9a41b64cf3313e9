//! npm packages, measured (`make bench-npm`): for zod, hono and date-fns,
//! served by a real npm registry on loopback (the pinned fixtures):
//! - a cold install and link (empty caches) against esbuild bundling the
//!   same packages from an unpacked node_modules (esbuild from npm, pinned
//!   in benches/npm, as the anchor);
//! - the first run after installing (every package module compiled);
//! - a warm run (the graph linked and every module's bytecode cached),
//!   against the same code bundled by esbuild and run as one module, which
//!   is what choosing a bundler over the module graph would give.
//!
//! Each figure is a median of rounds; the ratios, taken side by side in
//! one process, are the figures to quote.

#[path = "../tests/npm/registry.rs"]
mod registry;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use isobox::{Engine, RunRequest};
use isobox_npm::{Cache, Dependency, Installer, Npm, Registry};

const COLD_ROUNDS: usize = 5;
const WARM_RUNS: usize = 30;

struct Case {
    name: &'static str,
    dependency: &'static str,
    code: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        name: "zod",
        dependency: "zod@^4",
        code: "import { z } from 'zod';\nconst User = z.object({ name: z.string(), age: z.number().int() });\n\
               export default () => User.parse({ name: 'ada', age: 36 }).age;\n",
    },
    Case {
        name: "hono",
        dependency: "hono@^4",
        code: "import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/hi', (c) => c.text('hi'));\n\
               export default async () => (await app.request('/hi')).text();\n",
    },
    Case {
        name: "date-fns",
        dependency: "date-fns@^4",
        code: "import { format, addDays } from 'date-fns';\n\
               export default () => format(addDays(new Date(0), 1), 'yyyy-MM-dd');\n",
    },
];

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isobox-npm-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Unpacks the fixture tarballs of `lock`'s packages into `dir`'s
/// node_modules, as npm would lay them out.
fn unpack(lock: &isobox_npm::Lockfile, dir: &Path) {
    for (path, name, version) in lock.versions() {
        let file = registry::fixtures_dir().join(format!("{}-{version}.tgz", name.replace('/', "+")));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let inner: PathBuf = entry.path().expect("path").components().skip(1).collect();
            let target = dir.join(path).join(inner);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            entry.unpack(&target).expect("unpack");
        }
    }
}

fn esbuild() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/npm/node_modules/.bin/esbuild")
}

async fn warm(engine: &Engine, request: impl Fn() -> RunRequest) -> Duration {
    let mut times = Vec::new();
    for _ in 0..WARM_RUNS {
        let start = Instant::now();
        let outcome = engine.run(request()).await;
        times.push(start.elapsed());
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    }
    median(times)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let loopback = registry::Registry::start(&registry::fixtures_dir())
        .await
        .expect("registry");
    println!("npm packages: install, link and run (medians; cold: {COLD_ROUNDS} rounds, warm: {WARM_RUNS} runs)\n");
    println!(
        "{:<9} {:>14} {:>14} {:>7} {:>12} {:>12} {:>13} {:>7}",
        "package", "isobox cold", "esbuild", "ratio", "first run", "warm run", "warm bundled", "ratio"
    );
    for case in CASES {
        let dependencies = [Dependency::parse(case.dependency).expect("dependency")];
        let imports = isobox_npm::bare_imports(case.code, "main.js");
        // Cold: empty disk cache, a new linker each round.
        let mut cold = Vec::new();
        let mut lock = None;
        for round in 0..COLD_ROUNDS {
            let cache = scratch(&format!("{}-cold-{round}", case.name));
            let npm = Npm::new(Installer::new(
                Registry::new(&loopback.url()).expect("registry"),
                Cache::at(&cache),
            ));
            let start = Instant::now();
            let linked = npm.link(&dependencies, None, &imports).await.expect("link");
            cold.push(start.elapsed());
            lock = Some(linked.lock().clone());
            let _ = std::fs::remove_dir_all(&cache);
        }
        let lock = lock.expect("a lock");
        // esbuild bundling the same packages from node_modules.
        let project = scratch(&format!("{}-esbuild", case.name));
        unpack(&lock, &project);
        std::fs::write(project.join("main.js"), case.code).expect("entry");
        let mut bundling = Vec::new();
        for _ in 0..COLD_ROUNDS {
            let start = Instant::now();
            let status = Command::new(esbuild())
                .current_dir(&project)
                .args([
                    "main.js",
                    "--bundle",
                    "--format=esm",
                    "--platform=neutral",
                    "--main-fields=module,main",
                    "--conditions=workerd,worker,browser",
                    "--outfile=bundle.js",
                    "--log-level=error",
                ])
                .status()
                .expect("esbuild (run benches/npm/install.sh)");
            bundling.push(start.elapsed());
            assert!(status.success(), "esbuild failed");
        }
        let bundled = std::fs::read_to_string(project.join("bundle.js")).expect("bundle");
        // Runs: a fresh engine, so the first run compiles everything.
        let cache = scratch(&format!("{}-runs", case.name));
        let npm = Npm::new(Installer::new(
            Registry::new(&loopback.url()).expect("registry"),
            Cache::at(&cache),
        ));
        let engine = Engine::builder().packages(npm).build().await.expect("engine");
        let request = || RunRequest::new(case.code).with_dependencies([case.dependency]);
        // Install and link first, so the first run measures compiling.
        let _ = engine
            .run(RunRequest::new("export default () => 0").with_dependencies([case.dependency]))
            .await;
        let start = Instant::now();
        let first = engine.run(request()).await;
        let first_time = start.elapsed();
        assert!(first.result.is_ok(), "{:?}", first.result);
        let warm_linked = warm(&engine, request).await;
        let warm_bundled = warm(&engine, || RunRequest::new(bundled.clone())).await;
        let cold = median(cold);
        let bundling = median(bundling);
        println!(
            "{:<9} {:>14} {:>14} {:>6.1}x {:>12} {:>12} {:>13} {:>6.1}x",
            case.name,
            ms(cold),
            ms(bundling),
            cold.as_secs_f64() / bundling.as_secs_f64(),
            ms(first_time),
            ms(warm_linked),
            ms(warm_bundled),
            warm_linked.as_secs_f64() / warm_bundled.as_secs_f64(),
        );
        println!(
            "{:<9} {} package modules from {} packages ({} compiled on the first run); esbuild's bundle {} KiB",
            "",
            first.stats.modules_compiled + first.stats.modules_cached,
            lock.package_count(),
            first.stats.modules_compiled,
            bundled.len() / 1024
        );
        let _ = std::fs::remove_dir_all(&project);
        let _ = std::fs::remove_dir_all(&cache);
    }
    println!(
        "\ncold: resolve, fetch, check and unpack every tarball, parse every reachable file, link (isobox); \
         resolve and bundle from node_modules, process included (esbuild)\n\
         first run: the sandbox compiles every package module; warm: bytecode from the engine's cache\n\
         warm bundled: esbuild's bundle of the same code as the run's only module (bytecode cached)"
    );
}
