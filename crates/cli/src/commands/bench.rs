//! `assay bench`: throughput on generated data, reported as samples/s (best and median of the repetitions).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use assay_core::{Pipeline, Sample};
use serde_json::{Map, Value};

use crate::args::{BenchArgs, Workload};

const TEXT_PIPELINE: &str = r#"
name = "bench-text"

[[reward]]
name = "format"
kind = "tags"
require = ["think", "answer"]

[[reward]]
name = "overlong"
kind = "length"
mode = "dapo"
unit = "words"
max_len = 400
cache_len = 100

[[reward]]
name = "repetition"
kind = "repetition"
ngram_size = 3
max_penalty = -1.0
"#;

const WORDS: &[&str] = &[
    "the",
    "so",
    "we",
    "compute",
    "sum",
    "of",
    "first",
    "terms",
    "then",
    "check",
    "answer",
    "is",
    "let",
    "x",
    "equal",
    "2",
    "3",
    "therefore",
    "because",
    "square",
    "root",
    "factor",
    "wait",
    "again",
    "verify",
    "result",
    "step",
];

#[allow(clippy::print_stdout)]
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    super::init_threads(args.threads);
    match args.workload {
        Workload::Math => return super::bench_math::run(args),
        Workload::Code => return super::bench_code::run(args),
        Workload::Text => {}
    }
    let registry = crate::registry::full();
    let pipeline = match &args.config {
        Some(path) => Pipeline::from_file(path, &registry)?,
        None => Pipeline::from_toml(TEXT_PIPELINE, Path::new("<bench-text>"), &registry)?,
    };
    let samples = generate_text_samples(args.samples);
    let total_chars: usize = samples
        .iter()
        .filter_map(|s| s.record.get("completion").and_then(Value::as_str).map(str::len))
        .sum();
    let mut rates = Vec::with_capacity(args.repeat.max(1));
    let mut checksum = 0.0;
    for _ in 0..args.repeat.max(1) {
        let started = Instant::now();
        let scores = pipeline.score(&samples);
        let seconds = started.elapsed().as_secs_f64();
        checksum = scores.iter().filter_map(|s| s.reward).sum::<f64>();
        #[allow(clippy::cast_precision_loss)]
        rates.push(samples.len() as f64 / seconds);
    }
    rates.sort_by(f64::total_cmp);
    let best = rates[rates.len() - 1];
    let median = rates[rates.len() / 2];
    let components: Vec<_> = pipeline.component_names().collect();
    println!(
        "bench text: {} samples (mean {} chars), pipeline `{}` ({}), {} thread(s)",
        samples.len(),
        total_chars / samples.len().max(1),
        pipeline.name(),
        components.join(" + "),
        rayon::current_num_threads()
    );
    println!(
        "  best {best:.0} samples/s, median {median:.0} samples/s over {} run(s) (reward checksum {checksum:.3})",
        rates.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Deterministic think/answer completions of 50–400 words, some well-formed, some not, some repetitive.
pub fn generate_text_samples(count: usize) -> Vec<Sample> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: tiny, deterministic, good enough to vary the text.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..count)
        .map(|index| {
            #[allow(clippy::cast_possible_truncation)]
            let words = 50 + (next() % 350) as usize;
            let repetitive = next() % 5 == 0;
            let mut thinking = String::with_capacity(words * 7);
            for w in 0..words {
                #[allow(clippy::cast_possible_truncation)]
                let word = if repetitive {
                    WORDS[w % 4]
                } else {
                    WORDS[(next() % WORDS.len() as u64) as usize]
                };
                thinking.push_str(word);
                thinking.push(' ');
            }
            let completion = match next() % 4 {
                0 => format!("{thinking}\nThe answer is 42."),
                1 => format!("<think>\n{thinking}\n</think>\n<answer>\n42\n</answer>\n<answer>41</answer>"),
                _ => format!("<think>\n{thinking}\n</think>\n<answer>\n42\n</answer>"),
            };
            let mut record = Map::new();
            record.insert("id".into(), Value::from(index));
            record.insert("completion".into(), Value::from(completion));
            Sample::from_record(index, record, "group")
        })
        .collect()
}
