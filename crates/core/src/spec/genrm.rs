//! §12 Generative-RM token-probability rewards (RewardDance-style "yes" probability).

use crate::RewardError;
use crate::stats::{ensure_finite, finite, require, sigmoid};

/// Restricted version: `σ(l_yes − l_no)`, the probability of "yes" when only "yes" and "no" are allowed.
pub fn p_yes_reward(logit_yes: f64, logit_no: f64) -> Result<f64, RewardError> {
    Ok(sigmoid(finite(logit_yes, "logit_yes")? - finite(logit_no, "logit_no")?))
}

/// Full-vocabulary version: `Σ_{i ∈ yes_indices} softmax(logits)_i` (summing case/space variants such as "Yes",
/// " yes"). Computed with the max subtracted so large logits do not overflow.
pub fn p_yes_reward_full(logits: &[f64], yes_indices: &[usize]) -> Result<f64, RewardError> {
    if logits.is_empty() {
        return Err(RewardError::EmptyInput("logits".into()));
    }
    ensure_finite(logits, "logits")?;
    require(!yes_indices.is_empty(), || "yes_indices is empty".into())?;
    if let Some(bad) = yes_indices.iter().find(|&&i| i >= logits.len()) {
        return Err(RewardError::InvalidParam(format!(
            "yes index {bad} is outside the {} logits",
            logits.len()
        )));
    }
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = logits.iter().map(|l| (l - max).exp()).sum();
    let mut yes = yes_indices.to_vec();
    yes.sort_unstable();
    yes.dedup();
    Ok(yes.iter().map(|&i| (logits[i] - max).exp()).sum::<f64>() / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert!((p_yes_reward(2.0, 0.5).unwrap() - 0.817_574).abs() < 1e-6);
        assert!((p_yes_reward_full(&[2.0, 0.5, 1.0], &[0]).unwrap() - 0.628_532).abs() < 1e-6);
        assert!((p_yes_reward_full(&[1000.0, 1000.0], &[0, 1, 1]).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(p_yes_reward_full(&[1.0], &[3]).unwrap_err().kind(), "InvalidParam");
    }
}
