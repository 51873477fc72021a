//! The harness: a warm sandbox pool plus the trusted side that judges what runs in it.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use assay_sandbox::{Pool, Sandbox, SandboxConfig};

use crate::HarnessError;
use crate::channel::ChannelDir;
use crate::checker::CheckerServer;
use crate::slots::{Slot, Slots};

const WIRE: &str = include_str!("python/wire.py");
const DRIVER: &str = include_str!("python/driver.py");
const CHECKER: &str = include_str!("python/checker.py");

/// Time the trusted checker gets beyond the candidate's wall deadline to finish and write its verdict.
pub(crate) const CHECKER_GRACE: Duration = Duration::from_secs(5);

/// A warm sandbox pool with a private socket directory for function tests. Create it once and share it:
/// every method takes `&self` and may be called from several threads; at most `workers()` samples run at
/// once (others wait before their deadline starts).
pub struct Harness {
    // Declared before `channel` so the sandbox servers (which bind the directory) stop before it is removed.
    pool: Pool,
    checkers: Mutex<Vec<CheckerServer>>,
    slots: Slots,
    channel: ChannelDir,
    python: PathBuf,
    pub(crate) checker: String,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("pool", &self.pool)
            .field("channel", &self.channel)
            .finish()
    }
}

impl Harness {
    /// Starts `workers` sandboxed fork servers (`None`: one per core).
    pub fn new(workers: Option<usize>) -> Result<Self, HarnessError> {
        Self::with_config(SandboxConfig::default(), workers)
    }

    /// As [`Harness::new`] with machine-level sandbox settings; the socket directory is added to
    /// `extra_ro_binds` and `preload` is set to the call driver (replacing any given).
    pub fn with_config(mut config: SandboxConfig, workers: Option<usize>) -> Result<Self, HarnessError> {
        let channel = ChannelDir::create()?;
        config.extra_ro_binds.push(channel.path().to_path_buf());
        config.preload = Some(format!("{WIRE}\n{DRIVER}"));
        let sandbox = Sandbox::new(config)?;
        let python = sandbox.python().to_path_buf();
        let pool = Pool::new(sandbox, workers)?;
        Ok(Self {
            slots: Slots::new(pool.size()),
            pool,
            checkers: Mutex::new(Vec::new()),
            channel,
            python,
            checker: format!("{WIRE}\n{CHECKER}"),
        })
    }

    /// The sandbox pool (for I/O tests and direct use).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Number of sandbox workers.
    pub fn workers(&self) -> usize {
        self.pool.size()
    }

    /// Waits for one of `workers()` sample slots (held for a whole sample).
    pub(crate) fn slot(&self) -> Slot<'_> {
        self.slots.acquire()
    }

    pub(crate) fn channel(&self) -> &ChannelDir {
        &self.channel
    }

    /// An idle trusted checker server for a sample on lane `lane` (at most one per concurrent check):
    /// that lane's if idle, else another idle one moved to the lane's CPU, else a new one.
    pub(crate) fn take_checker(&self, lane: usize) -> Result<CheckerServer, HarnessError> {
        let cpu = self.pool.lane_cpu(lane);
        loop {
            let idle = {
                let mut checkers = self.checkers.lock().unwrap_or_else(PoisonError::into_inner);
                let position = checkers
                    .iter()
                    .position(|server| server.lane() == Some(lane))
                    .or_else(|| checkers.len().checked_sub(1));
                position.map(|position| checkers.swap_remove(position))
            };
            let mut server = match idle {
                Some(server) => server,
                None => CheckerServer::start(&self.python, &self.checker)?,
            };
            if !server.is_alive() {
                continue;
            }
            if server.lane() != Some(lane) {
                server.pin(lane, cpu);
            }
            return Ok(server);
        }
    }

    /// Returns a server after a check; one that cannot serve another (it died, overran or retired) is
    /// dropped, which kills it.
    pub(crate) fn give_back_checker(&self, mut server: CheckerServer) {
        if server.is_alive() {
            self.checkers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(server);
        }
    }
}
