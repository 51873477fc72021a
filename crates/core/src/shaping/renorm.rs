//! `renorm`: ReNorm step rewards `clamp(p_t, 0, 1) + o − 1` (spec §8, RECONSTRUCTED); the value is their mean
//! (also a RECONSTRUCTED choice), so a failed trajectory's value is never above a successful one's.

use serde::Deserialize;

use super::score_each;
use super::source::ValueSource;
use crate::spec::renorm::renorm_with_count;
use crate::stats::mean;
use crate::{BatchContext, Component, KeyError, Kind, Reward, RewardFactory, RewardFuture, RewardSpec};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "renorm",
    summary: "ReNorm (RECONSTRUCTED): mean of p_t + outcome − 1 over the steps",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_steps_field")]
    steps_field: String,
    outcome_from: Option<String>,
    outcome_field: Option<String>,
}

fn default_steps_field() -> String {
    "step_scores".into()
}

struct Renorm {
    steps_field: String,
    outcome: ValueSource,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    Ok(Box::new(Renorm {
        steps_field: p.steps_field,
        outcome: ValueSource::required(
            p.outcome_from,
            p.outcome_field,
            "outcome_from",
            "outcome_field",
            "renorm needs the outcome (0 or 1)",
        )?,
    }))
}

impl Reward for Renorm {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        score_each(ctx, move |index, sample| {
            let outcome = self.outcome.value(ctx, index, sample)?;
            let renormed = renorm_with_count(&sample.numbers(&self.steps_field)?, outcome)?;
            let mut component = Component::new(mean(&renormed.rewards)?).with("step_rewards", renormed.rewards);
            if renormed.clamped > 0 {
                component = component.with("clamped_steps", renormed.clamped);
            }
            Ok(component)
        })
    }

    fn depends_on(&self) -> Vec<String> {
        self.outcome.depends_on()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    #[test]
    fn spec_examples() {
        let reward = build_reward("renorm", "outcome_field = \"solved\"").unwrap();
        let records = [
            json!({"step_scores": [0.8, 0.6, 0.9], "solved": true}),
            json!({"step_scores": [0.8, 0.6, 0.9], "solved": false}),
            json!({"step_scores": [1.4], "solved": 1}),
            json!({"step_scores": [], "solved": 1}),
        ];
        let out = score(reward.as_ref(), &records, &[], HashMap::new());
        assert!((out[0].as_ref().unwrap().value - 2.3 / 3.0).abs() < 1e-12);
        assert!((out[1].as_ref().unwrap().value + 0.7 / 3.0).abs() < 1e-12);
        assert_eq!(out[2].as_ref().unwrap().diagnostics["clamped_steps"], json!(1));
        assert_eq!(out[3].as_ref().unwrap_err().kind(), "EmptyInput");
        assert_eq!(build_reward("renorm", "").err().unwrap().key, "outcome_from");
    }
}
