//! Ranges of numeric limits: the error that names a value outside its range,
//! the check that produces it, and the serde form of a millisecond duration.
//! Shared by the egress limits here and the run limits of the `isobox` crate.

/// A limit outside its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit `{name}` is {value}, outside its range {min}..={max}{unit}")]
pub struct LimitError {
    /// The limit's name, as in `isobox::Limits` (`wall_time_ms`, `memory_bytes` ...).
    pub name: &'static str,
    /// The value given.
    pub value: u64,
    /// The smallest value allowed.
    pub min: u64,
    /// The largest value allowed.
    pub max: u64,
    /// Unit suffix for the message (" ms", " bytes", ...).
    pub unit: &'static str,
}

/// `Ok` when `value` is within `min..=max`, else the error that says so.
pub fn check(name: &'static str, value: u64, min: u64, max: u64, unit: &'static str) -> Result<(), LimitError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(LimitError {
            name,
            value,
            min,
            max,
            unit,
        })
    }
}

/// Serde for a `Duration` written as whole milliseconds.
pub mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `value` as whole milliseconds (saturating).
    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    /// Reads whole milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}
