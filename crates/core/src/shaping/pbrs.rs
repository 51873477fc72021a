//! `pbrs`: potential-based reward shaping (spec §17) from a per-record list of state potentials.

use serde::Deserialize;

use super::score_each;
use crate::spec::pbrs::pbrs_shaping;
use crate::spec::prm::discounted_sum;
use crate::{BatchContext, Component, KeyError, Kind, Reward, RewardFactory, RewardFuture, RewardSpec};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "pbrs",
    summary: "Potential-based shaping: Σ γ^t (γ·Φ(s_{t+1}) − Φ(s_t)) from a list of potentials",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_field")]
    potentials_field: String,
    #[serde(default = "default_gamma")]
    gamma: f64,
    #[serde(default = "default_terminal")]
    terminal: bool,
}

fn default_field() -> String {
    "potentials".into()
}

fn default_gamma() -> f64 {
    1.0
}

fn default_terminal() -> bool {
    true
}

struct Pbrs {
    field: String,
    gamma: f64,
    terminal: bool,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    if !(0.0..=1.0).contains(&p.gamma) {
        return Err(KeyError::new("gamma", format!("must be in [0, 1], got {}", p.gamma)));
    }
    Ok(Box::new(Pbrs {
        field: p.potentials_field,
        gamma: p.gamma,
        terminal: p.terminal,
    }))
}

impl Reward for Pbrs {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        score_each(ctx, move |_, sample| {
            let terms = pbrs_shaping(&sample.numbers(&self.field)?, self.gamma, self.terminal)?;
            Ok(Component::new(discounted_sum(&terms, self.gamma)?).with("shaping_terms", terms))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    #[test]
    fn spec_examples() {
        let record = json!({"potentials": [0.2, 0.5, 0.9]});
        let open = build_reward("pbrs", "gamma = 0.9\nterminal = false").unwrap();
        let out = score(open.as_ref(), std::slice::from_ref(&record), &[], HashMap::new())
            .remove(0)
            .unwrap();
        assert!((out.value - 0.529).abs() < 1e-12, "telescopes to γ²Φ(s_2) − Φ(s_0)");
        let terminal = build_reward("pbrs", "gamma = 0.9").unwrap();
        let out = score(terminal.as_ref(), &[record], &[], HashMap::new())
            .remove(0)
            .unwrap();
        let terms: Vec<f64> = serde_json::from_value(out.diagnostics["shaping_terms"].clone()).unwrap();
        assert!((terms[0] - 0.25).abs() < 1e-12 && (terms[1] + 0.5).abs() < 1e-12);
        assert!((out.value + 0.2).abs() < 1e-12, "terminal Φ = 0 → −Φ(s_0)");
        assert_eq!(build_reward("pbrs", "gamma = 1.5").err().unwrap().key, "gamma");
    }
}
