//! False-positive and false-negative rates of a reward used as a verifier, against labelled rows.
//!
//! Rows `{"id", "reward", "label"}` (field names configurable): `label` says whether the answer is really right
//! (true/false; null rows are counted as unlabelled and skipped). A reward above `threshold` counts as accepted.
//! The false-positive rate is how often a wrong answer is rewarded (the number that lets a policy hack the
//! verifier); the false-negative rate is how often a right answer is not (lost learning signal).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::EvalError;
use crate::rows::{non_empty, rows};
use crate::table::{num, render};

/// Field names and the acceptance threshold.
#[derive(Debug, Clone)]
pub struct VerifierOptions {
    /// The reward field (default `reward`).
    pub reward_field: String,
    /// The ground-truth field (default `label`).
    pub label_field: String,
    /// A reward strictly above this accepts the answer (default 0.5).
    pub threshold: f64,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            reward_field: "reward".into(),
            label_field: "label".into(),
            threshold: 0.5,
        }
    }
}

/// The result of `assay eval verifier`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifierResult {
    /// Labelled rows scored.
    pub labelled: usize,
    /// Rows whose label is null (skipped).
    pub unlabelled: usize,
    /// Right answers accepted.
    pub true_positives: usize,
    /// Wrong answers accepted.
    pub false_positives: usize,
    /// Wrong answers rejected.
    pub true_negatives: usize,
    /// Right answers rejected.
    pub false_negatives: usize,
    /// FP / (FP + TN): how often a wrong answer is rewarded (0 when there are no wrong answers).
    pub false_positive_rate: f64,
    /// FN / (FN + TP): how often a right answer is not rewarded (0 when there are no right answers).
    pub false_negative_rate: f64,
    /// (TP + TN) / labelled.
    pub accuracy: f64,
    /// The threshold used.
    pub threshold: f64,
    /// The headline: accuracy.
    pub score: f64,
}

impl VerifierResult {
    /// Confusion counts and rates.
    pub fn table(&self) -> String {
        let count = |name: &str, n: usize| vec![name.to_owned(), n.to_string()];
        let rate = |name: &str, v: f64| vec![name.to_owned(), num(v)];
        render(
            &["verifier (reward > threshold accepts)", "value"],
            &[
                count("labelled rows", self.labelled),
                count("unlabelled rows (skipped)", self.unlabelled),
                count("right, accepted (TP)", self.true_positives),
                count("wrong, accepted (FP)", self.false_positives),
                count("wrong, rejected (TN)", self.true_negatives),
                count("right, rejected (FN)", self.false_negatives),
                rate("false-positive rate", self.false_positive_rate),
                rate("false-negative rate", self.false_negative_rate),
                rate("accuracy", self.accuracy),
                rate("threshold", self.threshold),
            ],
        )
    }
}

#[allow(clippy::cast_precision_loss)]
fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Scores the rows.
pub fn evaluate(records: &[Map<String, Value>], options: &VerifierOptions) -> Result<VerifierResult, EvalError> {
    non_empty(records, "verifier")?;
    if !options.threshold.is_finite() {
        return Err(EvalError::Input("the threshold must be finite".into()));
    }
    let (mut tp, mut fp, mut tn, mut fn_, mut unlabelled) = (0, 0, 0, 0, 0);
    for row in rows(records) {
        if !row.has(&options.label_field) {
            unlabelled += 1;
            continue;
        }
        let right = row.boolean(&options.label_field)?;
        let accepted = row.number(&options.reward_field)? > options.threshold;
        match (right, accepted) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let labelled = tp + fp + tn + fn_;
    if labelled == 0 {
        return Err(EvalError::Input(format!(
            "no row has a `{}`: nothing to evaluate",
            options.label_field
        )));
    }
    let accuracy = rate(tp + tn, labelled);
    Ok(VerifierResult {
        labelled,
        unlabelled,
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fn_,
        false_positive_rate: rate(fp, fp + tn),
        false_negative_rate: rate(fn_, fn_ + tp),
        accuracy,
        threshold: options.threshold,
        score: accuracy,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn confusion_counts() {
        let rows: Vec<Map<String, Value>> = [
            json!({"reward": 1.0, "label": true}),
            json!({"reward": 1.0, "label": false}),
            json!({"reward": 0.0, "label": false}),
            json!({"reward": 0.0, "label": false}),
            json!({"reward": 0.0, "label": true}),
            json!({"reward": 0.0, "label": null}),
        ]
        .iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let r = evaluate(&rows, &VerifierOptions::default()).unwrap();
        assert_eq!(
            (r.true_positives, r.false_positives, r.true_negatives, r.false_negatives),
            (1, 1, 2, 1)
        );
        assert_eq!(r.unlabelled, 1);
        assert!((r.false_positive_rate - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.false_negative_rate, 0.5);
    }
}
