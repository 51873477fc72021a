//! One sandboxed fork server: start, run jobs one at a time, kill.

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::pipe2;

use crate::outcome::{Ending, classify};
use crate::protocol::{read_exact_by, read_ready, read_response, send_bootstrap_frames, send_job};
use crate::sandbox::Prepared;
use crate::{FetchFiles, FetchedFiles, Job, Outcome, SandboxError};

/// The fork-server script, trusted code shipped with the crate; sent to the bootstrap on its stdin.
const SERVER_SCRIPT: &str = include_str!("server.py");
/// The `-c` script of every server: compiles the server and the preload in a throwaway child, then runs them.
const BOOTSTRAP_SCRIPT: &str = include_str!("bootstrap.py");
/// The server's native parts (per-job loop, child setup), compiled from `forkloop.c` and `childsetup.c` by build.rs.
const NATIVE_LOOP: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/forkloop.so"));

pub(crate) struct Worker {
    child: Child,
    requests: Option<ChildStdin>,
    responses: ChildStdout,
    diagnostics: File,
    healthy: bool,
    lane: usize,
}

impl Worker {
    /// Starts the server of pool lane `lane`, pinned with every job it forks to `cpu` when given.
    pub fn start(prepared: &Arc<Prepared>, lane: usize, cpu: Option<usize>) -> Result<Self, SandboxError> {
        let (diag_read, diag_write): (OwnedFd, OwnedFd) = pipe2(OFlag::O_CLOEXEC).map_err(std::io::Error::from)?;
        let mut command = Command::new(&prepared.interpreter.executable);
        command
            .args(["-I", "-S", "-c", BOOTSTRAP_SCRIPT])
            .args(&prepared.filters)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            // Every symbol resolved once in the server: with lazy binding each forked job resolved (and
            // copy-on-write faulted the GOT pages of) the libc/libpython functions it was first to call.
            // The server replaces its environment with the children's at start-up, so neither the candidate
            // nor an exec'd program sees this.
            .env("LD_BIND_NOW", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(diag_write));
        let plan = Arc::clone(prepared);
        let pin = cpu.and_then(crate::affinity::single);
        // SAFETY: the hook runs between fork and exec; `sched_setaffinity` and `launch::enter` only make
        // async-signal-safe system calls on data (the CPU set, the plan) fully built before the fork.
        unsafe {
            command.pre_exec(move || {
                if let Some(set) = &pin {
                    // Best effort: an unpinned server still works.
                    let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), set);
                }
                crate::launch::enter(&plan.plan)
            });
        }
        let spawned = command.spawn();
        drop(command);
        let mut diagnostics = File::from(diag_read);
        let mut child = match spawned {
            Ok(child) => child,
            Err(source) => {
                let mut text = String::new();
                let _ = diagnostics.read_to_string(&mut text);
                return Err(SandboxError::Spawn {
                    source,
                    diagnostics: text.trim().to_owned(),
                });
            }
        };
        let _ = fcntl(&diagnostics, FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
        let (Some(mut requests), Some(responses)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SandboxError::Server("missing stdio pipes".into()));
        };
        let preload = prepared.config.preload.as_deref().unwrap_or("");
        let sources = send_bootstrap_frames(
            &mut requests,
            &[SERVER_SCRIPT.as_bytes(), preload.as_bytes(), NATIVE_LOOP],
        );
        let mut worker = Self {
            child,
            requests: Some(requests),
            responses,
            diagnostics,
            healthy: true,
            lane,
        };
        if let Err(error) = sources {
            return Err(worker.failure(SandboxError::Server(format!(
                "cannot send the server its code: {error}"
            ))));
        }
        let deadline = Instant::now() + prepared.config.startup_timeout;
        match read_ready(&mut worker.responses, deadline) {
            Ok(ready) if ready.ready && ready.pid == 1 => Ok(worker),
            Ok(ready) => Err(SandboxError::Server(format!(
                "server not PID 1 of its namespace: {ready:?}"
            ))),
            Err(error) => Err(worker.failure(error)),
        }
    }

    pub fn lane(&self) -> usize {
        self.lane
    }

    pub fn is_healthy(&self) -> bool {
        self.healthy
    }

    /// Adds what the server printed to stderr (tracebacks, setup diagnostics) to `error`.
    fn failure(&mut self, error: SandboxError) -> SandboxError {
        self.healthy = false;
        let mut buffer = vec![0u8; 8192];
        let n = self.diagnostics.read(&mut buffer).unwrap_or(0);
        if n == 0 {
            return error;
        }
        SandboxError::Server(format!(
            "{error}; server stderr: {}",
            String::from_utf8_lossy(&buffer[..n]).trim()
        ))
    }

    pub fn execute(&mut self, job: &Job, grace: Duration) -> Result<Outcome, SandboxError> {
        self.execute_fetching(job, &FetchFiles::default(), grace)
            .map(|(outcome, _)| outcome)
    }

    /// Runs `job`, then reads `fetch` back from its working directory.
    pub fn execute_fetching(
        &mut self,
        job: &Job,
        fetch: &FetchFiles,
        grace: Duration,
    ) -> Result<(Outcome, FetchedFiles), SandboxError> {
        let Some(requests) = self.requests.as_mut() else {
            return Err(self.failure(SandboxError::Server("request pipe already closed".into())));
        };
        if let Err(error) = send_job(requests, job, fetch) {
            return Err(self.failure(error));
        }
        let deadline = Instant::now() + job.limits.wall + grace;
        let response = match read_response(&mut self.responses, deadline) {
            Ok(response) => response,
            Err(error) => return Err(self.failure(error)),
        };
        if response.fatal {
            self.healthy = false;
        }
        let cap = job.limits.output_bytes;
        if response.stdout_len > cap || response.stderr_len > cap {
            return Err(self.failure(SandboxError::Server("output beyond the cap".into())));
        }
        let mut stdout = vec![0u8; response.stdout_len];
        let mut stderr = vec![0u8; response.stderr_len];
        for buffer in [&mut stdout, &mut stderr] {
            if let Err(error) = read_exact_by(&mut self.responses, buffer, deadline) {
                return Err(self.failure(error));
            }
        }
        let fetched = match self.read_fetched(&response.fetched, fetch, deadline) {
            Ok(fetched) => fetched,
            Err(error) => return Err(self.failure(error)),
        };
        if let Some(message) = response.setup_error {
            return Err(SandboxError::ChildSetup(message));
        }
        let cpu = Duration::from_secs_f64(response.cpu_ms.max(0.0) / 1000.0);
        let status = classify(&Ending {
            timed_out: response.timed_out,
            exit_code: response.exit_code,
            signal: response.signal,
            cpu,
            cpu_limit: Duration::from_secs(job.limits.cpu_seconds()),
            stderr: &stderr,
        });
        let outcome = Outcome {
            status,
            stdout_truncated: response.stdout_total > response.stdout_len as u64,
            stderr_truncated: response.stderr_total > response.stderr_len as u64,
            stdout,
            stderr,
            wall: Duration::from_secs_f64(response.wall_ms.max(0.0) / 1000.0),
            cpu,
            max_rss_kib: response.maxrss_kb,
        };
        Ok((outcome, fetched))
    }

    /// The bytes of the fetched files, which follow stderr; the server may only send files that were asked for,
    /// within the byte budget.
    fn read_fetched(
        &mut self,
        listed: &[(usize, usize)],
        fetch: &FetchFiles,
        deadline: Instant,
    ) -> Result<FetchedFiles, SandboxError> {
        let total = listed.iter().map(|(_, len)| *len).fold(0usize, usize::saturating_add);
        if total > fetch.max_bytes || listed.iter().any(|(index, _)| *index >= fetch.paths.len()) {
            return Err(SandboxError::Server(
                "fetched files beyond the request or its byte budget".into(),
            ));
        }
        let mut files = Vec::with_capacity(listed.len());
        for (index, len) in listed {
            let mut content = vec![0u8; *len];
            read_exact_by(&mut self.responses, &mut content, deadline)?;
            files.push((fetch.paths[*index].clone(), content));
        }
        Ok(files)
    }
}

/// How long a server gets to exit by itself once its request pipe is closed.
const GRACEFUL_EXIT: Duration = Duration::from_millis(100);

impl Drop for Worker {
    fn drop(&mut self) {
        // An idle server exits on end-of-input and P1 reaps it, leaving no zombie behind. A server that
        // does not exit in time is killed through P1: P2's parent-death signal fires, and the death of
        // a PID namespace's init kills everything inside it.
        drop(self.requests.take());
        let deadline = Instant::now() + GRACEFUL_EXIT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_micros(200)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
