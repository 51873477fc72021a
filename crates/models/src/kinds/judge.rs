//! `judge`: an LLM judge over `/chat/completions`. The prompt is a template with the rubric and reference; the
//! answer is parsed either as a numeric score or as an RM-R1-style pairwise verdict (`<answer>[[A]]</answer>`).
//! An answer that cannot be parsed is an error record, never a zero.

use std::sync::Arc;

use assay_core::{Component, KeyError, Params, RewardError, RewardResults, Sample};
use futures::future::BoxFuture;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{self, Common, ModelReward};
use crate::error::snippet;

const SCORE_TEMPLATE: &str = "You are grading a response to a question.\n\nRubric:\n{rubric}\n\nQuestion:\n{prompt}\n\n\
Response:\n{completion}\n\nExplain your judgement briefly, then end with a final line `Score: N`, where N is an \
integer from 0 (worst) to 10 (best).";

const VERDICT_TEMPLATE: &str = "Please act as an impartial judge and compare two responses to the question below.\n\
{rubric}\n\nFirst write the rubric you will apply inside <rubric>...</rubric>, then your evaluation inside \
<eval>...</eval>, and finally your verdict: <answer>[[A]]</answer> if Response A is better or \
<answer>[[B]]</answer> if Response B is better.\n\n[Question]\n{prompt}\n\n[Response A]\n{completion}\n\n\
[Response B]\n{reference}";

const DEFAULT_SCORE_PATTERN: &str = r"(?i)(?:score\s*[:=]\s*\**\s*|<score>\s*)(-?\d+(?:\.\d+)?)";

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Format {
    Score,
    Verdict,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    #[serde(default = "default_format")]
    format: Format,
    #[serde(default)]
    rubric: String,
    system: Option<String>,
    score_pattern: Option<String>,
    score_range: Option<[f64; 2]>,
    #[serde(default = "default_position")]
    completion_position: String,
    #[serde(default)]
    temperature: f64,
    #[serde(default = "default_max_tokens")]
    max_tokens: u32,
}

fn default_format() -> Format {
    Format::Score
}
fn default_position() -> String {
    "A".into()
}
fn default_max_tokens() -> u32 {
    1024
}

enum Parser {
    Score { pattern: Regex, range: Option<[f64; 2]> },
    Verdict { completion_is_a: bool },
}

struct Judge {
    common: Common,
    system: Option<String>,
    rubric: String,
    parser: Parser,
    temperature: f64,
    max_tokens: u32,
}

struct Shared(Arc<Judge>);

pub(crate) fn build(params: &Params) -> Result<Arc<dyn ModelReward>, KeyError> {
    // The default template depends on `format`, so peek at it before splitting the keys.
    let verdict = params.0.get("format").and_then(|v| v.as_str()) == Some("verdict");
    let default_template = if verdict { VERDICT_TEMPLATE } else { SCORE_TEMPLATE };
    let (common, keys): (Common, Keys) = common::parse(params, default_template, &["rubric"])?;
    let parser = match keys.format {
        Format::Score => {
            if keys.completion_position != "A" {
                return Err(KeyError::new(
                    "completion_position",
                    "only applies to format = \"verdict\"",
                ));
            }
            let text = keys.score_pattern.as_deref().unwrap_or(DEFAULT_SCORE_PATTERN);
            let pattern = Regex::new(text).map_err(|err| KeyError::new("score_pattern", err.to_string()))?;
            if let Some([low, high]) = keys.score_range
                && !(low.is_finite() && high.is_finite() && low < high)
            {
                return Err(KeyError::new("score_range", "must be [low, high] with low < high"));
            }
            Parser::Score {
                pattern,
                range: keys.score_range,
            }
        }
        Format::Verdict => {
            if keys.score_pattern.is_some() || keys.score_range.is_some() {
                return Err(KeyError::new("score_pattern", "only applies to format = \"score\""));
            }
            let completion_is_a = match keys.completion_position.as_str() {
                "A" => true,
                "B" => false,
                other => {
                    return Err(KeyError::new(
                        "completion_position",
                        format!("must be \"A\" or \"B\", not `{other}`"),
                    ));
                }
            };
            Parser::Verdict { completion_is_a }
        }
    };
    if !(keys.temperature.is_finite() && keys.temperature >= 0.0) {
        return Err(KeyError::new("temperature", "must be a finite number ≥ 0"));
    }
    Ok(Arc::new(Shared(Arc::new(Judge {
        common,
        system: keys.system,
        rubric: keys.rubric,
        parser,
        temperature: keys.temperature,
        max_tokens: keys.max_tokens,
    }))))
}

impl Judge {
    fn request(&self, sample: &Sample) -> Result<Value, RewardError> {
        let prompt = self
            .common
            .template
            .render(sample, &self.common.fields, &[("rubric", &self.rubric)])?;
        let mut messages = Vec::new();
        if let Some(system) = &self.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.push(json!({"role": "user", "content": prompt}));
        Ok(json!({
            "model": self.common.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }))
    }

    async fn judge(&self, request: Value) -> Result<Component, RewardError> {
        let answer = self.common.endpoint.chat(request).await?;
        let text = answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                RewardError::Failed(format!(
                    "judge response has no choices[0].message.content: {}",
                    snippet(&answer.to_string(), 200)
                ))
            })?;
        let value = self.parser.parse(text)?;
        Ok(Component::new(value).with("judge_answer", snippet(text, 2000)))
    }
}

impl Parser {
    fn parse(&self, text: &str) -> Result<f64, RewardError> {
        match self {
            Self::Score { pattern, range } => {
                let captures = pattern.captures_iter(text).last().ok_or_else(|| {
                    RewardError::Failed(format!(
                        "judge answer has no score matching `{}`: {}",
                        pattern.as_str(),
                        snippet(text, 300)
                    ))
                })?;
                let matched = captures.get(1).or_else(|| captures.get(0)).map_or("", |m| m.as_str());
                let score: f64 = matched
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite())
                    .ok_or_else(|| RewardError::Failed(format!("judge score `{matched}` is not a number")))?;
                match range {
                    None => Ok(score),
                    Some([low, high]) if (*low..=*high).contains(&score) => Ok((score - low) / (high - low)),
                    Some([low, high]) => Err(RewardError::Failed(format!(
                        "judge score {score} is outside score_range [{low}, {high}]"
                    ))),
                }
            }
            Self::Verdict { completion_is_a } => {
                let a_wins = parse_verdict(text)?;
                Ok(if a_wins == *completion_is_a { 1.0 } else { 0.0 })
            }
        }
    }
}

/// RM-R1 verdict: inside the last `<answer>…</answer>` (or the whole text without one), exactly one of `[[A]]`,
/// `[[B]]` must appear; `true` when it is A. None or both → error.
fn parse_verdict(text: &str) -> Result<bool, RewardError> {
    let region = match (text.rfind("<answer>"), text.rfind("</answer>")) {
        (Some(open), Some(close)) if open < close => &text[open + "<answer>".len()..close],
        _ => text,
    };
    match (region.contains("[[A]]"), region.contains("[[B]]")) {
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        (has_a, _) => Err(RewardError::Failed(format!(
            "judge verdict is invalid ({}): {}",
            if has_a {
                "both [[A]] and [[B]]"
            } else {
                "no [[A]] or [[B]]"
            },
            snippet(text, 300)
        ))),
    }
}

impl ModelReward for Shared {
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults> {
        let requests: Vec<_> = samples.iter().map(|s| self.0.request(s)).collect();
        let this = self.0.clone();
        Box::pin(async move {
            let calls = requests.into_iter().map(|request| {
                let this = &this;
                async move { this.judge(request?).await }
            });
            futures::future::join_all(calls).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_rm_r1() {
        assert!(parse_verdict("<eval>A is wrong</eval><answer>[[B]]</answer>").is_ok_and(|a| !a));
        // A mention of [[A]] in the reasoning does not count once an <answer> block exists.
        assert!(parse_verdict("maybe [[A]]... <answer>[[B]]</answer>").is_ok_and(|a| !a));
        assert!(parse_verdict("<answer>[[A]] or [[B]]</answer>").is_err());
        assert!(parse_verdict("I cannot decide").is_err());
    }

    #[test]
    fn scores_take_the_last_match_and_check_the_range() {
        let parser = Parser::Score {
            pattern: Regex::new(DEFAULT_SCORE_PATTERN).unwrap(),
            range: Some([0.0, 10.0]),
        };
        assert_eq!(parser.parse("Score: 3 ... revised. Score: **8**").unwrap(), 0.8);
        assert!(parser.parse("Score: 11").is_err());
        assert!(parser.parse("looks good").is_err());
    }
}
