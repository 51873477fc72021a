//! At most one sample per sandbox worker at a time, each on its own lane.
//!
//! A function check starts its trusted side (and its deadline) before its sandbox job; if the job then
//! queued behind other jobs for a worker, the wait would eat into the check's time. Holding a slot for
//! the whole sample keeps the number of samples in flight at the number of workers. Slot `i` is lane
//! `i` of the sandbox pool: its job and its checker run on the same CPU when the pool pins lanes.

use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Debug)]
pub(crate) struct Slots {
    free: Mutex<Vec<usize>>,
    freed: Condvar,
}

pub(crate) struct Slot<'a> {
    slots: &'a Slots,
    lane: usize,
}

impl Slots {
    pub fn new(count: usize) -> Self {
        Self {
            free: Mutex::new((0..count.max(1)).rev().collect()),
            freed: Condvar::new(),
        }
    }

    /// Blocks until a slot is free.
    pub fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(lane) = free.pop() {
                return Slot { slots: self, lane };
            }
            free = self.freed.wait(free).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Slot<'_> {
    /// The pool lane this slot stands for.
    pub fn lane(&self) -> usize {
        self.lane
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.lane);
        self.slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_holders_than_slots() {
        let slots = Slots::new(2);
        let inside = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let slot = slots.acquire();
                        assert!(slot.lane() < 2);
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
