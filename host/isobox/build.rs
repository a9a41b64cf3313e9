//! Builds the sandbox guest (`guest/`) for wasm32-wasip2 with its own target
//! directory, so `cargo build` and `cargo test` just work, and tells the crate
//! where the component is (`ISOBOX_GUEST_WASM`).
//!
//! With the crate's `app` feature, the same guest is built a second time with
//! its `proxy` feature: the standalone app `build_app` initialises
//! (`ISOBOX_APP_WASM`, exporting `wasi:http/incoming-handler`). Both builds
//! share one target directory, so QuickJS's C is compiled once; each result
//! is copied out of cargo's output path, which the other build overwrites.
//!
//! Setting `ISOBOX_GUEST_WASM` and `ISOBOX_APP_WASM` to existing components
//! skips the build.
//! The guest needs clang-19, llvm-ar-19 and Debian's wasi-libc headers and the
//! `wasm32-wasip2` Rust target; `scripts/setup.sh` (run by `make`) installs them.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bytes of shadow stack the guest is linked with (stack first in memory).
/// `scripts/guest-env.sh` (the guest's clippy run) repeats these settings.
const GUEST_STACK_BYTES: u32 = 1024 * 1024;

fn main() {
    println!("cargo:rerun-if-env-changed=ISOBOX_GUEST_WASM");
    println!("cargo:rerun-if-env-changed=ISOBOX_APP_WASM");
    let with_app = env::var_os("CARGO_FEATURE_APP").is_some();
    if let Ok(prebuilt) = env::var("ISOBOX_GUEST_WASM") {
        let app = env::var("ISOBOX_APP_WASM").unwrap_or_default();
        if Path::new(&prebuilt).is_file() && (!with_app || Path::new(&app).is_file()) {
            println!("cargo:rustc-env=ISOBOX_GUEST_WASM={prebuilt}");
            println!("cargo:rustc-env=ISOBOX_APP_WASM={app}");
            return;
        }
        panic!("ISOBOX_GUEST_WASM={prebuilt} must be a file (and ISOBOX_APP_WASM={app}, with the `app` feature)");
    }

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host/isobox lives two levels below the workspace root")
        .to_path_buf();
    for watched in ["guest/src", "guest/c", "guest/Cargo.toml", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guest");
    let stack_header = root.join("guest/c/quickjs-wasi-stack.h");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let built = target_dir.join("wasm32-wasip2/release/isobox_guest.wasm");
    let sandbox = target_dir.join("isobox_guest_sandbox.wasm");
    let app = target_dir.join("isobox_guest_app.wasm");
    let mut builds = vec![("", &sandbox)];
    if with_app {
        builds.push(("isobox-guest/proxy", &app));
    }
    for (features, copy) in builds {
        build_guest(&cargo, &root, &target_dir, &stack_header, features);
        assert!(built.is_file(), "the guest build did not produce {}", built.display());
        copy_if_changed(&built, copy);
    }
    println!("cargo:rustc-env=ISOBOX_GUEST_WASM={}", sandbox.display());
    println!("cargo:rustc-env=ISOBOX_APP_WASM={}", app.display());
    println!("cargo:rustc-env=ISOBOX_GUEST_STACK_BYTES={GUEST_STACK_BYTES}");
}

/// Copies `from` to `to` unless `to` already holds the same bytes, so an
/// unchanged guest does not make the host crate rebuild.
fn copy_if_changed(from: &Path, to: &Path) {
    let bytes = std::fs::read(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
    if std::fs::read(to).ok().as_deref() != Some(bytes.as_slice()) {
        std::fs::write(to, &bytes).unwrap_or_else(|e| panic!("writing {}: {e}", to.display()));
    }
}

/// One cargo build of the guest for wasm32-wasip2.
fn build_guest(cargo: &str, root: &Path, target_dir: &Path, stack_header: &Path, features: &str) {
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--package", "isobox-guest", "--release", "--locked"])
        .args(["--target", "wasm32-wasip2", "--target-dir"])
        .arg(target_dir);
    if !features.is_empty() {
        command.args(["--features", features]);
    }
    // The outer build's settings are for the host target, not the guest's.
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
        // rquickjs-sys would otherwise download wasi-sdk; Debian's clang and
        // wasi-libc headers build QuickJS offline.
        .env("RQUICKJS_SYS_NO_WASI_SDK", "1")
        .env(
            "CC_wasm32_wasip2",
            env::var("ISOBOX_GUEST_CC").unwrap_or_else(|_| "clang-19".into()),
        )
        .env(
            "AR_wasm32_wasip2",
            env::var("ISOBOX_GUEST_AR").unwrap_or_else(|_| "llvm-ar-19".into()),
        )
        .env(
            "CFLAGS_wasm32_wasip2",
            format!("-isystem /usr/include/wasm32-wasi -include {}", stack_header.display()),
        )
        .env(
            "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
            format!("-C link-arg=--stack-first -C link-arg=-zstack-size={GUEST_STACK_BYTES}"),
        );

    let status = command.status().expect("running cargo to build the guest");
    if !status.success() {
        panic!(
            "building the sandbox guest for wasm32-wasip2 failed ({status}): see the compiler output above; \
             if clang-19, wasi-libc or the wasm32-wasip2 target is missing, run `make setup` (scripts/setup.sh)"
        );
    }
}
