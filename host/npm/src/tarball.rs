//! A package's tarball unpacked into memory, refusing anything that could
//! reach outside the package: paths with `..` or a leading `/`, symbolic
//! and hard links, devices, and more decompressed bytes or files than the
//! caps allow. Nothing is written to disk here and no script ever runs.

use std::collections::BTreeMap;
use std::io::Read;

use bytes::Bytes;

/// Caps on one package's unpacked contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UnpackCaps {
    /// Decompressed bytes (tar headers included).
    pub bytes: u64,
    pub files: usize,
}

/// A package's files by their path inside the package (`lib/index.js`).
#[derive(Clone, Debug, Default)]
pub struct PackageFiles {
    files: BTreeMap<String, Bytes>,
}

impl PackageFiles {
    /// The file at `path` inside the package.
    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path)
    }

    /// Whether `path` is a directory holding some file.
    pub fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(name, _)| name.starts_with(&prefix))
    }

    /// Every file's path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Bytes of every file together.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.len() as u64).sum()
    }
}

/// Unpacks a `.tgz`. The first path component (`package/` in npm's
/// tarballs, but not always) is the package root and is dropped.
///
/// # Errors
/// Why the tarball is refused, as a sentence.
pub(crate) fn unpack(tgz: &[u8], caps: UnpackCaps) -> Result<PackageFiles, String> {
    let decoder = flate2::read::GzDecoder::new(tgz);
    let capped = Capped {
        inner: decoder,
        left: caps.bytes,
    };
    let mut archive = tar::Archive::new(capped);
    let mut files = BTreeMap::new();
    let entries = archive.entries().map_err(|e| unreadable(&e, caps))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| unreadable(&e, caps))?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).chars().take(120).collect::<String>();
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(format!("entry {shown:?} is a link, and links are refused"));
        }
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            return Err(format!(
                "entry {shown:?} is not a regular file (devices and pipes are refused)"
            ));
        }
        let path = package_path(&raw).map_err(|why| format!("entry {shown:?} {why}"))?;
        let Some(path) = path else { continue };
        if files.len() >= caps.files {
            return Err(format!("it has more than {} files", caps.files));
        }
        let size = entry.header().size().map_err(|e| unreadable(&e, caps))?;
        if size > caps.bytes {
            return Err(format!(
                "entry {shown:?} is larger than the cap of {} bytes",
                caps.bytes
            ));
        }
        let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut content).map_err(|e| unreadable(&e, caps))?;
        files.insert(path, Bytes::from(content));
    }
    Ok(PackageFiles { files })
}

/// The path inside the package, or None for the root itself.
fn package_path(raw: &[u8]) -> Result<Option<String>, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "has a path that is not UTF-8")?;
    if text.starts_with('/') || text.contains('\\') || text.contains('\0') {
        return Err("has an absolute or malformed path");
    }
    let mut parts = text.split('/').filter(|p| !p.is_empty() && *p != ".");
    if parts.next().is_none() {
        return Ok(None);
    }
    let mut kept = Vec::new();
    for part in parts {
        if part == ".." {
            return Err("climbs out of the package with `..`");
        }
        kept.push(part);
    }
    Ok((!kept.is_empty()).then(|| kept.join("/")))
}

fn unreadable(error: &std::io::Error, caps: UnpackCaps) -> String {
    if error.kind() == std::io::ErrorKind::FileTooLarge {
        format!("it decompresses past the cap of {} bytes", caps.bytes)
    } else {
        format!(
            "it is not a readable .tar.gz ({})",
            crate::error::clip(&error.to_string(), 120)
        )
    }
}

/// A reader that fails once more than `left` bytes came through it.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(read as u64)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::FileTooLarge))?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const CAPS: UnpackCaps = UnpackCaps {
        bytes: 1 << 20,
        files: 100,
    };

    fn tgz(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    fn file(builder: &mut tar::Builder<Vec<u8>>, path: &[u8], data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        // Raw bytes into the name field, so `..` and `/` get through the
        // builder's own checks.
        header.as_old_mut().name[..path.len()].copy_from_slice(path);
        header.set_size(data.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }

    #[test]
    fn files_unpack_under_the_package_root() {
        let bytes = tgz(|b| {
            file(b, b"package/package.json", b"{}");
            file(b, b"package/lib/a.js", b"export {}");
        });
        let files = unpack(&bytes, CAPS).unwrap();
        assert_eq!(files.paths().collect::<Vec<_>>(), ["lib/a.js", "package.json"]);
        assert!(files.is_dir("lib") && !files.is_dir("li"));
    }

    #[test]
    fn escapes_links_and_bombs_are_refused() {
        let traversal = tgz(|b| file(b, b"package/../../evil.js", b"x"));
        assert!(unpack(&traversal, CAPS).unwrap_err().contains(".."));
        let absolute = tgz(|b| file(b, b"/etc/passwd", b"x"));
        assert!(unpack(&absolute, CAPS).unwrap_err().contains("absolute"));
        let link = tgz(|b| {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            b.append_link(&mut header, "package/x", "/etc/passwd").unwrap();
        });
        assert!(unpack(&link, CAPS).unwrap_err().contains("link"));
        let big = tgz(|b| file(b, b"package/zeros", &vec![0; 2 << 20]));
        assert!(big.len() < 100_000, "compresses well");
        let error = unpack(&big, CAPS).unwrap_err();
        assert!(error.contains("cap"), "{error}");
        let many = tgz(|b| {
            for i in 0..101 {
                file(b, format!("package/{i}.js").as_bytes(), b"");
            }
        });
        assert!(unpack(&many, CAPS).unwrap_err().contains("more than 100 files"));
        assert!(unpack(b"not gzip", CAPS).unwrap_err().contains("readable"));
    }
}
