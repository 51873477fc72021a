//! One reward's verdict on one sample.

use serde_json::{Map, Value};

/// The value a reward gives one sample, with the details that explain it (extracted answer, matched tags, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The reward value; always finite.
    pub value: f64,
    /// Per-reward details shown under `diagnostics.<name>` in the output record.
    pub diagnostics: Map<String, Value>,
}

impl Component {
    /// A component with no diagnostics.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            diagnostics: Map::new(),
        }
    }

    /// Adds one diagnostic entry.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.diagnostics.insert(key.to_owned(), value.into());
        self
    }
}
