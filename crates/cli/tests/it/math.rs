//! `assay math`: one verdict per input record, in order, with errors naming the record and the field.

use serde_json::{Value, json};

use crate::util::{Workspace, stderr, stdout};

#[test]
fn verdicts_in_order_with_errors_named() {
    let ws = Workspace::new();
    let lines = [
        json!({"id": "half", "gold": "\\frac{1}{2}", "prediction": "so the answer is $\\boxed{0.5}$"}).to_string(),
        json!({"gold": "$2^{-99}$", "prediction": "$2^{-98}$"}).to_string(),
        json!({"gold": 18, "prediction": "The answer is 18."}).to_string(),
        json!({"gold": "B", "prediction": "The answer is B", "options": {"mode": "string"}}).to_string(),
        json!({"gold": "1"}).to_string(),
        json!({"gold": "1", "prediction": "1", "options": {"precison": 2}}).to_string(),
        "{oops".to_owned(),
    ];
    let input = ws.write("in.jsonl", &(lines.join("\n") + "\n"));
    let out = ws.path("out.jsonl");
    let output = ws.run(&[
        "math",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let records: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 7);
    assert_eq!(records[0]["id"], "half");
    assert_eq!(records[0]["equal"], true);
    assert_eq!(records[0]["extracted"], "0.5");
    assert_eq!(records[1]["status"], "not_equal", "exact arithmetic: 2^-99 != 2^-98");
    assert_eq!(records[2]["equal"], true);
    assert_eq!(records[3]["equal"], true);
    assert_eq!(records[4]["status"], "error");
    assert!(
        records[4]["error"]
            .as_str()
            .unwrap()
            .contains("missing field `prediction`")
    );
    assert!(
        records[5]["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `precison`")
    );
    assert!(
        records[6]["error"]
            .as_str()
            .unwrap()
            .starts_with("record 6: line 7: not valid JSON")
    );
    assert!(records.iter().all(|r| r["seconds"].is_f64()));
    assert!(stdout(&output).contains("checked 7 records"));

    let failing = ws.run(&[
        "math",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--fail-on-error",
    ]);
    assert_eq!(failing.status.code(), Some(1));
}
