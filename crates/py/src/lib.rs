//! Assay's Python extension module (`assay._assay`): a [`Pipeline`](assay_core::Pipeline) built from TOML or a
//! Python dict, scoring Python records with the GIL released on a per-process thread pool. The pure-Python
//! package in `python/assay/` wraps it (async scoring, pickling, the TRL and verl adapters).

mod convert;
mod pipeline;
mod pool;
mod registry;

use pyo3::prelude::*;

/// Assay's native core: `Pipeline` and `ConfigError`. Use the `assay` package rather than this module.
#[pymodule]
mod _assay {
    #[pymodule_export]
    use crate::pipeline::ConfigError;
    #[pymodule_export]
    use crate::pipeline::NativePipeline;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        module.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
