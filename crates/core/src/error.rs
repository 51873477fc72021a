//! Error types: per-sample reward failures and pipeline configuration errors.

use std::path::PathBuf;

/// Why one reward could not score one sample (or why a formula rejected its input).
///
/// A sample's failure is data: the pipeline turns it into the record's `error` field and never into a
/// silent 0.0.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RewardError {
    /// The record has no such field.
    #[error("missing field `{field}`")]
    MissingField {
        /// Name of the field that was looked up.
        field: String,
    },
    /// The field exists but holds the wrong kind of JSON value.
    #[error("field `{field}` must be {expected}, found {found}")]
    WrongType {
        /// Name of the field.
        field: String,
        /// What was expected, e.g. "a string".
        expected: &'static str,
        /// What the record holds, e.g. "a number".
        found: &'static str,
    },
    /// A NaN or infinite value reached a formula.
    #[error("non-finite value in input{}", context_suffix(.0))]
    NonFinite(String),
    /// A reduction was asked of an empty input.
    #[error("empty input{}", context_suffix(.0))]
    EmptyInput(String),
    /// A parameter or input is outside the formula's domain.
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
    /// The reward depends on another component that failed or is missing.
    #[error("component `{0}` that this reward depends on has no value")]
    MissingDependency(String),
    /// Any other failure, with a message saying what happened.
    #[error("{0}")]
    Failed(String),
    /// Scoring was cancelled (a deadline passed or the caller went away) before this reward scored the record.
    #[error("{CANCELLED_MESSAGE}")]
    Cancelled,
}

/// The text of [`RewardError::Cancelled`], for callers that find cancelled records in [`crate::Score::error`].
pub const CANCELLED_MESSAGE: &str = "not scored: cancelled before this reward ran (deadline exceeded or caller gone)";

fn context_suffix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" ({context})")
    }
}

impl RewardError {
    /// The error's kind as named in the spec's test vectors (`NonFinite`, `EmptyInput`, `InvalidParam`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingField { .. } => "MissingField",
            Self::WrongType { .. } => "WrongType",
            Self::NonFinite(_) => "NonFinite",
            Self::EmptyInput(_) => "EmptyInput",
            Self::InvalidParam(_) => "InvalidParam",
            Self::MissingDependency(_) => "MissingDependency",
            Self::Failed(_) => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }
}

/// A pipeline file that cannot be loaded: every variant names the file, the table and the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read pipeline file: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A key is wrong: unknown, misspelt, of the wrong type, or with a value out of range.
    #[error("{path}: {table}: key `{key}`: {message}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The table, e.g. `[[reward]] #2 (name = "format")`.
        table: String,
        /// The offending key (a dotted path for nested values).
        key: String,
        /// What is wrong and, where it helps, what is accepted.
        message: String,
    },
}

/// A key-level configuration problem before the file name is known; [`ConfigError::Key`] adds the path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("key `{key}`: {message}")]
pub struct KeyError {
    /// The offending key.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl KeyError {
    /// A key error with a message.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}
