//! `grep`: lines of the workspace's text files that match a regex (or a
//! literal), with context lines, paged by a cursor that continues right
//! after the last match returned.

use serde::{Deserialize, Serialize};

use super::search::{FileFilter, Matcher, check_cursor, invalid, looks_binary, relative};
use super::{FileSystem, Workspace, path};
use crate::StoreError;

/// The default of [`GrepOptions::max_matches`].
pub const DEFAULT_MAX_MATCHES: usize = 1000;
/// The most matches one page holds, whatever is asked.
pub const MAX_MATCHES: usize = 10_000;
/// The most context lines before or after a match.
pub const MAX_CONTEXT: usize = 20;
/// The default of [`GrepOptions::max_line_length`].
pub const DEFAULT_MAX_LINE: usize = 500;
/// The text a page holds at most (matches and context lines); past it the
/// page ends early with a cursor.
const PAGE_TEXT_BUDGET: usize = 4 << 20;

/// Options of [`grep`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GrepOptions {
    /// The directory (or file) to search (default `/`).
    pub path: Option<String>,
    /// The pattern is a literal string, not a regex.
    pub fixed_strings: bool,
    /// Letters match in either case.
    pub ignore_case: bool,
    /// Only matches that are whole words (neither preceded nor followed by
    /// a letter, digit or `_`).
    pub whole_word: bool,
    /// Lines of context before each match (default 0, at most 20).
    pub before: usize,
    /// Lines of context after each match (default 0, at most 20).
    pub after: usize,
    /// Globs of the files to search (default all); see the module `search`
    /// for how names and paths match.
    pub include: Vec<String>,
    /// Globs of files (or directories) to leave out.
    pub exclude: Vec<String>,
    /// The most matches in a page (default 1,000; at most 10,000).
    pub max_matches: Option<usize>,
    /// Longer lines are cut to about this many bytes around the match, `…`
    /// marking the cut (default 500).
    pub max_line_length: Option<usize>,
    /// The cursor of the previous page.
    pub cursor: Option<String>,
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrepMatch {
    /// The file.
    pub path: String,
    /// The line's number, from 1.
    pub line: u64,
    /// The byte column of the first match in the line, from 1.
    pub column: u64,
    /// The line (without its line break), cut when long.
    pub text: String,
    /// The lines before it (as many as asked, fewer at the file's start).
    pub before: Vec<String>,
    /// The lines after it.
    pub after: Vec<String>,
}

/// What [`grep`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrepResult {
    /// The matching lines, by path then line.
    pub matches: Vec<GrepMatch>,
    /// How many text files this page searched.
    pub files: u64,
    /// How many files it skipped as binary (a NUL in the first 8 KiB, or
    /// not UTF-8).
    pub binary: u64,
    /// Where the next page starts (`PATH\nLINE`, the last match returned),
    /// or `None` when nothing is left.
    pub cursor: Option<String>,
}

fn parse_cursor(cursor: &str) -> Result<(String, u64), StoreError> {
    let bad = || invalid("", "the cursor is not from a grep page: start again without it");
    let (path, line) = cursor.rsplit_once('\n').ok_or_else(bad)?;
    let line: u64 = line.parse().map_err(|_| bad())?;
    Ok((path.to_owned(), line))
}

/// Cuts `line` to about `max` bytes around byte `at` (a match), on
/// character boundaries, marking cuts with `…`.
pub(crate) fn clip(line: &str, at: usize, max: usize) -> String {
    if line.len() <= max {
        return line.to_owned();
    }
    let mut start = at.saturating_sub(max / 4).min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + max).min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end - start + 8);
    if start > 0 {
        out.push('…');
    }
    out.push_str(&line[start..end]);
    if end < line.len() {
        out.push('…');
    }
    out
}

/// Searches the text files below `options.path` for lines matching
/// `pattern`. A page ends after `maxMatches` matches (or about 4 MiB of
/// text) with a cursor that continues right after its last match, so every
/// match comes exactly once across pages.
///
/// # Errors
/// `EINVAL` for a bad regex or glob, context over 20, `maxMatches` 0, a
/// foreign cursor, or more than [`WorkspaceLimits::max_scan`] files;
/// `ENOENT` for the path.
///
/// [`WorkspaceLimits::max_scan`]: super::WorkspaceLimits::max_scan
pub fn grep(fs: &mut dyn FileSystem, pattern: &str, options: &GrepOptions) -> Result<GrepResult, StoreError> {
    if options.before > MAX_CONTEXT || options.after > MAX_CONTEXT {
        return Err(invalid(
            "",
            format!("before and after take at most {MAX_CONTEXT} lines"),
        ));
    }
    let max_matches = options.max_matches.unwrap_or(DEFAULT_MAX_MATCHES).min(MAX_MATCHES);
    if max_matches == 0 {
        return Err(invalid("", "maxMatches must be at least 1"));
    }
    let max_line = options.max_line_length.unwrap_or(DEFAULT_MAX_LINE).clamp(16, 1 << 20);
    let base = path::normalize(options.path.as_deref().unwrap_or("/"))?;
    let matcher = Matcher::new(pattern, options.fixed_strings, options.ignore_case, options.whole_word)?;
    let filter = FileFilter::new(&options.include, &options.exclude)?;
    let cursor = match options.cursor.as_deref() {
        Some(text) => {
            let (path, line) = parse_cursor(text)?;
            if path != base {
                check_cursor(&base, Some(&path))?;
            }
            Some((path, line))
        }
        None => None,
    };
    let max_scan = fs.limits().max_scan;
    let files = fs.all_files(&base, max_scan)?;
    let mut out = GrepResult {
        matches: Vec::new(),
        files: 0,
        binary: 0,
        cursor: None,
    };
    let mut text_bytes = 0usize;
    for file in files {
        let mut skip_to = 0u64;
        if let Some((cursor_path, line)) = &cursor {
            if file.path.as_str() < cursor_path.as_str() {
                continue;
            }
            if &file.path == cursor_path {
                skip_to = *line;
            }
        }
        if !filter.accepts(relative(&base, &file.path)) {
            continue;
        }
        let content = fs.read(&file.path)?;
        if looks_binary(&content) {
            out.binary += 1;
            continue;
        }
        let Ok(text) = String::from_utf8(content) else {
            out.binary += 1;
            continue;
        };
        out.files += 1;
        let mut lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        if text.ends_with('\n') {
            lines.pop();
        }
        for (index, line) in lines.iter().enumerate() {
            let number = index as u64 + 1;
            if number <= skip_to {
                continue;
            }
            let Some(at) = matcher.first(line) else {
                continue;
            };
            if out.matches.len() >= max_matches || text_bytes > PAGE_TEXT_BUDGET {
                out.cursor = out.matches.last().map(|m| format!("{}\n{}", m.path, m.line));
                return Ok(out);
            }
            let context = |range: std::ops::Range<usize>| -> Vec<String> {
                lines[range].iter().map(|l| clip(l, 0, max_line)).collect()
            };
            let found = GrepMatch {
                path: file.path.clone(),
                line: number,
                column: at as u64 + 1,
                text: clip(line, at, max_line),
                before: context(index.saturating_sub(options.before)..index),
                after: context(index + 1..(index + 1 + options.after).min(lines.len())),
            };
            text_bytes += found.text.len()
                + found.before.iter().map(String::len).sum::<usize>()
                + found.after.iter().map(String::len).sum::<usize>()
                + found.path.len();
            out.matches.push(found);
        }
    }
    Ok(out)
}

impl Workspace {
    /// Lines matching `pattern` (see [`grep`]).
    ///
    /// # Errors
    /// As [`grep`].
    pub async fn grep(&self, pattern: &str, options: GrepOptions) -> Result<GrepResult, StoreError> {
        let pattern = pattern.to_owned();
        self.read(move |fs| grep(fs, &pattern, &options)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::workspace::FsCode;

    use crate::error::fs_code as code;

    async fn workspace() -> Workspace {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "grep").unwrap();
        ws.mkdir("/src/deep", true).await.unwrap();
        ws.write_file("/src/a.rs", b"fn main() {\n    let foo = 1;\n    let food = 2;\n}\n")
            .await
            .unwrap();
        ws.write_file("/src/deep/b.rs", b"// FOO here\nfoo_bar\nfoo\r\n")
            .await
            .unwrap();
        ws.write_file("/notes.md", b"foo in notes\n").await.unwrap();
        ws.write_file("/bin.dat", b"foo\0binary").await.unwrap();
        ws.write_file("/latin1.txt", b"foo \xff\n").await.unwrap();
        ws
    }

    fn opts() -> GrepOptions {
        GrepOptions::default()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finds_lines_and_skips_binary() {
        let ws = workspace().await;
        let r = ws.grep("foo", opts()).await.unwrap();
        let found: Vec<(&str, u64, u64)> = r.matches.iter().map(|m| (m.path.as_str(), m.line, m.column)).collect();
        assert_eq!(
            found,
            [
                ("/notes.md", 1, 1),
                ("/src/a.rs", 2, 9),
                ("/src/a.rs", 3, 9),
                ("/src/deep/b.rs", 2, 1),
                ("/src/deep/b.rs", 3, 1),
            ]
        );
        assert_eq!(
            r.matches[4].text, "foo",
            "the CR of a CRLF line is not part of the text"
        );
        assert_eq!((r.files, r.binary, r.cursor), (3, 2, None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn options_change_what_matches() {
        let ws = workspace().await;
        let count = |o: GrepOptions, p: &'static str| {
            let ws = ws.clone();
            async move { ws.grep(p, o).await.unwrap().matches.len() }
        };
        let ic = GrepOptions {
            ignore_case: true,
            ..opts()
        };
        assert_eq!(count(ic, "foo").await, 6);
        let ww = GrepOptions {
            whole_word: true,
            ..opts()
        };
        assert_eq!(count(ww, "foo").await, 3, "foo, not food or foo_bar");
        let fixed = GrepOptions {
            fixed_strings: true,
            ..opts()
        };
        assert_eq!(count(fixed.clone(), "f.o").await, 0);
        assert_eq!(count(opts(), "f.o").await, 5);
        assert_eq!(count(fixed, "main()").await, 1);
        let under = GrepOptions {
            path: Some("/src/deep".into()),
            ..opts()
        };
        assert_eq!(count(under, "foo").await, 2);
        let file = GrepOptions {
            path: Some("/notes.md".into()),
            ..opts()
        };
        assert_eq!(count(file, "foo").await, 1);
        let include = GrepOptions {
            include: vec!["*.rs".into()],
            ..opts()
        };
        assert_eq!(count(include, "foo").await, 4);
        let include_path = GrepOptions {
            include: vec!["src/deep/**".into()],
            ..opts()
        };
        assert_eq!(count(include_path, "foo").await, 2);
        let exclude = GrepOptions {
            exclude: vec!["deep".into(), "*.md".into()],
            ..opts()
        };
        assert_eq!(count(exclude, "foo").await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn context_and_long_lines() {
        let ws = workspace().await;
        let o = GrepOptions {
            before: 1,
            after: 2,
            ..opts()
        };
        let r = ws.grep("let foo =", o).await.unwrap();
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].before, ["fn main() {"]);
        assert_eq!(r.matches[0].after, ["    let food = 2;", "}"]);
        let long = format!("{}needle{}\n", "a".repeat(1000), "b".repeat(1000));
        ws.write_file("/long.txt", long.as_bytes()).await.unwrap();
        let o = GrepOptions {
            max_line_length: Some(100),
            ..opts()
        };
        let r = ws.grep("needle", o).await.unwrap();
        let m = &r.matches[0];
        assert_eq!(m.column, 1001);
        assert!(m.text.contains("needle") && m.text.starts_with('…') && m.text.ends_with('…'));
        assert!(m.text.len() <= 100 + 6, "{}", m.text.len());
        let o = GrepOptions { before: 21, ..opts() };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::EINVAL);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn whole_words_stay_linear() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "words").unwrap();
        let line = format!("{}b\n-foo a-foo (foo)\n", "x".repeat(1 << 20));
        ws.write_file("/big.txt", line.as_bytes()).await.unwrap();
        let started = std::time::Instant::now();
        let o = GrepOptions {
            whole_word: true,
            ..opts()
        };
        assert!(ws.grep("x+", o.clone()).await.unwrap().matches.is_empty());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let fixed = GrepOptions {
            fixed_strings: true,
            ..o.clone()
        };
        let r = ws.grep("-foo", fixed).await.unwrap();
        assert_eq!((r.matches.len(), r.matches[0].line, r.matches[0].column), (1, 2, 1));
        let r = ws
            .grep(
                "(foo)",
                GrepOptions {
                    fixed_strings: true,
                    ..o.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            r.matches[0].column, 12,
            "a match that starts and ends with non-word characters"
        );
        let err = ws.grep("(x", o).await.unwrap_err();
        assert!(
            !err.to_string().contains("start-half"),
            "errors show the pattern as given: {err}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_return_every_match_once() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "pages").unwrap();
        let mut expected = Vec::new();
        for f in 0..7 {
            let mut text = String::new();
            for l in 1..=13 {
                if (f + l) % 3 != 0 {
                    text.push_str(&format!("hit {f} {l}\n"));
                    expected.push((format!("/f{f}.txt"), l as u64));
                } else {
                    text.push_str("miss\n");
                }
            }
            ws.write_file(&format!("/f{f}.txt"), text.as_bytes()).await.unwrap();
        }
        for page_size in [1, 4, 7, 1000] {
            let mut got = Vec::new();
            let mut cursor = None;
            let mut pages = 0;
            loop {
                let o = GrepOptions {
                    max_matches: Some(page_size),
                    cursor: cursor.clone(),
                    ..opts()
                };
                let r = ws.grep("hit", o).await.unwrap();
                assert!(r.matches.len() <= page_size);
                got.extend(r.matches.into_iter().map(|m| (m.path, m.line)));
                pages += 1;
                match r.cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(got, expected, "page size {page_size}");
            assert_eq!(pages, expected.len().div_ceil(page_size), "no empty last page");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn errors() {
        let ws = workspace().await;
        assert_eq!(code(ws.grep("(unclosed", opts()).await.unwrap_err()), FsCode::EINVAL);
        let err = ws.grep("a{1000}{1000}", opts()).await.unwrap_err();
        assert_eq!(code(err.clone()), FsCode::EINVAL);
        assert!(err.to_string().contains("too large"), "{err}");
        let o = GrepOptions {
            max_matches: Some(0),
            ..opts()
        };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::EINVAL);
        let o = GrepOptions {
            cursor: Some("nonsense".into()),
            ..opts()
        };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::EINVAL);
        let o = GrepOptions {
            path: Some("/src".into()),
            cursor: Some("/other\n3".into()),
            ..opts()
        };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::EINVAL);
        let o = GrepOptions {
            path: Some("/missing".into()),
            ..opts()
        };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::ENOENT);
        let o = GrepOptions {
            include: vec!["[".into()],
            ..opts()
        };
        assert_eq!(code(ws.grep("x", o).await.unwrap_err()), FsCode::EINVAL);
        for pattern in [r"\w+\s*=\s*\d+", r"(?i)\bfoo\w*", r"\p{L}+", r"[[:alpha:]]+\d{1,3}"] {
            let o = GrepOptions {
                ignore_case: true,
                whole_word: true,
                ..opts()
            };
            assert!(
                ws.grep(pattern, o).await.is_ok(),
                "{pattern} compiles within the size limit"
            );
        }
        let unknown = serde_json::from_value::<GrepOptions>(serde_json::json!({"ignorecase": true}));
        assert!(unknown.is_err());
        let small = ws.clone().with_limits(crate::workspace::WorkspaceLimits {
            max_scan: 2,
            ..Default::default()
        });
        assert_eq!(code(small.grep("x", opts()).await.unwrap_err()), FsCode::EINVAL);
    }
}
