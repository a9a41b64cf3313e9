//! JSON files: read, write (pretty by default), query and patch.
//!
//! Queries take two forms, told apart by their first character:
//! - `$...` is a JSONPath (RFC 9535): it returns an array of
//!   `{value, path, pointer}` nodes, `path` the node's normalized JSONPath
//!   (`$['a'][0]`) and `pointer` the same place as a JSON Pointer (`/a/0`).
//! - `""` or `/...` is a JSON Pointer (RFC 6901): it returns the one value
//!   there, or fails with `ENOENT`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use serde_json_path::JsonPath;

use super::patch::{self, PatchOp};
use super::search::invalid;
use super::{FileSystem, FsCode, FsError, Stat, Workspace, path};
use crate::StoreError;
use crate::error::bounded;

/// The longest query, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// The deepest nesting of brackets and parentheses in a JSONPath query.
pub const MAX_QUERY_NESTING: usize = 32;
/// The most nodes a JSONPath query returns.
pub const MAX_NODES: usize = 10_000;
/// The most bytes (as JSON) the nodes of a JSONPath query hold.
pub const MAX_RESULT_BYTES: usize = 16 << 20;
/// The widest indent [`write_json`] takes.
pub const MAX_INDENT: usize = 16;

/// Options of [`write_json`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteJsonOptions {
    /// Spaces per level (default 2; 0: compact, one line; at most 16).
    pub indent: Option<usize>,
    /// Make missing parent directories (default false).
    pub parents: bool,
}

/// Options of [`update_json`]. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateJsonOptions {
    /// Start from `{}` when the file does not exist (default false:
    /// `ENOENT`).
    pub create: bool,
}

/// Parses JSON text, saying where it is wrong.
///
/// # Errors
/// `EINVAL` "not valid JSON: line L column C".
pub fn parse(text: &[u8], path: &str) -> Result<Value, StoreError> {
    serde_json::from_slice(text).map_err(|e| {
        invalid(
            path,
            format!(
                "not valid JSON: line {} column {}: {}",
                e.line(),
                e.column(),
                bounded(e)
            ),
        )
    })
}

/// `value` as JSON text indented by `indent` spaces (0: compact), with a
/// trailing newline.
///
/// # Errors
/// `EINVAL` when serde_json refuses the value (it does not for a `Value`
/// parsed from JSON).
pub fn to_text(value: &Value, indent: usize) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    let spaces = vec![b' '; indent];
    let result = if indent == 0 {
        serde_json::to_writer(&mut out, value)
    } else {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(&spaces);
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        value.serialize(&mut serializer)
    };
    result.map_err(|e| invalid("", format!("the value cannot be written as JSON: {}", bounded(e))))?;
    out.push(b'\n');
    Ok(out)
}

/// The JSON document in the file at `path`.
///
/// # Errors
/// `ENOENT`, `EISDIR`, `EINVAL` (not valid JSON, with line and column).
pub fn read_json(fs: &mut dyn FileSystem, path: &str) -> Result<Value, StoreError> {
    let bytes = fs.read(path)?;
    parse(&bytes, path)
}

/// Writes `value` as JSON to the file at `path`, with a trailing newline.
///
/// # Errors
/// `EINVAL` for an indent above 16; as [`FileSystem::write`].
pub fn write_json(
    fs: &mut dyn FileSystem,
    path: &str,
    value: &Value,
    options: &WriteJsonOptions,
) -> Result<Stat, StoreError> {
    let indent = options.indent.unwrap_or(2);
    if indent > MAX_INDENT {
        return Err(invalid(path, format!("indent may be at most {MAX_INDENT} spaces")));
    }
    let text = to_text(value, indent)?;
    fs.write(path, &text, options.parents, false)
}

/// Checks a JSONPath query's nesting (outside string literals), so the
/// parser's recursion stays shallow.
fn check_nesting(query: &str) -> Result<(), StoreError> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in query.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => {
                depth += 1;
                if depth > MAX_QUERY_NESTING {
                    return Err(invalid(
                        "",
                        format!("the query nests deeper than {MAX_QUERY_NESTING} levels"),
                    ));
                }
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Counts bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn too_large() -> StoreError {
    FsError::new(
        FsCode::EFBIG,
        "",
        format!("the query matches more than {MAX_NODES} nodes or {MAX_RESULT_BYTES} bytes: narrow it"),
    )
    .into()
}

/// Runs `query` on `doc` (see the module's documentation for the two
/// forms).
///
/// # Errors
/// `EINVAL` for a query of neither form, a bad JSONPath (the parser's
/// message) or pointer, a query over 4 KiB or nested over 32 levels;
/// `ENOENT` when a pointer finds nothing; `EFBIG` when a JSONPath result
/// passes 10,000 nodes or 16 MiB.
pub fn query_value(doc: &Value, query: &str) -> Result<Value, StoreError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(invalid("", format!("a query may have at most {MAX_QUERY_BYTES} bytes")));
    }
    if query.is_empty() || query.starts_with('/') {
        return patch::get(doc, query).cloned().map_err(|e| match e.code {
            FsCode::ENOENT => FsError::new(
                FsCode::ENOENT,
                "",
                format!("nothing at the JSON Pointer {:?}", bounded(query)),
            )
            .into(),
            _ => e.into(),
        });
    }
    if !query.starts_with('$') {
        return Err(invalid(
            "",
            format!(
                "{:?} is neither a JSONPath (starting with $, such as $.items[*].name) nor a JSON Pointer (empty or starting with /, such as /items/0/name)",
                bounded(query)
            ),
        ));
    }
    check_nesting(query)?;
    let path = JsonPath::parse(query).map_err(|e| invalid("", format!("not a valid JSONPath: {}", bounded(e))))?;
    // Count first (references only), so a huge result is refused before
    // its locations are built.
    if path.query(doc).len() > MAX_NODES {
        return Err(too_large());
    }
    let nodes = path.query_located(doc);
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for node in nodes.iter() {
        let mut counter = Counter(0);
        let _ = serde_json::to_writer(&mut counter, node.node());
        bytes += counter.0;
        if bytes > MAX_RESULT_BYTES {
            return Err(too_large());
        }
        out.push(json!({
            "value": node.node().clone(),
            "path": node.location().to_string(),
            "pointer": node.location().to_json_pointer(),
        }));
    }
    Ok(Value::Array(out))
}

/// Runs `query` on the JSON document in the file at `path` (see the
/// module's documentation).
///
/// # Errors
/// As [`read_json`] and [`query_value`].
pub fn query_json(fs: &mut dyn FileSystem, path: &str, query: &str) -> Result<Value, StoreError> {
    let doc = read_json(fs, path)?;
    query_value(&doc, query)
}

/// Applies a JSON Patch (RFC 6902) to the JSON file at `path`, all
/// operations or none, and rewrites it with a 2-space indent. Returns the
/// new document.
///
/// # Errors
/// As [`read_json`] (`ENOENT` unless `create`), [`patch::apply`], and
/// [`FileSystem::write`].
pub fn update_json(
    fs: &mut dyn FileSystem,
    path: &str,
    ops: &[PatchOp],
    options: &UpdateJsonOptions,
) -> Result<Value, StoreError> {
    let mut doc = match fs.stat(path)? {
        None if options.create => json!({}),
        _ => read_json(fs, path)?,
    };
    patch::apply(&mut doc, ops).map_err(|e| FsError::new(e.code, path, e.message))?;
    let text = to_text(&doc, 2)?;
    fs.write(path, &text, false, false)?;
    Ok(doc)
}

impl Workspace {
    /// The JSON document in a file (see [`read_json`]).
    ///
    /// # Errors
    /// As [`read_json`], and path errors.
    pub async fn read_json(&self, path: &str) -> Result<Value, StoreError> {
        let path = path::normalize(path)?;
        self.read(move |fs| read_json(fs, &path)).await
    }

    /// Writes `value` as JSON to a file (see [`write_json`]).
    ///
    /// # Errors
    /// As [`write_json`], and path errors.
    pub async fn write_json(&self, path: &str, value: Value, options: WriteJsonOptions) -> Result<Stat, StoreError> {
        let path = path::normalize(path)?;
        self.write(move |fs| write_json(fs, &path, &value, &options)).await
    }

    /// Runs a JSONPath or JSON Pointer query on a JSON file (see
    /// [`query_value`]).
    ///
    /// # Errors
    /// As [`query_json`], and path errors.
    pub async fn query_json(&self, path: &str, query: &str) -> Result<Value, StoreError> {
        let path = path::normalize(path)?;
        let query = query.to_owned();
        self.read(move |fs| query_json(fs, &path, &query)).await
    }

    /// Applies a JSON Patch to a JSON file (see [`update_json`]).
    ///
    /// # Errors
    /// As [`update_json`], and path errors.
    pub async fn update_json(
        &self,
        path: &str,
        ops: Vec<PatchOp>,
        options: UpdateJsonOptions,
    ) -> Result<Value, StoreError> {
        let path = path::normalize(path)?;
        self.write(move |fs| update_json(fs, &path, &ops, &options)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    use crate::error::fs_code as code;

    async fn workspace() -> Workspace {
        let store = Store::open("memory").await.unwrap();
        let ws = store.workspace("t", "json").unwrap();
        let doc = json!({"store": {"books": [
            {"title": "A", "price": 8},
            {"title": "B", "price": 12},
            {"title": "C", "price": 30}
        ], "owner": "ann"}});
        ws.write_json("/data.json", doc, WriteJsonOptions::default())
            .await
            .unwrap();
        ws
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn read_and_write() {
        let ws = workspace().await;
        let text = String::from_utf8(ws.read_file("/data.json").await.unwrap()).unwrap();
        assert!(
            text.starts_with("{\n  \"store\": {\n    \"books\": [\n") && text.ends_with("}\n"),
            "{text}"
        );
        let o = WriteJsonOptions {
            indent: Some(0),
            parents: true,
        };
        ws.write_json("/d/e/c.json", json!({"a": [1, 2]}), o).await.unwrap();
        assert_eq!(ws.read_file("/d/e/c.json").await.unwrap(), b"{\"a\":[1,2]}\n");
        let o = WriteJsonOptions {
            indent: Some(4),
            ..Default::default()
        };
        ws.write_json("/four.json", json!({"a": 1}), o).await.unwrap();
        assert_eq!(ws.read_file("/four.json").await.unwrap(), b"{\n    \"a\": 1\n}\n");
        assert_eq!(ws.read_json("/d/e/c.json").await.unwrap(), json!({"a": [1, 2]}));
        let no_dir = ws
            .write_json("/x/y.json", json!(1), WriteJsonOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(no_dir), FsCode::ENOENT);
        let wide = WriteJsonOptions {
            indent: Some(17),
            ..Default::default()
        };
        assert_eq!(
            code(ws.write_json("/w.json", json!(1), wide).await.unwrap_err()),
            FsCode::EINVAL
        );
        ws.write_file("/bad.json", b"{\n  \"a\": 1,\n  oops\n}").await.unwrap();
        let err = ws.read_json("/bad.json").await.unwrap_err();
        assert!(err.to_string().contains("not valid JSON: line 3 column 3"), "{err}");
        assert_eq!(code(ws.read_json("/none.json").await.unwrap_err()), FsCode::ENOENT);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queries() {
        let ws = workspace().await;
        let r = ws
            .query_json("/data.json", "$.store.books[?@.price < 20].title")
            .await
            .unwrap();
        assert_eq!(
            r,
            json!([
                {"value": "A", "path": "$['store']['books'][0]['title']", "pointer": "/store/books/0/title"},
                {"value": "B", "path": "$['store']['books'][1]['title']", "pointer": "/store/books/1/title"},
            ])
        );
        let r = ws.query_json("/data.json", "$..price").await.unwrap();
        assert_eq!(r.as_array().map(Vec::len), Some(3));
        assert_eq!(ws.query_json("/data.json", "$.nothing").await.unwrap(), json!([]));
        assert_eq!(
            ws.query_json("/data.json", "/store/books/2/price").await.unwrap(),
            json!(30)
        );
        assert_eq!(ws.query_json("/data.json", "/store/owner").await.unwrap(), json!("ann"));
        let whole = ws.query_json("/data.json", "").await.unwrap();
        assert_eq!(whole["store"]["owner"], json!("ann"));
        let err = ws.query_json("/data.json", "/store/books/9").await.unwrap_err();
        assert!(err.to_string().contains("/store/books/9"), "{err}");
        assert_eq!(code(err), FsCode::ENOENT);
        let err = ws.query_json("/data.json", "store.books").await.unwrap_err();
        assert!(
            err.to_string().contains("JSONPath") && err.to_string().contains("JSON Pointer"),
            "{err}"
        );
        assert_eq!(
            code(ws.query_json("/data.json", "$[?").await.unwrap_err()),
            FsCode::EINVAL
        );
        let deep = format!("$[?{}@.a{}]", "(".repeat(100), ")".repeat(100));
        assert_eq!(
            code(ws.query_json("/data.json", &deep).await.unwrap_err()),
            FsCode::EINVAL
        );
        let quoted = "$['(((((((((((((((((((((((((((((((((((((((']";
        assert_eq!(
            ws.query_json("/data.json", quoted).await.unwrap(),
            json!([]),
            "brackets in strings do not count"
        );
        let many: Vec<Value> = (0..10_001).map(|i| json!(i)).collect();
        ws.write_json("/many.json", Value::Array(many), WriteJsonOptions::default())
            .await
            .unwrap();
        assert_eq!(
            code(ws.query_json("/many.json", "$[*]").await.unwrap_err()),
            FsCode::EFBIG
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn updates_are_atomic() {
        let ws = workspace().await;
        let ops: Vec<PatchOp> = serde_json::from_value(json!([
            {"op": "replace", "path": "/store/owner", "value": "bob"},
            {"op": "add", "path": "/store/books/-", "value": {"title": "D", "price": 5}},
            {"op": "test", "path": "/store/books/3/price", "value": 5},
        ]))
        .unwrap();
        let doc = ws
            .update_json("/data.json", ops, UpdateJsonOptions::default())
            .await
            .unwrap();
        assert_eq!(doc["store"]["books"][3]["title"], json!("D"));
        assert_eq!(ws.read_json("/data.json").await.unwrap(), doc);
        let text = String::from_utf8(ws.read_file("/data.json").await.unwrap()).unwrap();
        assert!(text.contains("\n  \"store\"") && text.ends_with("}\n"));
        let version = ws.version().await.unwrap();
        let failing: Vec<PatchOp> = serde_json::from_value(json!([
            {"op": "remove", "path": "/store/owner"},
            {"op": "test", "path": "/store/books/0/title", "value": "Z"},
        ]))
        .unwrap();
        let err = ws
            .update_json("/data.json", failing, UpdateJsonOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("op 1 (test)"), "{err}");
        assert_eq!(code(err), FsCode::EINVAL);
        assert_eq!(ws.version().await.unwrap(), version);
        assert_eq!(ws.read_json("/data.json").await.unwrap(), doc);
        let add: Vec<PatchOp> = serde_json::from_value(json!([{"op": "add", "path": "/a", "value": 1}])).unwrap();
        let missing = ws
            .update_json("/new.json", add.clone(), UpdateJsonOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(missing), FsCode::ENOENT);
        let made = ws
            .update_json("/new.json", add, UpdateJsonOptions { create: true })
            .await
            .unwrap();
        assert_eq!(made, json!({"a": 1}));
        assert_eq!(ws.read_file("/new.json").await.unwrap(), b"{\n  \"a\": 1\n}\n");
    }
}
