//! Shaping: transformations of the combined reward, applied in order after combination, and the reward kinds that
//! compute the spec's sequence-level formulas (length penalties, process-reward mechanisms, ensembles, ...).
//!
//! Group-level shapes (GRPO, Dr.GRPO, RLOO, ...) see the whole batch and its groups. Entries that already failed
//! stay failed and take no part in group or batch statistics.

mod ceil;
mod clip;
mod dr_grpo;
mod ensemble;
mod group_norm;
mod length;
mod length_unit;
mod mean_std;
mod minmax;
mod par;
mod pbrs;
mod process;
mod reinforce_pp;
mod renorm;
mod rloo;
mod source;
#[cfg(test)]
mod testing;
mod turning_point;

use crate::{KeyError, Kind, RewardError, RewardFactory, Sample, ShapeFactory};

/// What a shape sees besides the values.
pub struct ShapeContext<'a> {
    /// The samples, in input order.
    pub samples: &'a [Sample],
    /// Sample indices by group (first-appearance order; ungrouped samples are singletons).
    pub groups: &'a [Vec<usize>],
}

/// A transformation of the combined rewards of a batch.
pub trait Shape: Send + Sync {
    /// Transforms `values` (one per sample, in input order) in place. Entries that are already `Err` (records
    /// that failed) stay as they are and take no part in group statistics; a shape may turn an entry into an
    /// error (for example when a field it needs is missing).
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]);
}

/// Every shape kind this crate implements.
pub fn catalog() -> Vec<Kind<ShapeFactory>> {
    vec![
        group_norm::KIND,
        dr_grpo::KIND,
        rloo::KIND,
        reinforce_pp::KIND,
        reinforce_pp::BASELINE_KIND,
        par::KIND,
        clip::KIND,
        clip::MEAN_STD_KIND,
        ceil::KIND,
        minmax::KIND,
        mean_std::KIND,
    ]
}

/// Reward kinds that compute formulas from the spec (length penalties, process-reward mechanisms, ensembles, ...).
pub fn reward_kinds() -> Vec<Kind<RewardFactory>> {
    vec![
        length::KIND,
        process::KIND,
        pbrs::KIND,
        turning_point::KIND,
        ensemble::KIND,
        renorm::KIND,
    ]
}

/// Replaces the successful entries at `indices` with `f` of their values; if `f` fails, they all take its error.
fn transform_subset(
    values: &mut [Result<f64, RewardError>],
    indices: impl Iterator<Item = usize>,
    f: impl Fn(&[f64]) -> Result<Vec<f64>, RewardError>,
) {
    let live: Vec<usize> = indices.filter(|&i| values.get(i).is_some_and(Result::is_ok)).collect();
    let inputs: Vec<f64> = live.iter().map(|&i| *values[i].as_ref().unwrap_or(&f64::NAN)).collect();
    match f(&inputs) {
        Ok(outputs) if outputs.len() == live.len() => {
            for (i, output) in live.into_iter().zip(outputs) {
                values[i] = Ok(output);
            }
        }
        Ok(_) => {
            for i in live {
                values[i] = Err(RewardError::Failed(
                    "internal error: shape changed the group size".into(),
                ));
            }
        }
        Err(err) => {
            for i in live {
                values[i] = Err(err.clone());
            }
        }
    }
}

/// Applies `f` to each group's successful values.
fn per_group(
    ctx: &ShapeContext<'_>,
    values: &mut [Result<f64, RewardError>],
    f: impl Fn(&[f64]) -> Result<Vec<f64>, RewardError>,
) {
    for group in ctx.groups {
        transform_subset(values, group.iter().copied(), &f);
    }
}

/// Applies `f` to all successful values of the batch at once.
fn over_batch(values: &mut [Result<f64, RewardError>], f: impl Fn(&[f64]) -> Result<Vec<f64>, RewardError>) {
    let all = 0..values.len();
    transform_subset(values, all, f);
}

/// Applies `f` to each successful value on its own, with its sample.
fn per_sample(
    ctx: &ShapeContext<'_>,
    values: &mut [Result<f64, RewardError>],
    f: impl Fn(&Sample, f64) -> Result<f64, RewardError>,
) {
    for (sample, value) in ctx.samples.iter().zip(values.iter_mut()) {
        if let Ok(v) = *value {
            *value = f(sample, v);
        }
    }
}

/// A `KeyError` unless `value` is finite and at least `min`.
fn check_at_least(key: &str, value: f64, min: f64) -> Result<f64, KeyError> {
    if value.is_finite() && value >= min {
        Ok(value)
    } else {
        Err(KeyError::new(
            key,
            format!("must be a finite number ≥ {min}, got {value}"),
        ))
    }
}

/// A `KeyError` unless `value` is finite.
fn check_finite(key: &str, value: f64) -> Result<f64, KeyError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(KeyError::new(key, format!("must be a finite number, got {value}")))
    }
}

/// Scores every sample independently (in parallel) with access to the batch context, for rewards that read
/// earlier components and so cannot be a [`SampleReward`](crate::SampleReward).
fn score_each<'a>(
    ctx: &'a crate::BatchContext<'a>,
    f: impl Fn(usize, &Sample) -> Result<crate::Component, RewardError> + Sync + 'a,
) -> crate::RewardFuture<'a> {
    use rayon::prelude::*;
    let results: crate::RewardResults = ctx.samples.par_iter().enumerate().map(|(i, s)| f(i, s)).collect();
    ctx.progress.advance(ctx.samples.len() as u64);
    Box::pin(std::future::ready(results))
}

#[cfg(test)]
mod example_tests {
    use std::path::{Path, PathBuf};

    use crate::{Pipeline, Registry, Sample};

    fn examples_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/kinds")
    }

    /// Every example of a kind defined here loads, and scores its records without any error.
    #[test]
    fn examples_of_these_kinds_score_cleanly() {
        let registry = Registry::builtin();
        let shape_names = super::catalog().into_iter().map(|k| format!("shape_{}", k.name));
        let reward_names = super::reward_kinds().into_iter().map(|k| k.name.to_owned());
        for name in reward_names.chain(shape_names) {
            let config = examples_dir().join(format!("{name}.toml"));
            let pipeline = Pipeline::from_file(&config, &registry).unwrap_or_else(|e| panic!("{e}"));
            let input = examples_dir().join(format!("{name}.jsonl"));
            let text = std::fs::read_to_string(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
            let samples: Vec<Sample> = text
                .lines()
                .enumerate()
                .map(|(i, line)| match serde_json::from_str(line) {
                    Ok(serde_json::Value::Object(record)) => Sample::from_record(i, record, "group"),
                    _ => panic!("{}: line {} is not a JSON object", input.display(), i + 1),
                })
                .collect();
            assert!((3..=6).contains(&samples.len()), "{name}: 3-6 example records");
            let scores = pipeline.score(&samples);
            assert_eq!(scores.len(), samples.len());
            for score in &scores {
                assert!(score.error.is_none(), "{name}: {:?}", score.error);
                assert!(score.reward.is_some_and(f64::is_finite), "{name}: {:?}", score.reward);
            }
        }
    }
}
