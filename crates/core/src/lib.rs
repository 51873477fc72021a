//! Assay's scoring flow: records become [`Sample`]s, a [`Pipeline`] built from TOML runs each [`Reward`],
//! combines the [`Component`]s and applies shaping, and every sample yields exactly one [`Score`].
//!
//! # Overview
//! - [`Sample`]: one input record (prompt, completion, reference fields, group).
//! - [`Reward`]: a batch of samples in, one `Result<Component, RewardError>` per sample out; async-capable.
//!   CPU-bound rewards implement [`SampleReward`] and are scored in parallel.
//! - [`Pipeline`]: rewards → `[combine]` → `[[shape]]`, loaded from TOML with errors that name the key.
//! - [`Registry`]: which `kind` names build which reward or shape.
//!
//! ```
//! use assay_core::{Pipeline, Registry, Sample};
//! use std::path::Path;
//!
//! let toml = r#"
//! name = "demo"
//! [[reward]]
//! name = "format"
//! kind = "tags"
//! "#;
//! let pipeline = Pipeline::from_toml(toml, Path::new("demo.toml"), &Registry::builtin())?;
//! let scores = pipeline.score(&[Sample::from_completion("<think>hm</think><answer>4</answer>")]);
//! assert_eq!(scores[0].reward, Some(1.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod combine;
mod component;
mod config;
mod error;
mod params;
mod pipeline;
mod records;
mod registry;
mod reward;
pub mod rewards;
mod sample;
mod score;
pub mod shaping;
pub mod spec;
pub mod stats;

pub use combine::{Combine, CombineConfig, CombineMode, OneOrMany};
pub use component::Component;
pub use config::{PipelineFile, RewardTable, ShapeTable};
pub use error::{CANCELLED_MESSAGE, ConfigError, KeyError, RewardError};
pub use params::Params;
pub use pipeline::Pipeline;
pub use records::Record;
pub use registry::{Kind, Registry, RewardFactory, RewardSpec, ShapeFactory, ShapeSpec};
pub use reward::{
    BatchContext, NoProgress, Progress, Reward, RewardFuture, RewardResults, SampleReward, group_indices,
};
pub use sample::{DEFAULT_COMPLETION_FIELD, DEFAULT_REFERENCE_FIELD, Sample, json_type_name, wrong_type};
pub use score::Score;
pub use shaping::{Shape, ShapeContext};
