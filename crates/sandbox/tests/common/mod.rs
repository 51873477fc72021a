//! Shared helpers for the sandbox integration tests.
#![allow(dead_code)]

use std::time::Duration;

use assay_sandbox::{Job, Limits, Pool, Sandbox, SandboxConfig};

/// Namespaces need root; CI runs as root. Fail loudly (never skip) elsewhere.
pub fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default())
}

pub fn sandbox_with(config: SandboxConfig) -> Sandbox {
    let euid = nix::unistd::geteuid().as_raw();
    assert_eq!(
        euid, 0,
        "assay-sandbox tests must run as root (namespaces + uid maps); euid is {euid}"
    );
    Sandbox::new(config).expect("sandbox setup")
}

/// A two-server pool. Each test owns its pool and drops it, so every server is reaped before the
/// test binary exits (a pool in a static would leave its launcher processes to the host's init).
pub fn pool() -> Pool {
    Pool::new(sandbox(), Some(2)).expect("pool starts")
}

/// A short CPU limit; the wall clock stays generous because the 2-core CI box is shared and a busy
/// machine must not turn a normal program into a timeout. Tests about timeouts use [`deadline_limits`].
pub fn quick_limits() -> Limits {
    Limits {
        cpu: Duration::from_secs(2),
        wall: Duration::from_secs(10),
        ..Limits::default()
    }
}

/// Limits for programs that are meant to hit the wall clock: a 2 s deadline.
pub fn deadline_limits() -> Limits {
    Limits {
        wall: Duration::from_secs(2),
        ..quick_limits()
    }
}

pub fn python(source: &str) -> Job {
    Job::python(source).with_limits(quick_limits())
}

/// The pool still answers a trivial program correctly.
pub fn assert_pool_healthy(pool: &Pool) {
    let outcome = pool.run(&python("print(6 * 7)")).expect("pool keeps serving");
    assert_eq!(
        outcome.status,
        assay_sandbox::Status::Passed,
        "stderr: {}",
        outcome.stderr_text()
    );
    assert_eq!(outcome.stdout, b"42\n");
}

/// Host pids of the fork servers of a pool whose sandbox uid 0 maps to `host_uid`.
pub fn servers_with_host_uid(host_uid: u32) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let uid = status
            .lines()
            .find(|line| line.starts_with("Uid:"))
            .and_then(|line| line.split_whitespace().nth(1));
        if uid == Some(host_uid.to_string().as_str()) {
            pids.push(pid);
        }
    }
    pids
}
