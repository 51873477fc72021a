//! Failures of the harness itself (ours or the dataset's), never charged to the policy.

use assay_sandbox::SandboxError;

/// Why a sample could not be judged. The policy is never charged for these: the reward reports them as
/// errors instead of a score.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The sandbox failed (setup, server, protocol).
    #[error("sandbox error: {0}")]
    Sandbox(#[from] SandboxError),
    /// The trusted checker process failed (could not start, crashed, no verdict).
    #[error("trusted checker failed: {0}")]
    Checker(String),
    /// The dataset's tests or prefix do not run (syntax error, no `check` function).
    #[error("the tests or prefix code do not run: {0}")]
    Tests(String),
    /// Local I/O failed (temporary files, sockets).
    #[error("harness I/O: {0}")]
    Io(#[from] std::io::Error),
}
