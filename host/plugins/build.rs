//! Builds the capability plugins in `plugins/` (the example `text` plugin and
//! the tests' misbehaving `faulty` one) for wasm32-wasip2 with their own
//! target directory, and tells the crate where they are
//! (`ISOBOX_PLUGIN_DIR`). They need only the `wasm32-wasip2` Rust target,
//! which `scripts/setup.sh` (run by `make`) installs.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host/plugins lives two levels below the workspace root")
        .to_path_buf();
    for watched in ["plugins", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--release", "--locked", "--target", "wasm32-wasip2"])
        .args(["--package", "isobox-plugin-text", "--package", "isobox-plugin-faulty"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings are for the host target, not the plugins'.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("running cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for wasm32-wasip2 failed ({status}): see the compiler output above; \
             if the wasm32-wasip2 target is missing, run `make setup` (scripts/setup.sh)"
        );
    }
    println!(
        "cargo:rustc-env=ISOBOX_PLUGIN_DIR={}",
        target_dir.join("wasm32-wasip2/release").display()
    );
}
