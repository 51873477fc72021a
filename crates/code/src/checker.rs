//! Warm trusted checker servers: one long-lived `python3 -I -S` per concurrent check that forks a child
//! per sample (a fresh interpreter costs ~100 ms of CPU here; a fork, ~1 ms). They run dataset code only,
//! on the host, outside the sandbox, with rlimits in each child and a deadline enforced by the server
//! (and by Rust as a backstop, which kills the server).

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::HarnessError;
use crate::channel::random_hex;

/// How long a server may take to start, or to bind a sample's socket.
const STARTUP: Duration = Duration::from_secs(20);
/// Largest frame a server may send (verdicts are capped well below).
const MAX_FRAME: usize = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame {
    #[serde(default)]
    ready: bool,
    #[serde(default)]
    listening: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    verdict: Option<serde_json::Value>,
}

/// How a check ended, as seen from Rust.
pub(crate) enum Ended {
    /// The check wrote its verdict.
    Verdict(serde_json::Value),
    /// The server killed the check at its deadline (or the check died); the server is still usable.
    Killed,
    /// The server itself did not answer by the deadline; it must be dropped (which kills it).
    Overran,
}

pub(crate) struct CheckerServer {
    child: Child,
    requests: ChildStdin,
    responses: ChildStdout,
    workdir: PathBuf,
}

impl CheckerServer {
    pub fn start(python: &Path, script: &str) -> Result<Self, HarnessError> {
        // A private, empty working directory (dataset tests that write files write them here).
        let workdir = std::env::temp_dir().join(format!("assay-checker-{}", random_hex(12)?));
        std::fs::DirBuilder::new().mode(0o700).create(&workdir)?;
        let spawned = Command::new(python)
            .args(["-I", "-S", "-c", script])
            .current_dir(&workdir)
            .env_clear()
            .env("LANG", "C.UTF-8")
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&workdir);
                return Err(HarnessError::Checker(format!("cannot start the checker: {error}")));
            }
        };
        let (Some(requests), Some(responses)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&workdir);
            return Err(HarnessError::Checker("checker started without pipes".into()));
        };
        let mut server = Self {
            child,
            requests,
            responses,
            workdir,
        };
        match server.read_frame(Instant::now() + STARTUP)? {
            Some(Frame { ready: true, .. }) => Ok(server),
            _ => Err(HarnessError::Checker("checker did not report ready".into())),
        }
    }

    /// False once the server has exited (it is then dropped rather than reused).
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends one sample's check; returns once its socket is listening.
    pub fn begin(&mut self, request: &serde_json::Value) -> Result<(), HarnessError> {
        let raw = request.to_string().into_bytes();
        let len = u32::try_from(raw.len()).map_err(|_| HarnessError::Checker("tests larger than 4 GiB".into()))?;
        self.requests.write_all(&len.to_le_bytes())?;
        self.requests.write_all(&raw)?;
        self.requests.flush()?;
        match self.read_frame(Instant::now() + STARTUP)? {
            Some(Frame { listening: true, .. }) => Ok(()),
            Some(Frame { error: Some(error), .. }) => Err(HarnessError::Checker(error)),
            _ => Err(HarnessError::Checker("checker did not start the check".into())),
        }
    }

    /// How the check in flight ended.
    pub fn finish(&mut self, deadline: Instant) -> Result<Ended, HarnessError> {
        match self.read_frame(deadline)? {
            Some(Frame {
                verdict: Some(verdict), ..
            }) => Ok(Ended::Verdict(verdict)),
            // The server could not fork the check (after it had already reported the socket listening).
            Some(Frame { error: Some(error), .. }) => Err(HarnessError::Checker(error)),
            Some(_) => Ok(Ended::Killed),
            None => Ok(Ended::Overran),
        }
    }

    /// One frame, or `None` if `deadline` passed first.
    fn read_frame(&mut self, deadline: Instant) -> Result<Option<Frame>, HarnessError> {
        let mut head = [0u8; 4];
        if !read_exact_by(&mut self.responses, &mut head, deadline)? {
            return Ok(None);
        }
        let len = u32::from_le_bytes(head) as usize;
        if len > MAX_FRAME {
            return Err(HarnessError::Checker(format!("oversized checker frame ({len} bytes)")));
        }
        let mut payload = vec![0u8; len];
        if !read_exact_by(&mut self.responses, &mut payload, deadline)? {
            return Ok(None);
        }
        serde_json::from_slice(&payload)
            .map(Some)
            .map_err(|error| HarnessError::Checker(format!("bad checker frame: {error}")))
    }
}

impl Drop for CheckerServer {
    fn drop(&mut self) {
        // Killing the server also kills a check in flight (its parent-death signal).
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// Fills `buffer`; `false` if `deadline` passed first.
fn read_exact_by(pipe: &mut ChildStdout, buffer: &mut [u8], deadline: Instant) -> Result<bool, HarnessError> {
    assay_sandbox::read_exact_before(pipe, buffer, deadline).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            HarnessError::Checker("checker server died".into())
        } else {
            HarnessError::Io(error)
        }
    })
}
