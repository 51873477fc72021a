//! How component values become one reward: `[combine]`.

use serde::Deserialize;

/// How weighted component values are merged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CombineMode {
    /// Σ wᵢ·vᵢ (the default).
    #[default]
    Sum,
    /// Π wᵢ·vᵢ.
    Product,
    /// min wᵢ·vᵢ.
    Min,
    /// max wᵢ·vᵢ.
    Max,
}

/// One name or several.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// `gate = "format"`.
    One(String),
    /// `gate = ["format", "length"]`.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The names as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(name) => vec![name],
            Self::Many(names) => names,
        }
    }
}

/// The `[combine]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombineConfig {
    /// How to merge the weighted values.
    #[serde(default)]
    pub mode: CombineMode,
    /// Components that must all be > 0 for the combined value to count.
    #[serde(default)]
    pub gate: Option<OneOrMany>,
    /// The total when the gate is closed.
    #[serde(default)]
    pub gate_value: f64,
}

impl Default for CombineConfig {
    fn default() -> Self {
        Self {
            mode: CombineMode::Sum,
            gate: None,
            gate_value: 0.0,
        }
    }
}

/// A validated combination rule, with gate names resolved to component positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Combine {
    /// How to merge.
    pub mode: CombineMode,
    /// Positions of the gate components.
    pub gate: Vec<usize>,
    /// The total when the gate is closed.
    pub gate_value: f64,
}

impl Combine {
    /// Merges one sample's component values (`weights[i]` applies to `values[i]`).
    pub fn apply(&self, weights: &[f64], values: &[f64]) -> f64 {
        if self.gate.iter().any(|&i| values[i] <= 0.0) {
            return self.gate_value;
        }
        let weighted = weights.iter().zip(values).map(|(w, v)| w * v);
        match self.mode {
            CombineMode::Sum => weighted.sum(),
            CombineMode::Product => weighted.product(),
            CombineMode::Min => weighted.fold(f64::INFINITY, f64::min),
            CombineMode::Max => weighted.fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combine(mode: CombineMode, gate: Vec<usize>) -> Combine {
        Combine {
            mode,
            gate,
            gate_value: -1.0,
        }
    }

    #[test]
    fn modes_weight_each_value() {
        let (w, v) = ([0.5, 2.0], [1.0, 0.25]);
        assert_eq!(combine(CombineMode::Sum, vec![]).apply(&w, &v), 1.0);
        assert_eq!(combine(CombineMode::Product, vec![]).apply(&w, &v), 0.25);
        assert_eq!(combine(CombineMode::Min, vec![]).apply(&w, &v), 0.5);
        assert_eq!(combine(CombineMode::Max, vec![]).apply(&w, &v), 0.5);
    }

    #[test]
    fn closed_gate_gives_gate_value() {
        let c = combine(CombineMode::Sum, vec![1]);
        assert_eq!(c.apply(&[1.0, 1.0], &[1.0, 0.0]), -1.0);
        assert_eq!(c.apply(&[1.0, 1.0], &[1.0, 0.5]), 1.5);
    }
}
