//! Every kind this build of `assay` knows: the core catalog plus the other crates' kinds.

use assay_core::Registry;

/// The registry the CLI scores with.
pub fn full() -> Registry {
    let mut registry = Registry::builtin();
    assay_math::register(&mut registry);
    assay_code::register(&mut registry);
    assay_models::register(&mut registry);
    assay_detect::register(&mut registry);
    registry
}
