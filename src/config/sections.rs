//! The smaller sections: userlist, peers, resolvers, mailers, http-errors, ring, program,
//! cache, namespace_list.

use super::{Line, State};

pub fn parse(st: &mut State, section: &str, line: &Line) -> u32 {
    let _ = (st, section, line);
    0
}

pub fn post_section(_st: &mut State, _section: &str) -> u32 {
    0
}
