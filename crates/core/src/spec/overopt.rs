//! §6 Over-optimization scaling laws (Gao, Schulman, Hilton 2022): gold reward as a function of `d = √KL`.

use crate::RewardError;
use crate::stats::{finite, require};

/// KL of best-of-n from the base policy: `log n − (n−1)/n`. n < 1 → `InvalidParam`.
pub fn kl_best_of_n(n: u64) -> Result<f64, RewardError> {
    require(n >= 1, || "best-of-n needs n ≥ 1".into())?;
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    Ok(n.ln() - (n - 1.0) / n)
}

/// `d = √KL_bon(n)`.
pub fn bon_distance(n: u64) -> Result<f64, RewardError> {
    Ok(kl_best_of_n(n)?.sqrt())
}

fn check(d: f64, alpha: f64, beta: f64) -> Result<(), RewardError> {
    finite(d, "d")?;
    finite(alpha, "alpha")?;
    finite(beta, "beta")?;
    require(d >= 0.0, || format!("d = √KL must be ≥ 0, got {d}"))
}

/// Best-of-n gold reward `R_bon(d) = d·(α − β·d)`.
pub fn gold_reward_bon(d: f64, alpha: f64, beta: f64) -> Result<f64, RewardError> {
    check(d, alpha, beta)?;
    Ok(d * (alpha - beta * d))
}

/// RL gold reward `R_RL(d) = d·(α − β·ln d)`, with `R_RL(0) = 0` (the limit).
pub fn gold_reward_rl(d: f64, alpha: f64, beta: f64) -> Result<f64, RewardError> {
    check(d, alpha, beta)?;
    if d == 0.0 {
        return Ok(0.0);
    }
    Ok(d * (alpha - beta * d.ln()))
}

/// Where `R_bon` peaks: `d* = α/(2β)`; β ≤ 0 has no peak → `InvalidParam`.
pub fn gold_reward_bon_argmax_d(alpha: f64, beta: f64) -> Result<f64, RewardError> {
    check(0.0, alpha, beta)?;
    require(beta > 0.0, || format!("beta must be > 0 for a peak, got {beta}"))?;
    Ok(alpha / (2.0 * beta))
}

/// Where `R_RL` peaks: `d* = exp(α/β − 1)`; β ≤ 0 has no peak → `InvalidParam`.
pub fn gold_reward_rl_argmax_d(alpha: f64, beta: f64) -> Result<f64, RewardError> {
    check(0.0, alpha, beta)?;
    require(beta > 0.0, || format!("beta must be > 0 for a peak, got {beta}"))?;
    Ok((alpha / beta - 1.0).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert!((kl_best_of_n(16).unwrap() - 1.835_089).abs() < 1e-6);
        assert_eq!(kl_best_of_n(1).unwrap(), 0.0);
        assert_eq!(kl_best_of_n(0).unwrap_err().kind(), "InvalidParam");
        let d = bon_distance(16).unwrap();
        assert!((gold_reward_bon(d, 1.0, 0.1).unwrap() - 1.171_146).abs() < 1e-6);
        assert!((gold_reward_rl(2.0, 1.0, 0.2).unwrap() - 1.722_741).abs() < 1e-6);
        assert_eq!(gold_reward_rl(0.0, 1.0, 0.2).unwrap(), 0.0);
        assert_eq!(gold_reward_rl(-1.0, 1.0, 0.2).unwrap_err().kind(), "InvalidParam");
        assert_eq!(gold_reward_bon_argmax_d(1.0, 0.1).unwrap(), 5.0);
        assert!((gold_reward_rl_argmax_d(1.0, 0.2).unwrap() - 4f64.exp()).abs() < 1e-9);
    }
}
