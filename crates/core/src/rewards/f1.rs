//! `f1`: SQuAD-style token F1 between the strictly extracted answer and the best reference.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::common::{AnswerSource, completion_field, reference_field};
use super::extract::Extract;
use super::normalize::Normalize;
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "f1",
        summary: "SQuAD token F1 of the strictly extracted answer against the best reference",
        build,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    extract: Extract,
    #[serde(default = "squad")]
    normalize: Normalize,
    #[serde(default = "completion_field")]
    completion_field: String,
    #[serde(default = "reference_field")]
    reference_field: String,
}

fn squad() -> Normalize {
    Normalize::Squad
}

struct F1 {
    source: AnswerSource,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(F1::new(&spec.params)?))
}

/// Token precision, recall and F1 (SQuAD `f1_score`, with SQuAD v2's rule that two empty token lists agree).
fn token_f1(prediction: &str, reference: &str) -> (f64, f64, f64) {
    let predicted: Vec<&str> = prediction.split_whitespace().collect();
    let expected: Vec<&str> = reference.split_whitespace().collect();
    if predicted.is_empty() || expected.is_empty() {
        let agree = if predicted.is_empty() && expected.is_empty() {
            1.0
        } else {
            0.0
        };
        return (agree, agree, agree);
    }
    let mut available: HashMap<&str, usize> = HashMap::with_capacity(expected.len());
    for token in &expected {
        *available.entry(token).or_default() += 1;
    }
    let mut same = 0usize;
    for token in &predicted {
        if let Some(left) = available.get_mut(token)
            && *left > 0
        {
            *left -= 1;
            same += 1;
        }
    }
    if same == 0 {
        return (0.0, 0.0, 0.0);
    }
    #[allow(clippy::cast_precision_loss)]
    let (precision, recall) = (
        same as f64 / predicted.len() as f64,
        same as f64 / expected.len() as f64,
    );
    (precision, recall, 2.0 * precision * recall / (precision + recall))
}

impl F1 {
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

impl SampleReward for F1 {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let normalize = &self.source.normalize;
        self.source.judge(sample, |answer, references| {
            let prediction = normalize.apply(&answer.text);
            let mut best = (0usize, (0.0, 0.0, 0.0));
            for (index, reference) in references.iter().enumerate() {
                let scores = token_f1(&prediction, &normalize.apply(reference));
                if index == 0 || scores.2 > best.1.2 {
                    best = (index, scores);
                }
            }
            let (index, (precision, recall, f1)) = best;
            Component::new(f1)
                .with("precision", precision)
                .with("recall", recall)
                .with("best_reference", Value::from(index))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Params as TableParams;

    fn score(toml: &str, completion: &str, reference: Value) -> Component {
        let sample = Sample::from_completion(completion).with_field("reference", reference);
        F1::new(&TableParams(toml.parse().unwrap()))
            .unwrap()
            .score(&sample)
            .unwrap()
    }

    #[test]
    fn squad_token_f1() {
        // prediction "eiffel tower paris", reference "eiffel tower" → P = 2/3, R = 1, F1 = 0.8.
        let c = score(
            "",
            "<answer>The Eiffel Tower, Paris</answer>",
            json!("the eiffel tower"),
        );
        assert!((c.value - 0.8).abs() < 1e-12, "{c:?}");
        assert_eq!(c.diagnostics["recall"], 1.0);
        // Repeated tokens count once per reference occurrence.
        let c = score("", "<answer>a cat cat cat</answer>", json!("cat dog"));
        assert!((c.value - 2.0 * (1.0 / 3.0) * 0.5 / (1.0 / 3.0 + 0.5)).abs() < 1e-12);
        let c = score("", "<answer>blue</answer>", json!(["red", "light blue", "blue"]));
        assert_eq!((c.value, &c.diagnostics["best_reference"]), (1.0, &json!(2)));
        assert_eq!(score("", "<answer>green</answer>", json!("red")).value, 0.0);
        // Articles only on both sides: SQuAD v2 counts empty vs empty as agreement.
        assert_eq!(score("", "<answer>the</answer>", json!("a")).value, 1.0);
        assert_eq!(
            score("", "<answer>東京 タワー</answer>", json!("東京")).value,
            2.0 / 3.0
        );
    }

    #[test]
    fn no_answer_and_hidden_answers() {
        let c = score("", "<think>the eiffel tower</think>", json!("eiffel tower"));
        assert_eq!(c.value, 0.0);
        assert!(c.diagnostics["reason"].is_string());
        assert_eq!(score("", "<answer>x</answer><answer>y</answer>", json!("x")).value, 0.0);
        assert_eq!(
            score("normalize = 'basic'", "<answer>The cat</answer>", json!("cat")).value,
            2.0 / 3.0
        );
    }
}
