//! `p_yes`: RewardDance-style P("yes") — ask the model whether the completion is good and read the probability of
//! "yes" at the first answer token from its top log-probabilities, renormalized over yes/no (spec §12:
//! `σ(l_yes − l_no)` with each side's probability summed over its case/space variants).

use std::sync::Arc;

use assay_core::spec::genrm::p_yes_reward;
use assay_core::{Component, KeyError, Params, RewardError, RewardResults, Sample};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::common::{self, Common, ModelReward};
use crate::error::snippet;

const TEMPLATE: &str = "Question:\n{prompt}\n\nResponse:\n{completion}\n\nIs the response correct and does it fully \
answer the question? Answer with a single word, yes or no.";

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Api {
    Chat,
    Completions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    #[serde(default = "default_api")]
    api: Api,
    #[serde(default = "default_top_logprobs")]
    top_logprobs: u32,
    yes_tokens: Option<Vec<String>>,
    no_tokens: Option<Vec<String>>,
    system: Option<String>,
}

fn default_api() -> Api {
    Api::Chat
}
fn default_top_logprobs() -> u32 {
    20
}

/// Which tokens count as "yes" or "no".
enum Matcher {
    /// Any token that is the word once trimmed and lower-cased ("Yes", " yes", "YES").
    Word(&'static str),
    /// Exactly these token strings.
    Exact(Vec<String>),
}

impl Matcher {
    fn matches(&self, token: &str) -> bool {
        match self {
            Self::Word(word) => token.trim().eq_ignore_ascii_case(word),
            Self::Exact(tokens) => tokens.iter().any(|t| t == token),
        }
    }
}

struct PYes {
    common: Common,
    api: Api,
    top_logprobs: u32,
    yes: Matcher,
    no: Matcher,
    system: Option<String>,
}

struct Shared(Arc<PYes>);

pub(crate) fn build(params: &Params) -> Result<Arc<dyn ModelReward>, KeyError> {
    let (common, keys): (Common, Keys) = common::parse(params, TEMPLATE, &[])?;
    if keys.top_logprobs == 0 {
        return Err(KeyError::new("top_logprobs", "must be at least 1"));
    }
    let matcher = |key: &str, tokens: Option<Vec<String>>, word| match tokens {
        None => Ok(Matcher::Word(word)),
        Some(tokens) if tokens.is_empty() => Err(KeyError::new(key, "needs at least one token")),
        Some(tokens) => Ok(Matcher::Exact(tokens)),
    };
    if keys.api == Api::Completions && keys.system.is_some() {
        return Err(KeyError::new("system", "only applies to api = \"chat\""));
    }
    Ok(Arc::new(Shared(Arc::new(PYes {
        common,
        api: keys.api,
        top_logprobs: keys.top_logprobs,
        yes: matcher("yes_tokens", keys.yes_tokens, "yes")?,
        no: matcher("no_tokens", keys.no_tokens, "no")?,
        system: keys.system,
    }))))
}

impl PYes {
    /// `(token, logprob)` candidates at the first generated position.
    fn candidates(&self, entry: &Value) -> Result<Vec<(String, f64)>, RewardError> {
        let missing = |what: &str| {
            RewardError::Failed(format!(
                "answer has no {what} (does the server return logprobs?): {}",
                snippet(&entry.to_string(), 200)
            ))
        };
        match self.api {
            Api::Chat => {
                let top = entry
                    .pointer("/logprobs/content/0/top_logprobs")
                    .and_then(Value::as_array)
                    .ok_or_else(|| missing("logprobs.content[0].top_logprobs"))?;
                Ok(top
                    .iter()
                    .filter_map(|t| Some((t.get("token")?.as_str()?.to_owned(), t.get("logprob")?.as_f64()?)))
                    .collect())
            }
            Api::Completions => {
                let top = entry
                    .pointer("/logprobs/top_logprobs/0")
                    .and_then(Value::as_object)
                    .ok_or_else(|| missing("logprobs.top_logprobs[0]"))?;
                Ok(top.iter().filter_map(|(t, l)| Some((t.clone(), l.as_f64()?))).collect())
            }
        }
    }

    fn value(&self, entry: &Value) -> Result<Component, RewardError> {
        let mut p_yes = 0.0;
        let mut p_no = 0.0;
        for (token, logprob) in self.candidates(entry)? {
            if !logprob.is_finite() {
                continue;
            }
            if self.yes.matches(&token) {
                p_yes += logprob.exp();
            } else if self.no.matches(&token) {
                p_no += logprob.exp();
            }
        }
        let value = match (p_yes > 0.0, p_no > 0.0) {
            (true, true) => p_yes_reward(p_yes.ln(), p_no.ln())?,
            // The other side is not among the top log-probabilities: its probability is taken as 0.
            (true, false) => 1.0,
            (false, true) => 0.0,
            (false, false) => {
                return Err(RewardError::Failed(format!(
                    "neither a yes nor a no token among the top {} log-probabilities",
                    self.top_logprobs
                )));
            }
        };
        Ok(Component::new(value).with("p_yes_raw", p_yes).with("p_no_raw", p_no))
    }

    fn chat_request(&self, prompt: String) -> Value {
        let mut messages = Vec::new();
        if let Some(system) = &self.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.push(json!({"role": "user", "content": prompt}));
        json!({
            "model": self.common.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": true,
            "top_logprobs": self.top_logprobs,
        })
    }

    async fn call(&self, prompts: Vec<String>) -> Vec<Result<Value, RewardError>> {
        let endpoint = &self.common.endpoint;
        match self.api {
            Api::Chat => {
                let calls = prompts.into_iter().map(|prompt| async move {
                    let answer = endpoint.chat(self.chat_request(prompt)).await?;
                    answer.pointer("/choices/0").cloned().ok_or_else(|| {
                        RewardError::Failed(format!("answer has no choices: {}", snippet(&answer.to_string(), 200)))
                    })
                });
                futures::future::join_all(calls).await
            }
            Api::Completions => {
                let mut body = Map::new();
                body.insert("model".into(), Value::from(self.common.model.clone()));
                body.insert("max_tokens".into(), Value::from(1));
                body.insert("temperature".into(), Value::from(0.0));
                body.insert("logprobs".into(), Value::from(self.top_logprobs));
                let prompts = prompts.into_iter().map(Value::from).collect();
                endpoint
                    .completions(body, prompts)
                    .await
                    .into_iter()
                    .map(|r| r.map_err(RewardError::from))
                    .collect()
            }
        }
    }
}

impl ModelReward for Shared {
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults> {
        let prompts: Vec<Result<String, RewardError>> = samples
            .iter()
            .map(|s| self.0.common.template.render(s, &self.0.common.fields, &[]))
            .collect();
        let this = self.0.clone();
        Box::pin(async move {
            let ready: Vec<String> = prompts.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
            let answers = this.call(ready).await;
            common::pair_answers(prompts, answers, |entry| this.value(entry))
        })
    }
}
