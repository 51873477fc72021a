//! `assay report`: one self-contained HTML page (inline SVG, no scripts, no network) that shows what a batch of
//! rewards looks like.
//!
//! Input: the rows `assay score` writes (`id`, `reward`, `components`, `error`, `diagnostics`) and, optionally,
//! the rollouts that were scored (joined by position) for the completion text, its length and the group. Fields
//! read from either row:
//! - `group` (configurable): rollouts of one prompt; groups whose rewards do not vary teach GRPO nothing.
//! - `completion` (configurable) or a numeric `length`: completion length in whitespace-separated words.
//! - `status`: counted next to ok/error.
//! - detector flags: `flags` (a list of names, or an object name → true/number/string) or `hack` (true, a name or
//!   a list of names). Any non-empty value marks the sample as flagged.
//!
//! The group spread uses `diagnostics.combined` (the reward before shaping) when present, since group shaping
//! rescales every non-constant group to unit spread.

mod html;
mod stats;
pub mod svg;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{EvalError, Row};

pub use stats::{Histogram, pearson};

/// Field names and sizes.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Page title.
    pub title: String,
    /// Field grouping rollouts of one prompt.
    pub group_field: String,
    /// Field with the completion text.
    pub completion_field: String,
    /// Rows in the highest-reward table.
    pub top: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            title: "Assay reward report".into(),
            group_field: "group".into(),
            completion_field: "completion".into(),
            top: 10,
        }
    }
}

/// Count, mean, spread and range of some values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    /// How many values.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Moments {
    fn of(values: &[f64]) -> Option<Self> {
        Some(Self {
            count: values.len(),
            mean: stats::mean(values)?,
            std: stats::std(values)?,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// One component's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentSummary {
    /// Component name.
    pub name: String,
    /// Statistics over the samples where it has a value.
    pub moments: Option<Moments>,
    /// Samples where it has no value (failed).
    pub missing: usize,
}

/// One sample as the report sees it.
#[derive(Debug, Clone, PartialEq)]
struct SampleView {
    id: String,
    reward: Option<f64>,
    combined: Option<f64>,
    components: Vec<Option<f64>>,
    error: Option<String>,
    status: String,
    group: Option<String>,
    length: Option<f64>,
    flags: Vec<String>,
    completion: Option<String>,
}

/// Everything the page shows, computed once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Page title.
    pub title: String,
    /// Rows.
    pub records: usize,
    /// Rows with an error.
    pub errors: usize,
    /// The final reward.
    pub reward: Option<Moments>,
    /// Each component.
    pub components: Vec<ComponentSummary>,
    /// Pearson r of reward and completion length (words).
    pub length_correlation: Option<f64>,
    /// Samples with both a reward and a length.
    pub length_samples: usize,
    /// Groups with at least two scored samples.
    pub groups: usize,
    /// Of those, groups whose values are all equal.
    pub zero_variance_groups: usize,
    /// `zero_variance_groups / groups`.
    pub zero_variance_fraction: Option<f64>,
    /// Which value the group statistics use (`combined` or `reward`).
    pub group_value: &'static str,
    /// Pearson r between components (`None` where undefined).
    pub component_correlation: Vec<Vec<Option<f64>>>,
    /// Status → count (`ok`, `error`, and any `status` field values).
    pub statuses: BTreeMap<String, usize>,
    /// Error message (record prefix removed) → count, most frequent first.
    pub error_messages: Vec<(String, usize)>,
    /// Detector flag → samples carrying it.
    pub flags: BTreeMap<String, usize>,
    /// Samples with at least one flag.
    pub flagged: usize,
    #[serde(skip)]
    samples: Vec<SampleView>,
    #[serde(skip)]
    group_stds: Vec<f64>,
    #[serde(skip)]
    top: usize,
}

fn flags_of(value: Option<&Value>, default_name: &str) -> Vec<String> {
    let truthy = |v: &Value| match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Null => false,
    };
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                other if truthy(other) => Some(other.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Object(map)) => map.iter().filter(|(_, v)| truthy(v)).map(|(k, _)| k.clone()).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(other) if truthy(other) => vec![default_name.to_owned()],
        _ => Vec::new(),
    }
}

/// Drops the `record N: ` / `row N (id X): ` prefix so equal failures count together.
fn error_kind(message: &str) -> String {
    let starts = ["record ", "row "];
    if starts.iter().any(|s| message.starts_with(s))
        && let Some((_, rest)) = message.split_once(": ")
    {
        return rest.to_owned();
    }
    message.to_owned()
}

fn field<'a>(name: &str, score: &'a Map<String, Value>, rollout: Option<&'a Map<String, Value>>) -> Option<&'a Value> {
    score
        .get(name)
        .filter(|v| !v.is_null())
        .or_else(|| rollout.and_then(|r| r.get(name)).filter(|v| !v.is_null()))
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Builds the report from score rows and, optionally, the rollouts they score (same order, same length).
pub fn build(
    scores: &[Map<String, Value>],
    rollouts: Option<&[Map<String, Value>]>,
    options: &ReportOptions,
) -> Result<Report, EvalError> {
    if scores.is_empty() {
        return Err(EvalError::Input("no score rows: nothing to report".into()));
    }
    if let Some(rollouts) = rollouts
        && rollouts.len() != scores.len()
    {
        return Err(EvalError::Input(format!(
            "{} score rows but {} rollouts: the rollouts must be the file that was scored",
            scores.len(),
            rollouts.len()
        )));
    }
    let mut names: Vec<String> = Vec::new();
    for fields in scores {
        if let Some(Value::Object(components)) = fields.get("components") {
            for name in components.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
    }
    let mut samples = Vec::with_capacity(scores.len());
    for (index, fields) in scores.iter().enumerate() {
        let row = Row::new(index, fields);
        let rollout = rollouts.map(|r| &r[index]);
        if let Some(rollout) = rollout {
            let rollout_id = Row::new(index, rollout);
            if fields.contains_key("id") && rollout.contains_key("id") && row.id() != rollout_id.id() {
                return Err(row.error(format!(
                    "id differs from the rollout at the same position (`{}`): the rollouts must be the file that was scored",
                    rollout_id.id()
                )));
            }
        }
        let reward = if row.has("reward") {
            Some(row.number("reward")?)
        } else {
            None
        };
        let components = names
            .iter()
            .map(|name| {
                fields
                    .get("components")
                    .and_then(|c| c.get(name))
                    .and_then(Value::as_f64)
                    .filter(|v| v.is_finite())
            })
            .collect();
        let error = text_of(fields.get("error"));
        let status = text_of(fields.get("status")).unwrap_or_else(|| {
            if error.is_some() || reward.is_none() {
                "error"
            } else {
                "ok"
            }
            .to_owned()
        });
        let completion = text_of(field(&options.completion_field, fields, rollout));
        let length = match field("length", fields, rollout).and_then(Value::as_f64) {
            Some(length) => Some(length),
            #[allow(clippy::cast_precision_loss)]
            None => completion.as_ref().map(|c| c.split_whitespace().count() as f64),
        };
        let mut flags = flags_of(field("flags", fields, rollout), "flagged");
        flags.extend(flags_of(field("hack", fields, rollout), "hack"));
        samples.push(SampleView {
            id: row.id(),
            reward,
            combined: fields
                .get("diagnostics")
                .and_then(|d| d.get("combined"))
                .and_then(Value::as_f64),
            components,
            error,
            status,
            group: text_of(field(&options.group_field, fields, rollout)),
            length,
            flags,
            completion,
        });
    }
    Ok(summarize(samples, names, options))
}

fn summarize(samples: Vec<SampleView>, names: Vec<String>, options: &ReportOptions) -> Report {
    let rewards: Vec<f64> = samples.iter().filter_map(|s| s.reward).collect();
    let components = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<f64> = samples.iter().filter_map(|s| s.components[i]).collect();
            ComponentSummary {
                name: name.clone(),
                missing: samples.len() - values.len(),
                moments: Moments::of(&values),
            }
        })
        .collect();
    let length_pairs: Vec<(f64, f64)> = samples.iter().filter_map(|s| Some((s.length?, s.reward?))).collect();
    let use_combined = samples.iter().any(|s| s.combined.is_some());
    let mut by_group: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in &samples {
        let value = if use_combined { s.combined } else { s.reward };
        if let (Some(group), Some(value)) = (&s.group, value) {
            by_group.entry(group).or_default().push(value);
        }
    }
    let group_stds: Vec<f64> = by_group
        .values()
        .filter(|v| v.len() >= 2)
        .filter_map(|v| stats::std(v))
        .collect();
    let zero = group_stds.iter().filter(|s| **s <= 1e-12).count();
    let correlation = (0..names.len())
        .map(|i| {
            (0..names.len())
                .map(|j| {
                    let pairs: Vec<(f64, f64)> = samples
                        .iter()
                        .filter_map(|s| Some((s.components[i]?, s.components[j]?)))
                        .collect();
                    pearson(&pairs)
                })
                .collect()
        })
        .collect();
    let mut statuses = BTreeMap::new();
    let mut messages: BTreeMap<String, usize> = BTreeMap::new();
    let mut flags = BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.status.clone()).or_insert(0) += 1;
        if let Some(error) = &s.error {
            *messages.entry(error_kind(error)).or_insert(0) += 1;
        }
        for flag in &s.flags {
            *flags.entry(flag.clone()).or_insert(0) += 1;
        }
    }
    let mut error_messages: Vec<(String, usize)> = messages.into_iter().collect();
    error_messages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    #[allow(clippy::cast_precision_loss)]
    let zero_variance_fraction = (!group_stds.is_empty()).then(|| zero as f64 / group_stds.len() as f64);
    Report {
        title: options.title.clone(),
        records: samples.len(),
        errors: samples
            .iter()
            .filter(|s| s.error.is_some() || s.reward.is_none())
            .count(),
        reward: Moments::of(&rewards),
        components,
        length_correlation: pearson(&length_pairs),
        length_samples: length_pairs.len(),
        groups: group_stds.len(),
        zero_variance_groups: zero,
        zero_variance_fraction,
        group_value: if use_combined { "combined" } else { "reward" },
        component_correlation: correlation,
        statuses,
        error_messages,
        flagged: samples.iter().filter(|s| !s.flags.is_empty()).count(),
        flags,
        samples,
        group_stds,
        top: options.top,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows(values: &[Value]) -> Vec<Map<String, Value>> {
        values.iter().map(|v| v.as_object().unwrap().clone()).collect()
    }

    #[test]
    fn groups_lengths_flags_and_errors() {
        let scores = rows(&[
            json!({"id": "a", "reward": 1.0, "components": {"x": 1.0, "y": 0.0}, "error": null, "flags": ["tests_patched"]}),
            json!({"id": "b", "reward": 0.0, "components": {"x": 0.0, "y": 1.0}, "error": null, "hack": true}),
            json!({"id": "c", "reward": 0.5, "components": {"x": 0.5, "y": 0.5}, "error": null}),
            json!({"id": "d", "reward": null, "components": {"x": null, "y": 0.2}, "error": "record 3: missing field `reference`"}),
        ]);
        let rollouts = rows(&[
            json!({"id": "a", "group": "g1", "completion": "one two three"}),
            json!({"id": "b", "group": "g1", "completion": "one"}),
            json!({"id": "c", "group": "g2", "completion": "one two"}),
            json!({"id": "d", "group": "g2", "completion": "x"}),
        ]);
        let report = build(&scores, Some(&rollouts), &ReportOptions::default()).unwrap();
        assert_eq!((report.records, report.errors), (4, 1));
        assert_eq!(report.statuses["error"], 1);
        assert_eq!(report.error_messages, vec![("missing field `reference`".to_owned(), 1)]);
        assert_eq!(report.flags["tests_patched"], 1);
        assert_eq!(report.flags["hack"], 1);
        assert_eq!(report.flagged, 2);
        assert_eq!(report.length_samples, 3);
        assert!((report.length_correlation.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!((report.groups, report.zero_variance_groups), (1, 0));
        assert_eq!(report.component_correlation[0][1], Some(-1.0));
        assert_eq!(report.components[0].missing, 1);
        let page = report.html();
        assert!(page.contains("data-plot=\"reward-histogram\""));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn mismatched_rollouts_are_an_error() {
        let scores = rows(&[json!({"id": "a", "reward": 1.0})]);
        let rollouts = rows(&[json!({"id": "b"})]);
        let err = build(&scores, Some(&rollouts), &ReportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("row 0 (id a): id differs"), "{err}");
    }
}
