//! The readable rendering of an outcome (the default; `--json` prints the
//! whole outcome instead).

use std::io::Write;

use isobox::Outcome;
use isobox::console::LogLevel;

use crate::terminal;

/// Results up to this many bytes of JSON print on one line.
const COMPACT_WIDTH: usize = 100;

/// Logs to stderr with their level, the result (pretty JSON) to stdout, an
/// error to stderr.
pub fn print(outcome: &Outcome) {
    let mut err = std::io::stderr().lock();
    for entry in &outcome.logs.entries {
        let tag = match entry.level {
            LogLevel::Log => String::new(),
            level => format!("[{}] ", level.as_str()),
        };
        let _ = writeln!(err, "{tag}{}", terminal::stderr(&entry.message));
    }
    if outcome.logs.truncated {
        let _ = writeln!(err, "… console output truncated (log_lines or log_bytes limit)");
    }
    match &outcome.result {
        Ok(value) => {
            // One line when it is short, indented otherwise.
            let compact = value.to_string();
            let text = if compact.len() <= COMPACT_WIDTH {
                compact
            } else {
                serde_json::to_string_pretty(value).unwrap_or(compact)
            };
            outln!("{}", terminal::stdout(&text));
        }
        Err(error) => {
            let name = error.name.as_deref().map(|n| format!("{n}: ")).unwrap_or_default();
            let (name, message) = (terminal::stderr(&name), terminal::stderr(&error.message));
            let position = match (error.line, error.column) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                _ => String::new(),
            };
            let _ = writeln!(
                err,
                "error [{} / {}]{position}: {name}{message}",
                error.phase, error.kind
            );
            if let Some(stack) = error.stack.as_deref().filter(|s| !s.trim().is_empty()) {
                let _ = writeln!(err, "{}", terminal::stderr(stack.trim_end()));
            }
        }
    }
}
