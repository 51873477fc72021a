//! `par`: Preference As Reward and the other shaping baselines of its reference code (spec §2), comparing each
//! sample's reward with the RM scores of reference responses stored in the record.

use serde::Deserialize;

use super::{ShapeContext, check_at_least, check_finite, per_sample};
use crate::spec::par as formulas;
use crate::{KeyError, Kind, RewardError, Sample, Shape, ShapeFactory, ShapeSpec};

pub(super) const KIND: Kind<ShapeFactory> = Kind {
    name: "par",
    summary: "PAR σ-win-rate against reference rewards, or a baseline: centered, tanh_centered, lsc, sigmoid, ...",
    build,
};

/// Which transformation of the PAR paper's reference code to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum Baseline {
    /// `mean σ(k·(r − r_ref))`.
    #[default]
    Par,
    /// `r − mean(refs)`.
    Centered,
    /// `mean tanh(r − r_ref)`.
    TanhCentered,
    /// `mean atan(r − r_ref)`.
    ArctanCentered,
    /// `log σ(r − (mean + Φ⁻¹(q)·(std + 1e-5)))`.
    Lsc,
    /// PAR applied to `r − 3`.
    Sgfc,
    /// `σ(k·r)`, no references.
    Sigmoid,
    /// `tanh(r)`, no references.
    Tanh,
    /// `atan(r)`, no references.
    Arctan,
}

impl Baseline {
    fn needs_refs(self) -> bool {
        !matches!(self, Self::Sigmoid | Self::Tanh | Self::Arctan)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    baseline: Baseline,
    #[serde(default = "default_k")]
    k: f64,
    #[serde(default = "default_field")]
    ref_rewards_field: String,
    max_refs: Option<usize>,
    #[serde(default = "default_quantile")]
    quantile: f64,
    #[serde(default = "default_ddof")]
    std_ddof: usize,
    #[serde(default = "default_std_eps")]
    std_eps: f64,
}

fn default_k() -> f64 {
    1.0
}
fn default_field() -> String {
    "ref_rewards".into()
}
fn default_quantile() -> f64 {
    0.85
}
fn default_ddof() -> usize {
    1
}
fn default_std_eps() -> f64 {
    1e-5
}

struct Par {
    params: Params,
}

fn build(spec: &ShapeSpec) -> Result<Box<dyn Shape>, KeyError> {
    let params: Params = spec.params.parse()?;
    check_finite("k", params.k)?;
    check_at_least("std_eps", params.std_eps, 0.0)?;
    if !(params.quantile > 0.0 && params.quantile < 1.0) {
        return Err(KeyError::new(
            "quantile",
            format!("must be in (0, 1), got {}", params.quantile),
        ));
    }
    if params.max_refs == Some(0) {
        return Err(KeyError::new("max_refs", "must be at least 1"));
    }
    Ok(Box::new(Par { params }))
}

impl Par {
    fn shape(&self, sample: &Sample, reward: f64) -> Result<f64, RewardError> {
        let p = &self.params;
        let refs = if p.baseline.needs_refs() {
            let mut refs = sample.numbers(&p.ref_rewards_field)?;
            if let Some(max) = p.max_refs {
                refs.truncate(max);
            }
            refs
        } else {
            Vec::new()
        };
        match p.baseline {
            Baseline::Par => formulas::par_reward(reward, &refs, p.k),
            Baseline::Centered => formulas::centered_reward(reward, &refs),
            Baseline::TanhCentered => formulas::tanh_centered_reward(reward, &refs),
            Baseline::ArctanCentered => formulas::arctan_centered_reward(reward, &refs),
            Baseline::Lsc => formulas::lsc_reward(reward, &refs, p.quantile, p.std_ddof, p.std_eps),
            Baseline::Sgfc => formulas::sgfc_reward(reward, &refs, p.k),
            Baseline::Sigmoid => formulas::sigmoid_reward(reward, p.k),
            Baseline::Tanh => Ok(reward.tanh()),
            Baseline::Arctan => Ok(reward.atan()),
        }
    }
}

impl Shape for Par {
    fn apply(&self, ctx: &ShapeContext<'_>, values: &mut [Result<f64, RewardError>]) {
        per_sample(ctx, values, |sample, reward| self.shape(sample, reward));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build_shape, run_on, samples};

    fn shaped(toml: &str, reward: f64, record: serde_json::Value) -> Result<f64, crate::RewardError> {
        let shape = build_shape("par", toml).unwrap();
        let mut values = vec![Ok(reward)];
        run_on(shape.as_ref(), &samples(&[None], &[record]), &mut values);
        values.remove(0)
    }

    #[test]
    fn spec_examples() {
        let refs = json!({"ref_rewards": [0.5, 1.0, 2.0]});
        assert!((shaped("", 1.5, refs.clone()).unwrap() - 0.577_020).abs() < 1e-6);
        assert!((shaped("max_refs = 1", 1.5, refs.clone()).unwrap() - 0.731_059).abs() < 1e-6);
        assert!((shaped("baseline = \"centered\"", 1.5, refs.clone()).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((shaped("baseline = \"tanh_centered\"", 1.5, refs.clone()).unwrap() - 0.253_865).abs() < 1e-6);
        assert!((shaped("baseline = \"lsc\"", 1.5, refs).unwrap() + 0.948_305).abs() < 1e-6);
        assert_eq!(shaped("baseline = \"sigmoid\"", 0.0, json!({})).unwrap(), 0.5);
        let other_field = json!({"refs": [1.5]});
        assert_eq!(shaped("ref_rewards_field = \"refs\"", 1.5, other_field).unwrap(), 0.5);
    }

    #[test]
    fn missing_or_empty_refs_fail_the_record() {
        let err = shaped("", 1.0, json!({})).unwrap_err();
        assert_eq!(err.to_string(), "missing field `ref_rewards`");
        assert_eq!(
            shaped("", 1.0, json!({"ref_rewards": []})).unwrap_err().kind(),
            "EmptyInput"
        );
        assert_eq!(build_shape("par", "quantile = 1.5").err().unwrap().key, "quantile");
        assert_eq!(build_shape("par", "baseline = \"poly\"").err().unwrap().key, "baseline");
    }
}
