//! The native `Pipeline` class: built once, then scored from any Python thread with the GIL released.

use std::path::Path;
use std::sync::Arc;

use assay_core::{NoProgress, Pipeline, Record};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::{convert, pool, registry};

pyo3::create_exception!(
    _assay,
    ConfigError,
    PyValueError,
    "A pipeline config is invalid; the message names the file (or `<dict>`), the table and the key."
);

/// A validated reward pipeline (native part; use `assay.Pipeline`).
#[pyclass(frozen, name = "Pipeline", module = "assay._assay")]
pub struct NativePipeline {
    inner: Arc<Pipeline>,
}

fn config_error(err: assay_core::ConfigError) -> PyErr {
    ConfigError::new_err(err.to_string())
}

#[pymethods]
impl NativePipeline {
    /// Builds a pipeline from TOML text; `origin` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (text, origin = "<string>"))]
    fn from_toml_str(py: Python<'_>, text: &str, origin: &str) -> PyResult<Self> {
        let pipeline = py
            .detach(|| Pipeline::from_toml(text, Path::new(origin), &registry::full()))
            .map_err(config_error)?;
        Ok(Self {
            inner: Arc::new(pipeline),
        })
    }

    /// Builds a pipeline from a dict shaped like the TOML file; `origin` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (config, origin = "<dict>"))]
    fn from_dict(py: Python<'_>, config: &Bound<'_, PyAny>, origin: &str) -> PyResult<Self> {
        if config.cast::<PyDict>().is_err() {
            return Err(PyTypeError::new_err(
                "from_dict expects a dict shaped like the pipeline TOML",
            ));
        }
        let table = convert::toml_table(config).map_err(|why| ConfigError::new_err(format!("{origin}: {why}")))?;
        let pipeline = py
            .detach(|| Pipeline::from_table(table, Path::new(origin), &registry::full()))
            .map_err(config_error)?;
        Ok(Self {
            inner: Arc::new(pipeline),
        })
    }

    /// The pipeline's `name`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Reward (component) names in declaration order.
    #[getter]
    fn component_names(&self) -> Vec<String> {
        self.inner.component_names().map(str::to_owned).collect()
    }

    /// Scores records (dicts) as one batch: one score dict per record, in order, with the fields of
    /// `assay score` (`id`, `reward`, `components`, `error`, `diagnostics`). A record that is not a dict or holds a
    /// value with no JSON form gets an error score naming it. The GIL is released while scoring.
    #[pyo3(signature = (records, group_field = "group"))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        group_field: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        if records.cast::<PyDict>().is_ok() || records.cast::<PyString>().is_ok() {
            return Err(PyTypeError::new_err(
                "score expects a list of records (dicts), not a single one",
            ));
        }
        let records: Vec<Record> = records
            .try_iter()?
            .map(|item| item.map(|item| convert::record(&item)))
            .collect::<PyResult<_>>()?;
        let pipeline = Arc::clone(&self.inner);
        let scored = py.detach(|| {
            let pool = pool::current()?;
            let scores = pool.install(|| pipeline.score_records(records, group_field, &NoProgress));
            scores
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| format!("internal error: a score has no JSON form: {err}"))
        });
        let scored = scored.map_err(PyRuntimeError::new_err)?;
        let out = PyList::empty(py);
        for score in &scored {
            out.append(convert::to_python(py, score)?)?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "<assay Pipeline {:?}: {}>",
            self.inner.name(),
            self.component_names().join(", ")
        )
    }
}
