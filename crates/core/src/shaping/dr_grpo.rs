//! `dr_grpo`: the Dr. GRPO advantage `r − group mean` (spec §1.2).

use serde::Deserialize;

use super::{ShapeContext, per_group};
use crate::spec::advantages::dr_grpo_advantage;
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "dr_grpo",
    summary: "Dr. GRPO advantage: r − group mean (no std division)",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

struct DrGrpo;

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let Params {} = spec.params.parse()?;
    Ok(Box::new(DrGrpo))
}

impl Shape for DrGrpo {
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        per_group(ctx, values, dr_grpo_advantage);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, build_shape, run_shape};

    #[test]
    fn spec_example() {
        let out = run_shape("dr_grpo", "", &[Some("g"); 5], &[1.0, 0.0, 0.0, 1.0, 1.0]);
        assert_close(&out, &[0.4, -0.6, -0.6, 0.4, 0.4], 1e-12);
        assert_eq!(build_shape("dr_grpo", "epsilon = 1.0").err().unwrap().key, "epsilon");
    }
}
