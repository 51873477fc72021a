//! Scoring off the async runtime: the pipeline runs on a blocking thread (its rewards on rayon's pool) under a
//! concurrency permit and a deadline; past the deadline the rewards are told to stop and what they finished is
//! returned, marked.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assay_core::{CANCELLED_MESSAGE, Pipeline, Progress, Sample, Score};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::{ApiError, Metrics};

/// The scores of one request, and which records the deadline cut short.
#[derive(Debug)]
pub struct Scored {
    /// One score per record, in order.
    pub scores: Vec<Score>,
    /// `timed_out[i]`: record `i` was not (fully) scored because the deadline passed.
    pub timed_out: Vec<bool>,
    /// The deadline passed (the response is a 504).
    pub deadline_exceeded: bool,
}

/// Runs blocking work under the server's concurrency limit.
#[derive(Debug, Clone)]
pub struct Workers {
    permits: Arc<Semaphore>,
    retry_after: u64,
}

impl Workers {
    /// At most `concurrency` jobs at once; refusals suggest retrying after `retry_after` seconds.
    pub fn new(concurrency: usize, retry_after: u64) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            retry_after,
        }
    }

    /// A slot for one job, or 503 when all are taken. The slot is held until the job's blocking work ends,
    /// even if the client has gone or the deadline passed, so the limit bounds real CPU use.
    pub fn permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::overloaded(self.retry_after))
    }

    /// Runs `job` on a blocking thread, holding `permit` until it returns; a panic becomes a 500.
    pub async fn run<R: Send + 'static>(
        permit: OwnedSemaphorePermit,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, ApiError> {
        let (sender, receiver) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(job));
            drop(permit);
            let _ = sender.send(result.map_err(|payload| panic_message(payload.as_ref())));
        });
        match receiver.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(ApiError::internal(format!("scoring panicked: {message}"))),
            Err(_) => Err(ApiError::internal("the scoring thread went away")),
        }
    }
}

/// Tells the pipeline to stop when the deadline passes or the request is dropped, and records stage times.
struct RequestProgress {
    cancel: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl Progress for RequestProgress {
    fn advance(&self, _n: u64) {}

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn stage_done(&self, component: &str, elapsed: Duration) {
        self.metrics.component_done(component, elapsed);
    }
}

/// Cancels the scoring when the handler future is dropped (client disconnected) or finishes.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Scores `samples` with `pipeline` within `deadline` (+ `grace` for rewards to hand back partial work).
pub async fn score(
    pipeline: Arc<Pipeline>,
    samples: Vec<Sample>,
    permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
    deadline: Duration,
    grace: Duration,
) -> Result<Scored, ApiError> {
    let ids: Vec<_> = samples.iter().map(|s| (s.index, s.id.clone())).collect();
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancel.clone());
    let progress = RequestProgress {
        cancel: cancel.clone(),
        metrics,
    };
    let job = Workers::run(permit, move || pipeline.score_with_progress(&samples, &progress));
    tokio::pin!(job);
    let (scores, deadline_exceeded) = tokio::select! {
        scores = &mut job => (scores?, false),
        () = tokio::time::sleep(deadline) => {
            cancel.store(true, Ordering::Relaxed);
            match tokio::time::timeout(grace, &mut job).await {
                Ok(scores) => (scores?, true),
                Err(_) => {
                    let message = |index: usize, id: &serde_json::Value| {
                        format!(
                            "record {index} (id {id}): not scored: the request's deadline of {} ms passed",
                            deadline.as_millis()
                        )
                    };
                    let scores = ids.iter().map(|(index, id)| Score::failed(id.clone(), message(*index, id))).collect();
                    (scores, true)
                }
            }
        }
    };
    let timed_out = scores
        .iter()
        .map(|score: &Score| {
            deadline_exceeded
                && score.reward.is_none()
                && score
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains(CANCELLED_MESSAGE) || e.contains("deadline"))
        })
        .collect();
    Ok(Scored {
        scores,
        timed_out,
        deadline_exceeded,
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}
