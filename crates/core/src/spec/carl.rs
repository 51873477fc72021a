//! §19 CaRL multiplicative reward (Jaeger et al. 2025): route progress scaled by soft penalty factors.
//!
//! The penalty list is RECONSTRUCTED; the core form `r_t = ΔRC_t · Π_i p_{t,i}` is standard.

use crate::RewardError;
use crate::stats::{ensure_finite, finite};

/// `ΔRC · Π p_i` for soft penalty factors `p_i ∈ [0, 1]` (1 = no violation). A step that ends the episode with a hard
/// infraction gets 0 progress reward (add any fixed terminal penalty separately). A factor outside [0, 1] →
/// `InvalidParam`.
pub fn carl_reward(
    route_completion_delta: f64,
    penalty_factors: &[f64],
    terminal_infraction: bool,
) -> Result<f64, RewardError> {
    finite(route_completion_delta, "route_completion_delta")?;
    ensure_finite(penalty_factors, "penalty_factors")?;
    if let Some(bad) = penalty_factors.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(RewardError::InvalidParam(format!(
            "penalty factor {bad} is outside [0, 1]"
        )));
    }
    if terminal_infraction {
        return Ok(0.0);
    }
    Ok(route_completion_delta * penalty_factors.iter().product::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert!((carl_reward(0.5, &[1.0, 0.8, 0.5], false).unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(carl_reward(0.5, &[1.0], true).unwrap(), 0.0);
        assert_eq!(carl_reward(0.5, &[1.2], false).unwrap_err().kind(), "InvalidParam");
    }
}
