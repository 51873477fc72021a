//! Resource limits applied to every candidate process.

use std::time::Duration;

use crate::SandboxError;

/// Per-execution limits. Every forked child gets its own copy as rlimits; the wall clock is enforced
/// by its supervisor (the fork server, which kills the whole PID namespace content) with a backstop
/// in Rust that kills the server itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds (RLIMIT_CPU soft; hard = soft + 1 s). Rounded up to whole seconds.
    pub cpu: Duration,
    /// Wall-clock deadline, measured from the fork.
    pub wall: Duration,
    /// Address-space bytes per process (RLIMIT_AS).
    pub memory_bytes: u64,
    /// Processes (threads included) of the candidate uid (RLIMIT_NPROC).
    pub processes: u64,
    /// Largest file the candidate may write, its captured stdout/stderr included (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Bytes of stdout and of stderr returned; more is truncated and flagged.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu: Duration::from_secs(10),
            wall: Duration::from_secs(10),
            memory_bytes: 512 << 20,
            processes: 64,
            file_size_bytes: 16 << 20,
            open_files: 64,
            output_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// Rejects values that would make the sandbox unusable or unsafe.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let bad = |field, reason| Err(SandboxError::InvalidLimit { field, reason });
        if self.wall.is_zero() {
            return bad("wall", "must be positive");
        }
        if self.cpu.is_zero() {
            return bad("cpu", "must be positive");
        }
        if self.memory_bytes < 32 << 20 {
            return bad("memory_bytes", "below 32 MiB an interpreter cannot start");
        }
        if self.processes == 0 {
            return bad("processes", "must be at least 1");
        }
        if self.open_files < 8 {
            return bad("open_files", "must be at least 8");
        }
        if self.output_bytes > 64 << 20 {
            return bad("output_bytes", "at most 64 MiB");
        }
        Ok(())
    }

    /// Whole CPU seconds, rounded up, at least one.
    pub(crate) fn cpu_seconds(&self) -> u64 {
        let whole = self.cpu.as_secs();
        let extra = u64::from(self.cpu.subsec_nanos() > 0);
        (whole + extra).max(1)
    }
}
