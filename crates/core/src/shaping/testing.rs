//! Helpers for the shaping unit tests.

use serde_json::{Map, Value};

use super::ShapeContext;
use crate::{BatchContext, Component, KeyError, Params, RewardError, RewardSpec, Sample, Shape, ShapeSpec};
use std::collections::HashMap;

/// Builds a registered shape kind from TOML keys.
pub fn build_shape(kind: &str, toml: &str) -> Result<Box<dyn Shape>, KeyError> {
    let entry = super::catalog()
        .into_iter()
        .find(|k| k.name == kind)
        .expect("kind is registered");
    (entry.build)(&ShapeSpec {
        kind: kind.to_owned(),
        params: Params(toml.parse().expect("test TOML parses")),
    })
}

/// Samples with the given groups (and records, if any).
pub fn samples(groups: &[Option<&str>], records: &[Value]) -> Vec<Sample> {
    groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let mut record = match records.get(i) {
                Some(Value::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            if let Some(group) = group {
                record.insert("group".into(), Value::from(*group));
            }
            Sample::from_record(i, record, "group")
        })
        .collect()
}

/// Runs a shape over values, some of which may have failed.
pub fn run_shape_with(
    kind: &str,
    toml: &str,
    groups: &[Option<&str>],
    mut values: Vec<Result<f64, RewardError>>,
) -> Vec<Result<f64, RewardError>> {
    run_on(
        build_shape(kind, toml).expect("shape builds").as_ref(),
        &samples(groups, &[]),
        &mut values,
    );
    values
}

/// Runs a shape over samples.
pub fn run_on(shape: &dyn Shape, samples: &[Sample], values: &mut [Result<f64, RewardError>]) {
    let groups = crate::group_indices(samples.iter().map(|s| s.group.as_deref()));
    shape.apply(
        &ShapeContext {
            samples,
            groups: &groups,
        },
        values,
    );
}

/// Runs a shape over successful values and unwraps the results.
pub fn run_shape(kind: &str, toml: &str, groups: &[Option<&str>], values: &[f64]) -> Vec<f64> {
    run_shape_with(kind, toml, groups, values.iter().map(|v| Ok(*v)).collect())
        .into_iter()
        .map(|v| v.expect("shape succeeds"))
        .collect()
}

/// Asserts element-wise closeness.
pub fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() <= tolerance, "{actual:?} vs {expected:?}");
    }
}

/// Builds a registered reward kind from TOML keys.
pub fn build_reward(kind: &str, toml: &str) -> Result<Box<dyn crate::Reward>, KeyError> {
    let entry = super::reward_kinds()
        .into_iter()
        .find(|k| k.name == kind)
        .expect("kind is registered");
    (entry.build)(&RewardSpec {
        name: "test".into(),
        kind: kind.to_owned(),
        params: Params(toml.parse().expect("test TOML parses")),
    })
}

/// Scores records with a reward kind, with optional earlier components.
pub fn score(
    reward: &dyn crate::Reward,
    records: &[Value],
    groups: &[Option<&str>],
    earlier: HashMap<String, Vec<Option<f64>>>,
) -> Vec<Result<Component, RewardError>> {
    let groups: Vec<Option<&str>> = if groups.is_empty() {
        vec![None; records.len()]
    } else {
        groups.to_vec()
    };
    let samples = samples(&groups, records);
    let ctx = BatchContext::standalone(&samples, &earlier);
    futures::executor::block_on(reward.score_batch(&ctx))
}
