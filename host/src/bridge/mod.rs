//! The typed RPC bridge: `env.<binding>.<method>(...)` in the sandbox reaches
//! a capability granted to the run. Values cross as a JS value tree and are
//! checked against the capability's WIT types ([`crate::capability`]) both
//! ways; implementations are native Rust ([`NativeCapability`]) or Wasm
//! component plugins. JSON-typed tools (MCP tools) cross as JSON instead
//! ([`JsonToolHandler`]).

mod capability;
mod error;
mod json;
mod kv;
mod native;
mod pending;
mod plugin;
mod record;
mod run;
mod todo;

pub use self::capability::{Capability, Grant};
pub use self::error::CapabilityError;
pub use self::json::{JsonCallFuture, JsonToolHandler};
pub use self::kv::KvStore;
pub use self::native::{CallContext, CallFuture, NativeCapability, NativeFunctions};
pub use self::pending::PendingCall;
pub use self::record::CapabilityCall;
pub(crate) use self::run::{RunBridge, Started, plugin_limits};
pub use self::todo::TodoStore;

use wasmtime::component::Resource;

use crate::sandbox::{BridgeHost, GuestStarted, HostPendingCall, JsNode, RunState};

impl BridgeHost for RunState {
    fn start(&mut self, binding: String, method: String, args: Vec<JsNode>) -> wasmtime::Result<GuestStarted> {
        Ok(match self.bridge.start(&binding, &method, args) {
            Started::Done(outcome) => GuestStarted::Done(outcome),
            // The table is full only when the guest floods it: the trap
            // ends the run.
            Started::Pending(call) => GuestStarted::Pending(self.table.push(call)?),
        })
    }
}

impl HostPendingCall for RunState {
    fn subscribe(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Resource<wasmtime_wasi::p2::DynPollable>> {
        wasmtime_wasi::p2::subscribe(&mut self.table, call)
    }

    fn take(
        &mut self,
        call: Resource<PendingCall>,
    ) -> wasmtime::Result<Option<Result<Vec<JsNode>, crate::sandbox::BridgeCallError>>> {
        Ok(self.table.get_mut(&call)?.take())
    }

    fn drop(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<()> {
        self.table.delete(call)?;
        Ok(())
    }
}
