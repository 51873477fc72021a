//! A pool of warm, sandboxed fork servers.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::worker::Worker;
use crate::{FetchFiles, FetchedFiles, Job, Outcome, Sandbox, SandboxError};

struct Slots {
    idle: Vec<Worker>,
    /// Lanes without a worker (not started yet after a failure); one is started on demand.
    missing: Vec<usize>,
}

/// Warm fork servers, one per core by default. Each job gets its own forked child with its own
/// rlimits, working directory and deadline; a server that fails is dropped (its namespace dies with
/// it) and replaced on demand.
///
/// Worker `i` is lane `i`: with [`SandboxConfig::pin_workers`](crate::SandboxConfig) and at least one
/// worker per CPU, lane `i` runs on one CPU ([`Pool::lane_cpu`]), and a caller that keeps its other
/// processes on that CPU too (assay-code's checkers) asks for that lane with [`Pool::run_on_lane`].
///
/// Drop the pool before the process exits (rather than keeping it in a `static`): dropping reaps
/// every launcher process, whereas launchers orphaned at exit are left for the host's init to reap.
pub struct Pool {
    sandbox: Sandbox,
    size: usize,
    /// The CPUs lanes are pinned to, round-robin (empty: not pinned).
    pinned_cpus: Vec<usize>,
    slots: Mutex<Slots>,
    freed: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size)
            .field("pinned_cpus", &self.pinned_cpus)
            .finish()
    }
}

impl Pool {
    /// Starts `workers` servers (`None`: one per available core).
    pub fn new(sandbox: Sandbox, workers: Option<usize>) -> Result<Self, SandboxError> {
        let size = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let cpus = crate::affinity::allowed_cpus();
        let pinned = sandbox.prepared.config.pin_workers && cpus.len() > 1 && size >= cpus.len();
        let mut pool = Self {
            sandbox,
            size,
            pinned_cpus: if pinned { cpus } else { Vec::new() },
            slots: Mutex::new(Slots {
                idle: Vec::new(),
                missing: Vec::new(),
            }),
            freed: Condvar::new(),
        };
        let idle = (0..size)
            .map(|lane| pool.start_worker(lane))
            .collect::<Result<Vec<_>, _>>()?;
        pool.slots.get_mut().unwrap_or_else(PoisonError::into_inner).idle = idle;
        Ok(pool)
    }

    /// Number of servers.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The CPU that lane `lane`'s server and jobs are pinned to (`None`: workers are not pinned).
    pub fn lane_cpu(&self, lane: usize) -> Option<usize> {
        let count = self.pinned_cpus.len();
        (count > 0).then(|| self.pinned_cpus[lane % count])
    }

    /// Servers currently started and idle (for tests and metrics).
    pub fn idle(&self) -> usize {
        self.lock().idle.len()
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start_worker(&self, lane: usize) -> Result<Worker, SandboxError> {
        Worker::start(&self.sandbox.prepared, lane, self.lane_cpu(lane))
    }

    /// Runs `job` on a warm server, blocking while all are busy.
    pub fn run(&self, job: &Job) -> Result<Outcome, SandboxError> {
        self.run_fetching(job, &FetchFiles::default())
            .map(|(outcome, _)| outcome)
    }

    /// [`Pool::run`] on lane `lane`'s server when it is idle (else on any idle server), so that the job
    /// runs on the CPU of [`Pool::lane_cpu`].
    pub fn run_on_lane(&self, lane: usize, job: &Job) -> Result<Outcome, SandboxError> {
        self.run_fetching_on(Some(lane), job, &FetchFiles::default())
            .map(|(outcome, _)| outcome)
    }

    /// [`Pool::run`], then reads the files `fetch` names back from the job's working directory (see
    /// [`FetchFiles`]): they come back as (path, content), in request order, leaving out those not read.
    pub fn run_fetching(&self, job: &Job, fetch: &FetchFiles) -> Result<(Outcome, FetchedFiles), SandboxError> {
        self.run_fetching_on(None, job, fetch)
    }

    fn run_fetching_on(
        &self,
        lane: Option<usize>,
        job: &Job,
        fetch: &FetchFiles,
    ) -> Result<(Outcome, FetchedFiles), SandboxError> {
        self.sandbox.validate(job)?;
        fetch.validate()?;
        let taken = self.take(lane);
        let mut worker = match taken {
            Ok(worker) => worker,
            Err(missing) => match self.start_worker(missing) {
                Ok(worker) => worker,
                Err(error) => {
                    self.give_back(missing, None);
                    return Err(error);
                }
            },
        };
        let lane = worker.lane();
        let result = worker.execute_fetching(job, fetch, self.sandbox.prepared.config.supervision_grace);
        self.give_back(lane, worker.is_healthy().then_some(worker));
        result
    }

    /// An idle worker (lane `preferred`'s if it is idle), or `Err(lane)` of a missing worker to start.
    fn take(&self, preferred: Option<usize>) -> Result<Worker, usize> {
        let mut slots = self.lock();
        loop {
            let position = slots
                .idle
                .iter()
                .position(|worker| Some(worker.lane()) == preferred)
                .or_else(|| slots.idle.len().checked_sub(1));
            if let Some(position) = position {
                return Ok(slots.idle.swap_remove(position));
            }
            if let Some(lane) = slots.missing.pop() {
                return Err(lane);
            }
            slots = self.freed.wait(slots).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn give_back(&self, lane: usize, worker: Option<Worker>) {
        let mut slots = self.lock();
        match worker {
            Some(worker) => slots.idle.push(worker),
            None => slots.missing.push(lane),
        }
        drop(slots);
        self.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pool_and_sandbox_are_shareable_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Pool>();
        shareable::<crate::Sandbox>();
    }
}
