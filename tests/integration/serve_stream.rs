//! `POST /v1/run` with `Accept: text/event-stream`, read by a real HTTP
//! client frame by frame: console lines as `log` events while the run goes
//! on, then one `outcome` event.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::serve::{ACME, BETA, call, run, start};

/// A streamed response, read one event at a time.
struct Events {
    status: u16,
    content_type: String,
    request_id: String,
    body: Incoming,
    buffer: BytesMut,
}

impl Events {
    /// The next event's name and JSON data; `None` at the end of the body.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block = self.buffer.split_to(end + 2);
                let text = String::from_utf8(block.to_vec()).expect("UTF-8 events");
                let mut name = None;
                let mut data = None;
                for line in text.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = Some(value.to_owned());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        assert!(data.is_none(), "one data line per event: {text:?}");
                        data = Some(serde_json::from_str(value).expect("JSON data"));
                    }
                }
                return Some((name.expect("an event name"), data.expect("event data")));
            }
            match self.body.frame().await {
                None => {
                    assert!(self.buffer.is_empty(), "a cut event: {:?}", self.buffer);
                    return None;
                }
                Some(frame) => {
                    if let Ok(data) = frame.expect("a body frame").into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    /// Every remaining event.
    async fn rest(&mut self) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        events
    }
}

/// `POST /v1/run` asking for an event stream.
async fn stream(addr: SocketAddr, key: &str, body: Value) -> Events {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = hyper::Request::post("/v1/run")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("authorization", format!("Bearer {key}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let response = sender.send_request(request).await.expect("sending");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Events {
        status: response.status().as_u16(),
        content_type: header("content-type"),
        request_id: header("x-request-id"),
        buffer: BytesMut::new(),
        body: response.into_body(),
    }
}

fn log(level: &str, message: &str) -> (String, Value) {
    ("log".to_owned(), json!({ "level": level, "message": message }))
}

#[tokio::test]
async fn lines_stream_in_order_then_the_outcome_with_its_request_id() {
    let (addr, handle) = start("").await;
    let code = "console.log('one'); console.warn('two', { n: 2 }); console.error('three\\nlines'); 42";
    let mut events = stream(addr, ACME, json!({ "code": code })).await;
    assert_eq!(events.status, 200);
    assert_eq!(events.content_type, "text/event-stream");
    let all = events.rest().await;
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(
        all[..3],
        [
            log("log", "one"),
            log("warn", "two { n: 2 }"),
            log("error", "three\nlines")
        ]
    );
    let (name, outcome) = &all[3];
    assert_eq!(name, "outcome");
    assert_eq!(outcome["ok"], true);
    assert_eq!(outcome["value"], 42);
    assert_eq!(outcome["logs"]["entries"].as_array().map(Vec::len), Some(3));
    assert_eq!(outcome["request_id"], events.request_id.as_str());
    assert_eq!(events.request_id.len(), 16);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_first_line_arrives_while_the_run_is_still_waiting() {
    let (addr, handle) = start("").await;
    // The run waits (at most 1.5 s) for a key that the test sets only after
    // reading the first event: the line was streamed before the run ended.
    let code = "console.log('waiting');
        for (let i = 0; i < 300 && !(await env.kv.get('go')); i++) await new Promise((r) => setTimeout(r, 5));
        console.log('released');
        await env.kv.get('go')";
    let mut events = stream(addr, ACME, json!({ "code": code, "capabilities": ["kv"] })).await;
    assert_eq!(events.next().await, Some(log("log", "waiting")));
    let release = json!({ "code": "await env.kv.put('go', 'now'); 0", "capabilities": ["kv"] });
    assert_eq!(run(addr, Some(ACME), release).await.json()["value"], 0);
    assert_eq!(events.next().await, Some(log("log", "released")));
    let (name, outcome) = events.next().await.expect("the outcome");
    assert_eq!(name, "outcome");
    assert_eq!(outcome["value"], "now", "{outcome}");
    assert_eq!(events.next().await, None);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn failed_runs_end_with_their_outcome_and_capped_lines_are_not_streamed() {
    let (addr, handle) = start("").await;
    let mut thrown = stream(
        addr,
        BETA,
        json!({ "code": "console.log('before'); throw new RangeError('boom')" }),
    )
    .await;
    let all = thrown.rest().await;
    assert_eq!(all[0], log("log", "before"));
    assert_eq!(all[1].0, "outcome");
    assert_eq!(all[1].1["ok"], false);
    assert_eq!(all[1].1["error"]["kind"], "js-error");
    assert_eq!(all[1].1["error"]["name"], "RangeError");
    assert_eq!(all.len(), 2);

    let mut timed_out = stream(
        addr,
        BETA,
        json!({ "code": "console.info('looping'); while (true) {}", "limits": { "wall_time_ms": 200 } }),
    )
    .await;
    let all = timed_out.rest().await;
    assert_eq!(all[0], log("info", "looping"));
    assert_eq!(all[1].1["error"]["kind"], "timeout", "{all:?}");
    assert_eq!(all.len(), 2);

    let mut capped = stream(
        addr,
        BETA,
        json!({ "code": "for (let i = 0; i < 10; i++) console.log('line ' + i); 'done'", "limits": { "log_lines": 2 } }),
    )
    .await;
    let all = capped.rest().await;
    assert_eq!(all[..2], [log("log", "line 0"), log("log", "line 1")]);
    assert_eq!(all[2].1["value"], "done");
    assert_eq!(all[2].1["logs"]["truncated"], true);
    assert_eq!(all.len(), 3, "lines past the cap are not streamed");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn refusals_before_the_run_are_plain_json_errors() {
    let (addr, handle) = start("").await;
    let ask = |key: &'static str, body: Value| async move { stream(addr, key, body).await };
    for (key, body, status, code) in [
        ("wrong-key", json!({ "code": "1" }), 401, "unauthorized"),
        (
            ACME,
            json!({ "code": "1", "limits": { "wall_time_ms": 999999 } }),
            403,
            "forbidden",
        ),
        (ACME, json!({ "code": "1", "colour": 1 }), 400, "bad-request"),
    ] {
        let mut events = ask(key, body).await;
        assert_eq!(events.status, status);
        assert_eq!(events.content_type, "application/json");
        let body = events.body.collect().await.expect("body").to_bytes();
        let json: Value = serde_json::from_slice(&body).expect("a JSON error");
        assert_eq!(json["error"]["code"], code);
        events.buffer.clear();
    }
    // Without the Accept header the same run answers with plain JSON.
    let plain = run(addr, Some(ACME), json!({ "code": "console.log('x'); 1" })).await;
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.json()["logs"]["entries"][0]["message"], "x");
    let spec = call(addr, "GET", "/openapi.json", None, None).await.json();
    assert!(
        spec["paths"]["/v1/run"]["post"]["responses"]["200"]["content"]["text/event-stream"].is_object(),
        "the stream is described"
    );
    handle.shutdown().await.expect("shutdown");
}
