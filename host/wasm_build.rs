//! What the build scripts of `isobox` (the guest) and `isobox-plugins` (the
//! test plugins) share: where the workspace and its target directory are,
//! and a `cargo build` for wasm32-wasip2 free of the outer build's settings.
//! Each build script includes this file with `#[path]`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the host crates live two levels below it.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("a host crate lives two levels below the workspace root")
        .to_path_buf()
}

/// `name` under the outer build's target directory: a wasm build's own.
pub fn target_dir(root: &Path, name: &str) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join(name)
}

/// `cargo build --release --locked --target wasm32-wasip2` in `root`, into
/// `target_dir`; the caller adds the packages and settings.
pub fn wasm_cargo(root: &Path, target_dir: &Path) -> Command {
    let mut command = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    // The outer build's settings are for the host target, not wasm32's.
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
    command
}

/// Runs `command`, panicking with `what` failed and `hint` if it fails.
pub fn run(mut command: Command, what: &str, hint: &str) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build {what}: {e}"));
    if !status.success() {
        panic!("building {what} for wasm32-wasip2 failed ({status}): see the compiler output above; {hint}");
    }
}
