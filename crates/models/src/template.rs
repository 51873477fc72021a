//! Prompt templates: text with `{prompt}`, `{completion}`, `{reference}` (and kind-specific) placeholders, checked
//! when the pipeline is built. `{{` and `}}` stand for literal braces.

use assay_core::{KeyError, RewardError, Sample};

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Slot(String),
}

/// Where the record placeholders read from.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Field holding the prompt.
    pub prompt: String,
    /// Field holding the completion.
    pub completion: String,
    /// Field holding the reference.
    pub reference: String,
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Placeholders filled from the record.
const RECORD_SLOTS: [&str; 3] = ["prompt", "completion", "reference"];

impl Template {
    /// Parses `text`; `extra` names the kind's own placeholders (e.g. `rubric`). Errors name `key`.
    pub fn parse(key: &str, text: &str, extra: &[&str]) -> Result<Self, KeyError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if !RECORD_SLOTS.contains(&name.as_str()) && !extra.contains(&name.as_str()) {
                        let known: Vec<_> = RECORD_SLOTS.iter().chain(extra).map(|s| format!("{{{s}}}")).collect();
                        return Err(KeyError::new(
                            key,
                            format!(
                                "unknown placeholder `{{{name}}}`; use {} (write `{{{{` for a literal brace)",
                                known.join(", ")
                            ),
                        ));
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Slot(name));
                }
                '}' => return Err(KeyError::new(key, "unmatched `}` (write `}}` for a literal brace)")),
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Self { pieces })
    }

    /// Whether the template uses a placeholder.
    pub fn uses(&self, slot: &str) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Slot(s) if s == slot))
    }

    /// Fills the template from a sample; `extra` gives the kind's own placeholders and overrides record ones.
    pub fn render(&self, sample: &Sample, fields: &Fields, extra: &[(&str, &str)]) -> Result<String, RewardError> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(slot) => match extra.iter().find(|(name, _)| name == slot) {
                    Some((_, value)) => out.push_str(value),
                    None => match slot.as_str() {
                        "prompt" => out.push_str(&sample.text(&fields.prompt)?),
                        "completion" => out.push_str(&sample.text(&fields.completion)?),
                        "reference" => out.push_str(&sample.texts(&fields.reference)?.join("\n")),
                        _ => {}
                    },
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            prompt: "prompt".into(),
            completion: "completion".into(),
            reference: "reference".into(),
        }
    }

    #[test]
    fn fills_placeholders_and_escapes() {
        let t = Template::parse(
            "template",
            "Q: {prompt} A: {completion} {{json}} [{rubric}]",
            &["rubric"],
        )
        .unwrap();
        let s = Sample::from_completion("4").with_field("prompt", "2+2?");
        assert_eq!(
            t.render(&s, &fields(), &[("rubric", "be strict")]).unwrap(),
            "Q: 2+2? A: 4 {json} [be strict]"
        );
        assert!(t.uses("prompt") && !t.uses("reference"));
        let overridden = t.render(&s, &fields(), &[("completion", "5"), ("rubric", "")]).unwrap();
        assert_eq!(overridden, "Q: 2+2? A: 5 {json} []");
    }

    #[test]
    fn unknown_placeholder_and_missing_field_are_errors() {
        let err = Template::parse("template", "{answer}", &[]).unwrap_err();
        assert!(err.message.contains("unknown placeholder `{answer}`"), "{err}");
        let t = Template::parse("template", "{reference}", &[]).unwrap();
        let err = t.render(&Sample::from_completion("x"), &fields(), &[]).unwrap_err();
        assert_eq!(err.to_string(), "missing field `reference`");
    }
}
