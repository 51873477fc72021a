//! §2 Preference As Reward (PAR) and the shaping baselines of its reference code (`trainers/reward_shaper.py`).
//!
//! Every function compares one proxy reward `r` with the RM scores `ref_rewards` of reference responses to the
//! same prompt, or with running statistics.

use crate::RewardError;
use crate::stats::{ensure_finite, finite, log_sigmoid, mean, normal_quantile, require, sigmoid, std};

fn check(reward: f64, ref_rewards: &[f64]) -> Result<(), RewardError> {
    finite(reward, "reward")?;
    if ref_rewards.is_empty() {
        return Err(RewardError::EmptyInput("ref_rewards".into()));
    }
    ensure_finite(ref_rewards, "ref_rewards")
}

fn mean_over_refs(reward: f64, ref_rewards: &[f64], f: impl Fn(f64) -> f64) -> Result<f64, RewardError> {
    check(reward, ref_rewards)?;
    let values: Vec<f64> = ref_rewards.iter().map(|rr| f(reward - rr)).collect();
    mean(&values)
}

/// PAR: `(1/M) Σ_m σ(k·(r − r_ref,m))`, the RM's Bradley–Terry win probability against the references; in (0, 1).
/// No references → `EmptyInput`.
pub fn par_reward(reward: f64, ref_rewards: &[f64], k: f64) -> Result<f64, RewardError> {
    finite(k, "k")?;
    mean_over_refs(reward, ref_rewards, |d| sigmoid(k * d))
}

/// Centered: `r − mean(refs)`.
pub fn centered_reward(reward: f64, ref_rewards: &[f64]) -> Result<f64, RewardError> {
    mean_over_refs(reward, ref_rewards, |d| d)
}

/// tanh (centered): `(1/M) Σ tanh(r − r_ref,m)`.
pub fn tanh_centered_reward(reward: f64, ref_rewards: &[f64]) -> Result<f64, RewardError> {
    mean_over_refs(reward, ref_rewards, f64::tanh)
}

/// arctan (centered): `(1/M) Σ atan(r − r_ref,m)` (the reference code's `calculate_relative_arctan`).
pub fn arctan_centered_reward(reward: f64, ref_rewards: &[f64]) -> Result<f64, RewardError> {
    mean_over_refs(reward, ref_rewards, f64::atan)
}

/// "sgfc": PAR applied to `r − 3` (the reference code's fixed-offset variant).
pub fn sgfc_reward(reward: f64, ref_rewards: &[f64], k: f64) -> Result<f64, RewardError> {
    par_reward(reward - 3.0, ref_rewards, k)
}

/// Uncentered sigmoid `σ(k·r)` (no references).
pub fn sigmoid_reward(reward: f64, k: f64) -> Result<f64, RewardError> {
    Ok(sigmoid(finite(k, "k")? * finite(reward, "reward")?))
}

/// LSC (log-sigmoid-centered): the reference is the `quantile` (0.85 in the paper) of a normal fitted to the refs,
/// `ref = mean + Φ⁻¹(q)·(std_ddof(refs) + std_eps)`; the reward is `log σ(r − ref)`. Needs at least two refs.
pub fn lsc_reward(
    reward: f64,
    ref_rewards: &[f64],
    quantile: f64,
    std_ddof: usize,
    std_eps: f64,
) -> Result<f64, RewardError> {
    check(reward, ref_rewards)?;
    finite(std_eps, "std_eps")?;
    require(ref_rewards.len() >= 2, || {
        format!("lsc needs at least 2 reference rewards, got {}", ref_rewards.len())
    })?;
    let reference = mean(ref_rewards)? + normal_quantile(quantile)? * (std(ref_rewards, std_ddof)? + std_eps);
    Ok(log_sigmoid(reward - reference))
}

/// Min-max: `(r − min)/(max − min)`; `max ≤ min` → `InvalidParam`.
pub fn minmax_reward(reward: f64, running_min: f64, running_max: f64) -> Result<f64, RewardError> {
    ensure_finite(&[reward, running_min, running_max], "minmax")?;
    require(running_max > running_min, || {
        format!("min-max needs max > min, got min {running_min}, max {running_max}")
    })?;
    Ok((reward - running_min) / (running_max - running_min))
}

/// Clipping to one (population) std around the mean: `clamp(r, μ − s, μ + s)`.
pub fn clip_mean_std_reward(reward: f64, running_mean: f64, running_std: f64) -> Result<f64, RewardError> {
    ensure_finite(&[reward, running_mean, running_std], "clip_mean_std")?;
    require(running_std >= 0.0, || format!("std must be ≥ 0, got {running_std}"))?;
    Ok(reward.clamp(running_mean - running_std, running_mean + running_std))
}

/// Ceil: `min(r, c)`.
pub fn ceil_reward(reward: f64, ceil: f64) -> Result<f64, RewardError> {
    Ok(finite(reward, "reward")?.min(finite(ceil, "ceil")?))
}

/// Mean-std normalization `(r − μ)/s`, dividing by 1 when s = 0 (as the reference code does).
pub fn mean_std_reward(reward: f64, running_mean: f64, running_std: f64) -> Result<f64, RewardError> {
    ensure_finite(&[reward, running_mean, running_std], "mean_std")?;
    require(running_std >= 0.0, || format!("std must be ≥ 0, got {running_std}"))?;
    let scale = if running_std > 0.0 { running_std } else { 1.0 };
    Ok((reward - running_mean) / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let refs = [0.5, 1.0, 2.0];
        assert!((par_reward(1.5, &refs, 1.0).unwrap() - 0.577_020).abs() < 1e-6);
        assert!((par_reward(0.3, &[0.3], 1.0).unwrap() - 0.5).abs() < 1e-12);
        assert!((centered_reward(1.5, &refs).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((tanh_centered_reward(1.5, &refs).unwrap() - 0.253_865).abs() < 1e-6);
        assert!((lsc_reward(1.5, &refs, 0.85, 1, 1e-5).unwrap() + 0.948_305).abs() < 1e-6);
        assert_eq!(minmax_reward(1.5, -1.0, 3.0).unwrap(), 0.625);
        assert_eq!(clip_mean_std_reward(3.0, 1.0, 0.5).unwrap(), 1.5);
        assert_eq!(ceil_reward(3.0, 2.0).unwrap(), 2.0);
        assert_eq!(mean_std_reward(3.0, 1.0, 0.0).unwrap(), 2.0);
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(par_reward(1.0, &[], 1.0).unwrap_err().kind(), "EmptyInput");
        assert_eq!(
            lsc_reward(1.0, &[1.0], 0.85, 1, 1e-5).unwrap_err().kind(),
            "InvalidParam"
        );
        assert_eq!(minmax_reward(1.0, 2.0, 2.0).unwrap_err().kind(), "InvalidParam");
        assert_eq!(centered_reward(f64::INFINITY, &[1.0]).unwrap_err().kind(), "NonFinite");
    }
}
