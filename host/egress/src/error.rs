//! Why a policy could not be built.

use std::path::PathBuf;

use crate::range::LimitError;

/// Why an [`EgressPolicy`](super::EgressPolicy) could not be built.
///
/// Every message names what is at fault (the TOML line and column, the rule,
/// the credential, the file, the environment variable) and is bounded in
/// length; none ever contains a credential value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML text is malformed, has an unknown key, or a value of the
    /// wrong type or form.
    #[error("egress policy TOML, line {line}, column {column}: {message}")]
    Toml {
        /// 1-based line of the offending key or value (0 if unknown).
        line: usize,
        /// 1-based column, in characters (0 if unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file (the policy itself or a CA file) could not be read.
    #[error("cannot read {what} {}: {message}", path.display())]
    Read {
        /// What the file is for ("egress policy", "CA file").
        what: &'static str,
        /// The path as given (or as resolved against the policy's directory).
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// A rule, credential, direct response, resolve entry or certificate is
    /// invalid; `context` says which one (`allow rule #2 "github"`).
    #[error("{context}: {message}")]
    Invalid {
        /// Which part of the policy.
        context: String,
        /// What is wrong with it.
        message: String,
    },
    /// A credential's environment variable is unset, empty or not UTF-8.
    #[error("{context}: environment variable `{variable}` {problem}")]
    Env {
        /// Which credential.
        context: String,
        /// The variable's name (never its value).
        variable: String,
        /// "is not set", "is empty" or "is not valid UTF-8".
        problem: &'static str,
    },
    /// An `--allow-net` host spec could not be parsed.
    #[error("invalid host spec `{spec}`: {message}")]
    HostSpec {
        /// The spec as given (clipped to 100 characters).
        spec: String,
        /// What is wrong, and what to write instead.
        message: String,
    },
    /// A limit outside its range.
    #[error("egress {0}")]
    Limit(#[from] LimitError),
}

impl PolicyError {
    pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }
}

/// `text` cut to at most `max` characters, with `…` when cut: keeps echoed
/// input (hosts, paths, names) in messages bounded.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("", 0), "");
    }
}
