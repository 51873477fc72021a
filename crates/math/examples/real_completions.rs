//! Agreement with Math-Verify's verdicts and with the source labels on
//! shared/data/math/real_completions.jsonl (gold wrapped in `$…$` as in the Math-Verify bench).
//! Run: `cargo run --release -p assay-math --example real_completions [PATH] [--show]`.
#![allow(clippy::print_stdout)]

use assay_math::{Options, Status, verify};

fn main() {
    let default_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/math/real_completions.jsonl"
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args.iter().any(|a| a == "--show");
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| default_path.to_string());
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("cannot read {path}");
        return;
    };
    let opts = Options::default();
    let (mut n, mut agree_mv, mut agree_label, mut mv_label) = (0, 0, 0, 0);
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let gold = format!("${}$", v["gold"].as_str().unwrap_or(""));
        let completion = v["completion"].as_str().unwrap_or("");
        let verdict = verify(&gold, completion, &opts);
        let ours = verdict.status == Status::Equal;
        let mv = v["mathverify_result"].as_bool().unwrap_or(false);
        let label = v["label"].as_bool().unwrap_or(false);
        n += 1;
        agree_mv += usize::from(ours == mv);
        agree_label += usize::from(ours == label);
        mv_label += usize::from(mv == label);
        if show && ours != mv {
            println!(
                "{} label={label} mv={mv} ours={:?} gold={:?} extracted={:?} mv_detail={}",
                v["id"].as_str().unwrap_or("?"),
                verdict.status,
                v["gold"].as_str().unwrap_or(""),
                verdict.extracted,
                v["mathverify_detail"]
            );
        }
    }
    println!(
        "records={n} agree_with_mathverify={agree_mv} agree_with_label={agree_label} mathverify_agrees_with_label={mv_label}"
    );
}
