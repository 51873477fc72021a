//! `reasoning_steps`: open-r1's `reasoning_steps_reward` (`mode = "pattern"`), or the spec's Reasoning Pattern
//! Reward (§15, `mode = "phrases"`: distinct configured phrases, min(hits, target)/target — RECONSTRUCTED in the
//! spec).

use ::regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use serde_json::Value;

use super::common::{check_field_name, completion_field};
use super::extract::thinking;
use crate::spec::rpr::rpr_reward;
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "reasoning_steps",
        summary: "step-by-step markers (open-r1) or distinct reasoning phrases (RPR): min(count, target)/target",
        build,
    }
}

/// open-r1's pattern, verbatim. Without the MULTILINE flag `^\d+\.` matches only at the very start of the text.
const OPEN_R1_PATTERN: &str = r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)";

/// Default RPR phrases (the spec names "first, I need to" and "let me verify"; the rest is our choice).
const DEFAULT_PHRASES: &[&str] = &[
    "first, i need to",
    "let me verify",
    "let me check",
    "let's break this down",
    "alternatively",
    "wait",
    "double-check",
    "in summary",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Pattern,
    Phrases,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Scope {
    Completion,
    Thinking,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    mode: Mode,
    pattern: Option<String>,
    phrases: Option<Vec<String>>,
    target: Option<i64>,
    scope: Option<Scope>,
    #[serde(default = "completion_field")]
    completion_field: String,
}

enum Matcher {
    Pattern(Regex),
    Phrases { set: RegexSet, phrases: Vec<String> },
}

struct ReasoningSteps {
    matcher: Matcher,
    target: usize,
    scope: Scope,
    field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(ReasoningSteps::new(&spec.params)?))
}

/// `phrase` as a case-insensitive literal, anchored at word boundaries where it starts or ends with a word
/// character (so "wait" does not fire inside "await").
fn phrase_pattern(phrase: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let start = if word(phrase.chars().next()) { r"\b" } else { "" };
    let end = if word(phrase.chars().next_back()) { r"\b" } else { "" };
    format!("{start}{}{end}", ::regex::escape(phrase))
}

impl ReasoningSteps {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        let target = match params.target {
            None => 3,
            Some(t) => usize::try_from(t)
                .ok()
                .filter(|&t| t >= 1)
                .ok_or_else(|| KeyError::new("target", format!("must be a whole number ≥ 1, found {t}")))?,
        };
        let matcher = match params.mode {
            Mode::Pattern => {
                if params.phrases.is_some() {
                    return Err(KeyError::new("phrases", "only applies to mode = \"phrases\""));
                }
                let pattern = params.pattern.as_deref().unwrap_or(OPEN_R1_PATTERN);
                let regex = Regex::new(pattern)
                    .map_err(|err| KeyError::new("pattern", format!("not a valid regular expression: {err}")))?;
                Matcher::Pattern(regex)
            }
            Mode::Phrases => {
                if params.pattern.is_some() {
                    return Err(KeyError::new("pattern", "only applies to mode = \"pattern\""));
                }
                let phrases = params
                    .phrases
                    .unwrap_or_else(|| DEFAULT_PHRASES.iter().map(|p| (*p).to_owned()).collect());
                if phrases.is_empty() {
                    return Err(KeyError::new("phrases", "must list at least one phrase"));
                }
                for (index, phrase) in phrases.iter().enumerate() {
                    if phrase.trim().is_empty() {
                        return Err(KeyError::new(format!("phrases[{index}]"), "must not be blank"));
                    }
                    if phrases[..index]
                        .iter()
                        .any(|p| p.to_lowercase() == phrase.to_lowercase())
                    {
                        return Err(KeyError::new(
                            format!("phrases[{index}]"),
                            format!("{phrase:?} is listed twice (phrases match regardless of case)"),
                        ));
                    }
                }
                if target > phrases.len() {
                    return Err(KeyError::new(
                        "target",
                        format!(
                            "is {target} but only {} phrases are listed, so the reward could never reach 1",
                            phrases.len()
                        ),
                    ));
                }
                let set = RegexSetBuilder::new(phrases.iter().map(|p| phrase_pattern(p)))
                    .case_insensitive(true)
                    .build()
                    .map_err(|err| KeyError::new("phrases", format!("cannot compile the phrases: {err}")))?;
                Matcher::Phrases { set, phrases }
            }
        };
        let scope = params.scope.unwrap_or(match params.mode {
            Mode::Pattern => Scope::Completion,
            Mode::Phrases => Scope::Thinking,
        });
        Ok(Self {
            matcher,
            target,
            scope,
            field: params.completion_field,
        })
    }
}

impl SampleReward for ReasoningSteps {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.field)?;
        let text = match self.scope {
            Scope::Completion => &completion[..],
            // Without think tags the whole completion is the reasoning.
            Scope::Thinking => thinking(&completion).unwrap_or(&completion),
        };
        let (count, hits) = match &self.matcher {
            Matcher::Pattern(regex) => (regex.find_iter(text).count(), None),
            Matcher::Phrases { set, phrases } => {
                let hits: Vec<Value> = set
                    .matches(text)
                    .iter()
                    .map(|index| Value::from(phrases[index].as_str()))
                    .collect();
                (hits.len(), Some(hits))
            }
        };
        let value = match self.matcher {
            Matcher::Phrases { .. } => rpr_reward(count, self.target)?,
            #[allow(clippy::cast_precision_loss)]
            Matcher::Pattern(_) => count.min(self.target) as f64 / self.target as f64,
        };
        let component = Component::new(value).with("count", count);
        Ok(match hits {
            Some(hits) => component.with("hits", Value::Array(hits)),
            None => component,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<ReasoningSteps, KeyError> {
        ReasoningSteps::new(&TableParams(toml.parse().unwrap()))
    }

    fn value(toml: &str, text: &str) -> f64 {
        reward(toml)
            .unwrap()
            .score(&Sample::from_completion(text))
            .unwrap()
            .value
    }

    #[test]
    fn open_r1_pattern() {
        assert_eq!(value("", "Step 1: a\nStep 2: b\nStep 3: c"), 1.0);
        assert_eq!(value("", "First, x. Next, y."), 2.0 / 3.0);
        // `^` without MULTILINE: only a numbered item at the very start counts.
        assert_eq!(value("", "1. a\n2. b\n3. c"), 1.0 / 3.0);
        assert_eq!(value("", "intro\n- a\n- b\n* c"), 1.0);
        assert_eq!(value("", "nothing here"), 0.0);
        assert_eq!(value("target = 1", "Finally, done"), 1.0);
        assert_eq!(value("pattern = '(?m)^\\d+\\.'", "1. a\n2. b\n3. c"), 1.0);
        // Unicode digits count as \d, as in Python.
        assert_eq!(value("target = 1", "Step ٣: x"), 1.0);
    }

    #[test]
    fn phrases_mode_counts_distinct_phrases_in_the_thinking() {
        let toml = "mode = 'phrases'\nphrases = ['let me verify', 'wait', 'alternatively', 'so']\ntarget = 4";
        let text = "<think>Wait, let me verify. WAIT. Alternatively...</think>so the answer is 3";
        // 3 distinct hits in the thinking (the final "so" is outside it) → 3/4, the spec's [rpr_count].
        let c = reward(toml).unwrap().score(&Sample::from_completion(text)).unwrap();
        assert_eq!(c.value, 0.75);
        assert_eq!(
            c.diagnostics["hits"],
            serde_json::json!(["let me verify", "wait", "alternatively"])
        );
        assert_eq!(value(&format!("{toml}\nscope = 'completion'"), text), 1.0);
        // Word boundaries: "await" is not "wait".
        assert_eq!(value(toml, "we await results"), 0.0);
        assert_eq!(value("mode = 'phrases'", "First, I need to... wait, let me check"), 1.0);
    }

    #[test]
    fn bad_keys() {
        assert_eq!(reward("target = 0").err().unwrap().key, "target");
        assert_eq!(reward("pattern = '['").err().unwrap().key, "pattern");
        assert_eq!(reward("phrases = ['a']").err().unwrap().key, "phrases");
        assert_eq!(reward("mode = 'phrases'\npattern = 'a'").err().unwrap().key, "pattern");
        assert_eq!(reward("mode = 'phrases'\nphrases = []").err().unwrap().key, "phrases");
        assert_eq!(
            reward("mode = 'phrases'\nphrases = ['a', ' ']").err().unwrap().key,
            "phrases[1]"
        );
        let duplicate = reward("mode = 'phrases'\nphrases = ['Ab', 'aB']").err().unwrap();
        assert_eq!(duplicate.key, "phrases[1]");
        assert_eq!(
            reward("mode = 'phrases'\nphrases = ['a']\ntarget = 2")
                .err()
                .unwrap()
                .key,
            "target"
        );
        assert_eq!(reward("scope = 'all'").err().unwrap().key, "scope");
        assert_eq!(reward("targett = 2").err().unwrap().key, "targett");
    }

    #[test]
    fn long_input() {
        let text = "Step 1: ok ".repeat(100_000);
        assert_eq!(value("", &text), 1.0);
    }
}
