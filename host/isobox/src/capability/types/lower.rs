//! WIT to JavaScript: what an implementation returned, checked against the
//! function's declared result and turned into the node tree the guest
//! rebuilds as a JavaScript value.

use wasmtime::component::Val;

use super::error::{BridgeError, CallError};
use super::lift::Failure;
use super::model::{CapabilityInterface, Function, TypeKind, WitType};
use super::node::{JsNode, TreeLimits};
use super::path::{Path, Segment};
use crate::text::truncated as truncate;

/// The largest integer a JavaScript number holds exactly: 2^53 - 1.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// Checks what `method` returned (`results`: wasmtime's results slice,
/// empty for a function without a result) against its declared result and
/// converts it to the node tree the guest resolves the call's promise with.
/// A function without a result gives `undefined`. For a function returning
/// `result<T, E>`, `ok` gives the `T` itself (or `undefined`) and `err`
/// gives [`BridgeError::Call`] with the `E` as nodes. Uses
/// [`TreeLimits::default`].
///
/// ```text
/// use isobox::capability::{BridgeError, CapabilityInterface, JsNode, lower_result};
/// use wasmtime::component::Val;
///
/// let kv = CapabilityInterface::from_wit(
///     "package a:kv; interface store { get: func(key: string) -> result<option<u64>, string>; }",
///     "store",
/// )?;
/// let found = Val::Result(Ok(Some(Box::new(Val::Option(Some(Box::new(Val::U64(u64::MAX))))))));
/// assert_eq!(lower_result("kv", &kv, "get", &[found]).unwrap(), [JsNode::BigInt("18446744073709551615".into())]);
///
/// let failed = Val::Result(Err(Some(Box::new(Val::String("no such key".into())))));
/// let Err(BridgeError::Call(error)) = lower_result("kv", &kv, "get", &[failed]) else { panic!() };
/// assert_eq!(error.message, "kv.get: no such key");
/// assert_eq!(error.value, [JsNode::String("no such key".into())]);
/// # Ok::<(), isobox::capability::WitError>(())
/// ```
///
/// # Errors
/// [`BridgeError::Call`] for an `err`; [`BridgeError::BadResult`] with the
/// path when the value does not match the declared type;
/// [`BridgeError::TooLarge`] past the limits; [`BridgeError::UnknownMethod`].
pub fn lower_result(
    binding: &str,
    iface: &CapabilityInterface,
    method: &str,
    results: &[Val],
) -> Result<Vec<JsNode>, BridgeError> {
    lower_result_with_limits(binding, iface, method, results, &TreeLimits::default())
}

/// [`lower_result`] with explicit limits.
///
/// # Errors
/// As [`lower_result`].
pub fn lower_result_with_limits(
    binding: &str,
    iface: &CapabilityInterface,
    method: &str,
    results: &[Val],
    limits: &TreeLimits,
) -> Result<Vec<JsNode>, BridgeError> {
    let Some(function) = iface.function(method) else {
        return Err(BridgeError::UnknownMethod {
            binding: binding.to_owned(),
            method: truncate(method, 64),
            available: iface.functions().iter().map(|f| f.js_name.clone()).collect(),
        });
    };
    let fail = |failure: Failure| match failure {
        Failure::Mismatch { path, message } => BridgeError::BadResult {
            binding: binding.to_owned(),
            method: function.js_name.clone(),
            path,
            message,
        },
        Failure::Malformed(message) => BridgeError::BadResult {
            binding: binding.to_owned(),
            method: function.js_name.clone(),
            path: "result".to_owned(),
            message,
        },
        Failure::TooLarge(limit, unit) => BridgeError::TooLarge {
            binding: binding.to_owned(),
            method: function.js_name.clone(),
            what: "result",
            limit,
            unit,
        },
    };
    let mut lowerer = Lowerer {
        iface,
        out: Vec::new(),
        bytes: 0,
        limits,
        path: Path::new("result"),
    };
    match lowerer.top(function, results).map_err(fail)? {
        Outcome::Value => Ok(lowerer.out),
        Outcome::Error(err) => Err(BridgeError::Call(CallError {
            message: error_message(binding, &function.js_name, iface, err),
            value: lowerer.out,
        })),
    }
}

enum Outcome<'v> {
    Value,
    /// The `err` of a top-level `result`, with its payload's type and value.
    Error(Option<(&'v WitType, &'v Val)>),
}

struct Lowerer<'a> {
    iface: &'a CapabilityInterface,
    out: Vec<JsNode>,
    bytes: usize,
    limits: &'a TreeLimits,
    path: Path<'a>,
}

impl<'a> Lowerer<'a> {
    fn top<'v>(&mut self, function: &'a Function, results: &'v [Val]) -> Result<Outcome<'v>, Failure>
    where
        'a: 'v,
    {
        let val = match (&function.result, results) {
            (None, []) => {
                self.push(JsNode::Undefined)?;
                return Ok(Outcome::Value);
            }
            (Some(_), [val]) => val,
            (declared, _) => {
                let expected = if declared.is_some() { "one value" } else { "no value" };
                return Err(self.mismatch(format!("expected {expected}, got {} values", results.len())));
            }
        };
        let declared = function.result.as_ref().map(|ty| self.iface.resolve(ty));
        let Some(WitType::Result { ok, err }) = declared else {
            // A result type was declared: `declared` is `Some`.
            let ty = function
                .result
                .as_ref()
                .ok_or_else(|| Failure::Malformed("no result type".into()))?;
            self.lower(ty, val)?;
            return Ok(Outcome::Value);
        };
        let Val::Result(outcome) = val else {
            return Err(self.expected("result", val));
        };
        let (is_ok, side, payload) = match outcome {
            Ok(payload) => (true, ok, payload),
            Err(payload) => (false, err, payload),
        };
        self.path.push(Segment::Field(if is_ok { "ok" } else { "err" }));
        let lowered = match (side.as_deref(), payload.as_deref()) {
            (Some(ty), Some(val)) => self.lower(ty, val).map(|_| Some((ty, val))),
            (None, None) => self.push(JsNode::Undefined).map(|_| None),
            (Some(ty), None) => Err(self.mismatch(format!("expected {}, got nothing", ty.wit_name(self.iface)))),
            (None, Some(val)) => Err(self.expected("nothing", val)),
        }?;
        self.path.pop();
        Ok(if is_ok { Outcome::Value } else { Outcome::Error(lowered) })
    }

    fn mismatch(&self, message: String) -> Failure {
        Failure::Mismatch {
            path: self.path.to_string(),
            message,
        }
    }

    fn expected(&self, what: &str, got: &Val) -> Failure {
        self.mismatch(format!("expected {what}, got {}", describe(got)))
    }

    /// Appends a node, within the limits; returns its index.
    fn push(&mut self, node: JsNode) -> Result<u32, Failure> {
        self.account(node.payload_bytes())?;
        if self.out.len() >= self.limits.max_nodes {
            return Err(Failure::TooLarge(self.limits.max_nodes, "nodes"));
        }
        self.out.push(node);
        // At most `max_nodes` nodes; a limit past u32 is refused here.
        u32::try_from(self.out.len() - 1).map_err(|_| Failure::TooLarge(self.limits.max_nodes, "nodes"))
    }

    fn account(&mut self, bytes: usize) -> Result<(), Failure> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > self.limits.max_bytes {
            return Err(Failure::TooLarge(self.limits.max_bytes, "bytes"));
        }
        Ok(())
    }

    /// A container's node, filled in once its children are pushed.
    fn open(&mut self) -> Result<u32, Failure> {
        if self.path.depth() >= self.limits.max_depth {
            return Err(Failure::TooLarge(self.limits.max_depth, "levels of nesting"));
        }
        self.push(JsNode::Undefined)
    }

    fn close(&mut self, at: u32, node: JsNode) -> Result<u32, Failure> {
        self.account(node.payload_bytes())?;
        self.out[at as usize] = node;
        Ok(at)
    }

    fn number(&mut self, n: f64) -> Result<u32, Failure> {
        self.push(JsNode::Number(n))
    }

    fn lower(&mut self, ty: &'a WitType, val: &Val) -> Result<u32, Failure> {
        let ty = self.iface.resolve(ty);
        match (ty, val) {
            (WitType::Bool, Val::Bool(b)) => self.push(JsNode::Boolean(*b)),
            (WitType::U8, Val::U8(v)) => self.number(f64::from(*v)),
            (WitType::U16, Val::U16(v)) => self.number(f64::from(*v)),
            (WitType::U32, Val::U32(v)) => self.number(f64::from(*v)),
            (WitType::S8, Val::S8(v)) => self.number(f64::from(*v)),
            (WitType::S16, Val::S16(v)) => self.number(f64::from(*v)),
            (WitType::S32, Val::S32(v)) => self.number(f64::from(*v)),
            (WitType::U64, Val::U64(v)) if *v <= MAX_SAFE => self.number(*v as f64),
            (WitType::U64, Val::U64(v)) => self.push(JsNode::BigInt(v.to_string())),
            (WitType::S64, Val::S64(v)) if v.unsigned_abs() <= MAX_SAFE => self.number(*v as f64),
            (WitType::S64, Val::S64(v)) => self.push(JsNode::BigInt(v.to_string())),
            (WitType::F32, Val::Float32(v)) => self.number(f64::from(*v)),
            (WitType::F64, Val::Float64(v)) => self.number(*v),
            (WitType::Char, Val::Char(c)) => self.push(JsNode::String(c.to_string())),
            (WitType::String, Val::String(s)) => self.push(JsNode::String(s.clone())),
            (WitType::List(element), Val::List(items)) => self.list(element, items),
            (WitType::FixedList(element, n), Val::FixedLengthList(items) | Val::List(items)) => {
                if items.len() != *n as usize {
                    return Err(self.expected(&format!("a list of {n}"), val));
                }
                self.list(element, items)
            }
            (WitType::Tuple(types), Val::Tuple(items)) if types.len() == items.len() => {
                let at = self.open()?;
                let mut children = Vec::with_capacity(items.len());
                for (i, (ty, item)) in types.iter().zip(items).enumerate() {
                    self.path.push(Segment::Index(i));
                    children.push(self.lower(ty, item)?);
                    self.path.pop();
                }
                self.close(at, JsNode::Array(children))
            }
            (WitType::Option(_), Val::Option(None)) => self.push(JsNode::Null),
            (WitType::Option(inner), Val::Option(Some(v))) => self.lower(inner, v),
            (WitType::Result { ok, err }, Val::Result(outcome)) => {
                let (key, ty, payload) = match outcome {
                    Ok(payload) => ("ok", ok, payload),
                    Err(payload) => ("err", err, payload),
                };
                let at = self.open()?;
                self.path.push(Segment::Field(key));
                let child = match (ty.as_deref(), payload.as_deref()) {
                    (Some(ty), Some(v)) => self.lower(ty, v)?,
                    (None, None) => self.push(JsNode::Null)?,
                    (Some(ty), None) => {
                        return Err(self.mismatch(format!("expected {}, got nothing", ty.wit_name(self.iface))));
                    }
                    (None, Some(v)) => return Err(self.expected("nothing", v)),
                };
                self.path.pop();
                self.close(at, JsNode::Object(vec![(key.to_owned(), child)]))
            }
            (WitType::Named(index), _) => self.named(*index, val),
            (ty, val) => Err(self.expected(&ty.wit_name(self.iface), val)),
        }
    }

    fn list(&mut self, element: &'a WitType, items: &[Val]) -> Result<u32, Failure> {
        if matches!(self.iface.resolve(element), WitType::U8) {
            let mut bytes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Val::U8(b) => bytes.push(*b),
                    other => {
                        self.path.push(Segment::Index(i));
                        return Err(self.expected("u8", other));
                    }
                }
            }
            return self.push(JsNode::Bytes(bytes));
        }
        let at = self.open()?;
        let mut children = Vec::with_capacity(items.len().min(self.limits.max_nodes));
        for (i, item) in items.iter().enumerate() {
            self.path.push(Segment::Index(i));
            children.push(self.lower(element, item)?);
            self.path.pop();
        }
        self.close(at, JsNode::Array(children))
    }

    fn named(&mut self, index: usize, val: &Val) -> Result<u32, Failure> {
        let iface = self.iface;
        let def = &iface.types[index];
        match (&def.kind, val) {
            (TypeKind::Record(fields), Val::Record(values)) => {
                if values.len() != fields.len() {
                    return Err(self.mismatch(format!(
                        "expected record {} with {} fields, got {} fields",
                        def.wit_name,
                        fields.len(),
                        values.len()
                    )));
                }
                let at = self.open()?;
                let mut entries = Vec::with_capacity(fields.len());
                for field in fields {
                    self.path.push(Segment::Field(&field.js_name));
                    let Some((_, v)) = values.iter().find(|(name, _)| *name == field.wit_name) else {
                        return Err(self.mismatch(format!("missing field `{}`", field.wit_name)));
                    };
                    entries.push((field.js_name.clone(), self.lower(&field.ty, v)?));
                    self.path.pop();
                }
                self.close(at, JsNode::Object(entries))
            }
            (TypeKind::Variant(cases), Val::Variant(tag, payload)) => {
                let Some(case) = cases.iter().find(|c| c.name == *tag) else {
                    return Err(self.expected(&format!("a case of variant {}", def.wit_name), val));
                };
                let at = self.open()?;
                let tag_node = self.push(JsNode::String(case.name.clone()))?;
                let mut entries = vec![("tag".to_owned(), tag_node)];
                self.path.push(Segment::Field("val"));
                match (&case.ty, payload.as_deref()) {
                    (Some(ty), Some(v)) => entries.push(("val".to_owned(), self.lower(ty, v)?)),
                    (None, None) => {}
                    (Some(ty), None) => {
                        return Err(self.mismatch(format!("expected {}, got nothing", ty.wit_name(iface))));
                    }
                    (None, Some(v)) => return Err(self.expected("nothing", v)),
                }
                self.path.pop();
                self.close(at, JsNode::Object(entries))
            }
            (TypeKind::Enum(cases), Val::Enum(name)) if cases.iter().any(|c| c.name == *name) => {
                self.push(JsNode::String(name.clone()))
            }
            (TypeKind::Flags(flags), Val::Flags(set)) => {
                if let Some(unknown) = set.iter().find(|name| !flags.iter().any(|f| f.wit_name == **name)) {
                    return Err(self.mismatch(format!(
                        "expected flags {}, got an unknown flag {:?}",
                        def.wit_name,
                        truncate(unknown, 64)
                    )));
                }
                let at = self.open()?;
                let mut entries = Vec::with_capacity(flags.len());
                for flag in flags {
                    let on = set.contains(&flag.wit_name);
                    entries.push((flag.js_name.clone(), self.push(JsNode::Boolean(on))?));
                }
                self.close(at, JsNode::Object(entries))
            }
            (TypeKind::Alias(inner), _) => self.lower(inner, val),
            (kind, _) => Err(self.expected(&format!("{} {}", kind.keyword(), def.wit_name), val)),
        }
    }
}

/// The JS error's message for an `err`: see [`CallError::message`].
fn error_message(binding: &str, method: &str, iface: &CapabilityInterface, err: Option<(&WitType, &Val)>) -> String {
    let summary = err.and_then(|(ty, val)| match (iface.resolve(ty), val) {
        (WitType::String, Val::String(text)) => Some(text.clone()),
        (_, Val::Enum(case)) => Some(case.clone()),
        (_, Val::Variant(tag, Some(payload))) => match payload.as_ref() {
            Val::String(text) => Some(format!("{tag}: {text}")),
            _ => Some(tag.clone()),
        },
        (_, Val::Variant(tag, None)) => Some(tag.clone()),
        (_, Val::Record(fields)) => fields.iter().find_map(|(name, v)| match v {
            Val::String(text) if name == "message" => Some(text.clone()),
            _ => None,
        }),
        _ => None,
    });
    match summary {
        Some(text) if !text.is_empty() => format!("{binding}.{method}: {}", truncate(&text, 1024)),
        _ => format!("{binding}.{method} failed"),
    }
}

/// A `Val` for messages: `u32 5`, `a string`, `a list of 3` ...; bounded.
fn describe(val: &Val) -> String {
    match val {
        Val::Bool(b) => format!("bool {b}"),
        Val::S8(v) => format!("s8 {v}"),
        Val::U8(v) => format!("u8 {v}"),
        Val::S16(v) => format!("s16 {v}"),
        Val::U16(v) => format!("u16 {v}"),
        Val::S32(v) => format!("s32 {v}"),
        Val::U32(v) => format!("u32 {v}"),
        Val::S64(v) => format!("s64 {v}"),
        Val::U64(v) => format!("u64 {v}"),
        Val::Float32(v) => format!("f32 {v}"),
        Val::Float64(v) => format!("f64 {v}"),
        Val::Char(c) => format!("char {c:?}"),
        Val::String(s) => format!("string {:?}", truncate(s, 40)),
        Val::List(items) => format!("a list of {}", items.len()),
        Val::FixedLengthList(items) => format!("a fixed-length list of {}", items.len()),
        Val::Map(entries) => format!("a map of {}", entries.len()),
        Val::Record(fields) => format!("a record of {} fields", fields.len()),
        Val::Tuple(items) => format!("a tuple of {}", items.len()),
        Val::Variant(tag, _) => format!("variant case {:?}", truncate(tag, 40)),
        Val::Enum(name) => format!("enum case {:?}", truncate(name, 40)),
        Val::Option(_) => "an option".to_owned(),
        Val::Result(_) => "a result".to_owned(),
        Val::Flags(_) => "flags".to_owned(),
        Val::Resource(_) => "a resource".to_owned(),
        Val::Future(_) => "a future".to_owned(),
        Val::Stream(_) => "a stream".to_owned(),
        Val::ErrorContext(_) => "an error-context".to_owned(),
    }
}
