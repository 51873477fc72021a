//! §15 Reasoning Pattern Reward (RPR) and RM calibration (Lv et al. 2025).
//!
//! RECONSTRUCTED formulas: `r_RPR = min(hits, H)/H` with hits the number of distinct configured phrases found
//! (case-insensitive) in the reasoning; calibration keeps `r_RM` when `r_RM ≥ τ`, else `max(r_RM, α·r_RPR)`.

use crate::RewardError;
use crate::stats::{finite, require};

/// Number of distinct `phrases` that occur in `reasoning`, ignoring case.
pub fn count_reasoning_patterns(reasoning: &str, phrases: &[String]) -> usize {
    let haystack = reasoning.to_lowercase();
    let mut seen: Vec<String> = phrases
        .iter()
        .map(|p| p.to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    seen.sort();
    seen.dedup();
    seen.iter().filter(|p| haystack.contains(p.as_str())).count()
}

/// `min(hits, H)/H`; H = 0 → `InvalidParam`.
pub fn rpr_reward(pattern_hits: usize, max_count: usize) -> Result<f64, RewardError> {
    require(max_count > 0, || "max_count must be > 0".into())?;
    #[allow(clippy::cast_precision_loss)]
    Ok(pattern_hits.min(max_count) as f64 / max_count as f64)
}

/// `r_RM` if `r_RM ≥ threshold`, else `max(r_RM, α·r_RPR)` (recovers false negatives of a noisy RM).
pub fn rpr_calibrated_reward(rm_score: f64, rpr: f64, threshold: f64, alpha: f64) -> Result<f64, RewardError> {
    for (name, value) in [
        ("rm_score", rm_score),
        ("rpr", rpr),
        ("threshold", threshold),
        ("alpha", alpha),
    ] {
        finite(value, name)?;
    }
    Ok(if rm_score >= threshold {
        rm_score
    } else {
        rm_score.max(alpha * rpr)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(rpr_reward(3, 4).unwrap(), 0.75);
        assert_eq!(rpr_reward(9, 4).unwrap(), 1.0);
        assert_eq!(rpr_reward(1, 0).unwrap_err().kind(), "InvalidParam");
        assert_eq!(rpr_calibrated_reward(0.2, 0.75, 0.5, 0.5).unwrap(), 0.375);
        assert_eq!(rpr_calibrated_reward(0.6, 0.75, 0.5, 1.0).unwrap(), 0.6);
        let phrases = [
            "First, I need to".to_owned(),
            "let me verify".to_owned(),
            "LET ME VERIFY".to_owned(),
        ];
        assert_eq!(
            count_reasoning_patterns("first, i need to... Let me verify.", &phrases),
            2
        );
    }
}
