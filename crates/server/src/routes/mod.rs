//! One module per endpoint family.

pub mod health;
pub mod openrlhf;
pub mod run_code;
pub mod score;
