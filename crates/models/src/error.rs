//! What can go wrong talking to a model endpoint.

use assay_core::RewardError;

/// A failed model call. Turned into a per-sample [`RewardError`], never into a score.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The server answered with a non-success status (after retries, for 429 and 5xx).
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The request could not be sent or the connection failed (after retries).
    #[error("{url}: request failed: {message}")]
    Transport {
        /// The URL called.
        url: String,
        /// What the HTTP client reported.
        message: String,
    },
    /// The call did not finish within its deadline (`timeout_ms`), retries included.
    #[error("{url}: no answer within {timeout_ms} ms")]
    Deadline {
        /// The URL called.
        url: String,
        /// The deadline.
        timeout_ms: u64,
    },
    /// The answer is not the JSON shape the endpoint should return.
    #[error("{url}: unexpected response: {message}")]
    BadResponse {
        /// The URL called.
        url: String,
        /// What is missing or malformed.
        message: String,
    },
    /// An in-process (`local:`) model could not be loaded or run.
    #[error("local model: {0}")]
    Local(String),
    /// The on-disk cache failed.
    #[error("response cache: {0}")]
    Cache(String),
}

impl From<ModelError> for RewardError {
    fn from(err: ModelError) -> Self {
        RewardError::Failed(err.to_string())
    }
}

/// The first `max` characters of a text, for error messages.
pub(crate) fn snippet(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
