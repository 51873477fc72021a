//! `length`: length rewards and penalties of spec §10 — DAPO soft overlong, open-r1 cosine-scaled, the Kimi k1.5
//! group penalty and the RECONSTRUCTED generalized penalty — counted in characters, words or tokens.

use serde::Deserialize;

use super::length_unit::{LengthUnit, UnitName};
use super::score_each;
use super::source::ValueSource;
use crate::spec::length::{
    CosineBounds, cosine_length_reward, dapo_soft_overlong, generalized_length_penalty, kimi_length_reward,
};
use crate::{
    BatchContext, Component, DEFAULT_COMPLETION_FIELD, KeyError, Kind, Reward, RewardError, RewardFactory,
    RewardFuture, RewardResults, RewardSpec, Sample,
};

pub(super) const KIND: Kind<RewardFactory> = Kind {
    name: "length",
    summary: "Length reward: mode = dapo (soft overlong) | cosine (open-r1) | kimi (group) | generalized",
    build,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeName {
    Dapo,
    Cosine,
    Kimi,
    Generalized,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    mode: ModeName,
    #[serde(default)]
    unit: UnitName,
    tokenizer: Option<String>,
    #[serde(default = "default_field")]
    field: String,
    max_len: Option<usize>,
    cache_len: Option<usize>,
    target_len: Option<usize>,
    power: Option<f64>,
    weight: Option<f64>,
    min_value_wrong: Option<f64>,
    max_value_wrong: Option<f64>,
    min_value_correct: Option<f64>,
    max_value_correct: Option<f64>,
    correct_from: Option<String>,
    correct_field: Option<String>,
}

fn default_field() -> String {
    DEFAULT_COMPLETION_FIELD.into()
}

/// open-r1's default `max_len` for the cosine reward.
const COSINE_DEFAULT_MAX_LEN: usize = 1000;

enum Mode {
    Dapo {
        max_len: usize,
        cache_len: usize,
    },
    Cosine {
        max_len: usize,
        bounds: CosineBounds,
    },
    Kimi,
    Generalized {
        target_len: usize,
        max_len: usize,
        power: f64,
        weight: f64,
    },
}

struct Length {
    field: String,
    unit: LengthUnit,
    mode: Mode,
    correct: Option<ValueSource>,
}

fn required<T>(value: Option<T>, key: &str, mode: &str) -> Result<T, KeyError> {
    value.ok_or_else(|| KeyError::new(key, format!("mode = \"{mode}\" needs `{key}`")))
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let p: Params = spec.params.parse()?;
    let mode_name = match p.mode {
        ModeName::Dapo => "dapo",
        ModeName::Cosine => "cosine",
        ModeName::Kimi => "kimi",
        ModeName::Generalized => "generalized",
    };
    // Keys given for another mode are mistakes worth reporting, not silently ignored.
    let allowed: &[&str] = match p.mode {
        ModeName::Dapo => &["max_len", "cache_len"],
        ModeName::Cosine => &[
            "max_len",
            "min_value_wrong",
            "max_value_wrong",
            "min_value_correct",
            "max_value_correct",
            "correct_from",
            "correct_field",
        ],
        ModeName::Kimi => &["correct_from", "correct_field"],
        ModeName::Generalized => &["max_len", "target_len", "power", "weight"],
    };
    let given = [
        ("max_len", p.max_len.is_some()),
        ("cache_len", p.cache_len.is_some()),
        ("target_len", p.target_len.is_some()),
        ("power", p.power.is_some()),
        ("weight", p.weight.is_some()),
        ("min_value_wrong", p.min_value_wrong.is_some()),
        ("max_value_wrong", p.max_value_wrong.is_some()),
        ("min_value_correct", p.min_value_correct.is_some()),
        ("max_value_correct", p.max_value_correct.is_some()),
        ("correct_from", p.correct_from.is_some()),
        ("correct_field", p.correct_field.is_some()),
    ];
    if let Some((key, _)) = given.iter().find(|(key, is_given)| *is_given && !allowed.contains(key)) {
        return Err(KeyError::new(*key, format!("not used by mode = \"{mode_name}\"")));
    }
    let finite = |key: &str, value: f64| {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(KeyError::new(key, "must be a finite number"))
        }
    };
    let mode = match p.mode {
        ModeName::Dapo => {
            let max_len = required(p.max_len, "max_len", mode_name)?;
            let cache_len = required(p.cache_len, "cache_len", mode_name)?;
            if cache_len > max_len {
                return Err(KeyError::new(
                    "cache_len",
                    format!("must not exceed max_len ({max_len})"),
                ));
            }
            Mode::Dapo { max_len, cache_len }
        }
        ModeName::Cosine => {
            let defaults = CosineBounds::default();
            let bounds = CosineBounds {
                min_value_wrong: finite("min_value_wrong", p.min_value_wrong.unwrap_or(defaults.min_value_wrong))?,
                max_value_wrong: finite("max_value_wrong", p.max_value_wrong.unwrap_or(defaults.max_value_wrong))?,
                min_value_correct: finite(
                    "min_value_correct",
                    p.min_value_correct.unwrap_or(defaults.min_value_correct),
                )?,
                max_value_correct: finite(
                    "max_value_correct",
                    p.max_value_correct.unwrap_or(defaults.max_value_correct),
                )?,
            };
            let max_len = p.max_len.unwrap_or(COSINE_DEFAULT_MAX_LEN);
            if max_len == 0 {
                return Err(KeyError::new("max_len", "must be > 0"));
            }
            Mode::Cosine { max_len, bounds }
        }
        ModeName::Kimi => Mode::Kimi,
        ModeName::Generalized => {
            let max_len = required(p.max_len, "max_len", mode_name)?;
            let target_len = required(p.target_len, "target_len", mode_name)?;
            if max_len <= target_len {
                return Err(KeyError::new(
                    "max_len",
                    format!("must exceed target_len ({target_len})"),
                ));
            }
            let power = finite("power", p.power.unwrap_or(1.0))?;
            if power <= 0.0 {
                return Err(KeyError::new("power", "must be > 0"));
            }
            let weight = finite("weight", p.weight.unwrap_or(1.0))?;
            Mode::Generalized {
                target_len,
                max_len,
                power,
                weight,
            }
        }
    };
    let correct = match p.mode {
        ModeName::Cosine | ModeName::Kimi => Some(ValueSource::required(
            p.correct_from,
            p.correct_field,
            "correct_from",
            "correct_field",
            &format!("mode = \"{mode_name}\" needs to know which answers are correct"),
        )?),
        _ => None,
    };
    Ok(Box::new(Length {
        field: p.field,
        unit: LengthUnit::new(p.unit, p.tokenizer.as_deref())?,
        mode,
        correct,
    }))
}

impl Length {
    fn length_of(&self, sample: &Sample) -> Result<usize, RewardError> {
        self.unit.measure(&sample.text(&self.field)?)
    }

    fn is_correct(&self, ctx: &BatchContext<'_>, index: usize, sample: &Sample) -> Result<bool, RewardError> {
        match &self.correct {
            Some(source) => Ok(source.value(ctx, index, sample)? > 0.0),
            None => Err(RewardError::Failed("internal error: no correctness source".into())),
        }
    }

    fn component(&self, value: f64, length: usize) -> Component {
        Component::new(value)
            .with("length", length)
            .with("unit", self.unit.name())
    }

    fn score_kimi(&self, ctx: &BatchContext<'_>) -> RewardResults {
        use rayon::prelude::*;
        let measured: Vec<Result<(usize, bool), RewardError>> = ctx
            .samples
            .par_iter()
            .enumerate()
            .map(|(i, s)| Ok((self.length_of(s)?, self.is_correct(ctx, i, s)?)))
            .collect();
        ctx.progress.advance(ctx.samples.len() as u64);
        let mut results: RewardResults = measured
            .iter()
            .map(|m| match m {
                Ok(_) => Err(RewardError::Failed("internal error: sample not in any group".into())),
                Err(err) => Err(err.clone()),
            })
            .collect();
        for group in ctx.groups() {
            let live: Vec<(usize, usize, bool)> = group
                .iter()
                .filter_map(|&i| measured[i].as_ref().ok().map(|&(len, ok)| (i, len, ok)))
                .collect();
            let lengths: Vec<usize> = live.iter().map(|m| m.1).collect();
            let correct: Vec<bool> = live.iter().map(|m| m.2).collect();
            let (min, max) = (lengths.iter().min().copied(), lengths.iter().max().copied());
            match kimi_length_reward(&lengths, &correct) {
                Ok(values) => {
                    for ((i, len, ok), value) in live.into_iter().zip(values) {
                        results[i] = Ok(self
                            .component(value, len)
                            .with("correct", ok)
                            .with("group_min_length", min)
                            .with("group_max_length", max));
                    }
                }
                Err(err) => {
                    for (i, _, _) in live {
                        results[i] = Err(err.clone());
                    }
                }
            }
        }
        results
    }
}

impl Reward for Length {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        if matches!(self.mode, Mode::Kimi) {
            return Box::pin(std::future::ready(self.score_kimi(ctx)));
        }
        score_each(ctx, move |index, sample| {
            let length = self.length_of(sample)?;
            match &self.mode {
                Mode::Dapo { max_len, cache_len } => {
                    Ok(self.component(dapo_soft_overlong(length, *max_len, *cache_len)?, length))
                }
                Mode::Cosine { max_len, bounds } => {
                    let correct = self.is_correct(ctx, index, sample)?;
                    let value = cosine_length_reward(length, correct, *max_len, bounds)?;
                    Ok(self.component(value, length).with("correct", correct))
                }
                Mode::Generalized {
                    target_len,
                    max_len,
                    power,
                    weight,
                } => {
                    let value = generalized_length_penalty(length, *target_len, *max_len, *power, *weight)?;
                    Ok(self.component(value, length))
                }
                Mode::Kimi => Err(RewardError::Failed("internal error: kimi is scored per group".into())),
            }
        })
    }

    fn depends_on(&self) -> Vec<String> {
        self.correct.as_ref().map(ValueSource::depends_on).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::testing::{build_reward, score};

    fn values(results: &[Result<crate::Component, crate::RewardError>]) -> Vec<f64> {
        results.iter().map(|r| r.as_ref().expect("scored").value).collect()
    }

    fn completions(lengths: &[usize]) -> Vec<serde_json::Value> {
        lengths.iter().map(|&n| json!({"completion": "x".repeat(n)})).collect()
    }

    #[test]
    fn dapo_in_chars_matches_the_spec() {
        let reward = build_reward("length", "mode = \"dapo\"\nmax_len = 20\ncache_len = 4").unwrap();
        let out = score(
            reward.as_ref(),
            &completions(&[10, 16, 18, 20, 21]),
            &[],
            HashMap::new(),
        );
        assert_eq!(values(&out), vec![0.0, 0.0, -0.5, -1.0, -1.0]);
        assert_eq!(out[2].as_ref().unwrap().diagnostics["length"], json!(18));
    }

    #[test]
    fn words_count_whitespace_tokens_and_unicode_chars_count_once() {
        let reward = build_reward(
            "length",
            "mode = \"dapo\"\nunit = \"words\"\nmax_len = 4\ncache_len = 2",
        )
        .unwrap();
        let records = [json!({"completion": " a  b\tc\nd "}), json!({"completion": "a b c"})];
        assert_eq!(
            values(&score(reward.as_ref(), &records, &[], HashMap::new())),
            vec![-1.0, -0.5]
        );
        let chars = build_reward("length", "mode = \"dapo\"\nmax_len = 3\ncache_len = 0").unwrap();
        let out = score(chars.as_ref(), &[json!({"completion": "héé"})], &[], HashMap::new());
        assert_eq!(values(&out), vec![0.0], "3 chars, not 5 bytes");
    }

    #[test]
    fn cosine_reads_correctness_from_an_earlier_component_or_a_field() {
        let reward = build_reward("length", "mode = \"cosine\"\ncorrect_from = \"acc\"").unwrap();
        assert_eq!(reward.depends_on(), vec!["acc".to_owned()]);
        let earlier = HashMap::from([("acc".to_owned(), vec![Some(1.0), Some(0.0), None])]);
        let out = score(reward.as_ref(), &completions(&[250, 250, 250]), &[], earlier);
        assert!((out[0].as_ref().unwrap().value - 0.926_777).abs() < 1e-6);
        assert!((out[1].as_ref().unwrap().value + 0.926_777).abs() < 1e-6);
        assert_eq!(out[2].as_ref().unwrap_err().kind(), "MissingDependency");
        let by_field = build_reward("length", "mode = \"cosine\"\ncorrect_field = \"ok\"").unwrap();
        let records = [json!({"completion": "", "ok": true}), json!({"completion": "x"})];
        let out = score(by_field.as_ref(), &records, &[], HashMap::new());
        assert_eq!(out[0].as_ref().unwrap().value, 1.0);
        assert_eq!(out[1].as_ref().unwrap_err().to_string(), "missing field `ok`");
    }

    #[test]
    fn kimi_is_computed_per_group_and_skips_failed_samples() {
        let reward = build_reward("length", "mode = \"kimi\"\ncorrect_field = \"ok\"").unwrap();
        let mut records = completions(&[100, 150, 300, 50, 50, 7]);
        for (record, ok) in records.iter_mut().zip([true, false, false, true, false, true]) {
            record["ok"] = json!(ok);
        }
        records.push(json!({"ok": true}));
        let groups = [Some("a"), Some("a"), Some("a"), Some("b"), Some("b"), None, Some("a")];
        let out = score(reward.as_ref(), &records, &groups, HashMap::new());
        assert_eq!(values(&out[..6]), vec![0.5, 0.0, -0.5, 0.0, 0.0, 0.0]);
        assert_eq!(out[6].as_ref().unwrap_err().to_string(), "missing field `completion`");
    }

    #[test]
    fn tokens_are_counted_with_the_tokenizer_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tokenizer.json");
        let toml = format!("mode = \"dapo\"\nunit = \"tokens\"\ntokenizer = \"{path}\"\nmax_len = 6\ncache_len = 2");
        let reward = build_reward("length", &toml).unwrap();
        // "Hello, world!" is 2 words but 4 tokens (hello , world !); unknown words still count as one token each.
        let records = [
            json!({"completion": "Hello, world!"}),
            json!({"completion": "zebra quagga okapi, the answer!"}),
        ];
        let out = score(reward.as_ref(), &records, &[], HashMap::new());
        assert_eq!(out[0].as_ref().unwrap().diagnostics["length"], json!(4));
        assert_eq!(out[0].as_ref().unwrap().diagnostics["unit"], json!("tokens"));
        assert_eq!(out[1].as_ref().unwrap().diagnostics["length"], json!(7));
        assert_eq!(values(&out), vec![0.0, -1.0]);
    }

    #[test]
    fn generalized_matches_the_spec() {
        let toml = "mode = \"generalized\"\ntarget_len = 100\nmax_len = 200\npower = 2.0";
        let reward = build_reward("length", toml).unwrap();
        assert_eq!(
            values(&score(reward.as_ref(), &completions(&[150]), &[], HashMap::new())),
            vec![-0.25]
        );
    }

    #[test]
    fn config_mistakes_name_the_key() {
        let key = |toml: &str| build_reward("length", toml).err().expect("rejected").key;
        assert_eq!(key("mode = \"dapo\"\nmax_len = 20"), "cache_len");
        assert_eq!(key("mode = \"dapo\"\nmax_len = 20\ncache_len = 30"), "cache_len");
        assert_eq!(
            key("mode = \"dapo\"\nmax_len = 20\ncache_len = 4\npower = 2.0"),
            "power"
        );
        assert_eq!(key("mode = \"cosine\""), "correct_from");
        assert_eq!(
            key("mode = \"cosine\"\ncorrect_from = \"a\"\ncorrect_field = \"b\""),
            "correct_field"
        );
        assert_eq!(
            key("mode = \"kimi\"\ncorrect_field = \"ok\"\nunit = \"tokens\""),
            "tokenizer"
        );
        assert_eq!(key("mode = \"sqrt\""), "mode");
        assert_eq!(key("mode = \"dapo\"\nmax_len = 2\ncache_len = 1\nmaxlen = 3"), "maxlen");
        let err = build_reward(
            "length",
            "mode = \"kimi\"\ncorrect_field = \"ok\"\nunit = \"tokens\"\ntokenizer = \"/nonexistent/tokenizer.json\"",
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "tokenizer");
        assert!(err.message.contains("/nonexistent/tokenizer.json"), "{}", err.message);
    }
}
