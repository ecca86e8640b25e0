//! The `global` section keywords.

use super::{Line, State};

/// Keywords of the `global` section (for `-dK cfg`).
pub const KEYWORDS: &[&str] = &[];

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "global" {
        return 0;
    }
    st.alert(
        line,
        format!("unknown keyword '{}' in 'global' section", line.arg(0)),
    )
}

pub fn post_section(_st: &mut State) -> u32 {
    0
}
