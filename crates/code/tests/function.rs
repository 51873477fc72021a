//! Function tests through the real sandbox: what passes, and what a candidate cannot make pass.

mod common;

use assay_code::{FunctionCase, FunctionVerdict, TestStatus};
use common::{harness, limits};

const ADD_TESTS: &str = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-4, 4) == 0\n";

fn run_with(
    program: &str,
    tests: &str,
    prefix: Option<&str>,
    files: &[(String, Vec<u8>)],
    wall_ms: u64,
) -> FunctionVerdict {
    let limits = limits(wall_ms);
    let case = FunctionCase {
        program,
        tests,
        prefix,
        entry_point: "add",
        files,
        limits: &limits,
    };
    harness().run_function(&case).expect("harness")
}

fn run(program: &str, tests: &str) -> FunctionVerdict {
    run_with(program, tests, None, &[], 5000)
}

fn assert_fails(program: &str, tests: &str, why: &str) -> FunctionVerdict {
    let verdict = run(program, tests);
    assert_ne!(verdict.status, TestStatus::Passed, "{why}: {verdict:?}");
    verdict
}

#[test]
fn a_correct_function_passes_and_a_wrong_one_fails() {
    let good = run("def add(a, b):\n    return a + b\n", ADD_TESTS);
    assert_eq!(good.status, TestStatus::Passed, "{good:?}");
    let bad = assert_fails("def add(a, b):\n    return a - b\n", ADD_TESTS, "wrong answer");
    assert_eq!(bad.status, TestStatus::Failed);
    assert!(bad.error.as_deref().unwrap_or("").contains("AssertionError"), "{bad:?}");
}

#[test]
fn objects_that_fake_equality_are_refused() {
    let always_equal =
        "class E:\n    def __eq__(self, other): return True\n    __hash__ = None\ndef add(a, b):\n    return E()\n";
    let verdict = assert_fails(always_equal, ADD_TESTS, "custom __eq__");
    assert!(
        verdict.error.as_deref().unwrap_or("").contains("not plain data"),
        "{verdict:?}"
    );
    let int_subclass = "class I(int):\n    def __eq__(self, other): return True\ndef add(a, b):\n    return I(0)\n";
    assert_fails(int_subclass, ADD_TESTS, "int subclass");
    let nested = "class S(str):\n    pass\ndef add(a, b):\n    return [S('x')]\n";
    assert_fails(
        nested,
        "def check(c):\n    assert c(1, 2) == ['x']\n",
        "str subclass inside a list",
    );
    let mock = "from unittest import mock\ndef add(a, b):\n    return mock.MagicMock()\n";
    assert_fails(mock, ADD_TESTS, "mock");
}

#[test]
fn exits_and_crashes_during_a_call_fail() {
    for (body, why) in [
        ("import sys\ndef add(a, b):\n    sys.exit(0)\n", "SystemExit"),
        ("import os\ndef add(a, b):\n    os._exit(0)\n", "os._exit"),
        (
            "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
            "killed",
        ),
        (
            "import sys\nsys.exit(0)\ndef add(a, b):\n    return a + b\n",
            "exit at import",
        ),
        (
            "import atexit, os\natexit.register(lambda: os._exit(0))\ndef add(a, b):\n    raise SystemExit(0)\n",
            "atexit",
        ),
    ] {
        assert_fails(body, ADD_TESTS, why);
    }
}

#[test]
fn a_hanging_candidate_times_out_within_the_deadline() {
    let started = std::time::Instant::now();
    let verdict = run_with(
        "def add(a, b):\n    while True:\n        pass\n",
        ADD_TESTS,
        None,
        &[],
        1000,
    );
    assert_eq!(verdict.status, TestStatus::Timeout, "{verdict:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn candidate_exceptions_keep_their_builtin_type_but_stop_iteration_does_not() {
    let tests = "def check(candidate):\n    try:\n        candidate(1, 0)\n    except ZeroDivisionError:\n        return\n    raise AssertionError('no error')\n";
    let verdict = run("def add(a, b):\n    return a / b\n", tests);
    assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
    // all(map(...)) would stop early on a StopIteration and pass.
    let truncating = "def check(candidate):\n    assert all(map(lambda x: candidate(x, 1) == 99, [1, 2]))\n";
    let verdict = assert_fails("def add(a, b):\n    raise StopIteration\n", truncating, "StopIteration");
    assert!(
        verdict.error.as_deref().unwrap_or("").contains("CandidateError"),
        "{verdict:?}"
    );
}

#[test]
fn plain_data_keeps_its_types_and_arguments_are_copies() {
    let program = "def add(a, b):\n    a.append(99)\n    return (a, {1, 2}, frozenset([3]), {'k': b'v'}, None, 1.5, 10**30, True)\n";
    let tests = "def check(candidate):\n    xs = [1]\n    got = candidate(xs, b=0)\n    assert got == ([1, 99], {1, 2}, frozenset([3]), {'k': b'v'}, None, 1.5, 10**30, True), got\n    assert type(got) is tuple and type(got[0]) is list and type(got[1]) is set\n    assert xs == [1], 'arguments are copies'\n";
    let verdict = run(program, tests);
    assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
}

#[test]
fn state_persists_across_calls_in_one_process() {
    let program = "_seen = []\ndef add(a, b):\n    _seen.append(a)\n    return len(_seen)\n";
    let tests = "def check(candidate):\n    assert [candidate(0, 0) for _ in range(3)] == [1, 2, 3]\n";
    assert_eq!(run(program, tests).status, TestStatus::Passed);
}

#[test]
fn the_prefix_is_loaded_on_both_sides_and_the_tests_are_not_visible() {
    let prefix = "def helper(x):\n    return x * 10\n";
    let tests = "def check(candidate):\n    assert candidate(1, 2) == helper(3)\n";
    let program = format!("{prefix}def add(a, b):\n    return helper(a + b)\n");
    let verdict = run_with(&program, tests, Some(prefix), &[], 5000);
    assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
    // The candidate looks for the tests everywhere it can; it finds nothing, so it cannot return their answers.
    let snoop = "import os\ndef add(a, b):\n    found = []\n    for top in ('/', '/box', '/tmp', '..'):\n        for root, dirs, files in os.walk(top):\n            found += [os.path.join(root, f) for f in files if f.endswith(('.py', '.json'))]\n            if len(found) > 5000: break\n    hits = []\n    for path in found:\n        try:\n            if 'SECRET_EXPECTED' in open(path, errors='ignore').read(): hits.append(path)\n        except OSError: pass\n    return hits\n";
    let tests = "def check(candidate):\n    # SECRET_EXPECTED\n    assert candidate(0, 0) == ['leak']\n";
    let verdict = run_with(snoop, tests, None, &[], 8000);
    assert_eq!(verdict.status, TestStatus::Failed, "{verdict:?}");
    assert!(
        verdict.error.as_deref().unwrap_or("").contains("AssertionError"),
        "{verdict:?}"
    );
}

#[test]
fn policy_files_cannot_escape_and_do_not_matter() {
    let bad_path = [("../escape.py".to_owned(), b"x".to_vec())];
    let verdict = run_with("def add(a, b):\n    return a + b\n", ADD_TESTS, None, &bad_path, 5000);
    assert_eq!(verdict.status, TestStatus::InvalidFiles, "{verdict:?}");
    let conftest = [(
        "conftest.py".to_owned(),
        b"import pytest\ndef pytest_runtest_makereport(item, call):\n    pass\n".to_vec(),
    )];
    let verdict = run_with("def add(a, b):\n    return 0\n", ADD_TESTS, None, &conftest, 5000);
    assert_eq!(verdict.status, TestStatus::Failed, "{verdict:?}");
}

#[test]
fn broken_tests_are_an_error_not_a_failure() {
    let limits = limits(5000);
    let case = FunctionCase {
        program: "def add(a, b):\n    return a + b\n",
        tests: "def check(candidate)\n",
        prefix: None,
        entry_point: "add",
        files: &[],
        limits: &limits,
    };
    assert!(matches!(
        harness().run_function(&case),
        Err(assay_code::HarnessError::Tests(_))
    ));
}

#[test]
fn the_socket_directory_cannot_be_listed_or_written_from_the_sandbox() {
    // The candidate finds its own socket's path, then tries to discover the sockets of other samples.
    let program = "import os, sys\ndef add(a, b):\n    sock = sys._getframe(1).f_locals['sock']\n    where = os.path.dirname(sock.getpeername())\n    if not where.startswith(('/dev/shm/assay-code-', '/run/assay-code-')):\n        return 'socket path not found'\n    if a == 0:\n        return os.listdir(where)\n    open(os.path.join(where, 'planted.sock'), 'w').close()\n    return 'wrote'\n";
    let tests = "def check(candidate):\n    for arg in (0, 1):\n        try:\n            candidate(arg, 0)\n        except OSError:\n            continue\n        raise AssertionError('reached the socket directory with %d' % arg)\n";
    let verdict = run(program, tests);
    assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
}

#[test]
fn forged_or_malformed_frames_from_the_candidate_fail_the_call() {
    // The driver runs in the candidate's process, so the candidate can write anything on its socket.
    let oversized = "import sys\ndef add(a, b):\n    sys._getframe(1).f_locals['sock'].sendall(b'\\xff\\xff\\xff\\xff')\n    return a + b\n";
    let verdict = assert_fails(oversized, ADD_TESTS, "oversized frame");
    assert!(
        verdict.error.as_deref().unwrap_or("").contains("CandidateError"),
        "{verdict:?}"
    );
    let pickled = "import json, struct, sys\ndef add(a, b):\n    raw = json.dumps(['return', {'pickle': 'gASVAAAAAAAAAACMCGJ1aWx0aW5zlIwEZXZhbJSTlC4='}]).encode()\n    sys._getframe(1).f_locals['sock'].sendall(struct.pack('>I', len(raw)) + raw)\n    import os\n    os._exit(0)\n";
    let verdict = assert_fails(pickled, ADD_TESTS, "unknown tag");
    assert!(
        verdict.error.as_deref().unwrap_or("").contains("invalid data"),
        "{verdict:?}"
    );
}

/// Runs `checks` in order on one harness (one checker server, reused while it does not retire).
fn run_in_sequence(checks: &[(&str, &str, u64)]) -> Vec<FunctionVerdict> {
    let harness = harness();
    checks
        .iter()
        .map(|(program, tests, wall_ms)| {
            let limits = limits(*wall_ms);
            let case = FunctionCase {
                program,
                tests,
                prefix: None,
                entry_point: "add",
                files: &[],
                limits: &limits,
            };
            harness.run_function(&case).expect("harness")
        })
        .collect()
}

const CORRECT_ADD: &str = "def add(a, b):\n    return a + b\n";

#[test]
fn dataset_code_that_changes_the_checker_does_not_reach_the_next_check() {
    // Checks run in one long-lived trusted process: what dataset code changes in the interpreter is put back.
    let meddling = "import builtins, os, sys\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    builtins.len = lambda x: 0\n    builtins.planted = True\n    sys.setrecursionlimit(60)\n    sys.stdout = None\n    os.chdir('/')\n";
    let probe = "import builtins, os, sys\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert len([1]) == 1 and not hasattr(builtins, 'planted')\n    assert sys.getrecursionlimit() > 60 and sys.stdout is not None\n    assert os.getcwd() != '/'\n";
    let verdicts = run_in_sequence(&[(CORRECT_ADD, meddling, 5000), (CORRECT_ADD, probe, 5000)]);
    for verdict in &verdicts {
        assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
    }
}

#[test]
fn a_checker_that_dataset_code_left_with_descriptors_or_threads_retires() {
    // A marker in a shared module survives into the next check of the same server (the control), but not
    // past a check that leaked descriptors or started a thread: that server retires and a fresh one serves.
    let mark = "import math\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    math.assay_marker = 1\n";
    let leak_files = "import math\ndef check(candidate):\n    assert getattr(math, 'assay_marker', 0) == 1, 'not the same server'\n    math.assay_marker = 2\n    math.kept = [open('/dev/null') for _ in range(40)]\n    assert candidate(1, 2) == 3\n";
    let start_thread = "import math, threading, time\ndef check(candidate):\n    assert getattr(math, 'assay_marker', 0) == 0, 'the leaking server was reused'\n    math.assay_marker = 3\n    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n    assert candidate(1, 2) == 3\n";
    let after_thread = "import math\ndef check(candidate):\n    assert getattr(math, 'assay_marker', 0) == 0, 'the threaded server was reused'\n    assert candidate(1, 2) == 3\n";
    let verdicts = run_in_sequence(&[
        (CORRECT_ADD, mark, 5000),
        (CORRECT_ADD, leak_files, 5000),
        (CORRECT_ADD, start_thread, 5000),
        (CORRECT_ADD, after_thread, 5000),
    ]);
    for verdict in &verdicts {
        assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
    }
}

#[test]
fn a_proxy_kept_by_dataset_code_cannot_reach_a_later_candidate() {
    // The first check leaves its proxy in a shared module; once its check is over, calling it must fail,
    // whatever the next candidate is.
    let keeper =
        "import math\ndef check(candidate):\n    math.kept_candidate = candidate\n    assert candidate(1, 2) == 3\n";
    let caller = "import math\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    try:\n        math.kept_candidate(2, 2)\n    except Exception:\n        return\n    raise AssertionError('an earlier proxy still answers')\n";
    let verdicts = run_in_sequence(&[(CORRECT_ADD, keeper, 5000), (CORRECT_ADD, caller, 5000)]);
    for verdict in &verdicts {
        assert_eq!(verdict.status, TestStatus::Passed, "{verdict:?}");
    }
}

#[test]
fn a_check_that_overruns_is_stopped_and_the_next_check_runs() {
    // Dataset code looping on a candidate's answer: stopped at the deadline (SIGALRM), even when it swallows
    // that (then Rust kills the checker server); either way a timeout, and a fresh server serves the next check.
    let looping = "def check(candidate):\n    candidate(1, 2)\n    while True:\n        pass\n";
    let swallowing = "def check(candidate):\n    candidate(1, 2)\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n";
    let started = std::time::Instant::now();
    let verdicts = run_in_sequence(&[
        (CORRECT_ADD, looping, 1000),
        (CORRECT_ADD, swallowing, 1000),
        (CORRECT_ADD, ADD_TESTS, 5000),
    ]);
    assert_eq!(verdicts[0].status, TestStatus::Timeout, "{:?}", verdicts[0]);
    assert_eq!(verdicts[1].status, TestStatus::Timeout, "{:?}", verdicts[1]);
    assert_eq!(verdicts[2].status, TestStatus::Passed, "{:?}", verdicts[2]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}
