//! Maps (`map*` converters, `-M` ACLs): key/value files looked up with a match method.

use super::value::Smp;
use crate::model::expr::ArgValue;

/// Loaded map files, shared by every converter naming the same file and method.
#[derive(Debug, Default)]
pub struct MapCache {}

#[derive(Debug, Clone)]
pub struct MapConv {}

impl MapConv {
    pub fn compile(
        name: &str,
        _args: &[ArgValue],
        _maps: &mut MapCache,
    ) -> Result<MapConv, String> {
        Err(format!("converter '{name}'"))
    }

    pub fn apply(&self, _smp: &Smp<'_>) -> Option<Smp<'static>> {
        None
    }
}
