//! `assay eval` and `assay report` end to end: score files and pipelines in, a table out, JSON written; and the
//! report of the bundled example rendered in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{Workspace, stderr, stdout};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn eval(ws: &Workspace, args: &[&str]) -> (String, Value) {
    let json = ws.path("result.json");
    let mut full = vec!["eval"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--output", json.to_str().unwrap()]);
    let output = ws.run(&full);
    assert!(output.status.success(), "{}", stderr(&output));
    let value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    (stdout(&output), value)
}

#[test]
fn rewardbench_from_a_scores_file() {
    let ws = Workspace::new();
    let input = ws.write(
        "rb1.jsonl",
        concat!(
            r#"{"id": 1, "subset": "math-prm", "score_chosen": 1.0, "score_rejected": 0.5}"#,
            "\n",
            r#"{"id": 2, "subset": "alpacaeval-easy", "score_chosen": 0.2, "score_rejected": 0.2}"#,
            "\n"
        ),
    );
    let (table, json) = eval(&ws, &["rewardbench", "--input", input.to_str().unwrap()]);
    assert_eq!(json["subsets"]["math-prm"], 1.0);
    assert_eq!(json["subsets"]["alpacaeval-easy"], 0.0, "a tie is wrong");
    assert_eq!(json["sections"]["Reasoning"], 1.0);
    assert_eq!(json["score"], 0.5);
    assert!(table.contains("[Reasoning]") && table.contains("math-prm"), "{table}");
}

#[test]
fn rewardbench2_rows_scored_by_a_pipeline() {
    let ws = Workspace::new();
    let config = ws.write("p.toml", "[[reward]]\nname = \"m\"\nkind = \"exact_match\"\n");
    let input = ws.write(
        "rb2.jsonl",
        concat!(
            r#"{"id": "a", "subset": "Math", "reference": "4", "chosen": ["4"], "rejected": ["5", "6", "7"]}"#,
            "\n",
            r#"{"id": "b", "subset": "Math", "reference": "4", "chosen": ["4"], "rejected": ["4", "6", "7"]}"#,
            "\n"
        ),
    );
    let (_, json) = eval(
        &ws,
        &[
            "rewardbench",
            "--input",
            input.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(json["benchmark"], "rewardbench2");
    assert_eq!(json["subsets"]["Math"], 0.75, "1 for a, 1/2 for b's tie at the top");
}

#[test]
fn one_vs_many_preference_and_verifier() {
    let ws = Workspace::new();
    let rows = ws.write(
        "ovm.jsonl",
        "{\"score_chosen\": 0.8, \"scores_rejected\": [0.9, 0.3, 0.1]}\n{\"score_chosen\": 0.95, \"scores_rejected\": [0.2, 0.5]}\n",
    );
    let (_, json) = eval(&ws, &["one-vs-many", "--input", rows.to_str().unwrap()]);
    assert_eq!(
        (json["overall"]["accuracy"].as_f64(), json["overall"]["mrr"].as_f64()),
        (Some(0.5), Some(0.75))
    );
    let rows = ws.write(
        "pref.jsonl",
        "{\"score_1\": 1, \"score_2\": 0, \"preference_strength\": -3}\n{\"score_1\": 1, \"score_2\": 0, \"preference_strength\": 1}\n",
    );
    let (_, json) = eval(&ws, &["preference-strength", "--input", rows.to_str().unwrap()]);
    assert_eq!(json["weighted_accuracy"], 0.75);
    let config = ws.write("v.toml", "[[reward]]\nname = \"m\"\nkind = \"exact_match\"\n");
    let rows = ws.write(
        "ver.jsonl",
        concat!(
            "{\"completion\": \"<answer>4</answer>\", \"reference\": \"4\", \"label\": true}\n",
            "{\"completion\": \"<answer>5</answer>\", \"reference\": \"4\", \"label\": true}\n",
            "{\"completion\": \"<answer>4</answer>\", \"reference\": \"4\", \"label\": false}\n",
            "{\"completion\": \"<answer>3</answer>\", \"reference\": \"4\", \"label\": false}\n",
        ),
    );
    let (table, json) = eval(
        &ws,
        &[
            "verifier",
            "--input",
            rows.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(json["false_positive_rate"], 0.5);
    assert_eq!(json["false_negative_rate"], 0.5);
    assert!(table.contains("false-positive rate"), "{table}");
}

#[test]
fn distance_tabular_and_between_two_pipelines() {
    let ws = Workspace::new();
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("../shared/specs/reward-math-vectors.json")).unwrap(),
    )
    .unwrap();
    let mdp = ws.write("mdp.json", &vectors["mdp_example"].to_string());
    let (table, json) = eval(&ws, &["distance", "--mdp", mdp.to_str().unwrap()]);
    assert_eq!(json["pairs"].as_array().unwrap().len(), 3, "R1-R2, R1-R3, R2-R3");
    assert!(json["pairs"][0]["epic"].as_f64().unwrap().abs() < 1e-9);
    assert!(table.contains("R1 vs R3"), "{table}");
    let root = repo_root();
    let pipeline = root.join("examples/pipeline.toml");
    let format_only = ws.write(
        "format.toml",
        "[[reward]]\nname = \"f\"\nkind = \"tags\"\nrequire = [\"think\", \"answer\"]\n",
    );
    let (_, json) = eval(
        &ws,
        &[
            "distance",
            "--input",
            root.join("examples/rollouts.jsonl").to_str().unwrap(),
            "--config",
            pipeline.to_str().unwrap(),
            "--against",
            format_only.to_str().unwrap(),
        ],
    );
    let epic = json["pairs"][0]["epic"].as_f64().unwrap();
    assert!(epic > 0.0 && epic < 1.0, "{json}");
    assert_eq!(json["pairs"][0]["a"], "pipeline");
}

#[test]
fn overopt_fits_a_series() {
    let ws = Workspace::new();
    let rows: String = (0..12)
        .map(|i| {
            let d = f64::from(i) * 0.75;
            format!(
                "{{\"kl\": {}, \"gold\": {}, \"proxy\": {}}}\n",
                d * d,
                d * (1.0 - 0.1 * d),
                d
            )
        })
        .collect();
    let input = ws.write("series.jsonl", &rows);
    let (table, json) = eval(&ws, &["overopt", "--input", input.to_str().unwrap()]);
    assert!(
        (json["fits"][0]["gold"]["peak_d"].as_f64().unwrap() - 5.0).abs() < 1e-6,
        "{json}"
    );
    assert!((json["score"].as_f64().unwrap() - 5.0).abs() < 1e-6);
    assert!(table.contains("best-of-n"), "{table}");
}

#[test]
fn bad_rows_name_the_row_and_field() {
    let ws = Workspace::new();
    let input = ws.write(
        "bad.jsonl",
        "{\"id\": \"x\", \"subset\": \"s\", \"score_chosen\": \"high\", \"score_rejected\": 0}\n",
    );
    let output = ws.run(&["eval", "rewardbench", "--input", input.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("row 0 (id x): field `score_chosen` must be a number, found a string"),
        "{}",
        stderr(&output)
    );
}

/// Scores the bundled example and writes its report; returns (report path, JSON numbers).
fn example_report(ws: &Workspace) -> (PathBuf, Value) {
    let root = repo_root();
    let rollouts = root.join("examples/rollouts.jsonl");
    let (output, _) = ws.score(&root.join("examples/pipeline.toml"), &rollouts, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = ws.path("report.html");
    let json = ws.path("report.json");
    let output = ws.run(&[
        "report",
        "--input",
        ws.path("out.jsonl").to_str().unwrap(),
        "--rollouts",
        rollouts.to_str().unwrap(),
        "--output",
        html.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    (
        html,
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap(),
    )
}

#[test]
fn report_of_the_example_is_self_contained() {
    let ws = Workspace::new();
    let (html, numbers) = example_report(&ws);
    let page = std::fs::read_to_string(html).unwrap();
    assert!(!page.contains("<script"), "no scripts");
    assert_eq!(
        page.matches("http").count(),
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "no URL but the SVG namespace"
    );
    assert!(!page.contains("src=") && !page.contains("<link"), "no external assets");
    for plot in [
        "reward-histogram",
        "reward-vs-length",
        "group-std",
        "component-correlation",
        "status-counts",
    ] {
        assert!(page.contains(&format!("data-plot=\"{plot}\"")), "missing {plot}");
    }
    assert_eq!(numbers["records"], 300);
    assert!(numbers["length_correlation"].is_f64());
    assert!(numbers["groups"].as_u64().unwrap() > 0);
}

/// The report in a real browser: no console errors, every plot rendered with a non-zero size and marks, and a
/// screenshot. Needs Debian's `chromium` (CI installs it).
#[test]
fn report_renders_in_headless_chromium() {
    let ws = Workspace::new();
    let (html, numbers) = example_report(&ws);
    let screenshot = ws.path("report.png");
    let script = repo_root().join("scripts/report_browser_check.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&html)
        .arg(&screenshot)
        .output()
        .expect("run python3");
    assert!(output.status.success(), "browser check failed: {}", stderr(&output));
    let page: Value = serde_json::from_slice(&output.stdout).expect("browser check prints JSON");
    assert_eq!(page["console_errors"], serde_json::json!([]), "{page}");
    assert_eq!(page["external"], 0);
    let plots = page["plots"].as_array().unwrap();
    let components = numbers["components"].as_array().unwrap().len();
    // reward, length, group spread, one per component, correlation, status.
    assert_eq!(plots.len(), 5 + components, "{page}");
    for plot in plots {
        assert!(
            plot["width"].as_f64().unwrap() > 100.0 && plot["height"].as_f64().unwrap() > 100.0,
            "{plot}"
        );
        assert!(plot["marks"].as_u64().unwrap() > 0, "plot without marks: {plot}");
        assert!(!plot["title"].as_str().unwrap().is_empty(), "{plot}");
    }
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    if let Ok(dest) = std::env::var("ASSAY_REPORT_SCREENSHOT") {
        std::fs::copy(&screenshot, dest).unwrap();
    }
}
