//! Stdin/stdout tests through the real sandbox, for Python, C and C++.

mod common;

use assay_code::{Comparison, IoCase, IoTest, IoTestResult, Language, TestStatus};
use common::{harness, limits};

fn tests(pairs: &[(&str, &str)]) -> Vec<IoTest> {
    pairs
        .iter()
        .map(|(input, output)| IoTest {
            input: (*input).to_owned(),
            output: (*output).to_owned(),
        })
        .collect()
}

fn run(program: &str, language: Language, tests: &[IoTest], comparison: Comparison) -> Vec<IoTestResult> {
    let limits = limits(3000);
    let case = IoCase {
        program,
        language,
        tests,
        files: &[],
        comparison,
        limits: &limits,
    };
    harness().run_io(&case).expect("harness")
}

fn statuses(results: &[IoTestResult]) -> Vec<TestStatus> {
    results.iter().map(|result| result.status).collect()
}

const SUM_TESTS: [(&str, &str); 3] = [("1 2\n", "3\n"), ("10 -3\n", "7\n"), ("0 0\n", "0\n")];

#[test]
fn python_programs_are_judged_per_test() {
    let cases = tests(&SUM_TESTS);
    let right = run(
        "a, b = map(int, input().split())\nprint(a + b)\n",
        Language::Python,
        &cases,
        Comparison::Tokens,
    );
    assert_eq!(statuses(&right), vec![TestStatus::Passed; 3]);
    let partly = run(
        "a, b = map(int, input().split())\nprint(a + b if a else 1)\n",
        Language::Python,
        &cases,
        Comparison::Tokens,
    );
    assert_eq!(
        statuses(&partly),
        vec![TestStatus::Passed, TestStatus::Passed, TestStatus::Failed]
    );
}

#[test]
fn exiting_early_or_printing_claims_does_not_pass() {
    let cases = tests(&SUM_TESTS);
    for program in [
        "import sys\nsys.exit(0)\n",
        "print('3 passed')\n",
        "import os\nos._exit(0)\n",
    ] {
        let results = run(program, Language::Python, &cases, Comparison::Tokens);
        assert_eq!(statuses(&results), vec![TestStatus::Failed; 3], "{program}");
    }
}

#[test]
fn timeouts_and_crashes_are_reported_as_such() {
    let cases = tests(&SUM_TESTS[..1]);
    let results = run("while True:\n    pass\n", Language::Python, &cases, Comparison::Tokens);
    assert_eq!(statuses(&results), vec![TestStatus::Timeout]);
    let results = run("raise ValueError('x')\n", Language::Python, &cases, Comparison::Tokens);
    assert_eq!(statuses(&results), vec![TestStatus::Failed]);
    assert!(results[0].stderr_tail.contains("ValueError"), "{results:?}");
}

#[test]
fn comparisons_exact_tokens_and_float() {
    let cases = tests(&[("", "0.3333333333\n")]);
    let program = "print(1/3)\n";
    let float = Comparison::Float {
        rel_tol: 1e-6,
        abs_tol: 1e-9,
    };
    assert_eq!(
        statuses(&run(program, Language::Python, &cases, float)),
        vec![TestStatus::Passed]
    );
    assert_eq!(
        statuses(&run(program, Language::Python, &cases, Comparison::Tokens)),
        vec![TestStatus::Failed]
    );
    let spaced = tests(&[("", "1 2\n")]);
    let program = "print('1  2 ')\n";
    assert_eq!(
        statuses(&run(program, Language::Python, &spaced, Comparison::Tokens)),
        vec![TestStatus::Passed]
    );
    assert_eq!(
        statuses(&run(program, Language::Python, &spaced, Comparison::Exact)),
        vec![TestStatus::Failed]
    );
}

#[test]
fn c_and_cpp_are_compiled_in_the_sandbox_and_run_per_test() {
    let cases = tests(&SUM_TESTS);
    let c = "#include <stdio.h>\nint main(void){long a,b; if(scanf(\"%ld %ld\",&a,&b)!=2) return 1; printf(\"%ld\\n\", a+b); return 0;}\n";
    assert_eq!(
        statuses(&run(c, Language::C, &cases, Comparison::Tokens)),
        vec![TestStatus::Passed; 3]
    );
    let cpp = "#include <iostream>\nint main(){long a,b; std::cin>>a>>b; std::cout<<(a*b==0? a+b : a-b)<<\"\\n\";}\n";
    assert_eq!(
        statuses(&run(cpp, Language::Cpp, &cases, Comparison::Tokens)),
        vec![TestStatus::Failed, TestStatus::Failed, TestStatus::Passed]
    );
    let broken = run("int main(void) { return }\n", Language::C, &cases, Comparison::Tokens);
    assert_eq!(statuses(&broken), vec![TestStatus::CompileError; 3]);
    assert!(broken[0].stderr_tail.contains("error"), "{broken:?}");
    let segfault = run(
        "int main(void){ return *(volatile int*)0; }\n",
        Language::C,
        &cases[..1],
        Comparison::Tokens,
    );
    assert_eq!(statuses(&segfault), vec![TestStatus::Crashed]);
}
