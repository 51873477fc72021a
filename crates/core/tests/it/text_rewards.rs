//! The text-reward catalog through the public pipeline API: TOML → `Pipeline` → scores.

use std::path::{Path, PathBuf};

use assay_core::{Pipeline, Registry, Sample, Score};
use serde_json::{Value, json};

const TEXT_KINDS: &[&str] = &[
    "tags",
    "regex",
    "repetition",
    "reasoning_steps",
    "exact_match",
    "f1",
    "contains",
    "keyword_chain",
    "choice",
];

fn pipeline(toml: &str) -> Pipeline {
    Pipeline::from_toml(toml, Path::new("test.toml"), &Registry::builtin()).unwrap_or_else(|e| panic!("{e}"))
}

fn sample(index: usize, record: Value) -> Sample {
    let Value::Object(map) = record else {
        panic!("records are objects")
    };
    Sample::from_record(index, map, "group")
}

fn score(toml: &str, records: &[Value]) -> Vec<Score> {
    let samples: Vec<Sample> = records.iter().enumerate().map(|(i, r)| sample(i, r.clone())).collect();
    pipeline(toml).score(&samples)
}

fn rewards(toml: &str, records: &[Value]) -> Vec<Option<f64>> {
    score(toml, records).into_iter().map(|s| s.reward).collect()
}

fn approx(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn every_text_kind_is_registered_with_a_summary() {
    let registry = Registry::builtin();
    for kind in TEXT_KINDS {
        let entry = registry
            .reward(kind)
            .unwrap_or_else(|| panic!("kind `{kind}` is not registered"));
        assert!(!entry.summary.is_empty());
    }
}

#[test]
fn tags_modes() {
    let good = json!({"completion": "<think>\nx\n</think>\n<answer>\n4\n</answer>"});
    let compact = json!({"completion": "<think>x</think><answer>4</answer>"});
    let doubled = json!({"completion": "<think>\nx\n</think>\n<answer>\n4\n</answer>\n<answer>\n5\n</answer>"});
    let records = [good, compact, doubled];
    let strict = "[[reward]]\nname = 'f'\nkind = 'tags'";
    assert_eq!(rewards(strict, &records), [Some(1.0), Some(1.0), Some(0.0)]);
    let format = "[[reward]]\nname = 'f'\nkind = 'tags'\nmode = 'format'";
    assert_eq!(rewards(format, &records), [Some(1.0), Some(0.0), Some(1.0)]);
    let count = "[[reward]]\nname = 'f'\nkind = 'tags'\nmode = 'tag_count'";
    assert_eq!(rewards(count, &records), [Some(1.0), Some(0.0), Some(0.5)]);
    let scores = score(strict, &records);
    assert_eq!(scores[2].diagnostics["f"]["reason"], "more than one <answer>");
}

#[test]
fn answer_kinds_share_strict_extraction() {
    let records = [
        json!({"completion": "<think>maybe 3</think><answer>4</answer>", "reference": "4"}),
        json!({"completion": "<think>\\boxed{4}</think>\\boxed{3}", "reference": "4"}),
        json!({"completion": "\\boxed{4} and \\boxed{3}", "reference": "4"}),
        json!({"completion": "So the answer is 4.", "reference": ["four", "4"]}),
    ];
    for kind in ["exact_match", "f1", "contains"] {
        let toml = format!("[[reward]]\nname = 'c'\nkind = '{kind}'");
        assert_eq!(
            rewards(&toml, &records),
            [Some(1.0), Some(0.0), Some(0.0), Some(1.0)],
            "{kind}"
        );
    }
    let scores = score("[[reward]]\nname = 'c'\nkind = 'exact_match'", &records);
    assert_eq!(scores[0].diagnostics["c"]["extracted"], "4");
    assert_eq!(scores[1].diagnostics["c"]["extracted"], "3");
    let reason = scores[2].diagnostics["c"]["reason"].as_str().unwrap();
    assert!(reason.contains("conflicting"), "{reason}");
}

#[test]
fn f1_contains_regex_repetition_reasoning_keyword_choice() {
    let f1 = "[[reward]]\nname = 'f'\nkind = 'f1'";
    let r = rewards(
        f1,
        &[json!({"completion": "<answer>the cat sat</answer>", "reference": "cat sat down"})],
    );
    assert!(approx(r[0], 0.8), "{r:?}");

    let contains = "[[reward]]\nname = 'c'\nkind = 'contains'\nrequire = 'all'";
    let r = rewards(
        contains,
        &[json!({"completion": "Paris and Lyon", "reference": ["paris", "lyon"]})],
    );
    assert_eq!(r, [Some(1.0)]);

    let regex = "[[reward]]\nname = 'r'\nkind = 'regex'\npattern = '\\d+'\nmode = 'count'\nper_match = 0.25";
    assert_eq!(rewards(regex, &[json!({"completion": "1 22 333"})]), [Some(0.75)]);

    let repetition = "[[reward]]\nname = 'r'\nkind = 'repetition'\nngram_size = 2\nmax_penalty = -0.5";
    let r = rewards(repetition, &[json!({"completion": "a b a b a b"})]);
    assert!(approx(r[0], -0.5 * (1.0 - 2.0 / 5.0)), "{r:?}");

    let steps = "[[reward]]\nname = 's'\nkind = 'reasoning_steps'";
    assert!(approx(
        rewards(steps, &[json!({"completion": "Step 1: a\nStep 2: b"})])[0],
        2.0 / 3.0
    ));

    let chain = "[[reward]]\nname = 'k'\nkind = 'keyword_chain'\nkeywords = [['alpha', 'beta'], ['gamma']]";
    let r = rewards(
        chain,
        &[json!({"completion": "beta then alpha; gamma", "reference": "alpha beta gamma"})],
    );
    assert!(approx(r[0], (0.5 + 1.0) / 2.0), "{r:?}");

    let choice = "[[reward]]\nname = 'c'\nkind = 'choice'\nchoices = 'ABCDE'";
    let r = rewards(
        choice,
        &[
            json!({"completion": "Answer: (E)", "reference": "E"}),
            json!({"completion": "A train. The answer is C or E", "reference": "E"}),
        ],
    );
    assert_eq!(r, [Some(1.0), Some(0.0)]);
}

#[test]
fn misspelt_or_invalid_keys_name_file_table_and_key() {
    let cases = [
        ("tags", "requre = ['think']", "requre"),
        ("tags", "require = []", "require"),
        ("regex", "pattern = '(unclosed'", "pattern"),
        ("repetition", "max_penalty = 1.0", "max_penalty"),
        ("reasoning_steps", "targte = 3", "targte"),
        ("exact_match", "extract = 'sometimes'", "extract"),
        ("f1", "normalise = 'squad'", "normalise"),
        ("contains", "word_boundry = false", "word_boundry"),
        ("keyword_chain", "keywords = [[]]", "keywords"),
        ("choice", "choices = 'AAB'", "choices"),
    ];
    for (kind, extra, key) in cases {
        let toml = format!("name = 'p'\n[[reward]]\nname = 'mine'\nkind = '{kind}'\n{extra}\n");
        let err = Pipeline::from_toml(&toml, Path::new("conf/pipe.toml"), &Registry::builtin()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("conf/pipe.toml: "), "{message}");
        assert!(message.contains("[[reward]] #1 (name = \"mine\")"), "{message}");
        assert!(message.contains(&format!("key `{key}`")), "{kind}: {message}");
    }
}

#[test]
fn bad_records_become_errors_naming_the_field() {
    let toml = "[[reward]]\nname = 'em'\nkind = 'exact_match'";
    let scores = score(
        toml,
        &[
            json!({"completion": "<answer>4</answer>"}),
            json!({"completion": 4, "reference": "4"}),
            json!({"completion": "<answer>4</answer>", "reference": {"x": 1}}),
        ],
    );
    for (score, field) in scores.iter().zip(["reference", "completion", "reference"]) {
        assert_eq!(score.reward, None);
        let error = score.error.as_deref().unwrap();
        assert!(error.contains(&format!("`{field}`")), "{error}");
    }
}

#[test]
fn gated_pipeline_with_chat_messages_and_unicode() {
    let toml = r#"
name = "gated"
[[reward]]
name = "format"
kind = "tags"
[[reward]]
name = "correct"
kind = "exact_match"
[[reward]]
name = "repetition"
kind = "repetition"
weight = 0.5
[combine]
gate = ["format"]
"#;
    let records = [
        json!({"completion": [{"role": "user", "content": "q"}, {"role": "assistant",
            "content": "<think>東京 🙂 é\u{301}</think><answer>東京</answer>"}], "reference": "東京"}),
        json!({"completion": "<answer>東京</answer>", "reference": "東京"}),
    ];
    let scores = score(toml, &records);
    assert_eq!(scores[0].reward, Some(2.0));
    assert_eq!(scores[0].component("correct"), Some(1.0));
    assert_eq!(scores[1].reward, Some(0.0), "the format gate closes");
    assert_eq!(scores[1].component("correct"), Some(1.0));
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/kinds")
}

#[test]
fn bundled_examples_score_as_documented() {
    for kind in TEXT_KINDS {
        let config = examples_dir().join(format!("{kind}.toml"));
        let pipeline = Pipeline::from_file(&config, &Registry::builtin()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pipeline.name(), format!("{kind}-example"));
        let input = std::fs::read_to_string(examples_dir().join(format!("{kind}.jsonl"))).unwrap();
        let records: Vec<Value> = input.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!((3..=6).contains(&records.len()), "{kind}: 3-6 records");
        let samples: Vec<Sample> = records.iter().enumerate().map(|(i, r)| sample(i, r.clone())).collect();
        let scores = pipeline.score(&samples);
        let mut credited = 0;
        for (record, score) in records.iter().zip(&scores) {
            let expected = record["expected"].as_f64().unwrap();
            assert!(
                approx(score.reward, expected),
                "{kind} {}: got {:?}, expected {expected} ({:?})",
                record["id"],
                score.reward,
                score.diagnostics
            );
            credited += usize::from(expected > 0.0);
        }
        if *kind != "repetition" {
            assert!(
                credited > 0 && credited < records.len(),
                "{kind}: show credit and no credit"
            );
        }
    }
}

#[test]
fn throughput_smoke_test_for_the_hot_kinds() {
    // Not a benchmark (that is `assay bench`): catches accidental quadratic work on realistic batches.
    let toml = "[[reward]]\nname = 't'\nkind = 'tags'\n[[reward]]\nname = 'r'\nkind = 'repetition'";
    let completion = format!(
        "<think>\n{}\n</think>\n<answer>\n42\n</answer>",
        "Let me add the numbers step by step and check the result again. ".repeat(12)
    );
    let samples: Vec<Sample> = (0..5_000)
        .map(|i| sample(i, json!({"completion": completion})))
        .collect();
    let started = std::time::Instant::now();
    let scores = pipeline(toml).score(&samples);
    assert_eq!(scores.len(), samples.len());
    assert!(scores.iter().all(|s| s.component("t") == Some(1.0)));
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

const PIECES: &[&str] = &[
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "\\boxed{",
    "}",
    "{",
    "\\",
    "The answer is ",
    "Answer: ",
    "(B)",
    "A",
    "b",
    "or",
    ",",
    ". ",
    "\n",
    " ",
    "42",
    "é\u{301}",
    "東京",
    "🙂",
    "####",
    "**",
    "$",
];

fn adversarial_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(64))]

    /// Arbitrary, tag-heavy text never panics and always yields one finite value per kind.
    #[test]
    fn every_kind_scores_any_text(completion in adversarial_text(), reference in adversarial_text()) {
        let reference = if reference.trim().is_empty() { "42".to_owned() } else { reference };
        let record = json!({
            "completion": completion,
            "reference": reference,
            "keypoints": [["answer", "b"], ["🙂"]],
        });
        for kind in TEXT_KINDS {
            let toml = format!("[[reward]]\nname = 'k'\nkind = '{kind}'{}",
                if *kind == "regex" { "\npattern = 'a+'" } else { "" });
            let scores = score(&toml, std::slice::from_ref(&record));
            proptest::prop_assert_eq!(scores.len(), 1);
            match (&scores[0].reward, &scores[0].error) {
                (Some(value), None) => proptest::prop_assert!(value.is_finite()),
                // Only `choice` rejects a reference, when it is not a choice letter.
                (None, Some(error)) => proptest::prop_assert!(*kind == "choice" && error.contains("reference"), "{}", error),
                other => proptest::prop_assert!(false, "{other:?}"),
            }
        }
    }
}
