//! fetch() over `wasi:http/outgoing-handler`. A request leaves the sandbox
//! only through the host, whose egress filter decides what happens to it.
//! Responses and body chunks are waited for by the event loop
//! ([`crate::event_loop`]) through `wasi:io` pollables, so a run that waits
//! for the network costs no CPU. A response body is read as its
//! ReadableStream pulls: one chunk (at most 64 KiB) per `readChunk`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rquickjs::{Array, Ctx, Exception, Function, Object, Persistent, TypedArray, Value};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, Scheme,
};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

const PRELUDE: &str = include_str!("fetch.js");

/// The header through which the guest tells the host its redirect mode.
const REDIRECT_HEADER: &str = "isobox-redirect";
/// The header through which the guest tells the host that a request's body
/// is a stream, sent as it is written (egress/send.rs).
const BODY_STREAM_HEADER: &str = "isobox-body-stream";
/// Headers the host adds to a response: the URL the guest may see, and
/// whether a redirect was followed.
const URL_HEADER: &str = "isobox-url";
const REDIRECTED_HEADER: &str = "isobox-redirected";
/// The most bytes read from a body stream at once.
const READ_CHUNK: u64 = 64 * 1024;
/// The most bytes `blocking-write-and-flush` accepts at once.
const WRITE_CHUNK: usize = 4096;

/// One request or body chunk the event loop waits for.
enum Waiting {
    Response(FutureIncomingResponse),
    /// The next chunk of the body in `OPEN` under the same id.
    Chunk,
}

/// A response body being read.
struct OpenBody {
    // Field order: the stream is a child of the body and is dropped first.
    stream: InputStream,
    _body: IncomingBody,
}

/// A request body being written as its ReadableStream is read.
struct SendingBody {
    // Field order: the stream is a child of the body and is dropped first.
    stream: OutputStream,
    body: OutgoingBody,
}

/// What a wait produced for one request.
enum Delivery<'js> {
    Value(Value<'js>),
    Error(String),
}

thread_local! {
    static WAITING: RefCell<BTreeMap<u32, Waiting>> = const { RefCell::new(BTreeMap::new()) };
    /// Response bodies that arrived and are not being read yet.
    static UNREAD: RefCell<BTreeMap<u32, IncomingBody>> = const { RefCell::new(BTreeMap::new()) };
    /// Response bodies being read.
    static OPEN: RefCell<BTreeMap<u32, OpenBody>> = const { RefCell::new(BTreeMap::new()) };
    /// Stream request bodies being written.
    static SENDING: RefCell<BTreeMap<u32, SendingBody>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
    /// The JS `deliver(id, kind, value)` from fetch.js.
    static DELIVER: RefCell<Option<Persistent<Function<'static>>>> = const { RefCell::new(None) };
}

/// Defines fetch, Headers, Request and Response. Runs at wizer time, after
/// platform.rs, whose `bodies` hooks (blob.rs) make Blob and FormData
/// bodies. Gives fetch.js's parts for the worker glue (worker.js).
pub fn install<'js>(ctx: &Ctx<'js>, bodies: &Object<'js>) -> rquickjs::Result<Object<'js>> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:fetch", PRELUDE)?;
    let native = Object::new(ctx.clone())?;
    native.set("send", Function::new(ctx.clone(), send)?)?;
    native.set("parseUrl", Function::new(ctx.clone(), parse_url)?)?;
    native.set("headerName", Function::new(ctx.clone(), header_name)?)?;
    native.set("requestMethod", Function::new(ctx.clone(), request_method)?)?;
    native.set("headerValue", Function::new(ctx.clone(), header_value)?)?;
    native.set("readChunk", Function::new(ctx.clone(), read_chunk)?)?;
    native.set("writeBody", Function::new(ctx.clone(), write_body_chunk)?)?;
    native.set(
        "finishBody",
        Function::new(ctx.clone(), |id: u32| {
            if let Some(SendingBody { stream, body }) = SENDING.with(|sending| sending.borrow_mut().remove(&id)) {
                drop(stream);
                // A body the host refused (too large) shows up as the
                // response's error.
                let _ = OutgoingBody::finish(body, None);
            }
        })?,
    )?;
    native.set(
        "cancel",
        Function::new(ctx.clone(), |id: u32| {
            // Dropping the resources tells the host to stop the request (or
            // the body, whose connection it then frees).
            WAITING.with(|waiting| waiting.borrow_mut().remove(&id));
            UNREAD.with(|unread| unread.borrow_mut().remove(&id));
            OPEN.with(|open| open.borrow_mut().remove(&id));
            // A stream body dropped unfinished tells the host the body
            // failed: the request is not completed.
            SENDING.with(|sending| sending.borrow_mut().remove(&id));
        })?,
    )?;
    let streams = crate::streams::helpers(ctx)?;
    let installed: Object = installer.call((native, streams, bodies.clone()))?;
    let deliver: Function = installed.get("deliver")?;
    DELIVER.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, deliver)));
    installed.get("worker")
}

/// The most fields one request may carry: HTTP servers refuse far fewer,
/// and wasi:http's header map holds at most 32,768.
const MAX_HEADER_FIELDS: usize = 4096;

thread_local! {
    /// The run's cap on a request's header section (names, values and 4
    /// bytes per field): the egress policy's `max_header_bytes`.
    static MAX_HEADER_BYTES: std::cell::Cell<u32> = const { std::cell::Cell::new(64 * 1024) };
}

/// Sets the run's cap on request headers (from the run request).
pub fn set_max_header_bytes(bytes: u32) {
    MAX_HEADER_BYTES.with(|cap| cap.set(bytes));
}

/// A request the host hands a worker, as `new Request(url, { method,
/// headers })` would make it: the method as [`checked_method`] gives it,
/// the URL as the sandbox's parser writes it, the headers as `Headers`
/// keeps them ([`checked_name`], [`trimmed_value`]). `Err` holds the
/// message of the TypeError `Request` or `Headers` would throw: `isobox
/// serve` refused such requests already, a built app's host may not have.
pub fn request_parts(method: &str, url: &str, headers: &[(String, String)]) -> Result<RequestParts, String> {
    let method = checked_method(method)?;
    let Some(url) = crate::url::parse_with_base(url, None).map(|url| url.href()) else {
        let shown: String = url.chars().take(200).collect();
        return Err(format!("fetch: \"{shown}\" is not an absolute URL"));
    };
    let headers = headers
        .iter()
        .map(|(name, value)| Ok((checked_name(name)?, trimmed_value(value)?.to_owned())))
        .collect::<Result<_, String>>()?;
    Ok(RequestParts { method, url, headers })
}

/// A worker's request as its `Request` holds it ([`request_parts`]).
pub struct RequestParts {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// RFC 9110 `tchar`: what a method or header name is made of.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// A method as `Request` keeps it: a token, the standard methods
/// uppercased, others as written; CONNECT, TRACE and TRACK refused. `Err`
/// is the TypeError's message.
fn checked_method(method: &str) -> Result<String, String> {
    const STANDARD: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        let shown: String = method.chars().take(32).collect();
        return Err(format!("Request: \"{shown}\" is not a valid method"));
    }
    let upper = method.to_ascii_uppercase();
    if ["CONNECT", "TRACE", "TRACK"].contains(&upper.as_str()) {
        return Err(format!("Request: the method {upper} is forbidden"));
    }
    Ok(if STANDARD.contains(&upper.as_str()) {
        upper
    } else {
        method.to_owned()
    })
}

/// A header name checked against the token grammar, lowercased. `Err` is
/// the TypeError's message.
fn checked_name(name: &str) -> Result<String, String> {
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        let shown: String = name.chars().take(64).collect();
        return Err(format!("Headers: \"{shown}\" is not a valid header name"));
    }
    Ok(name.to_ascii_lowercase())
}

/// A header value without leading and trailing HTTP whitespace; NUL, CR
/// or LF inside is an `Err` with the TypeError's message.
fn trimmed_value(value: &str) -> Result<&str, String> {
    let trimmed = value.trim_matches(|c| matches!(c, '\t' | '\n' | '\r' | ' '));
    if trimmed.bytes().any(|b| matches!(b, 0 | b'\n' | b'\r')) {
        return Err("Headers: a header value may not contain NUL, CR or LF".to_owned());
    }
    Ok(trimmed)
}

/// `Request`'s method check ([`checked_method`]) for fetch.js.
fn request_method(ctx: Ctx<'_>, method: rquickjs::String<'_>) -> rquickjs::Result<String> {
    checked_method(&crate::text::lossy(&method)?).map_err(|message| Exception::throw_type(&ctx, &message))
}

/// `Headers`' name check ([`checked_name`]) for fetch.js.
fn header_name(ctx: Ctx<'_>, name: rquickjs::String<'_>) -> rquickjs::Result<String> {
    checked_name(&crate::text::lossy(&name)?).map_err(|message| Exception::throw_type(&ctx, &message))
}

/// `Headers`' value check ([`trimmed_value`]) for fetch.js. An unchanged
/// value is handed back as the same JS string (no copy back into JS).
fn header_value<'js>(ctx: Ctx<'js>, value: rquickjs::String<'js>) -> rquickjs::Result<rquickjs::String<'js>> {
    let text = match value.to_string() {
        Ok(text) => text,
        Err(rquickjs::Error::Utf8(_)) => {
            return Err(Exception::throw_type(
                &ctx,
                "Headers: a header value may not hold a lone surrogate",
            ));
        }
        Err(error) => return Err(error),
    };
    let trimmed = trimmed_value(&text).map_err(|message| Exception::throw_type(&ctx, &message))?;
    if trimmed.len() == text.len() {
        Ok(value)
    } else {
        rquickjs::String::from_str(ctx, trimmed)
    }
}

/// The size of a header section as the egress policy counts it: every
/// name and value, plus 4 bytes per field.
pub fn header_section_bytes(headers: &[Vec<String>]) -> usize {
    headers
        .iter()
        .map(|pair| pair.iter().map(String::len).sum::<usize>() + 4)
        .sum()
}

/// Refuses a header section the host would refuse, before any host call.
fn check_header_section(ctx: &Ctx<'_>, headers: &[Vec<String>]) -> rquickjs::Result<()> {
    if headers.len() > MAX_HEADER_FIELDS {
        return Err(Exception::throw_type(
            ctx,
            &format!(
                "fetch: the request has {} header fields, more than the {MAX_HEADER_FIELDS} allowed",
                headers.len()
            ),
        ));
    }
    let bytes = header_section_bytes(headers);
    let cap = MAX_HEADER_BYTES.with(std::cell::Cell::get);
    if bytes > cap as usize {
        return Err(Exception::throw_type(
            ctx,
            &format!(
                "fetch: the request headers are {bytes} bytes (names and values, plus 4 per field), \
                 more than the egress policy's max_header_bytes ({cap})"
            ),
        ));
    }
    Ok(())
}

/// The absolute URL `text` normalised by the WHATWG parser, or null.
fn parse_url(text: String) -> Option<String> {
    crate::url::parse_with_base(&text, None).map(|url| url.href())
}

/// Starts a request; returns its id. Throws a TypeError for what no host
/// could send (a bad URL, scheme, method or header). `body` is null, the
/// body's bytes, or `true` for a stream body that `writeBody` and
/// `finishBody` then write as it is read.
fn send<'js>(
    ctx: Ctx<'js>,
    method: String,
    url: String,
    headers: Vec<Vec<String>>,
    body: Value<'js>,
    redirect: String,
) -> rquickjs::Result<u32> {
    let streamed = body.as_bool() == Some(true);
    let body: Option<TypedArray<'js, u8>> = if streamed || body.is_null() || body.is_undefined() {
        None
    } else {
        Some(TypedArray::from_value(body)?)
    };
    let type_error = |message: String| Exception::throw_type(&ctx, &message);
    let parsed = crate::url::parse_with_base(&url, None)
        .ok_or_else(|| type_error(format!("fetch: \"{url}\" is not an absolute URL")))?;
    let scheme = match parsed.scheme.as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => {
            return Err(type_error(format!(
                "fetch: the scheme \"{other}:\" is not supported (only http and https)"
            )));
        }
    };
    if parsed.includes_credentials() {
        return Err(type_error(
            "fetch: a URL with credentials (user:password@) cannot be fetched".into(),
        ));
    }
    let host = match &parsed.host {
        Some(host) if !matches!(host, crate::url::Host::Empty) => host.serialize(),
        _ => return Err(type_error(format!("fetch: \"{url}\" has no host"))),
    };
    let authority = match parsed.port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let path_with_query = match &parsed.query {
        Some(query) => format!("{}?{query}", parsed.pathname()),
        None => parsed.pathname(),
    };

    check_header_section(&ctx, &headers)?;
    let fields = Fields::new();
    for pair in &headers {
        let [name, value] = pair.as_slice() else { continue };
        if name.eq_ignore_ascii_case(REDIRECT_HEADER) {
            continue;
        }
        match fields.append(name, value.as_bytes()) {
            // Forbidden headers (host, connection, ...) are dropped, as
            // browsers drop them.
            Ok(()) | Err(HeaderError::Forbidden) => {}
            Err(_) => return Err(type_error(format!("fetch: the header \"{name}\" is not valid"))),
        }
    }
    let _ = fields.append(REDIRECT_HEADER, redirect.as_bytes());
    if streamed {
        let _ = fields.append(BODY_STREAM_HEADER, b"1");
    }

    let request = OutgoingRequest::new(fields);
    let method = match method.as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    };
    let bad = || type_error(format!("fetch: cannot send {url}"));
    request.set_method(&method).map_err(|()| bad())?;
    request.set_scheme(Some(&scheme)).map_err(|()| bad())?;
    request.set_authority(Some(&authority)).map_err(|()| bad())?;
    request
        .set_path_with_query(Some(&path_with_query))
        .map_err(|()| bad())?;
    let outgoing_body = request.body().map_err(|()| bad())?;

    let future = outgoing_handler::handle(request, None).map_err(|error| type_error(describe_error(&error)))?;
    let id = crate::event_loop::next_id(&NEXT_ID);
    WAITING.with(|waiting| waiting.borrow_mut().insert(id, Waiting::Response(future)));
    if streamed {
        let stream = outgoing_body.write().map_err(|()| bad())?;
        SENDING.with(|sending| {
            sending.borrow_mut().insert(
                id,
                SendingBody {
                    stream,
                    body: outgoing_body,
                },
            );
        });
        return Ok(id);
    }
    // The host reads the body while the request goes out: written after
    // `handle`, so a body larger than the pipe's buffer cannot block it.
    if let Some(bytes) = body {
        // SAFETY: the slice is read before any JS runs again.
        let bytes: &[u8] = unsafe { bytes.as_slice() };
        write_body(&outgoing_body, bytes);
    }
    // A body the host refused (too large) shows up as the response's error.
    let _ = OutgoingBody::finish(outgoing_body, None);
    Ok(id)
}

/// Writes one chunk of request `id`'s stream body; false when the host
/// no longer takes it (the request failed, was refused or cancelled).
fn write_body_chunk(id: u32, chunk: TypedArray<'_, u8>) -> bool {
    SENDING.with(|sending| {
        let sending = sending.borrow();
        let Some(body) = sending.get(&id) else {
            return false;
        };
        // SAFETY: the slice is read before any JS runs again.
        let bytes: &[u8] = unsafe { chunk.as_slice() };
        write_all(&body.stream, bytes)
    })
}

fn write_body(body: &OutgoingBody, bytes: &[u8]) {
    if let Ok(stream) = body.write() {
        write_all(&stream, bytes);
    }
}

/// Writes `bytes` in pieces the stream accepts; false when it stops taking
/// them (the host refused or dropped the body).
fn write_all(stream: &OutputStream, bytes: &[u8]) -> bool {
    bytes
        .chunks(WRITE_CHUNK)
        .all(|piece| stream.blocking_write_and_flush(piece).is_ok())
}

/// Asks for the next chunk of response `id`'s body: the event loop
/// delivers it (or null at the end). False when the body is gone (read to
/// its end, cancelled, or never there).
fn read_chunk(id: u32) -> bool {
    if let Some(body) = UNREAD.with(|unread| unread.borrow_mut().remove(&id)) {
        let Ok(stream) = body.stream() else {
            return false;
        };
        OPEN.with(|open| open.borrow_mut().insert(id, OpenBody { stream, _body: body }));
    }
    if !OPEN.with(|open| open.borrow().contains_key(&id)) {
        return false;
    }
    WAITING.with(|waiting| waiting.borrow_mut().insert(id, Waiting::Chunk));
    true
}

/// True while a request or body chunk is outstanding.
pub fn pending() -> bool {
    WAITING.with(|waiting| !waiting.borrow().is_empty())
}

/// A pollable for every outstanding request or body, with its id.
pub fn pollables() -> Vec<(u32, Pollable)> {
    WAITING.with(|waiting| {
        OPEN.with(|open| {
            let open = open.borrow();
            waiting
                .borrow()
                .iter()
                .filter_map(|(id, waiting)| {
                    let pollable = match waiting {
                        Waiting::Response(future) => future.subscribe(),
                        Waiting::Chunk => open.get(id)?.stream.subscribe(),
                    };
                    Some((*id, pollable))
                })
                .collect()
        })
    })
}

/// Makes progress on the requests whose pollables are ready, and hands what
/// completed to JS.
pub fn dispatch(ctx: &Ctx<'_>, ready: &[u32]) {
    if ready.is_empty() {
        return;
    }
    let Some(deliver) = DELIVER
        .with(|slot| slot.borrow().clone())
        .and_then(|f| f.restore(ctx).ok())
    else {
        return;
    };
    for &id in ready {
        let Some(delivery) = progress(ctx, id) else { continue };
        let called = match delivery {
            Delivery::Value(value) => deliver.call::<_, ()>((id, "value", value)),
            Delivery::Error(message) => deliver.call::<_, ()>((id, "error", message)),
        };
        if called.is_err() {
            crate::rejections::report_uncaught(ctx);
        }
    }
}

/// Advances request `id`; `Some` when it completed.
fn progress<'js>(ctx: &Ctx<'js>, id: u32) -> Option<Delivery<'js>> {
    let waiting = WAITING.with(|waiting| waiting.borrow_mut().remove(&id))?;
    match waiting {
        Waiting::Response(future) => match future.get() {
            None => {
                WAITING.with(|w| w.borrow_mut().insert(id, Waiting::Response(future)));
                None
            }
            Some(Ok(Ok(response))) => Some(response_head(ctx, id, response)),
            Some(Ok(Err(error))) => Some(Delivery::Error(describe_error(&error))),
            Some(Err(())) => Some(Delivery::Error("fetch: the response was already taken".into())),
        },
        Waiting::Chunk => {
            let read = OPEN.with(|open| open.borrow().get(&id).map(|body| body.stream.read(READ_CHUNK)));
            let Some(read) = read else {
                // Cancelled meanwhile: the body is gone.
                return Some(Delivery::Value(Value::new_null(ctx.clone())));
            };
            match read {
                Ok(chunk) if chunk.is_empty() => {
                    WAITING.with(|w| w.borrow_mut().insert(id, Waiting::Chunk));
                    None
                }
                Ok(chunk) => Some(match TypedArray::new(ctx.clone(), chunk) {
                    Ok(array) => Delivery::Value(array.into_value()),
                    Err(_) => {
                        let _ = ctx.catch();
                        Delivery::Error("fetch: out of memory reading the body".into())
                    }
                }),
                Err(StreamError::Closed) => {
                    OPEN.with(|open| open.borrow_mut().remove(&id));
                    Some(Delivery::Value(Value::new_null(ctx.clone())))
                }
                Err(StreamError::LastOperationFailed(error)) => {
                    OPEN.with(|open| open.borrow_mut().remove(&id));
                    let detail = match wasip2::http::types::http_error_code(&error) {
                        Some(code) => describe_error(&code),
                        None => describe_stream_error(&error.to_debug_string()),
                    };
                    Some(Delivery::Error(detail))
                }
            }
        }
    }
}

/// The response head as the `{ status, statusText, headers, url, redirected,
/// hasBody }` object fetch.js expects; the body is kept for `readChunk`.
fn response_head<'js>(ctx: &Ctx<'js>, id: u32, response: IncomingResponse) -> Delivery<'js> {
    let build = || -> rquickjs::Result<Value<'js>> {
        let status = response.status();
        let head = Object::new(ctx.clone())?;
        let headers = Array::new(ctx.clone())?;
        let mut url = String::new();
        let mut redirected = false;
        let mut index = 0;
        for (name, value) in response.headers().entries() {
            let value = String::from_utf8_lossy(&value).into_owned();
            if name.eq_ignore_ascii_case(URL_HEADER) {
                url = value;
                continue;
            }
            if name.eq_ignore_ascii_case(REDIRECTED_HEADER) {
                redirected = value == "1";
                continue;
            }
            let pair = Array::new(ctx.clone())?;
            pair.set(0, name)?;
            pair.set(1, value)?;
            headers.set(index, pair)?;
            index += 1;
        }
        let body = response.consume().ok();
        head.set("status", status)?;
        head.set("statusText", reason_phrase(status))?;
        head.set("headers", headers)?;
        head.set("url", url)?;
        head.set("redirected", redirected)?;
        head.set("hasBody", body.is_some())?;
        if let Some(body) = body {
            UNREAD.with(|unread| unread.borrow_mut().insert(id, body));
        }
        Ok(head.into_value())
    };
    match build() {
        Ok(value) => Delivery::Value(value),
        Err(_) => {
            let _ = ctx.catch();
            Delivery::Error("fetch: out of memory reading the response".into())
        }
    }
}

/// The message of a `wasi:http` error, as the guest's TypeError says it.
/// `HttpResponseIncomplete` as `http-response-incomplete` (the WIT name);
/// any payload is left out.
fn kebab(debug: &str) -> String {
    let name = debug.split(['(', ' ', '{']).next().unwrap_or(debug);
    let name = name.rsplit("::").next().unwrap_or(name);
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn describe_error(error: &ErrorCode) -> String {
    match error {
        // The host's egress filter speaks through internal-error: its
        // message is already written for the guest.
        ErrorCode::InternalError(Some(message)) => format!("fetch failed: {message}"),
        ErrorCode::HttpRequestDenied => "fetch failed: the request was denied by the host".into(),
        ErrorCode::DnsError(_) => "fetch failed: the host name could not be resolved".into(),
        ErrorCode::ConnectionRefused => "fetch failed: the connection was refused".into(),
        ErrorCode::ConnectionTimeout => "fetch failed: connecting timed out".into(),
        ErrorCode::HttpResponseTimeout => "fetch failed: the response timed out".into(),
        ErrorCode::HttpRequestBodySize(_) => {
            "fetch failed: the request body is larger than the egress policy allows".into()
        }
        ErrorCode::HttpResponseBodySize(_) => {
            "fetch failed: the response body is larger than the egress policy allows".into()
        }
        ErrorCode::HttpRequestHeaderSectionSize(_) | ErrorCode::HttpRequestHeaderSize(_) => {
            "fetch failed: the request headers are larger than the egress policy allows".into()
        }
        ErrorCode::HttpResponseHeaderSectionSize(_) => {
            "fetch failed: the response headers are larger than the egress policy allows".into()
        }
        ErrorCode::TlsCertificateError => "fetch failed: the server's TLS certificate is not trusted".into(),
        ErrorCode::TlsProtocolError => "fetch failed: the TLS handshake failed".into(),
        ErrorCode::HttpProtocolError => {
            "fetch failed: the server's response is not valid HTTP (or its head is too large)".into()
        }
        ErrorCode::ConnectionTerminated | ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout => {
            "fetch failed: the connection ended before the response did".into()
        }
        // The rest, by the name of its kind ("http-response-incomplete").
        other => format!("fetch failed: {}", kebab(&format!("{other:?}"))),
    }
}

/// The message for a body stream that failed without an HTTP error code.
/// wasmtime-wasi-http 48 turns the host body's error into a plain stream
/// error (its `http-error-code` finds no code in it), so only its text says
/// what happened; the host's errors for these cases are its own
/// (`net/body.rs`), so the words matched here are stable.
fn describe_stream_error(debug: &str) -> String {
    let lower = debug.to_ascii_lowercase();
    if lower.contains("timeout") || lower.contains("timed out") {
        "fetch failed: the response timed out".into()
    } else if lower.contains("body size") {
        "fetch failed: the response body is larger than the egress policy allows".into()
    } else {
        let detail: String = debug.chars().take(200).collect();
        format!("fetch failed: reading the body failed: {detail}")
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_host_request_is_normalised_as_request_would() {
        let parts = request_parts(
            "post",
            "HTTP://Example.COM:80/a/../b?q",
            &pairs(&[("X-Trace", "  id 1\t"), ("Accept", "*/*")]),
        )
        .expect("a valid request");
        assert_eq!(parts.method, "POST");
        assert_eq!(parts.url, "http://example.com/b?q");
        assert_eq!(parts.headers, pairs(&[("x-trace", "id 1"), ("accept", "*/*")]));
        // Other methods keep their case.
        assert_eq!(request_parts("Purge", "http://a/", &[]).expect("valid").method, "Purge");
    }

    #[test]
    fn what_request_refuses_is_a_type_error_message() {
        let refused = |method: &str, url: &str, headers: &[(&str, &str)]| {
            request_parts(method, url, &pairs(headers)).err().expect("refused")
        };
        assert!(refused("connect", "http://a/", &[]).contains("forbidden"));
        assert!(refused("GE T", "http://a/", &[]).contains("not a valid method"));
        assert!(refused("GET", "/relative", &[]).contains("not an absolute URL"));
        assert!(refused("GET", "http://a/", &[("bad name", "v")]).contains("not a valid header name"));
        assert!(refused("GET", "http://a/", &[("x", "a\nb")]).contains("NUL, CR or LF"));
    }
}
