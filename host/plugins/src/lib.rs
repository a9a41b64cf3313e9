//! Where the capability plugins of `plugins/` are, built for wasm32-wasip2 by
//! this crate's build script: the example `text` plugin (used by the demo and
//! the tests) and the misbehaving `faulty` one (used by the tests).
//!
//! ```
//! assert!(isobox_plugins::component("text").is_file());
//! ```

use std::path::PathBuf;

/// The directory holding `isobox_plugin_<name>.wasm`.
pub const DIR: &str = env!("ISOBOX_PLUGIN_DIR");

/// The component file of the plugin `name` (`text`, `faulty`).
pub fn component(name: &str) -> PathBuf {
    PathBuf::from(DIR).join(format!("isobox_plugin_{name}.wasm"))
}
