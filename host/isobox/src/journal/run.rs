//! `Engine::run_journaled`: one run with a journal, from a new recording,
//! a resume or an exact replay.

use sha2::{Digest, Sha256};

use super::state::Stop;
use super::{Journal, JournalHeader, JournalStart, JournalState, Journaled};
use crate::outcome::{ErrorKind, Phase, RunError};
use crate::{Engine, RunRequest};

impl Engine {
    /// Runs `request` with a journal (see [`crate::journal`]): records a new
    /// one, resumes a paused run from its journal (replayed, then live), or
    /// replays one exactly and offline. Calls the request's
    /// [`approvals`](RunRequest::approvals) gate are held: the run pauses with
    /// [`ErrorKind::PendingApproval`] once only gates are left to wait for.
    ///
    /// A journal whose code, input, grants or engine differ from the
    /// request's is refused ([`ErrorKind::ReplayDiverged`]) before anything
    /// runs. Workers' `fetch` handlers are not journaled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), isobox::EngineError> {
    /// use isobox::journal::{Approvals, Decision, JournalStart};
    /// use isobox::{Capability, RunRequest, capability::TodoStore};
    /// let engine = isobox::Engine::builder().build().await?;
    /// let todos = TodoStore::shared();
    /// let request = || {
    ///     RunRequest::new("await env.todo.add({ title: 'ship it' }); return (await env.todo.counts())[0]")
    ///         .grant("todo", Capability::todo(todos.clone()))
    ///         .with_approvals(Approvals::new().method("todo", "add"))
    /// };
    /// let paused = engine.run_journaled(request(), JournalStart::Record).await;
    /// assert_eq!(paused.outcome.error_kind(), Some(isobox::ErrorKind::PendingApproval));
    /// assert_eq!(paused.pending()[0].describe(), r#"env.todo.add({"title":"ship it"})"#);
    ///
    /// let mut journal = paused.journal;
    /// journal.decide(&Decision::approve());
    /// let done = engine.run_journaled(request(), JournalStart::Resume(journal)).await;
    /// assert_eq!(done.outcome.result, Ok(serde_json::json!(1)));
    /// # Ok(()) }
    /// ```
    pub async fn run_journaled(&self, mut request: RunRequest, start: JournalStart) -> Journaled {
        let given_seed = match &start {
            JournalStart::Record => None,
            JournalStart::Resume(journal) | JournalStart::Replay(journal) => Some(journal.header.random_seed),
        };
        let header = header_of(&request, given_seed.unwrap_or_else(crate::run::fresh_seed));
        let refused = |error: RunError, start: JournalStart, header: JournalHeader| {
            let journal = match start {
                JournalStart::Record => {
                    JournalState::new(JournalStart::Record, header, Default::default())
                        .finish()
                        .0
                }
                JournalStart::Resume(journal) | JournalStart::Replay(journal) => journal,
            };
            Journaled {
                outcome: crate::run::refused(error),
                journal,
            }
        };
        if tokio::runtime::Handle::try_current().is_err() {
            let error = RunError::new(
                Phase::Input,
                ErrorKind::Internal,
                "Engine::run_journaled must be called within a tokio runtime (its timer enforces the wall-clock limit)",
            );
            return refused(error, start, header);
        }
        if let JournalStart::Resume(journal) | JournalStart::Replay(journal) = &start
            && let Some(message) = mismatch(&journal.header, &header)
        {
            return refused(
                RunError::new(Phase::Input, ErrorKind::ReplayDiverged, message),
                start,
                header,
            );
        }
        if let JournalStart::Resume(journal) = &start
            && let Some(gate) = journal.pending().first()
        {
            let message = format!(
                "gate {} ({}) has no decision yet: decide it (Journal::decide) before resuming",
                gate.id,
                gate.describe()
            );
            return refused(
                RunError::new(Phase::Input, ErrorKind::InvalidInput, message),
                start,
                header,
            );
        }
        if let Err(error) = crate::packages::link(self.inner.packages.as_ref(), &mut request).await {
            return refused(error, start, header);
        }
        let mut prepared = match self.prepare(&mut request) {
            Ok(prepared) => prepared,
            Err(error) => return refused(error, start, header),
        };
        prepared.guest.random_seed = header.random_seed;
        let handle = JournalState::new(start, header, request.approvals.clone()).handle();
        let outcome = {
            let _slot = self.inner.slots.acquire().await;
            let _ticking = self.inner.ticker.enter();
            self.run_prepared(&request, prepared, None, Some(handle.clone()))
                .await
                .0
        };
        let (journal, _) = handle.into_state().finish();
        Journaled { outcome, journal }
    }
}

/// The error a journal's stop becomes.
pub(crate) fn stop_error(stop: Stop, pending: &[String]) -> RunError {
    match stop {
        Stop::Paused => {
            let mut message = format!("the run waits for approval of {}", pending.join("; "));
            crate::text::truncate(&mut message, 4096, "...");
            RunError::new(Phase::Run, ErrorKind::PendingApproval, message)
        }
        Stop::Diverged(message) => RunError::new(Phase::Run, ErrorKind::ReplayDiverged, message),
        Stop::Limit(bytes) => RunError::new(
            Phase::Run,
            ErrorKind::JournalLimit,
            format!("the run's journal grew past its limit of {bytes} bytes (Approvals::max_journal_bytes)"),
        ),
    }
}

/// What identifies `request` for replay.
fn header_of(request: &RunRequest, random_seed: u64) -> JournalHeader {
    let code = {
        let mut digest = Sha256::new();
        let form = serde_json::to_string(&(request.form, request.lang, &request.jsx)).unwrap_or_default();
        for part in [request.filename.as_str(), form.as_str(), request.code.as_str()] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        for (name, module) in &request.modules {
            digest.update(name.as_bytes());
            digest.update(serde_json::to_vec(module).unwrap_or_default());
            digest.update([0]);
        }
        for dependency in &request.dependencies {
            digest.update(dependency.as_bytes());
            digest.update([0]);
        }
        hex(&digest.finalize())
    };
    let input = hex(&Sha256::digest(serde_json::to_vec(&request.input).unwrap_or_default()));
    let grants = {
        let mut digest = Sha256::new();
        for grant in &request.grants {
            digest.update(grant.name.as_bytes());
            digest.update([0]);
            for method in grant.capability.methods() {
                digest.update(method.as_bytes());
                digest.update([0]);
            }
            digest.update([1]);
        }
        digest.update(request.approvals.signature().as_bytes());
        hex(&digest.finalize())
    };
    JournalHeader {
        format: super::JOURNAL_FORMAT,
        engine: crate::snapshot::guest_identity(),
        code,
        input,
        grants,
        random_seed,
    }
}

/// Why `journal` cannot be replayed for `request`, if it cannot.
fn mismatch(journal: &JournalHeader, request: &JournalHeader) -> Option<String> {
    let why = if journal.format != request.format {
        format!(
            "the journal's format is {} and this engine reads {}",
            journal.format, request.format
        )
    } else if journal.engine != request.engine {
        format!(
            "the journal was written by another engine ({}; this is {}): its runs may differ",
            journal.engine, request.engine
        )
    } else if journal.code != request.code {
        "the code (or its modules, form or dependencies) is not the code the journal recorded".to_owned()
    } else if journal.input != request.input {
        "the input is not the input the journal recorded".to_owned()
    } else if journal.grants != request.grants {
        "the grants or approval gates are not those the journal recorded".to_owned()
    } else {
        return None;
    };
    let mut message = format!("cannot replay this journal: {why}");
    crate::text::truncate(&mut message, 1024, "...");
    Some(message)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Journal {
    /// Reads a journal from JSON, checking its format.
    ///
    /// # Errors
    /// A message for text that is not a journal of this format.
    pub fn from_json(text: &str) -> Result<Journal, String> {
        let journal: Journal = serde_json::from_str(text).map_err(|e| {
            let mut message = format!("not a journal: {e}");
            crate::text::truncate(&mut message, 512, "...");
            message
        })?;
        if journal.header.format != super::JOURNAL_FORMAT {
            return Err(format!(
                "a journal of format {}; this engine reads format {}",
                journal.header.format,
                super::JOURNAL_FORMAT
            ));
        }
        Ok(journal)
    }
}
