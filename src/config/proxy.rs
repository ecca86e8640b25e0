//! Proxy sections: `defaults`, `frontend`, `backend`, `listen` (HAProxy's `cfgparse-listen.c`).

use super::{Line, State};

/// Keywords of proxy sections (for `-dK cfg`).
pub const KEYWORDS: &[&str] = &[];

pub fn parse(st: &mut State, line: &Line) -> u32 {
    let _ = st;
    let _ = line;
    0
}

pub fn post_section(_st: &mut State) -> u32 {
    0
}
