//! Whole-configuration checks HAProxy runs after parsing (`check_config_validity()`):
//! unknown backends, mode conflicts, missing timeouts, duplicate names…

use super::State;

pub fn check_config(_st: &mut State) -> u32 {
    0
}
