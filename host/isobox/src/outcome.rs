//! What a run gives back: its value or a typed error, the console lines and
//! the run's figures.

use serde::{Deserialize, Serialize};

use crate::console::Logs;

/// Everything that happened in one run.
///
/// As JSON: `{"ok": true, "value": ..., "logs": ..., "stats": ...}` or
/// `{"ok": false, "error": {...}, "logs": ..., "stats": ...}`, with
/// `"egress": [...]` when the code made requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OutcomeJson", into = "OutcomeJson")]
pub struct Outcome {
    /// The JSON result (`undefined` becomes `null`), or why there is none.
    pub result: Result<serde_json::Value, RunError>,
    /// The console lines the run wrote.
    pub logs: Logs,
    /// Figures about the run.
    pub stats: Stats,
    /// Every request the code made through `fetch()`, in order, with the
    /// egress decision (secrets redacted). Empty when it made none.
    pub egress: Vec<crate::egress::EgressRecord>,
    /// Every call the code made to a granted capability, in order of
    /// completion. Empty when it made none.
    pub calls: Vec<crate::capability::CapabilityCall>,
}

impl Outcome {
    /// True when the run produced a result.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The error's kind, if the run failed.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.result.as_ref().err().map(|e| e.kind)
    }
}

/// Figures about one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// From the start of instantiation (or of taking a warm sandbox) until
    /// the sandbox is torn down (or handed to the warm sandboxes' thread to
    /// tear down), in microseconds.
    pub wall_time_us: u64,
    /// Fuel used (about one unit per Wasm instruction); `None` when the engine
    /// meters no fuel.
    pub fuel_used: Option<u64>,
    /// The largest the sandbox's linear memory grew, in bytes, the image it
    /// starts from (about 14.5 MiB) included; the memory limit counts what a
    /// run adds to that image.
    pub peak_memory_bytes: u64,
    /// Whether the code came from the engine's bytecode cache.
    #[serde(default)]
    pub bytecode_cache: crate::cache::CacheUse,
    /// Linked modules ([`RunRequest::with_linked`](crate::RunRequest::with_linked))
    /// the run compiled from source.
    #[serde(default)]
    pub modules_compiled: u32,
    /// Linked modules the run read from the engine's bytecode cache
    /// instead of compiling them.
    #[serde(default)]
    pub modules_cached: u32,
}

/// Where a run failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Phase {
    /// The request was refused before any sandbox ran (bad limits, empty or
    /// oversized code, unusable input).
    Input,
    /// The code did not parse.
    Compile,
    /// The code threw, was stopped by a limit, or never finished.
    Run,
    /// The result could not be written as JSON, or was too large.
    Serialise,
}

/// What kind of failure ended a run. `Display` gives the kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A JS value was thrown, or the result promise rejected, and nothing
    /// caught it.
    JsError,
    /// A syntax error: `line` and `column` say where.
    SyntaxError,
    /// The wall-clock limit ended the run.
    Timeout,
    /// The fuel (CPU) budget ran out.
    CpuLimit,
    /// The sandbox reached its memory limit.
    MemoryLimit,
    /// The JS stack limit was reached (an uncaught `RangeError`) or the
    /// sandbox's native stack ran out.
    StackOverflow,
    /// The result is larger than `result_bytes`.
    OutputLimit,
    /// The result is not JSON (a function, symbol, BigInt or a cycle).
    Unserialisable,
    /// The result promise can never settle.
    Unsettled,
    /// The request was refused: see the message.
    InvalidInput,
    /// The run's dependencies could not be installed or linked (a package
    /// or version that does not exist, the registry unreachable, an
    /// integrity mismatch, an import no package provides): see the message.
    Dependencies,
    /// The sandbox itself failed (a trap that no limit explains). A bug: the
    /// message says what trapped.
    Internal,
    /// The caller stopped the run: a worker's client went away before its
    /// streamed response was complete.
    Cancelled,
    /// A journaled run waits for a person's approval of a call (see
    /// [`crate::journal`]): resume it once decided.
    PendingApproval,
    /// A replay asked for something other than what the journal holds: the
    /// code, input, grants or engine changed. The message says where.
    ReplayDiverged,
    /// A journaled run's journal grew past its bound.
    JournalLimit,
}

impl ErrorKind {
    /// True for the kinds that mean a limit stopped the run.
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            ErrorKind::Timeout
                | ErrorKind::CpuLimit
                | ErrorKind::MemoryLimit
                | ErrorKind::StackOverflow
                | ErrorKind::OutputLimit
        )
    }

    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::JsError => "js-error",
            ErrorKind::SyntaxError => "syntax-error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::CpuLimit => "cpu-limit",
            ErrorKind::MemoryLimit => "memory-limit",
            ErrorKind::StackOverflow => "stack-overflow",
            ErrorKind::OutputLimit => "output-limit",
            ErrorKind::Unserialisable => "unserialisable",
            ErrorKind::Unsettled => "unsettled",
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::Dependencies => "dependencies",
            ErrorKind::Internal => "internal",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::PendingApproval => "pending-approval",
            ErrorKind::ReplayDiverged => "replay-diverged",
            ErrorKind::JournalLimit => "journal-limit",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Input => "input",
            Phase::Compile => "compile",
            Phase::Run => "run",
            Phase::Serialise => "serialise",
        })
    }
}

/// Why a run has no result. Messages are bounded and never hold host secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{phase} error ({kind}): {}{message}", name.as_deref().map(|n| format!("{n}: ")).unwrap_or_default())]
pub struct RunError {
    /// Where the run failed.
    pub phase: Phase,
    /// What kind of failure it was.
    pub kind: ErrorKind,
    /// The JS error's `name` (`TypeError`), or `None` for a thrown non-Error
    /// value and for failures the host states.
    pub name: Option<String>,
    /// What went wrong, bounded to 16 KiB.
    pub message: String,
    /// The JS stack, with the code's file name and `line:column` per frame.
    pub stack: Option<String>,
    /// 1-based line of a syntax error.
    pub line: Option<u32>,
    /// 1-based column of a syntax error.
    pub column: Option<u32>,
}

impl RunError {
    /// A failure the host states, with no JS name or stack.
    pub fn new(phase: Phase, kind: ErrorKind, message: impl Into<String>) -> Self {
        RunError {
            phase,
            kind,
            name: None,
            message: message.into(),
            stack: None,
            line: None,
            column: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct OutcomeJson {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<RunError>,
    logs: Logs,
    stats: Stats,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    egress: Vec<crate::egress::EgressRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    calls: Vec<crate::capability::CapabilityCall>,
}

impl From<Outcome> for OutcomeJson {
    fn from(outcome: Outcome) -> Self {
        let (value, error) = match outcome.result {
            Ok(value) => (Some(value), None),
            Err(error) => (None, Some(error)),
        };
        OutcomeJson {
            ok: error.is_none(),
            value,
            error,
            logs: outcome.logs,
            stats: outcome.stats,
            egress: outcome.egress,
            calls: outcome.calls,
        }
    }
}

impl TryFrom<OutcomeJson> for Outcome {
    type Error = &'static str;

    fn try_from(json: OutcomeJson) -> Result<Self, Self::Error> {
        let result = match (json.ok, json.value, json.error) {
            (true, value, None) => Ok(value.unwrap_or(serde_json::Value::Null)),
            (false, None, Some(error)) => Err(error),
            _ => return Err("an outcome has `ok: true` and a value, or `ok: false` and an error"),
        };
        Ok(Outcome {
            result,
            logs: json.logs,
            stats: json.stats,
            egress: json.egress,
            calls: json.calls,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stats() -> Stats {
        Stats {
            wall_time_us: 12,
            fuel_used: Some(34),
            peak_memory_bytes: 56,
            bytecode_cache: crate::cache::CacheUse::Off,
            modules_compiled: 7,
            modules_cached: 8,
        }
    }

    #[test]
    fn an_ok_outcome_is_ok_true_with_a_value() {
        let outcome = Outcome {
            result: Ok(json!({ "a": 1 })),
            logs: Logs::default(),
            stats: stats(),
            egress: Vec::new(),
            calls: Vec::new(),
        };
        let text = serde_json::to_value(&outcome).unwrap();
        assert_eq!(
            text,
            json!({
                "ok": true,
                "value": { "a": 1 },
                "logs": { "entries": [], "truncated": false },
                "stats": { "wall_time_us": 12, "fuel_used": 34, "peak_memory_bytes": 56, "bytecode_cache": "off",
                           "modules_compiled": 7, "modules_cached": 8 }
            })
        );
        assert_eq!(serde_json::from_value::<Outcome>(text).unwrap(), outcome);
    }

    #[test]
    fn an_error_outcome_is_ok_false_with_kebab_case_kinds() {
        let error = RunError::new(Phase::Run, ErrorKind::MemoryLimit, "full");
        let outcome = Outcome {
            result: Err(error),
            logs: Logs::default(),
            stats: stats(),
            egress: Vec::new(),
            calls: Vec::new(),
        };
        let text = serde_json::to_value(&outcome).unwrap();
        assert_eq!(text["ok"], json!(false));
        assert_eq!(text["error"]["kind"], json!("memory-limit"));
        assert_eq!(text["error"]["phase"], json!("run"));
        assert!(text.get("value").is_none());
        assert_eq!(serde_json::from_value::<Outcome>(text).unwrap(), outcome);
    }

    #[test]
    fn an_outcome_with_both_or_neither_is_refused() {
        let both = json!({ "ok": true, "value": 1, "error": { "phase": "run", "kind": "timeout", "name": null,
            "message": "m", "stack": null, "line": null, "column": null },
            "logs": { "entries": [], "truncated": false }, "stats": {} });
        assert!(serde_json::from_value::<Outcome>(both).is_err());
    }

    #[test]
    fn limit_kinds_are_the_limit_kinds() {
        let limits: Vec<_> = [
            ErrorKind::JsError,
            ErrorKind::SyntaxError,
            ErrorKind::Timeout,
            ErrorKind::CpuLimit,
            ErrorKind::MemoryLimit,
            ErrorKind::StackOverflow,
            ErrorKind::OutputLimit,
            ErrorKind::Unserialisable,
            ErrorKind::Unsettled,
            ErrorKind::InvalidInput,
            ErrorKind::Dependencies,
            ErrorKind::Internal,
        ]
        .into_iter()
        .filter(|kind| kind.is_limit())
        .map(ErrorKind::as_str)
        .collect();
        assert_eq!(
            limits,
            ["timeout", "cpu-limit", "memory-limit", "stack-overflow", "output-limit"]
        );
    }
}
