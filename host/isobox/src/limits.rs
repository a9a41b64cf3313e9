//! Per-run limits: what each one bounds, its default and the range it may take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use isobox_egress::range::{LimitError, check, duration_ms};

/// The limits of one run. Every field has a default (see [`Limits::default`])
/// and a range; [`Limits::validate`] refuses a value outside its range, so a
/// run never starts with a limit it cannot enforce.
///
/// ```
/// use std::time::Duration;
/// let limits = isobox::Limits {
///     wall_time: Duration::from_millis(250),
///     ..isobox::Limits::default()
/// };
/// assert!(limits.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock time from the start of instantiation to the result,
    /// including time spent waiting on the host. Default 5 s; 1 ms to 15 min.
    #[serde(with = "duration_ms", rename = "wall_time_ms")]
    pub wall_time: Duration,
    /// CPU budget in Wasm fuel units, about one per Wasm instruction: a
    /// trivial run uses under a million, a 2026 x86 core burns about 8e9 a
    /// second. Default 10^10 (a little over a second of CPU); 10^4 to 10^15.
    pub fuel: u64,
    /// Linear memory the run may add to the image the sandbox starts from
    /// (the initialised engine and Intl's read-only CLDR data, about 14.5 MiB,
    /// shared copy-on-write between sandboxes), in bytes. Default 64 MiB;
    /// 8 MiB to the engine's
    /// [`max_memory_bytes`](crate::EngineBuilder::max_memory_bytes).
    pub memory_bytes: u64,
    /// Stack the JS engine may use before a call throws a catchable
    /// `RangeError`. Default 256 KiB; 16 KiB to 768 KiB.
    pub stack_bytes: u32,
    /// The JSON result, in bytes. Default 1 MiB; 0 to 64 MiB.
    pub result_bytes: u32,
    /// Console output kept, in bytes of message text. Default 64 KiB; 0 to 16 MiB.
    pub log_bytes: u32,
    /// Console lines kept. Default 1,000; 0 to 1,000,000.
    pub log_lines: u32,
    /// Source code, in bytes: the code and the request's own modules.
    /// Default 1 MiB; 1 byte to 16 MiB.
    pub code_bytes: u32,
    /// Linked modules ([`RunRequest::with_linked`](crate::RunRequest::with_linked)),
    /// in bytes of their names, sources and import tables
    /// ([`LinkedModules::source_bytes`](crate::LinkedModules::source_bytes)):
    /// the packages the code uses, which do not count against `code_bytes`.
    /// Default 32 MiB; 0 to 512 MiB.
    pub dependency_bytes: u32,
    /// The caller's input, as JSON text. Default 8 MiB; 0 to 64 MiB.
    pub input_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wall_time: Duration::from_secs(5),
            fuel: 10_000_000_000,
            memory_bytes: 64 * MIB,
            stack_bytes: 256 * KIB as u32,
            result_bytes: MIB as u32,
            log_bytes: 64 * KIB as u32,
            log_lines: 1_000,
            code_bytes: MIB as u32,
            dependency_bytes: 32 * MIB as u32,
            input_bytes: 8 * MIB as u32,
        }
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// The smallest memory limit: the initialised engine and a little headroom.
pub const MIN_MEMORY_BYTES: u64 = 8 * MIB;
/// The largest JS stack limit: the guest's 1 MiB shadow stack, less room
/// for the Rust and C frames outside QuickJS's check.
pub const MAX_STACK_BYTES: u32 = 768 * KIB as u32;

impl Limits {
    /// The largest [`stack_bytes`](Limits::stack_bytes) a run may ask for.
    pub const MAX_STACK_BYTES: u32 = MAX_STACK_BYTES;

    /// Checks every limit against its range, with the default memory ceiling.
    pub fn validate(&self) -> Result<(), LimitError> {
        self.validate_with_memory_ceiling(crate::config::DEFAULT_MAX_MEMORY_BYTES)
    }

    /// Checks every limit against its range; `memory_bytes` may reach
    /// `memory_ceiling` (the engine's largest sandbox memory).
    pub fn validate_with_memory_ceiling(&self, memory_ceiling: u64) -> Result<(), LimitError> {
        let wall_ms = u64::try_from(self.wall_time.as_millis()).unwrap_or(u64::MAX);
        check("wall_time_ms", wall_ms, 1, 15 * 60 * 1000, " ms")?;
        check("fuel", self.fuel, 10_000, 1_000_000_000_000_000, "")?;
        check(
            "memory_bytes",
            self.memory_bytes,
            MIN_MEMORY_BYTES,
            memory_ceiling,
            " bytes",
        )?;
        check(
            "stack_bytes",
            self.stack_bytes.into(),
            16 * KIB,
            MAX_STACK_BYTES.into(),
            " bytes",
        )?;
        check("result_bytes", self.result_bytes.into(), 0, 64 * MIB, " bytes")?;
        check("log_bytes", self.log_bytes.into(), 0, 16 * MIB, " bytes")?;
        check("log_lines", self.log_lines.into(), 0, 1_000_000, "")?;
        check("code_bytes", self.code_bytes.into(), 1, 16 * MIB, " bytes")?;
        check("dependency_bytes", self.dependency_bytes.into(), 0, 512 * MIB, " bytes")?;
        check("input_bytes", self.input_bytes.into(), 0, 64 * MIB, " bytes")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_within_range() {
        assert_eq!(Limits::default().validate(), Ok(()));
    }

    #[test]
    fn each_limit_is_checked_at_both_ends() {
        type Setter = fn(&mut Limits, bool);
        let cases: [(&str, Setter); 4] = [
            ("wall_time_ms", |l, high| {
                l.wall_time = if high { Duration::from_secs(901) } else { Duration::ZERO }
            }),
            ("memory_bytes", |l, high| {
                l.memory_bytes = if high { u64::MAX } else { MIN_MEMORY_BYTES - 1 }
            }),
            ("stack_bytes", |l, high| {
                l.stack_bytes = if high { MAX_STACK_BYTES + 1 } else { 1024 }
            }),
            ("code_bytes", |l, high| l.code_bytes = if high { u32::MAX } else { 0 }),
        ];
        for (name, set) in cases {
            for high in [false, true] {
                let mut limits = Limits::default();
                set(&mut limits, high);
                let error = limits.validate().unwrap_err();
                assert_eq!(error.name, name);
                assert!(error.to_string().starts_with(&format!("limit `{name}` is")), "{error}");
            }
        }
    }

    #[test]
    fn dependency_bytes_may_be_zero_but_not_over_512_mib() {
        let with = |dependency_bytes| Limits {
            dependency_bytes,
            ..Limits::default()
        };
        assert_eq!(with(0).validate(), Ok(()));
        assert_eq!(with(512 << 20).validate(), Ok(()));
        assert_eq!(with((512 << 20) + 1).validate().unwrap_err().name, "dependency_bytes");
    }

    #[test]
    fn limits_read_from_json_use_milliseconds_and_defaults() {
        let limits: Limits = serde_json::from_str(r#"{"wall_time_ms": 250, "fuel": 5000000}"#).unwrap();
        assert_eq!(limits.wall_time, Duration::from_millis(250));
        assert_eq!(limits.fuel, 5_000_000);
        assert_eq!(limits.memory_bytes, Limits::default().memory_bytes);
        assert!(
            serde_json::from_str::<Limits>(r#"{"wall_time": 1}"#).is_err(),
            "unknown fields are refused"
        );
    }
}
