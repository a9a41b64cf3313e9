//! The readable rendering of an outcome (the default; `--json` prints the
//! whole outcome instead).

use std::io::Write;

use isobox::Outcome;
use isobox::console::LogLevel;

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
        let _ = writeln!(err, "{tag}{}", entry.message);
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
            outln!("{text}");
        }
        Err(error) => {
            let name = error.name.as_deref().map(|n| format!("{n}: ")).unwrap_or_default();
            let position = match (error.line, error.column) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                _ => String::new(),
            };
            let _ = writeln!(
                err,
                "error [{} / {}]{position}: {name}{}",
                error.phase, error.kind, error.message
            );
            if let Some(stack) = error.stack.as_deref().filter(|s| !s.trim().is_empty()) {
                let _ = writeln!(err, "{}", stack.trim_end());
            }
        }
    }
}
