//! A capability plugin that misbehaves on purpose, so the host's tests can
//! show that a trap, an endless loop or a memory hog in a plugin ends only
//! the call (or the run), never the host.

mod bindings {
    wit_bindgen::generate!({ world: "plugin", path: "wit", generate_all });
}

use bindings::exports::isobox::faulty::faulty::Guest;

struct Faulty;

impl Guest for Faulty {
    fn crash() -> String {
        panic!("the faulty plugin crashes on purpose")
    }

    fn spin() -> u32 {
        let mut n: u32 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    fn hog() -> u32 {
        let mut kept: Vec<Vec<u8>> = Vec::new();
        loop {
            kept.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&kept);
        }
    }

    fn echo(value: u32) -> u32 {
        value
    }
}

bindings::export!(Faulty with_types_in bindings);
