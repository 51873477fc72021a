//! §16 χ² occupancy-measure regularization (Laidlaw, Singhal, Dragan 2024: Correlated Proxies) and ORPO.

use crate::RewardError;
use crate::stats::{ensure_finite, finite, mean, require};

/// `λ = σ_R̃·√(1 − r²)` from the proxy reward's std under the reference policy and the proxy/true correlation.
pub fn correlated_proxy_lambda(proxy_std: f64, correlation: f64) -> Result<f64, RewardError> {
    finite(proxy_std, "proxy_std")?;
    finite(correlation, "correlation")?;
    require(proxy_std >= 0.0, || format!("proxy_std must be ≥ 0, got {proxy_std}"))?;
    require((-1.0..=1.0).contains(&correlation), || {
        format!("correlation must be in [−1, 1], got {correlation}")
    })?;
    Ok(proxy_std * (1.0 - correlation * correlation).sqrt())
}

/// χ² estimate from per-response sequence log-ratios `log π(y|x) − log π_ref(y|x)` of responses sampled from π:
/// `max(0, mean(exp(log-ratio)) − 1)` — RECONSTRUCTED (derived) estimator, computed with log-sum-exp.
pub fn chi2_from_seq_logratios(seq_logratios: &[f64]) -> Result<f64, RewardError> {
    if seq_logratios.is_empty() {
        return Err(RewardError::EmptyInput("seq_logratios".into()));
    }
    ensure_finite(seq_logratios, "seq_logratios")?;
    let max = seq_logratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let log_mean = max + (seq_logratios.iter().map(|l| (l - max).exp()).sum::<f64>() / seq_logratios.len() as f64).ln();
    let chi2 = log_mean.exp_m1().max(0.0);
    finite(chi2, "chi² estimate (log-ratios too large)")
}

/// KL (k1) estimate `mean(log-ratio)`, for comparison.
pub fn kl_from_seq_logratios(seq_logratios: &[f64]) -> Result<f64, RewardError> {
    ensure_finite(seq_logratios, "seq_logratios")?;
    mean(seq_logratios)
}

/// Penalty `λ·√χ²`.
pub fn chi2_penalty(chi2: f64, lambda: f64) -> Result<f64, RewardError> {
    finite(chi2, "chi2")?;
    finite(lambda, "lambda")?;
    require(chi2 >= 0.0, || format!("chi2 must be ≥ 0, got {chi2}"))?;
    Ok(lambda * chi2.sqrt())
}

/// ORPO per-step reward `R̃ − (λ/√χ̂²)·exp(d̂)`; χ̂² ≤ 0 → `InvalidParam`.
pub fn orpo_augmented_reward(
    proxy_reward: f64,
    chi2_hat: f64,
    disc_logit: f64,
    lambda: f64,
) -> Result<f64, RewardError> {
    for (name, value) in [
        ("proxy_reward", proxy_reward),
        ("chi2_hat", chi2_hat),
        ("disc_logit", disc_logit),
        ("lambda", lambda),
    ] {
        finite(value, name)?;
    }
    require(chi2_hat > 0.0, || format!("chi2_hat must be > 0, got {chi2_hat}"))?;
    finite(
        proxy_reward - lambda / chi2_hat.sqrt() * disc_logit.exp(),
        "orpo reward",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert!((correlated_proxy_lambda(1.0, 0.8).unwrap() - 0.6).abs() < 1e-12);
        let chi2 = chi2_from_seq_logratios(&[0.1, -0.2, 0.3]).unwrap();
        assert!((chi2 - 0.091_253).abs() < 1e-6);
        assert!((kl_from_seq_logratios(&[0.1, -0.2, 0.3]).unwrap() - 0.066_667).abs() < 1e-6);
        assert!((chi2_penalty(chi2, 0.6).unwrap() - 0.181_249).abs() < 1e-6);
        assert!((orpo_augmented_reward(1.0, 0.25, 0.0, 0.6).unwrap() + 0.2).abs() < 1e-12);
        assert_eq!(chi2_from_seq_logratios(&[-5.0, -6.0]).unwrap(), 0.0, "clamped at 0");
        assert!(
            chi2_from_seq_logratios(&[700.0, 710.0]).is_ok(),
            "no overflow in the mean"
        );
    }
}
