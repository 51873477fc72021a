//! A stand-in OpenAI/vLLM server on an ephemeral loopback port: records every request and answers through a
//! handler the test supplies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// The handler: `(path, body, how many earlier requests hit this path)` → `(status, JSON answer)`.
pub type Handler = Box<dyn Fn(&str, &Value, usize) -> (u16, Value) + Send + Sync>;

struct State {
    seen: Mutex<Vec<Seen>>,
    handler: Handler,
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Mock {
    /// Base URL including `/v1`, as a user would configure it.
    pub url: String,
    state: Arc<State>,
    _runtime: tokio::runtime::Runtime,
}

impl Mock {
    pub fn start(handler: impl Fn(&str, &Value, usize) -> (u16, Value) + Send + Sync + 'static) -> Self {
        Self::with_delay(Duration::ZERO, handler)
    }

    /// A server that holds every request for `delay` before answering (to observe concurrency).
    pub fn with_delay(
        delay: Duration,
        handler: impl Fn(&str, &Value, usize) -> (u16, Value) + Send + Sync + 'static,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(State {
            seen: Mutex::new(Vec::new()),
            handler: Box::new(handler),
            delay,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        let app_state = state.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = app_state.clone();
            async move { answer(state, uri, headers, body).await }
        });
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{address}/v1"),
            state,
            _runtime: runtime,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn answer(state: Arc<State>, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_owned();
    let earlier = {
        let mut seen = state.seen.lock().unwrap();
        let earlier = seen.iter().filter(|s| s.path == path).count();
        seen.push(Seen {
            path: path.clone(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: body.clone(),
        });
        earlier
    };
    let (status, answer) = (state.handler)(&path, &body, earlier);
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
}

/// A chat-completions answer with this message text.
pub fn chat_text(text: &str) -> Value {
    json!({"object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    ]})
}

/// The user message of a chat request.
pub fn user_message(body: &Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The mock language model's tokenizer: words with their leading space ("a b" → "a", " b").
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for c in text.chars() {
        match tokens.last_mut() {
            Some(last) if !c.is_whitespace() => last.push(c),
            _ => tokens.push(c.to_string()),
        }
    }
    tokens
}

/// The mock model's log-probability of a token: depends only on the token, so tests can recompute it.
pub fn token_logprob(token: &str) -> f64 {
    -0.1 * token.chars().count() as f64 - if token.contains("42") { 0.0 } else { 0.5 }
}

/// `/completions` with echo: one choice per prompt, the prompt's tokens plus a generated "!".
pub fn echo_completions(body: &Value) -> Value {
    let prompts: Vec<String> = match &body["prompt"] {
        Value::Array(items) => items.iter().map(|p| p.as_str().unwrap().to_owned()).collect(),
        Value::String(p) => vec![p.clone()],
        other => panic!("bad prompt {other}"),
    };
    let choices: Vec<Value> = prompts
        .iter()
        .enumerate()
        .map(|(index, prompt)| {
            let mut tokens = tokenize(prompt);
            tokens.push("!".into());
            let mut offset = 0;
            let mut offsets = Vec::new();
            let mut logprobs = Vec::new();
            for (i, token) in tokens.iter().enumerate() {
                offsets.push(offset);
                offset += token.chars().count();
                logprobs.push(if i == 0 {
                    Value::Null
                } else {
                    json!(token_logprob(token))
                });
            }
            json!({"index": index, "text": format!("{prompt}!"), "logprobs": {
                "tokens": tokens, "token_logprobs": logprobs, "text_offset": offsets, "top_logprobs": null
            }})
        })
        .rev() // out of order on purpose: clients must use `index`
        .collect();
    json!({"object": "text_completion", "choices": choices})
}
