//! Which keywords have a working runtime in haproxy-rs.
//!
//! Every keyword the parser accepts but the runtime does not honour yet produces a
//! `[WARNING] … parsed but not active yet in haproxy-rs` (see [`super::State::used`]). This
//! list shrinks the other way: a keyword moves here when its runtime lands, together with the
//! test that proves it. `compat/README.md` lists the complement.

/// Keyword paths (as passed to `State::used`) whose runtime works.
pub const ACTIVE: &[&str] = &["global", "defaults", "listen", "frontend", "backend"];

pub fn is_active(keyword: &str) -> bool {
    ACTIVE.contains(&keyword)
}
