//! The thread pool scoring runs on, one per process.
//!
//! Rayon's global pool does not survive `fork`: a child process (a `ProcessPoolExecutor` worker, a dataloader
//! worker) inherits a pool whose threads no longer exist and would wait on them forever. So scoring runs on a pool
//! owned by the process that built it, and a forked child builds its own on first use.

use std::sync::{Arc, Mutex, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

static POOL: Mutex<Option<(u32, Arc<ThreadPool>)>> = Mutex::new(None);

/// This process's pool (sized by `RAYON_NUM_THREADS`, else one thread per core).
pub fn current() -> Result<Arc<ThreadPool>, String> {
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, pool)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(pool));
    }
    let pool = ThreadPoolBuilder::new()
        .thread_name(|index| format!("assay-{index}"))
        .build()
        .map_err(|err| format!("cannot start the scoring threads: {err}"))?;
    let pool = Arc::new(pool);
    // A pool inherited across fork has no threads in this process; dropping it would wait on them, so it is
    // leaked instead (once per fork).
    if let Some(inherited) = slot.replace((pid, Arc::clone(&pool))) {
        std::mem::forget(inherited);
    }
    Ok(pool)
}
