//! `likelihood`: the log-probability a model gives the reference continuation after the prompt and completion
//! (spec §11: VeriFree, RLPR, likelihood-based reward designs), scored with `/completions` `echo` + `logprobs`;
//! and Follow-up Likelihood as Reward (FLR) when `positive`/`negative` follow-ups are given.

use std::sync::Arc;

use assay_core::spec::likelihood::{answer_logprob_reward, answer_prob_reward, follow_up_likelihood_reward};
use assay_core::{Component, KeyError, Params, RewardError, RewardResults, Sample};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::common::{self, Common, ModelReward};
use crate::error::snippet;
use crate::template::Template;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Output {
    Logprob,
    Prob,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    continuation: Option<String>,
    #[serde(default = "default_output")]
    reward: Output,
    #[serde(default = "default_normalize")]
    normalize: bool,
    positive: Option<Vec<String>>,
    negative: Option<Vec<String>>,
    answer_delimiter: Option<String>,
    truncated_reward: Option<f64>,
}

fn default_output() -> Output {
    Output::Logprob
}
fn default_normalize() -> bool {
    true
}

/// Where the chain of thought ends: the completion is scored up to and including the last `delimiter` (the
/// policy's own answer after it is replaced by the continuation); without one it was truncated.
struct AnswerCut {
    delimiter: String,
    /// The reward of a truncated completion (spec §11's floor); `None` makes it an error record.
    truncated_reward: Option<f64>,
}

enum Mode {
    /// One continuation (the reference) per sample.
    Reference {
        output: Output,
        normalize: bool,
        cut: Option<AnswerCut>,
    },
    /// FLR over positive and negative follow-ups.
    FollowUp {
        positive: Vec<String>,
        negative: Vec<String>,
    },
}

struct Likelihood {
    common: Common,
    continuation: Template,
    mode: Mode,
}

struct Shared(Arc<Likelihood>);

pub(crate) fn build(params: &Params) -> Result<Arc<dyn ModelReward>, KeyError> {
    let (common, keys): (Common, Keys) = common::parse(params, "{prompt}{completion}", &[])?;
    let cut = match (keys.answer_delimiter, keys.truncated_reward) {
        (Some(delimiter), _) if delimiter.is_empty() => {
            return Err(KeyError::new("answer_delimiter", "must not be empty"));
        }
        (Some(delimiter), truncated_reward) => Some(AnswerCut {
            delimiter,
            truncated_reward,
        }),
        (None, Some(_)) => {
            return Err(KeyError::new(
                "truncated_reward",
                "needs `answer_delimiter` (a completion without it counts as truncated)",
            ));
        }
        (None, None) => None,
    };
    let mode = match (keys.positive, keys.negative) {
        (None, None) => Mode::Reference {
            output: keys.reward,
            normalize: keys.normalize,
            cut,
        },
        _ if cut.is_some() => {
            return Err(KeyError::new(
                "answer_delimiter",
                "applies to reference likelihood, not to FLR (positive/negative follow-ups)",
            ));
        }
        (Some(positive), Some(negative)) => {
            for (key, list) in [("positive", &positive), ("negative", &negative)] {
                if list.is_empty() {
                    return Err(KeyError::new(key, "needs at least one follow-up"));
                }
            }
            if params.0.contains_key("reward") || params.0.contains_key("normalize") {
                return Err(KeyError::new(
                    "reward",
                    "FLR (positive/negative follow-ups) always uses mean token log-probabilities; drop `reward` and \
                     `normalize`",
                ));
            }
            Mode::FollowUp { positive, negative }
        }
        (Some(_), None) => return Err(KeyError::new("negative", "FLR needs both `positive` and `negative`")),
        (None, Some(_)) => return Err(KeyError::new("positive", "FLR needs both `positive` and `negative`")),
    };
    let (default_continuation, slots): (&str, &[&str]) = match mode {
        Mode::Reference { .. } => ("{reference}", &[]),
        Mode::FollowUp { .. } => ("\n\nUser: {follow_up}", &["follow_up"]),
    };
    let continuation = Template::parse(
        "continuation",
        keys.continuation.as_deref().unwrap_or(default_continuation),
        slots,
    )?;
    if matches!(mode, Mode::FollowUp { .. }) && !continuation.uses("follow_up") {
        return Err(KeyError::new("continuation", "must contain `{follow_up}` in FLR mode"));
    }
    Ok(Arc::new(Shared(Arc::new(Likelihood {
        common,
        continuation,
        mode,
    }))))
}

/// One text to score: the context, then the continuation whose tokens count.
struct Scored {
    text: String,
    continuation_chars: usize,
}

/// What a sample needs: texts to score, or the truncation floor without asking the model.
enum Prepared {
    Texts(Vec<Scored>),
    Truncated(f64),
}

impl Likelihood {
    fn prepare(&self, sample: &Sample) -> Result<Prepared, RewardError> {
        let fields = &self.common.fields;
        let completion = match &self.mode {
            Mode::Reference { cut: Some(cut), .. } => {
                let completion = sample.text(&fields.completion)?;
                match completion.rfind(&cut.delimiter) {
                    Some(at) => Some(completion[..at + cut.delimiter.len()].to_owned()),
                    None => {
                        return match cut.truncated_reward {
                            Some(floor) => Ok(Prepared::Truncated(floor)),
                            None => Err(RewardError::Failed(format!(
                                "field `{}` has no answer delimiter `{}` (truncated chain of thought); set \
                                 `truncated_reward` to score such completions",
                                fields.completion, cut.delimiter
                            ))),
                        };
                    }
                }
            }
            _ => None,
        };
        let overrides: Vec<(&str, &str)> = completion.iter().map(|c| ("completion", c.as_str())).collect();
        let context = self.common.template.render(sample, fields, &overrides)?;
        let scored = |continuation: String| Scored {
            continuation_chars: continuation.chars().count(),
            text: format!("{context}{continuation}"),
        };
        let texts = match &self.mode {
            Mode::Reference { .. } => vec![scored(self.continuation.render(sample, fields, &[])?)],
            Mode::FollowUp { positive, negative } => positive
                .iter()
                .chain(negative)
                .map(|f| Ok(scored(self.continuation.render(sample, fields, &[("follow_up", f)])?)))
                .collect::<Result<_, RewardError>>()?,
        };
        Ok(Prepared::Texts(texts))
    }

    fn value(&self, per_text: Vec<Vec<f64>>) -> Result<Component, RewardError> {
        match &self.mode {
            Mode::Reference { output, normalize, .. } => {
                let logprobs = &per_text[0];
                let value = match output {
                    Output::Logprob => answer_logprob_reward(logprobs, *normalize)?,
                    Output::Prob => answer_prob_reward(logprobs, *normalize)?,
                };
                Ok(Component::new(value)
                    .with("tokens", logprobs.len())
                    .with("sum_logprob", logprobs.iter().sum::<f64>()))
            }
            Mode::FollowUp { positive, .. } => {
                let means = per_text
                    .iter()
                    .map(|l| answer_logprob_reward(l, true))
                    .collect::<Result<Vec<_>, _>>()?;
                let (pos, neg) = means.split_at(positive.len());
                Ok(Component::new(follow_up_likelihood_reward(pos, neg)?)
                    .with("positive_mean_logprobs", pos.to_vec())
                    .with("negative_mean_logprobs", neg.to_vec()))
            }
        }
    }
}

/// The log-probabilities of the tokens covering the last `continuation_chars` characters of the echoed prompt.
///
/// With `echo` and `max_tokens = 1` the last token is the generated one; the prompt ends where it starts. A token
/// that straddles the context/continuation boundary counts as part of the continuation.
fn continuation_logprobs(choice: &Value, continuation_chars: usize) -> Result<Vec<f64>, RewardError> {
    let bad = |what: &str| {
        RewardError::Failed(format!(
            "completion answer has no {what} (the server must support echo with logprobs): {}",
            snippet(&choice.to_string(), 200)
        ))
    };
    let logprobs = choice.get("logprobs").ok_or_else(|| bad("logprobs"))?;
    let list = |key: &str| logprobs.get(key).and_then(Value::as_array).ok_or_else(|| bad(key));
    let (tokens, token_logprobs, offsets) = (list("tokens")?, list("token_logprobs")?, list("text_offset")?);
    if tokens.len() < 2 || token_logprobs.len() != tokens.len() || offsets.len() != tokens.len() {
        return Err(bad("tokens/token_logprobs/text_offset of equal length ≥ 2"));
    }
    let offset = |i: usize| {
        offsets[i]
            .as_u64()
            .map(|o| o as usize)
            .ok_or_else(|| bad("integer text_offset"))
    };
    let prompt_tokens = tokens.len() - 1;
    let prompt_end = offset(prompt_tokens)?;
    let boundary = prompt_end
        .checked_sub(continuation_chars)
        .ok_or_else(|| bad("echoed prompt as long as the continuation"))?;
    let mut selected = Vec::new();
    for i in 0..prompt_tokens {
        let token_chars = tokens[i].as_str().map_or(0, |t| t.chars().count());
        if offset(i)? + token_chars > boundary {
            let logprob = token_logprobs[i]
                .as_f64()
                .ok_or_else(|| RewardError::Failed(format!("continuation token {i} has no log-probability")))?;
            selected.push(logprob);
        }
    }
    Ok(selected)
}

impl ModelReward for Shared {
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults> {
        let prepared: Vec<Result<Prepared, RewardError>> = samples.iter().map(|s| self.0.prepare(s)).collect();
        let this = self.0.clone();
        Box::pin(async move {
            let prompts: Vec<Value> = prepared
                .iter()
                .flat_map(|p| match p {
                    Ok(Prepared::Texts(texts)) => texts.as_slice(),
                    _ => &[],
                })
                .map(|s| Value::from(s.text.clone()))
                .collect();
            let mut body = Map::new();
            body.insert("model".into(), Value::from(this.common.model.clone()));
            body.insert("max_tokens".into(), Value::from(1));
            body.insert("temperature".into(), Value::from(0.0));
            body.insert("echo".into(), Value::from(true));
            body.insert("logprobs".into(), Value::from(1));
            let mut answers = this.common.endpoint.completions(body, prompts).await.into_iter();
            prepared
                .into_iter()
                .map(|p| {
                    let texts = match p? {
                        Prepared::Texts(texts) => texts,
                        Prepared::Truncated(floor) => return Ok(Component::new(floor).with("truncated", true)),
                    };
                    // Consume this sample's answers even if one fails, to stay aligned with the next sample.
                    let per_text: Vec<Result<Vec<f64>, RewardError>> = texts
                        .iter()
                        .map(|scored| match answers.next() {
                            Some(Ok(choice)) => continuation_logprobs(&choice, scored.continuation_chars),
                            Some(Err(err)) => Err(err.into()),
                            None => Err(RewardError::Failed("internal: missing model answer".into())),
                        })
                        .collect();
                    this.value(per_text.into_iter().collect::<Result<_, _>>()?)
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn picks_the_tokens_of_the_continuation() {
        // "Q A" + " 42", tokens: "Q", " A", " 4", "2", then a generated "!".
        let choice = json!({"logprobs": {
            "tokens": ["Q", " A", " 4", "2", "!"],
            "token_logprobs": [null, -1.0, -0.5, -0.25, -3.0],
            "text_offset": [0, 1, 3, 5, 6],
        }});
        assert_eq!(continuation_logprobs(&choice, 3).unwrap(), vec![-0.5, -0.25]);
        // A token straddling the boundary ("A 4" split as " A 4") belongs to the continuation.
        assert_eq!(continuation_logprobs(&choice, 2).unwrap(), vec![-0.5, -0.25]);
        assert!(continuation_logprobs(&json!({"logprobs": {}}), 1).is_err());
    }
}
