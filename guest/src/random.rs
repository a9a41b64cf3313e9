//! Math.random, reseeded for every run.
//!
//! QuickJS seeds its own generator when the context is created, which happens
//! at wizer time: every run would then see the same sequence. The sandbox
//! replaces `Math.random` with xorshift128+ over a state that `seed` sets from
//! the host's per-run seed.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<(u64, u64)> = const { Cell::new((0x9e37_79b9_7f4a_7c15, 0xbf58_476d_1ce4_e5b9)) };
}

/// splitmix64: spreads one seed into well-mixed state words.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Sets the generator's state from the run's seed.
pub fn seed(seed: u64) {
    let mut x = seed;
    let a = splitmix64(&mut x);
    let b = splitmix64(&mut x);
    // xorshift128+ must not start from all zeroes.
    STATE.with(|s| s.set((a, if a == 0 && b == 0 { 1 } else { b })));
}

/// The next number in [0, 1), with 53 random bits.
pub fn next_f64() -> f64 {
    STATE.with(|s| {
        let (mut a, b) = s.get();
        let result = a.wrapping_add(b);
        a ^= a << 23;
        let next_b = a ^ b ^ (a >> 17) ^ (b >> 26);
        s.set((b, next_b));
        (result >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    })
}
