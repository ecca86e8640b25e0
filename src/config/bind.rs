//! `bind` lines and their options (HAProxy's `listener.c` and `cfgparse-ssl.c` bind keywords).

use super::{Line, State};

/// Bind option keywords (for `-dK cfg` and the coverage report).
pub const KEYWORDS: &[&str] = &[];

/// Parses a `bind` line of proxy `px` (index in `st.model.proxies`).
pub fn parse_bind(st: &mut State, line: &Line, px: usize) -> u32 {
    let _ = px;
    st.used(line, "bind");
    0
}
