//! How one test of a candidate ended.

use assay_sandbox::{Outcome, Status};

/// The status of one test (or of a whole function check), as reported in diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// The test passed.
    Passed,
    /// Wrong answer, failed assertion, exception, or a non-zero exit.
    Failed,
    /// The candidate hit its wall or CPU deadline.
    Timeout,
    /// The candidate ran out of memory.
    Memory,
    /// The candidate was killed by a signal.
    Crashed,
    /// The program did not compile.
    CompileError,
    /// The submission's files were rejected before running (a path escaping the working directory...).
    InvalidFiles,
}

impl TestStatus {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Memory => "memory",
            Self::Crashed => "crashed",
            Self::CompileError => "compile_error",
            Self::InvalidFiles => "invalid_files",
        }
    }

    /// The failure status that best explains a candidate process that did not pass.
    pub(crate) fn of_failed_run(outcome: &Outcome) -> Self {
        match outcome.status {
            Status::Timeout => Self::Timeout,
            Status::Memory => Self::Memory,
            Status::Crashed { .. } => Self::Crashed,
            _ => Self::Failed,
        }
    }
}

/// The last `limit` bytes of `bytes` as text, cut at a character boundary.
pub(crate) fn tail(bytes: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(limit)..]);
    text.trim_start_matches('\u{fffd}').to_owned()
}
