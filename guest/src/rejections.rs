//! Unhandled promise rejections: tracked during the run and reported at its
//! end as console error lines (`Uncaught (in promise) ...`). They do not fail
//! the run. The promises the sandbox awaits itself (the result, a module's
//! evaluation) are forgotten once settled (`engine::settle`), so their
//! rejection is the run's error and is not reported twice.

use std::cell::RefCell;

use rquickjs::{Ctx, Persistent, Runtime, Value, qjs};

use crate::bindings::isobox::sandbox::types::Phase;
use crate::console::{Level, write};
use crate::failure::Failure;

struct Rejection {
    /// The promise's address; stable because `_promise` keeps it alive.
    id: usize,
    _promise: Persistent<Value<'static>>,
    reason: Persistent<Value<'static>>,
}

thread_local! {
    /// Rejected promises with no handler yet. Empty in the snapshot.
    static UNHANDLED: RefCell<Vec<Rejection>> = const { RefCell::new(Vec::new()) };
}

/// Installs the tracker. Runs at wizer time.
pub fn install(runtime: &Runtime) {
    runtime.set_host_promise_rejection_tracker(Some(Box::new(|ctx, promise, reason, is_handled| {
        UNHANDLED.with(|list| {
            let mut list = list.borrow_mut();
            let id = identity(&promise);
            if is_handled {
                list.retain(|r| r.id != id);
            } else {
                list.push(Rejection {
                    id,
                    _promise: Persistent::save(&ctx, promise),
                    reason: Persistent::save(&ctx, reason),
                });
            }
        });
    })));
}

/// Forgets `promise`'s rejection: the sandbox reports it itself.
pub fn forget(promise: &Value<'_>) {
    let id = identity(promise);
    UNHANDLED.with(|list| list.borrow_mut().retain(|r| r.id != id));
}

/// A value's object address, as an identity.
fn identity(value: &Value<'_>) -> usize {
    // SAFETY: reads the pointer bits of an object value; never dereferenced.
    unsafe { qjs::JS_VALUE_GET_PTR(value.as_raw()) as usize }
}

/// Writes one error line per rejection still unhandled.
pub fn report(ctx: &Ctx<'_>) {
    let rejections = UNHANDLED.with(|list| std::mem::take(&mut *list.borrow_mut()));
    for rejection in rejections {
        let Ok(reason) = rejection.reason.restore(ctx) else {
            continue;
        };
        let line = Failure::from_exception(ctx, Phase::Run, reason).describe();
        if !write(Level::Error, &format!("Uncaught (in promise) {line}")) {
            break;
        }
    }
}

/// Writes the pending exception as an `Uncaught ...` error line: a timer
/// callback threw, and the run goes on.
pub fn report_uncaught(ctx: &Ctx<'_>) {
    let line = Failure::from_pending(ctx, Phase::Run).describe();
    let _ = write(Level::Error, &format!("Uncaught {line}"));
}
