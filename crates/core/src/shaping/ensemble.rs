//! `ensemble`: aggregates several reward-model scores per sample (spec §5) — from a list field of the record or
//! from earlier components.

use serde::Deserialize;

use super::{check_finite, score_each};
use crate::spec::ensemble::{Aggregate, ensemble_aggregate};
use crate::{BatchContext, Component, KeyError, Kind, Reward, RewardFactory, RewardFuture, RewardSpec};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "ensemble",
    summary: "RM ensemble: mean | median | min | mean_minus_std of a score list field or earlier components",
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    field: Option<String>,
    from: Option<Vec<String>>,
    #[serde(default = "default_method")]
    method: Aggregate,
    #[serde(default = "default_lambda")]
    lambda: f64,
    #[serde(default)]
    std_ddof: usize,
}

fn default_method() -> Aggregate {
    Aggregate::Mean
}

fn default_lambda() -> f64 {
    1.0
}

enum Members {
    Field(String),
    Components(Vec<String>),
}

struct Ensemble {
    members: Members,
    method: Aggregate,
    lambda: f64,
    std_ddof: usize,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    let members = match (p.field, p.from) {
        (Some(_), Some(_)) => return Err(KeyError::new("from", "give either `field` or `from`, not both")),
        (Some(field), None) => Members::Field(field),
        (None, Some(from)) if from.is_empty() => return Err(KeyError::new("from", "needs at least one component")),
        (None, Some(from)) => Members::Components(from),
        (None, None) => {
            return Err(KeyError::new(
                "field",
                "give `field` (a list of scores) or `from` (components)",
            ));
        }
    };
    if p.method != Aggregate::MeanMinusStd && p.lambda != default_lambda() {
        return Err(KeyError::new("lambda", "only used by method = \"mean_minus_std\""));
    }
    Ok(Box::new(Ensemble {
        members,
        method: p.method,
        lambda: check_finite("lambda", p.lambda)?,
        std_ddof: p.std_ddof,
    }))
}

impl Reward for Ensemble {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        score_each(ctx, move |index, sample| {
            let scores = match &self.members {
                Members::Field(field) => sample.numbers(field)?,
                Members::Components(names) => names
                    .iter()
                    .map(|name| ctx.earlier_value(name, index))
                    .collect::<Result<_, _>>()?,
            };
            let value = ensemble_aggregate(&scores, self.method, self.lambda, self.std_ddof)?;
            Ok(Component::new(value).with("members", scores))
        })
    }

    fn depends_on(&self) -> Vec<String> {
        match &self.members {
            Members::Components(names) => names.clone(),
            Members::Field(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    fn one(toml: &str, scores: serde_json::Value) -> Result<f64, crate::RewardError> {
        let reward = build_reward("ensemble", toml).unwrap();
        score(reward.as_ref(), &[json!({"scores": scores})], &[], HashMap::new())
            .remove(0)
            .map(|c| c.value)
    }

    #[test]
    fn aggregators_match_the_spec() {
        assert!((one("field = \"scores\"", json!([1, 2, 4])).unwrap() - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            one("field = \"scores\"\nmethod = \"median\"", json!([1, 2, 4, 5])).unwrap(),
            3.0
        );
        assert_eq!(
            one("field = \"scores\"\nmethod = \"min\"", json!([1, 2, 4])).unwrap(),
            1.0
        );
        let mms = one("field = \"scores\"\nmethod = \"mean_minus_std\"", json!([1, 2, 4])).unwrap();
        assert!((mms - 1.086_114).abs() < 1e-6);
        assert_eq!(one("field = \"scores\"", json!([])).unwrap_err().kind(), "EmptyInput");
    }

    #[test]
    fn from_earlier_components() {
        let reward = build_reward("ensemble", "from = [\"rm_a\", \"rm_b\"]\nmethod = \"min\"").unwrap();
        assert_eq!(reward.depends_on(), vec!["rm_a".to_owned(), "rm_b".to_owned()]);
        let earlier = HashMap::from([
            ("rm_a".to_owned(), vec![Some(0.3), Some(0.9)]),
            ("rm_b".to_owned(), vec![Some(0.5), None]),
        ]);
        let out = score(reward.as_ref(), &[json!({}), json!({})], &[], earlier);
        assert_eq!(out[0].as_ref().unwrap().value, 0.3);
        assert_eq!(out[1].as_ref().unwrap_err().kind(), "MissingDependency");
        let key = |toml: &str| build_reward("ensemble", toml).err().unwrap().key;
        assert_eq!(key(""), "field");
        assert_eq!(key("field = \"s\"\nfrom = [\"a\"]"), "from");
        assert_eq!(key("field = \"s\"\nlambda = 2.0"), "lambda");
        assert_eq!(key("field = \"s\"\nmethod = \"max\""), "method");
    }
}
