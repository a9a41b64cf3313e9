//! The event loop's wait: when no promise job is left and the run's result
//! is still pending, block on every `wasi:io` pollable the run waits for (the
//! next timer, outstanding requests and bodies, capability calls) at once.
//! The host parks the run meanwhile (no CPU) and its wall-clock limit still
//! ends it.

use rquickjs::Ctx;
use wasip2::clocks::monotonic_clock;
use wasip2::io::poll;

use crate::{bridge, fetch, timers};

/// Who is waiting on a pollable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Fetch,
    Bridge,
}

/// The next id from `counter`: an id for something the loop waits on
/// (never 0).
pub fn next_id(counter: &'static std::thread::LocalKey<std::cell::Cell<u32>>) -> u32 {
    counter.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1).max(1));
        id
    })
}

/// True while a timer, request, body or capability call could still settle
/// something.
pub fn has_work() -> bool {
    timers::pending() || fetch::pending() || bridge::pending()
}

/// Waits until a timer is due or some I/O is ready, then runs what is ready:
/// I/O deliveries first, then due timers.
pub fn wait_and_dispatch(ctx: &Ctx<'_>) {
    let timer = timers::next_due().filter(|due| *due > monotonic_clock::now());
    let due_now = timers::next_due().is_some() && timer.is_none();
    if !due_now {
        let mut waiting: Vec<(Source, u32, poll::Pollable)> = Vec::new();
        waiting.extend(fetch::pollables().into_iter().map(|(id, p)| (Source::Fetch, id, p)));
        waiting.extend(bridge::pollables().into_iter().map(|(id, p)| (Source::Bridge, id, p)));
        let timer_pollable = timer.map(monotonic_clock::subscribe_instant);
        let mut list: Vec<&poll::Pollable> = waiting.iter().map(|(_, _, p)| p).collect();
        list.extend(timer_pollable.as_ref());
        if !list.is_empty() {
            let ready = poll::poll(&list);
            drop(list);
            let ids = |source: Source| -> Vec<u32> {
                ready
                    .iter()
                    .filter_map(|&index| waiting.get(index as usize))
                    .filter(|(s, _, _)| *s == source)
                    .map(|(_, id, _)| *id)
                    .collect()
            };
            let (fetch_ready, bridge_ready) = (ids(Source::Fetch), ids(Source::Bridge));
            // The pollables are children of the resources dispatch drops.
            drop(waiting);
            drop(timer_pollable);
            fetch::dispatch(ctx, &fetch_ready);
            bridge::dispatch(ctx, &bridge_ready);
        }
    }
    timers::fire_due(ctx);
}
