//! Timers: the queue behind setTimeout/setInterval, and the wait for the next
//! one. Waiting blocks on a `wasi:clocks` pollable, so the host parks the run
//! (no CPU) and its wall-clock limit still ends it.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rquickjs::{Ctx, Function, Persistent};
use wasip2::clocks::monotonic_clock;

const PRELUDE: &str = include_str!("timers.js");

thread_local! {
    /// Due time (monotonic ns) and order of scheduling, to timer id.
    static QUEUE: RefCell<BTreeMap<(u64, u64), u32>> = const { RefCell::new(BTreeMap::new()) };
    static SEQUENCE: RefCell<u64> = const { RefCell::new(0) };
    /// The JS `fire(id)` function from timers.js.
    static FIRE: RefCell<Option<Persistent<Function<'static>>>> = const { RefCell::new(None) };
}

/// Defines the timer globals. Runs at wizer time: no clock is read here.
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:timers", PRELUDE)?;
    let schedule = Function::new(ctx.clone(), |id: u32, ms: f64| {
        let due = monotonic_clock::now().saturating_add((ms.max(0.0) as u64).saturating_mul(1_000_000));
        let order = SEQUENCE.with(|s| {
            let mut s = s.borrow_mut();
            *s += 1;
            *s
        });
        QUEUE.with(|queue| queue.borrow_mut().insert((due, order), id));
    })?;
    let cancel = Function::new(ctx.clone(), |id: u32| {
        QUEUE.with(|queue| queue.borrow_mut().retain(|_, queued| *queued != id));
    })?;
    let fire: Function = installer.call((schedule, cancel))?;
    FIRE.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, fire)));
    Ok(())
}

/// True when a timer is waiting.
pub fn pending() -> bool {
    QUEUE.with(|queue| !queue.borrow().is_empty())
}

/// When the earliest timer is due (monotonic ns).
pub fn next_due() -> Option<u64> {
    QUEUE.with(|queue| queue.borrow().first_key_value().map(|((due, _), _)| *due))
}

/// Fires every timer that is due now. A timer callback that throws is
/// reported like an uncaught error and the run goes on, as in browsers.
pub fn fire_due(ctx: &Ctx<'_>) {
    let now = monotonic_clock::now();
    let due_ids: Vec<u32> = QUEUE.with(|queue| {
        let mut queue = queue.borrow_mut();
        let later = queue.split_off(&(now.saturating_add(1), 0));
        std::mem::replace(&mut *queue, later).into_values().collect()
    });
    if due_ids.is_empty() {
        return;
    }
    let Some(fire) = FIRE
        .with(|slot| slot.borrow().clone())
        .and_then(|f| f.restore(ctx).ok())
    else {
        return;
    };
    for id in due_ids {
        if fire.call::<_, ()>((id,)).is_err() {
            crate::rejections::report_uncaught(ctx);
        }
    }
}
