//! `isobox serve` per tenant: injected credentials, plugin capabilities,
//! and the queue wait timeout.

use std::path::{Path, PathBuf};

use isobox_serve::{ServeConfig, key_sha256_hex};
use serde_json::json;

use crate::common::engine;
use crate::serve::{ACME, BETA, run, sample, start, start_with, wait_for_gauge};
use crate::upstream::{Upstream, tls_for};

const TOKEN: &str = "tenant-a-s3cr3t-t0ken";

/// A fresh directory under the system's temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isobox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn env(name: &str) -> Option<String> {
    match name {
        "A_KEY" => Some("a-key".into()),
        "B_KEY" => Some("b-key".into()),
        "A_TOKEN" => Some(TOKEN.into()),
        _ => None,
    }
}

#[tokio::test]
async fn a_tenants_credential_is_injected_into_its_runs_only_and_never_shown() {
    let (ca, tls) = tls_for(&["localhost"]);
    let upstream = Upstream::https(tls);
    let port = upstream.port();
    let dir = temp_dir("serve-credentials");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca).expect("CA file");
    let text = format!(
        "[policies.tls]\n[[policies.tls.allow]]\nhost = \"localhost\"\nports = [{port}]\nallow_private = true\n\
         [[policies.tls.resolve]]\nhost = \"localhost\"\naddresses = [\"127.0.0.1\"]\n\
         [policies.tls.tls]\nca_files = [{ca_file:?}]\n\
         [tenants.a]\nkey_env = [\"A_KEY\"]\negress = [\"tls\"]\n\
         [[tenants.a.credential]]\norigin = \"https://localhost:{port}\"\nheader = \"x-api-token\"\nvalue_env = \"A_TOKEN\"\nprefix = \"Token \"\n\
         [tenants.b]\nkey_env = [\"B_KEY\"]\negress = [\"tls\"]\n"
    );
    let config = ServeConfig::from_toml_str(&text, None, env).expect("config");
    assert_eq!(config.tenants()[0].credentials, 1);
    let (addr, handle) = start_with(config).await;
    // The code sets its own x-api-token, logs what it sent, and returns
    // whether the upstream got a token and the token's SHA-256 (never the
    // token itself).
    let code = format!(
        "const url = 'https://localhost:{port}/echo';
         const request = new Request(url, {{ headers: {{ 'x-api-token': 'from-guest' }} }});
         console.log(JSON.stringify([...request.headers]));
         const response = await fetch(request);
         const echoed = (await response.json()).headers['x-api-token'];
         const bytes = new TextEncoder().encode(echoed);
         const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
             .map((b) => b.toString(16).padStart(2, '0')).join('');
         ({{ status: response.status, guest: echoed === 'from-guest', digest }})"
    );
    let body = json!({ "code": code, "egress": "tls" });
    let a = run(addr, Some("a-key"), body.clone()).await;
    let outcome = a.json();
    assert_eq!(outcome["value"]["status"], 200, "{outcome}");
    assert_eq!(
        outcome["value"]["guest"], false,
        "the tenant's token replaced the guest's"
    );
    assert_eq!(
        outcome["value"]["digest"],
        key_sha256_hex(&format!("Token {TOKEN}")),
        "the upstream got tenant a's token"
    );
    assert_eq!(outcome["egress"][0]["decision"], "allowed");
    let b = run(addr, Some("b-key"), body).await;
    assert_eq!(
        b.json()["value"]["guest"],
        true,
        "tenant b's run (same policy) has no token: {}",
        b.text()
    );
    for reply in [&a, &b] {
        assert!(
            !reply.text().contains(TOKEN),
            "the outcome, logs and audit never show the token"
        );
    }
    handle.shutdown().await.expect("shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_tenant_credentials_are_refused_at_start_without_the_value() {
    let cases = [
        (
            "origin = \"https://api.example\"\nheader = \"authorization\"\nvalue_env = \"NOPE\"",
            "NOPE is not set",
        ),
        (
            "origin = \"http://api.example\"\nheader = \"authorization\"\nvalue = \"plain-secret\"",
            "only sent over https",
        ),
        ("origin = \"https://api.example\"\nvalue = \"plain-secret\"", "header"),
        (
            "origin = \"https://api.example\"\nheader = \"authorization\"\nvalue = \"plain-secret\"\ncolour = 1",
            "colour",
        ),
    ];
    for (credential, expected) in cases {
        let text = format!("[tenants.a]\nkey_env = [\"A_KEY\"]\n[[tenants.a.credential]]\n{credential}\n");
        let error = match ServeConfig::from_toml_str(&text, None, env) {
            Ok(_) => panic!("{credential} was accepted"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(expected), "{credential}: {error}");
        assert!(error.contains("tenant a"), "{error}");
        assert!(!error.contains("plain-secret"), "{error}");
    }
}

fn plugin_file() -> PathBuf {
    isobox_plugins::component("text")
}

fn text_wit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/text/wit")
}

/// A config file in `dir` declaring plugin `text` (its component copied
/// next to the file, named relatively) for tenant a only.
fn plugin_config(dir: &Path, wit: &Path, capabilities: &str) -> PathBuf {
    std::fs::copy(plugin_file(), dir.join("text.wasm")).expect("copying the plugin");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[plugins.text]\ncomponent = \"text.wasm\"\nwit = {wit:?}\ninterface = \"analyze\"\n\
             [tenants.a]\nkey_env = [\"A_KEY\"]\ncapabilities = {capabilities}\n\
             [tenants.b]\nkey_env = [\"B_KEY\"]\ncapabilities = [\"kv\"]\n"
        ),
    )
    .expect("config");
    config
}

#[tokio::test]
async fn a_plugin_is_granted_by_name_with_the_tenant_in_its_props() {
    let dir = temp_dir("serve-plugin");
    let path = plugin_config(&dir, &text_wit(), "[\"kv\", \"text\"]");
    let text = std::fs::read_to_string(&path).expect("config");
    let mut config = ServeConfig::from_toml_str(&text, path.parent(), env).expect("config");
    assert_eq!(config.plugin_names().collect::<Vec<_>>(), ["text"]);
    config.load_plugins(&engine()).expect("the plugin compiles");
    let (addr, handle) = start_with(config).await;
    let code =
        "[await env.text.tenant(), (await env.text.summarize('b a b', 1)).top, await env.text.slugify('Hi There')]";
    let reply = run(addr, Some("a-key"), json!({ "code": code, "capabilities": ["text"] })).await;
    assert_eq!(
        reply.json()["value"],
        json!(["a", [{ "word": "b", "count": 2 }], "hi-there"]),
        "{}",
        reply.text()
    );
    assert_eq!(reply.json()["calls"].as_array().map(Vec::len), Some(3));
    let refused = run(addr, Some("b-key"), json!({ "code": "1", "capabilities": ["text"] })).await;
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("capability \\\"text\\\""), "{}", refused.text());
    handle.shutdown().await.expect("shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_plugins_are_refused_at_start_with_what_is_wrong() {
    let dir = temp_dir("serve-bad-plugins");
    let wit = text_wit();
    let load = |text: &str| -> Result<(), String> {
        let mut config = ServeConfig::from_toml_str(text, Some(&dir), env).map_err(|e| e.to_string())?;
        config.load_plugins(&engine()).map_err(|e| e.to_string())
    };
    std::fs::write(dir.join("garbage.wasm"), b"not wasm").expect("garbage");
    std::fs::write(dir.join("bad.wit"), "package x:y;\ninterface i { f: func(").expect("bad WIT");
    std::fs::copy(plugin_file(), dir.join("text.wasm")).expect("copying the plugin");
    let tenant = "[tenants.a]\nkey_env = [\"A_KEY\"]\n";
    let cases = [
        (
            format!("[plugins.text]\ncomponent = \"missing.wasm\"\nwit = {wit:?}\n"),
            "plugin text: cannot read component",
        ),
        (
            "[plugins.text]\ncomponent = \"text.wasm\"\nwit = \"bad.wit\"\n".to_owned(),
            "plugin text: WIT",
        ),
        (
            format!("[plugins.text]\ncomponent = \"text.wasm\"\nwit = {wit:?}\ninterface = \"nope\"\n"),
            "plugin text: WIT",
        ),
        (
            format!("[plugins.text]\ncomponent = \"garbage.wasm\"\nwit = {wit:?}\n"),
            "not a usable Wasm component",
        ),
        (
            format!("[plugins.kv]\ncomponent = \"text.wasm\"\nwit = {wit:?}\n"),
            "built-in",
        ),
        ("[plugins.text]\ncomponent = \"text.wasm\"\n".to_owned(), "wit"),
        (
            format!("[plugins.text]\ncomponent = \"text.wasm\"\nwit = {wit:?}\n{tenant}capabilities = [\"txt\"]\n"),
            "no capability named \"txt\" (there are kv, todo, workspace, text",
        ),
    ];
    for (text, expected) in cases {
        let error = load(&format!(
            "{text}{}",
            if text.contains("[tenants") { "" } else { tenant }
        ))
        .err()
        .unwrap_or_else(|| panic!("{text} was accepted"));
        assert!(error.contains(expected), "{text}: {error}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_request_that_waits_past_max_queue_wait_gets_503_queue_timeout() {
    let (addr, handle) = start("max_in_flight = 1\nmax_queue_wait_ms = 100\nretry_after_secs = 3").await;
    let long = "await new Promise((r) => setTimeout(r, 1500)); 'held'";
    let holder = tokio::spawn(async move { run(addr, Some(ACME), json!({ "code": long })).await });
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 1.0).await;
    let waited = run(addr, Some(BETA), json!({ "code": "1" })).await;
    assert_eq!(waited.status, 503, "{}", waited.text());
    assert_eq!(waited.json()["error"]["code"], "queue-timeout");
    assert!(
        waited.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("100 ms")
    );
    assert_eq!(waited.header("retry-after"), Some("3"));
    assert_eq!(holder.await.expect("holder").json()["value"], "held");
    let metrics = handle.metrics().render();
    assert_eq!(
        sample(&metrics, "isobox_requests_rejected_total{reason=\"queue-timeout\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "isobox_requests_queued"), Some(0.0));
    // The slot is free again: requests run.
    assert_eq!(run(addr, Some(BETA), json!({ "code": "2" })).await.json()["value"], 2);
    handle.shutdown().await.expect("shutdown");
}

#[test]
fn the_cli_refuses_to_start_with_a_plugin_that_does_not_compile() {
    let dir = temp_dir("serve-cli-plugin");
    std::fs::write(dir.join("garbage.wasm"), b"\0asm but not really").expect("garbage");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[plugins.text]\ncomponent = \"garbage.wasm\"\nwit = {:?}\n[tenants.a]\nkey_env = [\"ISOBOX_TEST_KEY\"]\ncapabilities = [\"text\"]\n",
            text_wit()
        ),
    )
    .expect("config");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("ISOBOX_TEST_KEY", "k")
        .output()
        .expect("running isobox serve");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plugin text"), "{stderr}");
    assert!(stderr.contains("not a usable Wasm component"), "{stderr}");
    assert!(output.stdout.is_empty(), "it never listened");
    let _ = std::fs::remove_dir_all(&dir);
}
