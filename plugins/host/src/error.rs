//! What a host-side plugin operation can fail with. Messages are Chinese, for
//! the operator; the server maps each variant to an API error code.

/// A refused or failed plugin operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The plugin failed, panicked, does not support the operation, or returned
    /// malformed data. API code `PLUGIN`.
    #[error("{0}")]
    Plugin(String),
    /// A file or device payload is bad: missing or wrong signature, tampered,
    /// forged, for another line, or unreadable. API code `BAD_FILE`.
    #[error("{0}")]
    BadFile(String),
    /// The request itself breaks a rule (e.g. a card that cannot be exported).
    /// API code `VALIDATION`.
    #[error("{0}")]
    Invalid(String),
    /// No loaded plugin serves the requested model. API code `PLUGIN`.
    #[error("{0}")]
    NoPlugin(String),
}

impl HostError {
    /// The API error code this maps to.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::Plugin(_) | HostError::NoPlugin(_) => "PLUGIN",
            HostError::BadFile(_) => "BAD_FILE",
            HostError::Invalid(_) => "VALIDATION",
        }
    }
}
