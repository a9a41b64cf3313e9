//! The sandbox's console, captured by the host: levels, order, and caps on
//! lines and bytes with an explicit truncation mark.

use serde::{Deserialize, Serialize};

/// A console level, as the JS method that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// `console.debug` (and `console.trace`).
    Debug,
    /// `console.info` (and `console.count`).
    Info,
    /// `console.log` (and `console.dir`).
    Log,
    /// `console.warn`.
    Warn,
    /// `console.error` (and a failed `console.assert`).
    Error,
}

impl LogLevel {
    /// The level's lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Log => "log",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// One console line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Which console method wrote the line.
    pub level: LogLevel,
    /// The formatted line, without a trailing newline.
    pub message: String,
}

/// The console lines of a run, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logs {
    /// The kept lines, in the order they were written.
    pub entries: Vec<LogEntry>,
    /// True when the run wrote more than `log_lines` lines or `log_bytes`
    /// bytes: the last kept entry may be cut short and later ones are gone.
    pub truncated: bool,
}

/// Collects lines during a run, up to the limits.
#[derive(Debug)]
pub(crate) struct LogCapture {
    logs: Logs,
    bytes_left: usize,
    lines_left: usize,
}

impl LogCapture {
    pub(crate) fn new(max_bytes: u32, max_lines: u32) -> Self {
        LogCapture {
            logs: Logs::default(),
            bytes_left: max_bytes as usize,
            lines_left: max_lines as usize,
        }
    }

    /// Keeps `message` if it fits; cuts the line that crosses the byte limit.
    /// Returns false once nothing more will be kept.
    pub(crate) fn write(&mut self, level: LogLevel, mut message: String) -> bool {
        if self.logs.truncated {
            return false;
        }
        if self.lines_left == 0 {
            self.logs.truncated = true;
            return false;
        }
        if message.len() > self.bytes_left {
            let mut end = self.bytes_left;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            self.logs.truncated = true;
        }
        self.bytes_left -= message.len();
        self.lines_left -= 1;
        self.logs.entries.push(LogEntry { level, message });
        !self.logs.truncated
    }

    pub(crate) fn finish(self) -> Logs {
        self.logs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_until_the_line_cap() {
        let mut capture = LogCapture::new(1000, 2);
        assert!(capture.write(LogLevel::Log, "a".into()));
        assert!(capture.write(LogLevel::Warn, "b".into()));
        assert!(!capture.write(LogLevel::Log, "c".into()));
        let logs = capture.finish();
        assert_eq!(logs.entries.len(), 2);
        assert_eq!(logs.entries[1].level, LogLevel::Warn);
        assert!(logs.truncated);
    }

    #[test]
    fn cuts_the_line_that_crosses_the_byte_cap_on_a_char_boundary() {
        let mut capture = LogCapture::new(5, 100);
        assert!(capture.write(LogLevel::Log, "abc".into()));
        assert!(!capture.write(LogLevel::Log, "déf".into()));
        let logs = capture.finish();
        assert_eq!(logs.entries[1].message, "d");
        assert!(logs.truncated);
    }
}
