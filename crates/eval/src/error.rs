//! The one error type of the evaluations.

use assay_core::RewardError;

/// Why an evaluation could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// One input row is unusable: the message names the field.
    #[error("row {index} (id {id}): {message}")]
    Row {
        /// 0-based position of the row in the input.
        index: usize,
        /// The row's `id`, or its index when it has none.
        id: String,
        /// What is wrong with it.
        message: String,
    },
    /// A formula rejected its input (empty, non-finite, out of domain).
    #[error(transparent)]
    Formula(#[from] RewardError),
    /// The input as a whole is unusable (no rows, inconsistent shapes, ...).
    #[error("{0}")]
    Input(String),
}
