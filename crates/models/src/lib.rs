//! Model-based rewards: clients for OpenAI-compatible (`/v1/chat/completions`, `/v1/completions`) and vLLM
//! (`/pooling`, `/classify`) endpoints, and the pipeline kinds built on them — `reward_model`, `judge`, `p_yes`,
//! `likelihood` and `model_ensemble`.
//!
//! This crate owns the HTTP side of scoring: one process-wide connection pool, per-endpoint concurrency limits,
//! batching for endpoints that take lists, retries with backoff on 429/5xx, a deadline per call, API keys read from
//! environment variables, and an on-disk response cache (redb) keyed by the exact request. Model I/O runs on a
//! runtime this crate owns, so the blocking pipeline driver needs no changes.

mod cache;
mod endpoint;
mod error;
mod kinds;
mod runtime;
mod template;

pub use cache::ResponseCache;
pub use endpoint::{Endpoint, EndpointConfig};
pub use error::ModelError;
pub use kinds::{catalog, register};
pub use runtime::block_on;
pub use template::{Fields, Template};
