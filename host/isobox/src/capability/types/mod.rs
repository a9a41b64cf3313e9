//! The type core of the capability bridge: a capability's WIT interface,
//! the checked conversion of each call's values between JavaScript and WIT,
//! and the TypeScript declarations an agent is shown. Pure logic: no Wasm,
//! no I/O but reading WIT files.
//!
//! - [`WitPackage`] / [`CapabilityInterface::from_wit`] load WIT (wit-parser
//!   0.254, as wasmtime 48) and check one interface.
//! - [`lift_args`] checks a call's arguments, sent by the guest as a
//!   [`JsNode`] tree, against the function's parameter types and gives
//!   wasmtime [`Val`](wasmtime::component::Val)s.
//! - [`lower_result`] checks what the implementation returned against the
//!   declared result and gives the tree the guest resolves the promise with
//!   (or, for the `err` of a `result`, [`BridgeError::Call`]).
//! - [`typescript`] / [`typescript_env`] write the declarations.
//! - [`json_args`] / [`json_result`] carry the calls of JSON-typed tools
//!   (MCP tools, described by JSON Schema rather than WIT).
//! - [`FromVal`], [`IntoVal`], [`FromArgs`]: typed `Val`s for Rust
//!   implementations.
//!
//! # The mapping between WIT and JavaScript
//!
//! | WIT | JavaScript (TypeScript) | notes |
//! |---|---|---|
//! | `bool` | boolean | |
//! | `u8` `u16` `u32` `s8` `s16` `s32` | number | integers only, exact range; `-0` is 0; fractions, NaN, infinities and BigInts refused |
//! | `u64` `s64` | number \| bigint | in: a safe integer (\|n\| <= 2^53 - 1) or a BigInt, exact range; out: a number when \|v\| <= 2^53 - 1, else a BigInt |
//! | `f32` | number | in: rounded to the nearest f32 (ties to even; past f32's range, an infinity); NaN and infinities pass |
//! | `f64` | number | unchanged |
//! | `char` | string | exactly one code point |
//! | `string` | string | |
//! | `list<u8>` | Uint8Array | in: also an ArrayBuffer or an array of byte numbers |
//! | `list<T>` | T[] | |
//! | `list<T, N>` | [T, T, ...] (N <= 8), else T[] | exactly N elements |
//! | `tuple<A, B>` | [A, B] | exactly that many elements |
//! | `record` | object (an `interface`) | camelCase keys (`user-id` -> `userId`); unknown keys refused; a missing key refused unless the field is an `option` |
//! | `option<T>` | T \| null | in: `undefined` (or a missing key or trailing argument) is also none; `option<option<T>>` is refused at load |
//! | `variant` | { tag: "case-name", val?: T } | `val` only for cases with a payload (may be left out when the payload is an `option`) |
//! | `enum` | "case-name" | |
//! | `flags` | { flagName?: boolean } | a missing (or `undefined`) flag is false; unknown keys refused; out: every flag present |
//! | `result<T, E>` inside a value | { ok: T } \| { err: E } | exactly one key; a side without a type is `null` (in: or `undefined`) |
//! | `result<T, E>` returned by a function | Promise&lt;T&gt; | `err` rejects with an `Error` carrying the `E` ([`CallError`]) |
//! | no result | Promise&lt;void&gt; | |
//! | function `get-user` | method `getUser` | the WIT name is also accepted by [`CapabilityInterface::function`] |
//! | type `user-profile` | `UserProfile` | unique per binding; never `Promise` or `Uint8Array` |
//!
//! Not carried (refused when the WIT is loaded, naming the function and
//! parameter): resources, futures and streams, `error-context`, maps,
//! `option<option<T>>`, and types nested more than [`MAX_TYPE_DEPTH`]
//! levels. An `async func` is accepted ([`Function::is_async`]).
//!
//! # Guarding against the guest
//!
//! A node tree must be a tree: each index in range and used at most once
//! (no cycles, no shared subtrees), no more references than nodes, within
//! [`TreeLimits`] (nodes, bytes, nesting, and the `Val`s it becomes: a
//! `list<u8>` is one 40-byte `Val` per byte). Anything else is a typed
//! [`BridgeError`], never a panic, and walking follows the WIT type, which
//! nests at most [`MAX_TYPE_DEPTH`] levels, so no tree can exhaust the
//! host's stack.

mod declarations;
mod error;
mod json_schema;
mod json_value;
mod lift;
mod lower;
mod model;
mod names;
mod node;
mod path;
mod typed;
mod wit;

pub use declarations::{typescript, typescript_env, valid_binding_name};
pub use error::{BridgeError, CallError, WitError};
pub use json_schema::{
    MAX_CATALOG_TOOLS, MAX_MCP_TOOLS, MAX_MCP_TOOLS_BYTES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_DOC_CHARS, MAX_SCHEMA_NODES,
    MCP_RESULT_NOTE, McpTool, McpTools, McpToolsError, mcp_typescript, mcp_typescript_env, typescript_env_with_mcp,
    typescript_env_with_summaries,
};
pub use json_value::{json_args, json_result};
pub use lift::lift_args;
#[cfg(test)]
pub use lift::lift_args_with_limits;
pub use lower::lower_result;
#[cfg(test)]
pub use lower::lower_result_with_limits;
pub use model::{CapabilityInterface, Case, Field, Function, Param, TypeDef, TypeKind, WitType};
pub use node::{JsNode, TreeLimits};
pub use typed::{FromArgs, FromVal, IntoVal, ValError, record_field};
pub use wit::{MAX_TYPE_DEPTH, MAX_WIT_BYTES, WitPackage};

#[cfg(test)]
mod tests;
