//! Tiny Qwen2 checkpoints generated here (real architecture, small dimensions, seeded weights, a WordLevel
//! tokenizer): scores over `serve-model`'s HTTP routes equal the in-process `local:` scores and the model's own
//! log-probabilities; the cache answers repeats; a judge that emits garbage gives error records.

use std::collections::HashMap;
use std::path::Path;

use assay_models::local::LocalModel;
use candle_core::{Device, Tensor};
use serde_json::{Value, json};
use tokenizers::Tokenizer;
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::pre_tokenizers::whitespace::Whitespace;

use crate::util::{Server, assert_close, assert_same_json, pipeline, post, samples, values};

/// No digits: the judge's `Score: N` pattern can never match what this model writes.
pub const VOCABULARY: [&str; 30] = [
    "unk",
    "eos",
    "yes",
    "no",
    "Yes",
    "No",
    "the",
    "answer",
    "is",
    "question",
    "user",
    "assistant",
    ":",
    "paris",
    "france",
    "capital",
    "of",
    "what",
    "blue",
    "sky",
    "why",
    "because",
    "light",
    "good",
    "bad",
    "a",
    "it",
    "?",
    ".",
    "think",
];
const HIDDEN: usize = 16;
const LAYERS: usize = 2;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const INTERMEDIATE: usize = 32;

/// A deterministic generator (SplitMix64), so every run writes the same weights.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    pub fn tensor(&mut self, shape: &[usize], scale: f32, offset: f32) -> Tensor {
        let count: usize = shape.iter().product();
        let values: Vec<f32> = (0..count).map(|_| offset + scale * self.next()).collect();
        Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
    }
}

/// Writes a Qwen2 checkpoint: `Qwen2ForCausalLM`, or `Qwen2ForSequenceClassification` with a one-label `score`.
fn write_qwen2(dir: &Path, classifier: bool, seed: u64) {
    let vocab = VOCABULARY.len();
    let architecture = if classifier {
        "Qwen2ForSequenceClassification"
    } else {
        "Qwen2ForCausalLM"
    };
    let config = json!({
        "architectures": [architecture], "model_type": "qwen2", "vocab_size": vocab, "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS, "max_position_embeddings": 256, "sliding_window": 256,
        "max_window_layers": LAYERS, "tie_word_embeddings": false, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
        "use_sliding_window": false, "hidden_act": "silu", "eos_token_id": 1, "num_labels": 1,
    });
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();

    let mut rng = Rng(seed);
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let kv = KV_HEADS * HIDDEN / HEADS;
    tensors.insert(
        "model.embed_tokens.weight".into(),
        rng.tensor(&[vocab, HIDDEN], 2.0, 0.0),
    );
    for layer in 0..LAYERS {
        let p = |name: &str| format!("model.layers.{layer}.{name}");
        for (name, shape) in [
            ("self_attn.q_proj.weight", vec![HIDDEN, HIDDEN]),
            ("self_attn.q_proj.bias", vec![HIDDEN]),
            ("self_attn.k_proj.weight", vec![kv, HIDDEN]),
            ("self_attn.k_proj.bias", vec![kv]),
            ("self_attn.v_proj.weight", vec![kv, HIDDEN]),
            ("self_attn.v_proj.bias", vec![kv]),
            ("self_attn.o_proj.weight", vec![HIDDEN, HIDDEN]),
            ("mlp.gate_proj.weight", vec![INTERMEDIATE, HIDDEN]),
            ("mlp.up_proj.weight", vec![INTERMEDIATE, HIDDEN]),
            ("mlp.down_proj.weight", vec![HIDDEN, INTERMEDIATE]),
        ] {
            tensors.insert(p(name), rng.tensor(&shape, 0.6, 0.0));
        }
        for name in ["input_layernorm.weight", "post_attention_layernorm.weight"] {
            tensors.insert(p(name), rng.tensor(&[HIDDEN], 0.2, 1.0));
        }
    }
    tensors.insert("model.norm.weight".into(), rng.tensor(&[HIDDEN], 0.2, 1.0));
    if classifier {
        tensors.insert("score.weight".into(), rng.tensor(&[1, HIDDEN], 1.0, 0.0));
    } else {
        tensors.insert("lm_head.weight".into(), rng.tensor(&[vocab, HIDDEN], 3.0, 0.0));
    }
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();

    write_tokenizer(dir);
}

/// A WordLevel tokenizer over [`VOCABULARY`], split on whitespace and punctuation.
pub fn write_tokenizer(dir: &Path) {
    let word_level = WordLevel::builder()
        .vocab(
            VOCABULARY
                .iter()
                .enumerate()
                .map(|(id, word)| (word.to_string(), id as u32))
                .collect(),
        )
        .unk_token("unk".into())
        .build()
        .unwrap();
    let mut tokenizer = Tokenizer::new(word_level);
    tokenizer.with_pre_tokenizer(Some(Whitespace));
    tokenizer.save(dir.join("tokenizer.json"), false).unwrap();
}

fn causal_lm() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_qwen2(dir.path(), false, 7);
    dir
}

fn records() -> Vec<Value> {
    vec![
        json!({"prompt": "what is the capital of france ?", "completion": "paris is the capital .", "reference": "paris"}),
        json!({"prompt": "why is the sky blue ?", "completion": "because of light .", "reference": "light"}),
        json!({"prompt": "what is the answer ?", "completion": "it is good", "reference": "the answer is good"}),
    ]
}

fn local(dir: &Path) -> String {
    format!("local:{}", dir.display())
}

#[test]
fn p_yes_and_likelihood_over_http_equal_in_process_and_the_models_own_logprobs() {
    let dir = causal_lm();
    let server = Server::start(dir.path());
    let model = LocalModel::shared(dir.path()).unwrap();
    let records = records();
    let samples = samples(&records);
    let template = "template = \"{prompt} {completion} yes or no ?\"";
    for keys in [
        format!("model = \"tiny\"\napi = \"completions\"\ntop_logprobs = 40\n{template}"),
        format!("model = \"tiny\"\napi = \"chat\"\ntop_logprobs = 40\n{template}"),
    ] {
        let over_http = values(&pipeline("p_yes", &server.url, &keys).score(&samples));
        let in_process = values(&pipeline("p_yes", &local(dir.path()), &keys).score(&samples));
        assert_close(&over_http, &in_process, 1e-5);
    }
    // The completions-API value from the model's own next-token distribution: P(yes) renormalized over yes/no.
    let expected: Vec<f64> = records
        .iter()
        .map(|r| {
            let prompt = format!(
                "{} {} yes or no ?",
                r["prompt"].as_str().unwrap(),
                r["completion"].as_str().unwrap()
            );
            let generation = model.generate(&prompt, 1, VOCABULARY.len()).unwrap();
            let top = &generation.generated[0].top;
            assert_eq!(top.len(), VOCABULARY.len());
            let total: f64 = top.iter().map(|(_, lp)| f64::from(*lp).exp()).sum();
            assert!((total - 1.0).abs() < 1e-4, "{total}");
            let mass = |words: [&str; 2]| -> f64 {
                top.iter()
                    .filter(|(t, _)| words.contains(&t.as_str()))
                    .map(|(_, lp)| f64::from(*lp).exp())
                    .sum()
            };
            let (yes, no) = (mass(["yes", "Yes"]), mass(["no", "No"]));
            yes / (yes + no)
        })
        .collect();
    let keys = format!("model = \"tiny\"\napi = \"completions\"\ntop_logprobs = 40\n{template}");
    assert_close(
        &values(&pipeline("p_yes", &server.url, &keys).score(&samples)),
        &expected,
        1e-5,
    );
    assert!(
        expected.iter().any(|p| (p - expected[0]).abs() > 1e-6),
        "the model should tell records apart: {expected:?}"
    );

    let keys = "model = \"tiny\"\ntemplate = \"{prompt} {completion} the answer is\"\ncontinuation = \" {reference}\"\nnormalize = false";
    let over_http = values(&pipeline("likelihood", &server.url, keys).score(&samples));
    let in_process = values(&pipeline("likelihood", &local(dir.path()), keys).score(&samples));
    assert_close(&over_http, &in_process, 1e-5);
    // The sum of the reference's token log-probabilities, read from the model directly.
    let expected: Vec<f64> = records
        .iter()
        .map(|r| {
            let context = format!(
                "{} {} the answer is",
                r["prompt"].as_str().unwrap(),
                r["completion"].as_str().unwrap()
            );
            let reference = r["reference"].as_str().unwrap();
            let generation = model.generate(&format!("{context} {reference}"), 0, 0).unwrap();
            let context_tokens = model.generate(&context, 0, 0).unwrap().prompt.len();
            generation.prompt[context_tokens..]
                .iter()
                .map(|t| f64::from(t.logprob.unwrap()))
                .sum()
        })
        .collect();
    assert_close(&over_http, &expected, 1e-5);
}

#[test]
fn incremental_generation_agrees_with_rescoring_the_whole_text() {
    let dir = causal_lm();
    let model = LocalModel::shared(dir.path()).unwrap();
    let prompt = "user : why is the sky blue ? assistant :";
    let generation = model.generate(prompt, 4, 3).unwrap();
    assert!(!generation.generated.is_empty());
    let words: Vec<&str> = generation.generated.iter().map(|t| t.text.as_str()).collect();
    let rescored = model.generate(&format!("{prompt} {}", words.join(" ")), 0, 0).unwrap();
    let start = generation.prompt.len();
    for (i, token) in generation.generated.iter().enumerate() {
        let again = &rescored.prompt[start + i];
        assert_eq!(again.text.trim(), token.text);
        let (a, b) = (again.logprob.unwrap(), token.logprob.unwrap());
        assert!((a - b).abs() < 1e-4, "token {i}: {a} vs {b}");
        // Greedy: the chosen token is the most likely one.
        assert_eq!(token.top[0].0, token.text);
    }
}

#[test]
fn completions_echo_returns_the_prompt_tokens_with_offsets() {
    let dir = causal_lm();
    let server = Server::start(dir.path());
    let prompt = "the sky is blue .";
    let body = json!({"model": "tiny", "prompt": [prompt], "max_tokens": 2, "echo": true, "logprobs": 2});
    let answer = post(&server.url, "/v1/completions", body.clone());
    assert_same_json(&answer, &post(&local(dir.path()), "/v1/completions", body));
    let logprobs = &answer["choices"][0]["logprobs"];
    let tokens: Vec<&str> = logprobs["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tokens[..5], ["the", " sky", " is", " blue", " ."]);
    assert_eq!(tokens.len(), 7);
    assert_eq!(
        logprobs["text_offset"].as_array().unwrap()[..5],
        json!([0, 3, 7, 10, 15]).as_array().unwrap()[..]
    );
    assert!(logprobs["token_logprobs"][0].is_null() && logprobs["token_logprobs"][1].is_f64());
    assert!(answer["choices"][0]["text"].as_str().unwrap().starts_with(prompt));
    let models = post(&server.url, "/v1/models", json!({}));
    assert_eq!(models["data"][0]["object"], "model");
}

#[test]
fn reward_model_over_classify_and_pooling_equals_the_score_head() {
    let dir = tempfile::tempdir().unwrap();
    write_qwen2(dir.path(), true, 11);
    let server = Server::start(dir.path());
    let model = LocalModel::shared(dir.path()).unwrap();
    let records = records();
    let samples = samples(&records);
    let texts: Vec<String> = records
        .iter()
        .map(|r| format!("{}{}", r["prompt"].as_str().unwrap(), r["completion"].as_str().unwrap()))
        .collect();
    let logits: Vec<f64> = model
        .classify(&texts)
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l.len(), 1);
            f64::from(l[0])
        })
        .collect();
    let sigmoid: Vec<f64> = logits.iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
    for (api, expected) in [("pooling", &logits), ("classify", &sigmoid)] {
        let keys = format!("model = \"tiny-rm\"\napi = \"{api}\"\nbatch_size = 2");
        let over_http = values(&pipeline("reward_model", &server.url, &keys).score(&samples));
        let in_process = values(&pipeline("reward_model", &local(dir.path()), &keys).score(&samples));
        assert_close(&over_http, expected, 1e-5);
        assert_close(&in_process, expected, 1e-5);
    }
    assert!(logits.iter().any(|l| (l - logits[0]).abs() > 1e-6), "{logits:?}");
    // The last token decides: a different ending changes the score.
    let other = model.classify(&["what is the answer ? it is bad".to_string()]).unwrap();
    assert!((f64::from(other[0][0]) - logits[2]).abs() > 1e-6);
}

#[test]
fn the_cache_answers_a_repeat_without_calling_the_server() {
    let dir = causal_lm();
    let server = Server::start(dir.path());
    let cache = tempfile::tempdir().unwrap();
    let keys = format!(
        "model = \"tiny\"\ncontinuation = \" {{reference}}\"\ncache = \"{}\"",
        cache.path().join("cache.redb").display()
    );
    let samples = samples(&records());
    let first = values(&pipeline("likelihood", &server.url, &keys).score(&samples));
    let calls = server.requests();
    assert!(calls >= 1);
    let second = values(&pipeline("likelihood", &server.url, &keys).score(&samples));
    assert_eq!(server.requests(), calls, "the repeat must be answered from the cache");
    assert_eq!(first, second);
}

#[test]
fn a_judge_on_a_model_that_writes_garbage_gives_error_records_not_zeros() {
    let dir = causal_lm();
    let server = Server::start(dir.path());
    let samples = samples(&records());
    for endpoint in [server.url.clone(), local(dir.path())] {
        let scores = pipeline("judge", &endpoint, "model = \"tiny\"\nmax_tokens = 6").score(&samples);
        assert_eq!(scores.len(), 3);
        for score in &scores {
            assert_eq!(score.reward, None, "{score:?}");
            let error = score.error.as_deref().unwrap();
            assert!(error.contains("no score matching"), "{error}");
        }
    }
}

#[test]
fn a_causal_checkpoint_refuses_the_pooling_route_and_a_missing_directory_is_a_clear_error() {
    let dir = causal_lm();
    let err = LocalModel::shared(dir.path())
        .unwrap()
        .embed(&["x".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not support embedding"), "{err}");
    let text = "name = \"t\"\n[[reward]]\nname = \"m\"\nkind = \"p_yes\"\nendpoint = \"local:/nonexistent/dir\"\nmodel = \"m\"\n";
    let err = assay_core::Pipeline::from_toml(text, Path::new("t.toml"), &crate::util::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("endpoint") && err.contains("/nonexistent/dir"), "{err}");
}
