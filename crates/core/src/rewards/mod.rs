//! The text-reward catalog: one module per `kind`, plus the answer extraction and normalization they share.

mod choice;
mod common;
mod contains;
mod exact_match;
pub mod extract;
mod f1;
mod keyword_chain;
pub mod normalize;
mod reasoning_steps;
mod regex;
mod repetition;
mod tags;

use crate::{Kind, RewardFactory};

/// Every reward kind this crate implements.
pub fn catalog() -> Vec<Kind<RewardFactory>> {
    vec![
        tags::kind(),
        regex::kind(),
        repetition::kind(),
        reasoning_steps::kind(),
        exact_match::kind(),
        f1::kind(),
        contains::kind(),
        keyword_chain::kind(),
        choice::kind(),
    ]
}
