//! Function-test throughput of the harness alone (no pipeline, no CLI), for profiling and for machines where
//! the full CLI is slow to build: HumanEval's 164 canonical solutions (all must pass), then `return None` bodies
//! (all must fail), after a warm-up that starts the sandbox fork servers and trusted checkers.
//!
//! `cargo run --release -p assay-code --example harness_rate -- [WORKERS] [HumanEval.jsonl.gz]`; wrap it in
//! `/usr/bin/time` for CPU-seconds (every server is waited for before exit, so its CPU is counted). Each phase
//! also prints where its CPU went, read from `/proc` (this process, the sandbox fork servers and their reaped
//! job children, the trusted checker servers and their reaped check children), in ms per program.

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
        let verdict = harness.run_function(&case);
        if body.is_none() && !matches!(&verdict, Ok(v) if v.status == TestStatus::Passed) {
            println!("FAILED {}: {:?}", text("task_id"), verdict);
        }
        verdict.is_ok_and(|verdict| verdict.status == TestStatus::Passed)
    };
    let started = Instant::now();
    // At once, so that every worker's trusted checker is started before the clock runs (one at a time,
    // the first checker would serve them all and the second would start during the measurement).
    std::thread::scope(|scope| {
        for problem in problems.iter().take(workers) {
            scope.spawn(|| passes(problem, None));
        }
    });
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
        let cpu_before = TreeCpu::now();
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
        TreeCpu::now().since(&cpu_before).print(problems.len());
    }
    if as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// CPU seconds of this process tree by role, from `/proc/<pid>/stat` (utime, stime, cutime, cstime), and the
/// page faults of the sandbox fork servers and their reaped jobs (minflt, cminflt): on this VM each
/// copy-on-write fault after a fork costs a few µs, and unlike CPU time the counts do not drift run to run.
#[derive(Default)]
struct TreeCpu {
    rust: f64,
    sandbox_servers: f64,
    sandbox_jobs: f64,
    checker_servers: f64,
    checker_children: f64,
    server_faults: f64,
    job_faults: f64,
}

impl TreeCpu {
    fn now() -> Self {
        let mut stats = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // Fields after the command name (which may contain spaces): state is field 3.
            let Some(rest) = stat.rsplit_once(") ").map(|(_, rest)| rest) else {
                continue;
            };
            let fields: Vec<&str> = rest.split(' ').collect();
            let number = |index: usize| fields.get(index - 3).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            // USER_HZ is 100 in the kernel ABI.
            let own = (number(14) + number(15)) / 100.0;
            let children = (number(16) + number(17)) / 100.0;
            let faults = (number(10), number(11));
            stats.push((pid, number(4) as u32, own, children, faults, cmdline));
        }
        let me = std::process::id();
        let mut tree = std::collections::HashSet::from([me]);
        loop {
            let before = tree.len();
            for (pid, parent, ..) in &stats {
                if tree.contains(parent) {
                    tree.insert(*pid);
                }
            }
            if tree.len() == before {
                break;
            }
        }
        let mut cpu = Self::default();
        let contains = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        for (pid, _, own, children, faults, cmdline) in &stats {
            if *pid == me {
                cpu.rust += own;
            } else if !tree.contains(pid) {
            } else if contains(cmdline, b"Assay fork server") {
                cpu.sandbox_servers += own;
                cpu.sandbox_jobs += children;
                cpu.server_faults += faults.0;
                cpu.job_faults += faults.1;
            } else if contains(cmdline, b"Assay function-test checker") {
                cpu.checker_servers += own;
                cpu.checker_children += children;
            }
        }
        cpu
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            rust: self.rust - earlier.rust,
            sandbox_servers: self.sandbox_servers - earlier.sandbox_servers,
            sandbox_jobs: self.sandbox_jobs - earlier.sandbox_jobs,
            checker_servers: self.checker_servers - earlier.checker_servers,
            checker_children: self.checker_children - earlier.checker_children,
            server_faults: self.server_faults - earlier.server_faults,
            job_faults: self.job_faults - earlier.job_faults,
        }
    }

    #[allow(clippy::print_stdout, clippy::cast_precision_loss)]
    fn print(&self, programs: usize) {
        let per = |seconds: f64| seconds * 1000.0 / programs as f64;
        let total = self.rust + self.sandbox_servers + self.sandbox_jobs + self.checker_servers + self.checker_children;
        println!(
            "             CPU ms/program: total {:.1} = rust {:.1} + sandbox servers {:.1} + sandbox jobs {:.1} + \
             checker servers {:.1} + checks {:.1}",
            per(total),
            per(self.rust),
            per(self.sandbox_servers),
            per(self.sandbox_jobs),
            per(self.checker_servers),
            per(self.checker_children),
        );
        println!(
            "             page faults/program: sandbox servers {:.0}, sandbox jobs {:.0}",
            self.server_faults / programs as f64,
            self.job_faults / programs as f64,
        );
    }
}
