//! End-to-end tests of the `assay` binary on small files.

mod check;
mod eval;
mod detect;
mod examples;
mod math;
mod score;
mod serve;
mod util;
