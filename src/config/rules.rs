//! `acl`, `http-request`, `http-response`, `http-after-response`, `tcp-request`,
//! `tcp-response`, `use_backend`, `use-server`, `redirect`, `stick-table`, `stick …`:
//! validated into [`crate::model::rules`].

use super::{Line, State};

/// Parses a rule keyword of proxy `px`; `None` if `line.arg(0)` is not a rule keyword.
pub fn parse(st: &mut State, line: &Line, px: usize) -> Option<u32> {
    let _ = (st, line, px);
    None
}
