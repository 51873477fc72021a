//! Times verification of every record of shared/data/math/throughput.jsonl on one thread,
//! the way the Math-Verify baseline does (gold wrapped in `$…$`, default options).
//! Run: `cargo run --release -p assay-math --example throughput [PATH] [--verdicts OUT.jsonl]`.
#![allow(clippy::print_stdout)]

use assay_math::{Options, Status, verify};
use std::time::Instant;

fn main() {
    let default_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/math/throughput.jsonl"
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verdicts_out = args
        .iter()
        .position(|a| a == "--verdicts")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let path = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--verdicts"))
        .map(|(_, a)| a.clone())
        .unwrap_or_else(|| default_path.to_string());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            println!("cannot read {path}: {e}");
            return;
        }
    };
    let values: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let records: Vec<(String, String)> = values
        .iter()
        .map(|v| {
            (
                format!("${}$", v["gold"].as_str().unwrap_or("")),
                v["completion"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut verdicts = Vec::new();
    let opts = Options::default();
    let mut latencies = Vec::with_capacity(records.len());
    let mut slowest: Vec<(f64, usize)> = Vec::new();
    let mut counts = [0usize; 5];
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    for (gold, completion) in &records {
        let t = Instant::now();
        let verdict = verify(gold, completion, &opts);
        let status = verdict.status;
        latencies.push(t.elapsed().as_secs_f64());
        slowest.push((t.elapsed().as_secs_f64(), slowest.len()));
        counts[status as usize] += 1;
        if verdicts_out.is_some() {
            verdicts.push(verdict);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_ns().zip(cpu_start).map(|(b, a)| (b - a) as f64 / 1e9);
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| latencies[((q * latencies.len() as f64) as usize).min(latencies.len() - 1)] * 1e3;
    let n = records.len();
    println!("records={n} wall_s={wall:.3} records_per_s={:.0}", n as f64 / wall);
    if let Some(cpu) = cpu {
        println!(
            "cpu_s={cpu:.3} records_per_cpu_s={:.0} (wall differs when the machine is loaded)",
            n as f64 / cpu
        );
    }
    println!(
        "latency ms p50={:.3} p90={:.3} p99={:.3} max={:.3}",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (secs, i) in slowest.iter().take(5) {
        println!("slow {:.3} ms: record {i} gold {:?}", secs * 1e3, records[*i].0);
    }
    if let Some(out) = verdicts_out {
        let lines: Vec<String> = values
            .iter()
            .zip(&verdicts)
            .map(|(v, d)| {
                serde_json::json!({"id": v["id"], "equal": d.status.equal(), "status": d.status.as_str(), "extracted": d.extracted, "normal_form": d.normal_form})
                    .to_string()
            })
            .collect();
        if let Err(e) = std::fs::write(&out, lines.join("\n") + "\n") {
            println!("cannot write {out}: {e}");
        }
    }
    let names = [
        Status::Equal,
        Status::NotEqual,
        Status::NoAnswer,
        Status::Unparseable,
        Status::Unknown,
    ];
    for s in names {
        println!("{}={}", s.as_str(), counts[s as usize]);
    }
}

/// CPU time this thread has run, from /proc (Linux); `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
