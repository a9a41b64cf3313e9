//! The typed RPC bridge: `env.<binding>.<method>(...)` in the sandbox reaches
//! a capability granted to the run. Values cross as a JS value tree and are
//! checked against the capability's WIT types.

mod pending;

pub use self::pending::PendingCall;
use self::pending::call_error;
use crate::sandbox::{BridgeHost, HostPendingCall, JsNode, RunState};
use wasmtime::component::Resource;

impl BridgeHost for RunState {
    fn start(
        &mut self,
        binding: String,
        method: String,
        _args: Vec<JsNode>,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        let outcome = Err(call_error(
            "TypeError",
            format!("env.{binding}.{method}: no capability named {binding} is granted to this run"),
        ));
        // The table is full only when the guest floods it: the trap ends
        // the run.
        Ok(self.table.push(PendingCall::finished(outcome))?)
    }
}

impl HostPendingCall for RunState {
    fn subscribe(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Resource<wasmtime_wasi::p2::DynPollable>> {
        Ok(wasmtime_wasi::p2::subscribe(&mut self.table, call)?)
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
