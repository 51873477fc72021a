//! `keyword_chain`: RLVRR's content reward (spec §13). Per key point, the keywords found in the reference and in
//! the response, in order of occurrence with repeats kept, are compared by longest common subsequence:
//! mean over key points of |LCS| / max(|ref|, |resp|); with several references, the best one per key point.
//!
//! Keywords are matched case-insensitively as literals (word boundaries at word-character edges by default).
//! Where keywords overlap in the text, the leftmost wins and, at the same start, the longest.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::common::{check_field_name, completion_field, no_answer, reference_field, references};
use super::contains::occurs_at_boundary;
use super::extract::{Extract, extract};
use crate::spec::rlvrr::{KeyPointMatches, content_reward, key_point_score};
use crate::{
    Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward, wrong_type,
};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "keyword_chain",
        summary: "RLVRR content reward: ordered keyword chains of reference and response compared by LCS",
        build,
    }
}

/// `keywords = ["a", "b"]` (one key point) or `keywords = [["a", "b"], ["c"]]` (several).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Keywords {
    Flat(Vec<String>),
    Nested(Vec<Vec<String>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    keywords: Option<Keywords>,
    keypoints_field: Option<String>,
    #[serde(default = "after_think")]
    extract: Extract,
    #[serde(default = "yes")]
    word_boundary: bool,
    #[serde(default = "completion_field")]
    completion_field: String,
    #[serde(default = "reference_field")]
    reference_field: String,
}

fn after_think() -> Extract {
    Extract::AfterThink
}

fn yes() -> bool {
    true
}

enum Source {
    /// Fixed key points from the pipeline file, already lowercased.
    Fixed(Vec<Vec<String>>),
    /// Key points read from this record field.
    Field(String),
}

struct KeywordChain {
    source: Source,
    extract: Extract,
    word_boundary: bool,
    completion_field: String,
    reference_field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(KeywordChain::new(&spec.params)?))
}

impl KeywordChain {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        check_field_name("reference_field", &params.reference_field)?;
        let source = match (params.keywords, params.keypoints_field) {
            (Some(_), Some(_)) => {
                return Err(KeyError::new(
                    "keypoints_field",
                    "give either `keywords` (fixed) or `keypoints_field` (per record), not both",
                ));
            }
            (Some(keywords), None) => {
                let key_points = match keywords {
                    Keywords::Flat(words) => vec![words],
                    Keywords::Nested(points) => points,
                };
                if key_points.is_empty() || key_points.iter().any(Vec::is_empty) {
                    return Err(KeyError::new("keywords", "every key point needs at least one keyword"));
                }
                if key_points.iter().flatten().any(|k| k.trim().is_empty()) {
                    return Err(KeyError::new("keywords", "keywords must not be blank"));
                }
                Source::Fixed(
                    key_points
                        .iter()
                        .map(|point| point.iter().map(|k| k.trim().to_lowercase()).collect())
                        .collect(),
                )
            }
            (None, field) => {
                let field = field.unwrap_or_else(|| "keypoints".to_owned());
                check_field_name("keypoints_field", &field)?;
                Source::Field(field)
            }
        };
        Ok(Self {
            source,
            extract: params.extract,
            word_boundary: params.word_boundary,
            completion_field: params.completion_field,
            reference_field: params.reference_field,
        })
    }
}

/// Key points from the record: a list of lists of keywords, or a flat list (one key point); lowercased.
fn record_key_points(sample: &Sample, field: &str) -> Result<Vec<Vec<String>>, RewardError> {
    const EXPECTED: &str = "a list of keyword lists (or one list of keywords)";
    let value = sample.field(field)?;
    let Value::Array(items) = value else {
        return Err(wrong_type(field, EXPECTED, value));
    };
    let keyword = |item: &Value| match item {
        Value::String(text) if !text.trim().is_empty() => Ok(text.trim().to_lowercase()),
        Value::String(_) => Err(RewardError::EmptyInput(format!(
            "field `{field}` holds a blank keyword"
        ))),
        other => Err(wrong_type(field, EXPECTED, other)),
    };
    if items.iter().all(Value::is_string) {
        return Ok(vec![items.iter().map(keyword).collect::<Result<_, _>>()?]);
    }
    items
        .iter()
        .map(|point| match point {
            Value::Array(words) if !words.is_empty() => words.iter().map(keyword).collect(),
            Value::Array(_) => Err(RewardError::EmptyInput(format!(
                "field `{field}` holds a key point without keywords"
            ))),
            other => Err(wrong_type(field, EXPECTED, other)),
        })
        .collect()
}

/// The keyword indices in order of occurrence in `text` (already lowercased), repeats kept, overlaps resolved
/// leftmost-longest.
fn chain(text: &str, keywords: &[String], word_boundary: bool) -> Vec<usize> {
    let mut hits: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, keyword)
    for (index, keyword) in keywords.iter().enumerate() {
        for (at, _) in text.match_indices(keyword.as_str()) {
            if !word_boundary || occurs_at_boundary(text, at, keyword) {
                hits.push((at, at + keyword.len(), index));
            }
        }
    }
    hits.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut covered = 0;
    let mut sequence = Vec::with_capacity(hits.len());
    for (start, end, index) in hits {
        if start >= covered {
            sequence.push(index);
            covered = end;
        }
    }
    sequence
}

impl SampleReward for KeywordChain {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.completion_field)?;
        let references = references(sample, &self.reference_field)?;
        let key_points: Cow<'_, [Vec<String>]> = match &self.source {
            Source::Fixed(points) => Cow::Borrowed(points),
            Source::Field(field) => Cow::Owned(record_key_points(sample, field)?),
        };
        let response = match extract(&completion, self.extract) {
            Ok(answer) => answer.text.to_lowercase(),
            Err(reason) => return Ok(no_answer(reason.0).with("key_points", key_points.len())),
        };
        let references: Vec<String> = references.iter().map(|r| r.to_lowercase()).collect();
        let mut chosen = Vec::with_capacity(key_points.len());
        let mut scores = Vec::with_capacity(key_points.len());
        for keywords in key_points.iter() {
            let in_response = chain(&response, keywords, self.word_boundary);
            let best = references
                .iter()
                .map(|reference| KeyPointMatches {
                    reference: chain(reference, keywords, self.word_boundary),
                    response: in_response.clone(),
                })
                .max_by(|a, b| key_point_score(a).total_cmp(&key_point_score(b)))
                .unwrap_or(KeyPointMatches {
                    reference: Vec::new(),
                    response: in_response,
                });
            scores.push(Value::from(key_point_score(&best)));
            chosen.push(best);
        }
        Ok(Component::new(content_reward(&chosen))
            .with("key_points", key_points.len())
            .with("key_point_scores", Value::Array(scores)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<KeywordChain, KeyError> {
        KeywordChain::new(&TableParams(toml.parse().unwrap()))
    }

    fn score(toml: &str, sample: Sample) -> Result<Component, RewardError> {
        reward(toml).unwrap().score(&sample)
    }

    fn sample(completion: &str, reference: Value, keypoints: Value) -> Sample {
        Sample::from_completion(completion)
            .with_field("reference", reference)
            .with_field("keypoints", keypoints)
    }

    #[test]
    fn spec_example_through_text() {
        // Key point 1: ref chain [a, b, c, d], response [a, c, d] plus an unrelated word → LCS 3 / max(4, 3).
        // Key point 2: ref [e, f], response [f, e] → 1/2. Mean = (0.75 + 0.5) / 2 = 0.625, the spec's value.
        let s = sample(
            "<think>alpha beta gamma delta</think>Alpha then gamma, x, delta. Foxtrot before echo.",
            json!("alpha beta gamma delta; echo and foxtrot"),
            json!([["alpha", "beta", "gamma", "delta"], ["echo", "foxtrot"]]),
        );
        let c = score("", s).unwrap();
        assert!((c.value - 0.625).abs() < 1e-12, "{c:?}");
        assert_eq!(c.diagnostics["key_point_scores"], json!([0.75, 0.5]));
    }

    #[test]
    fn repeats_are_kept_and_penalised() {
        let s = sample("a a b b", json!("a b"), json!(["a", "b"]));
        assert_eq!(score("", s).unwrap().value, 0.5);
    }

    #[test]
    fn fixed_keywords_boundaries_and_multiple_references() {
        let toml = "keywords = [['New York', 'York'], ['Paris']]";
        // "new york" wins over the overlapping "york" (leftmost, longest).
        let s = Sample::from_completion("NEW YORK and Paris")
            .with_field("reference", json!(["nothing", "new york then paris"]));
        assert_eq!(score(toml, s).unwrap().value, 1.0);
        let s = Sample::from_completion("Yorkshire, Parisian").with_field("reference", "york paris");
        assert_eq!(score(toml, s).unwrap().value, 0.0);
        let s = Sample::from_completion("Yorkshire, Parisian").with_field("reference", "york paris");
        assert_eq!(score(&format!("{toml}\nword_boundary = false"), s).unwrap().value, 1.0);
        let s = Sample::from_completion("東京タワー").with_field("reference", "東京タワー");
        assert_eq!(
            score("keywords = ['東京']\nword_boundary = false", s).unwrap().value,
            1.0
        );
    }

    #[test]
    fn edge_cases_and_errors() {
        // No keyword found anywhere → 0 for that key point (spec edge case).
        let s = sample("zzz", json!("zzz"), json!([["q"]]));
        assert_eq!(score("", s).unwrap().value, 0.0);
        let s = sample("a", json!("a"), json!("a"));
        assert_eq!(score("", s).unwrap_err().kind(), "WrongType");
        let s = sample("a", json!("a"), json!([[]]));
        assert_eq!(score("", s).unwrap_err().kind(), "EmptyInput");
        let s = sample("a", json!("a"), json!([["a", 1]]));
        assert_eq!(score("", s).unwrap_err().kind(), "WrongType");
        let s = Sample::from_completion("a").with_field("reference", "a");
        assert_eq!(score("", s).unwrap_err().kind(), "MissingField");
        let s = sample("<think>a b", json!("a b"), json!(["a", "b"]));
        assert_eq!(score("", s).unwrap().value, 0.0);
        assert_eq!(reward("keywords = []").err().unwrap().key, "keywords");
        assert_eq!(reward("keywords = [['a'], []]").err().unwrap().key, "keywords");
        assert_eq!(
            reward("keywords = ['a']\nkeypoints_field = 'k'").err().unwrap().key,
            "keypoints_field"
        );
        assert_eq!(reward("keywords = 3").err().unwrap().key, "keywords");
        assert_eq!(reward("keyword = ['a']").err().unwrap().key, "keyword");
    }
}
