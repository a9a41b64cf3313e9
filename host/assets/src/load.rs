//! Reading a directory of assets into memory, within the caps.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;

use super::config::AssetConfig;
use super::error::AssetError;

/// The one dot-directory that is loaded: RFC 8615's well-known URIs
/// (`/.well-known/security.txt`, app association files).
const WELL_KNOWN: &str = ".well-known";

/// Files read so far, by key (`a/b.js`), and the running totals the caps
/// are checked against.
pub(crate) struct Loaded<'a> {
    pub(crate) files: BTreeMap<String, Bytes>,
    bytes: u64,
    config: &'a AssetConfig,
}

impl<'a> Loaded<'a> {
    pub(crate) fn new(config: &'a AssetConfig) -> Self {
        Loaded {
            files: BTreeMap::new(),
            bytes: 0,
            config,
        }
    }

    /// Counts one more file of `size` bytes against the caps.
    fn admit(&mut self, path: &Path, size: u64) -> Result<(), AssetError> {
        if self.files.len() >= self.config.max_files {
            return Err(AssetError::TooManyFiles {
                path: path.to_owned(),
                limit: self.config.max_files,
            });
        }
        let total = self.bytes.saturating_add(size);
        if total > self.config.max_total_bytes {
            return Err(AssetError::TooLarge {
                path: path.to_owned(),
                limit: self.config.max_total_bytes,
            });
        }
        self.bytes = total;
        Ok(())
    }

    /// Adds a file given in memory, its key checked.
    pub(crate) fn add(&mut self, key: &str, body: Bytes) -> Result<(), AssetError> {
        let invalid = |reason| AssetError::InvalidPath {
            path: key.chars().take(200).collect(),
            reason,
        };
        let key = key.strip_prefix('/').unwrap_or(key);
        if key.contains(['\\', '\0']) {
            return Err(invalid("a backslash or NUL cannot be requested"));
        }
        if key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
            return Err(invalid(
                "give a relative path of plain names: no empty, `.` or `..` segment",
            ));
        }
        if self.files.contains_key(key) {
            return Err(invalid("given twice"));
        }
        self.admit(Path::new(key), body.len() as u64)?;
        self.files.insert(key.to_owned(), body);
        Ok(())
    }

    /// Reads every regular file under `dir`: dot-files and dot-directories
    /// (but `.well-known`) are skipped, and so are symbolic links whose
    /// target is outside `dir`, under a dot-directory, missing, or a
    /// directory that contains the link (a cycle); other links are
    /// followed. Sockets, FIFOs and devices are skipped.
    pub(crate) fn read_dir(&mut self, dir: &Path) -> Result<(), AssetError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| AssetError::Io { path, source }
        };
        let root = dir.canonicalize().map_err(io(dir))?;
        if !root.is_dir() {
            return Err(AssetError::NotADirectory { path: dir.to_owned() });
        }
        let mut ancestors = vec![root.clone()];
        self.walk(&root, &root, "", &mut ancestors)
    }

    fn walk(&mut self, root: &Path, dir: &Path, prefix: &str, ancestors: &mut Vec<PathBuf>) -> Result<(), AssetError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| AssetError::Io { path, source }
        };
        let mut entries = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io(dir))?;
        // Sorted, so that a cap fails on the same file every time.
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(AssetError::NotUtf8 { path });
            };
            if is_hidden(&name) {
                continue;
            }
            let mut kind = entry.file_type().map_err(io(&path))?;
            let mut real = path.clone();
            if kind.is_symlink() {
                // A dangling link is skipped like one that leaves.
                let Ok(target) = path.canonicalize() else { continue };
                let Ok(inside) = target.strip_prefix(root) else {
                    continue;
                };
                if inside.components().any(|c| match c {
                    Component::Normal(part) => part.to_str().is_none_or(is_hidden),
                    _ => true,
                }) {
                    continue;
                }
                kind = std::fs::metadata(&target).map_err(io(&path))?.file_type();
                real = target;
            }
            let key = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if kind.is_dir() {
                let canonical = real.canonicalize().map_err(io(&path))?;
                if ancestors.contains(&canonical) {
                    continue;
                }
                ancestors.push(canonical.clone());
                self.walk(root, &canonical, &key, ancestors)?;
                ancestors.pop();
            } else if kind.is_file() {
                let size = std::fs::metadata(&real).map_err(io(&path))?.len();
                self.admit(&path, size)?;
                // Read no more than was admitted, should the file grow.
                let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                std::fs::File::open(&real)
                    .and_then(|file| file.take(size).read_to_end(&mut body))
                    .map_err(io(&path))?;
                self.files.insert(key, Bytes::from(body));
            }
        }
        Ok(())
    }
}

/// A dot-file or dot-directory, but `.well-known`.
fn is_hidden(name: &str) -> bool {
    name.starts_with('.') && name != WELL_KNOWN
}
