//! `server` and `default-server` lines.

use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct Server {
    pub name: String,
    pub loc: Loc,
    /// Address text as written (host may be a name resolved at start).
    pub addr_text: String,
    pub addr: Option<std::net::SocketAddr>,
    /// Port is relative (`+N`/`-N`) or absent (use the client's port).
    pub port: Option<u16>,
    pub id: Option<u32>,
    pub weight: u32,
    pub maxconn: u32,
    pub minconn: u32,
    pub maxqueue: u32,
    pub backup: bool,
    pub disabled: bool,
    pub check: bool,
    pub cookie: Option<String>,
    pub slowstart: u32,
    /// Options parsed but not given a typed field yet: (keyword, args).
    pub other: Vec<(String, Vec<String>)>,
}
