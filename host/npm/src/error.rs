//! What can go wrong while installing and linking packages: one typed error
//! whose kind a caller can match on and whose message (bounded, free of any
//! token) says what to do.

use std::fmt;

/// Longest message an [`NpmError`] carries, in bytes.
const MAX_MESSAGE_BYTES: usize = 1024;

/// What kind of failure an [`NpmError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NpmErrorKind {
    /// A dependency was written in a way that cannot be installed
    /// (`zod@^4` and `@scope/name@1.x` can; `file:`, `git+` and the like
    /// cannot).
    BadSpec,
    /// The registry could not be reached, refused the request, or answered
    /// with something that is not npm metadata.
    Registry,
    /// The registry has no such package.
    NotFound,
    /// No published version satisfies the range.
    NoMatchingVersion,
    /// A tarball's bytes do not match its recorded integrity.
    Integrity,
    /// A tarball tried to write outside its package, held a link, or
    /// decompressed past the cap.
    UnsafeTarball,
    /// An installation limit (packages, bytes) was reached.
    Limit,
    /// The lockfile cannot be read or does not fit the request.
    Lockfile,
    /// The on-disk cache could not be read or written.
    Cache,
    /// An import could not be resolved to an installed file.
    Resolve,
    /// An installed file is not JavaScript the linker can read.
    Parse,
    /// The egress policy refused a registry request.
    Egress,
}

impl NpmErrorKind {
    /// The kebab-case name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            NpmErrorKind::BadSpec => "bad-spec",
            NpmErrorKind::Registry => "registry",
            NpmErrorKind::NotFound => "not-found",
            NpmErrorKind::NoMatchingVersion => "no-matching-version",
            NpmErrorKind::Integrity => "integrity",
            NpmErrorKind::UnsafeTarball => "unsafe-tarball",
            NpmErrorKind::Limit => "limit",
            NpmErrorKind::Lockfile => "lockfile",
            NpmErrorKind::Cache => "cache",
            NpmErrorKind::Resolve => "resolve",
            NpmErrorKind::Parse => "parse",
            NpmErrorKind::Egress => "egress",
        }
    }
}

/// An installation or linking failure.
///
/// ```
/// let error = isobox_npm::Dependency::parse("zod@file:../zod").unwrap_err();
/// assert_eq!(error.kind(), isobox_npm::NpmErrorKind::BadSpec);
/// assert!(error.to_string().contains("file:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpmError {
    kind: NpmErrorKind,
    message: String,
}

impl NpmError {
    pub(crate) fn new(kind: NpmErrorKind, message: impl Into<String>) -> NpmError {
        NpmError {
            kind,
            message: clip(&message.into(), MAX_MESSAGE_BYTES),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> NpmErrorKind {
        self.kind
    }

    /// The message alone.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for NpmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NpmError {}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when
/// cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
