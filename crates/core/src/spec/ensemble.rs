//! §5 Reward-model ensemble aggregation (Eisenstein et al. 2023).

use serde::Deserialize;

use crate::RewardError;
use crate::stats::{ensure_finite, finite, mean, median, std};

/// How the scores of the ensemble members are combined.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Arithmetic mean.
    Mean,
    /// Median (average of the middle two for an even count).
    Median,
    /// Most pessimistic member.
    Min,
    /// `mean − λ·std`: uncertainty-penalized mean. λ and the std convention (default λ = 1, population std) are
    /// RECONSTRUCTED details.
    MeanMinusStd,
}

/// Aggregates one (prompt, response)'s member scores; `lambda` and `std_ddof` only matter for
/// [`Aggregate::MeanMinusStd`]. No members → `EmptyInput`; one member → that score.
pub fn ensemble_aggregate(scores: &[f64], method: Aggregate, lambda: f64, std_ddof: usize) -> Result<f64, RewardError> {
    if scores.is_empty() {
        return Err(RewardError::EmptyInput("ensemble scores".into()));
    }
    ensure_finite(scores, "ensemble scores")?;
    match method {
        Aggregate::Mean => mean(scores),
        Aggregate::Median => median(scores),
        Aggregate::Min => Ok(scores.iter().copied().fold(f64::INFINITY, f64::min)),
        Aggregate::MeanMinusStd => Ok(mean(scores)? - finite(lambda, "lambda")? * std(scores, std_ddof)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let s = [1.0, 2.0, 4.0];
        assert!((ensemble_aggregate(&s, Aggregate::Mean, 1.0, 0).unwrap() - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!(ensemble_aggregate(&s, Aggregate::Median, 1.0, 0).unwrap(), 2.0);
        assert_eq!(ensemble_aggregate(&s, Aggregate::Min, 1.0, 0).unwrap(), 1.0);
        let mms = ensemble_aggregate(&s, Aggregate::MeanMinusStd, 1.0, 0).unwrap();
        assert!((mms - 1.086_114).abs() < 1e-6);
        assert_eq!(
            ensemble_aggregate(&[3.0], Aggregate::MeanMinusStd, 1.0, 0).unwrap(),
            3.0
        );
        assert_eq!(
            ensemble_aggregate(&[], Aggregate::Min, 1.0, 0).unwrap_err().kind(),
            "EmptyInput"
        );
    }
}
