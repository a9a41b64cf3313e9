//! WHATWG Streams in the sandbox, and Request/Response bodies as streams:
//! bodies copied through `new Response(r.body, r)`, network bodies read
//! chunk by chunk from a real server on 127.0.0.1 and cancelled, clones of
//! network responses, TransformStream piping, CompressionStream, and a
//! worker answering with a streamed Response.

use isobox::RunRequest;
use isobox::egress::EgressPolicy;
use isobox::worker::HttpRequest;
use serde_json::{Value, json};

use crate::common::{engine, ok, run};
use crate::upstream::Upstream;

/// A policy that lets the code reach the loopback server on `port`.
fn loopback(port: u16) -> EgressPolicy {
    EgressPolicy::from_toml_str(&format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"))
        .unwrap_or_else(|e| panic!("test policy: {e}"))
}

async fn run_fetching(code: &str, port: u16) -> Value {
    ok(engine().run(RunRequest::new(code).with_egress(loopback(port))).await)
}

#[tokio::test]
async fn a_response_copied_from_its_body_keeps_bytes_and_headers() {
    // What Hono's cors and itty-router's corsify do.
    let v = ok(run(
        "const r = new Response('hello body', { status: 201, statusText: 'Made', \
              headers: { 'x-a': '1', 'content-type': 'text/x' } });
         const copy = new Response(r.body, r);
         copy.headers.set('access-control-allow-origin', '*');
         ({ text: await copy.text(), status: copy.status, statusText: copy.statusText,
            a: copy.headers.get('x-a'), type: copy.headers.get('content-type'),
            cors: copy.headers.get('access-control-allow-origin'), used: r.bodyUsed,
            same: r.body === r.body })",
    )
    .await);
    assert_eq!(
        v,
        json!({ "text": "hello body", "status": 201, "statusText": "Made", "a": "1", "type": "text/x",
                "cors": "*", "used": true, "same": true })
    );
}

#[tokio::test]
async fn body_methods_refuse_a_used_or_locked_body() {
    let v = ok(run("const out = [];
         const r = new Response('abc');
         r.body.getReader();
         try { await r.text(); } catch (e) { out.push(e.name); }
         const s = new Response('abc');
         await s.text();
         out.push(s.bodyUsed);
         try { await s.arrayBuffer(); } catch (e) { out.push(e.name); }
         try { s.clone(); } catch (e) { out.push(e.name); }
         out.push(new Response(null).body);
         out")
    .await);
    assert_eq!(v, json!(["TypeError", true, "TypeError", "TypeError", null]));
}

#[tokio::test]
async fn stream_bodies_for_requests_and_responses() {
    let v = ok(run("const chunks = ['a', 'b', 'c'];
         const stream = () => new ReadableStream({ pull(c) {
           const next = chunks.shift();
           if (next === undefined) c.close(); else c.enqueue(new TextEncoder().encode(next));
         } });
         const response = await new Response(stream()).text();
         chunks.push('x', 'y');
         const request = new Request('http://h.test/', { method: 'POST', body: stream(), duplex: 'half' });
         let refused;
         try { new Request('http://h.test/', { method: 'POST', body: new ReadableStream() }); }
         catch (e) { refused = e.name; }
         ({ response, request: await request.text(), refused })")
    .await);
    assert_eq!(v, json!({ "response": "abc", "request": "xy", "refused": "TypeError" }));
}

#[tokio::test]
async fn a_network_body_arrives_chunk_by_chunk() {
    // /trickle sends one byte every 30 ms, forever: each read sees what has
    // arrived, and cancel() ends the body (the run would wait otherwise).
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const r = await fetch('http://127.0.0.1:{port}/trickle?ms=30');
         const reader = r.body.getReader();
         const sizes = [];
         let total = 0;
         while (total < 5) {{
           const {{ value, done }} = await reader.read();
           if (done) break;
           sizes.push(value.byteLength);
           total += value.byteLength;
         }}
         await reader.cancel('enough');
         const after = await reader.closed.then(() => 'closed');
         ({{ chunks: sizes.length, total, after, used: r.bodyUsed }})"
    );
    let v = run_fetching(&code, port).await;
    assert!(v["chunks"].as_u64().unwrap() > 1, "{v}");
    assert!(v["total"].as_u64().unwrap() >= 5, "{v}");
    assert_eq!(v["after"], "closed");
    assert_eq!(v["used"], true);
}

#[tokio::test]
async fn cancelling_a_network_body_frees_its_connection() {
    // One connection: the second fetch gets it only because cancel() of
    // the first body gave it back.
    let server = Upstream::http();
    let port = server.port();
    let rules = EgressPolicy::from_toml_str(&format!(
        "[limits]\nmax_concurrent = 1\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ))
    .unwrap();
    let code = format!(
        "const first = await fetch('http://127.0.0.1:{port}/trickle?ms=10');
         const reader = first.body.getReader();
         await reader.read();
         await reader.cancel();
         const done = await reader.read();
         const second = await fetch('http://127.0.0.1:{port}/bytes?n=4');
         ({{ done: done.done, second: await second.text() }})"
    );
    let outcome = engine().run(RunRequest::new(code).with_egress(rules)).await;
    let v = ok(outcome);
    assert_eq!(v, json!({ "done": true, "second": "xxxx" }));
}

#[tokio::test]
async fn a_network_response_can_be_cloned_before_it_is_read() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const r = await fetch('http://127.0.0.1:{port}/bytes?n=100000');
         const copy = r.clone();
         const [a, b] = await Promise.all([r.arrayBuffer(), copy.text()]);
         const again = await fetch('http://127.0.0.1:{port}/bytes?n=3');
         const forwarded = new Response(again.body, again);
         ({{ a: a.byteLength, b: b.length, forwarded: await forwarded.text(), status: forwarded.status }})"
    );
    let v = run_fetching(&code, port).await;
    assert_eq!(
        v,
        json!({ "a": 100000, "b": 100000, "forwarded": "xxx", "status": 200 })
    );
}

#[tokio::test]
async fn a_stream_request_body_is_read_and_sent() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const parts = ['stream', 'ed ', 'body'];
         const body = new ReadableStream({{ pull(c) {{
           const next = parts.shift();
           if (next === undefined) c.close(); else c.enqueue(new TextEncoder().encode(next));
         }} }});
         const r = await fetch('http://127.0.0.1:{port}/echo', {{ method: 'POST', body, duplex: 'half' }});
         const echo = await r.json();
         ({{ method: echo.method, body: echo.body, used: body.locked }})"
    );
    let v = run_fetching(&code, port).await;
    assert_eq!(v, json!({ "method": "POST", "body": "streamed body", "used": true }));
}

#[tokio::test]
async fn a_stream_request_body_reaches_the_upstream_while_it_is_still_being_written() {
    let server = Upstream::http();
    let port = server.port();
    // The second chunk is made only after asking the upstream what it has
    // received: "first" if the body streams, nothing (after 5 s) if the
    // request waited for the whole body.
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         const encoder = new TextEncoder();
         let step = 0;
         const body = new ReadableStream({{ async pull(c) {{
           step += 1;
           if (step === 1) c.enqueue(encoder.encode('first'));
           else if (step === 2) {{
             const seen = await (await fetch(base + '/seen?key=streamed')).text();
             c.enqueue(encoder.encode('|seen:' + seen));
           }} else c.close();
         }} }});
         const r = await fetch(base + '/collect?key=streamed', {{ method: 'POST', body, duplex: 'half' }});
         await r.text()"
    );
    assert_eq!(run_fetching(&code, port).await, json!("first|seen:first"));
}

#[tokio::test]
async fn a_stream_request_body_is_held_to_the_policy_cap_and_sent_once() {
    let server = Upstream::http();
    let port = server.port();
    let policy = EgressPolicy::from_toml_str(&format!(
        "[limits]\nmax_request_body_bytes = 10000\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ))
    .unwrap_or_else(|e| panic!("test policy: {e}"));
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';
         const chunks = (n) => {{ let left = n; return new ReadableStream({{ pull(c) {{
           if (left-- > 0) c.enqueue(new Uint8Array(4000).fill(120)); else c.close(); }} }}); }};
         const attempt = async (url, body) => {{
           try {{ const r = await fetch(url, {{ method: 'POST', body, duplex: 'half' }});
                  return [r.status, (await r.text()).length]; }}
           catch (e) {{ return [e.name, e.message]; }} }};
         [await attempt(base + '/collect?key=small', chunks(2)),
          await attempt(base + '/collect?key=large', chunks(5)),
          await attempt(base + '/redirect?status=307&to=/echo', chunks(1)),
          await attempt(base + '/redirect?status=303&to=/echo', chunks(1)),
          await attempt(base + '/echo', new ReadableStream({{ start(c) {{ c.enqueue('text'); c.close(); }} }}))]"
    );
    let outcome = engine().run(RunRequest::new(code).with_egress(policy)).await;
    let value = ok(outcome);
    assert_eq!(value[0], json!([200, 8000]));
    assert_eq!(value[1][0], json!("TypeError"));
    assert!(
        value[1][1]
            .as_str()
            .unwrap()
            .contains("larger than the egress policy allows"),
        "{value}"
    );
    assert_eq!(value[2][0], json!("TypeError"));
    assert!(
        value[2][1]
            .as_str()
            .unwrap()
            .contains("stream body can be sent only once"),
        "{value}"
    );
    assert_eq!(
        value[3][0],
        json!(200),
        "a 303 goes on as a GET without the body: {value}"
    );
    assert_eq!(value[4][0], json!("TypeError"));
    assert!(value[4][1].as_str().unwrap().contains("Uint8Array"), "{value}");
}

#[tokio::test]
async fn an_abort_signal_errors_a_body_being_read() {
    let server = Upstream::http();
    let port = server.port();
    let code = format!(
        "const controller = new AbortController();
         const r = await fetch('http://127.0.0.1:{port}/trickle?ms=10', {{ signal: controller.signal }});
         setTimeout(() => controller.abort(), 50);
         try {{ await r.text(); return 'read'; }} catch (e) {{ return e.name; }}"
    );
    let v = run_fetching(&format!("(async () => {{ {code} }})()"), port).await;
    assert_eq!(v, json!("AbortError"));
}

#[tokio::test]
async fn transform_streams_pipe_and_text_streams_encode() {
    let v = ok(run(
        "const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
         const source = ReadableStream.from(['ab', 'cd', 'é']);
         const out = [];
         await source.pipeThrough(upper).pipeThrough(new TextEncoderStream())
           .pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream({ write(chunk) { out.push(chunk); } }));
         const items = [];
         for await (const item of ReadableStream.from([1, 2, 3])) items.push(item);
         out.concat(items)",
    )
    .await);
    assert_eq!(v, json!(["AB", "CD", "É", 1, 2, 3]));
}

#[tokio::test]
async fn compression_streams_round_trip_and_refuse_bad_input() {
    let v = ok(run("const text = 'hello, streams! '.repeat(1000);
         const roundTrip = async (format) => {
           const compressed = await new Response(new Response(text).body
             .pipeThrough(new CompressionStream(format))).arrayBuffer();
           const back = await new Response(new Response(compressed).body
             .pipeThrough(new DecompressionStream(format))).text();
           return [compressed.byteLength < text.length, back === text];
         };
         const failure = async (bytes) => {
           try { await new Response(new Response(bytes).body.pipeThrough(new DecompressionStream('gzip'))).text(); return 'ok'; }
           catch (e) { return e.name; }
         };
         const gz = new Uint8Array(await new Response(new Response('abc').body
           .pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
         const junk = new Uint8Array(gz.length + 2); junk.set(gz); junk.set([1, 2], gz.length);
         ({ gzip: await roundTrip('gzip'), deflate: await roundTrip('deflate'), raw: await roundTrip('deflate-raw'),
            magic: [gz[0], gz[1]], truncated: await failure(gz.slice(0, gz.length - 3)),
            trailing: await failure(junk), garbage: await failure(new Uint8Array([1, 2, 3])) })")
    .await);
    assert_eq!(
        v,
        json!({ "gzip": [true, true], "deflate": [true, true], "raw": [true, true], "magic": [31, 139],
                "truncated": "TypeError", "trailing": "TypeError", "garbage": "TypeError" })
    );
}

#[tokio::test]
async fn a_worker_can_answer_with_a_stream_written_after_it_returns() {
    // As Hono's streaming helpers do: the handler returns the readable side
    // at once and writes to it later.
    let code = r#"
export default {
  async fetch(request) {
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    (async () => {
      for (const part of ['one ', 'two ', 'three']) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await writer.write(encoder.encode(part));
      }
      await writer.close();
    })();
    return new Response(readable, { headers: { 'content-type': 'text/plain' } });
  },
};
"#;
    let done = engine()
        .dispatch(RunRequest::new(code), HttpRequest::new("GET", "http://worker.test/"))
        .await;
    assert!(done.is_ok(), "{:?}", done.outcome.result);
    assert_eq!(done.response.status, 200);
    assert_eq!(done.response.text(), "one two three");
}
