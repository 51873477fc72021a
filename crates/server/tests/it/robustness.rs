//! Hostile and unlucky clients: each gets the right status, and the server keeps serving afterwards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::{Running, TEXT_PIPELINE, metric, start, test_config};

const GOOD: &str = r#"{"samples": [{"completion": "<think>a</think><answer>1</answer>", "reference": "1"}]}"#;

async fn still_serves(server: &Running) {
    let (status, body) = server.post_raw("/v1/score", GOOD).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["scores"][0]["reward"].is_number(), "{body}");
}

/// Sends raw bytes and returns what the server answers before closing (or within 5 s).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    read_response(&mut stream).await
}

async fn read_response(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buffer)).await;
    String::from_utf8_lossy(&buffer).into_owned()
}

fn sleepy_pipeline(ms: u64) -> String {
    format!(
        r#"
name = "sleepy"
[[reward]]
name = "format"
kind = "tags"
[[reward]]
name = "slow"
kind = "sleep"
ms = {ms}
[[reward]]
name = "after"
kind = "tags"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_bodies_and_batches_get_413() {
    let config = assay_server::ServerConfig {
        max_body_bytes: 2048,
        max_batch: 2,
        ..test_config()
    };
    let server = start(TEXT_PIPELINE, config).await;
    let big = json!({"samples": [{"completion": "x".repeat(4096)}]});
    let (status, body) = server.post("/v1/score", &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["kind"], "body_too_large");
    // Without Content-Length (chunked), the limit holds while reading.
    let chunk = "x".repeat(1500);
    let chunked = format!(
        "POST /v1/score HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let answer = raw_exchange(server.addr, chunked.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
    let three = json!({"samples": [{"completion": "a"}, {"completion": "b"}, {"completion": "c"}]});
    let (status, body) = server.post("/v1/score", &three).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["kind"], "batch_too_large");
    assert_eq!(body["error"]["field"], "samples");
    let (status, body) = server.post("/get_reward", &json!({"query": ["a", "b", "c"]})).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["field"], "query");
    still_serves(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_wrong_types_get_400_naming_the_field() {
    let server = start(TEXT_PIPELINE, test_config()).await;
    let cases: [(&str, &'static str, Option<&str>, Option<u64>); 7] = [
        ("/v1/score", "{oops", None, None),
        ("/v1/score", "", None, None),
        ("/v1/score", r#"{"samples": 5}"#, Some("samples"), None),
        ("/v1/score", r#"{"records": []}"#, None, None),
        ("/get_reward", r#"{"query": ["a", 3]}"#, Some("query[1]"), Some(1)),
        (
            "/get_reward",
            r#"{"query": ["a", "b"], "labels": ["1"]}"#,
            Some("labels"),
            None,
        ),
        ("/run_code", r#"{"code": 1, "language": "python"}"#, Some("code"), None),
    ];
    for (path, body, field, index) in cases {
        let (status, answer) = server.post_raw(path, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["kind"], "bad_request", "{answer}");
        assert_eq!(answer["error"]["field"].as_str(), field, "{body}: {answer}");
        assert_eq!(answer["error"]["index"].as_u64(), index, "{body}: {answer}");
    }
    let (status, answer) = server.post_raw("/v1/score", "{oops").await;
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("not valid JSON"),
        "{status} {answer}"
    );
    let (status, answer) = server.post_raw("/nowhere", "{}").await;
    assert_eq!(status, 404, "{answer}");
    still_serves(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saturation_gets_503_with_retry_after() {
    let config = assay_server::ServerConfig {
        max_concurrency: 1,
        ..test_config()
    };
    let server = start(&sleepy_pipeline(800), config).await;
    let body = json!({"samples": [{"completion": "<think>a</think><answer>1</answer>"}]});
    let first = {
        let client = server.client.clone();
        let url = server.url("/v1/score");
        let body = body.clone();
        tokio::spawn(async move { client.post(url).json(&body).send().await.map(|r| r.status().as_u16()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = server
        .client
        .post(server.url("/v1/score"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["kind"], "overloaded");
    // Health stays answerable while saturated.
    let health = server.client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(first.await.unwrap().unwrap(), 200);
    let (status, _) = server.post("/v1/score", &body).await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_gives_504_with_partial_results_marked() {
    let config = assay_server::ServerConfig {
        deadline: Duration::from_millis(150),
        ..test_config()
    };
    let server = start(&sleepy_pipeline(500), config).await;
    let record = json!({"completion": "<think>a</think><answer>1</answer>"});
    let started = Instant::now();
    let (status, body) = server.post("/v1/score", &json!({"samples": [record, record]})).await;
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(body["error"]["kind"], "deadline_exceeded");
    assert_eq!(body["partial"], true);
    let scores = body["scores"].as_array().unwrap();
    // Record 0 was being scored by `slow` when the deadline passed and keeps its value; record 1 was not
    // started, and `after` never ran.
    assert_eq!(scores[0]["components"]["slow"], 0.5, "{body}");
    assert_eq!(scores[1]["components"]["slow"], Value::Null, "{body}");
    for score in scores {
        assert_eq!(score["components"]["format"], 1.0, "{score}");
        assert_eq!(score["components"]["after"], Value::Null, "{score}");
        assert_eq!(score["reward"], Value::Null);
        assert_eq!(score["timed_out"], true);
        assert!(score["error"].as_str().unwrap().contains("cancelled"), "{score}");
    }
    let (status, body) = server
        .post(
            "/get_reward",
            &json!({"query": ["<answer>1</answer>"], "labels": ["1"]}),
        )
        .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["timed_out"], json!([true]));
    assert_eq!(body["rewards"], json!([null]));
    assert!(body["extra_logs"]["format"][0].is_number(), "{body}");
    let text = server.metrics().await;
    assert_eq!(
        metric(&text, "assay_errors_total{kind=\"deadline_exceeded\"}"),
        Some(2.0)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_that_never_returns_in_time_still_gets_a_timely_504() {
    let config = assay_server::ServerConfig {
        deadline: Duration::from_millis(100),
        deadline_grace: Duration::from_millis(200),
        ..test_config()
    };
    let server = start(&sleepy_pipeline(2500), config).await;
    let started = Instant::now();
    let (status, body) = server
        .post("/v1/score", &json!({"samples": [{"id": "x", "completion": "c"}]}))
        .await;
    assert_eq!(status, 504, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let score = &body["scores"][0];
    assert_eq!(score["id"], "x");
    assert_eq!(score["timed_out"], true);
    assert!(
        score["error"].as_str().unwrap().contains("deadline of 100 ms"),
        "{score}"
    );
    let health = server.client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_reward_fails_only_its_record_and_the_server_survives() {
    let toml = "name = \"boom\"\n[[reward]]\nname = \"boom\"\nkind = \"explode\"\n";
    let server = start(toml, test_config()).await;
    for _ in 0..2 {
        let (status, body) = server
            .post(
                "/v1/score",
                &json!({"samples": [{"completion": "a"}, {"completion": "b", "explode": true}, {"completion": "c"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let scores = body["scores"].as_array().expect("scores");
        assert_eq!(scores.len(), 3, "{body}");
        assert_eq!(scores[0]["reward"], 1.0);
        assert_eq!(scores[2]["reward"], 1.0);
        assert!(scores[1]["reward"].is_null(), "{body}");
        let error = scores[1]["error"].as_str().expect("the exploded record has an error");
        assert!(error.contains("reward `boom`"), "{error}");
        assert!(error.contains("panicked: test reward exploded on record 1"), "{error}");
    }
    let text = server.metrics().await;
    assert_eq!(metric(&text, "assay_errors_total{kind=\"internal\"}"), None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_gets_408_without_holding_up_others() {
    let config = assay_server::ServerConfig {
        read_timeout: Duration::from_millis(400),
        ..test_config()
    };
    let server = start(TEXT_PIPELINE, config).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /v1/score HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{\"samp")
        .await
        .unwrap();
    // Others are served while the slow body trickles.
    let started = Instant::now();
    still_serves(&server).await;
    assert!(started.elapsed() < Duration::from_millis(400));
    let answer = read_response(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    still_serves(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_frees_its_slot() {
    let config = assay_server::ServerConfig {
        max_concurrency: 1,
        ..test_config()
    };
    let server = start(&sleepy_pipeline(300), config).await;
    let body = r#"{"samples": [{"completion": "a"}]}"#;
    let request = format!(
        "POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    // The slot is released once the (cancelled) work ends; then requests are served again.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, answer) = server.post_raw("/v1/score", GOOD).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "slot never released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = server.metrics().await;
    assert_eq!(metric(&text, "assay_in_flight_requests"), Some(1.0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_in_flight() {
    let server = start(&sleepy_pipeline(600), test_config()).await;
    let addr = server.addr;
    let in_flight = {
        let client = server.client.clone();
        let url = server.url("/v1/score");
        tokio::spawn(async move {
            let response = client
                .post(url)
                .json(&json!({"samples": [{"completion": "<think>a</think><answer>1</answer>"}]}))
                .send()
                .await
                .expect("answered despite the shutdown");
            crate::util::status_and_json(response).await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop().await;
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scores"][0]["components"]["slow"], 0.5);
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

fn header_timeout_config() -> assay_server::ServerConfig {
    assay_server::ServerConfig {
        header_read_timeout: Duration::from_millis(500),
        ..test_config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_nothing_is_disconnected_after_the_header_timeout() {
    let server = start(TEXT_PIPELINE, header_timeout_config()).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.addr).await.expect("connect");
    let mut buffer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "a silent connection was still open after 5 s");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "closed too early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "closed too late: {elapsed:?}");
    still_serves(&server).await;
    // A silent connection does not hold up a graceful shutdown either.
    let _held = TcpStream::connect(server.addr).await.expect("connect");
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("shutdown finished while a silent connection was open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let server = start(TEXT_PIPELINE, header_timeout_config()).await;
    let request = b"POST /v1/score HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut trickler = TcpStream::connect(server.addr).await.expect("connect");
    let started = Instant::now();
    let mut dropped_after = None;
    for byte in request {
        // One byte every 100 ms: the connection is never idle, yet the headers never arrive within 500 ms.
        if trickler.write_all(&[*byte]).await.is_err() {
            dropped_after = Some(started.elapsed());
            break;
        }
        let mut probe = [0u8; 256];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(100), trickler.read(&mut probe)).await {
            dropped_after = Some(started.elapsed());
            break;
        }
    }
    let elapsed = dropped_after.expect("the trickling client was never disconnected");
    assert!(elapsed >= Duration::from_millis(400), "dropped too early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "dropped too late: {elapsed:?}");
    still_serves(&server).await;
    server.stop().await;
}
