//! §18 Reward-model evaluation: RewardBench (v1 and 2), RewardMATH one-to-many, HelpSteer2-Preference pairs and the
//! Bradley–Terry losses trained on them.

use serde::Deserialize;

use crate::RewardError;
use crate::stats::{ensure_finite, finite, log_sigmoid, require};

fn fraction(hits: usize, total: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let value = hits as f64 / total as f64;
    value
}

/// Fraction of `(chosen, rejected)` score pairs where the chosen scores strictly higher (a tie is wrong).
pub fn pairwise_accuracy(pairs: &[(f64, f64)]) -> Result<f64, RewardError> {
    if pairs.is_empty() {
        return Err(RewardError::EmptyInput("pairs".into()));
    }
    for (c, r) in pairs {
        finite(*c, "chosen score")?;
        finite(*r, "rejected score")?;
    }
    Ok(fraction(pairs.iter().filter(|(c, r)| c > r).count(), pairs.len()))
}

/// One subset's accuracy and example count.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Subset {
    /// Accuracy on the subset.
    pub acc: f64,
    /// Number of examples.
    pub n: u64,
}

/// Section score: subset accuracies averaged with weights = example counts (RewardBench v1 Chat, Chat Hard, Safety).
pub fn weighted_section_score(subsets: &[Subset]) -> Result<f64, RewardError> {
    let total: u64 = subsets.iter().map(|s| s.n).sum();
    if total == 0 {
        return Err(RewardError::EmptyInput("subsets with examples".into()));
    }
    let mut sum = 0.0;
    for subset in subsets {
        finite(subset.acc, "acc")?;
        require((0.0..=1.0).contains(&subset.acc), || {
            format!("accuracy {} outside [0, 1]", subset.acc)
        })?;
        #[allow(clippy::cast_precision_loss)]
        let weight = subset.n as f64;
        sum += subset.acc * weight;
    }
    #[allow(clippy::cast_precision_loss)]
    Ok(sum / total as f64)
}

/// RewardBench v1 Reasoning: `mean(math accuracy, count-weighted mean of the code subsets)`.
pub fn rb1_reasoning_score(math_acc: f64, code_subsets: &[Subset]) -> Result<f64, RewardError> {
    finite(math_acc, "math_acc")?;
    Ok(f64::midpoint(math_acc, weighted_section_score(code_subsets)?))
}

/// One problem of a one-to-many evaluation: one correct solution's score against several incorrect ones'.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OneToMany {
    /// Score of the correct solution.
    pub chosen: f64,
    /// Scores of the incorrect solutions.
    pub rejected: Vec<f64>,
}

fn check_problems(problems: &[OneToMany]) -> Result<(), RewardError> {
    if problems.is_empty() {
        return Err(RewardError::EmptyInput("problems".into()));
    }
    for problem in problems {
        finite(problem.chosen, "chosen")?;
        ensure_finite(&problem.rejected, "rejected")?;
    }
    Ok(())
}

/// Accuracy: a problem counts iff the chosen scores strictly above every rejected (RewardMATH, RewardBench 2
/// best-of-4).
pub fn one_to_many_accuracy(problems: &[OneToMany]) -> Result<f64, RewardError> {
    check_problems(problems)?;
    let wins = problems
        .iter()
        .filter(|p| p.rejected.iter().all(|r| p.chosen > *r))
        .count();
    Ok(fraction(wins, problems.len()))
}

/// How MRR ranks a chosen solution that ties a rejected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// A tie ranks the chosen below (`rank = 1 + #{rejected ≥ chosen}`), the spec's default.
    #[default]
    Pessimistic,
    /// A tie ranks the chosen above (`rank = 1 + #{rejected > chosen}`).
    Optimistic,
}

/// Mean reciprocal rank of the chosen solution among the rejected ones.
pub fn one_to_many_mrr(problems: &[OneToMany], ties: Ties) -> Result<f64, RewardError> {
    check_problems(problems)?;
    let total: f64 = problems
        .iter()
        .map(|p| {
            let above = p
                .rejected
                .iter()
                .filter(|r| match ties {
                    Ties::Pessimistic => **r >= p.chosen,
                    Ties::Optimistic => **r > p.chosen,
                })
                .count();
            #[allow(clippy::cast_precision_loss)]
            let reciprocal = 1.0 / (1 + above) as f64;
            reciprocal
        })
        .sum();
    #[allow(clippy::cast_precision_loss)]
    Ok(total / problems.len() as f64)
}

/// RewardBench 2 Ties subset (RECONSTRUCTED detail): correct iff every correct answer beats every incorrect one,
/// i.e. `min(correct) > max(incorrect)`.
pub fn all_correct_beat_all_incorrect(correct: &[f64], incorrect: &[f64]) -> Result<bool, RewardError> {
    if correct.is_empty() || incorrect.is_empty() {
        return Err(RewardError::EmptyInput("correct and incorrect scores".into()));
    }
    ensure_finite(correct, "correct")?;
    ensure_finite(incorrect, "incorrect")?;
    let min_correct = correct.iter().copied().fold(f64::INFINITY, f64::min);
    let max_incorrect = incorrect.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok(min_correct > max_incorrect)
}

/// A preference pair from a HelpSteer2-Preference record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferencePair {
    /// Field of the preferred response (`response_1` or `response_2`).
    pub chosen: &'static str,
    /// Field of the other response.
    pub rejected: &'static str,
    /// `|preference_strength|` (1..=3).
    pub margin: u8,
}

/// `preference_strength` ∈ −3..=3: negative prefers `response_1`, positive `response_2`, 0 yields no pair.
pub fn helpsteer2_pref_to_pair(preference_strength: i64) -> Result<Option<PreferencePair>, RewardError> {
    require((-3..=3).contains(&preference_strength), || {
        format!("preference_strength must be in −3..=3, got {preference_strength}")
    })?;
    let margin = u8::try_from(preference_strength.unsigned_abs()).unwrap_or(u8::MAX);
    Ok(match preference_strength.signum() {
        -1 => Some(PreferencePair {
            chosen: "response_1",
            rejected: "response_2",
            margin,
        }),
        1 => Some(PreferencePair {
            chosen: "response_2",
            rejected: "response_1",
            margin,
        }),
        _ => None,
    })
}

/// Scaled Bradley–Terry loss `−|s|·log σ(r_c − r_r)`.
pub fn scaled_bt_loss(r_chosen: f64, r_rejected: f64, strength: f64) -> Result<f64, RewardError> {
    for (name, value) in [
        ("r_chosen", r_chosen),
        ("r_rejected", r_rejected),
        ("strength", strength),
    ] {
        finite(value, name)?;
    }
    Ok(-strength.abs() * log_sigmoid(r_chosen - r_rejected))
}

/// Margin Bradley–Terry loss `−log σ(r_c − r_r − m)`.
pub fn bt_margin_loss(r_chosen: f64, r_rejected: f64, margin: f64) -> Result<f64, RewardError> {
    for (name, value) in [("r_chosen", r_chosen), ("r_rejected", r_rejected), ("margin", margin)] {
        finite(value, name)?;
    }
    Ok(-log_sigmoid(r_chosen - r_rejected - margin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert!((pairwise_accuracy(&[(1.0, 1.0), (2.0, 1.0), (0.0, 1.0)]).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let subsets = [Subset { acc: 0.9, n: 100 }, Subset { acc: 0.6, n: 300 }];
        assert!((weighted_section_score(&subsets).unwrap() - 0.675).abs() < 1e-12);
        let code = [Subset { acc: 0.6, n: 100 }, Subset { acc: 0.7, n: 100 }];
        assert!((rb1_reasoning_score(0.8, &code).unwrap() - 0.725).abs() < 1e-12);
        let problems = [
            OneToMany {
                chosen: 0.8,
                rejected: vec![0.9, 0.3, 0.1],
            },
            OneToMany {
                chosen: 0.95,
                rejected: vec![0.2, 0.5],
            },
        ];
        assert_eq!(one_to_many_accuracy(&problems).unwrap(), 0.5);
        assert_eq!(one_to_many_mrr(&problems, Ties::Pessimistic).unwrap(), 0.75);
        let tie = [OneToMany {
            chosen: 0.5,
            rejected: vec![0.5],
        }];
        assert_eq!(one_to_many_mrr(&tie, Ties::Pessimistic).unwrap(), 0.5);
        assert_eq!(one_to_many_mrr(&tie, Ties::Optimistic).unwrap(), 1.0);
        assert!(all_correct_beat_all_incorrect(&[0.9, 0.8], &[0.7]).unwrap());
        assert!(!all_correct_beat_all_incorrect(&[0.9, 0.6], &[0.7]).unwrap());
        let pair = helpsteer2_pref_to_pair(-2).unwrap().unwrap();
        assert_eq!(
            (pair.chosen, pair.rejected, pair.margin),
            ("response_1", "response_2", 2)
        );
        assert_eq!(helpsteer2_pref_to_pair(0).unwrap(), None);
        assert_eq!(helpsteer2_pref_to_pair(4).unwrap_err().kind(), "InvalidParam");
        assert!((scaled_bt_loss(1.0, 0.2, 2.0).unwrap() - 0.742_201).abs() < 1e-6);
        assert!((bt_margin_loss(1.0, 0.2, 0.5).unwrap() - 0.554_355).abs() < 1e-6);
    }
}
