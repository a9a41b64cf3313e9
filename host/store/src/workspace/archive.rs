//! Tar archives (optionally gzip-compressed): made from workspace entries,
//! listed, and extracted into a directory all or nothing.
//!
//! Extraction trusts nothing in the archive. It reads it three times,
//! each time through a reader that stops at `maxBytes` of decompressed
//! data (so a gzip bomb costs at most that much work and no memory): first
//! header by header (counting entries, refusing oversized extension headers
//! and sparse files), then entry by entry checking every name and type
//! (one unsafe entry refuses the whole archive), and only then writing.

mod read;

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::rc::Rc;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use tar::{Builder, EntryType, Header};

use super::search::invalid;
use super::{FileSystem, FsCode, FsError, Workspace, WorkspaceLimits, path};
use crate::StoreError;
use crate::error::bounded;
use read::{kind_name, open, prescan, read_error, target};

/// The default of `maxEntries`.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// The largest extension header (GNU long name, PAX) an archive may hold.
const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// Options of [`archive_create`]. Unknown fields are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchiveCreateOptions {
    /// Compress with gzip (`.tar.gz`; default false).
    pub gzip: bool,
}

/// Options of [`archive_list`]. Unknown fields are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchiveListOptions {
    /// The most bytes the archive may expand to, headers included (default
    /// the workspace's byte quota); past it, `EFBIG`.
    pub max_bytes: Option<u64>,
    /// The most entries listed (default 10,000); past it the list is cut
    /// and says so.
    pub max_entries: Option<usize>,
}

/// Options of [`archive_extract`]. Unknown fields are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtractOptions {
    /// Replace existing files (default false: `EEXIST`).
    pub overwrite: bool,
    /// The most bytes the archive may expand to, headers included (default
    /// the workspace's byte quota); past it, `EFBIG`.
    pub max_bytes: Option<u64>,
    /// The most entries (default 10,000); more, `EDQUOT`.
    pub max_entries: Option<usize>,
}

/// One entry of an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveEntry {
    /// Its name in the archive (invalid UTF-8 replaced).
    pub path: String,
    /// `file`, `directory`, `symlink`, `hardlink`, `char`, `block`,
    /// `fifo`, `sparse` or `other`.
    pub kind: String,
    /// Its content's size in bytes.
    pub size: u64,
    /// A link's target.
    pub link: Option<String>,
    /// Whether extraction would refuse it (and with it the archive).
    #[serde(rename = "unsafe")]
    pub is_unsafe: bool,
    /// Why it is unsafe.
    pub reason: Option<String>,
}

/// What [`archive_list`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveList {
    /// The entries, in archive order.
    pub entries: Vec<ArchiveEntry>,
    /// Whether entries past `maxEntries` were left out.
    pub truncated: bool,
}

/// What [`archive_extract`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Extracted {
    /// Files written.
    pub files: u64,
    /// Directories made (or found there).
    pub directories: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Lists the archive in `bytes` (tar, or tar.gz by its magic bytes),
/// marking the entries extraction would refuse.
///
/// # Errors
/// `EINVAL` for bytes that are not a tar archive, a GNU sparse file, an
/// oversized extension header; `EFBIG` past `maxBytes`.
pub fn archive_list(
    bytes: &[u8],
    options: &ArchiveListOptions,
    limits: &WorkspaceLimits,
) -> Result<ArchiveList, StoreError> {
    let max = options.max_bytes.unwrap_or(limits.max_bytes);
    let max_entries = options.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
    prescan(bytes, max, None, None)?;
    let exceeded = Rc::new(Cell::new(false));
    let mut archive = open(bytes, max, &exceeded);
    let fail = |e: io::Error| read_error(&e, &exceeded, max);
    let mut list = ArchiveList {
        entries: Vec::new(),
        truncated: false,
    };
    for entry in archive.entries().map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        if list.entries.len() >= max_entries {
            list.truncated = true;
            break;
        }
        let name = entry.path_bytes();
        let reason = target(&name, kind, "/").err();
        list.entries.push(ArchiveEntry {
            path: String::from_utf8_lossy(&name).into_owned(),
            kind: kind_name(kind).to_owned(),
            size: entry.size(),
            link: entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(l.as_ref()).into_owned()),
            is_unsafe: reason.is_some(),
            reason,
        });
    }
    Ok(list)
}

/// Extracts the archive in `bytes` (tar, or tar.gz by its magic bytes)
/// into the directory `dest` (made when missing), all or nothing: one
/// unsafe entry (an absolute name, `..` leaving `dest`, a link, a device,
/// a FIFO, NUL in a name) refuses the whole archive before anything is
/// written.
///
/// # Errors
/// `EINVAL` for an unsafe entry (named, with the reason) or bytes that are
/// not a tar archive; `EFBIG` past `maxBytes` or for a file larger than the
/// largest allowed; `EDQUOT` past `maxEntries` or the workspace's quota;
/// `EEXIST` for an existing file without `overwrite`; `EISDIR`.
pub fn archive_extract(
    fs: &mut dyn FileSystem,
    bytes: &[u8],
    dest: &str,
    options: &ExtractOptions,
) -> Result<Extracted, StoreError> {
    let max = options.max_bytes.unwrap_or(fs.limits().max_bytes);
    let max_entries = options.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
    let max_file = fs.limits().max_file_bytes;
    prescan(bytes, max, Some(max_entries), Some(max_file))?;

    // Second pass: every name and type, nothing written.
    let exceeded = Rc::new(Cell::new(false));
    let mut plan: Vec<Option<String>> = Vec::new();
    {
        let mut archive = open(bytes, max, &exceeded);
        let fail = |e: io::Error| read_error(&e, &exceeded, max);
        for entry in archive.entries().map_err(fail)? {
            let entry = entry.map_err(fail)?;
            let kind = entry.header().entry_type();
            if kind.is_pax_global_extensions() {
                continue;
            }
            let name = entry.path_bytes();
            let to = target(&name, kind, dest).map_err(|reason| {
                invalid(
                    dest,
                    format!(
                        "the archive's entry {:?} is refused: {reason}; nothing was extracted",
                        bounded(String::from_utf8_lossy(&name))
                    ),
                )
            })?;
            plan.push(to);
        }
    }

    // Third pass: write.
    fs.mkdir(dest, true)?;
    let mut done = Extracted {
        files: 0,
        directories: 0,
        bytes: 0,
    };
    let mut written: HashSet<String> = HashSet::new();
    let exceeded = Rc::new(Cell::new(false));
    let mut archive = open(bytes, max, &exceeded);
    let fail = |e: io::Error| read_error(&e, &exceeded, max);
    let mut planned = plan.into_iter();
    for entry in archive.entries().map_err(fail)? {
        let mut entry = entry.map_err(fail)?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let Some(to) = planned.next() else {
            return Err(invalid(dest, "the archive changed between reads"));
        };
        let Some(to) = to else {
            continue;
        };
        if kind.is_dir() {
            fs.mkdir(&to, true)?;
            done.directories += 1;
            continue;
        }
        if !options.overwrite
            && !written.contains(&to)
            && let Some(existing) = fs.stat(&to)?
            && !existing.is_dir()
        {
            return Err(FsError::new(
                FsCode::EEXIST,
                &to,
                "the file exists: extract with overwrite to replace it",
            )
            .into());
        }
        let size = entry.size();
        let mut content = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
        (&mut entry).take(size).read_to_end(&mut content).map_err(fail)?;
        if content.len() as u64 != size {
            return Err(invalid(dest, format!("the archive is cut short inside {to}")));
        }
        fs.write(&to, &content, true, false)?;
        done.bytes += size;
        if written.insert(to) {
            done.files += 1;
        }
    }
    Ok(done)
}

/// A growing buffer that refuses to pass `cap` bytes.
struct Capped {
    buf: Vec<u8>,
    cap: u64,
    exceeded: bool,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if (self.buf.len() + data.len()) as u64 > self.cap {
            self.exceeded = true;
            return Err(io::Error::other("the archive passes the largest file"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Sink {
    Plain(Capped),
    Gzip(GzEncoder<Capped>),
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(data),
            Sink::Gzip(w) => w.write(data),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// A tar archive (gzip-compressed with `gzip`) of the entries at `paths`
/// (normalised), directories with everything in them, named relative to
/// the root (`src/a.rs`).
///
/// # Errors
/// `ENOENT` for a missing path; `EINVAL` for no path or more entries than
/// [`WorkspaceLimits::max_scan`]; `EFBIG` when the archive would be larger
/// than the largest file.
pub fn archive_create(
    fs: &mut dyn FileSystem,
    paths: &[String],
    options: &ArchiveCreateOptions,
) -> Result<Vec<u8>, StoreError> {
    if paths.is_empty() {
        return Err(invalid("", "name at least one file or directory to archive"));
    }
    let max_scan = fs.limits().max_scan;
    let mut seen: HashSet<String> = HashSet::new();
    let mut entries = Vec::new();
    for root in paths {
        let stat = fs.stat_existing(root)?;
        let dir = stat.is_dir();
        if root != "/" && seen.insert(stat.path.clone()) {
            entries.push(stat);
        }
        if !dir {
            continue;
        }
        let mut after: Option<String> = None;
        loop {
            let (page, more) = fs.walk(root, after.as_deref(), 1000)?;
            after = page.last().map(|s| s.path.clone());
            entries.extend(page.into_iter().filter(|s| seen.insert(s.path.clone())));
            if entries.len() > max_scan {
                return Err(invalid(
                    root,
                    format!("more than {max_scan} entries to archive: name fewer"),
                ));
            }
            if !more {
                break;
            }
        }
    }
    let cap = fs.limits().max_file_bytes;
    let capped = Capped {
        buf: Vec::new(),
        cap,
        exceeded: false,
    };
    let sink = if options.gzip {
        Sink::Gzip(GzEncoder::new(capped, Compression::default()))
    } else {
        Sink::Plain(capped)
    };
    let too_big = || -> StoreError {
        FsError::new(
            FsCode::EFBIG,
            "",
            format!("the archive would pass {cap} bytes, the largest file"),
        )
        .into()
    };
    let fail = |e: io::Error, exceeded: bool| -> StoreError {
        if exceeded {
            too_big()
        } else {
            FsError::new(
                FsCode::EIO,
                "",
                format!("the archive could not be made: {}", bounded(e)),
            )
            .into()
        }
    };
    let mut builder = Builder::new(sink);
    for entry in &entries {
        let mut header = Header::new_gnu();
        header.set_mtime(u64::try_from(entry.mtime / 1000).unwrap_or(0));
        let name = entry.path.trim_start_matches('/');
        let result = if entry.is_dir() {
            header.set_entry_type(EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder.append_data(&mut header, format!("{name}/"), io::empty())
        } else {
            let content = fs.read(&entry.path)?;
            header.set_entry_type(EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(content.len() as u64);
            builder.append_data(&mut header, name, content.as_slice())
        };
        if let Err(e) = result {
            let exceeded = match builder.get_ref() {
                Sink::Plain(w) => w.exceeded,
                Sink::Gzip(w) => w.get_ref().exceeded,
            };
            return Err(fail(e, exceeded));
        }
    }
    let sink = builder.into_inner().map_err(|e| fail(e, true))?;
    let capped = match sink {
        Sink::Plain(capped) => capped,
        Sink::Gzip(encoder) => encoder.finish().map_err(|e| fail(e, true))?,
    };
    if capped.exceeded {
        return Err(too_big());
    }
    Ok(capped.buf)
}

impl Workspace {
    /// A tar archive of `paths` (see [`archive_create`]).
    ///
    /// # Errors
    /// As [`archive_create`], and path errors.
    pub async fn archive_create(
        &self,
        paths: Vec<String>,
        options: ArchiveCreateOptions,
    ) -> Result<Vec<u8>, StoreError> {
        let paths = paths
            .iter()
            .map(|p| path::normalize(p))
            .collect::<Result<Vec<_>, _>>()?;
        self.read(move |fs| archive_create(fs, &paths, &options)).await
    }

    /// The entries of an archive (see [`archive_list`]), read on a blocking
    /// thread.
    ///
    /// # Errors
    /// As [`archive_list`].
    pub async fn archive_list(&self, bytes: Vec<u8>, options: ArchiveListOptions) -> Result<ArchiveList, StoreError> {
        let limits = self.limits;
        tokio::task::spawn_blocking(move || archive_list(&bytes, &options, &limits))
            .await
            .map_err(|e| StoreError::Backend(bounded(format!("an archive task failed: {e}"))))?
    }

    /// Extracts an archive into the directory `dest` (see
    /// [`archive_extract`]); one change of version.
    ///
    /// # Errors
    /// As [`archive_extract`], and path errors.
    pub async fn archive_extract(
        &self,
        bytes: Vec<u8>,
        dest: &str,
        options: ExtractOptions,
    ) -> Result<Extracted, StoreError> {
        let dest = path::normalize(dest)?;
        self.write(move |fs| archive_extract(fs, &bytes, &dest, &options)).await
    }
}

#[cfg(test)]
mod tests;
