//! Capability calls in a journaled run: recorded live, answered from the
//! journal on replay, held at a gate until someone decides.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use wasmtime::component::Resource;

use super::{CallFailure, CallResult, Decision, Entry, GateCall, GateKind, JournalHandle, Node};
use crate::bindings::pending::{CallOutcome, PendingCall};
use crate::bindings::{BridgeCallError, GuestStarted, JsNode};
use crate::capability::Started;
use crate::sandbox::RunState;

/// The most bytes of arguments a gate shows.
const GATE_ARGUMENT_BYTES: usize = 4096;

/// `bridge.start` for a journaled run.
pub(crate) fn start(
    state: &mut RunState,
    journal: &JournalHandle,
    binding: String,
    method: String,
    args: Vec<JsNode>,
) -> wasmtime::Result<GuestStarted> {
    let hash = args_hash(&args);
    let mut guard = journal.lock();
    if guard.stop.is_some() {
        return Err(super::poll::stopped());
    }
    if guard.replaying() {
        let asked = format!("a call to env.{binding}.{method}");
        return match guard.next() {
            Some(Entry::Call {
                binding: b,
                method: m,
                args: a,
                done,
            }) if b == binding && m == method && a == hash => {
                drop(guard);
                Ok(match done {
                    Some(result) => GuestStarted::Done(to_outcome(result)),
                    None => GuestStarted::Pending(state.table.push(PendingCall::Replayed)?),
                })
            }
            Some(Entry::Gate {
                gate,
                decision,
                executed,
            }) if matches!(&gate.kind, GateKind::Call { binding: b, method: m, args: a, .. }
                    if *b == binding && *m == method && *a == hash) =>
            {
                let live = guard.live_after_replay();
                let pending = match decision {
                    Some(Decision::Rejected { reason, .. }) => PendingCall::Done(Some(Err(rejected(&gate, reason)))),
                    Some(Decision::Approved { .. }) if executed => PendingCall::Replayed,
                    Some(Decision::Approved { .. }) if live => {
                        if let Some(Entry::Gate { executed, .. }) = guard.replayed_mut() {
                            *executed = true;
                        }
                        drop(guard);
                        match state.capabilities.start(&binding, &method, args) {
                            Started::Done(outcome) => PendingCall::Done(Some(outcome)),
                            Started::Pending(call) => call,
                        }
                    }
                    None if live => {
                        guard.diverge(&format!("a decision on gate {}", gate.id), None);
                        return Err(super::poll::stopped());
                    }
                    // An exact replay of a run that paused: held again.
                    _ => {
                        guard.held += 1;
                        PendingCall::Held
                    }
                };
                Ok(GuestStarted::Pending(state.table.push(pending)?))
            }
            other => {
                guard.diverge(&asked, other.as_ref());
                Err(super::poll::stopped())
            }
        };
    }
    if guard.refuse_live(&format!("a call to env.{binding}.{method}")) {
        return Err(super::poll::stopped());
    }
    if guard.approvals.gates(&binding, &method) {
        let id = guard.gate_id();
        let gate = GateCall {
            id,
            kind: GateKind::Call {
                binding,
                method,
                arguments: preview(&args),
                args: hash,
            },
        };
        guard.record(Entry::Gate {
            gate,
            decision: None,
            executed: false,
        });
        guard.held += 1;
        drop(guard);
        return Ok(GuestStarted::Pending(state.table.push(PendingCall::Held)?));
    }
    drop(guard);
    let started = state.capabilities.start(&binding, &method, args);
    let mut guard = journal.lock();
    Ok(match started {
        Started::Done(outcome) => {
            guard.record(Entry::Call {
                binding,
                method,
                args: hash,
                done: Some(from_outcome(&outcome)),
            });
            GuestStarted::Done(outcome)
        }
        Started::Pending(call) => {
            guard.record(Entry::Call {
                binding,
                method,
                args: hash,
                done: None,
            });
            drop(guard);
            GuestStarted::Pending(state.table.push(call)?)
        }
    })
}

/// `pending-call.take` for a journaled run.
pub(crate) fn take(
    state: &mut RunState,
    journal: &JournalHandle,
    call: &Resource<PendingCall>,
) -> wasmtime::Result<Option<CallOutcome>> {
    let pending = state.table.get_mut(call)?;
    match pending {
        PendingCall::Held => Ok(None),
        PendingCall::Replayed => {
            let mut guard = journal.lock();
            match guard.next() {
                Some(Entry::Take { result }) => Ok(Some(to_outcome(result))),
                other => {
                    guard.diverge("the result of a call", other.as_ref());
                    Err(super::poll::stopped())
                }
            }
        }
        live => {
            let taken = live.take();
            if let Some(outcome) = &taken {
                let mut guard = journal.lock();
                if guard.replaying() {
                    // A call performed live is taken only after the
                    // journal's end; anything else is a divergence.
                    let found = guard.next();
                    guard.diverge("the result of a live call", found.as_ref());
                    return Err(super::poll::stopped());
                }
                guard.record(Entry::Take {
                    result: from_outcome(outcome),
                });
            }
            Ok(taken)
        }
    }
}

/// The error a rejected call throws.
fn rejected(gate: &GateCall, reason: Option<String>) -> BridgeCallError {
    let mut message = format!("{} was rejected by an approver", gate.describe());
    if let Some(reason) = reason {
        message.push_str(": ");
        message.push_str(&reason);
    }
    crate::text::truncate(&mut message, 2048, "...");
    BridgeCallError {
        name: "ApprovalRejectedError".into(),
        message,
        value: None,
    }
}

/// A hash of a call's arguments: 16 bytes of SHA-256 over their nodes.
pub(crate) fn args_hash(args: &[JsNode]) -> String {
    let mut digest = Sha256::new();
    for node in args {
        digest.update(format!("{node:?}").as_bytes());
        digest.update([0]);
    }
    digest.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The arguments as JSON for a person, bounded.
fn preview(args: &[JsNode]) -> serde_json::Value {
    let value = to_json(args, 0, 0);
    if value.to_string().len() > GATE_ARGUMENT_BYTES {
        let mut text = value.to_string();
        crate::text::truncate(&mut text, GATE_ARGUMENT_BYTES, "...");
        return serde_json::Value::String(text);
    }
    value
}

fn to_json(nodes: &[JsNode], index: usize, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    if depth > 32 {
        return Value::String("...".into());
    }
    match nodes.get(index) {
        None | Some(JsNode::Undefined | JsNode::Null) => Value::Null,
        Some(JsNode::Boolean(b)) => Value::Bool(*b),
        Some(JsNode::Number(n)) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Some(JsNode::Bigint(text)) => Value::String(text.clone()),
        Some(JsNode::Text(text)) => Value::String(text.chars().take(GATE_ARGUMENT_BYTES).collect()),
        Some(JsNode::Bytes(bytes)) => Value::String(format!("<{} bytes>", bytes.len())),
        Some(JsNode::Array(items)) => Value::Array(
            items
                .iter()
                .take(256)
                .map(|i| to_json(nodes, *i as usize, depth + 1))
                .collect(),
        ),
        Some(JsNode::Object(entries)) => Value::Object(
            entries
                .iter()
                .take(256)
                .map(|(k, i)| (k.clone(), to_json(nodes, *i as usize, depth + 1)))
                .collect(),
        ),
    }
}

fn from_outcome(outcome: &CallOutcome) -> CallResult {
    match outcome {
        Ok(nodes) => Ok(nodes.iter().map(from_node).collect()),
        Err(error) => Err(CallFailure {
            name: error.name.clone(),
            message: error.message.clone(),
            value: error.value.as_ref().map(|nodes| nodes.iter().map(from_node).collect()),
        }),
    }
}

fn to_outcome(result: CallResult) -> CallOutcome {
    match result {
        Ok(nodes) => Ok(nodes.into_iter().map(to_node).collect()),
        Err(failure) => Err(BridgeCallError {
            name: failure.name,
            message: failure.message,
            value: failure.value.map(|nodes| nodes.into_iter().map(to_node).collect()),
        }),
    }
}

fn from_node(node: &JsNode) -> Node {
    match node {
        JsNode::Undefined => Node::Undefined,
        JsNode::Null => Node::Null,
        JsNode::Boolean(b) => Node::Boolean(*b),
        JsNode::Number(n) => Node::Number(*n),
        JsNode::Bigint(text) => Node::Bigint(text.clone()),
        JsNode::Text(text) => Node::Text(text.clone()),
        JsNode::Bytes(bytes) => Node::Bytes(STANDARD.encode(bytes)),
        JsNode::Array(items) => Node::Array(items.clone()),
        JsNode::Object(entries) => Node::Object(entries.clone()),
    }
}

fn to_node(node: Node) -> JsNode {
    match node {
        Node::Undefined => JsNode::Undefined,
        Node::Null => JsNode::Null,
        Node::Boolean(b) => JsNode::Boolean(b),
        Node::Number(n) => JsNode::Number(n),
        Node::Bigint(text) => JsNode::Bigint(text),
        Node::Text(text) => JsNode::Text(text),
        Node::Bytes(bytes) => JsNode::Bytes(STANDARD.decode(bytes).unwrap_or_default()),
        Node::Array(items) => JsNode::Array(items),
        Node::Object(entries) => JsNode::Object(entries),
    }
}
