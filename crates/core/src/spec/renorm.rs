//! §8 Hybrid reward normalization (ReNorm, Xu et al. 2025).
//!
//! RECONSTRUCTED: the paper's exact equation was not found. The implemented choice is `r_t = p_t + o − 1` for process
//! scores `p_t ∈ [0, 1]` and outcome `o ∈ [0, 1]`: a successful trajectory's steps land in [0, 1], a failed one's in
//! [−1, 0], so process reward alone never lets a failure out-score a success.

use crate::RewardError;
use crate::stats::{ensure_finite, finite, require};

/// Step rewards after ReNorm, and how many process scores had to be clamped into [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Renormed {
    /// `clamp(p_t, 0, 1) + o − 1` per step.
    pub rewards: Vec<f64>,
    /// Number of process scores that were outside [0, 1].
    pub clamped: usize,
}

/// ReNorm with the count of clamped process scores (the spec asks to clamp and warn; callers report the count).
pub fn renorm_with_count(process_rewards: &[f64], outcome: f64) -> Result<Renormed, RewardError> {
    ensure_finite(process_rewards, "process_rewards")?;
    finite(outcome, "outcome")?;
    require((0.0..=1.0).contains(&outcome), || {
        format!("outcome must be in [0, 1], got {outcome}")
    })?;
    let clamped = process_rewards.iter().filter(|p| !(0.0..=1.0).contains(*p)).count();
    let rewards = process_rewards
        .iter()
        .map(|p| p.clamp(0.0, 1.0) + outcome - 1.0)
        .collect();
    Ok(Renormed { rewards, clamped })
}

/// ReNorm step rewards `clamp(p_t, 0, 1) + o − 1`.
pub fn renorm(process_rewards: &[f64], outcome: f64) -> Result<Vec<f64>, RewardError> {
    Ok(renorm_with_count(process_rewards, outcome)?.rewards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples_and_clamping() {
        let p = [0.8, 0.6, 0.9];
        let ok = renorm(&p, 1.0).unwrap();
        assert!(ok.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-12));
        let failed = renorm(&p, 0.0).unwrap();
        assert!(
            failed
                .iter()
                .zip([-0.2, -0.4, -0.1])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        let out = renorm_with_count(&[1.5, -0.2], 1.0).unwrap();
        assert_eq!(
            out,
            Renormed {
                rewards: vec![1.0, 0.0],
                clamped: 2
            }
        );
        assert_eq!(renorm(&p, 2.0).unwrap_err().kind(), "InvalidParam");
    }
}
