//! The code forms agents write that the first rules did not take (issue 15):
//! a top-level `return`, `await` as a name in a sloppy script, a TypeScript
//! fence, the entry module imported by itself, import attributes, a class
//! as the default export, and floats that come back exactly as computed.

use isobox::worker::HttpRequest;
use isobox::{ErrorKind, Lang, ModuleSource, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok, run, run_input};

#[tokio::test]
async fn a_snippet_with_a_top_level_return_is_a_function_body() {
    let code = "const doubled = input.n * 2;\nif (doubled > 10) return { big: doubled };\nreturn doubled;";
    assert_eq!(ok(run_input(code, json!({ "n": 21 })).await), json!({ "big": 42 }));
    assert_eq!(ok(run_input(code, json!({ "n": 2 })).await), json!(4));
    // It is an async function body: await works, and env is a parameter.
    let code = "const v = await Promise.resolve(5);\nreturn [v, typeof env];";
    assert_eq!(ok(run(code).await), json!([5, "object"]));
}

#[tokio::test]
async fn a_function_body_keeps_the_code_s_line_numbers() {
    let error = err(run("const a = 1;\nif (a) throw new Error('on line 2');\nreturn a;").await);
    assert_eq!(error.message, "on line 2");
    let stack = error.stack.unwrap_or_default();
    assert!(stack.contains("main.js:2:"), "{stack}");
    // On line 1, the wrapper's columns are taken off again.
    let error = err(run("throw new Error('one'); return 1").await);
    let stack = error.stack.unwrap_or_default();
    let column: u32 = stack
        .split("main.js:1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no line 1 position in {stack}"));
    assert!(column <= 12, "column {column} in {stack}");
}

#[tokio::test]
async fn a_syntax_error_with_a_return_is_still_reported_as_the_script_s() {
    let error = err(run("return (").await);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
}

#[tokio::test]
async fn await_is_a_name_in_a_sloppy_script_that_does_not_await() {
    assert_eq!(ok(run("var await = 3; await * 2").await), json!(6));
    assert_eq!(
        ok(run("function await(x) { return x + 1 }\nawait(41)").await),
        json!(42)
    );
    // Top-level await still works where it is used.
    assert_eq!(ok(run("const v = await Promise.resolve(7);\nv * 6").await), json!(42));
}

#[tokio::test]
async fn a_typescript_fence_selects_typescript() {
    let code = "```typescript\nconst n: number = input.n;\ninterface Point { x: number }\nconst p: Point = { x: n };\np.x + 1\n```";
    assert_eq!(ok(run_input(code, json!({ "n": 41 })).await), json!(42));
    // A `js` fence with the same code is a syntax error.
    let code = "```js\nconst n: number = 1;\nn\n```";
    assert_eq!(err(run(code).await).kind, ErrorKind::SyntaxError);
}

#[tokio::test]
async fn the_entry_arrow_is_found_after_type_declarations() {
    let code = "interface Input { n: number }\ntype Out = { doubled: number };\nasync (input: Input): Promise<Out> => ({ doubled: input.n * 2 })";
    let request = RunRequest::new(code).with_lang(Lang::Ts).with_input(json!({ "n": 21 }));
    assert_eq!(ok(engine().run(request).await), json!({ "doubled": 42 }));
}

#[tokio::test]
async fn the_entry_module_can_import_itself_and_close_a_cycle() {
    let code = "import * as self from './main.js';\nimport { fromB } from './b.js';\nexport const name = 'main';\nexport default () => [self.name, fromB()];";
    let request = RunRequest::new(code).with_filename("main.js").with_module(
        "b.js",
        ModuleSource::Js("import { name } from './main.js';\nexport const fromB = () => `b saw ${name}`;".into()),
    );
    assert_eq!(ok(engine().run(request).await), json!(["main", "b saw main"]));
}

#[tokio::test]
async fn import_attributes_read_a_module_as_text_bytes_or_json() {
    let code = "import text from './data.txt' with { type: 'text' };\n\
                import bytes from './data.txt' with { type: 'bytes' };\n\
                import source from './lib.js' with { type: 'text' };\n\
                import config from './config.json' with { type: 'json' };\n\
                import { double } from './lib.js';\n\
                export default () => ({ text, bytes: [bytes instanceof Uint8Array, bytes.length, bytes[0]], \
                  source: source.startsWith('export'), config, four: double(2) });";
    let request = RunRequest::new(code)
        .with_module("data.txt", ModuleSource::Text("é!".into()))
        .with_module("lib.js", ModuleSource::Js("export const double = (n) => n * 2;".into()))
        .with_module("config.json", ModuleSource::Json(json!({ "a": 1 })));
    assert_eq!(
        ok(engine().run(request).await),
        json!({ "text": "é!", "bytes": [true, 3, 0xC3], "source": true, "config": { "a": 1 }, "four": 4 })
    );
    let request = RunRequest::new("import x from './a.txt' with { type: 'css' };\nexport default x")
        .with_module("a.txt", ModuleSource::Text("x".into()));
    let error = err(engine().run(request).await);
    assert!(error.message.contains("\"css\" is not supported"), "{}", error.message);
}

#[tokio::test]
async fn a_class_default_export_is_refused_in_a_run_and_constructed_in_a_worker() {
    let error = err(run("export default class Job { run() { return 1 } }").await);
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("is a class"), "{}", error.message);

    let worker = "import { WorkerEntrypoint } from 'cloudflare:workers';\n\
                  export default class extends WorkerEntrypoint {\n\
                    async fetch(request) { return new Response(`${request.method} ${typeof this.ctx.waitUntil} ${this.env === env}`) }\n\
                  }";
    let done = engine()
        .dispatch(RunRequest::new(worker), HttpRequest::new("POST", "http://localhost/"))
        .await;
    assert!(done.outcome.result.is_ok(), "{:?}", done.outcome.result);
    assert_eq!(done.response.text(), "POST function true");
}

#[tokio::test]
async fn floats_come_back_exactly_as_computed() {
    for code in [
        "100.00000000000001",
        "0.1 + 0.2",
        "1.7976931348623157e308",
        "5e-324",
        "2 ** 53 + 2",
        "-0.000001234567890123456",
    ] {
        let expected: f64 = ok(run(&format!("String({code})")).await)
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let value = ok(run(code).await);
        assert_eq!(value.as_f64(), Some(expected), "{code}");
    }
    // Inputs too: the sandbox sees the exact float the host sent.
    let value = ok(run_input(
        "(input) => input.x === 100.00000000000001",
        json!({ "x": 100.00000000000001 }),
    )
    .await);
    assert_eq!(value, json!(true));
}

#[tokio::test]
async fn the_host_does_not_call_then_on_the_result_promise() {
    // User code replacing Promise.prototype.then and .catch sees no call
    // from the host for the result promise.
    let code = "Promise.prototype.catch = function () { throw new Error('observed') };\n\
                Promise.prototype.then = function () { throw new Error('observed') };\n\
                export default async () => 42;";
    assert_eq!(ok(run(code).await), json!(42));
    // A rejected result is the run's error, reported once, not also as an
    // unhandled rejection.
    let outcome = run("export default async () => { throw new RangeError('no') }").await;
    assert!(outcome.logs.entries.is_empty(), "{:?}", outcome.logs.entries);
    assert_eq!(err(outcome).message, "no");
}

#[tokio::test]
async fn message_channel_delivers_clones_in_order() {
    let code = "const { port1, port2 } = new MessageChannel();\n\
                const got = [];\n\
                const done = new Promise((resolve) => {\n\
                  port2.onmessage = (event) => { got.push(event.data); if (got.length === 2) resolve(got) };\n\
                });\n\
                const sent = { n: 1, nested: [1, 2] };\n\
                port1.postMessage(sent);\n\
                sent.n = 99;\n\
                port1.postMessage(new Error('boom', { cause: 'why' }));\n\
                const [first, second] = await done;\n\
                [first.n, first.nested, second.message, second.cause, typeof MessagePort, typeof MessageEvent]";
    assert_eq!(
        ok(run(code).await),
        json!([1, [1, 2], "boom", "why", "function", "function"])
    );
}

#[tokio::test]
async fn structured_clone_keeps_an_error_s_cause() {
    let code = "const e = new TypeError('outer', { cause: new RangeError('inner') });\n\
                const c = structuredClone(e);\n\
                [c instanceof TypeError, c.cause instanceof RangeError, c.cause.message, c.cause !== e.cause]";
    assert_eq!(ok(run(code).await), json!([true, true, "inner", true]));
}

#[tokio::test]
async fn atomics_work_on_integer_arrays() {
    let code = "const a = new Int32Array(new SharedArrayBuffer(16));\n\
                const b = new BigInt64Array(2);\n\
                [Atomics.add(a, 0, 5), Atomics.load(a, 0), Atomics.compareExchange(a, 0, 5, 7), a[0],\n\
                 Atomics.exchange(a, 1, 3), Atomics.sub(a, 1, 1), Atomics.and(a, 1, 3), Atomics.or(a, 2, 6),\n\
                 Atomics.xor(a, 2, 2), a[2], Atomics.store(b, 0, 9n) === 9n, Atomics.wait(a, 0, 1),\n\
                 Atomics.notify(a, 0), Atomics.isLockFree(4), String(Atomics)]";
    assert_eq!(
        ok(run(code).await),
        json!([
            0,
            5,
            5,
            7,
            0,
            3,
            2,
            0,
            6,
            4,
            true,
            "not-equal",
            0,
            true,
            "[object Atomics]"
        ])
    );
    let error = err(run("Atomics.add(new Float64Array(1), 0, 1)").await);
    assert!(error.message.contains("integer typed array"), "{}", error.message);
    let error = err(run("Atomics.load(new Int8Array(2), 2)").await);
    assert_eq!(error.name.as_deref(), Some("RangeError"));
}
