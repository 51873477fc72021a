//! `POST /run_code`: SandboxFusion's code runner, so verl's `sandbox_fusion_url` can point at Assay.
//!
//! Languages: `python` (also `python3`), `cpp` (also `c++`), `c`. Python runs in a warm sandboxed interpreter;
//! C and C++ are compiled inside the sandbox (`compile_result`) and the binary is run there (`run_result`).
//! Statuses combine as in SandboxFusion: a command in status `Error` (a sandbox failure) makes the response
//! `SandboxError`; a time limit or a non-zero return code makes it `Failed`; otherwise `Success`. A process killed
//! by signal N reports return code −N, one that ran out of memory return code 1 (the evidence is in stderr).
//! `memory_limit_MB: -1` means the server's maximum. `fetch_files` names files of the program's working directory
//! to return base64-encoded in `files` once it has ended: only regular files inside that directory (a path with
//! `..` or an absolute path is a 400; symlinks, directories and missing files are left out), at most
//! [`ServerConfig::max_fetch_bytes`] in total (a file that does not fit is left out, not truncated).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use assay_sandbox::{FetchFiles, FetchedFiles, Job, Limits, Outcome, Pool, Sandbox, SandboxConfig, Status};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::body::read_json;
use crate::metrics::SandboxUsage;
use crate::scoring::Workers;
use crate::{ApiError, ServerConfig};

/// The `/run_code` sandbox pool, started on first use.
#[derive(Debug)]
pub struct SandboxPool {
    pool: OnceLock<Result<Pool, String>>,
    jobs: AtomicUsize,
    workers: Option<usize>,
}

impl SandboxPool {
    /// A pool of `workers` sandboxed servers (`None`: one per core), not started yet.
    pub fn new(workers: Option<usize>) -> Self {
        Self {
            pool: OnceLock::new(),
            jobs: AtomicUsize::new(0),
            workers,
        }
    }

    /// The pool, starting it if needed (blocking).
    fn get(&self) -> Result<&Pool, String> {
        self.pool
            .get_or_init(|| {
                let sandbox = Sandbox::new(SandboxConfig::default()).map_err(|e| e.to_string())?;
                Pool::new(sandbox, self.workers).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Workers, idle workers and jobs right now.
    pub fn usage(&self) -> SandboxUsage {
        let jobs = self.jobs.load(Ordering::Relaxed);
        match self.pool.get() {
            Some(Ok(pool)) => SandboxUsage {
                workers: pool.size(),
                idle: pool.idle(),
                jobs,
            },
            _ => SandboxUsage {
                jobs,
                ..SandboxUsage::default()
            },
        }
    }

    fn run(&self, pool: &Pool, job: &Job) -> Outcome {
        self.run_fetching(pool, job, &FetchFiles::default()).0
    }

    fn run_fetching(&self, pool: &Pool, job: &Job, fetch: &FetchFiles) -> (Outcome, FetchedFiles) {
        self.jobs.fetch_add(1, Ordering::Relaxed);
        let result = pool
            .run_fetching(job, fetch)
            .unwrap_or_else(|error| (Outcome::sandbox_error(&error), Vec::new()));
        self.jobs.fetch_sub(1, Ordering::Relaxed);
        result
    }
}

fn ten() -> f64 {
    10.0
}

fn no_memory_limit() -> i64 {
    -1
}

#[derive(Debug, Deserialize)]
struct RunCodeRequest {
    code: String,
    language: String,
    #[serde(default)]
    stdin: Option<String>,
    #[serde(default = "ten")]
    compile_timeout: f64,
    #[serde(default = "ten")]
    run_timeout: f64,
    #[serde(default = "no_memory_limit", rename = "memory_limit_MB")]
    memory_limit_mb: i64,
    #[serde(default)]
    files: BTreeMap<String, Option<String>>,
    #[serde(default)]
    fetch_files: Vec<String>,
}

/// SandboxFusion's `CommandRunResult`.
#[derive(Debug, Serialize)]
struct CommandRunResult {
    status: &'static str,
    execution_time: Option<f64>,
    return_code: Option<i32>,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// SandboxFusion's `RunCodeResponse`.
#[derive(Debug, Serialize)]
struct RunCodeResponse {
    status: &'static str,
    message: String,
    compile_result: Option<CommandRunResult>,
    run_result: Option<CommandRunResult>,
    executor_pod_name: Option<String>,
    files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    C,
    Cpp,
}

/// A validated request.
struct Execution {
    language: Language,
    code: String,
    stdin: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
    fetch: FetchFiles,
    compile_timeout: Duration,
    limits: Limits,
}

/// Runs one program (see the module docs).
pub async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let config = &state.config;
    let request: RunCodeRequest = read_json(&headers, body, config.max_body_bytes, config.read_timeout).await?;
    let execution = validate(request, config)?;
    let permit = state.workers.permit()?;
    let sandbox = state.sandbox.clone();
    let run = Workers::run(permit, move || execute(&sandbox, &execution));
    match tokio::time::timeout(config.deadline, run).await {
        Ok(response) => Ok(axum::Json(response?).into_response()),
        Err(_) => Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "deadline_exceeded",
            format!(
                "the run did not finish within the request deadline of {} ms",
                config.deadline.as_millis()
            ),
        )),
    }
}

fn validate(request: RunCodeRequest, config: &ServerConfig) -> Result<Execution, ApiError> {
    let language = match request.language.to_ascii_lowercase().as_str() {
        "python" | "python3" => Language::Python,
        "cpp" | "c++" => Language::Cpp,
        "c" => Language::C,
        other => {
            return Err(ApiError::bad_request(format!(
                "language {other:?} is not supported here; supported: python, cpp, c"
            ))
            .field("language"));
        }
    };
    let seconds = |field: &'static str, value: f64| {
        if value.is_finite() && value > 0.0 && value <= config.max_code_timeout_secs {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(ApiError::bad_request(format!(
                "`{field}` must be a number of seconds in (0, {}], got {value}",
                config.max_code_timeout_secs
            ))
            .field(field))
        }
    };
    let compile_timeout = seconds("compile_timeout", request.compile_timeout)?;
    let run_timeout = seconds("run_timeout", request.run_timeout)?;
    let memory_mb = match request.memory_limit_mb {
        -1 => config.max_code_memory_mb,
        mb if (32..=i64::try_from(config.max_code_memory_mb).unwrap_or(i64::MAX)).contains(&mb) => mb.unsigned_abs(),
        mb => {
            return Err(ApiError::bad_request(format!(
                "`memory_limit_MB` must be -1 or between 32 and {}, got {mb}",
                config.max_code_memory_mb
            ))
            .field("memory_limit_MB"));
        }
    };
    let fetch = FetchFiles::new(request.fetch_files, config.max_fetch_bytes);
    fetch.validate().map_err(|error| {
        ApiError::bad_request(format!(
            "`fetch_files`: {error}; paths are relative to the working directory"
        ))
        .field("fetch_files")
    })?;
    let mut files = Vec::with_capacity(request.files.len());
    for (path, content) in request.files {
        let Some(content) = content else { continue };
        let bytes = BASE64.decode(content.as_bytes()).map_err(|error| {
            ApiError::bad_request(format!("file {path:?} is not valid base64: {error}")).field(format!("files.{path}"))
        })?;
        files.push((path, bytes));
    }
    Ok(Execution {
        language,
        code: request.code,
        stdin: request.stdin.unwrap_or_default().into_bytes(),
        files,
        fetch,
        compile_timeout,
        limits: Limits {
            cpu: run_timeout,
            wall: run_timeout,
            memory_bytes: memory_mb << 20,
            ..Limits::default()
        },
    })
}

/// Where the compiled binary lives inside the sandbox.
const BINARY: &str = "/box/work/prog";
/// The compiler's output (the binary) comes back on stdout; this bounds it.
const MAX_BINARY: usize = 32 << 20;
/// Compilers need more address space than typical programs.
const COMPILE_MEMORY: u64 = 2 << 30;

fn execute(sandbox: &Arc<SandboxPool>, execution: &Execution) -> RunCodeResponse {
    let pool = match sandbox.get() {
        Ok(pool) => pool,
        Err(message) => {
            return response(None, None, format!("the sandbox is unavailable: {message}"), Vec::new());
        }
    };
    let with_files = |mut job: Job| {
        job.files.extend(execution.files.iter().cloned());
        job
    };
    let (compile_result, run_job) = match execution.language {
        Language::Python => (None, with_files(Job::python(execution.code.clone()))),
        Language::C | Language::Cpp => {
            let (compiler, source, flags) = if execution.language == Language::Cpp {
                ("/usr/bin/g++", "main.cpp", "-O2 -std=gnu++17")
            } else {
                ("/usr/bin/gcc", "main.c", "-O2 -std=gnu17")
            };
            // The compiler's messages go to stderr; only the binary is written to stdout.
            let script = format!("{compiler} {flags} -o {BINARY} {source} -lm 1>&2 && cat {BINARY}");
            let limits = Limits {
                cpu: execution.compile_timeout,
                wall: execution.compile_timeout,
                memory_bytes: execution.limits.memory_bytes.max(COMPILE_MEMORY),
                file_size_bytes: execution.limits.file_size_bytes.max(MAX_BINARY as u64),
                output_bytes: MAX_BINARY,
                ..execution.limits.clone()
            };
            let compile = with_files(Job::exec(["/bin/sh", "-c", &script]))
                .with_file(source, execution.code.as_bytes())
                .with_limits(limits);
            let outcome = sandbox.run(pool, &compile);
            let mut result = command_result(&outcome);
            // The binary is not the compiler's output a caller wants to see.
            result.stdout = Some(String::new());
            let compiled = outcome.status == Status::Passed && !outcome.stdout_truncated && !outcome.stdout.is_empty();
            if !compiled {
                if outcome.status == Status::Passed {
                    result.return_code = Some(1);
                }
                return response(Some(result), None, String::new(), Vec::new());
            }
            let run = format!("chmod 700 {BINARY} && exec {BINARY}");
            let job = with_files(Job::exec(["/bin/sh", "-c", &run])).with_file("prog", outcome.stdout);
            (Some(result), job)
        }
    };
    let job = run_job
        .with_stdin(execution.stdin.clone())
        .with_limits(execution.limits.clone());
    let (outcome, files) = sandbox.run_fetching(pool, &job, &execution.fetch);
    response(compile_result, Some(command_result(&outcome)), String::new(), files)
}

fn command_result(outcome: &Outcome) -> CommandRunResult {
    let (status, return_code) = match &outcome.status {
        Status::Passed => ("Finished", Some(0)),
        Status::Failed { exit_code } => ("Finished", Some(*exit_code)),
        Status::Crashed { signal } => ("Finished", Some(-*signal)),
        Status::Memory => ("Finished", Some(1)),
        Status::Timeout => ("TimeLimitExceeded", None),
        Status::SandboxError { .. } => ("Error", None),
    };
    let stderr = match &outcome.status {
        Status::SandboxError { message } => message.clone(),
        _ => outcome.stderr_text(),
    };
    CommandRunResult {
        status,
        execution_time: Some(outcome.wall.as_secs_f64()),
        return_code,
        stdout: Some(outcome.stdout_text()),
        stderr: Some(stderr),
    }
}

/// Combines the commands' statuses the way SandboxFusion does.
fn response(
    compile: Option<CommandRunResult>,
    run: Option<CommandRunResult>,
    message: String,
    files: FetchedFiles,
) -> RunCodeResponse {
    let commands: Vec<&CommandRunResult> = compile.iter().chain(run.iter()).collect();
    let (status, message) = if commands.is_empty() {
        ("SandboxError", message)
    } else if let Some(error) = commands.iter().find(|c| c.status == "Error") {
        ("SandboxError", error.stderr.clone().unwrap_or_default())
    } else if commands
        .iter()
        .any(|c| c.status == "TimeLimitExceeded" || c.return_code != Some(0))
    {
        ("Failed", message)
    } else {
        ("Success", message)
    };
    RunCodeResponse {
        status,
        message,
        compile_result: compile,
        run_result: run,
        executor_pod_name: None,
        files: files
            .into_iter()
            .map(|(path, content)| (path, BASE64.encode(content)))
            .collect(),
    }
}
