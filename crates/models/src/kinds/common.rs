//! What every model kind shares: the connection keys, the templates' fields, and the bridge from a batch of
//! borrowed samples to a `'static` future running on the model runtime.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use assay_core::{
    BatchContext, Component, DEFAULT_COMPLETION_FIELD, DEFAULT_REFERENCE_FIELD, KeyError, Params, Reward, RewardError,
    RewardFuture, RewardResults, RewardSpec, Sample,
};
use futures::future::BoxFuture;
use serde::Deserialize;

use crate::template::{Fields, Template};
use crate::{Endpoint, EndpointConfig};

/// The keys shared by every model kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonKeys {
    endpoint: String,
    model: String,
    api_key_env: Option<String>,
    template: Option<String>,
    #[serde(default = "default_prompt_field")]
    prompt_field: String,
    #[serde(default = "default_completion_field")]
    completion_field: String,
    #[serde(default = "default_reference_field")]
    reference_field: String,
    cache: Option<PathBuf>,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
    #[serde(default = "default_max_concurrency")]
    max_concurrency: usize,
    #[serde(default = "default_max_retries")]
    max_retries: u32,
    #[serde(default = "default_retry_backoff_ms")]
    retry_backoff_ms: u64,
    #[serde(default = "default_batch_size")]
    batch_size: usize,
}

pub(crate) const COMMON_KEYS: [&str; 13] = [
    "endpoint",
    "model",
    "api_key_env",
    "template",
    "prompt_field",
    "completion_field",
    "reference_field",
    "cache",
    "timeout_ms",
    "max_concurrency",
    "max_retries",
    "retry_backoff_ms",
    "batch_size",
];

fn default_prompt_field() -> String {
    "prompt".into()
}
fn default_completion_field() -> String {
    DEFAULT_COMPLETION_FIELD.into()
}
fn default_reference_field() -> String {
    DEFAULT_REFERENCE_FIELD.into()
}
fn default_timeout_ms() -> u64 {
    60_000
}
fn default_max_concurrency() -> usize {
    8
}
fn default_max_retries() -> u32 {
    4
}
fn default_retry_backoff_ms() -> u64 {
    200
}
fn default_batch_size() -> usize {
    16
}

/// A model kind's resolved common keys (public as `ModelConnection`, for model-backed signals of other crates).
#[derive(Debug, Clone)]
pub struct Common {
    /// The endpoint, with its key, deadline, retries, concurrency and cache.
    pub endpoint: Endpoint,
    /// The model name sent with each request.
    pub model: String,
    /// The prompt template.
    pub template: Template,
    /// The record fields the template's `{prompt}`, `{completion}` and `{reference}` read.
    pub fields: Fields,
}

/// Splits a kind's table into the common keys and the kind's own, then parses the latter into `P` (public as
/// `parse_model_keys`: one place checks endpoint URLs, API-key variables, limits and templates).
///
/// `default_template` is used when `template` is absent; `extra_slots` are the kind's own placeholders.
pub fn parse<P: serde::de::DeserializeOwned>(
    params: &Params,
    default_template: &str,
    extra_slots: &[&str],
) -> Result<(Common, P), KeyError> {
    let (mut common_table, mut own_table) = (toml::Table::new(), params.0.clone());
    for key in COMMON_KEYS {
        if let Some(value) = own_table.remove(key) {
            common_table.insert(key.to_owned(), value);
        }
    }
    let keys: CommonKeys = Params(common_table).parse()?;
    let own: P = Params(own_table).parse()?;
    let common = resolve(keys, default_template, extra_slots)?;
    Ok((common, own))
}

fn resolve(keys: CommonKeys, default_template: &str, extra_slots: &[&str]) -> Result<Common, KeyError> {
    let local = keys.endpoint.starts_with(crate::endpoint::LOCAL_SCHEME);
    if !(local || keys.endpoint.starts_with("http://") || keys.endpoint.starts_with("https://")) {
        return Err(KeyError::new(
            "endpoint",
            format!(
                "`{}` is not an http:// or https:// URL, nor local:DIR (a checkpoint run in-process)",
                keys.endpoint
            ),
        ));
    }
    let api_key = match &keys.api_key_env {
        None => None,
        Some(var) => Some(std::env::var(var).map_err(|_| {
            KeyError::new(
                "api_key_env",
                format!("environment variable `{var}` is not set (the key itself never goes in the file)"),
            )
        })?),
    };
    for (key, value) in [
        ("timeout_ms", keys.timeout_ms),
        ("max_concurrency", keys.max_concurrency as u64),
        ("batch_size", keys.batch_size as u64),
    ] {
        if value == 0 {
            return Err(KeyError::new(key, "must be at least 1"));
        }
    }
    let template_text = keys.template.as_deref().unwrap_or(default_template);
    let template = Template::parse("template", template_text, extra_slots)?;
    let endpoint = Endpoint::new(EndpointConfig {
        base_url: keys.endpoint,
        api_key,
        timeout: Duration::from_millis(keys.timeout_ms),
        max_concurrency: keys.max_concurrency,
        max_retries: keys.max_retries,
        retry_backoff: Duration::from_millis(keys.retry_backoff_ms),
        batch_size: keys.batch_size,
        cache: keys.cache,
    })
    .map_err(|err| KeyError::new(if local { "endpoint" } else { "cache" }, err.to_string()))?;
    Ok(Common {
        endpoint,
        model: keys.model,
        template,
        fields: Fields {
            prompt: keys.prompt_field,
            completion: keys.completion_field,
            reference: keys.reference_field,
        },
    })
}

/// A model reward: reads what it needs from the borrowed samples, then returns owned work for the runtime.
pub(crate) trait ModelReward: Send + Sync {
    /// Prepares the batch and returns the future that scores it (one result per sample, in order).
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults>;
}

/// Builds a model reward and wraps it as a pipeline [`Reward`].
pub(crate) type ModelFactory = fn(&Params) -> Result<Arc<dyn ModelReward>, KeyError>;

/// Adapts a [`ModelReward`] to the pipeline's [`Reward`] trait, running its I/O on the model runtime.
pub(crate) struct OnRuntime(pub Arc<dyn ModelReward>);

impl Reward for OnRuntime {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        let work = self.0.start(ctx.samples);
        let samples = ctx.samples.len();
        Box::pin(async move {
            let results = crate::runtime::run_batch(samples, work).await;
            ctx.progress.advance(samples as u64);
            results
        })
    }
}

/// A pipeline reward from a model factory.
pub(crate) fn build_reward(factory: ModelFactory, spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(OnRuntime(factory(&spec.params)?)))
}

/// Pairs each prepared sample with the next model answer, in order: a sample that failed before the call keeps
/// its error and takes no answer (the call was made only for the samples that were ready).
pub(crate) fn pair_answers<P, A, E: Into<RewardError>>(
    prepared: Vec<Result<P, RewardError>>,
    answers: Vec<Result<A, E>>,
    value: impl Fn(&A) -> Result<Component, RewardError>,
) -> RewardResults {
    let mut answers = answers.into_iter();
    prepared
        .into_iter()
        .map(|p| {
            p?;
            let entry = answers
                .next()
                .ok_or_else(|| RewardError::Failed("internal: missing model answer".into()))?
                .map_err(Into::into)?;
            value(&entry)
        })
        .collect()
}
