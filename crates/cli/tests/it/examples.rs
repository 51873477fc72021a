//! Every bundled example runs as documented: `examples/pipeline.toml` on the sample rollouts, and each
//! `examples/kinds/<kind>.toml` on its `.jsonl`; and the README carries each kind's documentation section.

use std::path::{Path, PathBuf};

use crate::util::{Workspace, stderr};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn count_records(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

#[test]
fn sample_pipeline_scores_every_rollout_without_errors() {
    let root = repo_root();
    let ws = Workspace::new();
    let input = root.join("examples/rollouts.jsonl");
    let (output, records) = ws.score(&root.join("examples/pipeline.toml"), &input, &["--fail-on-error"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(records.len(), count_records(&input));
    assert!(records.iter().all(|r| r["reward"].is_f64()));
}

#[test]
fn every_kind_example_runs_without_errors() {
    let root = repo_root();
    let mut ran = 0;
    for entry in std::fs::read_dir(root.join("examples/kinds")).unwrap() {
        let config = entry.unwrap().path();
        if config.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let input = config.with_extension("jsonl");
        let ws = Workspace::new();
        let output = ws.run(&[
            "score",
            "--config",
            config.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            ws.path("out.jsonl").to_str().unwrap(),
            "--fail-on-error",
        ]);
        assert!(output.status.success(), "{}: {}", config.display(), stderr(&output));
        assert_eq!(
            count_records(&ws.path("out.jsonl")),
            count_records(&input),
            "{}",
            config.display()
        );
        ran += 1;
    }
    assert!(ran >= 20, "expected an example per kind, found {ran}");
}

#[test]
fn readme_includes_every_kind_section() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for entry in std::fs::read_dir(root.join("docs/kinds")).unwrap() {
        let path = entry.unwrap().path();
        let section = std::fs::read_to_string(&path).unwrap();
        assert!(
            readme.contains(section.trim()),
            "README.md is missing or has a stale copy of {}; regenerate with python3 scripts/readme.py",
            path.display()
        );
    }
}
