//! Programs per second for HumanEval-sized programs: warm pool vs a fresh sandbox per program.
//!
//! `cargo run --release -p assay-sandbox --example sandbox_throughput -- [programs] [workers] [humaneval.jsonl]`
//! (root required). With an (uncompressed) HumanEval JSONL file, the programs are the canonical
//! solutions with their tests (`prompt + canonical_solution + test + check(entry_point)`), cycled;
//! otherwise one built-in HumanEval-shaped program. Prints one line per executor.

// An example's job is to print its measurements.
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use assay_sandbox::{Job, Pool, Sandbox, SandboxConfig, SandboxError, Status};

/// Programs from a HumanEval JSONL file.
fn load_humaneval(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable HumanEval JSONL");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let task: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            let field = |name: &str| task[name].as_str().expect("HumanEval field").to_owned();
            format!(
                "{}{}\n\n{}\n\ncheck({})\n",
                field("prompt"),
                field("canonical_solution"),
                field("test"),
                field("entry_point")
            )
        })
        .collect()
}

/// A HumanEval-shaped program: prompt + solution, the test's `check`, and the call.
fn builtin_program(index: usize) -> String {
    format!(
        r#"from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if in given list of numbers, are any two numbers closer to each other than
    given threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    """
    for idx, elem in enumerate(numbers):
        for idx2, elem2 in enumerate(numbers):
            if idx != idx2:
                distance = abs(elem - elem2)
                if distance < threshold:
                    return True

    return False


METADATA = {{'author': 'jt', 'dataset': 'test', 'variant': {index}}}


def check(candidate):
    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True
    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05) == False
    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.95) == True
    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.8) == False
    assert candidate([1.0, 2.0, 3.0, 4.0, 5.0, 2.0], 0.1) == True
    assert candidate([1.1, 2.2, 3.1, 4.1, 5.1], 1.0) == True
    assert candidate([1.1, 2.2, 3.1, 4.1, 5.1], 0.5) == False


check(has_close_elements)
"#
    )
}

/// Runs `total` programs on `threads` threads through `run`; returns programs per second.
fn measure(
    programs: &[String],
    total: usize,
    threads: usize,
    run: &(dyn Fn(&Job) -> Result<Status, SandboxError> + Sync),
) -> f64 {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        break;
                    }
                    let status = run(&Job::python(programs[index % programs.len()].clone())).expect("sandbox works");
                    assert_eq!(status, Status::Passed, "program {}", index % programs.len());
                }
            });
        }
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() -> Result<(), SandboxError> {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let programs = match args.next() {
        Some(path) => load_humaneval(&path),
        None => (0..16).map(builtin_program).collect(),
    };
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let python = sandbox.python().display().to_string();

    let pool = Pool::new(sandbox.clone(), Some(workers))?;
    let warm = measure(&programs, total, workers, &|job| pool.run(job).map(|o| o.status));
    println!("warm pool, fork per program ({workers} servers): {warm:.0} programs/s");

    let exec_pool = &pool;
    let fresh_interpreter = measure(&programs, total, workers, &|job| {
        let source = match &job.program {
            assay_sandbox::Program::Python(source) => source.clone(),
            assay_sandbox::Program::Exec(_) | assay_sandbox::Program::Preload(_) => {
                unreachable!("measure builds Python jobs")
            }
        };
        let exec = Job::exec([python.as_str(), "-I", "-S", "main.py"]).with_file("main.py", source);
        exec_pool.run(&exec).map(|o| o.status)
    });
    println!(
        "warm sandbox, fresh interpreter per program (exec, {workers} servers): {fresh_interpreter:.0} programs/s"
    );
    drop(pool);

    let cold_total = total.min(200);
    let cold = measure(&programs, cold_total, workers, &|job| {
        sandbox.run_cold(job).map(|o| o.status)
    });
    println!("fresh sandbox + fresh interpreter per program ({workers} threads): {cold:.0} programs/s");
    println!("ratio warm/cold: {:.1}x", warm / cold);
    Ok(())
}
