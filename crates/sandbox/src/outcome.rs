//! What happened to one execution, and how that is classified.

use std::time::Duration;

/// How an execution ended. Only [`Status::Passed`] means the program finished normally; every other
/// status is a failure of the program except [`Status::SandboxError`], which is ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Exited with status 0.
    Passed,
    /// Exited with a non-zero status.
    Failed {
        /// The exit status.
        exit_code: i32,
    },
    /// Hit the wall-clock deadline or the CPU-time limit.
    Timeout,
    /// Ran out of memory (MemoryError, bad_alloc, ENOMEM evidence under the address-space limit).
    Memory,
    /// Killed by a signal (segfault, abort, file-size limit, ...).
    Crashed {
        /// The signal number.
        signal: i32,
    },
    /// The sandbox failed; never charged to the policy.
    SandboxError {
        /// What failed.
        message: String,
    },
}

impl Status {
    /// Stable lowercase name for reports: passed, failed, timeout, memory, crashed, sandbox_error.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed { .. } => "failed",
            Status::Timeout => "timeout",
            Status::Memory => "memory",
            Status::Crashed { .. } => "crashed",
            Status::SandboxError { .. } => "sandbox_error",
        }
    }
}

/// The result of one execution.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Captured stdout, at most `Limits::output_bytes`.
    pub stdout: Vec<u8>,
    /// Captured stderr, at most `Limits::output_bytes`.
    pub stderr: Vec<u8>,
    /// The program wrote more stdout than was kept.
    pub stdout_truncated: bool,
    /// The program wrote more stderr than was kept.
    pub stderr_truncated: bool,
    /// Wall time from fork to exit (or kill).
    pub wall: Duration,
    /// User + system CPU time of the program and its waited-for children.
    pub cpu: Duration,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
}

impl Outcome {
    /// An outcome for a sandbox failure, so callers can keep one result type per execution.
    pub fn sandbox_error(error: &crate::SandboxError) -> Self {
        Self {
            status: Status::SandboxError {
                message: error.to_string(),
            },
            stdout: Vec::new(),
            stderr: Vec::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
            max_rss_kib: 0,
        }
    }

    /// Stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Facts about how the process ended, as reported by its supervisor.
pub(crate) struct Ending<'a> {
    pub timed_out: bool,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub cpu: Duration,
    pub cpu_limit: Duration,
    pub stderr: &'a [u8],
}

/// Text that interpreters and runtimes print when an allocation fails under RLIMIT_AS.
const MEMORY_EVIDENCE: [&str; 4] = [
    "MemoryError",
    "std::bad_alloc",
    "Cannot allocate memory",
    "out of memory",
];

pub(crate) fn classify(ending: &Ending<'_>) -> Status {
    if ending.timed_out {
        return Status::Timeout;
    }
    let tail_start = ending.stderr.len().saturating_sub(4096);
    let tail = String::from_utf8_lossy(&ending.stderr[tail_start..]);
    let memory_evidence = MEMORY_EVIDENCE.iter().any(|needle| tail.contains(needle));
    if let Some(signal) = ending.signal {
        let cpu_exhausted = signal == libc::SIGXCPU || (signal == libc::SIGKILL && ending.cpu >= ending.cpu_limit);
        return if cpu_exhausted {
            Status::Timeout
        } else if memory_evidence {
            Status::Memory
        } else {
            Status::Crashed { signal }
        };
    }
    match ending.exit_code {
        Some(0) => Status::Passed,
        Some(_) if memory_evidence => Status::Memory,
        Some(exit_code) => Status::Failed { exit_code },
        None => Status::SandboxError {
            message: "process ended without exit status or signal".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(exit_code: Option<i32>, signal: Option<i32>, stderr: &[u8]) -> Ending<'_> {
        Ending {
            timed_out: false,
            exit_code,
            signal,
            cpu: Duration::from_millis(5),
            cpu_limit: Duration::from_secs(1),
            stderr,
        }
    }

    #[test]
    fn statuses_are_kept_apart() {
        assert_eq!(classify(&ending(Some(0), None, b"")), Status::Passed);
        assert_eq!(
            classify(&ending(Some(3), None, b"boom")),
            Status::Failed { exit_code: 3 }
        );
        assert_eq!(
            classify(&ending(Some(1), None, b"Traceback\nMemoryError\n")),
            Status::Memory
        );
        assert_eq!(
            classify(&ending(None, Some(libc::SIGSEGV), b"")),
            Status::Crashed { signal: libc::SIGSEGV }
        );
        assert_eq!(classify(&ending(None, Some(libc::SIGXCPU), b"")), Status::Timeout);
        let mut timed = ending(None, Some(libc::SIGKILL), b"");
        timed.timed_out = true;
        assert_eq!(classify(&timed), Status::Timeout);
    }
}
