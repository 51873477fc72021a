//! The hack corpus (`../shared/data/hacks/`) and HumanEval through `kind = "code"`: every honest solution
//! passes, every wrong one fails, and every hack fails unless it honestly passes the visible tests by
//! targeting them (that is the detector's job, not the harness's).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use assay_core::{BatchContext, Component, Params, RewardError, RewardSpec, Sample};
use serde_json::{Map, Value, json};

/// Categories whose solutions pass the visible tests without cheating the harness: they answer the
/// visible inputs (tables, special cases, replay in call order, memorised fallbacks behind a failed
/// network or filesystem probe) or skip what the visible tests do not cover. No harness can fail them on
/// the visible tests; the held-out tests below show that the harness measures what they really do.
const TARGETS_VISIBLE_TESTS: [&str; 8] = [
    "hardcoded_lookup_table",
    "special_casing_inputs",
    "plausible_special_casing",
    "obfuscated_hardcoding",
    "call_order_replay",
    "weak_test_exploitation",
    // No network in the sandbox (connect fails), so it answers from its memorised table.
    "network_answer_fetch",
    // Nothing outside /box/work is visible or writable, so it answers from its memorised table.
    "sandbox_fs_escape",
];

/// Why every other category scores below 1.0 (asserted below; a category missing here fails the test,
/// so a new mechanism needs a written reason).
const CANNOT_PASS: [(&str, &str); 31] = [
    (
        "test_file_overwrite",
        "the tests never exist in the sandbox; the checker reads its own copy on the host",
    ),
    (
        "test_case_deletion",
        "as test_file_overwrite: there is no test file in reach to edit",
    ),
    (
        "conftest_injection",
        "no pytest anywhere: the checker runs `python3 -I -S` in its own temp dir, files land in the sandbox",
    ),
    (
        "always_equal_object",
        "only plain data crosses, by exact type; an object with __eq__ is refused and the call raises",
    ),
    (
        "eq_subclass_weird_eq",
        "subclasses of int/str/list are refused by the exact-type check",
    ),
    (
        "dunder_bool_hash_override",
        "custom classes are refused; the checker only builds builtin values",
    ),
    ("mock_object_return", "a Mock is not plain data"),
    (
        "builtin_monkeypatch",
        "patched builtins live in the candidate's process; the asserts run in the checker",
    ),
    (
        "timer_monkeypatch",
        "the tests' timer runs in the checker, not in the patched process",
    ),
    (
        "pytest_internals_monkeypatch",
        "no pytest and no test module in the candidate's process",
    ),
    (
        "pytest_skip_xfail_abuse",
        "no pytest: a skip is an exception or nothing, and the assertions still run in the checker",
    ),
    (
        "sys_modules_test_shadowing",
        "the tests are exec'd in the checker, never imported in the candidate's process",
    ),
    (
        "exit_zero_at_import",
        "the candidate's exit status is ignored; a program that exits while loading fails",
    ),
    (
        "os_exit_in_function",
        "a process that ends during a call makes the call raise in the checker",
    ),
    (
        "systemexit_in_function",
        "SystemExit is caught in the driver and re-raised in the checker as a CandidateError",
    ),
    (
        "atexit_force_zero",
        "exit handlers change only the candidate's exit status, which is ignored",
    ),
    (
        "excepthook_exit",
        "the failing assertion is raised in the checker, whose hooks the candidate cannot touch",
    ),
    (
        "signal_alarm_bailout",
        "an alarm ends the candidate's process only: the pending call raises",
    ),
    (
        "thread_race_exit",
        "the process exits before answering, so the call raises",
    ),
    (
        "fork_escape",
        "exit status ignored; a forked child cannot answer calls on the driver's socket in its place",
    ),
    (
        "kill_parent_process",
        "its parent is the sandbox's PID-1 server (other uid, signals ignored); the checker is in another PID namespace",
    ),
    ("timeout_trigger", "hitting the deadline is a failure (status timeout)"),
    (
        "resource_exhaustion",
        "rlimits end the process or the allocation, and then the call raises",
    ),
    (
        "read_tests_from_disk",
        "the tests and expected values are never on the sandbox's filesystem",
    ),
    (
        "frame_walk_read_expected",
        "the expected values are in another process; the candidate's frames hold only the driver",
    ),
    (
        "reference_solution_theft",
        "no reference solution exists in the candidate's process or filesystem",
    ),
    (
        "grader_env_detection",
        "whatever it detects, it can only return plain data, compared in the checker",
    ),
    (
        "grader_reference_replacement",
        "the expected values live in the checker's memory, out of reach",
    ),
    (
        "result_artifact_tampering",
        "the verdict is the checker's, never a file the candidate can write",
    ),
    ("fake_test_output", "stdout is ignored by function tests"),
    (
        "false_success_claim",
        "claims are text; only check() returning normally in the checker passes",
    ),
];

fn hacks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hacks")
}

fn reward(params: &str) -> Box<dyn assay_core::Reward> {
    let spec = RewardSpec {
        name: "code".into(),
        kind: "code".into(),
        params: Params(toml::from_str(params).expect("toml")),
    };
    (assay_code::kind().build)(&spec).expect("params")
}

fn score_all(reward: &dyn assay_core::Reward, records: Vec<Map<String, Value>>) -> Vec<Result<Component, RewardError>> {
    let samples: Vec<Sample> = records
        .into_iter()
        .enumerate()
        .map(|(index, record)| Sample::from_record(index, record, "group"))
        .collect();
    let earlier = HashMap::new();
    futures::executor::block_on(reward.score_batch(&BatchContext::standalone(&samples, &earlier)))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every file under `dir`, relative path → text.
fn files_under(dir: &Path, prefix: &str, into: &mut Map<String, Value>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("extra dir")
        .map(|e| e.expect("entry"))
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("type").is_dir() {
            files_under(&entry.path(), &format!("{name}/"), into);
        } else {
            into.insert(name, Value::String(read(&entry.path())));
        }
    }
}

struct Entry {
    name: String,
    label: String,
    category: Option<String>,
    heldout_passes: bool,
}

#[test]
fn hack_corpus() {
    let root = hacks_dir();
    assert!(
        root.join("manifest.jsonl").is_file(),
        "hack corpus not found at {}",
        root.display()
    );
    let mut entries = Vec::new();
    let mut records = Vec::new();
    let mut heldout_records = Vec::new();
    let mut heldout_of = Vec::new();
    for line in read(&root.join("manifest.jsonl")).lines() {
        let manifest: Value = serde_json::from_str(line).expect("manifest line");
        let text = |key: &str| manifest[key].as_str().map(str::to_owned);
        let task_dir = root.join(text("task").expect("task"));
        let task: Value = serde_json::from_str(&read(&task_dir.join("task.json"))).expect("task.json");
        let mut files = Map::new();
        if let Some(extra) = text("extra_files") {
            files_under(&task_dir.join(extra), "", &mut files);
        }
        let completion = read(&task_dir.join(text("solution").expect("solution")));
        let record = |tests: String| {
            let value =
                json!({"completion": completion, "tests": tests, "entry_point": task["entry_point"], "files": files});
            match value {
                Value::Object(map) => map,
                _ => unreachable!(),
            }
        };
        let entry = Entry {
            name: format!(
                "{}/{}",
                text("task").expect("task"),
                text("solution").expect("solution")
            ),
            label: text("label").expect("label"),
            category: text("category"),
            heldout_passes: manifest["heldout_passes"].as_bool().expect("heldout_passes"),
        };
        // Held-out runs for honest code and for hacks that target the visible tests.
        let honest = entry.label != "hack"
            || entry
                .category
                .as_deref()
                .is_some_and(|c| TARGETS_VISIBLE_TESTS.contains(&c));
        if honest {
            heldout_records.push(record(read(&task_dir.join("heldout_tests.py"))));
            heldout_of.push(entries.len());
        }
        records.push(record(read(&task_dir.join("tests.py"))));
        entries.push(entry);
    }
    let started = std::time::Instant::now();
    let reward = reward("test_format = \"function\"\nfiles_field = \"files\"\ntimeout_ms = 3000\nworkers = 2");
    records.extend(heldout_records);
    let mut results = score_all(reward.as_ref(), records);
    let heldout = results.split_off(entries.len());
    let elapsed = started.elapsed();

    let reasons: BTreeMap<&str, &str> = CANNOT_PASS.into_iter().collect();
    let mut problems = Vec::new();
    for (entry, result) in entries.iter().zip(&results) {
        let component = match result {
            Ok(component) => component,
            Err(error) => {
                problems.push(format!("{}: reward error {error}", entry.name));
                continue;
            }
        };
        let passed = component.value >= 1.0;
        match (entry.label.as_str(), entry.category.as_deref()) {
            ("correct", _) if !passed => problems.push(format!("{}: correct but scored {component:?}", entry.name)),
            ("wrong", _) if passed => problems.push(format!("{}: wrong but passed", entry.name)),
            ("hack", Some(category)) if !TARGETS_VISIBLE_TESTS.contains(&category) => {
                if !reasons.contains_key(category) {
                    problems.push(format!("{}: category {category} has no written reason", entry.name));
                }
                if passed {
                    problems.push(format!("{}: hack {category} passed: {component:?}", entry.name));
                }
            }
            _ => {}
        }
    }
    for (index, result) in heldout_of.iter().zip(&heldout) {
        let entry = &entries[*index];
        match result {
            Ok(component) if (component.value >= 1.0) == entry.heldout_passes => {}
            other => problems.push(format!(
                "{}: held-out verdict differs from the manifest ({}): {other:?}",
                entry.name, entry.heldout_passes
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(entries.len() >= 100, "corpus too small: {}", entries.len());
    assert!(elapsed.as_secs() < 90, "corpus took {elapsed:?}");
}

#[test]
fn humaneval_canonical_solutions_pass_and_empty_bodies_fail() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/code/HumanEval.jsonl.gz");
    let output = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&path)
        .output()
        .expect("gzip");
    assert!(output.status.success(), "cannot read {}", path.display());
    let problems: Vec<Map<String, Value>> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect();
    assert_eq!(problems.len(), 164);
    let mut records = Vec::new();
    for problem in &problems {
        let mut canonical = problem.clone();
        canonical.insert("completion".into(), problem["canonical_solution"].clone());
        records.push(canonical);
    }
    for problem in &problems {
        let mut empty = problem.clone();
        empty.insert("completion".into(), Value::String("    return None\n".into()));
        records.push(empty);
    }
    let reward = reward(
        "prefix_field = \"prompt\"\ntests_field = \"test\"\ntest_format = \"function\"\ntimeout_ms = 10000\nworkers = 2",
    );
    let results = score_all(reward.as_ref(), records);
    let mut failures = Vec::new();
    for (index, result) in results.iter().enumerate() {
        let problem = &problems[index % 164]["task_id"];
        let expected = if index < 164 { 1.0 } else { 0.0 };
        match result {
            Ok(component) if component.value == expected => {}
            other => failures.push(format!("{problem} (expected {expected}): {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
