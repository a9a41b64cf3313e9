//! Workers-style handlers dispatched by the host: `Engine::dispatch` builds a
//! real Request for `export default { fetch(request, env, ctx) }` and gives
//! back its Response, under the run's limits, egress and capabilities.

use std::time::Duration;

use isobox::egress::EgressPolicy;
use isobox::worker::{HttpRequest, WorkerOutcome};
use isobox::{ErrorKind, Limits, RunRequest};
use serde_json::{Value, json};

use crate::common::engine;
use crate::upstream::Upstream;

/// A worker that answers with JSON describing the request it got.
const ECHO: &str = r#"
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    return Response.json({
      method: request.method,
      path: url.pathname,
      query: url.searchParams.get('q'),
      header: request.headers.get('x-test'),
      type: request.headers.get('content-type'),
      body: await request.text(),
      isRequest: request instanceof Request,
      ctx: [typeof ctx.waitUntil, typeof ctx.passThroughOnException],
    }, { status: 202, headers: { 'x-served-by': 'echo' } });
  },
};
"#;

async fn dispatch(code: &str, http: HttpRequest) -> WorkerOutcome {
    engine().dispatch(RunRequest::new(code), http).await
}

fn json_body(done: &WorkerOutcome) -> Value {
    assert!(
        done.is_ok(),
        "the dispatch failed: {:?}\n{}",
        done.outcome.result,
        done.response.text()
    );
    serde_json::from_slice(&done.response.body)
        .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", done.response.text()))
}

#[tokio::test]
async fn methods_headers_and_bodies_reach_the_handler() {
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        let mut http = HttpRequest::new(method, "http://worker.test/items/7?q=seven").with_header("X-Test", "yes");
        let with_body = !matches!(method, "GET");
        if with_body {
            http = http
                .with_header("content-type", "text/plain")
                .with_body(format!("body of {method}"));
        }
        let done = dispatch(ECHO, http).await;
        let seen = json_body(&done);
        assert_eq!(done.response.status, 202, "{method}");
        assert_eq!(done.response.header("x-served-by"), Some("echo"));
        assert_eq!(done.response.header("content-type"), Some("application/json"));
        assert_eq!(seen["method"], method);
        assert_eq!(seen["path"], "/items/7");
        assert_eq!(seen["query"], "seven");
        assert_eq!(seen["header"], "yes");
        assert_eq!(seen["isRequest"], true);
        assert_eq!(seen["ctx"], json!(["function", "function"]));
        let expected_body = if with_body {
            format!("body of {method}")
        } else {
            String::new()
        };
        assert_eq!(seen["body"], expected_body, "{method}");
    }
}

#[tokio::test]
async fn a_json_request_body_is_parsed_by_the_handler() {
    let code =
        "export default { async fetch(r) { const { a, b } = await r.json(); return new Response(String(a + b)); } }";
    let http = HttpRequest::new("POST", "https://worker.test/add")
        .with_header("content-type", "application/json")
        .with_body(br#"{"a": 40, "b": 2}"#.to_vec());
    let done = dispatch(code, http).await;
    assert_eq!(done.response.status, 200);
    assert_eq!(done.response.text(), "42");
    assert_eq!(done.response.header("content-type"), Some("text/plain;charset=UTF-8"));
}

#[tokio::test]
async fn status_codes_headers_and_byte_bodies_come_back() {
    let code = r#"export default {
      fetch(request) {
        const status = Number(new URL(request.url).searchParams.get('status'));
        if (status === 204) return new Response(null, { status });
        const bytes = new Uint8Array([0, 1, 2, 254, 255]);
        const headers = new Headers([['x-one', '1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
        headers.set('content-type', 'application/octet-stream');
        return new Response(bytes, { status, headers });
      },
    }"#;
    for status in [200, 201, 204, 301, 404, 418, 503] {
        let done = dispatch(code, HttpRequest::new("GET", format!("http://w.test/?status={status}"))).await;
        assert!(done.is_ok(), "{:?}", done.outcome.result);
        assert_eq!(done.response.status, status);
        if status == 204 {
            assert!(done.response.body.is_empty());
            continue;
        }
        assert_eq!(done.response.body, vec![0, 1, 2, 254, 255]);
        assert_eq!(done.response.header("x-one"), Some("1"));
        let cookies: Vec<&str> = done
            .response
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(cookies.len(), 2, "{:?}", done.response.headers);
    }
}

#[tokio::test]
async fn a_function_default_export_with_fetch_and_top_level_await_work() {
    let code = "const greeting = await Promise.resolve('hi');
                function app() {}
                app.fetch = async () => new Response(greeting);
                export default app;";
    let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
    assert_eq!(done.response.text(), "hi");
    assert!(done.is_ok());
}

#[tokio::test]
async fn a_thrown_error_becomes_a_500_with_the_error_in_the_outcome() {
    let code = "export default {\n  async fetch(request) {\n    throw new RangeError('no such item');\n  },\n};";
    let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
    assert_eq!(done.response.status, 500);
    let error = done.outcome.result.as_ref().expect_err("the run failed");
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name.as_deref(), Some("RangeError"));
    assert_eq!(error.message, "no such item");
    assert!(
        error.stack.as_deref().unwrap_or_default().contains("main.js:3"),
        "{error:?}"
    );
    assert!(
        done.response.text().contains("RangeError: no such item"),
        "{}",
        done.response.text()
    );
}

#[tokio::test]
async fn bodies_made_of_bytes_of_streams_and_of_nothing_all_come_back() {
    for (made, expected) in [
        ("new Response('plain text')", "plain text"),
        ("new Response(new Uint8Array([104, 105]))", "hi"),
        ("new Response('')", ""),
        ("new Response(null)", ""),
        // A body the handler turned into a stream first is read as one.
        ("((r) => (r.body, r))(new Response('via its stream'))", "via its stream"),
        (
            "new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('a')); \
             c.enqueue(new TextEncoder().encode('b')); c.close(); } }))",
            "ab",
        ),
    ] {
        let code = format!("export default {{ fetch() {{ return {made}; }} }};");
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert!(done.is_ok(), "{made}: {:?}", done.outcome.result);
        assert_eq!(done.response.status, 200, "{made}");
        assert_eq!(done.response.text(), expected, "{made}");
    }
}

#[tokio::test]
async fn a_response_whose_body_was_already_read_is_a_500() {
    for read in ["await r.text()", "await r.body.getReader().read()"] {
        let code =
            format!("export default {{ async fetch() {{ const r = new Response('once'); {read}; return r; }} }};");
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.status, 500, "{read}");
        let error = done.outcome.result.as_ref().expect_err("the run failed");
        assert_eq!(error.name.as_deref(), Some("TypeError"), "{read}: {error:?}");
        assert!(error.message.contains("already been read"), "{read}: {error:?}");
    }
}

#[tokio::test]
async fn a_value_that_is_not_a_response_is_a_500() {
    for (returned, described) in [
        ("'text'", "a string"),
        ("({ status: 200 })", "an object (Object)"),
        ("undefined", "undefined"),
    ] {
        let code = format!("export default {{ fetch() {{ return {returned}; }} }}");
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.status, 500);
        let error = done.outcome.result.as_ref().expect_err("not a Response");
        assert_eq!(error.name.as_deref(), Some("TypeError"));
        assert!(
            error.message.contains(&format!("returned {described}, not a Response")),
            "{returned}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn response_headers_past_their_caps_are_an_output_limit() {
    // Past the caps, the server never sees them.
    for (fields, bytes) in [(5_000, 1), (100, 1024)] {
        let code = format!(
            "export default {{ fetch() {{
               const h = new Headers();
               for (let i = 0; i < {fields}; i++) h.append('x-h' + i, 'v'.repeat({bytes}));
               return new Response('ok', {{ headers: h }});
             }} }}"
        );
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.status, 500, "{fields}");
        let error = done.outcome.result.as_ref().expect_err("refused");
        assert_eq!(error.kind, ErrorKind::OutputLimit, "{error:?}");
        assert!(
            error.message.contains("65536 bytes or 4096 fields"),
            "{}",
            error.message
        );
    }
}

#[tokio::test]
async fn a_handler_that_never_settles_is_reported_at_once() {
    let code = "export default { fetch: () => new Promise(() => {}) }";
    let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
    assert_eq!(done.response.status, 500);
    assert_eq!(done.outcome.error_kind(), Some(ErrorKind::Unsettled));
}

#[tokio::test]
async fn a_handler_that_never_responds_hits_the_wall_time_limit() {
    let code = "export default { fetch: () => new Promise((resolve) => setTimeout(resolve, 60_000)) }";
    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let done = engine()
        .dispatch(
            RunRequest::new(code).with_limits(limits),
            HttpRequest::new("GET", "http://w.test/"),
        )
        .await;
    assert_eq!(done.outcome.error_kind(), Some(ErrorKind::Timeout));
    assert_eq!(done.response.status, 504);
    assert!(
        done.response.text().contains("wall-clock limit of 300 ms"),
        "{}",
        done.response.text()
    );
}

#[tokio::test]
async fn a_busy_handler_hits_the_fuel_limit() {
    let code = "export default { fetch() { for (;;) {} } }";
    let limits = Limits {
        fuel: 50_000_000,
        ..Limits::default()
    };
    let done = engine()
        .dispatch(
            RunRequest::new(code).with_limits(limits),
            HttpRequest::new("GET", "http://w.test/"),
        )
        .await;
    assert_eq!(done.outcome.error_kind(), Some(ErrorKind::CpuLimit));
    assert_eq!(done.response.status, 500);
}

#[tokio::test]
async fn wait_until_runs_before_the_run_ends_and_console_is_captured() {
    let code = "export default {
      fetch(request, env, ctx) {
        ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log('after the response'); resolve(); }, 20)));
        ctx.waitUntil(Promise.reject(new Error('background failed')));
        ctx.passThroughOnException();
        console.log('handling');
        return new Response('ok');
      },
    }";
    let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
    assert_eq!(done.response.text(), "ok");
    let lines: Vec<&str> = done.outcome.logs.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(lines[0], "handling");
    assert!(lines.contains(&"after the response"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ctx.waitUntil promise rejected") && l.contains("background failed")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn the_handler_fetches_through_the_egress_policy() {
    let upstream = Upstream::http();
    let port = upstream.port();
    let code = format!(
        "export default {{
          async fetch(request) {{
            const upstream = await fetch('http://127.0.0.1:{port}/echo', {{ method: 'POST', body: 'from the worker' }});
            const seen = await upstream.json();
            return new Response(seen.method + ' ' + seen.body, {{ headers: {{ 'x-upstream': String(upstream.status) }} }});
          }},
        }}"
    );
    let policy = EgressPolicy::from_toml_str(&format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n")).unwrap();
    let done = engine()
        .dispatch(
            RunRequest::new(code.clone()).with_egress(isobox::egress::Egress::new(policy)),
            HttpRequest::new("GET", "http://w.test/"),
        )
        .await;
    assert!(done.is_ok(), "{:?}", done.outcome.result);
    assert_eq!(done.response.text(), "POST from the worker");
    assert_eq!(done.response.header("x-upstream"), Some("200"));
    assert_eq!(done.outcome.egress.len(), 1);

    // Without a grant the same fetch is refused, and the handler's error is a 500.
    let denied = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
    assert_eq!(denied.response.status, 500);
    assert_eq!(denied.outcome.error_kind(), Some(ErrorKind::JsError));
    assert_eq!(denied.outcome.egress.len(), 1);
}

#[tokio::test]
async fn env_capabilities_are_available_to_the_handler() {
    let store = isobox_store::Store::open("memory").await.expect("a memory store");
    let kv = isobox_state::kv_capability(store.kv(), isobox_state::Tenancy::PerTenant);
    let code = "export default {
      async fetch(request, env) {
        const key = new URL(request.url).pathname.slice(1);
        if (request.method === 'PUT') { await env.kv.put(key, await request.text()); return new Response(null, { status: 204 }); }
        const value = await env.kv.get(key);
        return value === null ? new Response('missing', { status: 404 }) : new Response(value);
      },
    }";
    let request = || RunRequest::new(code).grant_with_props("kv", kv.clone(), json!({ "tenant": "t1" }));
    let put = engine()
        .dispatch(
            request(),
            HttpRequest::new("PUT", "http://w.test/colour").with_body("teal"),
        )
        .await;
    assert_eq!(put.response.status, 204, "{:?}", put.outcome.result);
    assert_eq!(put.outcome.calls.len(), 1);
    let get = engine()
        .dispatch(request(), HttpRequest::new("GET", "http://w.test/colour"))
        .await;
    assert_eq!(get.response.text(), "teal");
    let missing = engine()
        .dispatch(request(), HttpRequest::new("GET", "http://w.test/size"))
        .await;
    assert_eq!(missing.response.status, 404);
}

#[tokio::test]
async fn typescript_workers_and_module_maps_work() {
    let code = "import { greet } from './greet.ts';
                interface Env { name?: string }
                export default { fetch: (request: Request, env: Env): Response => new Response(greet('ts')) };";
    let request = RunRequest::new(code).with_filename("worker.ts").with_module(
        "greet.ts",
        isobox::ModuleSource::Js("export const greet = (n: string): string => `hello ${n}`;".into()),
    );
    let done = engine()
        .dispatch(request, HttpRequest::new("GET", "http://w.test/"))
        .await;
    assert_eq!(done.response.text(), "hello ts", "{:?}", done.outcome.result);
}

#[tokio::test]
async fn code_without_a_fetch_handler_gets_a_clear_error() {
    for (code, expected) in [
        ("export const x = 1;", "no default export"),
        ("export default { get() { return 1 } }", "no fetch handler"),
        ("export default 42", "no fetch handler"),
        ("export default (input) => input", "no fetch handler"),
    ] {
        let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.status, 500, "{code}");
        let error = done.outcome.result.as_ref().expect_err("no handler");
        assert_eq!(error.kind, ErrorKind::InvalidInput, "{code}");
        assert!(error.message.contains(expected), "{code}: {}", error.message);
        assert!(
            error.message.contains("export default { async fetch"),
            "{}",
            error.message
        );
    }
    let syntax = dispatch(
        "export default {\n  fetch() { return new Response( }\n}",
        HttpRequest::new("GET", "http://w.test/"),
    )
    .await;
    let error = syntax.outcome.result.as_ref().expect_err("syntax error");
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!(error.line, Some(2));
    assert_eq!(syntax.response.status, 500);
}

#[tokio::test]
async fn unusable_http_requests_are_refused_before_any_sandbox_runs() {
    let cases = [
        HttpRequest::new("GE T", "http://w.test/"),
        HttpRequest::new("CONNECT", "http://w.test/"),
        HttpRequest::new("GET", "/relative"),
        HttpRequest::new("GET", "ftp://w.test/"),
        HttpRequest::new("GET", "http://w.test/").with_header("bad name", "x"),
        HttpRequest::new("GET", "http://w.test/").with_header("x", "a\r\nb"),
    ];
    for http in cases {
        let done = dispatch(ECHO, http.clone()).await;
        assert_eq!(done.response.status, 400, "{http:?}");
        let error = done.outcome.result.as_ref().expect_err("refused");
        assert_eq!(error.kind, ErrorKind::InvalidInput);
        assert_eq!(done.outcome.stats.wall_time_us, 0);
    }
    let limits = Limits {
        input_bytes: 10,
        ..Limits::default()
    };
    let big = engine()
        .dispatch(
            RunRequest::new(ECHO).with_limits(limits),
            HttpRequest::new("POST", "http://w.test/").with_body(vec![b'x'; 11]),
        )
        .await;
    assert_eq!(big.response.status, 400);
    assert!(
        big.response.text().contains("input_bytes limit of 10"),
        "{}",
        big.response.text()
    );
}

#[tokio::test]
async fn a_response_body_over_the_result_limit_is_refused() {
    let code = "export default { fetch: () => new Response('x'.repeat(2000)) }";
    let limits = Limits {
        result_bytes: 1000,
        ..Limits::default()
    };
    let done = engine()
        .dispatch(
            RunRequest::new(code).with_limits(limits),
            HttpRequest::new("GET", "http://w.test/"),
        )
        .await;
    assert_eq!(done.outcome.error_kind(), Some(ErrorKind::OutputLimit));
    assert_eq!(done.response.status, 500);
}

#[tokio::test]
async fn each_request_starts_from_a_fresh_sandbox() {
    let code = "let count = 0; export default { fetch() { count += 1; globalThis.seen = (globalThis.seen ?? 0) + 1; return new Response(`${count} ${globalThis.seen}`); } }";
    for _ in 0..3 {
        let done = dispatch(code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.text(), "1 1");
    }
}

#[test]
fn the_dispatch_cli_prints_the_response() {
    let dir = std::env::temp_dir().join(format!("isobox-dispatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("worker.js");
    std::fs::write(
        &file,
        "export default { async fetch(r) { console.log('seen', r.method); \
         return new Response(`${r.method} ${new URL(r.url).pathname} ${r.headers.get('x-a')} ${await r.text()}`, \
         { status: 201, headers: { 'x-b': 'c' } }); } }",
    )
    .expect("worker file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .arg("dispatch")
        .arg(&file)
        .args([
            "--method", "PUT", "--path", "/items/1", "-H", "x-a: yes", "--body", "data",
        ])
        .output()
        .expect("running isobox dispatch");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "PUT /items/1 yes data");
    assert!(stderr.contains("seen PUT"), "{stderr}");
    assert!(stderr.contains("HTTP 201"), "{stderr}");
    assert!(stderr.contains("x-b: c"), "{stderr}");

    std::fs::write(&file, "export default { fetch() { throw new Error('nope') } }").expect("worker file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["dispatch", "--json"])
        .arg(&file)
        .output()
        .expect("running isobox dispatch");
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["response"]["status"], 500);
    assert_eq!(json["outcome"]["error"]["message"], "nope");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_example_worker_answers() {
    let code = include_str!("../../examples/worker.js");
    let http = HttpRequest::new("POST", "http://localhost/greet?name=demo")
        .with_header("accept-language", "fr-FR")
        .with_body("a note");
    let done = engine()
        .dispatch(RunRequest::new(code).with_filename("worker.js"), http)
        .await;
    assert_eq!(
        json_body(&done),
        json!({ "greeting": "bonjour, demo", "note": "a note" })
    );
    assert_eq!(done.outcome.logs.entries[0].message, "greeted demo");
    let missing = dispatch(code, HttpRequest::new("GET", "http://localhost/other")).await;
    assert_eq!(missing.response.status, 404);
}

/// The Request a handler gets is made from the host's checked parts (its
/// headers only when first read) and behaves as one made by `new Request`:
/// names lowercased, values trimmed, headers mutable, `clone()` keeps them.
/// A handler that is not async answers without a job run; its headers go
/// out sorted, one name's values joined, `set-cookie` apart.
#[tokio::test]
async fn the_request_is_made_from_the_hosts_parts_and_a_sync_handler_answers() {
    let code = r#"export default {
      fetch(request) {
        const before = [...request.headers];
        request.headers.set('x-added', 'later');
        const copy = request.clone();
        const headers = new Headers({ 'x-b': '1' });
        headers.append('set-cookie', 'a=1');
        headers.append('x-b', '2');
        headers.append('set-cookie', 'b=2');
        return new Response(JSON.stringify({
          method: request.method, url: request.url, before,
          added: copy.headers.get('x-added'), same: copy.url === request.url,
        }), { headers });
      },
    };"#;
    let http = HttpRequest::new("patch", "HTTP://Worker.TEST/a/../b?q=1").with_header("X-Trace", "  id 7 ");
    let done = dispatch(code, http).await;
    let seen = json_body(&done);
    assert_eq!(seen["method"], "PATCH");
    assert_eq!(seen["url"], "http://worker.test/b?q=1");
    assert_eq!(seen["before"], json!([["x-trace", "id 7"]]));
    assert_eq!(seen["added"], "later");
    assert_eq!(seen["same"], true);
    let names: Vec<&str> = done.response.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["content-type", "set-cookie", "set-cookie", "x-b"]);
    assert_eq!(done.response.header("x-b"), Some("1, 2"));
}

#[tokio::test]
async fn response_json_without_headers_is_json_with_its_status_and_nothing_else() {
    // Response.json's path for the usual call (no headers in init) builds
    // the Response directly: its status, text, one content type and the
    // bytes must be what the general path gives.
    let code = r#"
        const plain = Response.json({ a: [1, 'x'] });
        const made = Response.json(7, { status: 404, statusText: 'nope' });
        const nulled = Response.json('s', null);
        const refused = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } };
        export default async () => [
          plain.status, [...plain.headers], await plain.text(),
          made.status, made.statusText, [...made.headers], await made.json(),
          nulled.status, await nulled.text(),
          refused(() => Response.json(1, { status: 204 })),
          refused(() => Response.json(1, { status: 99 })),
          refused(() => Response.json(undefined)),
          Response.json(1, { headers: { 'content-type': 'text/x' } }).headers.get('content-type'),
        ];
    "#;
    assert_eq!(
        crate::common::ok(crate::common::run(code).await),
        json!([
            200,
            [["content-type", "application/json"]],
            "{\"a\":[1,\"x\"]}",
            404,
            "nope",
            [["content-type", "application/json"]],
            7,
            200,
            "\"s\"",
            "TypeError",
            "RangeError",
            "TypeError",
            "text/x",
        ])
    );
}

#[tokio::test]
async fn headers_keep_working_when_a_script_patches_the_array_iterator() {
    // Headers' own list is walked with index loops (guest fetch.js), so a
    // handler that replaces Array.prototype's iterator or `some` does not
    // change what its headers answer.
    let code = r#"
        const h = new Headers([['A', '1'], ['b', '2'], ['a', '3'], ['Set-Cookie', 'x=1'], ['set-cookie', 'y=2']]);
        Array.prototype[Symbol.iterator] = function* () { yield 'patched'; };
        Array.prototype.some = () => false;
        Array.prototype.filter = () => [];
        const before = [h.get('a'), h.has('B'), h.getSetCookie().length];
        h.set('a', '9');
        h.delete('b');
        const copy = new Headers(h);
        before.push(h.get('a'), h.has('b'), copy.get('a'), copy.has('set-cookie'));
        before
    "#;
    assert_eq!(
        crate::common::ok(crate::common::run(code).await),
        json!(["1, 3", true, 2, "9", false, "9", true])
    );
}

#[tokio::test]
async fn a_response_made_without_init_headers_makes_them_when_read() {
    // A Response made with no init headers keeps its content type as a
    // plain pair until `headers` is read (guest fetch.js): the handler's
    // later changes, clones, Response.error's immutability and a patched
    // Array.isArray must all see the same Headers as before.
    let code = r#"export default {
      fetch() {
        const refused = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } };
        const text = new Response('hi');
        const empty = new Response(null, { status: 201 });
        const json = Response.json({ a: 1 });
        const error = Response.error();
        Array.isArray = () => false;
        const seen = [
          [...text.headers], [...empty.headers], [...json.headers], text.headers === text.headers,
          [...text.clone().headers], refused(() => error.headers.append('x', '1')), error.type,
        ];
        json.headers.set('x-late', String(seen.length));
        json.headers.append('set-cookie', 'a=1');
        return new Response(JSON.stringify(seen), { headers: json.headers });
      },
    };"#;
    let done = dispatch(code, HttpRequest::new("GET", "http://worker.test/")).await;
    assert_eq!(
        json_body(&done),
        json!([
            [["content-type", "text/plain;charset=UTF-8"]],
            [],
            [["content-type", "application/json"]],
            true,
            [["content-type", "text/plain;charset=UTF-8"]],
            "TypeError",
            "error",
        ])
    );
    let names: Vec<&str> = done.response.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["content-type", "set-cookie", "x-late"]);
    assert_eq!(done.response.header("x-late"), Some("7"));
    // The handler's own Response, made without init headers, goes out with
    // its content type and any header added after.
    let code = r#"export default {
      fetch() {
        const response = new Response('body');
        response.headers.set('x-after', '1');
        return response;
      },
    };"#;
    let done = dispatch(code, HttpRequest::new("GET", "http://worker.test/")).await;
    assert_eq!(done.response.header("x-after"), Some("1"));
    assert_eq!(done.response.header("content-type"), Some("text/plain;charset=UTF-8"));
    assert_eq!(done.response.text(), "body");
}

#[tokio::test]
async fn an_async_handlers_answer_is_read_after_the_jobs_it_queued() {
    // A handler's promise that is fulfilled with no job pending is read at
    // once (guest worker.rs); one that leaves jobs queued, or is not
    // fulfilled yet, is awaited as before: the jobs run first, in order.
    let cases = [
        // Fulfilled, nothing queued.
        (
            "async fetch() { return new Response('a', { headers: { 'x-n': '1' } }); }",
            200,
            "1",
            "a",
        ),
        // A job queued before the answer changes the Response first.
        (
            "async fetch() { const r = new Response('b', { headers: { 'x-n': '1' } }); \
             Promise.resolve().then(() => r.headers.set('x-n', '2')); return r; }",
            200,
            "2",
            "b",
        ),
        // Fulfilled later, by a chain of jobs.
        (
            "async fetch() { await null; await null; return new Response('c', { status: 201, headers: { 'x-n': '3' } }); }",
            201,
            "3",
            "c",
        ),
        // A plain promise the handler returns without async.
        (
            "fetch() { return Promise.resolve(new Response('d', { headers: { 'x-n': '4' } })); }",
            200,
            "4",
            "d",
        ),
    ];
    for (handler, status, header, body) in cases {
        let code = format!("export default {{ {handler} }};");
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert!(done.is_ok(), "{handler}: {:?}", done.outcome.result);
        assert_eq!(done.response.status, status, "{handler}");
        assert_eq!(done.response.header("x-n"), Some(header), "{handler}");
        assert_eq!(done.response.text(), body, "{handler}");
    }
    // Fulfilled with something that is not a Response, or rejected: a 500
    // with the error, whichever path read it.
    for (handler, name) in [
        ("async fetch() { return 'text'; }", "TypeError"),
        ("fetch() { return Promise.resolve(7); }", "TypeError"),
        ("async fetch() { throw new RangeError('no'); }", "RangeError"),
        (
            "fetch() { return Promise.reject(new SyntaxError('no')); }",
            "SyntaxError",
        ),
    ] {
        let code = format!("export default {{ {handler} }};");
        let done = dispatch(&code, HttpRequest::new("GET", "http://w.test/")).await;
        assert_eq!(done.response.status, 500, "{handler}");
        let error = done.outcome.result.as_ref().expect_err("the run failed");
        assert_eq!(error.name.as_deref(), Some(name), "{handler}");
    }
}
