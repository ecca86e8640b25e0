//! `server` / `default-server` / `server-template` lines and their options (HAProxy's
//! `server.c`), and the start-time address resolution (`srv_init_addr()`).

use super::{Line, State};

/// Server option keywords (for `-dK cfg` and the coverage report).
pub const KEYWORDS: &[&str] = &[];

/// Parses `server`, `default-server` or `server-template` for proxy `px`.
pub fn parse_server(st: &mut State, line: &Line, px: usize) -> u32 {
    let _ = px;
    st.used(line, "server");
    0
}

/// Resolves server addresses after all checks passed, as HAProxy does at start
/// ("could not resolve address"). Returns error bits.
pub fn resolve_addresses(st: &mut State) -> u32 {
    let _ = st;
    0
}
