//! The small statistics the report draws: histograms, Pearson correlation, standard deviation, axis ticks.

/// Counts of values in equal-width bins over `[lo, hi]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Left edge of the first bin.
    pub lo: f64,
    /// Right edge of the last bin.
    pub hi: f64,
    /// Count per bin.
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins the finite values: √n bins (between 1 and 40); a constant sample gets one bin of width 1 around it.
    pub fn of(values: &[f64]) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if finite.is_empty() {
            return Self {
                lo: 0.0,
                hi: 1.0,
                counts: vec![0],
            };
        }
        if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
            return Self {
                lo: lo - 0.5,
                hi: lo + 0.5,
                counts: vec![finite.len()],
            };
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let bins = ((finite.len() as f64).sqrt().ceil() as usize).clamp(1, 40);
        let mut counts = vec![0; bins];
        #[allow(clippy::cast_precision_loss)]
        let width = (hi - lo) / bins as f64;
        for v in finite {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bin = (((v - lo) / width) as usize).min(bins - 1);
            counts[bin] += 1;
        }
        Self { lo, hi, counts }
    }

    /// Width of one bin.
    pub fn width(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let bins = self.counts.len() as f64;
        (self.hi - self.lo) / bins
    }
}

/// Mean of a non-empty slice.
pub fn mean(values: &[f64]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Population standard deviation.
pub fn std(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    #[allow(clippy::cast_precision_loss)]
    Some((values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt())
}

/// Pearson correlation; `None` with fewer than 2 points or a constant side.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let (mx, my) = (mean(&xs)?, mean(&ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// About `count` round tick values covering `[lo, hi]` (steps of 1, 2 or 5 × 10^k).
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    #[allow(clippy::cast_precision_loss)]
    let raw = (hi - lo) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil();
    let last = (hi / step).floor();
    let mut out = Vec::new();
    let mut k = first;
    while k <= last + 1e-9 && out.len() < 50 {
        let tick = k * step;
        out.push(if tick.abs() < step * 1e-9 { 0.0 } else { tick });
        k += 1.0;
    }
    out
}

/// A tick label without float noise.
pub fn tick_label(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let h = Histogram::of(&values);
        assert_eq!(h.counts.len(), 10);
        assert_eq!(h.counts.iter().sum::<usize>(), 100);
        assert_eq!(Histogram::of(&[2.0, 2.0]).counts, vec![2]);
    }

    #[test]
    fn pearson_and_ticks() {
        assert_eq!(pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]), Some(1.0));
        assert_eq!(pearson(&[(1.0, 2.0), (1.0, 4.0)]), None);
        assert_eq!(ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(tick_label(0.6000000000000001), "0.6");
        assert_eq!(ticks(-3.0, 7.0, 5), vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
    }
}
