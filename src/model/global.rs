//! The `global` section.

use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct Global {
    pub maxconn: Option<u32>,
    pub nbthread: Option<u32>,
    pub daemon: bool,
    pub master_worker: bool,
    pub pidfile: Option<String>,
    /// `stats socket` lines (the CLI).
    pub stats_sockets: Vec<(String, Vec<String>, Loc)>,
    /// Raw directives kept for keywords the model has no typed field for yet.
    pub other: Vec<(String, Vec<String>, Loc)>,
}
