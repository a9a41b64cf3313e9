//! Which WPT files run (`suite.txt`), what their `// META:` lines ask for,
//! and which WPT files a test may fetch.

use std::path::Path;

/// One `.any.js` file to run.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// Path from the WPT root, with `/`.
    pub path: String,
    /// The directory it is counted under.
    pub group: String,
}

pub struct Suite {
    pub files: Vec<TestFile>,
    /// Skipped files and why.
    pub skipped: Vec<(String, String)>,
}

impl Suite {
    /// Reads `suite.txt` and lists the files it selects, in path order.
    pub fn load(list: &Path, wpt: &Path) -> Result<Suite, String> {
        let text = std::fs::read_to_string(list).map_err(|e| format!("reading {}: {e}", list.display()))?;
        let mut runs: Vec<(String, Vec<String>)> = Vec::new();
        let mut skips: Vec<(String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || format!("{}:{}: cannot read `{line}`", list.display(), number + 1);
            if let Some(rest) = line.strip_prefix("run ") {
                let mut words = rest.split_whitespace().map(str::to_owned);
                let group = words.next().ok_or_else(bad)?;
                let mut paths: Vec<String> = words.collect();
                if paths.is_empty() {
                    paths.push(group.clone());
                }
                runs.push((group, paths));
            } else if let Some(rest) = line.strip_prefix("skip ") {
                let (path, reason) = rest.split_once(':').ok_or_else(bad)?;
                if reason.trim().is_empty() {
                    return Err(format!("{}: a skip needs a reason", bad()));
                }
                skips.push((path.trim().to_owned(), reason.trim().to_owned()));
            } else {
                return Err(bad());
            }
        }
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        for (group, paths) in runs {
            for path in paths {
                let mut found = Vec::new();
                collect(wpt, &path, &mut found)?;
                if found.is_empty() {
                    return Err(format!("{path} (in suite.txt) has no .any.js file in the WPT copy"));
                }
                found.sort();
                for file in found {
                    let skip = skips
                        .iter()
                        .find(|(prefix, _)| file == *prefix || file.starts_with(&format!("{prefix}/")));
                    if let Some((_, reason)) = skip {
                        skipped.push((file, reason.clone()));
                        continue;
                    }
                    let source =
                        std::fs::read_to_string(wpt.join(&file)).map_err(|e| format!("reading {file}: {e}"))?;
                    let meta = Meta::parse(&source);
                    if !meta.runs_outside_a_window() {
                        skipped.push((
                            file,
                            format!("META global={} has no worker or shell scope", meta.globals.join(",")),
                        ));
                        continue;
                    }
                    files.push(TestFile {
                        path: file,
                        group: group.clone(),
                    });
                }
            }
        }
        Ok(Suite { files, skipped })
    }
}

/// Every `.any.js` file at or below `relative`.
fn collect(wpt: &Path, relative: &str, found: &mut Vec<String>) -> Result<(), String> {
    let full = wpt.join(relative);
    if full.is_file() {
        if relative.ends_with(".any.js") {
            found.push(relative.to_owned());
        }
        return Ok(());
    }
    let entries = std::fs::read_dir(&full).map_err(|e| format!("listing {}: {e}", full.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("listing {}: {e}", full.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        collect(wpt, &format!("{relative}/{name}"), found)?;
    }
    Ok(())
}

/// What a test file's `// META:` lines ask for.
#[derive(Debug, Default)]
pub struct Meta {
    /// `script=` paths, in order, as written.
    pub scripts: Vec<String>,
    /// `timeout=long`.
    pub long: bool,
    /// `global=` scopes; absent means `window,dedicatedworker`.
    pub globals: Vec<String>,
}

impl Meta {
    pub fn parse(source: &str) -> Meta {
        let mut meta = Meta::default();
        for line in source.lines() {
            let Some(rest) = line.trim().strip_prefix("// META:") else {
                if line.trim().is_empty() || line.trim().starts_with("//") {
                    continue;
                }
                break;
            };
            let Some((key, value)) = rest.trim().split_once('=') else {
                continue;
            };
            match key.trim() {
                "script" => meta.scripts.push(value.trim().to_owned()),
                "timeout" => meta.long = value.trim() == "long",
                "global" => meta.globals = value.split(',').map(|g| g.trim().to_owned()).collect(),
                _ => {}
            }
        }
        if meta.globals.is_empty() {
            meta.globals = vec!["window".to_owned(), "dedicatedworker".to_owned()];
        }
        meta
    }

    /// Whether the test is meant for a scope without a DOM (a worker, a
    /// shadow realm or a bare shell), as isobox's global is.
    pub fn runs_outside_a_window(&self) -> bool {
        self.globals
            .iter()
            .any(|g| g.contains("worker") || g.starts_with("shadowrealm") || g == "jsshell")
    }
}

/// `reference` joined to the directory of `from` (or to the WPT root when it
/// starts with `/`), with `.` and `..` resolved.
pub fn resolve(from: &str, reference: &str) -> String {
    let reference = reference.split(['?', '#']).next().unwrap_or_default();
    let mut parts: Vec<&str> = if reference.starts_with('/') {
        Vec::new()
    } else {
        from.split('/').collect::<Vec<_>>()[..from.matches('/').count()].to_vec()
    };
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let path = parts.join("/");
    // A symbolic link in upstream WPT that Node's copy keeps only as its target.
    if path == "resources/WebIDLParser.js" {
        return "resources/webidl2/lib/webidl2.js".to_owned();
    }
    path
}

/// The WPT files a test may `fetch`: every quoted string in its sources that
/// ends in `.json`, `.idl` or `.txt` and names an existing file relative to
/// the test, and the `interfaces/` IDL files when it uses idlharness.
pub fn fetched_files(wpt: &Path, test: &str, sources: &str) -> Vec<String> {
    let mut files = Vec::new();
    for quote in ['"', '\'', '`'] {
        for ext in [".json", ".idl", ".txt"] {
            let closing = format!("{ext}{quote}");
            for (end, _) in sources.match_indices(&closing) {
                let before = &sources[..end + ext.len()];
                let Some(start) = before.rfind(quote) else { continue };
                let literal = &before[start + 1..];
                if literal.len() > 200 || literal.contains('\n') {
                    continue;
                }
                let path = resolve(test, literal);
                if wpt.join(&path).is_file() && !files.contains(&path) {
                    files.push(path);
                }
            }
        }
    }
    if sources.contains("idl_test(") {
        if let Ok(entries) = std::fs::read_dir(wpt.join("interfaces")) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".idl") {
                    files.push(format!("interfaces/{name}"));
                }
            }
        }
    }
    files
}
