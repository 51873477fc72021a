//! Every endpoint's happy path and its wire format.

use assay_core::Sample;
use serde_json::{Value, json};

use crate::util::{TEXT_PIPELINE, metric, pipeline, start, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_returns_what_the_pipeline_returns_one_score_per_record() {
    let server = start(TEXT_PIPELINE, test_config()).await;
    let records = vec![
        json!({"id": "a", "completion": "<think>x</think><answer>4</answer>", "reference": "4", "group": "q1"}),
        json!({"id": "b", "completion": "<think>x</think><answer>5</answer>", "reference": "4", "group": "q1"}),
        json!({"id": "c", "completion": "no tags", "reference": "4", "group": "q2"}),
        json!({"id": "d", "completion": "<think>x</think><answer>4</answer>", "group": "q2"}),
    ];
    let mut body_records = records.clone();
    body_records.insert(2, json!(17));
    let (status, body) = server.post("/v1/score", &json!({ "samples": body_records })).await;
    assert_eq!(status, 200, "{body}");
    let scores = body["scores"].as_array().expect("scores list");
    assert_eq!(scores.len(), 5);
    // The non-object record gets an error naming its index; the others are scored as one batch.
    assert_eq!(scores[2]["reward"], Value::Null);
    assert!(
        scores[2]["error"]
            .as_str()
            .unwrap()
            .starts_with("record 2: expected a JSON object, found a number")
    );
    let samples: Vec<Sample> = [0usize, 1, 3, 4]
        .iter()
        .zip(&records)
        .map(|(index, record)| Sample::from_record(*index, record.as_object().unwrap().clone(), "group"))
        .collect();
    let expected = pipeline(TEXT_PIPELINE).score(&samples);
    for (position, score) in [0usize, 1, 3, 4].iter().zip(&expected) {
        assert_eq!(scores[*position], serde_json::to_value(score).unwrap());
    }
    assert!(
        scores[4]["error"]
            .as_str()
            .unwrap()
            .contains("missing field `reference`")
    );
    // Group shaping saw exactly this request: q1 has a right and a wrong answer.
    assert!(scores[0]["reward"].as_f64().unwrap() > 0.0);
    assert!(scores[1]["reward"].as_f64().unwrap() < 0.0);
    let (status, body) = server.post("/v1/score", &json!({"samples": []})).await;
    assert_eq!((status, body), (200, json!({"scores": []})));
    server.stop().await;
}

const MATH_PIPELINE: &str = r#"
name = "test-math"
[[reward]]
name = "format"
kind = "tags"
require = ["answer"]
weight = 0.1
[[reward]]
name = "math"
kind = "math"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_reward_speaks_openrlhf() {
    let server = start(MATH_PIPELINE, test_config()).await;
    let prompt = "<|im_start|>user\nWhat is 1/2 + 1/4?<|im_end|>\n<|im_start|>assistant\n";
    let query =
        |answer: &str| format!("<|endoftext|>{prompt}<answer>\\boxed{{{answer}}}</answer><|im_end|>\n<|endoftext|>");
    let request = json!({
        "query": [query("3/4"), query("0.75"), query("1/3")],
        "prompts": [prompt, prompt, prompt],
        "labels": ["\\frac{3}{4}", "3/4", "3/4"],
    });
    let (status, body) = server.post("/get_reward", &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rewards"], json!([1.1, 1.1, 0.1]));
    // Scores are clamped to [0, 1] for OpenRLHF's dynamic filtering.
    assert_eq!(body["scores"], json!([1.0, 1.0, 0.1]));
    assert_eq!(body["extra_logs"]["math"], json!([1.0, 1.0, 0.0]));
    assert_eq!(body["extra_logs"]["format"], json!([1.0, 1.0, 1.0]));
    assert!(body.get("errors").is_none(), "{body}");

    // A record that cannot be scored is null, never a silent 0, and the message says why.
    let (status, body) = server
        .post("/get_reward", &json!({"query": ["<answer>4</answer>"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rewards"], json!([null]));
    assert!(body["errors"][0].as_str().unwrap().contains("answer"), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_describe_the_server() {
    let server = start(TEXT_PIPELINE, test_config()).await;
    let health: Value = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        health,
        json!({"status": "ok", "pipeline": "test-text", "components": ["format", "correct"]})
    );
    let record = json!({"completion": "<think>a</think><answer>1</answer>", "reference": "1"});
    for _ in 0..3 {
        let (status, _) = server.post("/v1/score", &json!({"samples": [record, record]})).await;
        assert_eq!(status, 200);
    }
    let (status, _) = server.post_raw("/v1/score", "{oops").await;
    assert_eq!(status, 400);
    let text = server.metrics().await;
    assert_eq!(
        metric(&text, "assay_requests_total{endpoint=\"/v1/score\",status=\"200\"}"),
        Some(3.0)
    );
    assert_eq!(
        metric(&text, "assay_requests_total{endpoint=\"/v1/score\",status=\"400\"}"),
        Some(1.0)
    );
    assert_eq!(metric(&text, "assay_samples_total{endpoint=\"/v1/score\"}"), Some(6.0));
    assert_eq!(metric(&text, "assay_errors_total{kind=\"bad_request\"}"), Some(1.0));
    assert_eq!(
        metric(&text, "assay_request_duration_seconds_count{endpoint=\"/v1/score\"}"),
        Some(4.0)
    );
    for component in ["format", "correct"] {
        let series = format!("assay_component_duration_seconds_count{{component=\"{component}\"}}");
        assert_eq!(metric(&text, &series), Some(3.0), "{series}");
    }
    // The metrics request itself is in flight while it renders.
    assert_eq!(metric(&text, "assay_in_flight_requests"), Some(1.0));
    assert_eq!(metric(&text, "assay_sandbox_workers{state=\"total\"}"), Some(0.0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_everything_but_healthz() {
    let config = assay_server::ServerConfig {
        token: Some("s3cret".into()),
        ..test_config()
    };
    let server = start(TEXT_PIPELINE, config).await;
    let body = json!({"samples": [{"completion": "x", "reference": "x"}]});
    let send = |token: Option<&'static str>, path: &'static str| {
        let mut request = server.client.post(server.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let refused = send(None, "/v1/score").await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["kind"], "unauthorized");
    assert_eq!(send(Some("s3cre"), "/v1/score").await.unwrap().status().as_u16(), 401);
    assert_eq!(
        send(Some("s3cret!"), "/get_reward").await.unwrap().status().as_u16(),
        401
    );
    assert_eq!(send(Some("s3cret"), "/v1/score").await.unwrap().status().as_u16(), 200);
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status().as_u16(), 401);
    let health = server.client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    server.stop().await;
}
