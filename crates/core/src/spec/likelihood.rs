//! §11 Likelihood-based rewards: the policy's own log-probability of the reference answer, and Follow-up
//! Likelihood as Reward (FLR).

use crate::RewardError;
use crate::stats::{ensure_finite, mean, require};

fn check_logprobs(token_logprobs: &[f64], name: &str) -> Result<(), RewardError> {
    if token_logprobs.is_empty() {
        return Err(RewardError::EmptyInput(name.into()));
    }
    ensure_finite(token_logprobs, name)?;
    require(token_logprobs.iter().all(|l| *l <= 0.0), || {
        format!("{name}: log-probabilities must be ≤ 0")
    })
}

/// Log-probability reward `Σ_j ℓ_j`, or the length-normalized `(1/n) Σ_j ℓ_j`. No tokens → `EmptyInput`.
pub fn answer_logprob_reward(token_logprobs: &[f64], normalize: bool) -> Result<f64, RewardError> {
    check_logprobs(token_logprobs, "token_logprobs")?;
    if normalize {
        mean(token_logprobs)
    } else {
        Ok(token_logprobs.iter().sum())
    }
}

/// Probability reward (VeriFree-style) `exp(Σ_j ℓ_j)`, or the geometric mean `exp((1/n) Σ_j ℓ_j)`.
pub fn answer_prob_reward(token_logprobs: &[f64], normalize: bool) -> Result<f64, RewardError> {
    Ok(answer_logprob_reward(token_logprobs, normalize)?.exp())
}

/// FLR: `mean(positive follow-up log-probs) − mean(negative follow-up log-probs)`, each already a per-follow-up mean
/// token log-prob. The aggregation is RECONSTRUCTED (difference of means).
pub fn follow_up_likelihood_reward(positive_logprobs: &[f64], negative_logprobs: &[f64]) -> Result<f64, RewardError> {
    check_logprobs(positive_logprobs, "positive_logprobs")?;
    check_logprobs(negative_logprobs, "negative_logprobs")?;
    Ok(mean(positive_logprobs)? - mean(negative_logprobs)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let l = [-0.1, -0.5, -0.2];
        assert!((answer_logprob_reward(&l, false).unwrap() + 0.8).abs() < 1e-12);
        assert!((answer_logprob_reward(&l, true).unwrap() + 0.8 / 3.0).abs() < 1e-12);
        assert!((answer_prob_reward(&l, false).unwrap() - 0.449_329).abs() < 1e-6);
        assert!((answer_prob_reward(&l, true).unwrap() - 0.765_928).abs() < 1e-6);
        assert_eq!(follow_up_likelihood_reward(&[-2.0, -3.0], &[-4.0, -5.0]).unwrap(), 2.0);
        assert_eq!(answer_logprob_reward(&[], true).unwrap_err().kind(), "EmptyInput");
        assert_eq!(answer_logprob_reward(&[0.5], true).unwrap_err().kind(), "InvalidParam");
    }
}
