//! Node's module resolution over an installed tree held in memory: bare
//! names found by walking up `node_modules`, `exports` and `imports` with
//! conditions, `module`/`main` fallbacks, extension and directory lookup,
//! and Node's built-in modules told apart.

use serde_json::Value;

use crate::install::{Installed, InstalledPackage};
use crate::lock::{ancestors, child_path};
use crate::spec::split_bare;

/// Extensions tried, in order, when a path names no file.
const EXTENSIONS: [&str; 4] = [".js", ".mjs", ".cjs", ".json"];

/// Node's built-in modules (without `node:`).
const BUILTINS: [&str; 39] = [
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "zlib",
];

/// How a module is asked for: the condition `import` or `require` applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Import,
    Require,
}

/// What a specifier resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A file of the tree: `node_modules/zod/index.js`.
    File(String),
    /// One of Node's built-in modules, by its name (`fs/promises`).
    Builtin(String),
    /// A module a package's `browser` field replaces with nothing.
    Empty,
}

/// Resolves specifiers in one installed tree under a list of conditions.
pub(crate) struct Resolver<'a> {
    installed: &'a Installed,
    /// The platform conditions (`workerd`, `worker`, `browser`, ...), in
    /// priority order; `import` or `require` and `default` are added.
    conditions: &'a [String],
}

impl<'a> Resolver<'a> {
    pub fn new(installed: &'a Installed, conditions: &'a [String]) -> Self {
        Resolver { installed, conditions }
    }

    /// Resolves `specifier` imported from `importer` (a file of the tree,
    /// or None for the run's own code at the root).
    pub fn resolve(&self, importer: Option<&str>, specifier: &str, kind: Kind) -> Result<Resolved, String> {
        if let Some(mapped) = self.browser_bare(importer, specifier, kind) {
            return mapped;
        }
        self.resolve_unmapped(importer, specifier, kind)
    }

    /// [`Resolver::resolve`] without the importer's `browser` replacements.
    fn resolve_unmapped(&self, importer: Option<&str>, specifier: &str, kind: Kind) -> Result<Resolved, String> {
        if let Some(builtin) = builtin(specifier) {
            return Ok(Resolved::Builtin(builtin));
        }
        let importer_dir = importer.map_or("", |file| file.rsplit_once('/').map_or("", |(dir, _)| dir));
        if specifier.starts_with("./") || specifier.starts_with("../") || specifier == "." || specifier == ".." {
            let joined = normalise(&format!("{importer_dir}/{specifier}"))
                .ok_or_else(|| format!("{specifier:?} climbs above the root"))?;
            return self.browser_mapped(&joined);
        }
        if specifier.starts_with('/') {
            return Err(format!("{specifier:?}: absolute paths are not resolved"));
        }
        if specifier.starts_with('#') {
            return self.resolve_import_map(importer, specifier, kind);
        }
        let (name, subpath) = split_bare(specifier).ok_or_else(|| format!("{specifier:?} is not a package name"))?;
        let from = importer.map_or(String::new(), |file| self.package_dir_of(file).unwrap_or_default());
        // A package's own name resolves to itself (self-reference).
        if let Some(own) = self.installed.packages.get(&from)
            && own.name == name
            && own.manifest.get("exports").is_some()
        {
            return self.resolve_in_package(&from, own, &subpath, kind, specifier);
        }
        for ancestor in ancestors(&from) {
            let dir = child_path(&ancestor, name);
            if let Some(package) = self.installed.packages.get(&dir) {
                return self.resolve_in_package(&dir, package, &subpath, kind, specifier);
            }
        }
        Err(format!(
            "package {name:?} is not installed (add it to the dependencies, e.g. --dep {name})"
        ))
    }

    /// A bare specifier (a package or a built-in) the importer's package
    /// replaces in its `browser` object, when the `browser` condition is on:
    /// `"fs": false` is an empty module, `"x": "./shim.js"` the shim.
    fn browser_bare(&self, importer: Option<&str>, specifier: &str, kind: Kind) -> Option<Result<Resolved, String>> {
        if specifier.starts_with('.') || !self.conditions.iter().any(|c| c == "browser") {
            return None;
        }
        let (dir, package) = self.package_of(importer?)?;
        let Value::Object(map) = package.manifest.get("browser")? else {
            return None;
        };
        let bare = specifier.strip_prefix("node:").unwrap_or(specifier);
        let value = map.get(specifier).or_else(|| map.get(bare))?;
        Some(match value {
            Value::Bool(false) => Ok(Resolved::Empty),
            Value::String(replacement) if replacement.starts_with("./") => normalise(&format!("{dir}/{replacement}"))
                .and_then(|path| self.file_or_directory(&path))
                .map(Resolved::File)
                .ok_or_else(|| format!("{}'s browser field maps {specifier:?} to no file", package.name)),
            Value::String(other) if other != specifier => {
                let package_file = format!("{dir}/package.json");
                self.resolve_unmapped(Some(&package_file), other, kind)
            }
            _ => return None,
        })
    }

    /// The install path of the package holding `file`.
    pub fn package_dir_of(&self, file: &str) -> Option<String> {
        self.installed
            .packages
            .keys()
            .filter(|dir| {
                file.len() > dir.len() && file.starts_with(dir.as_str()) && file.as_bytes()[dir.len()] == b'/'
            })
            .max_by_key(|dir| dir.len())
            .cloned()
    }

    /// The package holding `file`, with its install path.
    pub fn package_of(&self, file: &str) -> Option<(String, &'a InstalledPackage)> {
        let dir = self.package_dir_of(file)?;
        let package = self.installed.packages.get(&dir)?;
        Some((dir, package))
    }

    /// The text of a file of the tree.
    pub fn read(&self, file: &str) -> Option<&'a [u8]> {
        let (dir, package) = self.package_of(file)?;
        package.files.get(&file[dir.len() + 1..]).map(|bytes| &bytes[..])
    }

    fn resolve_in_package(
        &self,
        dir: &str,
        package: &InstalledPackage,
        subpath: &str,
        kind: Kind,
        specifier: &str,
    ) -> Result<Resolved, String> {
        let label = format!("{}@{}", package.name, package.version);
        if let Some(exports) = package.manifest.get("exports").filter(|e| !e.is_null()) {
            let target = self
                .match_map(exports, subpath, kind, true)
                .ok_or_else(|| format!("{label} does not export {subpath:?} (its package.json \"exports\" has no such entry for these conditions)"))?;
            let path = normalise(&format!("{dir}/{target}"))
                .filter(|p| p.starts_with(&format!("{dir}/")))
                .ok_or_else(|| format!("{label}: the export {target:?} leaves the package"))?;
            return self.file_or_directory(&path).map(Resolved::File).ok_or_else(|| {
                format!("{label}: the export {target:?} for {specifier:?} names no file in the package")
            });
        }
        if subpath == "." {
            let mut fields: Vec<&str> = Vec::new();
            if self.conditions.iter().any(|c| c == "browser")
                && let Some(browser) = package.manifest.get("browser").and_then(Value::as_str)
            {
                fields.push(browser);
            }
            if kind == Kind::Import
                && let Some(module) = package.manifest.get("module").and_then(Value::as_str)
            {
                fields.push(module);
            }
            if let Some(main) = package.manifest.get("main").and_then(Value::as_str) {
                fields.push(main);
            }
            for field in fields {
                if let Some(path) = normalise(&format!("{dir}/{field}")).filter(|p| p.starts_with(dir))
                    && let Some(file) = self.file_or_directory(&path)
                {
                    return self.browser_mapped(&file);
                }
            }
            return self
                .file_or_directory(&format!("{dir}/index"))
                .map(Resolved::File)
                .ok_or_else(|| format!("{label} has no main module (no exports, module, main or index.js)"));
        }
        let path = normalise(&format!("{dir}/{subpath}")).ok_or_else(|| format!("{specifier:?} leaves the package"))?;
        self.browser_mapped(&path)
    }

    /// `#name` through the `imports` of the importer's package.
    fn resolve_import_map(&self, importer: Option<&str>, specifier: &str, kind: Kind) -> Result<Resolved, String> {
        let (dir, package) = importer
            .and_then(|file| self.package_of(file))
            .ok_or_else(|| format!("{specifier:?}: `#` imports are resolved only inside a package"))?;
        let imports = package
            .manifest
            .get("imports")
            .ok_or_else(|| format!("{specifier:?}: {} has no \"imports\" field", package.name))?;
        let target = self
            .match_map(imports, specifier, kind, false)
            .ok_or_else(|| format!("{specifier:?}: no entry of {}'s \"imports\" matches", package.name))?;
        if target.starts_with("./") {
            let path = normalise(&format!("{dir}/{target}")).ok_or_else(|| format!("{target:?} leaves the package"))?;
            self.file_or_directory(&path)
                .map(Resolved::File)
                .ok_or_else(|| format!("{specifier:?} maps to {target:?}, which is no file"))
        } else {
            // An import map entry may name another package.
            self.resolve(importer, &target, kind)
        }
    }

    /// A path through the importer package's `browser` object (when the
    /// `browser` condition is on), then to a file.
    fn browser_mapped(&self, path: &str) -> Result<Resolved, String> {
        let file = self
            .file_or_directory(path)
            .ok_or_else(|| format!("no file {path:?} (tried {} and index files)", EXTENSIONS.join(", ")))?;
        if self.conditions.iter().any(|c| c == "browser")
            && let Some((dir, package)) = self.package_of(&file)
            && let Some(Value::Object(map)) = package.manifest.get("browser")
        {
            let relative = format!(".{}", &file[dir.len()..]);
            let bare = relative.trim_start_matches("./");
            for (key, value) in map {
                let key_path = key.trim_start_matches("./");
                let matches = key_path == bare || EXTENSIONS.iter().any(|ext| format!("{key_path}{ext}") == bare);
                if matches {
                    return match value {
                        Value::Bool(false) => Ok(Resolved::Empty),
                        Value::String(replacement) => normalise(&format!("{dir}/{replacement}"))
                            .and_then(|p| self.file_or_directory(&p))
                            .map(Resolved::File)
                            .ok_or_else(|| format!("{}'s browser field maps {key:?} to no file", package.name)),
                        _ => Ok(Resolved::File(file)),
                    };
                }
            }
        }
        Ok(Resolved::File(file))
    }

    /// An `exports` or `imports` value matched against `key`.
    fn match_map(&self, map: &Value, key: &str, kind: Kind, exports: bool) -> Option<String> {
        let entries = match map {
            Value::Object(object) if !exports || object.keys().any(|k| k.starts_with('.')) => object,
            // Sugar: `"exports": "./x.js"` or a conditions object is ".".
            _ if exports => {
                return if key == "." { self.target(map, kind, None) } else { None };
            }
            _ => return None,
        };
        if let Some(value) = entries.get(key)
            && !key.contains('*')
        {
            return self.target(value, kind, None);
        }
        // The longest matching pattern wins ("./*" or legacy "./dir/").
        let mut best: Option<(usize, &Value, String)> = None;
        for (pattern, value) in entries {
            let found = if let Some((prefix, suffix)) = pattern.split_once('*') {
                (key.len() >= prefix.len() + suffix.len() && key.starts_with(prefix) && key.ends_with(suffix))
                    .then(|| key[prefix.len()..key.len() - suffix.len()].to_owned())
                    .map(|matched| (prefix.len(), matched))
            } else if pattern.ends_with('/') && key.starts_with(pattern.as_str()) {
                Some((pattern.len(), key[pattern.len()..].to_owned()))
            } else {
                None
            };
            if let Some((rank, matched)) = found
                && best.as_ref().is_none_or(|(b, _, _)| rank > *b)
            {
                best = Some((rank, value, matched));
            }
        }
        let (_, value, matched) = best?;
        self.target(value, kind, Some(&matched))
    }

    /// A target: a string (with `*` replaced), null (blocked), an array
    /// of fallbacks, or conditions in order.
    fn target(&self, value: &Value, kind: Kind, matched: Option<&str>) -> Option<String> {
        match value {
            Value::String(target) => Some(match matched {
                Some(matched) if target.contains('*') => target.replace('*', matched),
                Some(matched) if target.ends_with('/') => format!("{target}{matched}"),
                _ => target.clone(),
            }),
            Value::Array(items) => items.iter().find_map(|item| self.target(item, kind, matched)),
            Value::Object(conditions) => conditions
                .iter()
                .filter(|(condition, _)| self.active(condition, kind))
                .find_map(|(_, value)| self.target(value, kind, matched)),
            _ => None,
        }
    }

    fn active(&self, condition: &str, kind: Kind) -> bool {
        match condition {
            "default" => true,
            "import" | "module" => kind == Kind::Import,
            "require" => kind == Kind::Require,
            other => self.conditions.iter().any(|c| c == other),
        }
    }

    /// The file `path` names: itself, with an extension, or a directory's
    /// package.json main or index file.
    fn file_or_directory(&self, path: &str) -> Option<String> {
        let (dir, package) = self.package_of(path)?;
        let inside = |p: &str| {
            p.get(dir.len() + 1..)
                .filter(|rel| package.files.get(rel).is_some())
                .map(|_| p.to_owned())
        };
        if let Some(found) = inside(path) {
            return Some(found);
        }
        for extension in EXTENSIONS {
            if let Some(found) = inside(&format!("{path}{extension}")) {
                return Some(found);
            }
        }
        let relative = path.get(dir.len() + 1..).unwrap_or("");
        if path == dir || package.files.is_dir(relative) {
            let base = if path == dir { dir.clone() } else { path.to_owned() };
            if let Some(main) = package
                .files
                .get(&format!(
                    "{}package.json",
                    if path == dir {
                        String::new()
                    } else {
                        format!("{relative}/")
                    }
                ))
                .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
                .and_then(|json| json.get("main").and_then(Value::as_str).map(str::to_owned))
                && let Some(found) = normalise(&format!("{base}/{main}"))
                    .and_then(|p| inside(&p).or_else(|| EXTENSIONS.iter().find_map(|e| inside(&format!("{p}{e}")))))
            {
                return Some(found);
            }
            for extension in EXTENSIONS {
                if let Some(found) = inside(&format!("{base}/index{extension}")) {
                    return Some(found);
                }
            }
        }
        None
    }
}

/// The built-in a specifier names (`node:fs/promises` is `fs/promises`).
pub(crate) fn builtin(specifier: &str) -> Option<String> {
    if let Some(name) = specifier.strip_prefix("node:") {
        return Some(name.to_owned());
    }
    let root = specifier.split('/').next().unwrap_or(specifier);
    BUILTINS.contains(&root).then(|| specifier.to_owned())
}

/// Removes `.` and empty segments and applies `..`; None above the root.
pub(crate) fn normalise(path: &str) -> Option<String> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    Some(segments.join("/"))
}
