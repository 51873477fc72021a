//! Prints what the verifier extracts and decides for a gold/prediction pair, with timings
//! (debugging aid). `BOXED0=1` sets boxed_match_priority = 0.
#![allow(clippy::print_stdout)]

use assay_math::{Options, parse_answer, verify};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = Options::default();
    if std::env::var("BOXED0").is_ok() {
        opts.boxed_match_priority = 0;
    }
    for a in &args {
        let t = Instant::now();
        let parsed = parse_answer(a, &opts);
        println!("{:.120?} => {parsed:?} in {:?}", a, t.elapsed());
    }
    if args.len() == 2 {
        let t = Instant::now();
        let v = verify(&args[0], &args[1], &opts);
        println!("{v:?} in {:?}", t.elapsed());
    }
}
