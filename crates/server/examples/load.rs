//! Load test: concurrent clients drive `POST /v1/score` on a text + math pipeline over loopback, bounded in
//! requests and time. Reports samples/s, p50/p99 latency, errors and peak memory, next to the same records
//! scored in-process (no HTTP) in the same run.
//!
//! ```text
//! cargo run --release -p assay-server --example load -- [--clients 8] [--requests 400] [--batch 32] [--seconds 60]
//! ```
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assay_core::{Pipeline, Registry, Sample};
use assay_server::{Server, ServerConfig};
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PIPELINE: &str = r#"
name = "load-text-math"
[[reward]]
name = "format"
kind = "tags"
require = ["think", "answer"]
weight = 0.2
[[reward]]
name = "math"
kind = "math"
answer_field = "reference"
[[reward]]
name = "repetition"
kind = "repetition"
ngram_size = 3
max_penalty = -0.5
[combine]
mode = "sum"
gate = ["format"]
[[shape]]
kind = "group_norm"
"#;

struct Options {
    clients: usize,
    requests: usize,
    batch: usize,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options {
        clients: 8,
        requests: 400,
        batch: 32,
        seconds: 60,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            panic!("usage: load [--clients N] [--requests N] [--batch N] [--seconds N]; bad {pair:?}")
        });
        match pair[0].as_str() {
            "--clients" => options.clients = value,
            "--requests" => options.requests = value,
            "--batch" => options.batch = value,
            "--seconds" => options.seconds = value as u64,
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// Rollouts of arithmetic prompts: groups of 4, right and wrong answers in several notations, some malformed.
fn records(count: usize, offset: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let n = offset + i;
            let prompt = n / 4;
            let (numerator, denominator) = (prompt % 7 + 1, prompt % 5 + 2);
            let answer = match n % 4 {
                0 => format!("\\frac{{{numerator}}}{{{denominator}}}"),
                1 => format!("{numerator}/{denominator}"),
                2 => format!("\\boxed{{{}}}", numerator + 1),
                _ => format!("{:.4}", numerator as f64 / denominator as f64),
            };
            let thinking = "we add the fractions then simplify the result step by step ".repeat(4 + n % 9);
            let completion = if n % 10 == 9 {
                format!("{thinking} so the answer is {answer}")
            } else {
                format!("<think>{thinking}</think><answer>{answer}</answer>")
            };
            json!({
                "id": n,
                "group": format!("p{prompt}"),
                "completion": completion,
                "reference": format!("\\frac{{{numerator}}}{{{denominator}}}"),
            })
        })
        .collect()
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = options();
    let mut registry = Registry::builtin();
    assay_math::register(&mut registry);
    let pipeline = Arc::new(Pipeline::from_toml(PIPELINE, Path::new("<load>"), &registry).expect("valid pipeline"));

    // The peer in the same run: the same batches scored in-process, one after another.
    let batches: Vec<Vec<Value>> = (0..options.requests.min(100))
        .map(|r| records(options.batch, r * options.batch))
        .collect();
    let direct_started = Instant::now();
    let mut direct_samples = 0usize;
    for batch in &batches {
        let samples: Vec<Sample> = batch
            .iter()
            .enumerate()
            .map(|(i, r)| Sample::from_record(i, r.as_object().cloned().unwrap_or_default(), "group"))
            .collect();
        direct_samples += pipeline.score(&samples).len();
    }
    let direct_rate = direct_samples as f64 / direct_started.elapsed().as_secs_f64();

    let config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        max_concurrency: options.clients,
        ..ServerConfig::default()
    };
    let server = Server::bind(pipeline.clone(), config).await.expect("bind loopback");
    let url = format!("http://{}/v1/score", server.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    let bodies: Arc<Vec<String>> = Arc::new(
        batches
            .iter()
            .map(|batch| json!({ "samples": batch }).to_string())
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let budget = Duration::from_secs(options.seconds);
    let started = Instant::now();
    let mut clients = Vec::new();
    // The workspace's reqwest has TLS without a bundled crypto provider; building a client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    for _ in 0..options.clients {
        let (client, url, bodies, next) = (reqwest::Client::new(), url.clone(), bodies.clone(), next.clone());
        let total = options.requests;
        clients.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut samples) = (Vec::new(), 0usize, 0usize);
            loop {
                let request = next.fetch_add(1, Ordering::Relaxed);
                if request >= total || started.elapsed() > budget {
                    break;
                }
                let body = bodies[request % bodies.len()].clone();
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match response {
                    Ok(response) if response.status().is_success() => {
                        let scored: Value = response.json().await.unwrap_or(Value::Null);
                        samples += scored["scores"].as_array().map_or(0, Vec::len);
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors, samples)
        }));
    }
    let (mut latencies, mut errors, mut samples) = (Vec::new(), 0, 0);
    for client in clients {
        let (l, e, s) = client.await.expect("client task");
        latencies.extend(l);
        errors += e;
        samples += s;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    serving.await.expect("server task").expect("server ran");
    latencies.sort();
    let rate = samples as f64 / elapsed;
    println!(
        "load: pipeline `{}` ({}), {} clients, {} requests x {} samples over loopback in {elapsed:.2} s",
        pipeline.name(),
        pipeline.component_names().collect::<Vec<_>>().join(" + "),
        options.clients,
        latencies.len() + errors,
        options.batch
    );
    println!(
        "  {rate:.0} samples/s ({:.0} requests/s); latency p50 {:.1} ms, p99 {:.1} ms; errors {errors}",
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    println!(
        "  in-process peer (same batches, no HTTP, sequential): {direct_rate:.0} samples/s; server/peer = {:.2}",
        rate / direct_rate
    );
    println!(
        "  peak memory (VmHWM, server and clients in one process): {} MiB",
        peak_memory_kib().map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0))
    );
}
