//! Why an [`Engine`](crate::Engine) could not be built.

use std::fmt::Display;

/// The engine could not be built. Each variant says what was being done, so
/// the message tells the user where to look.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let Err(error) = isobox::Engine::builder().max_concurrent_runs(0).build().await else {
///     panic!("an engine with no run slots was built");
/// };
/// assert!(matches!(error, isobox::EngineError::Setting { setting: "max_concurrent_runs", .. }));
/// assert_eq!(
///     error.to_string(),
///     "engine setting `max_concurrent_runs` is 0, outside its range 1..=100000: change it on the EngineBuilder"
/// );
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An [`EngineBuilder`](crate::EngineBuilder) setting outside its range.
    #[error("engine setting `{setting}` is {value}, outside its range {min}..={max}: change it on the EngineBuilder")]
    Setting {
        /// The setting's name, as the builder's method.
        setting: &'static str,
        /// The value given.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// Wasmtime refused the configuration, or a thread could not start.
    #[error("wasmtime failed while {step}: {message}")]
    Wasmtime {
        /// What was being done.
        step: &'static str,
        /// Wasmtime's message.
        message: String,
    },
    /// Initialising the guest under wizer failed (a broken guest build).
    #[error("snapshotting the sandbox guest failed while {step}: {message}")]
    Snapshot {
        /// What was being done.
        step: &'static str,
        /// The underlying message.
        message: String,
    },
    /// Compiling or linking the snapshot failed.
    #[error("compiling the sandbox snapshot failed while {step}: {message}")]
    Compile {
        /// What was being done.
        step: &'static str,
        /// The underlying message.
        message: String,
    },
}

/// Which of the failing steps' variants an error belongs to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stage {
    Wasmtime,
    Snapshot,
    Compile,
}

impl EngineError {
    /// The error of `stage` while doing `step`, with `error`'s whole chain.
    pub(crate) fn at(stage: Stage, step: &'static str, error: &impl Display) -> Self {
        let message = format!("{error:#}");
        match stage {
            Stage::Wasmtime => EngineError::Wasmtime { step, message },
            Stage::Snapshot => EngineError::Snapshot { step, message },
            Stage::Compile => EngineError::Compile { step, message },
        }
    }
}
