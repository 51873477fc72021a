//! §9 TurningPoint-GRPO step rewards (Tong et al. 2026).
//!
//! Input: `R_0..R_T`, where `R_t` is the reward of the sample obtained by taking the first t stochastic steps and
//! completing deterministically. The turning-point test is a RECONSTRUCTED choice among the authors' code variants:
//! step t ≥ 2 (1-based) is a turning point iff `s_{t−1} < 0`, `s_t > 0` and `sign(d_t)·sign(R_T − R_t) ≥ 0`, with
//! `d_t = R_t − R_{t−1}`, `g = sign(R_T − R_0)` and `s_t = sign(d_t)·g`.

use crate::RewardError;
use crate::stats::{ensure_finite, sign};

/// Incremental rewards `d_t = R_t − R_{t−1}` (T values for T + 1 rewards; fewer than 2 rewards give `[]`).
pub fn tp_incremental_rewards(reward_sequence: &[f64]) -> Result<Vec<f64>, RewardError> {
    ensure_finite(reward_sequence, "reward_sequence")?;
    Ok(reward_sequence.windows(2).map(|w| w[1] - w[0]).collect())
}

/// 0-based indices (into the incremental rewards) of the turning-point steps. `g = 0` → none.
pub fn tp_turning_points(reward_sequence: &[f64]) -> Result<Vec<usize>, RewardError> {
    let d = tp_incremental_rewards(reward_sequence)?;
    let (Some(first), Some(last)) = (reward_sequence.first(), reward_sequence.last()) else {
        return Ok(Vec::new());
    };
    let g = sign(last - first);
    let agreement: Vec<f64> = d.iter().map(|dt| sign(*dt) * g).collect();
    Ok((1..d.len())
        .filter(|&i| {
            // Step i (0-based) reaches R_{i+1}.
            agreement[i - 1] < 0.0 && agreement[i] > 0.0 && sign(d[i]) * sign(last - reward_sequence[i + 1]) >= 0.0
        })
        .collect())
}

/// Step rewards: `d_t`, except turning points, which get the long-term reward `R_T − R_{t−1}`.
pub fn tp_step_rewards(reward_sequence: &[f64]) -> Result<Vec<f64>, RewardError> {
    let mut rewards = tp_incremental_rewards(reward_sequence)?;
    let last = reward_sequence.last().copied().unwrap_or(0.0);
    for i in tp_turning_points(reward_sequence)? {
        rewards[i] = last - reward_sequence[i];
    }
    Ok(rewards)
}

/// Step 5 of TP-GRPO: normalizes step rewards GRPO-style across the group at each step index. Every trajectory
/// must have the same number of steps.
pub fn tp_group_normalize(
    step_rewards: &[Vec<f64>],
    epsilon: f64,
    std_ddof: usize,
) -> Result<Vec<Vec<f64>>, RewardError> {
    let steps = step_rewards.first().map_or(0, Vec::len);
    crate::stats::require(step_rewards.iter().all(|r| r.len() == steps), || {
        "every trajectory of a group needs the same number of steps".into()
    })?;
    let mut out = vec![vec![0.0; steps]; step_rewards.len()];
    for t in 0..steps {
        let column: Vec<f64> = step_rewards.iter().map(|r| r[t]).collect();
        for (row, value) in super::advantages::grpo_advantage(&column, epsilon, std_ddof)?
            .into_iter()
            .enumerate()
        {
            out[row][t] = value;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let r = [0.5, 0.45, 0.55, 0.6, 0.58];
        assert_eq!(tp_turning_points(&r).unwrap(), vec![1]);
        let steps = tp_step_rewards(&r).unwrap();
        assert!(
            steps
                .iter()
                .zip([-0.05, 0.13, 0.05, -0.02])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        assert!(tp_turning_points(&[0.5, 0.6, 0.7, 0.8]).unwrap().is_empty());
        assert!(
            tp_turning_points(&[0.5, 0.4, 0.6, 0.5]).unwrap().is_empty(),
            "g = 0 → none"
        );
        assert!(tp_step_rewards(&[]).unwrap().is_empty());
        let normalized = tp_group_normalize(&[vec![1.0, 0.0], vec![0.0, 0.0]], 1e-6, 1).unwrap();
        assert!(normalized[0][0] > 0.0 && normalized[1][0] < 0.0 && normalized[0][1] == 0.0);
    }
}
