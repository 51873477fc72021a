//! Process isolation for untrusted code, and a warm pool of sandboxed fork servers.
//!
//! Every execution runs in new user, PID, mount, network, IPC and UTS namespaces, as an unprivileged
//! uid, in a pivoted root that shows only the toolchain (read-only) and a fresh working directory,
//! with rlimits, a seccomp filter and a wall-clock deadline that kills every process of the run.
//! See `README.md` in this crate for the threat model, statuses and measured throughput.
//!
//! ```no_run
//! use assay_sandbox::{Job, Pool, Sandbox, SandboxConfig, Status};
//! let pool = Pool::new(Sandbox::new(SandboxConfig::default())?, None)?;
//! let outcome = pool.run(&Job::python("print(input()[::-1])").with_stdin("abc\n"))?;
//! assert_eq!(outcome.status, Status::Passed);
//! assert_eq!(outcome.stdout, b"cba\n");
//! # Ok::<(), assay_sandbox::SandboxError>(())
//! ```

// Namespaces, mounts, fork and uid maps have no safe wrappers usable between fork and exec (they
// must not allocate there); all unsafe code is in `launch` (plus the `pre_exec` registration), each
// block with a SAFETY comment.
#![allow(unsafe_code)]

mod affinity;
mod config;
mod error;
mod fetch;
mod filter;
mod job;
mod launch;
mod layout;
mod limits;
mod outcome;
mod pool;
mod protocol;
mod sandbox;
mod worker;

pub use affinity::pin_process;
pub use config::SandboxConfig;
pub use error::SandboxError;
pub use fetch::{FetchFiles, FetchedFiles};
pub use job::{Job, Program};
pub use limits::Limits;
pub use outcome::{Outcome, Status};
pub use pool::Pool;
pub use protocol::read_exact_before;
pub use sandbox::Sandbox;
