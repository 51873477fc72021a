//! `model_ensemble`: several model rewards (any of this crate's kinds, each with its own endpoint and model) scored
//! concurrently and aggregated per sample as in spec §5 (mean, median, min, mean − λ·std). Shared keys set on the
//! ensemble table (`endpoint`, `model`, `cache`, ...) are defaults for its members.
//!
//! Named `model_ensemble` because the core's `ensemble` kind already aggregates scores that are in the record or
//! were computed by earlier rewards; this one owns its members and calls them itself.

use std::sync::Arc;

use assay_core::spec::ensemble::{Aggregate, ensemble_aggregate};
use assay_core::{Component, KeyError, Params, RewardError, RewardResults, Sample};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::common::{COMMON_KEYS, ModelReward};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    members: Vec<toml::Table>,
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

struct Member {
    name: String,
    reward: Arc<dyn ModelReward>,
}

struct ModelEnsemble {
    members: Vec<Member>,
    method: Aggregate,
    lambda: f64,
    std_ddof: usize,
}

pub(crate) fn build(params: &Params) -> Result<Arc<dyn ModelReward>, KeyError> {
    // Shared keys given on the ensemble itself (endpoint, model, cache, ...) are defaults for every member.
    let mut own = params.0.clone();
    let shared: Vec<(String, toml::Value)> = COMMON_KEYS
        .iter()
        .filter_map(|key| own.remove(*key).map(|value| ((*key).to_owned(), value)))
        .collect();
    let keys: Keys = Params(own).parse()?;
    if keys.members.is_empty() {
        return Err(KeyError::new("members", "needs at least one member"));
    }
    if !keys.lambda.is_finite() {
        return Err(KeyError::new("lambda", "must be a finite number"));
    }
    let mut members = Vec::with_capacity(keys.members.len());
    for (index, mut table) in keys.members.into_iter().enumerate() {
        let at = |err: KeyError| KeyError::new(format!("members[{index}].{}", err.key), err.message);
        let name = match table.remove("name") {
            None => format!("member{index}"),
            Some(toml::Value::String(name)) => name,
            Some(_) => return Err(at(KeyError::new("name", "must be a string"))),
        };
        for (key, value) in &shared {
            table.entry(key.clone()).or_insert_with(|| value.clone());
        }
        let kind = match table.remove("kind") {
            Some(toml::Value::String(kind)) => kind,
            _ => return Err(at(KeyError::new("kind", "each member needs a kind (a model kind)"))),
        };
        let factory = super::factory(&kind).ok_or_else(|| {
            at(KeyError::new(
                "kind",
                format!(
                    "`{kind}` is not a model kind; use one of {}",
                    super::MEMBER_KINDS.join(", ")
                ),
            ))
        })?;
        if members.iter().any(|m: &Member| m.name == name) {
            return Err(at(KeyError::new("name", format!("two members are named `{name}`"))));
        }
        let reward = factory(&Params(table)).map_err(at)?;
        members.push(Member { name, reward });
    }
    Ok(Arc::new(ModelEnsemble {
        members,
        method: keys.method,
        lambda: keys.lambda,
        std_ddof: keys.std_ddof,
    }))
}

impl ModelReward for ModelEnsemble {
    fn start(&self, samples: &[Sample]) -> BoxFuture<'static, RewardResults> {
        let runs: Vec<_> = self.members.iter().map(|m| m.reward.start(samples)).collect();
        let names: Vec<String> = self.members.iter().map(|m| m.name.clone()).collect();
        let (method, lambda, std_ddof) = (self.method, self.lambda, self.std_ddof);
        let count = samples.len();
        Box::pin(async move {
            let per_member = futures::future::join_all(runs).await;
            (0..count)
                .map(|i| {
                    let mut values = Vec::with_capacity(names.len());
                    let mut shown = Map::new();
                    for (name, results) in names.iter().zip(&per_member) {
                        let component = results[i]
                            .as_ref()
                            .map_err(|err| RewardError::Failed(format!("ensemble member `{name}`: {err}")))?;
                        values.push(component.value);
                        shown.insert(name.clone(), Value::from(component.value));
                    }
                    let value = ensemble_aggregate(&values, method, lambda, std_ddof)?;
                    Ok(Component::new(value).with("members", shown))
                })
                .collect()
        })
    }
}
