//! A pool of warm, sandboxed fork servers.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::worker::Worker;
use crate::{FetchFiles, FetchedFiles, Job, Outcome, Sandbox, SandboxError};

struct Slots {
    idle: Vec<Worker>,
    busy: usize,
}

/// Warm fork servers, one per core by default. Each job gets its own forked child with its own
/// rlimits, working directory and deadline; a server that fails is dropped (its namespace dies with
/// it) and replaced on demand.
///
/// Drop the pool before the process exits (rather than keeping it in a `static`): dropping reaps
/// every launcher process, whereas launchers orphaned at exit are left for the host's init to reap.
pub struct Pool {
    sandbox: Sandbox,
    size: usize,
    slots: Mutex<Slots>,
    freed: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("size", &self.size).finish()
    }
}

impl Pool {
    /// Starts `workers` servers (`None`: one per available core).
    pub fn new(sandbox: Sandbox, workers: Option<usize>) -> Result<Self, SandboxError> {
        let size = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let idle = (0..size)
            .map(|_| Worker::start(&sandbox.prepared))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            sandbox,
            size,
            slots: Mutex::new(Slots { idle, busy: 0 }),
            freed: Condvar::new(),
        })
    }

    /// Number of servers.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Servers currently started and idle (for tests and metrics).
    pub fn idle(&self) -> usize {
        self.lock().idle.len()
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `job` on a warm server, blocking while all are busy.
    pub fn run(&self, job: &Job) -> Result<Outcome, SandboxError> {
        self.run_fetching(job, &FetchFiles::default())
            .map(|(outcome, _)| outcome)
    }

    /// [`Pool::run`], then reads the files `fetch` names back from the job's working directory (see
    /// [`FetchFiles`]): they come back as (path, content), in request order, leaving out those not read.
    pub fn run_fetching(&self, job: &Job, fetch: &FetchFiles) -> Result<(Outcome, FetchedFiles), SandboxError> {
        self.sandbox.validate(job)?;
        fetch.validate()?;
        let taken = {
            let mut slots = self.lock();
            loop {
                if let Some(worker) = slots.idle.pop() {
                    slots.busy += 1;
                    break Some(worker);
                }
                if slots.busy < self.size {
                    slots.busy += 1;
                    break None;
                }
                slots = self.freed.wait(slots).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut worker = match taken {
            Some(worker) => worker,
            None => match Worker::start(&self.sandbox.prepared) {
                Ok(worker) => worker,
                Err(error) => {
                    self.give_back(None);
                    return Err(error);
                }
            },
        };
        let result = worker.execute_fetching(job, fetch, self.sandbox.prepared.config.supervision_grace);
        self.give_back(worker.is_healthy().then_some(worker));
        result
    }

    fn give_back(&self, worker: Option<Worker>) {
        let mut slots = self.lock();
        slots.busy -= 1;
        slots.idle.extend(worker);
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
