//! The on-disk cache shared by every engine and process on a machine:
//! tarballs by content (their integrity), and resolutions by what was asked
//! (dependencies and registry). Files are written to a temporary name and
//! renamed, so readers never see half a file; a tarball is checked against
//! its integrity again when read, and a bad one is removed.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::integrity::Integrity;
use crate::lock::Lockfile;

/// Where installed packages are cached.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// A cache in `dir` (created when first written).
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: Some(dir.into()) }
    }

    /// No disk cache: every installation fetches again.
    pub fn disabled() -> Cache {
        Cache { dir: None }
    }

    /// `$ISOBOX_CACHE_DIR/npm`, else `$XDG_CACHE_HOME/isobox/npm`, else
    /// `$HOME/.cache/isobox/npm`, as the engine's own cache; disabled when
    /// none is set.
    pub fn default_location() -> Cache {
        Cache {
            dir: isobox::cache::CacheDir::Default.resolve().map(|root| root.join("npm")),
        }
    }

    /// The directory, if the cache is on.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub(crate) fn read_tarball(&self, integrity: &Integrity) -> Option<Vec<u8>> {
        let path = self.tarball_path(integrity)?;
        let bytes = std::fs::read(&path).ok()?;
        if integrity.check(&bytes).is_ok() {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    pub(crate) fn write_tarball(&self, integrity: &Integrity, bytes: &[u8]) {
        if let Some(path) = self.tarball_path(integrity) {
            // A cache that cannot be written only costs a later fetch.
            let _ = write_atomically(&path, bytes);
        }
    }

    pub(crate) fn read_resolution(&self, key: &str) -> Option<Lockfile> {
        let path = self.dir.as_ref()?.join("resolutions").join(format!("{key}.json"));
        Lockfile::from_json(&std::fs::read_to_string(path).ok()?).ok()
    }

    pub(crate) fn write_resolution(&self, key: &str, lock: &Lockfile) {
        if let Some(dir) = &self.dir {
            let _ = write_atomically(
                &dir.join("resolutions").join(format!("{key}.json")),
                lock.to_json().as_bytes(),
            );
        }
    }

    fn tarball_path(&self, integrity: &Integrity) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join("tarballs")
                .join(format!("{}.tgz", integrity.file_name())),
        )
    }
}

/// The cache key of a resolution: the registry and the dependencies.
pub(crate) fn resolution_key<'a>(registry: &str, dependencies: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut digest = Sha256::new();
    digest.update(b"isobox-npm resolution 1\n");
    digest.update(registry.as_bytes());
    for (name, wanted) in dependencies {
        digest.update(b"\n");
        digest.update(name.as_bytes());
        digest.update(b"@");
        digest.update(wanted.as_bytes());
    }
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`. Creates the directory (mode 0700 on Unix) when missing.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = dir.join(format!(".{name}.{}.{}", std::process::id(), unique()));
    let mut file = std::fs::File::create(&temporary)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_data());
    drop(file);
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarballs_are_kept_by_integrity_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("isobox-npm-cache-{}", std::process::id()));
        let cache = Cache::at(&dir);
        let bytes = b"tarball bytes";
        let integrity = Integrity::sha512_of(bytes);
        assert!(cache.read_tarball(&integrity).is_none());
        cache.write_tarball(&integrity, bytes);
        assert_eq!(cache.read_tarball(&integrity).as_deref(), Some(&bytes[..]));
        // A corrupted file is removed, not used.
        let path = cache.tarball_path(&integrity).unwrap();
        std::fs::write(&path, b"tampered").unwrap();
        assert!(cache.read_tarball(&integrity).is_none());
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn resolution_keys_differ_by_registry_and_dependencies() {
        let a = resolution_key("https://r/", [("zod", "^4")].into_iter());
        assert_ne!(a, resolution_key("https://s/", [("zod", "^4")].into_iter()));
        assert_ne!(a, resolution_key("https://r/", [("zod", "^3")].into_iter()));
        assert_eq!(a, resolution_key("https://r/", [("zod", "^4")].into_iter()));
    }
}
