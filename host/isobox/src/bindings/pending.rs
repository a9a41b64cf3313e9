//! A capability call in flight: the guest's `pending-call` resource. Its
//! pollable is ready when the host-side task has finished.

use wasmtime_wasi::runtime::AbortOnDropJoinHandle;

use super::{BridgeCallError, JsNode};

/// What a call produced: the result as a JS value tree, or the error to throw.
pub type CallOutcome = Result<Vec<JsNode>, BridgeCallError>;

/// A call the guest waits for.
pub enum PendingCall {
    /// The host task is still running.
    Running(AbortOnDropJoinHandle<CallOutcome>),
    /// Finished; taken by the guest once.
    Done(Option<CallOutcome>),
    /// Held at an approval gate: never ready in this run.
    Held,
    /// Answered from the journal when the guest takes it: ready at once.
    Replayed,
}

impl PendingCall {
    /// The result, once, if the call has finished.
    pub fn take(&mut self) -> Option<CallOutcome> {
        match self {
            PendingCall::Running(_) | PendingCall::Held | PendingCall::Replayed => None,
            PendingCall::Done(outcome) => outcome.take(),
        }
    }
}

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::Pollable for PendingCall {
    async fn ready(&mut self) {
        match self {
            PendingCall::Running(task) => {
                let outcome = task.await;
                *self = PendingCall::Done(Some(outcome));
            }
            PendingCall::Held => std::future::pending().await,
            PendingCall::Done(_) | PendingCall::Replayed => {}
        }
    }
}

/// A `TypeError`-style error for the guest.
pub(crate) fn call_error(name: &str, message: impl Into<String>) -> BridgeCallError {
    BridgeCallError {
        name: name.to_owned(),
        message: message.into(),
        value: None,
    }
}
