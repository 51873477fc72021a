//! `kind = "math"`: 1 when the completion's final answer equals the reference answer.

use crate::{MatchType, Options, Status, verify};
use assay_core::{
    Component, KeyError, Kind, Registry, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward,
};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Adds the `math` kind to a registry.
pub fn register(registry: &mut Registry) {
    registry.add_reward(kind());
}

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "math",
        summary: "1 if the completion's final math answer is equivalent to the reference answer (Math-Verify rules, exact arithmetic), else 0",
        build,
    }
}

fn default_answer_field() -> String {
    "answer".into()
}

fn default_completion_field() -> String {
    "completion".into()
}

fn default_match_types() -> Vec<String> {
    vec!["latex".into(), "expr".into()]
}

fn default_precision() -> u32 {
    6
}

fn default_true() -> bool {
    true
}

fn default_boxed_priority() -> i32 {
    50
}

fn default_mode() -> String {
    "math".into()
}

fn default_timeout_ms() -> u64 {
    50
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MathParams {
    #[serde(default = "default_answer_field")]
    answer_field: String,
    #[serde(default = "default_completion_field")]
    completion_field: String,
    #[serde(default = "default_match_types")]
    match_types: Vec<String>,
    #[serde(default = "default_precision")]
    precision: u32,
    #[serde(default = "default_true")]
    strict: bool,
    #[serde(default)]
    allow_set_relation_comp: bool,
    #[serde(default = "default_boxed_priority")]
    boxed_match_priority: i32,
    /// "math" or "string" (multiple choice).
    #[serde(default = "default_mode")]
    mode: String,
    #[serde(default)]
    choices: Option<Vec<String>>,
    #[serde(default = "default_true")]
    lowercase: bool,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
    /// Let an answer inside the thinking section count when none follows `</think>` (Math-Verify's behaviour,
    /// which knows nothing of thinking sections). Off by default: hidden answers earn nothing.
    #[serde(default)]
    answer_in_thinking: bool,
}

struct MathReward {
    answer_in_thinking: bool,
    answer_field: String,
    completion_field: String,
    options: Options,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(MathReward::new(&spec.params)?))
}

impl MathReward {
    fn new(params: &assay_core::Params) -> Result<Self, KeyError> {
        let p: MathParams = params.parse()?;
        for (key, value) in [
            ("answer_field", &p.answer_field),
            ("completion_field", &p.completion_field),
        ] {
            if value.trim().is_empty() {
                return Err(KeyError::new(key, "must not be empty"));
            }
        }
        let options = options_from(&p)?;
        Ok(MathReward {
            answer_field: p.answer_field,
            completion_field: p.completion_field,
            answer_in_thinking: p.answer_in_thinking,
            options,
        })
    }
}

/// Verification options from the keys a `kind = "math"` table takes (`match_types`, `precision`, `strict`,
/// `allow_set_relation_comp`, `boxed_match_priority`, `mode`, `choices`, `lowercase`, `timeout_ms`), given as a
/// JSON object — e.g. the `options` of an `assay math` record. Unknown keys are errors.
pub fn options_from_json(value: &Value) -> Result<Options, KeyError> {
    let p: MathParams =
        serde_json::from_value(value.clone()).map_err(|err| KeyError::new("options", err.to_string()))?;
    options_from(&p)
}

fn options_from(p: &MathParams) -> Result<Options, KeyError> {
    let mut match_types = Vec::new();
    for m in &p.match_types {
        match m.as_str() {
            "latex" => match_types.push(MatchType::Latex),
            "expr" => match_types.push(MatchType::Expr),
            other => {
                return Err(KeyError::new(
                    "match_types",
                    format!("unknown match type `{other}` (use latex, expr)"),
                ));
            }
        }
    }
    if match_types.is_empty() {
        return Err(KeyError::new("match_types", "needs at least one of latex, expr"));
    }
    if p.precision > 50 {
        return Err(KeyError::new("precision", "must be at most 50 decimal places"));
    }
    if p.timeout_ms == 0 || p.timeout_ms > 60_000 {
        return Err(KeyError::new("timeout_ms", "must be between 1 and 60000"));
    }
    let choices = match p.mode.as_str() {
        "math" => {
            if p.choices.is_some() {
                return Err(KeyError::new("choices", "only used with mode = \"string\""));
            }
            None
        }
        "string" => {
            let c = p
                .choices
                .clone()
                .unwrap_or_else(|| ["A", "B", "C", "D"].iter().map(|s| s.to_string()).collect());
            if c.is_empty() || c.iter().any(|s| s.is_empty()) {
                return Err(KeyError::new("choices", "must be non-empty strings"));
            }
            Some(c)
        }
        other => {
            return Err(KeyError::new(
                "mode",
                format!("unknown mode `{other}` (use math, string)"),
            ));
        }
    };
    let mut options = Options {
        match_types,
        precision: p.precision,
        strict: p.strict,
        allow_set_relation_comp: p.allow_set_relation_comp,
        boxed_match_priority: p.boxed_match_priority,
        choices,
        lowercase: p.lowercase,
        ..Options::default()
    };
    options.limits.time = Duration::from_millis(p.timeout_ms);
    Ok(options)
}

/// The part of a completion that may hold the answer: after the last `</think>`; nothing when a `<think>` is
/// never closed; everything when there is no thinking section.
fn outside_thinking(completion: &str) -> &str {
    if let Some(end) = completion.rfind("</think>") {
        &completion[end + "</think>".len()..]
    } else if completion.contains("<think>") {
        ""
    } else {
        completion
    }
}

/// A reference field holds an answer, not a completion: bare LaTeX such as `(-\infty, 3]` is read as math (as
/// Math-Verify's README advises, by wrapping it in `$…$`) unless it already carries its own delimiters.
fn as_math_answer(gold: String) -> String {
    if gold.contains('$') || gold.contains("\\boxed") || gold.contains("\\(") || gold.contains("\\[") {
        gold
    } else {
        format!("${gold}$")
    }
}

/// The reference answer: a string, or a number written as JSON (e.g. `18`).
fn answer_text(sample: &Sample, field: &str) -> Result<String, RewardError> {
    match sample.field(field)? {
        Value::Number(n) => Ok(n.to_string()),
        _ => Ok(sample.text(field)?.into_owned()),
    }
}

impl SampleReward for MathReward {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.completion_field)?;
        let completion = if self.answer_in_thinking {
            &completion[..]
        } else {
            outside_thinking(&completion)
        };
        let gold = answer_text(sample, &self.answer_field)?;
        let gold = if self.options.choices.is_some() {
            gold
        } else {
            as_math_answer(gold)
        };
        let verdict = verify(&gold, completion, &self.options);
        let opt = |s: Option<String>| s.map_or(Value::Null, Value::from);
        Ok(Component::new(if verdict.status == Status::Equal { 1.0 } else { 0.0 })
            .with("extracted", opt(verdict.extracted))
            .with("normal_form", opt(verdict.normal_form))
            .with("status", verdict.status.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assay_core::Params;
    use serde_json::json;

    fn reward(toml_text: &str) -> Result<MathReward, KeyError> {
        let table: toml::Table = toml::from_str(toml_text).expect("valid TOML");
        MathReward::new(&Params(table))
    }

    fn sample(answer: Value, completion: &str) -> Sample {
        Sample::from_completion(completion).with_field("answer", answer)
    }

    #[test]
    fn scores_equal_answers_with_diagnostics() {
        reward("").expect("defaults are valid");
        // A generous budget: a loaded test machine must not turn verdicts into `unknown`.
        let r = reward("timeout_ms = 5000").expect("valid");
        let c = r
            .score(&sample(json!("\\frac{1}{2}"), "so the answer is $\\boxed{0.5}$"))
            .expect("scored");
        assert_eq!(c.value, 1.0);
        assert_eq!(c.diagnostics["status"], json!("equal"));
        assert_eq!(c.diagnostics["extracted"], json!("0.5"));
        let c = r
            .score(&sample(json!(18), "The answer is $\\boxed{26}$"))
            .expect("scored");
        assert_eq!(c.value, 0.0);
        assert_eq!(c.diagnostics["status"], json!("not_equal"));
        let c = r.score(&sample(json!("3"), "no idea")).expect("scored");
        assert_eq!(c.diagnostics["status"], json!("no_answer"));
    }

    #[test]
    fn answers_inside_the_thinking_section_do_not_count() {
        let r = reward("timeout_ms = 5000").expect("valid");
        for hidden in [
            "<think>maybe \\boxed{7}</think> I am not sure.",
            "<think>the answer is 7 ... still thinking",
        ] {
            let c = r.score(&sample(json!("7"), hidden)).expect("scored");
            assert_eq!(c.value, 0.0, "{hidden}");
            assert_eq!(c.diagnostics["status"], json!("no_answer"), "{hidden}");
        }
        let c = r
            .score(&sample(json!("7"), "<think>maybe 6</think> so $\\boxed{7}$"))
            .expect("scored");
        assert_eq!(c.value, 1.0);
        let lenient = reward("timeout_ms = 5000\nanswer_in_thinking = true").expect("valid");
        let c = lenient
            .score(&sample(json!("7"), "<think>maybe \\boxed{7}</think> I am not sure."))
            .expect("scored");
        assert_eq!(c.value, 1.0);
    }

    #[test]
    fn bare_latex_references_are_read_as_math() {
        let r = reward("timeout_ms = 5000").expect("valid");
        for (gold, completion) in [
            ("(-\\infty, 3]", "The solution set is $\\boxed{(-\\infty, 3]}$."),
            ("[1,3]", "$\\boxed{[1,3]}$"),
            ("$\\frac{1}{2}$", "\\boxed{0.5}"),
        ] {
            let c = r.score(&sample(json!(gold), completion)).expect("scored");
            assert_eq!(c.value, 1.0, "{gold} vs {completion}: {:?}", c.diagnostics);
        }
    }

    #[test]
    fn multiple_choice_mode() {
        let r = reward("mode = \"string\"\ntimeout_ms = 5000").expect("valid");
        let c = r.score(&sample(json!("B"), "Because B is valid")).expect("scored");
        assert_eq!(c.value, 1.0);
    }

    #[test]
    fn bad_keys_are_named() {
        assert_eq!(
            reward("precison = 3").err().map(|e| e.key),
            Some("precison".to_string())
        );
        assert_eq!(
            reward("match_types = [\"regex\"]").err().map(|e| e.key),
            Some("match_types".to_string())
        );
        assert_eq!(
            reward("mode = \"letters\"").err().map(|e| e.key),
            Some("mode".to_string())
        );
        assert_eq!(
            reward("timeout_ms = 0").err().map(|e| e.key),
            Some("timeout_ms".to_string())
        );
    }

    #[test]
    fn missing_answer_field_is_an_error_naming_it() {
        let r = reward("answer_field = \"gold\"\ntimeout_ms = 5000").expect("valid");
        let err = r.score(&sample(json!("1"), "$1$")).expect_err("no gold field");
        assert!(err.to_string().contains("gold"), "{err}");
    }

    #[test]
    fn registers_the_kind() {
        let mut registry = Registry::empty();
        register(&mut registry);
        assert!(registry.reward("math").is_some());
    }
}
