//! The kinds Python pipelines can use: the same set as the `assay` CLI (crates/cli/src/registry.rs).

use assay_core::Registry;

/// Builtin kinds plus math and code, as in the CLI.
pub fn full() -> Registry {
    let mut registry = Registry::builtin();
    assay_math::register(&mut registry);
    assay_code::register(&mut registry);
    registry
}
