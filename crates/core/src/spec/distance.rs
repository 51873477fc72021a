//! §7 Reward-function distances on finite MDPs: EPIC (Gleave et al. 2021) and STARC (Skalse et al. 2024).
//!
//! Reward functions and transitions are tables indexed `[s][a][s']`; a policy is indexed `[s][a]`.

use serde::Deserialize;

use crate::RewardError;
use crate::stats::{finite, mean, require};

/// A table indexed `[s][a][s']` (rewards or transition probabilities).
pub type Table = [Vec<Vec<f64>>];

/// Checks that `table` is |S| × |A| × |S| with finite entries; returns (|S|, |A|).
fn shape(table: &Table, name: &str) -> Result<(usize, usize), RewardError> {
    let states = table.len();
    if states == 0 {
        return Err(RewardError::EmptyInput(format!("{name} has no states")));
    }
    let actions = table[0].len();
    require(actions > 0, || format!("{name} has no actions"))?;
    for (s, row) in table.iter().enumerate() {
        require(row.len() == actions, || {
            format!("{name}[{s}] has {} actions, expected {actions}", row.len())
        })?;
        for (a, next) in row.iter().enumerate() {
            require(next.len() == states, || {
                format!("{name}[{s}][{a}] has {} next states, expected {states}", next.len())
            })?;
            if next.iter().any(|v| !v.is_finite()) {
                return Err(RewardError::NonFinite(format!("{name}[{s}][{a}]")));
            }
        }
    }
    Ok((states, actions))
}

fn check_distribution(row: &[f64], name: &str) -> Result<(), RewardError> {
    require(row.iter().all(|p| *p >= 0.0), || {
        format!("{name} has a negative probability")
    })?;
    let total: f64 = row.iter().sum();
    require((total - 1.0).abs() < 1e-9, || format!("{name} sums to {total}, not 1"))
}

fn check_gamma(gamma: f64) -> Result<(), RewardError> {
    finite(gamma, "gamma")?;
    require((0.0..=1.0).contains(&gamma), || {
        format!("gamma must be in [0, 1], got {gamma}")
    })
}

/// Checks transitions and policy against a reward table's shape.
fn check_mdp(transitions: &Table, policy: &[Vec<f64>], reward: &Table) -> Result<(usize, usize), RewardError> {
    let dims = shape(reward, "R")?;
    require(shape(transitions, "T")? == dims, || {
        "T and R have different shapes".into()
    })?;
    for (s, row) in transitions.iter().enumerate() {
        for (a, next) in row.iter().enumerate() {
            check_distribution(next, &format!("T[{s}][{a}]"))?;
        }
    }
    require(policy.len() == dims.0, || {
        format!("policy has {} states, expected {}", policy.len(), dims.0)
    })?;
    for (s, row) in policy.iter().enumerate() {
        require(row.len() == dims.1, || {
            format!("policy[{s}] has {} actions, expected {}", row.len(), dims.1)
        })?;
        if row.iter().any(|p| !p.is_finite()) {
            return Err(RewardError::NonFinite(format!("policy[{s}]")));
        }
        check_distribution(row, &format!("policy[{s}]"))?;
    }
    Ok(dims)
}

/// Solves `A x = b` by Gaussian elimination with partial pivoting.
///
/// Hand-written rather than adding a linear-algebra crate: the systems are |S| × |S| for tiny tabular MDPs, and
/// this is the only linear solve in the crate. A (near-)singular matrix → `InvalidParam`.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>, RewardError> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        require(a[pivot][col].abs() > 1e-12, || {
            "I − γP_π is singular (γ = 1 without absorption?)".into()
        })?;
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            let (upper, lower) = a.split_at_mut(row);
            for (target, source) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                *target -= factor * source;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Ok(x)
}

/// `V^π = (I − γP_π)⁻¹ r_π`, with `r_π(s) = Σ_a π(a|s) Σ_s' T(s,a,s') R(s,a,s')` and
/// `P_π(s,s') = Σ_a π(a|s) T(s,a,s')`.
pub fn policy_value(
    transitions: &Table,
    reward: &Table,
    policy: &[Vec<f64>],
    gamma: f64,
) -> Result<Vec<f64>, RewardError> {
    check_gamma(gamma)?;
    let (states, actions) = check_mdp(transitions, policy, reward)?;
    let mut matrix = vec![vec![0.0; states]; states];
    let mut r_pi = vec![0.0; states];
    for s in 0..states {
        matrix[s][s] = 1.0;
        for a in 0..actions {
            for next in 0..states {
                let weight = policy[s][a] * transitions[s][a][next];
                r_pi[s] += weight * reward[s][a][next];
                matrix[s][next] -= gamma * weight;
            }
        }
    }
    solve(matrix, r_pi)
}

/// Value-adjusted levelling (STARC's default canonicalization): `c(R)(s,a,s') = R(s,a,s') − V^π(s) + γ·V^π(s')`.
pub fn val_canonicalize(
    transitions: &Table,
    reward: &Table,
    policy: &[Vec<f64>],
    gamma: f64,
) -> Result<Vec<Vec<Vec<f64>>>, RewardError> {
    let value = policy_value(transitions, reward, policy, gamma)?;
    Ok(map_table(reward, |s, _, next, r| r - value[s] + gamma * value[next]))
}

fn map_table(table: &Table, f: impl Fn(usize, usize, usize, f64) -> f64) -> Vec<Vec<Vec<f64>>> {
    table
        .iter()
        .enumerate()
        .map(|(s, row)| {
            row.iter()
                .enumerate()
                .map(|(a, next)| next.iter().enumerate().map(|(n, r)| f(s, a, n, *r)).collect())
                .collect()
        })
        .collect()
}

/// The state and action distributions of the EPIC canonicalization. Only uniform distributions are implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EpicDistribution {
    /// D_S and D_A uniform.
    #[default]
    Uniform,
}

/// EPIC canonicalization `C(R)(s,a,s') = R(s,a,s') + γ·E[R(s',A,S')] − E[R(s,A,S')] − γ·E[R(S,A,S')]` with
/// S, S' ~ D_S and A ~ D_A (uniform).
pub fn epic_canonicalize(
    reward: &Table,
    gamma: f64,
    _dist: EpicDistribution,
) -> Result<Vec<Vec<Vec<f64>>>, RewardError> {
    check_gamma(gamma)?;
    shape(reward, "R")?;
    // E[R(x, A, S')] for every state x, and the overall mean E[R(S, A, S')].
    let from_state: Vec<f64> = reward
        .iter()
        .map(|row| mean(&row.iter().flatten().copied().collect::<Vec<_>>()))
        .collect::<Result<_, _>>()?;
    let overall = mean(&from_state)?;
    Ok(map_table(reward, |s, _, next, r| {
        r + gamma * from_state[next] - from_state[s] - gamma * overall
    }))
}

/// Pearson distance `√((1 − ρ)/2)` in [0, 1]. Unequal lengths, fewer than 2 points or zero variance (ρ undefined)
/// → `InvalidParam`.
pub fn pearson_distance(x: &[f64], y: &[f64]) -> Result<f64, RewardError> {
    require(x.len() == y.len(), || {
        format!("pearson needs equal lengths, got {} and {}", x.len(), y.len())
    })?;
    require(x.len() >= 2, || "pearson needs at least 2 points".into())?;
    crate::stats::ensure_finite(x, "pearson x")?;
    crate::stats::ensure_finite(y, "pearson y")?;
    let (mx, my) = (mean(x)?, mean(y)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    require(sxx > 0.0 && syy > 0.0, || {
        "correlation undefined: a canonical reward has zero variance".into()
    })?;
    let rho = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    Ok(((1.0 - rho) / 2.0).sqrt())
}

fn flatten(table: &[Vec<Vec<f64>>]) -> Vec<f64> {
    table.iter().flatten().flatten().copied().collect()
}

/// EPIC distance: Pearson distance of the canonicalized rewards over all (s, a, s') (uniform coverage).
pub fn epic_distance(ra: &Table, rb: &Table, gamma: f64, dist: EpicDistribution) -> Result<f64, RewardError> {
    require(shape(ra, "Ra")? == shape(rb, "Rb")?, || {
        "Ra and Rb have different shapes".into()
    })?;
    pearson_distance(
        &flatten(&epic_canonicalize(ra, gamma, dist)?),
        &flatten(&epic_canonicalize(rb, gamma, dist)?),
    )
}

/// STARC canonicalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Canonicalization {
    /// Value-adjusted levelling under the given policy (the default).
    #[default]
    Val,
    /// EPIC's canonicalization (uniform distributions).
    Epic,
}

/// STARC norm and metric choices (unweighted over all (s, a, s')).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    /// Sum of absolute values.
    L1,
    /// Euclidean (the default).
    #[default]
    L2,
}

impl Norm {
    fn of(self, values: impl Iterator<Item = f64>) -> f64 {
        match self {
            Self::L1 => values.map(f64::abs).sum(),
            Self::L2 => values.map(|v| v * v).sum::<f64>().sqrt(),
        }
    }
}

/// STARC distance `m(s(R_a), s(R_b))` with `s(R) = c(R)/n(c(R))` (or `c(R)` when the norm is 0). With the L2 metric
/// the range is [0, 2].
#[allow(clippy::too_many_arguments)]
pub fn starc_distance(
    transitions: &Table,
    policy: &[Vec<f64>],
    ra: &Table,
    rb: &Table,
    gamma: f64,
    canon: Canonicalization,
    norm: Norm,
    metric: Norm,
) -> Result<f64, RewardError> {
    let standardize = |reward: &Table| -> Result<Vec<f64>, RewardError> {
        let canonical = match canon {
            Canonicalization::Val => val_canonicalize(transitions, reward, policy, gamma)?,
            Canonicalization::Epic => epic_canonicalize(reward, gamma, EpicDistribution::Uniform)?,
        };
        let flat = flatten(&canonical);
        let size = norm.of(flat.iter().copied());
        Ok(if size > 0.0 {
            flat.iter().map(|v| v / size).collect()
        } else {
            flat
        })
    };
    require(shape(ra, "Ra")? == shape(rb, "Rb")?, || {
        "Ra and Rb have different shapes".into()
    })?;
    let (a, b) = (standardize(ra)?, standardize(rb)?);
    Ok(metric.of(a.iter().zip(&b).map(|(x, y)| x - y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_of_a_two_state_chain() {
        // One action; s0 → s1 → s1 forever, reward 1 on every step: V(s1) = 1/(1−γ), V(s0) = 1 + γ·V(s1).
        let t = vec![vec![vec![0.0, 1.0]], vec![vec![0.0, 1.0]]];
        let r = vec![vec![vec![1.0, 1.0]], vec![vec![1.0, 1.0]]];
        let v = policy_value(&t, &r, &[vec![1.0], vec![1.0]], 0.5).unwrap();
        assert!((v[1] - 2.0).abs() < 1e-12 && (v[0] - 2.0).abs() < 1e-12, "{v:?}");
        assert_eq!(
            policy_value(&t, &r, &[vec![1.0], vec![1.0]], 1.0).unwrap_err().kind(),
            "InvalidParam"
        );
    }

    #[test]
    fn pearson_edges() {
        assert_eq!(pearson_distance(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap(), 1.0);
        assert_eq!(pearson_distance(&[1.0, 2.0], &[2.0, 4.0]).unwrap(), 0.0);
        assert_eq!(
            pearson_distance(&[1.0, 1.0], &[2.0, 4.0]).unwrap_err().kind(),
            "InvalidParam"
        );
    }

    #[test]
    fn bad_tables_are_rejected() {
        let t = vec![vec![vec![0.5, 0.6]], vec![vec![0.0, 1.0]]];
        let r = vec![vec![vec![1.0, 1.0]], vec![vec![1.0, 1.0]]];
        assert_eq!(
            policy_value(&t, &r, &[vec![1.0], vec![1.0]], 0.5).unwrap_err().kind(),
            "InvalidParam"
        );
        let ragged = vec![vec![vec![1.0]], vec![vec![1.0, 1.0]]];
        assert_eq!(
            epic_canonicalize(&ragged, 0.9, EpicDistribution::Uniform)
                .unwrap_err()
                .kind(),
            "InvalidParam"
        );
    }
}
