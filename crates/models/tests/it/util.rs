//! Building pipelines and samples for the tests.

use std::path::Path;

use assay_core::{Pipeline, Score};

#[path = "../common/pipelines.rs"]
mod pipelines;
pub use pipelines::{pipeline, read_jsonl, registry, samples};

/// The configuration error of a one-reward pipeline.
pub fn config_error(kind: &str, url: &str, keys: &str) -> String {
    Pipeline::from_toml(
        &pipelines::pipeline_text(kind, url, keys),
        Path::new("test.toml"),
        &registry(),
    )
    .expect_err("config should be rejected")
    .to_string()
}

pub fn values(scores: &[Score]) -> Vec<Option<f64>> {
    scores.iter().map(|s| s.reward).collect()
}
