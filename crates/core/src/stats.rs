//! Small statistics and numeric helpers shared by shapes and formulas.

use crate::RewardError;

/// Fails with [`RewardError::NonFinite`] if any value is NaN or infinite.
pub fn ensure_finite(values: &[f64], context: &str) -> Result<(), RewardError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(RewardError::NonFinite(context.to_owned()))
    }
}

/// Fails with [`RewardError::NonFinite`] naming `name` if `value` is NaN or infinite; returns it otherwise.
pub fn finite(value: f64, name: &str) -> Result<f64, RewardError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(RewardError::NonFinite(format!("{name} = {value}")))
    }
}

/// Checks that `ok` holds for a parameter, else [`RewardError::InvalidParam`] with `message`.
pub fn require(ok: bool, message: impl FnOnce() -> String) -> Result<(), RewardError> {
    if ok {
        Ok(())
    } else {
        Err(RewardError::InvalidParam(message()))
    }
}

/// Arithmetic mean; empty input is an error.
pub fn mean(values: &[f64]) -> Result<f64, RewardError> {
    if values.is_empty() {
        return Err(RewardError::EmptyInput("mean".into()));
    }
    #[allow(clippy::cast_precision_loss)]
    Ok(values.iter().sum::<f64>() / values.len() as f64)
}

/// Standard deviation with `ddof` delta degrees of freedom (0 = population, 1 = sample). Returns 0 when there
/// are not more than `ddof` values.
pub fn std(values: &[f64], ddof: usize) -> Result<f64, RewardError> {
    let m = mean(values)?;
    if values.len() <= ddof {
        return Ok(0.0);
    }
    let sum_sq: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    #[allow(clippy::cast_precision_loss)]
    Ok((sum_sq / (values.len() - ddof) as f64).sqrt())
}

/// Median (the average of the two middle values for an even count); empty input is an error.
pub fn median(values: &[f64]) -> Result<f64, RewardError> {
    if values.is_empty() {
        return Err(RewardError::EmptyInput("median".into()));
    }
    ensure_finite(values, "median")?;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Ok(if sorted.len().is_multiple_of(2) {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    } else {
        sorted[mid]
    })
}

/// The logistic function σ(x) = 1/(1+e^(−x)), computed without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// log σ(x), computed without overflow or loss of precision for large |x|.
pub fn log_sigmoid(x: f64) -> f64 {
    // log σ(x) = −softplus(−x) = min(x, 0) − ln(1 + e^(−|x|))
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

/// Sign with a true zero: −1, 0 or +1 (`f64::signum` maps 0.0 to 1.0, which the turning-point test must not do).
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Φ⁻¹(p), the standard normal quantile, for p in (0, 1).
///
/// Hand-written (rather than pulling a statistics crate for one function): Acklam's rational approximation
/// (relative error < 1.2e-9) followed by one Halley step against `libm::erfc`, which brings it to full double
/// precision.
pub fn normal_quantile(p: f64) -> Result<f64, RewardError> {
    finite(p, "quantile")?;
    require(p > 0.0 && p < 1.0, || format!("quantile must be in (0, 1), got {p}"))?;
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x -= u / (1.0 + x * u / 2.0);
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_and_population_std() {
        let v = [1.0, 0.0, 0.0, 1.0, 1.0];
        assert!((std(&v, 1).unwrap() - 0.3f64.sqrt()).abs() < 1e-12);
        assert!((std(&v, 0).unwrap() - 0.24f64.sqrt()).abs() < 1e-12);
        assert_eq!(std(&[2.0], 1).unwrap(), 0.0);
        assert!(mean(&[]).is_err());
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[4.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[5.0, 1.0, 4.0, 2.0]).unwrap(), 3.0);
        assert_eq!(median(&[]).unwrap_err().kind(), "EmptyInput");
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(-800.0) < 1e-300);
        assert_eq!(sigmoid(800.0), 1.0);
        assert!((log_sigmoid(-800.0) + 800.0).abs() < 1e-9);
        assert!((log_sigmoid(1.0) - sigmoid(1.0).ln()).abs() < 1e-15);
    }

    #[test]
    fn normal_quantile_matches_reference_values() {
        // Reference values from Python's statistics.NormalDist().inv_cdf.
        for (p, expected) in [
            (0.85, 1.036_433_389_493_789_4),
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_053_6),
            (0.001, -3.090_232_306_167_813),
            (0.99, 2.326_347_874_040_840_8),
        ] {
            let x = normal_quantile(p).unwrap();
            assert!((x - expected).abs() < 1e-12, "Φ⁻¹({p}) = {x}, expected {expected}");
        }
        assert_eq!(normal_quantile(1.0).unwrap_err().kind(), "InvalidParam");
        assert_eq!(normal_quantile(f64::NAN).unwrap_err().kind(), "NonFinite");
    }
}
