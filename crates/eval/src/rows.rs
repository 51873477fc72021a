//! Typed access to the fields of one input row, with errors that name the row and the field.

use assay_core::json_type_name;
use serde_json::{Map, Value};

use crate::EvalError;

/// One input row and its position.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// 0-based position in the input.
    pub index: usize,
    /// The row's fields.
    pub fields: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    /// Wraps the row at `index`.
    pub fn new(index: usize, fields: &'a Map<String, Value>) -> Self {
        Self { index, fields }
    }

    /// The row's `id` as text (its index when it has none).
    pub fn id(&self) -> String {
        match self.fields.get("id") {
            Some(Value::String(text)) => text.clone(),
            Some(value) if !value.is_null() => value.to_string(),
            _ => self.index.to_string(),
        }
    }

    /// An error about this row.
    pub fn error(&self, message: impl Into<String>) -> EvalError {
        EvalError::Row {
            index: self.index,
            id: self.id(),
            message: message.into(),
        }
    }

    /// Whether the row has a non-null `field`.
    pub fn has(&self, field: &str) -> bool {
        self.fields.get(field).is_some_and(|v| !v.is_null())
    }

    fn get(&self, field: &str) -> Result<&'a Value, EvalError> {
        match self.fields.get(field) {
            Some(value) if !value.is_null() => Ok(value),
            _ => Err(self.error(format!("missing field `{field}`"))),
        }
    }

    fn wrong(&self, field: &str, expected: &str, value: &Value) -> EvalError {
        self.error(format!(
            "field `{field}` must be {expected}, found {}",
            json_type_name(value)
        ))
    }

    /// A finite number.
    pub fn number(&self, field: &str) -> Result<f64, EvalError> {
        let value = self.get(field)?;
        let number = value.as_f64().ok_or_else(|| self.wrong(field, "a number", value))?;
        if number.is_finite() {
            Ok(number)
        } else {
            Err(self.error(format!("field `{field}` is not finite")))
        }
    }

    /// A non-empty list of finite numbers.
    pub fn numbers(&self, field: &str) -> Result<Vec<f64>, EvalError> {
        let value = self.get(field)?;
        let list = value
            .as_array()
            .ok_or_else(|| self.wrong(field, "a list of numbers", value))?;
        if list.is_empty() {
            return Err(self.error(format!("field `{field}` is an empty list")));
        }
        list.iter()
            .enumerate()
            .map(|(i, item)| match item.as_f64() {
                Some(number) if number.is_finite() => Ok(number),
                _ => Err(self.error(format!("field `{field}`[{i}] must be a finite number"))),
            })
            .collect()
    }

    /// A string (numbers are accepted and printed).
    pub fn text(&self, field: &str) -> Result<String, EvalError> {
        match self.get(field)? {
            Value::String(text) => Ok(text.clone()),
            Value::Number(number) => Ok(number.to_string()),
            other => Err(self.wrong(field, "a string", other)),
        }
    }

    /// A non-empty list of strings.
    pub fn texts(&self, field: &str) -> Result<Vec<String>, EvalError> {
        let value = self.get(field)?;
        let list = value
            .as_array()
            .ok_or_else(|| self.wrong(field, "a list of strings", value))?;
        if list.is_empty() {
            return Err(self.error(format!("field `{field}` is an empty list")));
        }
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.error(format!("field `{field}`[{i}] must be a string")))
            })
            .collect()
    }

    /// A boolean; 0/1 and "true"/"false" are accepted.
    pub fn boolean(&self, field: &str) -> Result<bool, EvalError> {
        let value = self.get(field)?;
        match value {
            Value::Bool(flag) => Ok(*flag),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(self.wrong(field, "a boolean (true/false or 1/0)", other)),
        }
    }
}

/// Wraps every row with its index.
pub fn rows(records: &[Map<String, Value>]) -> impl Iterator<Item = Row<'_>> {
    records
        .iter()
        .enumerate()
        .map(|(index, fields)| Row::new(index, fields))
}

/// Fails on an empty input.
pub fn non_empty(records: &[Map<String, Value>], what: &str) -> Result<(), EvalError> {
    if records.is_empty() {
        Err(EvalError::Input(format!("no rows: {what} needs at least one")))
    } else {
        Ok(())
    }
}
