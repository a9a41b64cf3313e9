//! The directory workspace's contact with the host: workspace paths as
//! paths relative to the root, I/O errors as POSIX codes (with workspace
//! paths only, never a host path), files opened and checked on their
//! handle, and atomic replacement through a temporary name.

use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Dir, File, Metadata, OpenOptions, Permissions};

use crate::StoreError;
use crate::error::bounded;
use crate::workspace::{FsCode, FsError, path};

/// The prefix of the temporary names writes go through; entries so named
/// are isobox's own and hidden from listings, walks and counts.
pub(super) const TEMP_PREFIX: &str = ".isobox-tmp-";

/// The relative path of a normalised workspace path (`/a/b` is `a/b`, the
/// root `.`).
pub(super) fn rel(path: &str) -> &Path {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() {
        Path::new(".")
    } else {
        Path::new(trimmed)
    }
}

/// Normalises `path` again (the trait's methods may be handed anything),
/// so no `..` or empty segment ever reaches the host.
pub(super) fn clean(path: &str) -> Result<String, StoreError> {
    Ok(path::normalize(path)?)
}

/// The workspace path of a path relative to the root (from
/// `Dir::canonicalize`).
pub(super) fn from_rel(relative: &Path, shown: &str) -> Result<String, StoreError> {
    let mut out = String::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) => {
                let name = name
                    .to_str()
                    .ok_or_else(|| FsError::invalid(shown, "a name on the way is not UTF-8"))?;
                out.push('/');
                out.push_str(name);
            }
            Component::CurDir => {}
            _ => {
                return Err(FsError::new(
                    FsCode::EACCES,
                    shown,
                    "the path leads outside the workspace's directory: refused",
                )
                .into());
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Whether an error is cap-std refusing a path that leaves the root.
fn escapes(e: &io::Error) -> bool {
    e.kind() == ErrorKind::PermissionDenied && e.raw_os_error().is_none() && e.to_string().contains("outside")
}

/// An I/O error about workspace path `path` as a workspace error.
pub(super) fn fail(e: io::Error, path: &str) -> StoreError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return FsError::new(
            FsCode::EACCES,
            path,
            "a symlink is in the way (or too many levels of symlinks): refused",
        )
        .into();
    }
    let (code, message): (FsCode, String) = match e.kind() {
        ErrorKind::NotFound => (FsCode::ENOENT, "no such file or directory".into()),
        ErrorKind::AlreadyExists => (FsCode::EEXIST, "the path exists already".into()),
        ErrorKind::DirectoryNotEmpty => (FsCode::ENOTEMPTY, "the directory is not empty".into()),
        ErrorKind::NotADirectory => (FsCode::ENOTDIR, "a file where a directory was needed".into()),
        ErrorKind::IsADirectory => (FsCode::EISDIR, "a directory where a file was needed".into()),
        ErrorKind::PermissionDenied if escapes(&e) => (
            FsCode::EACCES,
            "the path leads outside the workspace's directory (through a symlink or an absolute link): refused".into(),
        ),
        ErrorKind::PermissionDenied => (FsCode::EACCES, "the host's permissions refuse it".into()),
        ErrorKind::ReadOnlyFilesystem => (FsCode::EACCES, "the host's file system is read-only".into()),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => (FsCode::EDQUOT, "the host's disk is full".into()),
        ErrorKind::FileTooLarge => (FsCode::EFBIG, "the host refuses a file this large".into()),
        _ => (FsCode::EIO, format!("the host failed: {}", bounded(e))),
    };
    FsError::new(code, path, message).into()
}

/// Milliseconds since the Unix epoch of an entry's modification (0 when
/// the host does not say).
pub(super) fn mtime(meta: &Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.into_std().duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How many names the file has (unknown off Unix: the most, so a file is
/// refused rather than trusted).
#[cfg(unix)]
pub(super) fn links(meta: &Metadata) -> u64 {
    use cap_std::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
pub(super) fn links(_meta: &Metadata) -> u64 {
    u64::MAX
}

pub(super) fn hard_linked(path: &str) -> StoreError {
    FsError::new(
        FsCode::EACCES,
        path,
        "a hard-linked file could reach outside the workspace: refused (it has more than one name)",
    )
    .into()
}

/// Opens the regular file at `path` for reading (a symlink that stays
/// inside the root is followed), checked on the opened handle: a
/// directory is `EISDIR`, anything but a regular file `EINVAL`, a file with
/// more than one name `EACCES`. Never blocks on a FIFO.
pub(super) fn open_file(dir: &Dir, path: &str) -> Result<(File, Metadata), StoreError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = dir.open_with(rel(path), &options).map_err(|e| fail(e, path))?;
    let meta = file.metadata().map_err(|e| fail(e, path))?;
    if meta.is_dir() {
        return Err(FsError::new(FsCode::EISDIR, path, "a directory has no content: use readdir").into());
    }
    if !meta.is_file() {
        return Err(FsError::invalid(path, "not a regular file (a FIFO, socket or device): refused").into());
    }
    if links(&meta) > 1 {
        return Err(hard_linked(path));
    }
    Ok((file, meta))
}

/// The content of an opened file, at most `max` bytes.
pub(super) fn read_all(mut file: File, meta: &Metadata, path: &str, max: u64) -> Result<Vec<u8>, StoreError> {
    let too_big = || -> StoreError {
        FsError::new(
            FsCode::EFBIG,
            path,
            format!("the file is larger than {max} bytes, the largest a workspace reads"),
        )
        .into()
    };
    if meta.len() > max {
        return Err(too_big());
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&mut file)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| fail(e, path))?;
    if out.len() as u64 > max {
        return Err(too_big());
    }
    Ok(out)
}

/// A fresh temporary name (not guessable, not repeated in this process).
fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{TEMP_PREFIX}{:016x}", hasher.finish())
}

/// Writes `content` under a fresh temporary name in the directory of
/// workspace path `path` (with `permissions` when given) and returns the
/// temporary's relative path and its metadata.
fn write_temp(
    dir: &Dir,
    path: &str,
    content: &[u8],
    permissions: Option<Permissions>,
) -> Result<(PathBuf, Metadata), StoreError> {
    let parent = rel(path::parent(path)).to_path_buf();
    let mut attempt = 0;
    let (temp, mut file) = loop {
        let temp = parent.join(temp_name());
        match dir.open_with(&temp, OpenOptions::new().write(true).create_new(true)) {
            Ok(file) => break (temp, file),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(fail(e, path)),
        }
    };
    let written = file
        .write_all(content)
        .and_then(|()| match permissions {
            Some(p) => file.set_permissions(p),
            None => Ok(()),
        })
        .and_then(|()| file.metadata());
    match written {
        Ok(meta) => Ok((temp, meta)),
        Err(e) => {
            let _ = dir.remove_file(&temp);
            Err(fail(e, path))
        }
    }
}

/// Replaces (or makes) the file at workspace path `path` with `content`
/// atomically: written under a temporary name in the same directory, then
/// renamed over it. With `exclusive`, linked into place instead, failing
/// with `EEXIST` when something is there. Returns the new file's metadata.
pub(super) fn replace(
    dir: &Dir,
    path: &str,
    content: &[u8],
    permissions: Option<Permissions>,
    exclusive: bool,
) -> Result<Metadata, StoreError> {
    let (temp, meta) = write_temp(dir, path, content, permissions)?;
    let target = rel(path);
    let placed = if exclusive {
        match dir.hard_link(&temp, dir, target) {
            Ok(()) => {
                // The file is in place; a temporary name left over is only
                // hidden clutter.
                let _ = dir.remove_file(&temp);
                Ok(())
            }
            // A host that cannot hard-link: the check before stands.
            Err(e) if e.kind() != ErrorKind::AlreadyExists && !escapes(&e) => dir.rename(&temp, dir, target),
            Err(e) => Err(e),
        }
    } else {
        dir.rename(&temp, dir, target)
    };
    if let Err(e) = placed {
        let _ = dir.remove_file(&temp);
        return Err(fail(e, path));
    }
    Ok(meta)
}
