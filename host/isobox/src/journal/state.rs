//! The journal of one run while it runs: replaying what came in, recording
//! what happens live, and why it stopped (a divergence, its size limit, a
//! pause at gates).

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Approvals, Entry, Journal, JournalHeader, JournalStart};

/// The run's journal, shared by the Store's state, its clocks and random
/// sources and the egress hooks.
#[derive(Clone)]
pub(crate) struct JournalHandle(Arc<Mutex<JournalState>>);

impl JournalHandle {
    pub fn lock(&self) -> MutexGuard<'_, JournalState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn into_state(self) -> JournalState {
        match Arc::try_unwrap(self.0) {
            Ok(mutex) => mutex.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner),
            Err(shared) => {
                let mut state = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                std::mem::replace(&mut *state, JournalState::empty())
            }
        }
    }
}

/// Why a journaled run stopped before its guest returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The run asked for something other than what the journal holds.
    Diverged(String),
    /// The journal grew past its bound.
    Limit(usize),
    /// Every wait left is on a gate.
    Paused,
}

pub(crate) struct JournalState {
    /// The journal being written: the replayed entries, then live ones.
    pub journal: Journal,
    /// The next entry to replay.
    pos: usize,
    /// How many entries came in to replay.
    replay_len: usize,
    /// Go on live when the replayed entries run out.
    live_after: bool,
    /// The journal that came in had paused.
    came_paused: bool,
    pub stop: Option<Stop>,
    bytes: usize,
    max_bytes: usize,
    /// Gated calls and requests the code still waits on.
    pub held: u32,
    pub approvals: Approvals,
    next_fetch: u32,
    next_gate: u32,
    /// Monotonic time: the last value the run saw, and the offset from the
    /// real clock once live after a replay.
    pub last_mono: u64,
    pub mono_offset: Option<i128>,
}

impl JournalState {
    fn empty() -> JournalState {
        JournalState::new(
            JournalStart::Record,
            JournalHeader {
                format: super::JOURNAL_FORMAT,
                engine: String::new(),
                code: String::new(),
                input: String::new(),
                grants: String::new(),
                random_seed: 0,
            },
            Approvals::default(),
        )
    }

    /// A journal for a run with `header`; for a replay, `start`'s journal's
    /// header must equal it (the caller checks first).
    pub fn new(start: JournalStart, header: JournalHeader, approvals: Approvals) -> JournalState {
        let (journal, live_after) = match start {
            JournalStart::Record => (
                Journal {
                    header,
                    entries: Vec::new(),
                    responses: Default::default(),
                    paused: false,
                },
                true,
            ),
            JournalStart::Resume(journal) => (journal, true),
            JournalStart::Replay(journal) => (journal, false),
        };
        let replay_len = journal.entries.len();
        let came_paused = journal.paused;
        let next_fetch = journal
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Fetch { id, .. } => Some(*id),
                Entry::Gate {
                    gate:
                        super::GateCall {
                            kind: super::GateKind::Fetch { id, .. },
                            ..
                        },
                    ..
                } => Some(*id),
                _ => None,
            })
            .max()
            .map_or(1, |id| id + 1);
        let next_gate = journal.gates().iter().map(|(g, _)| g.id).max().map_or(1, |id| id + 1);
        let max_bytes = approvals.journal_limit();
        let mut state = JournalState {
            journal,
            pos: 0,
            replay_len,
            live_after,
            came_paused,
            stop: None,
            bytes: 0,
            max_bytes,
            held: 0,
            approvals,
            next_fetch,
            next_gate,
            last_mono: 0,
            mono_offset: None,
        };
        state.journal.paused = false;
        state.bytes = serde_json::to_vec(&state.journal).map_or(0, |v| v.len());
        state
    }

    pub fn handle(self) -> JournalHandle {
        JournalHandle(Arc::new(Mutex::new(self)))
    }

    /// True while entries that came in remain to be replayed.
    pub fn replaying(&self) -> bool {
        self.pos < self.replay_len
    }

    /// True when the run goes on live after the replayed entries.
    pub fn live_after_replay(&self) -> bool {
        self.live_after
    }

    /// The next entry to replay (`None` once they ran out).
    pub fn next(&mut self) -> Option<Entry> {
        if !self.replaying() {
            return None;
        }
        let entry = self.journal.entries[self.pos].clone();
        self.pos += 1;
        Some(entry)
    }

    /// The entry `next` just gave, to update (a gate performed).
    pub fn replayed_mut(&mut self) -> Option<&mut Entry> {
        self.pos.checked_sub(1).and_then(|i| self.journal.entries.get_mut(i))
    }

    /// Stops the run: it asked for `asked` where the journal holds `found`.
    pub fn diverge(&mut self, asked: &str, found: Option<&Entry>) {
        if self.stop.is_some() {
            return;
        }
        let held = match found {
            Some(entry) => describe(entry),
            None => "nothing (the journal ended)".to_owned(),
        };
        let mut message = format!(
            "the replay diverged at entry {}: the run asked for {asked}, the journal holds {held}",
            self.pos
        );
        crate::text::truncate(&mut message, 1024, "...");
        self.stop = Some(Stop::Diverged(message));
    }

    /// Something live is asked for where it may not be: in an exact
    /// replay after the journal ended.
    pub fn refuse_live(&mut self, asked: &str) -> bool {
        if self.live_after || self.replaying() {
            return false;
        }
        self.diverge(asked, None);
        true
    }

    /// Appends a live entry, within the journal's bound.
    pub fn record(&mut self, entry: Entry) {
        if self.stop.is_some() {
            return;
        }
        self.bytes += entry_bytes(&entry);
        if self.bytes > self.max_bytes {
            self.stop = Some(Stop::Limit(self.max_bytes));
            return;
        }
        self.journal.entries.push(entry);
    }

    /// Counts a response's bytes against the bound; false past it.
    pub fn charge(&mut self, bytes: usize) -> bool {
        self.bytes += bytes;
        if self.bytes > self.max_bytes && self.stop.is_none() {
            self.stop = Some(Stop::Limit(self.max_bytes));
        }
        self.stop.is_none()
    }

    pub fn fetch_id(&mut self) -> u32 {
        let id = self.next_fetch;
        self.next_fetch += 1;
        id
    }

    pub fn gate_id(&mut self) -> u32 {
        let id = self.next_gate;
        self.next_gate += 1;
        id
    }

    /// At a wait on `n` things: true when all of them are gates, so the run
    /// pauses (or, replaying exactly a run that paused, pauses again).
    pub fn should_pause(&self, n: u32) -> bool {
        (self.held > 0 && n <= self.held) || (!self.live_after && !self.replaying() && self.came_paused)
    }

    /// The journal to hand back.
    pub fn finish(mut self) -> (Journal, Option<Stop>) {
        self.journal.paused = self.stop == Some(Stop::Paused);
        (self.journal, self.stop)
    }
}

fn entry_bytes(entry: &Entry) -> usize {
    match entry {
        Entry::Wall { .. } | Entry::Mono { .. } => 32,
        Entry::Random { bytes } => bytes.len() + 16,
        Entry::Poll { ready, .. } => 24 + ready.len() * 4,
        other => serde_json::to_vec(other).map_or(256, |v| v.len()),
    }
}

/// A short text for an entry, in divergence messages.
pub(crate) fn describe(entry: &Entry) -> String {
    match entry {
        Entry::Wall { .. } => "a wall-clock read".into(),
        Entry::Mono { .. } => "a monotonic clock read".into(),
        Entry::Random { bytes } => format!("random bytes ({} base64 chars)", bytes.len()),
        Entry::Poll { n, .. } => format!("a wait on {n} things"),
        Entry::Call { binding, method, .. } => format!("a call to env.{binding}.{method}"),
        Entry::Take { .. } => "the result of a call".into(),
        Entry::Fetch { method, url, .. } => {
            let mut url = url.clone();
            crate::text::truncate(&mut url, 200, "...");
            format!("a fetch {method} {url}")
        }
        Entry::Gate { gate, .. } => format!("gate {} ({})", gate.id, gate.describe()),
    }
}
