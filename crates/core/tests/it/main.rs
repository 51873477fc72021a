//! Integration tests of assay-core.

mod text_rewards;
mod vectors;
