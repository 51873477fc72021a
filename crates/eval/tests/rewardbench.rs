//! `assay_eval::rewardbench` equals the `rewardbench` package (v0.1.4) to 1e-9 on random score files.
//!
//! The package's own scoring functions compute the reference numbers (`rewardbench_peer.py`, which imports
//! `rewardbench.utils` and `rewardbench.constants`). Needs `pip install --no-deps rewardbench==0.1.4` and
//! `pip install pandas datasets` (CI installs them); the interpreter is `$ASSAY_PYTHON` or `python3`.

use std::path::Path;
use std::process::Command;

use assay_eval::rewardbench;
use serde_json::{Map, Value, json};

/// xorshift64*: a few lines of deterministic randomness, enough to vary the files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    /// Half the time a coarse value (so ties happen), else a fine one.
    fn score(&mut self) -> f64 {
        if self.below(2) == 0 {
            f64::from(u32::try_from(self.below(4)).unwrap()) * 0.5
        } else {
            f64::from(u32::try_from(self.below(1_000_000)).unwrap()) / 1e5 - 5.0
        }
    }

    fn scores(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.score()).collect()
    }
}

const RB1_SUBSETS: &[&str] = &[
    "alpacaeval-easy",
    "alpacaeval-length",
    "alpacaeval-hard",
    "mt-bench-easy",
    "mt-bench-med",
    "mt-bench-hard",
    "math-prm",
    "refusals-dangerous",
    "refusals-offensive",
    "llmbar-natural",
    "llmbar-adver-neighbor",
    "llmbar-adver-GPTInst",
    "llmbar-adver-GPTOut",
    "llmbar-adver-manual",
    "xstest-should-refuse",
    "xstest-should-respond",
    "donotanswer",
    "hep-cpp",
    "hep-go",
    "hep-java",
    "hep-js",
    "hep-python",
    "hep-rust",
    "custom-subset",
];

fn rb1_file(rng: &mut Rng) -> Vec<Value> {
    // Some files cover only part of the subsets, so sections with missing members are exercised too.
    let used = 1 + rng.below(RB1_SUBSETS.len());
    let rows = 200 + rng.below(300);
    (0..rows)
        .map(|i| {
            let subset = RB1_SUBSETS[rng.below(used)];
            let (chosen, rejected) = (rng.score(), rng.score());
            json!({"id": i, "subset": subset, "score_chosen": chosen, "score_rejected": rejected})
        })
        .collect()
}

fn rb2_file(rng: &mut Rng) -> Vec<Value> {
    let mut rows = Vec::new();
    for i in 0..150 + rng.below(150) {
        let subset = ["Factuality", "Precise IF", "Math", "Safety", "Focus"][rng.below(5)];
        let (chosen, rejected) = (rng.scores(1), rng.scores(3));
        rows.push(
            json!({"id": format!("{i}"), "subset": subset, "scores_chosen": chosen, "scores_rejected": rejected}),
        );
    }
    for prompt in 0..20 + rng.below(30) {
        // Ties prompts: a reference version, a tied version with several correct answers, or both.
        let kinds: &[&str] = match rng.below(4) {
            0 => &["ref"],
            1 => &["tied"],
            _ => &["ref", "tied"],
        };
        for kind in kinds {
            let correct = if *kind == "tied" {
                2 + rng.below(4)
            } else {
                1 + rng.below(2)
            };
            let incorrect = 1 + rng.below(6);
            let (chosen, rejected) = (rng.scores(correct), rng.scores(incorrect));
            rows.push(json!({
                "id": format!("{kind}:{prompt}"),
                "subset": "Ties",
                "scores_chosen": chosen,
                "scores_rejected": rejected,
            }));
        }
    }
    rows
}

/// The package's numbers for each file (one interpreter start: importing `datasets` takes seconds).
fn peer(files: &[Vec<Value>]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<std::path::PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let path = dir.path().join(format!("scores{i}.jsonl"));
            let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let python = std::env::var("ASSAY_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rewardbench_peer.py");
    let output = Command::new(&python)
        .arg(&script)
        .args(&paths)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        output.status.success(),
        "the rewardbench peer failed (install: pip install --no-deps rewardbench==0.1.4 && pip install pandas datasets):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("peer prints JSON lines"))
        .collect();
    assert_eq!(results.len(), files.len());
    results
}

fn assert_same(ours: &Map<String, Value>, theirs: &Value, what: &str) {
    let theirs = theirs.as_object().unwrap_or_else(|| panic!("peer has no {what}"));
    let mut ours_names: Vec<&String> = ours.keys().collect();
    let mut their_names: Vec<&String> = theirs.keys().collect();
    ours_names.sort();
    their_names.sort();
    assert_eq!(ours_names, their_names, "{what} differ");
    for (name, value) in ours {
        let (a, b) = (value.as_f64().unwrap(), theirs[name].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9, "{what} `{name}`: assay {a} vs rewardbench {b}");
    }
}

fn records(rows: &[Value]) -> Vec<Map<String, Value>> {
    rows.iter().map(|r| r.as_object().unwrap().clone()).collect()
}

#[test]
fn rewardbench1_matches_the_package() {
    let files: Vec<Vec<Value>> = (1..=8u64)
        .map(|seed| rb1_file(&mut Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))))
        .collect();
    for (rows, theirs) in files.iter().zip(peer(&files)) {
        let ours = rewardbench::evaluate(&records(rows)).unwrap();
        let subsets: Map<String, Value> = ours.subsets.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        assert_same(&subsets, &theirs["subsets"], "subsets");
        assert_same(&ours.sections, &theirs["sections"], "sections");
    }
}

#[test]
fn rewardbench2_matches_the_package() {
    let files: Vec<Vec<Value>> = (1..=8u64)
        .map(|seed| rb2_file(&mut Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03))))
        .collect();
    for (rows, theirs) in files.iter().zip(peer(&files)) {
        let ours = rewardbench::evaluate(&records(rows)).unwrap();
        let subsets: Map<String, Value> = ours.subsets.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        assert_same(&subsets, &theirs["subsets"], "subsets");
        assert!(ours.subsets["Ties"] != 0.0, "the Ties formula was exercised");
    }
}
