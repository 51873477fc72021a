//! Length-prefixed frames between Rust and the fork server (see the header of `server.py`).

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Instant;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde::Deserialize;

use crate::job::{frame_len, push_text};
use crate::{FetchFiles, Job, SandboxError};

/// What the server reports about one execution (binary, packed by `supervise` in `forkloop.c`).
#[derive(Debug, Default)]
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
    /// Files read back after the run (index into the requested paths, length); their bytes follow stderr,
    /// in this order.
    pub fetched: Vec<(usize, usize)>,
}

/// Size of the fixed part of a response: `<ddQBiiBQQQQII`.
const RESPONSE_FIXED: usize = 8 + 8 + 8 + 1 + 4 + 4 + 1 + 4 * 8 + 4 + 4;
/// Size of one fetched-file entry: `<IQ`.
const FETCHED_ENTRY: usize = 4 + 8;

impl Response {
    fn parse(frame: &[u8]) -> Result<Self, SandboxError> {
        let mut fields = Fields { frame, at: 0 };
        if frame.len() < RESPONSE_FIXED {
            return Err(fields.malformed());
        }
        let wall_ms = f64::from_le_bytes(fields.take());
        let cpu_ms = f64::from_le_bytes(fields.take());
        let maxrss_kb = u64::from_le_bytes(fields.take());
        let timed_out = fields.take::<1>()[0] != 0;
        let exit_code = Some(i32::from_le_bytes(fields.take())).filter(|code| *code >= 0);
        let signal = Some(i32::from_le_bytes(fields.take())).filter(|signal| *signal != 0);
        let fatal = fields.take::<1>()[0] != 0;
        let mut size = || usize::try_from(u64::from_le_bytes(fields.take())).unwrap_or(usize::MAX);
        let (stdout_len, stdout_total, stderr_len, stderr_total) = (size(), size() as u64, size(), size() as u64);
        let error_len = u32::from_le_bytes(fields.take()) as usize;
        let fetched_count = u32::from_le_bytes(fields.take()) as usize;
        let expected = RESPONSE_FIXED
            .saturating_add(error_len)
            .saturating_add(fetched_count.saturating_mul(FETCHED_ENTRY));
        if frame.len() != expected {
            return Err(fields.malformed());
        }
        let error = &frame[RESPONSE_FIXED..RESPONSE_FIXED + error_len];
        fields.at = RESPONSE_FIXED + error_len;
        let fetched = (0..fetched_count)
            .map(|_| {
                let index = u32::from_le_bytes(fields.take()) as usize;
                let len = usize::try_from(u64::from_le_bytes(fields.take())).unwrap_or(usize::MAX);
                (index, len)
            })
            .collect();
        Ok(Self {
            wall_ms,
            cpu_ms,
            maxrss_kb,
            timed_out,
            exit_code,
            signal,
            setup_error: (!error.is_empty()).then(|| String::from_utf8_lossy(error).into_owned()),
            fatal,
            stdout_len,
            stdout_total,
            stderr_len,
            stderr_total,
            fetched,
        })
    }
}

/// Reads fixed-size little-endian fields in order; the caller has checked the frame's length.
struct Fields<'a> {
    frame: &'a [u8],
    at: usize,
}

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(&self.frame[self.at..self.at + N]);
        self.at += N;
        bytes
    }

    fn malformed(&self) -> SandboxError {
        SandboxError::Server(format!("malformed response frame of {} bytes", self.frame.len()))
    }
}

/// The server's first frame.
#[derive(Debug, Deserialize)]
pub(crate) struct Ready {
    pub ready: bool,
    pub pid: i64,
}

/// Writes the bootstrap's frames (`bootstrap.py`): each as a u32 length and its bytes (the server's and the
/// preload's UTF-8 source, the native loop's shared object).
pub(crate) fn send_bootstrap_frames(pipe: &mut impl Write, sources: &[&[u8]]) -> std::io::Result<()> {
    let mut frames = Vec::with_capacity(sources.iter().map(|source| 4 + source.len()).sum());
    for source in sources {
        if u32::try_from(source.len()).is_err() {
            return Err(std::io::Error::other("bootstrap frame beyond 4 GiB"));
        }
        push_text(&mut frames, source);
    }
    pipe.write_all(&frames)
}

/// Writes the header frame (binary, `read_header` in `forkloop.c`) and the body of `job`.
pub(crate) fn send_job(pipe: &mut impl Write, job: &Job, fetch: &FetchFiles) -> Result<(), SandboxError> {
    let body = job.encode_body();
    let limits = &job.limits;
    let numbers = [
        body.len() as u64,
        limits.wall.as_millis() as u64,
        limits.cpu_seconds(),
        limits.memory_bytes,
        limits.processes,
        limits.file_size_bytes,
        limits.open_files,
        limits.output_bytes as u64,
        fetch.max_bytes as u64,
    ];
    let mut header = Vec::with_capacity(9 * 8 + 4 + fetch.paths.iter().map(|path| 4 + path.len()).sum::<usize>());
    for number in numbers {
        header.extend_from_slice(&number.to_le_bytes());
    }
    header.extend_from_slice(&frame_len(fetch.paths.len()).to_le_bytes());
    for path in &fetch.paths {
        push_text(&mut header, path.as_bytes());
    }
    let mut frame = Vec::with_capacity(4 + header.len());
    frame.extend_from_slice(&frame_len(header.len()).to_le_bytes());
    frame.extend_from_slice(&header);
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

/// Reads one frame's payload.
fn read_payload<R: Read + AsFd>(pipe: &mut R, deadline: Instant) -> Result<Vec<u8>, SandboxError> {
    let mut head = [0u8; 4];
    read_exact_by(pipe, &mut head, deadline)?;
    let len = u32::from_le_bytes(head) as usize;
    if len > 1 << 20 {
        return Err(SandboxError::Server(format!("oversized frame of {len} bytes")));
    }
    let mut payload = vec![0u8; len];
    read_exact_by(pipe, &mut payload, deadline)?;
    Ok(payload)
}

/// Reads the server's JSON ready frame.
pub(crate) fn read_ready<R: Read + AsFd>(pipe: &mut R, deadline: Instant) -> Result<Ready, SandboxError> {
    let payload = read_payload(pipe, deadline)?;
    serde_json::from_slice(&payload).map_err(|e| SandboxError::Server(format!("bad ready frame: {e}")))
}

/// Reads one response frame (without the output and file bytes that follow it).
pub(crate) fn read_response<R: Read + AsFd>(pipe: &mut R, deadline: Instant) -> Result<Response, SandboxError> {
    Response::parse(&read_payload(pipe, deadline)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response as `forkloop.c` packs it (`<ddQBiiBQQQQII`, error text, `<IQ` per fetched file).
    fn frame(exit_code: i32, signal: i32, error: &[u8], fetched: &[(u32, u64)]) -> Vec<u8> {
        let mut frame = Vec::new();
        frame.extend_from_slice(&12.5f64.to_le_bytes());
        frame.extend_from_slice(&3.25f64.to_le_bytes());
        frame.extend_from_slice(&4096u64.to_le_bytes());
        frame.push(1);
        frame.extend_from_slice(&exit_code.to_le_bytes());
        frame.extend_from_slice(&signal.to_le_bytes());
        frame.push(0);
        for size in [5u64, 7, 0, 9] {
            frame.extend_from_slice(&size.to_le_bytes());
        }
        frame.extend_from_slice(&(error.len() as u32).to_le_bytes());
        frame.extend_from_slice(&(fetched.len() as u32).to_le_bytes());
        frame.extend_from_slice(error);
        for (index, len) in fetched {
            frame.extend_from_slice(&index.to_le_bytes());
            frame.extend_from_slice(&len.to_le_bytes());
        }
        frame
    }

    #[test]
    fn a_response_frame_parses_field_by_field() {
        let response = Response::parse(&frame(-1, 9, b"setup failed", &[(1, 30)])).unwrap();
        assert_eq!(
            (response.wall_ms, response.cpu_ms, response.maxrss_kb),
            (12.5, 3.25, 4096)
        );
        assert!(response.timed_out && !response.fatal);
        assert_eq!((response.exit_code, response.signal), (None, Some(9)));
        assert_eq!((response.stdout_len, response.stdout_total), (5, 7));
        assert_eq!((response.stderr_len, response.stderr_total), (0, 9));
        assert_eq!(response.setup_error.as_deref(), Some("setup failed"));
        assert_eq!(response.fetched, vec![(1, 30)]);
        let clean = Response::parse(&frame(0, 0, b"", &[])).unwrap();
        assert_eq!(
            (clean.exit_code, clean.signal, clean.setup_error),
            (Some(0), None, None)
        );
    }

    #[test]
    fn a_response_frame_of_the_wrong_length_is_refused() {
        let good = frame(0, 0, b"x", &[(0, 1)]);
        for bad in [&good[..good.len() - 1], &good[..10], &[good.as_slice(), &[0]].concat()] {
            assert!(matches!(Response::parse(bad), Err(SandboxError::Server(_))), "{bad:?}");
        }
    }
}
