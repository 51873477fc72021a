//! Exact-arithmetic traps, including Math-Verify's known false positives (issue #14).

use assay_math::{Options, Status, verify};

fn check(gold: &str, pred: &str) -> Status {
    let mut o = Options::default();
    // Unoptimized test builds are slower; the budget itself is tested in `robustness.rs`.
    o.limits.time = std::time::Duration::from_secs(5);
    verify(gold, pred, &o).status
}

fn assert_status(gold: &str, pred: &str, want: Status) {
    assert_eq!(check(gold, pred), want, "gold {gold:?} vs prediction {pred:?}");
}

#[test]
fn mathverify_false_positives_are_rejected() {
    assert_status(r"$\frac{1}{2004!}$", r"$\frac{1}{2006!}$", Status::NotEqual);
    assert_status(r"$\frac{1}{2^{99}}$", r"$\frac{1}{2^{98}}$", Status::NotEqual);
    assert_status(r"$2^{-99}$", r"$2^{-98}$", Status::NotEqual);
}

#[test]
fn tiny_and_huge_rationals_are_exact() {
    assert_status(r"$2^{-99}$", r"$\frac{1}{2^{99}}$", Status::Equal);
    assert_status(r"$\frac{1}{2004!}$", r"$\frac{1}{2004 \cdot 2003!}$", Status::Equal);
    assert_status(r"$1+10^{-30}$", "$1$", Status::NotEqual);
    assert_status(r"$10^{100}+1$", r"$10^{100}$", Status::NotEqual);
    assert_status(r"$2^{1000}$", r"$2^{999}\cdot 2$", Status::Equal);
    assert_status(r"$\binom{50}{25}$", "$126410606437752$", Status::Equal);
    assert_status(r"$\binom{50}{25}$", "$126410606437753$", Status::NotEqual);
}

#[test]
fn radicals_and_constants() {
    assert_status(r"$\sqrt{8}$", r"$2\sqrt{2}$", Status::Equal);
    assert_status(r"$\sqrt{2}+\sqrt{3}$", r"$\sqrt{5+2\sqrt{6}}$", Status::Equal);
    assert_status(
        r"$\sqrt{2}+\sqrt{3}$",
        r"$\sqrt{5+2\sqrt{6}}+10^{-40}$",
        Status::NotEqual,
    );
    assert_status(r"$\frac{1}{\sqrt{2}}$", r"$\frac{\sqrt{2}}{2}$", Status::Equal);
    assert_status(r"$\sqrt[3]{54}$", r"$3\sqrt[3]{2}$", Status::Equal);
    assert_status(r"$4$", r"$4\sqrt{2}$", Status::NotEqual);
    assert_status(r"$\frac{9}{4}\pi$", r"$2.25\pi$", Status::Equal);
    assert_status(r"$\pi$", r"$\frac{22}{7}$", Status::NotEqual);
}

#[test]
fn floats_round_to_precision_like_mathverify() {
    assert_status(r"$\frac{1}{3}$", "$0.333333$", Status::Equal);
    assert_status(r"$\frac{1}{3}$", "$0.33$", Status::NotEqual);
    assert_status("$1.5$", "$1.5000001$", Status::Equal);
    assert_status("$1.5$", "$1.5000011$", Status::NotEqual);
    assert_status(r"$0.1+0.2$", "$0.3$", Status::Equal);
}

#[test]
fn expressions_with_variables() {
    assert_status("$(x+1)^2$", "$x^2+2x+1$", Status::Equal);
    assert_status("$(x+1)^2$", "$x^2+2x+2$", Status::NotEqual);
    assert_status("$x^2-1$", "$(x-1)(x+1)$", Status::Equal);
    assert_status(r"$\frac{x^{99}}{2}$", r"$\frac{x^{98}}{2}$", Status::NotEqual);
    assert_status("$(x+1)^{40}$", "$(1+x)^{40}$", Status::Equal);
    assert_status(r"$\sqrt{x^2}$", "$x$", Status::NotEqual);
    assert_status(r"$\sqrt{x^2}$", "$|x|$", Status::Equal);
    assert_status(r"$\frac{2x}{2}$", "$x$", Status::Equal);
}

#[test]
fn statuses_other_than_equality() {
    assert_status("$3$", "I could not solve it.", Status::NoAnswer);
    let mut o = Options::default();
    o.limits.time = std::time::Duration::from_secs(5);
    let tower = r"$10^{(5^{5^{5^{5^5}}}\cdot\log_{10}5)-4}$";
    assert_eq!(
        verify(tower, tower, &o).status,
        Status::Equal,
        "identical strings are equal without evaluation"
    );
    assert_eq!(verify("$1$", tower, &o).status, Status::Unknown);
    assert_eq!(verify("$1$", r"$(10^{10^{10}})!$", &o).status, Status::Unknown);
}

#[test]
fn complex_numbers_use_i_as_the_imaginary_unit() {
    assert_status("$3+4i$", "$4i+3$", Status::Equal);
    assert_status("$i^2$", "$-1$", Status::Equal);
    assert_status(r"$\frac{1}{i}$", "$-i$", Status::Equal);
    assert_status("$(1+i)^2$", "$2i$", Status::Equal);
    assert_status(r"$\sqrt{-4}$", "$2i$", Status::Equal);
    assert_status(r"$\frac{3+4i}{1-2i}$", "$-1+2i$", Status::Equal);
    assert_status("$|3+4i|$", "$5$", Status::Equal);
    assert_status(r"$e^{i\pi}$", "$-1$", Status::Equal);
    assert_status("$3+4i$", "$3-4i$", Status::NotEqual);
    assert_status("$(1+i)^2$", "$2$", Status::NotEqual);
    assert_status("$i^{4001}$", "$i$", Status::Equal);
    assert_status("$x+i$", "$i+x$", Status::Equal);
    assert_status("$x+i$", "$x-i$", Status::NotEqual);
}

#[test]
fn sums_and_products_with_symbolic_bounds() {
    assert_status(r"$\sum_{k=1}^{n} k$", r"$\frac{n(n+1)}{2}$", Status::Equal);
    assert_status(r"$\sum_{i=1}^{n} i$", r"$\frac{n(n+1)}{2}$", Status::Equal);
    assert_status(r"$\sum_{k=1}^{n} k^2$", r"$\frac{n(n+1)(2n+1)}{6}$", Status::Equal);
    assert_status(r"$\sum_{k=1}^{n} k^2$", r"$\frac{n(n+1)(2n-1)}{6}$", Status::NotEqual);
    assert_status(r"$\prod_{k=1}^{n} k$", "$n!$", Status::Equal);
    assert_status(r"$\sum_{k=0}^{n} \binom{n}{k}$", "$2^n$", Status::Equal);
    assert_status(r"$\sum_{k=0}^{n} \binom{n}{k}$", "$2^{n+1}$", Status::NotEqual);
    assert_status(r"$(x+1)^{40}$", r"$\sum_{k=0}^{40} \binom{40}{k}x^k$", Status::Equal);
    assert_status(r"$\sum_{k=1}^{10} k$", "$55$", Status::Equal);
    // Too many terms is over budget, never a guess.
    assert_status(r"$\sum_{k=1}^{10^{9}} k$", "$500000000500000000$", Status::Unknown);
}
