//! The client side shared by every kind: retries, deadlines, the concurrency limit, the cache and API keys.

use std::time::Duration;

use serde_json::json;

use crate::mock::{Mock, chat_text};
use crate::util::{pipeline, samples, values};

fn judge_keys(extra: &str) -> String {
    format!("model = \"j\"\ntemplate = \"{{completion}}\"\nretry_backoff_ms = 10\n{extra}")
}

#[test]
fn retries_429_and_503_then_succeeds() {
    let mock = Mock::start(|_, _, earlier| match earlier {
        0 => (503, json!({"error": "loading"})),
        1 => (429, json!({"error": "slow down"})),
        _ => (200, chat_text("Score: 4")),
    });
    let p = pipeline("judge", &mock.url, &judge_keys(""));
    let scores = p.score(&samples(&[json!({"completion": "a"})]));
    assert_eq!(values(&scores), [Some(4.0)]);
    assert_eq!(mock.seen().len(), 3);
}

#[test]
fn gives_up_after_max_retries_and_does_not_retry_client_errors() {
    let mock = Mock::start(|_, body, _| {
        if body["messages"][0]["content"] == "bad-request" {
            (400, json!({"error": "bad"}))
        } else {
            (503, json!({"error": "down"}))
        }
    });
    let p = pipeline("judge", &mock.url, &judge_keys("max_retries = 2"));
    let scores = p.score(&samples(&[
        json!({"completion": "a"}),
        json!({"completion": "bad-request"}),
    ]));
    assert_eq!(values(&scores), [None, None]);
    assert!(scores[0].error.as_deref().unwrap().contains("HTTP 503"), "{scores:?}");
    assert!(scores[1].error.as_deref().unwrap().contains("HTTP 400"), "{scores:?}");
    let seen = mock.seen();
    let count = |content: &str| {
        seen.iter()
            .filter(|s| s.body["messages"][0]["content"] == content)
            .count()
    };
    assert_eq!((count("a"), count("bad-request")), (3, 1));
}

#[test]
fn deadline_bounds_a_slow_server() {
    let mock = Mock::with_delay(Duration::from_millis(1500), |_, _, _| (200, chat_text("Score: 1")));
    let p = pipeline("judge", &mock.url, &judge_keys("timeout_ms = 200\nmax_retries = 0"));
    let scores = p.score(&samples(&[json!({"completion": "a"})]));
    let error = scores[0].error.as_deref().unwrap();
    assert!(error.contains("no answer within 200 ms"), "{error}");
}

#[test]
fn concurrency_limit_holds_and_requests_overlap() {
    let mock = Mock::with_delay(Duration::from_millis(300), |_, _, _| (200, chat_text("Score: 1")));
    let p = pipeline("judge", &mock.url, &judge_keys("max_concurrency = 3"));
    let batch: Vec<_> = (0..9).map(|i| json!({"completion": format!("c{i}")})).collect();
    let scores = p.score(&samples(&batch));
    assert!(scores.iter().all(|s| s.reward == Some(1.0)));
    assert_eq!(mock.seen().len(), 9);
    assert_eq!(mock.max_in_flight(), 3, "at most 3 in flight, and the limit is used");
}

#[test]
fn cache_answers_repeats_without_calling_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.redb");
    let mock = Mock::start(|path, body, _| match path {
        "/v1/chat/completions" => (200, chat_text(&format!("Score: {}", body.to_string().len() % 7))),
        _ => (200, crate::mock::echo_completions(body)),
    });
    let keys = judge_keys(&format!("cache = \"{}\"", cache.display()));
    let batch = samples(&[json!({"completion": "a"}), json!({"completion": "bb"})]);
    let first = pipeline("judge", &mock.url, &keys).score(&batch);
    assert_eq!(mock.seen().len(), 2);
    // A freshly built pipeline (same cache file) scores the same records from the cache alone.
    let again = pipeline("judge", &mock.url, &keys).score(&batch);
    assert_eq!(mock.seen().len(), 2, "the server saw a second request");
    assert_eq!(values(&first), values(&again));
    // Batched endpoints cache each item on its own: regrouping the batch still hits.
    let lk = format!("model = \"lm\"\nbatch_size = 2\ncache = \"{}\"", cache.display());
    let records: Vec<_> = (0..3)
        .map(|i| json!({"prompt": "p", "completion": format!(" c{i}"), "reference": " 42"}))
        .collect();
    let first = pipeline("likelihood", &mock.url, &lk).score(&samples(&records));
    let calls = mock.seen().len();
    let reversed: Vec<_> = records.iter().rev().cloned().collect();
    let lk1 = lk.replace("batch_size = 2", "batch_size = 3");
    let again = pipeline("likelihood", &mock.url, &lk1).score(&samples(&reversed));
    assert_eq!(mock.seen().len(), calls);
    let mut back = values(&again);
    back.reverse();
    assert_eq!(values(&first), back);
    assert!(first.iter().all(|s| s.reward.is_some()), "{first:?}");
}

#[test]
fn api_key_comes_from_the_named_environment_variable() {
    // PATH is set in every test process, so no test has to mutate the environment (which is unsafe with threads).
    let mock = Mock::start(|_, _, _| (200, chat_text("Score: 1")));
    let p = pipeline("judge", &mock.url, &judge_keys("api_key_env = \"PATH\""));
    p.score(&samples(&[json!({"completion": "a"})]));
    let expected = format!("Bearer {}", std::env::var("PATH").unwrap());
    assert_eq!(mock.seen()[0].authorization.as_deref(), Some(expected.as_str()));
    let p = pipeline("judge", &mock.url, &judge_keys(""));
    p.score(&samples(&[json!({"completion": "b"})]));
    assert_eq!(mock.seen()[1].authorization, None);
}

#[test]
fn unreachable_server_is_an_error_record_per_sample() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let p = pipeline("judge", &url, &judge_keys("max_retries = 1"));
    let scores = p.score(&samples(&[json!({"completion": "a"}), json!({"completion": "b"})]));
    assert_eq!(scores.len(), 2);
    assert!(
        scores
            .iter()
            .all(|s| s.reward.is_none() && s.error.as_deref().unwrap().contains("request failed"))
    );
}
