//! Cooperative time/size/depth budget checked inside the parser and evaluator.
//!
//! Time is the CPU time of the verifying thread, not wall-clock time: on a loaded machine (a trainer's
//! workers, many scoring threads) a descheduled thread must not turn a correct answer into `unknown`.
//! A wall-clock backstop of `WALL_BACKSTOP_FACTOR` × the budget still bounds every call.

use nix::time::{ClockId, clock_gettime};
use std::time::{Duration, Instant};

/// The wall-clock backstop, as a multiple of the CPU budget (at least one second).
const WALL_BACKSTOP_FACTOR: u32 = 40;

/// CPU time consumed by the calling thread so far.
pub fn thread_cpu_time() -> Duration {
    // CLOCK_THREAD_CPUTIME_ID is always available on Linux; a failure reads as zero spent.
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// Limits for one verification; every limit turns into the `unknown` status when hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU-time budget for one verify call (the verifying thread's time; see the module docs).
    pub time: Duration,
    /// Largest exact number allowed, in bits (numerator or denominator).
    pub max_bits: u64,
    /// Deepest expression nesting accepted by the parser.
    pub max_depth: usize,
    /// Longest input (bytes) that is parsed at all; longer answers are `unknown`.
    pub max_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // The depth limit keeps recursion within a 2 MiB thread stack (rayon's and the test
        // harness's default); unoptimized builds use several times more stack per level.
        let max_depth = if cfg!(debug_assertions) { 300 } else { 1200 };
        Limits {
            time: Duration::from_millis(50),
            max_bits: 1 << 17,
            max_depth,
            max_input: 1 << 20,
        }
    }
}

/// Why work stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// The deadline passed.
    Time,
    /// A number would exceed `max_bits`.
    Size,
    /// Nesting exceeded `max_depth`.
    Depth,
}

/// A running budget: deadlines plus the static limits.
#[derive(Debug, Clone)]
pub struct Budget {
    /// The limits in force.
    pub limits: Limits,
    cpu_deadline: Duration,
    wall_deadline: Instant,
    ticks: u32,
}

impl Budget {
    /// Starts the clocks now.
    pub fn start(limits: Limits) -> Self {
        let backstop = (limits.time * WALL_BACKSTOP_FACTOR).max(Duration::from_secs(1));
        Budget {
            limits,
            cpu_deadline: thread_cpu_time() + limits.time,
            wall_deadline: Instant::now() + backstop,
            ticks: 0,
        }
    }

    fn expired(&self) -> bool {
        thread_cpu_time() > self.cpu_deadline || Instant::now() > self.wall_deadline
    }

    /// Counts one unit of work; reads the clock every 64 units to keep the check cheap.
    pub fn tick(&mut self) -> Result<(), Over> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(64) && self.expired() {
            return Err(Over::Time);
        }
        Ok(())
    }

    /// Reads the clock now (before expensive steps).
    pub fn check_now(&self) -> Result<(), Over> {
        if self.expired() { Err(Over::Time) } else { Ok(()) }
    }

    /// Fails when a number of `bits` bits is over the size limit.
    pub fn check_bits(&self, bits: u64) -> Result<(), Over> {
        if bits > self.limits.max_bits {
            Err(Over::Size)
        } else {
            Ok(())
        }
    }
}
