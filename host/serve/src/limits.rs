//! Limits as a request or a tenant's ceiling gives them: each one optional.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use isobox::Limits;

/// Some of the [`Limits`], by their JSON names; an absent one is left to
/// whoever fills it in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitValues {
    /// [`Limits::wall_time`], in milliseconds.
    pub wall_time_ms: Option<u64>,
    /// [`Limits::fuel`].
    pub fuel: Option<u64>,
    /// [`Limits::memory_bytes`].
    pub memory_bytes: Option<u64>,
    /// [`Limits::stack_bytes`].
    pub stack_bytes: Option<u32>,
    /// [`Limits::result_bytes`].
    pub result_bytes: Option<u32>,
    /// [`Limits::log_bytes`].
    pub log_bytes: Option<u32>,
    /// [`Limits::log_lines`].
    pub log_lines: Option<u32>,
    /// [`Limits::code_bytes`].
    pub code_bytes: Option<u32>,
    /// [`Limits::input_bytes`].
    pub input_bytes: Option<u32>,
}

/// A requested limit above the tenant's ceiling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit `{name}` is {value}, above this tenant's ceiling of {max}")]
pub struct AboveCeiling {
    /// The limit's JSON name.
    pub name: &'static str,
    /// What was asked for.
    pub value: u64,
    /// The ceiling.
    pub max: u64,
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl LimitValues {
    /// The values given, the others from `base`.
    pub fn over(&self, base: &Limits) -> Limits {
        Limits {
            wall_time: self.wall_time_ms.map_or(base.wall_time, Duration::from_millis),
            fuel: self.fuel.unwrap_or(base.fuel),
            memory_bytes: self.memory_bytes.unwrap_or(base.memory_bytes),
            stack_bytes: self.stack_bytes.unwrap_or(base.stack_bytes),
            result_bytes: self.result_bytes.unwrap_or(base.result_bytes),
            log_bytes: self.log_bytes.unwrap_or(base.log_bytes),
            log_lines: self.log_lines.unwrap_or(base.log_lines),
            code_bytes: self.code_bytes.unwrap_or(base.code_bytes),
            // Not set per request: a service links no modules.
            dependency_bytes: base.dependency_bytes,
            input_bytes: self.input_bytes.unwrap_or(base.input_bytes),
        }
    }

    /// The limits of a run under `ceiling`: a value given must not pass
    /// the ceiling; an absent one is the default, lowered to the ceiling.
    ///
    /// # Errors
    /// [`AboveCeiling`] for the first value above its ceiling.
    pub fn within(&self, ceiling: &Limits) -> Result<Limits, AboveCeiling> {
        let defaults = Limits::default();
        let pick = |name: &'static str, asked: Option<u64>, default: u64, max: u64| match asked {
            Some(value) if value > max => Err(AboveCeiling { name, value, max }),
            Some(value) => Ok(value),
            None => Ok(default.min(max)),
        };
        // Each u32 limit's ceiling is a u32, so the picked value fits.
        let small = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        Ok(Limits {
            wall_time: Duration::from_millis(pick(
                "wall_time_ms",
                self.wall_time_ms,
                ms(defaults.wall_time),
                ms(ceiling.wall_time),
            )?),
            fuel: pick("fuel", self.fuel, defaults.fuel, ceiling.fuel)?,
            memory_bytes: pick(
                "memory_bytes",
                self.memory_bytes,
                defaults.memory_bytes,
                ceiling.memory_bytes,
            )?,
            stack_bytes: small(pick(
                "stack_bytes",
                self.stack_bytes.map(u64::from),
                defaults.stack_bytes.into(),
                ceiling.stack_bytes.into(),
            )?),
            result_bytes: small(pick(
                "result_bytes",
                self.result_bytes.map(u64::from),
                defaults.result_bytes.into(),
                ceiling.result_bytes.into(),
            )?),
            log_bytes: small(pick(
                "log_bytes",
                self.log_bytes.map(u64::from),
                defaults.log_bytes.into(),
                ceiling.log_bytes.into(),
            )?),
            log_lines: small(pick(
                "log_lines",
                self.log_lines.map(u64::from),
                defaults.log_lines.into(),
                ceiling.log_lines.into(),
            )?),
            code_bytes: small(pick(
                "code_bytes",
                self.code_bytes.map(u64::from),
                defaults.code_bytes.into(),
                ceiling.code_bytes.into(),
            )?),
            // Not set per request: a service links no modules.
            dependency_bytes: defaults.dependency_bytes.min(ceiling.dependency_bytes),
            input_bytes: small(pick(
                "input_bytes",
                self.input_bytes.map(u64::from),
                defaults.input_bytes.into(),
                ceiling.input_bytes.into(),
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_are_defaults_lowered_to_the_ceiling_and_given_ones_are_checked() {
        let ceiling = LimitValues {
            wall_time_ms: Some(100),
            ..LimitValues::default()
        }
        .over(&Limits::default());
        let limits = LimitValues::default().within(&ceiling).unwrap();
        assert_eq!(limits.wall_time, Duration::from_millis(100));
        assert_eq!(limits.fuel, Limits::default().fuel);
        let asked = LimitValues {
            fuel: Some(Limits::default().fuel + 1),
            ..LimitValues::default()
        };
        assert_eq!(
            asked.within(&ceiling).unwrap_err().to_string(),
            "limit `fuel` is 10000000001, above this tenant's ceiling of 10000000000"
        );
    }
}
