//! The output record: one per input record.

use serde::Serialize;
use serde_json::{Map, Value};

/// The engine's answer for one input record.
///
/// `reward` is `None` exactly when the record could not be scored; `error` then says why, naming the record and
/// the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The input's `id`, else its 0-based index.
    pub id: Value,
    /// The final reward (after combination and shaping), or `None` on error.
    pub reward: Option<f64>,
    /// Each reward's value by name, in pipeline order; `None` where that reward failed.
    pub components: Map<String, Value>,
    /// `None`, or a message naming the record and the field.
    pub error: Option<String>,
    /// Per-component details, plus `combined` (the reward before shaping) when shaping is configured.
    pub diagnostics: Map<String, Value>,
}

impl Score {
    /// A record that could not be scored at all (for example a malformed input line).
    pub fn failed(id: Value, message: String) -> Self {
        Self {
            id,
            reward: None,
            components: Map::new(),
            error: Some(message),
            diagnostics: Map::new(),
        }
    }

    /// The component's value, if it has one.
    pub fn component(&self, name: &str) -> Option<f64> {
        self.components.get(name).and_then(Value::as_f64)
    }
}
