//! The lockfile: every installed package with its place in the tree, exact
//! version, tarball URL and integrity. A resolution written once is read
//! back to install the identical tree without asking the registry.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{NpmError, NpmErrorKind};

/// The lockfile format's version.
const LOCKFILE_VERSION: u32 = 1;

/// What a resolution settled on: a tree of exact packages.
///
/// Its JSON form (`isobox-lock.json`) keeps npm's `packages` layout, keyed
/// by install path (`node_modules/a/node_modules/b`):
///
/// ```json
/// { "lockfileVersion": 1, "registry": "https://registry.npmjs.org/",
///   "dependencies": { "zod": "^4" },
///   "packages": { "node_modules/zod": { "name": "zod", "version": "4.1.12",
///     "resolved": "https://registry.npmjs.org/zod/-/zod-4.1.12.tgz",
///     "integrity": "sha512-..." } } }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockfile {
    #[serde(rename = "lockfileVersion")]
    pub(crate) version: u32,
    pub(crate) registry: String,
    /// The dependencies asked for, as written.
    pub(crate) dependencies: BTreeMap<String, String>,
    pub(crate) packages: BTreeMap<String, LockedPackage>,
}

/// One installed package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LockedPackage {
    pub name: String,
    pub version: String,
    /// The tarball's URL.
    pub resolved: String,
    pub integrity: String,
    /// What it depends on (dependencies, optional and peer ones that were
    /// installed), as its manifest writes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, String>,
}

impl Lockfile {
    pub(crate) fn new(registry: &str, dependencies: BTreeMap<String, String>) -> Lockfile {
        Lockfile {
            version: LOCKFILE_VERSION,
            registry: registry.to_owned(),
            dependencies,
            packages: BTreeMap::new(),
        }
    }

    /// Reads a lockfile's JSON.
    ///
    /// # Errors
    /// [`NpmErrorKind::Lockfile`] when it is not a lockfile of this format.
    pub fn from_json(text: &str) -> Result<Lockfile, NpmError> {
        let lock: Lockfile = serde_json::from_str(text)
            .map_err(|e| NpmError::new(NpmErrorKind::Lockfile, format!("not an isobox lockfile: {e}")))?;
        if lock.version != LOCKFILE_VERSION {
            return Err(NpmError::new(
                NpmErrorKind::Lockfile,
                format!(
                    "lockfile version {} is not {LOCKFILE_VERSION}; delete it to resolve again",
                    lock.version
                ),
            ));
        }
        for (path, package) in &lock.packages {
            if install_path_names(path).is_none_or(|names| names.last() != Some(&package.name.as_str())) {
                return Err(NpmError::new(
                    NpmErrorKind::Lockfile,
                    format!("the lockfile's package path {path:?} does not name {:?}", package.name),
                ));
            }
        }
        Ok(lock)
    }

    /// Reads `path`; None when there is no such file.
    ///
    /// # Errors
    /// As [`Lockfile::from_json`], or the file cannot be read.
    pub fn read(path: &Path) -> Result<Option<Lockfile>, NpmError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Lockfile::from_json(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(NpmError::new(
                NpmErrorKind::Lockfile,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    /// The JSON text (sorted, two-space indented, ending in a newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the lockfile to `path` atomically.
    ///
    /// # Errors
    /// [`NpmErrorKind::Lockfile`] when it cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), NpmError> {
        crate::cache::write_atomically(path, self.to_json().as_bytes())
            .map_err(|e| NpmError::new(NpmErrorKind::Lockfile, format!("cannot write {}: {e}", path.display())))
    }

    /// How many packages it installs.
    pub fn package_count(&self) -> usize {
        self.packages.len()
    }

    /// `name@version` of every package, by install path.
    pub fn versions(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.packages
            .iter()
            .map(|(path, p)| (path.as_str(), p.name.as_str(), p.version.as_str()))
    }

    /// Whether it answers exactly these dependencies from this registry.
    pub(crate) fn answers(&self, registry: &str, dependencies: &BTreeMap<String, String>) -> bool {
        self.registry == registry && &self.dependencies == dependencies
    }
}

/// The package names along an install path: `node_modules/@a/b/node_modules/c`
/// is [`@a/b`, `c`]. None for a path of another shape.
pub(crate) fn install_path_names(path: &str) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = path.strip_prefix("node_modules/")?;
    loop {
        let end = if rest.starts_with('@') {
            let slash = rest.find('/')?;
            rest[slash + 1..].find('/').map_or(rest.len(), |i| slash + 1 + i)
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        let name = &rest[..end];
        crate::spec::check_name(name).ok()?;
        names.push(name);
        if end == rest.len() {
            return Some(names);
        }
        rest = rest[end..].strip_prefix("/node_modules/")?;
    }
}

/// The install path of the package directory that holds `path`'s
/// `node_modules` lookups, and its ancestors: for
/// `node_modules/a/node_modules/b` they are that path, `node_modules/a`
/// and the root (`""`).
pub(crate) fn ancestors(dir: &str) -> Vec<String> {
    let names = if dir.is_empty() {
        Vec::new()
    } else {
        install_path_names(dir).unwrap_or_default()
    };
    (0..=names.len())
        .rev()
        .map(|i| {
            names[..i]
                .iter()
                .map(|n| format!("node_modules/{n}"))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// Where a package named `name` lives under the directory `dir`.
pub(crate) fn child_path(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        format!("node_modules/{name}")
    } else {
        format!("{dir}/node_modules/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_paths_split_into_names_and_ancestors() {
        assert_eq!(
            install_path_names("node_modules/@a/b/node_modules/c"),
            Some(vec!["@a/b", "c"])
        );
        assert_eq!(install_path_names("node_modules/../x"), None);
        assert_eq!(install_path_names("x/node_modules/a"), None);
        assert_eq!(
            ancestors("node_modules/a/node_modules/@s/b"),
            ["node_modules/a/node_modules/@s/b", "node_modules/a", ""]
        );
        assert_eq!(ancestors(""), [""]);
        assert_eq!(child_path("", "zod"), "node_modules/zod");
        assert_eq!(child_path("node_modules/a", "b"), "node_modules/a/node_modules/b");
    }

    #[test]
    fn a_lockfile_round_trips_and_bad_ones_are_refused() {
        let mut lock = Lockfile::new("https://r/", [("zod".to_owned(), "^4".to_owned())].into());
        lock.packages.insert(
            "node_modules/zod".into(),
            LockedPackage {
                name: "zod".into(),
                version: "4.0.0".into(),
                resolved: "https://r/zod/-/zod-4.0.0.tgz".into(),
                integrity: "sha512-AAAA".into(),
                dependencies: BTreeMap::new(),
            },
        );
        let text = lock.to_json();
        assert_eq!(Lockfile::from_json(&text).unwrap(), lock);
        let wrong = text.replace("node_modules/zod", "node_modules/../zod");
        assert_eq!(Lockfile::from_json(&wrong).unwrap_err().kind(), NpmErrorKind::Lockfile);
        let newer = text.replace("\"lockfileVersion\": 1", "\"lockfileVersion\": 9");
        assert!(Lockfile::from_json(&newer).unwrap_err().message().contains("version 9"));
    }
}
