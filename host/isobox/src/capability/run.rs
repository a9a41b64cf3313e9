//! The bridge state of one run: its grants, plugin instances started on
//! first use, and the calls made.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use wasmtime::component::Val;

use super::CapabilityError;
use super::grant::{CapabilityInner, Grant, Implementation};
use super::native::CallContext;
use super::plugin::{PluginInstance, PluginLimits};
use super::record::CapabilityCall;
use crate::bindings::pending::{CallOutcome, PendingCall, call_error};
use crate::bindings::{BridgeCallError, JsNode as WireNode};
use crate::capability::types::{self, BridgeError, TreeLimits};

struct Bound {
    grant: Grant,
    plugin: OnceLock<Arc<PluginInstance>>,
}

/// A run's grants and calls.
pub(crate) struct RunBridge {
    bound: BTreeMap<String, Arc<Bound>>,
    limits: PluginLimits,
    calls: Arc<Mutex<Vec<CapabilityCall>>>,
}

impl RunBridge {
    pub fn new(grants: &[Grant], limits: PluginLimits) -> Self {
        let bound = grants
            .iter()
            .map(|grant| {
                let bound = Bound {
                    grant: grant.clone(),
                    plugin: OnceLock::new(),
                };
                (grant.name.clone(), Arc::new(bound))
            })
            .collect();
        RunBridge {
            bound,
            limits,
            calls: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The calls so far.
    pub fn calls(&self) -> Vec<CapabilityCall> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(calls: &Mutex<Vec<CapabilityCall>>, call: CapabilityCall) {
        calls.lock().unwrap_or_else(|e| e.into_inner()).push(call);
    }

    /// Starts `binding.method(args)`: checks the arguments now (against the
    /// WIT, or as a JSON object for JSON tools), runs the implementation in
    /// a task.
    pub fn start(&self, binding: &str, method: &str, args: Vec<WireNode>) -> Started {
        let started = Instant::now();
        // A span per call (debug: created only when a subscriber wants it,
        // as an OpenTelemetry exporter does), a child of the run's.
        let span = tracing::debug_span!(
            target: "isobox::call",
            "capability call",
            otel.name = %format_args!("{binding}.{method}"),
            isobox.capability = %binding,
            isobox.method = %method,
            otel.status_code = tracing::field::Empty,
        );
        let fail = |error: BridgeCallError| {
            span.record("otel.status_code", "ERROR");
            Self::record(
                &self.calls,
                CapabilityCall {
                    binding: binding.to_owned(),
                    method: method.to_owned(),
                    duration_us: micros(started),
                    ok: false,
                    error: Some(error.message.clone()),
                },
            );
            Started::Done(Err(error))
        };
        let Some(bound) = self.bound.get(binding).cloned() else {
            return fail(call_error(
                "TypeError",
                format!("env.{binding}: no capability of that name is granted to this run"),
            ));
        };
        let nodes: Vec<types::JsNode> = args.into_iter().map(from_wire).collect();
        let context = CallContext {
            binding: binding.to_owned(),
            props: bound.grant.props.clone(),
        };
        let calls = self.calls.clone();
        let (binding, method) = (binding.to_owned(), method.to_owned());
        let record = move |binding: String, method: String, outcome: &CallOutcome| {
            Self::record(
                &calls,
                CapabilityCall {
                    binding,
                    method,
                    duration_us: micros(started),
                    ok: outcome.is_ok(),
                    error: outcome.as_ref().err().map(|e| e.message.clone()),
                },
            );
        };
        let mut work: Pin<Box<dyn Future<Output = CallOutcome> + Send>> = match &*bound.grant.capability.inner {
            CapabilityInner::Wit { interface, .. } => {
                let values = match types::lift_args(&binding, interface, &method, &nodes) {
                    Ok(values) => values,
                    Err(error) => return fail(bridge_error(&error)),
                };
                let Some(function) = interface.function(&method).map(|f| f.wit_name.clone()) else {
                    return fail(call_error("TypeError", format!("{binding}.{method} is not a function")));
                };
                let limits = self.limits;
                Box::pin(async move {
                    let CapabilityInner::Wit {
                        interface,
                        implementation,
                    } = &*bound.grant.capability.inner
                    else {
                        // Matched as a WIT capability above; a capability
                        // never changes kind.
                        return Err(call_error("Error", "internal error: the capability changed kind"));
                    };
                    let result = match implementation {
                        Implementation::Native(native) => native.call(context, &function, values).await,
                        Implementation::Plugin(plugin) => {
                            let instance = bound
                                .plugin
                                .get_or_init(|| Arc::new(plugin.start(bound.grant.props.clone(), limits)))
                                .clone();
                            instance.call(function, values).await
                        }
                    };
                    let outcome = finish(&binding, &method, interface, result);
                    record(binding, method, &outcome);
                    outcome
                })
            }
            CapabilityInner::Json(json) => {
                let Some(tool) = json.tools.by_method(&method).map(|t| t.name.clone()) else {
                    return fail(call_error(
                        "TypeError",
                        format!("{binding}.{} is not a function", short(&method)),
                    ));
                };
                let arguments = match types::json_args(&binding, &method, &nodes, &TreeLimits::default()) {
                    Ok(arguments) => arguments,
                    Err(error) => return fail(bridge_error(&error)),
                };
                let handler = json.handler.clone();
                Box::pin(async move {
                    let result = handler.call(context, &tool, arguments).await;
                    let outcome = finish_json(&binding, &method, result);
                    record(binding, method, &outcome);
                    outcome
                })
            }
        };
        if !span.is_disabled() {
            let traced = span.clone();
            work = Box::pin(tracing::Instrument::instrument(
                async move {
                    let outcome = work.await;
                    if outcome.is_err() {
                        traced.record("otel.status_code", "ERROR");
                    }
                    outcome
                },
                span,
            ));
        }
        // Most native calls finish without waiting: poll once here, and
        // only a call that must wait becomes a task the guest polls.
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match work.as_mut().poll(&mut context) {
            std::task::Poll::Ready(outcome) => Started::Done(outcome),
            std::task::Poll::Pending => Started::Pending(PendingCall::Running(wasmtime_wasi::runtime::spawn(work))),
        }
    }
}

/// A call right after it started.
pub(crate) enum Started {
    Done(CallOutcome),
    Pending(PendingCall),
}

/// The guest's view of what an implementation returned.
fn finish(
    binding: &str,
    method: &str,
    interface: &crate::capability::types::CapabilityInterface,
    result: Result<Option<Val>, CapabilityError>,
) -> CallOutcome {
    let value = match result {
        Ok(value) => value,
        Err(error) => {
            return Err(call_error(
                "CapabilityError",
                format!("{binding}.{method} failed: {}", error.message),
            ));
        }
    };
    let results: Vec<Val> = value.into_iter().collect();
    match types::lower_result(binding, interface, method, &results) {
        Ok(nodes) => Ok(nodes.into_iter().map(to_wire).collect()),
        Err(error) => Err(bridge_error(&error)),
    }
}

/// The guest's view of what a JSON tool returned: the value, the tool's
/// own error as a plain `Error`, or a failure of the implementation.
fn finish_json(binding: &str, method: &str, result: Result<serde_json::Value, CapabilityError>) -> CallOutcome {
    match result {
        Ok(value) => types::json_result(binding, method, &value, &TreeLimits::default())
            .map(|nodes| nodes.into_iter().map(to_wire).collect())
            .map_err(|error| bridge_error(&error)),
        Err(error) if error.tool => Err(call_error("Error", error.message)),
        Err(error) => Err(call_error(
            "CapabilityError",
            format!("{binding}.{method} failed: {}", error.message),
        )),
    }
}

fn bridge_error(error: &BridgeError) -> BridgeCallError {
    match error {
        BridgeError::Call(call) => BridgeCallError {
            name: "Error".into(),
            message: call.message.clone(),
            value: Some(call.value.iter().cloned().map(to_wire).collect()),
        },
        other => call_error(other.js_error_name(), other.to_string()),
    }
}

/// At most 64 bytes of a name the guest sent, for messages.
fn short(name: &str) -> String {
    let mut name = name.to_owned();
    crate::text::truncate(&mut name, 64, "...");
    name
}

fn micros(started: Instant) -> u64 {
    started.elapsed().as_micros().try_into().unwrap_or(u64::MAX)
}

fn from_wire(node: WireNode) -> types::JsNode {
    match node {
        WireNode::Undefined => types::JsNode::Undefined,
        WireNode::Null => types::JsNode::Null,
        WireNode::Boolean(b) => types::JsNode::Boolean(b),
        WireNode::Number(n) => types::JsNode::Number(n),
        WireNode::Bigint(text) => types::JsNode::BigInt(text),
        WireNode::Text(text) => types::JsNode::String(text),
        WireNode::Bytes(bytes) => types::JsNode::Bytes(bytes),
        WireNode::Array(items) => types::JsNode::Array(items),
        WireNode::Object(entries) => types::JsNode::Object(entries),
    }
}

fn to_wire(node: types::JsNode) -> WireNode {
    match node {
        types::JsNode::Undefined => WireNode::Undefined,
        types::JsNode::Null => WireNode::Null,
        types::JsNode::Boolean(b) => WireNode::Boolean(b),
        types::JsNode::Number(n) => WireNode::Number(n),
        types::JsNode::BigInt(text) => WireNode::Bigint(text),
        types::JsNode::String(text) => WireNode::Text(text),
        types::JsNode::Bytes(bytes) => WireNode::Bytes(bytes),
        types::JsNode::Array(items) => WireNode::Array(items),
        types::JsNode::Object(entries) => WireNode::Object(entries),
    }
}

/// Plugin limits from the run's.
pub(crate) fn plugin_limits(limits: &crate::Limits, deadline: Instant, fuel_metered: bool) -> PluginLimits {
    PluginLimits {
        deadline,
        fuel: fuel_metered.then_some(limits.fuel),
        memory_bytes: limits.memory_bytes,
    }
}
