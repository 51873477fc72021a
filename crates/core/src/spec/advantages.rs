//! §1 Group and batch advantage estimators: GRPO, Dr. GRPO, RLOO, REINFORCE++ (and its group-baseline variant).

use crate::RewardError;
use crate::stats::{ensure_finite, finite, mean, require, std};

fn check_eps(epsilon: f64) -> Result<(), RewardError> {
    finite(epsilon, "epsilon")?;
    require(epsilon >= 0.0, || format!("epsilon must be ≥ 0, got {epsilon}"))
}

/// GRPO group-normalized advantage `A_i = (r_i − mean(r)) / (std(r) + ε)` (spec §1.1; verl uses ε = 1e-6 and the
/// sample std, `std_ddof = 1`).
///
/// An empty group gives `[]`; a group of one gives `[0.0]` (no relative signal — verl would return r_i instead);
/// equal rewards give zeros.
pub fn grpo_advantage(rewards: &[f64], epsilon: f64, std_ddof: usize) -> Result<Vec<f64>, RewardError> {
    ensure_finite(rewards, "grpo rewards")?;
    check_eps(epsilon)?;
    if rewards.is_empty() {
        return Ok(Vec::new());
    }
    let m = mean(rewards)?;
    let s = std(rewards, std_ddof)?;
    Ok(rewards.iter().map(|r| (r - m) / (s + epsilon)).collect())
}

/// Dr. GRPO advantage `A_i = r_i − mean(r)` (spec §1.2): the group mean as baseline, no std division.
pub fn dr_grpo_advantage(rewards: &[f64]) -> Result<Vec<f64>, RewardError> {
    ensure_finite(rewards, "dr_grpo rewards")?;
    if rewards.is_empty() {
        return Ok(Vec::new());
    }
    let m = mean(rewards)?;
    Ok(rewards.iter().map(|r| r - m).collect())
}

/// RLOO leave-one-out advantage `A_i = r_i − mean_{j≠i} r_j = G/(G−1)·(r_i − mean(r))` (spec §1.3); G ≤ 1 gives
/// zeros.
pub fn rloo_advantage(rewards: &[f64]) -> Result<Vec<f64>, RewardError> {
    ensure_finite(rewards, "rloo rewards")?;
    if rewards.len() <= 1 {
        return Ok(vec![0.0; rewards.len()]);
    }
    let m = mean(rewards)?;
    #[allow(clippy::cast_precision_loss)]
    let g = rewards.len() as f64;
    Ok(rewards.iter().map(|r| g / (g - 1.0) * (r - m)).collect())
}

/// REINFORCE++ whitening over the whole batch: `A = (r − mean) / (std + ε)` (spec §1.4; defaults ε = 1e-8,
/// `std_ddof = 0`). A batch whose std is 0 gives zeros.
pub fn reinforce_pp_advantage(rewards: &[f64], epsilon: f64, std_ddof: usize) -> Result<Vec<f64>, RewardError> {
    grpo_advantage(rewards, epsilon, std_ddof)
}

/// REINFORCE++-baseline: subtract each group's mean reward, then divide by the std (over the whole batch) of the
/// centered values plus ε (spec §1.4). Returns the advantages flattened in group order.
pub fn reinforce_pp_baseline_advantage(
    groups: &[Vec<f64>],
    epsilon: f64,
    std_ddof: usize,
) -> Result<Vec<f64>, RewardError> {
    check_eps(epsilon)?;
    let mut centered = Vec::with_capacity(groups.iter().map(Vec::len).sum());
    for group in groups {
        centered.extend(dr_grpo_advantage(group)?);
    }
    if centered.is_empty() {
        return Ok(centered);
    }
    let s = std(&centered, std_ddof)?;
    Ok(centered.iter().map(|c| c / (s + epsilon)).collect())
}

/// REINFORCE++ token returns: per-token rewards `r_t = −β·KL_t` plus `final_reward` at the last token, then
/// returns-to-go `G_t = Σ_{s≥t} γ^{s−t} r_s` (spec §1.4). No tokens gives `[]`.
pub fn reinforce_pp_token_returns(
    kl_per_token: &[f64],
    final_reward: f64,
    beta: f64,
    gamma: f64,
) -> Result<Vec<f64>, RewardError> {
    ensure_finite(kl_per_token, "kl_per_token")?;
    finite(final_reward, "final_reward")?;
    finite(beta, "beta")?;
    let mut rewards: Vec<f64> = kl_per_token.iter().map(|kl| -beta * kl).collect();
    if let Some(last) = rewards.last_mut() {
        *last += final_reward;
    }
    super::prm::returns_to_go(&rewards, gamma)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    #[test]
    fn spec_examples() {
        let r = [1.0, 0.0, 0.0, 1.0, 1.0];
        let grpo = grpo_advantage(&r, 1e-6, 1).unwrap();
        assert!(
            close(&grpo, &[0.730295, -1.095443, -1.095443, 0.730295, 0.730295]),
            "{grpo:?}"
        );
        assert!(close(&dr_grpo_advantage(&r).unwrap(), &[0.4, -0.6, -0.6, 0.4, 0.4]));
        assert!(close(&rloo_advantage(&[2.0, 0.0]).unwrap(), &[2.0, -2.0]));
        assert_eq!(rloo_advantage(&[3.0]).unwrap(), vec![0.0]);
        let baseline = reinforce_pp_baseline_advantage(&[vec![1.0, 0.0, 0.0], vec![1.0, 1.0, 0.0]], 1e-8, 0).unwrap();
        let (r2, h) = (2f64.sqrt(), 0.5f64.sqrt());
        assert!(close(&baseline, &[r2, -h, -h, h, h, -r2]));
        let returns = reinforce_pp_token_returns(&[0.1, 0.2, 0.05], 1.0, 0.5, 1.0).unwrap();
        assert!(close(&returns, &[0.825, 0.875, 0.975]));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(grpo_advantage(&[0.7], 1e-6, 1).unwrap(), vec![0.0]);
        assert_eq!(grpo_advantage(&[], 1e-6, 1).unwrap(), Vec::<f64>::new());
        assert_eq!(
            grpo_advantage(&[1.0, f64::NAN], 1e-6, 1).unwrap_err().kind(),
            "NonFinite"
        );
        assert_eq!(grpo_advantage(&[1.0], -1.0, 1).unwrap_err().kind(), "InvalidParam");
        assert_eq!(reinforce_pp_advantage(&[2.0, 2.0], 1e-8, 0).unwrap(), vec![0.0, 0.0]);
    }
}
