#![no_main]

// Known upstream panics filtered out: see `wit_libfuzzer`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| isobox_fuzz::wit_libfuzzer(data));
