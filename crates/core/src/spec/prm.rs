//! §3 Clip and Delta mechanisms for process rewards (Gao et al. 2024), and discounted returns.

use crate::RewardError;
use crate::stats::{ensure_finite, finite, require};

/// Clip: `c_k = min(p_k − η, 0)` — every process reward becomes ≤ 0, so extra steps can never raise the return.
pub fn prm_clip(process_rewards: &[f64], eta: f64) -> Result<Vec<f64>, RewardError> {
    ensure_finite(process_rewards, "process_rewards")?;
    finite(eta, "eta")?;
    Ok(process_rewards.iter().map(|p| (p - eta).min(0.0)).collect())
}

/// Delta: `d_k = p_k − p_{k+1}` for k < K and `d_K = 0`; the return from step t telescopes to `p_t − p_K`.
pub fn prm_delta(process_rewards: &[f64]) -> Result<Vec<f64>, RewardError> {
    ensure_finite(process_rewards, "process_rewards")?;
    let mut out: Vec<f64> = process_rewards.windows(2).map(|w| w[0] - w[1]).collect();
    if !process_rewards.is_empty() {
        out.push(0.0);
    }
    Ok(out)
}

/// Clip-Delta: Clip first, then Delta on the clipped values.
pub fn prm_clip_delta(process_rewards: &[f64], eta: f64) -> Result<Vec<f64>, RewardError> {
    prm_delta(&prm_clip(process_rewards, eta)?)
}

fn check_gamma(gamma: f64) -> Result<(), RewardError> {
    finite(gamma, "gamma")?;
    require((0.0..=1.0).contains(&gamma), || {
        format!("gamma must be in [0, 1], got {gamma}")
    })
}

/// Returns-to-go `G_t = Σ_{s≥t} γ^{s−t} r_s`, one per step.
pub fn returns_to_go(step_rewards: &[f64], gamma: f64) -> Result<Vec<f64>, RewardError> {
    ensure_finite(step_rewards, "step_rewards")?;
    check_gamma(gamma)?;
    let mut out = vec![0.0; step_rewards.len()];
    let mut running = 0.0;
    for (slot, reward) in out.iter_mut().zip(step_rewards).rev() {
        running = reward + gamma * running;
        *slot = running;
    }
    Ok(out)
}

/// Discounted sum `Σ_t γ^t r_t` (the return from step 0); 0 for no steps.
pub fn discounted_sum(rewards: &[f64], gamma: f64) -> Result<f64, RewardError> {
    Ok(returns_to_go(rewards, gamma)?.first().copied().unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn spec_examples() {
        let p = [0.7, 0.2, 0.4, 0.8];
        assert!(close(&prm_clip(&p, 0.5).unwrap(), &[0.0, -0.3, -0.1, 0.0]));
        assert!(close(&prm_delta(&p).unwrap(), &[0.5, -0.2, -0.4, 0.0]));
        assert!(close(&prm_clip_delta(&p, 0.5).unwrap(), &[0.3, -0.2, -0.1, 0.0]));
        assert_eq!(prm_delta(&[0.9]).unwrap(), vec![0.0]);
        assert_eq!(prm_delta(&[]).unwrap(), Vec::<f64>::new());
        let returns = returns_to_go(&[0.5, -0.2, -0.4, 1.0], 1.0).unwrap();
        assert!(close(&returns, &[0.9, 0.4, 0.6, 1.0]));
        assert!((discounted_sum(&[0.25, 0.31], 0.9).unwrap() - 0.529).abs() < 1e-12);
        assert_eq!(returns_to_go(&[1.0], 1.5).unwrap_err().kind(), "InvalidParam");
    }
}
