//! Runs the Web Platform Tests listed in `tests/wpt/suite.txt` inside isobox
//! and compares the results with `tests/wpt/expected-failures.json`.
//!
//!     scripts/wpt/fetch.sh                     # once: the pinned WPT copy
//!     cargo test --release --test wpt -- [FILTER ...] [--verbose] [--bless]
//!
//! One engine; every test file runs in its own fresh sandbox as one sloppy
//! script: `prelude.js` (self, location, a fetch of WPT files), testharness.js,
//! `report.js` (results as console lines), the `// META: script=` files and
//! the test. Variants (`// META: variant=`) are not split: with an empty
//! `location.search` every subtest of a file runs at once. Files whose
//! `// META: global=` names only window scopes are skipped, as are those
//! `suite.txt` skips with a reason.
//!
//! A failing subtest that is not listed fails the run; listed subtests that
//! now pass are reported. A file whose harness ends in error or timeout counts
//! as one more failed subtest, named `(harness)`. `--bless` rewrites the list
//! from this run, keeping the reasons already written.

mod expectations;
mod suite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use isobox::{CodeForm, Engine, Limits, RunRequest};
use serde_json::{Value, json};

use expectations::Expectations;
use suite::{Suite, TestFile};

const PRELUDE: &str = include_str!("prelude.js");
const REPORT: &str = include_str!("report.js");
const MARK: &str = "\u{1}wpt ";
/// The name under which a harness error or timeout counts as a failure.
const HARNESS: &str = "(harness)";

/// How one subtest ended.
#[derive(Clone, Debug)]
struct SubtestResult {
    name: String,
    passed: bool,
    /// PASS, FAIL, TIMEOUT, NOTRUN, PRECONDITION_FAILED, or the harness's.
    status: &'static str,
    message: String,
}

struct FileResult {
    file: TestFile,
    subtests: Vec<SubtestResult>,
    elapsed: Duration,
}

struct Options {
    filters: Vec<String>,
    verbose: bool,
    bless: bool,
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let here = root.join("tests/wpt");
    let wpt = std::env::var_os("WPT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".cache/wpt"));
    if !wpt.join("resources/testharness.js").is_file() {
        eprintln!(
            "wpt: no WPT copy in {}: run scripts/wpt/fetch.sh (`make wpt` does)",
            wpt.display()
        );
        return ExitCode::from(2);
    }
    let suite = match Suite::load(&here.join("suite.txt"), &wpt) {
        Ok(suite) => suite,
        Err(message) => {
            eprintln!("wpt: {message}");
            return ExitCode::from(2);
        }
    };
    let expectations_path = here.join("expected-failures.json");
    let expected = match Expectations::load(&expectations_path) {
        Ok(expected) => expected,
        Err(message) => {
            eprintln!("wpt: {message}");
            return ExitCode::from(2);
        }
    };
    let files: Vec<TestFile> = suite
        .files
        .iter()
        .filter(|f| options.filters.is_empty() || options.filters.iter().any(|x| f.path.contains(x.as_str())))
        .cloned()
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let started = Instant::now();
    let results = match runtime.block_on(run_all(&wpt, files)) {
        Ok(results) => results,
        Err(message) => {
            eprintln!("wpt: {message}");
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed();

    for (file, reason) in &suite.skipped {
        println!("skipped {file}: {reason}");
    }
    let verdict = report(&results, &expected, &options, elapsed, suite.skipped.len());
    if options.bless {
        let blessed = expected.blessed(results.iter().map(|r| {
            let failed = r.subtests.iter().filter(|s| !s.passed).map(|s| s.name.clone());
            (r.file.path.clone(), failed.collect::<Vec<_>>())
        }));
        if let Err(message) = blessed.save(&expectations_path) {
            eprintln!("wpt: {message}");
            return ExitCode::from(2);
        }
        println!("wrote {}", expectations_path.display());
        return ExitCode::SUCCESS;
    }
    if verdict { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        filters: Vec::new(),
        verbose: false,
        bless: false,
    };
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--verbose" | "-v" => options.verbose = true,
            "--bless" => options.bless = true,
            // What cargo's test runner passes to every test binary.
            "--nocapture" | "--quiet" | "-q" => {}
            other if other.starts_with('-') => {
                return Err(format!(
                    "wpt: unknown flag {other} (flags: --verbose, --bless; other arguments filter file paths)"
                ));
            }
            filter => options.filters.push(filter.to_owned()),
        }
    }
    Ok(options)
}

async fn run_all(wpt: &Path, files: Vec<TestFile>) -> Result<Vec<FileResult>, String> {
    let engine = Engine::builder()
        .bytecode_cache_bytes(0)
        .build()
        .await
        .map_err(|e| format!("building the engine: {e}"))?;
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, file) in files.into_iter().enumerate() {
        let request = build_request(wpt, &file)?;
        let engine = engine.clone();
        let slots = slots.clone();
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
            let started = Instant::now();
            let outcome = engine.run(request).await;
            let subtests = read_results(&outcome);
            (
                index,
                FileResult {
                    file,
                    subtests,
                    elapsed: started.elapsed(),
                },
            )
        });
    }
    let mut results = Vec::new();
    while let Some(done) = tasks.join_next().await {
        results.push(done.map_err(|e| format!("a test task failed: {e}"))?);
    }
    results.sort_by_key(|(index, _)| *index);
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

/// The sandbox's code (prelude, harness, META scripts, test) and its input
/// (the test's path, the files it may fetch, its timeout).
fn build_request(wpt: &Path, file: &TestFile) -> Result<RunRequest, String> {
    let read = |relative: &str| {
        std::fs::read_to_string(wpt.join(relative)).map_err(|e| format!("reading {relative} from the WPT copy: {e}"))
    };
    let source = read(&file.path)?;
    let meta = suite::Meta::parse(&source);
    let mut code = String::new();
    code.push_str(PRELUDE);
    code.push_str("\n;\n");
    code.push_str(&read("resources/testharness.js")?);
    code.push_str("\n;\n");
    code.push_str(REPORT);
    let mut fetchable = BTreeMap::new();
    let mut scanned = source.clone();
    for script in &meta.scripts {
        let path = suite::resolve(&file.path, script);
        let text = read(&path)?;
        code.push_str(&format!("\n;// META script {path}\n"));
        code.push_str(&text);
        scanned.push_str(&text);
    }
    code.push_str(&format!("\n;// {}\n", file.path));
    code.push_str(&source);
    code.push_str("\n;\nawait __wptDone;\n");

    for path in suite::fetched_files(wpt, &file.path, &scanned) {
        fetchable.insert(path.clone(), read(&path)?);
    }
    // Generous: the RSA key generation of WebCryptoAPI's long files takes
    // tens of seconds in wasm on a loaded 2-core machine. A hang still
    // fails, only later.
    let timeout_ms: u64 = if meta.long { 120_000 } else { 40_000 };
    let limits = Limits {
        wall_time: Duration::from_millis(timeout_ms + 30_000),
        fuel: 1_000_000_000_000,
        memory_bytes: 256 * 1024 * 1024,
        stack_bytes: 512 * 1024,
        result_bytes: 1024 * 1024,
        log_bytes: 16 * 1024 * 1024,
        log_lines: 1_000_000,
        code_bytes: 16 * 1024 * 1024,
        input_bytes: 64 * 1024 * 1024,
        ..Limits::default()
    };
    Ok(RunRequest::new(code)
        .with_filename(file.path.clone())
        .with_form(CodeForm::Script)
        .with_input(json!({ "path": file.path, "files": fetchable, "timeoutMs": timeout_ms }))
        .with_limits(limits))
}

/// The subtest results the report hook logged, and the harness's own status
/// as a `(harness)` failure when it was not OK.
fn read_results(outcome: &isobox::Outcome) -> Vec<SubtestResult> {
    const STATUS: [&str; 5] = ["PASS", "FAIL", "TIMEOUT", "NOTRUN", "PRECONDITION_FAILED"];
    const HARNESS_STATUS: [&str; 4] = ["OK", "ERROR", "TIMEOUT", "PRECONDITION_FAILED"];
    let mut subtests = Vec::new();
    let mut harness_seen = false;
    for entry in &outcome.logs.entries {
        let Some(json) = entry.message.strip_prefix(MARK) else {
            continue;
        };
        let Ok(line) = serde_json::from_str::<Value>(json) else {
            continue;
        };
        let message = line["message"].as_str().unwrap_or_default().to_owned();
        if let Some(status) = line["harness"].as_u64() {
            harness_seen = true;
            if status != 0 {
                subtests.push(SubtestResult {
                    name: HARNESS.to_owned(),
                    passed: false,
                    status: HARNESS_STATUS.get(status as usize).copied().unwrap_or("UNKNOWN"),
                    message,
                });
            }
        } else {
            let status = line["status"].as_u64().unwrap_or(1) as usize;
            subtests.push(SubtestResult {
                name: line["name"].as_str().unwrap_or_default().to_owned(),
                passed: status == 0,
                status: STATUS.get(status).copied().unwrap_or("UNKNOWN"),
                message,
            });
        }
    }
    if !harness_seen {
        let message = match &outcome.result {
            Err(error) => format!("the run ended without the harness completing: {error}"),
            Ok(value) => format!("the run ended without the harness completing (value {value})"),
        };
        subtests.push(SubtestResult {
            name: HARNESS.to_owned(),
            passed: false,
            status: "ERROR",
            message,
        });
    }
    if outcome.logs.truncated {
        subtests.push(SubtestResult {
            name: HARNESS.to_owned(),
            passed: false,
            status: "ERROR",
            message: "the console output was truncated: results are missing".to_owned(),
        });
    }
    subtests
}

#[derive(Default)]
struct Tally {
    files: usize,
    passed: usize,
    total: usize,
}

impl Tally {
    fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.passed as f64 * 100.0 / self.total as f64
        }
    }
}

/// `text` on one line, control characters escaped, at most 300 characters.
fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped: String = flat.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

/// Prints the counts and the differences from the expected failures; true
/// when every failure was expected.
fn report(
    results: &[FileResult],
    expected: &Expectations,
    options: &Options,
    elapsed: Duration,
    skipped: usize,
) -> bool {
    let mut groups: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut overall = Tally::default();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for result in results {
        let tally = groups.entry(result.file.group.as_str()).or_default();
        tally.files += 1;
        overall.files += 1;
        for subtest in &result.subtests {
            tally.total += 1;
            overall.total += 1;
            let listed = expected.lists(&result.file.path, &subtest.name);
            if subtest.passed {
                tally.passed += 1;
                overall.passed += 1;
                if listed {
                    now_passing.push(format!("{} :: {}", result.file.path, one_line(&subtest.name)));
                }
            } else if !listed {
                unexpected.push((result, subtest));
            } else if options.verbose {
                println!(
                    "expected failure {} :: {} [{}] {}",
                    result.file.path,
                    one_line(&subtest.name),
                    subtest.status,
                    one_line(&subtest.message)
                );
            }
        }
        if options.verbose {
            println!(
                "{:>7.2}s {} ({} subtests)",
                result.elapsed.as_secs_f64(),
                result.file.path,
                result.subtests.len()
            );
        }
    }
    let stale = expected.stale(results.iter().map(|r| {
        (
            r.file.path.as_str(),
            r.subtests.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        )
    }));

    println!();
    println!(
        "{:<36} {:>6} {:>9} {:>9} {:>8}",
        "directory", "files", "passed", "subtests", "percent"
    );
    for (group, tally) in &groups {
        println!(
            "{:<36} {:>6} {:>9} {:>9} {:>7.2}%",
            group,
            tally.files,
            tally.passed,
            tally.total,
            tally.percent()
        );
    }
    println!(
        "{:<36} {:>6} {:>9} {:>9} {:>7.2}%",
        "overall",
        overall.files,
        overall.passed,
        overall.total,
        overall.percent()
    );
    println!("{skipped} files skipped (listed above); {:.1} s", elapsed.as_secs_f64());

    if !now_passing.is_empty() {
        println!(
            "\n{} listed as expected failures now pass (remove them from expected-failures.json):",
            now_passing.len()
        );
        for line in &now_passing {
            println!("  {line}");
        }
    }
    if !stale.is_empty() {
        println!("\n{} listed subtests did not run at all:", stale.len());
        for line in &stale {
            println!("  {line}");
        }
    }
    if !unexpected.is_empty() {
        println!("\n{} unexpected failures:", unexpected.len());
        for (result, subtest) in &unexpected {
            println!(
                "  {} :: {} [{}] {}",
                result.file.path,
                one_line(&subtest.name),
                subtest.status,
                one_line(&subtest.message)
            );
        }
    }
    unexpected.is_empty()
}
