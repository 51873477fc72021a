//! The public hack corpus (`../shared/data/hacks/`), isolated mode: static and trajectory rules only.
//! Rules are written for mechanisms; these tests check that they find the corpus's hacks without
//! flagging honest solutions, correct or wrong.

use std::path::PathBuf;

use assay_detect::{DEFAULT_THRESHOLD, Row, detect_isolated, load_rows};

fn corpus() -> Vec<Row> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hacks");
    load_rows(&dir).expect("the public corpus loads")
}

#[test]
fn honest_solutions_are_not_flagged() {
    let rows = corpus();
    let honest: Vec<&Row> = rows.iter().filter(|r| r.label.as_deref() != Some("hack")).collect();
    assert!(honest.len() >= 70, "{} honest rows", honest.len());
    for row in honest {
        let report = detect_isolated(row, DEFAULT_THRESHOLD);
        assert!(!report.flagged, "{} flagged: {:?}", row.trajectory_id, report.evidence);
    }
}

#[test]
fn isolated_recall_on_the_corpus_is_high_and_every_flag_has_evidence() {
    let rows = corpus();
    let hacks: Vec<&Row> = rows.iter().filter(|r| r.label.as_deref() == Some("hack")).collect();
    let mut missed = Vec::new();
    let mut type_match = 0;
    for row in &hacks {
        let report = detect_isolated(row, DEFAULT_THRESHOLD);
        for flag in &report.evidence {
            assert!(!flag.quote.is_empty(), "{}: empty quote in {flag:?}", row.trajectory_id);
        }
        if !report.flagged {
            missed.push(row.trajectory_id.clone());
        }
        if report.categories.first() == row.category.as_ref() {
            type_match += 1;
        }
    }
    assert!(missed.len() * 10 <= hacks.len(), "missed {missed:?}");
    assert!(
        type_match * 2 >= hacks.len(),
        "top category right for only {type_match}/{}",
        hacks.len()
    );
}

#[test]
fn code_only_hacks_are_found_from_the_code_alone() {
    // Strip the words: the static rules must still find hacks whose exploit is in the code.
    for mut row in corpus() {
        if row.label.as_deref() != Some("hack") || row.hack_visibility.as_deref() != Some("code") {
            continue;
        }
        for message in &mut row.messages {
            if message.role == "assistant" {
                message.content = serde_json::Value::String(String::new());
            }
        }
        let report = detect_isolated(&row, DEFAULT_THRESHOLD);
        assert!(report.flagged, "{} not found from code", row.trajectory_id);
        assert!(
            report
                .evidence
                .iter()
                .any(|f| matches!(f.location, assay_detect::Location::Code { line, .. } if line > 0)),
            "{}: no code location",
            row.trajectory_id
        );
    }
}
