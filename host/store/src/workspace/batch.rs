//! `batch`: several operations in one transaction, all or nothing, with
//! one change of version.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::edit::{EditOptions, TextEdit, edit};
use super::json::{UpdateJsonOptions, WriteJsonOptions, update_json, write_json};
use super::patch::PatchOp;
use super::replace::{ReplaceOptions, replace_in_files};
use super::search::invalid;
use super::{FileSystem, FsCode, FsError, Workspace, basic, path};
use crate::StoreError;

/// The most operations one batch holds.
pub const MAX_OPS: usize = 1000;

/// How a batch operation's `content` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// The text itself (the default).
    #[default]
    #[serde(rename = "utf8", alias = "utf-8")]
    Utf8,
    /// Bytes in standard base64 (with padding).
    #[serde(rename = "base64")]
    Base64,
}

/// The fields of a `replaceInFiles` operation: the pattern, the
/// replacement and [`ReplaceOptions`]' fields beside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplaceOp {
    /// The regex (or literal, with `fixed_strings`).
    pub pattern: String,
    /// The replacement (`$1`, `${name}` expanded unless `fixed_strings`).
    pub replacement: String,
    /// As [`ReplaceOptions::path`].
    #[serde(default)]
    pub path: Option<String>,
    /// As [`ReplaceOptions::include`].
    #[serde(default)]
    pub include: Vec<String>,
    /// As [`ReplaceOptions::exclude`].
    #[serde(default)]
    pub exclude: Vec<String>,
    /// As [`ReplaceOptions::fixed_strings`].
    #[serde(default)]
    pub fixed_strings: bool,
    /// As [`ReplaceOptions::ignore_case`].
    #[serde(default)]
    pub ignore_case: bool,
    /// As [`ReplaceOptions::whole_word`].
    #[serde(default)]
    pub whole_word: bool,
    /// As [`ReplaceOptions::max_files`].
    #[serde(default)]
    pub max_files: Option<usize>,
}

/// One operation of a batch, as `{"op": "writeFile", "path": ..., ...}`
/// (fields in camelCase; unknown fields are refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "op",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Op {
    /// Writes a file (made or replaced). Result: its stat.
    WriteFile {
        /// The file.
        path: String,
        /// Its content.
        content: String,
        /// How `content` is written (default utf8).
        #[serde(default)]
        encoding: Encoding,
        /// Make missing parent directories.
        #[serde(default)]
        parents: bool,
        /// Fail with `EEXIST` when the file exists.
        #[serde(default)]
        exclusive: bool,
    },
    /// Appends to a file (made when missing). Result: its stat.
    AppendFile {
        /// The file.
        path: String,
        /// What is appended.
        content: String,
        /// How `content` is written (default utf8).
        #[serde(default)]
        encoding: Encoding,
    },
    /// Makes a directory. Result: `null`.
    Mkdir {
        /// The directory.
        path: String,
        /// Make its parents too; an existing directory is fine.
        #[serde(default)]
        recursive: bool,
    },
    /// Removes an entry. Result: how many entries went.
    Rm {
        /// The entry.
        path: String,
        /// Remove a directory with what is in it.
        #[serde(default)]
        recursive: bool,
        /// No error when it does not exist (the result is 0).
        #[serde(default)]
        force: bool,
    },
    /// Copies a file or (with `recursive`) a directory. Result: how many
    /// entries were made.
    Cp {
        /// The source.
        from: String,
        /// The destination.
        to: String,
        /// Copy a directory with what is in it.
        #[serde(default)]
        recursive: bool,
    },
    /// Moves an entry. Result: `null`.
    Mv {
        /// The source.
        from: String,
        /// The destination.
        to: String,
    },
    /// Replaces exact pieces of a text file (as `Workspace::edit`). Result:
    /// `{path, patch, replacements}`.
    Edit {
        /// The file.
        path: String,
        /// The replacements.
        edits: Vec<TextEdit>,
    },
    /// Writes a JSON file (indent 2 unless told). Result: its stat.
    WriteJson {
        /// The file.
        path: String,
        /// The document.
        value: Value,
        /// Spaces per level (default 2; 0: compact).
        #[serde(default)]
        indent: Option<usize>,
        /// Make missing parent directories.
        #[serde(default)]
        parents: bool,
    },
    /// Applies a JSON Patch to a JSON file. Result: the new document.
    UpdateJson {
        /// The file.
        path: String,
        /// The JSON Patch operations.
        ops: Vec<PatchOp>,
        /// Start from `{}` when the file does not exist.
        #[serde(default)]
        create: bool,
    },
    /// Replaces a pattern through the text files (never a dry run in a
    /// batch). Result: as `Workspace::replace_in_files`.
    ReplaceInFiles(ReplaceOp),
}

impl Op {
    /// The operation's name (`"writeFile"`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::WriteFile { .. } => "writeFile",
            Op::AppendFile { .. } => "appendFile",
            Op::Mkdir { .. } => "mkdir",
            Op::Rm { .. } => "rm",
            Op::Cp { .. } => "cp",
            Op::Mv { .. } => "mv",
            Op::Edit { .. } => "edit",
            Op::WriteJson { .. } => "writeJson",
            Op::UpdateJson { .. } => "updateJson",
            Op::ReplaceInFiles(_) => "replaceInFiles",
        }
    }
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchResult {
    /// The workspace's version after it (unchanged when nothing changed).
    pub version: u64,
    /// Each operation's result, in order.
    pub results: Vec<Value>,
}

impl Encoding {
    /// The bytes `content` stands for, to be written at `path` (named in
    /// the error).
    ///
    /// # Errors
    /// `EINVAL` for base64 that does not decode.
    pub fn decode(self, content: &str, path: &str) -> Result<Vec<u8>, StoreError> {
        decode(content, self, path)
    }
}

fn decode(content: &str, encoding: Encoding, path: &str) -> Result<Vec<u8>, StoreError> {
    match encoding {
        Encoding::Utf8 => Ok(content.as_bytes().to_vec()),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| invalid(path, format!("content is not valid base64: {e}"))),
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value)
        .map_err(|e| FsError::new(FsCode::EIO, "", format!("a result could not be encoded: {e}")).into())
}

/// Runs one operation on `fs`.
///
/// # Errors
/// The operation's own.
pub fn run(fs: &mut dyn FileSystem, op: &Op) -> Result<Value, StoreError> {
    match op {
        Op::WriteFile {
            path,
            content,
            encoding,
            parents,
            exclusive,
        } => {
            let path = path::normalize(path)?;
            let bytes = decode(content, *encoding, &path)?;
            to_value(&fs.write(&path, &bytes, *parents, *exclusive)?)
        }
        Op::AppendFile {
            path,
            content,
            encoding,
        } => {
            let path = path::normalize(path)?;
            let bytes = decode(content, *encoding, &path)?;
            to_value(&basic::append(fs, &path, &bytes)?)
        }
        Op::Mkdir { path, recursive } => {
            fs.mkdir(&path::normalize(path)?, *recursive)?;
            Ok(Value::Null)
        }
        Op::Rm { path, recursive, force } => {
            let path = path::normalize(path)?;
            if *force && fs.stat(&path)?.is_none() {
                return Ok(Value::from(0));
            }
            Ok(Value::from(fs.remove(&path, *recursive)?))
        }
        Op::Cp { from, to, recursive } => {
            let (from, to) = (path::normalize(from)?, path::normalize(to)?);
            Ok(Value::from(fs.copy(&from, &to, *recursive)?))
        }
        Op::Mv { from, to } => {
            fs.rename(&path::normalize(from)?, &path::normalize(to)?)?;
            Ok(Value::Null)
        }
        Op::Edit { path, edits } => to_value(&edit(fs, &path::normalize(path)?, edits, &EditOptions::default())?),
        Op::WriteJson {
            path,
            value,
            indent,
            parents,
        } => {
            let options = WriteJsonOptions {
                indent: *indent,
                parents: *parents,
            };
            to_value(&write_json(fs, &path::normalize(path)?, value, &options)?)
        }
        Op::UpdateJson { path, ops, create } => {
            update_json(fs, &path::normalize(path)?, ops, &UpdateJsonOptions { create: *create })
        }
        Op::ReplaceInFiles(r) => {
            let options = ReplaceOptions {
                path: r.path.clone(),
                include: r.include.clone(),
                exclude: r.exclude.clone(),
                fixed_strings: r.fixed_strings,
                ignore_case: r.ignore_case,
                whole_word: r.whole_word,
                dry_run: false,
                max_files: r.max_files,
            };
            to_value(&replace_in_files(fs, &r.pattern, &r.replacement, &options)?)
        }
    }
}

/// Runs `ops` in order on `fs`; the first failure stops it, its message
/// prefixed with the operation's index and name (`op 3 (edit): ...`), its
/// code kept.
///
/// # Errors
/// `EINVAL` for more than 1,000 operations; the failing operation's.
pub fn run_all(fs: &mut dyn FileSystem, ops: &[Op]) -> Result<Vec<Value>, StoreError> {
    if ops.len() > MAX_OPS {
        return Err(invalid(
            "",
            format!("a batch may hold at most {MAX_OPS} operations, not {}", ops.len()),
        ));
    }
    let mut results = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        match run(fs, op) {
            Ok(value) => results.push(value),
            Err(StoreError::Fs(e)) => {
                return Err(FsError::new(e.code, e.path, format!("op {index} ({}): {}", op.name(), e.message)).into());
            }
            Err(other) => return Err(other),
        }
    }
    Ok(results)
}

impl Workspace {
    /// Runs `ops` (see [`Op`]) in one transaction: every one of them
    /// happens or none does, and the version moves on once. With
    /// `if_version`, only when the workspace is at that version.
    ///
    /// On a directory ([`Workspace::directory`]) a batch is
    /// **best-effort**: a failure undoes the earlier operations from a
    /// journal, which may be partial (the error then says so), and a crash
    /// midway leaves part of the batch done; `if_version` fails with
    /// `EINVAL` (a directory has no version).
    ///
    /// # Errors
    /// `ESTALE` when the version differs; `EINVAL` for more than 1,000
    /// operations; the failing operation's error, its message prefixed
    /// `op INDEX (NAME): `.
    pub async fn batch(&self, ops: Vec<Op>, if_version: Option<u64>) -> Result<BatchResult, StoreError> {
        if ops.len() > MAX_OPS {
            return Err(invalid(
                "",
                format!("a batch may hold at most {MAX_OPS} operations, not {}", ops.len()),
            ));
        }
        let write = !ops.is_empty() || if_version.is_some();
        let (results, version) = self.transaction(write, if_version, move |fs| run_all(fs, &ops)).await?;
        Ok(BatchResult { version, results })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use serde_json::json;

    use crate::error::fs_code as code;

    fn ops(value: Value) -> Vec<Op> {
        crate::workspace::parse_options(value).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_op_in_one_change() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "batch").unwrap();
        let batch = ops(json!([
            {"op": "mkdir", "path": "/src/lib", "recursive": true},
            {"op": "writeFile", "path": "/src/a.txt", "content": "alpha beta\n"},
            {"op": "writeFile", "path": "/deep/b.bin", "content": "AAEC", "encoding": "base64", "parents": true},
            {"op": "appendFile", "path": "/src/a.txt", "content": "gamma\n"},
            {"op": "cp", "from": "/src", "to": "/copy", "recursive": true},
            {"op": "mv", "from": "/copy", "to": "/moved"},
            {"op": "edit", "path": "/src/a.txt", "edits": [{"oldText": "beta", "newText": "BETA"}]},
            {"op": "writeJson", "path": "/c.json", "value": {"n": 1}},
            {"op": "updateJson", "path": "/c.json", "ops": [{"op": "replace", "path": "/n", "value": 2}]},
            {"op": "replaceInFiles", "pattern": "gamma", "replacement": "GAMMA", "path": "/moved"},
            {"op": "rm", "path": "/nothing", "force": true},
            {"op": "rm", "path": "/deep", "recursive": true},
        ]));
        let r = ws.batch(batch, None).await.unwrap();
        assert_eq!(r.version, 1, "one change of version for the whole batch");
        assert_eq!(r.results.len(), 12);
        assert_eq!(r.results[0], Value::Null);
        assert_eq!(r.results[4], json!(3));
        assert_eq!(r.results[6]["replacements"], json!(1));
        assert_eq!(r.results[8], json!({"n": 2}));
        assert_eq!(r.results[9]["total"], json!(1));
        assert_eq!((r.results[10].clone(), r.results[11].clone()), (json!(0), json!(2)));
        assert_eq!(ws.read_file("/src/a.txt").await.unwrap(), b"alpha BETA\ngamma\n");
        assert_eq!(ws.read_file("/moved/a.txt").await.unwrap(), b"alpha beta\nGAMMA\n");
        assert_eq!(ws.read_json("/c.json").await.unwrap(), json!({"n": 2}));
        assert!(!ws.exists("/deep").await.unwrap());
        assert_eq!(
            ws.batch(vec![], None).await.unwrap(),
            BatchResult {
                version: 1,
                results: vec![]
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_keeps_everything() {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "atomic").unwrap();
        ws.write_file("/keep.txt", b"keep\n").await.unwrap();
        let version = ws.version().await.unwrap();
        let batch = ops(json!([
            {"op": "writeFile", "path": "/new.txt", "content": "new"},
            {"op": "rm", "path": "/keep.txt"},
            {"op": "edit", "path": "/new.txt", "edits": [{"oldText": "absent", "newText": "x"}]},
            {"op": "writeFile", "path": "/later.txt", "content": "later"},
        ]));
        let err = ws.batch(batch.clone(), None).await.unwrap_err();
        assert_eq!(code(&err), FsCode::EINVAL);
        assert!(err.to_string().contains("op 2 (edit): oldText not found"), "{err}");
        assert_eq!(ws.version().await.unwrap(), version);
        assert_eq!(ws.read_file("/keep.txt").await.unwrap(), b"keep\n");
        assert!(!ws.exists("/new.txt").await.unwrap() && !ws.exists("/later.txt").await.unwrap());

        let missing = ops(json!([{"op": "rm", "path": "/nothing"}]));
        let err = ws.batch(missing, None).await.unwrap_err();
        assert_eq!(code(&err), FsCode::ENOENT, "the failing op's code is kept");
        assert!(err.to_string().contains("op 0 (rm)"), "{err}");

        let write = ops(json!([{"op": "writeFile", "path": "/v.txt", "content": "v"}]));
        let err = ws.batch(write.clone(), Some(version + 5)).await.unwrap_err();
        assert_eq!(code(&err), FsCode::ESTALE);
        assert!(!ws.exists("/v.txt").await.unwrap());
        let r = ws.batch(write, Some(version)).await.unwrap();
        assert_eq!(r.version, version + 1);

        let too_many: Vec<Op> = (0..=MAX_OPS)
            .map(|i| Op::Mkdir {
                path: format!("/d{i}"),
                recursive: true,
            })
            .collect();
        assert_eq!(code(ws.batch(too_many, None).await.unwrap_err()), FsCode::EINVAL);
        let bad64 = ops(json!([{"op": "writeFile", "path": "/b", "content": "!!!", "encoding": "base64"}]));
        assert_eq!(code(ws.batch(bad64, None).await.unwrap_err()), FsCode::EINVAL);
        assert_eq!(ws.version().await.unwrap(), version + 1);
    }

    #[test]
    fn ops_refuse_typos() {
        let parse = |v: Value| crate::workspace::parse_options::<Vec<Op>>(v);
        assert!(parse(json!([{"op": "writeFile", "path": "/a", "content": "x", "encodng": "utf8"}])).is_err());
        assert!(parse(json!([{"op": "replaceInFiles", "pattern": "a", "replacement": "b", "dryRun": true}])).is_err());
        assert!(parse(json!([{"op": "chmod", "path": "/a"}])).is_err());
        assert!(parse(json!([{"op": "writeFile", "path": "/a", "content": "x", "encoding": "hex"}])).is_err());
        let ok =
            parse(json!([{"op": "replaceInFiles", "pattern": "a", "replacement": "b", "ignoreCase": true}])).unwrap();
        assert!(matches!(&ok[0], Op::ReplaceInFiles(r) if r.ignore_case));
        let utf = parse(json!([{"op": "appendFile", "path": "/a", "content": "x", "encoding": "utf-8"}])).unwrap();
        assert!(matches!(
            &utf[0],
            Op::AppendFile {
                encoding: Encoding::Utf8,
                ..
            }
        ));
    }
}
