//! `process`: PRM step scores turned into step rewards by the Clip / Delta mechanisms of spec §3, plus an optional
//! success reward at the last step; the value is the (discounted) return from step 0.

use serde::Deserialize;

use super::source::ValueSource;
use super::{check_at_least, score_each};
use crate::spec::prm::{discounted_sum, prm_clip, prm_clip_delta, prm_delta};
use crate::{BatchContext, Component, KeyError, Kind, Reward, RewardFactory, RewardFuture, RewardSpec};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "process",
    summary: "Process reward from PRM step scores: mechanism = clip | delta | clip_delta | none, + success",
    build,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mechanism {
    Clip,
    Delta,
    ClipDelta,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_steps_field")]
    steps_field: String,
    mechanism: Mechanism,
    eta: Option<f64>,
    #[serde(default = "default_gamma")]
    gamma: f64,
    success_from: Option<String>,
    success_field: Option<String>,
}

fn default_steps_field() -> String {
    "step_scores".into()
}

fn default_gamma() -> f64 {
    1.0
}

struct Process {
    steps_field: String,
    mechanism: Mechanism,
    eta: f64,
    gamma: f64,
    success: Option<ValueSource>,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    let eta = match (p.mechanism, p.eta) {
        (Mechanism::Clip | Mechanism::ClipDelta, Some(eta)) => super::check_finite("eta", eta)?,
        (Mechanism::Clip | Mechanism::ClipDelta, None) => {
            return Err(KeyError::new(
                "eta",
                "mechanism clip and clip_delta need the threshold `eta`",
            ));
        }
        (_, Some(_)) => return Err(KeyError::new("eta", "only used by mechanism clip and clip_delta")),
        (_, None) => 0.0,
    };
    let gamma = check_at_least("gamma", p.gamma, 0.0)?;
    if gamma > 1.0 {
        return Err(KeyError::new("gamma", "must be in [0, 1]"));
    }
    Ok(Box::new(Process {
        steps_field: p.steps_field,
        mechanism: p.mechanism,
        eta,
        gamma,
        success: ValueSource::from_keys(p.success_from, p.success_field, "success_from", "success_field")?,
    }))
}

impl Reward for Process {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        score_each(ctx, move |index, sample| {
            let scores = sample.numbers(&self.steps_field)?;
            let mut steps = match self.mechanism {
                Mechanism::Clip => prm_clip(&scores, self.eta)?,
                Mechanism::Delta => prm_delta(&scores)?,
                Mechanism::ClipDelta => prm_clip_delta(&scores, self.eta)?,
                Mechanism::None => scores,
            };
            let mut component = Component::new(0.0);
            if let Some(source) = &self.success {
                let success = source.value(ctx, index, sample)?;
                // With no steps, the success reward is the only step.
                match steps.last_mut() {
                    Some(last) => *last += success,
                    None => steps.push(success),
                }
                component = component.with("success", success);
            }
            component.value = discounted_sum(&steps, self.gamma)?;
            Ok(component.with("step_rewards", steps))
        })
    }

    fn depends_on(&self) -> Vec<String> {
        self.success.as_ref().map(ValueSource::depends_on).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    fn run(toml: &str, record: serde_json::Value) -> Result<crate::Component, crate::RewardError> {
        let reward = build_reward("process", toml).unwrap();
        score(reward.as_ref(), &[record], &[], HashMap::new()).remove(0)
    }

    #[test]
    fn mechanisms_match_the_spec() {
        let record = json!({"step_scores": [0.7, 0.2, 0.4, 0.8], "solved": 1});
        let clip = run("mechanism = \"clip\"\neta = 0.5", record.clone()).unwrap();
        assert!((clip.value + 0.4).abs() < 1e-12);
        let delta = run("mechanism = \"delta\"\nsuccess_field = \"solved\"", record.clone()).unwrap();
        assert!((delta.value - 0.9).abs() < 1e-12, "return from step 0 = p_1 − p_K + s");
        let steps: Vec<f64> = serde_json::from_value(delta.diagnostics["step_rewards"].clone()).unwrap();
        assert!(
            steps
                .iter()
                .zip([0.5, -0.2, -0.4, 1.0])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        let clip_delta = run("mechanism = \"clip_delta\"\neta = 0.5", record.clone()).unwrap();
        assert!(
            (clip_delta.value - 0.0).abs() < 1e-12,
            "telescopes to c_1 − c_K = 0 − 0"
        );
        let none = run("mechanism = \"none\"\ngamma = 0.5", record).unwrap();
        assert!((none.value - (0.7 + 0.5 * 0.2 + 0.25 * 0.4 + 0.125 * 0.8)).abs() < 1e-12);
    }

    #[test]
    fn success_from_an_earlier_component() {
        let reward = build_reward("process", "mechanism = \"delta\"\nsuccess_from = \"acc\"").unwrap();
        assert_eq!(reward.depends_on(), vec!["acc".to_owned()]);
        let earlier = HashMap::from([("acc".to_owned(), vec![Some(1.0), Some(0.0)])]);
        let records = [json!({"step_scores": [0.9]}), json!({"step_scores": []})];
        let out = score(reward.as_ref(), &records, &[], earlier);
        assert_eq!(out[0].as_ref().unwrap().value, 1.0);
        assert_eq!(out[1].as_ref().unwrap().value, 0.0);
    }

    #[test]
    fn bad_records_and_configs() {
        let err = run("mechanism = \"delta\"", json!({"step_scores": [0.1, "x"]})).unwrap_err();
        assert_eq!(err.kind(), "WrongType");
        assert_eq!(
            run("mechanism = \"delta\"", json!({})).unwrap_err().to_string(),
            "missing field `step_scores`"
        );
        let key = |toml: &str| build_reward("process", toml).err().unwrap().key;
        assert_eq!(key("mechanism = \"clip\""), "eta");
        assert_eq!(key("mechanism = \"delta\"\neta = 0.5"), "eta");
        assert_eq!(key("mechanism = \"delta\"\ngamma = 2.0"), "gamma");
        let missing = build_reward("process", "").err().unwrap();
        assert!(missing.message.contains("mechanism"), "{missing}");
    }
}
