//! `isobox run`'s durable-run flags: record a journal, replay one exactly,
//! resume a run paused at an approval gate, and record or replay a run's
//! egress like a cassette.

use std::path::{Path, PathBuf};

use clap::Args;
use isobox::journal::{Approvals, Decision, Journal, JournalStart};

/// Journals, gates and cassettes.
#[derive(Args, Default)]
pub struct JournalArgs {
    /// Record the run's journal (clock reads, random values, capability
    /// calls, fetch responses) into FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["replay", "resume"])]
    journal: Option<PathBuf>,
    /// Re-execute the run journaled in FILE exactly and offline: no
    /// network, clock or capability is used. The code, input and grants
    /// must be the recorded ones.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    replay: Option<PathBuf>,
    /// Resume the run paused in FILE once `--approve` or `--reject` decides
    /// its gates; FILE gets the new journal.
    #[arg(long, value_name = "FILE", requires = "decision")]
    resume: Option<PathBuf>,
    /// Approve the paused run's gates (with --resume).
    #[arg(long, group = "decision", requires = "resume")]
    approve: bool,
    /// Reject the paused run's gates with REASON (with --resume): the calls
    /// throw an ApprovalRejectedError in the code.
    #[arg(long, value_name = "REASON", group = "decision", requires = "resume")]
    reject: Option<String>,
    /// Who decides (kept in the journal).
    #[arg(long, value_name = "NAME", requires = "resume")]
    by: Option<String>,
    /// A call that waits for approval: BINDING (every method) or
    /// BINDING.METHOD. Needs --journal, --resume or --replay.
    #[arg(long = "gate", value_name = "SPEC")]
    gates: Vec<String>,
    /// Record every response the run's fetch() receives into FILE, to
    /// replay later with --replay-egress.
    #[arg(long, value_name = "FILE", conflicts_with = "replay_egress")]
    record_egress: Option<PathBuf>,
    /// Answer the run's fetch() from FILE (written by --record-egress)
    /// instead of the network: requests are matched by method and URL, in
    /// order; one not in FILE fails. The code may differ from the recorded
    /// run's.
    #[arg(long, value_name = "FILE")]
    replay_egress: Option<PathBuf>,
}

/// What the flags ask for.
pub enum Mode {
    /// A plain run.
    Plain,
    /// A journaled run; the journal goes to `write` when given.
    Journaled {
        start: JournalStart,
        write: Option<PathBuf>,
    },
}

impl JournalArgs {
    /// The approval gates.
    pub fn approvals(&self) -> Result<Approvals, String> {
        self.gates
            .iter()
            .try_fold(Approvals::new(), |approvals, spec| approvals.parse_spec(spec))
    }

    /// The mode, with any journal read and decided.
    pub fn mode(&self) -> Result<Mode, String> {
        if let Some(path) = &self.journal {
            return Ok(Mode::Journaled {
                start: JournalStart::Record,
                write: Some(path.clone()),
            });
        }
        if let Some(path) = &self.replay {
            return Ok(Mode::Journaled {
                start: JournalStart::Replay(read_journal(path)?),
                write: None,
            });
        }
        if let Some(path) = &self.resume {
            let mut journal = read_journal(path)?;
            let mut decision = match &self.reject {
                Some(reason) => Decision::reject(reason.clone()),
                None => Decision::approve(),
            };
            match &mut decision {
                Decision::Approved { by } | Decision::Rejected { by, .. } => by.clone_from(&self.by),
            }
            if journal.decide(&decision) == 0 {
                return Err(format!("{}: the run waits for no approval", path.display()));
            }
            return Ok(Mode::Journaled {
                start: JournalStart::Resume(journal),
                write: Some(path.clone()),
            });
        }
        if !self.gates.is_empty() {
            return Err("--gate needs --journal FILE (a run can pause only with a journal to resume from)".into());
        }
        Ok(Mode::Plain)
    }

    /// The egress cassette the flags name, if any.
    pub fn cassette(&self) -> Result<Option<isobox::journal::Cassette>, String> {
        if let Some(path) = &self.replay_egress {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let cassette =
                isobox::journal::Cassette::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(Some(cassette));
        }
        Ok(self
            .record_egress
            .as_ref()
            .map(|_| isobox::journal::Cassette::recording()))
    }

    /// Where a recorded cassette goes.
    pub fn cassette_path(&self) -> Option<&Path> {
        self.record_egress.as_deref()
    }
}

fn read_journal(path: &Path) -> Result<Journal, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Journal::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `text` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
