//! Model-based rewards: clients for OpenAI-compatible (`/v1/chat/completions`, `/v1/completions`) and vLLM
//! (`/pooling`, `/classify`) endpoints, and the pipeline kinds built on them — `reward_model`, `judge`, `p_yes`,
//! `likelihood` and `model_ensemble`.
//!
//! This crate owns the HTTP side of scoring: one process-wide connection pool, per-endpoint concurrency limits,
//! batching for endpoints that take lists, retries with backoff on 429/5xx, a deadline per call, API keys read from
//! environment variables, and an on-disk response cache (redb) keyed by the exact request. Model I/O runs on a
//! runtime this crate owns, so the blocking pipeline driver needs no changes.
//!
//! With the cargo feature `local-models`, [`local`] also runs small Hugging Face checkpoints in-process with candle
//! (embeddings, classifiers, causal-LM scoring), serves them over the same routes (`assay serve-model`), lets any
//! model kind use one without a server (`endpoint = "local:DIR"`), and adds the `embedding_similarity` kind.

mod cache;
mod endpoint;
mod error;
mod kinds;
#[cfg(feature = "local-models")]
pub mod local;
mod runtime;
mod template;

pub use cache::ResponseCache;
pub use endpoint::{Endpoint, EndpointConfig, LOCAL_SCHEME};
pub use error::ModelError;
pub use kinds::{ModelConnection, catalog, parse_model_keys, register};
pub use runtime::block_on;
pub use template::{Fields, Template};
