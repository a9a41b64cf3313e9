//! With the `proxy` feature (a built app), links guest/c/proxy-stubs.c: the
//! WASI imports wasi-libc references but a wasi:http/proxy app cannot have.

fn main() {
    println!("cargo:rerun-if-changed=c/proxy-stubs.c");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if std::env::var_os("CARGO_FEATURE_PROXY").is_some() && wasm {
        cc::Build::new().file("c/proxy-stubs.c").compile("isobox_proxy_stubs");
    }
}
