//! The standalone app that `isobox build` makes: the sandbox's engine
//! exporting `wasi:http/incoming-handler`, so any wasi:http host
//! (`wasmtime serve`, Spin, wasmCloud) runs it.
//!
//! # The build contract
//!
//! `wizer-initialize` runs once, under wizer, inside `isobox build`: it
//! creates the engine, reads the app's bundle from stdin (JSON:
//! `{"filename", "code", "entry_imports", "modules": [{"name", "kind",
//! "source", "linked", "imports"}]}`; the tables are the host's resolution
//! of specifiers, `[[specifier, module], ...]`, for the npm packages the
//! app imports),
//! evaluates the module (top-level `await` included) and keeps its default
//! export, checked to have a `fetch` handler. It writes one JSON line to
//! stdout: `{"ok": true}`, or `{"ok": false, ...}` with the error's phase,
//! kind, name, message, stack, line and column. The snapshot then holds the
//! initialised app, so a request starts from it.
//!
//! The bundle may carry static files after its JSON (a NUL, then each
//! file's path and body, length-prefixed): they are loaded into an
//! `isobox_assets::Assets` at wizer time, and a GET or HEAD they answer
//! (a file, a redirect of the HTML handling, the SPA or 404 fallback) is
//! answered in Rust before any JS runs, by the same rules `isobox serve`
//! applies to a worker's assets.
//!
//! Each request (`handle`) reseeds Math.random from `wasi:random`, builds a
//! Request from the incoming one (body read whole), calls the handler with an
//! empty `env`, and sends its Response: the head as soon as the handler gives
//! it, then the body chunk by chunk as its stream produces them (a streamed
//! Response reaches the client as it is made). A failure before the head is
//! a 500 with the error as text; one after it leaves the body cut short.
//! Errors go to stderr. Console lines go to stderr.
//! Outbound `fetch` uses `wasi:http/outgoing-handler`, so the deploying host's
//! own egress controls apply. No limit is enforced here: the host's are.

use std::cell::RefCell;

use rquickjs::{Ctx, Object, Persistent, Value};
use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam, Scheme,
};
use wasip2::io::streams::StreamError;

use crate::bindings::isobox::sandbox::console::Level;
use crate::bindings::isobox::sandbox::types::{CodeForm, ErrorKind, HttpRequest, ModuleKind, ModuleSource, Phase};
use crate::failure::Failure;

/// The JS stack a request may use (the guest links 1 MiB of shadow stack).
const STACK_BYTES: u32 = 256 * 1024;
/// The largest request body read.
const MAX_REQUEST_BODY: usize = 16 << 20;
/// The largest response body written.
const MAX_RESPONSE_BODY: u32 = 64 << 20;
/// The most bytes `blocking-write-and-flush` accepts at once.
const WRITE_CHUNK: usize = 4096;

thread_local! {
    /// The app's default export, kept from wizer time.
    static APP: RefCell<Option<Persistent<Value<'static>>>> = const { RefCell::new(None) };
    /// The app's static files, read at wizer time, answered before the JS.
    static ASSETS: RefCell<Option<isobox_assets::Assets>> = const { RefCell::new(None) };
}

/// Writes a console line to stderr.
pub fn log(level: Level, message: &str) -> bool {
    let prefix = match level {
        Level::Debug => "debug: ",
        Level::Info | Level::Log => "",
        Level::Warn => "warn: ",
        Level::Error => "error: ",
    };
    let stderr = wasip2::cli::stderr::get_stderr();
    let line = format!("{prefix}{message}\n");
    for chunk in line.as_bytes().chunks(WRITE_CHUNK) {
        if stderr.blocking_write_and_flush(chunk).is_err() {
            break;
        }
    }
    true
}

/// `wizer-initialize`: the engine, then the app from stdin.
pub fn initialise() {
    crate::engine::initialise();
    let loaded = crate::engine::with_context(|ctx| {
        crate::engine::arm_stack_limit(ctx, STACK_BYTES);
        let loaded = load(ctx);
        crate::rejections::report(ctx);
        loaded
    });
    let report = match loaded {
        Ok(()) => "{\"ok\":true}".to_owned(),
        Err(failure) => {
            let error = failure.into_guest_error();
            let text = |value: Option<&str>| value.map_or_else(|| "null".to_owned(), crate::modules::string_literal);
            let number = |value: Option<u32>| value.map_or_else(|| "null".to_owned(), |n| n.to_string());
            format!(
                "{{\"ok\":false,\"phase\":{},\"kind\":{},\"name\":{},\"message\":{},\"stack\":{},\"line\":{},\"column\":{}}}",
                crate::modules::string_literal(phase_name(error.phase)),
                crate::modules::string_literal(kind_name(error.kind)),
                text(error.name.as_deref()),
                crate::modules::string_literal(&error.message),
                text(error.stack.as_deref()),
                number(error.line),
                number(error.column),
            )
        }
    };
    let stdout = wasip2::cli::stdout::get_stdout();
    for chunk in format!("{report}\n").as_bytes().chunks(WRITE_CHUNK) {
        let _ = stdout.blocking_write_and_flush(chunk);
    }
}

fn load(ctx: &Ctx<'_>) -> Result<(), Failure> {
    let bad = |message: &str| Failure::new(Phase::Compile, ErrorKind::InvalidInput, None, message);
    let mut bundle =
        read_all(wasip2::cli::stdin::get_stdin(), usize::MAX).map_err(|()| bad("cannot read the bundle"))?;
    // The static files follow the JSON after a NUL (JSON text has none).
    let files = match bundle.iter().position(|&byte| byte == 0) {
        Some(at) => {
            let files = read_asset_files(&bundle[at + 1..]).ok_or_else(|| bad("the bundle's assets are malformed"))?;
            bundle.truncate(at);
            Some(files)
        }
        None => None,
    };
    let bundle = String::from_utf8(bundle).map_err(|_| bad("the bundle is not UTF-8"))?;
    let bundle = ctx.json_parse(bundle).map_err(|_| {
        let _ = ctx.catch();
        bad("the bundle is not JSON")
    })?;
    let bundle = bundle.into_object().ok_or_else(|| bad("the bundle is not an object"))?;
    let field = |object: &Object<'_>, name: &str| -> Result<String, Failure> {
        object.get::<_, String>(name).map_err(|_| {
            let _ = ctx.catch();
            bad("the bundle lacks a field")
        })
    };
    let code = field(&bundle, "code")?;
    let filename = field(&bundle, "filename")?;
    let list: Vec<Object> = bundle.get("modules").map_err(|_| {
        let _ = ctx.catch();
        bad("the bundle's modules are not a list")
    })?;
    // A table of the host's resolution: `[[specifier, module], ...]`.
    let table = |object: &Object<'_>, name: &str| -> Result<Vec<(String, String)>, Failure> {
        let not_pairs = || bad("the bundle has an import table that is not a list of pairs");
        let pairs: Option<Vec<Vec<String>>> = object.get(name).map_err(|_| {
            let _ = ctx.catch();
            not_pairs()
        })?;
        pairs
            .unwrap_or_default()
            .into_iter()
            .map(|pair| match <[String; 2]>::try_from(pair) {
                Ok([specifier, module]) => Ok((specifier, module)),
                Err(_) => Err(not_pairs()),
            })
            .collect()
    };
    let mut modules = Vec::new();
    for module in &list {
        let kind = match field(module, "kind")?.as_str() {
            "json" => ModuleKind::Json,
            "text" => ModuleKind::Text,
            _ => ModuleKind::Js,
        };
        // A linked module (a package's) resolves through its own table and
        // is loaded when first imported, at wizer time like the rest.
        let linked: Option<bool> = module.get("linked").map_err(|_| {
            let _ = ctx.catch();
            bad("the bundle has a module whose `linked` is not a boolean")
        })?;
        modules.push(ModuleSource {
            name: field(module, "name")?,
            kind,
            source: field(module, "source")?,
            imports: table(module, "imports")?,
            eager: linked.unwrap_or(false),
            compiled: None,
        });
    }
    if let Some(files) = files {
        let options: Object = bundle.get("assets").map_err(|_| {
            let _ = ctx.catch();
            bad("the bundle has assets but no `assets` options")
        })?;
        let option = |name: &str| -> Result<String, Failure> { field(&options, name) };
        let mut config = isobox_assets::AssetConfig::default();
        let html_handling = option("html_handling")?;
        if !html_handling.is_empty() {
            config.html_handling = html_handling
                .parse()
                .map_err(|e: isobox_assets::UnknownOption| bad(&e.to_string()))?;
        }
        let not_found = option("not_found")?;
        if !not_found.is_empty() {
            config.not_found_handling = not_found
                .parse()
                .map_err(|e: isobox_assets::UnknownOption| bad(&e.to_string()))?;
        }
        let assets = isobox_assets::Assets::from_files(files, config).map_err(|e| bad(&e.to_string()))?;
        ASSETS.with(|slot| *slot.borrow_mut() = Some(assets));
    }
    let entry_imports = table(&bundle, "entry_imports")?;
    crate::modules::set(modules, &filename, entry_imports);
    crate::web::start_run();
    let form = crate::eval::compile(ctx, &code, &filename, CodeForm::Module)?;
    let app = crate::worker::load(ctx, form)?;
    APP.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, app)));
    Ok(())
}

/// The static files after the bundle's NUL: per file a u32 path length,
/// the path, a u64 body length and the body (little-endian).
fn read_asset_files(mut bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    while !bytes.is_empty() {
        let (length, rest) = bytes.split_first_chunk::<4>()?;
        let (path, rest) = rest.split_at_checked(usize::try_from(u32::from_le_bytes(*length)).ok()?)?;
        let (length, rest) = rest.split_first_chunk::<8>()?;
        let (body, rest) = rest.split_at_checked(usize::try_from(u64::from_le_bytes(*length)).ok()?)?;
        files.push((String::from_utf8(path.to_vec()).ok()?, body.to_vec()));
        bytes = rest;
    }
    Some(files)
}

/// The answer of the app's static files to a GET or HEAD, if one names a
/// file (or a rule such as the SPA fallback applies): the JS never runs.
fn asset_response(request: &IncomingRequest) -> Option<HttpResponse> {
    ASSETS.with(|slot| {
        let slot = slot.borrow();
        let assets = slot.as_ref()?;
        let method = match request.method() {
            Method::Get => http::Method::GET,
            Method::Head => http::Method::HEAD,
            _ => return None,
        };
        let path = request.path_with_query().unwrap_or_else(|| "/".to_owned());
        // Pairs, not an `http::HeaderMap`: its hash keys would import
        // `wasi:random/insecure-seed`, which the proxy world lacks.
        let headers: Vec<(http::HeaderName, http::HeaderValue)> = request
            .headers()
            .entries()
            .into_iter()
            .filter_map(|(name, value)| {
                Some((
                    http::HeaderName::from_bytes(name.as_bytes()).ok()?,
                    http::HeaderValue::from_bytes(&value).ok()?,
                ))
            })
            .collect();
        let response = assets.respond_to(&method, &path, &headers)?;
        let head = method == http::Method::HEAD;
        Some(HttpResponse {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                // A HEAD response has no body to match its length.
                .filter(|(name, _)| !(head && **name == http::header::CONTENT_LENGTH))
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: response.into_body().to_vec(),
        })
    })
}

/// Reads a stream to its end; `Err` past `max` bytes or on a failure.
fn read_all(stream: wasip2::io::streams::InputStream, max: usize) -> Result<Vec<u8>, ()> {
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if bytes.len() + chunk.len() > max {
                    return Err(());
                }
                bytes.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(_)) => return Err(()),
        }
    }
}

/// `wasi:http/incoming-handler.handle`.
pub struct App;

impl wasip2::exports::http::incoming_handler::Guest for App {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        crate::random::seed(wasip2::random::random::get_random_u64());
        crate::web::start_run();
        if let Some(response) = asset_response(&request) {
            drop(request);
            return send(out, response);
        }
        let http = match read_request(&request) {
            Ok(http) => http,
            Err(response) => return send(out, response),
        };
        drop(request);
        crate::engine::with_context(|ctx| {
            crate::engine::arm_stack_limit(ctx, STACK_BYTES);
            match start(ctx, &http) {
                Ok(mut answer) => stream(ctx, out, &mut answer),
                Err(failure) => send(out, plain(500, &report(failure))),
            }
            crate::rejections::report(ctx);
        });
    }
}

/// Calls the app's handler: the Response's head, its body still to read.
fn start<'js>(ctx: &Ctx<'js>, http: &HttpRequest) -> Result<crate::worker::Answer<'js>, Failure> {
    let app = APP
        .with(|slot| slot.borrow().clone())
        .and_then(|app| app.restore(ctx).ok())
        .ok_or_else(|| Failure::new(Phase::Run, ErrorKind::InvalidInput, None, "the app was not initialised"))?;
    let env = Object::new(ctx.clone()).map_err(|_| Failure::from_pending(ctx, Phase::Run))?;
    crate::worker::start(ctx, app, http, env.into_value())
}

/// Sends the head, then each chunk of the body as the handler's stream
/// gives it (a streamed Response reaches the client as it is made), then
/// waits for `ctx.waitUntil` work. A failure after the head (the stream
/// errors, the body passes MAX_RESPONSE_BODY) is logged and the body is left
/// unfinished, so the client sees it cut short rather than complete.
fn stream<'js>(ctx: &Ctx<'js>, out: ResponseOutparam, answer: &mut crate::worker::Answer<'js>) {
    let outgoing = OutgoingResponse::new(fields(&answer.headers));
    let _ = outgoing.set_status_code(answer.status);
    let Ok(body) = outgoing.body() else {
        ResponseOutparam::set(out, Ok(outgoing));
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    let mut failure = None;
    if let Ok(output) = body.write() {
        let mut written = 0;
        loop {
            match answer.next_chunk(ctx) {
                Ok(Some(chunk)) => {
                    written += chunk.len();
                    if written > MAX_RESPONSE_BODY as usize {
                        failure = Some(crate::worker::body_over_limit(written, MAX_RESPONSE_BODY));
                        break;
                    }
                    // A client that went away ends the body early.
                    if chunk
                        .chunks(WRITE_CHUNK)
                        .any(|piece| output.blocking_write_and_flush(piece).is_err())
                    {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
    }
    if let Err(error) = answer.finish(ctx) {
        failure.get_or_insert(error);
    }
    match failure {
        None => {
            let _ = OutgoingBody::finish(body, None);
        }
        Some(failure) => {
            report(failure);
        }
    }
}

/// Logs a failure as an error line and gives its one-line text.
fn report(failure: Failure) -> String {
    let error = failure.into_guest_error();
    let mut text = format!("error [{} / {}]: ", phase_name(error.phase), kind_name(error.kind));
    if let Some(name) = &error.name {
        text.push_str(name);
        text.push_str(": ");
    }
    text.push_str(&error.message);
    log(
        Level::Error,
        &format!("{text}{}", error.stack.map(|s| format!("\n{s}")).unwrap_or_default()),
    );
    text
}

/// Response headers as wasi:http fields. `worker::start` kept them within
/// the caps under which wasi:http's header map cannot trap; headers the
/// host forbids (connection, ...) are left out.
fn fields(headers: &[(String, String)]) -> Fields {
    let fields = Fields::new();
    for (name, value) in headers {
        let _ = fields.append(name, value.as_bytes());
    }
    fields
}

/// A response the app makes itself (an error), body whole.
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn plain(status: u16, text: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: format!("{text}\n").into_bytes(),
    }
}

/// The incoming request in the worker's form, or the response refusing it.
fn read_request(request: &IncomingRequest) -> Result<HttpRequest, HttpResponse> {
    let method = match request.method() {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other,
    };
    let scheme = match request.scheme() {
        Some(Scheme::Https) => "https".to_owned(),
        Some(Scheme::Other(other)) => other,
        _ => "http".to_owned(),
    };
    let authority = request.authority().unwrap_or_else(|| "localhost".to_owned());
    let path = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let headers = request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let body = match request.consume() {
        Ok(body) => read_body(body)?,
        Err(()) => Vec::new(),
    };
    Ok(HttpRequest {
        method,
        url: format!("{scheme}://{authority}{path}"),
        headers,
        body,
    })
}

fn read_body(body: IncomingBody) -> Result<Vec<u8>, HttpResponse> {
    let stream = body
        .stream()
        .map_err(|()| plain(400, "the request body could not be read"))?;
    let bytes = read_all(stream, MAX_REQUEST_BODY).map_err(|()| {
        plain(
            413,
            &format!("the request body is over {MAX_REQUEST_BODY} bytes or could not be read"),
        )
    })?;
    drop(body);
    Ok(bytes)
}

/// Sends a whole response (a refusal or an error).
fn send(out: ResponseOutparam, response: HttpResponse) {
    let outgoing = OutgoingResponse::new(fields(&response.headers));
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        ResponseOutparam::set(out, Ok(outgoing));
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    if let Ok(stream) = body.write() {
        for chunk in response.body.chunks(WRITE_CHUNK) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Compile => "compile",
        Phase::Run => "run",
        Phase::Serialise => "serialise",
    }
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::JsError => "js-error",
        ErrorKind::StackOverflow => "stack-overflow",
        ErrorKind::OutOfMemory => "out-of-memory",
        ErrorKind::Unsettled => "unsettled",
        ErrorKind::Unserialisable => "unserialisable",
        ErrorKind::OutputLimit => "output-limit",
        ErrorKind::InvalidInput => "invalid-input",
    }
}
