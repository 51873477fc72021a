//! Pipelines, samples and example records for the model tests, shared by the `it` and `local` test targets
//! (each includes this file with `#[path]`; `local` needs the `local-models` feature).

use std::path::Path;

use assay_core::{Pipeline, Registry, Sample};
use serde_json::Value;

pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    assay_models::register(&mut registry);
    registry
}

/// The TOML of a one-reward pipeline of `kind` with `keys` (TOML lines) pointing at `endpoint`.
pub fn pipeline_text(kind: &str, endpoint: &str, keys: &str) -> String {
    format!("name = \"t\"\n[[reward]]\nname = \"m\"\nkind = \"{kind}\"\nendpoint = \"{endpoint}\"\n{keys}\n")
}

/// A one-reward pipeline of `kind` with `keys` (TOML lines) pointing at `endpoint`.
pub fn pipeline(kind: &str, endpoint: &str, keys: &str) -> Pipeline {
    let text = pipeline_text(kind, endpoint, keys);
    Pipeline::from_toml(&text, Path::new("test.toml"), &registry()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub fn samples(records: &[Value]) -> Vec<Sample> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| Sample::from_record(i, r.as_object().unwrap().clone(), "group"))
        .collect()
}

/// The records of a JSONL file (blank lines skipped).
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
