//! The sandbox's console, captured by the host: levels, order, and caps on
//! lines and bytes with an explicit truncation mark.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A console level, as the JS method that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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

/// A live view of a run's console: called with each line the run keeps, as
/// the code writes it (lines past `log_lines` or `log_bytes` are not kept,
/// so not passed on either; the line that crosses the byte cap arrives cut).
/// It is called on the thread running the sandbox, so it must be quick:
/// send the line on a channel rather than do I/O. Set it with
/// [`RunRequest::on_log`](crate::RunRequest::on_log).
///
/// ```
/// let sink = isobox::console::LogSink::new(|entry| eprintln!("{}: {}", entry.level.as_str(), entry.message));
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct LogSink(Arc<dyn Fn(&LogEntry) + Send + Sync>);

impl LogSink {
    /// A sink calling `f` with each kept line.
    pub fn new(f: impl Fn(&LogEntry) + Send + Sync + 'static) -> LogSink {
        LogSink(Arc::new(f))
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSink")
    }
}

/// Collects lines during a run, up to the limits.
#[derive(Debug)]
pub(crate) struct LogCapture {
    logs: Logs,
    bytes_left: usize,
    lines_left: usize,
    sink: Option<LogSink>,
}

impl LogCapture {
    pub(crate) fn new(max_bytes: u32, max_lines: u32) -> Self {
        LogCapture {
            logs: Logs::default(),
            bytes_left: max_bytes as usize,
            lines_left: max_lines as usize,
            sink: None,
        }
    }

    /// Passes each kept line to `sink` too, as it is written.
    pub(crate) fn set_sink(&mut self, sink: Option<LogSink>) {
        self.sink = sink;
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
        let entry = LogEntry { level, message };
        if let Some(sink) = &self.sink {
            (sink.0)(&entry);
        }
        self.logs.entries.push(entry);
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
    fn a_sink_sees_exactly_the_kept_lines() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut capture = LogCapture::new(5, 3);
        let into = seen.clone();
        capture.set_sink(Some(LogSink::new(move |entry| {
            into.lock().unwrap().push(entry.message.clone())
        })));
        capture.write(LogLevel::Log, "ab".into());
        capture.write(LogLevel::Log, "cdef".into());
        capture.write(LogLevel::Log, "gone".into());
        assert_eq!(*seen.lock().unwrap(), ["ab", "cde"]);
        assert_eq!(
            capture
                .finish()
                .entries
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            ["ab", "cde"]
        );
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
