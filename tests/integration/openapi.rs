//! OpenAPI capabilities end to end: calls from sandboxed code through the
//! egress filter to real servers on 127.0.0.1 (the exact requests they
//! received: paths, query encoding, headers, bodies), credentials injected
//! by the host over TLS (the code sees only a hash of what the server
//! received), bad specs refused by the CLI naming the JSON pointer, and
//! GitHub's REST API spec through `isobox mcp` with a real MCP client
//! (search, describe, execute). The specs no one here wrote come from
//! scripts/openapi/fixtures.sh (`make test` runs it).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use isobox::{Outcome, RunRequest};
use isobox_openapi::{Connection, OpenApiSpec};
use rmcp::ServiceExt;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::engine;
use crate::mcp::{Client, call, text};
use crate::upstream::{Upstream, tls_for};

/// A file under .cache/openapi-fixtures, which must have been fetched.
fn fixture(path: &str) -> PathBuf {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.cache/openapi-fixtures")
        .join(path);
    assert!(
        full.exists(),
        "{} is missing: run `bash scripts/openapi/fixtures.sh` (make test does)",
        full.display()
    );
    full
}

/// A spec written for these tests: every parameter style the calls use.
const SHOP: &str = r##"
openapi: 3.1.0
info: {title: Shop, version: "1"}
components:
  securitySchemes:
    token: {type: http, scheme: bearer}
    key: {type: apiKey, in: query, name: api_key}
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tags: {type: array, items: {type: string}}
paths:
  /items/{itemId}:
    parameters:
      - {name: itemId, in: path, required: true, schema: {type: string}}
    post:
      operationId: items/update
      parameters:
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: ids, in: query, explode: false, schema: {type: array, items: {type: integer}}}
        - {name: filter, in: query, style: deepObject, schema: {type: object}}
        - {name: X-Trace, in: header, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
      responses:
        "200": {description: echo, content: {application/json: {schema: {type: object}}}}
  /things:
    get:
      responses:
        "200": {description: echo, content: {application/json: {schema: {type: object}}}}
"##;

fn shop() -> Arc<OpenApiSpec> {
    Arc::new(OpenApiSpec::from_slice(SHOP.as_bytes()).expect("the shop spec loads"))
}

fn value(outcome: &Outcome) -> &Value {
    match &outcome.result {
        Ok(value) => value,
        Err(error) => panic!("the run failed: {error:?}\nlogs: {:?}", outcome.logs),
    }
}

#[tokio::test]
async fn calls_reach_the_base_url_exactly_encoded() {
    let server = Upstream::http();
    let spec = shop();
    let connection = Connection::new()
        .base_url(&format!("http://127.0.0.1:{}/echo", server.port()))
        .build(&spec)
        .expect("connection");
    let capability = isobox_openapi::capability(spec, connection).expect("capability");
    let code = "await env.shop.itemsUpdate({ itemId: 'a b?', tags: ['x y', 'z&'], ids: [1, 2], \
                filter: { color: 'red' }, 'X-Trace': 't-1', body: { name: 'lamp', tags: ['new'] } })";
    let outcome = engine()
        .run(RunRequest::new(code).grant("shop", capability.clone()))
        .await;
    let echoed = value(&outcome);
    assert_eq!(echoed["method"], "POST");
    assert_eq!(
        echoed["path"],
        "/echo/items/a%20b%3F?tags=x%20y&tags=z%26&ids=1,2&filter%5Bcolor%5D=red"
    );
    assert_eq!(echoed["headers"]["x-trace"], "t-1");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["headers"]["accept"], "application/json");
    assert_eq!(echoed["body"], r#"{"name":"lamp","tags":["new"]}"#);

    // Bad arguments reject before any request, with what is expected.
    let code = "try { await env.shop.itemsUpdate({ itemId: 'x', nope: 1, body: {} }); 'no error' } \
                catch (e) { e.message }";
    let outcome = engine().run(RunRequest::new(code).grant("shop", capability)).await;
    let message = value(&outcome).as_str().unwrap().to_owned();
    assert!(message.contains("takes no argument \"nope\""), "{message}");
}

#[tokio::test]
async fn a_status_outside_2xx_rejects_with_the_status_and_a_bounded_body() {
    let server = Upstream::http();
    let spec = Arc::new(
        OpenApiSpec::from_slice(
            br#"{"openapi": "3.0.3", "info": {"title": "s", "version": "1"}, "paths": {
            "/status": {"get": {"operationId": "status", "parameters": [{"name": "code", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}}}},
            "/bytes": {"get": {"operationId": "bytes", "parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok", "content": {"text/plain": {}}}}}}}}"#,
        )
        .unwrap(),
    );
    let connection = Connection::new()
        .base_url(&format!("http://127.0.0.1:{}", server.port()))
        .build(&spec)
        .unwrap();
    let capability = isobox_openapi::capability(spec, connection).unwrap();
    let code = "const out = {}; try { await env.s.status({ code: 404 }) } catch (e) { out.error = e.message } \
                out.ok = await env.s.status({ code: 204 }); out.text = (await env.s.bytes({ n: 3 })); out";
    let outcome = engine().run(RunRequest::new(code).grant("s", capability)).await;
    let v = value(&outcome);
    assert_eq!(v["error"], "HTTP 404 from GET /status: ");
    assert_eq!(v["ok"], Value::Null);
    assert_eq!(v["text"], "xxx");
}

#[tokio::test]
async fn only_the_base_url_is_reachable() {
    let server = Upstream::http();
    let spec = shop();
    let connection = Connection::new()
        .base_url(&format!("http://127.0.0.1:{}/echo", server.port()))
        .build(&spec)
        .unwrap();
    let capability = isobox_openapi::capability(spec, connection).unwrap();
    // The code's own fetch has no policy: the capability's egress is not
    // the run's.
    let code = format!(
        "try {{ await fetch('http://127.0.0.1:{}/echo'); 'reached' }} catch (e) {{ e.name }}",
        server.port()
    );
    let outcome = engine().run(RunRequest::new(code).grant("shop", capability)).await;
    assert_eq!(value(&outcome), "TypeError");
}

const SECRET: &str = "s3cr3t-openapi-token";

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn credentials_are_injected_by_the_host_and_the_code_sees_only_a_hash() {
    let (ca, config) = tls_for(&["127.0.0.1"]);
    let server = Upstream::https(config);
    let spec = shop();
    let connection = Connection::new()
        .base_url(&format!("https://127.0.0.1:{}/echo", server.port()))
        .auth("token", "SHOP_TOKEN")
        .auth("key", "SHOP_TOKEN")
        .env_lookup(|name| (name == "SHOP_TOKEN").then(|| SECRET.to_owned()))
        .add_root_certificates_pem(ca.as_bytes())
        .build(&spec)
        .expect("connection");
    let capability = isobox_openapi::capability(spec, connection).unwrap();
    let code = "const echoed = await env.shop.getThings();
         const hex = async (text) => [...new Uint8Array(await crypto.subtle.digest('SHA-256',
             new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');
         ({ auth: await hex(echoed.headers.authorization), path: await hex(echoed.path) })";
    let outcome = engine().run(RunRequest::new(code).grant("shop", capability)).await;
    let v = value(&outcome);
    assert_eq!(v["auth"], sha256_hex(&format!("Bearer {SECRET}")));
    assert_eq!(v["path"], sha256_hex(&format!("/echo/things?api_key={SECRET}")));
    let everything = format!("{:?} {:?} {:?}", outcome.result, outcome.logs, outcome.egress);
    assert!(!everything.contains(SECRET));
}

#[test]
fn credentials_are_refused_over_plain_http_and_without_a_value() {
    let spec = shop();
    let error = Connection::new()
        .base_url("http://127.0.0.1:9/echo")
        .auth("token", "SHOP_TOKEN")
        .env_lookup(|_| Some(SECRET.to_owned()))
        .build(&spec)
        .err()
        .unwrap();
    assert!(error.to_string().contains("only sent over https"), "{error}");
    let error = Connection::new()
        .base_url("https://127.0.0.1:9")
        .auth("token", "SHOP_TOKEN_UNSET")
        .env_lookup(|_| None)
        .build(&spec)
        .err()
        .unwrap();
    assert!(error.to_string().contains("SHOP_TOKEN_UNSET"), "{error}");
    let error = Connection::new()
        .base_url("https://127.0.0.1:9")
        .auth("oauth", "X")
        .build(&spec)
        .err()
        .unwrap();
    assert!(error.to_string().contains("declares token, key"), "{error}");
}

/// `isobox run --openapi NAME=SPEC@URL -` with `code` on stdin.
fn run_cli(openapi: &str, code: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["run", "--no-cache", "--openapi", openapi, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running isobox");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(code.as_bytes()).expect("writing the code");
    drop(stdin);
    child.wait_with_output().expect("isobox ends")
}

fn refused(spec: &Path) -> std::process::Output {
    run_cli(&format!("api={}@http://127.0.0.1:9", spec.display()), "1")
}

#[test]
fn bad_specs_are_refused_by_the_cli_naming_the_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "missing.json",
            r##"{"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Gone"}}}}}}"##,
            "at #/paths/~1a/get/responses/200: $ref \"#/components/responses/Gone\" points to nothing",
        ),
        (
            "cyclic.yaml",
            "openapi: 3.1.0\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
            "at #/components/schemas/A: $ref \"#/components/schemas/B\" only leads back to itself",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = refused(&path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    // GitHub's spec with every $ref inlined: 73 MB, refused before it is read.
    let output = refused(&fixture("github/api.github.com.deref.json"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than the limit of 33554432"), "{stderr}");
}

#[test]
fn isobox_run_calls_an_operation() {
    let server = Upstream::http();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.yaml");
    std::fs::write(&path, SHOP).unwrap();
    let output = run_cli(
        &format!("shop={}@http://127.0.0.1:{}/echo", path.display(), server.port()),
        "(await env.shop.getThings()).path",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.trim(), "\"/echo/things\"");
}

#[tokio::test]
async fn github_through_isobox_mcp_search_describe_execute() {
    let server = Upstream::http();
    let spec = fixture("github/api.github.com.json");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_isobox"));
    command
        .arg("mcp")
        .arg("--no-cache")
        .arg("--openapi")
        .arg(format!(
            "github={}@http://127.0.0.1:{}/echo",
            spec.display(),
            server.port()
        ))
        .kill_on_drop(true);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting isobox mcp");
    let client: Client = ().serve(transport).await.expect("the MCP handshake");

    // The tool list names the binding, not its ~1,000 operations.
    let tools = client.list_all_tools().await.expect("tools/list");
    let listing = serde_json::to_string(&tools).unwrap();
    assert!(listing.contains("env.github"), "{listing}");
    assert!(!listing.contains("issuesCreate"));
    assert!(listing.len() < 4_000, "{} characters", listing.len());

    let found = text(&call(&client, "search", json!({ "query": "create issue" })).await);
    let first = found.lines().nth(1).unwrap_or("");
    assert!(
        first.starts_with("env.github.issuesCreate(args) -> POST /repos/{owner}/{repo}/issues"),
        "{found}"
    );
    let next = text(&call(&client, "search", json!({ "query": "create issue", "offset": 8 })).await);
    assert!(next.contains("9-16 shown"), "{next}");
    assert!(!next.contains("env.github.issuesCreate("), "{next}");

    let described = text(&call(&client, "describe", json!({ "name": "github.issuesCreate" })).await);
    assert!(described.contains("issuesCreate(args: {"), "{described}");
    assert!(described.contains("  owner: string;"), "{described}");
    assert!(described.contains("}): Promise<Issue>;"), "{described}");
    assert!(described.contains("type Issue = {"), "{described}");

    let result = call(
        &client,
        "execute",
        json!({ "code": "const r = await env.github.issuesCreate({ owner: 'octo cat', repo: 'hello', \
                          body: { title: 'Found a bug', labels: ['bug'] } }); \
                          ({ method: r.method, path: r.path, body: JSON.parse(r.body) })" }),
    )
    .await;
    let v: Value = serde_json::from_str(&text(&result)).unwrap();
    assert_eq!(
        v["value"],
        json!({ "method": "POST", "path": "/echo/repos/octo%20cat/hello/issues",
                "body": { "title": "Found a bug", "labels": ["bug"] } }),
        "{v}"
    );
    client.cancel().await.ok();
}

#[tokio::test]
async fn serve_grants_an_openapi_capability_per_tenant() {
    let (ca, tls) = tls_for(&["127.0.0.1"]);
    let server = Upstream::https(tls);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.yaml"), SHOP).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca).unwrap();
    let text = format!(
        "[openapi.shop]\nspec = \"shop.yaml\"\nbase_url = \"https://127.0.0.1:{}/echo\"\n\
         auth = [{{ scheme = \"token\", env = \"SHOP_TOKEN\" }}]\nca_files = [\"ca.pem\"]\n\
         [tenants.a]\nkey_env = [\"A_KEY\"]\ncapabilities = [\"shop\"]\n\
         [tenants.b]\nkey_env = [\"B_KEY\"]\n",
        server.port()
    );
    let env = |name: &str| match name {
        "A_KEY" => Some("a-key".to_owned()),
        "B_KEY" => Some("b-key".to_owned()),
        "SHOP_TOKEN" => Some(SECRET.to_owned()),
        _ => None,
    };
    let config = isobox_serve::ServeConfig::from_toml_str(&text, Some(dir.path()), env).expect("config");
    let (addr, _handle) = crate::serve::start_with(config).await;
    let code = "const r = await env.shop.getThings();
         const bytes = new TextEncoder().encode(r.headers.authorization);
         ({ path: r.path, auth: [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
             .map((b) => b.toString(16).padStart(2, '0')).join('') })";
    let body = json!({ "code": code, "capabilities": ["shop"] });
    let a = crate::serve::run(addr, Some("a-key"), body.clone()).await;
    let outcome = a.json();
    assert_eq!(outcome["value"]["path"], "/echo/things", "{outcome}");
    assert_eq!(outcome["value"]["auth"], sha256_hex(&format!("Bearer {SECRET}")));
    assert!(!outcome.to_string().contains(SECRET));
    // A tenant not granted the API is refused.
    let b = crate::serve::run(addr, Some("b-key"), body).await;
    assert_eq!(b.status, 403, "{}", b.json());
    // A spec the config names that does not load stops the config.
    let bad = "[openapi.shop]\nspec = \"missing.yaml\"\n[tenants.a]\nkey_env = [\"A_KEY\"]\n";
    let error = isobox_serve::ServeConfig::from_toml_str(bad, Some(dir.path()), env)
        .err()
        .unwrap();
    assert!(error.to_string().contains("missing.yaml"), "{error}");
}

#[tokio::test]
async fn host_requests_send_any_method_and_refuse_the_filters_own_headers() {
    let server = Upstream::http();
    let policy = isobox::egress::EgressPolicy::from_toml_str(&format!(
        "[[allow]]\nhost = \"127.0.0.1\"\nports = [{}]\nmethods = [\"PATCH\"]\n",
        server.port()
    ))
    .unwrap();
    let session = isobox::egress::Egress::new(policy).host_session();
    let url = format!("http://127.0.0.1:{}/echo", server.port());
    let response = session
        .send(
            &http::Method::PATCH,
            &url,
            &[("content-type", "text/plain")],
            "hi".into(),
        )
        .await
        .expect("PATCH is allowed");
    let echoed: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        (echoed["method"].as_str(), echoed["body"].as_str()),
        (Some("PATCH"), Some("hi"))
    );
    // The policy still decides the method.
    let error = session
        .send(&http::Method::DELETE, &url, &[], "".into())
        .await
        .unwrap_err();
    assert!(error.is_refused(), "{error}");
    // The filter's control headers cannot be set by a host caller.
    let error = session
        .send(&http::Method::PATCH, &url, &[("Isobox-Redirect", "manual")], "".into())
        .await
        .unwrap_err();
    assert!(error.is_refused() && error.to_string().contains("reserved"), "{error}");
}

/// Prism (@stoplight/prism-cli from npm, pinned in tests/openapi) serving
/// `spec` on a free loopback port; stopped when dropped.
struct Prism {
    child: std::process::Child,
    port: u16,
}

impl Prism {
    fn start(spec: &Path) -> Prism {
        let cli = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/openapi/node_modules/@stoplight/prism-cli/dist/index.js");
        assert!(
            cli.exists(),
            "{} is missing: run `bash tests/openapi/install.sh` (make test does)",
            cli.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("node")
            .arg(&cli)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting prism with node");
        let prism = Prism { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "prism did not listen on {port} within 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        prism
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn petstore_calls_are_valid_for_a_mock_server_that_checks_them_against_the_spec() {
    let path = fixture("oas-examples/3.0/json/petstore.json");
    let prism = Prism::start(&path);
    let spec = OpenApiSpec::from_file(&path).unwrap();
    let connection = Connection::new()
        .base_url(&format!("http://127.0.0.1:{}", prism.port))
        .build(&spec)
        .unwrap();
    let capability = isobox_openapi::capability(spec, connection).unwrap();
    let code = "const out = {};
         const order = await env.petstore.getOrderById({ orderId: 7 });
         out.order = Object.keys(order).sort();
         const placed = await env.petstore.placeOrder({ body: { petId: 3, quantity: 2, status: 'placed', complete: false } });
         out.placed = typeof placed.id;
         out.login = typeof (await env.petstore.loginUser({ username: 'ada', password: 'pw' }));
         try { await env.petstore.getOrderById({ orderId: 'not a number' }) } catch (e) { out.invalid = e.message }
         out";
    let outcome = engine().run(RunRequest::new(code).grant("petstore", capability)).await;
    let v = value(&outcome);
    assert_eq!(
        v["order"],
        json!(["complete", "id", "petId", "quantity", "shipDate", "status"]),
        "{v}"
    );
    assert_eq!(v["placed"], "number", "{v}");
    assert_eq!(v["login"], "string", "{v}");
    let invalid = v["invalid"].as_str().unwrap_or_default();
    assert!(invalid.starts_with("HTTP 400 from GET /store/order/{orderId}: "), "{v}");
}
