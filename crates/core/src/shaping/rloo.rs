//! `rloo`: the RLOO leave-one-out baseline (spec §1.3).

use serde::Deserialize;

use super::{ShapeContext, per_group};
use crate::spec::advantages::rloo_advantage;
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "rloo",
    summary: "RLOO advantage: r − mean of the other rewards of the group",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

struct Rloo;

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let Params {} = spec.params.parse()?;
    Ok(Box::new(Rloo))
}

impl Shape for Rloo {
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        per_group(ctx, values, rloo_advantage);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run_shape};

    #[test]
    fn spec_examples() {
        let groups = [
            Some("a"),
            Some("a"),
            Some("a"),
            Some("a"),
            Some("a"),
            Some("b"),
            Some("b"),
            None,
        ];
        let out = run_shape("rloo", "", &groups, &[1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0, 5.0]);
        assert_close(&out, &[0.5, -0.75, -0.75, 0.5, 0.5, 2.0, -2.0, 0.0], 1e-12);
    }
}
