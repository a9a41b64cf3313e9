//! Why a capability call failed on the host's side.

/// A failure of a capability's implementation (not a WIT error value: those
/// are ordinary results). The guest sees it as an `Error` named
/// `CapabilityError` with this message, which must not carry secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityError {
    /// What went wrong, for the guest and the outcome.
    pub message: String,
    /// Whether a plugin trapped (its instance is not used again in the run).
    pub(crate) trapped: bool,
}

impl CapabilityError {
    /// An error with `message` (bounded to 1 KiB).
    pub fn new(message: impl Into<String>) -> Self {
        let mut message = message.into();
        crate::text::truncate(&mut message, 1024, "...");
        CapabilityError {
            message,
            trapped: false,
        }
    }
}

impl std::fmt::Display for CapabilityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CapabilityError {}
