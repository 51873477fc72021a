//! `exact_match`: the strictly extracted answer equals one of the references after normalization.

use serde::Deserialize;
use serde_json::Value;

use super::common::{AnswerSource, completion_field, reference_field};
use super::extract::Extract;
use super::normalize::Normalize;
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "exact_match",
        summary: "1 if the strictly extracted answer equals a reference after normalization, else 0",
        build,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    extract: Extract,
    #[serde(default)]
    normalize: Normalize,
    #[serde(default = "completion_field")]
    completion_field: String,
    #[serde(default = "reference_field")]
    reference_field: String,
}

struct ExactMatch {
    source: AnswerSource,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(ExactMatch::new(&spec.params)?))
}

impl ExactMatch {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        Ok(Self {
            source: AnswerSource::new(
                params.extract,
                params.normalize,
                params.completion_field,
                params.reference_field,
            )?,
        })
    }
}

impl SampleReward for ExactMatch {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let normalize = &self.source.normalize;
        self.source.judge(sample, |answer, references| {
            let normalized = normalize.apply(&answer.text);
            let matched = references.iter().position(|r| normalize.apply(r) == normalized);
            Component::new(if matched.is_some() { 1.0 } else { 0.0 })
                .with("matched_reference", matched.map_or(Value::Null, Value::from))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<ExactMatch, KeyError> {
        ExactMatch::new(&TableParams(toml.parse().unwrap()))
    }

    fn score(toml: &str, completion: &str, reference: Value) -> Component {
        let sample = Sample::from_completion(completion).with_field("reference", reference);
        reward(toml).unwrap().score(&sample).unwrap()
    }

    #[test]
    fn strict_extraction_then_comparison() {
        assert_eq!(
            score("", "<think>hmm</think><answer> Paris. </answer>", json!("paris")).value,
            1.0
        );
        assert_eq!(score("", "So the answer is \\boxed{3.5}", json!("3.5")).value, 1.0);
        assert_eq!(score("", "So the answer is \\boxed{35}", json!("3.5")).value, 0.0);
        let c = score("", "\\boxed{7}", json!(["6", "7"]));
        assert_eq!((c.value, &c.diagnostics["matched_reference"]), (1.0, &json!(1)));
        assert_eq!(c.diagnostics["method"], "boxed");
        assert_eq!(
            score("normalize = 'exact'", "<answer>Paris</answer>", json!("paris")).value,
            0.0
        );
        assert_eq!(score("", "<answer>東京</answer>", json!("東京")).value, 1.0);
        assert_eq!(score("", "<answer>É</answer>", json!("é")).value, 1.0);
    }

    #[test]
    fn hacks_earn_nothing() {
        // The right answer hidden in the thinking, a wrong one outside.
        let c = score("", "<think>\\boxed{4}</think>\\boxed{5}", json!("4"));
        assert_eq!((c.value, c.diagnostics["extracted"].as_str()), (0.0, Some("5")));
        // Spraying several answers.
        let c = score("", "<answer>4</answer><answer>5</answer>", json!("4"));
        assert_eq!(c.value, 0.0);
        assert!(c.diagnostics["reason"].as_str().unwrap().contains("conflicting"));
        assert_eq!(score("", "\\boxed{4} or \\boxed{5}", json!("4")).value, 0.0);
        assert_eq!(score("", "<think>4", json!("4")).value, 0.0);
        // The reference inside a longer answer is not an exact match.
        assert_eq!(score("", "<answer>4 or 5</answer>", json!("4")).value, 0.0);
        // Without extraction the whole completion must match.
        assert_eq!(score("extract = 'none'", "4", json!("4")).value, 1.0);
    }

    #[test]
    fn bad_input_is_an_error_not_zero() {
        let r = reward("").unwrap();
        assert_eq!(
            r.score(&Sample::from_completion("4")).unwrap_err().kind(),
            "MissingField"
        );
        let s = Sample::from_completion("4").with_field("reference", json!({"a": 1}));
        assert_eq!(r.score(&s).unwrap_err().kind(), "WrongType");
        let s = Sample::from_completion("4").with_field("reference", json!(4));
        assert_eq!(r.score(&s).unwrap().value, 1.0);
        assert_eq!(reward("extract = 'first'").err().unwrap().key, "extract");
        assert_eq!(reward("normalise = 'squad'").err().unwrap().key, "normalise");
        assert_eq!(reward("reference_field = ' '").err().unwrap().key, "reference_field");
        let r = reward("reference_field = 'gold'").unwrap();
        let s = Sample::from_completion("4").with_field("gold", "4");
        assert_eq!(r.score(&s).unwrap().value, 1.0);
    }
}
