//! `expected-failures.json`: the subtests known to fail, grouped by file and
//! by a one-line reason.
//!
//! ```json
//! { "url/url-constructor.any.js": [
//!     { "reason": "why these fail", "subtests": ["Parsing: <...> without base"] } ] }
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The reason `--bless` writes for a failure it has no reason for yet.
const UNEXPLAINED: &str = "UNEXPLAINED: write why";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
    pub subtests: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Expectations {
    files: BTreeMap<String, Vec<Reason>>,
}

impl Expectations {
    /// Reads the list; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Expectations, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Expectations::default()),
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        };
        let expectations: Expectations = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for (file, reasons) in &expectations.files {
            if let Some(empty) = reasons
                .iter()
                .find(|r| r.reason.trim().is_empty() || r.reason.contains('\n'))
            {
                return Err(format!(
                    "{}: {file}: every group of subtests needs a one-line reason ({:?})",
                    path.display(),
                    empty.subtests.first()
                ));
            }
        }
        Ok(expectations)
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// Whether `subtest` of `file` is listed as failing.
    pub fn lists(&self, file: &str, subtest: &str) -> bool {
        self.files
            .get(file)
            .is_some_and(|reasons| reasons.iter().any(|r| r.subtests.iter().any(|s| s == subtest)))
    }

    /// Listed subtests of the files that ran which no longer exist.
    pub fn stale<'a>(&self, ran: impl Iterator<Item = (&'a str, Vec<&'a str>)>) -> Vec<String> {
        let mut stale = Vec::new();
        for (file, names) in ran {
            let names: HashSet<&str> = names.into_iter().collect();
            for reason in self.files.get(file).into_iter().flatten() {
                for subtest in &reason.subtests {
                    if !names.contains(subtest.as_str()) {
                        stale.push(format!("{file} :: {subtest}"));
                    }
                }
            }
        }
        stale
    }

    /// The list as this run found it: for each file that ran, its failing
    /// subtests, each under the reason it already had (or `UNEXPLAINED`).
    /// Files that did not run keep their entries.
    pub fn blessed(&self, ran: impl Iterator<Item = (String, Vec<String>)>) -> Expectations {
        let mut files = self.files.clone();
        for (file, failing) in ran {
            let old = self.files.get(&file).cloned().unwrap_or_default();
            let mut reasons: Vec<Reason> = Vec::new();
            for name in failing {
                let reason = old
                    .iter()
                    .find(|r| r.subtests.contains(&name))
                    .map_or(UNEXPLAINED.to_owned(), |r| r.reason.clone());
                match reasons.iter_mut().find(|r| r.reason == reason) {
                    Some(group) => {
                        if !group.subtests.contains(&name) {
                            group.subtests.push(name);
                        }
                    }
                    None => reasons.push(Reason {
                        reason,
                        subtests: vec![name],
                    }),
                }
            }
            if reasons.is_empty() {
                files.remove(&file);
            } else {
                files.insert(file, reasons);
            }
        }
        Expectations { files }
    }
}
