//! ACL pattern sets (`-m` methods, `-i`), compiled for lookups whose cost does not grow
//! with the number of patterns where HAProxy's does not either (exact strings, IPs).

use super::value::Smp;
use crate::model::expr::{MatchMethod, Pattern};

#[derive(Debug, Clone)]
pub struct PatSet {}

impl PatSet {
    /// `Err`: a method the runtime cannot evaluate.
    pub fn compile(
        method: MatchMethod,
        _icase: bool,
        _patterns: &[Pattern],
    ) -> Result<PatSet, String> {
        Err(format!("match method {method:?}"))
    }

    /// Whether one sample value matches any pattern.
    pub fn matches(&self, _smp: &Smp<'_>) -> bool {
        false
    }
}
