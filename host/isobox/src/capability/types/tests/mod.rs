//! Tests of the capability bridge, with a small JavaScript value model
//! ([`J`]) flattened to and rebuilt from node trees the way the guest does.

mod lift_tests;
mod load_tests;
mod lower_tests;
mod malicious_tests;
mod roundtrip_tests;
mod typed_tests;
mod typescript_tests;

use std::sync::OnceLock;

use super::*;
use wasmtime::component::Val;

/// A JavaScript value, as a test writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Big(String),
    Str(String),
    Bytes(Vec<u8>),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

pub fn n(v: f64) -> J {
    J::Num(v)
}

pub fn s(v: &str) -> J {
    J::Str(v.to_owned())
}

pub fn big(v: &str) -> J {
    J::Big(v.to_owned())
}

pub fn arr(items: Vec<J>) -> J {
    J::Arr(items)
}

pub fn obj(entries: &[(&str, J)]) -> J {
    J::Obj(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

/// Flattens `root` as the guest would: node 0 the root, children after
/// their parent.
pub fn flatten(root: &J) -> Vec<JsNode> {
    let mut nodes = Vec::new();
    push(&mut nodes, root);
    nodes
}

fn push(nodes: &mut Vec<JsNode>, value: &J) -> u32 {
    let at = nodes.len();
    nodes.push(JsNode::Undefined);
    let node = match value {
        J::Undef => JsNode::Undefined,
        J::Null => JsNode::Null,
        J::Bool(b) => JsNode::Boolean(*b),
        J::Num(v) => JsNode::Number(*v),
        J::Big(v) => JsNode::BigInt(v.clone()),
        J::Str(v) => JsNode::String(v.clone()),
        J::Bytes(v) => JsNode::Bytes(v.clone()),
        J::Arr(items) => JsNode::Array(items.iter().map(|item| push(nodes, item)).collect()),
        J::Obj(entries) => JsNode::Object(entries.iter().map(|(k, v)| (k.clone(), push(nodes, v))).collect()),
    };
    nodes[at] = node;
    at as u32
}

/// Rebuilds a tree the bridge produced (trusted: panics on a bad one).
pub fn unflatten(nodes: &[JsNode]) -> J {
    fn at(nodes: &[JsNode], index: u32) -> J {
        match &nodes[index as usize] {
            JsNode::Undefined => J::Undef,
            JsNode::Null => J::Null,
            JsNode::Boolean(b) => J::Bool(*b),
            JsNode::Number(v) => J::Num(*v),
            JsNode::BigInt(v) => J::Big(v.clone()),
            JsNode::String(v) => J::Str(v.clone()),
            JsNode::Bytes(v) => J::Bytes(v.clone()),
            JsNode::Array(items) => J::Arr(items.iter().map(|i| at(nodes, *i)).collect()),
            JsNode::Object(entries) => J::Obj(entries.iter().map(|(k, i)| (k.clone(), at(nodes, *i))).collect()),
        }
    }
    at(nodes, 0)
}

pub fn load(file: &str, interface: &str) -> CapabilityInterface {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/capability/types/testdata")
        .join(file);
    WitPackage::load(&path).unwrap().interface(interface).unwrap()
}

/// The `values` interface of testdata/values.wit.
pub fn values() -> &'static CapabilityInterface {
    static VALUES: OnceLock<CapabilityInterface> = OnceLock::new();
    VALUES.get_or_init(|| load("values.wit", "values"))
}

/// Calls `method` of the values interface with `args`.
pub fn call(method: &str, args: Vec<J>) -> Result<Vec<Val>, BridgeError> {
    lift_args("t", values(), method, &flatten(&arr(args)))
}

/// The one argument of `method` lifted.
pub fn lift1(method: &str, value: J) -> Result<Val, BridgeError> {
    call(method, vec![value]).map(|mut vals| vals.remove(0))
}

/// The message of a failed one-argument call.
pub fn lift_error(method: &str, value: J) -> String {
    match lift1(method, value) {
        Ok(val) => panic!("{method} accepted it: {val:?}"),
        Err(error) => error.to_string(),
    }
}

/// What `method` returning `val` gives JavaScript.
pub fn lower1(method: &str, val: Val) -> Result<J, BridgeError> {
    lower_result("t", values(), method, &[val]).map(|nodes| unflatten(&nodes))
}
