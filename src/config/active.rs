//! Which keywords have a working runtime in haproxy-rs.
//!
//! Every keyword the parser accepts but the runtime does not honour yet produces a
//! `[WARNING] … parsed but not active yet in haproxy-rs` (see [`super::State::used`]). This
//! list shrinks the other way: a keyword moves here when its runtime lands, together with the
//! test that proves it. `compat/README.md` lists the complement.

/// Keyword paths (as passed to `State::used`) whose runtime works.
pub const ACTIVE: &[&str] = &[
    "global",
    "defaults",
    "listen",
    "frontend",
    "backend",
    // The quickstart runtime (src/runtime): HTTP/1.1 listeners answering from rules.
    // Listener kinds and ACL criteria it cannot serve yet are reported when it starts.
    "bind",
    "mode http",
    "timeout client",
    "timeout http-request",
    "timeout http-keep-alive",
    "option httpclose",
    "acl",
    "http-request return",
    "http-request deny",
    "http-request allow",
];

pub fn is_active(keyword: &str) -> bool {
    ACTIVE.contains(&keyword)
}
