//! Lanes: worker `i` of a pool, and everything that serves the same sample, share one CPU.
//!
//! A function check hands control back and forth between a sandboxed job and its trusted checker about
//! twenty times per HumanEval sample. When the two sit on different CPUs, every hand-off is a cross-CPU
//! wake-up (an inter-processor interrupt, expensive in a VM) and the caches of both CPUs hold the same
//! data. Pinning each lane to its own CPU keeps a sample on one CPU while the lanes run side by side.

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// The CPUs this process may run on, in order (empty if they cannot be read).
pub(crate) fn allowed_cpus() -> Vec<usize> {
    let Ok(set) = sched_getaffinity(Pid::from_raw(0)) else {
        return Vec::new();
    };
    (0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect()
}

/// The one-CPU set of `cpu`.
pub(crate) fn single(cpu: usize) -> Option<CpuSet> {
    let mut set = CpuSet::new();
    set.set(cpu).ok()?;
    Some(set)
}

/// Pins process `pid` (and the children it forks from now on) to `cpu`; false if the kernel refused.
pub fn pin_process(pid: u32, cpu: usize) -> bool {
    let (Some(set), Ok(pid)) = (single(cpu), i32::try_from(pid)) else {
        return false;
    };
    sched_setaffinity(Pid::from_raw(pid), &set).is_ok()
}
