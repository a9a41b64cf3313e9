//! Egress cassettes: a run's `fetch()` responses recorded to a file and
//! played back later without the network, so a developer can reproduce an
//! agent's run offline. Unlike a journal, a cassette holds only egress:
//! the clock and random values are live, and the code may change; requests
//! are matched by method and URL, each recorded response used once, in
//! order.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::RecordedResponse;

/// The cassette format this engine writes and reads.
pub const CASSETTE_FORMAT: u32 = 1;

/// One request and the response it got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The request method.
    pub method: String,
    /// The URL the code asked for.
    pub url: String,
    /// What came back.
    pub response: RecordedResponse,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct CassetteFile {
    format: u32,
    interactions: Vec<Interaction>,
}

struct Inner {
    recording: bool,
    interactions: Vec<Interaction>,
    /// Which recorded interactions were played back.
    used: Vec<bool>,
}

/// A cassette being recorded or played back: a handle shared by the run
/// and its caller (cloning shares it).
///
/// ```
/// let cassette = isobox::journal::Cassette::recording();
/// let request = isobox::RunRequest::new("1").with_cassette(cassette.clone());
/// # let _ = request;
/// assert!(cassette.to_json().contains("\"interactions\":[]"));
/// ```
#[derive(Clone)]
pub struct Cassette(Arc<Mutex<Inner>>);

impl std::fmt::Debug for Cassette {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Cassette")
            .field("recording", &inner.recording)
            .field("interactions", &inner.interactions.len())
            .finish()
    }
}

impl Cassette {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An empty cassette that records every response.
    pub fn recording() -> Cassette {
        Cassette(Arc::new(Mutex::new(Inner {
            recording: true,
            interactions: Vec::new(),
            used: Vec::new(),
        })))
    }

    /// A recorded cassette to play back.
    ///
    /// # Errors
    /// A message for text that is not a cassette of this format.
    pub fn from_json(text: &str) -> Result<Cassette, String> {
        let file: CassetteFile = serde_json::from_str(text).map_err(|e| {
            let mut message = format!("not an egress cassette: {e}");
            crate::text::truncate(&mut message, 512, "...");
            message
        })?;
        if file.format != CASSETTE_FORMAT {
            return Err(format!(
                "a cassette of format {}; this engine reads format {CASSETTE_FORMAT}",
                file.format
            ));
        }
        let used = vec![false; file.interactions.len()];
        Ok(Cassette(Arc::new(Mutex::new(Inner {
            recording: false,
            interactions: file.interactions,
            used,
        }))))
    }

    /// The cassette as JSON (what was recorded, or what is played back).
    pub fn to_json(&self) -> String {
        let inner = self.lock();
        let file = CassetteFile {
            format: CASSETTE_FORMAT,
            interactions: inner.interactions.clone(),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// How many interactions it holds.
    pub fn len(&self) -> usize {
        self.lock().interactions.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True while recording.
    pub fn is_recording(&self) -> bool {
        self.lock().recording
    }

    /// Played back: the first unused response to `method` `url`.
    pub(crate) fn play(&self, method: &str, url: &str) -> Option<Option<RecordedResponse>> {
        let mut inner = self.lock();
        if inner.recording {
            return None;
        }
        let Inner { interactions, used, .. } = &mut *inner;
        let found = interactions
            .iter()
            .zip(used.iter_mut())
            .find(|(i, used)| !**used && i.method == method && i.url == url)
            .map(|(interaction, used)| {
                *used = true;
                interaction.response.clone()
            });
        Some(found)
    }

    /// Recording: keeps one interaction.
    pub(crate) fn keep(&self, method: String, url: String, response: RecordedResponse) {
        let mut inner = self.lock();
        if inner.recording {
            inner.interactions.push(Interaction { method, url, response });
        }
    }
}
