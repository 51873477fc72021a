//! §14 Test-weighted code rewards: VeRPO difficulty weights and VeriRL sample-balanced weighting.
//!
//! RECONSTRUCTED (exact weights not found): `w_j = (1 − ρ_j)/Σ_k (1 − ρ_k)` with ρ_j the pass rate of test j over the
//! group's rollouts (uniform 1/J when every rollout passes every test); `dense_i = Σ_{j passed by i} w_j`;
//! `r_i = λ·dense_i + (1 − λ)·1[all tests pass]`.

use crate::RewardError;
use crate::stats::{finite, require};

/// Checks a rollouts × tests pass matrix; returns the number of tests.
fn tests_of(pass_matrix: &[Vec<bool>]) -> Result<usize, RewardError> {
    let Some(first) = pass_matrix.first() else {
        return Err(RewardError::EmptyInput("pass_matrix has no rollouts".into()));
    };
    let tests = first.len();
    if tests == 0 {
        return Err(RewardError::EmptyInput("pass_matrix has no tests".into()));
    }
    require(pass_matrix.iter().all(|row| row.len() == tests), || {
        "every rollout's row of pass_matrix needs the same number of tests".into()
    })?;
    Ok(tests)
}

/// Difficulty weight per test (sums to 1).
pub fn verpo_test_weights(pass_matrix: &[Vec<bool>]) -> Result<Vec<f64>, RewardError> {
    let tests = tests_of(pass_matrix)?;
    #[allow(clippy::cast_precision_loss)]
    let rollouts = pass_matrix.len() as f64;
    let failure_rate: Vec<f64> = (0..tests)
        .map(|j| {
            #[allow(clippy::cast_precision_loss)]
            let passed = pass_matrix.iter().filter(|row| row[j]).count() as f64;
            1.0 - passed / rollouts
        })
        .collect();
    let total: f64 = failure_rate.iter().sum();
    if total == 0.0 {
        #[allow(clippy::cast_precision_loss)]
        return Ok(vec![1.0 / tests as f64; tests]);
    }
    Ok(failure_rate.iter().map(|w| w / total).collect())
}

/// Dense reward per rollout: the summed weights of the tests it passes.
pub fn verpo_dense_reward(pass_matrix: &[Vec<bool>]) -> Result<Vec<f64>, RewardError> {
    let weights = verpo_test_weights(pass_matrix)?;
    Ok(pass_matrix
        .iter()
        .map(|row| {
            row.iter()
                .zip(&weights)
                .filter(|(passed, _)| **passed)
                .map(|(_, w)| w)
                .sum()
        })
        .collect())
}

/// `λ·dense_i + (1 − λ)·1[rollout i passes every test]`, λ in [0, 1] (default 0.5).
pub fn verpo_reward(pass_matrix: &[Vec<bool>], lambda: f64) -> Result<Vec<f64>, RewardError> {
    finite(lambda, "lambda")?;
    require((0.0..=1.0).contains(&lambda), || {
        format!("lambda must be in [0, 1], got {lambda}")
    })?;
    let dense = verpo_dense_reward(pass_matrix)?;
    Ok(pass_matrix
        .iter()
        .zip(dense)
        .map(|(row, d)| lambda * d + (1.0 - lambda) * if row.iter().all(|p| *p) { 1.0 } else { 0.0 })
        .collect())
}

/// VeriRL sample-balanced weights (RECONSTRUCTED): `1/(2·n_pos)` per positive, `1/(2·n_neg)` per negative, and
/// `1/N` for everyone when one side is empty. No samples → `[]`.
pub fn sample_balanced_weights(is_positive: &[bool]) -> Vec<f64> {
    let positives = is_positive.iter().filter(|p| **p).count();
    let negatives = is_positive.len() - positives;
    #[allow(clippy::cast_precision_loss)]
    let weight = |count: usize, halves: f64| 1.0 / (halves * count as f64);
    if positives == 0 || negatives == 0 {
        return vec![weight(is_positive.len(), 1.0); is_positive.len()];
    }
    is_positive
        .iter()
        .map(|&p| {
            if p {
                weight(positives, 2.0)
            } else {
                weight(negatives, 2.0)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[&[u8]]) -> Vec<Vec<bool>> {
        rows.iter().map(|r| r.iter().map(|v| *v == 1).collect()).collect()
    }

    #[test]
    fn spec_examples() {
        let m = matrix(&[&[1, 1, 1], &[1, 1, 0], &[1, 0, 0], &[0, 0, 0]]);
        let w = verpo_test_weights(&m).unwrap();
        assert!(
            w.iter()
                .zip([1.0 / 6.0, 1.0 / 3.0, 0.5])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        let r = verpo_reward(&m, 0.5).unwrap();
        assert!(
            r.iter()
                .zip([1.0, 0.25, 1.0 / 12.0, 0.0])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        assert_eq!(
            verpo_test_weights(&matrix(&[&[1, 1], &[1, 1]])).unwrap(),
            vec![0.5, 0.5]
        );
        assert_eq!(verpo_test_weights(&[]).unwrap_err().kind(), "EmptyInput");
        assert_eq!(
            verpo_test_weights(&matrix(&[&[1, 1], &[1]])).unwrap_err().kind(),
            "InvalidParam"
        );
        let b = sample_balanced_weights(&[true, false, false, false]);
        assert!(
            b.iter()
                .zip([0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        assert_eq!(sample_balanced_weights(&[true, true]), vec![0.5, 0.5]);
    }
}
