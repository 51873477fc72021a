//! `POST /v1/score`: `{"samples": [record, ...]}` → `{"scores": [score, ...]}`, the records and scores of
//! `assay score`; group shaping sees exactly the request's records.

use assay_core::{Sample, Score, json_type_name};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::body::read_json;
use crate::scoring::{self, Scored};
use crate::{ApiError, ErrorKind};

#[derive(Debug, Deserialize)]
struct ScoreRequest {
    samples: Vec<Value>,
}

/// Scores the records of `samples`, one score per record.
pub async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let config = &state.config;
    let request: ScoreRequest = read_json(&headers, body, config.max_body_bytes, config.read_timeout).await?;
    check_batch(request.samples.len(), config.max_batch, "samples")?;
    let scored = score_records(&state, request.samples, "/v1/score").await?;
    let status = if scored.deadline_exceeded {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::OK
    };
    let body = if scored.deadline_exceeded {
        let scores: Vec<Value> = scored
            .scores
            .iter()
            .zip(&scored.timed_out)
            .map(|(score, timed_out)| {
                let mut value = serde_json::to_value(score).unwrap_or(Value::Null);
                value["timed_out"] = json!(timed_out);
                value
            })
            .collect();
        let mut body = deadline_error(&state, &scored).body();
        body["partial"] = json!(true);
        body["scores"] = json!(scores);
        body
    } else {
        json!({ "scores": scored.scores })
    };
    Ok(with_status(status, body, scored.deadline_exceeded))
}

/// 413 when a request carries more records than allowed.
pub fn check_batch(len: usize, max: usize, field: &str) -> Result<(), ApiError> {
    if len > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("`{field}` has {len} records; this server accepts at most {max} per request"),
        )
        .field(field));
    }
    Ok(())
}

/// The 504's error object (also counted as an error by kind).
pub fn deadline_error(state: &AppState, scored: &Scored) -> ApiError {
    let cut = scored.timed_out.iter().filter(|t| **t).count();
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "deadline_exceeded",
        format!(
            "the request's deadline of {} ms passed; {cut} of {} records were not (fully) scored and are marked \
             \"timed_out\"",
            state.config.deadline.as_millis(),
            scored.scores.len()
        ),
    )
}

/// A JSON response; a 504 carries the error kind for the metrics.
pub fn with_status(status: StatusCode, body: Value, deadline_exceeded: bool) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if deadline_exceeded {
        response.extensions_mut().insert(ErrorKind("deadline_exceeded"));
    }
    response
}

/// Scores records (non-objects get an error score naming their index), one score per record, in order.
pub async fn score_records(state: &AppState, records: Vec<Value>, endpoint: &str) -> Result<Scored, ApiError> {
    let total = records.len();
    let mut samples = Vec::with_capacity(total);
    let mut failures = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        match record {
            Value::Object(map) => samples.push(Sample::from_record(index, map, &state.config.group_field)),
            other => failures.push(Score::failed(
                Value::from(index),
                format!(
                    "record {index}: expected a JSON object, found {}",
                    json_type_name(&other)
                ),
            )),
        }
    }
    let scored = if samples.is_empty() {
        Scored {
            timed_out: vec![false; failures.len()],
            scores: failures,
            deadline_exceeded: false,
        }
    } else {
        let permit = state.workers.permit()?;
        let positions: Vec<usize> = samples.iter().map(|s| s.index).collect();
        let scored = scoring::score(
            state.pipeline.clone(),
            samples,
            permit,
            state.metrics.clone(),
            state.config.deadline,
            state.config.deadline_grace,
        )
        .await?;
        if failures.is_empty() {
            scored
        } else {
            merge(total, &positions, scored, failures)
        }
    };
    let failed = scored.scores.iter().filter(|s| s.reward.is_none()).count();
    state.metrics.samples(endpoint, scored.scores.len(), failed);
    Ok(scored)
}

fn merge(total: usize, positions: &[usize], scored: Scored, failures: Vec<Score>) -> Scored {
    let mut scores = Vec::with_capacity(total);
    let mut timed_out = Vec::with_capacity(total);
    let mut done = positions
        .iter()
        .copied()
        .zip(scored.scores.into_iter().zip(scored.timed_out))
        .peekable();
    let mut failures = failures.into_iter();
    for index in 0..total {
        match done.next_if(|(position, _)| *position == index) {
            Some((_, (score, cut))) => {
                scores.push(score);
                timed_out.push(cut);
            }
            None => {
                if let Some(failure) = failures.next() {
                    scores.push(failure);
                    timed_out.push(false);
                }
            }
        }
    }
    Scored {
        scores,
        timed_out,
        deadline_exceeded: scored.deadline_exceeded,
    }
}
