//! HelpSteer2-Preference-style evaluation (spec §18.4): pairwise accuracy weighted by preference strength.
//!
//! Rows `{"id", "score_1", "score_2", "preference_strength"}` with strength in −3..=3 (negative prefers response 1).
//! A pair is right iff the preferred response scores strictly higher. The headline weights each pair by
//! `|strength|`, so confusing "much better" costs three times as much as "slightly better". Rows with strength 0
//! carry no preference and are counted, not scored. The mean scaled Bradley–Terry loss `−|s|·log σ(r_c − r_r)` is
//! reported too.

use std::collections::BTreeMap;

use assay_core::spec::rm_eval::{helpsteer2_pref_to_pair, scaled_bt_loss};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::EvalError;
use crate::rows::{non_empty, rows};
use crate::table::{num, render};

/// The result of `assay eval preference-strength`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferenceResult {
    /// Pairs with a preference.
    pub pairs: usize,
    /// Rows with strength 0 (no preference; not scored).
    pub no_preference: usize,
    /// Accuracy with every pair weighted by `|strength|` — the headline.
    pub weighted_accuracy: f64,
    /// Plain accuracy over the pairs.
    pub accuracy: f64,
    /// `|strength|` (1, 2, 3) → accuracy and count.
    pub by_strength: BTreeMap<String, StrengthScore>,
    /// Mean scaled Bradley–Terry loss.
    pub scaled_bt_loss: f64,
    /// Same as `weighted_accuracy`.
    pub score: f64,
}

/// Accuracy at one strength.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StrengthScore {
    /// Pairs at this strength.
    pub n: usize,
    /// Their accuracy.
    pub accuracy: f64,
}

impl PreferenceResult {
    /// Per-strength lines and the totals.
    pub fn table(&self) -> String {
        let mut lines: Vec<Vec<String>> = self
            .by_strength
            .iter()
            .map(|(k, s)| vec![format!("|strength| = {k}"), s.n.to_string(), num(s.accuracy)])
            .collect();
        lines.push(vec!["accuracy".into(), self.pairs.to_string(), num(self.accuracy)]);
        lines.push(vec![
            "weighted accuracy".into(),
            self.pairs.to_string(),
            num(self.weighted_accuracy),
        ]);
        lines.push(vec![
            "scaled BT loss".into(),
            self.pairs.to_string(),
            num(self.scaled_bt_loss),
        ]);
        format!(
            "{}{} row(s) with strength 0 (no preference) not scored\n",
            render(&["pairs", "n", "value"], &lines),
            self.no_preference
        )
    }
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: f64, b: usize) -> f64 {
    a / b as f64
}

/// Scores the rows.
pub fn evaluate(records: &[Map<String, Value>]) -> Result<PreferenceResult, EvalError> {
    non_empty(records, "preference-strength")?;
    let (mut weighted_hits, mut weight_total, mut hits, mut pairs, mut loss, mut none) = (0.0, 0.0, 0.0, 0, 0.0, 0);
    let mut by_strength: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    for row in rows(records) {
        let strength_value = row.number("preference_strength")?;
        if strength_value.fract() != 0.0 {
            return Err(row.error("field `preference_strength` must be an integer in −3..=3"));
        }
        #[allow(clippy::cast_possible_truncation)]
        let strength = strength_value as i64;
        let pair =
            helpsteer2_pref_to_pair(strength).map_err(|e| row.error(format!("field `preference_strength`: {e}")))?;
        let (s1, s2) = (row.number("score_1")?, row.number("score_2")?);
        let Some(pair) = pair else {
            none += 1;
            continue;
        };
        let (chosen, rejected) = if pair.chosen == "response_1" {
            (s1, s2)
        } else {
            (s2, s1)
        };
        let right = chosen > rejected;
        let weight = f64::from(pair.margin);
        pairs += 1;
        weight_total += weight;
        if right {
            hits += 1.0;
            weighted_hits += weight;
        }
        loss += scaled_bt_loss(chosen, rejected, weight)?;
        let entry = by_strength.entry(pair.margin).or_default();
        entry.0 += 1;
        entry.1 += usize::from(right);
    }
    if pairs == 0 {
        return Err(EvalError::Input(
            "every row has preference_strength 0: nothing to score".into(),
        ));
    }
    let weighted_accuracy = weighted_hits / weight_total;
    Ok(PreferenceResult {
        pairs,
        no_preference: none,
        weighted_accuracy,
        accuracy: ratio(hits, pairs),
        by_strength: by_strength
            .into_iter()
            .map(|(k, (n, right))| {
                #[allow(clippy::cast_precision_loss)]
                let accuracy = right as f64 / n as f64;
                (k.to_string(), StrengthScore { n, accuracy })
            })
            .collect(),
        scaled_bt_loss: ratio(loss, pairs),
        score: weighted_accuracy,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strong_preferences_weigh_more() {
        let rows: Vec<Map<String, Value>> = [
            json!({"score_1": 1.0, "score_2": 0.0, "preference_strength": -3}),
            json!({"score_1": 1.0, "score_2": 0.0, "preference_strength": 1}),
            json!({"score_1": 1.0, "score_2": 1.0, "preference_strength": 0}),
        ]
        .iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let result = evaluate(&rows).unwrap();
        assert_eq!((result.pairs, result.no_preference), (2, 1));
        assert_eq!(result.accuracy, 0.5);
        assert_eq!(result.weighted_accuracy, 0.75);
        let bad = vec![
            json!({"id": "q", "score_1": 1.0, "score_2": 0.0, "preference_strength": 5})
                .as_object()
                .unwrap()
                .clone(),
        ];
        assert!(
            evaluate(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("row 0 (id q): field `preference_strength`")
        );
    }
}
