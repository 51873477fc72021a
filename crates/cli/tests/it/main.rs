//! End-to-end tests of the `assay` binary on small files.

mod check;
mod detect;
mod eval;
mod examples;
mod math;
mod score;
mod serve;
mod serve_model;
mod util;
