//! Evaluation of rewards and reward models: it owns the benchmark scoring behind `assay eval` and the HTML report
//! behind `assay report`.
//!
//! - [`rewardbench`]: RewardBench 1 and 2, scored exactly as the `rewardbench` package scores them.
//! - [`one_vs_many`]: RewardMATH-style one-to-many accuracy and MRR.
//! - [`preference`]: HelpSteer2-Preference accuracy weighted by preference strength.
//! - [`verifier`]: false-positive / false-negative rates of a reward against labelled rows.
//! - [`distance`]: EPIC and STARC distances, tabular and sampled.
//! - [`overopt`]: Gao et al.'s over-optimization functional forms fitted to (√KL, gold, proxy) series.
//! - [`report`]: a self-contained HTML report of a scores file.
//!
//! Every evaluation takes rows (JSON objects), returns a serializable result with a `table()` for people, and
//! reports bad input as an [`EvalError`] naming the row and the field. The formulas themselves live in
//! [`assay_core::spec`]; this crate reads rows, aggregates and presents.

pub mod candidates;
pub mod distance;
mod error;
pub mod one_vs_many;
pub mod overopt;
pub mod preference;
pub mod report;
pub mod rewardbench;
mod rows;
pub mod table;
pub mod verifier;

pub use error::EvalError;
pub use rows::Row;
