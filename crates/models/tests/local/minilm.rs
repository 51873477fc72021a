//! all-MiniLM-L6-v2 (real weights): sentence embeddings in-process, over `serve-model`'s `/pooling`, and the
//! `embedding_similarity` kind.

use assay_models::local::LocalModel;
use serde_json::{Value, json};

use crate::util::{Server, minilm_dir, post, read_jsonl, samples};

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn embed(texts: &[&str]) -> Vec<Vec<f32>> {
    let model = LocalModel::shared(&minilm_dir()).unwrap();
    let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    model.embed(&texts).unwrap()
}

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let vectors = embed(&[
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A man is riding a horse.",
        "The cat sits on the mat.",
        "A cat is sitting on a rug.",
        "Stock markets fell sharply after the announcement.",
    ]);
    for vector in &vectors {
        assert_eq!(vector.len(), 384);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }
    let sim = |a: usize, b: usize| cosine(&vectors[a], &vectors[b]);
    assert!(sim(0, 1) > sim(0, 2), "{} vs {}", sim(0, 1), sim(0, 2));
    assert!(sim(3, 4) > sim(3, 5), "{} vs {}", sim(3, 4), sim(3, 5));
    assert!(sim(0, 1) > 0.5 && sim(3, 4) > 0.5, "{} {}", sim(0, 1), sim(3, 4));
    assert!(sim(3, 5) < 0.2, "{}", sim(3, 5));
}

#[test]
fn padding_in_a_batch_does_not_change_an_embedding() {
    let short = "Hello there.";
    let long = "A considerably longer sentence that forces the short one in the same batch to be padded.";
    let together = embed(&[short, long]);
    let alone = embed(&[short]);
    for (a, b) in together[0].iter().zip(&alone[0]) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn serve_model_pooling_equals_in_process_embeddings() {
    let dir = minilm_dir();
    let server = Server::start(&dir);
    let texts = ["The weather is lovely today.", "It is sunny outside."];
    let in_process = embed(&texts);
    for base in [server.url.clone(), format!("local:{}", dir.display())] {
        let answer = post(&base, "/pooling", json!({"model": "m", "input": texts}));
        let data = answer["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "{answer}");
        for (entry, expected) in data.iter().zip(&in_process) {
            let served: Vec<f64> = entry["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(served.len(), expected.len());
            for (a, b) in served.iter().zip(expected) {
                assert!((a - f64::from(*b)).abs() < 1e-5, "{base}: {a} vs {b}");
            }
        }
    }
    // An embedding model has no classifier or language-model head: a clear 400, not a crash.
    let endpoint = assay_models::Endpoint::new(assay_models::EndpointConfig::new(server.url.as_str())).unwrap();
    let url = endpoint.url("/completions");
    let err = assay_models::block_on(async move { endpoint.post(&url, json!({"prompt": "x"})).await })
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 400") && err.contains("causal"), "{err}");
}

#[test]
fn embedding_similarity_example_ranks_paraphrases_first() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/local");
    let config = root.join("embedding_similarity.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let model_line = regex::Regex::new(r#"(?m)^model_dir = ".*"$"#).unwrap();
    assert!(
        model_line.is_match(&text),
        "the example names model_dir on its own line"
    );
    let text = model_line.replace(&text, format!("model_dir = \"{}\"", minilm_dir().display()).as_str());
    let pipeline = assay_core::Pipeline::from_toml(&text, &config, &crate::util::registry()).unwrap();
    let records = read_jsonl(&config.with_extension("jsonl"));
    let scores = pipeline.score(&samples(&records));
    assert_eq!(scores.len(), records.len());
    let rewards: Vec<f64> = scores.iter().map(|s| s.reward.unwrap()).collect();
    // The example's records come in pairs: a paraphrase of the reference, then an unrelated answer.
    assert!(rewards.len() >= 4 && rewards.len().is_multiple_of(2));
    for pair in rewards.chunks(2) {
        assert!(pair[0] > pair[1], "{rewards:?}");
    }
}

#[test]
fn embedding_similarity_takes_the_closest_reference_and_reports_missing_fields() {
    let dir = minilm_dir();
    let text = format!(
        "name = \"t\"\n[[reward]]\nname = \"sim\"\nkind = \"embedding_similarity\"\nmodel_dir = \"{}\"\nbatch_size = 2\n",
        dir.display()
    );
    let pipeline =
        assay_core::Pipeline::from_toml(&text, std::path::Path::new("t.toml"), &crate::util::registry()).unwrap();
    let records = vec![
        json!({"completion": "Paris is the capital of France.", "reference": "The capital of France is Paris."}),
        json!({"completion": "Paris is the capital of France.",
               "reference": ["Bananas are yellow.", "The capital of France is Paris."]}),
        json!({"completion": "Paris is the capital of France."}),
    ];
    let scores = pipeline.score(&samples(&records));
    let single = scores[0].reward.unwrap();
    let best_of_two = scores[1].reward.unwrap();
    assert!((single - best_of_two).abs() < 1e-6, "{single} vs {best_of_two}");
    assert!(single > 0.8, "{single}");
    let error = scores[2].error.as_deref().unwrap();
    assert!(error.contains("reference"), "{error}");
    // A checkpoint that is not a directory is a configuration error naming the key.
    let bad = text.replace(&dir.display().to_string(), "/nonexistent/model");
    let err = assay_core::Pipeline::from_toml(&bad, std::path::Path::new("t.toml"), &crate::util::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("model_dir"), "{err}");
}

#[test]
fn embeddings_equal_an_independent_numpy_forward_pass() {
    use std::io::Write;
    let dir = minilm_dir();
    let sentences = [
        "A man is eating food.",
        "Hello, world! How are you today?",
        "The quick brown fox jumps over the lazy dog.",
    ];
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/local/bert_reference.py");
    let mut child = std::process::Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sentences.join("\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the numpy reference failed");
    let reference: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ours = embed(&sentences);
    for (sentence, (expected, got)) in sentences.iter().zip(reference.iter().zip(&ours)) {
        let expected: Vec<f64> = expected["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(expected.len(), got.len());
        let worst = expected
            .iter()
            .zip(got)
            .map(|(e, g)| (e - f64::from(*g)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "{sentence}: largest difference {worst}");
    }
}
