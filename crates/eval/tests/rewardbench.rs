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
    (0..200 + rng.below(300))
        .map(|i| {
            json!({
                "id": i,
                "subset": RB1_SUBSETS[rng.below(used)],
                "score_chosen": rng.score(),
                "score_rejected": rng.score(),
            })
        })
        .collect()
}

fn rb2_file(rng: &mut Rng) -> Vec<Value> {
    let mut rows = Vec::new();
    for i in 0..150 + rng.below(150) {
        let subset = ["Factuality", "Precise IF", "Math", "Safety", "Focus"][rng.below(5)];
        rows.push(json!({"id": format!("{i}"), "subset": subset, "scores_chosen": rng.scores(1), "scores_rejected": rng.scores(3)}));
    }
    for prompt in 0..20 + rng.below(30) {
        // Ties prompts: a reference version, a tied version with several correct answers, or both.
        let kinds: &[&str] = match rng.below(4) {
            0 => &["ref"],
            1 => &["tied"],
            _ => &["ref", "tied"],
        };
        for kind in kinds {
            let correct = if *kind == "tied" { 2 + rng.below(4) } else { 1 + rng.below(2) };
            rows.push(json!({
                "id": format!("{kind}:{prompt}"),
                "subset": "Ties",
                "scores_chosen": rng.scores(correct),
                "scores_rejected": rng.scores(1 + rng.below(6)),
            }));
        }
    }
    rows
}

fn peer(rows: &[Value]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scores.jsonl");
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let python = std::env::var("ASSAY_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rewardbench_peer.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        output.status.success(),
        "the rewardbench peer failed (install: pip install --no-deps rewardbench==0.1.4 && pip install pandas datasets):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("peer prints JSON")
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
    for seed in 1..=6u64 {
        let mut rng = Rng(seed * 0x9E37_79B9_7F4A_7C15);
        let rows = rb1_file(&mut rng);
        let ours = rewardbench::evaluate(&records(&rows)).unwrap();
        let theirs = peer(&rows);
        let subsets: Map<String, Value> = ours.subsets.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        assert_same(&subsets, &theirs["subsets"], "subsets");
        assert_same(&ours.sections, &theirs["sections"], "sections");
    }
}

#[test]
fn rewardbench2_matches_the_package() {
    for seed in 1..=6u64 {
        let mut rng = Rng(seed * 0xD1B5_4A32_D192_ED03);
        let rows = rb2_file(&mut rng);
        let ours = rewardbench::evaluate(&records(&rows)).unwrap();
        let theirs = peer(&rows);
        let subsets: Map<String, Value> = ours.subsets.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        assert_same(&subsets, &theirs["subsets"], "subsets");
        assert!(ours.subsets["Ties"] != 0.0, "the Ties formula was exercised");
    }
}
