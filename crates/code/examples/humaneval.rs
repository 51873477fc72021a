//! Throughput of function tests through the harness: HumanEval's 164 canonical solutions (all must
//! pass) and the same with `return None` bodies (all must fail).
//!
//! `cargo run --release -p assay-code --example humaneval [workers] [path/to/HumanEval.jsonl.gz]`

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use assay_core::{BatchContext, Params, RewardSpec, Sample};
use serde_json::{Map, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let workers: usize = args.next().map_or(Ok(2), |text| text.parse())?;
    let path = args.next().map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/code/HumanEval.jsonl.gz"),
        PathBuf::from,
    );
    let output = std::process::Command::new("gzip").arg("-dc").arg(&path).output()?;
    let problems: Vec<Map<String, Value>> = String::from_utf8(output.stdout)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let params =
        format!("prefix_field = \"prompt\"\ntests_field = \"test\"\ntest_format = \"function\"\nworkers = {workers}");
    let spec = RewardSpec {
        name: "code".into(),
        kind: "code".into(),
        params: Params(toml::from_str(&params)?),
    };
    let reward = (assay_code::kind().build)(&spec)?;
    for (label, body, expected) in [
        ("canonical", None, 1.0),
        ("return None", Some("    return None\n"), 0.0),
    ] {
        let samples: Vec<Sample> = problems
            .iter()
            .enumerate()
            .map(|(index, problem)| {
                let mut record = problem.clone();
                let completion = body.map_or_else(|| problem["canonical_solution"].clone(), Value::from);
                record.insert("completion".into(), completion);
                Sample::from_record(index, record, "group")
            })
            .collect();
        let earlier = HashMap::new();
        let started = Instant::now();
        let results = futures::executor::block_on(reward.score_batch(&BatchContext::standalone(&samples, &earlier)));
        let elapsed = started.elapsed();
        let as_expected = results
            .iter()
            .filter(|result| result.as_ref().is_ok_and(|component| component.value == expected))
            .count();
        for (sample, result) in samples.iter().zip(&results) {
            if !result.as_ref().is_ok_and(|component| component.value == expected) {
                println!("unexpected for {}: {result:?}", sample.record["task_id"]);
            }
        }
        println!(
            "{label:>12}: {as_expected}/{} as expected, {:.2} s, {:.1} programs/s ({workers} workers)",
            samples.len(),
            elapsed.as_secs_f64(),
            samples.len() as f64 / elapsed.as_secs_f64()
        );
    }
    Ok(())
}
