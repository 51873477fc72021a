//! `turning_point`: TP-GRPO step rewards (spec §9, turning-point test RECONSTRUCTED) from a per-record reward
//! sequence `R_0..R_T`; the value is the sum of the step rewards.

use serde::Deserialize;

use super::score_each;
use crate::spec::turning_point::{tp_incremental_rewards, tp_step_rewards, tp_turning_points};
use crate::{BatchContext, Component, KeyError, Kind, Reward, RewardFactory, RewardFuture, RewardSpec};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "turning_point",
    summary: "TP-GRPO: incremental step rewards, turning points get the long-term reward R_T − R_{t−1}",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_field")]
    field: String,
}

fn default_field() -> String {
    "reward_sequence".into()
}

struct TurningPoint {
    field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    Ok(Box::new(TurningPoint { field: p.field }))
}

impl Reward for TurningPoint {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        score_each(ctx, move |_, sample| {
            let sequence = sample.numbers(&self.field)?;
            let steps = tp_step_rewards(&sequence)?;
            Ok(Component::new(steps.iter().sum())
                .with("increments", tp_incremental_rewards(&sequence)?)
                .with("turning_points", tp_turning_points(&sequence)?)
                .with("step_rewards", steps))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    #[test]
    fn spec_example() {
        let reward = build_reward("turning_point", "").unwrap();
        let records = [
            json!({"reward_sequence": [0.5, 0.45, 0.55, 0.6, 0.58]}),
            json!({"reward_sequence": []}),
        ];
        let out = score(reward.as_ref(), &records, &[], HashMap::new());
        let first = out[0].as_ref().unwrap();
        assert_eq!(first.diagnostics["turning_points"], json!([1]));
        assert!((first.value - (-0.05 + 0.13 + 0.05 - 0.02)).abs() < 1e-12);
        assert_eq!(out[1].as_ref().unwrap().value, 0.0);
        assert_eq!(
            build_reward("turning_point", "fields = \"x\"").err().unwrap().key,
            "fields"
        );
    }
}
