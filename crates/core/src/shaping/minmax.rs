//! `minmax`: `(r − min)/(max − min)` over the batch (spec §2, with batch statistics instead of running ones).

use serde::Deserialize;

use super::{ShapeContext, check_finite, over_batch};
use crate::spec::par::minmax_reward;
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "minmax",
    summary: "Rescale the batch to [0, 1]: (r − min) / (max − min)",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Value for every record when all rewards are equal; without it that batch fails, as the spec says.
    degenerate_value: Option<f64>,
}

struct MinMax {
    degenerate_value: Option<f64>,
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    let degenerate_value = params
        .degenerate_value
        .map(|v| check_finite("degenerate_value", v))
        .transpose()?;
    Ok(Box::new(MinMax { degenerate_value }))
}

impl Shape for MinMax {
    fn apply(&self, _ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        over_batch(values, |all| {
            let min = all.iter().copied().fold(f64::INFINITY, f64::min);
            let max = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            match self.degenerate_value {
                Some(value) if min == max => Ok(vec![value; all.len()]),
                _ => all.iter().map(|r| minmax_reward(*r, min, max)).collect(),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run_shape, run_shape_with};

    #[test]
    fn rescales_the_batch() {
        let out = run_shape("minmax", "", &[None; 3], &[1.5, -1.0, 3.0]);
        assert_close(&out, &[0.625, 0.0, 1.0], 1e-12);
        let equal = run_shape_with("minmax", "", &[None; 2], vec![Ok(1.0), Ok(1.0)]);
        assert_eq!(equal[0].as_ref().unwrap_err().kind(), "InvalidParam");
        let fallback = run_shape("minmax", "degenerate_value = 0.0", &[None; 2], &[1.0, 1.0]);
        assert_close(&fallback, &[0.0, 0.0], 0.0);
    }
}
