//! The snapshot pipeline: the guest component, initialised by wizer, then
//! compiled for the engine and cached on disk.
//!
//! The guest's `wizer-initialize` creates the QuickJS runtime, context and
//! built-ins; wizer records the memory it leaves and writes a component that
//! starts from it. Compiling that component takes about half a second, so the
//! result is cached as a precompiled artifact keyed by the guest's hash, the
//! crate version and the engine's compatibility hash.

use std::hash::{Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wizer::Wizer;

use crate::error::{EngineError, Stage};
use crate::image::MemoryImage;
use crate::sandbox::RunState;

/// The guest component as built (not yet initialised).
pub(crate) const GUEST_COMPONENT: &[u8] = include_bytes!(env!("ISOBOX_GUEST_WASM"));

/// The compiled snapshot for `engine` and its memory image (`None` when the
/// snapshot's memory is not all of its state, or the image could not be
/// kept), loaded from `cache` when it holds both. A damaged or stale cache
/// entry, or one without its image, is rebuilt; a cache that cannot be
/// written only costs the next start its speed.
pub(crate) async fn load(
    engine: &Engine,
    cache: Option<&Path>,
) -> Result<(Component, Option<MemoryImage>), EngineError> {
    let key = cache_key(engine);
    let file_name = format!("sandbox-{key}.cwasm");
    let image_name = format!("sandbox-{key}.image");
    if let Some(dir) = cache {
        let path = dir.join(&file_name);
        if path.is_file()
            && let Some(image) = MemoryImage::open(&dir.join(&image_name))
        {
            // SAFETY: deserialising runs the machine code in the file. The
            // cache directory is the user's own (created 0700 below) and
            // holds only artifacts this function wrote; wasmtime checks the
            // header, version and engine compatibility before using one.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok((component, Some(image)));
            }
        }
    }
    let snapshot = snapshot().await?;
    let component =
        Component::new(engine, &snapshot).map_err(|e| EngineError::at(Stage::Compile, "compiling the snapshot", &e))?;
    // The image first: a cached snapshot is only used with its image.
    let image = MemoryImage::build(&snapshot, cache.map(|dir| dir.join(&image_name)).as_deref());
    if let (Some(dir), Ok(bytes)) = (cache, component.serialize()) {
        let _ = write_cache_entry(dir, &file_name, &bytes);
    }
    Ok((component, image))
}

/// Runs the guest's `wizer-initialize` and returns the initialised component.
async fn snapshot() -> Result<Vec<u8>, EngineError> {
    let engine = Engine::new(&wasmtime::Config::new())
        .map_err(|e| EngineError::at(Stage::Wasmtime, "creating the snapshot engine", &e))?;
    let mut store = Store::new(&engine, RunState::for_snapshot());
    let mut linker: Linker<RunState> = Linker::new(&engine);
    let linking = |e: wasmtime::Error| EngineError::at(Stage::Snapshot, "linking the guest's imports", &e);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(linking)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(linking)?;
    crate::sandbox::add_to_linker(&mut linker).map_err(linking)?;
    let mut wizer = Wizer::new();
    wizer.init_func("wizer-initialize").keep_init_func(true);
    let (initialised, _) = wizer
        .run_component(&mut store, GUEST_COMPONENT, async |store, component| {
            linker.instantiate_async(store, component).await
        })
        .await
        .map_err(|e| EngineError::at(Stage::Snapshot, "running the guest's wizer-initialize", &e))?;
    Ok(initialised)
}

fn cache_key(engine: &Engine) -> String {
    let mut compatibility = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compatibility);
    let mut digest = Sha256::new();
    digest.update(GUEST_COMPONENT);
    digest.update(env!("CARGO_PKG_VERSION").as_bytes());
    digest.update(compatibility.finish().to_le_bytes());
    let hash = digest.finalize();
    hash.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename, so a
/// reader never sees half a file.
pub(crate) fn write_cache_entry(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(name))
}

/// What identifies this engine for journals: isobox's version and the
/// first bytes of the guest's SHA-256 (a different guest may run code
/// differently, so its journals are not replayed).
pub(crate) fn guest_identity() -> String {
    static IDENTITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let hash = Sha256::digest(GUEST_COMPONENT);
            let short: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("isobox {} guest {short}", env!("CARGO_PKG_VERSION"))
        })
        .clone()
}
