//! Pipeline kinds: `hack_guard` (code/trajectory hacks, isolated detector) and `text_hack_guard`
//! (text-level hacks against keyword, reference and rubric rewards). Both either guard an earlier
//! component (multiply it by `penalty`, or replace it with `penalty`, when the sample is flagged) or,
//! without `reward`, give 1 for clean samples and `penalty` for flagged ones. The flags go into the
//! diagnostics so that trainers see why. `hack_guard` with `mode = "contrastive"` also contrasts each
//! group of the batch (rollouts of one prompt) in the sandbox, as `assay detect --mode contrastive`.

use assay_core::{
    BatchContext, Component, KeyError, Kind, Registry, Reward, RewardError, RewardFuture, RewardResults, RewardSpec,
    Sample,
};
use serde::Deserialize;
use serde_json::{Value, json};

use std::sync::OnceLock;

use assay_code::Harness;

use crate::contrast::ContrastConfig;
use crate::detector::{DEFAULT_THRESHOLD, Report, isolated_flags};
use crate::flag::Flag;
use crate::judge::{Case, Judge};
use crate::modes::{Mode, detect_rows};
use crate::row::{Message, Row, Tests};
use crate::text::text_flags;

/// Adds `hack_guard` and `text_hack_guard` to `registry`.
pub fn register(registry: &mut Registry) {
    registry.add_reward(Kind {
        name: "hack_guard",
        summary: "reward-hack detector on code and agent trajectories (static + trajectory rules): multiplies or \
                  replaces the reward of flagged samples; flags and evidence in diagnostics",
        build: build_code_guard,
    });
    registry.add_reward(Kind {
        name: "text_hack_guard",
        summary: "text-level hack detector (keyword stuffing, answers addressed to the grader, repeated rubric \
                  phrases): multiplies or replaces the reward of flagged samples",
        build: build_text_guard,
    });
}

/// How a flagged sample's value changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// `value * penalty`.
    Multiply,
    /// `penalty`.
    Replace,
}

fn default_action() -> Action {
    Action::Multiply
}
fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}
fn completion_field() -> String {
    "completion".to_owned()
}
fn max_evidence() -> usize {
    5
}

/// Whether `hack_guard` judges each sample alone or also against its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum GuardMode {
    /// Static and trajectory rules on each sample alone.
    #[default]
    Isolated,
    /// Plus contrast within each group of the batch (solutions run in the sandbox).
    Contrastive,
}

/// Keys shared by both guards.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardParams {
    /// Earlier component to guard (else the guard's own value is 1 or `penalty`).
    #[serde(default)]
    reward: Option<String>,
    /// `multiply` or `replace`.
    #[serde(default = "default_action")]
    action: Action,
    /// Factor (multiply) or value (replace) for flagged samples.
    #[serde(default)]
    penalty: f64,
    /// Detector score from which a sample is flagged.
    #[serde(default = "default_threshold")]
    threshold: f64,
    /// Field with the completion (code, or text).
    #[serde(default = "completion_field")]
    completion_field: String,
    /// Field with chat messages (agent trajectories; `hack_guard` only).
    #[serde(default)]
    messages_field: Option<String>,
    /// Field with visible tests: `check(candidate)` source (`hack_guard` recognises tables keyed by their
    /// inputs) or stdin/stdout pairs (contrastive mode).
    #[serde(default)]
    tests_field: Option<String>,
    /// Field with reference text or keywords (`text_hack_guard`).
    #[serde(default)]
    reference_field: Option<String>,
    /// Field with the rubric (`text_hack_guard`).
    #[serde(default)]
    rubric_field: Option<String>,
    /// Flags kept in diagnostics.
    #[serde(default = "max_evidence")]
    max_evidence: usize,
    /// `isolated` or `contrastive` (`hack_guard` only; needs the sandbox and groups).
    #[serde(default)]
    mode: GuardMode,
    /// Field with the function name the visible function tests call (contrastive mode).
    #[serde(default)]
    entry_point_field: Option<String>,
    /// Sandbox workers of contrastive mode (default: one per core).
    #[serde(default)]
    workers: Option<usize>,
    /// Optional LLM-judge signal (`hack_guard` only): endpoint keys as in the model kinds, plus `confidence`
    /// and `max_tokens` (checked by `Judge::new`).
    #[serde(default)]
    judge: Option<toml::Table>,
}

impl GuardParams {
    fn validate(self) -> Result<Self, KeyError> {
        if !self.penalty.is_finite() {
            return Err(KeyError::new("penalty", "must be a finite number"));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(KeyError::new("threshold", "must be in [0, 1]"));
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Code,
    Text,
}

struct Guard {
    params: GuardParams,
    target: Target,
    harness: OnceLock<Result<Harness, String>>,
    judge: Option<Judge>,
}

fn build_code_guard(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let params = spec.params.parse::<GuardParams>()?.validate()?;
    let judge = match &params.judge {
        Some(table) => Some(Judge::new(table, &params.completion_field)?),
        None => None,
    };
    Ok(Box::new(Guard {
        params,
        target: Target::Code,
        harness: OnceLock::new(),
        judge,
    }))
}

fn build_text_guard(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let params = spec.params.parse::<GuardParams>()?.validate()?;
    if params.messages_field.is_some() || params.tests_field.is_some() {
        return Err(KeyError::new(
            "messages_field",
            "text_hack_guard reads completion, reference and rubric fields only",
        ));
    }
    if params.mode != GuardMode::Isolated
        || params.entry_point_field.is_some()
        || params.workers.is_some()
        || params.judge.is_some()
    {
        return Err(KeyError::new(
            "mode",
            "text_hack_guard has no contrastive mode or judge (mode, entry_point_field, workers and judge are \
             hack_guard keys)",
        ));
    }
    Ok(Box::new(Guard {
        params,
        target: Target::Text,
        harness: OnceLock::new(),
        judge: None,
    }))
}

fn optional_text(sample: &Sample, field: &Option<String>) -> Result<Option<String>, RewardError> {
    match field {
        Some(field) => Ok(Some(sample.text(field)?.into_owned())),
        None => Ok(None),
    }
}

impl Guard {
    fn flags(&self, sample: &Sample) -> Result<Vec<Flag>, RewardError> {
        match self.target {
            Target::Text => Ok(text_flags(
                &sample.text(&self.params.completion_field)?,
                optional_text(sample, &self.params.reference_field)?.as_deref(),
                optional_text(sample, &self.params.rubric_field)?.as_deref(),
            )),
            Target::Code => Ok(isolated_flags(&self.row(sample)?)),
        }
    }

    /// The sample as a detector row (task: its group).
    fn row(&self, sample: &Sample) -> Result<Row, RewardError> {
        let completion = sample.text(&self.params.completion_field)?;
        let messages: Vec<Message> = match &self.params.messages_field {
            Some(field) => serde_json::from_value(sample.field(field)?.clone()).map_err(|error| {
                RewardError::Failed(format!("field `{field}` is not a list of chat messages: {error}"))
            })?,
            None => Vec::new(),
        };
        Ok(Row {
            trajectory_id: sample.index.to_string(),
            task: sample.group.clone().unwrap_or_default(),
            messages,
            code: Some(assay_code::last_code_block(&completion).to_owned()),
            tests: match &self.params.tests_field {
                Some(field) => Some(Tests::try_from(sample.field(field)?.clone()).map_err(|error| {
                    RewardError::Failed(format!("field `{field}` holds no visible tests: {error}"))
                })?),
                None => None,
            },
            entry_point: optional_text(sample, &self.params.entry_point_field)?,
            label: None,
            category: None,
            hack_visibility: None,
        })
    }

    fn harness(&self) -> Result<&Harness, RewardError> {
        self.harness
            .get_or_init(|| Harness::new(self.params.workers).map_err(|error| error.to_string()))
            .as_ref()
            .map_err(|message| {
                RewardError::Failed(format!(
                    "hack_guard with mode = \"contrastive\" needs the code sandbox (root), which cannot start: \
                     {message}"
                ))
            })
    }

    /// Reports for the whole batch: the rules' flags plus, with a `judge`, the judge's.
    fn reports(&self, ctx: &BatchContext<'_>) -> Vec<Result<Report, RewardError>> {
        let reports = self.rule_reports(ctx);
        let Some(judge) = &self.judge else {
            return reports;
        };
        let cases: Vec<Option<Case>> = ctx
            .samples
            .iter()
            .zip(&reports)
            .map(|(sample, report)| report.is_ok().then(|| self.case(sample)).flatten())
            .collect();
        reports
            .into_iter()
            .zip(judge.flags(ctx.samples, &cases))
            .map(|(report, judged)| {
                let mut flags = report?.evidence;
                flags.extend(judged?);
                Ok(Report::from_flags("", flags, self.params.threshold))
            })
            .collect()
    }

    /// What the judge sees of a sample: code, visible tests and the trajectory as text.
    fn case(&self, sample: &Sample) -> Option<Case> {
        let row = self.row(sample).ok()?;
        let tests = match &self.params.tests_field {
            Some(field) => match sample.field(field).ok()? {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            },
            None => String::new(),
        };
        let transcript: Vec<String> = row
            .messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let calls: Vec<String> = message
                    .tool_calls
                    .iter()
                    .map(|call| {
                        format!(
                            "\n  tool call {}: {}",
                            call.tool_name(),
                            Value::from(call.argument_object())
                        )
                    })
                    .collect();
                format!("[{index}] {}: {}{}", message.role, message.text(), calls.concat())
            })
            .collect();
        Some(Case {
            code: row.code.unwrap_or_default(),
            tests,
            transcript: transcript.join("\n"),
        })
    }

    /// Reports from the rules: each sample alone, or (contrastive) each group of the batch judged
    /// together, as `assay detect --mode contrastive` judges the rows of one task.
    fn rule_reports(&self, ctx: &BatchContext<'_>) -> Vec<Result<Report, RewardError>> {
        let threshold = self.params.threshold;
        if self.params.mode == GuardMode::Isolated || matches!(self.target, Target::Text) {
            return ctx
                .samples
                .iter()
                .map(|sample| Ok(Report::from_flags("", self.flags(sample)?, threshold)))
                .collect();
        }
        let harness = match self.harness() {
            Ok(harness) => harness,
            Err(error) => return ctx.samples.iter().map(|_| Err(error.clone())).collect(),
        };
        let mut results: Vec<Result<Report, RewardError>> = Vec::with_capacity(ctx.samples.len());
        let mut rows = Vec::new();
        let mut positions = Vec::new();
        let group_of = group_numbers(ctx);
        for (index, sample) in ctx.samples.iter().enumerate() {
            match self.row(sample) {
                Ok(mut row) => {
                    // Samples without a group key are groups of one (the detector groups rows by task).
                    row.task = group_of[index].to_string();
                    positions.push(index);
                    rows.push(row);
                    results.push(Ok(Report::from_flags("", Vec::new(), threshold)));
                }
                Err(error) => results.push(Err(error)),
            }
        }
        let (reports, _notes) = detect_rows(
            &rows,
            Mode::Contrastive,
            Some(harness),
            &ContrastConfig::default(),
            threshold,
        );
        for (index, report) in positions.into_iter().zip(reports) {
            results[index] = Ok(report);
        }
        results
    }

    fn score(&self, ctx: &BatchContext<'_>, index: usize, report: Report) -> Result<Component, RewardError> {
        let base = match &self.params.reward {
            Some(name) => ctx.earlier_value(name, index)?,
            None => 1.0,
        };
        let value = match (report.flagged, self.params.action) {
            (false, _) => base,
            (true, Action::Multiply) => base * self.params.penalty,
            (true, Action::Replace) => self.params.penalty,
        };
        let evidence: Vec<Value> = report
            .evidence
            .iter()
            .take(self.params.max_evidence)
            .map(|flag| {
                json!({"category": flag.category, "confidence": flag.confidence, "rule": flag.rule,
                       "message": flag.message, "location": flag.location, "quote": flag.quote})
            })
            .collect();
        Ok(Component::new(value)
            .with("flagged", report.flagged)
            .with("score", report.score)
            .with("categories", report.categories.clone())
            .with("evidence", evidence))
    }
}

/// The number of each sample's group in the batch.
fn group_numbers(ctx: &BatchContext<'_>) -> Vec<usize> {
    let mut numbers = vec![0; ctx.samples.len()];
    for (number, group) in ctx.groups().into_iter().enumerate() {
        for index in group {
            numbers[index] = number;
        }
    }
    numbers
}

impl Reward for Guard {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        let results: RewardResults = self
            .reports(ctx)
            .into_iter()
            .enumerate()
            .map(|(index, report)| self.score(ctx, index, report?))
            .collect();
        Box::pin(std::future::ready(results))
    }

    fn depends_on(&self) -> Vec<String> {
        self.params.reward.iter().cloned().collect()
    }
}
