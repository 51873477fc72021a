//! Each status, through the warm pool and the cold path.

mod common;

use assay_sandbox::{Job, Limits, Pool, SandboxConfig, SandboxError, Status};
use common::{assert_pool_healthy, pool, python, sandbox};

#[test]
fn exit_zero_passes_and_output_is_captured() {
    let pool = pool();
    let outcome = pool
        .run(&python("import sys\nprint(input().upper())\nsys.stderr.write('note')").with_stdin("abc\n"))
        .unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout, b"ABC\n");
    assert_eq!(outcome.stderr, b"note");
    assert!(!outcome.stdout_truncated);
}

#[test]
fn python_jobs_behave_like_a_script() {
    let pool = pool();
    let source = r#"
import atexit, sys, threading
print(__name__, __file__, sys.argv)
def late():
    print("atexit ran")
atexit.register(late)
worker = threading.Thread(target=lambda: print("thread joined"))
worker.start()
sys.exit("bye")
"#;
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 1 });
    assert_eq!(
        outcome.stdout_text(),
        "__main__ main.py ['main.py']\nthread joined\natexit ran\n"
    );
    assert_eq!(outcome.stderr_text(), "bye\n");
}

#[test]
fn non_zero_exit_fails() {
    let pool = pool();
    let outcome = pool.run(&python("import sys; sys.exit(3)")).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 3 });
    let outcome = pool.run(&python("assert 1 == 2")).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 1 });
    assert!(
        outcome.stderr_text().contains("AssertionError"),
        "{}",
        outcome.stderr_text()
    );
    let outcome = pool.run(&python("def broken(:\n  pass")).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 1 });
    assert!(outcome.stderr_text().contains("SyntaxError"));
}

#[test]
fn wall_clock_timeout() {
    let pool = pool();
    let job = Job::python("import time\ntime.sleep(30)").with_limits(common::deadline_limits());
    let started = std::time::Instant::now();
    let outcome = pool.run(&job).unwrap();
    assert_eq!(outcome.status, Status::Timeout);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_pool_healthy(&pool);
}

#[test]
fn cpu_limit_is_a_timeout() {
    let pool = pool();
    // A generous wall clock so that the CPU limit (SIGXCPU) is what ends the loop even on a busy machine.
    let limits = Limits {
        wall: std::time::Duration::from_secs(20),
        cpu: std::time::Duration::from_secs(1),
        ..common::quick_limits()
    };
    let outcome = pool.run(&Job::python("while True: pass").with_limits(limits)).unwrap();
    assert_eq!(outcome.status, Status::Timeout);
    // Ended by RLIMIT_CPU (SIGXCPU), not by the wall clock. (rusage CPU times are tick-sampled, so
    // on a loaded VM they can read a little under the limit the kernel enforced.)
    assert!(outcome.wall < std::time::Duration::from_secs(15), "{outcome:?}");
    assert!(outcome.cpu >= std::time::Duration::from_millis(500), "{outcome:?}");
}

#[test]
fn memory_hog_is_memory() {
    let pool = pool();
    let outcome = pool.run(&python("x = bytearray(2 * 1024 ** 3)")).unwrap();
    assert_eq!(outcome.status, Status::Memory, "stderr: {}", outcome.stderr_text());
    let limits = Limits {
        wall: std::time::Duration::from_secs(10),
        ..common::quick_limits()
    };
    let hog = Job::python("chunks = []\nwhile True: chunks.append(b'x' * (1 << 24))").with_limits(limits);
    let outcome = pool.run(&hog).unwrap();
    assert_eq!(outcome.status, Status::Memory, "stderr: {}", outcome.stderr_text());
    assert_pool_healthy(&pool);
}

#[test]
fn signal_is_a_crash() {
    let pool = pool();
    let outcome = pool
        .run(&python("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"))
        .unwrap();
    assert_eq!(outcome.status, Status::Crashed { signal: libc::SIGSEGV });
    let outcome = pool.run(&python("import os; os.abort()")).unwrap();
    assert_eq!(outcome.status, Status::Crashed { signal: libc::SIGABRT });
    assert_pool_healthy(&pool);
}

#[test]
fn cold_path_classifies_the_same() {
    let sandbox = sandbox();
    let outcome = sandbox.run_cold(&python("print('cold')")).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout, b"cold\n");
    let outcome = sandbox.run_cold(&python("raise SystemExit(4)")).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 4 });
}

#[test]
fn exec_programs_run_inside_the_sandbox() {
    let pool = pool();
    let python = sandbox().python().display().to_string();
    let job = Job::exec([python.as_str(), "-I", "-S", "main.py"])
        .with_file("main.py", "import os; print(os.getcwd(), os.getuid())")
        .with_limits(common::quick_limits());
    let outcome = pool.run(&job).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout_text(), "/box/work 1\n");
}

#[test]
fn an_exec_job_whose_program_is_missing_fails_with_127_and_says_why() {
    let pool = pool();
    let job = Job::exec(["/box/work/missing", "arg"]).with_limits(common::quick_limits());
    let outcome = pool.run(&job).unwrap();
    assert_eq!(outcome.status, Status::Failed { exit_code: 127 });
    assert!(
        outcome
            .stderr_text()
            .contains("exec failed: /box/work/missing: No such file or directory"),
        "stderr: {}",
        outcome.stderr_text()
    );
    assert_pool_healthy(&pool);
}

/// gcc runs several processes.
fn compiler_limits() -> Limits {
    Limits {
        processes: 16,
        ..common::quick_limits()
    }
}

/// Compiles `source` (main.c) and runs it, in one job through the shell.
fn compile_and_run(source: &str) -> Job {
    Job::exec(["/bin/sh", "-c", "gcc -O1 -o main main.c && ./main"])
        .with_file("main.c", source)
        .with_limits(compiler_limits())
}

#[test]
fn exec_programs_start_with_default_sigpipe_and_sigxfsz() {
    // The server ignores both (Python does); an ignored signal stays ignored across exec, so the child must
    // reset them, or `yes | head` would see EPIPE errors instead of a quiet SIGPIPE.
    let pool = pool();
    let source = "#include <signal.h>\n#include <stdio.h>\nint main(void) { struct sigaction pipe, fsize; sigaction(SIGPIPE, 0, &pipe); sigaction(SIGXFSZ, 0, &fsize); printf(\"%d %d\\n\", pipe.sa_handler == SIG_DFL, fsize.sa_handler == SIG_DFL); return 0; }\n";
    let outcome = pool.run(&compile_and_run(source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout_text(), "1 1\n");
}

#[test]
fn bad_file_paths_are_rejected_before_running() {
    let pool = pool();
    let error = pool.run(&python("pass").with_file("../escape.py", "x")).unwrap_err();
    assert!(error.to_string().contains("../escape.py"), "{error}");
    assert!(error.is_input_error());
    let huge = python("pass").with_file("big.bin", vec![0u8; 200 << 20]);
    assert!(pool.run(&huge).unwrap_err().is_input_error());
}

#[test]
fn a_failed_child_setup_is_reported_and_leaves_nothing_behind() {
    // More files than the working tmpfs has inodes (16,384): the child's setup fails after it read its body,
    // which the server reports as ours, not as the candidate's failure; it wipes what was written and serves on.
    let base = 1_300_000_800;
    let config = SandboxConfig {
        host_uid_base: base,
        ..SandboxConfig::default()
    };
    let pool = Pool::new(common::sandbox_with(config), Some(1)).expect("pool starts");
    let server = common::servers_with_host_uid(base);
    let mut crowded = python("pass");
    for index in 0..17_000 {
        crowded = crowded.with_file(format!("d{}/f{index}", index % 7), "");
    }
    let error = pool.run(&crowded).unwrap_err();
    assert!(matches!(error, SandboxError::ChildSetup(_)), "{error}");
    assert!(error.to_string().contains("No space left"), "{error}");
    // The same server serves the next job (a failed wipe would have ended it), in empty directories.
    let outcome = pool
        .run(&python("import os; print(sorted(os.listdir('.')), os.listdir('/tmp'))"))
        .unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout_text(), "[] []\n");
    assert_eq!(common::servers_with_host_uid(base), server);
}

#[test]
fn c_programs_compile_and_run_inside_the_sandbox() {
    let pool = pool();
    let source = "#include <stdio.h>\nint main(void) { int a, b; if (scanf(\"%d %d\", &a, &b) != 2) return 2; printf(\"%d\\n\", a + b); return 0; }\n";
    let compile = Job::exec(["/usr/bin/gcc", "-O1", "-o", "/box/work/main", "/box/work/main.c"])
        .with_file("main.c", source)
        .with_limits(compiler_limits());
    let outcome = pool.run(&compile).unwrap();
    assert_eq!(outcome.status, Status::Passed, "gcc: {}", outcome.stderr_text());
    // The compiled binary does not survive the job (fresh workdir each run): compile and run in one
    // job through the shell, as a compile step would hand the binary over in practice.
    let both = compile_and_run(source).with_stdin("20 22\n");
    let outcome = pool.run(&both).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(outcome.stdout, b"42\n");
    let crash = Job::exec([
        "/bin/sh",
        "-c",
        "printf 'int main(void){return *(volatile int*)0;}' > c.c && gcc -o c c.c && exec ./c",
    ])
    .with_limits(compiler_limits());
    let outcome = pool.run(&crash).unwrap();
    assert_eq!(
        outcome.status,
        Status::Crashed { signal: libc::SIGSEGV },
        "stderr: {}",
        outcome.stderr_text()
    );
}
