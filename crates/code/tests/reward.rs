//! `kind = "code"` as a pipeline reward: parameters, record fields, batch scoring and error kinds.

use std::collections::HashMap;

use assay_core::{BatchContext, Component, Params, Registry, RewardError, RewardSpec, Sample};
use serde_json::{Value, json};

fn spec(params: &str) -> RewardSpec {
    RewardSpec {
        name: "code".into(),
        kind: "code".into(),
        params: Params(toml::from_str(params).expect("toml")),
    }
}

fn build(params: &str) -> Result<Box<dyn assay_core::Reward>, assay_core::KeyError> {
    let mut registry = Registry::empty();
    assay_code::register(&mut registry);
    let kind = registry.reward("code").expect("registered");
    (kind.build)(&spec(params))
}

fn samples(records: Vec<Value>) -> Vec<Sample> {
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| match record {
            Value::Object(map) => Sample::from_record(index, map, "group"),
            _ => unreachable!("records are objects"),
        })
        .collect()
}

fn score(params: &str, records: Vec<Value>) -> Vec<Result<Component, RewardError>> {
    let reward = build(params).expect("params");
    let samples = samples(records);
    let earlier = HashMap::new();
    let ctx = BatchContext::standalone(&samples, &earlier);
    futures::executor::block_on(reward.score_batch(&ctx))
}

#[test]
fn misspelt_or_invalid_keys_are_named() {
    let error = build("timeout = 3").err().expect("unknown key");
    assert_eq!(error.key, "timeout");
    assert_eq!(build("language = \"cobol\"").err().expect("language").key, "language");
    assert_eq!(build("compare = \"fuzzy\"").err().expect("compare").key, "compare");
    assert_eq!(build("test_format = \"xml\"").err().expect("format").key, "test_format");
    assert!(build("timeout_ms = 2000\nmemory_mb = 256\nprefix_field = \"prompt\"").is_ok());
}

#[test]
fn a_batch_mixes_formats_and_keeps_order() {
    let check = "def check(candidate):\n    assert candidate(2) == 4\n";
    let io = json!([{"input": "2\n", "output": "4\n"}, {"input": "5\n", "output": "10\n"}]);
    let results = score(
        "timeout_ms = 3000\nworkers = 2\nfiles_field = \"files\"",
        vec![
            json!({"completion": "Here:\n```python\ndef double(x):\n    return 2 * x\n```\n", "tests": check, "entry_point": "double"}),
            json!({"completion": "def double(x):\n    return x * x\n", "tests": check, "entry_point": "double"}),
            json!({"completion": "print(int(input()) * 2)", "tests": io}),
            json!({"completion": "print(4)", "tests": io.to_string()}),
            json!({"completion": "def double(x):\n    return 2 * x\n", "tests": check, "entry_point": "double",
                   "files": {"../../etc/evil": "x"}}),
            json!({"completion": "def double(x):\n    return 2 * x\n", "tests": check}),
        ],
    );
    let values: Vec<Option<f64>> = results.iter().map(|r| r.as_ref().ok().map(|c| c.value)).collect();
    assert_eq!(
        values,
        vec![Some(1.0), Some(1.0), Some(1.0), Some(0.5), Some(0.0), None],
        "{results:?}"
    );
    let component = results[3].as_ref().expect("io");
    assert_eq!(component.diagnostics["format"], "io");
    assert_eq!(component.diagnostics["tests"][1]["status"], "failed");
    let invalid = results[4].as_ref().expect("files charged to the sample");
    assert_eq!(invalid.diagnostics["status"], "invalid_files");
    assert!(
        matches!(results[5], Err(RewardError::MissingField { .. })),
        "{:?}",
        results[5]
    );
    // (x * x above is right for the only tested input, 2: weak tests are the dataset's business.)
    let wrong = score(
        "timeout_ms = 3000",
        vec![json!({"completion": "def double(x):\n    return x + 1\n", "tests": check, "entry_point": "double"})],
    );
    let wrong = wrong[0].as_ref().expect("scored");
    assert_eq!(wrong.value, 0.0);
    assert_eq!(wrong.diagnostics["status"], "failed");
    assert!(
        wrong.diagnostics["error"]
            .as_str()
            .unwrap_or("")
            .contains("AssertionError"),
        "{wrong:?}"
    );
}

#[test]
fn the_prefix_field_is_placed_before_the_completion() {
    let prompt = "def helper(x):\n    return x + 1\n\ndef inc2(x):\n    \"\"\"Adds two.\"\"\"\n";
    let results = score(
        "prefix_field = \"prompt\"\ntests_field = \"test\"\ntest_format = \"function\"",
        vec![json!({"prompt": prompt, "completion": "    return helper(helper(x))\n",
                    "test": "def check(candidate):\n    assert candidate(1) == helper(2)\n", "entry_point": "inc2"})],
    );
    assert_eq!(results[0].as_ref().map(|c| c.value), Ok(1.0), "{results:?}");
}

#[test]
fn c_programs_through_the_reward() {
    let io = json!({"inputs": ["3\n", "4\n"], "outputs": ["9\n", "16\n"]});
    let results = score(
        "language = \"c\"\ntest_format = \"io\"",
        vec![
            json!({"completion": "```c\n#include <stdio.h>\nint main(void){int n; scanf(\"%d\",&n); printf(\"%d\\n\", n*n);}\n```", "tests": io}),
        ],
    );
    assert_eq!(results[0].as_ref().map(|c| c.value), Ok(1.0), "{results:?}");
}

#[test]
fn difficulty_weighting_uses_the_group() {
    let io = json!([{"input": "1\n", "output": "1\n"}, {"input": "2\n", "output": "4\n"}]);
    let results = score(
        "weighting = \"difficulty\"\ntest_format = \"io\"",
        vec![
            json!({"completion": "x = int(input())\nprint(x * x)", "tests": io, "group": "g"}),
            json!({"completion": "print(input())", "tests": io, "group": "g"}),
        ],
    );
    let values: Vec<f64> = results
        .iter()
        .map(|r| r.as_ref().map_or(f64::NAN, |c| c.value))
        .collect();
    // Both pass test 0 (weight 0); only the first passes test 1 (weight 1/2).
    assert_eq!(values, vec![1.0, 0.0], "{results:?}");
    assert_eq!(
        results[1].as_ref().map(|c| c.diagnostics["unweighted"].clone()),
        Ok(json!(0.5))
    );
}
