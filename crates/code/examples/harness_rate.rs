//! Function-test throughput of the harness alone (no pipeline, no CLI), for profiling and for machines where
//! the full CLI is slow to build: HumanEval's 164 canonical solutions (all must pass), then `return None` bodies
//! (all must fail), after a warm-up that starts the sandbox fork servers and trusted checkers.
//!
//! `cargo run --release -p assay-code --example harness_rate -- [WORKERS] [HumanEval.jsonl.gz]`; wrap it in
//! `/usr/bin/time` for CPU-seconds (every server is waited for before exit, so its CPU is counted).

use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use assay_code::{FunctionCase, Harness, TestStatus};
use assay_sandbox::Limits;
use serde_json::Value;

#[allow(clippy::print_stdout)]
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let workers: usize = args.next().and_then(|arg| arg.parse().ok()).unwrap_or(2);
    let corpus = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/code/HumanEval.jsonl.gz"
        )
        .to_owned()
    });
    let Ok(output) = Command::new("gzip").args(["-dc", &corpus]).output() else {
        println!("cannot run gzip on {corpus}");
        return ExitCode::FAILURE;
    };
    let problems: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let harness = match Harness::new(Some(workers)) {
        Ok(harness) => harness,
        Err(error) => {
            println!("the harness cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let limits = Limits::default();
    let passes = |problem: &Value, body: Option<&str>| {
        let text = |key: &str| problem[key].as_str().unwrap_or_default();
        let program = format!("{}{}", text("prompt"), body.unwrap_or(text("canonical_solution")));
        let case = FunctionCase {
            program: &program,
            tests: text("test"),
            prefix: Some(text("prompt")),
            entry_point: text("entry_point"),
            files: &[],
            limits: &limits,
        };
        harness
            .run_function(&case)
            .is_ok_and(|verdict| verdict.status == TestStatus::Passed)
    };
    let started = Instant::now();
    for problem in problems.iter().take(workers) {
        passes(problem, None);
    }
    println!(
        "start-up and {workers} warm-up programs: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut as_expected = true;
    for (label, body, expect_pass) in [
        ("canonical", None, true),
        ("return None", Some("    return None\n"), false),
    ] {
        let next = AtomicUsize::new(0);
        let passed = AtomicUsize::new(0);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(problem) = problems.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if passes(problem, body) {
                            passed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        let passed = passed.load(Ordering::Relaxed);
        as_expected &= passed == if expect_pass { problems.len() } else { 0 };
        #[allow(clippy::cast_precision_loss)]
        let rate = problems.len() as f64 / seconds;
        println!(
            "{label:>11}: {passed}/{} passed in {seconds:.2} s: {rate:.1} programs/s ({workers} workers)",
            problems.len()
        );
    }
    if as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
