//! The workspace's plainer operations beside `read_file`/`write_file`:
//! text, ranges, appends, existence, copies, moves, hashes; and
//! [`parse_options`], which reads any of the operations' option structs
//! from JSON, refusing unknown fields with `EINVAL`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{FileSystem, FsCode, FsError, Stat, Workspace, path};
use crate::StoreError;
use crate::error::bounded;

/// The largest offset [`Workspace::read_range`] takes: JavaScript's
/// `Number.MAX_SAFE_INTEGER`.
pub const MAX_OFFSET: u64 = (1 << 53) - 1;

/// How [`Workspace::write_file_with`] writes. Unknown fields are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteOptions {
    /// Make missing parent directories (default false: `ENOENT`).
    pub parents: bool,
    /// Fail with `EEXIST` when the file exists (default false: replace it).
    pub exclusive: bool,
}

/// Reads options (or batch operations) from JSON.
///
/// # Errors
/// `EINVAL` with serde's explanation (an unknown field, a wrong type).
pub fn parse_options<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| FsError::invalid("", format!("bad options: {}", bounded(e))).into())
}

/// Appends `content` to the file at `path` (made when missing; its
/// directory must exist).
///
/// # Errors
/// `EFBIG` when the file would pass the largest size; as [`FileSystem::write`].
pub fn append(fs: &mut dyn FileSystem, path: &str, content: &[u8]) -> Result<Stat, StoreError> {
    let Some(stat) = fs.stat(path)? else {
        return fs.write(path, content, false, false);
    };
    if stat.is_dir() {
        return Err(FsError::new(FsCode::EISDIR, path, "a directory is there").into());
    }
    let max = fs.limits().max_file_bytes;
    if stat.size + content.len() as u64 > max {
        return Err(FsError::new(FsCode::EFBIG, path, format!("a file may have at most {max} bytes")).into());
    }
    let mut bytes = fs.read(path)?;
    bytes.extend_from_slice(content);
    fs.write(path, &bytes, false, false)
}

/// The SHA-256 (hex) of the file at `path`, as stored.
///
/// # Errors
/// `ENOENT`, `EISDIR`.
pub fn hash(fs: &mut dyn FileSystem, path: &str) -> Result<String, StoreError> {
    let stat = fs.stat_existing(path)?;
    if stat.is_dir() {
        return Err(FsError::new(FsCode::EISDIR, path, "a directory has no hash").into());
    }
    match stat.hash {
        Some(hash) => Ok(hash),
        None => Ok(super::sha256_hex(&fs.read(path)?)),
    }
}

impl Workspace {
    /// The content of the file at `path` as text.
    ///
    /// # Errors
    /// `ENOENT`, `EISDIR`, `EINVAL` (not UTF-8), path errors.
    pub async fn read_text(&self, path: &str) -> Result<String, StoreError> {
        let path = path::normalize(path)?;
        self.read(move |fs| fs.read_text(&path)).await
    }

    /// At most `length` bytes of the file at `path` from byte `offset`;
    /// fewer (or none) past its end.
    ///
    /// # Errors
    /// `EINVAL` for an offset above 2^53 - 1 or a length above the largest
    /// file; `ENOENT`, `EISDIR`, path errors.
    pub async fn read_range(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, StoreError> {
        let path = path::normalize(path)?;
        if offset > MAX_OFFSET {
            return Err(
                FsError::invalid(&path, format!("offset {offset} is out of range (at most {MAX_OFFSET})")).into(),
            );
        }
        let max = self.limits.max_file_bytes;
        if length > max {
            return Err(FsError::invalid(&path, format!("length {length} is out of range (at most {max})")).into());
        }
        self.read(move |fs| {
            let bytes = fs.read(&path)?;
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
            let end = start
                .saturating_add(usize::try_from(length).unwrap_or(usize::MAX))
                .min(bytes.len());
            Ok(bytes[start..end].to_vec())
        })
        .await
    }

    /// Appends `content` to the file at `path` (see [`append`]).
    ///
    /// # Errors
    /// As [`append`], and path errors.
    pub async fn append_file(&self, path: &str, content: &[u8]) -> Result<Stat, StoreError> {
        let path = path::normalize(path)?;
        let content = content.to_vec();
        self.write(move |fs| append(fs, &path, &content)).await
    }

    /// Whether an entry is at `path`.
    ///
    /// # Errors
    /// Path errors.
    pub async fn exists(&self, path: &str) -> Result<bool, StoreError> {
        Ok(self.stat(path).await?.is_some())
    }

    /// Copies a file (or, with `recursive`, a directory) from `from` to
    /// `to`. Returns how many entries were made.
    ///
    /// # Errors
    /// `ENOENT`, `EEXIST`, `EISDIR` (a directory without `recursive`),
    /// `EINVAL` (into itself), `EDQUOT`, path errors.
    pub async fn cp(&self, from: &str, to: &str, recursive: bool) -> Result<u64, StoreError> {
        let (from, to) = (path::normalize(from)?, path::normalize(to)?);
        self.write(move |fs| fs.copy(&from, &to, recursive)).await
    }

    /// Moves (renames) `from` to `to`.
    ///
    /// # Errors
    /// `ENOENT`, `EEXIST`, `EISDIR`, `EINVAL` (the root, into itself), path
    /// errors.
    pub async fn mv(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let (from, to) = (path::normalize(from)?, path::normalize(to)?);
        self.write(move |fs| fs.rename(&from, &to)).await
    }

    /// Writes `content` to the file at `path` as `options` say.
    ///
    /// # Errors
    /// `EEXIST` (with `exclusive`), `ENOENT` (no directory without
    /// `parents`), `EISDIR`, `EFBIG`, `EDQUOT`, path errors.
    pub async fn write_file_with(&self, path: &str, content: &[u8], options: WriteOptions) -> Result<Stat, StoreError> {
        let path = path::normalize(path)?;
        let content = content.to_vec();
        self.write(move |fs| fs.write(&path, &content, options.parents, options.exclusive))
            .await
    }

    /// The SHA-256 of the file at `path` in hex (the stored hash: no read).
    ///
    /// # Errors
    /// `ENOENT`, `EISDIR`, path errors.
    pub async fn hash(&self, path: &str) -> Result<String, StoreError> {
        let path = path::normalize(path)?;
        self.read(move |fs| hash(fs, &path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    use crate::error::fs_code as code;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn basics() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "basic").unwrap();
        ws.write_file("/a.txt", b"hello world").await.unwrap();
        assert_eq!(ws.read_text("/a.txt").await.unwrap(), "hello world");
        ws.write_file("/bin", b"\xff").await.unwrap();
        assert_eq!(code(ws.read_text("/bin").await.unwrap_err()), FsCode::EINVAL);

        assert_eq!(ws.read_range("/a.txt", 6, 3).await.unwrap(), b"wor");
        assert_eq!(ws.read_range("/a.txt", 6, 100).await.unwrap(), b"world", "a short read");
        assert_eq!(ws.read_range("/a.txt", 100, 5).await.unwrap(), b"");
        assert_eq!(
            code(ws.read_range("/a.txt", 1 << 53, 1).await.unwrap_err()),
            FsCode::EINVAL
        );
        assert_eq!(
            code(ws.read_range("/a.txt", 0, u64::MAX).await.unwrap_err()),
            FsCode::EINVAL
        );

        ws.append_file("/a.txt", b"!").await.unwrap();
        ws.append_file("/new.txt", b"x").await.unwrap();
        assert_eq!(ws.read_file("/a.txt").await.unwrap(), b"hello world!");
        assert_eq!(ws.read_file("/new.txt").await.unwrap(), b"x");
        let small = ws.clone().with_limits(crate::workspace::WorkspaceLimits {
            max_file_bytes: 12,
            ..Default::default()
        });
        assert_eq!(
            code(small.append_file("/a.txt", b"?").await.unwrap_err()),
            FsCode::EFBIG
        );
        assert_eq!(
            code(ws.append_file("/no/dir.txt", b"?").await.unwrap_err()),
            FsCode::ENOENT
        );

        assert!(ws.exists("/a.txt").await.unwrap() && ws.exists("/").await.unwrap());
        assert!(!ws.exists("/nope").await.unwrap());

        ws.mkdir("/d", false).await.unwrap();
        ws.write_file("/d/f", b"f").await.unwrap();
        assert_eq!(code(ws.cp("/d", "/e", false).await.unwrap_err()), FsCode::EISDIR);
        assert_eq!(ws.cp("/d", "/e", true).await.unwrap(), 2);
        assert_eq!(ws.read_file("/e/f").await.unwrap(), b"f");
        ws.mv("/e", "/g").await.unwrap();
        assert!(!ws.exists("/e").await.unwrap());
        assert_eq!(ws.read_file("/g/f").await.unwrap(), b"f");
        assert_eq!(code(ws.mv("/missing", "/x").await.unwrap_err()), FsCode::ENOENT);

        let excl = WriteOptions {
            exclusive: true,
            parents: false,
        };
        assert_eq!(
            code(ws.write_file_with("/a.txt", b"x", excl).await.unwrap_err()),
            FsCode::EEXIST
        );
        let parents = WriteOptions {
            parents: true,
            exclusive: false,
        };
        ws.write_file_with("/p/q/r.txt", b"r", parents).await.unwrap();
        assert_eq!(ws.read_file("/p/q/r.txt").await.unwrap(), b"r");

        assert_eq!(ws.hash("/p/q/r.txt").await.unwrap(), super::super::sha256_hex(b"r"));
        assert_eq!(code(ws.hash("/p").await.unwrap_err()), FsCode::EISDIR);
        assert_eq!(code(ws.hash("/zz").await.unwrap_err()), FsCode::ENOENT);

        let typo = parse_options::<WriteOptions>(serde_json::json!({"parent": true})).unwrap_err();
        assert_eq!(code(typo), FsCode::EINVAL);
        let ok: WriteOptions = parse_options(serde_json::json!({"parents": true})).unwrap();
        assert!(ok.parents && !ok.exclusive);
    }
}
