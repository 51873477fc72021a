//! A tiny generated `BertForSequenceClassification` checkpoint: `/classify` (softmax over two labels) and
//! `reward_model` over HTTP equal the in-process head, and padding in a batch does not change a score.

use std::collections::HashMap;

use assay_models::local::{Capability, LocalModel};
use candle_core::Tensor;
use serde_json::json;

use crate::tiny::{Rng, VOCABULARY, write_tokenizer};
use crate::util::{Server, assert_close, pipeline, samples, values};

const HIDDEN: usize = 16;
const INTERMEDIATE: usize = 32;
const POSITIONS: usize = 64;

struct Weights {
    rng: Rng,
    tensors: HashMap<String, Tensor>,
}

impl Weights {
    fn add(&mut self, name: &str, shape: &[usize], scale: f32, offset: f32) {
        self.tensors
            .insert(name.to_owned(), self.rng.tensor(shape, scale, offset));
    }

    fn norm(&mut self, prefix: &str) {
        self.add(&format!("{prefix}.weight"), &[HIDDEN], 0.2, 1.0);
        self.add(&format!("{prefix}.bias"), &[HIDDEN], 0.2, 0.0);
    }
}

fn write_bert_classifier(dir: &std::path::Path) {
    let config = json!({
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": VOCABULARY.len(),
        "hidden_size": HIDDEN, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": INTERMEDIATE,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let mut weights = Weights {
        rng: Rng(23),
        tensors: HashMap::new(),
    };
    weights.add(
        "bert.embeddings.word_embeddings.weight",
        &[VOCABULARY.len(), HIDDEN],
        1.0,
        0.0,
    );
    weights.add(
        "bert.embeddings.position_embeddings.weight",
        &[POSITIONS, HIDDEN],
        0.5,
        0.0,
    );
    weights.add("bert.embeddings.token_type_embeddings.weight", &[2, HIDDEN], 0.5, 0.0);
    weights.norm("bert.embeddings.LayerNorm");
    let layer = "bert.encoder.layer.0";
    for (name, out, inp) in [
        ("attention.self.query", HIDDEN, HIDDEN),
        ("attention.self.key", HIDDEN, HIDDEN),
        ("attention.self.value", HIDDEN, HIDDEN),
        ("attention.output.dense", HIDDEN, HIDDEN),
        ("intermediate.dense", INTERMEDIATE, HIDDEN),
        ("output.dense", HIDDEN, INTERMEDIATE),
    ] {
        weights.add(&format!("{layer}.{name}.weight"), &[out, inp], 0.6, 0.0);
        weights.add(&format!("{layer}.{name}.bias"), &[out], 0.2, 0.0);
    }
    weights.norm(&format!("{layer}.attention.output.LayerNorm"));
    weights.norm(&format!("{layer}.output.LayerNorm"));
    weights.add("bert.pooler.dense.weight", &[HIDDEN, HIDDEN], 0.6, 0.0);
    weights.add("bert.pooler.dense.bias", &[HIDDEN], 0.2, 0.0);
    weights.add("classifier.weight", &[2, HIDDEN], 2.0, 0.0);
    weights.add("classifier.bias", &[2], 0.2, 0.0);
    let tensors = weights.tensors;
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    write_tokenizer(dir);
}

#[test]
fn bert_classifier_over_classify_equals_the_in_process_head() {
    let dir = tempfile::tempdir().unwrap();
    write_bert_classifier(dir.path());
    let model = LocalModel::shared(dir.path()).unwrap();
    assert_eq!(model.capabilities(), [Capability::Embedding, Capability::Classify]);
    let texts = ["the sky is blue", "paris is the capital of france", "it is bad"];
    let logits = model.classify(&texts.map(String::from)).unwrap();
    let second_label: Vec<f64> = logits
        .iter()
        .map(|l| {
            assert_eq!(l.len(), 2);
            let (a, b) = (f64::from(l[0]), f64::from(l[1]));
            b.exp() / (a.exp() + b.exp())
        })
        .collect();
    assert!(
        second_label.iter().any(|p| (p - second_label[0]).abs() > 1e-6),
        "{second_label:?}"
    );
    let server = Server::start(dir.path());
    let records: Vec<_> = texts.iter().map(|t| json!({"prompt": "", "completion": t})).collect();
    let keys = "model = \"tiny-bert\"\napi = \"classify\"\noutput_index = 1";
    let over_http = values(&pipeline("reward_model", &server.url, keys).score(&samples(&records)));
    assert_close(&over_http, &second_label, 1e-5);
    // A batch padded to its longest text gives each text the score it has alone (the mask hides the padding).
    let alone = model.classify(&[texts[2].to_string()]).unwrap();
    assert!((alone[0][1] - logits[2][1]).abs() < 1e-5, "{alone:?} vs {logits:?}");
}
