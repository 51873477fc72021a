//! §17 Potential-based reward shaping (Ng, Harada, Russell 1999).

use crate::RewardError;
use crate::stats::{ensure_finite, finite, require};

/// Shaping terms `F_t = γ·Φ(s_{t+1}) − Φ(s_t)` for potentials `Φ(s_0..s_T)` (T terms). With `terminal_last` the
/// last state's potential is taken as 0, as policy invariance in episodic tasks requires.
pub fn pbrs_shaping(potentials: &[f64], gamma: f64, terminal_last: bool) -> Result<Vec<f64>, RewardError> {
    ensure_finite(potentials, "potentials")?;
    finite(gamma, "gamma")?;
    require((0.0..=1.0).contains(&gamma), || {
        format!("gamma must be in [0, 1], got {gamma}")
    })?;
    let last = potentials.len().saturating_sub(1);
    let phi = |i: usize| if terminal_last && i == last { 0.0 } else { potentials[i] };
    Ok((0..last).map(|t| gamma * phi(t + 1) - phi(t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples_and_telescoping() {
        let terms = pbrs_shaping(&[0.2, 0.5, 0.9], 0.9, false).unwrap();
        assert!((terms[0] - 0.25).abs() < 1e-12 && (terms[1] - 0.31).abs() < 1e-12);
        let terminal = pbrs_shaping(&[0.2, 0.5, 0.9], 0.9, true).unwrap();
        assert!((terminal[0] - 0.25).abs() < 1e-12 && (terminal[1] + 0.5).abs() < 1e-12);
        let sum = crate::spec::prm::discounted_sum(&terms, 0.9).unwrap();
        assert!((sum - (0.81 * 0.9 - 0.2)).abs() < 1e-12);
        assert!(pbrs_shaping(&[], 0.9, true).unwrap().is_empty());
    }
}
