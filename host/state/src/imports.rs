//! Relative imports of workspace files: `import { f } from "./lib/util.ts"`
//! in a run granted a workspace reads `/lib/util.ts` from it. Before the run
//! starts, the code's static imports (and those of every module they reach)
//! that are relative and not already in the module map are read from the
//! workspace and added to the map, under their path from the workspace's
//! root. The engine then strips TypeScript and caches the bytecode by
//! content hash, as for any module of a map.

use std::collections::{BTreeSet, VecDeque};
use std::sync::OnceLock;

use isobox::{ModuleSource, RunRequest};
use isobox_store::StoreError;
use isobox_store::workspace::{FsCode, FsError, Workspace};
use regex::Regex;

/// The most modules one run takes from a workspace.
pub const MAX_WORKSPACE_MODULES: usize = 1000;
/// The most bytes of modules one run takes from a workspace.
pub const MAX_WORKSPACE_MODULE_BYTES: usize = 16 << 20;

/// The specifiers of `import ... from '...'`, `export ... from '...'`,
/// `import '...'` and `import('...')` with a literal string. Text that only
/// looks like an import (in a comment, say) may add a module that is never
/// used; that costs a read, nothing more.
fn specifiers(source: &str) -> Vec<String> {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(r#"(?:\bfrom\s*|\bimport\s*\(?\s*)(?:"([^"\n]+)"|'([^'\n]+)')"#)
            .expect("the import pattern is valid")
    });
    pattern
        .captures_iter(source)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned()))
        .filter(|s| s.starts_with("./") || s.starts_with("../") || s.starts_with('/'))
        .collect()
}

/// `specifier` resolved against module `importer` (a path from the root,
/// without a leading `/`); `None` when it climbs above the root.
fn resolve(importer: &str, specifier: &str) -> Option<String> {
    let joined = match (specifier.strip_prefix('/'), importer.rsplit_once('/')) {
        (Some(absolute), _) => absolute.to_owned(),
        (None, Some((dir, _))) => format!("{dir}/{specifier}"),
        (None, None) => specifier.to_owned(),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Adds to `request`'s module map the workspace files its code imports by
/// relative path (transitively). Returns how many were added. A specifier
/// whose file is absent is left for the run to report.
///
/// # Errors
/// `EFBIG` past [`MAX_WORKSPACE_MODULES`] or [`MAX_WORKSPACE_MODULE_BYTES`];
/// `EINVAL` for a module that is not UTF-8; a store failure.
pub async fn add_workspace_imports(workspace: &Workspace, request: &mut RunRequest) -> Result<usize, StoreError> {
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    queue.push_back((request.filename.clone(), request.code.clone()));
    for (name, source) in &request.modules {
        if let ModuleSource::Js(text) = source {
            queue.push_back((name.clone(), text.clone()));
        }
    }
    let mut seen: BTreeSet<String> = request.modules.keys().cloned().collect();
    seen.insert(request.filename.clone());
    let mut added = 0;
    let mut bytes = 0;
    while let Some((importer, source)) = queue.pop_front() {
        for specifier in specifiers(&source) {
            let Some(name) = resolve(&importer, &specifier) else {
                continue;
            };
            if name.is_empty() || !seen.insert(name.clone()) {
                continue;
            }
            let content = match workspace.read_file(&format!("/{name}")).await {
                Ok(content) => content,
                Err(StoreError::Fs(e)) if matches!(e.code, FsCode::ENOENT | FsCode::EISDIR) => continue,
                Err(e) => return Err(e),
            };
            added += 1;
            bytes += content.len();
            if added > MAX_WORKSPACE_MODULES || bytes > MAX_WORKSPACE_MODULE_BYTES {
                return Err(FsError::new(
                    FsCode::EFBIG,
                    format!("/{name}"),
                    format!(
                        "a run imports at most {MAX_WORKSPACE_MODULES} modules and {MAX_WORKSPACE_MODULE_BYTES} bytes from its workspace"
                    ),
                )
                .into());
            }
            let text = String::from_utf8(content).map_err(|_| {
                StoreError::from(FsError::new(
                    FsCode::EINVAL,
                    format!("/{name}"),
                    "an imported module is not UTF-8 text",
                ))
            })?;
            request.modules.insert(name.clone(), ModuleSource::Js(text.clone()));
            queue.push_back((name, text));
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_relative_specifiers_and_resolves_them() {
        let source = "import { a } from './lib/a.ts';\nimport b from \"../up.js\";\nexport * from './c.js';\n\
                      import './side.js';\nconst d = await import('./d.js');\nimport z from 'zod';\nimport x from '/abs/x.js';";
        assert_eq!(
            specifiers(source),
            ["./lib/a.ts", "../up.js", "./c.js", "./side.js", "./d.js", "/abs/x.js"]
        );
        assert_eq!(resolve("src/main.ts", "./lib/a.ts").as_deref(), Some("src/lib/a.ts"));
        assert_eq!(resolve("src/main.ts", "../up.js").as_deref(), Some("up.js"));
        assert_eq!(resolve("main.ts", "../up.js"), None);
        assert_eq!(resolve("src/main.ts", "/abs/x.js").as_deref(), Some("abs/x.js"));
    }
}
