//! Failures of the sandbox itself. None of these is the candidate's fault.

use std::path::PathBuf;

/// Why the sandbox could not run (or finish supervising) a program.
///
/// These are *our* failures, never charged to the policy: callers report them as
/// [`crate::Status::SandboxError`] rather than as a failed program.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Namespaces, mounts and uid maps need root here (see the crate README for what degrades without it).
    #[error(
        "the sandbox needs root (effective uid {euid}) to create user/PID/mount/network namespaces and map a \
         separate unprivileged uid for candidates; run as root (CI does) or in a root container"
    )]
    NotRoot {
        /// The effective uid we run as.
        euid: u32,
    },
    /// No usable Python interpreter for the fork server.
    #[error("python interpreter not usable: {0}")]
    Interpreter(String),
    /// A path that must be visible inside the sandbox does not exist on the host.
    #[error("sandbox bind source {path} is not usable: {reason}")]
    BindSource {
        /// The host path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file of the job has a path that cannot live inside the working directory.
    #[error("job file path {path:?} rejected: {reason}")]
    InvalidFile {
        /// The offending relative path.
        path: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The program of a job cannot be run as given.
    #[error("job program invalid: {0}")]
    InvalidProgram(&'static str),
    /// A limit value is unusable.
    #[error("limit {field} invalid: {reason}")]
    InvalidLimit {
        /// Name of the `Limits` field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Building the seccomp filter failed.
    #[error("seccomp filter: {0}")]
    Seccomp(String),
    /// Starting the sandboxed fork server failed (namespace, mount or exec step).
    #[error("starting the sandbox failed: {source}; diagnostics: {diagnostics}")]
    Spawn {
        /// The OS error reported by the failing setup step.
        source: std::io::Error,
        /// What the setup code wrote before failing (step name and path), possibly empty.
        diagnostics: String,
    },
    /// The fork server misbehaved, died, or broke the protocol; it is replaced.
    #[error("fork server failure: {0}")]
    Server(String),
    /// The server reported that setting up the child failed before the candidate ran.
    #[error("child setup failed: {0}")]
    ChildSetup(String),
    /// An I/O error talking to the server.
    #[error("fork server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl SandboxError {
    /// True when the job itself was rejected before running (bad file path, program or limit): an
    /// input problem of whoever built the job, which a caller may charge to the submission (e.g. an
    /// agent's `files`), as opposed to a failure of the sandbox.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            SandboxError::InvalidFile { .. } | SandboxError::InvalidProgram(_) | SandboxError::InvalidLimit { .. }
        )
    }
}
