//! Converters (`doc/configuration.txt` 7.3.1), compiled once from the model.

use super::map::{MapCache, MapConv};
use super::value::Smp;
use super::vars::Vars;
use crate::model::expr::ArgValue;

/// What a converter may touch besides its input.
pub struct ConvCx<'v> {
    pub vars: &'v mut Vars,
}

/// One compiled converter.
#[derive(Debug, Clone)]
pub enum Conv {
    Map(MapConv),
}

impl Conv {
    /// Compiles converter `name` with its parsed arguments. `Err`: not implemented.
    pub fn compile(name: &str, args: &[ArgValue], maps: &mut MapCache) -> Result<Conv, String> {
        if name.starts_with("map") {
            return MapConv::compile(name, args, maps).map(Conv::Map);
        }
        Err(format!("converter '{name}'"))
    }

    /// Applies the converter; `None`: no output (the whole expression then has none).
    pub fn apply<'a>(&self, smp: Smp<'a>, _cx: &mut ConvCx<'_>) -> Option<Smp<'a>> {
        match self {
            Conv::Map(m) => m.apply(&smp),
        }
    }
}
