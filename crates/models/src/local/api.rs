//! The OpenAI-compatible and vLLM routes of a local model, JSON in and JSON out: the HTTP server and the
//! in-process `local:DIR` endpoint answer with exactly the same code.
//!
//! - `/v1/completions`: `prompt` (a string or a list), `max_tokens` (default 16), `logprobs` (top-k per
//!   position), `echo` (include the prompt's tokens and their log-probabilities); decoding is always greedy.
//! - `/v1/chat/completions`: `messages` joined as plain `role: content` lines followed by `assistant:` (no model
//!   chat template), `max_tokens`, `logprobs` + `top_logprobs`.
//! - `/pooling`: `input` (a string or a list) → embeddings, or a classifier's raw logits.
//! - `/classify`: `input` → `probs` (softmax over the labels; sigmoid for a single label) and `label`.

use serde_json::{Map, Value, json};

use super::{Capability, Generation, LocalModel, TokenScore};

/// A route a local model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/v1/completions`.
    Completions,
    /// `/v1/chat/completions`.
    Chat,
    /// vLLM `/pooling`.
    Pooling,
    /// vLLM `/classify`.
    Classify,
    /// `/v1/models`.
    Models,
}

impl Route {
    /// The route of a request path; the `/v1` prefix is optional for every route.
    pub fn from_path(path: &str) -> Option<Self> {
        let path = path.strip_prefix("/v1").unwrap_or(path);
        Some(match path {
            "/completions" => Self::Completions,
            "/chat/completions" => Self::Chat,
            "/pooling" => Self::Pooling,
            "/classify" => Self::Classify,
            "/models" => Self::Models,
            _ => return None,
        })
    }
}

/// A failed request: an HTTP status and an OpenAI-style error message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// 400 for a bad request, 500 for a failure of the model.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// The OpenAI-style error body.
    pub fn body(&self) -> Value {
        json!({"error": {"message": self.message, "type": if self.status == 400 { "invalid_request_error" } else { "internal_error" }, "code": self.status}})
    }
}

impl From<super::LocalError> for ApiError {
    fn from(err: super::LocalError) -> Self {
        Self {
            status: 500,
            message: err.0,
        }
    }
}

/// Answers one request (blocking: runs the model).
pub fn answer(model: &LocalModel, route: Route, body: &Value) -> Result<Value, ApiError> {
    let require = |capability: Capability| {
        if model.capabilities().contains(&capability) {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "model `{}` cannot serve this route (it is not a{} {} model)",
                model.name(),
                if capability == Capability::Embedding { "n" } else { "" },
                capability.name()
            )))
        }
    };
    match route {
        Route::Models => Ok(json!({"object": "list", "data": [
            {"id": model.name(), "object": "model", "owned_by": "assay"}
        ]})),
        Route::Pooling => {
            let inputs = texts(body, "input")?;
            let vectors = if model.capabilities().contains(&Capability::Embedding) {
                model.embed(&inputs)?
            } else {
                require(Capability::Classify)?;
                model.classify(&inputs)?
            };
            let data: Vec<Value> = vectors
                .into_iter()
                .enumerate()
                .map(|(index, vector)| json!({"index": index, "object": "pooling", "data": widen(&vector)}))
                .collect();
            Ok(json!({"object": "list", "model": model.name(), "data": data}))
        }
        Route::Classify => {
            require(Capability::Classify)?;
            let inputs = texts(body, "input")?;
            let data: Vec<Value> = model
                .classify(&inputs)?
                .into_iter()
                .enumerate()
                .map(|(index, logits)| {
                    let probs = probabilities(&logits);
                    let label = (0..probs.len())
                        .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
                        .unwrap_or(0);
                    json!({"index": index, "label": label.to_string(), "probs": widen(&probs),
                           "num_classes": probs.len(), "logits": widen(&logits)})
                })
                .collect();
            Ok(json!({"object": "list", "model": model.name(), "data": data}))
        }
        Route::Completions => {
            require(Capability::Causal)?;
            let prompts = texts(body, "prompt")?;
            let max_tokens = unsigned(body, "max_tokens", 16)?;
            let echo = body.get("echo").and_then(Value::as_bool).unwrap_or(false);
            let top = match body.get("logprobs") {
                None | Some(Value::Null) => None,
                Some(value) => Some(
                    value
                        .as_u64()
                        .ok_or_else(|| ApiError::bad_request("`logprobs` must be a non-negative integer"))?
                        as usize,
                ),
            };
            let choices = prompts
                .iter()
                .enumerate()
                .map(|(index, prompt)| {
                    let generation = model.generate(prompt, max_tokens, top.unwrap_or(0))?;
                    Ok(completion_choice(index, prompt, &generation, echo, top.is_some()))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(json!({"object": "text_completion", "model": model.name(), "choices": choices}))
        }
        Route::Chat => {
            require(Capability::Causal)?;
            let prompt = chat_prompt(body)?;
            let max_tokens = unsigned(body, "max_tokens", 16)?;
            let logprobs = body.get("logprobs").and_then(Value::as_bool).unwrap_or(false);
            let top = if logprobs {
                unsigned(body, "top_logprobs", 0)?
            } else {
                0
            };
            let generation = model.generate(&prompt, max_tokens, top)?;
            let content: String = generation.generated.iter().map(|t| t.text.as_str()).collect();
            let mut choice = json!({
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": generation.finish_reason,
            });
            if logprobs {
                let tokens: Vec<Value> = generation
                    .generated
                    .iter()
                    .map(|t| {
                        let top: Vec<Value> = t
                            .top
                            .iter()
                            .map(|(token, lp)| json!({"token": token, "logprob": f64::from(*lp)}))
                            .collect();
                        json!({"token": t.text, "logprob": t.logprob.map(f64::from), "top_logprobs": top})
                    })
                    .collect();
                choice["logprobs"] = json!({"content": tokens});
            }
            Ok(json!({"object": "chat.completion", "model": model.name(), "choices": [choice]}))
        }
    }
}

/// A string or list of strings under `key`.
fn texts(body: &Value, key: &str) -> Result<Vec<String>, ApiError> {
    let wrong = || ApiError::bad_request(format!("`{key}` must be a string or a list of strings"));
    match body.get(key) {
        Some(Value::String(text)) => Ok(vec![text.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect(),
        _ => Err(wrong()),
    }
}

fn unsigned(body: &Value, key: &str, default: usize) -> Result<usize, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| ApiError::bad_request(format!("`{key}` must be a non-negative integer"))),
    }
}

/// The plain chat prompt: one `role: content` line per message, then `assistant:` to answer after.
fn chat_prompt(body: &Value) -> Result<String, ApiError> {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("`messages` must be a list"))?;
    let mut prompt = String::new();
    for (i, message) in messages.iter().enumerate() {
        let field = |key: &str| {
            message
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request(format!("messages[{i}].{key} must be a string")))
        };
        prompt.push_str(&format!("{}: {}\n", field("role")?, field("content")?));
    }
    prompt.push_str("assistant:");
    Ok(prompt)
}

/// One `/v1/completions` choice in the OpenAI legacy shape (`tokens`, `token_logprobs`, `top_logprobs`,
/// `text_offset`); with `echo` the prompt's tokens come first.
fn completion_choice(index: usize, prompt: &str, generation: &Generation, echo: bool, logprobs: bool) -> Value {
    let generated: String = generation.generated.iter().map(|t| t.text.as_str()).collect();
    let (text, scored): (String, Vec<&TokenScore>) = if echo {
        (
            format!("{prompt}{generated}"),
            generation.prompt.iter().chain(&generation.generated).collect(),
        )
    } else {
        (generated, generation.generated.iter().collect())
    };
    let mut choice = json!({"index": index, "text": text, "finish_reason": generation.finish_reason,
                            "logprobs": Value::Null});
    if logprobs {
        let start = if echo { 0 } else { prompt.chars().count() };
        let top: Vec<Value> = scored
            .iter()
            .map(|t| match t.logprob {
                None => Value::Null,
                Some(_) => Value::Object(
                    t.top
                        .iter()
                        .map(|(token, lp)| (token.clone(), json!(f64::from(*lp))))
                        .collect::<Map<String, Value>>(),
                ),
            })
            .collect();
        choice["logprobs"] = json!({
            "tokens": scored.iter().map(|t| t.text.clone()).collect::<Vec<_>>(),
            "token_logprobs": scored.iter().map(|t| t.logprob.map(f64::from)).collect::<Vec<_>>(),
            "top_logprobs": top,
            "text_offset": scored.iter().map(|t| t.char_offset - start).collect::<Vec<_>>(),
        });
    }
    choice
}

/// f32 model outputs as f64 JSON numbers: an f64 prints and parses back exactly, so an answer read over HTTP or from
/// the cache equals the in-process one bit for bit.
fn widen(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// `/classify` probabilities: softmax over the labels, or the sigmoid of a single logit.
fn probabilities(logits: &[f32]) -> Vec<f32> {
    if let [single] = logits {
        return vec![1.0 / (1.0 + (-single).exp())];
    }
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f32 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}
