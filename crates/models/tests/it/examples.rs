//! Every `examples/models/<kind>.toml` scores its `.jsonl` without errors against the mock server (the examples
//! point at a local vLLM; the test swaps in the mock's address and a temporary cache).

use std::path::Path;

use serde_json::{Value, json};

use crate::mock::{Mock, chat_text, echo_completions, user_message};
use crate::util::{read_jsonl, registry, samples};

/// A stand-in for every route the examples call.
fn any_model(path: &str, body: &Value, _: usize) -> (u16, Value) {
    let inputs = || {
        body["input"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![body["messages"].clone()])
    };
    match path {
        "/pooling" => {
            let data: Vec<Value> = inputs()
                .iter()
                .enumerate()
                .map(|(i, input)| json!({"index": i, "data": [input.to_string().len() as f64 / 100.0]}))
                .collect();
            (200, json!({"data": data}))
        }
        "/classify" => {
            let data: Vec<Value> = (0..inputs().len())
                .map(|i| json!({"index": i, "probs": [0.3, 0.7], "num_classes": 2}))
                .collect();
            (200, json!({"data": data}))
        }
        "/v1/chat/completions" if body["logprobs"] == json!(true) => (
            200,
            json!({"choices": [{"index": 0, "logprobs": {"content": [{"token": "yes", "logprob": -0.3,
                "top_logprobs": [{"token": "yes", "logprob": -0.3}, {"token": "no", "logprob": -1.4}]}]}}]}),
        ),
        "/v1/chat/completions" if user_message(body).contains("[[A]]") => {
            (200, chat_text("<rubric>r</rubric><eval>e</eval><answer>[[A]]</answer>"))
        }
        "/v1/chat/completions" => (200, chat_text("Reasonable. Score: 7")),
        "/v1/completions" => (200, echo_completions(body)),
        _ => (404, json!({"error": "no such route"})),
    }
}

#[test]
fn every_model_example_scores_against_a_mock_server() {
    let mock = Mock::start(any_model);
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/models");
    let endpoint = regex::Regex::new(r"http://127\.0\.0\.1:\d+/v1").unwrap();
    let cache = regex::Regex::new(r#"(?m)^cache = ".*"$"#).unwrap();
    let mut ran = Vec::new();
    for entry in std::fs::read_dir(&examples).unwrap() {
        let config = entry.unwrap().path();
        if config.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&config).unwrap();
        let text = endpoint.replace_all(&text, mock.url.as_str());
        let cache_line = format!("cache = \"{}\"", dir.path().join("cache.redb").display());
        let text = cache.replace_all(&text, cache_line.as_str());
        let pipeline = assay_core::Pipeline::from_toml(&text, &config, &registry())
            .unwrap_or_else(|err| panic!("{}: {err}", config.display()));
        let records = read_jsonl(&config.with_extension("jsonl"));
        let scores = pipeline.score(&samples(&records));
        assert_eq!(scores.len(), records.len());
        for score in &scores {
            assert!(
                score.reward.is_some_and(f64::is_finite),
                "{}: {score:?}",
                config.display()
            );
        }
        ran.push(config.file_stem().unwrap().to_string_lossy().into_owned());
    }
    ran.sort();
    assert_eq!(ran, ["judge", "likelihood", "model_ensemble", "p_yes", "reward_model"]);
}
