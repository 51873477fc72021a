//! `mean_std`: `(r − μ)/s` with the batch mean and population std (s = 0 → divide by 1), spec §2.

use serde::Deserialize;

use super::{ShapeContext, over_batch};
use crate::spec::par::mean_std_reward;
use crate::stats::{mean, std};
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "mean_std",
    summary: "Standardize over the batch: (r − mean) / std (population std; std 0 divides by 1)",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    std_ddof: usize,
}

struct MeanStd {
    std_ddof: usize,
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    Ok(Box::new(MeanStd {
        std_ddof: params.std_ddof,
    }))
}

impl Shape for MeanStd {
    fn apply(&self, _ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        over_batch(values, |all| {
            if all.is_empty() {
                return Ok(Vec::new());
            }
            let (m, s) = (mean(all)?, std(all, self.std_ddof)?);
            all.iter().map(|r| mean_std_reward(*r, m, s)).collect()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run_shape};

    #[test]
    fn standardizes_the_batch() {
        let out = run_shape("mean_std", "", &[None; 4], &[1.0, 0.0, 0.5, 0.5]);
        let s = 0.125f64.sqrt();
        assert_close(&out, &[0.5 / s, -0.5 / s, 0.0, 0.0], 1e-12);
        assert_close(&run_shape("mean_std", "", &[None; 2], &[3.0, 3.0]), &[0.0, 0.0], 0.0);
    }
}
