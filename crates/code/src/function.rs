//! Function tests (HumanEval style `check(candidate)`): the tests run in a trusted process, the candidate
//! in the sandbox, and only plain data crosses between them.
//!
//! Per sample: a warm trusted checker server (`python3 -I -S` on the host, see `checker.rs`) binds a Unix
//! socket with a random name in the channel directory and runs the check itself, given the tests and the
//! prefix, never the candidate's code. Meanwhile (without waiting for the socket) Rust runs one sandbox
//! job: the preloaded driver, handed the socket path and the candidate program (`Program::Preload`),
//! connects (retrying until the socket listens), loads the program and serves calls. The checker binds
//! the entry point to a proxy and runs `check(proxy)`; each call is encoded (copies of the arguments),
//! executed in the sandbox, and its plain-data result decoded and re-validated on the trusted side. The
//! verdict is the checker's: whether `check` returned normally.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use assay_sandbox::{Job, Limits, Outcome, Program, Status};
use serde::Deserialize;

use crate::checker::Ended;
use crate::harness::CHECKER_GRACE;
use crate::status::tail;
use crate::{Harness, HarnessError, TestStatus};

/// Bytes of stderr kept in verdicts.
pub(crate) const STDERR_TAIL: usize = 2000;

/// One function-test sample.
#[derive(Debug, Clone, Copy)]
pub struct FunctionCase<'a> {
    /// The candidate program (dataset prefix + completion): runs only in the sandbox.
    pub program: &'a str,
    /// Python defining `check(candidate)`: runs only in the trusted checker.
    pub tests: &'a str,
    /// Dataset code loaded in the checker before the tests (HumanEval's prompt defines helpers the tests use).
    pub prefix: Option<&'a str>,
    /// The function of the program that `candidate` stands for (also bound under this name for the tests).
    pub entry_point: &'a str,
    /// Files written into the candidate's working directory.
    pub files: &'a [(String, Vec<u8>)],
    /// Limits of the candidate's sandbox job (its wall limit bounds the whole check).
    pub limits: &'a Limits,
}

/// The result of one function check.
#[derive(Debug, Clone)]
pub struct FunctionVerdict {
    /// Passed only when `check` returned normally in the trusted process.
    pub status: TestStatus,
    /// Why it did not pass (assertion, candidate exception, protocol failure...).
    pub error: Option<String>,
    /// How the candidate's sandbox job ended (`passed` = the driver exited normally), if it ran.
    pub candidate_status: Option<&'static str>,
    /// Tail of the candidate's stderr.
    pub stderr_tail: String,
    /// Wall time of the whole check.
    pub elapsed: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckerVerdict {
    #[serde(default)]
    passed: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data_error: Option<String>,
}

/// Removes a path when dropped (the checker unlinks the socket itself once connected; this covers the
/// paths where it never did).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl Harness {
    /// Runs `check(candidate)` for one sample. `Err` only for failures that are not the candidate's
    /// (sandbox, checker, broken tests); everything the candidate can cause is a non-passing verdict.
    pub fn run_function(&self, case: &FunctionCase<'_>) -> Result<FunctionVerdict, HarnessError> {
        let slot = self.slot();
        let lane = slot.lane();
        let started = Instant::now();
        let socket_path = self.channel().new_socket_path()?;
        let _socket = RemoveOnDrop(socket_path.clone());
        let request = serde_json::json!({
            "socket": socket_path,
            "entry_point": case.entry_point,
            "prefix": case.prefix,
            "tests": case.tests,
            "timeout_s": (case.limits.wall + Duration::from_secs(1)).as_secs_f64(),
        });
        let mut checker = self.take_checker(lane)?;
        if checker.send(&request).is_err() {
            // An idle server may have died since it was last used: one retry on a fresh one.
            checker = self.take_checker(lane)?;
            checker.send(&request)?;
        }

        // The driver's payload (`_fields` in driver.py): the socket path and the entry point, each as u32 length
        // + UTF-8, then the program.
        let mut payload = Vec::with_capacity(64 + case.entry_point.len() + case.program.len());
        for text in [socket_path.as_os_str().as_bytes(), case.entry_point.as_bytes()] {
            payload.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_le_bytes());
            payload.extend_from_slice(text);
        }
        payload.extend_from_slice(case.program.as_bytes());
        let job = Job {
            program: Program::Preload(payload),
            stdin: Vec::new(),
            files: case.files.to_vec(),
            limits: case.limits.clone(),
        };
        let deadline = started + case.limits.wall + CHECKER_GRACE;
        let ran = self.pool().run_on_lane(lane, &job);
        // The checker's first answer has long been waiting: its socket listened (or it could not bind).
        checker.listening()?;
        // If the candidate never connected (its job failed before the driver ran), the check still waits
        // for it: connecting and hanging up ends that wait at once. Otherwise the socket is already gone.
        drop(UnixStream::connect(&socket_path));
        let outcome = match ran {
            Ok(outcome) => outcome,
            Err(error) => {
                if checker.finish(deadline).is_ok() {
                    self.give_back_checker(checker);
                }
                if !error.is_input_error() {
                    return Err(error.into());
                }
                return Ok(FunctionVerdict {
                    status: TestStatus::InvalidFiles,
                    error: Some(error.to_string()),
                    candidate_status: None,
                    stderr_tail: String::new(),
                    elapsed: started.elapsed(),
                });
            }
        };
        // No verdict (the check was stopped at its deadline, or overran it) is the check not finishing in
        // time, which a candidate can cause (e.g. by returning a huge count that the tests loop over).
        let ended = checker.finish(deadline)?;
        self.give_back_checker(checker);
        let verdict = match ended {
            Ended::Verdict(raw) => Some(
                serde_json::from_value::<CheckerVerdict>(raw)
                    .map_err(|error| HarnessError::Checker(format!("malformed verdict: {error}")))?,
            ),
            Ended::Unfinished => None,
        };
        judge(verdict, &outcome, started.elapsed())
    }
}

fn judge(
    verdict: Option<CheckerVerdict>,
    outcome: &Outcome,
    elapsed: Duration,
) -> Result<FunctionVerdict, HarnessError> {
    let candidate_failure = if outcome.status == Status::Passed {
        TestStatus::Failed
    } else {
        TestStatus::of_failed_run(outcome)
    };
    let (status, error) = match verdict {
        None => (
            TestStatus::Timeout,
            Some("the check did not finish before the deadline".to_owned()),
        ),
        Some(CheckerVerdict {
            data_error: Some(message),
            ..
        }) => return Err(HarnessError::Tests(message)),
        Some(CheckerVerdict { passed: true, .. }) => (TestStatus::Passed, None),
        Some(CheckerVerdict { error, .. }) => (candidate_failure, error),
    };
    Ok(FunctionVerdict {
        status,
        error,
        candidate_status: Some(outcome.status.as_str()),
        stderr_tail: tail(&outcome.stderr, STDERR_TAIL),
        elapsed,
    })
}
