//! Where a reward kind reads a per-sample scalar it depends on: an earlier component or a record field.

use crate::{BatchContext, KeyError, RewardError, Sample};

/// A per-sample scalar read from an earlier component (`*_from`) or from a record field (`*_field`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ValueSource {
    /// The value of a reward declared earlier in the pipeline.
    Component(String),
    /// A record field holding a number or a boolean (true = 1, false = 0).
    Field(String),
}

impl ValueSource {
    /// Reads the `<from_key>` / `<field_key>` pair; giving both is an error, giving neither is `None`.
    pub(super) fn from_keys(
        component: Option<String>,
        field: Option<String>,
        from_key: &str,
        field_key: &str,
    ) -> Result<Option<Self>, KeyError> {
        match (component, field) {
            (Some(_), Some(_)) => Err(KeyError::new(
                field_key,
                format!("give either `{from_key}` or `{field_key}`, not both"),
            )),
            (Some(name), None) => Ok(Some(Self::Component(name))),
            (None, Some(field)) => Ok(Some(Self::Field(field))),
            (None, None) => Ok(None),
        }
    }

    /// Like [`ValueSource::from_keys`], but one of the two keys is required.
    pub(super) fn required(
        component: Option<String>,
        field: Option<String>,
        from_key: &str,
        field_key: &str,
        why: &str,
    ) -> Result<Self, KeyError> {
        Self::from_keys(component, field, from_key, field_key)?
            .ok_or_else(|| KeyError::new(from_key, format!("{why}: give `{from_key}` or `{field_key}`")))
    }

    /// The value for sample `index`.
    pub(super) fn value(&self, ctx: &BatchContext<'_>, index: usize, sample: &Sample) -> Result<f64, RewardError> {
        match self {
            Self::Component(name) => ctx.earlier_value(name, index),
            Self::Field(field) => {
                let value = sample.field(field)?;
                match value {
                    serde_json::Value::Bool(flag) => Ok(if *flag { 1.0 } else { 0.0 }),
                    _ => sample.number(field),
                }
            }
        }
    }

    /// The components this source reads.
    pub(super) fn depends_on(&self) -> Vec<String> {
        match self {
            Self::Component(name) => vec![name.clone()],
            Self::Field(_) => Vec::new(),
        }
    }
}
