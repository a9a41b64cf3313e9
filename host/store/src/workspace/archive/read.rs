//! Reading archives safely: a reader bounded in bytes, the first pass over
//! the headers, and the judgement of each entry's name and type.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use tar::{Archive, EntryType};

use super::MAX_EXTENSION_BYTES;
use crate::StoreError;
use crate::error::bounded;
use crate::workspace::search::invalid;
use crate::workspace::{FsCode, FsError, path};

/// A reader that fails (and says so in `exceeded`) rather than give more
/// than `left` bytes.
pub(super) struct Bounded<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(io::Error::other("the archive expands past the byte limit"));
        }
        let cap = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The archive's tar stream, decompressed when it starts with gzip's magic
/// bytes, bounded to `max` bytes.
pub(super) fn open<'a>(bytes: &'a [u8], max: u64, exceeded: &Rc<Cell<bool>>) -> Archive<Bounded<Box<dyn Read + 'a>>> {
    let inner: Box<dyn Read + 'a> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    Archive::new(Bounded {
        inner,
        left: max,
        exceeded: exceeded.clone(),
    })
}

/// Turns a failure reading the archive into the workspace's error.
pub(super) fn read_error(e: &io::Error, exceeded: &Cell<bool>, max: u64) -> StoreError {
    if exceeded.get() {
        return FsError::new(
            FsCode::EFBIG,
            "",
            format!("the archive expands past {max} bytes (maxBytes): refused"),
        )
        .into();
    }
    invalid("", format!("not a valid tar archive: {}", bounded(e)))
}

/// The first pass: header by header, without reading any content. Refuses
/// extension headers over 1 MiB, GNU sparse files, and PAX size overrides
/// (so later passes, which apply them, see the same entries). Returns the
/// number of entries (when `max_entries` is given, more is `EDQUOT`) and,
/// when `max_file` is given, refuses a file larger than it (`EFBIG`).
pub(super) fn prescan(
    bytes: &[u8],
    max: u64,
    max_entries: Option<usize>,
    max_file: Option<u64>,
) -> Result<usize, StoreError> {
    let exceeded = Rc::new(Cell::new(false));
    let mut archive = open(bytes, max, &exceeded);
    let fail = |e: io::Error| read_error(&e, &exceeded, max);
    let mut count = 0usize;
    let mut pax_size: Option<u64> = None;
    for entry in archive.entries().map_err(fail)?.raw(true) {
        let mut entry = entry.map_err(fail)?;
        let header = entry.header();
        let kind = header.entry_type();
        let size = entry.size();
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        let extension = kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions();
        if kind.is_gnu_sparse() {
            return Err(invalid(
                "",
                "the archive holds a GNU sparse file, which is not supported",
            ));
        }
        if extension {
            if size > MAX_EXTENSION_BYTES {
                return Err(invalid(
                    "",
                    format!("the archive holds an extension header of {size} bytes"),
                ));
            }
            if recognized && !kind.is_pax_global_extensions() {
                if kind.is_pax_local_extensions() {
                    let records = entry.pax_extensions().map_err(fail)?.into_iter().flatten();
                    for record in records {
                        let record = record.map_err(fail)?;
                        if record.key_bytes() == b"size" {
                            let value = record.value().ok().and_then(|v| v.parse::<u64>().ok());
                            pax_size = Some(value.ok_or_else(|| invalid("", "a PAX size record is not a number"))?);
                        }
                    }
                }
                continue;
            }
            pax_size = None;
        } else if let Some(pax) = pax_size.take()
            && pax != size
        {
            return Err(invalid(
                "",
                "the archive overrides a size with a PAX record, which is not supported",
            ));
        }
        count += 1;
        if let Some(max_entries) = max_entries
            && count > max_entries
        {
            return Err(FsError::new(
                FsCode::EDQUOT,
                "",
                format!("the archive holds more than {max_entries} entries (maxEntries)"),
            )
            .into());
        }
        if let Some(max_file) = max_file
            && !extension
            && size > max_file
        {
            return Err(FsError::new(
                FsCode::EFBIG,
                "",
                format!("an entry of {size} bytes is larger than the largest file ({max_file} bytes)"),
            )
            .into());
        }
    }
    Ok(count)
}

pub(super) fn kind_name(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Regular | EntryType::Continuous => "file",
        EntryType::Directory => "directory",
        EntryType::Symlink => "symlink",
        EntryType::Link => "hardlink",
        EntryType::Char => "char",
        EntryType::Block => "block",
        EntryType::Fifo => "fifo",
        EntryType::GNUSparse => "sparse",
        _ => "other",
    }
}

/// Where an entry named `name` goes below `dest` (a normalised path), or
/// why it may not (`None` for `dest` itself).
pub(super) fn target(name: &[u8], kind: EntryType, dest: &str) -> Result<Option<String>, String> {
    match kind_name(kind) {
        "file" | "directory" => {}
        "symlink" | "hardlink" => return Err("a link (links are not extracted)".into()),
        "char" | "block" | "fifo" => return Err("a device or FIFO".into()),
        "sparse" => return Err("a GNU sparse file".into()),
        _ => return Err(format!("an entry of unsupported type {:?}", kind.as_byte() as char)),
    }
    if name.contains(&0) {
        return Err("its name holds NUL".into());
    }
    let Ok(name) = std::str::from_utf8(name) else {
        return Err("its name is not UTF-8".into());
    };
    if name.starts_with('/') {
        return Err("an absolute path".into());
    }
    let mut depth = 0usize;
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "`..` leaves the destination".to_owned())?;
            }
            _ => depth += 1,
        }
    }
    let full = path::normalize(&format!("{dest}/{name}")).map_err(|e| e.message)?;
    if full == dest {
        return if kind_name(kind) == "directory" {
            Ok(None)
        } else {
            Err("a file without a name".into())
        };
    }
    Ok(Some(full))
}
