//! `assay bench math`: verify the throughput corpus on one thread and, in the same run, Math-Verify's own
//! benchmark script when `math_verify` is importable; print both rates, the ratio and every verdict that differs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use assay_math::{Options, Status, verify};
use serde_json::Value;

use crate::args::BenchArgs;

const DEFAULT_CORPUS: &str = "../shared/data/math/throughput.jsonl";

struct Row {
    id: String,
    gold: String,
    completion: String,
}

#[allow(clippy::print_stdout)]
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let path = args.input.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS));
    let rows = load(&path)?;
    assay_math::warm_up();
    let options = Options::default();
    // Same protocol as the peer script: gold wrapped in `$…$`, default options, one thread, wall clock over
    // parse + verify of every record.
    let mut latencies = Vec::with_capacity(rows.len());
    let mut verdicts = Vec::with_capacity(rows.len());
    let started = Instant::now();
    for row in &rows {
        let t = Instant::now();
        let verdict = verify(&format!("${}$", row.gold), &row.completion, &options);
        latencies.push(t.elapsed().as_secs_f64());
        verdicts.push(verdict);
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(index).copied().unwrap_or(0.0) * 1e3
    };
    #[allow(clippy::cast_precision_loss)]
    let rate = rows.len() as f64 / wall;
    let equal = verdicts.iter().filter(|v| v.status == Status::Equal).count();
    let unknown = verdicts.iter().filter(|v| v.status == Status::Unknown).count();
    println!(
        "assay-math: {} records in {wall:.3} s on one thread: {rate:.0} records/s; equal {equal}, unknown {unknown}; \
         latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        rows.len(),
        percentile(0.5),
        percentile(0.99),
        percentile(1.0)
    );
    if args.no_peer {
        return Ok(ExitCode::SUCCESS);
    }
    let script = args
        .peer_script
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/peers/mathverify_bench.py"));
    let Some((peer_rate, peer_verdicts)) = run_peer(&script, &path)? else {
        println!("math-verify: not installed (pip install math-verify) or script missing; peer not measured");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "math-verify: {peer_rate:.1} records/s in the same run; Assay is {:.0}x faster",
        rate / peer_rate
    );
    let mut differing = 0;
    for (row, verdict) in rows.iter().zip(&verdicts) {
        let Some(&peer) = peer_verdicts.get(&row.id) else {
            continue;
        };
        if verdict.status.equal() != Some(peer) {
            differing += 1;
            println!(
                "  differs {}: gold {:?}; assay {} (extracted {:?}); math-verify {}",
                row.id,
                row.gold,
                verdict.status.as_str(),
                verdict.extracted,
                peer
            );
        }
    }
    println!(
        "verdicts differing: {differing} of {} (classify by hand: see the README)",
        rows.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn load(path: &Path) -> anyhow::Result<Vec<Row>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {} (pass --input PATH)", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            let value: Value =
                serde_json::from_str(line).with_context(|| format!("{}: line {}", path.display(), number + 1))?;
            let text = |key: &str| -> anyhow::Result<String> {
                match &value[key] {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => bail!("{}: line {}: missing field `{key}`", path.display(), number + 1),
                }
            };
            Ok(Row {
                id: value["id"].as_str().map_or_else(|| number.to_string(), str::to_owned),
                gold: text("gold")?,
                completion: text("completion")?,
            })
        })
        .collect()
}

/// Runs the peer script; `None` when Python or `math_verify` is not available.
fn run_peer(script: &Path, corpus: &Path) -> anyhow::Result<Option<(f64, HashMap<String, bool>)>> {
    if !script.exists() {
        return Ok(None);
    }
    let importable = Command::new("python3")
        .args(["-c", "import math_verify"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        return Ok(None);
    }
    let verdicts_file = std::env::temp_dir().join(format!("assay-mv-verdicts-{}.jsonl", std::process::id()));
    let output = Command::new("python3")
        .arg(script)
        .arg(&verdicts_file)
        .arg("--input")
        .arg(corpus)
        .output()
        .context("running the Math-Verify benchmark")?;
    if !output.status.success() {
        bail!(
            "the Math-Verify benchmark failed: {}",
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rate = stdout
        .split_whitespace()
        .find_map(|word| word.strip_prefix("records_per_s="))
        .and_then(|r| r.parse::<f64>().ok())
        .context("the Math-Verify benchmark printed no records_per_s")?;
    let text = std::fs::read_to_string(&verdicts_file)?;
    let _ = std::fs::remove_file(&verdicts_file);
    let verdicts = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| Some((v["id"].as_str()?.to_owned(), v["verdict"].as_bool()?)))
        .collect();
    Ok(Some((rate, verdicts)))
}
