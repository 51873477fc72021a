//! Cooperative time/size/depth budget checked inside the parser and evaluator.

use std::time::{Duration, Instant};

/// Limits for one verification; every limit turns into the `unknown` status when hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget for one verify call.
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

/// A running budget: a deadline plus the static limits.
#[derive(Debug, Clone)]
pub struct Budget {
    /// The limits in force.
    pub limits: Limits,
    deadline: Instant,
    ticks: u32,
}

impl Budget {
    /// Starts the clock now.
    pub fn start(limits: Limits) -> Self {
        Budget {
            limits,
            deadline: Instant::now() + limits.time,
            ticks: 0,
        }
    }

    /// Counts one unit of work; reads the clock every 64 units to keep the check cheap.
    pub fn tick(&mut self) -> Result<(), Over> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(64) && Instant::now() > self.deadline {
            return Err(Over::Time);
        }
        Ok(())
    }

    /// Reads the clock now (before expensive steps).
    pub fn check_now(&self) -> Result<(), Over> {
        if Instant::now() > self.deadline {
            Err(Over::Time)
        } else {
            Ok(())
        }
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
