//! The tokio runtime model calls run on.
//!
//! Pipelines drive rewards with a plain blocking executor, while reqwest needs a tokio reactor; so this crate owns
//! one lazily-created multi-threaded runtime and spawns every batch's I/O onto it. Awaiting the task's handle
//! works under any executor, and other crates keep their behaviour.

use std::future::Future;
use std::sync::OnceLock;

use assay_core::{RewardError, RewardResults};

/// Worker threads: the work is network-bound, so two are enough to keep thousands of requests in flight.
const WORKER_THREADS: usize = 2;

fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("assay-models")
                .enable_all()
                .build()
                .map_err(|err| format!("cannot start the model-client runtime: {err}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs a batch's future on the model runtime; `samples` results are returned even if the task dies.
pub(crate) async fn run_batch(
    samples: usize,
    work: impl Future<Output = RewardResults> + Send + 'static,
) -> RewardResults {
    let failed = |message: String| {
        (0..samples)
            .map(|_| Err(RewardError::Failed(message.clone())))
            .collect()
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return failed(message),
    };
    match runtime.spawn(work).await {
        Ok(results) => results,
        Err(err) => failed(format!("model call task failed: {err}")),
    }
}

/// Runs a future to completion on the model runtime from synchronous code (used by tests and tools).
pub fn block_on<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> Result<T, String> {
    let runtime = runtime()?;
    futures::executor::block_on(runtime.spawn(work)).map_err(|err| err.to_string())
}
