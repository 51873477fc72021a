//! Length-prefixed frames between Rust and the fork server (see the header of `server.py`).

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Instant;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde::Deserialize;

use crate::job::frame_len;
use crate::{FetchFiles, Job, SandboxError};

/// What the server reports about one execution.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Response {
    pub wall_ms: f64,
    pub cpu_ms: f64,
    pub maxrss_kb: u64,
    pub timed_out: bool,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub setup_error: Option<String>,
    pub fatal: bool,
    pub stdout_len: usize,
    pub stdout_total: u64,
    pub stderr_len: usize,
    pub stderr_total: u64,
    /// Files read back after the run (path, length); their bytes follow stderr, in this order.
    pub fetched: Vec<(String, usize)>,
}

/// The server's first frame.
#[derive(Debug, Deserialize)]
pub(crate) struct Ready {
    pub ready: bool,
    pub pid: i64,
}

/// Writes the header frame and the body of `job`.
pub(crate) fn send_job(pipe: &mut impl Write, job: &Job, fetch: &FetchFiles) -> Result<(), SandboxError> {
    let body = job.encode_body();
    let limits = &job.limits;
    let header = serde_json::json!({
        "body_len": body.len(),
        "wall_ms": limits.wall.as_millis() as u64,
        "cpu_s": limits.cpu_seconds(),
        "memory": limits.memory_bytes,
        "nproc": limits.processes,
        "fsize": limits.file_size_bytes,
        "nofile": limits.open_files,
        "output": limits.output_bytes,
        "fetch": fetch.paths,
        "fetch_bytes": fetch.max_bytes,
    })
    .to_string();
    let mut frame = Vec::with_capacity(4 + header.len());
    frame.extend_from_slice(&frame_len(header.len()).to_le_bytes());
    frame.extend_from_slice(header.as_bytes());
    pipe.write_all(&frame)?;
    pipe.write_all(&body)?;
    pipe.flush()?;
    Ok(())
}

/// Fills `buffer` from `pipe` unless `deadline` passes first (`Ok(false)`). A pipe closed before the buffer is
/// full is an `UnexpectedEof` error. Shared with the code harness, which supervises its checker the same way.
pub fn read_exact_before<R: Read + AsFd>(pipe: &mut R, buffer: &mut [u8], deadline: Instant) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
        let n = pipe.read(&mut buffer[filled..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
    }
    Ok(true)
}

/// Fills `buffer` from `pipe`, failing once `deadline` passes.
pub(crate) fn read_exact_by<R: Read + AsFd>(
    pipe: &mut R,
    buffer: &mut [u8],
    deadline: Instant,
) -> Result<(), SandboxError> {
    match read_exact_before(pipe, buffer, deadline) {
        Ok(true) => Ok(()),
        Ok(false) => Err(SandboxError::Server("no answer before the supervision deadline".into())),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(SandboxError::Server("fork server closed its pipe (died)".into()))
        }
        Err(e) => Err(SandboxError::Io(e)),
    }
}

/// Reads one JSON frame.
pub(crate) fn read_frame<R: Read + AsFd, T: for<'de> Deserialize<'de>>(
    pipe: &mut R,
    deadline: Instant,
) -> Result<T, SandboxError> {
    let mut head = [0u8; 4];
    read_exact_by(pipe, &mut head, deadline)?;
    let len = u32::from_le_bytes(head) as usize;
    if len > 1 << 20 {
        return Err(SandboxError::Server(format!("oversized frame of {len} bytes")));
    }
    let mut payload = vec![0u8; len];
    read_exact_by(pipe, &mut payload, deadline)?;
    serde_json::from_slice(&payload).map_err(|e| SandboxError::Server(format!("bad frame: {e}")))
}
