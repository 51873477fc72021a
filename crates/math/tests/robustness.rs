//! Adversarial and random inputs: no panic, and every call returns within its budget.

use assay_math::{Options, Status, thread_cpu_time, verify};
use proptest::prelude::*;
use std::time::Duration;

/// Generous bound (10× the default 50 ms budget), in CPU time of the verifying thread like the budget itself,
/// so a loaded machine does not flake.
const BOUND: Duration = Duration::from_millis(500);

fn timed(gold: &str, pred: &str) -> (Status, Duration) {
    let opts = Options::default();
    let start = thread_cpu_time();
    let v = verify(gold, pred, &opts);
    (v.status, thread_cpu_time().saturating_sub(start))
}

fn assert_bounded(gold: &str, pred: &str) -> Status {
    let (status, elapsed) = timed(gold, pred);
    assert!(
        elapsed < BOUND,
        "took {elapsed:?} (status {status:?}) on gold {:?} / pred {:?}",
        head(gold),
        head(pred)
    );
    status
}

/// The first 80 characters, so a failure message stays readable for 400 KB inputs.
fn head(s: &str) -> String {
    s.chars().take(80).collect()
}

fn adversarial() -> Vec<String> {
    let digits = "7".repeat(10_000);
    let mut cases = vec![
        format!("${digits}$"),
        format!("${digits}^{{{digits}}}$"),
        format!(r"$\boxed{{{digits}!}}$"),
        format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000)),
        format!("${}1{}$", r"\frac{1}{".repeat(2_000), "}".repeat(2_000)),
        format!("${}x{}$", r"\sqrt{".repeat(3_000), "}".repeat(3_000)),
        format!("${}$", "2^{".repeat(500) + "2" + &"}".repeat(500)),
        r"$10^{(5^{5^{5^{5^5}}}\cdot\log_{10}5)-4}$".to_string(),
        r"$2^{2^{2^{2^{2^{2^{2}}}}}}$".to_string(),
        "$".repeat(100_000),
        "$$".repeat(50_000),
        r"\boxed{".repeat(20_000),
        "{".repeat(50_000) + "1",
        "}".repeat(50_000),
        "1 ".repeat(200_000),
        "1+".repeat(100_000) + "1",
        format!("${}x$", "x+".repeat(100_000)),
        format!("${}x$", "x^2\\cdot ".repeat(30_000)),
        format!(r"$\{{{}1\}}$", "1,".repeat(50_000)),
        format!(r"$\{{{}1\}}$", "x,".repeat(50_000)),
        format!("${}$", "(1,2),".repeat(30_000) + "(1,2)"),
        format!("${}$", r"\pm 1".repeat(10_000)),
        format!(
            r"$\{{{}\}}$",
            (0..30_000).map(|k| k.to_string()).collect::<Vec<_>>().join(",")
        ),
        format!(
            r"$\{{{}\}}$",
            (0..30_000)
                .rev()
                .map(|k| format!("x+{k}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        "answer: ".repeat(20_000) + "7",
        "The final answer is ".repeat(10_000),
        r"\( ".repeat(30_000),
        format!("$-{}$", "-".repeat(100_000)),
        format!(r"$\binom{{{digits}}}{{{digits}}}$"),
        r"$(10^{10^{10}})!$".to_string(),
        r"$\sqrt[64]{2}^{999999}$".to_string(),
    ];
    let row = vec!["x"; 200].join(" & ");
    let rows = vec![row; 200].join(r" \\ ");
    cases.push(format!(r"$\det\begin{{pmatrix}}{rows}\end{{pmatrix}}$"));
    cases.push(format!(r"$\begin{{pmatrix}}{rows}\end{{pmatrix}}$"));
    cases
}

#[test]
fn adversarial_inputs_stay_within_budget() {
    for case in adversarial() {
        assert_bounded(&case, &case);
        assert_bounded("$1$", &case);
        assert_bounded(&case, "$1$");
    }
}

#[test]
fn large_order_free_comparisons_stay_within_budget() {
    let set = |v: Vec<String>| format!(r"$\{{{}\}}$", v.join(","));
    let up = set((0..20_000).map(|k| format!("x+{k}")).collect());
    let down = set((0..20_000).rev().map(|k| format!("{k}+x")).collect());
    let status = assert_bounded(&up, &down);
    assert!(matches!(status, Status::Equal | Status::Unknown), "{status:?}");
    let tuple = |v: Vec<String>| format!("$({})$", v.join(","));
    let status = assert_bounded(
        &tuple((0..20_000).map(|k| k.to_string()).collect()),
        &tuple((1..20_001).map(|k| k.to_string()).collect()),
    );
    assert!(matches!(status, Status::NotEqual | Status::Unknown), "{status:?}");
}

#[test]
fn over_budget_is_unknown_not_a_guess() {
    let status = assert_bounded("$1$", r"$2^{2^{2^{2^{2^{2^{2}}}}}}$");
    assert_eq!(status, Status::Unknown);
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r"\frac{".to_string()),
        Just("}".to_string()),
        Just("{".to_string()),
        Just("^".to_string()),
        Just(r"\sqrt".to_string()),
        Just("$".to_string()),
        Just(r"\boxed{".to_string()),
        Just(r"\pm".to_string()),
        Just(r"\left(".to_string()),
        Just(r"\right)".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just("=".to_string()),
        Just("!".to_string()),
        Just(r"\\".to_string()),
        Just("&".to_string()),
        Just(r"\begin{pmatrix}".to_string()),
        Just(r"\end{pmatrix}".to_string()),
        Just(" answer: ".to_string()),
        Just("</think>".to_string()),
        "[0-9]{1,40}",
        "[a-zA-Z]{1,3}",
        "[ -~]{0,8}",
        "\\PC{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_token_soup_never_panics_or_hangs(gold in prop::collection::vec(token(), 0..60), pred in prop::collection::vec(token(), 0..120)) {
        let (gold, pred) = (gold.concat(), pred.concat());
        let (_, elapsed) = timed(&gold, &pred);
        prop_assert!(elapsed < BOUND, "took {:?}", elapsed);
    }

    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,300}") {
        let (_, elapsed) = timed(&s, &s);
        prop_assert!(elapsed < BOUND, "took {:?}", elapsed);
    }
}
