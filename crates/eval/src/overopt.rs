//! Over-optimization fits (spec §6, Gao, Schulman, Hilton 2022): the best-of-n form `R(d) = d·(α − β·d)` and the
//! RL form `R(d) = d·(α − β·ln d)`, `d = √KL`, fitted to measured gold and proxy rewards.
//!
//! Rows carry the distance as `d` (√KL), `kl` (d = √kl) or `n` (best-of-n, KL = log n − (n−1)/n), and `gold`
//! (and optionally `proxy`) rewards. R is measured from the initial policy: rows at d = 0 are used as the
//! baseline and subtracted when present. Both forms are linear in (α, β), so the fit is ordinary least squares
//! through the origin. The report gives the coefficients, R², the gold peak `d*` (α/2β, resp. exp(α/β − 1)) and
//! where proxy and gold diverge: in the fit, the gold peak if the fitted proxy is still rising there; in the data,
//! the first point where gold has fallen below its running maximum while proxy still rose.

use assay_core::spec::overopt::{
    bon_distance, gold_reward_bon, gold_reward_bon_argmax_d, gold_reward_rl, gold_reward_rl_argmax_d,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::EvalError;
use crate::rows::{non_empty, rows};
use crate::table::{num, render};

/// One of Gao et al.'s functional forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// `d·(α − β·d)`.
    BestOfN,
    /// `d·(α − β·ln d)`.
    Rl,
}

impl Form {
    /// The two regressors `(x1, x2)` with `R = α·x1 − β·x2`.
    fn regressors(self, d: f64) -> (f64, f64) {
        match self {
            Self::BestOfN => (d, d * d),
            Self::Rl if d == 0.0 => (0.0, 0.0),
            Self::Rl => (d, d * d.ln()),
        }
    }

    fn predict(self, d: f64, alpha: f64, beta: f64) -> Result<f64, EvalError> {
        Ok(match self {
            Self::BestOfN => gold_reward_bon(d, alpha, beta)?,
            Self::Rl => gold_reward_rl(d, alpha, beta)?,
        })
    }

    fn slope(self, d: f64, alpha: f64, beta: f64) -> f64 {
        match self {
            Self::BestOfN => alpha - 2.0 * beta * d,
            Self::Rl => alpha - beta * (d.ln() + 1.0),
        }
    }

    fn peak(self, alpha: f64, beta: f64) -> Option<f64> {
        match self {
            Self::BestOfN => gold_reward_bon_argmax_d(alpha, beta).ok(),
            Self::Rl => gold_reward_rl_argmax_d(alpha, beta).ok(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::BestOfN => "best-of-n d(α − βd)",
            Self::Rl => "RL d(α − β ln d)",
        }
    }
}

/// Fitted coefficients of one series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    /// α.
    pub alpha: f64,
    /// β.
    pub beta: f64,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    /// Where the fitted curve peaks (None when β ≤ 0: no peak).
    pub peak_d: Option<f64>,
    /// `peak_d²`, the KL at the peak.
    pub peak_kl: Option<f64>,
    /// The fitted reward at the peak.
    pub peak_reward: Option<f64>,
}

/// Both series fitted with one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormFit {
    /// The form.
    pub form: Form,
    /// Gold reward fit.
    pub gold: Fit,
    /// Proxy reward fit, when the rows have `proxy`.
    pub proxy: Option<Fit>,
    /// d where the fitted gold turns down while the fitted proxy still rises.
    pub divergence_d: Option<f64>,
}

/// The result of `assay eval overopt`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OveroptResult {
    /// Points used.
    pub points: usize,
    /// Gold/proxy at d = 0 subtracted from every point (0 when no row has d = 0).
    pub baseline_gold: f64,
    /// Same for the proxy.
    pub baseline_proxy: f64,
    /// The fits, best-of-n first.
    pub fits: Vec<FormFit>,
    /// First measured d where gold is below its running maximum while proxy rose from the previous point.
    pub observed_divergence_d: Option<f64>,
    /// The headline: the best-of-n gold peak d* (or the RL one when only that form was fitted); null without peak.
    pub score: Option<f64>,
}

impl OveroptResult {
    /// One line per form and series.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), num);
        let mut lines = Vec::new();
        for fit in &self.fits {
            let series = [("gold", Some(fit.gold)), ("proxy", fit.proxy)];
            for (name, value) in series {
                if let Some(f) = value {
                    lines.push(vec![
                        format!("{} {name}", fit.form.label()),
                        num(f.alpha),
                        num(f.beta),
                        num(f.r2),
                        opt(f.peak_d),
                        opt(f.peak_reward),
                    ]);
                }
            }
            lines.push(vec![
                format!("{} divergence", fit.form.label()),
                String::new(),
                String::new(),
                String::new(),
                opt(fit.divergence_d),
                String::new(),
            ]);
        }
        format!(
            "{}{} points; observed divergence at d = {}\n",
            render(&["fit", "alpha", "beta", "R²", "peak d=√KL", "peak R"], &lines),
            self.points,
            opt(self.observed_divergence_d)
        )
    }
}

struct Point {
    d: f64,
    gold: f64,
    proxy: Option<f64>,
}

fn distance_of(row: &crate::Row<'_>) -> Result<f64, EvalError> {
    let d = if row.has("d") {
        row.number("d")?
    } else if row.has("kl") {
        let kl = row.number("kl")?;
        if kl < 0.0 {
            return Err(row.error(format!("field `kl` must be ≥ 0, got {kl}")));
        }
        kl.sqrt()
    } else if row.has("n") {
        let n = row.number("n")?;
        if n < 1.0 || n.fract() != 0.0 {
            return Err(row.error(format!("field `n` must be an integer ≥ 1, got {n}")));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        bon_distance(n as u64)?
    } else {
        return Err(row.error("needs one of the fields `d` (√KL), `kl` or `n` (best-of-n)"));
    };
    if d < 0.0 {
        return Err(row.error(format!("field `d` must be ≥ 0, got {d}")));
    }
    Ok(d)
}

/// Least squares of `y ≈ α·x1 − β·x2` through the origin.
fn fit(form: Form, points: &[(f64, f64)]) -> Result<Fit, EvalError> {
    let (mut s11, mut s12, mut s22, mut s1y, mut s2y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (d, y) in points {
        let (x1, x2) = form.regressors(*d);
        s11 += x1 * x1;
        s12 += x1 * x2;
        s22 += x2 * x2;
        s1y += x1 * y;
        s2y += x2 * y;
    }
    let det = s11 * s22 - s12 * s12;
    if det.abs() <= 1e-12 * (s11 * s22).max(f64::MIN_POSITIVE) {
        return Err(EvalError::Input(
            "the fit needs at least two distinct d > 0 (the two coefficients are not identifiable)".into(),
        ));
    }
    let alpha = (s1y * s22 - s2y * s12) / det;
    let beta = -(s11 * s2y - s12 * s1y) / det;
    #[allow(clippy::cast_precision_loss)]
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let (mut sse, mut sst) = (0.0, 0.0);
    for (d, y) in points {
        sse += (y - form.predict(*d, alpha, beta)?).powi(2);
        sst += (y - mean).powi(2);
    }
    let peak_d = form.peak(alpha, beta);
    Ok(Fit {
        alpha,
        beta,
        r2: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
        peak_d,
        peak_kl: peak_d.map(|d| d * d),
        peak_reward: peak_d.map(|d| form.predict(d, alpha, beta)).transpose()?,
    })
}

/// Fits the requested forms to the rows.
pub fn evaluate(records: &[Map<String, Value>], forms: &[Form]) -> Result<OveroptResult, EvalError> {
    non_empty(records, "overopt")?;
    let mut points = Vec::with_capacity(records.len());
    for row in rows(records) {
        points.push(Point {
            d: distance_of(&row)?,
            gold: row.number("gold")?,
            proxy: if row.has("proxy") {
                Some(row.number("proxy")?)
            } else {
                None
            },
        });
    }
    let has_proxy = points.iter().all(|p| p.proxy.is_some());
    let at_zero: Vec<&Point> = points.iter().filter(|p| p.d == 0.0).collect();
    #[allow(clippy::cast_precision_loss)]
    let baseline = |f: &dyn Fn(&Point) -> f64| {
        if at_zero.is_empty() {
            0.0
        } else {
            at_zero.iter().map(|p| f(p)).sum::<f64>() / at_zero.len() as f64
        }
    };
    let baseline_gold = baseline(&|p| p.gold);
    let baseline_proxy = if has_proxy {
        baseline(&|p| p.proxy.unwrap_or(0.0))
    } else {
        0.0
    };
    let gold: Vec<(f64, f64)> = points.iter().map(|p| (p.d, p.gold - baseline_gold)).collect();
    let proxy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.d, p.proxy.unwrap_or(0.0) - baseline_proxy))
        .collect();
    let mut fits = Vec::new();
    for form in forms {
        let gold_fit = fit(*form, &gold)?;
        let proxy_fit = if has_proxy { Some(fit(*form, &proxy)?) } else { None };
        let divergence_d = match (gold_fit.peak_d, proxy_fit) {
            (Some(peak), Some(p)) if form.slope(peak, p.alpha, p.beta) > 0.0 => Some(peak),
            _ => None,
        };
        fits.push(FormFit {
            form: *form,
            gold: gold_fit,
            proxy: proxy_fit,
            divergence_d,
        });
    }
    let mut order: Vec<&Point> = points.iter().collect();
    order.sort_by(|a, b| a.d.total_cmp(&b.d));
    let mut observed_divergence_d = None;
    let mut best_gold = f64::NEG_INFINITY;
    for pair in order.windows(2) {
        best_gold = best_gold.max(pair[0].gold);
        let proxy_rose = matches!((pair[0].proxy, pair[1].proxy), (Some(a), Some(b)) if b > a);
        if pair[1].gold < best_gold && proxy_rose {
            observed_divergence_d = Some(pair[1].d);
            break;
        }
    }
    Ok(OveroptResult {
        points: points.len(),
        baseline_gold,
        baseline_proxy,
        score: fits.first().and_then(|f| f.gold.peak_d),
        fits,
        observed_divergence_d,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn series(f: impl Fn(f64) -> (f64, f64)) -> Vec<Map<String, Value>> {
        (0..=20)
            .map(|i| {
                let d = f64::from(i) * 0.5;
                let (gold, proxy) = f(d);
                json!({"kl": d * d, "gold": gold + 0.3, "proxy": proxy + 0.3})
                    .as_object()
                    .unwrap()
                    .clone()
            })
            .collect()
    }

    #[test]
    fn recovers_best_of_n_coefficients_and_peak() {
        let rows = series(|d| (d * (1.0 - 0.1 * d), d * (1.2 - 0.01 * d)));
        let result = evaluate(&rows, &[Form::BestOfN, Form::Rl]).unwrap();
        let bon = &result.fits[0];
        assert!(
            (bon.gold.alpha - 1.0).abs() < 1e-9 && (bon.gold.beta - 0.1).abs() < 1e-9,
            "{bon:?}"
        );
        assert!((bon.gold.r2 - 1.0).abs() < 1e-12);
        assert!((bon.gold.peak_d.unwrap() - 5.0).abs() < 1e-9);
        assert!((result.baseline_gold - 0.3).abs() < 1e-12);
        assert_eq!(bon.divergence_d, bon.gold.peak_d);
        assert!((result.observed_divergence_d.unwrap() - 5.5).abs() < 1e-12);
        assert!(result.fits[1].gold.r2 < bon.gold.r2);
    }

    #[test]
    fn recovers_rl_coefficients() {
        let rows = series(|d| {
            let g = if d == 0.0 { 0.0 } else { d * (1.0 - 0.2 * d.ln()) };
            (g, g)
        });
        let rl = &evaluate(&rows, &[Form::Rl]).unwrap().fits[0];
        assert!(
            (rl.gold.alpha - 1.0).abs() < 1e-9 && (rl.gold.beta - 0.2).abs() < 1e-9,
            "{rl:?}"
        );
        assert!((rl.gold.peak_d.unwrap() - 4f64.exp()).abs() < 1e-6);
    }

    #[test]
    fn one_distance_is_not_enough() {
        let rows = vec![json!({"d": 1.0, "gold": 0.5}).as_object().unwrap().clone()];
        assert!(
            evaluate(&rows, &[Form::BestOfN])
                .unwrap_err()
                .to_string()
                .contains("two distinct")
        );
    }
}
