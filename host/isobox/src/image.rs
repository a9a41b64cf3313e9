//! The snapshot's linear memory as every sandbox starts with it, kept
//! mapped read-only so that a recycled sandbox's memory can be put back to
//! it page by page (`pages::reset`).
//!
//! It is read out of the initialised component's data segments when the
//! snapshot is made, and cached next to the compiled snapshot. It is only
//! made for a component whose one mutable core global is its stack pointer
//! (which every call returns to where it found it) and whose memory is
//! wholly written by active segments at constant offsets: then the memory
//! is all of a sandbox's state that a run can change and that outlives the
//! run, and putting the memory back makes the sandbox what a fresh one is.

use std::path::Path;

/// The initial contents of the snapshot's one linear memory: as many bytes
/// as the memory's initial size, the data segments written over zeros.
pub(crate) struct MemoryImage {
    #[cfg(target_os = "linux")]
    map: Mapped,
}

impl MemoryImage {
    /// The image of `component` (an initialised snapshot), in a file at
    /// `path` when given (written through a temporary file and a rename),
    /// else in an anonymous in-memory file. `None` when the component is not
    /// one whose memory is all its state (see the module's doc), or on a
    /// failure to write or map it.
    pub(crate) fn build(component: &[u8], path: Option<&Path>) -> Option<MemoryImage> {
        let bytes = initial_memory(component)?;
        #[cfg(target_os = "linux")]
        {
            let file = match path {
                Some(path) => {
                    crate::snapshot::write_cache_entry(path.parent()?, path.file_name()?.to_str()?, &bytes).ok()?;
                    std::fs::File::open(path).ok()?
                }
                None => memfd_with(&bytes)?,
            };
            Mapped::of(&file, bytes.len()).map(|map| MemoryImage { map })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (bytes, path);
            None
        }
    }

    /// The image cached at `path` by [`build`](Self::build), if there is one.
    pub(crate) fn open(path: &Path) -> Option<MemoryImage> {
        #[cfg(target_os = "linux")]
        {
            let file = std::fs::File::open(path).ok()?;
            let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
            Mapped::of(&file, len).map(|map| MemoryImage { map })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            None
        }
    }

    /// The image's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the mapping is `len` readable bytes, never written
            // (mapped read-only from a file no one writes after the rename),
            // and lives as long as `self`.
            unsafe { std::slice::from_raw_parts(self.map.ptr.cast::<u8>(), self.map.len) }
        }
        #[cfg(not(target_os = "linux"))]
        &[]
    }
}

/// A read-only shared mapping of a whole file.
#[cfg(target_os = "linux")]
struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; reading it
// from any thread is sound.
#[cfg(target_os = "linux")]
unsafe impl Send for Mapped {}
// SAFETY: as above.
#[cfg(target_os = "linux")]
unsafe impl Sync for Mapped {}

#[cfg(target_os = "linux")]
impl Mapped {
    fn of(file: &std::fs::File, len: usize) -> Option<Mapped> {
        use std::os::fd::AsRawFd;
        if len == 0 {
            return None;
        }
        // SAFETY: a new read-only shared mapping of `len` bytes of an open
        // file; the kernel picks the address. Unmapped on drop.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then_some(Mapped { ptr, len })
    }
}

#[cfg(target_os = "linux")]
impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `of`, which nothing borrows any more.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// An anonymous in-memory file holding `bytes`.
#[cfg(target_os = "linux")]
fn memfd_with(bytes: &[u8]) -> Option<std::fs::File> {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create with a valid name; the descriptor it returns is
    // owned by the File made of it.
    let fd = unsafe { libc::memfd_create(c"isobox-memory-image".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is a new descriptor nothing else owns.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes).ok()?;
    Some(file)
}

/// What the component's core modules say about their state.
#[derive(Default)]
struct ModuleFacts {
    /// Initial pages of the memory the module defines, if it defines one.
    memory_pages: Option<u64>,
    memories: u32,
    mutable_globals: u32,
    /// Active segments at constant offsets into memory 0.
    segments: Vec<(u64, Vec<u8>)>,
    /// Set by anything that puts the image out of reach: a passive segment
    /// with bytes,
    /// a non-constant offset, a 64-bit or shared memory, an imported
    /// mutable global.
    unsupported: bool,
}

/// The initial memory of `component`'s one memory-defining core module, if
/// the component is one whose memory is all of its state.
pub(crate) fn initial_memory(component: &[u8]) -> Option<Vec<u8>> {
    use wasmparser::{DataKind, Encoding, Operator, Parser, Payload, TypeRef};
    let mut stack: Vec<Option<ModuleFacts>> = Vec::new();
    let mut modules: Vec<ModuleFacts> = Vec::new();
    for payload in Parser::new(0).parse_all(component) {
        match payload.ok()? {
            Payload::Version { encoding, .. } => {
                stack.push((encoding == Encoding::Module).then(ModuleFacts::default));
            }
            Payload::End(_) => {
                if let Some(Some(facts)) = stack.pop() {
                    modules.push(facts);
                }
            }
            Payload::ImportSection(reader) => {
                let facts = stack.last_mut()?.as_mut()?;
                for import in reader.into_imports() {
                    match import.ok()?.ty {
                        TypeRef::Global(global) if global.mutable => facts.unsupported = true,
                        _ => {}
                    }
                }
            }
            Payload::MemorySection(reader) => {
                let facts = stack.last_mut()?.as_mut()?;
                for memory in reader {
                    let memory = memory.ok()?;
                    facts.memories += 1;
                    if memory.memory64 || memory.shared {
                        facts.unsupported = true;
                    }
                    facts.memory_pages.get_or_insert(memory.initial);
                }
            }
            Payload::GlobalSection(reader) => {
                let facts = stack.last_mut()?.as_mut()?;
                for global in reader {
                    if global.ok()?.ty.mutable {
                        facts.mutable_globals += 1;
                    }
                }
            }
            Payload::DataSection(reader) => {
                let facts = stack.last_mut()?.as_mut()?;
                for data in reader {
                    let data = data.ok()?;
                    let offset_expr = match data.kind {
                        DataKind::Active {
                            memory_index: 0,
                            offset_expr,
                        } => offset_expr,
                        // Wizer leaves the guest's own segments as empty
                        // passive ones: `memory.init` of them copies nothing.
                        DataKind::Passive if data.data.is_empty() => continue,
                        _ => {
                            facts.unsupported = true;
                            continue;
                        }
                    };
                    let mut operators = offset_expr.get_operators_reader();
                    match (operators.read().ok()?, operators.read().ok()?) {
                        (Operator::I32Const { value }, Operator::End) => {
                            facts.segments.push((u64::from(value as u32), data.data.to_vec()));
                        }
                        _ => facts.unsupported = true,
                    }
                }
            }
            _ => {}
        }
    }
    // One module defines the memory; it has the stack pointer, and no
    // module has any other mutable global.
    if modules.iter().any(|m| m.unsupported) || modules.iter().map(|m| m.memories).sum::<u32>() != 1 {
        return None;
    }
    let owner = modules.iter().find(|m| m.memories == 1)?;
    if owner.mutable_globals != 1 || modules.iter().map(|m| m.mutable_globals).sum::<u32>() != 1 {
        return None;
    }
    if modules.iter().any(|m| m.memories == 0 && !m.segments.is_empty()) {
        return None;
    }
    let len = usize::try_from(owner.memory_pages?.checked_mul(65_536)?).ok()?;
    let mut bytes = vec![0u8; len];
    for (offset, data) in &owner.segments {
        let start = usize::try_from(*offset).ok()?;
        bytes
            .get_mut(start..start.checked_add(data.len())?)?
            .copy_from_slice(data);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::initial_memory;

    /// A core module with one memory of one page, `globals` mutable i32
    /// globals, and `data` as its data section's entries (each already
    /// encoded).
    fn module(globals: u8, data: &[&[u8]]) -> Vec<u8> {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend([5, 3, 1, 0, 1]);
        let global: &[u8] = &[0x7f, 1, 0x41, 0, 0x0b];
        bytes.extend([6, 1 + 5 * globals, globals]);
        (0..globals).for_each(|_| bytes.extend(global));
        let entries: Vec<u8> = data.iter().flat_map(|entry| entry.iter().copied()).collect();
        bytes.extend([
            11,
            u8::try_from(entries.len() + 1).unwrap(),
            u8::try_from(data.len()).unwrap(),
        ]);
        bytes.extend(entries);
        bytes
    }

    /// An active segment of `bytes` at `offset` (below 64) in memory 0.
    fn active(offset: u8, bytes: &[u8]) -> Vec<u8> {
        let mut entry = vec![0, 0x41, offset, 0x0b, u8::try_from(bytes.len()).unwrap()];
        entry.extend(bytes);
        entry
    }

    #[test]
    fn the_image_is_the_memory_with_its_segments_written() {
        let image = initial_memory(&module(1, &[&active(16, &[0xaa, 0xbb]), &[1, 0]])).expect("an image");
        assert_eq!(image.len(), 65_536);
        assert_eq!(&image[15..19], &[0, 0xaa, 0xbb, 0]);
        assert_eq!(image.iter().filter(|b| **b != 0).count(), 2);
    }

    #[test]
    fn state_outside_the_memory_means_no_image() {
        // A second mutable global: a run could leave it changed.
        assert!(initial_memory(&module(2, &[])).is_none());
        // No mutable global at all is not the guest either.
        assert!(initial_memory(&module(0, &[])).is_none());
        // A passive segment with bytes, which `memory.init` could copy in.
        assert!(initial_memory(&module(1, &[&[1, 2, 7, 7]])).is_none());
        assert!(initial_memory(b"not wasm").is_none());
    }

    #[test]
    fn the_guest_has_an_image() {
        let image = initial_memory(crate::snapshot::GUEST_COMPONENT).expect("the guest's memory is all its state");
        assert_eq!(image.len() % 65_536, 0);
        assert!(image.iter().any(|b| *b != 0));
    }

    #[test]
    fn the_guest_never_writes_a_table_or_copies_in_a_segment() {
        // recycle.rs counts on it: a table or segment a run could change
        // would outlive the memory's reset.
        use wasmparser::{Operator, Parser, Payload};
        let mut bodies = 0;
        for payload in Parser::new(0).parse_all(crate::snapshot::GUEST_COMPONENT) {
            let Payload::CodeSectionEntry(body) = payload.expect("the guest parses") else {
                continue;
            };
            bodies += 1;
            let mut operators = body.get_operators_reader().expect("a function body");
            while !operators.eof() {
                let operator = operators.read().expect("an instruction");
                let changes_state = matches!(
                    operator,
                    Operator::TableSet { .. }
                        | Operator::TableGrow { .. }
                        | Operator::TableFill { .. }
                        | Operator::TableCopy { .. }
                        | Operator::TableInit { .. }
                        | Operator::ElemDrop { .. }
                        | Operator::MemoryInit { .. }
                        | Operator::DataDrop { .. }
                );
                assert!(!changes_state, "the guest has {operator:?}");
            }
        }
        assert!(bodies > 1000, "only {bodies} function bodies read");
    }
}
