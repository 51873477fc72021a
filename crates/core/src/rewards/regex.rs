//! `regex`: a pattern matched against the completion (or its extracted answer).
//!
//! Uses the `regex` crate, whose matching is linear in the input: no catastrophic backtracking, and no
//! look-around or back-references (a pattern using them is rejected at load time, naming `pattern`).

use ::regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::Value;

use super::common::{check_field_name, completion_field, snippet};
use super::extract::{Extract, extract};
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "regex",
        summary: "a regular expression: search, match at the start, full match, or count matches",
        build,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    /// Anywhere in the text (Python `re.search`).
    #[default]
    Search,
    /// At the start of the text (Python `re.match`).
    Match,
    /// The whole text (Python `re.fullmatch`).
    Fullmatch,
    /// Number of non-overlapping matches × `per_match`, capped at `max_count` matches.
    Count,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    pattern: String,
    #[serde(default)]
    mode: Mode,
    on_match: Option<f64>,
    on_miss: Option<f64>,
    per_match: Option<f64>,
    max_count: Option<u64>,
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    multiline: bool,
    #[serde(default)]
    dot_all: bool,
    #[serde(default = "no_extraction")]
    extract: Extract,
    #[serde(default = "completion_field")]
    completion_field: String,
}

fn no_extraction() -> Extract {
    Extract::None
}

struct RegexReward {
    regex: Regex,
    mode: Mode,
    on_match: f64,
    on_miss: f64,
    per_match: f64,
    max_count: Option<usize>,
    extract: Extract,
    field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(RegexReward::new(&spec.params)?))
}

fn finite(key: &str, value: Option<f64>, default: f64) -> Result<f64, KeyError> {
    match value {
        Some(v) if !v.is_finite() => Err(KeyError::new(key, format!("must be a finite number, found {v}"))),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

impl RegexReward {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        let anchored = match params.mode {
            Mode::Search | Mode::Count => params.pattern.clone(),
            Mode::Match => format!(r"\A(?:{})", params.pattern),
            Mode::Fullmatch => format!(r"\A(?:{})\z", params.pattern),
        };
        let regex = RegexBuilder::new(&anchored)
            .case_insensitive(params.case_insensitive)
            .multi_line(params.multiline)
            .dot_matches_new_line(params.dot_all)
            .build()
            .map_err(|err| KeyError::new("pattern", format!("not a valid regular expression: {err}")))?;
        // The pattern alone must compile too, so `a)|(b` cannot sneak through the anchoring group.
        Regex::new(&params.pattern)
            .map_err(|err| KeyError::new("pattern", format!("not a valid regular expression: {err}")))?;
        let counting = params.mode == Mode::Count;
        for (key, set) in [
            ("per_match", params.per_match.is_some()),
            ("max_count", params.max_count.is_some()),
        ] {
            if set && !counting {
                return Err(KeyError::new(key, "only applies to mode = \"count\""));
            }
        }
        for (key, set) in [
            ("on_match", params.on_match.is_some()),
            ("on_miss", params.on_miss.is_some()),
        ] {
            if set && counting {
                return Err(KeyError::new(
                    key,
                    "does not apply to mode = \"count\" (use per_match and max_count)",
                ));
            }
        }
        if params.max_count == Some(0) {
            return Err(KeyError::new("max_count", "must be at least 1"));
        }
        Ok(Self {
            regex,
            mode: params.mode,
            on_match: finite("on_match", params.on_match, 1.0)?,
            on_miss: finite("on_miss", params.on_miss, 0.0)?,
            per_match: finite("per_match", params.per_match, 1.0)?,
            max_count: params.max_count.map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
            extract: params.extract,
            field: params.completion_field,
        })
    }
}

impl SampleReward for RegexReward {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.field)?;
        let answer = match extract(&completion, self.extract) {
            Ok(answer) => answer,
            Err(no_answer) => {
                let value = if self.mode == Mode::Count { 0.0 } else { self.on_miss };
                return Ok(Component::new(value).with("reason", no_answer.0));
            }
        };
        let text = answer.text.as_ref();
        if self.mode == Mode::Count {
            let cap = self.max_count.unwrap_or(usize::MAX);
            let count = self.regex.find_iter(text).take(cap).count();
            #[allow(clippy::cast_precision_loss)]
            let value = count as f64 * self.per_match;
            return Ok(Component::new(value).with("count", count));
        }
        Ok(match self.regex.find(text) {
            Some(found) => Component::new(self.on_match).with("matched", snippet(found.as_str())),
            None => Component::new(self.on_miss).with("matched", Value::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<RegexReward, KeyError> {
        RegexReward::new(&TableParams(toml.parse().unwrap()))
    }

    fn value(toml: &str, text: &str) -> f64 {
        reward(toml)
            .unwrap()
            .score(&Sample::from_completion(text))
            .unwrap()
            .value
    }

    #[test]
    fn modes() {
        assert_eq!(value("pattern = 'b+'", "abbbc"), 1.0);
        assert_eq!(value("pattern = 'b+'\nmode = 'match'", "abbbc"), 0.0);
        assert_eq!(value("pattern = 'a|ab'\nmode = 'match'", "abbbc"), 1.0);
        // The anchoring group keeps alternation inside: `a|bc` must match the whole text.
        assert_eq!(value("pattern = 'x|abbbc'\nmode = 'fullmatch'", "abbbc"), 1.0);
        assert_eq!(value("pattern = 'abbbc|x'\nmode = 'fullmatch'", "abbbcx"), 0.0);
        assert_eq!(value("pattern = 'b'\nmode = 'count'", "abbbc"), 3.0);
        assert_eq!(
            value("pattern = 'b'\nmode = 'count'\nmax_count = 2\nper_match = 0.5", "abbbc"),
            1.0
        );
        assert_eq!(value("pattern = 'z'\non_match = 2.0\non_miss = -1", "abc"), -1.0);
    }

    #[test]
    fn flags_and_extraction() {
        assert_eq!(value("pattern = 'HELLO'\ncase_insensitive = true", "hello"), 1.0);
        assert_eq!(value("pattern = '^b$'\nmultiline = true", "a\nb\nc"), 1.0);
        assert_eq!(value("pattern = '^b$'", "a\nb\nc"), 0.0);
        assert_eq!(value("pattern = 'a.b'\ndot_all = true", "a\nb"), 1.0);
        let answer_only = "pattern = '^\\d+$'\nextract = 'answer_tag'";
        assert_eq!(value(answer_only, "<think>x</think><answer>42</answer>"), 1.0);
        assert_eq!(value(answer_only, "<think><answer>42</answer></think>"), 0.0);
        let c = reward("pattern = '東+'")
            .unwrap()
            .score(&Sample::from_completion("🙂東東京"))
            .unwrap();
        assert_eq!(c.diagnostics["matched"], "東東");
    }

    #[test]
    fn bad_keys_name_the_key() {
        assert_eq!(reward("pattern = '(a'").err().unwrap().key, "pattern");
        assert_eq!(
            reward("pattern = 'a)|(b'\nmode = 'match'").err().unwrap().key,
            "pattern"
        );
        assert_eq!(reward("pattern = '(?=a)'").err().unwrap().key, "pattern");
        let missing = reward("mode = 'search'").err().unwrap();
        assert!(missing.message.contains("missing field `pattern`"), "{missing}");
        assert_eq!(reward("pattern = 'a'\nmax_count = 2").err().unwrap().key, "max_count");
        assert_eq!(
            reward("pattern = 'a'\nmode = 'count'\non_match = 2").err().unwrap().key,
            "on_match"
        );
        assert_eq!(
            reward("pattern = 'a'\nmode = 'count'\nmax_count = 0")
                .err()
                .unwrap()
                .key,
            "max_count"
        );
        assert_eq!(reward("pattern = 'a'\npatern = 'b'").err().unwrap().key, "patern");
        assert_eq!(reward("pattern = 'a'\non_match = nan").err().unwrap().key, "on_match");
    }

    #[test]
    fn long_input_is_linear() {
        let text = "a".repeat(200_000);
        assert_eq!(value("pattern = '(a+)+b'", &text), 0.0);
    }
}
