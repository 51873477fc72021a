//! §10 Length rewards and penalties: DAPO soft overlong, open-r1 cosine-scaled, Kimi k1.5, and a generalized
//! penalty. Lengths are counts in whatever unit the caller measures (tokens, words, characters).

use serde::Deserialize;

use crate::RewardError;
use crate::stats::{finite, require};

#[allow(clippy::cast_precision_loss)]
fn f(n: usize) -> f64 {
    n as f64
}

/// DAPO soft overlong punishment: 0 up to `max_len − cache_len`, then a linear ramp to −1 at `max_len`, −1 beyond.
/// `cache_len = 0` is a hard cut-off; `cache_len > max_len` → `InvalidParam`.
pub fn dapo_soft_overlong(length: usize, max_len: usize, cache_len: usize) -> Result<f64, RewardError> {
    require(cache_len <= max_len, || {
        format!("cache_len {cache_len} exceeds max_len {max_len}")
    })?;
    let free = max_len - cache_len;
    Ok(if length <= free {
        0.0
    } else if length <= max_len {
        (f(free) - f(length)) / f(cache_len)
    } else {
        -1.0
    })
}

/// The four end points of the cosine-scaled reward (open-r1 names and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineBounds {
    /// Reward of an empty wrong answer (−1.0).
    #[serde(default = "default_min_value_wrong")]
    pub min_value_wrong: f64,
    /// Reward of a wrong answer at `max_len` (−0.5).
    #[serde(default = "default_max_value_wrong")]
    pub max_value_wrong: f64,
    /// Reward of a correct answer at `max_len` (0.5).
    #[serde(default = "default_min_value_correct")]
    pub min_value_correct: f64,
    /// Reward of an empty correct answer (1.0).
    #[serde(default = "default_max_value_correct")]
    pub max_value_correct: f64,
}

fn default_min_value_wrong() -> f64 {
    -1.0
}
fn default_max_value_wrong() -> f64 {
    -0.5
}
fn default_min_value_correct() -> f64 {
    0.5
}
fn default_max_value_correct() -> f64 {
    1.0
}

impl Default for CosineBounds {
    fn default() -> Self {
        Self {
            min_value_wrong: default_min_value_wrong(),
            max_value_wrong: default_max_value_wrong(),
            min_value_correct: default_min_value_correct(),
            max_value_correct: default_max_value_correct(),
        }
    }
}

/// open-r1 cosine-scaled reward: `lo + 0.5·(hi − lo)·(1 + cos(π·p))` with `p = L/max_len`. Correct answers go from
/// `max_value_correct` (short) to `min_value_correct` (at `max_len`); wrong ones from `min_value_wrong` (short) to
/// `max_value_wrong`, so longer wrong answers are punished less. Deviation from open-r1: p is clamped to [0, 1].
pub fn cosine_length_reward(
    length: usize,
    correct: bool,
    max_len: usize,
    bounds: &CosineBounds,
) -> Result<f64, RewardError> {
    require(max_len > 0, || "max_len must be > 0".into())?;
    for (name, value) in [
        ("min_value_wrong", bounds.min_value_wrong),
        ("max_value_wrong", bounds.max_value_wrong),
        ("min_value_correct", bounds.min_value_correct),
        ("max_value_correct", bounds.max_value_correct),
    ] {
        finite(value, name)?;
    }
    let progress = (f(length) / f(max_len)).min(1.0);
    let cosine = (std::f64::consts::PI * progress).cos();
    let (lo, hi) = if correct {
        (bounds.min_value_correct, bounds.max_value_correct)
    } else {
        (bounds.max_value_wrong, bounds.min_value_wrong)
    };
    Ok(lo + 0.5 * (hi - lo) * (1.0 + cosine))
}

/// Kimi k1.5 group length penalty: `λ_i = 0.5 − (L_i − L_min)/(L_max − L_min)`; correct → λ_i, wrong → min(0, λ_i).
/// All lengths equal → zeros. `lengths` and `correct` must have the same size.
pub fn kimi_length_reward(lengths: &[usize], correct: &[bool]) -> Result<Vec<f64>, RewardError> {
    require(lengths.len() == correct.len(), || {
        format!("{} lengths but {} correctness flags", lengths.len(), correct.len())
    })?;
    let (Some(&min), Some(&max)) = (lengths.iter().min(), lengths.iter().max()) else {
        return Ok(Vec::new());
    };
    if min == max {
        return Ok(vec![0.0; lengths.len()]);
    }
    Ok(lengths
        .iter()
        .zip(correct)
        .map(|(&len, &ok)| {
            let lambda = 0.5 - f(len - min) / f(max - min);
            if ok { lambda } else { lambda.min(0.0) }
        })
        .collect())
}

/// Generalized length penalty — RECONSTRUCTED (the paper's equation was not found): 0 up to `target_len`,
/// `−w·((L − target)/(max − target))^p` in between, `−w` from `max_len` on. p = 1 and `target = max − cache` give
/// DAPO's shape. `max_len ≤ target_len` → `InvalidParam`.
pub fn generalized_length_penalty(
    length: usize,
    target_len: usize,
    max_len: usize,
    power: f64,
    weight: f64,
) -> Result<f64, RewardError> {
    require(max_len > target_len, || {
        format!("max_len {max_len} must exceed target_len {target_len}")
    })?;
    finite(power, "power")?;
    finite(weight, "weight")?;
    require(power > 0.0, || format!("power must be > 0, got {power}"))?;
    Ok(if length <= target_len {
        0.0
    } else if length < max_len {
        -weight * (f(length - target_len) / f(max_len - target_len)).powf(power)
    } else {
        -weight
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dapo_examples() {
        let got: Vec<f64> = [10, 16, 18, 20, 21]
            .iter()
            .map(|&l| dapo_soft_overlong(l, 20, 4).unwrap())
            .collect();
        assert_eq!(got, vec![0.0, 0.0, -0.5, -1.0, -1.0]);
        assert_eq!(dapo_soft_overlong(20, 20, 0).unwrap(), 0.0);
        assert_eq!(dapo_soft_overlong(21, 20, 0).unwrap(), -1.0);
        assert_eq!(dapo_soft_overlong(1, 2, 3).unwrap_err().kind(), "InvalidParam");
    }

    #[test]
    fn cosine_examples() {
        let b = CosineBounds::default();
        assert!((cosine_length_reward(250, true, 1000, &b).unwrap() - 0.926_777).abs() < 1e-6);
        assert!((cosine_length_reward(250, false, 1000, &b).unwrap() + 0.926_777).abs() < 1e-6);
        assert_eq!(cosine_length_reward(0, true, 1000, &b).unwrap(), 1.0);
        assert_eq!(cosine_length_reward(1000, false, 1000, &b).unwrap(), -0.5);
        assert_eq!(cosine_length_reward(5000, true, 1000, &b).unwrap(), 0.5, "p is clamped");
    }

    #[test]
    fn kimi_and_generalized_examples() {
        assert_eq!(
            kimi_length_reward(&[100, 150, 300], &[true, false, false]).unwrap(),
            vec![0.5, 0.0, -0.5]
        );
        assert_eq!(kimi_length_reward(&[50, 50], &[true, false]).unwrap(), vec![0.0, 0.0]);
        assert_eq!(kimi_length_reward(&[1], &[]).unwrap_err().kind(), "InvalidParam");
        assert_eq!(generalized_length_penalty(150, 100, 200, 2.0, 1.0).unwrap(), -0.25);
        assert_eq!(generalized_length_penalty(175, 100, 200, 1.0, 0.5).unwrap(), -0.375);
        assert_eq!(
            generalized_length_penalty(1, 100, 100, 1.0, 0.5).unwrap_err().kind(),
            "InvalidParam"
        );
    }
}
