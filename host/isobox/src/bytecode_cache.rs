//! The engine's cache of compiled code: the same code (by content hash) is
//! compiled to QuickJS bytecode once and later runs read the bytecode instead
//! of parsing again. Each run still gets a fresh instance. For TypeScript the
//! entry also keeps the stripped JavaScript, so a hit skips stripping too.
//!
//! The guest offers the bytecode through `compile-cache.keep` right after
//! compiling and before any of the code runs, and the host keeps only that
//! first offer, so what code does at run time cannot change what is cached.
//!
//! Linked modules ([`LinkedModules`](crate::LinkedModules)) are cached too,
//! each under its own key (kind, name and source, behind a prefix no
//! main-code key has). The guest offers one through `keep-module` only
//! before it calls `seal`, before any JS of the run executes; the host
//! takes an offer only for a module it sent without bytecode, once, and
//! none after `seal` (or after the main code's `keep`): see
//! `sandbox::CompileOffer`.
//! The cache lives in one [`Engine`](crate::Engine), whose guest and wasmtime
//! are fixed, so bytecode never crosses engine versions. Entries are evicted
//! least recently used first once their bytes pass the capacity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bindings::{GuestCodeForm, GuestCompiled, GuestModuleKind};

/// What the bytecode cache did for a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CacheUse {
    /// The engine has no cache, or the run never reached compilation.
    #[default]
    Off,
    /// The run read bytecode an earlier run compiled.
    Hit,
    /// The run compiled the code (and cached the bytecode if it parsed).
    Miss,
}

pub(crate) type CacheKey = [u8; 32];

/// The first byte hashed for a main code's key.
const MAIN_KEY: u8 = b'M';
/// The first byte hashed for a linked module's key.
const MODULE_KEY: u8 = b'L';

pub(crate) struct BytecodeCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CacheKey, Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    cached: Cached,
    last_used: u64,
}

/// What the cache holds for one key.
#[derive(Clone)]
pub(crate) struct Cached {
    pub compiled: Arc<GuestCompiled>,
    /// The stripped JavaScript, for TypeScript sources.
    pub js: Option<Arc<str>>,
}

impl Cached {
    fn size(&self) -> usize {
        self.compiled.bytecode.len() + self.js.as_ref().map_or(0, |js| js.len())
    }
}

impl BytecodeCache {
    /// A cache holding at most `capacity` bytes of bytecode.
    pub(crate) fn new(capacity: usize) -> Self {
        BytecodeCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The key of a request's main code: its form, file name, language and
    /// source as the caller gave it (TypeScript before stripping).
    pub(crate) fn key(form: GuestCodeForm, filename: &str, typescript: bool, source: &str) -> CacheKey {
        let mut digest = Sha256::new();
        digest.update([
            MAIN_KEY,
            match form {
                GuestCodeForm::Auto => 0u8,
                GuestCodeForm::Module => 1,
                GuestCodeForm::Script => 2,
            },
            u8::from(typescript),
        ]);
        digest.update((filename.len() as u64).to_le_bytes());
        digest.update(filename.as_bytes());
        digest.update(source.as_bytes());
        digest.finalize().into()
    }

    /// The key of a linked module: its kind, name and source (JSON as
    /// text, TypeScript stripped). Its first byte differs from every
    /// main-code key's, so the two never meet.
    pub(crate) fn module_key(kind: GuestModuleKind, name: &str, source: &str) -> CacheKey {
        let mut digest = Sha256::new();
        digest.update([
            MODULE_KEY,
            match kind {
                GuestModuleKind::Js => 0u8,
                GuestModuleKind::Json => 1,
                GuestModuleKind::Text => 2,
            },
        ]);
        digest.update((name.len() as u64).to_le_bytes());
        digest.update(name.as_bytes());
        digest.update(source.as_bytes());
        digest.finalize().into()
    }

    /// What the cache holds for each of `keys`, in order, under one lock.
    pub(crate) fn get_all<'a>(&self, keys: impl IntoIterator<Item = &'a CacheKey>) -> Vec<Option<Cached>> {
        let mut inner = self.lock();
        keys.into_iter()
            .map(|key| {
                inner.clock += 1;
                let now = inner.clock;
                let entry = inner.entries.get_mut(key)?;
                entry.last_used = now;
                Some(entry.cached.clone())
            })
            .collect()
    }

    pub(crate) fn get(&self, key: &CacheKey) -> Option<Cached> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(key)?;
        entry.last_used = now;
        Some(entry.cached.clone())
    }

    /// Keeps `compiled` (and the stripped `js` of TypeScript) under `key`,
    /// evicting the least recently used entries to stay within capacity. An
    /// entry larger than the capacity is not kept.
    pub(crate) fn insert(&self, key: CacheKey, compiled: GuestCompiled, js: Option<Arc<str>>) {
        let cached = Cached {
            compiled: Arc::new(compiled),
            js,
        };
        let size = cached.size();
        if size > self.capacity {
            return;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        if let Some(old) = inner.entries.insert(key, Entry { cached, last_used: now }) {
            inner.bytes -= old.cached.size();
        }
        inner.bytes += size;
        while inner.bytes > self.capacity {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| *k) else {
                break;
            };
            if let Some(evicted) = inner.entries.remove(&oldest) {
                inner.bytes -= evicted.cached.size();
            }
        }
    }

    /// Bytes held (bytecode and stripped JavaScript).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent counts (every
        // update above is complete before the guard drops), so poison is
        // safe to ignore.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::isobox::sandbox::types::CompiledForm as GuestCompiledForm;

    fn compiled(size: usize) -> GuestCompiled {
        GuestCompiled {
            form: GuestCompiledForm::Script,
            bytecode: vec![7; size],
        }
    }

    #[test]
    fn the_least_recently_used_entry_goes_first_and_bytes_stay_within_capacity() {
        let cache = BytecodeCache::new(100);
        cache.insert([1; 32], compiled(40), None);
        cache.insert([2; 32], compiled(40), None);
        assert!(cache.get(&[1; 32]).is_some(), "touch 1, so 2 is the oldest");
        cache.insert([3; 32], compiled(40), None);
        assert!(cache.get(&[2; 32]).is_none(), "2 was evicted");
        assert!(cache.get(&[1; 32]).is_some() && cache.get(&[3; 32]).is_some());
        assert_eq!(cache.bytes(), 80);
    }

    #[test]
    fn module_keys_differ_from_main_keys_and_by_kind_name_and_source() {
        let source = "export default 1";
        let main = BytecodeCache::key(GuestCodeForm::Module, "a.js", false, source);
        let module = BytecodeCache::module_key(GuestModuleKind::Js, "a.js", source);
        assert_ne!(main, module);
        for other in [
            BytecodeCache::module_key(GuestModuleKind::Text, "a.js", source),
            BytecodeCache::module_key(GuestModuleKind::Js, "b.js", source),
            BytecodeCache::module_key(GuestModuleKind::Js, "a.js", "export default 2"),
            // The name's length is hashed: no shifting of bytes between the two.
            BytecodeCache::module_key(GuestModuleKind::Js, "a.jsexport", " default 1"),
        ] {
            assert_ne!(module, other);
        }
        assert_eq!(module, BytecodeCache::module_key(GuestModuleKind::Js, "a.js", source));
    }

    #[test]
    fn get_all_answers_each_key_in_order() {
        let cache = BytecodeCache::new(100);
        cache.insert([1; 32], compiled(4), None);
        let found: Vec<bool> = cache.get_all(&[[2; 32], [1; 32]]).iter().map(Option::is_some).collect();
        assert_eq!(found, [false, true]);
    }

    #[test]
    fn bytecode_larger_than_the_cache_is_not_kept() {
        let cache = BytecodeCache::new(10);
        cache.insert([1; 32], compiled(11), None);
        assert!(cache.get(&[1; 32]).is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn replacing_an_entry_counts_its_bytes_once_with_the_stripped_javascript() {
        let cache = BytecodeCache::new(100);
        cache.insert([1; 32], compiled(30), None);
        cache.insert([1; 32], compiled(40), Some(Arc::from("0123456789")));
        assert_eq!(cache.bytes(), 50);
    }
}
