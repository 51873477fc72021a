//! Small pieces shared by the text rewards: default field names, reference lists, diagnostic snippets.

use std::borrow::Cow;

use serde_json::Value;

use super::extract::{Answer, Extract, extract, unwrap_lone_boxed};
use super::normalize::Normalize;
use crate::{Component, DEFAULT_COMPLETION_FIELD, DEFAULT_REFERENCE_FIELD, KeyError, RewardError, Sample};

/// Longest text (in characters) copied into a diagnostic; longer text is cut with an ellipsis.
const SNIPPET_CHARS: usize = 200;

/// serde default for `completion_field`.
pub(crate) fn completion_field() -> String {
    DEFAULT_COMPLETION_FIELD.to_owned()
}

/// serde default for `reference_field`.
pub(crate) fn reference_field() -> String {
    DEFAULT_REFERENCE_FIELD.to_owned()
}

/// Rejects an empty field name so a typo like `completion_field = ""` fails at load time.
pub(crate) fn check_field_name(key: &str, value: &str) -> Result<(), KeyError> {
    if value.trim().is_empty() {
        return Err(KeyError::new(key, "must name a record field, found an empty string"));
    }
    Ok(())
}

/// The acceptable references of a sample: a string or a non-empty list of non-blank strings. A reference that
/// is a lone `\boxed{x}` (as in MATH solutions) stands for `x`.
pub(crate) fn references<'s>(sample: &'s Sample, field: &str) -> Result<Vec<Cow<'s, str>>, RewardError> {
    let references = sample.texts(field)?;
    if references.is_empty() {
        return Err(RewardError::EmptyInput(format!("field `{field}` lists no reference")));
    }
    if references.iter().any(|r| r.trim().is_empty()) {
        return Err(RewardError::EmptyInput(format!(
            "field `{field}` holds a blank reference"
        )));
    }
    Ok(references
        .into_iter()
        .map(|reference| match reference {
            Cow::Borrowed(text) => Cow::Borrowed(unwrap_lone_boxed(text.trim())),
            Cow::Owned(text) => Cow::Owned(unwrap_lone_boxed(text.trim()).to_owned()),
        })
        .collect())
}

/// Where a reference-based reward (`exact_match`, `f1`, `contains`) finds the answer and the references, and how
/// it extracts and normalizes them.
pub(crate) struct AnswerSource {
    pub(crate) normalize: Normalize,
    extract: Extract,
    completion_field: String,
    reference_field: String,
}

impl AnswerSource {
    pub(crate) fn new(
        extract: Extract,
        normalize: Normalize,
        completion_field: String,
        reference_field: String,
    ) -> Result<Self, KeyError> {
        check_field_name("completion_field", &completion_field)?;
        check_field_name("reference_field", &reference_field)?;
        Ok(Self {
            normalize,
            extract,
            completion_field,
            reference_field,
        })
    }

    /// Extracts the sample's answer strictly and lets `judge` compare it with the references. A completion with
    /// no extractable answer earns no credit (with the reason); the component records the extracted answer and
    /// how it was found, then the judge's own diagnostics.
    pub(crate) fn judge(
        &self,
        sample: &Sample,
        judge: impl FnOnce(&Answer<'_>, &[Cow<'_, str>]) -> Component,
    ) -> Result<Component, RewardError> {
        let completion = sample.text(&self.completion_field)?;
        let references = references(sample, &self.reference_field)?;
        Ok(match extract(&completion, self.extract) {
            Ok(answer) => {
                let verdict = judge(&answer, &references);
                let mut component = Component::new(verdict.value)
                    .with("extracted", snippet(&answer.text))
                    .with("method", answer.method);
                component.diagnostics.extend(verdict.diagnostics);
                component
            }
            Err(reason) => no_answer(reason.0),
        })
    }
}

/// The component for a completion that has no extractable answer: no credit, and the reason why.
pub(crate) fn no_answer(reason: String) -> Component {
    Component::new(0.0)
        .with("extracted", Value::Null)
        .with("reason", reason)
}

/// A diagnostic-sized copy of `text`, cut at a character boundary.
pub(crate) fn snippet(text: &str) -> Value {
    match text.char_indices().nth(SNIPPET_CHARS) {
        None => Value::from(text),
        Some((cut, _)) => Value::from(format!("{}…", &text[..cut])),
    }
}

/// Python's `str.isspace` (Unicode White_Space plus the ASCII information separators U+001C..U+001F), so that
/// word splitting matches open-r1's `str.split()`.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_cuts_on_char_boundaries() {
        let long = "é🙂".repeat(300);
        let Value::String(cut) = snippet(&long) else { panic!() };
        assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(snippet("short"), Value::from("short"));
    }

    #[test]
    fn empty_reference_list_is_an_error() {
        let sample = Sample::from_completion("x").with_field("reference", Value::Array(vec![]));
        assert_eq!(references(&sample, "reference").unwrap_err().kind(), "EmptyInput");
        let sample = sample.with_field("reference", serde_json::json!(["a", " "]));
        assert_eq!(references(&sample, "reference").unwrap_err().kind(), "EmptyInput");
        let sample = sample.with_field("reference", serde_json::json!(["a", 2]));
        assert_eq!(references(&sample, "reference").unwrap()[1], "2");
        let sample = sample.with_field(
            "reference",
            serde_json::json!(["$\\boxed{\\frac{1}{2}}$", " \\boxed{3} or 4"]),
        );
        assert_eq!(
            references(&sample, "reference").unwrap(),
            ["\\frac{1}{2}", "\\boxed{3} or 4"]
        );
    }
}
