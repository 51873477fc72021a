//! End-to-end tests of the `assay` binary on small files.

mod check;
mod detect;
mod examples;
mod math;
mod score;
mod util;
