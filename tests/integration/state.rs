//! Durable state from the sandbox: `env.kv` and `env.workspace` over
//! isobox-store, through the engine, the CLI (`--store`, `--workspace`)
//! and `isobox serve` (`[store]`, the workspace REST API).

use std::process::Command;

use isobox::RunRequest;
use isobox_serve::{ServeConfig, key_sha256_hex};
use isobox_state::{Tenancy, kv_capability, workspace_capability};
use isobox_store::Store;
use serde_json::{Value, json};

use crate::common::{engine, ok};
use crate::serve::{ACME, BETA, call, run, start_with};

/// Compare-and-swap increments from many concurrent runs sum exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_from_concurrent_runs_sums_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("kv.db").to_str().unwrap()).await.unwrap();
    let kv = kv_capability(store.kv(), Tenancy::PerTenant);
    let code = "let conflicts = 0;
        for (let i = 0; i < 10; i++) {
          for (;;) {
            const seen = await env.kv.getWithVersion('n');
            const next = String(seen === null ? 1 : Number(seen.value) + 1);
            const options = seen === null ? { ifAbsent: true } : { ifVersion: seen.version };
            if ((await env.kv.put('n', next, options)).ok) break;
            conflicts++;
          }
        }
        conflicts";
    let engine = engine();
    let mut runs = Vec::new();
    for _ in 0..8 {
        let request = RunRequest::new(code).grant_with_props("kv", kv.clone(), json!({ "tenant": "acme" }));
        let engine = engine.clone();
        runs.push(tokio::spawn(async move { engine.run(request).await }));
    }
    for run in runs {
        ok(run.await.unwrap());
    }
    let total = store.kv().get("acme", "n").await.unwrap().unwrap();
    assert_eq!(total.value, "80");
}

#[tokio::test]
async fn kv_errors_are_typed_values_the_code_can_handle() {
    let store = Store::open("memory").await.unwrap();
    let kv = kv_capability(store.kv(), Tenancy::Shared);
    let code = "const out = [];
        try { await env.kv.put('', 'v'); } catch (e) { out.push(e.value.tag); }
        try { await env.kv.put('k', 'x'.repeat(2 * 1024 * 1024)); } catch (e) { out.push(e.value.tag); }
        try { await env.kv.list({ prefix: 'a', cursor: 'b' }); } catch (e) { out.push(e.value.tag); }
        const first = await env.kv.put('k', 'v', { ttlMs: 60000 });
        out.push(first.ok, (await env.kv.getWithVersion('k')).expiresAt > Date.now());
        out.push((await env.kv.put('k', 'w', { ifAbsent: true })).ok);
        out.push(await env.kv.delete('k', first.version + 1), await env.kv.delete('k', first.version));
        out";
    let value = ok(engine().run(RunRequest::new(code).grant("kv", kv)).await);
    assert_eq!(
        value,
        json!(["bad-key", "too-large", "invalid", true, true, false, false, true])
    );
}

#[tokio::test]
async fn a_workspace_from_javascript() {
    let store = Store::open("memory").await.unwrap();
    let workspace = workspace_capability(store.clone(), Default::default(), Tenancy::PerTenant);
    let props = json!({ "tenant": "acme", "workspace": "proj" });
    let code = "const ws = env.workspace;
        await ws.mkdir({ path: '/src/util', recursive: true });
        await ws.writeFile({ path: '/src/util/a.ts', content: 'export const a = 1;\\n' });
        await ws.writeFile({ path: '/bin.dat', content: 'AAEC/w==', encoding: 'base64' });
        await ws.appendFile({ path: '/log.txt', content: 'one\\n' });
        await ws.appendFile({ path: '/log.txt', content: 'two\\n' });
        const errors = [];
        for (const f of [() => ws.readFile({ path: '/nope' }), () => ws.rm({ path: '/src' }),
                         () => ws.readFile({ path: '/bin.dat' }), () => ws.writeFile({ path: '../x', content: '' }),
                         () => ws.readFile({ path: '/a', bogus: 1 })]) {
          try { await f(); errors.push('no error'); } catch (e) { errors.push(e.message.split(':')[0]); }
        }
        const page = await ws.readdir({ path: '/', limit: 2 });
        const rest = await ws.readdir({ path: '/', cursor: page.cursor });
        ({
          text: await ws.readFile({ path: 'src/util/a.ts' }),
          bytes: await ws.readFile({ path: '/bin.dat', encoding: 'base64', offset: 1, length: 2 }),
          log: await ws.readFile({ path: '/log.txt' }),
          exists: [await ws.exists({ path: '/src' }), await ws.exists({ path: '/zzz' })],
          errors,
          pages: [page.entries.map((e) => e.path), rest.entries.map((e) => e.path), rest.cursor ?? null],
          info: await ws.info(),
        })";
    let request = RunRequest::new(code).grant_with_props("workspace", workspace.clone(), props.clone());
    let value = ok(engine().run(request).await);
    assert_eq!(value["text"], "export const a = 1;\n");
    assert_eq!(value["bytes"], "AQI=");
    assert_eq!(value["log"], "one\ntwo\n");
    assert_eq!(value["exists"], json!([true, false]));
    assert_eq!(
        value["errors"],
        json!(["ENOENT", "ENOTEMPTY", "EINVAL", "EINVAL", "EINVAL"])
    );
    assert_eq!(value["pages"], json!([["/bin.dat", "/log.txt"], ["/src"], null]));
    assert_eq!(value["info"]["id"], "proj");
    assert_eq!(value["info"]["files"], 5);
    // The host sees what the run wrote; another tenant does not.
    let ws = store.workspace("acme", "proj").unwrap();
    assert_eq!(ws.read_file("/log.txt").await.unwrap(), b"one\ntwo\n");
    let other = RunRequest::new("env.workspace.exists({ path: '/log.txt' })").grant_with_props(
        "workspace",
        workspace.clone(),
        json!({ "tenant": "beta", "workspace": "proj" }),
    );
    assert_eq!(ok(engine().run(other).await), json!(false));
    // A read-only grant reads and refuses writes.
    let read_only = json!({ "tenant": "acme", "workspace": "proj", "readOnly": true });
    let code = "const text = await env.workspace.readFile({ path: '/log.txt' });
        let refused; try { await env.workspace.writeFile({ path: '/x', content: '' }); } catch (e) { refused = e.message; }
        [text, refused]";
    let value = ok(engine()
        .run(RunRequest::new(code).grant_with_props("workspace", workspace.clone(), read_only))
        .await);
    assert_eq!(value[0], "one\ntwo\n");
    assert!(value[1].as_str().unwrap().starts_with("EACCES"), "{value}");
    // No tenant: refused before the run starts.
    let outcome = engine()
        .run(RunRequest::new("env.workspace.exists({ path: '/' })").grant("workspace", workspace))
        .await;
    let error = outcome.result.expect_err("refused");
    assert_eq!(error.kind, isobox::ErrorKind::InvalidInput, "{error:?}");
    assert!(
        error.message.contains("env.workspace keeps data per tenant"),
        "{error:?}"
    );
}

fn isobox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_isobox"))
}

fn stdout_of(command: &mut Command) -> String {
    let output = command.output().expect("isobox runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// State kept by one `isobox run` is there for the next.
#[test]
fn the_cli_keeps_kv_and_workspaces_in_a_store_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db");
    let store = store.to_str().unwrap();
    let write = "await env.kv.put('count', '1');
        await env.workspace.writeFile({ path: '/notes/today.md', content: '# hi', parents: true }); 'written'";
    let script = dir.path().join("write.js");
    std::fs::write(&script, write).unwrap();
    let out = stdout_of(isobox().args([
        "run",
        script.to_str().unwrap(),
        "--store",
        store,
        "--grant",
        "kv",
        "--grant",
        "workspace",
        "--workspace",
        "w1",
    ]));
    assert!(out.contains("written"), "{out}");
    let read = dir.path().join("read.js");
    std::fs::write(
        &read,
        "[await env.kv.get('count'), await env.workspace.readFile({ path: '/notes/today.md' }), (await env.workspace.info()).id]",
    )
    .unwrap();
    let out = stdout_of(isobox().args([
        "run",
        read.to_str().unwrap(),
        "--store",
        store,
        "--grant",
        "kv",
        "--grant",
        "workspace",
        "--workspace",
        "w1",
    ]));
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value, json!(["1", "# hi", "w1"]));
    // Another workspace of the same store is empty; a bad id is refused up front.
    let exists = dir.path().join("exists.js");
    std::fs::write(&exists, "env.workspace.exists({ path: '/notes' })").unwrap();
    let exists = exists.to_str().unwrap();
    let out = stdout_of(isobox().args([
        "run",
        exists,
        "--store",
        store,
        "--grant",
        "workspace",
        "--workspace",
        "w2",
    ]));
    assert_eq!(out.trim(), "false");
    let output = isobox()
        .args([
            "run",
            exists,
            "--store",
            store,
            "--grant",
            "workspace",
            "--workspace",
            "../x",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--workspace"),
        "{output:?}"
    );
}

fn serve_config(store: &str) -> ServeConfig {
    let text = format!(
        "[store]\nlocation = \"{store}\"\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\", \"workspace\"]\n\
         [tenants.beta]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\"]\n",
        key_sha256_hex(ACME),
        key_sha256_hex(BETA)
    );
    ServeConfig::from_toml_str(&text, None, |_| None).unwrap_or_else(|e| panic!("test config: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_state_in_its_store_and_serves_workspaces_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serve.db");
    let store = file.to_str().unwrap();
    let (addr, handle) = start_with(serve_config(store)).await;
    // A person puts a file; a run reads and changes it; the person reads it back.
    let put = call(
        addr,
        "PUT",
        "/v1/workspaces/proj/files/docs/plan.md?parents=true",
        Some(ACME),
        Some(b"step 1\n".to_vec()),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["version"], 1);
    let code = "const ws = env.workspace;
        const text = await ws.readFile({ path: '/docs/plan.md' });
        await ws.writeFile({ path: '/docs/plan.md', content: text + 'step 2\\n' });
        await env.kv.put('runs', '1');
        text";
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": code, "capabilities": ["workspace", "kv"], "workspace": "proj" }),
    )
    .await;
    assert_eq!(reply.json()["value"], "step 1\n", "{}", reply.text());
    // A run imports a module from its workspace.
    let put = call(
        addr,
        "PUT",
        "/v1/workspaces/proj/files/lib/answer.ts?parents=true",
        Some(ACME),
        Some(b"export const answer: number = 42;\n".to_vec()),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let code = "import { answer } from './lib/answer.ts'; export default answer;";
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": code, "capabilities": ["workspace"], "workspace": "proj", "filename": "main.ts" }),
    )
    .await;
    assert_eq!(reply.json()["value"], 42, "{}", reply.text());
    let removed = call(
        addr,
        "DELETE",
        "/v1/workspaces/proj/files/lib?recursive=true",
        Some(ACME),
        None,
    )
    .await;
    assert_eq!(removed.json()["removed"], 2);
    let get = call(addr, "GET", "/v1/workspaces/proj/files/docs/plan.md", Some(ACME), None).await;
    assert_eq!((get.status, get.text().as_str()), (200, "step 1\nstep 2\n"));
    assert!(get.header("etag").is_some());
    let listing = call(addr, "GET", "/v1/workspaces/proj/files/docs", Some(ACME), None)
        .await
        .json();
    assert_eq!(listing["entries"][0]["path"], "/docs/plan.md");
    let info = call(addr, "GET", "/v1/workspaces/proj", Some(ACME), None).await.json();
    assert_eq!((info["version"].as_u64(), info["files"].as_u64()), (Some(4), Some(2)));
    // Errors carry the code; another tenant may not use workspaces.
    let missing = call(addr, "GET", "/v1/workspaces/proj/files/nope", Some(ACME), None).await;
    assert_eq!(
        (missing.status, missing.json()["error"]["code"].as_str()),
        (404, Some("ENOENT"))
    );
    let busy = call(addr, "DELETE", "/v1/workspaces/proj/files/docs", Some(ACME), None).await;
    assert_eq!(
        (busy.status, busy.json()["error"]["code"].as_str()),
        (409, Some("ENOTEMPTY"))
    );
    let escape = call(addr, "GET", "/v1/workspaces/proj/files/..%2F..%2Fetc", Some(ACME), None).await;
    assert_eq!(
        (escape.status, escape.json()["error"]["code"].as_str()),
        (400, Some("EINVAL"))
    );
    let denied = call(addr, "GET", "/v1/workspaces/proj/files/docs/plan.md", Some(BETA), None).await;
    assert_eq!(denied.status, 403);
    let anonymous = call(addr, "GET", "/v1/workspaces/proj", None, None).await;
    assert_eq!(anonymous.status, 401);
    handle.shutdown().await.expect("shutdown");
    // A new server on the same file has everything.
    let (addr, handle) = start_with(serve_config(store)).await;
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": "env.kv.get('runs')", "capabilities": ["kv"] }),
    )
    .await;
    assert_eq!(reply.json()["value"], "1");
    // Export the workspace as a .tar.gz and import it into another.
    let export = call(addr, "GET", "/v1/workspaces/proj/export", Some(ACME), None).await;
    assert_eq!(
        (export.status, export.header("content-type")),
        (200, Some("application/gzip"))
    );
    let import = call(
        addr,
        "POST",
        "/v1/workspaces/copy/import?dest=/restored",
        Some(ACME),
        Some(export.body.to_vec()),
    )
    .await;
    assert_eq!(import.status, 200, "{}", import.text());
    assert_eq!(import.json()["files"], 1);
    let copied = call(
        addr,
        "GET",
        "/v1/workspaces/copy/files/restored/docs/plan.md",
        Some(ACME),
        None,
    )
    .await;
    assert_eq!(copied.text(), "step 1\nstep 2\n");
    // An archive with an entry that escapes is refused whole.
    let mut evil = tar_with_entry("fine.txt");
    evil.extend(tar_with_entry("../escape.txt"));
    let refused = call(addr, "POST", "/v1/workspaces/copy/import", Some(ACME), Some(evil)).await;
    assert_eq!(
        (refused.status, refused.json()["error"]["code"].as_str()),
        (400, Some("EINVAL")),
        "{}",
        refused.text()
    );
    let fine = call(addr, "GET", "/v1/workspaces/copy/files/fine.txt", Some(ACME), None).await;
    assert_eq!(fine.status, 404);
    let removed = call(
        addr,
        "DELETE",
        "/v1/workspaces/proj/files/docs?recursive=true",
        Some(ACME),
        None,
    )
    .await;
    assert_eq!(removed.json()["removed"], 2);
    handle.shutdown().await.expect("shutdown");
}

/// A ustar header and one 512-byte block of content, for an entry named
/// `name` (the name is written as given, `..` and all).
fn tar_with_entry(name: &str) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(b"00000000005\0");
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    let mut block = [0u8; 512];
    block[..5].copy_from_slice(b"evil\n");
    out.extend_from_slice(&block);
    out
}

/// Search, edits, JSON, archives and batches, as an agent calls them.
#[tokio::test]
async fn workspace_search_edit_json_archives_and_batches_from_javascript() {
    let store = Store::open("memory").await.unwrap();
    let workspace = workspace_capability(store.clone(), Default::default(), Tenancy::Shared);
    let code = "const ws = env.workspace;
        await ws.batch({ ops: [
          { op: 'mkdir', path: '/src', recursive: true },
          { op: 'writeFile', path: '/src/a.js', content: 'const userName = 1;\\nlet x = userName;\\n' },
          { op: 'writeFile', path: '/src/b.txt', content: 'userName here\\n' },
          { op: 'writeJson', path: '/package.json', value: { name: 'demo', deps: { zod: '^4' } } },
        ] });
        const grep = await ws.grep({ pattern: 'user(\\\\w+)', include: ['*.js'] });
        const glob = await ws.glob({ patterns: ['**/*.js', '*.json'] });
        const dry = await ws.replaceInFiles({ pattern: 'user(Name)', replacement: 'account$1', dryRun: true });
        const unchanged = await ws.readFile({ path: '/src/a.js' });
        const replaced = await ws.replaceInFiles({ pattern: 'user(Name)', replacement: 'account$1' });
        const edit = await ws.edit({ path: '/src/a.js', edits: [{ oldText: 'let x', newText: 'const x' }] });
        let twice; try { await ws.edit({ path: '/src/a.js', edits: [{ oldText: 'accountName', newText: 'n' }] }); } catch (e) { twice = e.message.split(':')[0]; }
        const pointer = await ws.queryJson({ path: '/package.json', query: '/deps/zod' });
        const jsonPath = await ws.queryJson({ path: '/package.json', query: '$.deps.*' });
        const updated = await ws.updateJson({ path: '/package.json', ops: [{ op: 'add', path: '/version', value: '1.0.0' }] });
        const tar = await ws.archiveCreate({ paths: ['/src'], gzip: true, output: '/src.tar.gz' });
        await ws.archiveExtract({ path: '/src.tar.gz', dest: '/restored' });
        const version = (await ws.info()).version;
        let stale; try { await ws.batch({ ops: [{ op: 'rm', path: '/src', recursive: true }], ifVersion: version - 1 }); } catch (e) { stale = e.message.split(':')[0]; }
        let failed; try { await ws.batch({ ops: [{ op: 'rm', path: '/src', recursive: true }, { op: 'mv', from: '/nope', to: '/x' }] }); } catch (e) { failed = e.message; }
        ({
          grep: grep.matches.map((m) => [m.path, m.line, m.text]),
          glob: glob.paths,
          dry: [dry.total, dry.dryRun, dry.patch.includes('+const accountName = 1;'), unchanged.includes('userName')],
          replaced: [replaced.total, replaced.files.map((f) => f.path)],
          edit: edit.patch.includes('+const x = accountName;'),
          twice, pointer, jsonPath: jsonPath.map((n) => n.value), version: updated.version,
          tar: tar.size > 0,
          restored: await ws.readFile({ path: '/restored/src/b.txt' }),
          stale, failed: failed.startsWith('ENOENT') && failed.includes('op 1'),
          stillThere: await ws.exists({ path: '/src/a.js' }),
          diff: await ws.diffContent({ a: 'a\\nb\\n', b: 'a\\nc\\n' }),
        })";
    let value = ok(engine().run(RunRequest::new(code).grant("workspace", workspace)).await);
    assert_eq!(
        value["grep"],
        json!([
            ["/src/a.js", 1, "const userName = 1;"],
            ["/src/a.js", 2, "let x = userName;"]
        ])
    );
    assert_eq!(value["glob"], json!(["/package.json", "/src/a.js"]));
    assert_eq!(value["dry"], json!([3, true, true, true]));
    assert_eq!(value["replaced"], json!([3, ["/src/a.js", "/src/b.txt"]]));
    assert_eq!(value["edit"], true);
    assert_eq!(value["twice"], "EINVAL");
    assert_eq!(value["pointer"], "^4");
    assert_eq!(value["jsonPath"], json!(["^4"]));
    assert_eq!(value["version"], "1.0.0");
    assert_eq!(value["tar"], true);
    assert_eq!(value["restored"], "accountName here\n");
    assert_eq!(value["stale"], "ESTALE");
    assert_eq!(value["failed"], true, "{value}");
    assert_eq!(value["stillThere"], true);
    assert!(value["diff"].as_str().unwrap().contains("-b\n+c"), "{value}");
}

/// `node:fs/promises` over the granted workspace, with Node's error shape.
#[tokio::test]
async fn node_fs_promises_reads_and_writes_the_workspace() {
    let store = Store::open("memory").await.unwrap();
    let workspace = workspace_capability(store.clone(), Default::default(), Tenancy::Shared);
    let code = "import fs from 'node:fs/promises';
        import { readFile, writeFile } from 'fs/promises';
        import { promises } from 'node:fs';
        await fs.mkdir('/data/deep', { recursive: true });
        await writeFile('data/a.txt', 'hello');
        await fs.appendFile('/data/a.txt', ' world');
        await promises.writeFile('/data/bytes.bin', new Uint8Array([0, 1, 254, 255]));
        const bytes = await fs.readFile('/data/bytes.bin');
        const stat = await fs.stat('/data/a.txt');
        const dirents = await fs.readdir('/data', { withFileTypes: true });
        let missing; try { await fs.readFile('/nope.txt', 'utf8'); } catch (e) { missing = [e.code, e.errno, e.syscall, e.path]; }
        let notEmpty; try { await fs.rmdir('/data'); } catch (e) { notEmpty = e.code; }
        await fs.rename('/data/a.txt', '/data/deep/b.txt');
        await fs.copyFile('/data/deep/b.txt', '/c.txt');
        await fs.unlink('/c.txt');
        export default {
          text: await readFile('/data/deep/b.txt', 'utf8'),
          bytes: [...bytes], isBytes: bytes instanceof Uint8Array,
          stat: [stat.size, stat.isFile(), stat.isDirectory(), stat.mtime instanceof Date],
          dirents: dirents.map((d) => [d.name, d.isDirectory()]),
          names: await fs.readdir('/data'),
          missing, notEmpty,
          gone: await fs.access('/c.txt').then(() => 'there', (e) => e.code),
        };";
    let request = RunRequest::new(code)
        .with_form(isobox::CodeForm::Module)
        .grant("workspace", workspace);
    let value = ok(engine().run(request).await);
    assert_eq!(value["text"], "hello world");
    assert_eq!(value["bytes"], json!([0, 1, 254, 255]));
    assert_eq!(value["isBytes"], true);
    assert_eq!(value["stat"], json!([11, true, false, true]));
    assert_eq!(
        value["dirents"],
        json!([["a.txt", false], ["bytes.bin", false], ["deep", true]])
    );
    assert_eq!(value["names"], json!(["bytes.bin", "deep"]));
    assert_eq!(value["missing"], json!(["ENOENT", -2, "open", "/nope.txt"]));
    assert_eq!(value["notEmpty"], "ENOTEMPTY");
    assert_eq!(value["gone"], "ENOENT");
    // Without a workspace the module still imports; its calls reject.
    let outcome = engine()
        .run(RunRequest::new("import { readFile } from 'node:fs/promises'; export default await readFile('/a').catch((e) => e.code);").with_form(isobox::CodeForm::Module))
        .await;
    assert_eq!(ok(outcome), json!("ENOSYS"));
}

/// Relative imports of workspace files, TypeScript included, through the CLI.
#[test]
fn code_imports_modules_from_its_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db");
    let store = store.to_str().unwrap();
    let setup = dir.path().join("setup.js");
    std::fs::write(
        &setup,
        "await env.workspace.writeFile({ path: '/lib/util.ts', parents: true,
           content: 'import { twice } from \"./math.js\";\\nexport const greet = (name: string): string => `hi ${name} ${twice(2)}`;\\n' });
         await env.workspace.writeFile({ path: '/lib/math.js', content: 'export const twice = (n) => n * 2;\\n' });
         'ready'",
    )
    .unwrap();
    let out = stdout_of(isobox().args(["run", setup.to_str().unwrap(), "--store", store, "--grant", "workspace"]));
    assert!(out.contains("ready"), "{out}");
    let main = dir.path().join("main.ts");
    std::fs::write(
        &main,
        "import { greet } from './lib/util.ts';\nexport default greet('agent');\n",
    )
    .unwrap();
    let out = stdout_of(isobox().args(["run", main.to_str().unwrap(), "--store", store, "--grant", "workspace"]));
    assert_eq!(out.trim(), "\"hi agent 4\"");
}

/// A host directory as the workspace: the code works on real files, and
/// nothing leaves the directory.
#[test]
fn a_host_directory_as_the_workspace_is_confined() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside").unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("src")).unwrap();
    std::fs::write(repo.path().join("src/lib.ts"), "export const answer: number = 41;\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), repo.path().join("secret-link")).unwrap();
    std::fs::hard_link(outside.path().join("secret.txt"), repo.path().join("hard.txt")).unwrap();
    let script = tempfile::tempdir().unwrap();
    let main = script.path().join("main.ts");
    std::fs::write(
        &main,
        "import { answer } from './src/lib.ts';
         import { readFile, writeFile, readdir } from 'node:fs/promises';
         const tries = [];
         for (const f of [() => readFile('/escape/secret.txt', 'utf8'), () => readFile('/secret-link', 'utf8'),
                          () => writeFile('/escape/planted.txt', 'x'), () => readFile('/hard.txt', 'utf8'),
                          () => readFile('/../secret.txt', 'utf8')]) {
           tries.push(await f().then(() => 'allowed', (e) => e.code));
         }
         await env.workspace.edit({ path: '/src/lib.ts', edits: [{ oldText: '41', newText: String(answer + 1) }] });
         const grep = await env.workspace.grep({ pattern: 'outside|answer' });
         export default { tries, files: (await readdir('/')).sort(), grep: grep.matches.map((m) => m.path) };",
    )
    .unwrap();
    let dir = repo.path().to_str().unwrap();
    let out = stdout_of(isobox().args([
        "run",
        main.to_str().unwrap(),
        "--grant",
        "workspace",
        "--workspace-dir",
        dir,
    ]));
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        value["tries"],
        json!(["EACCES", "EACCES", "EACCES", "EACCES", "EINVAL"]),
        "{value}"
    );
    assert_eq!(value["grep"], json!(["/src/lib.ts"]), "{value}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/lib.ts")).unwrap(),
        "export const answer: number = 42;\n"
    );
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        1,
        "nothing was planted outside"
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
        "outside"
    );
    // Read-only: reads work, writes are refused.
    let write = script.path().join("write.js");
    std::fs::write(&write, "import { writeFile } from 'node:fs/promises'; export default await writeFile('/new.txt', 'x').then(() => 'written', (e) => e.code);").unwrap();
    let out = stdout_of(isobox().args([
        "run",
        write.to_str().unwrap(),
        "--grant",
        "workspace",
        "--workspace-dir",
        dir,
        "--workspace-read-only",
    ]));
    assert_eq!(out.trim(), "\"EACCES\"");
    assert!(!repo.path().join("new.txt").exists());
}
