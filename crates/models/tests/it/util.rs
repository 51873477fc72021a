//! Building pipelines and samples for the tests.

use std::path::Path;

use assay_core::{Pipeline, Registry, Sample, Score};
use serde_json::{Map, Value};

pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    assay_models::register(&mut registry);
    registry
}

/// A one-reward pipeline of `kind` with `keys` (TOML lines) pointing at `url`.
pub fn pipeline(kind: &str, url: &str, keys: &str) -> Pipeline {
    let text = format!("name = \"t\"\n[[reward]]\nname = \"m\"\nkind = \"{kind}\"\nendpoint = \"{url}\"\n{keys}\n");
    Pipeline::from_toml(&text, Path::new("test.toml"), &registry()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The configuration error of a one-reward pipeline.
pub fn config_error(kind: &str, url: &str, keys: &str) -> String {
    let text = format!("name = \"t\"\n[[reward]]\nname = \"m\"\nkind = \"{kind}\"\nendpoint = \"{url}\"\n{keys}\n");
    Pipeline::from_toml(&text, Path::new("test.toml"), &registry())
        .expect_err("config should be rejected")
        .to_string()
}

pub fn samples(records: &[Value]) -> Vec<Sample> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let map: Map<String, Value> = r.as_object().unwrap().clone();
            Sample::from_record(i, map, "group")
        })
        .collect()
}

pub fn values(scores: &[Score]) -> Vec<Option<f64>> {
    scores.iter().map(|s| s.reward).collect()
}
