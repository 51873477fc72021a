//! `reinforce_pp` and `reinforce_pp_baseline`: REINFORCE++ batch whitening (spec §1.4), optionally after
//! subtracting each group's mean.

use serde::Deserialize;

use super::{ShapeContext, check_at_least, over_batch};
use crate::spec::advantages::{reinforce_pp_advantage, reinforce_pp_baseline_advantage};
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "reinforce_pp",
    summary: "REINFORCE++: whiten over the whole batch, (r − mean) / (std + ε), population std",
    build,
};

pub(super) const BASELINE_KIND: Kind<ShapeFactory> = Kind {
    name: "reinforce_pp_baseline",
    summary: "REINFORCE++-baseline: subtract the group mean, then divide by the batch std",
    build: build_baseline,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_epsilon")]
    epsilon: f64,
    #[serde(default)]
    std_ddof: usize,
}

fn default_epsilon() -> f64 {
    1e-8
}

struct ReinforcePp {
    epsilon: f64,
    std_ddof: usize,
    group_baseline: bool,
}

fn parse(spec: &ShapeSpec, group_baseline: bool) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    Ok(Box::new(ReinforcePp {
        epsilon: check_at_least("epsilon", params.epsilon, 0.0)?,
        std_ddof: params.std_ddof,
        group_baseline,
    }))
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    parse(spec, false)
}

fn build_baseline(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    parse(spec, true)
}

impl Shape for ReinforcePp {
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        if !self.group_baseline {
            over_batch(values, |all| reinforce_pp_advantage(all, self.epsilon, self.std_ddof));
            return;
        }
        // Successful entries per group, in group order; the spec function returns them flattened in that order.
        let live: Vec<Vec<usize>> = ctx
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .copied()
                    .filter(|&i| values.get(i).is_some_and(Result::is_ok))
                    .collect()
            })
            .collect();
        let rewards: Vec<Vec<f64>> = live
            .iter()
            .map(|g| g.iter().filter_map(|&i| values[i].as_ref().ok().copied()).collect())
            .collect();
        let result = reinforce_pp_baseline_advantage(&rewards, self.epsilon, self.std_ddof);
        for (slot, &i) in live.iter().flatten().enumerate() {
            values[i] = match &result {
                Ok(advantages) => Ok(advantages[slot]),
                Err(err) => Err(err.clone()),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run_shape};

    #[test]
    fn spec_examples() {
        let (r2, h) = (2f64.sqrt(), 0.5f64.sqrt());
        let out = run_shape("reinforce_pp", "", &[None; 4], &[1.0, 0.0, 0.5, 0.5]);
        assert_close(&out, &[r2, -r2, 0.0, 0.0], 1e-6);
        // Groups need not be adjacent: [[1,0,0],[1,1,0]] interleaved.
        let groups = [Some("a"), Some("b"), Some("a"), Some("b"), Some("a"), Some("b")];
        let out = run_shape("reinforce_pp_baseline", "", &groups, &[1.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
        assert_close(&out, &[r2, h, -h, h, -h, -r2], 1e-6);
        let flat = run_shape("reinforce_pp", "", &[None; 3], &[2.0, 2.0, 2.0]);
        assert_close(&flat, &[0.0, 0.0, 0.0], 0.0);
    }
}
