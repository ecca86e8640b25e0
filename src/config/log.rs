//! `log` lines (global and proxies): targets, length, format, facility, levels.

use super::{Line, State};

/// Where a `log` line belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOwner {
    Global,
    /// Proxy index in `st.model.proxies`.
    Proxy(usize),
}

/// Parses `log …` / `no log` / `log global`. Returns HAProxy's error bits.
pub fn parse_log(st: &mut State, line: &Line, owner: LogOwner) -> u32 {
    let _ = owner;
    st.used(line, "log");
    0
}
