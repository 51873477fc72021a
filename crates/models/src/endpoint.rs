//! One model server as the rewards see it: base URL, API key, concurrency limit, deadline, retries, batching and
//! the response cache, over a single process-wide HTTP connection pool.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::error::snippet;
use crate::{ModelError, ResponseCache};

/// How to reach and pace one endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Base URL, e.g. `http://127.0.0.1:8000/v1`, or `local:DIR` for a checkpoint run in this process (cargo
    /// feature `local-models`).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// Deadline of one call, retries and backoff included (waiting for a concurrency slot is not counted).
    pub timeout: Duration,
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Extra attempts after a 429, a 5xx or a connection failure.
    pub max_retries: u32,
    /// First backoff; doubled after each retry (a `Retry-After` header, when larger, wins).
    pub retry_backoff: Duration,
    /// Items per request for endpoints that take lists (`/completions` prompts, `/pooling` and `/classify` inputs).
    pub batch_size: usize,
    /// On-disk response cache.
    pub cache: Option<PathBuf>,
}

impl EndpointConfig {
    /// Defaults: 60 s deadline, 8 concurrent requests, 4 retries from 200 ms, batches of 16, no cache.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            timeout: Duration::from_secs(60),
            max_concurrency: 8,
            max_retries: 4,
            retry_backoff: Duration::from_millis(200),
            batch_size: 16,
            cache: None,
        }
    }
}

/// The process-wide HTTP client: one connection pool shared by every endpoint.
fn http_client() -> Result<&'static reqwest::Client, ModelError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // reqwest is built without a bundled crypto provider (aws-lc needs cmake and takes minutes to compile);
            // ring is installed as the process default unless the embedding program chose one already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder().build().map_err(|err| err.to_string())
        })
        .as_ref()
        .map_err(|message| ModelError::Transport {
            url: String::new(),
            message: message.clone(),
        })
}

/// A model endpoint. Cheap to clone (shared state behind `Arc`s); clones share the concurrency limit.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base_url: String,
    api_key: Option<String>,
    timeout: Duration,
    max_retries: u32,
    retry_backoff: Duration,
    batch_size: usize,
    slots: Arc<Semaphore>,
    cache: Option<Arc<ResponseCache>>,
    #[cfg(feature = "local-models")]
    local: Option<Arc<crate::local::LocalModel>>,
}

/// One attempt's outcome.
enum Attempt {
    Done(Value),
    Retry(ModelError, Option<Duration>),
    Fail(ModelError),
}

impl Endpoint {
    /// Opens the cache (if any) and sets up the limits.
    pub fn new(config: EndpointConfig) -> Result<Self, ModelError> {
        let cache = config.cache.as_deref().map(ResponseCache::open).transpose()?;
        #[cfg(feature = "local-models")]
        let local = match config.base_url.strip_prefix(LOCAL_SCHEME) {
            Some(dir) => Some(
                crate::local::LocalModel::shared(std::path::Path::new(dir))
                    .map_err(|err| ModelError::Local(err.to_string()))?,
            ),
            None => None,
        };
        #[cfg(not(feature = "local-models"))]
        if config.base_url.starts_with(LOCAL_SCHEME) {
            return Err(ModelError::Local(
                "`local:` endpoints need the in-process models; rebuild with `--features local-models`".into(),
            ));
        }
        Ok(Self {
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            api_key: config.api_key,
            timeout: config.timeout,
            max_retries: config.max_retries,
            retry_backoff: config.retry_backoff,
            batch_size: config.batch_size.max(1),
            slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            cache,
            #[cfg(feature = "local-models")]
            local,
        })
    }

    /// The URL of an OpenAI-style route under the base URL (`/chat/completions`, `/completions`).
    pub fn url(&self, route: &str) -> String {
        format!("{}{route}", self.base_url)
    }

    /// The URL of a vLLM server-root route (`/pooling`, `/classify`): a trailing `/v1` of the base is dropped.
    pub fn root_url(&self, route: &str) -> String {
        let root = self.base_url.strip_suffix("/v1").unwrap_or(&self.base_url);
        format!("{root}{route}")
    }

    /// `POST /chat/completions` with `body`; cached.
    pub async fn chat(&self, body: Value) -> Result<Value, ModelError> {
        self.post(&self.url("/chat/completions"), body).await
    }

    /// `POST /completions` with one prompt per item, batched; each result is that prompt's `choices` entry.
    pub async fn completions(&self, body: Map<String, Value>, prompts: Vec<Value>) -> Vec<Result<Value, ModelError>> {
        self.post_batched(&self.url("/completions"), body, "prompt", prompts, "choices")
            .await
    }

    /// vLLM `POST /pooling` with one input per item, batched; each result is that input's `data` entry.
    pub async fn pooling(&self, body: Map<String, Value>, inputs: Vec<Value>) -> Vec<Result<Value, ModelError>> {
        self.post_batched(&self.root_url("/pooling"), body, "input", inputs, "data")
            .await
    }

    /// vLLM `POST /classify` with one input per item, batched; each result is that input's `data` entry.
    pub async fn classify(&self, body: Map<String, Value>, inputs: Vec<Value>) -> Vec<Result<Value, ModelError>> {
        self.post_batched(&self.root_url("/classify"), body, "input", inputs, "data")
            .await
    }

    /// Posts one JSON request, answering from the cache when the exact request was made before.
    pub async fn post(&self, url: &str, body: Value) -> Result<Value, ModelError> {
        let key = cache_key(url, &body);
        if let Some(hit) = self.cached(&key)? {
            return Ok(hit);
        }
        let answer = self.send(url, &body).await?;
        self.store(vec![(key, answer.to_string())]).await?;
        Ok(answer)
    }

    /// Posts `items` under `list_key` in batches of `batch_size`, returning `results_key` entries in item order.
    /// Each item is cached under the request it would make alone, so regrouped batches still hit the cache.
    pub async fn post_batched(
        &self,
        url: &str,
        body: Map<String, Value>,
        list_key: &str,
        items: Vec<Value>,
        results_key: &str,
    ) -> Vec<Result<Value, ModelError>> {
        let keys: Vec<String> = items
            .iter()
            .map(|item| {
                let mut single = body.clone();
                single.insert(list_key.to_owned(), item.clone());
                cache_key(url, &Value::Object(single))
            })
            .collect();
        let mut results: Vec<Option<Result<Value, ModelError>>> = Vec::with_capacity(items.len());
        let mut missing = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            match self.cached(key) {
                Ok(Some(hit)) => results.push(Some(Ok(hit))),
                Ok(None) => {
                    results.push(None);
                    missing.push(index);
                }
                Err(err) => results.push(Some(Err(err))),
            }
        }
        let batches = missing.chunks(self.batch_size).map(|chunk| {
            let mut batch = body.clone();
            let list = chunk.iter().map(|&i| items[i].clone()).collect();
            batch.insert(list_key.to_owned(), Value::Array(list));
            async move { (chunk, self.send(url, &Value::Object(batch)).await) }
        });
        let mut fresh = Vec::new();
        for (chunk, answer) in futures::future::join_all(batches).await {
            let split = answer.and_then(|answer| split_results(url, &answer, results_key, chunk.len()));
            match split {
                Ok(entries) => {
                    for (&index, entry) in chunk.iter().zip(entries) {
                        fresh.push((keys[index].clone(), entry.to_string()));
                        results[index] = Some(Ok(entry));
                    }
                }
                Err(err) => {
                    for &index in chunk {
                        results[index] = Some(Err(err.clone()));
                    }
                }
            }
        }
        if let Err(err) = self.store(fresh).await {
            return items.iter().map(|_| Err(err.clone())).collect();
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ModelError::Cache("internal: result never filled".into()))))
            .collect()
    }

    fn cached(&self, key: &str) -> Result<Option<Value>, ModelError> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        Ok(cache.get(key)?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    async fn store(&self, entries: Vec<(String, String)>) -> Result<(), ModelError> {
        let Some(cache) = self.cache.clone() else {
            return Ok(());
        };
        if entries.is_empty() {
            return Ok(());
        }
        tokio::task::spawn_blocking(move || cache.put_many(&entries))
            .await
            .map_err(|err| ModelError::Cache(err.to_string()))?
    }

    /// Sends with a concurrency slot held, retrying 429/5xx/connection failures with backoff until the deadline.
    async fn send(&self, url: &str, body: &Value) -> Result<Value, ModelError> {
        let _slot = self.slots.acquire().await.map_err(|err| ModelError::Transport {
            url: url.to_owned(),
            message: err.to_string(),
        })?;
        #[cfg(feature = "local-models")]
        if let Some(model) = &self.local {
            return self.send_local(model.clone(), url, body.clone()).await;
        }
        let deadline = Instant::now() + self.timeout;
        let timed_out = || ModelError::Deadline {
            url: url.to_owned(),
            timeout_ms: self.timeout.as_millis() as u64,
        };
        let mut backoff = self.retry_backoff;
        let mut attempt = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timed_out());
            }
            match self.attempt(url, body, remaining).await? {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry(err, _) if attempt >= self.max_retries => return Err(err),
                Attempt::Retry(err, retry_after) => {
                    let wait = retry_after.map_or(backoff, |after| after.max(backoff));
                    if Instant::now() + wait >= deadline {
                        return Err(match err {
                            ModelError::Deadline { .. } => timed_out(),
                            other => other,
                        });
                    }
                    tokio::time::sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    /// Answers in this process, on the blocking pool, with the code `assay serve-model` serves over HTTP.
    #[cfg(feature = "local-models")]
    async fn send_local(
        &self,
        model: Arc<crate::local::LocalModel>,
        url: &str,
        body: Value,
    ) -> Result<Value, ModelError> {
        let route = url
            .strip_prefix(&self.base_url)
            .and_then(crate::local::Route::from_path)
            .ok_or_else(|| ModelError::Local(format!("{url}: not a route a local model answers")))?;
        let answer = tokio::task::spawn_blocking(move || crate::local::answer(&model, route, &body))
            .await
            .map_err(|err| ModelError::Local(format!("{url}: model task failed: {err}")))?;
        answer.map_err(|err| ModelError::Status {
            url: url.to_owned(),
            status: err.status,
            body: err.message,
        })
    }

    async fn attempt(&self, url: &str, body: &Value, remaining: Duration) -> Result<Attempt, ModelError> {
        let mut request = http_client()?.post(url).json(body).timeout(remaining);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) if err.is_timeout() => {
                return Ok(Attempt::Retry(
                    ModelError::Deadline {
                        url: url.to_owned(),
                        timeout_ms: self.timeout.as_millis() as u64,
                    },
                    None,
                ));
            }
            Err(err) => {
                return Ok(Attempt::Retry(
                    ModelError::Transport {
                        url: url.to_owned(),
                        message: error_chain(&err),
                    },
                    None,
                ));
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match response.text().await {
            Ok(text) => text,
            Err(err) => {
                return Ok(Attempt::Retry(
                    ModelError::Transport {
                        url: url.to_owned(),
                        message: error_chain(&err),
                    },
                    None,
                ));
            }
        };
        if status.is_success() {
            return Ok(match serde_json::from_str(&text) {
                Ok(value) => Attempt::Done(value),
                Err(err) => Attempt::Fail(ModelError::BadResponse {
                    url: url.to_owned(),
                    message: format!("not JSON ({err}): {}", snippet(&text, 200)),
                }),
            });
        }
        let err = ModelError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            body: snippet(&text, 300),
        };
        Ok(if status.as_u16() == 429 || status.is_server_error() {
            Attempt::Retry(err, retry_after)
        } else {
            Attempt::Fail(err)
        })
    }
}

/// The `endpoint` prefix of an in-process model: `local:DIR`.
pub const LOCAL_SCHEME: &str = "local:";

/// The cache key of a request: URL and exact JSON body (the API key travels in a header and is never part of it).
fn cache_key(url: &str, body: &Value) -> String {
    format!("POST {url}\n{body}")
}

/// The `results_key` list of a batched answer, ordered by each entry's `index` (or position when absent).
fn split_results(url: &str, answer: &Value, results_key: &str, expected: usize) -> Result<Vec<Value>, ModelError> {
    let bad = |message: String| ModelError::BadResponse {
        url: url.to_owned(),
        message,
    };
    let entries = answer
        .get(results_key)
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("no `{results_key}` list")))?;
    if entries.len() != expected {
        return Err(bad(format!(
            "`{results_key}` has {} entries for {expected} inputs",
            entries.len()
        )));
    }
    let mut ordered: Vec<Option<Value>> = vec![None; expected];
    for (position, entry) in entries.iter().enumerate() {
        let index = entry
            .get("index")
            .and_then(Value::as_u64)
            .map_or(position, |i| i as usize);
        let slot = ordered
            .get_mut(index)
            .ok_or_else(|| bad(format!("`{results_key}` entry has index {index} of {expected}")))?;
        if slot.replace(entry.clone()).is_some() {
            return Err(bad(format!("`{results_key}` repeats index {index}")));
        }
    }
    Ok(ordered.into_iter().flatten().collect())
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
