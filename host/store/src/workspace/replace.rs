//! `replaceInFiles`: a regex (or literal) replacement through the
//! workspace's text files, in one transaction, with a unified diff of what
//! changed (or would change, with `dryRun`).

use serde::{Deserialize, Serialize};

use std::time::Instant;

use super::edit::{DIFF_TIME, unified};
use super::search::{FileFilter, Matcher, invalid, looks_binary, relative};
use super::{FileSystem, FsCode, FsError, Workspace, path};
use crate::StoreError;

/// The default of [`ReplaceOptions::max_files`].
pub const DEFAULT_MAX_FILES: usize = 1000;
/// The most bytes of the patch a replacement returns.
pub const MAX_PATCH_BYTES: usize = 256 << 10;

/// Options of [`replace_in_files`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplaceOptions {
    /// The directory (or file) to go through (default `/`).
    pub path: Option<String>,
    /// Globs of the files to change (default all); as for grep.
    pub include: Vec<String>,
    /// Globs of files (or directories) to leave alone.
    pub exclude: Vec<String>,
    /// The pattern is a literal string and the replacement literal text
    /// (no `$1` expansion).
    pub fixed_strings: bool,
    /// Letters match in either case.
    pub ignore_case: bool,
    /// Only whole words match.
    pub whole_word: bool,
    /// Say what would change, write nothing.
    pub dry_run: bool,
    /// The most files it may change (default 1,000); more fails with
    /// `EINVAL` and changes nothing.
    pub max_files: Option<usize>,
}

/// How many replacements one file had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReplacements {
    /// The file.
    pub path: String,
    /// Its replacements.
    pub replacements: u64,
}

/// What [`replace_in_files`] changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplaceResult {
    /// The files changed (or that would change), in path order.
    pub files: Vec<FileReplacements>,
    /// The replacements in all of them.
    pub total: u64,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// A unified diff of the changes (`--- a/PATH`, `+++ b/PATH`), at most
    /// 256 KiB.
    pub patch: String,
    /// Whether the patch was cut short (the changes were not).
    pub truncated: bool,
}

/// Replaces every match of `pattern` in `text` by `replacement` (`$1`,
/// `${name}` expanded unless `literal`). Returns the new text and the
/// count.
///
/// # Errors
/// `EFBIG` when the result would pass `max_bytes`.
pub(crate) fn replace_text(
    matcher: &Matcher,
    text: &str,
    replacement: &str,
    literal: bool,
    max_bytes: u64,
    path: &str,
) -> Result<(String, u64), StoreError> {
    let mut out = String::new();
    let mut last = 0;
    let mut count = 0u64;
    let too_big = || -> StoreError {
        FsError::new(
            FsCode::EFBIG,
            path,
            format!("the replaced file would pass {max_bytes} bytes, the largest a file may be"),
        )
        .into()
    };
    for caps in matcher.captures(text) {
        let Some(m) = caps.get(0) else {
            continue;
        };
        out.push_str(&text[last..m.start()]);
        if literal {
            out.push_str(replacement);
        } else {
            caps.expand(replacement, &mut out);
        }
        last = m.end();
        count += 1;
        if (out.len() + text.len() - last) as u64 > max_bytes {
            return Err(too_big());
        }
    }
    if count == 0 {
        return Ok((String::new(), 0));
    }
    out.push_str(&text[last..]);
    Ok((out, count))
}

/// Replaces `pattern` by `replacement` in every text file below
/// `options.path` (binary and non-UTF-8 files are left alone), all in the
/// transaction of `fs`: every file changes or none does.
///
/// # Errors
/// `EINVAL` for a bad regex or glob, an empty pattern, more changed files
/// than `maxFiles`, or more than [`WorkspaceLimits::max_scan`] files;
/// `EFBIG`, `EDQUOT` when a result is too large; `ENOENT` for the path.
///
/// [`WorkspaceLimits::max_scan`]: super::WorkspaceLimits::max_scan
pub fn replace_in_files(
    fs: &mut dyn FileSystem,
    pattern: &str,
    replacement: &str,
    options: &ReplaceOptions,
) -> Result<ReplaceResult, StoreError> {
    if pattern.is_empty() {
        return Err(invalid("", "the pattern is empty: say what to replace"));
    }
    let max_files = options.max_files.unwrap_or(DEFAULT_MAX_FILES).max(1);
    let base = path::normalize(options.path.as_deref().unwrap_or("/"))?;
    let matcher = Matcher::new(pattern, options.fixed_strings, options.ignore_case, options.whole_word)?;
    let filter = FileFilter::new(&options.include, &options.exclude)?;
    let max_scan = fs.limits().max_scan;
    let max_bytes = fs.limits().max_file_bytes;
    // Past this, the diffs of the patch are approximate (still correct,
    // less minimal): a diff of two large, very different files is slow.
    let deadline = Instant::now() + DIFF_TIME;
    let mut result = ReplaceResult {
        files: Vec::new(),
        total: 0,
        dry_run: options.dry_run,
        patch: String::new(),
        truncated: false,
    };
    for file in fs.all_files(&base, max_scan)? {
        if !filter.accepts(relative(&base, &file.path)) {
            continue;
        }
        let content = fs.read(&file.path)?;
        if looks_binary(&content) {
            continue;
        }
        let Ok(text) = String::from_utf8(content) else {
            continue;
        };
        let (new, count) = replace_text(
            &matcher,
            &text,
            replacement,
            options.fixed_strings,
            max_bytes,
            &file.path,
        )?;
        if count == 0 || new == text {
            continue;
        }
        if result.files.len() >= max_files {
            return Err(invalid(
                &base,
                format!(
                    "the replacement would change more than {max_files} files: narrow path or include, or raise maxFiles"
                ),
            ));
        }
        if !result.truncated {
            let label = file.path.trim_start_matches('/');
            let diff = unified(&text, &new, &format!("a/{label}"), &format!("b/{label}"), 3, deadline);
            if result.patch.len() + diff.len() > MAX_PATCH_BYTES {
                result.truncated = true;
            } else {
                result.patch.push_str(&diff);
            }
        }
        if !options.dry_run {
            fs.write(&file.path, new.as_bytes(), false, false)?;
        }
        result.total += count;
        result.files.push(FileReplacements {
            path: file.path,
            replacements: count,
        });
    }
    Ok(result)
}

impl Workspace {
    /// Replaces `pattern` by `replacement` through the workspace's text
    /// files (see [`replace_in_files`]); one change of version (none with
    /// `dryRun` or when nothing matched).
    ///
    /// # Errors
    /// As [`replace_in_files`].
    pub async fn replace_in_files(
        &self,
        pattern: &str,
        replacement: &str,
        options: ReplaceOptions,
    ) -> Result<ReplaceResult, StoreError> {
        let (pattern, replacement) = (pattern.to_owned(), replacement.to_owned());
        let write = !options.dry_run;
        self.run(write, move |fs| replace_in_files(fs, &pattern, &replacement, &options))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    use crate::error::fs_code as code;

    async fn workspace() -> Workspace {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "replace").unwrap();
        ws.mkdir("/src", true).await.unwrap();
        ws.write_file("/src/a.rs", b"let x = foo(1);\nlet y = foo(22);\nfood();\n")
            .await
            .unwrap();
        ws.write_file("/src/b.txt", b"Foo foo FOO\n").await.unwrap();
        ws.write_file("/bin", b"foo(1)\0").await.unwrap();
        ws
    }

    fn opts() -> ReplaceOptions {
        ReplaceOptions::default()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backreferences_and_dry_run() {
        let ws = workspace().await;
        let version = ws.version().await.unwrap();
        let dry = ReplaceOptions {
            dry_run: true,
            ..opts()
        };
        let r = ws.replace_in_files(r"foo\((\d+)\)", "bar(${1}0)", dry).await.unwrap();
        assert_eq!((r.total, r.dry_run, r.truncated), (2, true, false));
        assert_eq!(
            r.files,
            [FileReplacements {
                path: "/src/a.rs".into(),
                replacements: 2
            }]
        );
        assert!(r.patch.contains("--- a/src/a.rs\n+++ b/src/a.rs\n"), "{}", r.patch);
        assert!(
            r.patch
                .contains("-let x = foo(1);\n-let y = foo(22);\n+let x = bar(10);\n+let y = bar(220);\n"),
            "{}",
            r.patch
        );
        assert_eq!(ws.version().await.unwrap(), version, "a dry run writes nothing");
        assert_eq!(
            ws.read_file("/src/a.rs").await.unwrap(),
            b"let x = foo(1);\nlet y = foo(22);\nfood();\n"
        );
        assert_eq!(
            ws.read_file("/bin").await.unwrap(),
            b"foo(1)\0",
            "binary files are left alone"
        );

        let r = ws
            .replace_in_files(r"foo\((?<n>\d+)\)", "bar($n$n)", opts())
            .await
            .unwrap();
        assert_eq!(r.total, 2);
        assert_eq!(
            ws.read_file("/src/a.rs").await.unwrap(),
            b"let x = bar(11);\nlet y = bar(2222);\nfood();\n"
        );
        assert_eq!(ws.version().await.unwrap(), version + 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn literal_case_and_words() {
        let ws = workspace().await;
        let fixed = ReplaceOptions {
            fixed_strings: true,
            ..opts()
        };
        let r = ws.replace_in_files("foo(1)", "$1", fixed).await.unwrap();
        assert_eq!(r.total, 1);
        assert!(ws.read_file("/src/a.rs").await.unwrap().starts_with(b"let x = $1;\n"));
        let words = ReplaceOptions {
            whole_word: true,
            ignore_case: true,
            include: vec!["*.txt".into()],
            ..opts()
        };
        let r = ws.replace_in_files("foo", "baz", words).await.unwrap();
        assert_eq!(r.total, 3);
        assert_eq!(ws.read_file("/src/b.txt").await.unwrap(), b"baz baz baz\n");
        let words = ReplaceOptions {
            whole_word: true,
            ..opts()
        };
        let r = ws.replace_in_files("foo", "qux", words).await.unwrap();
        assert_eq!(r.total, 1, "food is not the word foo");
        assert!(
            ws.read_file("/src/a.rs")
                .await
                .unwrap()
                .ends_with(b"qux(22);\nfood();\n")
        );
        ws.write_file("/w.txt", b"foo foo,foo_x foo\n").await.unwrap();
        let words = ReplaceOptions {
            whole_word: true,
            path: Some("/w.txt".into()),
            ..opts()
        };
        assert_eq!(ws.replace_in_files("foo", "X", words).await.unwrap().total, 3);
        assert_eq!(
            ws.read_file("/w.txt").await.unwrap(),
            b"X X,foo_x X\n",
            "adjacent words both match"
        );
        let excluded = ReplaceOptions {
            exclude: vec!["src".into()],
            ..opts()
        };
        assert_eq!(ws.replace_in_files("food", "x", excluded).await.unwrap().total, 0);
        let multi = ReplaceOptions {
            path: Some("/src/a.rs".into()),
            ..opts()
        };
        let r = ws.replace_in_files("^let ", "const ", multi).await.unwrap();
        assert_eq!(r.total, 2, "^ matches at each line's start");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn limits_and_errors() {
        let ws = workspace().await;
        let version = ws.version().await.unwrap();
        let few = ReplaceOptions {
            max_files: Some(1),
            ..opts()
        };
        assert_eq!(
            code(ws.replace_in_files("(?i)foo", "x", few).await.unwrap_err()),
            FsCode::EINVAL
        );
        assert_eq!(ws.version().await.unwrap(), version, "nothing written");
        assert_eq!(ws.read_file("/src/b.txt").await.unwrap(), b"Foo foo FOO\n");
        assert_eq!(
            code(ws.replace_in_files("", "x", opts()).await.unwrap_err()),
            FsCode::EINVAL
        );
        assert_eq!(
            code(ws.replace_in_files("(", "x", opts()).await.unwrap_err()),
            FsCode::EINVAL
        );
        let small = ws.clone().with_limits(crate::workspace::WorkspaceLimits {
            max_file_bytes: 1000,
            ..Default::default()
        });
        let err = small.replace_in_files("o", &"o".repeat(200), opts()).await.unwrap_err();
        assert_eq!(code(err), FsCode::EFBIG);
        assert_eq!(ws.version().await.unwrap(), version);
        let unknown = serde_json::from_value::<ReplaceOptions>(serde_json::json!({"dryrun": true}));
        assert!(unknown.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn patch_is_bounded() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "big").unwrap();
        let line = format!("word {}\n", "-".repeat(60));
        ws.write_file("/a", b"word\n").await.unwrap();
        ws.write_file("/b", line.repeat(2500).as_bytes()).await.unwrap();
        let r = ws.replace_in_files("word", "term", opts()).await.unwrap();
        assert!(r.truncated && r.patch.len() <= MAX_PATCH_BYTES);
        assert!(r.patch.starts_with("--- a/a\n+++ b/a\n"), "what fits stays");
        assert_eq!(r.total, 2501, "the changes are whole even when the patch is not");
        assert_eq!(
            ws.read_file("/b").await.unwrap(),
            line.replace("word", "term").repeat(2500).as_bytes()
        );
    }
}
