//! Warm trusted checker servers: one long-lived `python3 -I -S` per concurrent check that runs each
//! sample's check itself, without a fork (a fresh interpreter costs ~100 ms of CPU here; a fork with its
//! copy-on-write faults and exit, ~4 ms; see `python/checker.py` for why no fork is needed). They run
//! dataset code only, on the host, outside the sandbox, with rlimits, a per-check CPU limit and a deadline
//! enforced by the server (and by Rust as a backstop, which kills the server). A server that asks to retire
//! (after a timeout, a leak or its check quota) is dropped and a fresh one starts on demand.

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
    #[serde(default)]
    retire: bool,
}

/// How a check ended, as seen from Rust.
pub(crate) enum Ended {
    /// The check wrote its verdict.
    Verdict(serde_json::Value),
    /// The check did not finish: stopped at its deadline, overran the backstop deadline, or ended the
    /// server's process (e.g. at the CPU limit). No verdict.
    Unfinished,
}

pub(crate) struct CheckerServer {
    child: Child,
    requests: ChildStdin,
    responses: ChildStdout,
    workdir: PathBuf,
    reusable: bool,
    /// The sandbox pool lane whose CPU this server is pinned to (`None`: not pinned).
    lane: Option<usize>,
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
            reusable: true,
            lane: None,
        };
        match server.read_frame(Instant::now() + STARTUP)? {
            Read::Frame(Frame { ready: true, .. }) => Ok(server),
            _ => Err(HarnessError::Checker("checker did not report ready".into())),
        }
    }

    /// The lane this server is pinned to.
    pub fn lane(&self) -> Option<usize> {
        self.lane
    }

    /// Moves the server to lane `lane`'s CPU (`cpu`; `None` when the pool does not pin lanes).
    pub fn pin(&mut self, lane: usize, cpu: Option<usize>) {
        if let Some(cpu) = cpu
            && assay_sandbox::pin_process(self.child.id(), cpu)
        {
            self.lane = Some(lane);
        }
    }

    /// False once the server has exited or asked to retire (it is then dropped rather than reused).
    pub fn is_alive(&mut self) -> bool {
        self.reusable && matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends one sample's check without waiting for its socket: the sandbox job starts meanwhile (its
    /// driver retries connecting until the socket listens), so the checker and the sandbox child get
    /// ready in parallel. Read the answer with [`CheckerServer::listening`].
    pub fn send(&mut self, request: &serde_json::Value) -> Result<(), HarnessError> {
        let raw = request.to_string().into_bytes();
        let len = u32::try_from(raw.len()).map_err(|_| HarnessError::Checker("tests larger than 4 GiB".into()))?;
        self.requests.write_all(&len.to_le_bytes())?;
        self.requests.write_all(&raw)?;
        self.requests.flush()?;
        Ok(())
    }

    /// Whether the check sent last got its socket listening (`Err`: it could not, or the server died).
    pub fn listening(&mut self) -> Result<(), HarnessError> {
        let answer = self.read_frame(Instant::now() + STARTUP);
        if !matches!(answer, Ok(Read::Frame(Frame { listening: true, .. }))) {
            self.reusable = false;
        }
        match answer? {
            Read::Frame(Frame { listening: true, .. }) => Ok(()),
            Read::Frame(Frame { error: Some(error), .. }) => Err(HarnessError::Checker(error)),
            Read::Closed => Err(HarnessError::Checker("checker server died".into())),
            _ => Err(HarnessError::Checker("checker did not start the check".into())),
        }
    }

    /// How the check in flight ended. A server that dies during a check ended it (dataset code run on
    /// the candidate's answers hit a limit): that is the check not finishing, like a timeout.
    pub fn finish(&mut self, deadline: Instant) -> Result<Ended, HarnessError> {
        let frame = match self.read_frame(deadline) {
            Ok(Read::Frame(frame)) => frame,
            Ok(Read::Late | Read::Closed) => {
                self.reusable = false;
                return Ok(Ended::Unfinished);
            }
            Err(error) => {
                self.reusable = false;
                return Err(error);
            }
        };
        self.reusable &= !frame.retire;
        match frame {
            Frame {
                verdict: Some(verdict), ..
            } => Ok(Ended::Verdict(verdict)),
            Frame { error: Some(error), .. } => {
                self.reusable = false;
                Err(HarnessError::Checker(error))
            }
            _ => Ok(Ended::Unfinished),
        }
    }

    /// One frame, unless `deadline` passes or the server closes its pipe first.
    fn read_frame(&mut self, deadline: Instant) -> Result<Read, HarnessError> {
        let mut head = [0u8; 4];
        if let Some(stopped) = read_exact_by(&mut self.responses, &mut head, deadline)?.stopped() {
            return Ok(stopped);
        }
        let len = u32::from_le_bytes(head) as usize;
        if len > MAX_FRAME {
            return Err(HarnessError::Checker(format!("oversized checker frame ({len} bytes)")));
        }
        let mut payload = vec![0u8; len];
        if let Some(stopped) = read_exact_by(&mut self.responses, &mut payload, deadline)?.stopped() {
            return Ok(stopped);
        }
        serde_json::from_slice(&payload)
            .map(Read::Frame)
            .map_err(|error| HarnessError::Checker(format!("bad checker frame: {error}")))
    }
}

/// What reading from a checker server gave.
enum Read<T = Frame> {
    Frame(T),
    /// The deadline passed first.
    Late,
    /// The server closed its pipe (it exited).
    Closed,
}

impl Read<()> {
    /// Why a read stopped short (`None`: the buffer was filled), for any frame type.
    fn stopped<T>(self) -> Option<Read<T>> {
        match self {
            Read::Frame(()) => None,
            Read::Late => Some(Read::Late),
            Read::Closed => Some(Read::Closed),
        }
    }
}

impl Drop for CheckerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// Fills `buffer` (`Read::Frame(())`) unless the deadline passes or the pipe closes first.
fn read_exact_by(pipe: &mut ChildStdout, buffer: &mut [u8], deadline: Instant) -> Result<Read<()>, HarnessError> {
    match assay_sandbox::read_exact_before(pipe, buffer, deadline) {
        Ok(true) => Ok(Read::Frame(())),
        Ok(false) => Ok(Read::Late),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(Read::Closed),
        Err(error) => Err(HarnessError::Io(error)),
    }
}
