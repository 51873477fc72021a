//! Assay's HTTP reward server: one pipeline behind the trainers' wire formats.
//!
//! - `POST /v1/score`: `{"samples": [record, ...]}` → `{"scores": [score, ...]}` (the fields of `assay score`).
//! - `POST /get_reward`: OpenRLHF's remote reward protocol (see [`routes::openrlhf`] for how `query` is split).
//! - `POST /run_code`: SandboxFusion's code runner for Python, C and C++ (see [`routes::run_code`]).
//! - `GET /healthz`, `GET /metrics` (Prometheus text).
//!
//! Scoring is CPU work: it runs on blocking threads (rewards on rayon's pool) under a concurrency limit (503 +
//! `Retry-After` beyond it) and a per-request deadline (504 with the unfinished records marked), so the async
//! runtime keeps answering. Limits, the bind address and the optional bearer token live in [`ServerConfig`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use assay_core::{Pipeline, Registry};
//! use assay_server::{Server, ServerConfig};
//! let toml = "[[reward]]\nname = \"format\"\nkind = \"tags\"\n";
//! let pipeline = Pipeline::from_toml(toml, "p.toml".as_ref(), &Registry::builtin()).expect("valid pipeline");
//! let server = Server::bind(Arc::new(pipeline), ServerConfig::default()).await?;
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod app;
mod body;
mod config;
mod error;
mod metrics;
pub mod routes;
mod scoring;

pub use app::{Server, router};
pub use config::{DEFAULT_STRIP_SUFFIXES, ServerConfig};
pub use error::{ApiError, ErrorKind};
pub use metrics::{Metrics, SandboxUsage};
