//! npm packages in runs, end to end: a real npm registry on loopback
//! serving real, pinned tarballs (scripts/npm/fixtures.sh), isobox-npm
//! installing and linking them, and the sandbox running code that imports
//! them by name: ES modules, CommonJS (ajv), UMD (papaparse), nested
//! versions (postcss's nanoid 3 beside nanoid 5), an app (hono) and JSX
//! rendered on the server (preact).

#[path = "../npm/registry.rs"]
mod registry;

use std::sync::OnceLock;

use isobox::typescript::Jsx;
use isobox::{Engine, ErrorKind, RunRequest};
use isobox_npm::{Cache, Installer, Npm, Registry};
use serde_json::{Value, json};

/// The loopback registry, on a thread of its own that outlives every test.
pub(crate) fn registry_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let loopback = registry::Registry::start(&registry::fixtures_dir())
                    .await
                    .expect("registry");
                sender.send(loopback.url()).expect("send");
                std::future::pending::<()>().await;
            });
        });
        receiver.recv().expect("registry url")
    })
}

/// An engine that installs from the loopback registry into a cache of its
/// own, built once.
fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let url = registry_url().to_owned();
            std::thread::spawn(move || {
                let cache = std::env::temp_dir().join(format!("isobox-npm-it-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&cache);
                let npm = Npm::new(Installer::new(Registry::new(&url).expect("registry"), Cache::at(cache)));
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime
                    .block_on(Engine::builder().packages(npm).build())
                    .expect("engine")
            })
            .join()
            .expect("engine thread")
        })
        .clone()
}

async fn run(dependencies: &[&str], code: &str) -> isobox::Outcome {
    engine()
        .run(RunRequest::new(code).with_dependencies(dependencies.iter().copied()))
        .await
}

fn ok(outcome: isobox::Outcome) -> Value {
    match outcome.result {
        Ok(value) => value,
        Err(error) => panic!("expected ok, got {error} ({error:?})"),
    }
}

#[tokio::test]
async fn zod_parses_and_a_second_run_compiles_nothing() {
    let code = "import { z } from 'zod';\n\
        const User = z.object({ name: z.string(), age: z.number().int().min(0) });\n\
        export default () => { const bad = User.safeParse({ name: 1, age: -1 });\n\
          return { ok: User.parse({ name: 'ada', age: 36 }), bad: bad.success, issues: bad.error.issues.length }; }";
    let first = run(&["zod@^4"], code).await;
    assert!(first.stats.modules_compiled > 10, "{:?}", first.stats);
    assert_eq!(
        ok(first),
        json!({ "ok": { "name": "ada", "age": 36 }, "bad": false, "issues": 2 })
    );
    // Other code importing the same package: nothing installed, linked or
    // compiled again.
    let second = run(
        &["zod@^4"],
        "import { z } from 'zod'; export default () => z.string().email().safeParse('x@y.org').success",
    )
    .await;
    assert_eq!(second.stats.modules_compiled, 0, "{:?}", second.stats);
    assert!(second.stats.modules_cached > 10, "{:?}", second.stats);
    assert_eq!(ok(second), json!(true));
}

#[tokio::test]
async fn commonjs_and_umd_packages_import_by_name() {
    let ajv = run(
        &["ajv@^8"],
        "import Ajv from 'ajv';\n\
         export default () => { const validate = new Ajv().compile({ type: 'object',\n\
           properties: { a: { type: 'integer' } }, required: ['a'] });\n\
           return [validate({ a: 1 }), validate({ a: 'x' }), validate.errors[0].instancePath]; }",
    )
    .await;
    assert_eq!(ok(ajv), json!([true, false, "/a"]));
    let papaparse = run(
        &["papaparse@^5"],
        "import Papa from 'papaparse'; export default () => Papa.parse('a,b\\n1,2', { header: true }).data",
    )
    .await;
    assert_eq!(ok(papaparse), json!([{ "a": "1", "b": "2" }]));
}

#[tokio::test]
async fn es_module_packages_run_as_in_node() {
    let cases: [(&[&str], &str, Value); 9] = [
        (
            &["date-fns@^4"],
            "import { format, addDays } from 'date-fns';\n\
             export default () => format(addDays(new Date(Date.UTC(2024, 0, 1, 12)), 1), 'yyyy-MM-dd')",
            json!("2024-01-02"),
        ),
        (
            &["lodash-es@^4"],
            "import { chunk, sortBy } from 'lodash-es'; export default () => [chunk([1, 2, 3], 2), sortBy([3, 1, 2])]",
            json!([[[1, 2], [3]], [1, 2, 3]]),
        ),
        (
            &["fast-xml-parser@^5"],
            "import { XMLParser } from 'fast-xml-parser'; export default () => new XMLParser().parse('<a><b>1</b></a>')",
            json!({ "a": { "b": 1 } }),
        ),
        (
            &["yaml@^2"],
            "import YAML from 'yaml'; export default () => YAML.parse('a: 1\\nb: [x, y]')",
            json!({ "a": 1, "b": ["x", "y"] }),
        ),
        (
            &["marked"],
            "import { marked } from 'marked'; export default () => marked.parse('# hi')",
            json!("<h1>hi</h1>\n"),
        ),
        (
            &["decimal.js"],
            "import Decimal from 'decimal.js'; export default () => new Decimal('0.1').plus('0.2').toString()",
            json!("0.3"),
        ),
        (
            &["csv-parse"],
            // Its Node build uses Node's `Buffer` global, which the sandbox
            // does not have; its browser build carries its own.
            "import { parse } from 'csv-parse/browser/esm/sync'; export default () => parse('a,b\\n1,2', { columns: true })",
            json!([{ "a": "1", "b": "2" }]),
        ),
        (
            &["uuid"],
            "import { v4, validate, version } from 'uuid'; export default () => { const id = v4(); return [validate(id), version(id)]; }",
            json!([true, 4]),
        ),
        (
            &["nanoid@^5", "postcss@^8"],
            "import { nanoid } from 'nanoid'; import postcss from 'postcss';\n\
             export default async () => { const result = await postcss([]).process('a{color:red}', { from: undefined });\n\
               return [nanoid().length, result.css]; }",
            json!([21, "a{color:red}"]),
        ),
    ];
    for (dependencies, code, expected) in cases {
        let outcome = run(dependencies, code).await;
        match outcome.result {
            Ok(value) => assert_eq!(value, expected, "{dependencies:?}"),
            Err(error) => panic!("{dependencies:?}: {error} ({error:?})"),
        }
    }
}

/// A few names from a side-effect-free package's re-export index link
/// only the modules that define them (and what those import); a
/// namespace import still takes the whole index.
#[tokio::test]
async fn named_imports_from_a_barrel_link_only_the_modules_that_define_them() {
    let linked = |outcome: &isobox::Outcome| outcome.stats.modules_compiled + outcome.stats.modules_cached;
    let named = run(
        &["date-fns@^4"],
        "import { format, addDays } from 'date-fns';
         export default () => format(addDays(new Date(Date.UTC(2024, 0, 1, 12)), 1), 'yyyy-MM-dd')",
    )
    .await;
    let named_count = linked(&named);
    assert_eq!(ok(named), json!("2024-01-02"));
    let whole = run(
        &["date-fns@^4"],
        "import * as dates from 'date-fns';
         export default () => dates.format(dates.addDays(new Date(Date.UTC(2024, 0, 1, 12)), 1), 'yyyy-MM-dd')",
    )
    .await;
    let whole_count = linked(&whole);
    assert_eq!(ok(whole), json!("2024-01-02"));
    assert!(
        named_count * 3 < whole_count,
        "named imports linked {named_count} modules, the whole index {whole_count}"
    );
    // lodash-es's index re-exports each function's default export.
    let lodash = run(
        &["lodash-es@^4"],
        "import { chunk } from 'lodash-es'; export default () => chunk([1, 2, 3], 2)",
    )
    .await;
    assert!(linked(&lodash) < 40, "{} modules for chunk", linked(&lodash));
    assert_eq!(ok(lodash), json!([[1, 2], [3]]));
}

#[tokio::test]
async fn an_app_and_jsx_rendered_on_the_server() {
    let hono = run(
        &["hono@^4"],
        "import { Hono } from 'hono';\nconst app = new Hono();\n\
         app.get('/hi/:name', (c) => c.json({ hi: c.req.param('name') }));\n\
         export default async () => (await app.request('/hi/bob')).json()",
    )
    .await;
    assert_eq!(ok(hono), json!({ "hi": "bob" }));
    let page = engine()
        .run(
            RunRequest::new(
                "import { render } from 'preact-render-to-string';\n\
                 const App = ({ name }: { name: string }) => <h1 class=\"x\">Hello {name}</h1>;\n\
                 export default () => render(<App name=\"you\" />);",
            )
            .with_filename("page.tsx")
            .with_jsx(Jsx::Automatic {
                import_source: "preact".into(),
            })
            .with_dependencies(["preact@^10", "preact-render-to-string@^6"]),
        )
        .await;
    assert_eq!(ok(page), json!("<h1 class=\"x\">Hello you</h1>"));
}

#[tokio::test]
async fn missing_packages_and_unknown_imports_fail_as_dependencies_errors() {
    let outcome = run(&["no-such-package@^1"], "export default () => 1").await;
    let error = outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Dependencies, "{error}");
    assert!(error.message.contains("no-such-package"), "{error}");
    let outcome = run(&["uuid"], "import { z } from 'zod'; export default () => 1").await;
    let error = outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Dependencies, "{error}");
    assert!(error.message.contains("\"zod\" is not installed"), "{error}");
    // Without dependencies a bare import still says what to do.
    let outcome = isobox::Engine::run(
        &engine(),
        RunRequest::new("import { z } from 'zod'; export default () => 1"),
    )
    .await;
    let error = outcome.result.unwrap_err();
    assert!(
        error.message.contains("bare specifier") || error.message.contains("dependencies"),
        "{error}"
    );
}

/// `isobox` with its caches in `dir`.
fn isobox(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"));
    command.env("ISOBOX_CACHE_DIR", dir.join("cache"));
    command
}

#[test]
fn the_cli_bundles_a_project_and_runs_its_bundle_and_dependencies() {
    let url = registry_url();
    let dir = std::env::temp_dir().join(format!("isobox-npm-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "page", "dependencies": { "zod": "^4", "preact": "^10", "preact-render-to-string": "^6" } }"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/index.tsx"),
        "import { z } from 'zod';\nimport { render } from 'preact-render-to-string';\nimport { greet } from './greet';\n\
         export default (input: unknown) => render(<p>{greet(z.object({ name: z.string() }).parse(input).name)}</p>);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/greet.ts"),
        "export const greet = (name: string) => `hello ${name}`;\n",
    )
    .unwrap();
    let bundled = isobox(&dir)
        .args([
            "bundle",
            dir.to_str().unwrap(),
            "--registry",
            url,
            "--jsx-import-source",
            "preact",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bundled.stderr);
    assert!(bundled.status.success(), "{stderr}");
    assert!(stderr.contains("from 3 packages"), "{stderr}");
    let lock = std::fs::read_to_string(dir.join("isobox-lock.json")).unwrap();
    assert!(lock.contains("\"node_modules/zod\""), "{lock}");
    let ran = isobox(&dir)
        .args(["run", "--bundle"])
        .arg(dir.join("isobox-bundle.json"))
        .args(["--input", r#"{"name":"ada"}"#])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "\"<p>hello ada</p>\"");

    // --dep on a single file, and a package that does not exist.
    std::fs::write(
        dir.join("one.js"),
        "import { nanoid } from 'nanoid'; export default () => nanoid(8).length",
    )
    .unwrap();
    let ran = isobox(&dir)
        .args([
            "run",
            dir.join("one.js").to_str().unwrap(),
            "--dep",
            "nanoid@^5",
            "--registry",
            url,
        ])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "8");
    let refused = isobox(&dir)
        .args([
            "run",
            dir.join("one.js").to_str().unwrap(),
            "--dep",
            "nanoid@^99",
            "--registry",
            url,
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("nanoid@^99") && stderr.contains("dependencies"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One HTTP request to a served address; the status and the body as JSON.
async fn call(addr: std::net::SocketAddr, path: &str, key: &str, body: Value) -> (u16, Value) {
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let method = if body.is_null() { "GET" } else { "POST" };
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "app.example")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(if body.is_null() {
            String::new()
        } else {
            body.to_string()
        })))
        .expect("request");
    let response = sender.send_request(request).await.expect("sending");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())),
    )
}

#[tokio::test]
async fn serve_installs_what_a_tenant_may_name_and_refuses_the_rest() {
    let dir = std::env::temp_dir().join(format!("isobox-npm-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("app.js"),
        "import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/hi/:name', (c) => c.json({ hi: c.req.param('name') }));\nexport default app;\n",
    )
    .unwrap();
    let text = format!(
        "[npm]\nregistry = \"{}\"\ncache_dir = \"{}\"\n\
         [workers.app]\nfile = \"app.js\"\ndependencies = [\"hono@^4\"]\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\npackages = [\"zod\", \"hono\", \"@nodable/*\"]\npackages_deny = [\"hono\"]\nworkers = [\"app\"]\n\
         [tenants.open]\nkey_sha256 = [\"{}\"]\npackages = [\"*\"]\nworkers = [\"app\"]\n",
        registry_url(),
        dir.join("cache").display(),
        isobox_serve::key_sha256_hex("acme-npm"),
        isobox_serve::key_sha256_hex("open-npm"),
    );
    let config = isobox_serve::ServeConfig::from_toml_str(&text, Some(&dir), |_| None).expect("config");
    let npm = config.npm().expect("npm settings").expect("[npm]");
    let engine = Engine::builder().packages(npm).build().await.expect("engine");
    let (addr, handle) = isobox_serve::Server::bind(config, engine, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let zod = json!({ "code": "import { z } from 'zod'; export default () => z.number().parse(7)", "dependencies": ["zod@^4"] });
    let (status, body) = call(addr, "/v1/run", "acme-npm", zod.clone()).await;
    assert_eq!((status, &body["value"]), (200, &json!(7)), "{body}");
    // Not in the tenant's list, or denied by it: 403 before anything runs.
    let uuid = json!({ "code": "export default () => 1", "dependencies": ["uuid"] });
    let (status, body) = call(addr, "/v1/run", "acme-npm", uuid).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("\\\"uuid\\\" is not allowed"), "{body}");
    let (status, _) = call(
        addr,
        "/v1/run",
        "acme-npm",
        json!({ "code": "1", "dependencies": ["hono@^4"] }),
    )
    .await;
    assert_eq!(status, 403);
    // A stored worker's own dependencies, for a tenant that may name them.
    let (status, body) = call(addr, "/v1/workers/app/hi/ada", "open-npm", Value::Null).await;
    assert_eq!((status, body), (200, json!({ "hi": "ada" })));
    let (status, _) = call(addr, "/v1/workers/app/hi/ada", "acme-npm", Value::Null).await;
    assert_eq!(status, 403, "hono is denied to acme, also inside a worker");
    handle.shutdown().await.expect("shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `isobox build` with packages: a Hono app rendering preact JSX and
/// checking input with zod, built with `--dep` and a directory of static
/// files into a component the real `wasmtime serve` runs; a project's
/// bundle (`isobox bundle`) built with `--bundle`, offline; and the
/// project's client entry bundled for the browser.
#[tokio::test]
async fn isobox_build_carries_the_packages_an_app_imports() {
    let url = registry_url();
    let dir = std::env::temp_dir().join(format!("isobox-npm-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project/src")).unwrap();
    let app = "import { Hono } from 'hono';\nimport { z } from 'zod';\nimport { render } from 'preact-render-to-string';\n\
               const Page = ({ name }: { name: string }) => <h1>Hello {name}</h1>;\n\
               const app = new Hono();\n\
               app.get('/hello/:name', (c) => c.html(render(<Page name={z.string().min(2).parse(c.req.param('name'))} />)));\n\
               app.onError((error, c) => c.text(error instanceof Error ? 'refused' : 'odd', 400));\n\
               export default app;\n";
    std::fs::write(dir.join("app.tsx"), app).unwrap();
    // Static files the component answers itself, before the app's fetch.
    std::fs::create_dir_all(dir.join("public")).unwrap();
    std::fs::write(dir.join("public/index.html"), "<!doctype html><div id=app></div>").unwrap();
    std::fs::write(dir.join("public/app.3f9a1c2b.js"), "console.log('client');".repeat(50)).unwrap();
    std::fs::write(dir.join("public/app.3f9a1c2b.js.gz"), b"gzip bytes").unwrap();
    let built = isobox(&dir)
        .args([
            "build",
            "app.tsx",
            "-o",
            "app.wasm",
            "--registry",
            url,
            "--jsx-import-source",
            "preact",
        ])
        .args(["--assets", "public", "--assets-not-found", "single-page-application"])
        .args([
            "--dep",
            "hono@^4",
            "--dep",
            "zod@^4",
            "--dep",
            "preact@^10",
            "--dep",
            "preact-render-to-string@^6",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let served = crate::build_serve::Served::start(&dir.join("app.wasm"));
    let (status, _, body) = served.send("GET", "/hello/ada", &[], b"").await;
    assert_eq!((status, &body[..]), (200, &b"<h1>Hello ada</h1>"[..]));
    let (status, _, body) = served.send("GET", "/hello/x", &[], b"").await;
    assert_eq!((status, &body[..]), (400, &b"refused"[..]), "zod refuses a short name");
    let (status, headers, body) = served.send("GET", "/", &[], b"").await;
    assert_eq!((status, &body[..]), (200, &b"<!doctype html><div id=app></div>"[..]));
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) = served.send("GET", "/", &[("if-none-match", &etag)], b"").await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, headers, body) = served
        .send("GET", "/app.3f9a1c2b.js", &[("accept-encoding", "gzip")], b"")
        .await;
    assert_eq!((status, &body[..]), (200, &b"gzip bytes"[..]));
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
    let (status, _, body) = served
        .send("GET", "/app.3f9a1c2b.js", &[("range", "bytes=0-6")], b"")
        .await;
    assert_eq!((status, &body[..]), (206, &b"console"[..]));
    let (status, headers, body) = served.send("HEAD", "/", &[], b"").await;
    assert_eq!((status, body.len()), (200, 0));
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    // A navigation no file answers gets the SPA's index.html; the app's
    // own routes still reach the app.
    let (status, _, body) = served
        .send("GET", "/settings/profile", &[("accept", "text/html")], b"")
        .await;
    assert_eq!((status, &body[..]), (200, &b"<!doctype html><div id=app></div>"[..]));
    let (status, _, body) = served.send("GET", "/hello/bo", &[], b"").await;
    assert_eq!((status, &body[..]), (200, &b"<h1>Hello bo</h1>"[..]));
    drop(served);

    // The same app as a project: bundled once, then built from the bundle
    // with no registry at all.
    // It has a client entry too, bundled for the browser: nanoid's browser
    // build (its `browser` export), preact's hooks, a module of the
    // project's own.
    std::fs::write(dir.join("project/src/index.tsx"), app).unwrap();
    std::fs::write(
        dir.join("project/src/client.tsx"),
        "import { nanoid } from 'nanoid';\nimport { useState } from 'preact/hooks';\n\
         import { renderToString } from 'preact-render-to-string';\nimport { label } from './label';\n\
         function Counter() { const [n] = useState(3); return <p id={String(nanoid(4).length)}>{label(n)}</p>; }\n\
         globalThis.rendered = renderToString(<Counter />);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("project/src/label.ts"),
        "export const label = (n: number): string => `clicked ${n} times`;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("project/package.json"),
        r#"{ "name": "site", "dependencies": { "hono": "^4", "zod": "^4", "preact": "^10", "preact-render-to-string": "^6", "nanoid": "^5" } }"#,
    )
    .unwrap();
    let bundled = isobox(&dir)
        .args(["bundle", "project", "--registry", url, "--jsx-import-source", "preact"])
        .args(["--client", "src/client.tsx"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bundled.stderr);
    assert!(bundled.status.success(), "{stderr}");
    assert!(stderr.contains("client.js ("), "{stderr}");
    let script = std::fs::read_to_string(dir.join("project/dist/client.js")).unwrap();
    assert!(
        script.contains("// node_modules/nanoid/index.browser.js"),
        "the browser build of nanoid"
    );
    assert!(
        !script.contains("hono"),
        "only what the client reaches is in its script"
    );
    assert!(dir.join("project/dist/client.js.gz").is_file());
    // The script runs as a browser runs it: a classic script in a global
    // scope with no require, module or process.
    let ran = std::process::Command::new("node")
        .arg("-e")
        .arg(
            "const vm = require('node:vm'); const fs = require('node:fs');\n\
             const context = vm.createContext({ crypto: globalThis.crypto, console });\n\
             vm.runInContext(fs.readFileSync(process.argv[1], 'utf8'), context);\n\
             console.log(context.rendered);",
        )
        .arg(dir.join("project/dist/client.js"))
        .output()
        .expect("running node");
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout).trim(),
        "<p id=\"4\">clicked 3 times</p>"
    );
    let built = isobox(&dir)
        .args(["build", "--bundle", "project/isobox-bundle.json", "-o", "site.wasm"])
        .env("ISOBOX_NPM_REGISTRY", "http://127.0.0.1:9/")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let served = crate::build_serve::Served::start(&dir.join("site.wasm"));
    let (status, _, body) = served.send("GET", "/hello/bob", &[], b"").await;
    assert_eq!((status, &body[..]), (200, &b"<h1>Hello bob</h1>"[..]));
    drop(served);

    // --dep with a bundle is refused: the bundle carries its packages.
    let refused = isobox(&dir)
        .args([
            "build",
            "--bundle",
            "project/isobox-bundle.json",
            "-o",
            "x.wasm",
            "--dep",
            "zod",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the bundle carries its packages"));
    let _ = std::fs::remove_dir_all(&dir);
}
