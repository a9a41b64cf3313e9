//! Edits as agents' edit tools make them (replace an exact, unique piece of
//! text), and unified diffs of files and of texts.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, TextDiff};

use super::search::invalid;
use super::{FileSystem, FsCode, FsError, Workspace, path};
use crate::StoreError;

/// The most edits one call makes.
pub const MAX_EDITS: usize = 1000;
/// The default context of a diff, in lines.
pub const DEFAULT_CONTEXT: usize = 3;
/// The most context lines a diff takes.
pub const MAX_CONTEXT: usize = 100_000;
/// How long a diff looks for the smallest set of changes before it settles
/// for a larger (still correct) one.
pub(crate) const DIFF_TIME: Duration = Duration::from_secs(2);

/// One replacement of [`edit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TextEdit {
    /// The exact text to replace (not empty). It must occur exactly once
    /// unless `replace_all`.
    pub old_text: String,
    /// What replaces it.
    pub new_text: String,
    /// Replace every occurrence (default false).
    #[serde(default)]
    pub replace_all: bool,
}

/// Options of [`edit`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EditOptions {
    /// Return the patch, write nothing.
    pub dry_run: bool,
}

/// What [`edit`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditResult {
    /// The file.
    pub path: String,
    /// A unified diff of the change (`--- a/PATH`, `+++ b/PATH`; empty
    /// when the text did not change).
    pub patch: String,
    /// How many occurrences were replaced.
    pub replacements: u64,
}

/// Options of [`diff`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DiffOptions {
    /// Unchanged lines around each change (default 3).
    pub context: Option<usize>,
}

/// Options of [`diff_content`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DiffContentOptions {
    /// Unchanged lines around each change (default 3).
    pub context: Option<usize>,
    /// The name of the old text in the `---` header (default `a`).
    pub label_a: Option<String>,
    /// The name of the new text in the `+++` header (default `b`).
    pub label_b: Option<String>,
}

/// A unified diff of `old` and `new` (empty when they are equal), looking
/// for the smallest diff until `deadline`.
pub(crate) fn unified(
    old: &str,
    new: &str,
    label_old: &str,
    label_new: &str,
    context: usize,
    deadline: Instant,
) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(deadline)
        .diff_lines(old, new);
    diff.unified_diff()
        .context_radius(context.min(MAX_CONTEXT))
        .header(label_old, label_new)
        .to_string()
}

/// The first 80 characters of `text`, quoted, for a message.
fn preview(text: &str) -> String {
    let head: String = text.chars().take(80).collect();
    let more = if head.len() < text.len() { "…" } else { "" };
    format!("{head:?}{more}")
}

/// The label of a workspace path in a diff header (`a/src/x.rs`).
fn label(side: &str, path: &str) -> String {
    format!("{side}/{}", path.trim_start_matches('/'))
}

/// Applies `edits` in order to the text file at `path` (each sees the
/// text the earlier ones left) and writes it once, unless `dryRun`: all of
/// them apply or none does. When an `oldText` with line breaks is not found
/// in a file with CRLF line ends, it is looked for with CRLF ends (and its
/// `newText` gets them too).
///
/// # Errors
/// `EINVAL` when there is no edit or more than 1,000, an `oldText` is
/// empty, not found, or found more than once without `replaceAll` (the
/// message says which edit and how many times), or the file is not UTF-8;
/// `ENOENT`, `EISDIR`; `EFBIG` when the result would be too large.
pub fn edit(
    fs: &mut dyn FileSystem,
    path: &str,
    edits: &[TextEdit],
    options: &EditOptions,
) -> Result<EditResult, StoreError> {
    if edits.is_empty() {
        return Err(invalid(path, "no edits given: pass at least one {oldText, newText}"));
    }
    if edits.len() > MAX_EDITS {
        return Err(invalid(path, format!("at most {MAX_EDITS} edits in one call")));
    }
    let original = fs.read_text(path)?;
    let max_bytes = fs.limits().max_file_bytes;
    let mut text = original.clone();
    let mut replacements = 0u64;
    for (index, edit) in edits.iter().enumerate() {
        let which = if edits.len() > 1 {
            format!("edit {} of {}: ", index + 1, edits.len())
        } else {
            String::new()
        };
        if edit.old_text.is_empty() {
            return Err(invalid(
                path,
                format!(
                    "{which}oldText is empty: give the exact text to replace (to write a whole file, use writeFile)"
                ),
            ));
        }
        let (mut old, mut new) = (edit.old_text.clone(), edit.new_text.clone());
        let mut count = text.matches(old.as_str()).count();
        if count == 0 && old.contains('\n') && !old.contains('\r') && text.contains("\r\n") {
            let crlf = old.replace('\n', "\r\n");
            let found = text.matches(crlf.as_str()).count();
            if found > 0 {
                old = crlf;
                if !new.contains('\r') {
                    new = new.replace('\n', "\r\n");
                }
                count = found;
            }
        }
        if count == 0 {
            return Err(invalid(
                path,
                format!(
                    "{which}oldText not found in {path}: {} (it must match the file exactly, spaces and line breaks included; read the file again)",
                    preview(&edit.old_text)
                ),
            ));
        }
        if count > 1 && !edit.replace_all {
            return Err(invalid(
                path,
                format!(
                    "{which}oldText occurs {count} times in {path}: add surrounding lines to make it unique, or set replaceAll"
                ),
            ));
        }
        let replaced = if edit.replace_all { count } else { 1 };
        let new_len = (text.len() - replaced * old.len()) as u64 + (replaced as u64) * new.len() as u64;
        if new_len > max_bytes {
            return Err(FsError::new(
                FsCode::EFBIG,
                path,
                format!("{which}the edited file would have {new_len} bytes; a file may have at most {max_bytes}"),
            )
            .into());
        }
        text = if edit.replace_all {
            text.replace(&old, &new)
        } else {
            text.replacen(&old, &new, 1)
        };
        replacements += replaced as u64;
    }
    let deadline = Instant::now() + DIFF_TIME;
    let patch = unified(
        &original,
        &text,
        &label("a", path),
        &label("b", path),
        DEFAULT_CONTEXT,
        deadline,
    );
    if !options.dry_run && text != original {
        fs.write(path, text.as_bytes(), false, false)?;
    }
    Ok(EditResult {
        path: path.to_owned(),
        patch,
        replacements,
    })
}

/// A unified diff of the text files at `path_a` and `path_b` (labelled
/// `a/PATH_A` and `b/PATH_B`); empty when they are equal.
///
/// # Errors
/// `ENOENT`, `EISDIR`, `EINVAL` for a file that is not UTF-8.
pub fn diff(fs: &mut dyn FileSystem, path_a: &str, path_b: &str, options: &DiffOptions) -> Result<String, StoreError> {
    let a = fs.read_text(path_a)?;
    let b = fs.read_text(path_b)?;
    let context = options.context.unwrap_or(DEFAULT_CONTEXT);
    Ok(unified(
        &a,
        &b,
        &label("a", path_a),
        &label("b", path_b),
        context,
        Instant::now() + DIFF_TIME,
    ))
}

/// A unified diff of two texts (labelled `a` and `b` unless told); empty
/// when they are equal. Pure: no workspace involved.
pub fn diff_content(a: &str, b: &str, options: &DiffContentOptions) -> String {
    let context = options.context.unwrap_or(DEFAULT_CONTEXT);
    let label_a = options.label_a.as_deref().unwrap_or("a");
    let label_b = options.label_b.as_deref().unwrap_or("b");
    unified(a, b, label_a, label_b, context, Instant::now() + DIFF_TIME)
}

impl Workspace {
    /// Replaces exact pieces of the text file at `path` (see [`edit`]); one
    /// change of version, none with `dryRun` or when nothing changed.
    ///
    /// # Errors
    /// As [`edit`], and path errors.
    pub async fn edit(&self, path: &str, edits: Vec<TextEdit>, options: EditOptions) -> Result<EditResult, StoreError> {
        let path = path::normalize(path)?;
        let write = !options.dry_run;
        self.run(write, move |fs| edit(fs, &path, &edits, &options)).await
    }

    /// A unified diff of two text files (see [`diff`]).
    ///
    /// # Errors
    /// As [`diff`], and path errors.
    pub async fn diff(&self, path_a: &str, path_b: &str, options: DiffOptions) -> Result<String, StoreError> {
        let (a, b) = (path::normalize(path_a)?, path::normalize(path_b)?);
        self.read(move |fs| diff(fs, &a, &b, &options)).await
    }

    /// A unified diff of two texts (see [`diff_content`]), computed on a
    /// blocking thread.
    ///
    /// # Errors
    /// `EFBIG` when a text is larger than the largest file.
    pub async fn diff_content(&self, a: &str, b: &str, options: DiffContentOptions) -> Result<String, StoreError> {
        let max = self.limits.max_file_bytes;
        if a.len() as u64 > max || b.len() as u64 > max {
            return Err(FsError::new(
                FsCode::EFBIG,
                "",
                format!("a text to diff may have at most {max} bytes"),
            )
            .into());
        }
        let (a, b) = (a.to_owned(), b.to_owned());
        tokio::task::spawn_blocking(move || diff_content(&a, &b, &options))
            .await
            .map_err(|e| StoreError::Backend(crate::error::bounded(format!("a diff task failed: {e}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    use crate::error::fs_code as code;

    fn e(old: &str, new: &str) -> TextEdit {
        TextEdit {
            old_text: old.into(),
            new_text: new.into(),
            replace_all: false,
        }
    }

    const TEXT: &str = "one\ntwo\nthree\ntwo\nfour\n";

    async fn workspace() -> Workspace {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "edit").unwrap();
        ws.write_file("/f.txt", TEXT.as_bytes()).await.unwrap();
        ws
    }

    async fn text(ws: &Workspace) -> String {
        String::from_utf8(ws.read_file("/f.txt").await.unwrap()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edits_apply_in_order_with_a_patch() {
        let ws = workspace().await;
        let edits = vec![e("one\n", "ONE\n"), e("ONE\ntwo", "1\n2"), e("four", "4")];
        let r = ws.edit("f.txt", edits, EditOptions::default()).await.unwrap();
        assert_eq!(r.replacements, 3);
        assert_eq!(r.path, "/f.txt");
        assert_eq!(text(&ws).await, "1\n2\nthree\ntwo\n4\n");
        assert!(
            r.patch.starts_with("--- a/f.txt\n+++ b/f.txt\n@@ -1,5 +1,5 @@\n"),
            "{}",
            r.patch
        );
        assert!(r.patch.contains("-one\n-two\n+1\n+2\n"), "{}", r.patch);
        let all = TextEdit {
            replace_all: true,
            ..e("two", "2")
        };
        let r = ws.edit("/f.txt", vec![all], EditOptions::default()).await.unwrap();
        assert_eq!(r.replacements, 1);
        assert_eq!(text(&ws).await, "1\n2\nthree\n2\n4\n");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refusals_change_nothing() {
        let ws = workspace().await;
        let version = ws.version().await.unwrap();
        let none = ws
            .edit("/f.txt", vec![e("five", "5")], EditOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(none.clone()), FsCode::EINVAL);
        assert!(
            none.to_string().contains("oldText not found in /f.txt: \"five\""),
            "{none}"
        );
        let two = ws
            .edit("/f.txt", vec![e("two", "2")], EditOptions::default())
            .await
            .unwrap_err();
        assert!(
            two.to_string().contains("occurs 2 times") && two.to_string().contains("replaceAll"),
            "{two}"
        );
        let later = vec![e("one", "1"), e("two", "2")];
        let err = ws.edit("/f.txt", later, EditOptions::default()).await.unwrap_err();
        assert!(err.to_string().contains("edit 2 of 2"), "{err}");
        let empty = ws
            .edit("/f.txt", vec![e("", "x")], EditOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(empty), FsCode::EINVAL);
        assert_eq!(
            code(ws.edit("/f.txt", vec![], EditOptions::default()).await.unwrap_err()),
            FsCode::EINVAL
        );
        let long = "x".repeat(200);
        let err = ws
            .edit("/f.txt", vec![e(&long, "y")], EditOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().len() < 400 && err.to_string().contains('…'), "{err}");
        assert_eq!(
            code(
                ws.edit("/nope", vec![e("a", "b")], EditOptions::default())
                    .await
                    .unwrap_err()
            ),
            FsCode::ENOENT
        );
        ws.write_file("/bin", b"\xff\xfe").await.unwrap();
        let version = version + 1;
        assert_eq!(
            code(
                ws.edit("/bin", vec![e("a", "b")], EditOptions::default())
                    .await
                    .unwrap_err()
            ),
            FsCode::EINVAL
        );
        let small = ws.clone().with_limits(crate::workspace::WorkspaceLimits {
            max_file_bytes: 100,
            ..Default::default()
        });
        let grow = TextEdit {
            replace_all: true,
            ..e("o", &"o".repeat(50))
        };
        assert_eq!(
            code(
                small
                    .edit("/f.txt", vec![grow], EditOptions::default())
                    .await
                    .unwrap_err()
            ),
            FsCode::EFBIG
        );
        assert_eq!(text(&ws).await, TEXT);
        assert_eq!(ws.version().await.unwrap(), version);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dry_run_and_crlf() {
        let ws = workspace().await;
        let version = ws.version().await.unwrap();
        let r = ws
            .edit("/f.txt", vec![e("three", "3")], EditOptions { dry_run: true })
            .await
            .unwrap();
        assert!(r.patch.contains("-three\n+3\n"));
        assert_eq!((text(&ws).await.as_str(), ws.version().await.unwrap()), (TEXT, version));
        ws.write_file("/crlf.txt", b"a\r\nb\r\nc\r\n").await.unwrap();
        let r = ws
            .edit("/crlf.txt", vec![e("a\nb\n", "x\ny\n")], EditOptions::default())
            .await
            .unwrap();
        assert_eq!(r.replacements, 1);
        assert_eq!(ws.read_file("/crlf.txt").await.unwrap(), b"x\r\ny\r\nc\r\n");
        let same = ws
            .edit("/f.txt", vec![e("one", "one")], EditOptions::default())
            .await
            .unwrap();
        assert_eq!((same.patch.as_str(), same.replacements), ("", 1));
        assert_eq!(
            ws.version().await.unwrap(),
            version + 2,
            "an edit that changes nothing writes nothing"
        );
        let typo = serde_json::from_value::<TextEdit>(serde_json::json!({"oldText": "a", "newtext": "b"}));
        assert!(typo.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn diffs() {
        let ws = workspace().await;
        ws.write_file("/g.txt", b"one\ntwo\nTHREE\ntwo\nfour\n").await.unwrap();
        let d = ws.diff("/f.txt", "/g.txt", DiffOptions::default()).await.unwrap();
        assert_eq!(
            d,
            "--- a/f.txt\n+++ b/g.txt\n@@ -1,5 +1,5 @@\n one\n two\n-three\n+THREE\n two\n four\n"
        );
        let d = ws
            .diff("/f.txt", "/g.txt", DiffOptions { context: Some(0) })
            .await
            .unwrap();
        assert_eq!(d, "--- a/f.txt\n+++ b/g.txt\n@@ -3 +3 @@\n-three\n+THREE\n");
        assert_eq!(ws.diff("/f.txt", "/f.txt", DiffOptions::default()).await.unwrap(), "");
        assert_eq!(
            code(ws.diff("/f.txt", "/none", DiffOptions::default()).await.unwrap_err()),
            FsCode::ENOENT
        );
        let o = DiffContentOptions {
            label_a: Some("old".into()),
            label_b: Some("new".into()),
            context: Some(1),
        };
        let d = ws.diff_content("a\nb\nc\nd\n", "a\nb\nC\nd\n", o).await.unwrap();
        assert_eq!(d, "--- old\n+++ new\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
        let d = ws.diff_content("x", "y", DiffContentOptions::default()).await.unwrap();
        assert!(
            d.starts_with("--- a\n+++ b\n") && d.contains("\\ No newline at end of file"),
            "{d}"
        );
        assert_eq!(
            ws.diff_content("same\n", "same\n", DiffContentOptions::default())
                .await
                .unwrap(),
            ""
        );
    }
}
