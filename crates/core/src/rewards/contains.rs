//! `contains`: the reference occurs in the strictly extracted answer (as a whole word by default).

use serde::Deserialize;
use serde_json::Value;

use super::common::{AnswerSource, completion_field, reference_field};
use super::extract::Extract;
use super::normalize::Normalize;
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "contains",
        summary: "1 if a reference (or every reference) occurs in the strictly extracted answer, else 0",
        build,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Require {
    #[default]
    Any,
    All,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    extract: Extract,
    #[serde(default)]
    normalize: Normalize,
    #[serde(default = "yes")]
    word_boundary: bool,
    #[serde(default)]
    require: Require,
    #[serde(default = "completion_field")]
    completion_field: String,
    #[serde(default = "reference_field")]
    reference_field: String,
}

fn yes() -> bool {
    true
}

struct Contains {
    source: AnswerSource,
    word_boundary: bool,
    require: Require,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Contains::new(&spec.params)?))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `needle` occurs in `haystack`; with `word_boundary`, an occurrence whose edge is a word character
/// must not continue a word on that side ("5" is not in "15", "cat" is not in "cats", "$5" is in "($5)").
pub(crate) fn occurs(haystack: &str, needle: &str, word_boundary: bool) -> bool {
    if !word_boundary {
        return haystack.contains(needle);
    }
    haystack
        .match_indices(needle)
        .any(|(at, _)| occurs_at_boundary(haystack, at, needle))
}

/// Whether the occurrence of `needle` at byte `at` of `haystack` is not part of a longer word.
pub(crate) fn occurs_at_boundary(haystack: &str, at: usize, needle: &str) -> bool {
    let starts_word = needle.chars().next().is_some_and(is_word_char);
    let ends_word = needle.chars().next_back().is_some_and(is_word_char);
    let before = haystack[..at].chars().next_back();
    let after = haystack[at + needle.len()..].chars().next();
    let joins_before = starts_word && before.is_some_and(is_word_char);
    let joins_after = ends_word && after.is_some_and(is_word_char);
    !(joins_before || joins_after)
}

impl Contains {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        Ok(Self {
            source: AnswerSource::new(
                params.extract,
                params.normalize,
                params.completion_field,
                params.reference_field,
            )?,
            word_boundary: params.word_boundary,
            require: params.require,
        })
    }
}

impl SampleReward for Contains {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let normalize = &self.source.normalize;
        self.source.judge(sample, |answer, references| {
            let haystack = normalize.apply(&answer.text);
            let found: Vec<Value> = references
                .iter()
                .enumerate()
                .filter(|(_, reference)| {
                    let needle = normalize.apply(reference);
                    !needle.is_empty() && occurs(&haystack, &needle, self.word_boundary)
                })
                .map(|(index, _)| Value::from(index))
                .collect();
            let credit = match self.require {
                Require::Any => !found.is_empty(),
                Require::All => found.len() == references.len(),
            };
            Component::new(if credit { 1.0 } else { 0.0 }).with("found_references", Value::Array(found))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Params as TableParams;

    fn score(toml: &str, completion: &str, reference: Value) -> f64 {
        let sample = Sample::from_completion(completion).with_field("reference", reference);
        Contains::new(&TableParams(toml.parse().unwrap()))
            .unwrap()
            .score(&sample)
            .unwrap()
            .value
    }

    #[test]
    fn word_boundaries() {
        assert!(occurs("x = 15", "5", false));
        assert!(!occurs("x = 15", "5", true));
        assert!(occurs("x = 5.", "5", true));
        assert!(occurs("cost ($5)", "$5", true));
        assert!(!occurs("cats", "cat", true));
        assert!(occurs("cats and a cat", "cat", true));
        assert!(occurs("東京タワー", "東京タワー", true));
        assert!(occurs("🙂ok🙂", "ok", true));
    }

    #[test]
    fn contains_in_the_extracted_answer() {
        assert_eq!(score("", "The capital is Paris, of course.", json!("paris")), 1.0);
        assert_eq!(score("", "<think>Paris?</think>It is Lyon.", json!("Paris")), 0.0);
        assert_eq!(score("", "<answer>New   York City</answer>", json!("new york")), 1.0);
        assert_eq!(score("", "<answer>Newark</answer>", json!("new")), 0.0);
        assert_eq!(
            score("word_boundary = false", "<answer>Newark</answer>", json!("new")),
            1.0
        );
        assert_eq!(
            score("normalize = 'exact'", "<answer>paris</answer>", json!("Paris")),
            0.0
        );
        assert_eq!(
            score("", "<answer>red and blue</answer>", json!(["green", "blue"])),
            1.0
        );
        assert_eq!(
            score(
                "require = 'all'",
                "<answer>red and blue</answer>",
                json!(["green", "blue"])
            ),
            0.0
        );
        assert_eq!(
            score(
                "require = 'all'",
                "<answer>red and blue</answer>",
                json!(["red", "blue"])
            ),
            1.0
        );
        assert_eq!(score("", "<answer>a</answer><answer>b</answer>", json!("a")), 0.0);
    }
}
