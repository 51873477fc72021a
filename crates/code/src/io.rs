//! Stdin/stdout tests: each test runs the program in the sandbox with its input; the output is compared
//! outside. C and C++ are compiled once per sample, inside the sandbox too.

use std::time::{Duration, Instant};

use assay_sandbox::{Job, Limits, Outcome, Status};

use crate::function::STDERR_TAIL;
use crate::status::tail;
use crate::{Comparison, Harness, HarnessError, TestStatus};

/// A language of I/O programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Python 3 (the sandbox's interpreter, run from the warm fork server).
    Python,
    /// C (gcc, `-O2 -std=gnu17 -lm`).
    C,
    /// C++ (g++, `-O2 -std=gnu++17`).
    Cpp,
}

impl Language {
    /// Parses `python`, `c`, `cpp`/`c++`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "python" | "python3" | "py" => Some(Self::Python),
            "c" => Some(Self::C),
            "cpp" | "c++" | "cxx" => Some(Self::Cpp),
            _ => None,
        }
    }
}

/// One stdin → expected stdout test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoTest {
    /// Given on stdin.
    pub input: String,
    /// Expected on stdout.
    pub output: String,
}

/// One I/O sample.
#[derive(Debug, Clone, Copy)]
pub struct IoCase<'a> {
    /// The candidate's source.
    pub program: &'a str,
    /// Its language.
    pub language: Language,
    /// The tests.
    pub tests: &'a [IoTest],
    /// Files written into the working directory of every run.
    pub files: &'a [(String, Vec<u8>)],
    /// How outputs are compared.
    pub comparison: Comparison,
    /// Limits of each run (and of the compile step's CPU and memory).
    pub limits: &'a Limits,
}

/// The result of one I/O test.
#[derive(Debug, Clone)]
pub struct IoTestResult {
    /// How the test ended.
    pub status: TestStatus,
    /// Wall time of the run.
    pub time: Duration,
    /// Tail of stderr (the compiler's for a compile error).
    pub stderr_tail: String,
}

/// Where the compiled binary lives inside the sandbox.
const BINARY: &str = "/box/work/prog";
/// The compiler's output (a binary) comes back on stdout; this bounds it.
const MAX_BINARY: usize = 32 << 20;
/// Compilers need more address space than typical programs.
const COMPILE_MEMORY: u64 = 2 << 30;
const COMPILE_TIME: Duration = Duration::from_secs(20);

impl Harness {
    /// Runs every test of `case`. `Err` only for sandbox failures (never the candidate's fault).
    pub fn run_io(&self, case: &IoCase<'_>) -> Result<Vec<IoTestResult>, HarnessError> {
        let slot = self.slot();
        let job_for_test: Box<dyn Fn(&IoTest) -> Job> = match case.language {
            Language::Python => Box::new(|test: &IoTest| {
                with_files(Job::python(case.program), case.files)
                    .with_stdin(test.input.as_bytes())
                    .with_limits(case.limits.clone())
            }),
            Language::C | Language::Cpp => {
                let binary = match self.compile(case, slot.lane())? {
                    Ok(binary) => binary,
                    Err(failure) => return Ok(vec![failure; case.tests.len()]),
                };
                Box::new(move |test: &IoTest| {
                    // The sandbox writes files without the execute bit; the candidate's uid owns them.
                    let run = format!("chmod 700 {BINARY} && exec {BINARY}");
                    with_files(Job::exec(["/bin/sh", "-c", &run]), case.files)
                        .with_file("prog", binary.clone())
                        .with_stdin(test.input.as_bytes())
                        .with_limits(case.limits.clone())
                })
            }
        };
        let mut results = Vec::with_capacity(case.tests.len());
        for test in case.tests {
            let started = Instant::now();
            let result = match self.pool().run_on_lane(slot.lane(), &job_for_test(test)) {
                Ok(outcome) => judge(&outcome, test, case.comparison),
                Err(error) if error.is_input_error() => IoTestResult {
                    status: TestStatus::InvalidFiles,
                    time: started.elapsed(),
                    stderr_tail: error.to_string(),
                },
                Err(error) => return Err(error.into()),
            };
            results.push(result);
        }
        Ok(results)
    }

    /// Compiles C/C++ in the sandbox; the inner `Err` is a compile failure charged to the candidate.
    fn compile(&self, case: &IoCase<'_>, lane: usize) -> Result<Result<Vec<u8>, IoTestResult>, HarnessError> {
        let (compiler, source, flags) = match case.language {
            Language::Cpp => ("/usr/bin/g++", "main.cpp", "-O2 -std=gnu++17"),
            _ => ("/usr/bin/gcc", "main.c", "-O2 -std=gnu17"),
        };
        // The compiler's messages go to stderr; only the binary is written to stdout.
        let script = format!("{compiler} {flags} -o {BINARY} {source} -lm 1>&2 && cat {BINARY}");
        let limits = Limits {
            cpu: COMPILE_TIME,
            wall: COMPILE_TIME,
            memory_bytes: case.limits.memory_bytes.max(COMPILE_MEMORY),
            file_size_bytes: case.limits.file_size_bytes.max(MAX_BINARY as u64),
            output_bytes: MAX_BINARY,
            ..case.limits.clone()
        };
        let job = with_files(Job::exec(["/bin/sh", "-c", &script]), case.files)
            .with_file(source, case.program.as_bytes())
            .with_limits(limits);
        let started = Instant::now();
        let outcome = match self.pool().run_on_lane(lane, &job) {
            Ok(outcome) => outcome,
            Err(error) if error.is_input_error() => {
                return Ok(Err(IoTestResult {
                    status: TestStatus::InvalidFiles,
                    time: started.elapsed(),
                    stderr_tail: error.to_string(),
                }));
            }
            Err(error) => return Err(error.into()),
        };
        if outcome.status == Status::Passed && !outcome.stdout_truncated && !outcome.stdout.is_empty() {
            return Ok(Ok(outcome.stdout));
        }
        Ok(Err(IoTestResult {
            status: TestStatus::CompileError,
            time: outcome.wall,
            stderr_tail: tail(&outcome.stderr, STDERR_TAIL),
        }))
    }
}

fn with_files(mut job: Job, files: &[(String, Vec<u8>)]) -> Job {
    job.files.extend(files.iter().cloned());
    job
}

fn judge(outcome: &Outcome, test: &IoTest, comparison: Comparison) -> IoTestResult {
    let status = match outcome.status {
        Status::Passed if !outcome.stdout_truncated && comparison.matches(&outcome.stdout, test.output.as_bytes()) => {
            TestStatus::Passed
        }
        Status::Passed => TestStatus::Failed,
        _ => TestStatus::of_failed_run(outcome),
    };
    IoTestResult {
        status,
        time: outcome.wall,
        stderr_tail: tail(&outcome.stderr, STDERR_TAIL),
    }
}
