//! Shared by the integration tests (they need root, like the sandbox's own tests).

#![allow(dead_code)]

use std::time::Duration;

use assay_code::Harness;
use assay_sandbox::Limits;

/// A harness per test (not a `static`: dropping it stops its servers and removes its socket directory).
pub fn harness() -> Harness {
    Harness::new(Some(1)).expect("sandbox harness (the sandbox needs root)")
}

pub fn limits(wall_ms: u64) -> Limits {
    Limits {
        wall: Duration::from_millis(wall_ms),
        cpu: Duration::from_millis(wall_ms),
        ..Limits::default()
    }
}
