//! Per-worker timers: a min-heap of (deadline, session, generation) with lazy deletion.
//! A session re-arms by pushing a new entry; stale entries (session gone, reused slot, or
//! deadline moved) are skipped when they surface, which keeps re-arming O(log n) with no
//! search on the per-event path.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u32)>>,
}

impl Timers {
    pub fn arm(&mut self, at: Instant, key: usize, gen: u32) {
        self.heap.push(Reverse((at, key, gen)));
    }

    /// The earliest deadline, stale or not (a stale one only causes an early wake-up).
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Pops the next entry due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, usize, u32)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_only_when_due() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.arm(t0 + Duration::from_millis(20), 2, 0);
        t.arm(t0 + Duration::from_millis(10), 1, 0);
        assert_eq!(t.next(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(t.pop_due(t0), None);
        let due = t0 + Duration::from_millis(25);
        assert_eq!(t.pop_due(due).map(|e| e.1), Some(1));
        assert_eq!(t.pop_due(due).map(|e| e.1), Some(2));
        assert_eq!(t.pop_due(due), None);
    }
}
