//! The worker registry of `isobox serve` over real HTTP on 127.0.0.1: a
//! tenant uploads a worker (`PUT /v1/workers/{name}`: code, modules,
//! grants, assets), calls it, replaces it (versions, `If-Match`), reads and
//! lists it, deletes it; uploads that ask for more than the tenant may have
//! are refused before anything is kept. Replicas sharing PostgreSQL are in
//! `replicas.rs`.

use std::net::SocketAddr;

use isobox_serve::{ServeConfig, Server, ServerHandle, key_sha256_hex};
use serde_json::{Value, json};

use crate::common::engine;
use crate::serve::{Reply, call_with};

const ACME: &str = "acme-registry-key";
const BETA: &str = "beta-registry-key";
const GAMMA: &str = "gamma-registry-key";

/// A worker in TypeScript that imports a module and counts in kv.
const API_V1: &str = r#"
import { greet } from "./greet.js";
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/count") {
      const n = Number((await env.kv.get("n")) ?? 0) + 1;
      await env.kv.put("n", String(n));
      return new Response(String(n));
    }
    return new Response(greet(url.searchParams.get("name") ?? "nobody") + " (v1)");
  },
};
"#;

const API_V2: &str = r#"
export default {
  fetch(request) {
    return new Response("v2 at " + new URL(request.url).pathname);
  },
};
"#;

fn config() -> ServeConfig {
    let text = format!(
        "[registry]\nmax_code_bytes = 20000\nkeep_versions = 2\n\
         [workers.hello]\nfile = \"hello.js\"\n\
         [policies.none]\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\"]\nworkers = [\"hello\"]\nupload_workers = true\n\
         [tenants.acme.max_limits]\nwall_time_ms = 2000\n\
         [tenants.beta]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\", \"todo\"]\negress = [\"none\"]\n\
         [tenants.gamma]\nkey_sha256 = [\"{}\"]\nupload_workers = true\n",
        key_sha256_hex(ACME),
        key_sha256_hex(BETA),
        key_sha256_hex(GAMMA)
    );
    let dir = std::env::temp_dir().join(format!("isobox-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("hello.js"),
        "export default { fetch() { return new Response('configured'); } };",
    )
    .expect("worker file");
    ServeConfig::from_toml_str(&text, Some(&dir), |_| None).unwrap_or_else(|e| panic!("test config: {e}"))
}

async fn start() -> (SocketAddr, ServerHandle) {
    Server::bind(config(), engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server")
}

async fn put(addr: SocketAddr, key: &str, name: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    call_with(
        addr,
        "PUT",
        &format!("/v1/workers/{name}"),
        Some(key),
        &all,
        Some(body.to_string().into_bytes()),
    )
    .await
}

async fn get(addr: SocketAddr, key: &str, path: &str) -> Reply {
    call_with(addr, "GET", path, Some(key), &[], None).await
}

#[tokio::test]
async fn a_tenant_uploads_a_worker_calls_it_replaces_it_and_deletes_it() {
    let (addr, handle) = start().await;
    let upload = json!({
        "filename": "api.ts",
        "code": API_V1,
        "modules": { "./greet.js": "export const greet = (n) => `hello ${n}`;" },
        "capabilities": ["kv"],
        "limits": { "wall_time_ms": 1500 },
        "assets": {
            "index.html": "<h1>home</h1>",
            "/img/logo.bin": { "base64": "AAEC/w==" },
        },
    });
    let created = put(addr, ACME, "api", &[("if-none-match", "*")], &upload).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("etag"), Some("\"1\""));
    let head = created.json();
    assert_eq!(
        (head["version"].clone(), head["source"].clone()),
        (json!(1), json!("registry"))
    );
    assert_eq!(head["sha256"].as_str().map(str::len), Some(64));

    // Called like a configured worker: modules, TypeScript, its kv grant.
    let hello = get(addr, ACME, "/v1/workers/api/hi?name=ada").await;
    assert_eq!((hello.status, hello.text().as_str()), (200, "hello ada (v1)"));
    assert_eq!(hello.header("x-isobox-worker-version"), Some("1"));
    assert_eq!(get(addr, ACME, "/v1/workers/api/count").await.text(), "1");
    assert_eq!(get(addr, ACME, "/v1/workers/api/count").await.text(), "2");
    // Its assets are answered by the host, bytes exactly.
    let index = get(addr, ACME, "/v1/workers/api/").await;
    assert_eq!((index.status, index.text().as_str()), (200, "<h1>home</h1>"));
    assert_eq!(index.header("content-type"), Some("text/html; charset=utf-8"));
    let logo = get(addr, ACME, "/v1/workers/api/img/logo.bin").await;
    assert_eq!(logo.body.as_ref(), &[0u8, 1, 2, 255]);

    // Another tenant has its own namespace: no such worker, and no uploads.
    assert_eq!(get(addr, BETA, "/v1/workers/api/hi").await.status, 404);
    let refused = put(addr, BETA, "api", &[], &json!({ "code": API_V2 })).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("upload_workers"), "{}", refused.text());

    // A new version over version 1: served from the next request on.
    let replaced = put(addr, ACME, "api", &[("if-match", "\"1\"")], &json!({ "code": API_V2 })).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["version"], 2);
    let v2 = get(addr, ACME, "/v1/workers/api/x").await;
    assert_eq!(
        (v2.text().as_str(), v2.header("x-isobox-worker-version")),
        ("v2 at /x", Some("2"))
    );
    // Writers that read an older version, or expect none, lose.
    for headers in [[("if-match", "\"1\"")], [("if-none-match", "*")]] {
        let stale = put(addr, ACME, "api", &headers, &json!({ "code": API_V1 })).await;
        assert_eq!(stale.status, 412, "{}", stale.text());
        assert_eq!(stale.json()["error"]["code"], "version-mismatch");
    }

    // Read back: the newest version with its versions; an older one by number.
    let info = get(addr, ACME, "/v1/workers/api").await;
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.header("etag"), Some("\"2\""));
    let info = info.json();
    assert_eq!(info["spec"]["code"], API_V2);
    let versions: Vec<i64> = info["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let old = get(addr, ACME, "/v1/workers/api?version=1").await.json();
    assert_eq!(old["spec"]["filename"], "api.ts");
    let mut assets: Vec<(String, i64)> = old["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap().to_owned(), a["bytes"].as_i64().unwrap()))
        .collect();
    assets.sort();
    assert_eq!(assets, [("img/logo.bin".to_owned(), 4), ("index.html".to_owned(), 13)]);
    // keep_versions = 2: a third version drops the first.
    put(addr, ACME, "api", &[], &json!({ "code": API_V2.replace("v2", "v3") })).await;
    assert_eq!(get(addr, ACME, "/v1/workers/api?version=1").await.status, 404);

    // The list holds the configured worker and the uploaded one.
    let list = get(addr, ACME, "/v1/workers").await.json();
    let names: Vec<(String, String)> = list["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap().into(), w["source"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        names,
        [("hello".into(), "config".into()), ("api".into(), "registry".into())]
    );
    assert_eq!(get(addr, ACME, "/v1/workers/hello/").await.text(), "configured");

    let deleted = call_with(addr, "DELETE", "/v1/workers/api", Some(ACME), &[], None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(get(addr, ACME, "/v1/workers/api/x").await.status, 404);
    assert_eq!(
        call_with(addr, "DELETE", "/v1/workers/api", Some(ACME), &[], None)
            .await
            .status,
        404
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn uploads_asking_for_more_than_the_tenant_may_have_are_refused_and_nothing_is_kept() {
    let (addr, handle) = start().await;
    let code = "export default { fetch() { return new Response('x'); } };";
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "w",
            json!({ "code": code, "capabilities": ["todo"] }),
            403,
            "capability \"todo\"",
        ),
        ("w", json!({ "code": code, "egress": "none" }), 403, "egress"),
        (
            "w",
            json!({ "code": code, "limits": { "wall_time_ms": 60000 } }),
            403,
            "wall_time_ms",
        ),
        ("hello", json!({ "code": code }), 409, "configured"),
        ("a.b", json!({ "code": code }), 400, "letters, digits"),
        ("w", json!({ "filename": "main.js" }), 400, "give `code`"),
        (
            "w",
            json!({ "filename": "m.json", "modules": { "m.json": { "json": 1 } } }),
            400,
            "must be JavaScript",
        ),
        ("w", json!({ "code": code, "colour": "red" }), 400, "colour"),
        (
            "w",
            json!({ "code": code, "assets": { "a.bin": { "base64": "!!" } } }),
            400,
            "not base64",
        ),
        (
            "w",
            json!({ "code": code, "assets": { "../up.txt": "x" } }),
            400,
            "assets",
        ),
        (
            "w",
            json!({ "code": code, "assets_not_found": "404-page" }),
            400,
            "give `assets`",
        ),
        (
            "w",
            json!({ "code": code, "assets": { "a": "x" }, "assets_not_found": "nope" }),
            400,
            "assets_not_found",
        ),
        ("w", json!({ "code": "x".repeat(20_001) }), 413, "max_code_bytes"),
        (
            "w",
            json!({ "code": code, "dependencies": ["left-pad@1"] }),
            403,
            "left-pad",
        ),
    ];
    for (name, body, status, needle) in cases {
        let reply = put(addr, ACME, name, &[], &body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text());
        let message = reply.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let untyped = call_with(
        addr,
        "PUT",
        "/v1/workers/w",
        Some(ACME),
        &[("content-type", "text/plain")],
        Some(json!({ "code": code }).to_string().into_bytes()),
    )
    .await;
    assert_eq!(untyped.status, 415, "{}", untyped.text());
    let other = call_with(addr, "POST", "/v1/workers/w", Some(ACME), &[], None).await;
    assert_eq!(other.status, 405);
    assert_eq!(other.header("allow"), Some("GET, HEAD, PUT, DELETE"));
    assert!(other.text().contains("/v1/workers/w/"), "{}", other.text());
    assert_eq!(
        call_with(addr, "PUT", "/v1/workers/w", None, &[], None).await.status,
        401
    );

    let list = get(addr, ACME, "/v1/workers").await.json();
    assert_eq!(
        list["workers"].as_array().map(Vec::len),
        Some(1),
        "only the configured one: {list}"
    );
    assert_eq!(get(addr, ACME, "/v1/workers/w").await.status, 404);
    assert_eq!(get(addr, ACME, "/v1/workers/w?version=x").await.status, 400);

    // A configured worker takes its name only for the tenants that call it:
    // another tenant uploads its own `hello` (and learns nothing of it).
    let own = put(addr, GAMMA, "hello", &[], &json!({ "code": code })).await;
    assert_eq!(own.status, 201, "{}", own.text());
    assert_eq!(get(addr, GAMMA, "/v1/workers/hello/").await.text(), "x");
    assert_eq!(get(addr, ACME, "/v1/workers/hello/").await.text(), "configured");
    handle.shutdown().await.expect("shutdown");
}
