//! The queue ordering key (HAProxy's `pendconn` key, widened to 64 bits).
//!
//! HAProxy packs `class + 0x7ff` and `(now_ms + offset) mod 2^20` into 32 bits and reads the
//! time part relative to a moving boundary, which breaks after about 524 s of waiting. We keep
//! the same order — lower class first, then earlier `now_ms + offset` — with a full signed
//! 64-bit time, and a per-backend sequence number keeps FIFO order between equal keys.

/// Largest magnitude of a priority class (`set-priority-class`).
pub const MAX_CLASS: i32 = 2047;
/// Largest magnitude of a priority offset in ms (`set-priority-offset`).
pub const MAX_OFFSET_MS: i32 = 524_287;

/// Clamps a priority class to `[-2047, 2047]`.
pub fn clamp_class(class: i32) -> i32 {
    class.clamp(-MAX_CLASS, MAX_CLASS)
}

/// Clamps a priority offset to `[-524287, 524287]` ms.
pub fn clamp_offset(offset: i32) -> i32 {
    offset.clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS)
}

/// Position of an entry in a queue. Ordered by class, then time, then sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub class: i32,
    /// `now_ms + offset` at enqueue time.
    pub time: i64,
    /// Insertion order, unique per backend: FIFO between equal (class, time).
    pub seq: u64,
}

impl Key {
    pub fn new(class: i32, now_ms: u64, offset: i32, seq: u64) -> Key {
        Key {
            class: clamp_class(class),
            time: now_ms as i64 + clamp_offset(offset) as i64,
            seq,
        }
    }

    /// The priority part only: how a server-queue head is compared with a backend-queue
    /// head (ties go to the server queue, so the sequence number is not part of it).
    pub fn prio(&self) -> (i32, i64) {
        (self.class, self.time)
    }
}
