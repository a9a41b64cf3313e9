//! Beyond one machine: three `isobox serve` processes sharing one real
//! PostgreSQL (the tests' private cluster), behind a real HAProxy on
//! loopback that routes by `/readyz`. A write through one replica is read
//! through the others; compare-and-swap increments through all three sum
//! exactly; a replica stopped with SIGTERM under load drains (not ready,
//! still serving, then done) and no request is lost.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{call, listening_address, run};

const KEY: &str = "replica-key";

/// The PostgreSQL URL of the tests' cluster (started here when `make test`
/// has not started it).
fn pg_url() -> String {
    let url = match std::env::var("ISOBOX_TEST_PG_URL") {
        Ok(url) => url,
        Err(_) => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg/cluster.sh");
            let output = Command::new("bash")
                .arg(script)
                .arg("start")
                .output()
                .expect("bash runs");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("ISOBOX_TEST_PG_URL=").map(str::to_owned))
                .expect("the cluster's URL")
        }
    };
    format!("{url}?sslmode=disable")
}

/// PostgreSQL's client: the server's own, else the one on PATH.
fn psql() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin/psql"))
        .filter(|path| path.exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from("psql"))
}

fn haproxy() -> PathBuf {
    for candidate in ["/usr/sbin/haproxy", "/usr/bin/haproxy"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("haproxy is missing: bash scripts/lb/install.sh (make test runs it)");
}

struct Replica {
    child: Option<Child>,
    addr: SocketAddr,
}

impl Replica {
    fn start(config: &Path) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_isobox"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .env("REPLICA_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting isobox serve");
        let addr = listening_address(&mut child);
        Replica {
            child: Some(child),
            addr,
        }
    }

    fn terminate(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        self.child.take().expect("running").wait().expect("waiting")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Balancer(Child);

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn balancer(dir: &Path, replicas: &[&Replica]) -> (Balancer, SocketAddr) {
    let port = free_port();
    let mut config = format!(
        "global\n  maxconn 512\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\
         \x20 retries 3\n  option redispatch\n  retry-on conn-failure empty-response response-timeout\n\
         frontend front\n  bind 127.0.0.1:{port}\n  default_backend isobox\n\
         backend isobox\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n"
    );
    for (i, replica) in replicas.iter().enumerate() {
        config.push_str(&format!(
            "  server r{i} {} check inter 100ms fall 1 rise 2\n",
            replica.addr
        ));
    }
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, config).unwrap();
    let child = Command::new(haproxy())
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting haproxy");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "haproxy never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Balancer(child), addr)
}

async fn value(addr: SocketAddr, code: &str) -> Value {
    let reply = run(addr, Some(KEY), json!({ "code": code, "capabilities": ["kv"] })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["value"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_behind_a_load_balancer_share_postgresql_and_drain_without_losing_requests() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = format!("rep{}", std::process::id());
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndrain_delay_ms = 1500\nshutdown_grace_ms = 10000\n\
             [store]\nlocation = \"{}\"\n\
             [runs]\nhistory = true\n\
             [tenants.{tenant}]\nkey_env = [\"REPLICA_KEY\"]\ncapabilities = [\"kv\"]\n",
            pg_url()
        ),
    )
    .unwrap();
    let mut replicas: Vec<Replica> = (0..3).map(|_| Replica::start(&config)).collect();
    for replica in &replicas {
        let ready = call(replica.addr, "GET", "/readyz", None, None).await;
        assert_eq!((ready.status, ready.json()["status"].clone()), (200, json!("ready")));
        assert_eq!(call(replica.addr, "GET", "/livez", None, None).await.status, 200);
    }
    let (_haproxy, front) = balancer(dir.path(), &replicas.iter().collect::<Vec<_>>());

    // A write through one replica is read through the others.
    value(replicas[0].addr, "await env.kv.put('greeting', 'hello from r0'); 1").await;
    for replica in &replicas[1..] {
        assert_eq!(
            value(replica.addr, "await env.kv.get('greeting')").await,
            "hello from r0"
        );
    }
    // A run kept by one replica is listed by another.
    let listed = call(replicas[2].addr, "GET", "/v1/runs?limit=5", Some(KEY), None)
        .await
        .json();
    assert!(listed["runs"].as_array().is_some_and(|r| r.len() >= 3), "{listed}");

    // Compare-and-swap increments through all three sum exactly.
    let increment = "let conflicts = 0;
        for (let i = 0; i < 5; i++) {
          for (;;) {
            const seen = await env.kv.getWithVersion('n');
            const next = String(seen === null ? 1 : Number(seen.value) + 1);
            const options = seen === null ? { ifAbsent: true } : { ifVersion: seen.version };
            if ((await env.kv.put('n', next, options)).ok) break;
            conflicts++;
          }
        }
        conflicts";
    let mut tasks = Vec::new();
    for i in 0..12 {
        let target = if i % 4 == 3 { front } else { replicas[i % 3].addr };
        tasks.push(tokio::spawn(async move { value(target, increment).await }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(value(front, "await env.kv.get('n')").await, "60");

    // SIGTERM one replica under load through the balancer: it turns
    // unready, keeps serving through its drain delay, then stops; every
    // request gets its answer.
    let load = tokio::spawn(async move {
        let mut statuses = Vec::new();
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                for _ in 0..40 {
                    let reply = run(
                        front,
                        Some(KEY),
                        json!({ "code": "await new Promise((r) => setTimeout(r, 20)); 42" }),
                    )
                    .await;
                    seen.push(reply.status);
                }
                seen
            }));
        }
        for client in clients {
            statuses.extend(client.await.unwrap());
        }
        statuses
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    replicas[0].terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let draining = call(replicas[0].addr, "GET", "/readyz", None, None).await;
    assert_eq!(
        (draining.status, draining.json()["status"].clone()),
        (503, json!("draining"))
    );
    let still = run(replicas[0].addr, Some(KEY), json!({ "code": "6 * 7" })).await;
    assert_eq!(still.status, 200, "a draining replica still serves");
    let statuses = load.await.unwrap();
    assert_eq!(statuses.len(), 160);
    assert!(statuses.iter().all(|s| *s == 200), "lost requests: {statuses:?}");
    let status = replicas[0].wait();
    assert!(status.success(), "{status:?}");
    // The other two go on.
    assert_eq!(value(front, "await env.kv.get('greeting')").await, "hello from r0");
    for replica in &mut replicas[1..] {
        replica.terminate();
        assert!(replica.wait().success());
    }
}

/// A replica killed (SIGKILL) while a run's workspace batch of 1,000 writes
/// is in flight leaves the batch all or nothing: another replica on the
/// same PostgreSQL sees every file of it or none, at several kill times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_batch_leaves_the_batch_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = format!("kill{}", std::process::id());
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nlocation = \"{}\"\n\
             [tenants.{tenant}]\nkey_env = [\"REPLICA_KEY\"]\ncapabilities = [\"workspace\"]\n",
            pg_url()
        ),
    )
    .unwrap();
    let code = "const ops = [];
        for (let i = 0; i < 1000; i++) ops.push({ op: 'writeFile', path: `/out/f${i}.txt`, content: 'x'.repeat(2048), parents: true });
        await env.workspace.batch({ ops }); 'written'";
    let mut outcomes = Vec::new();
    for (attempt, delay_ms) in [20u64, 150, 600, 1500].into_iter().enumerate() {
        let workspace = format!("batch{attempt}");
        let mut victim = Replica::start(&config);
        let addr = victim.addr;
        let body = json!({ "code": code, "capabilities": ["workspace"], "workspace": workspace });
        let request = tokio::spawn(async move {
            // The connection dies with the replica: no answer is fine.
            let _ = tokio::time::timeout(Duration::from_secs(30), async move {
                let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .ok()?;
                tokio::spawn(connection);
                let request = hyper::Request::builder()
                    .method("POST")
                    .uri("/v1/run")
                    .header("host", addr.to_string())
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {KEY}"))
                    .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
                    .ok()?;
                sender.send_request(request).await.ok().map(|r| r.status().as_u16())
            })
            .await;
        });
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        if let Some(mut child) = victim.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = request.await;
        let witness = Replica::start(&config);
        let info = call(
            witness.addr,
            "GET",
            &format!("/v1/workspaces/{workspace}"),
            Some(KEY),
            None,
        )
        .await;
        let files = if info.status == 404 {
            0
        } else {
            info.json()["files"].as_u64().unwrap_or(u64::MAX)
        };
        // The directory /out counts as an entry when the batch landed.
        assert!(
            files == 0 || files >= 1000,
            "attempt {attempt}: {files} files: {}",
            info.text()
        );
        outcomes.push(files);
    }
    // The same batch, not killed, is seen whole by the same check: it can
    // tell a landed batch from none.
    let replica = Replica::start(&config);
    let done = run(
        replica.addr,
        Some(KEY),
        json!({ "code": code, "capabilities": ["workspace"], "workspace": "batch-whole" }),
    )
    .await;
    assert_eq!(done.json()["value"], "written", "{}", done.text());
    let witness = Replica::start(&config);
    let info = call(witness.addr, "GET", "/v1/workspaces/batch-whole", Some(KEY), None).await;
    assert!(
        info.json()["files"].as_u64().is_some_and(|f| f >= 1000),
        "{} ({outcomes:?})",
        info.text()
    );
}

/// A worker uploaded through one replica is served by the others, and a
/// new version written through any replica is what every replica serves
/// once the store's notification reaches it (each replica keeps the newest
/// version it read until it hears of a change): at once on the replica
/// that wrote it, and on the others as soon as the notification arrives
/// (waited for here, with a deadline far above its sub-millisecond delay).
/// A replica whose listening connection is cut reads the newest version
/// from the store again until it listens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_uploaded_through_one_replica_is_served_by_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = format!("reg{}", std::process::id());
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nlocation = \"{}\"\n\
             [tenants.{tenant}]\nkey_env = [\"REPLICA_KEY\"]\ncapabilities = [\"kv\"]\nupload_workers = true\n",
            pg_url()
        ),
    )
    .unwrap();
    let replicas: Vec<Replica> = (0..3).map(|_| Replica::start(&config)).collect();
    let (_haproxy, front) = balancer(dir.path(), &replicas.iter().collect::<Vec<_>>());
    let worker = |version: u32| {
        json!({
            "code": format!(
                "export default {{ async fetch(request, env) {{
                   await env.kv.put('seen-v{version}', '1');
                   return new Response('version {version} at ' + new URL(request.url).pathname);
                 }} }};"
            ),
            "capabilities": ["kv"],
            "assets": { "about.txt": format!("about v{version}") },
        })
        .to_string()
        .into_bytes()
    };
    let upload = |addr: SocketAddr, version: u32| {
        let body = worker(version);
        async move {
            let reply = call(addr, "PUT", "/v1/workers/app", Some(KEY), Some(body)).await;
            assert!(matches!(reply.status, 200 | 201), "{}", reply.text());
            reply.json()["version"].as_i64().unwrap()
        }
    };
    let served = |addr: SocketAddr| async move {
        let reply = call(addr, "GET", "/v1/workers/app/p", Some(KEY), None).await;
        (
            reply.status,
            reply.text(),
            reply.header("x-isobox-worker-version").map(str::to_owned),
        )
    };
    // What `addr` serves once it has heard of the change.
    let eventually = |addr: SocketAddr, version: u32| async move {
        let want = (200, format!("version {version} at /p"), Some(version.to_string()));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = served(addr).await;
            if got == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{addr} still serves {got:?}, not version {version}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let about = call(addr, "GET", "/v1/workers/app/about.txt", Some(KEY), None).await;
        assert_eq!(about.text(), format!("about v{version}"));
    };

    assert_eq!(upload(replicas[0].addr, 1).await, 1);
    assert_eq!(
        served(replicas[0].addr).await.2.as_deref(),
        Some("1"),
        "the writer at once"
    );
    for replica in &replicas {
        eventually(replica.addr, 1).await;
    }
    // Version 2 through another replica; every replica has version 1 kept.
    assert_eq!(upload(replicas[2].addr, 2).await, 2);
    assert_eq!(
        served(replicas[2].addr).await.2.as_deref(),
        Some("2"),
        "the writer at once"
    );
    for replica in &replicas {
        eventually(replica.addr, 2).await;
    }
    // Through the balancer, and the runs' kv writes landed in the one store.
    assert_eq!(served(front).await.1, "version 2 at /p");
    assert_eq!(value(replicas[1].addr, "await env.kv.get('seen-v1')").await, "1");
    let listed = call(replicas[1].addr, "GET", "/v1/workers", Some(KEY), None)
        .await
        .json();
    assert_eq!(listed["workers"][0]["version"], 2, "{listed}");

    // Cut every replica's listening connection: version 3 still reaches
    // them all (they read the store until they listen again).
    let url = pg_url();
    let cut = Command::new(psql())
        .arg(&url)
        .args([
            "-XAtc",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'LISTEN isobox_worker'",
        ])
        .output()
        .expect("psql runs");
    assert!(cut.status.success(), "{}", String::from_utf8_lossy(&cut.stderr));
    // One per replica (and those of other tests' servers on the cluster,
    // which simply listen again).
    let listeners: u32 = String::from_utf8_lossy(&cut.stdout).trim().parse().expect("a count");
    assert!(listeners >= 3, "one listener per replica: {listeners}");
    assert_eq!(upload(replicas[1].addr, 3).await, 3);
    for replica in &replicas {
        eventually(replica.addr, 3).await;
    }

    // Deleted through one replica: gone there at once, and then everywhere.
    let deleted = call(replicas[1].addr, "DELETE", "/v1/workers/app", Some(KEY), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(served(replicas[1].addr).await.0, 404);
    for replica in &replicas {
        let deadline = Instant::now() + Duration::from_secs(20);
        while served(replica.addr).await.0 != 404 {
            assert!(
                Instant::now() < deadline,
                "{} still serves the deleted worker",
                replica.addr
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
