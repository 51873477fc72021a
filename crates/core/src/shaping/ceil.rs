//! `ceil`: `min(r, c)` (spec §2).

use serde::Deserialize;

use super::{ShapeContext, check_finite};
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "ceil",
    summary: "Cap the reward: min(r, ceil)",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    ceil: f64,
}

struct Ceil(f64);

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    Ok(Box::new(Ceil(check_finite("ceil", params.ceil)?)))
}

impl Shape for Ceil {
    fn apply(&self, _ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        for value in values.iter_mut().flatten() {
            *value = value.min(self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, build_shape, run_shape};

    #[test]
    fn spec_example() {
        assert_close(
            &run_shape("ceil", "ceil = 2.0", &[None; 2], &[3.0, 1.0]),
            &[2.0, 1.0],
            0.0,
        );
        assert!(build_shape("ceil", "").err().unwrap().message.contains("ceil"));
    }
}
