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
    /// Whether this is a JSON tool's own error ([`tool`](Self::tool)).
    pub(crate) tool: bool,
}

impl CapabilityError {
    /// An error with `message` (bounded to 1 KiB).
    pub fn new(message: impl Into<String>) -> Self {
        let mut message = message.into();
        crate::text::truncate(&mut message, 1024, "...");
        CapabilityError {
            message,
            trapped: false,
            tool: false,
        }
    }

    /// A JSON tool's own error (an MCP result with `isError: true`, say):
    /// the call rejects with a plain `Error` whose message is `message`
    /// (bounded to 1 KiB), where [`new`](Self::new) gives an `Error` named
    /// `CapabilityError` saying the capability failed.
    ///
    /// ```
    /// let error = isobox::capability::CapabilityError::tool("Entity with name nobody not found");
    /// assert_eq!(error.message, "Entity with name nobody not found");
    /// ```
    pub fn tool(message: impl Into<String>) -> Self {
        CapabilityError {
            tool: true,
            ..Self::new(message)
        }
    }
}

impl std::fmt::Display for CapabilityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CapabilityError {}
