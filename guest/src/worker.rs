//! Workers-style HTTP handlers: a module whose default export has
//! `fetch(request, env, ctx)`. This side checks and normalises the request's
//! parts as `new Request` would and takes the answer out; the JS side
//! (worker.js) makes the Request of those parts, calls the handler, reads
//! the Response's body and waits for `ctx.waitUntil`.
//! The sandbox (`run` with an HTTP request) and the built app
//! (`isobox build`, `wasi:http/incoming-handler`) share it.

use std::cell::RefCell;

use rquickjs::promise::PromiseState;
use rquickjs::{Array, Ctx, Function, Object, Persistent, TypedArray, Value, qjs};

use crate::bindings::isobox::sandbox::types::{ErrorKind, HttpRequest, Phase};
use crate::eval::Form;
use crate::failure::Failure;

const PRELUDE: &str = include_str!("worker.js");

thread_local! {
    /// `{ check, dispatch }` from worker.js.
    static JS: RefCell<Option<Persistent<Object<'static>>>> = const { RefCell::new(None) };
}

/// Installs the JS side. Runs at wizer time and calls no host import.
/// `fetch_parts` are fetch.js's for the glue (`takeBody`,
/// `requestFromHost`, `responseHead`).
pub fn install<'js>(ctx: &Ctx<'js>, fetch_parts: Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:worker", PRELUDE)?;
    let js: Object = installer.call((fetch_parts,))?;
    JS.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, js)));
    Ok(())
}

fn js_function<'js>(ctx: &Ctx<'js>, name: &str) -> Result<Function<'js>, Failure> {
    let internal = || Failure::new(Phase::Run, ErrorKind::InvalidInput, None, "the worker glue is missing");
    let js = JS.with(|slot| slot.borrow().clone()).ok_or_else(internal)?;
    let js = js.restore(ctx).map_err(|_| internal())?;
    js.get(name).map_err(|_| Failure::from_pending(ctx, Phase::Run))
}

/// Evaluates the compiled worker module and gives its default export, checked
/// to have a `fetch` handler.
pub fn load<'js>(ctx: &Ctx<'js>, form: Form<'js>) -> Result<Value<'js>, Failure> {
    let Form::Module(module) = form else {
        return Err(Failure::new(
            Phase::Compile,
            ErrorKind::InvalidInput,
            Some("TypeError"),
            "a worker must be an ES module: write `export default { async fetch(request, env, ctx) { ... } }`",
        ));
    };
    let app = crate::eval::module_default(ctx, module)?;
    let check = js_function(ctx, "check")?;
    check
        .call::<_, Value>((app.clone(),))
        // A missing handler is the code's shape, not a thrown error.
        .map_err(|_| Failure::from_pending(ctx, Phase::Run).with_kind(ErrorKind::InvalidInput))?;
    Ok(app)
}

/// A handler's Response: its head, checked, and its body still to read.
pub struct Answer<'js> {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body, when the Response was made of bytes: given whole by the
    /// first `next_chunk`.
    bytes: Option<Vec<u8>>,
    /// `read()`, when the body is a stream: a promise of the next chunk, or
    /// of null at the end.
    read: Option<Function<'js>>,
    /// `finish()`: nothing, or a promise that settles once `ctx.waitUntil`
    /// work has.
    finish: Function<'js>,
}

impl<'js> Answer<'js> {
    /// The body's next chunk (driving the event loop until it is there), or
    /// `None` at its end.
    pub fn next_chunk(&mut self, ctx: &Ctx<'js>) -> Result<Option<Vec<u8>>, Failure> {
        if let Some(bytes) = self.bytes.take().filter(|bytes| !bytes.is_empty()) {
            return Ok(Some(bytes));
        }
        let Some(read) = &self.read else {
            return Ok(None);
        };
        let promise: Value = read.call(()).map_err(|_| Failure::from_pending(ctx, Phase::Run))?;
        let chunk = crate::engine::settle(ctx, promise)?;
        if chunk.is_null() {
            return Ok(None);
        }
        let chunk = TypedArray::<u8>::from_value(chunk).map_err(|_| Failure::from_pending(ctx, Phase::Run))?;
        // SAFETY: the bytes are copied before any JS runs again.
        Ok(Some(unsafe { chunk.as_slice() }.to_vec()))
    }

    /// Waits for every `ctx.waitUntil` promise.
    pub fn finish(&self, ctx: &Ctx<'js>) -> Result<(), Failure> {
        let promise: Value = self
            .finish
            .call(())
            .map_err(|_| Failure::from_pending(ctx, Phase::Run))?;
        crate::engine::settle(ctx, promise).map(|_| ())
    }
}

/// The `output-limit` failure of a body over the limit.
pub fn body_over_limit(bytes: usize, max_body_bytes: u32) -> Failure {
    Failure::new(
        Phase::Serialise,
        ErrorKind::OutputLimit,
        None,
        &format!("the response body is over {max_body_bytes} bytes (the result_bytes limit); {bytes} bytes were read"),
    )
}

/// Calls `app.fetch` with `request` and `env` and drives the event loop
/// until the handler's Response is there; its head is checked (status and
/// headers within their caps) and its body is left to read.
pub fn start<'js>(
    ctx: &Ctx<'js>,
    app: Value<'js>,
    request: &HttpRequest,
    env: Value<'js>,
) -> Result<Answer<'js>, Failure> {
    let pending = |ctx: &Ctx<'js>| Failure::from_pending(ctx, Phase::Run);
    let dispatch = js_function(ctx, "dispatch")?;
    // The Request's parts as its constructor would make them; the JS side
    // takes them as they are.
    let parts = crate::fetch::request_parts(&request.method, &request.url, &request.headers)
        .map_err(|message| Failure::new(Phase::Run, ErrorKind::JsError, Some("TypeError"), &message))?;
    let headers = Array::new(ctx.clone()).map_err(|_| pending(ctx))?;
    for (index, (name, value)) in parts.headers.into_iter().enumerate() {
        let pair = Array::new(ctx.clone()).map_err(|_| pending(ctx))?;
        pair.set(0, name)
            .and_then(|()| pair.set(1, value))
            .and_then(|()| headers.set(index, pair))
            .map_err(|_| pending(ctx))?;
    }
    let method = parts.method;
    let body = if request.body.is_empty() || method == "GET" || method == "HEAD" {
        Value::new_null(ctx.clone())
    } else {
        TypedArray::<u8>::new(ctx.clone(), request.body.as_slice())
            .map_err(|_| pending(ctx))?
            .into_value()
    };
    let head: Value = dispatch
        .call((app, method, parts.url, headers, body, env))
        .map_err(|_| pending(ctx))?;
    let head = match head.as_array().filter(|answer| answer.len() == 1) {
        Some(answer) => answer_head(ctx, answer.get(0).map_err(|_| pending(ctx))?)?,
        None => head,
    };
    let head = crate::engine::settle(ctx, head)?;
    let head = head.into_array().ok_or_else(|| pending(ctx))?;
    let status: u16 = head.get(0).map_err(|_| pending(ctx))?;
    let list: Vec<Vec<String>> = head.get(1).map_err(|_| pending(ctx))?;
    let bytes: Option<TypedArray<u8>> = head.get(2).map_err(|_| pending(ctx))?;
    let read: Option<Function> = head.get(3).map_err(|_| pending(ctx))?;
    let finish: Function = head.get(4).map_err(|_| pending(ctx))?;
    let list = combine_headers(list);
    let header_bytes = crate::fetch::header_section_bytes(&list);
    if header_bytes > MAX_RESPONSE_HEADER_BYTES || list.len() > MAX_RESPONSE_HEADER_FIELDS {
        let _ = finish.call::<_, Value>(());
        return Err(Failure::new(
            Phase::Serialise,
            ErrorKind::OutputLimit,
            None,
            &format!(
                "the response headers are {header_bytes} bytes in {} fields, over the \
                 {MAX_RESPONSE_HEADER_BYTES} bytes or {MAX_RESPONSE_HEADER_FIELDS} fields a response may carry",
                list.len()
            ),
        ));
    }
    Ok(Answer {
        status,
        headers: list
            .into_iter()
            .filter_map(|pair| <[String; 2]>::try_from(pair).ok())
            .map(|[name, value]| (name, value))
            .collect(),
        // SAFETY: the bytes are copied before any JS runs again.
        bytes: bytes.map(|bytes| unsafe { bytes.as_slice() }.to_vec()),
        read,
        finish,
    })
}

/// The head (or a promise of it) of a handler's answer that was not a
/// Response: a promise already fulfilled, with no job pending that could run
/// before the glue's `await` would, goes to `resolved` at once; anything
/// else to `later`, which awaits it.
fn answer_head<'js>(ctx: &Ctx<'js>, answer: Value<'js>) -> Result<Value<'js>, Failure> {
    let fulfilled = answer
        .as_promise()
        // Only a fulfilled one: `result` of a rejected promise throws its
        // reason, which `later` handles instead.
        .filter(|promise| promise.state() == PromiseState::Resolved && !jobs_pending(ctx))
        .and_then(|promise| promise.result::<Value>())
        .and_then(Result::ok);
    let (name, argument) = match fulfilled {
        Some(value) => ("resolved", value),
        None => ("later", answer),
    };
    js_function(ctx, name)?
        .call((argument,))
        .map_err(|_| Failure::from_pending(ctx, Phase::Run))
}

/// Whether a job (a promise reaction) is waiting to run.
fn jobs_pending(ctx: &Ctx<'_>) -> bool {
    // SAFETY: the runtime pointer comes from a live context; the call only
    // reads the runtime's job list.
    unsafe { qjs::JS_IsJobPending(qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) }
}

/// A Response's header list as `Headers` iterates it: sorted by name (a
/// stable sort, so one name's values keep their order), the values of one
/// name joined with ", ", except `set-cookie`'s, which stay apart. The
/// names are lowercase ASCII, so byte order is JS's order.
fn combine_headers(mut list: Vec<Vec<String>>) -> Vec<Vec<String>> {
    list.retain(|pair| pair.len() == 2);
    list.sort_by(|a, b| a[0].cmp(&b[0]));
    let mut combined: Vec<Vec<String>> = Vec::with_capacity(list.len());
    for pair in list {
        match combined.last_mut() {
            Some(last) if last[0] == pair[0] && pair[0] != "set-cookie" => {
                last[1].push_str(", ");
                last[1].push_str(&pair[1]);
            }
            _ => combined.push(pair),
        }
    }
    combined
}

/// The most header bytes (names, values and 4 per field) and fields a
/// handler's Response may carry, as a worker's or a built app's (under
/// them, wasi:http's header map cannot trap).
pub const MAX_RESPONSE_HEADER_BYTES: usize = 64 * 1024;
pub const MAX_RESPONSE_HEADER_FIELDS: usize = 4096;

/// The most bytes one `respond-chunk` carries: a larger chunk of the
/// Response's stream goes out in pieces, so the host's bounded buffer holds
/// a bounded number of bytes.
#[cfg_attr(feature = "proxy", allow(dead_code))]
const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// The sandbox's worker run: load the module, handle `request`, and stream
/// the Response to the host: the head as soon as the Response exists, each
/// chunk of its body as its stream gives it (within `max_body_bytes`; over
/// it: `output-limit`), the end, then `ctx.waitUntil` work. A failure after
/// the head returns an error without `respond-end`, so the host aborts the
/// body rather than ending it.
#[cfg_attr(feature = "proxy", allow(dead_code))]
pub fn run<'js>(
    ctx: &Ctx<'js>,
    form: Form<'js>,
    env: Value<'js>,
    request: &HttpRequest,
    max_body_bytes: u32,
) -> Result<Option<String>, Failure> {
    use crate::bindings::isobox::sandbox::worker;
    let app = load(ctx, form)?;
    let mut answer = start(ctx, app, request, env)?;
    worker::respond_head(answer.status, &answer.headers);
    let mut sent = 0usize;
    let read = loop {
        match answer.next_chunk(ctx) {
            Ok(Some(chunk)) => {
                sent += chunk.len();
                if sent > max_body_bytes as usize {
                    break Err(body_over_limit(sent, max_body_bytes));
                }
                if !chunk.chunks(MAX_CHUNK_BYTES).all(worker::respond_chunk) {
                    // The host ends the run as cancelled (or over its limit).
                    break Err(Failure::new(
                        Phase::Run,
                        ErrorKind::OutputLimit,
                        None,
                        "the host refused the response body: the client is gone or the body is over its limit",
                    ));
                }
            }
            Ok(None) => {
                worker::respond_end();
                break Ok(());
            }
            Err(failure) => break Err(failure),
        }
    };
    // waitUntil work ends before the run does, whatever the body did.
    let finished = answer.finish(ctx);
    read.and(finished)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::combine_headers;

    fn list(pairs: &[(&str, &str)]) -> Vec<Vec<String>> {
        pairs
            .iter()
            .map(|(n, v)| vec![(*n).to_owned(), (*v).to_owned()])
            .collect()
    }

    #[test]
    fn headers_go_out_as_headers_iterates_them() {
        let combined = combine_headers(list(&[
            ("x-b", "1"),
            ("set-cookie", "a=1"),
            ("content-type", "text/plain"),
            ("x-b", "2"),
            ("set-cookie", "b=2"),
        ]));
        assert_eq!(
            combined,
            list(&[
                ("content-type", "text/plain"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("x-b", "1, 2"),
            ])
        );
    }
}
