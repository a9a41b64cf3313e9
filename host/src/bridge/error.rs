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
        if message.len() > 1024 {
            let mut end = 1024;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str("...");
        }
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
