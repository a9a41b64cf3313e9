//! The `isobox` binary, run as a user would.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("isobox-cli-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir(path)
    }

    /// Writes `bytes` to `name` in the directory and returns its path.
    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("writing a temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn isobox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_isobox"))
}

/// Runs `isobox run FILE ARGS...` on `code`.
fn run_code(code: &str, args: &[&str]) -> Output {
    let dir = TempDir::new();
    let file = dir.file("main.js", code);
    isobox()
        .arg("run")
        .arg(&file)
        .args(args)
        .output()
        .expect("running isobox")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

#[test]
fn an_ok_run_prints_the_result_and_exits_0() {
    let output = run_code("6 * 7", &[]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), "42");
}

#[test]
fn input_is_passed_to_the_code() {
    let output = run_code("(input) => ({ doubled: input.n * 2 })", &["--input", r#"{"n": 21}"#]);
    assert_exit(&output, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(value, serde_json::json!({ "doubled": 42 }));
}

#[test]
fn logs_go_to_stderr_with_their_level() {
    let output = run_code("console.log('plain'); console.warn('careful'); 1", &[]);
    assert_exit(&output, 0);
    let err = stderr(&output);
    assert!(err.contains("plain\n"), "stderr: {err}");
    assert!(err.contains("[warn] careful"), "stderr: {err}");
    assert_eq!(stdout(&output).trim(), "1");
}

#[test]
fn json_prints_the_whole_outcome() {
    let output = run_code("console.log('hi'); [1, 2]", &["--json"]);
    assert_exit(&output, 0);
    let outcome: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(outcome["ok"], true);
    assert_eq!(outcome["value"], serde_json::json!([1, 2]));
    assert_eq!(outcome["logs"]["entries"][0]["message"], "hi");
    assert!(outcome["stats"]["wall_time_us"].is_u64());
    let parsed: isobox::Outcome = serde_json::from_value(outcome).expect("an Outcome");
    assert_eq!(parsed.result, Ok(serde_json::json!([1, 2])));
}

#[test]
fn json_prints_an_error_outcome_and_keeps_the_exit_code() {
    let output = run_code("throw new RangeError('nope')", &["--json"]);
    assert_exit(&output, 1);
    let outcome: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(outcome["ok"], false);
    assert_eq!(outcome["error"]["kind"], "js-error");
    assert_eq!(outcome["error"]["name"], "RangeError");
}

#[test]
fn a_js_error_exits_1() {
    let output = run_code("throw new Error('kaboom')", &[]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("js-error"), "stderr: {err}");
    assert!(err.contains("Error: kaboom"), "stderr: {err}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn a_wall_time_limit_exits_3() {
    let output = run_code("while(true){}", &["--wall-time-ms", "100", "--fuel", "1000000000000"]);
    assert_exit(&output, 3);
    assert!(stderr(&output).contains("timeout"), "stderr: {}", stderr(&output));
}

#[test]
fn a_fuel_limit_exits_3() {
    let output = run_code("while(true){}", &["--fuel", "1000000"]);
    assert_exit(&output, 3);
    assert!(stderr(&output).contains("cpu-limit"), "stderr: {}", stderr(&output));
}

#[test]
fn a_missing_file_exits_2() {
    let dir = TempDir::new();
    let missing = dir.0.join("does-not-exist.js");
    let output = isobox().arg("run").arg(&missing).output().expect("running isobox");
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("does-not-exist.js"), "stderr: {err}");
    assert!(err.contains("cannot read"), "stderr: {err}");
}

#[test]
fn bad_input_json_exits_2() {
    let output = run_code("1", &["--input", "{bad"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--input"), "stderr: {}", stderr(&output));
}

#[test]
fn a_non_utf8_file_exits_2_naming_the_offset() {
    let dir = TempDir::new();
    let file = dir.file("bytes.js", b"12\xff3");
    let output = isobox().arg("run").arg(&file).output().expect("running isobox");
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("UTF-8"), "stderr: {err}");
    assert!(err.contains("offset 2"), "stderr: {err}");
}

#[test]
fn an_empty_file_exits_2() {
    let output = run_code("", &[]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("empty"), "stderr: {}", stderr(&output));
}

#[test]
fn an_out_of_range_wall_time_exits_2_naming_the_flag() {
    let output = run_code("1", &["--wall-time-ms", "0"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--wall-time-ms"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn an_out_of_range_memory_limit_exits_2_naming_the_flag() {
    let output = run_code("1", &["--memory-mib", "1"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--memory-mib"), "stderr: {}", stderr(&output));
}

#[test]
fn oversized_code_exits_2() {
    let output = run_code("1 + 2 + 3 + 4 + 5 + 6", &["--max-code-bytes", "10"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("code_bytes"), "stderr: {}", stderr(&output));
}

#[test]
fn an_unknown_flag_exits_2() {
    let output = run_code("1", &["--no-such-flag"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--no-such-flag"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn code_from_stdin_runs() {
    let mut child = isobox()
        .args(["run", "-", "--input", "5"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning isobox");
    child.stdin.take().unwrap().write_all(b"(input) => input * 3").unwrap();
    let output = child.wait_with_output().expect("waiting for isobox");
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), "15");
}

#[test]
fn a_syntax_error_prints_line_and_column() {
    let output = run_code("let a = 1;\nlet b = 2;\nlet c = (;\n", &[]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("syntax-error"), "stderr: {err}");
    assert!(err.contains("line 3, column 10"), "stderr: {err}");
}

#[test]
fn the_form_flag_forces_a_module() {
    let output = run_code(
        "export default (input) => input + 1",
        &["--form", "module", "--input", "1"],
    );
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), "2");
}

#[test]
fn allow_net_lets_fetch_reach_the_named_host_and_port_only() {
    let server = crate::upstream::Upstream::http();
    let port = server.port();
    let code = format!(
        "const ok = await (await fetch('http://127.0.0.1:{port}/')).text();
         let other = null;
         try {{ await fetch('http://127.0.0.1:{}/'); }} catch (e) {{ other = e.message; }}
         [ok, other]",
        port.wrapping_add(1)
    );
    let allow = format!("127.0.0.1:{port}");
    let output = run_code(&code, &["--allow-net", &allow, "--json"]);
    assert_exit(&output, 0);
    let outcome: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON outcome");
    assert_eq!(outcome["value"][0], "hello");
    assert!(
        outcome["value"][1].as_str().unwrap().contains("no rule allows"),
        "{outcome}"
    );
    assert_eq!(outcome["egress"][0]["decision"], "allowed");
    assert_eq!(outcome["egress"][1]["decision"], "denied");
}

#[test]
fn a_policy_file_is_read_and_its_errors_name_the_place() {
    let server = crate::upstream::Upstream::http();
    let dir = TempDir::new();
    let good = dir.file(
        "policy.toml",
        format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{}]\n", server.port()),
    );
    let code = format!("(await fetch('http://127.0.0.1:{}/')).text()", server.port());
    let output = run_code(&code, &["--policy", good.to_str().unwrap()]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("hello"), "{}", stdout(&output));

    let bad = dir.file("bad.toml", "[[allow]]\nhost = \"example.com\"\nport = 80\n");
    let output = run_code("1", &["--policy", bad.to_str().unwrap()]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("--policy"), "{message}");
    assert!(message.contains("line 3"), "{message}");

    let output = run_code("1", &["--allow-net", "exa mple.com"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("exa mple.com"), "{}", stderr(&output));

    let output = run_code("1", &["--policy", "/nonexistent/policy.toml"]);
    assert_exit(&output, 2);
}

#[test]
fn types_prints_the_declarations_of_the_globals() {
    let output = isobox().arg("types").output().expect("running isobox types");
    assert_exit(&output, 0);
    let text = stdout(&output);
    for needle in [
        "declare function fetch(",
        "declare class URL ",
        "declare class AbortController",
        "declare const input",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
}

fn text_plugin_arg() -> String {
    format!(
        "text={}/isobox_plugin_text.wasm:{}/../../plugins/text/wit",
        isobox_plugins::DIR,
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn grants_built_ins_and_plugins_with_props() {
    let code = "await env.kv.put('k', await env.text.tenant()); [await env.kv.get('k'), Object.keys(env)]";
    let plugin = text_plugin_arg();
    let output = run_code(
        code,
        &[
            "--grant",
            "kv",
            "--plugin",
            &plugin,
            "--props",
            "text={\"tenant\":\"acme\"}",
        ],
    );
    assert_exit(&output, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON result");
    assert_eq!(value, serde_json::json!(["acme", ["kv", "text"]]));
}

#[test]
fn bad_grants_are_usage_errors() {
    for (args, needle) in [
        (vec!["--grant", "sql"], "no built-in capability named \"sql\""),
        (
            vec!["--plugin", "text=only-one-part"],
            "expected NAME=COMPONENT.wasm:WIT",
        ),
        (
            vec!["--plugin", "text=/nonexistent.wasm:/nonexistent.wit"],
            "--plugin text",
        ),
        (vec!["--grant", "kv", "--props", "kv=not json"], "not valid JSON"),
        (
            vec!["--grant", "kv", "--props", "other={}"],
            "no capability of that name",
        ),
        (vec!["--grant", "my-store=kv"], "cannot be a capability's name"),
        (
            vec![
                "--grant",
                "kv",
                "--props",
                "kv={\"tenant\":\"a\"}",
                "--props",
                "kv={\"tenant\":\"b\"}",
            ],
            "--props kv is given twice",
        ),
    ] {
        let output = run_code("1", &args);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(needle), "{args:?}: {}", stderr(&output));
    }
    let dir = TempDir::new();
    let junk = dir.file("junk.wasm", b"\0asm but not really");
    let arg = format!(
        "text={}:{}/../../plugins/text/wit",
        junk.display(),
        env!("CARGO_MANIFEST_DIR")
    );
    let output = run_code("1", &["--plugin", &arg]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("not a usable Wasm component"),
        "{}",
        stderr(&output)
    );
    let bad_wit = dir.file("bad.wit", "package a:b; interface x { f: func( }");
    let arg = format!(
        "x={}/isobox_plugin_text.wasm:{}",
        isobox_plugins::DIR,
        bad_wit.display()
    );
    let output = run_code("1", &["--plugin", &arg]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("invalid WIT"), "{}", stderr(&output));
}

#[test]
fn types_include_the_granted_capabilities() {
    let plugin = text_plugin_arg();
    let output = isobox()
        .args(["types", "--grant", "kv", "--grant", "todo", "--plugin", &plugin])
        .output()
        .expect("running isobox types");
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("declare namespace env"), "{text}");
    assert!(text.contains("get(key: string): Promise<string | null>;"), "{text}");
    assert!(
        text.contains("summarize(text: string, top: number): Promise<text.Stats>;"),
        "{text}"
    );
    assert!(!text.contains("declare const env"), "env is declared once");
}

#[test]
fn types_declare_mcp_tools_beside_the_grants() {
    let dir = TempDir::new();
    let tools = dir.file(
        "tools.json",
        r#"{"tools": [{"name": "create_note", "description": "Saves a note.",
            "inputSchema": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
            "outputSchema": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
           {"name": 7}]}"#,
    );
    let arg = format!("notes={}", tools.display());
    let output = isobox()
        .args(["types", "--grant", "kv", "--mcp-tools", &arg])
        .output()
        .expect("running isobox types");
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert_eq!(text.matches("declare namespace env {").count(), 1, "{text}");
    assert!(text.contains("get(key: string): Promise<string | null>;"), "{text}");
    assert!(
        text.contains(
            "  const notes: {\n    /** Saves a note. */\n    createNote(args: { title: string }): Promise<{ id: number }>;\n  };\n"
        ),
        "{text}"
    );
    assert!(text.contains("// MCP tools resolve with"), "{text}");
    assert!(!text.contains("declare const env"), "env is declared once");
    // The entry without a name is left out, and said so.
    assert!(
        stderr(&output).contains("left out tools[1]: no name"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_mcp_tools_are_usage_errors() {
    let dir = TempDir::new();
    let good = dir.file("good.json", r#"{"tools": []}"#);
    let not_json = dir.file("bad.json", "{\"tools\": [");
    let no_tools = dir.file("none.json", "{\"items\": []}");
    let good = good.display().to_string();
    for (args, needle) in [
        (
            vec!["--mcp-tools".to_owned(), "notes".to_owned()],
            "expected NAME=FILE.json".to_owned(),
        ),
        (
            vec!["--mcp-tools".to_owned(), format!("my-notes={good}")],
            "cannot be a name in env".to_owned(),
        ),
        (
            vec![
                "--grant".to_owned(),
                "kv".to_owned(),
                "--mcp-tools".to_owned(),
                format!("kv={good}"),
            ],
            "env.kv is already declared".to_owned(),
        ),
        (
            vec!["--mcp-tools".to_owned(), "notes=/nonexistent/tools.json".to_owned()],
            "cannot read /nonexistent/tools.json".to_owned(),
        ),
        (
            vec!["--mcp-tools".to_owned(), format!("notes={}", not_json.display())],
            "not valid JSON".to_owned(),
        ),
        (
            vec!["--mcp-tools".to_owned(), format!("notes={}", no_tools.display())],
            "no \"tools\" array".to_owned(),
        ),
    ] {
        let output = isobox()
            .arg("types")
            .args(&args)
            .output()
            .expect("running isobox types");
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(&needle), "{args:?}: {}", stderr(&output));
    }
}

/// Runs `isobox run FILE` with stdout and stderr on a real terminal (a
/// pseudo-terminal made by util-linux's `script`): what the terminal got.
fn run_on_a_terminal(code: &str) -> Vec<u8> {
    let dir = TempDir::new();
    let file = dir.file("main.js", code);
    let command = format!("'{}' run '{}'", env!("CARGO_BIN_EXE_isobox"), file.display());
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("running script(1) from util-linux");
    output.stdout
}

#[test]
fn escape_sequences_and_bidi_overrides_are_escaped_on_a_terminal() {
    // An OSC 52 clipboard write, a screen clear and a Trojan Source override
    // in a log line, the result and an error message.
    let code = "console.log('log \\u001b]52;c;ZXZpbA==\\u0007 \\u001b[2J');
                console.warn('warn \\u202e reversed');
                throw new Error('thrown \\u001b[31m red \\u2066 isolate')";
    let seen = String::from_utf8_lossy(&run_on_a_terminal(code)).into_owned();
    assert!(seen.contains("log \\x1b]52;c;ZXZpbA==\\x07 \\x1b[2J"), "{seen:?}");
    assert!(seen.contains("warn \\u{202e} reversed"), "{seen:?}");
    assert!(seen.contains("thrown \\x1b[31m red \\u{2066} isolate"), "{seen:?}");
    assert!(
        !seen.contains('\u{1b}') && !seen.contains('\u{202e}') && !seen.contains('\u{2066}'),
        "{seen:?}"
    );
    let result = String::from_utf8_lossy(&run_on_a_terminal("'value \\u202e \\u009b'")).into_owned();
    assert!(result.contains("value \\u{202e} \\u{9b}"), "{result:?}");

    // Into a pipe the text is unchanged: a program reading it gets it whole.
    let output = run_code("console.log('a\\u202eb'); 'c\\u202ed'", &[]);
    assert!(stderr(&output).contains("a\u{202e}b"), "{}", stderr(&output));
    assert!(stdout(&output).contains("c\u{202e}d"), "{}", stdout(&output));
}

#[test]
fn run_and_dispatch_take_modules_from_flags() {
    let dir = TempDir::new();
    let main = dir.file("main.js", "import { double } from './lib/math.js';\nimport data from './data.json';\nexport default () => double(data.n);");
    std::fs::create_dir_all(dir.0.join("lib")).expect("a lib directory");
    dir.file("lib/math.js", "export const double = (n) => n * 2;");
    dir.file("data.json", r#"{ "n": 21 }"#);
    let output = isobox()
        .arg("run")
        .arg(&main)
        .arg("--modules")
        .arg(&dir.0)
        .output()
        .expect("running isobox");
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), "42");

    let math = dir.0.join("lib/math.js");
    let output = isobox()
        .arg("run")
        .arg(&main)
        .arg("--module")
        .arg(format!("lib/math.js={}", math.display()))
        .arg("--module")
        .arg(format!("data.json={}", dir.0.join("data.json").display()))
        .output()
        .expect("running isobox");
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), "42");

    let output = isobox()
        .arg("run")
        .arg(&main)
        .arg("--module")
        .arg("no-equals-sign")
        .output()
        .expect("running isobox");
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("write NAME=FILE"), "{}", stderr(&output));

    let worker = dir.file(
        "worker.js",
        "import { greet } from './greet.js';\nexport default { fetch: () => new Response(greet('you')) };",
    );
    dir.file("greet.js", "export const greet = (who) => `hello ${who}`;");
    let output = isobox()
        .arg("dispatch")
        .arg(&worker)
        .arg("--modules")
        .arg(&dir.0)
        .output()
        .expect("running isobox");
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "hello you");
}

#[test]
fn dispatch_repeat_sends_the_request_to_fresh_sandboxes_and_prints_timings() {
    let dir = TempDir::new();
    let worker = dir.file(
        "worker.js",
        "let count = 0;\nexport default { fetch: () => new Response(`call ${++count}`) };",
    );
    let output = isobox()
        .arg("dispatch")
        .arg(&worker)
        .arg("--repeat")
        .arg("3")
        .output()
        .expect("running isobox");
    assert_exit(&output, 0);
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    // Each request sees a fresh module: the count is 1 every time.
    assert_eq!(
        lines,
        [
            "request 1: HTTP 200 (6 bytes)",
            "request 2: HTTP 200 (6 bytes)",
            "request 3: HTTP 200 (6 bytes)"
        ]
    );
    assert!(
        stderr(&output).contains("3 requests, each in a fresh sandbox: p50"),
        "{}",
        stderr(&output)
    );
}
