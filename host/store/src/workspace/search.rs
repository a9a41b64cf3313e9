//! Finding entries: `glob` (paths matching patterns) and `find` (entries by
//! name, kind, size and depth), both paged in path byte order. Also the
//! pieces `grep` and `replace` share: the text matcher and the
//! include/exclude file filter.
//!
//! A page goes through at most [`WorkspaceLimits::max_scan`] entries; when
//! that budget runs out before the page is full, the page comes back short
//! with a cursor, so a caller pages on and nothing is dropped.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::path::{self, within};
use super::{FileSystem, FsCode, FsError, Stat, Workspace, WorkspaceLimits};
use crate::StoreError;
use crate::error::bounded;

/// The most patterns one call takes (patterns, ignores, includes, excludes).
pub const MAX_PATTERNS: usize = 100;
/// The longest glob or regex pattern, in bytes.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Options of [`glob`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GlobOptions {
    /// The directory the patterns are relative to (default `/`).
    pub path: Option<String>,
    /// Patterns of entries to leave out, relative to the same directory; an
    /// entry is left out when it or one of its directories matches.
    pub ignore: Vec<String>,
    /// The cursor of the previous page.
    pub cursor: Option<String>,
    /// The most paths in a page (default and most:
    /// [`WorkspaceLimits::max_page`]).
    pub limit: Option<usize>,
}

/// One page of [`glob`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobPage {
    /// The matching paths (files and directories), in byte order.
    pub paths: Vec<String>,
    /// Where the next page starts, or `None` when this is the last.
    pub cursor: Option<String>,
}

/// Which kind of entry [`find`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindFilter {
    /// Regular files only.
    File,
    /// Directories only.
    Directory,
}

/// Options of [`find`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FindOptions {
    /// A glob the entry's last name must match (`*.rs`, `{a,b}.txt`).
    pub name: Option<String>,
    /// Only files or only directories (default both).
    pub kind: Option<KindFilter>,
    /// The smallest file, in bytes. A directory never matches a size filter.
    pub min_size: Option<u64>,
    /// The largest file, in bytes.
    pub max_size: Option<u64>,
    /// How deep below the directory to look (1: its children only; default
    /// no limit).
    pub max_depth: Option<usize>,
    /// The cursor of the previous page.
    pub cursor: Option<String>,
    /// The most entries in a page (default and most:
    /// [`WorkspaceLimits::max_page`]).
    pub limit: Option<usize>,
}

/// One page of [`find`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindPage {
    /// The matching entries, in byte order of path.
    pub entries: Vec<Stat>,
    /// Where the next page starts, or `None` when this is the last.
    pub cursor: Option<String>,
}

pub(crate) fn invalid(path: &str, message: impl Into<String>) -> StoreError {
    FsError::invalid(path, message).into()
}

/// Strips what makes a pattern look absolute (`/`, `./`): patterns are
/// relative to the directory searched.
fn relative_pattern(pattern: &str) -> &str {
    let mut p = pattern;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            return p;
        }
    }
}

/// Compiles globs (`*` stays within one name, `**` crosses directories).
/// `what` names the option in errors.
pub(crate) fn glob_set<'a>(patterns: impl IntoIterator<Item = &'a str>, what: &str) -> Result<GlobSet, StoreError> {
    let mut builder = GlobSetBuilder::new();
    for (count, pattern) in patterns.into_iter().enumerate() {
        if count >= MAX_PATTERNS {
            return Err(invalid("", format!("{what}: at most {MAX_PATTERNS} patterns")));
        }
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(invalid(
                "",
                format!("{what}: a pattern may have at most {MAX_PATTERN_BYTES} bytes"),
            ));
        }
        let glob = GlobBuilder::new(relative_pattern(pattern))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                invalid(
                    "",
                    format!(
                        "{what}: {:?} is not a valid glob: {}",
                        bounded(pattern),
                        bounded(e.kind())
                    ),
                )
            })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| invalid("", format!("{what}: the patterns do not compile: {}", bounded(e))))
}

/// `path` relative to `base` (no leading `/`); the last name when `path`
/// is `base` itself (a file searched directly).
pub(crate) fn relative<'p>(base: &str, path: &'p str) -> &'p str {
    if path == base {
        return path::name(path);
    }
    let rest = if base == "/" {
        path
    } else {
        path.get(base.len()..).unwrap_or(path)
    };
    rest.trim_start_matches('/')
}

/// Checks a cursor given back to a paged search of `base`.
pub(crate) fn check_cursor(base: &str, cursor: Option<&str>) -> Result<(), StoreError> {
    match cursor {
        Some(c) if !within(c, base) || c == base => Err(invalid(
            base,
            "the cursor is not from a page of this search: start again without it",
        )),
        _ => Ok(()),
    }
}

/// Goes through the entries below `dir` after `cursor` in path order and
/// keeps those `keep` accepts, at most `limit`. Stops with a cursor when the
/// page is full and another entry matches, or when `budget` entries were
/// looked at.
fn scan(
    fs: &mut dyn FileSystem,
    dir: &str,
    cursor: Option<&str>,
    limit: usize,
    budget: usize,
    mut keep: impl FnMut(&Stat) -> bool,
) -> Result<(Vec<Stat>, Option<String>), StoreError> {
    let stat = fs.stat_existing(dir)?;
    if !stat.is_dir() {
        return Err(FsError::new(FsCode::ENOTDIR, dir, "not a directory: search its directory").into());
    }
    check_cursor(dir, cursor)?;
    let mut out: Vec<Stat> = Vec::new();
    let mut after = cursor.map(str::to_owned);
    let mut seen = 0usize;
    loop {
        let (page, more) = fs.walk(dir, after.as_deref(), 1000)?;
        after = page.last().map(|s| s.path.clone());
        for entry in page {
            seen += 1;
            let exhausted = seen >= budget;
            if keep(&entry) {
                if out.len() >= limit {
                    let cursor = out.last().map(|s| s.path.clone());
                    return Ok((out, cursor));
                }
                out.push(entry);
                if exhausted {
                    let cursor = out.last().map(|s| s.path.clone());
                    return Ok((out, cursor));
                }
            } else if exhausted {
                let cursor = if out.len() >= limit {
                    out.last().map(|s| s.path.clone())
                } else {
                    Some(entry.path)
                };
                return Ok((out, cursor));
            }
        }
        if !more {
            return Ok((out, None));
        }
    }
}

fn page_limit(limit: Option<usize>, limits: &WorkspaceLimits) -> usize {
    limit.unwrap_or(limits.max_page).clamp(1, limits.max_page.max(1))
}

/// The paths below `options.path` matching any of `patterns` (relative to
/// it) and none of `options.ignore`, one page at a time.
///
/// # Errors
/// `EINVAL` for no pattern, a bad pattern (named in the message) or a
/// foreign cursor; `ENOENT`/`ENOTDIR` for the directory; path errors.
pub fn glob(fs: &mut dyn FileSystem, patterns: &[String], options: &GlobOptions) -> Result<GlobPage, StoreError> {
    if patterns.is_empty() {
        return Err(invalid("", "glob needs at least one pattern, such as **/*.md"));
    }
    let base = path::normalize(options.path.as_deref().unwrap_or("/"))?;
    let include = glob_set(patterns.iter().map(String::as_str), "pattern")?;
    let ignore = glob_set(options.ignore.iter().map(String::as_str), "ignore")?;
    let limit = page_limit(options.limit, fs.limits());
    let budget = fs.limits().max_scan.max(1);
    let (entries, cursor) = scan(fs, &base, options.cursor.as_deref(), limit, budget, |entry| {
        let rel = relative(&base, &entry.path);
        include.is_match(rel) && !ignored(&ignore, rel)
    })?;
    Ok(GlobPage {
        paths: entries.into_iter().map(|s| s.path).collect(),
        cursor,
    })
}

/// Whether `rel` or one of its directories matches `set`.
fn ignored(set: &GlobSet, rel: &str) -> bool {
    if set.is_empty() {
        return false;
    }
    rel.match_indices('/').any(|(at, _)| set.is_match(&rel[..at])) || set.is_match(rel)
}

/// The entries below `dir` that pass `options`' filters, one page at a
/// time (`dir` itself is not among them).
///
/// # Errors
/// `EINVAL` for a bad name glob, `minSize` above `maxSize`, `maxDepth` 0 or
/// a foreign cursor; `ENOENT`/`ENOTDIR` for the directory.
pub fn find(fs: &mut dyn FileSystem, dir: &str, options: &FindOptions) -> Result<FindPage, StoreError> {
    let name = match &options.name {
        Some(name) => Some(glob_set([name.as_str()], "name")?),
        None => None,
    };
    if let (Some(min), Some(max)) = (options.min_size, options.max_size)
        && min > max
    {
        return Err(invalid(dir, format!("minSize {min} is above maxSize {max}")));
    }
    if options.max_depth == Some(0) {
        return Err(invalid(dir, "maxDepth must be at least 1 (the directory's children)"));
    }
    let sized = options.min_size.is_some() || options.max_size.is_some();
    let limit = page_limit(options.limit, fs.limits());
    let budget = fs.limits().max_scan.max(1);
    let (entries, cursor) = scan(fs, dir, options.cursor.as_deref(), limit, budget, |entry| {
        let rel = relative(dir, &entry.path);
        if let Some(max) = options.max_depth
            && rel.split('/').count() > max
        {
            return false;
        }
        match options.kind {
            Some(KindFilter::File) if entry.is_dir() => return false,
            Some(KindFilter::Directory) if !entry.is_dir() => return false,
            _ => {}
        }
        if sized
            && (entry.is_dir()
                || options.min_size.is_some_and(|min| entry.size < min)
                || options.max_size.is_some_and(|max| entry.size > max))
        {
            return false;
        }
        name.as_ref().is_none_or(|set| set.is_match(path::name(&entry.path)))
    })?;
    Ok(FindPage { entries, cursor })
}

/// Which files `grep` and `replace` go through: `include` (any of them
/// must match; none given: every file) and `exclude` (none may match). A
/// pattern without `/` matches a name: the file's for `include`, the file's
/// or any of its directories' for `exclude`. A pattern with `/` matches the
/// path relative to the directory searched (for `exclude`, also any of its
/// directories' paths).
pub(crate) struct FileFilter {
    include_names: GlobSet,
    include_paths: GlobSet,
    any_include: bool,
    exclude_names: GlobSet,
    exclude_paths: GlobSet,
}

impl FileFilter {
    pub(crate) fn new(include: &[String], exclude: &[String]) -> Result<FileFilter, StoreError> {
        let split = |list: &[String], what: &str| -> Result<(GlobSet, GlobSet), StoreError> {
            let (paths, names): (Vec<&String>, Vec<&String>) =
                list.iter().partition(|p| relative_pattern(p).contains('/'));
            Ok((
                glob_set(names.into_iter().map(String::as_str), what)?,
                glob_set(paths.into_iter().map(String::as_str), what)?,
            ))
        };
        if include.len() > MAX_PATTERNS || exclude.len() > MAX_PATTERNS {
            return Err(invalid(
                "",
                format!("include and exclude take at most {MAX_PATTERNS} patterns each"),
            ));
        }
        let (include_names, include_paths) = split(include, "include")?;
        let (exclude_names, exclude_paths) = split(exclude, "exclude")?;
        Ok(FileFilter {
            include_names,
            include_paths,
            any_include: !include.is_empty(),
            exclude_names,
            exclude_paths,
        })
    }

    /// Whether the file at `rel` (relative to the directory searched) is
    /// gone through.
    pub(crate) fn accepts(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if self.any_include && !self.include_names.is_match(name) && !self.include_paths.is_match(rel) {
            return false;
        }
        if !self.exclude_names.is_empty() && rel.split('/').any(|segment| self.exclude_names.is_match(segment)) {
            return false;
        }
        !ignored(&self.exclude_paths, rel)
    }
}

/// Whether a file's content is binary: a NUL in its first 8 KiB.
pub(crate) fn looks_binary(content: &[u8]) -> bool {
    content[..content.len().min(8192)].contains(&0)
}

/// How `grep` and `replace` match text: a regex (or a literal with
/// `fixed`), optionally ignoring case, optionally only whole words (the
/// match neither preceded nor followed by a letter, digit or `_`: the
/// regex crate's half word boundaries, so matching stays linear).
pub(crate) struct Matcher {
    regex: Regex,
}

fn build(source: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .case_insensitive(ignore_case)
        .multi_line(true)
        .crlf(true)
        .size_limit(1 << 20)
        .dfa_size_limit(2 << 20)
        .build()
}

impl Matcher {
    /// # Errors
    /// `EINVAL` for a pattern that is too long or not a valid regex (with
    /// the regex crate's explanation, bounded).
    pub(crate) fn new(pattern: &str, fixed: bool, ignore_case: bool, whole_word: bool) -> Result<Matcher, StoreError> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(invalid(
                "",
                format!("a pattern may have at most {MAX_PATTERN_BYTES} bytes"),
            ));
        }
        let source = if fixed {
            regex::escape(pattern)
        } else {
            pattern.to_owned()
        };
        let wrapped = if whole_word {
            format!(r"\b{{start-half}}(?:{source})\b{{end-half}}")
        } else {
            source.clone()
        };
        let regex = build(&wrapped, ignore_case).map_err(|e| {
            // Explain a syntax error with the pattern as given.
            let e = match e {
                regex::Error::Syntax(_) if whole_word => build(&source, ignore_case).err().unwrap_or(e),
                e => e,
            };
            let message = match e {
                regex::Error::CompiledTooBig(_) => "the regex is too large once compiled: simplify it".to_owned(),
                other => format!("not a valid regex: {}", bounded(other)),
            };
            invalid("", message)
        })?;
        Ok(Matcher { regex })
    }

    /// The byte offset of the first match in `hay`.
    pub(crate) fn first(&self, hay: &str) -> Option<usize> {
        self.regex.find(hay).map(|m| m.start())
    }

    /// Every match of `hay` with its groups, in order, without overlaps.
    pub(crate) fn captures<'h>(&self, hay: &'h str) -> regex::CaptureMatches<'_, 'h> {
        self.regex.captures_iter(hay)
    }
}

impl Workspace {
    /// Paths matching any of `patterns` (see [`glob`]).
    ///
    /// # Errors
    /// As [`glob`].
    pub async fn glob(&self, patterns: Vec<String>, options: GlobOptions) -> Result<GlobPage, StoreError> {
        self.read(move |fs| glob(fs, &patterns, &options)).await
    }

    /// Entries below `path` by name, kind, size and depth (see [`find`]).
    ///
    /// # Errors
    /// As [`find`].
    pub async fn find(&self, path: &str, options: FindOptions) -> Result<FindPage, StoreError> {
        let dir = path::normalize(path)?;
        self.read(move |fs| find(fs, &dir, &options)).await
    }
}

#[cfg(test)]
mod tests;
