//! Durations as HAProxy stores them: milliseconds, with "not set" distinct from zero.

/// A timeout or delay in milliseconds; `None` in a model field means "not set".
pub type Millis = u32;
