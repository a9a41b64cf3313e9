//! `isobox run`'s journal, gate and cassette flags, as a person uses them.

use std::process::{Command, Output};

use crate::upstream::{Upstream, count};

fn isobox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_isobox"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(dir: &std::path::Path, code: &str, args: &[&str]) -> Output {
    let file = dir.join("main.js");
    std::fs::write(&file, code).unwrap();
    isobox()
        .arg("run")
        .arg(&file)
        .args(args)
        .output()
        .expect("running isobox")
}

#[test]
fn a_run_pauses_at_a_gate_resumes_from_its_journal_file_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.journal.json");
    let journal = journal.to_str().unwrap();
    let code = "const id = crypto.randomUUID();\n\
                await env.kv.put('order', id);\n\
                return { stored: (await env.kv.get('order')) === id, at: Date.now() > 0 };";
    let paused = run(
        dir.path(),
        code,
        &["--grant", "kv", "--gate", "kv.put", "--journal", journal],
    );
    assert_eq!(paused.status.code(), Some(5), "{}", text(&paused.stderr));
    let stderr = text(&paused.stderr);
    assert!(
        stderr.contains("gate 1 waits for approval: env.kv.put(\"order\""),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");

    // Resuming without a decision is a usage error.
    let undecided = run(
        dir.path(),
        code,
        &["--grant", "kv", "--gate", "kv.put", "--resume", journal],
    );
    assert_eq!(undecided.status.code(), Some(2), "{}", text(&undecided.stderr));

    let done = run(
        dir.path(),
        code,
        &[
            "--grant",
            "kv",
            "--gate",
            "kv.put",
            "--resume",
            journal,
            "--approve",
            "--by",
            "ada",
        ],
    );
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let value: serde_json::Value = serde_json::from_str(&text(&done.stdout)).unwrap();
    assert_eq!(value, serde_json::json!({ "stored": true, "at": true }));
    let kept = isobox::journal::Journal::from_json(&std::fs::read_to_string(journal).unwrap()).unwrap();
    assert_eq!(
        kept.gates()[0].1,
        Some(&isobox::journal::Decision::Approved { by: Some("ada".into()) })
    );

    // The finished run replays exactly (the in-memory kv of this process is
    // empty: the answers come from the journal).
    let replay = run(
        dir.path(),
        code,
        &["--grant", "kv", "--gate", "kv.put", "--replay", journal],
    );
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    assert_eq!(text(&replay.stdout), text(&done.stdout));

    // Other code: the replay refuses, saying why.
    let changed = run(
        dir.path(),
        "return 1",
        &["--grant", "kv", "--gate", "kv.put", "--replay", journal],
    );
    assert_eq!(changed.status.code(), Some(6), "{}", text(&changed.stderr));
    assert!(text(&changed.stderr).contains("the code"), "{}", text(&changed.stderr));

    // A gate without a journal cannot pause: refused before running.
    let plain = run(dir.path(), code, &["--grant", "kv", "--gate", "kv.put"]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(text(&plain.stderr).contains("--journal"), "{}", text(&plain.stderr));
}

#[test]
fn a_cassette_replays_a_runs_egress_without_the_network() {
    let upstream = Upstream::http();
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("egress.json");
    let cassette = cassette.to_str().unwrap();
    let url = format!("http://127.0.0.1:{}/count?key=cassette", upstream.port());
    let code =
        format!("const a = await (await fetch('{url}')).text(); const b = await (await fetch('{url}')).text(); [a, b]");
    let allow = format!("127.0.0.1:{}", upstream.port());
    let recorded = run(dir.path(), &code, &["--allow-net", &allow, "--record-egress", cassette]);
    assert_eq!(recorded.status.code(), Some(0), "{}", text(&recorded.stderr));
    let value: serde_json::Value = serde_json::from_str(&text(&recorded.stdout)).unwrap();
    assert_eq!(value, serde_json::json!(["1", "2"]));
    assert_eq!(count("cassette"), 2);

    // No --allow-net, no network: the cassette answers, in order.
    let replayed = run(dir.path(), &code, &["--replay-egress", cassette]);
    assert_eq!(replayed.status.code(), Some(0), "{}", text(&replayed.stderr));
    assert_eq!(text(&replayed.stdout), text(&recorded.stdout));
    assert_eq!(count("cassette"), 2);

    // Code that asks for more than was recorded fails on that request.
    let more = format!("{code}; await fetch('{url}&more=1')");
    let failed = run(dir.path(), &more, &["--replay-egress", cassette]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        text(&failed.stderr).contains("not in the egress cassette"),
        "{}",
        text(&failed.stderr)
    );
}
