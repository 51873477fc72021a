//! One input record, as every reward sees it.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::RewardError;

/// Field that holds the completion unless a reward says otherwise.
pub const DEFAULT_COMPLETION_FIELD: &str = "completion";
/// Field that holds the reference answer unless a reward says otherwise.
pub const DEFAULT_REFERENCE_FIELD: &str = "reference";

/// One rollout to score: the whole input record plus the identity the pipeline gives it.
///
/// Prompts and completions may be plain text or chat messages (`[{"role": ..., "content": ...}]`, TRL's
/// conversational format); [`Sample::text`] reads either.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The record's `id` if it has one, else its 0-based index in the input.
    pub id: Value,
    /// 0-based position in the input.
    pub index: usize,
    /// Key of the group this rollout belongs to (rollouts of one prompt share it), if any.
    pub group: Option<String>,
    /// The whole record.
    pub record: Map<String, Value>,
}

impl Sample {
    /// Builds a sample from a record; `group_field` names the field whose value forms the group key.
    pub fn from_record(index: usize, record: Map<String, Value>, group_field: &str) -> Self {
        let id = record
            .get("id")
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or_else(|| Value::from(index));
        let group = record.get(group_field).and_then(group_key);
        Self {
            id,
            index,
            group,
            record,
        }
    }

    /// A sample holding only a completion; handy in tests and examples.
    pub fn from_completion(completion: &str) -> Self {
        let mut record = Map::new();
        record.insert(DEFAULT_COMPLETION_FIELD.into(), Value::from(completion));
        Self::from_record(0, record, "group")
    }

    /// Adds or replaces a field; handy in tests and examples.
    #[must_use]
    pub fn with_field(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.record.insert(field.to_owned(), value.into());
        self
    }

    /// The raw value of a field.
    pub fn field(&self, field: &str) -> Result<&Value, RewardError> {
        match self.record.get(field) {
            Some(Value::Null) | None => Err(RewardError::MissingField {
                field: field.to_owned(),
            }),
            Some(value) => Ok(value),
        }
    }

    /// The text of a field: a string as is, chat messages as the content of the last assistant message (or the
    /// last message when none is marked assistant).
    pub fn text(&self, field: &str) -> Result<Cow<'_, str>, RewardError> {
        let value = self.field(field)?;
        match value {
            Value::String(text) => Ok(Cow::Borrowed(text)),
            Value::Array(messages) => last_message_text(messages).ok_or_else(|| RewardError::WrongType {
                field: field.to_owned(),
                expected: "a string or a list of chat messages with `content`",
                found: "a list without message content",
            }),
            other => Err(wrong_type(field, "a string or a list of chat messages", other)),
        }
    }

    /// A field that must be a number.
    pub fn number(&self, field: &str) -> Result<f64, RewardError> {
        let value = self.field(field)?;
        value
            .as_f64()
            .filter(|n| n.is_finite())
            .ok_or_else(|| wrong_type(field, "a finite number", value))
    }

    /// A field that must be a list of numbers.
    pub fn numbers(&self, field: &str) -> Result<Vec<f64>, RewardError> {
        let value = self.field(field)?;
        let Value::Array(items) = value else {
            return Err(wrong_type(field, "a list of numbers", value));
        };
        items
            .iter()
            .map(|item| {
                item.as_f64()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| wrong_type(field, "a list of finite numbers", item))
            })
            .collect()
    }

    /// A field that must be a string or a list of strings (several acceptable references).
    pub fn texts(&self, field: &str) -> Result<Vec<Cow<'_, str>>, RewardError> {
        let value = self.field(field)?;
        match value {
            Value::String(text) => Ok(vec![Cow::Borrowed(text.as_str())]),
            Value::Number(number) => Ok(vec![Cow::Owned(number.to_string())]),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(Cow::Borrowed(text.as_str())),
                    Value::Number(number) => Ok(Cow::Owned(number.to_string())),
                    other => Err(wrong_type(field, "a string or a list of strings", other)),
                })
                .collect(),
            other => Err(wrong_type(field, "a string or a list of strings", other)),
        }
    }
}

fn group_key(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn last_message_text(messages: &[Value]) -> Option<Cow<'_, str>> {
    let is_assistant = |m: &&Value| m.get("role").and_then(Value::as_str) == Some("assistant");
    let message = messages.iter().rev().find(is_assistant).or_else(|| messages.last())?;
    match message.get("content")? {
        Value::String(text) => Some(Cow::Borrowed(text)),
        // OpenAI-style content parts: [{"type": "text", "text": "..."}]
        Value::Array(parts) => Some(Cow::Owned(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        )),
        _ => None,
    }
}

/// A [`RewardError::WrongType`] describing what `value` actually is.
pub fn wrong_type(field: &str, expected: &'static str, value: &Value) -> RewardError {
    RewardError::WrongType {
        field: field.to_owned(),
        expected,
        found: json_type_name(value),
    }
}

/// "a string", "a number", ... for error messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(record: Value) -> Sample {
        let Value::Object(map) = record else { panic!() };
        Sample::from_record(7, map, "group")
    }

    #[test]
    fn id_falls_back_to_index_and_group_is_stringified() {
        let s = sample(json!({"completion": "x", "group": 3}));
        assert_eq!(s.id, json!(7));
        assert_eq!(s.group.as_deref(), Some("3"));
        let s = sample(json!({"id": "a", "completion": "x"}));
        assert_eq!(s.id, json!("a"));
        assert_eq!(s.group, None);
    }

    #[test]
    fn text_reads_strings_and_chat_messages() {
        let s = sample(json!({"completion": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a1"},
            {"role": "tool", "content": "t"}
        ]}));
        assert_eq!(s.text("completion").unwrap(), "a1");
        let s = sample(json!({"completion": [{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]}));
        assert_eq!(s.text("completion").unwrap(), "hi");
    }

    #[test]
    fn missing_and_wrong_typed_fields_are_named() {
        let s = sample(json!({"completion": 5, "reference": null}));
        assert_eq!(
            s.text("completion").unwrap_err().to_string(),
            "field `completion` must be a string or a list of chat messages, found a number"
        );
        assert_eq!(
            s.text("reference").unwrap_err().to_string(),
            "missing field `reference`"
        );
    }
}
