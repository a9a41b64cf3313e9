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

#[path = "../wasm_build.rs"]
mod wasm_build;

use std::env;
use std::path::Path;

/// Bytes of shadow stack the guest is linked with (stack first in memory).
const GUEST_STACK_BYTES: u32 = 1024 * 1024;

fn main() {
    println!("cargo:rerun-if-env-changed=ISOBOX_GUEST_WASM");
    println!("cargo:rerun-if-env-changed=ISOBOX_APP_WASM");
    let with_app = env::var_os("CARGO_FEATURE_APP").is_some();
    if let Ok(prebuilt) = env::var("ISOBOX_GUEST_WASM") {
        let app = env::var("ISOBOX_APP_WASM").unwrap_or_default();
        if Path::new(&prebuilt).is_file() && (!with_app || Path::new(&app).is_file()) {
            println!("cargo:rustc-env=ISOBOX_GUEST_WASM={prebuilt}");
            if with_app {
                println!("cargo:rustc-env=ISOBOX_APP_WASM={app}");
            }
            return;
        }
        panic!("ISOBOX_GUEST_WASM={prebuilt} must be a file (and ISOBOX_APP_WASM={app}, with the `app` feature)");
    }

    let root = wasm_build::workspace_root();
    for watched in ["guest/src", "guest/c", "guest/Cargo.toml", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = wasm_build::target_dir(&root, "guest");
    let settings = guest_settings(&root);
    write_settings(&target_dir, &settings);

    let built = target_dir.join("wasm32-wasip2/release/isobox_guest.wasm");
    let sandbox = target_dir.join("isobox_guest_sandbox.wasm");
    let app = target_dir.join("isobox_guest_app.wasm");
    let mut builds = vec![("", &sandbox)];
    if with_app {
        builds.push(("isobox-guest/proxy", &app));
    }
    for (features, copy) in builds {
        build_guest(&root, &target_dir, &settings, features);
        assert!(built.is_file(), "the guest build did not produce {}", built.display());
        copy_if_changed(&built, copy);
    }
    println!("cargo:rustc-env=ISOBOX_GUEST_WASM={}", sandbox.display());
    if with_app {
        println!("cargo:rustc-env=ISOBOX_APP_WASM={}", app.display());
    }
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

/// The environment the guest builds with: Debian's clang-19 and wasi-libc
/// for QuickJS's C (rquickjs-sys would otherwise download wasi-sdk), the
/// stack header, and the guest's link arguments.
fn guest_settings(root: &Path) -> Vec<(&'static str, String)> {
    let stack_header = root.join("guest/c/quickjs-wasi-stack.h");
    vec![
        ("RQUICKJS_SYS_NO_WASI_SDK", "1".into()),
        (
            "CC_wasm32_wasip2",
            env::var("ISOBOX_GUEST_CC").unwrap_or_else(|_| "clang-19".into()),
        ),
        (
            "AR_wasm32_wasip2",
            env::var("ISOBOX_GUEST_AR").unwrap_or_else(|_| "llvm-ar-19".into()),
        ),
        (
            "CFLAGS_wasm32_wasip2",
            format!("-isystem /usr/include/wasm32-wasi -include {}", stack_header.display()),
        ),
        (
            "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
            format!("-C link-arg=--stack-first -C link-arg=-zstack-size={GUEST_STACK_BYTES}"),
        ),
    ]
}

/// Writes the settings as shell `export` lines to `guest-build.env` in the
/// guest's target directory, for `scripts/guest-env.sh` (the guest's clippy
/// run), so the guest is linted exactly as it is built.
fn write_settings(target_dir: &Path, settings: &[(&'static str, String)]) {
    let text: String = settings
        .iter()
        .map(|(name, value)| format!("export {name}='{value}'\n"))
        .collect();
    let path = target_dir.join("guest-build.env");
    std::fs::create_dir_all(target_dir).unwrap_or_else(|e| panic!("creating {}: {e}", target_dir.display()));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// One cargo build of the guest for wasm32-wasip2.
fn build_guest(root: &Path, target_dir: &Path, settings: &[(&'static str, String)], features: &str) {
    let mut command = wasm_build::wasm_cargo(root, target_dir);
    command.args(["--package", "isobox-guest"]);
    if !features.is_empty() {
        command.args(["--features", features]);
    }
    command.envs(settings.iter().map(|(name, value)| (name, value)));
    wasm_build::run(
        command,
        "the sandbox guest",
        "if clang-19, wasi-libc or the wasm32-wasip2 target is missing, run `make setup` (scripts/setup.sh)",
    );
}
