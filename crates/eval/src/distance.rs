//! EPIC and STARC distances between reward functions (spec §7), on tabular MDPs and sampled from data.
//!
//! **Tabular**: a JSON object with `gamma`, `T` (or `transitions`, indexed `[s][a][s']`), an optional `policy`
//! (`[s][a]`, uniform by default; STARC's VAL canonicalization needs it) and the reward tables, either as a
//! `rewards` object (name → table) or as every other top-level key holding a `[s][a][s']` table (so the spec's
//! `mdp_example` works as is). Every pair of rewards gets its EPIC and STARC distance (`assay_core::spec::distance`).
//!
//! **Sampled**: rows `{"reward_a", "reward_b", "group"?}` — two rewards of the same completions (or two pipelines
//! run over a dataset). A completion is an action in a one-step MDP whose state is its prompt (`group`), so γ = 0
//! and EPIC's canonicalization `R(s,a,s') + γ·E[R(s',A,S')] − E[R(s,A,S')] − γ·E[R(S,A,S')]` reduces to
//! `R(s,a) − E_A[R(s,A)]`: each reward minus its group mean, with the sampled completions as D_A. EPIC is the
//! Pearson distance of the canonical rewards; STARC (EPIC canonicalization, L2 norm, L2 metric, range [0, 2])
//! is the L2 distance of the canonical rewards scaled to unit norm. Rows without a group form one state.

use std::collections::BTreeMap;

use assay_core::spec::distance::{
    Canonicalization, EpicDistribution, Norm, epic_distance, pearson_distance, starc_distance,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::EvalError;
use crate::rows::{non_empty, rows};
use crate::table::{num, render};

/// STARC's choices for the tabular distance.
#[derive(Debug, Clone, Copy, Default)]
pub struct StarcOptions {
    /// Canonicalization (VAL under the policy by default).
    pub canon: Canonicalization,
    /// Norm used to standardize (L2 by default).
    pub norm: Norm,
    /// Metric between the standardized rewards (L2 by default).
    pub metric: Norm,
}

/// The distance between two rewards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairDistance {
    /// First reward.
    pub a: String,
    /// Second reward.
    pub b: String,
    /// EPIC distance in [0, 1].
    pub epic: f64,
    /// STARC distance (in [0, 2] with the L2 metric).
    pub starc: f64,
}

/// The result of `assay eval distance`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistanceResult {
    /// `tabular` or `sampled`.
    pub mode: &'static str,
    /// Every pair of rewards.
    pub pairs: Vec<PairDistance>,
    /// Sampled mode: rows and states (groups) used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
    /// Sampled mode: number of groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<usize>,
    /// The headline: EPIC distance of the first pair.
    pub score: f64,
}

impl DistanceResult {
    /// One line per pair.
    pub fn table(&self) -> String {
        let lines: Vec<Vec<String>> = self
            .pairs
            .iter()
            .map(|p| vec![format!("{} vs {}", p.a, p.b), num(p.epic), num(p.starc)])
            .collect();
        format!(
            "{} distances\n{}",
            self.mode,
            render(&["rewards", "EPIC [0,1]", "STARC [0,2]"], &lines)
        )
    }
}

type Table = Vec<Vec<Vec<f64>>>;

fn as_table(value: &Value) -> Option<Table> {
    let table: Table = serde_json::from_value(value.clone()).ok()?;
    (!table.is_empty()).then_some(table)
}

/// Distances between every pair of reward tables of a tabular MDP.
pub fn tabular(mdp: &Value, options: StarcOptions) -> Result<DistanceResult, EvalError> {
    let object = mdp
        .as_object()
        .ok_or_else(|| EvalError::Input("the MDP must be a JSON object".into()))?;
    let field = |name: &str| EvalError::Input(format!("MDP field `{name}` is missing or not a [s][a][s'] table"));
    let gamma = object
        .get("gamma")
        .and_then(Value::as_f64)
        .ok_or_else(|| EvalError::Input("MDP field `gamma` is missing or not a number".into()))?;
    let transition_key = if object.contains_key("T") { "T" } else { "transitions" };
    let transitions = object
        .get(transition_key)
        .and_then(as_table)
        .ok_or_else(|| field(transition_key))?;
    let policy: Vec<Vec<f64>> = match object.get("policy") {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| EvalError::Input(format!("MDP field `policy` must be a [s][a] table: {e}")))?,
        None => {
            let actions = transitions[0].len().max(1);
            #[allow(clippy::cast_precision_loss)]
            let p = 1.0 / actions as f64;
            vec![vec![p; actions]; transitions.len()]
        }
    };
    let mut rewards: Vec<(String, Table)> = Vec::new();
    if let Some(named) = object.get("rewards") {
        let named = named
            .as_object()
            .ok_or_else(|| EvalError::Input("MDP field `rewards` must map names to tables".into()))?;
        for (name, value) in named {
            rewards.push((
                name.clone(),
                as_table(value).ok_or_else(|| field(&format!("rewards.{name}")))?,
            ));
        }
    } else {
        for (name, value) in object {
            if ["T", "transitions", "policy", "gamma"].contains(&name.as_str()) {
                continue;
            }
            if let Some(table) = as_table(value) {
                rewards.push((name.clone(), table));
            }
        }
    }
    if rewards.len() < 2 {
        return Err(EvalError::Input(format!(
            "the MDP has {} reward table(s); distances need at least 2",
            rewards.len()
        )));
    }
    let mut pairs = Vec::new();
    for (i, (name_a, a)) in rewards.iter().enumerate() {
        for (name_b, b) in &rewards[i + 1..] {
            pairs.push(PairDistance {
                a: name_a.clone(),
                b: name_b.clone(),
                epic: epic_distance(a, b, gamma, EpicDistribution::Uniform)?,
                starc: starc_distance(
                    &transitions,
                    &policy,
                    a,
                    b,
                    gamma,
                    options.canon,
                    options.norm,
                    options.metric,
                )?,
            });
        }
    }
    Ok(DistanceResult {
        mode: "tabular",
        score: pairs[0].epic,
        pairs,
        samples: None,
        groups: None,
    })
}

/// Each value minus the mean of its group (EPIC's canonicalization at γ = 0).
fn centre_by_group(values: &[f64], groups: &[String]) -> Vec<f64> {
    let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for (value, group) in values.iter().zip(groups) {
        let entry = sums.entry(group).or_default();
        entry.0 += value;
        entry.1 += 1;
    }
    values
        .iter()
        .zip(groups)
        .map(|(value, group)| {
            let (sum, n) = sums[group.as_str()];
            #[allow(clippy::cast_precision_loss)]
            let mean = sum / n as f64;
            value - mean
        })
        .collect()
}

fn unit(values: &[f64]) -> Vec<f64> {
    let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        values.iter().map(|v| v / norm).collect()
    } else {
        values.to_vec()
    }
}

/// Sampled EPIC and STARC between the `reward_a` and `reward_b` fields of the rows.
pub fn sampled(
    records: &[Map<String, Value>],
    names: (&str, &str),
    group_field: &str,
) -> Result<DistanceResult, EvalError> {
    non_empty(records, "distance")?;
    let (mut a, mut b, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows(records) {
        a.push(row.number("reward_a")?);
        b.push(row.number("reward_b")?);
        groups.push(if row.has(group_field) {
            row.text(group_field)?
        } else {
            String::new()
        });
    }
    let (ca, cb) = (centre_by_group(&a, &groups), centre_by_group(&b, &groups));
    let epic = pearson_distance(&ca, &cb).map_err(|e| {
        EvalError::Input(format!(
            "EPIC is undefined here ({e}); each reward needs variation within the groups"
        ))
    })?;
    let starc = unit(&ca)
        .iter()
        .zip(unit(&cb))
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let group_count = groups.iter().collect::<std::collections::BTreeSet<_>>().len();
    Ok(DistanceResult {
        mode: "sampled",
        pairs: vec![PairDistance {
            a: names.0.to_owned(),
            b: names.1.to_owned(),
            epic,
            starc,
        }],
        samples: Some(records.len()),
        groups: Some(group_count),
        score: epic,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shaped_and_scaled_rewards_are_at_distance_zero() {
        let vectors: Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/specs/reward-math-vectors.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let result = tabular(&vectors["mdp_example"], StarcOptions::default()).unwrap();
        let pair = |a: &str, b: &str| result.pairs.iter().find(|p| p.a == a && p.b == b).unwrap().clone();
        assert!(pair("R1", "R2").epic.abs() < 1e-9 && pair("R1", "R2").starc.abs() < 1e-9);
        assert!((pair("R1", "R3").epic - 0.600_453).abs() < 1e-6);
        assert!((pair("R1", "R3").starc - 1.034_745).abs() < 1e-6);
    }

    #[test]
    fn sampled_distance_ignores_per_prompt_offsets_and_scale() {
        let rows: Vec<Map<String, Value>> = (0..12)
            .map(|i| {
                let group = i / 4;
                let a = f64::from(i % 4) * 0.5;
                // b = 3·a + a per-prompt constant: same preferences within every prompt.
                let b = 3.0 * a + f64::from(group) * 10.0;
                json!({"reward_a": a, "reward_b": b, "group": group})
                    .as_object()
                    .unwrap()
                    .clone()
            })
            .collect();
        let result = sampled(&rows, ("a", "b"), "group").unwrap();
        assert!(result.pairs[0].epic.abs() < 1e-7, "{result:?}");
        assert!(result.pairs[0].starc.abs() < 1e-9);
        assert_eq!(result.groups, Some(3));
        let flipped: Vec<Map<String, Value>> = rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let a = r["reward_a"].as_f64().unwrap();
                r.insert("reward_b".into(), json!(-a));
                r
            })
            .collect();
        assert!((sampled(&flipped, ("a", "b"), "group").unwrap().pairs[0].epic - 1.0).abs() < 1e-12);
    }
}
