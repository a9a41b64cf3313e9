//! Capabilities through the typed bridge: built-ins, native Rust ones, and
//! Wasm component plugins, granted per run.

use std::path::PathBuf;
use std::time::Duration;

use isobox::capability::{CapabilityError, NativeFunctions, TodoStore, Val};
use isobox::{Capability, Limits, Outcome, RunRequest};
use isobox_state::Tenancy;
use serde_json::{Value, json};

use crate::common::{engine, ok};

fn value(outcome: &Outcome) -> &Value {
    match &outcome.result {
        Ok(value) => value,
        Err(error) => panic!("the run failed: {error:?}\nlogs: {:?}", outcome.logs),
    }
}

fn plugin(name: &str) -> PathBuf {
    isobox_plugins::component(name)
}

fn text_plugin() -> Capability {
    Capability::from_component_file(
        &engine(),
        &plugin("text"),
        include_str!("../../plugins/text/wit/text.wit"),
        "analyze",
    )
    .expect("the text plugin loads")
}

fn faulty_plugin() -> Capability {
    Capability::from_component_file(
        &engine(),
        &plugin("faulty"),
        include_str!("../../plugins/faulty/wit/faulty.wit"),
        "faulty",
    )
    .expect("the faulty plugin loads")
}

/// `env.kv` over a fresh store in memory: one namespace per tenant, or
/// shared by grants without one.
async fn kv(tenancy: Tenancy) -> (isobox_store::Store, Capability) {
    let store = isobox_store::Store::open("memory").await.expect("a memory store");
    let kv = isobox_state::kv_capability(store.kv(), tenancy);
    (store, kv)
}

#[tokio::test]
async fn kv_round_trips_and_is_scoped_per_tenant() {
    let (store, kv) = kv(Tenancy::PerTenant).await;
    let write = "await env.kv.put('greeting', 'hello'); await env.kv.put('g2', 'x'); await env.kv.put('other', 'y');
                 [await env.kv.get('greeting'), await env.kv.get('missing'), (await env.kv.list({ prefix: 'g' })).keys.map(k => k.name),
                  await env.kv.delete('g2'), await env.kv.delete('g2')]";
    let outcome = engine()
        .run(RunRequest::new(write).grant_with_props("kv", kv.clone(), json!({ "tenant": "acme" })))
        .await;
    assert_eq!(
        value(&outcome),
        &json!(["hello", null, ["g2", "greeting"], true, false])
    );
    let stored = store.kv().get("acme", "greeting").await.unwrap().map(|e| e.value);
    assert_eq!(stored.as_deref(), Some("hello"));

    // Another run of the same tenant sees the key; another tenant does not.
    let read = "env.kv.get('greeting')";
    let same = engine()
        .run(RunRequest::new(read).grant_with_props("kv", kv.clone(), json!({ "tenant": "acme" })))
        .await;
    assert_eq!(value(&same), &json!("hello"));
    let other = engine()
        .run(RunRequest::new(read).grant_with_props("kv", kv, json!({ "tenant": "globex" })))
        .await;
    assert_eq!(value(&other), &json!(null));
}

#[tokio::test]
async fn an_ungranted_capability_is_absent() {
    let outcome = engine().run(RunRequest::new("[typeof env.kv, Object.keys(env)]")).await;
    assert_eq!(value(&outcome), &json!(["undefined", []]));
    let granted = engine()
        .run(
            RunRequest::new("[typeof env.kv, typeof env.kv.get, Object.keys(env), Object.isFrozen(env)]")
                .grant("kv", kv(Tenancy::Shared).await.1),
        )
        .await;
    assert_eq!(value(&granted), &json!(["object", "function", ["kv"], true]));
}

#[tokio::test]
async fn a_per_tenant_store_granted_without_a_tenant_is_refused() {
    // Two embedders' tenants must never meet in a namespace nobody named.
    let (_store, kv) = kv(Tenancy::PerTenant).await;
    for props in [
        Value::Null,
        json!({}),
        json!({ "tenant": 7 }),
        json!({ "tenant": "" }),
        json!({ "tenant": "x".repeat(300) }),
    ] {
        let outcome = engine()
            .run(RunRequest::new("await env.kv.get('k')").grant_with_props("kv", kv.clone(), props.clone()))
            .await;
        let error = outcome.result.expect_err("refused");
        assert_eq!(error.kind, isobox::ErrorKind::InvalidInput, "{props}: {error:?}");
        assert!(
            error.message.contains("env.kv keeps data per tenant") && error.message.contains("Tenancy::Shared"),
            "{error:?}"
        );
    }
    let todo = Capability::todo(TodoStore::new());
    let outcome = engine().run(RunRequest::new("1").grant("todo", todo)).await;
    assert!(
        outcome
            .result
            .unwrap_err()
            .message
            .contains("env.todo keeps data per tenant")
    );
}

#[tokio::test]
async fn a_shared_store_is_one_namespace_for_grants_without_a_tenant() {
    let (_store, kv) = kv(Tenancy::Shared).await;
    ok(engine()
        .run(RunRequest::new("await env.kv.put('k', 'shared'); 0").grant("kv", kv.clone()))
        .await);
    let read = engine()
        .run(RunRequest::new("env.kv.get('k')").grant("kv", kv.clone()))
        .await;
    assert_eq!(value(&read), &json!("shared"));
    // A tenant's grant of the same store still sees only its own keys.
    let tenant = engine()
        .run(RunRequest::new("env.kv.get('k')").grant_with_props("kv", kv, json!({ "tenant": "acme" })))
        .await;
    assert_eq!(value(&tenant), &json!(null));
}

#[tokio::test]
async fn bad_arguments_are_type_errors_naming_the_call_and_the_path() {
    let code = "const out = [];
        for (const f of [() => env.kv.put('k'), () => env.kv.put(1, 'v'), () => env.kv.list({ limit: -1 }),
                         () => env.todo.add({ title: 'x', priority: 'urgent' }), () => env.todo.complete(1.5)]) {
          try { await f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        out";
    let outcome = engine()
        .run(
            RunRequest::new(code)
                .grant("kv", kv(Tenancy::Shared).await.1)
                .grant("todo", Capability::todo(TodoStore::shared())),
        )
        .await;
    let v = value(&outcome);
    let messages: Vec<&str> = v.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for message in &messages {
        assert!(message.starts_with("TypeError: "), "{messages:?}");
    }
    assert!(messages[0].contains("kv.put"), "{messages:?}");
    assert!(
        messages[1].contains("kv.put") && messages[1].contains("args[0]"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("kv.list") && messages[2].contains("limit"),
        "{messages:?}"
    );
    assert!(
        messages[3].contains("todo.add") && messages[3].contains("priority"),
        "{messages:?}"
    );
    assert!(
        messages[4].contains("todo.complete") && messages[4].contains("args[0]"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn a_lone_surrogate_is_a_type_error_naming_the_call_and_the_path() {
    let code = "const out = [];
        for (const f of [() => env.kv.put('k', 'a\\uD800'), () => env.kv.put('\\uDC00', 'v'),
                         () => env.todo.add({ title: 'ok', labels: { work: true }, ['\\uD800']: 1 }),
                         () => env.todo.add({ title: 'x\\uDBFF' })]) {
          try { await f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        out.push(await env.kv.put('k', 'a\\uD800'.toWellFormed()).then(() => env.kv.get('k')));
        out";
    let outcome = engine()
        .run(
            RunRequest::new(code)
                .grant("kv", kv(Tenancy::Shared).await.1)
                .grant("todo", Capability::todo(TodoStore::shared())),
        )
        .await;
    let v = value(&outcome);
    let messages: Vec<&str> = v.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for (i, path) in [
        "kv.put: args[1]",
        "kv.put: args[0]",
        "todo.add: args[0]",
        "todo.add: args[0].title",
    ]
    .into_iter()
    .enumerate()
    {
        assert!(
            messages[i].starts_with(&format!("TypeError: {path}:")),
            "{i}: {messages:?}"
        );
        assert!(messages[i].contains("lone surrogate"), "{messages:?}");
    }
    assert_eq!(messages[4], "a\u{FFFD}");
}

#[tokio::test]
async fn rich_types_cross_the_bridge() {
    let code = "const a = await env.todo.add({ title: 'write tests', priority: 'high', labels: { work: true, urgent: true } });
        const b = await env.todo.add({ title: 'buy milk', due: '2026-12-01' });
        await env.todo.complete(a.id);
        let missing = null;
        try { await env.todo.complete(999n); } catch (e) { missing = [e.name, e.value]; }
        let invalid = null;
        try { await env.todo.add({ title: '  ' }); } catch (e) { invalid = e.value; }
        ({ a, open: (await env.todo.list({ tag: 'open' })).map((t) => t.title),
           high: (await env.todo.list({ tag: 'by-priority', val: 'high' })).length,
           search: (await env.todo.list({ tag: 'search', val: 'MILK' })).map((t) => t.id),
           counts: await env.todo.counts(), missing, invalid, removed: await env.todo.remove(b.id) })";
    let outcome = engine()
        .run(RunRequest::new(code).grant("todo", Capability::todo(TodoStore::shared())))
        .await;
    let v = value(&outcome);
    assert_eq!(v["a"]["id"], 1);
    assert_eq!(v["a"]["priority"], "high");
    assert_eq!(v["a"]["labels"], json!({ "work": true, "home": false, "urgent": true }));
    assert_eq!(v["a"]["due"], Value::Null);
    assert_eq!(v["open"], json!(["buy milk"]));
    assert_eq!(v["high"], 1);
    assert_eq!(v["search"], json!([2]));
    assert_eq!(v["counts"], json!([1, 1]));
    assert_eq!(v["missing"][1], json!({ "tag": "not-found", "val": 999 }));
    assert_eq!(v["invalid"], json!({ "tag": "invalid", "val": "the title is empty" }));
    assert_eq!(v["removed"], Value::Null);
}

#[tokio::test]
async fn calls_run_concurrently_and_are_listed_in_the_outcome() {
    let slow = NativeFunctions::new().function("wait", |_context, args| async move {
        let Some(Val::U32(ms)) = args.first() else {
            return Err(CapabilityError::new("wait takes a u32"));
        };
        tokio::time::sleep(Duration::from_millis(u64::from(*ms))).await;
        Ok(Some(Val::U32(*ms)))
    });
    let capability = Capability::native(
        "package test:slow; interface clock { /// Waits `ms` milliseconds.\n wait: func(ms: u32) -> u32; }",
        "clock",
        slow,
    )
    .expect("the slow capability");
    let code =
        "const t = Date.now(); const all = await Promise.all([300, 300, 300, 300].map((ms) => env.clock.wait(ms)));
                ({ all, ms: Date.now() - t })";
    let outcome = engine()
        .run(RunRequest::new(code).grant("clock", capability.clone()))
        .await;
    let v = value(&outcome);
    assert_eq!(v["all"], json!([300, 300, 300, 300]));
    assert!(v["ms"].as_u64().unwrap() < 1000, "the calls did not overlap: {v}");
    assert_eq!(outcome.calls.len(), 4);
    assert!(
        outcome
            .calls
            .iter()
            .all(|c| c.binding == "clock" && c.method == "wait" && c.ok)
    );
    assert!(outcome.calls.iter().all(|c| c.duration_us >= 300_000));

    // The wall-clock limit covers time spent in host calls.
    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let outcome = engine()
        .run(
            RunRequest::new("await env.clock.wait(10000)")
                .grant("clock", capability)
                .with_limits(limits),
        )
        .await;
    assert_eq!(outcome.error_kind(), Some(isobox::ErrorKind::Timeout));
}

#[tokio::test]
async fn a_component_plugin_serves_calls_with_the_grant_props() {
    let code = "const stats = await env.text.summarize('the cat and the dog\\nthe end', 2);
        let refused = null;
        try { await env.text.slugify('!!!'); } catch (e) { refused = [e.name, e.value]; }
        ({ stats, slug: await env.text.slugify('Hello, World 2026'), refused, tenant: await env.text.tenant() })";
    let outcome = engine()
        .run(RunRequest::new(code).grant_with_props("text", text_plugin(), json!({ "tenant": "acme" })))
        .await;
    let v = value(&outcome);
    assert_eq!(v["stats"]["words"], 7);
    assert_eq!(v["stats"]["lines"], 2);
    assert_eq!(v["stats"]["chars"], 27);
    assert_eq!(v["stats"]["top"][0], json!({ "word": "the", "count": 3 }));
    assert_eq!(v["stats"]["top"].as_array().unwrap().len(), 2);
    assert_eq!(v["slug"], "hello-world-2026");
    assert_eq!(
        v["refused"][1],
        json!("\"!!!\" has no ASCII letters or digits to make a slug of")
    );
    assert_eq!(v["tenant"], "acme");
}

#[tokio::test]
async fn a_plugin_that_traps_fails_its_calls_not_the_host() {
    let code = "const out = [await env.faulty.echo(7)];
        for (const f of [() => env.faulty.crash(), () => env.faulty.echo(8)]) {
          try { await f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        out";
    let outcome = engine()
        .run(RunRequest::new(code).grant("faulty", faulty_plugin()))
        .await;
    let v = value(&outcome);
    assert_eq!(v[0], 7);
    assert!(v[1].as_str().unwrap().contains("trapped"), "{v}");
    assert!(v[2].as_str().unwrap().contains("stopped earlier"), "{v}");
    assert!(outcome.calls.iter().any(|c| !c.ok));
}

#[tokio::test]
async fn a_plugin_that_loops_or_hogs_memory_is_stopped_by_the_run_limits() {
    let limits = Limits {
        wall_time: Duration::from_millis(500),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let outcome = engine()
        .run(
            RunRequest::new("await env.faulty.spin()")
                .grant("faulty", faulty_plugin())
                .with_limits(limits.clone()),
        )
        .await;
    assert_eq!(
        outcome.error_kind(),
        Some(isobox::ErrorKind::Timeout),
        "{:?}",
        outcome.result
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let small = Limits {
        memory_bytes: 32 * 1024 * 1024,
        ..Limits::default()
    };
    let outcome = engine()
        .run(
            RunRequest::new("try { await env.faulty.hog(); 'no error' } catch (e) { e.message }")
                .grant("faulty", faulty_plugin())
                .with_limits(small),
        )
        .await;
    assert!(
        value(&outcome).as_str().unwrap().contains("memory limit"),
        "{:?}",
        outcome.result
    );
}

#[test]
fn bad_plugin_files_and_bad_wit_are_clear_errors() {
    let wit = include_str!("../../plugins/text/wit/text.wit");
    let not_wasm = std::env::temp_dir().join(format!("isobox-not-a-plugin-{}.wasm", std::process::id()));
    std::fs::write(&not_wasm, b"not wasm at all").unwrap();
    let error = Capability::from_component_file(&engine(), &not_wasm, wit, "analyze").expect_err("refused");
    assert!(error.to_string().contains("not a usable Wasm component"), "{error}");
    let _ = std::fs::remove_file(&not_wasm);

    let error = Capability::from_component_file(&engine(), &plugin("text"), wit, "nope").expect_err("refused");
    assert!(error.to_string().contains("nope"), "{error}");

    let faulty_wit = include_str!("../../plugins/faulty/wit/faulty.wit");
    let error = Capability::from_component_file(&engine(), &plugin("text"), faulty_wit, "faulty")
        .expect_err("a component without the interface is refused");
    assert!(error.to_string().contains("does not export"), "{error}");

    let error = Capability::native("package a:b; interface x { f: func( }", "x", NativeFunctions::new())
        .expect_err("bad WIT is refused");
    assert!(!error.to_string().is_empty());
}

#[tokio::test]
async fn typescript_declarations_come_from_the_wit() {
    let (_store, kv) = kv(Tenancy::PerTenant).await;
    let ts = kv.typescript("kv");
    assert!(ts.contains("get(key: string): Promise<string | null>"), "{ts}");
    assert!(ts.contains("A persistent key-value store of strings"), "{ts}");
    assert!(ts.contains("ifVersion?: number | bigint"), "{ts}");
    let todo = Capability::todo(TodoStore::new()).typescript("todo");
    assert!(todo.contains("complete(id: number | bigint)"), "{todo}");
}
