//! `reward_model`: a discriminative reward model served by vLLM's `/pooling` or `/classify` (Skywork-style
//! `*ForSequenceClassification` models), optionally normalized.

use std::sync::Arc;

use assay_core::stats::sigmoid;
use assay_core::{Component, KeyError, Params, RewardError, RewardResults, Sample};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::common::{self, Common, ModelReward};

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Api {
    Pooling,
    Classify,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Normalize {
    None,
    Sigmoid,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    #[serde(default = "default_api")]
    api: Api,
    #[serde(default)]
    chat: bool,
    #[serde(default)]
    output_index: usize,
    #[serde(default)]
    shift: f64,
    #[serde(default = "one")]
    scale: f64,
    #[serde(default = "default_normalize")]
    normalize: Normalize,
}

fn default_api() -> Api {
    Api::Pooling
}
fn one() -> f64 {
    1.0
}
fn default_normalize() -> Normalize {
    Normalize::None
}

struct RewardModel {
    common: Common,
    keys: Keys,
}

/// Shared so the batch's `'static` future can read the configuration.
struct Shared(Arc<RewardModel>);

pub(crate) fn build(params: &Params) -> Result<Arc<dyn ModelReward>, KeyError> {
    let (common, keys): (Common, Keys) = common::parse(params, "{prompt}{completion}", &[])?;
    if !(keys.scale.is_finite() && keys.scale != 0.0) {
        return Err(KeyError::new("scale", "must be a finite, non-zero number"));
    }
    if !keys.shift.is_finite() {
        return Err(KeyError::new("shift", "must be a finite number"));
    }
    Ok(Arc::new(Shared(Arc::new(RewardModel { common, keys }))))
}

impl RewardModel {
    /// The request input for one sample: rendered text, or chat messages when `chat = true`.
    fn input(&self, sample: &Sample) -> Result<Value, RewardError> {
        let fields = &self.common.fields;
        if !self.keys.chat {
            return Ok(Value::from(self.common.template.render(sample, fields, &[])?));
        }
        let completion = sample.text(&fields.completion)?;
        let mut messages = match sample.field(&fields.prompt)? {
            Value::Array(messages) => messages.clone(),
            _ => vec![json!({"role": "user", "content": sample.text(&fields.prompt)?})],
        };
        messages.push(json!({"role": "assistant", "content": completion}));
        Ok(Value::Array(messages))
    }

    fn value(&self, entry: &Value) -> Result<Component, RewardError> {
        let raw = match self.keys.api {
            Api::Classify => entry.get("probs").and_then(|p| p.get(self.keys.output_index)),
            Api::Pooling => pooled_value(entry.get("data"), self.keys.output_index),
        }
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            RewardError::Failed(format!(
                "reward model answer has no finite score at output_index {}: {}",
                self.keys.output_index,
                crate::error::snippet(&entry.to_string(), 200)
            ))
        })?;
        let scaled = (raw - self.keys.shift) / self.keys.scale;
        let value = match self.keys.normalize {
            Normalize::None => scaled,
            Normalize::Sigmoid => sigmoid(scaled),
        };
        Ok(Component::new(value).with("raw", raw))
    }
}

/// A pooled output: a number, a vector (take `index`), or per-token vectors (take the last token's `index`).
fn pooled_value(data: Option<&Value>, index: usize) -> Option<&Value> {
    match data? {
        Value::Array(items) => match items.last()? {
            Value::Array(last) => last.get(index),
            _ => items.get(index),
        },
        number => Some(number),
    }
}

impl ModelReward for Shared {
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults> {
        let prepared: Vec<Result<Value, RewardError>> = samples.iter().map(|s| self.0.input(s)).collect();
        let this = self.0.clone();
        Box::pin(async move {
            let inputs: Vec<Value> = prepared.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
            let answers = this.call(inputs).await;
            common::pair_answers(prepared, answers, |entry| this.value(entry))
        })
    }
}

impl RewardModel {
    /// One answer entry per input: batched lists for text, one request per conversation for chat input.
    async fn call(&self, inputs: Vec<Value>) -> Vec<Result<Value, crate::ModelError>> {
        let endpoint = &self.common.endpoint;
        let mut body = Map::new();
        body.insert("model".into(), Value::from(self.common.model.clone()));
        let route = match self.keys.api {
            Api::Pooling => "/pooling",
            Api::Classify => "/classify",
        };
        if !self.keys.chat {
            let url = endpoint.root_url(route);
            return endpoint.post_batched(&url, body, "input", inputs, "data").await;
        }
        // vLLM takes one conversation per request.
        let calls = inputs.into_iter().map(|messages| {
            let mut single = body.clone();
            single.insert("messages".into(), messages);
            let url = endpoint.root_url(route);
            async move {
                let answer = endpoint.post(&url, Value::Object(single)).await?;
                answer
                    .get("data")
                    .and_then(|d| d.get(0))
                    .cloned()
                    .ok_or_else(|| crate::ModelError::BadResponse {
                        url,
                        message: "no `data[0]`".into(),
                    })
            }
        });
        futures::future::join_all(calls).await
    }
}
