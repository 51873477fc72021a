//! `POST /get_reward`: OpenRLHF's remote reward model protocol.
//!
//! Request `{"query": [str], "prompts": [str], "labels": [any]}` (`prompts` and `labels` optional, else as long
//! as `query`). Each query becomes the record `{"query", "prompt", "completion", "reference", "answer", <group field>}`:
//! - `completion` is the text of `query` after the first occurrence of the prompt (OpenRLHF decodes prompt and
//!   response together, with special tokens, sometimes after left padding), or the whole query when the prompt is
//!   absent or not found in it; then the configured special tokens (EOS, padding) and whitespace are stripped
//!   from its end, repeatedly.
//! - `reference` (and `answer`, the math reward's default field) is the label; the group field is the prompt, so
//!   group shaping groups the rollouts of one prompt.
//!
//! Response `{"rewards": [..], "scores": [..], "extra_logs": {component: [..]}}`: `rewards` is the pipeline's
//! reward, `scores` the reward before shaping clamped to [0, 1] (OpenRLHF's dynamic filtering), `extra_logs` one
//! list per component. A record that could not be scored gets `null` (or the configured error reward) and an
//! `errors` list appears with the messages.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::score::{check_batch, deadline_error, score_records, with_status};
use crate::ApiError;
use crate::app::AppState;
use crate::body::read_json;

#[derive(Debug, Deserialize)]
struct GetRewardRequest {
    query: Vec<String>,
    #[serde(default)]
    prompts: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<Vec<Value>>,
}

/// Scores OpenRLHF queries (see the module docs).
pub async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let config = &state.config;
    let request: GetRewardRequest = read_json(&headers, body, config.max_body_bytes, config.read_timeout).await?;
    check_batch(request.query.len(), config.max_batch, "query")?;
    for (field, len) in [
        ("prompts", request.prompts.as_ref().map(Vec::len)),
        ("labels", request.labels.as_ref().map(Vec::len)),
    ] {
        if let Some(len) = len
            && len != request.query.len()
        {
            return Err(ApiError::bad_request(format!(
                "`{field}` has {len} entries but `query` has {}; they must be parallel lists",
                request.query.len()
            ))
            .field(field));
        }
    }
    let records: Vec<Value> = request
        .query
        .iter()
        .enumerate()
        .map(|(index, query)| {
            let prompt = request.prompts.as_ref().map(|p| p[index].as_str());
            let mut record = Map::new();
            record.insert("query".into(), json!(query));
            record.insert(
                "completion".into(),
                json!(split_completion(query, prompt, &config.strip_suffixes)),
            );
            if let Some(prompt) = prompt {
                record.insert("prompt".into(), json!(prompt));
                record.insert(config.group_field.clone(), json!(prompt));
            }
            if let Some(labels) = &request.labels {
                record.insert("reference".into(), labels[index].clone());
                record.insert("answer".into(), labels[index].clone());
            }
            Value::Object(record)
        })
        .collect();
    let scored = score_records(&state, records, "/get_reward").await?;
    let reward = |value: Option<f64>| value.or(config.error_reward);
    let rewards: Vec<Option<f64>> = scored.scores.iter().map(|s| reward(s.reward)).collect();
    let scores: Vec<Option<f64>> = scored
        .scores
        .iter()
        .map(|s| {
            let before_shaping = s.diagnostics.get("combined").and_then(Value::as_f64);
            reward(before_shaping.or(s.reward)).map(|v| v.clamp(0.0, 1.0))
        })
        .collect();
    let mut extra_logs = Map::new();
    for name in state.pipeline.component_names() {
        let values: Vec<Option<f64>> = scored.scores.iter().map(|s| s.component(name)).collect();
        extra_logs.insert(name.to_owned(), json!(values));
    }
    let mut body = json!({"rewards": rewards, "scores": scores, "extra_logs": extra_logs});
    if scored.scores.iter().any(|s| s.error.is_some()) {
        body["errors"] = json!(scored.scores.iter().map(|s| s.error.clone()).collect::<Vec<_>>());
    }
    if scored.deadline_exceeded {
        let error = deadline_error(&state, &scored).body();
        body["error"] = error["error"].clone();
        body["partial"] = json!(true);
        body["timed_out"] = json!(scored.timed_out);
        return Ok(with_status(StatusCode::GATEWAY_TIMEOUT, body, true));
    }
    Ok(with_status(StatusCode::OK, body, false))
}

/// The response part of an OpenRLHF query (see the module docs).
pub fn split_completion<'q>(query: &'q str, prompt: Option<&str>, strip: &[String]) -> &'q str {
    let mut completion = match prompt {
        Some(prompt) if !prompt.is_empty() => query.find(prompt).map_or(query, |start| &query[start + prompt.len()..]),
        _ => query,
    };
    loop {
        let trimmed = completion.trim_end();
        match strip.iter().find_map(|token| {
            (!token.is_empty())
                .then(|| trimmed.strip_suffix(token.as_str()))
                .flatten()
        }) {
            Some(shorter) => completion = shorter,
            None => return trimmed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_and_trailing_special_tokens_are_removed() {
        let strip: Vec<String> = crate::config::DEFAULT_STRIP_SUFFIXES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let query = "<|endoftext|><|endoftext|><|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n\\boxed{4}<|im_end|>\n<|endoftext|>";
        let prompt = "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n";
        assert_eq!(split_completion(query, Some(prompt), &strip), "\\boxed{4}");
        assert_eq!(
            split_completion("no prompt here</s>", Some("absent"), &strip),
            "no prompt here"
        );
        assert_eq!(split_completion("answer 4", None, &[]), "answer 4");
    }
}
