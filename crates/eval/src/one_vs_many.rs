//! RewardMATH-style one-to-many evaluation (spec §18.3): one correct solution against several incorrect ones.
//!
//! Rows `{"id", "score_chosen", "scores_rejected": [..], "subset"?}`. Accuracy counts a problem iff the chosen
//! scores strictly above every rejected; MRR is the mean of `1/rank(chosen)` with ties ranked pessimistically.

use std::collections::BTreeMap;

use assay_core::spec::rm_eval::{OneToMany, Ties, one_to_many_accuracy, one_to_many_mrr};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::EvalError;
use crate::rows::{non_empty, rows};
use crate::table::{num, render};

/// Accuracy and MRR of one set of problems.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OneVsManyScore {
    /// Problems.
    pub n: usize,
    /// Fraction of problems where the chosen beats every rejected.
    pub accuracy: f64,
    /// Mean reciprocal rank of the chosen (ties pessimistic).
    pub mrr: f64,
}

/// The result of `assay eval one-vs-many`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneVsManyResult {
    /// Subset name → scores (only when rows carry `subset`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subsets: BTreeMap<String, OneVsManyScore>,
    /// All problems together.
    pub overall: OneVsManyScore,
    /// The headline: overall accuracy.
    pub score: f64,
}

impl OneVsManyResult {
    /// One line per subset and the overall line.
    pub fn table(&self) -> String {
        let line = |name: &str, s: &OneVsManyScore| vec![name.to_owned(), s.n.to_string(), num(s.accuracy), num(s.mrr)];
        let mut lines: Vec<Vec<String>> = self.subsets.iter().map(|(k, s)| line(k, s)).collect();
        lines.push(line("overall", &self.overall));
        render(&["subset", "problems", "accuracy", "mrr"], &lines)
    }
}

fn score(problems: &[OneToMany]) -> Result<OneVsManyScore, EvalError> {
    Ok(OneVsManyScore {
        n: problems.len(),
        accuracy: one_to_many_accuracy(problems)?,
        mrr: one_to_many_mrr(problems, Ties::Pessimistic)?,
    })
}

/// Scores the rows.
pub fn evaluate(records: &[Map<String, Value>]) -> Result<OneVsManyResult, EvalError> {
    non_empty(records, "one-vs-many")?;
    let mut all = Vec::with_capacity(records.len());
    let mut by_subset: BTreeMap<String, Vec<OneToMany>> = BTreeMap::new();
    for row in rows(records) {
        let problem = OneToMany {
            chosen: row.number("score_chosen")?,
            rejected: row.numbers("scores_rejected")?,
        };
        if row.has("subset") {
            by_subset.entry(row.text("subset")?).or_default().push(problem.clone());
        }
        all.push(problem);
    }
    let overall = score(&all)?;
    let mut subsets = BTreeMap::new();
    for (name, problems) in &by_subset {
        subsets.insert(name.clone(), score(problems)?);
    }
    Ok(OneVsManyResult {
        subsets,
        score: overall.accuracy,
        overall,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn spec_vector() {
        let rows: Vec<Map<String, Value>> = [
            json!({"score_chosen": 0.8, "scores_rejected": [0.9, 0.3, 0.1], "subset": "a"}),
            json!({"score_chosen": 0.95, "scores_rejected": [0.2, 0.5]}),
        ]
        .iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let result = evaluate(&rows).unwrap();
        assert_eq!(result.overall.accuracy, 0.5);
        assert_eq!(result.overall.mrr, 0.75);
        assert_eq!(result.subsets["a"].n, 1);
    }
}
