//! `tags`: think/answer-style structure, strictly (1 or 0) or with open-r1's `format` / `tag_count` rules.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::common::{check_field_name, completion_field};
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "tags",
        summary: "think/answer tag structure: strict 1/0, or open-r1 `format` / `tag_count`",
        build,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Strict,
    Format,
    TagCount,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_require")]
    require: Vec<String>,
    #[serde(default)]
    mode: Mode,
    allow_outside: Option<bool>,
    #[serde(default)]
    prefix: String,
    #[serde(default = "completion_field")]
    completion_field: String,
}

fn default_require() -> Vec<String> {
    vec!["think".into(), "answer".into()]
}

struct Tag {
    name: String,
    open: String,
    close: String,
}

/// The compiled reward.
struct Tags {
    tags: Vec<Tag>,
    mode: Mode,
    allow_outside: bool,
    prefix: String,
    field: String,
    /// `format`: what the text must start with, the separators between tags, and the final closing marker.
    format_start: String,
    format_separators: Vec<String>,
    format_end: String,
    /// `tag_count`: the markers that must each occur exactly once.
    count_markers: Vec<String>,
    matched: Value,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Tags::new(&spec.params)?))
}

impl Tags {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        if params.require.is_empty() {
            return Err(KeyError::new("require", "must list at least one tag name"));
        }
        for (index, name) in params.require.iter().enumerate() {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
            {
                return Err(KeyError::new(
                    format!("require[{index}]"),
                    format!("{name:?} is not a tag name (letters, digits, `_`, `-`, `:`, `.`)"),
                ));
            }
            if params.require[..index].contains(name) {
                return Err(KeyError::new(
                    format!("require[{index}]"),
                    format!("tag {name:?} is listed twice"),
                ));
            }
        }
        if params.allow_outside.is_some() && params.mode != Mode::Strict {
            return Err(KeyError::new("allow_outside", "only applies to mode = \"strict\""));
        }
        let tags: Vec<Tag> = params
            .require
            .iter()
            .map(|name| Tag {
                name: name.clone(),
                open: format!("<{name}>"),
                close: format!("</{name}>"),
            })
            .collect();
        let first = &tags[0];
        let last = &tags[tags.len() - 1];
        let format_separators = tags
            .windows(2)
            .map(|pair| format!("\n{}\n{}\n", pair[0].close, pair[1].open))
            .collect();
        let mut count_markers = Vec::with_capacity(2 * tags.len());
        for (index, tag) in tags.iter().enumerate() {
            count_markers.push(if index == 0 {
                format!("{}\n", tag.open)
            } else {
                format!("\n{}\n", tag.open)
            });
            count_markers.push(if index == tags.len() - 1 {
                format!("\n{}", tag.close)
            } else {
                format!("\n{}\n", tag.close)
            });
        }
        Ok(Tags {
            format_start: format!("{}\n", first.open),
            format_end: format!("\n{}", last.close),
            format_separators,
            count_markers,
            matched: Value::from(params.require.clone()),
            tags,
            mode: params.mode,
            allow_outside: params.allow_outside.unwrap_or(false),
            prefix: params.prefix,
            field: params.completion_field,
        })
    }
}

impl SampleReward for Tags {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.field)?;
        let text: Cow<'_, str> = if self.prefix.is_empty() {
            completion
        } else {
            Cow::Owned(format!("{}{completion}", self.prefix))
        };
        Ok(match self.mode {
            Mode::Strict => match self.strict(&text) {
                Ok(()) => Component::new(1.0).with("matched", self.matched.clone()),
                Err(reason) => Component::new(0.0).with("reason", reason),
            },
            Mode::Format => match self.format(&text) {
                Ok(()) => Component::new(1.0),
                Err(reason) => Component::new(0.0).with("reason", reason),
            },
            Mode::TagCount => self.tag_count(&text),
        })
    }
}

impl Tags {
    /// Which required tag (and whether it is the closing one) starts at `rest`, which begins with `<`.
    fn tag_at(&self, rest: &str) -> Option<(usize, bool, usize)> {
        self.tags.iter().enumerate().find_map(|(index, tag)| {
            if rest.starts_with(&tag.open) {
                Some((index, false, tag.open.len()))
            } else if rest.starts_with(&tag.close) {
                Some((index, true, tag.close.len()))
            } else {
                None
            }
        })
    }

    /// Exactly one of each required tag, in order, none nested in another, each non-blank; only whitespace
    /// outside them unless `allow_outside`. One pass over the `<` characters, no allocation unless it fails.
    fn strict(&self, text: &str) -> Result<(), String> {
        let total = 2 * self.tags.len();
        // Events in the only accepted order: open 0, close 0, open 1, close 1, ...
        let mut expected = 0;
        let mut last_end = 0;
        let mut search = 0;
        while let Some(relative) = text[search..].find('<') {
            let at = search + relative;
            let Some((tag, closing, length)) = self.tag_at(&text[at..]) else {
                search = at + 1;
                continue;
            };
            let event = 2 * tag + usize::from(closing);
            if event != expected {
                return Err(self.unexpected(tag, closing, expected));
            }
            let between = &text[last_end..at];
            if closing {
                if between.trim().is_empty() {
                    return Err(format!("empty <{}>", self.tags[tag].name));
                }
            } else if !self.allow_outside && !between.trim().is_empty() {
                return Err(format!("text outside the tags before <{}>", self.tags[tag].name));
            }
            expected += 1;
            last_end = at + length;
            search = last_end;
        }
        if expected < total {
            let tag = &self.tags[expected / 2].name;
            return Err(if expected % 2 == 1 {
                format!("unclosed <{tag}>")
            } else {
                format!("missing <{tag}>")
            });
        }
        if !self.allow_outside && !text[last_end..].trim().is_empty() {
            let last = &self.tags[self.tags.len() - 1].name;
            return Err(format!("text outside the tags after </{last}>"));
        }
        Ok(())
    }

    /// Explains a tag that arrived when event `expected` was due.
    fn unexpected(&self, tag: usize, closing: bool, expected: usize) -> String {
        let name = &self.tags[tag].name;
        let event = 2 * tag + usize::from(closing);
        if event < expected {
            return if closing {
                format!("more than one </{name}>")
            } else {
                format!("more than one <{name}>")
            };
        }
        let due = &self.tags[expected / 2].name;
        match (expected % 2 == 1, closing) {
            (true, false) => format!("<{name}> nested inside <{due}>"),
            (_, true) => format!("</{name}> without a matching <{name}>"),
            (false, false) => format!("<{name}> before <{due}> (tags out of order, or <{due}> missing)"),
        }
    }

    /// open-r1 `format_reward`: `re.match(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", text,
    /// re.DOTALL | re.MULTILINE)`, generalized to the `require` list. Because every `.*?` may match anything,
    /// taking the earliest occurrence of each separator is exact; with MULTILINE the final `$` also matches
    /// before any newline, so the closing marker may be followed by `\n` and more text.
    fn format(&self, text: &str) -> Result<(), String> {
        if !text.starts_with(&self.format_start) {
            return Err(format!("does not start with {:?}", self.format_start));
        }
        let mut pos = self.format_start.len();
        for separator in &self.format_separators {
            match text[pos..].find(separator.as_str()) {
                Some(relative) => pos += relative + separator.len(),
                None => return Err(format!("no {separator:?} after the opening tag")),
            }
        }
        while let Some(relative) = text[pos..].find(self.format_end.as_str()) {
            let end = pos + relative + self.format_end.len();
            if end == text.len() || text.as_bytes()[end] == b'\n' {
                return Ok(());
            }
            pos += relative + 1;
        }
        Err(format!("no {:?} at the end of a line", self.format_end))
    }

    /// open-r1 `tag_count_reward`: an equal share for each marker that occurs exactly once (non-overlapping
    /// count, like Python's `str.count`).
    fn tag_count(&self, text: &str) -> Component {
        let mut counts = serde_json::Map::new();
        let mut once = 0usize;
        for marker in &self.count_markers {
            let count = text.matches(marker.as_str()).take(2).count();
            once += usize::from(count == 1);
            counts.insert(
                marker.clone(),
                Value::from(if count > 1 { "2+" } else { ["0", "1"][count] }),
            );
        }
        #[allow(clippy::cast_precision_loss)]
        let value = once as f64 / self.count_markers.len() as f64;
        Component::new(value).with("counts", Value::Object(counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<Box<dyn Reward>, KeyError> {
        build(&RewardSpec {
            name: "t".into(),
            kind: "tags".into(),
            params: TableParams(toml.parse().unwrap()),
        })
    }

    fn tags(toml: &str) -> Tags {
        Tags::new(&TableParams(toml.parse().unwrap())).unwrap()
    }

    fn value(reward: &Tags, text: &str) -> f64 {
        reward.score(&Sample::from_completion(text)).unwrap().value
    }

    fn reason(reward: &Tags, text: &str) -> String {
        let component = reward.score(&Sample::from_completion(text)).unwrap();
        assert_eq!(component.value, 0.0, "{text:?} should fail");
        component.diagnostics["reason"].as_str().unwrap().to_owned()
    }

    #[test]
    fn strict_accepts_the_canonical_shape() {
        let t = tags("");
        assert_eq!(value(&t, "<think>hm</think><answer>4</answer>"), 1.0);
        assert_eq!(value(&t, "\n <think>\n2+2 🙂\n</think>\n<answer>\n4\n</answer>\n"), 1.0);
        let c = t
            .score(&Sample::from_completion("<think>a</think><answer>b</answer>"))
            .unwrap();
        assert_eq!(c.diagnostics["matched"], serde_json::json!(["think", "answer"]));
    }

    #[test]
    fn strict_rejects_malformed_structure_with_a_reason() {
        let t = tags("");
        assert_eq!(reason(&t, "<think>a</think>"), "missing <answer>");
        assert_eq!(reason(&t, "<think>a</think><answer>b"), "unclosed <answer>");
        assert_eq!(reason(&t, "<think> \n</think><answer>b</answer>"), "empty <think>");
        assert_eq!(reason(&t, "<think>a</think><answer>\t</answer>"), "empty <answer>");
        assert_eq!(
            reason(&t, "<answer>b</answer><think>a</think>"),
            "<answer> before <think> (tags out of order, or <think> missing)"
        );
        assert_eq!(
            reason(&t, "<think>a<answer>b</answer></think><answer>b</answer>"),
            "<answer> nested inside <think>"
        );
        assert_eq!(
            reason(&t, "<think>a</think><answer>b</answer><answer>c</answer>"),
            "more than one <answer>"
        );
        assert_eq!(
            reason(&t, "<think>a</think><think>b</think><answer>c</answer>"),
            "more than one <think>"
        );
        assert_eq!(
            reason(&t, "a</think><answer>b</answer>"),
            "</think> without a matching <think>"
        );
        assert_eq!(
            reason(&t, "<think>a</think> so <answer>b</answer>"),
            "text outside the tags before <answer>"
        );
        assert_eq!(
            reason(&t, "<think>a</think><answer>b</answer> bye"),
            "text outside the tags after </answer>"
        );
        assert_eq!(
            reason(&t, "hi <think>a</think><answer>b</answer>"),
            "text outside the tags before <think>"
        );
        assert_eq!(reason(&t, ""), "missing <think>");
    }

    #[test]
    fn strict_options() {
        let loose = tags("allow_outside = true");
        assert_eq!(value(&loose, "Sure! <think>a</think> so <answer>b</answer> bye"), 1.0);
        assert_eq!(
            value(&loose, "<think>a</think><answer>b</answer><answer>b</answer>"),
            0.0
        );
        let prefilled = tags("prefix = \"<think>\\n\"");
        assert_eq!(value(&prefilled, "reasoning</think><answer>4</answer>"), 1.0);
        assert_eq!(value(&prefilled, "<think>x</think><answer>4</answer>"), 0.0);
        let custom = tags("require = [\"reasoning\", \"answer\", \"confidence\"]");
        assert_eq!(
            value(
                &custom,
                "<reasoning>r</reasoning><answer>a</answer><confidence>0.9</confidence>"
            ),
            1.0
        );
        assert_eq!(value(&custom, "<reasoning>r</reasoning><answer>a</answer>"), 0.0);
        // Tags that are not required are ordinary text.
        assert_eq!(
            value(
                &tags("allow_outside = true"),
                "<think><b>x</b></think><answer>y</answer>"
            ),
            1.0
        );
    }

    #[test]
    fn format_mode_matches_open_r1() {
        let t = tags("mode = \"format\"");
        assert_eq!(value(&t, "<think>\nhm\n</think>\n<answer>\n4\n</answer>"), 1.0);
        // `.*?` may be empty but the newlines are required.
        assert_eq!(value(&t, "<think>\n\n</think>\n<answer>\n\n</answer>"), 1.0);
        // MULTILINE `$`: anything may follow a newline after </answer>.
        assert_eq!(value(&t, "<think>\na\n</think>\n<answer>\nb\n</answer>\ntrailing"), 1.0);
        assert_eq!(value(&t, "<think>\na\n</think>\n<answer>\nb\n</answer> trailing"), 0.0);
        // open-r1 accepts duplicated blocks (issue #359) — kept faithfully in this mode.
        assert_eq!(
            value(
                &t,
                "<think>\na\n</think>\n<answer>\nb\n</answer>\n<answer>\nc\n</answer>"
            ),
            1.0
        );
        assert_eq!(value(&t, "<think>hm</think><answer>4</answer>"), 0.0);
        assert_eq!(value(&t, " <think>\na\n</think>\n<answer>\nb\n</answer>"), 0.0);
        // A later </answer> at a line end rescues an earlier one followed by text.
        assert_eq!(
            value(&t, "<think>\na\n</think>\n<answer>\nb\n</answer>x\n</answer>"),
            1.0
        );
    }

    #[test]
    fn tag_count_matches_open_r1() {
        let t = tags("mode = \"tag_count\"");
        assert_eq!(value(&t, "<think>\na\n</think>\n<answer>\nb\n</answer>"), 1.0);
        assert_eq!(value(&t, "<think>\na\n</think>\n"), 0.5);
        assert_eq!(value(&t, "<think>a</think><answer>b</answer>"), 0.0);
        assert_eq!(value(&t, "<think>\n<think>\na\n</think>\n<answer>\nb\n</answer>"), 0.75);
        // Non-overlapping count: "\n</think>\n</think>\n" holds "\n</think>\n" once, as in Python.
        assert_eq!(value(&t, "<think>\n\n</think>\n</think>\n<answer>\nb\n</answer>"), 1.0);
    }

    #[test]
    fn bad_keys_name_the_key() {
        assert_eq!(reward("require = []").err().unwrap().key, "require");
        assert_eq!(reward("require = [\"a b\"]").err().unwrap().key, "require[0]");
        assert_eq!(reward("require = [\"a\", \"a\"]").err().unwrap().key, "require[1]");
        assert_eq!(reward("reqire = [\"a\"]").err().unwrap().key, "reqire");
        assert_eq!(reward("mode = \"loose\"").err().unwrap().key, "mode");
        assert_eq!(
            reward("mode = \"format\"\nallow_outside = true").err().unwrap().key,
            "allow_outside"
        );
        assert_eq!(reward("completion_field = \"\"").err().unwrap().key, "completion_field");
    }

    #[test]
    fn missing_or_wrong_field_is_an_error() {
        let t = tags("");
        let sample = Sample::from_completion("x").with_field("completion", 3);
        assert_eq!(t.score(&sample).unwrap_err().kind(), "WrongType");
        let t = tags("completion_field = \"response\"");
        assert_eq!(
            t.score(&Sample::from_completion("x")).unwrap_err().kind(),
            "MissingField"
        );
    }

    #[test]
    fn long_and_unicode_inputs() {
        let t = tags("");
        let body = "é\u{301}東京🙂<".repeat(100_000);
        assert_eq!(value(&t, &format!("<think>{body}</think><answer>{body}</answer>")), 1.0);
        let many = "<think>".repeat(100_000);
        assert_eq!(value(&t, &many), 0.0);
        let f = tags("mode = \"format\"");
        let spam = "\n</answer>x".repeat(100_000);
        assert_eq!(value(&f, &format!("<think>\na\n</think>\n<answer>\n{spam}")), 0.0);
    }

    const PIECES: &[&str] = &[
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "<think>\n",
        "\n</think>\n",
        "\n<answer>\n",
        "\n</answer>",
        "\n",
        " ",
        "a",
        "é",
        "<",
        "think>",
        "🙂",
    ];

    fn pieces() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(proptest::sample::select(PIECES), 0..14).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        /// `format` agrees with open-r1's regex, run by the regex crate (`\A` for `re.match`, `(?m:$)` for the
        /// MULTILINE end anchor).
        #[test]
        fn format_agrees_with_the_open_r1_regex(text in pieces()) {
            let oracle = ::regex::Regex::new(
                r"(?s)\A<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>(?m:$)",
            ).unwrap();
            let expected = if oracle.is_match(&text) { 1.0 } else { 0.0 };
            proptest::prop_assert_eq!(value(&tags("mode = 'format'"), &text), expected);
        }

        /// `strict` agrees with a direct statement of its rule.
        #[test]
        fn strict_agrees_with_its_definition(text in pieces()) {
            let once = ["<think>", "</think>", "<answer>", "</answer>"].iter().all(|t| text.matches(t).count() == 1);
            let shape = ::regex::Regex::new(r"(?s)\A\s*<think>(.*)</think>\s*<answer>(.*)</answer>\s*\z").unwrap();
            let expected = once
                && shape
                    .captures(&text)
                    .is_some_and(|c| !c[1].trim().is_empty() && !c[2].trim().is_empty());
            proptest::prop_assert_eq!(value(&tags(""), &text), if expected { 1.0 } else { 0.0 });
        }
    }
}
