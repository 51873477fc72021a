//! `kind = "code"`: the pipeline reward that runs completions against tests in the sandbox.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assay_core::{
    BatchContext, Component, KeyError, Kind, Registry, Reward, RewardError, RewardFactory, RewardFuture, RewardResults,
    RewardSpec, Sample,
};
use assay_sandbox::{Limits, SandboxConfig};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::last_code_block;
use crate::io_tests::io_tests;
use crate::weighting::{Weighting, difficulty_weighted};
use crate::{Comparison, FunctionCase, Harness, HarnessError, IoCase, IoTest, Language, TestStatus};

/// Adds `kind = "code"` to `registry`.
pub fn register(registry: &mut Registry) {
    registry.add_reward(kind());
}

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "code",
        summary: "runs the completion in the sandbox against function tests (check(candidate), judged in a trusted \
                  process; 1 or 0) or stdin/stdout tests (fraction passed)",
        build,
    }
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(CodeReward::new(spec.params.parse()?)?))
}

/// Which test format the `tests` field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestFormat {
    /// I/O tests when the field is (or is text of) a JSON list/object of tests, else function tests.
    Auto,
    /// Python defining `check(candidate)`.
    Function,
    /// `[{input, output}, ...]` or `{inputs: [...], outputs: [...]}`.
    Io,
}

fn text_default(value: &str) -> String {
    value.to_owned()
}

/// The keys of a `kind = "code"` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeParams {
    /// Field with the completion (the last fenced code block is taken from markdown).
    #[serde(default = "completion_field")]
    pub completion_field: String,
    /// Field with the tests.
    #[serde(default = "tests_field")]
    pub tests_field: String,
    /// Field with the function name that `check(candidate)` tests.
    #[serde(default = "entry_point_field")]
    pub entry_point_field: String,
    /// Field with dataset code placed before the completion (and loaded with the tests).
    #[serde(default)]
    pub prefix_field: Option<String>,
    /// Field with an object of relative path → content written into the candidate's working directory.
    #[serde(default)]
    pub files_field: Option<String>,
    /// `auto`, `function` or `io`.
    #[serde(default = "test_format")]
    pub test_format: TestFormat,
    /// Wall and CPU limit of each run (a whole function check, or one I/O test), in milliseconds.
    #[serde(default = "timeout_ms")]
    pub timeout_ms: u64,
    /// Address-space limit of each candidate process, in MiB.
    #[serde(default = "memory_mb")]
    pub memory_mb: u64,
    /// Language of I/O programs: `python`, `c` or `cpp` (function tests are Python).
    #[serde(default = "language")]
    pub language: String,
    /// I/O output comparison: `tokens`, `exact` or `float`.
    #[serde(default = "compare")]
    pub compare: String,
    /// Relative tolerance of `compare = "float"`.
    #[serde(default = "rel_tol")]
    pub rel_tol: f64,
    /// Absolute tolerance of `compare = "float"`.
    #[serde(default = "abs_tol")]
    pub abs_tol: f64,
    /// Sandbox workers (default: one per core).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Pin each worker, and the trusted checker serving it, to one CPU (when there is at least one
    /// worker per CPU); `false` leaves placement to the scheduler (e.g. beside other heavy work).
    #[serde(default = "pin_workers")]
    pub pin_workers: bool,
    /// I/O tests: `uniform` (fraction passed) or `difficulty` (VeRPO-style: test weights from the pass
    /// rates within the sample's group, see [`difficulty_weighted`]).
    #[serde(default = "weighting")]
    pub weighting: Weighting,
}

fn weighting() -> Weighting {
    Weighting::Uniform
}

fn completion_field() -> String {
    text_default("completion")
}
fn tests_field() -> String {
    text_default("tests")
}
fn entry_point_field() -> String {
    text_default("entry_point")
}
fn test_format() -> TestFormat {
    TestFormat::Auto
}
fn timeout_ms() -> u64 {
    10_000
}
fn memory_mb() -> u64 {
    512
}
fn language() -> String {
    text_default("python")
}
fn compare() -> String {
    text_default("tokens")
}
fn rel_tol() -> f64 {
    1e-6
}
fn abs_tol() -> f64 {
    1e-9
}

fn pin_workers() -> bool {
    true
}

/// The code reward. The sandbox pool is started on first use and stopped when the reward is dropped.
pub struct CodeReward {
    params: CodeParams,
    language: Language,
    comparison: Comparison,
    limits: Limits,
    harness: OnceLock<Result<Harness, String>>,
}

impl std::fmt::Debug for CodeReward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeReward").field("params", &self.params).finish()
    }
}

impl CodeReward {
    /// Validates the parameters (the sandbox itself starts lazily).
    pub fn new(params: CodeParams) -> Result<Self, KeyError> {
        let language = Language::parse(&params.language).ok_or_else(|| {
            KeyError::new(
                "language",
                format!("unknown language {:?} (python, c, cpp)", params.language),
            )
        })?;
        let tolerance_ok = |value: f64| value.is_finite() && value >= 0.0;
        if !tolerance_ok(params.rel_tol) {
            return Err(KeyError::new("rel_tol", "must be a finite number >= 0"));
        }
        if !tolerance_ok(params.abs_tol) {
            return Err(KeyError::new("abs_tol", "must be a finite number >= 0"));
        }
        let comparison = match params.compare.as_str() {
            "exact" => Comparison::Exact,
            "tokens" => Comparison::Tokens,
            "float" => Comparison::Float {
                rel_tol: params.rel_tol,
                abs_tol: params.abs_tol,
            },
            other => {
                return Err(KeyError::new(
                    "compare",
                    format!("unknown comparison {other:?} (tokens, exact, float)"),
                ));
            }
        };
        if params.timeout_ms == 0 || params.timeout_ms > 600_000 {
            return Err(KeyError::new("timeout_ms", "must be between 1 and 600000"));
        }
        if params.workers == Some(0) {
            return Err(KeyError::new("workers", "must be at least 1"));
        }
        let timeout = Duration::from_millis(params.timeout_ms);
        let limits = Limits {
            wall: timeout,
            cpu: timeout,
            memory_bytes: params.memory_mb.saturating_mul(1 << 20),
            ..Limits::default()
        };
        limits
            .validate()
            .map_err(|error| KeyError::new("memory_mb", error.to_string()))?;
        Ok(Self {
            params,
            language,
            comparison,
            limits,
            harness: OnceLock::new(),
        })
    }

    fn harness(&self) -> Result<&Harness, RewardError> {
        self.harness
            .get_or_init(|| {
                let config = SandboxConfig {
                    pin_workers: self.params.pin_workers,
                    ..SandboxConfig::default()
                };
                Harness::with_config(config, self.params.workers).map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|message| RewardError::Failed(format!("sandbox_error: the code sandbox cannot start: {message}")))
    }

    /// Scores one sample (blocking; the batch path runs one per sandbox worker at a time).
    pub fn score_sample(&self, sample: &Sample) -> Result<Component, RewardError> {
        let harness = self.harness()?;
        let completion = sample.text(&self.params.completion_field)?;
        let completion = last_code_block(&completion);
        let prefix = match &self.params.prefix_field {
            Some(field) => Some(sample.text(field)?),
            None => None,
        };
        let files = match self.files(sample)? {
            Ok(files) => files,
            Err(reason) => {
                return Ok(Component::new(0.0)
                    .with("status", TestStatus::InvalidFiles.as_str())
                    .with("error", reason));
            }
        };
        match self.tests(sample)? {
            Tests::Io(tests) => self.score_io(harness, completion, &tests, &files),
            Tests::Function(tests) => {
                let entry_point = sample.text(&self.params.entry_point_field)?;
                let program = format!("{}{completion}", prefix.as_deref().unwrap_or(""));
                let case = FunctionCase {
                    program: &program,
                    tests: &tests,
                    prefix: prefix.as_deref(),
                    entry_point: &entry_point,
                    files: &files,
                    limits: &self.limits,
                };
                let verdict = harness.run_function(&case).map_err(harness_error)?;
                let passed = verdict.status == TestStatus::Passed;
                let mut component = Component::new(if passed { 1.0 } else { 0.0 })
                    .with("format", "function")
                    .with("status", verdict.status.as_str())
                    .with("time_ms", millis(verdict.elapsed))
                    .with("stderr_tail", verdict.stderr_tail);
                if let Some(error) = verdict.error {
                    component = component.with("error", error);
                }
                if let Some(status) = verdict.candidate_status {
                    component = component.with("candidate_status", status);
                }
                Ok(component)
            }
        }
    }

    fn score_io(
        &self,
        harness: &Harness,
        program: &str,
        tests: &[IoTest],
        files: &[(String, Vec<u8>)],
    ) -> Result<Component, RewardError> {
        let case = IoCase {
            program,
            language: self.language,
            tests,
            files,
            comparison: self.comparison,
            limits: &self.limits,
        };
        let results = harness.run_io(&case).map_err(harness_error)?;
        let passed = results
            .iter()
            .filter(|result| result.status == TestStatus::Passed)
            .count();
        let details: Vec<Value> = results
            .iter()
            .map(|result| json!({"status": result.status.as_str(), "time_ms": millis(result.time), "stderr_tail": result.stderr_tail}))
            .collect();
        Ok(Component::new(passed as f64 / results.len() as f64)
            .with("format", "io")
            .with("passed", passed)
            .with("total", results.len())
            .with("tests", details))
    }

    /// The submission's files; the inner `Err` is a malformed value, charged to the sample.
    #[allow(clippy::type_complexity)]
    fn files(&self, sample: &Sample) -> Result<Result<Vec<(String, Vec<u8>)>, String>, RewardError> {
        let Some(field) = &self.params.files_field else {
            return Ok(Ok(Vec::new()));
        };
        let value = match sample.field(field) {
            Ok(value) => value,
            Err(RewardError::MissingField { .. }) => return Ok(Ok(Vec::new())),
            Err(error) => return Err(error),
        };
        let files = match value {
            Value::Null => return Ok(Ok(Vec::new())),
            Value::Object(map) => map,
            _ => return Ok(Err(format!("field `{field}` must be an object of path -> text"))),
        };
        let mut result = Vec::with_capacity(files.len());
        for (path, content) in files {
            let Value::String(content) = content else {
                return Ok(Err(format!("file {path:?} in `{field}` must have text content")));
            };
            result.push((path.clone(), content.clone().into_bytes()));
        }
        Ok(Ok(result))
    }

    fn tests(&self, sample: &Sample) -> Result<Tests, RewardError> {
        let field = &self.params.tests_field;
        let value = sample.field(field)?;
        let parsed_text = |text: &str| {
            let trimmed = text.trim_start();
            if trimmed.starts_with('[') || trimmed.starts_with('{') {
                serde_json::from_str::<Value>(text).ok()
            } else {
                None
            }
        };
        match (self.params.test_format, value) {
            (TestFormat::Function, Value::String(text)) => Ok(Tests::Function(text.clone())),
            (TestFormat::Function, other) => Err(assay_core::wrong_type(field, "text (Python defining check)", other)),
            (TestFormat::Io, Value::String(text)) => match parsed_text(text) {
                Some(parsed) => io_tests(field, &parsed).map(Tests::Io),
                None => Err(RewardError::WrongType {
                    field: field.clone(),
                    expected: "a JSON list of {input, output}",
                    found: "text that is not JSON",
                }),
            },
            (TestFormat::Io, other) => io_tests(field, other).map(Tests::Io),
            (TestFormat::Auto, Value::String(text)) => match parsed_text(text) {
                Some(parsed) => io_tests(field, &parsed).map(Tests::Io),
                None => Ok(Tests::Function(text.clone())),
            },
            (TestFormat::Auto, other) => io_tests(field, other).map(Tests::Io),
        }
    }
}

enum Tests {
    Function(String),
    Io(Vec<IoTest>),
}

fn harness_error(error: HarnessError) -> RewardError {
    match error {
        HarnessError::Tests(message) => RewardError::Failed(format!("the dataset's tests do not run: {message}")),
        other => RewardError::Failed(format!("sandbox_error: {other}")),
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

impl Reward for CodeReward {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        let samples = ctx.samples;
        let workers = match self.harness() {
            Ok(harness) => harness.workers().min(samples.len()).max(1),
            Err(error) => {
                let results: RewardResults = samples.iter().map(|_| Err(error.clone())).collect();
                return Box::pin(std::future::ready(results));
            }
        };
        let next = AtomicUsize::new(0);
        let mut scored: Vec<(usize, Result<Component, RewardError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(sample) = samples.get(index) else { break };
                            mine.push((index, self.score_sample(sample)));
                            ctx.progress.advance(1);
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().unwrap_or_else(|_| Vec::new()))
                .collect()
        });
        scored.sort_by_key(|(index, _)| *index);
        let mut results: RewardResults = Vec::with_capacity(samples.len());
        let mut scored = scored.into_iter().peekable();
        for index in 0..samples.len() {
            match scored.next_if(|(at, _)| *at == index) {
                Some((_, result)) => results.push(result),
                None => results.push(Err(RewardError::Failed("scoring thread panicked".into()))),
            }
        }
        if self.params.weighting == Weighting::Difficulty {
            for group in ctx.groups() {
                difficulty_weighted(&mut results, &group);
            }
        }
        Box::pin(std::future::ready(results))
    }
}
