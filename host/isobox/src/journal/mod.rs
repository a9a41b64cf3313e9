//! Durable runs: a journal of everything that reached a run from outside
//! (clock reads, random bytes, which waits became ready, capability calls
//! and their results, `fetch()` responses), approval gates that pause a run,
//! and replay.
//!
//! A run's guest is deterministic given its inputs: the same code, input,
//! grants and engine, fed the same answers from outside in the same order,
//! does the same thing. [`Engine::run_journaled`](crate::Engine::run_journaled)
//! records those answers; given the journal back, a fresh sandbox replays
//! them without touching the network, the clock or a capability (no side
//! effect happens twice), then goes on live where the journal ends. A call
//! that needs approval is held: the run goes on as far as it can without it,
//! then pauses with [`ErrorKind::PendingApproval`](crate::ErrorKind); the
//! journal says what waits ([`Journal::pending`]). Once decided
//! ([`Journal::decide`]), resuming replays to the gate and performs the call
//! (approved) or makes it reject with an `ApprovalRejectedError` (rejected).
//! A replay whose run asks for something other than what the journal holds
//! (the code, input, grants or engine changed) fails with
//! [`ErrorKind::ReplayDiverged`](crate::ErrorKind), never with a different
//! result.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), isobox::EngineError> {
//! use isobox::journal::{JournalStart, Decision};
//! let engine = isobox::Engine::builder().build().await?;
//! let code = "return [Date.now() > 0, Math.random() < 1, crypto.randomUUID().length]";
//! let first = engine.run_journaled(isobox::RunRequest::new(code), JournalStart::Record).await;
//! let again = engine
//!     .run_journaled(isobox::RunRequest::new(code), JournalStart::Replay(first.journal.clone()))
//!     .await;
//! assert_eq!(first.outcome.result, again.outcome.result);
//! # let _ = Decision::approve();
//! # Ok(()) }
//! ```

mod bridge;
mod cassette;
pub(crate) mod clocks;
mod fetch;
mod poll;
mod run;
mod state;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub(crate) use bridge::{start as start_call, take as take_call};
pub use cassette::{CASSETTE_FORMAT, Cassette, Interaction};
pub(crate) use fetch::{read_whole, replayed, send as send_fetch};
pub(crate) use poll::add_to_linker;
pub(crate) use run::stop_error;
pub(crate) use state::{JournalHandle, JournalState, Stop};

/// The journal format this engine writes and reads.
pub const JOURNAL_FORMAT: u32 = 1;

/// The most bytes a journal may hold unless the caller sets another
/// bound ([`Approvals::max_journal_bytes`]).
pub const DEFAULT_MAX_JOURNAL_BYTES: usize = 64 * 1024 * 1024;

/// What a journaled run is and what reached it from outside, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// What the run was: checked before a replay starts.
    pub header: JournalHeader,
    /// Every answer from outside, in the order the run asked for them.
    pub entries: Vec<Entry>,
    /// `fetch()` responses by request number (they arrive in any order,
    /// so they are kept apart from `entries`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub responses: BTreeMap<u32, RecordedResponse>,
    /// The run paused at approval gates: its last wait was not recorded.
    #[serde(default)]
    pub paused: bool,
}

/// What identifies a run for replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// [`JOURNAL_FORMAT`] when written.
    pub format: u32,
    /// The engine: isobox's version and the guest's hash.
    pub engine: String,
    /// SHA-256 of the code, its file name, its modules and its form.
    pub code: String,
    /// SHA-256 of the input JSON.
    pub input: String,
    /// SHA-256 of the grants (names and methods) and the approval gates.
    pub grants: String,
    /// The seed of the run's `Math.random`.
    pub random_seed: u64,
}

/// One answer from outside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum Entry {
    /// A wall-clock read (`Date.now()`): time since the Unix epoch.
    Wall {
        /// Whole seconds.
        secs: u64,
        /// Nanoseconds past them.
        nanos: u32,
    },
    /// A monotonic clock read (timers, `performance.now()`), in ns.
    Mono {
        /// Nanoseconds.
        ns: u64,
    },
    /// Random bytes (`crypto.getRandomValues`), base64.
    Random {
        /// The bytes, base64.
        bytes: String,
    },
    /// A wait on `n` things: which of them were ready.
    Poll {
        /// How many things the run waited on.
        n: u32,
        /// The positions of those that were ready.
        ready: Vec<u32>,
    },
    /// A capability call started: its result when it finished at once.
    Call {
        /// `env.<binding>`.
        binding: String,
        /// The method's JS name.
        method: String,
        /// A hash of the arguments (checked on replay).
        args: String,
        /// The result, when the call finished at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<CallResult>,
    },
    /// The result of a call that had to wait, when the code took it.
    Take {
        /// What the code received.
        result: CallResult,
    },
    /// A `fetch()` request went out (before credentials were added).
    Fetch {
        /// The request's number within the run (its response's key).
        id: u32,
        /// The request method.
        method: String,
        /// The URL the code asked for.
        url: String,
    },
    /// A call or request that needs approval, and what was decided.
    Gate {
        /// What waits.
        gate: GateCall,
        /// The person's answer, once given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<Decision>,
        /// An approved call was performed (by the resumed run that reached it).
        #[serde(default)]
        executed: bool,
    },
}

/// A capability call's result as the code saw it.
pub type CallResult = Result<Vec<Node>, CallFailure>;

/// An error thrown into the code by a capability call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallFailure {
    /// The JS error's name.
    pub name: String,
    /// Its message.
    pub message: String,
    /// A WIT error value, as the error's `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Vec<Node>>,
}

/// One node of a JS value crossing the bridge (see `wit/sandbox.wit`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Node {
    Undefined,
    Null,
    Boolean(bool),
    /// NaN and the infinities as the strings `NaN`, `Infinity`, `-Infinity`.
    Number(#[serde(with = "number")] f64),
    Bigint(String),
    Text(String),
    /// base64.
    Bytes(String),
    Array(Vec<u32>),
    Object(Vec<(String, u32)>),
}

/// A `fetch()` response as the code received it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The response head and body, or the request's failure.
    pub result: Result<RecordedHead, FetchFailure>,
}

/// A response's head and body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedHead {
    /// The status code.
    pub status: u16,
    /// The headers as the code saw them.
    pub headers: Vec<(String, String)>,
    /// The body's chunks as they came, base64.
    pub chunks: Vec<String>,
    /// The body failed after its chunks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FetchFailure>,
}

/// Why a request or its body failed, as `wasi:http` told the code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FetchFailure {
    /// The error code's name (`connection-refused`).
    pub code: String,
    /// Its message or size, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A call that waits for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateCall {
    /// The gate's number within the run (from 1).
    pub id: u32,
    /// What waits.
    #[serde(flatten)]
    pub kind: GateKind,
}

/// What a gate holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GateKind {
    /// `env.BINDING.METHOD(...args)`.
    Call {
        /// `env.<binding>`.
        binding: String,
        /// The method's JS name.
        method: String,
        /// The arguments as JSON, at most 4 KiB of them (for the person).
        arguments: serde_json::Value,
        /// A hash of the arguments (checked on replay).
        args: String,
    },
    /// A `fetch()` an egress rule marked `approval`.
    Fetch {
        /// The request's number within the run.
        id: u32,
        /// The request method.
        method: String,
        /// The URL.
        url: String,
        /// The rule that asks for approval.
        rule: String,
    },
}

impl GateCall {
    /// One line for people: `env.mail.send({"to":"a@b"})` or `POST https://...`.
    pub fn describe(&self) -> String {
        match &self.kind {
            GateKind::Call {
                binding,
                method,
                arguments,
                ..
            } => {
                let mut args = arguments.to_string();
                crate::text::truncate(&mut args, 200, "...");
                format!(
                    "env.{binding}.{method}({})",
                    args.trim_start_matches('[').trim_end_matches(']')
                )
            }
            GateKind::Fetch { method, url, .. } => format!("{method} {url}"),
        }
    }
}

/// A person's answer to a gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Perform the call.
    Approved {
        /// Who decided.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The call rejects in the code with an `ApprovalRejectedError`.
    Rejected {
        /// Who decided.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        /// Why, as the code's error message says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Decision {
    /// Approved, by nobody in particular.
    pub fn approve() -> Decision {
        Decision::Approved { by: None }
    }

    /// Rejected, with a reason the code sees (bounded to 1 KiB).
    pub fn reject(reason: impl Into<String>) -> Decision {
        let mut reason = reason.into();
        crate::text::truncate(&mut reason, 1024, "...");
        Decision::Rejected {
            by: None,
            reason: Some(reason),
        }
    }

    /// True for an approval.
    pub fn is_approved(&self) -> bool {
        matches!(self, Decision::Approved { .. })
    }
}

impl Journal {
    /// The gates the run waits at (undecided), in order.
    pub fn pending(&self) -> Vec<&GateCall> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Gate {
                    gate, decision: None, ..
                } => Some(gate),
                _ => None,
            })
            .collect()
    }

    /// Every gate with its decision, in order.
    pub fn gates(&self) -> Vec<(&GateCall, Option<&Decision>)> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Gate { gate, decision, .. } => Some((gate, decision.as_ref())),
                _ => None,
            })
            .collect()
    }

    /// Decides every pending gate; returns how many were pending.
    pub fn decide(&mut self, answer: &Decision) -> usize {
        let mut decided = 0;
        for entry in &mut self.entries {
            if let Entry::Gate { decision, .. } = entry
                && decision.is_none()
            {
                *decision = Some(answer.clone());
                decided += 1;
            }
        }
        decided
    }

    /// The number of capability calls and requests journaled.
    pub fn call_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| matches!(entry, Entry::Call { .. } | Entry::Fetch { .. } | Entry::Gate { .. }))
            .count()
    }
}

/// How [`Engine::run_journaled`](crate::Engine::run_journaled) starts.
#[derive(Clone, Debug)]
pub enum JournalStart {
    /// Record a new journal; the run is live throughout.
    Record,
    /// Replay `journal` (after [`Journal::decide`] on its pending gates),
    /// then go on live where it ends: resuming a paused run.
    Resume(Journal),
    /// Replay `journal` exactly, offline: nothing live, no clock, no
    /// network, no capability is called. A run that asks for more than the
    /// journal holds diverges; a paused run pauses again at the same gates.
    Replay(Journal),
}

/// What needs a person's approval in a run. Nothing does by default.
///
/// ```
/// let approvals = isobox::journal::Approvals::new()
///     .method("mail", "send")
///     .capability("payments");
/// assert!(approvals.gates("mail", "send") && !approvals.gates("mail", "list"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approvals {
    capabilities: BTreeSet<String>,
    methods: BTreeSet<(String, String)>,
    max_journal_bytes: Option<usize>,
}

impl Approvals {
    /// Nothing gated.
    pub fn new() -> Approvals {
        Approvals::default()
    }

    /// Every method of the capability bound as `binding`.
    pub fn capability(mut self, binding: impl Into<String>) -> Approvals {
        self.capabilities.insert(binding.into());
        self
    }

    /// `env.BINDING.METHOD` (the JS method name).
    pub fn method(mut self, binding: impl Into<String>, method: impl Into<String>) -> Approvals {
        self.methods.insert((binding.into(), method.into()));
        self
    }

    /// Reads `BINDING` or `BINDING.METHOD`.
    ///
    /// # Errors
    /// A message when `spec` is empty or has an empty part.
    pub fn parse_spec(self, spec: &str) -> Result<Approvals, String> {
        let bad = || format!("approval gate `{spec}`: write BINDING or BINDING.METHOD");
        match spec.split_once('.') {
            None if !spec.is_empty() => Ok(self.capability(spec)),
            Some((binding, method)) if !binding.is_empty() && !method.is_empty() && !method.contains('.') => {
                Ok(self.method(binding, method))
            }
            _ => Err(bad()),
        }
    }

    /// The most bytes the run's journal may hold (default
    /// [`DEFAULT_MAX_JOURNAL_BYTES`]); past it the run stops with
    /// [`ErrorKind::JournalLimit`](crate::ErrorKind).
    pub fn max_journal_bytes(mut self, bytes: usize) -> Approvals {
        self.max_journal_bytes = Some(bytes);
        self
    }

    /// True when `env.binding.method` needs approval.
    pub fn gates(&self, binding: &str, method: &str) -> bool {
        self.capabilities.contains(binding) || self.methods.contains(&(binding.to_owned(), method.to_owned()))
    }

    /// True when nothing is gated.
    pub fn is_empty(&self) -> bool {
        self.capabilities.is_empty() && self.methods.is_empty()
    }

    pub(crate) fn journal_limit(&self) -> usize {
        self.max_journal_bytes.unwrap_or(DEFAULT_MAX_JOURNAL_BYTES)
    }

    /// A stable text of what is gated, for the journal's header.
    pub(crate) fn signature(&self) -> String {
        let mut text = String::new();
        for capability in &self.capabilities {
            text.push_str(capability);
            text.push('\n');
        }
        for (binding, method) in &self.methods {
            text.push_str(&format!("{binding}.{method}\n"));
        }
        text
    }
}

/// A journaled run's outcome and its journal.
#[derive(Clone, Debug)]
pub struct Journaled {
    /// What happened: [`ErrorKind::PendingApproval`](crate::ErrorKind) when
    /// the run waits at gates.
    pub outcome: crate::Outcome,
    /// The journal: give it back to resume or replay the run.
    pub journal: Journal,
}

impl Journaled {
    /// `ok`, `error` or `pending-approval`: the status a store keeps.
    pub fn status(&self) -> &'static str {
        match self.outcome.error_kind() {
            None => "ok",
            Some(crate::ErrorKind::PendingApproval) => "pending-approval",
            Some(_) => "error",
        }
    }

    /// What a list of runs shows of this one: the error's kind and first
    /// 200 bytes of its message, the pending gates, wall time, the numbers
    /// of capability calls, requests and journal entries.
    pub fn summary(&self) -> serde_json::Value {
        let outcome = &self.outcome;
        let mut message = outcome
            .result
            .as_ref()
            .err()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        crate::text::truncate(&mut message, 200, "...");
        serde_json::json!({
            "error_kind": outcome.error_kind().map(|k| k.as_str()),
            "message": message,
            "pending": self.pending().iter().map(|g| g.describe()).collect::<Vec<_>>(),
            "wall_time_us": outcome.stats.wall_time_us,
            "calls": outcome.calls.len(),
            "egress": outcome.egress.len(),
            "journal_entries": self.journal.entries.len(),
        })
    }

    /// The gates the run waits at; empty unless it paused.
    pub fn pending(&self) -> Vec<&GateCall> {
        if self.status() == "pending-approval" {
            self.journal.pending()
        } else {
            Vec::new()
        }
    }
}

/// JSON has no NaN or infinities: those travel as strings.
mod number {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if n.is_finite() {
            serializer.serialize_f64(*n)
        } else if n.is_nan() {
            serializer.serialize_str("NaN")
        } else if *n > 0.0 {
            serializer.serialize_str("Infinity")
        } else {
            serializer.serialize_str("-Infinity")
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Number {
            Finite(f64),
            Text(String),
        }
        match Number::deserialize(deserializer)? {
            Number::Finite(n) => Ok(n),
            Number::Text(text) => match text.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => Err(serde::de::Error::custom("a number, NaN, Infinity or -Infinity")),
            },
        }
    }
}
