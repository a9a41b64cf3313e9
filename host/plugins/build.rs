//! Builds the capability plugins in `plugins/` (the example `text` plugin and
//! the tests' misbehaving `faulty` one) for wasm32-wasip2 with their own
//! target directory, and tells the crate where they are
//! (`ISOBOX_PLUGIN_DIR`). They need only the `wasm32-wasip2` Rust target,
//! which `scripts/setup.sh` (run by `make`) installs.

#[path = "../wasm_build.rs"]
mod wasm_build;

fn main() {
    let root = wasm_build::workspace_root();
    for watched in ["plugins", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = wasm_build::target_dir(&root, "plugins");
    let mut command = wasm_build::wasm_cargo(&root, &target_dir);
    command.args(["--package", "isobox-plugin-text", "--package", "isobox-plugin-faulty"]);
    wasm_build::run(
        command,
        "the plugins",
        "if the wasm32-wasip2 target is missing, run `make setup` (scripts/setup.sh)",
    );
    println!(
        "cargo:rustc-env=ISOBOX_PLUGIN_DIR={}",
        target_dir.join("wasm32-wasip2/release").display()
    );
}
