//! Machine-level sandbox settings (per-execution limits live in [`crate::Limits`]).

use std::path::PathBuf;
use std::time::Duration;

/// How sandboxes are built on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The Python interpreter for the fork server; `None` asks `python3` on PATH for its real path.
    pub python: Option<PathBuf>,
    /// Extra host paths made visible read-only at the same path (e.g. a toolchain outside `/usr`).
    pub extra_ro_binds: Vec<PathBuf>,
    /// Host uid/gid that the sandbox's uid 0 maps to; candidates run as the next one (`base + 1`).
    /// Neither should be a real account on the host.
    pub host_uid_base: u32,
    /// Size of the writable tmpfs (`/box`: working directory, `/tmp`, captured output).
    pub box_bytes: u64,
    /// Size of the tmpfs holding captured stdout/stderr (each is also capped by the file-size limit).
    pub capture_bytes: u64,
    /// How long a fork server may take to start and report ready.
    pub startup_timeout: Duration,
    /// Extra time beyond a job's wall limit before the Rust side gives up on the server and kills it.
    pub supervision_grace: Duration,
    /// Trusted Python source that each fork server runs once at start, before any job, as the module
    /// `sandbox_preload` (jobs `import sandbox_preload`). Every child inherits it already loaded, so a
    /// harness's helper code (e.g. assay-code's call driver) costs nothing per job. It must only define
    /// things: it runs in the server, outside the per-job limits and seccomp filter.
    pub preload: Option<String>,
    /// Pins pool worker `i` (its fork server and every job it forks) to the `i`-th CPU this process may
    /// use, round-robin, so that a sample's hand-offs stay on one CPU (see `Pool::run_on_lane`). Applies
    /// only to pools with at least one worker per allowed CPU (the default size), so that smaller pools do
    /// not all crowd onto the first CPUs. Turn it off when other heavy work shares those CPUs and the
    /// scheduler should be free to move workers away from it.
    pub pin_workers: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            python: None,
            extra_ro_binds: Vec::new(),
            host_uid_base: 1_200_000_000,
            box_bytes: 256 << 20,
            capture_bytes: 40 << 20,
            startup_timeout: Duration::from_secs(20),
            supervision_grace: Duration::from_secs(5),
            preload: None,
            pin_workers: true,
        }
    }
}
