//! OpenAPI specs as isobox capabilities: a whole REST API behind
//! `env.NAME.<operation>(args)`, found through a ranked search and read one
//! operation at a time, so an agent's context holds a few hundred tokens
//! whatever the size of the API.
//!
//! - [`OpenApiSpec`] loads an OpenAPI 3.0 or 3.1 spec (JSON or YAML, at
//!   most [`MAX_SPEC_BYTES`]), checks every `$ref` (local, present, not a
//!   cycle of refs alone: cycles through properties are named types), and
//!   names each operation's method: its `operationId` in camelCase
//!   (`issues/create` -> `issuesCreate`), or its HTTP method and path
//!   (`getPetsByPetId`), numbered on collision in spec order. Every error
//!   names the JSON pointer where it is ([`SpecError::pointer`]).
//! - [`OpenApiSpec::search`] ranks operations with BM25 over their names,
//!   paths, methods, summaries, descriptions, tags and parameter names;
//!   [`OpenApiSpec::describe`] writes one operation's TypeScript: one
//!   argument object (path, query, header and cookie parameters, `body`),
//!   the 2xx response's type, named types for `#/components/schemas`.
//! - [`Connection`] is where calls go: a base URL the egress policy allows
//!   alone, and credentials from the spec's security schemes (bearer,
//!   basic, API keys in a header or the query) whose values the host reads
//!   from environment variables and the egress filter adds, for the base
//!   URL's https origin only: the code never sees them.
//! - [`capability`] makes the [`isobox::Capability`]: each call builds the
//!   request (path parameters percent-encoded, query parameters per
//!   `style` and `explode`, a JSON body), sends it through the egress
//!   filter, and resolves with the JSON, text, or `{contentType, base64}`
//!   response; a non-2xx status rejects with an `Error` holding the status
//!   and at most [`MAX_ERROR_BODY_CHARS`] of the body.
//!
//! Limits: [`MAX_SPEC_BYTES`], [`MAX_OPERATIONS`] (above `isobox mcp`'s
//! [`MAX_MCP_TOOLS`](isobox::capability::MAX_MCP_TOOLS) for upstream MCP
//! servers, as these are searched rather than listed),
//! [`MAX_SCHEMA_DEPTH`], [`MAX_RENDERED_SCHEMAS`], [`MAX_DESCRIBE_CHARS`],
//! and the egress policy's limits per call.
//!
//! ```
//! use std::sync::Arc;
//! use isobox_openapi::{Connection, OpenApiSpec, capability};
//!
//! let spec = Arc::new(OpenApiSpec::from_slice(br#"
//! openapi: 3.0.3
//! info: {title: Pets, version: "1"}
//! paths:
//!   /pets:
//!     get:
//!       operationId: listPets
//!       parameters: [{name: limit, in: query, schema: {type: integer}}]
//!       responses:
//!         "200":
//!           description: A list of pets.
//!           content: {application/json: {schema: {type: array, items: {type: string}}}}
//! "#)?);
//! assert!(spec.describe("listPets").unwrap().contains("listPets(args?: {\n  limit?: number;\n}): Promise<string[]>;"));
//! let pets = capability(spec.clone(), Connection::new().base_url("http://127.0.0.1:9").build(&spec)?)?;
//! let request = isobox::RunRequest::new("await env.pets.listPets({ limit: 2 })").grant("pets", pets);
//! # let _ = request;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod call;
mod capability;
mod connection;
mod document;
mod error;
mod names;
mod operations;
mod pointer;
mod request;
mod search;
mod spec;
mod typescript;

pub use call::MAX_ERROR_BODY_CHARS;
pub use capability::{capability, connect};
pub use connection::{BuiltConnection, Connection, ConnectionError};
pub use document::{MAX_SPEC_BYTES, OpenApiVersion};
pub use error::SpecError;
pub use operations::{Location, MAX_OPERATIONS, Operation, Parameter, RequestBody, Style};
pub use request::{ArgumentError, PreparedRequest, prepare};
pub use search::Hit;
pub use spec::{MAX_DESCRIBE_CHARS, MAX_OPERATION_DOC_CHARS, OpenApiSpec};
pub use typescript::{MAX_PROPERTY_DOC_CHARS, MAX_RENDERED_SCHEMAS, MAX_SCHEMA_DEPTH};

#[cfg(test)]
mod tests;
