//! JavaScript to WIT: a call's arguments, sent by the guest as a node tree,
//! checked against the function's parameter types and turned into
//! [`Val`]s for wasmtime or a Rust implementation.

use wasmtime::component::Val;

use super::error::BridgeError;
use super::model::{CapabilityInterface, Case, Field, Function, TypeKind, WitType};
use super::node::{JsNode, TreeLimits, js_number};
use super::path::{Path, Segment};
use crate::text::truncated as truncate;

/// Checks a call's arguments against `method`'s WIT signature and converts
/// them. `nodes` is the flattened JS array of the arguments (node 0); the
/// method is looked up by its JavaScript name (or its WIT name); `binding`
/// names the capability in messages. Uses [`TreeLimits::default`].
///
/// ```text
/// use isobox::capability::{CapabilityInterface, JsNode, lift_args};
/// use wasmtime::component::Val;
///
/// let kv = CapabilityInterface::from_wit(
///     "package a:kv; interface store { put: func(key: string, value: list<u8>); }",
///     "store",
/// )?;
/// let args = [JsNode::Array(vec![1, 2]), JsNode::String("k".into()), JsNode::Bytes(vec![7])];
/// let vals = lift_args("kv", &kv, "put", &args).unwrap();
/// assert!(matches!(&vals[0], Val::String(s) if s == "k"));
///
/// let bad = [JsNode::Array(vec![1, 2]), JsNode::Number(1.0), JsNode::Bytes(vec![])];
/// let error = lift_args("kv", &kv, "put", &bad).unwrap_err();
/// assert_eq!(error.to_string(), "kv.put: args[0]: expected string, got 1");
/// # Ok::<(), isobox::capability::WitError>(())
/// ```
///
/// # Errors
/// [`BridgeError::UnknownMethod`], [`BridgeError::ArgumentCount`],
/// [`BridgeError::TypeMismatch`] with the path of the bad value,
/// [`BridgeError::Malformed`] for a tree that is not one (an index out of
/// range, a node used twice, a root that is not an array, a duplicate key),
/// [`BridgeError::TooLarge`] past the limits. Never panics, whatever the
/// nodes.
pub fn lift_args(
    binding: &str,
    iface: &CapabilityInterface,
    method: &str,
    nodes: &[JsNode],
) -> Result<Vec<Val>, BridgeError> {
    lift_args_with_limits(binding, iface, method, nodes, &TreeLimits::default())
}

/// [`lift_args`] with explicit limits.
///
/// # Errors
/// As [`lift_args`].
pub fn lift_args_with_limits(
    binding: &str,
    iface: &CapabilityInterface,
    method: &str,
    nodes: &[JsNode],
    limits: &TreeLimits,
) -> Result<Vec<Val>, BridgeError> {
    let Some(function) = iface.function(method) else {
        return Err(BridgeError::UnknownMethod {
            binding: binding.to_owned(),
            method: truncate(method, 64),
            available: iface.functions().iter().map(|f| f.js_name.clone()).collect(),
        });
    };
    let fail = |failure: Failure| failure.into_error(binding, &function.js_name);
    check_tree(nodes, limits).map_err(fail)?;
    let Some(JsNode::Array(args)) = nodes.first() else {
        return Err(fail(Failure::Malformed(
            "the arguments (node 0) are not an array".to_owned(),
        )));
    };
    let (min, max) = (function.min_args(iface), function.params.len());
    if args.len() < min || args.len() > max {
        return Err(BridgeError::ArgumentCount {
            binding: binding.to_owned(),
            method: function.js_name.clone(),
            min,
            max,
            got: args.len(),
        });
    }
    let mut lifter = Lifter {
        iface,
        tree: TreeNodes::new(nodes),
        values: 0,
        path: Path::default(),
        limits,
    };
    lift_params(&mut lifter, function, args).map_err(fail)
}

fn lift_params<'a>(lifter: &mut Lifter<'a>, function: &'a Function, args: &[u32]) -> Result<Vec<Val>, Failure> {
    let mut vals = Vec::with_capacity(function.params.len());
    for (index, param) in function.params.iter().enumerate() {
        lifter.path.push(Segment::Arg(index));
        let val = match args.get(index) {
            Some(&node) => lifter.lift(&param.ty, node)?,
            // Only trailing options may be left out (checked by the caller).
            None => Val::Option(None),
        };
        lifter.path.pop();
        vals.push(val);
    }
    Ok(vals)
}

/// Node count, bytes and references, before anything is converted. A tree
/// refers to each node but the root at most once, so more references than
/// nodes is refused here, before any container is allocated for them.
pub(crate) fn check_tree(nodes: &[JsNode], limits: &TreeLimits) -> Result<(), Failure> {
    if nodes.len() > limits.max_nodes {
        return Err(Failure::TooLarge(limits.max_nodes, "nodes"));
    }
    let (mut bytes, mut references) = (0usize, 0usize);
    for node in nodes {
        bytes = bytes.saturating_add(node.payload_bytes());
        if bytes > limits.max_bytes {
            return Err(Failure::TooLarge(limits.max_bytes, "bytes"));
        }
        references += match node {
            JsNode::Array(items) => items.len(),
            JsNode::Object(entries) => entries.len(),
            _ => 0,
        };
        if references >= nodes.len() {
            return Err(Failure::Malformed(format!(
                "more references ({references}) than nodes besides the root ({})",
                nodes.len() - 1
            )));
        }
    }
    Ok(())
}

/// The guest's value tree, each node taken at most once: a cycle or a
/// shared subtree is refused, so a guest cannot make the host walk (or
/// copy) a node twice. Node 0, the root, is taken from the start.
pub(crate) struct TreeNodes<'a> {
    nodes: &'a [JsNode],
    used: Vec<bool>,
}

impl<'a> TreeNodes<'a> {
    pub(crate) fn new(nodes: &'a [JsNode]) -> Self {
        let mut used = vec![false; nodes.len()];
        if let Some(root) = used.first_mut() {
            *root = true;
        }
        TreeNodes { nodes, used }
    }

    /// The node at `index` (reached at `path`), which must exist and not
    /// have been taken yet.
    pub(crate) fn take(&mut self, index: u32, path: &Path<'_>) -> Result<&'a JsNode, Failure> {
        let nodes = self.nodes;
        let Some(node) = nodes.get(index as usize) else {
            return Err(Failure::Malformed(format!("{path}: node {index} does not exist")));
        };
        let used = &mut self.used[index as usize];
        if *used {
            return Err(Failure::Malformed(format!(
                "{path}: node {index} is used twice (a cycle or a shared value)"
            )));
        }
        *used = true;
        Ok(node)
    }
}

/// Why lifting failed, before the binding and method are known.
pub(crate) enum Failure {
    Mismatch { path: String, message: String },
    Malformed(String),
    TooLarge(usize, &'static str),
}

impl Failure {
    pub(crate) fn into_error(self, binding: &str, method: &str) -> BridgeError {
        let (binding, method) = (binding.to_owned(), method.to_owned());
        match self {
            Failure::Mismatch { path, message } => BridgeError::TypeMismatch {
                binding,
                method,
                path,
                message,
            },
            Failure::Malformed(reason) => BridgeError::Malformed {
                binding,
                method,
                reason,
            },
            Failure::TooLarge(limit, unit) => BridgeError::TooLarge {
                binding,
                method,
                what: "arguments",
                limit,
                unit,
            },
        }
    }
}

struct Lifter<'a> {
    iface: &'a CapabilityInterface,
    tree: TreeNodes<'a>,
    /// `Val`s made so far, against `limits.max_values`.
    values: usize,
    path: Path<'a>,
    limits: &'a TreeLimits,
}

impl<'a> Lifter<'a> {
    /// The node at `index`, which must exist and not have been used yet.
    fn node(&mut self, index: u32) -> Result<&'a JsNode, Failure> {
        self.tree.take(index, &self.path)
    }

    fn mismatch(&self, message: String) -> Failure {
        Failure::Mismatch {
            path: self.path.to_string(),
            message,
        }
    }

    fn expected(&self, what: &str, got: &JsNode) -> Failure {
        self.mismatch(format!("expected {what}, got {}", got.describe()))
    }

    /// Enters a container: refuses one nested past the depth limit.
    fn enter(&self) -> Result<(), Failure> {
        if self.path.depth() >= self.limits.max_depth {
            return Err(Failure::TooLarge(self.limits.max_depth, "levels of nesting"));
        }
        Ok(())
    }

    fn lift(&mut self, ty: &'a WitType, index: u32) -> Result<Val, Failure> {
        let node = self.node(index)?;
        self.count_values(1)?;
        self.lift_node(ty, node)
    }

    /// Counts `n` more `Val`s against the limit.
    fn count_values(&mut self, n: usize) -> Result<(), Failure> {
        self.values = self.values.saturating_add(n);
        if self.values > self.limits.max_values {
            return Err(Failure::TooLarge(
                self.limits.max_values,
                "values (a list<u8> makes one per byte)",
            ));
        }
        Ok(())
    }

    fn lift_node(&mut self, ty: &'a WitType, node: &'a JsNode) -> Result<Val, Failure> {
        let ty = self.iface.resolve(ty);
        Ok(match ty {
            WitType::Bool => match node {
                JsNode::Boolean(b) => Val::Bool(*b),
                other => return Err(self.expected("boolean", other)),
            },
            WitType::U8 => Val::U8(self.small_int(node, "u8", 0.0, u8::MAX.into())? as u8),
            WitType::U16 => Val::U16(self.small_int(node, "u16", 0.0, u16::MAX.into())? as u16),
            WitType::U32 => Val::U32(self.small_int(node, "u32", 0.0, u32::MAX.into())? as u32),
            WitType::S8 => Val::S8(self.small_int(node, "s8", i8::MIN.into(), i8::MAX.into())? as i8),
            WitType::S16 => Val::S16(self.small_int(node, "s16", i16::MIN.into(), i16::MAX.into())? as i16),
            WitType::S32 => Val::S32(self.small_int(node, "s32", i32::MIN.into(), i32::MAX.into())? as i32),
            WitType::U64 => {
                let v = self.big_int(node, "u64", 0, u64::MAX.into())?;
                Val::U64(u64::try_from(v).map_err(|_| self.expected("u64", node))?)
            }
            WitType::S64 => {
                let v = self.big_int(node, "s64", i64::MIN.into(), i64::MAX.into())?;
                Val::S64(i64::try_from(v).map_err(|_| self.expected("s64", node))?)
            }
            // Round to nearest, ties to even; beyond f32's range, an infinity.
            WitType::F32 => Val::Float32(self.float(node, "f32")? as f32),
            WitType::F64 => Val::Float64(self.float(node, "f64")?),
            WitType::Char => match node {
                JsNode::String(text) => {
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Val::Char(c),
                        _ => return Err(self.expected("a string of one character (char)", node)),
                    }
                }
                other => return Err(self.expected("a string of one character (char)", other)),
            },
            WitType::String => match node {
                JsNode::String(text) => Val::String(text.clone()),
                other => return Err(self.expected("string", other)),
            },
            WitType::List(element) => self.list(element, node, None)?,
            WitType::FixedList(element, n) => self.list(element, node, Some(*n as usize))?,
            WitType::Tuple(items) => {
                let JsNode::Array(indices) = node else {
                    return Err(self.expected(&format!("an array of {} elements (tuple)", items.len()), node));
                };
                if indices.len() != items.len() {
                    return Err(self.expected(&format!("an array of {} elements (tuple)", items.len()), node));
                }
                self.enter()?;
                let mut vals = Vec::with_capacity(items.len());
                for (i, (item, &index)) in items.iter().zip(indices).enumerate() {
                    self.path.push(Segment::Index(i));
                    vals.push(self.lift(item, index)?);
                    self.path.pop();
                }
                Val::Tuple(vals)
            }
            WitType::Option(inner) => match node {
                JsNode::Null | JsNode::Undefined => Val::Option(None),
                _ => Val::Option(Some(Box::new(self.lift_node(inner, node)?))),
            },
            WitType::Result { ok, err } => {
                let (is_ok, payload) = self.result_entry(node)?;
                let side = if is_ok { ok } else { err };
                self.path.push(Segment::Field(if is_ok { "ok" } else { "err" }));
                let val = self.payload(side.as_deref(), payload)?;
                self.path.pop();
                Val::Result(if is_ok { Ok(val) } else { Err(val) })
            }
            WitType::Named(index) => {
                let def = &self.iface.types[*index];
                match &def.kind {
                    TypeKind::Record(fields) => self.record(fields, &def.ts_name, node)?,
                    TypeKind::Variant(cases) => self.variant(cases, &def.ts_name, node)?,
                    TypeKind::Enum(cases) => self.enumeration(cases, node)?,
                    TypeKind::Flags(flags) => self.flags(flags, &def.ts_name, node)?,
                    // `resolve` followed every alias.
                    TypeKind::Alias(_) => return Err(Failure::Malformed("an alias loop".to_owned())),
                }
            }
        })
    }

    /// A number that must be an integer in `min..=max` (all exactly
    /// representable in f64); `-0` is 0.
    fn small_int(&self, node: &JsNode, what: &str, min: f64, max: f64) -> Result<f64, Failure> {
        match node {
            JsNode::Number(n) if n.fract() == 0.0 && *n >= min && *n <= max => Ok(*n),
            other => Err(self.expected(what, other)),
        }
    }

    /// A safe-integer number or a BigInt, in `min..=max`.
    fn big_int(&self, node: &JsNode, what: &str, min: i128, max: i128) -> Result<i128, Failure> {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        let value = match node {
            JsNode::Number(n) if n.fract() == 0.0 && n.abs() <= SAFE => *n as i128,
            // `fract` is NaN, not 0, for NaN and the infinities.
            JsNode::Number(n) if n.fract() == 0.0 => {
                return Err(self.mismatch(format!(
                    "expected {what}, got {} (past 2^53 - 1 a number is inexact: pass a BigInt)",
                    js_number(*n)
                )));
            }
            JsNode::BigInt(digits) => parse_bigint(digits).ok_or_else(|| self.expected(what, node))?,
            other => return Err(self.expected(what, other)),
        };
        if value < min || value > max {
            return Err(self.expected(what, node));
        }
        Ok(value)
    }

    fn float(&self, node: &JsNode, what: &str) -> Result<f64, Failure> {
        match node {
            JsNode::Number(n) => Ok(*n),
            other => Err(self.expected(&format!("number ({what})"), other)),
        }
    }

    fn list(&mut self, element: &'a WitType, node: &'a JsNode, length: Option<usize>) -> Result<Val, Failure> {
        let bytes_ok = matches!(self.iface.resolve(element), WitType::U8);
        let wrap = |vals: Vec<Val>| {
            if length.is_some() {
                Val::FixedLengthList(vals)
            } else {
                Val::List(vals)
            }
        };
        let expected = |this: &Self| match (length, bytes_ok) {
            (Some(n), true) => this.expected(&format!("a Uint8Array or array of {n} bytes"), node),
            (Some(n), false) => this.expected(&format!("an array of {n} elements"), node),
            (None, true) => this.expected("a Uint8Array, ArrayBuffer or array of bytes", node),
            (None, false) => this.expected("an array", node),
        };
        match node {
            JsNode::Bytes(bytes) if bytes_ok => {
                if length.is_some_and(|n| n != bytes.len()) {
                    return Err(expected(self));
                }
                self.count_values(bytes.len())?;
                Ok(wrap(bytes.iter().map(|&b| Val::U8(b)).collect()))
            }
            JsNode::Array(indices) => {
                if length.is_some_and(|n| n != indices.len()) {
                    return Err(expected(self));
                }
                self.enter()?;
                let mut vals = Vec::with_capacity(indices.len());
                for (i, &index) in indices.iter().enumerate() {
                    self.path.push(Segment::Index(i));
                    vals.push(self.lift(element, index)?);
                    self.path.pop();
                }
                Ok(wrap(vals))
            }
            _ => Err(expected(self)),
        }
    }

    /// `{ ok: T }` or `{ err: E }`: which, and the payload's node.
    fn result_entry(&self, node: &'a JsNode) -> Result<(bool, Option<u32>), Failure> {
        let expected = "{ ok: value } or { err: value } (result)";
        let JsNode::Object(entries) = node else {
            return Err(self.expected(expected, node));
        };
        match entries.as_slice() {
            [(key, index)] if key == "ok" => Ok((true, Some(*index))),
            [(key, index)] if key == "err" => Ok((false, Some(*index))),
            _ => Err(self.mismatch(format!(
                "expected {expected}, got an object with keys {}",
                keys(entries)
            ))),
        }
    }

    /// A payload of type `ty`, present at `index` or missing. Without a
    /// type it must be missing, undefined or null; a missing option is none.
    fn payload(&mut self, ty: Option<&'a WitType>, index: Option<u32>) -> Result<Option<Box<Val>>, Failure> {
        match (ty, index) {
            (Some(ty), Some(index)) => Ok(Some(Box::new(self.lift(ty, index)?))),
            (Some(ty), None) if matches!(self.iface.resolve(ty), WitType::Option(_)) => {
                Ok(Some(Box::new(Val::Option(None))))
            }
            (Some(ty), None) => Err(self.mismatch(format!("missing, expected {}", ty.wit_name(self.iface)))),
            (None, Some(index)) => match self.node(index)? {
                JsNode::Undefined | JsNode::Null => Ok(None),
                other => Err(self.expected("nothing (undefined or null)", other)),
            },
            (None, None) => Ok(None),
        }
    }

    fn record(&mut self, fields: &'a [Field], name: &str, node: &'a JsNode) -> Result<Val, Failure> {
        let JsNode::Object(entries) = node else {
            return Err(self.expected(&format!("an object ({name})"), node));
        };
        self.enter()?;
        let slots = self.slots(fields, name, entries)?;
        let mut vals = Vec::with_capacity(fields.len());
        for (field, slot) in fields.iter().zip(slots) {
            self.path.push(Segment::Field(&field.js_name));
            let val = self.payload(Some(&field.ty), slot)?;
            self.path.pop();
            // `payload` with a type always gives a value.
            let val = val.map_or(Val::Option(None), |v| *v);
            vals.push((field.wit_name.clone(), val));
        }
        Ok(Val::Record(vals))
    }

    /// Places each key of `entries` on its field: unknown and duplicate keys
    /// are refused.
    fn slots(&self, fields: &'a [Field], name: &str, entries: &[(String, u32)]) -> Result<Vec<Option<u32>>, Failure> {
        let mut slots = vec![None; fields.len()];
        for (key, index) in entries {
            let Some(at) = fields.iter().position(|f| f.js_name == *key) else {
                let known: Vec<&str> = fields.iter().map(|f| f.js_name.as_str()).collect();
                return Err(self.mismatch(format!(
                    "unknown key {:?} ({name} has {})",
                    truncate(key, 64),
                    truncate(&known.join(", "), 200)
                )));
            };
            if slots[at].replace(*index).is_some() {
                return Err(Failure::Malformed(format!("{}: duplicate key {:?}", self.path, key)));
            }
        }
        Ok(slots)
    }

    fn variant(&mut self, cases: &'a [Case], name: &str, node: &'a JsNode) -> Result<Val, Failure> {
        let expected = format!("{{ tag, val? }} ({name})");
        let JsNode::Object(entries) = node else {
            return Err(self.expected(&expected, node));
        };
        self.enter()?;
        let (mut tag, mut val) = (None, None);
        for (key, index) in entries {
            let slot = match key.as_str() {
                "tag" => &mut tag,
                "val" => &mut val,
                other => {
                    return Err(self.mismatch(format!(
                        "expected {expected}, got an unknown key {:?}",
                        truncate(other, 64)
                    )));
                }
            };
            if slot.replace(*index).is_some() {
                return Err(Failure::Malformed(format!("{}: duplicate key {key:?}", self.path)));
            }
        }
        self.path.push(Segment::Field("tag"));
        let Some(tag_index) = tag else {
            return Err(self.mismatch(format!("missing, expected one of {}", case_list(cases))));
        };
        let tag_node = self.node(tag_index)?;
        let found = match tag_node {
            JsNode::String(text) => cases.iter().find(|c| c.name == *text),
            _ => None,
        };
        let Some(tag) = found else {
            return Err(self.expected(&format!("one of {}", case_list(cases)), tag_node));
        };
        self.path.pop();
        self.path.push(Segment::Field("val"));
        let payload = self.payload(tag.ty.as_ref(), val)?;
        self.path.pop();
        Ok(Val::Variant(tag.name.clone(), payload))
    }

    fn enumeration(&self, cases: &[Case], node: &JsNode) -> Result<Val, Failure> {
        match node {
            JsNode::String(text) => match cases.iter().find(|c| c.name == *text) {
                Some(case) => Ok(Val::Enum(case.name.clone())),
                None => Err(self.expected(&format!("one of {}", case_list(cases)), node)),
            },
            other => Err(self.expected(&format!("one of {}", case_list(cases)), other)),
        }
    }

    fn flags(&mut self, flags: &'a [Field], name: &str, node: &'a JsNode) -> Result<Val, Failure> {
        let JsNode::Object(entries) = node else {
            return Err(self.expected(&format!("an object of booleans ({name})"), node));
        };
        self.enter()?;
        let slots = self.slots(flags, name, entries)?;
        let mut set = Vec::new();
        for (flag, slot) in flags.iter().zip(slots) {
            let Some(index) = slot else { continue };
            self.path.push(Segment::Field(&flag.js_name));
            match self.node(index)? {
                JsNode::Boolean(true) => set.push(flag.wit_name.clone()),
                JsNode::Boolean(false) | JsNode::Undefined => {}
                other => return Err(self.expected("boolean", other)),
            }
            self.path.pop();
        }
        Ok(Val::Flags(set))
    }
}

/// A BigInt's decimal digits (`-` allowed, nothing else), if they fit an
/// i128.
fn parse_bigint(digits: &str) -> Option<i128> {
    let body = digits.strip_prefix('-').unwrap_or(digits);
    if body.is_empty() || body.len() > 39 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `"a", "b", "c"` (at most 8, then `...`).
pub(crate) fn case_list(cases: &[Case]) -> String {
    let mut names: Vec<String> = cases.iter().take(8).map(|c| format!("{:?}", c.name)).collect();
    if cases.len() > 8 {
        names.push("...".to_owned());
    }
    names.join(", ")
}

fn keys(entries: &[(String, u32)]) -> String {
    if entries.is_empty() {
        return "none".to_owned();
    }
    let shown: Vec<String> = entries
        .iter()
        .take(4)
        .map(|(k, _)| format!("{:?}", truncate(k, 32)))
        .collect();
    let more = if entries.len() > 4 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}
