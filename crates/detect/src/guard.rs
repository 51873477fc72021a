//! Pipeline kinds: `hack_guard` (code/trajectory hacks, isolated detector) and `text_hack_guard`
//! (text-level hacks against keyword, reference and rubric rewards). Both either guard an earlier
//! component (multiply it by `penalty`, or replace it with `penalty`, when the sample is flagged) or,
//! without `reward`, give 1 for clean samples and `penalty` for flagged ones. The flags go into the
//! diagnostics so that trainers see why.

use assay_core::{
    BatchContext, Component, KeyError, Kind, Registry, Reward, RewardError, RewardFuture, RewardResults, RewardSpec,
    Sample,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detector::{DEFAULT_THRESHOLD, Report, isolated_flags};
use crate::flag::Flag;
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
    /// Field with visible tests (`hack_guard`: recognises tables keyed by their inputs).
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
}

fn build_code_guard(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Guard {
        params: spec.params.parse::<GuardParams>()?.validate()?,
        target: Target::Code,
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
    Ok(Box::new(Guard {
        params,
        target: Target::Text,
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
        let completion = sample.text(&self.params.completion_field)?;
        match self.target {
            Target::Text => Ok(text_flags(
                &completion,
                optional_text(sample, &self.params.reference_field)?.as_deref(),
                optional_text(sample, &self.params.rubric_field)?.as_deref(),
            )),
            Target::Code => {
                let messages: Vec<Message> = match &self.params.messages_field {
                    Some(field) => serde_json::from_value(sample.field(field)?.clone()).map_err(|error| {
                        RewardError::Failed(format!("field `{field}` is not a list of chat messages: {error}"))
                    })?,
                    None => Vec::new(),
                };
                let row = Row {
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
                    entry_point: None,
                    label: None,
                    category: None,
                    hack_visibility: None,
                };
                Ok(isolated_flags(&row))
            }
        }
    }

    fn score(&self, ctx: &BatchContext<'_>, index: usize) -> Result<Component, RewardError> {
        let sample = &ctx.samples[index];
        let report = Report::from_flags("", self.flags(sample)?, self.params.threshold);
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

impl Reward for Guard {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        let results: RewardResults = (0..ctx.samples.len()).map(|index| self.score(ctx, index)).collect();
        Box::pin(std::future::ready(results))
    }

    fn depends_on(&self) -> Vec<String> {
        self.params.reward.iter().cloned().collect()
    }
}
