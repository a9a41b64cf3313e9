#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isobox_fuzz::egress_address(data));
