//! `env.<binding>.<method>(...)`: calls to the capabilities granted to the
//! run. Arguments are flattened into a JS value tree the host checks against
//! the capability's WIT types; the call runs on the host while the event loop
//! waits on its pollable, so several calls can be in flight at once.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rquickjs::{Array, ArrayBuffer, BigInt, Ctx, Exception, Function, Object, Persistent, TypedArray, Value};
use wasip2::io::poll::Pollable;

use crate::bindings::isobox::sandbox::bridge::{self, CallError, JsNode, PendingCall, Started};
use crate::bindings::isobox::sandbox::types::Binding;

const PRELUDE: &str = include_str!("bridge.js");

/// The deepest argument value sent to the host.
const MAX_DEPTH: usize = 64;
/// The most nodes in one call's arguments.
const MAX_NODES: usize = 1_000_000;

/// A call the event loop waits for, and the promise it settles.
struct Waiting {
    call: PendingCall,
    resolve: Persistent<Function<'static>>,
    reject: Persistent<Function<'static>>,
}

thread_local! {
    static WAITING: RefCell<BTreeMap<u32, Waiting>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
    /// `{ makeEnv, makeError }` from bridge.js.
    static JS: RefCell<Option<Persistent<Object<'static>>>> = const { RefCell::new(None) };
}

/// Installs the bridge's JS side. Runs at wizer time.
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:env", PRELUDE)?;
    let native = Object::new(ctx.clone())?;
    native.set("call", Function::new(ctx.clone(), start)?)?;
    let js: Object = installer.call((native,))?;
    JS.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, js)));
    Ok(())
}

fn js<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    JS.with(|slot| slot.borrow().clone())
        .ok_or(rquickjs::Error::Unknown)?
        .restore(ctx)
}

/// The run's `env`: one frozen object per granted binding.
pub fn make_env<'js>(ctx: &Ctx<'js>, bindings: &[Binding]) -> rquickjs::Result<Value<'js>> {
    if bindings.is_empty() {
        return Ok(Object::new(ctx.clone())?.into_value());
    }
    let list = Array::new(ctx.clone())?;
    for (index, binding) in bindings.iter().enumerate() {
        let entry = Object::new(ctx.clone())?;
        entry.set("name", binding.name.as_str())?;
        entry.set("methods", binding.methods.clone())?;
        list.set(index, entry)?;
    }
    let make: Function = js(ctx)?.get("makeEnv")?;
    make.call((list,))
}

/// Starts a call and settles its promise: now when the host finished it at
/// once, else when the event loop sees it done.
fn start<'js>(
    ctx: Ctx<'js>,
    binding: String,
    method: String,
    args: Value<'js>,
    resolve: Function<'js>,
    reject: Function<'js>,
) -> rquickjs::Result<()> {
    let mut nodes = Vec::new();
    let mut path = Vec::new();
    let mut at = Where {
        call: (&binding, &method),
        segments: Vec::new(),
    };
    flatten(&ctx, &args, &mut nodes, &mut path, &mut at)?;
    match bridge::start(&binding, &method, &nodes) {
        Started::Done(result) => settle(&ctx, result, &resolve, &reject),
        Started::Pending(call) => {
            let id = crate::event_loop::next_id(&NEXT_ID);
            let waiting = Waiting {
                call,
                resolve: Persistent::save(&ctx, resolve),
                reject: Persistent::save(&ctx, reject),
            };
            WAITING.with(|all| all.borrow_mut().insert(id, waiting));
            Ok(())
        }
    }
}

/// Where in a call's arguments a value is, written only for an error:
/// `kv.put: args[1].items[3]`.
struct Where<'a> {
    call: (&'a str, &'a str),
    segments: Vec<Segment>,
}

enum Segment {
    Index(usize),
    Key(String),
}

impl std::fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}: args", self.call.0, self.call.1)?;
        for segment in &self.segments {
            match segment {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(key) => write!(f, ".{key}")?,
            }
        }
        Ok(())
    }
}

/// The UTF-8 of a string crossing to a capability; one holding a lone
/// surrogate is a TypeError naming where it is.
fn well_formed(ctx: &Ctx<'_>, text: &rquickjs::String<'_>, at: &Where<'_>, what: &str) -> rquickjs::Result<String> {
    match text.to_string() {
        Err(rquickjs::Error::Utf8(_)) => Err(Exception::throw_type(
            ctx,
            &format!(
                "{at}: {what} holds a lone surrogate (half of a UTF-16 pair), which cannot cross to a \
                 capability: pass text.toWellFormed() to replace it with U+FFFD"
            ),
        )),
        other => other,
    }
}

/// Appends `value` (and what it holds) to `nodes`; returns its index.
/// `path` holds the containers being flattened, to refuse cycles.
fn flatten<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    nodes: &mut Vec<JsNode>,
    path: &mut Vec<Value<'js>>,
    at: &mut Where<'_>,
) -> rquickjs::Result<u32> {
    if nodes.len() >= MAX_NODES {
        return Err(Exception::throw_range(
            ctx,
            &format!("{at}: the arguments are too large"),
        ));
    }
    let index = nodes.len() as u32;
    let simple = if value.is_undefined() {
        Some(JsNode::Undefined)
    } else if value.is_null() {
        Some(JsNode::Null)
    } else if let Some(b) = value.as_bool() {
        Some(JsNode::Boolean(b))
    } else if let Some(n) = value.as_number() {
        Some(JsNode::Number(n))
    } else if let Some(s) = value.as_string() {
        Some(JsNode::Text(well_formed(ctx, s, at, "the string")?))
    } else if value.is_big_int() {
        let big: BigInt = value.clone().into_big_int().ok_or(rquickjs::Error::Unknown)?;
        let text: String = ctx.globals().get::<_, Function>("String")?.call((big,))?;
        Some(JsNode::Bigint(text))
    } else if let Ok(bytes) = TypedArray::<u8>::from_value(value.clone()) {
        // SAFETY: the bytes are copied before any JS runs again.
        Some(JsNode::Bytes(
            unsafe { bytes.as_bytes() }.map(<[u8]>::to_vec).unwrap_or_default(),
        ))
    } else {
        value
            .as_object()
            .and_then(|o| ArrayBuffer::from_object(o.clone()))
            .map(|buffer| {
                // SAFETY: the bytes are copied before any JS runs again.
                JsNode::Bytes(unsafe { buffer.as_bytes() }.map(<[u8]>::to_vec).unwrap_or_default())
            })
    };
    if let Some(node) = simple {
        nodes.push(node);
        return Ok(index);
    }
    if value.is_function() || value.is_symbol() {
        let what = if value.is_function() { "a function" } else { "a symbol" };
        return Err(Exception::throw_type(
            ctx,
            &format!("{at}: {what} cannot be passed to a capability"),
        ));
    }
    let Some(object) = value.as_object() else {
        return Err(Exception::throw_type(
            ctx,
            &format!("{at}: this value cannot be passed to a capability"),
        ));
    };
    if path.len() >= MAX_DEPTH {
        return Err(Exception::throw_range(
            ctx,
            &format!("{at}: the value is nested too deeply"),
        ));
    }
    if path.iter().any(|seen| seen == value) {
        return Err(Exception::throw_type(ctx, &format!("{at}: the value contains a cycle")));
    }
    nodes.push(JsNode::Null);
    path.push(value.clone());
    let node = if let Some(array) = object.as_array() {
        let mut items = Vec::with_capacity(array.len());
        for (i, item) in array.iter::<Value>().enumerate() {
            at.segments.push(Segment::Index(i));
            items.push(flatten(ctx, &item?, nodes, path, at)?);
            at.segments.pop();
        }
        JsNode::Array(items)
    } else {
        let mut entries = Vec::new();
        for key in object.keys::<rquickjs::String>() {
            let key = well_formed(ctx, &key?, at, "a key")?;
            let item: Value = object.get(key.as_str())?;
            at.segments.push(Segment::Key(key.clone()));
            let child = flatten(ctx, &item, nodes, path, at)?;
            at.segments.pop();
            entries.push((key, child));
        }
        JsNode::Object(entries)
    };
    path.pop();
    nodes[index as usize] = node;
    Ok(index)
}

/// Rebuilds the JS value of a node tree from the host (node 0 is the root).
fn unflatten<'js>(ctx: &Ctx<'js>, nodes: &[JsNode], index: u32, depth: usize) -> rquickjs::Result<Value<'js>> {
    let Some(node) = nodes.get(index as usize) else {
        return Ok(Value::new_undefined(ctx.clone()));
    };
    if depth > MAX_DEPTH * 2 {
        return Err(Exception::throw_range(
            ctx,
            "a capability's result is nested too deeply",
        ));
    }
    Ok(match node {
        JsNode::Undefined => Value::new_undefined(ctx.clone()),
        JsNode::Null => Value::new_null(ctx.clone()),
        JsNode::Boolean(b) => Value::new_bool(ctx.clone(), *b),
        JsNode::Number(n) => Value::new_number(ctx.clone(), *n),
        JsNode::Bigint(text) => {
            let big: Function = ctx.globals().get("BigInt")?;
            big.call((text.as_str(),))?
        }
        JsNode::Text(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        JsNode::Bytes(bytes) => TypedArray::<u8>::new(ctx.clone(), bytes.clone())?.into_value(),
        JsNode::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                array.set(i, unflatten(ctx, nodes, *item, depth + 1)?)?;
            }
            array.into_value()
        }
        JsNode::Object(entries) => {
            let object = Object::new(ctx.clone())?;
            for (key, item) in entries {
                object.set(key.as_str(), unflatten(ctx, nodes, *item, depth + 1)?)?;
            }
            object.into_value()
        }
    })
}

/// True while a call is in flight.
pub fn pending() -> bool {
    WAITING.with(|waiting| !waiting.borrow().is_empty())
}

/// A pollable for every call in flight, with its id.
pub fn pollables() -> Vec<(u32, Pollable)> {
    WAITING.with(|waiting| {
        waiting
            .borrow()
            .iter()
            .map(|(id, waiting)| (*id, waiting.call.subscribe()))
            .collect()
    })
}

/// Settles the promises of the calls that finished among `ready`.
pub fn dispatch(ctx: &Ctx<'_>, ready: &[u32]) {
    for &id in ready {
        let Some(waiting) = WAITING.with(|all| all.borrow_mut().remove(&id)) else {
            continue;
        };
        let Some(result) = waiting.call.take() else {
            WAITING.with(|all| all.borrow_mut().insert(id, waiting));
            continue;
        };
        let Waiting { call, resolve, reject } = waiting;
        drop(call);
        let (Ok(resolve), Ok(reject)) = (resolve.restore(ctx), reject.restore(ctx)) else {
            continue;
        };
        if settle(ctx, result, &resolve, &reject).is_err() {
            crate::rejections::report_uncaught(ctx);
        }
    }
}

/// Resolves with the result, or rejects with the error it describes.
fn settle<'js>(
    ctx: &Ctx<'js>,
    result: Result<Vec<JsNode>, CallError>,
    resolve: &Function<'js>,
    reject: &Function<'js>,
) -> rquickjs::Result<()> {
    match result {
        Ok(nodes) => {
            let value = unflatten(ctx, &nodes, 0, 0)?;
            resolve.call((value,))
        }
        Err(error) => {
            let make: Function = js(ctx)?.get("makeError")?;
            let (has_value, value) = match &error.value {
                Some(nodes) => (true, unflatten(ctx, nodes, 0, 0)?),
                None => (false, Value::new_undefined(ctx.clone())),
            };
            let thrown: Value = make.call((error.name.as_str(), error.message.as_str(), has_value, value))?;
            reject.call((thrown,))
        }
    }
}
