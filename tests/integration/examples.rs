//! Every file in `examples/` does what it documents. A script documents
//! itself in comment lines:
//!
//! ```text
//! // $ isobox run examples/spin.js --fuel 50000000     (a command, run from the repository root)
//! // exit 3                                           (its exit code)
//! // stdout ...                                       (text its stdout contains; any number)
//! // stderr ...                                       (text its stderr contains; any number)
//! ```
//!
//! A file may hold several commands. A TOML file is either named by a
//! command of another example (the egress policy) or loaded here (the serve
//! config). A file with neither fails the test, so a new example cannot be
//! left unchecked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One documented command and what it must give.
#[derive(Debug, Default)]
struct Case {
    args: Vec<String>,
    exit: Option<i32>,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

/// Splits a command line as a POSIX shell would for plain words and
/// single-quoted strings (all the examples use).
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The cases a file documents in its `//` or `#` comment lines.
fn documented_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        let Some(doc) = line.strip_prefix("// ").or_else(|| line.strip_prefix("# ")) else {
            continue;
        };
        if let Some(command) = doc.strip_prefix("$ isobox ") {
            cases.push(Case {
                args: split_words(command),
                ..Case::default()
            });
        } else if let Some(case) = cases.last_mut() {
            if let Some(code) = doc.strip_prefix("exit ") {
                case.exit = Some(code.trim().parse().expect("`exit N` takes a number"));
            } else if let Some(text) = doc.strip_prefix("stdout ") {
                case.stdout.push(text.to_owned());
            } else if let Some(text) = doc.strip_prefix("stderr ") {
                case.stderr.push(text.to_owned());
            }
        }
    }
    cases
}

/// The plugin directory the commands name, where the build put the plugins.
fn with_plugin_dir(arg: &str) -> String {
    arg.replace("target/plugins/wasm32-wasip2/release", isobox_plugins::DIR)
}

#[test]
fn split_words_handles_quotes() {
    assert_eq!(
        split_words(r#"run a.js --input '{"a": 1}'  -H 'x: y'"#),
        ["run", "a.js", "--input", r#"{"a": 1}"#, "-H", "x: y"]
    );
}

#[test]
fn every_example_does_what_it_documents() {
    let dir = root().join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reading examples/")
        .map(|entry| entry.expect("an entry of examples/").path())
        .collect();
    files.sort();
    let mut named = BTreeSet::new();
    let mut checked = BTreeSet::new();
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("reading an example");
        let cases = documented_cases(&text);
        if !cases.is_empty() {
            checked.insert(name.clone());
        }
        for case in cases {
            let args: Vec<String> = case.args.iter().map(|arg| with_plugin_dir(arg)).collect();
            for arg in &args {
                if let Some(example) = arg.split(['=', ':']).find_map(|part| part.strip_prefix("examples/")) {
                    named.insert(example.to_owned());
                }
            }
            let output = Command::new(env!("CARGO_BIN_EXE_isobox"))
                .current_dir(root())
                .args(&args)
                .output()
                .expect("running isobox");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mut wrong = Vec::new();
            if case.exit.is_none() {
                wrong.push("documents no `exit N`".to_owned());
            }
            if case.exit.is_some() && output.status.code() != case.exit {
                wrong.push(format!("exit {:?}, documented {:?}", output.status.code(), case.exit));
            }
            for want in &case.stdout {
                if !stdout.contains(want.as_str()) {
                    wrong.push(format!("stdout lacks {want:?}"));
                }
            }
            for want in &case.stderr {
                if !stderr.contains(want.as_str()) {
                    wrong.push(format!("stderr lacks {want:?}"));
                }
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "examples/{name}: `isobox {}`: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                    case.args.join(" "),
                    wrong.join("; ")
                ));
            }
        }
    }
    // The serve config, loaded as `isobox serve --config` loads it.
    let serve = root().join("examples/serve.toml");
    let text = std::fs::read_to_string(&serve).expect("reading examples/serve.toml");
    let config = isobox_serve::ServeConfig::from_toml_str(&text, serve.parent(), |name| {
        (name == "DEMO_KEY").then(|| "demo-key".to_owned())
    })
    .expect("examples/serve.toml loads");
    assert!(
        config.tenants().iter().any(|tenant| tenant.id == "demo"),
        "serve.toml has the demo tenant"
    );
    checked.insert("serve.toml".to_owned());

    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if !checked.contains(&name) && !named.contains(&name) {
            failures.push(format!(
                "examples/{name} documents no `$ isobox ...` command and no other example uses it"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        checked.len() >= 13,
        "only {} examples were checked: {checked:?}",
        checked.len()
    );
}

/// Every example's `isobox run` replays from its journal to the same
/// output: recorded with `--journal`, re-executed with `--replay` (offline:
/// every clock read, random value, capability call and response comes from
/// the journal), the exit code, the value or error and the console lines
/// are the same.
#[test]
fn every_example_run_replays_from_its_journal_to_the_same_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("reading examples/")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    let mut replayed = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("reading an example");
        for (index, case) in documented_cases(&text).into_iter().enumerate() {
            let args: Vec<String> = case.args.iter().map(|arg| with_plugin_dir(arg)).collect();
            if args.first().map(String::as_str) != Some("run") || args.iter().any(|a| a == "--repeat" || a == "-") {
                continue;
            }
            let journal = dir
                .path()
                .join(format!("{}-{index}.json", file.file_stem().unwrap().to_string_lossy()));
            let journal = journal.to_str().unwrap().to_owned();
            let run = |extra: [&str; 2]| {
                Command::new(env!("CARGO_BIN_EXE_isobox"))
                    .current_dir(root())
                    .args(&args)
                    .args(extra)
                    .output()
                    .expect("running isobox")
            };
            let recorded = run(["--journal", &journal]);
            let again = run(["--replay", &journal]);
            let comparable = |output: &std::process::Output| {
                let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
                // --json prints stats (times differ): compare what the run gave.
                match serde_json::from_str::<serde_json::Value>(&stdout) {
                    Ok(serde_json::Value::Object(mut outcome)) if outcome.contains_key("stats") => {
                        outcome.retain(|key, _| ["ok", "value", "error", "logs"].contains(&key.as_str()));
                        serde_json::Value::Object(outcome).to_string()
                    }
                    _ => stdout,
                }
            };
            if recorded.status.code() != again.status.code() || comparable(&recorded) != comparable(&again) {
                failures.push(format!(
                    "{}: `isobox {}`: recorded exit {:?} {:?}, replayed exit {:?} {:?}; replay stderr {}",
                    file.display(),
                    args.join(" "),
                    recorded.status.code(),
                    comparable(&recorded),
                    again.status.code(),
                    comparable(&again),
                    String::from_utf8_lossy(&again.stderr)
                ));
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(replayed >= 12, "only {replayed} example runs replayed");
}
