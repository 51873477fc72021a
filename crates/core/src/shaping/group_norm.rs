//! `group_norm`: the GRPO group-normalized advantage (spec §1.1), with TRL's `scale_rewards` choices.

use serde::Deserialize;

use super::{ShapeContext, check_at_least, per_group};
use crate::spec::advantages::{dr_grpo_advantage, grpo_advantage};
use crate::stats::std;
use crate::{KeyError, Kind, RewardError, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "group_norm",
    summary: "GRPO advantage: (r − group mean) / (std + ε); scale = group | batch | none",
    build,
};

/// What the centered rewards are divided by (TRL's `scale_rewards`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum Scale {
    /// The group's own std (GRPO).
    #[default]
    Group,
    /// The std of all rewards of the batch.
    Batch,
    /// No division (Dr. GRPO).
    None,
}

/// What a group of one gets under `scale = "group"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum Singleton {
    /// 0: no relative signal (the spec's choice).
    #[default]
    Zero,
    /// `r / (1 + ε)`: verl's parity behaviour (mean 0 and std 1 for a group of one).
    Raw,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_epsilon")]
    epsilon: f64,
    #[serde(default = "default_ddof")]
    std_ddof: usize,
    #[serde(default)]
    scale: Scale,
    #[serde(default)]
    singleton: Singleton,
}

fn default_epsilon() -> f64 {
    1e-6
}

fn default_ddof() -> usize {
    1
}

struct GroupNorm {
    epsilon: f64,
    std_ddof: usize,
    scale: Scale,
    singleton: Singleton,
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    Ok(Box::new(GroupNorm {
        epsilon: check_at_least("epsilon", params.epsilon, 0.0)?,
        std_ddof: params.std_ddof,
        scale: params.scale,
        singleton: params.singleton,
    }))
}

impl Shape for GroupNorm {
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        match self.scale {
            Scale::Group => per_group(ctx, values, |group| match (group, self.singleton) {
                ([single], Singleton::Raw) => Ok(vec![single / (1.0 + self.epsilon)]),
                _ => grpo_advantage(group, self.epsilon, self.std_ddof),
            }),
            Scale::None => per_group(ctx, values, dr_grpo_advantage),
            Scale::Batch => {
                let live: Vec<f64> = values.iter().filter_map(|v| v.as_ref().ok().copied()).collect();
                if live.is_empty() {
                    return;
                }
                let divisor = match std(&live, self.std_ddof) {
                    Ok(s) => s + self.epsilon,
                    Err(err) => {
                        values
                            .iter_mut()
                            .filter(|v| v.is_ok())
                            .for_each(|v| *v = Err(err.clone()));
                        return;
                    }
                };
                per_group(ctx, values, |group| {
                    Ok(dr_grpo_advantage(group)?.into_iter().map(|a| a / divisor).collect())
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run_shape};

    #[test]
    fn grpo_spec_example_per_group() {
        let groups = [Some("a"), Some("a"), Some("a"), Some("a"), Some("a"), Some("b")];
        let out = run_shape("group_norm", "", &groups, &[1.0, 0.0, 0.0, 1.0, 1.0, 0.7]);
        assert_close(&out, &[0.730295, -1.095443, -1.095443, 0.730295, 0.730295, 0.0], 1e-6);
    }

    #[test]
    fn failed_records_stay_failed_and_are_left_out() {
        let groups = [Some("a"); 4];
        let out = super::super::testing::run_shape_with(
            "group_norm",
            "",
            &groups,
            vec![Ok(1.0), Err(crate::RewardError::Failed("x".into())), Ok(0.0), Ok(1.0)],
        );
        assert!(out[1].is_err());
        // Only [1, 0, 1] take part: mean 2/3, sample std √(1/3).
        let expected = (1.0 - 2.0 / 3.0) / ((1.0f64 / 3.0).sqrt() + 1e-6);
        assert!((out[0].as_ref().unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn batch_and_none_scales() {
        let groups = [Some("a"), Some("a"), Some("b"), Some("b")];
        let none = run_shape("group_norm", "scale = \"none\"", &groups, &[1.0, 0.0, 3.0, 3.0]);
        assert_close(&none, &[0.5, -0.5, 0.0, 0.0], 1e-12);
        let batch = run_shape(
            "group_norm",
            "scale = \"batch\"\nstd_ddof = 0",
            &groups,
            &[1.0, 0.0, 3.0, 3.0],
        );
        // Batch population std of [1, 0, 3, 3] is √1.6875.
        let s = 1.6875f64.sqrt() + 1e-6;
        assert_close(&batch, &[0.5 / s, -0.5 / s, 0.0, 0.0], 1e-12);
    }

    #[test]
    fn singleton_groups_can_follow_verl() {
        let groups = [Some("a"), Some("a"), None];
        let out = run_shape("group_norm", "singleton = \"raw\"", &groups, &[1.0, 0.0, 0.7]);
        assert_close(&out[2..], &[0.7 / (1.0 + 1e-6)], 1e-12);
        assert!(out[0] > 0.0 && out[1] < 0.0);
    }

    #[test]
    fn bad_params_name_the_key() {
        let err = super::super::testing::build_shape("group_norm", "epsilon = -1.0")
            .err()
            .unwrap();
        assert_eq!(err.key, "epsilon");
        let err = super::super::testing::build_shape("group_norm", "scale = \"prompt\"")
            .err()
            .unwrap();
        assert_eq!(err.key, "scale");
    }
}
