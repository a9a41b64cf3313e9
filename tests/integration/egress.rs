//! fetch() through the egress filter, against real servers on 127.0.0.1
//! (plain HTTP, and TLS with a certificate made for the test).

use std::time::Duration;

use isobox::egress::{AuditDecision, Egress, EgressPolicy, EgressPolicyBuilder, FilterVerdict, Rule};
use isobox::{Limits, Outcome, RunRequest};
use serde_json::{Value, json};

use crate::common::engine;
use crate::upstream::{Upstream, tls_for};

fn policy(toml: &str) -> EgressPolicy {
    EgressPolicy::from_toml_str(toml).unwrap_or_else(|e| panic!("test policy: {e}"))
}

/// A policy that lets the code reach the loopback server on `port`.
fn loopback(port: u16) -> EgressPolicy {
    policy(&format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"))
}

async fn run_with(code: &str, egress: impl Into<Egress>) -> Outcome {
    engine().run(RunRequest::new(code).with_egress(egress)).await
}

fn value(outcome: &Outcome) -> &Value {
    match &outcome.result {
        Ok(value) => value,
        Err(error) => panic!("the run failed: {error:?}\nlogs: {:?}", outcome.logs),
    }
}

/// The text of the error a script caught from fetch: `[name, message]`.
const CATCH: &str = "async (url, init) => { try { await fetch(url, init); return 'no error'; } \
                     catch (e) { return [e.name, e.message]; } }";

async fn fetch_error(url: &str, egress: impl Into<Egress>) -> (String, String) {
    let code = format!("({CATCH})({})", serde_json::to_string(url).unwrap());
    let outcome = run_with(&code, egress).await;
    let v = value(&outcome);
    assert!(v.is_array(), "expected fetch to fail for {url}, got {v}");
    (v[0].as_str().unwrap().to_owned(), v[1].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_allowed_request_reaches_the_server_and_is_audited() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const r = await fetch('http://127.0.0.1:{port}/echo?a=1', {{ headers: {{ 'x-one': '1' }} }});
         const body = await r.json();
         ({{ status: r.status, ok: r.ok, type: r.headers.get('content-type'), url: r.url, body }})"
    );
    let outcome = run_with(&code, loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v["status"], 200);
    assert_eq!(v["ok"], true);
    assert_eq!(v["type"], "application/json");
    assert_eq!(v["url"], format!("http://127.0.0.1:{port}/echo?a=1"));
    assert_eq!(v["body"]["method"], "GET");
    assert_eq!(v["body"]["path"], "/echo?a=1");
    assert_eq!(v["body"]["headers"]["x-one"], "1");
    assert_eq!(v["body"]["headers"]["host"], format!("127.0.0.1:{port}"));
    assert!(
        v["body"]["headers"].get("isobox-redirect").is_none(),
        "internal headers never leave"
    );
    assert_eq!(outcome.egress.len(), 1);
    let record = &outcome.egress[0];
    assert_eq!(record.decision, AuditDecision::Allowed);
    assert_eq!(record.method, "GET");
    assert_eq!(record.status, Some(200));
    assert!(record.response_bytes > 20, "{record:?}");
}

#[tokio::test]
async fn without_a_policy_every_request_is_refused_and_says_why() {
    let server = Upstream::http();
    let code = format!("({CATCH})('http://127.0.0.1:{}/echo')", server.port());
    let outcome = engine().run(RunRequest::new(code)).await;
    let v = value(&outcome);
    assert_eq!(v[0], "TypeError");
    let message = v[1].as_str().unwrap();
    assert!(message.contains("blocked by the egress policy"), "{message}");
    assert!(message.contains("no network access"), "{message}");
    assert_eq!(outcome.egress[0].decision, AuditDecision::Denied);
}

#[tokio::test]
async fn a_host_or_port_not_in_the_policy_is_refused() {
    let server = Upstream::http();
    let port = server.port();
    let other = policy(&format!(
        "[[allow]]\nhost = \"127.0.0.1\"\nports = [{}]\n",
        port.wrapping_add(1)
    ));
    let (name, message) = fetch_error(&format!("http://127.0.0.1:{port}/"), other).await;
    assert_eq!(name, "TypeError");
    assert!(
        message.contains(&format!("no rule allows GET http://127.0.0.1:{port}/")),
        "{message}"
    );
}

#[tokio::test]
async fn a_deny_rule_wins_over_an_allow_rule() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[[allow]]\nhost = \"127.0.0.1\"\n\n[[deny]]\nname = \"no admin\"\nhost = \"127.0.0.1\"\nports = [{port}]\npath_prefix = \"/admin\"\n"
    ));
    let code = format!(
        "const ok = (await fetch('http://127.0.0.1:{port}/echo')).status;
         let denied = null;
         try {{ await fetch('http://127.0.0.1:{port}/admin/users'); }} catch (e) {{ denied = e.message; }}
         ({{ ok, denied }})"
    );
    let outcome = run_with(&code, rules).await;
    let v = value(&outcome);
    assert_eq!(v["ok"], 200);
    assert!(v["denied"].as_str().unwrap().contains("no admin"), "{v}");
    assert_eq!(outcome.egress[1].decision, AuditDecision::Denied);
}

#[tokio::test]
async fn methods_and_bodies_round_trip() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const base = 'http://127.0.0.1:{port}/echo';
         const post = await (await fetch(base, {{ method: 'POST', body: JSON.stringify({{ a: 1 }}),
           headers: {{ 'content-type': 'application/json' }} }})).json();
         const put = await (await fetch(new Request(base, {{ method: 'put', body: new Uint8Array([104, 105]) }}))).json();
         const form = await (await fetch(base, {{ method: 'POST', body: new URLSearchParams({{ q: 'a b' }}) }})).json();
         const head = await fetch(base, {{ method: 'HEAD' }});
         const bytes = await (await fetch('http://127.0.0.1:{port}/bytes?n=70000')).bytes();
         ({{ post, put, form, head: head.status, headBody: await head.text(), size: bytes.length, kind: bytes.constructor.name }})"
    );
    let outcome = run_with(&code, loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v["post"]["method"], "POST");
    assert_eq!(v["post"]["body"], r#"{"a":1}"#);
    assert_eq!(v["post"]["headers"]["content-type"], "application/json");
    assert_eq!(v["put"]["method"], "PUT");
    assert_eq!(v["put"]["body"], "hi");
    assert_eq!(v["form"]["body"], "q=a+b");
    assert_eq!(
        v["form"]["headers"]["content-type"],
        "application/x-www-form-urlencoded;charset=UTF-8"
    );
    assert_eq!(v["head"], 200);
    assert_eq!(v["headBody"], "");
    assert_eq!(v["size"], 70000);
    assert_eq!(v["kind"], "Uint8Array");
    assert_eq!(outcome.egress[0].request_bytes, 7);
}

#[tokio::test]
async fn several_requests_are_in_flight_at_once() {
    let server = Upstream::http();
    let port = server.port();
    // Ten requests that each take 300 ms, six at a time: about 600 ms if
    // they overlap, 3 s if they ran one by one.
    let code = format!(
        "const t = Date.now();
         const all = await Promise.all(Array.from({{ length: 10 }}, (_, i) =>
           fetch('http://127.0.0.1:{port}/slow?ms=300&i=' + i).then((r) => r.text())));
         ({{ all, ms: Date.now() - t }})"
    );
    let outcome = run_with(&code, loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v["all"].as_array().unwrap().len(), 10);
    assert!(v["all"].as_array().unwrap().iter().all(|t| t == "slow"));
    assert!(v["ms"].as_u64().unwrap() < 2500, "the requests did not overlap: {v}");
    assert_eq!(outcome.egress.len(), 10);
}

#[tokio::test]
async fn redirects_are_followed_and_each_hop_is_decided_again() {
    let server = Upstream::http();
    let port = server.port();
    let blocked = Upstream::http();
    let code = format!(
        "const r = await fetch('http://127.0.0.1:{port}/redirect?to=/echo%3Fhop%3D2');
         const body = await r.json();
         let blocked = null;
         try {{ await fetch('http://127.0.0.1:{port}/redirect?to=http://127.0.0.1:{other}/echo'); }}
         catch (e) {{ blocked = e.message; }}
         const manual = await fetch('http://127.0.0.1:{port}/redirect?to=/echo', {{ redirect: 'manual' }});
         let refused = null;
         try {{ await fetch('http://127.0.0.1:{port}/redirect?to=/echo', {{ redirect: 'error' }}); }}
         catch (e) {{ refused = e.message; }}
         ({{ url: r.url, redirected: r.redirected, path: body.path, blocked, manual: manual.status,
            location: manual.headers.get('location'), refused }})",
        other = blocked.port()
    );
    let outcome = run_with(&code, loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v["url"], format!("http://127.0.0.1:{port}/echo?hop=2"));
    assert_eq!(v["redirected"], true);
    assert_eq!(v["path"], "/echo?hop=2");
    assert!(v["blocked"].as_str().unwrap().contains("no rule allows"), "{v}");
    assert_eq!(v["manual"], 302);
    assert_eq!(v["location"], "/echo");
    assert!(v["refused"].as_str().unwrap().contains("redirect"), "{v}");
    let denied_hop = outcome
        .egress
        .iter()
        .find(|r| r.decision == AuditDecision::Denied)
        .expect("the blocked hop is audited");
    assert!(denied_hop.redirect);
    assert_eq!(denied_hop.url, format!("http://127.0.0.1:{}/echo", blocked.port()));
}

#[tokio::test]
async fn too_many_redirects_stop_at_the_policy_limit() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[limits]\nmax_redirects = 2\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    // A redirect to itself, forever.
    let url = format!("http://127.0.0.1:{port}/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/redirect");
    let (_, message) = fetch_error(&url, rules).await;
    assert!(message.contains("more than 2 redirects"), "{message}");
}

#[tokio::test]
async fn the_request_count_cap_refuses_the_request_past_it() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[limits]\nmax_requests = 2\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let code = format!(
        "const out = [];
         for (let i = 0; i < 3; i++) {{
           try {{ out.push((await fetch('http://127.0.0.1:{port}/')).status); }} catch (e) {{ out.push(e.message); }}
         }}
         out"
    );
    let outcome = run_with(&code, rules).await;
    let v = value(&outcome);
    assert_eq!(v[0], 200);
    assert_eq!(v[1], 200);
    assert!(v[2].as_str().unwrap().contains("at most 2 requests"), "{v}");
}

#[tokio::test]
async fn body_caps_hold_both_ways() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[limits]\nmax_request_body_bytes = 1000\nmax_response_body_bytes = 5000\n\
         [[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         const small = (await (await fetch(base + '/bytes?n=5000')).text()).length;
         let big = null;
         try {{ await (await fetch(base + '/bytes?n=5001')).text(); }} catch (e) {{ big = e.message; }}
         let upload = null;
         try {{ await fetch(base + '/echo', {{ method: 'POST', body: 'x'.repeat(1001) }}); }} catch (e) {{ upload = e.message; }}
         ({{ small, big, upload }})"
    );
    let outcome = run_with(&code, rules).await;
    let v = value(&outcome);
    assert_eq!(v["small"], 5000);
    assert!(v["big"].as_str().unwrap().contains("response body is larger"), "{v}");
    assert!(v["upload"].as_str().unwrap().contains("request body is larger"), "{v}");
}

#[tokio::test]
async fn unread_bodies_do_not_keep_the_run_waiting_for_a_connection() {
    // Ten responses whose bodies trickle forever and are never read: with
    // six connections at most (the default), the seventh request used to
    // wait for the wall clock.
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const statuses = [];
         for (let i = 0; i < 10; i++) {{
           const r = await fetch('http://127.0.0.1:{port}/trickle?ms=20');
           statuses.push(r.status);
         }}
         statuses"
    );
    let outcome = run_with(&code, loopback(port)).await;
    assert_eq!(
        value(&outcome),
        &json!([200, 200, 200, 200, 200, 200, 200, 200, 200, 200])
    );
    let cancelled: Vec<usize> = (0..outcome.egress.len())
        .filter(|&i| {
            outcome.egress[i]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("cancelled unread"))
        })
        .collect();
    // The least recently used body goes first, one per request over the cap.
    assert_eq!(cancelled, vec![0, 1, 2, 3], "{:?}", outcome.egress);
}

#[tokio::test]
async fn reading_a_body_cancelled_unread_fails_with_the_reason() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[limits]\nmax_concurrent = 2\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         const first = await fetch(base + '/trickle?ms=20');
         const second = await fetch(base + '/trickle?ms=20');
         const third = await fetch(base + '/bytes?n=3');
         const text = await third.text();
         let read;
         try {{ await first.text(); read = ['read', text]; }} catch (e) {{ read = [e.name, e.message, text]; }}
         read"
    );
    let outcome = run_with(&code, rules).await;
    let v = value(&outcome);
    assert_eq!(v[0], "TypeError", "{v}");
    let message = v[1].as_str().unwrap();
    assert!(
        message.contains("cancelled unread") && message.contains("max_concurrent"),
        "{message}"
    );
    assert_eq!(v[2], "xxx");
}

#[tokio::test]
async fn bodies_being_read_keep_their_slots_and_the_cap_holds() {
    // Five requests at once with two connections: they queue; none is
    // cancelled, since every body is read; the server never answers more
    // than two at a time.
    let server = Upstream::http();
    let port = server.port();
    let key = format!("cap-{}", std::process::id());
    let rules = policy(&format!(
        "[limits]\nmax_concurrent = 2\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let code = format!(
        "const url = 'http://127.0.0.1:{port}/slow?ms=150&key={key}';
         await Promise.all([1, 2, 3, 4, 5].map(() => fetch(url).then((r) => r.text())))"
    );
    let outcome = run_with(&code, rules).await;
    assert_eq!(value(&outcome), &json!(["slow", "slow", "slow", "slow", "slow"]));
    assert!(outcome.egress.iter().all(|r| r.error.is_none()), "{:?}", outcome.egress);
    let peak = crate::upstream::peak_in_flight(&key);
    assert!((1..=2).contains(&peak), "peak {peak}");
}

/// Code that sends `n` headers of `bytes` bytes each to `url` and returns
/// `['status', status]` or the error's `[name, message]`.
fn many_headers(url: &str, n: usize, bytes: usize) -> String {
    format!(
        "const headers = {{}};
         for (let i = 0; i < {n}; i++) headers['x-h' + i] = 'v'.repeat({bytes});
         (async () => {{
           try {{ const r = await fetch('{url}', {{ headers }}); return ['status', r.status]; }}
           catch (e) {{ return [e.name, e.message]; }}
         }})()"
    )
}

#[tokio::test]
async fn headers_over_the_policy_cap_are_a_type_error_before_any_host_call() {
    // 200 headers of 1 KiB used to trap inside wasi:http (its field-size
    // limit): the run ended `internal` with a Wasm backtrace.
    let server = Upstream::http();
    let port = server.port();
    let url = format!("http://127.0.0.1:{port}/echo");
    let outcome = run_with(&many_headers(&url, 200, 1024), loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v[0], "TypeError", "{v}");
    let message = v[1].as_str().unwrap();
    assert!(message.contains("max_header_bytes (65536)"), "{message}");
    assert!(
        outcome.egress.is_empty(),
        "refused in the sandbox: {:?}",
        outcome.egress
    );
    // Too many fields, whatever their size.
    let rules = policy(&format!(
        "[limits]\nmax_header_bytes = 1048576\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let outcome = run_with(&many_headers(&url, 5000, 1), rules.clone()).await;
    let v = value(&outcome);
    assert_eq!(v[0], "TypeError", "{v}");
    assert!(v[1].as_str().unwrap().contains("4096"), "{v}");
    // Under a 1 MiB cap, 200 KiB of headers leave the sandbox (the
    // upstream may refuse them; nothing traps).
    let outcome = run_with(&many_headers(&url, 200, 1024), rules).await;
    let v = value(&outcome);
    assert!(v[0] == "status" || v[0] == "TypeError", "{v}");
    assert_eq!(outcome.egress.len(), 1, "{:?}", outcome.egress);
    let text = format!("{v} {:?}", outcome.egress);
    assert!(!text.to_lowercase().contains("wasm backtrace"), "{text}");
}

#[tokio::test]
async fn checking_header_values_costs_little_fuel_per_byte() {
    // The checks used to run a regular expression per value: about 930
    // fuel per byte. Measured as the difference between 64 KiB and 1 KiB
    // of header values, so the run's fixed cost drops out.
    let fuel = |bytes: usize| async move {
        let code = format!(
            "const value = 'v'.repeat({bytes}); const h = new Headers();
             for (let i = 0; i < 64; i++) h.append('x-h' + i, value);
             h.get('x-h63').length"
        );
        let outcome = engine().run(RunRequest::new(code)).await;
        assert_eq!(value(&outcome), &json!(bytes));
        outcome.stats.fuel_used.expect("fuel is metered")
    };
    let (small, large) = (fuel(16).await, fuel(1024).await);
    let per_byte = (large - small) / (64 * (1024 - 16)) as u64;
    assert!(per_byte < 60, "{per_byte} fuel per header byte");
}

#[tokio::test]
async fn a_slow_upstream_hits_the_request_timeout() {
    let server = Upstream::http();
    let port = server.port();
    let rules = policy(&format!(
        "[limits]\nrequest_timeout_ms = 300\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ));
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         let head = null;
         try {{ await fetch(base + '/slow?ms=5000'); }} catch (e) {{ head = e.message; }}
         let body = null;
         const r = await fetch(base + '/trickle?ms=50');
         try {{ await r.text(); }} catch (e) {{ body = e.message; }}
         ({{ head, body }})"
    );
    let started = std::time::Instant::now();
    let outcome = run_with(&code, rules).await;
    let v = value(&outcome);
    assert!(v["head"].as_str().unwrap().contains("timed out"), "{v}");
    assert!(v["body"].as_str().unwrap().contains("timed out"), "{v}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_wall_clock_limit_ends_a_run_waiting_on_the_network() {
    let server = Upstream::http();
    let port = server.port();
    let limits = Limits {
        wall_time: Duration::from_millis(400),
        ..Limits::default()
    };
    let code = format!("await fetch('http://127.0.0.1:{port}/slow?ms=10000')");
    let outcome = engine()
        .run(RunRequest::new(code).with_limits(limits).with_egress(loopback(port)))
        .await;
    assert_eq!(outcome.error_kind(), Some(isobox::ErrorKind::Timeout));
    assert!(outcome.stats.wall_time_us < 2_000_000, "{:?}", outcome.stats);
    // Waiting costs no CPU: a busy loop would burn far more fuel.
    assert!(outcome.stats.fuel_used.unwrap_or(0) < 50_000_000, "{:?}", outcome.stats);
}

#[tokio::test]
async fn an_abort_signal_cancels_a_request_in_flight() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "async () => {{
           const controller = new AbortController();
           setTimeout(() => controller.abort(), 100);
           const t = Date.now();
           try {{ await fetch('http://127.0.0.1:{port}/slow?ms=5000', {{ signal: controller.signal }}); return 'no'; }}
           catch (e) {{ return [e.name, Date.now() - t < 3000]; }}
         }}"
    );
    let outcome = run_with(&code, loopback(port)).await;
    let v = value(&outcome);
    assert_eq!(v, &json!(["AbortError", true]));
}

#[tokio::test]
async fn direct_responses_answer_without_network() {
    let rules = policy(
        "[[respond]]\nname = \"mock\"\nhost = \"api.mock.example\"\npath_prefix = \"/v1\"\nstatus = 201\n\
         headers = { \"content-type\" = \"application/json\" }\nbody = '{\"mocked\":true}'\n",
    );
    let code = "const r = await fetch('https://api.mock.example/v1/items');
                ({ status: r.status, body: await r.json(), type: r.headers.get('content-type') })";
    let outcome = run_with(code, rules).await;
    let v = value(&outcome);
    assert_eq!(v["status"], 201);
    assert_eq!(v["body"]["mocked"], true);
    assert_eq!(v["type"], "application/json");
    assert_eq!(outcome.egress[0].decision, AuditDecision::Responded);
}

#[tokio::test]
async fn a_filter_can_rewrite_block_and_answer() {
    let server = Upstream::http();
    let port = server.port();
    let egress = Egress::new(loopback(port)).with_filter(move |mut request: isobox::egress::OutboundRequest| {
        match request.url.path() {
            "/blocked" => FilterVerdict::Block("not today".into()),
            "/answered" => FilterVerdict::Respond(http::Response::new(bytes::Bytes::from_static(b"from the filter"))),
            _ => {
                request.url.set_path("/echo");
                request
                    .headers
                    .insert("x-filtered", http::HeaderValue::from_static("yes"));
                FilterVerdict::Continue(request)
            }
        }
    });
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         const rewritten = await (await fetch(base + '/anything')).json();
         let blocked = null;
         try {{ await fetch(base + '/blocked'); }} catch (e) {{ blocked = e.message; }}
         const answered = await (await fetch(base + '/answered')).text();
         ({{ path: rewritten.path, header: rewritten.headers['x-filtered'], blocked, answered }})"
    );
    let outcome = run_with(&code, egress).await;
    let v = value(&outcome);
    assert_eq!(v["path"], "/echo");
    assert_eq!(v["header"], "yes");
    assert!(v["blocked"].as_str().unwrap().contains("not today"), "{v}");
    assert_eq!(v["answered"], "from the filter");
}

#[tokio::test]
async fn a_filter_cannot_open_what_the_policy_denies() {
    let server = Upstream::http();
    let port = server.port();
    let other = Upstream::http();
    let other_port = other.port();
    let egress = Egress::new(loopback(port)).with_filter(move |mut request: isobox::egress::OutboundRequest| {
        let _ = request.url.set_port(Some(other_port));
        FilterVerdict::Continue(request)
    });
    let (_, message) = fetch_error(&format!("http://127.0.0.1:{port}/echo"), egress).await;
    assert!(message.contains("no rule allows"), "{message}");
}

const SECRET: &str = "s3cr3t-token-value";

/// A TLS upstream for `localhost`, and a policy trusting its CA that
/// injects SECRET as a bearer token and as `api_key` for that origin only.
fn credential_setup(extra: &str) -> (Upstream, EgressPolicy) {
    let (ca, config) = tls_for(&["localhost"]);
    let server = Upstream::https(config);
    let port = server.port();
    let toml = format!(
        "[[allow]]\nhost = \"localhost\"\nports = [{port}]\nallow_private = true\n{extra}\n\
         [[resolve]]\nhost = \"localhost\"\naddresses = [\"127.0.0.1\"]\n\
         [[credential]]\norigin = \"https://localhost:{port}\"\nheader = \"authorization\"\nvalue_env = \"API_TOKEN\"\nprefix = \"Bearer \"\n\
         [[credential]]\norigin = \"https://localhost:{port}\"\nquery = \"api_key\"\nvalue_env = \"API_TOKEN\"\n"
    );
    let policy = EgressPolicyBuilder::from_toml_str(&toml)
        .expect("credential policy")
        .env_lookup(|name| (name == "API_TOKEN").then(|| SECRET.to_owned()))
        .add_root_certificates_pem(ca.as_bytes())
        .build()
        .expect("credential policy builds");
    (server, policy)
}

#[tokio::test]
async fn credentials_are_injected_over_tls_and_never_visible_to_the_guest() {
    let plain = Upstream::http();
    let (server, policy) = credential_setup(&format!(
        "[[allow]]\nhost = \"127.0.0.1\"\nports = [{}]\n",
        plain.port()
    ));
    let port = server.port();
    let code = format!(
        "const request = new Request('https://localhost:{port}/echo?q=1', {{ headers: {{ authorization: 'guest value' }} }});
         const r = await fetch(request);
         const echoed = await r.json();
         // A redirect to another origin: the credential must not follow.
         const away = await (await fetch('https://localhost:{port}/redirect?to=' +
           encodeURIComponent('http://127.0.0.1:{plain}/echo'))).json();
         ({{
           upstreamSaw: echoed.headers.authorization,
           upstreamPath: echoed.path,
           requestHeader: request.headers.get('authorization'),
           responseUrl: r.url,
           awayAuth: away.headers.authorization ?? null,
           awayPath: away.path,
         }})",
        plain = plain.port()
    );
    let outcome = run_with(&code, policy).await;
    let v = value(&outcome);
    // The upstream got exactly the injected value, not merged with the guest's.
    assert_eq!(v["upstreamSaw"], format!("Bearer {SECRET}"));
    assert!(
        v["upstreamPath"]
            .as_str()
            .unwrap()
            .contains(&format!("api_key={SECRET}")),
        "{v}"
    );
    // The guest's own objects never hold it.
    assert_eq!(v["requestHeader"], "guest value");
    assert_eq!(v["responseUrl"], format!("https://localhost:{port}/echo?q=1"));
    // Nothing went to the other origin: neither the injected nor the guest's
    // Authorization header.
    assert_eq!(v["awayAuth"], Value::Null);
    assert!(!v["awayPath"].as_str().unwrap().contains(SECRET), "{v}");
    // The audit trail and the whole outcome never carry it, except where the
    // echo server itself returned it in a body the guest read.
    let audit = serde_json::to_string(&outcome.egress).unwrap();
    assert!(!audit.contains(SECRET), "{audit}");
    assert!(!format!("{:?}", outcome.logs).contains(SECRET));
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    let (server, policy) = credential_setup("");
    let port = server.port();
    // A body over the cap, a timeout and a refused redirect: none of the
    // messages may carry the token.
    let code = format!(
        "const base = 'https://localhost:{port}';
         const messages = [];
         for (const path of ['/redirect?to=https://127.0.0.1:1/x', '/redirect?to=' + encodeURIComponent('ftp://x/'), '/status?code=500']) {{
           try {{ const r = await fetch(base + path); messages.push(String(r.status)); }} catch (e) {{ messages.push(e.message); }}
         }}
         messages"
    );
    let outcome = run_with(&code, policy).await;
    let text = serde_json::to_string(&outcome).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    let v = value(&outcome);
    assert!(v[0].as_str().unwrap().contains("blocked"), "{v}");
}

#[tokio::test]
async fn a_guest_cannot_reach_tls_servers_it_does_not_trust() {
    let (_ca, config) = tls_for(&["localhost"]);
    let server = Upstream::https(config);
    let port = server.port();
    let rules = policy(&format!(
        "[[allow]]\nhost = \"localhost\"\nports = [{port}]\nallow_private = true\n\
         [[resolve]]\nhost = \"localhost\"\naddresses = [\"127.0.0.1\"]\n"
    ));
    let (_, message) = fetch_error(&format!("https://localhost:{port}/"), rules).await;
    assert!(message.contains("certificate"), "{message}");
}

#[tokio::test]
async fn non_public_addresses_need_an_explicit_rule_in_every_spelling() {
    let server = Upstream::http();
    let port = server.port();
    let any_host = policy("[[allow]]\nhost = \"*\"\n");
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://172.16.0.1/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://100.64.0.1/".to_owned(),
        "http://0.0.0.0/".to_owned(),
        "http://224.0.0.1/".to_owned(),
        "http://[fc00::1]/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://[64:ff9b::a00:1]/".to_owned(),
        "http://[2002:a00:1::]/".to_owned(),
    ] {
        let (name, message) = fetch_error(&url, any_host.clone()).await;
        assert_eq!(name, "TypeError", "{url}");
        assert!(message.contains("blocked by the egress policy"), "{url}: {message}");
    }
    // The same server, allowed by its exact IP, is reachable.
    let code = format!("(await fetch('http://0x7f.1:{port}/')).text()");
    let outcome = run_with(
        &code,
        policy(&format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n")),
    )
    .await;
    assert_eq!(value(&outcome), "hello");
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_is_refused_unless_allowed() {
    let server = Upstream::http();
    let port = server.port();
    let rebinding = policy(
        "[[allow]]\nhost = \"internal.test\"\n[[resolve]]\nhost = \"internal.test\"\naddresses = [\"127.0.0.1\"]\n",
    );
    let (_, message) = fetch_error(&format!("http://internal.test:{port}/"), rebinding).await;
    assert!(
        message.contains("internal.test resolves to a non-public address"),
        "{message}"
    );
    let allowed = policy(
        "[[allow]]\nhost = \"internal.test\"\nallow_private = true\n[[resolve]]\nhost = \"internal.test\"\naddresses = [\"127.0.0.1\"]\n",
    );
    let code = format!("(await fetch('http://internal.test:{port}/echo')).json()");
    let outcome = run_with(&code, allowed).await;
    assert_eq!(value(&outcome)["headers"]["host"], format!("internal.test:{port}"));
}

#[tokio::test]
async fn only_http_and_https_leave() {
    let rules = policy("[[allow]]\nhost = \"*\"\n");
    for url in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "data:text/plain,hi",
        "ws://example.com/",
    ] {
        let (name, message) = fetch_error(url, rules.clone()).await;
        assert_eq!(name, "TypeError", "{url}");
        assert!(message.contains("scheme"), "{url}: {message}");
    }
}

#[tokio::test]
async fn the_builder_api_grants_the_same_as_toml() {
    let server = Upstream::http();
    let port = server.port();
    let rules = EgressPolicy::builder()
        .allow(Rule::host("127.0.0.1").with_ports([port]))
        .build()
        .expect("builder policy");
    let outcome = run_with(&format!("(await fetch('http://127.0.0.1:{port}/')).text()"), rules).await;
    assert_eq!(value(&outcome), "hello");
}
