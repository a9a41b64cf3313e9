//! The event loop's wait: when no promise job is left and the run's result
//! is still pending, block on every `wasi:io` pollable the run waits for (the
//! next timer, outstanding requests and bodies) at once. The host parks the
//! run meanwhile (no CPU) and its wall-clock limit still ends it.

use rquickjs::Ctx;
use wasip2::clocks::monotonic_clock;
use wasip2::io::poll;

use crate::{fetch, timers};

/// True while a timer, request or body could still settle something.
pub fn has_work() -> bool {
    timers::pending() || fetch::pending()
}

/// Waits until a timer is due or some I/O is ready, then runs what is ready:
/// fetch deliveries first, then due timers.
pub fn wait_and_dispatch(ctx: &Ctx<'_>) {
    let io = fetch::pollables();
    let timer = timers::next_due().filter(|due| *due > monotonic_clock::now());
    let due_now = timers::next_due().is_some() && timer.is_none();
    if !due_now {
        let timer_pollable = timer.map(monotonic_clock::subscribe_instant);
        let mut list: Vec<&poll::Pollable> = io.iter().map(|(_, p)| p).collect();
        list.extend(timer_pollable.as_ref());
        if !list.is_empty() {
            let ready = poll::poll(&list);
            let ready_ids: Vec<u32> = ready
                .iter()
                .filter_map(|&index| io.get(index as usize).map(|(id, _)| *id))
                .collect();
            drop(list);
            drop(io);
            fetch::dispatch(ctx, &ready_ids);
        }
    }
    timers::fire_due(ctx);
}
