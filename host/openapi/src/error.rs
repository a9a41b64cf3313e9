//! Why a spec could not be loaded, or a connection configured: typed
//! errors whose messages name the JSON pointer where the problem is, are
//! bounded in length and never hold a secret.

/// The most characters of spec text (a name, a `$ref`) quoted in a message.
pub(crate) const QUOTE_CHARS: usize = 120;

/// Why a spec was refused. Every variant but the first two names the JSON
/// pointer (`#/paths/~1pets/get`) where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The text is larger than [`MAX_SPEC_BYTES`](crate::MAX_SPEC_BYTES).
    #[error("the spec is {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size (at least this many bytes).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The file could not be read.
    #[error("cannot read the spec {path}: {message}")]
    Read {
        /// The path, as given (bounded).
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The text is neither JSON nor YAML, or YAML that is not JSON-like.
    #[error("at #: the spec is not valid {format}: {message}")]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message, with line and column (bounded).
        message: String,
    },
    /// Not OpenAPI 3.0 or 3.1.
    #[error("at {pointer}: {message}")]
    Version {
        /// `#/openapi` or `#/swagger`, or `#` when neither is there.
        pointer: String,
        /// What was found and what is read.
        message: String,
    },
    /// A `$ref` whose target does not exist.
    #[error("at {pointer}: $ref {target:?} points to nothing in the spec")]
    MissingRef {
        /// Where the `$ref` is.
        pointer: String,
        /// The `$ref` (bounded).
        target: String,
    },
    /// A `$ref` that is not a local JSON pointer (`#/...`).
    #[error("at {pointer}: $ref {target:?} is not in this document: only local refs (#/...) are read")]
    ExternalRef {
        /// Where the `$ref` is.
        pointer: String,
        /// The `$ref` (bounded).
        target: String,
    },
    /// A chain of `$ref`s that comes back to itself without ever reaching
    /// a schema (`A: {$ref: B}`, `B: {$ref: A}`): nothing to render.
    /// Cycles through properties, items or combinators are legal and
    /// become named types.
    #[error("at {pointer}: $ref {target:?} only leads back to itself ({chain}): no schema to render")]
    CyclicRef {
        /// Where the first `$ref` of the cycle is.
        pointer: String,
        /// That `$ref` (bounded).
        target: String,
        /// The pointers of the cycle, `a -> b -> a` (bounded).
        chain: String,
    },
    /// A part of the spec has the wrong shape (`paths` not an object, a
    /// parameter without a name ...).
    #[error("at {pointer}: {message}")]
    Invalid {
        /// Where.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// More operations than [`MAX_OPERATIONS`](crate::MAX_OPERATIONS), or
    /// more JSON values than [`MAX_SPEC_NODES`](crate::MAX_SPEC_NODES).
    #[error("at {pointer}: {what} {count} is more than the limit of {limit}")]
    TooMany {
        /// Where the limit was passed.
        pointer: String,
        /// What was counted.
        what: &'static str,
        /// How many (at least).
        count: usize,
        /// The limit.
        limit: usize,
    },
}

impl SpecError {
    /// The JSON pointer the error names (`#` for the whole document).
    pub fn pointer(&self) -> &str {
        match self {
            SpecError::TooLarge { .. } | SpecError::Read { .. } | SpecError::Syntax { .. } => "#",
            SpecError::Version { pointer, .. }
            | SpecError::MissingRef { pointer, .. }
            | SpecError::ExternalRef { pointer, .. }
            | SpecError::CyclicRef { pointer, .. }
            | SpecError::Invalid { pointer, .. }
            | SpecError::TooMany { pointer, .. } => pointer,
        }
    }
}

/// At most `max` characters of `text`, with `...` when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// A pointer for a message: bounded, as pointers into deep specs can be long.
pub(crate) fn quote_pointer(pointer: &str) -> String {
    clip(pointer, 300)
}
