//! TypeScript declarations of MCP tools: an upstream MCP server's
//! `tools/list` result, written in the style of [`typescript_env`] so one
//! `declare namespace env` block holds WIT-derived and MCP-derived bindings
//! (`env.memory.createEntities({ entities })`). Pure logic: no I/O.
//!
//! - [`McpTools::from_json`] reads a `tools/list` result (or a JSON-RPC
//!   response carrying one) and names each tool's method.
//! - [`mcp_typescript`] writes one binding's declarations (the lines inside
//!   `declare namespace env { ... }`); [`mcp_typescript_env`] a whole block
//!   for several MCP bindings; [`typescript_env_with_mcp`] one block for WIT
//!   and MCP bindings together.
//!
//! # What a method is
//!
//! Each tool is one method that takes one object, typed from the tool's
//! `inputSchema` (a tool without properties takes no argument; one whose
//! properties are all optional takes `args?`), and returns a promise:
//!
//! - with an `outputSchema`, `Promise<T>` with T from that schema: the bridge
//!   (the MCP server of issue 6) resolves with the result's
//!   `structuredContent`;
//! - without one, `Promise<string>`: the bridge resolves with the text of
//!   the result's `text` content items, joined by newlines (images, audio
//!   and resources are not carried into the sandbox).
//!
//! A result with `isError: true` rejects with an `Error` whose message is
//! that text. A line before the `env` block says so, once.
//!
//! # Names
//!
//! A tool name with `-`, `_` or `.` becomes camelCase (`create_entities` ->
//! `createEntities`, `get-tiny-image` -> `getTinyImage`); any other name is
//! kept as written. When that is not an ASCII identifier, is `new` (a
//! construct signature in a type literal) or is another tool's name or
//! method, the method is the tool's own name, in quotes unless it is an
//! identifier (`"2fa check"(args: ...)`, called as
//! `env.x["2fa check"](...)`; `get_user` beside a tool named `getUser`).
//! [`McpTools::by_method`] maps a method name back to its tool. Property
//! names are kept as written, quoted when they are not identifiers.
//!
//! # JSON Schema in TypeScript
//!
//! | JSON Schema | TypeScript |
//! |---|---|
//! | `string`, `number`, `integer`, `boolean`, `null` | `string`, `number`, `number`, `boolean`, `null` |
//! | `type: [A, B]`, `nullable: true` | `A \| B`, `T \| null` |
//! | `array` with `items`; `prefixItems` | `T[]`; `[A, B]` (`[A, B, ...T[]]` with `items`) |
//! | `object` with `properties` and `required` | `{ a: A; b?: B }` |
//! | `additionalProperties: T` alone; with properties | `Record<string, T>`; `[key: string]: unknown` |
//! | `object` with neither; `additionalProperties: false` alone | `Record<string, unknown>`; `Record<string, never>` |
//! | `enum`, `const` | a union of literals, a literal |
//! | `anyOf`, `oneOf` | `A \| B` |
//! | `allOf` | one object when the parts are plain objects, else `A & B` |
//! | `$ref` to `#/$defs/X` or `#/definitions/X` | a named type `X` in the binding's namespace (`env.memory.X`) |
//! | `description`, `default`, `format` | `/** description @default 3 @format uri */` on the property or tool |
//! | `true`, `{}`, anything else | `unknown` |
//!
//! An object shape that recurs (same properties, types and docs) is
//! declared once as a named type when that is shorter than writing it
//! again (for bindings of up to 10,000 schemas); so are the `$defs`, and
//! equal `$defs` of different tools (same name and body) are one type. Titles, annotations, `minimum`, `pattern` and
//! other constraints are not shown. A description is dropped when it only
//! repeats the property's name or the description of the type it refers
//! to.
//!
//! # Guarding against the input
//!
//! The JSON must be at most [`MAX_MCP_TOOLS_BYTES`] and hold at most
//! [`MAX_MCP_TOOLS`] tools; serde_json refuses nesting deeper than 128. Schemas
//! are read at most [`MAX_SCHEMA_DEPTH`] levels deep and at most
//! [`MAX_SCHEMA_NODES`] schemas per binding; past either, the rest is
//! `unknown`. Docs are cut to [`MAX_SCHEMA_DOC_CHARS`], a `@default`
//! value to 200 characters. `$ref` chains and cycles
//! end in named types, and an alias that would refer to itself
//! (`type A = A | null`) has `unknown` in that place. Nothing panics.

mod convert;
mod named;
mod render;

use serde_json::Value;

use super::CapabilityInterface;

/// The largest `tools/list` JSON read, in bytes (8 MiB).
pub const MAX_MCP_TOOLS_BYTES: usize = 8 << 20;

/// The most tools one binding may have.
pub const MAX_MCP_TOOLS: usize = 1000;

/// The most tools of a capability built with
/// [`McpTools::from_named_tools`] (an OpenAPI spec's operations, shown
/// through a catalog rather than declared whole).
pub const MAX_CATALOG_TOOLS: usize = 10_000;

/// Schemas nested deeper than this are `unknown`.
pub const MAX_SCHEMA_DEPTH: usize = 24;

/// The most schema objects read for one binding; the rest are `unknown`.
pub const MAX_SCHEMA_NODES: usize = 50_000;

/// Docs longer than this (in characters) are cut, ending with `...`.
pub const MAX_SCHEMA_DOC_CHARS: usize = 2000;

/// Why a `tools/list` result could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum McpToolsError {
    /// The text is larger than [`MAX_MCP_TOOLS_BYTES`].
    #[error("the MCP tool list is {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Two tools of [`McpTools::from_named_tools`] share a name or a
    /// method, or a method is not a JavaScript identifier.
    #[error("tool {name:?} repeats another tool's name or method, or its method is not an identifier")]
    BadMethod {
        /// The tool's name, at most 80 characters.
        name: String,
    },
    /// The text is not JSON.
    #[error("the MCP tool list is not valid JSON: {message}")]
    NotJson {
        /// serde_json's message, with line and column.
        message: String,
    },
    /// The JSON has no `tools` array (at the top, or under `result`).
    #[error(
        "the MCP tool list has no \"tools\" array: expected a tools/list result, {{\"tools\": [...]}}, \
         or a JSON-RPC response carrying one"
    )]
    NoTools,
    /// More than [`MAX_MCP_TOOLS`] tools.
    #[error("the MCP tool list has {count} tools, more than the limit of {limit}")]
    TooManyTools {
        /// How many there are.
        count: usize,
        /// The limit.
        limit: usize,
    },
}

/// One MCP tool, as the sandbox calls it.
#[derive(Debug, Clone, PartialEq)]
pub struct McpTool {
    /// The tool's name on the MCP server (what `tools/call` is sent).
    pub name: String,
    /// Its method in `env.BINDING`: camelCase, or `name` itself (see the
    /// module docs).
    pub method: String,
    /// Its description, or its title when it has none.
    pub description: Option<String>,
    /// Its `inputSchema` (`{}` when there was none).
    pub input_schema: Value,
    /// Its `outputSchema`, if any: the method then resolves with the
    /// result's `structuredContent`.
    pub output_schema: Option<Value>,
}

/// The tools of one MCP server, from its `tools/list` result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McpTools {
    tools: Vec<McpTool>,
    skipped: Vec<String>,
}

impl McpTools {
    /// Reads a `tools/list` result, `{"tools": [...]}`, or a JSON-RPC
    /// response whose `result` is one.
    ///
    /// A tool entry that is not an object with a non-empty string `name`,
    /// or repeats an earlier tool's name, is left out and listed in
    /// [`skipped`](Self::skipped).
    ///
    /// # Errors
    ///
    /// [`McpToolsError`]: too large, not JSON, no `tools` array, too many
    /// tools.
    ///
    /// ```
    /// use isobox::capability::McpTools;
    ///
    /// let tools = McpTools::from_json(r#"{"tools": [{"name": "read_graph", "inputSchema": {"type": "object"}}]}"#)?;
    /// assert_eq!(tools.tools()[0].method, "readGraph");
    /// assert_eq!(tools.by_method("readGraph").unwrap().name, "read_graph");
    /// # Ok::<(), isobox::capability::McpToolsError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, McpToolsError> {
        if text.len() > MAX_MCP_TOOLS_BYTES {
            return Err(McpToolsError::TooLarge {
                bytes: text.len(),
                limit: MAX_MCP_TOOLS_BYTES,
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| McpToolsError::NotJson { message: e.to_string() })?;
        Self::from_value(&value)
    }

    /// [`from_json`](Self::from_json) for JSON already parsed.
    ///
    /// # Errors
    ///
    /// [`McpToolsError::NoTools`], [`McpToolsError::TooManyTools`].
    pub fn from_value(value: &Value) -> Result<Self, McpToolsError> {
        let list = value
            .get("tools")
            .or_else(|| value.get("result").and_then(|r| r.get("tools")))
            .and_then(Value::as_array)
            .ok_or(McpToolsError::NoTools)?;
        if list.len() > MAX_MCP_TOOLS {
            return Err(McpToolsError::TooManyTools {
                count: list.len(),
                limit: MAX_MCP_TOOLS,
            });
        }
        let mut tools: Vec<McpTool> = Vec::with_capacity(list.len());
        let mut skipped = Vec::new();
        for (index, entry) in list.iter().enumerate() {
            let Some(name) = entry.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) else {
                skipped.push(format!("tools[{index}]: no name"));
                continue;
            };
            if tools.iter().any(|t| t.name == name) {
                skipped.push(format!(
                    "tools[{index}]: {} repeats an earlier tool's name",
                    cut(name, 80)
                ));
                continue;
            }
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
            tools.push(McpTool {
                name: name.to_owned(),
                method: String::new(),
                description: text("description").or_else(|| text("title")),
                input_schema: entry
                    .get("inputSchema")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Default::default())),
                output_schema: entry.get("outputSchema").filter(|s| !s.is_null()).cloned(),
            });
        }
        let methods = method_names(tools.iter().map(|t| t.name.as_str()));
        for (tool, method) in tools.iter_mut().zip(methods) {
            tool.method = method;
        }
        Ok(Self { tools, skipped })
    }

    /// Tools whose methods are already named (each an ASCII JavaScript
    /// identifier other than `new`, distinct, as are the names), up to
    /// [`MAX_CATALOG_TOOLS`]: for a capability with a
    /// [`JsonToolCatalog`](crate::capability::JsonToolCatalog).
    ///
    /// # Errors
    ///
    /// [`McpToolsError::TooManyTools`], [`McpToolsError::BadMethod`].
    ///
    /// ```
    /// use isobox::capability::{McpTool, McpTools};
    ///
    /// let tool = McpTool {
    ///     name: "issues/create".into(),
    ///     method: "issuesCreate".into(),
    ///     description: None,
    ///     input_schema: serde_json::json!({}),
    ///     output_schema: None,
    /// };
    /// let tools = McpTools::from_named_tools(vec![tool])?;
    /// assert_eq!(tools.by_method("issuesCreate").unwrap().name, "issues/create");
    /// # Ok::<(), isobox::capability::McpToolsError>(())
    /// ```
    pub fn from_named_tools(tools: Vec<McpTool>) -> Result<Self, McpToolsError> {
        if tools.len() > MAX_CATALOG_TOOLS {
            return Err(McpToolsError::TooManyTools {
                count: tools.len(),
                limit: MAX_CATALOG_TOOLS,
            });
        }
        let mut names = std::collections::HashSet::with_capacity(tools.len());
        let mut methods = std::collections::HashSet::with_capacity(tools.len());
        for tool in &tools {
            if !is_identifier(&tool.method)
                || tool.method == "new"
                || !names.insert(tool.name.as_str())
                || !methods.insert(tool.method.as_str())
            {
                return Err(McpToolsError::BadMethod {
                    name: cut(&tool.name, 80),
                });
            }
        }
        Ok(Self {
            tools,
            skipped: Vec::new(),
        })
    }

    /// The tools, in the order of the list.
    pub fn tools(&self) -> &[McpTool] {
        &self.tools
    }

    /// The tool a method name calls: `by_method("createEntities")` is the
    /// tool `create_entities`.
    pub fn by_method(&self, method: &str) -> Option<&McpTool> {
        self.tools.iter().find(|t| t.method == method)
    }

    /// Why tool entries were left out, one line each (`tools[3]: no name`).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }
}

/// The methods of tools named `names`, in order: camelCase where that is a
/// fresh identifier, else the name itself.
fn method_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let names: Vec<&str> = names.collect();
    let mut methods: Vec<String> = Vec::with_capacity(names.len());
    for name in &names {
        let camel = camel_case(name);
        let fresh = |m: &str| !methods.iter().any(|x| x == m) && !names.iter().any(|n| *n == m && n != name);
        let method = if is_identifier(&camel) && camel != "new" && fresh(&camel) {
            camel
        } else {
            (*name).to_owned()
        };
        methods.push(method);
    }
    methods
}

/// `create_entities`, `get-tiny-image`, `fs.read` -> `createEntities`,
/// `getTinyImage`, `fsRead`; a name without separators is unchanged.
fn camel_case(name: &str) -> String {
    if !name.contains(['-', '_', '.']) {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    for word in name.split(['-', '_', '.']).filter(|w| !w.is_empty()) {
        if out.is_empty() {
            out.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// An ASCII JavaScript identifier (reserved words included: they are valid
/// property and method names).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// At most `max` characters of `text`, with `...` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// The line [`mcp_typescript_env`] puts before the block: what the methods
/// resolve with.
pub const MCP_RESULT_NOTE: &str =
    "// MCP tools resolve with their structured result when typed, else their text; a tool error rejects.\n";

/// One MCP binding's declarations: the lines that go inside `declare
/// namespace env { ... }`, indented by two spaces, as [`typescript_env`]
/// writes a WIT binding: a `namespace BINDING` of named types when there
/// are any, then `const BINDING` with a method per tool. `binding` must be
/// a JavaScript identifier (see [`valid_binding_name`]).
///
/// ```
/// use isobox::capability::{McpTools, mcp_typescript};
///
/// let tools = McpTools::from_json(r#"{"tools": [{
///     "name": "get_sum", "description": "Adds two numbers.",
///     "inputSchema": {"type": "object",
///         "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
///         "required": ["a", "b"]}}]}"#)?;
/// assert_eq!(mcp_typescript("calc", &tools), "  const calc: {
///     /** Adds two numbers. */
///     getSum(args: { a: number; b: number }): Promise<string>;
///   };
/// ");
/// # Ok::<(), isobox::capability::McpToolsError>(())
/// ```
///
/// [`valid_binding_name`]: super::valid_binding_name
pub fn mcp_typescript(binding: &str, tools: &McpTools) -> String {
    render::binding_block(binding, &convert::convert(tools))
}

/// The declarations of several MCP bindings in one `declare namespace env`
/// block, after [`MCP_RESULT_NOTE`].
pub fn mcp_typescript_env(bindings: &[(&str, &McpTools)]) -> String {
    typescript_env_with_mcp(&[], bindings)
}

/// One `declare namespace env` block holding WIT bindings (as
/// [`typescript_env`] writes them, first) and MCP bindings (after them,
/// with [`MCP_RESULT_NOTE`] before the block when there are any). The
/// caller keeps the names distinct.
///
/// [`typescript_env`]: super::typescript_env
pub fn typescript_env_with_mcp(wit: &[(&str, &CapabilityInterface)], mcp: &[(&str, &McpTools)]) -> String {
    typescript_env_with_summaries(wit, mcp, &[])
}

/// [`typescript_env_with_mcp`], with `summaries` (text already written, such
/// as a tool catalog's [`summary`](crate::capability::JsonToolCatalog::summary):
/// an OpenAPI binding, whose operations `search` and `describe` show) at
/// the end of the block.
pub fn typescript_env_with_summaries(
    wit: &[(&str, &CapabilityInterface)],
    mcp: &[(&str, &McpTools)],
    summaries: &[String],
) -> String {
    let wit_block = super::typescript_env(wit);
    // typescript_env's block ends with the line "}\n"; MCP bindings go
    // before it.
    let open = wit_block.strip_suffix("}\n").unwrap_or(&wit_block);
    let mut out = String::new();
    if !mcp.is_empty() {
        out.push_str(MCP_RESULT_NOTE);
    }
    out.push_str(open);
    for (binding, tools) in mcp {
        out.push_str(&mcp_typescript(binding, tools));
    }
    for summary in summaries {
        out.push_str(summary);
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests;
