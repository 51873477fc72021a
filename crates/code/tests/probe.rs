//! `Harness::call_each`: plain-data results per call, surviving candidates that raise or exit midway.

mod common;

use assay_code::CallOutcome;
use serde_json::json;

#[test]
fn calls_return_plain_data_and_partial_results_survive_an_exit() {
    let harness = common::harness();
    let calls = vec![
        json!(["t", [["t", [["i", "2"]]], ["d", []]]]),
        json!(["t", [["t", [["i", "-1"]]], ["d", []]]]),
        json!(["t", [["t", [["i", "7"]]], ["d", []]]]),
    ];
    let program = "import os\ndef f(x):\n    if x < 0:\n        raise ValueError('negative')\n    if x == 7:\n        os._exit(0)\n    return [x, str(x)]\n";
    let outcomes = harness
        .call_each(program, "f", &calls, &common::limits(5000))
        .expect("probe runs");
    assert_eq!(
        outcomes[0],
        CallOutcome::Returned(json!(["l", [["i", "2"], ["s", "2"]]]))
    );
    assert!(matches!(&outcomes[1], CallOutcome::Raised(kind, _) if kind == "ValueError"));
    assert!(matches!(outcomes[2], CallOutcome::NoAnswer(_)));

    let broken = harness
        .call_each("def f(:\n", "f", &calls[..1], &common::limits(5000))
        .expect("probe runs");
    assert!(
        matches!(&broken[0], CallOutcome::NoAnswer(why) if why.contains("SyntaxError")),
        "{broken:?}"
    );
}
