//! The formulas of `shared/specs/reward-math.md`, as plain functions over f64 (one module per spec section).
//!
//! Every function checks its inputs (NaN/∞ → [`RewardError::NonFinite`](crate::RewardError::NonFinite), empty
//! reductions → `EmptyInput`, out-of-domain parameters → `InvalidParam`) and is exercised by the vector test.
//! Items the spec marks RECONSTRUCTED say so in their documentation.

pub mod advantages;
pub mod carl;
pub mod chi2;
pub mod distance;
pub mod ensemble;
pub mod genrm;
pub mod length;
pub mod likelihood;
pub mod overopt;
pub mod par;
pub mod pav;
pub mod pbrs;
pub mod prm;
pub mod renorm;
pub mod rlvrr;
pub mod rm_eval;
pub mod rpr;
pub mod turning_point;
pub mod verpo;
