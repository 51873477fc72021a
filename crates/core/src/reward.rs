//! The `Reward` trait: a batch of samples in, one result per sample out.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use rayon::prelude::*;

use crate::{Component, RewardError, Sample};

/// One result per sample, in batch order.
pub type RewardResults = Vec<Result<Component, RewardError>>;

/// The future a [`Reward`] returns; CPU-bound rewards return one that is already complete.
pub type RewardFuture<'a> = Pin<Box<dyn Future<Output = RewardResults> + Send + 'a>>;

/// Receives progress (samples done) from long scoring runs. Library code never prints; the CLI draws a bar.
pub trait Progress: Sync {
    /// `n` more sample-evaluations are done.
    fn advance(&self, n: u64);

    /// True once the caller no longer wants the results (a deadline passed): samples not yet scored then fail
    /// with [`RewardError::Cancelled`] and later rewards do not run.
    fn cancelled(&self) -> bool {
        false
    }

    /// Reward `component` finished its batch in `elapsed` (for per-component latency metrics).
    fn stage_done(&self, component: &str, elapsed: std::time::Duration) {
        let _ = (component, elapsed);
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&self, _n: u64) {}
}

/// What a reward sees besides the samples: groups and the components computed before it.
pub struct BatchContext<'a> {
    /// The samples, in input order.
    pub samples: &'a [Sample],
    /// Values of the rewards declared earlier in the pipeline, by name, one entry per sample (`None` where that
    /// reward failed). Lets a reward depend on another (e.g. a length reward that needs correctness).
    pub earlier: &'a HashMap<String, Vec<Option<f64>>>,
    /// Where to report progress.
    pub progress: &'a dyn Progress,
}

impl<'a> BatchContext<'a> {
    /// A context for samples scored on their own (no earlier components, no progress).
    pub fn standalone(samples: &'a [Sample], earlier: &'a HashMap<String, Vec<Option<f64>>>) -> Self {
        Self {
            samples,
            earlier,
            progress: &NoProgress,
        }
    }

    /// Indices of the samples, grouped by their group key; samples without a group form singleton groups.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        group_indices(self.samples.iter().map(|s| s.group.as_deref()))
    }

    /// The value of an earlier component for sample `index`.
    pub fn earlier_value(&self, component: &str, index: usize) -> Result<f64, RewardError> {
        self.earlier
            .get(component)
            .and_then(|values| values.get(index).copied().flatten())
            .ok_or_else(|| RewardError::MissingDependency(component.to_owned()))
    }
}

/// Partitions positions by key, keeping first-appearance order; `None` keys each form their own group.
pub fn group_indices<'k>(keys: impl Iterator<Item = Option<&'k str>>) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for (index, key) in keys.enumerate() {
        match key {
            Some(key) => {
                let slot = *by_key.entry(key).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[slot].push(index);
            }
            None => groups.push(vec![index]),
        }
    }
    groups
}

/// A reward: scores a batch of samples, one result per sample, in order.
///
/// Async-capable so that rewards waiting on I/O (model endpoints, the sandbox) can overlap their work; CPU-bound
/// rewards implement [`SampleReward`] instead and get this trait for free, scored in parallel with rayon.
pub trait Reward: Send + Sync {
    /// Scores every sample of the batch. Must return exactly `ctx.samples.len()` results.
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a>;

    /// Names of the earlier components this reward reads, checked when the pipeline is built.
    fn depends_on(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A CPU-bound reward that scores one sample at a time, independently of the others.
pub trait SampleReward: Send + Sync {
    /// Scores one sample.
    fn score(&self, sample: &Sample) -> Result<Component, RewardError>;
}

/// How many samples a rayon task scores before it reports progress.
const PROGRESS_CHUNK: usize = 1024;

impl<T: SampleReward> Reward for T {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        let results: RewardResults = ctx
            .samples
            .par_chunks(PROGRESS_CHUNK)
            .flat_map_iter(|chunk| {
                let scored: Vec<_> = chunk
                    .iter()
                    .map(|sample| {
                        if ctx.progress.cancelled() {
                            Err(RewardError::Cancelled)
                        } else {
                            catch_panic(|| self.score(sample))
                        }
                    })
                    .collect();
                ctx.progress.advance(chunk.len() as u64);
                scored
            })
            .collect();
        Box::pin(std::future::ready(results))
    }
}

/// Runs `score`, turning a panic into a [`RewardError::Failed`] that carries the panic message, so a reward
/// that panics on one record fails that record only.
pub(crate) fn catch_panic<T>(score: impl FnOnce() -> Result<T, RewardError>) -> Result<T, RewardError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(score)).unwrap_or_else(|payload| {
        Err(RewardError::Failed(format!(
            "panicked: {}",
            panic_message(payload.as_ref())
        )))
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct PanicsOnOdd;

    impl SampleReward for PanicsOnOdd {
        fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
            assert!(sample.index.is_multiple_of(2), "odd record {}", sample.index);
            Ok(Component::new(1.0))
        }
    }

    #[test]
    fn a_panic_fails_only_its_sample() {
        let samples: Vec<Sample> = (0..4)
            .map(|i| Sample::from_record(i, serde_json::Map::new(), "group"))
            .collect();
        let earlier = HashMap::new();
        let ctx = BatchContext::standalone(&samples, &earlier);
        let results = futures::executor::block_on(PanicsOnOdd.score_batch(&ctx));
        assert_eq!(results.len(), 4);
        assert!(results[0].is_ok() && results[2].is_ok());
        for odd in [1, 3] {
            let error = results[odd].as_ref().expect_err("odd records panic").to_string();
            assert!(error.contains(&format!("panicked: odd record {odd}")), "{error}");
        }
    }

    #[test]
    fn groups_keep_first_appearance_order_and_split_ungrouped() {
        let keys = [Some("a"), None, Some("b"), Some("a"), None];
        assert_eq!(
            group_indices(keys.into_iter()),
            vec![vec![0, 3], vec![1], vec![2], vec![4]]
        );
    }
}
