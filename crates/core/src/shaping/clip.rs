//! `clip` (clamp to fixed bounds) and `clip_mean_std` (clamp to one population std around the batch mean, the PAR
//! paper's "clipping" baseline, spec §2).

use serde::Deserialize;

use super::{ShapeContext, check_finite, over_batch};
use crate::spec::par::clip_mean_std_reward;
use crate::stats::{mean, std};
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "clip",
    summary: "Clamp the reward to [min, max] (either bound may be omitted)",
    build,
};

pub(super) const MEAN_STD_KIND: Kind<ShapeFactory> = Kind {
    name: "clip_mean_std",
    summary: "Clamp the reward to the batch mean ± one population std",
    build: build_mean_std,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    min: Option<f64>,
    max: Option<f64>,
}

struct Clip {
    min: f64,
    max: f64,
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    if params.min.is_none() && params.max.is_none() {
        return Err(KeyError::new("min", "give `min`, `max` or both"));
    }
    let min = params
        .min
        .map(|v| check_finite("min", v))
        .transpose()?
        .unwrap_or(f64::NEG_INFINITY);
    let max = params
        .max
        .map(|v| check_finite("max", v))
        .transpose()?
        .unwrap_or(f64::INFINITY);
    if min > max {
        return Err(KeyError::new("max", format!("must be ≥ min ({min}), got {max}")));
    }
    Ok(Box::new(Clip { min, max }))
}

impl Shape for Clip {
    fn apply(&self, _ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        for value in values.iter_mut().flatten() {
            *value = value.clamp(self.min, self.max);
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeanStdParams {}

struct ClipMeanStd;

fn build_mean_std(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let MeanStdParams {} = spec.params.parse()?;
    Ok(Box::new(ClipMeanStd))
}

impl Shape for ClipMeanStd {
    fn apply(&self, _ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        over_batch(values, |all| {
            if all.is_empty() {
                return Ok(Vec::new());
            }
            let (m, s) = (mean(all)?, std(all, 0)?);
            all.iter().map(|r| clip_mean_std_reward(*r, m, s)).collect()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, build_shape, run_shape};

    #[test]
    fn clamps_to_bounds() {
        let out = run_shape("clip", "min = -1.0\nmax = 1.0", &[None; 3], &[-3.0, 0.5, 3.0]);
        assert_close(&out, &[-1.0, 0.5, 1.0], 0.0);
        let out = run_shape("clip", "max = 2.0", &[None; 2], &[-3.0, 3.0]);
        assert_close(&out, &[-3.0, 2.0], 0.0);
        assert_eq!(build_shape("clip", "").err().unwrap().key, "min");
        assert_eq!(build_shape("clip", "min = 2.0\nmax = 1.0").err().unwrap().key, "max");
    }

    #[test]
    fn clip_mean_std_uses_batch_statistics() {
        // Batch [3, 1, 1, -1]: mean 1, population std 1.414214 → 3 is clipped to 2.414214.
        let out = run_shape("clip_mean_std", "", &[None; 4], &[3.0, 1.0, 1.0, -1.0]);
        let s = 2.0f64.sqrt();
        assert_close(&out, &[1.0 + s, 1.0, 1.0, 1.0 - s], 1e-12);
    }
}
