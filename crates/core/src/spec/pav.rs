//! §4 Process Advantage Verifiers: progress of a step as the change in a prover's success probability.

use crate::RewardError;
use crate::stats::{ensure_finite, finite, mean, require};

/// Monte-Carlo value `V^μ(s)`: the fraction of rollouts from `s` that succeed (each outcome 0 or 1). No rollouts →
/// `EmptyInput`.
pub fn mc_success_rate(rollout_outcomes: &[f64]) -> Result<f64, RewardError> {
    ensure_finite(rollout_outcomes, "rollout_outcomes")?;
    require(rollout_outcomes.iter().all(|o| *o == 0.0 || *o == 1.0), || {
        "rollout outcomes must be 0 or 1".into()
    })?;
    mean(rollout_outcomes)
}

/// Step advantages `A_k = V(s_{k+1}) − V(s_k)` from prefix values `V(s_0..s_K)`; K+1 values give K advantages.
pub fn pav_step_advantage(prefix_values: &[f64]) -> Result<Vec<f64>, RewardError> {
    ensure_finite(prefix_values, "prefix_values")?;
    Ok(prefix_values.windows(2).map(|w| w[1] - w[0]).collect())
}

/// Dense per-step rewards `α·A_k`, with the outcome reward added at the last step.
pub fn pav_effective_rewards(prefix_values: &[f64], outcome: f64, alpha: f64) -> Result<Vec<f64>, RewardError> {
    finite(outcome, "outcome")?;
    finite(alpha, "alpha")?;
    let mut rewards: Vec<f64> = pav_step_advantage(prefix_values)?.iter().map(|a| alpha * a).collect();
    match rewards.last_mut() {
        Some(last) => *last += outcome,
        None => return Err(RewardError::EmptyInput("prefix_values needs at least 2 values".into())),
    }
    Ok(rewards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(
            mc_success_rate(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]).unwrap(),
            0.25
        );
        assert_eq!(mc_success_rate(&[]).unwrap_err().kind(), "EmptyInput");
        let v = [0.25, 0.5, 0.375, 1.0];
        assert_eq!(pav_step_advantage(&v).unwrap(), vec![0.25, -0.125, 0.625]);
        assert_eq!(
            pav_effective_rewards(&v, 1.0, 0.5).unwrap(),
            vec![0.125, -0.0625, 1.3125]
        );
    }
}
