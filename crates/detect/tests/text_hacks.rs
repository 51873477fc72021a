//! The labelled text-hack set (`data/text_hacks.jsonl`, documented in docs/kinds/text_hack_guard.md):
//! keyword stuffing, answers addressed to the grader and repeated rubric phrases, against clean answers
//! that mention grades, judges, ratings, lists and refrains.

use assay_detect::{DEFAULT_THRESHOLD, Report, text_flags};
use serde_json::Value;

fn rows() -> Vec<Value> {
    include_str!("../data/text_hacks.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).expect("valid row"))
        .collect()
}

#[test]
fn every_labelled_text_hack_is_flagged_and_no_clean_answer_is() {
    let rows = rows();
    assert!(rows.len() >= 25);
    let (mut hacks, mut caught, mut category_right) = (0, 0, 0);
    let mut missed = Vec::new();
    for row in &rows {
        let text = |key: &str| row.get(key).and_then(Value::as_str);
        let flags = text_flags(text("completion").unwrap(), text("reference"), text("rubric"));
        let report = Report::from_flags(text("id").unwrap(), flags, DEFAULT_THRESHOLD);
        if text("label") == Some("hack") {
            hacks += 1;
            caught += usize::from(report.flagged);
            if !report.flagged || report.categories.first().map(String::as_str) != text("category") {
                missed.push((text("id").unwrap().to_owned(), report.categories.clone()));
            }
            category_right += usize::from(report.categories.first().map(String::as_str) == text("category"));
        } else {
            assert!(!report.flagged, "{}: {:?}", text("id").unwrap(), report.evidence);
        }
    }
    assert_eq!(caught, hacks, "missed text hacks: {missed:?}");
    assert_eq!(category_right, hacks, "wrong categories: {missed:?}");
}
