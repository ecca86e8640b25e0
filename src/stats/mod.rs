//! The stats socket's command language (HAProxy 2.6's `cli.c` and the commands of
//! `stats.c`, `map.c`, `server.c`, `proxy.c`), without sockets.
//!
//! [`session::Session`] turns received bytes into commands (one per line or
//! `;`-separated, backslash escapes, `<<` payloads, interactive `prompt` mode) and
//! appends the replies; [`cmd`] runs one command against a [`Proc`], the running
//! process's view the runtime provides (`runtime::cli`). Every reply is produced here,
//! so the formats are tested without a socket.

pub mod cmd;
pub mod counters;
pub mod csv;
pub mod html;
pub mod info;
pub mod json;
pub mod page;
pub mod promex;
pub mod session;
pub mod usage;

use std::sync::Arc;

use crate::sample::map::MapCache;

/// Administrative states (HAProxy's forced maintenance and drain).
pub const ADMIN_MAINT: u8 = 1;
pub const ADMIN_DRAIN: u8 = 2;

/// A CLI socket's `level` (HAProxy's `ACCESS_LVL_*`); commands check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User = 1,
    Operator = 2,
    Admin = 3,
}

impl Level {
    pub fn parse(s: Option<&str>) -> Level {
        match s {
            Some("user") => Level::User,
            Some("admin") => Level::Admin,
            _ => Level::Operator,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// Server `i` of `px`'s address now (IP text, port, none): the live one when the
/// process has it, else the configured one.
pub fn live_addr(p: &dyn Proc, px: &ProxyView, i: usize) -> (String, u16, bool) {
    let sv = &px.servers[i];
    px.be
        .and_then(|b| p.srv_addr(b, i))
        .unwrap_or_else(|| (sv.addr.clone(), sv.port, sv.no_addr))
}

/// What kind of proxy a [`ProxyView`] is (a `listen` is both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub fe: bool,
    pub be: bool,
}

/// One server as the CLI sees it: the static facts, and its index in the backend's queue.
#[derive(Debug, Clone)]
pub struct ServerView {
    pub name: String,
    pub id: u32,
    pub addr: String,
    pub port: u16,
    /// The configured weight (`get weight`'s "initial").
    pub iweight: u32,
    pub checked: bool,
    /// `rise` and `fall` of its health check.
    pub rise: u32,
    pub fall: u32,
    /// `disabled` in the configuration (HAProxy's `SRV_ADMF_CMAINT`).
    pub cfg_disabled: bool,
    /// In maintenance for want of an address (HAProxy's `SRV_ADMF_RMAINT`).
    pub no_addr: bool,
    /// The name it was configured with, when not an address (`srv_fqdn`).
    pub fqdn: Option<String>,
    pub backup: bool,
    pub cookie: String,
}

/// One proxy of the configuration, in declaration order.
pub struct ProxyView {
    pub name: String,
    pub id: i64,
    pub cap: Cap,
    pub mode: &'static str,
    /// `balance` as `show stat` names it.
    pub algo: &'static str,
    /// The runtime's frontend index (when it has listeners).
    pub fe: Option<usize>,
    /// The runtime's backend index (counters, queue).
    pub be: Option<usize>,
    /// The live queue, for backends.
    pub queue: Option<Arc<crate::queue::Backend>>,
    pub servers: Vec<ServerView>,
    /// The frontend's configured `maxconn` (`slim`).
    pub maxconn: u32,
    /// A backend's `fullconn`-derived session limit (`slim` of BACKEND).
    pub be_slim: u32,
    pub disabled: bool,
    /// `cookie <name>` of a backend (the BACKEND row's `cookie`).
    pub cookie_name: Option<String>,
}

/// Process-wide facts `show info` needs, read when asked.
#[derive(Debug, Clone, Default)]
pub struct ProcInfo {
    pub nbthread: usize,
    pub pid: u32,
    pub uptime_ms: u64,
    pub start_time_sec: u64,
    pub ulimit_n: u64,
    pub maxsock: u64,
    pub maxconn: u32,
    pub hard_maxconn: u32,
    pub curr_conns: u64,
    pub cum_conns: u64,
    pub cum_req: u64,
    pub listeners: u64,
    pub jobs: u64,
    pub stopping: bool,
    pub node: String,
    pub description: String,
    pub bytes_out: u64,
}

/// The running process as the CLI sees it (implemented by `runtime::cli`).
pub trait Proc {
    fn proxies(&self) -> &[ProxyView];
    fn info(&self) -> ProcInfo;
    /// Milliseconds on the queues' clock.
    fn now_ms(&self) -> u64;
    /// Runs `f` with the process's maps and pattern files.
    fn with_maps(&self, f: &mut dyn FnMut(&mut MapCache));
    /// The live counters of every proxy, server and listener (summed over threads).
    fn counters(&self) -> Option<&counters::Counters> {
        None
    }
    /// `show table [<name>]` without filters: the tables' heads, or one table's head and
    /// entries; `None` for an unknown table.
    fn show_table(&self, _name: Option<&str>) -> Option<String> {
        Some(String::new())
    }
    /// The last health check of server `srv` of proxy `px`: its status name
    /// (`L4OK`…), description, and code (L7 statuses).
    fn check_status(&self, _px: usize, _srv: usize) -> Option<(&'static str, &'static str, u16)> {
        None
    }
    /// The last health check's `HCHK_STATUS_*` number (`show servers state`).
    fn check_status_num(&self, _px: usize, _srv: usize) -> Option<u8> {
        None
    }
    /// Server `srv`'s `chkfail` and `chkdown`.
    fn check_counts(&self, _px: usize, _srv: usize) -> (u32, u32) {
        (0, 0)
    }
    /// A process-wide variable (`get var proc.<name>`).
    fn proc_var(&self, _name: &str) -> Option<crate::sample::value::Smp<'static>> {
        None
    }
    /// A frontend's current connections.
    fn fe_cur(&self, _fe: usize) -> u32 {
        0
    }
    /// `disable frontend` is in effect.
    fn fe_paused(&self, _fe: usize) -> bool {
        false
    }
    /// A frontend's current `maxconn` (`None`: as configured).
    fn fe_max(&self, _fe: usize) -> Option<u32> {
        None
    }
    /// `set server … state`, `disable|enable server`: the administrative state of
    /// server `srv` of proxy `px` (index in [`Proc::proxies`]) becomes `admin` (0 ready,
    /// [`ADMIN_MAINT`], [`ADMIN_DRAIN`]); the queue gets its combination with the
    /// checks' verdict.
    /// Server `srv` of backend `be` as it is now: its address (IP text and port) and
    /// whether it has none (resolution maintenance); `set server … addr` changes them.
    fn srv_addr(&self, _be: usize, _srv: usize) -> Option<(String, u16, bool)> {
        None
    }

    /// `set server <b>/<s> addr <ip> [port <port>]`: HAProxy's report of what changed.
    fn set_srv_addr(&self, _px: usize, _srv: usize, _ip: &str, _port: Option<&str>) -> String {
        "'set server <srv> addr' is not supported here.\n".into()
    }

    fn set_admin(&self, px: usize, srv: usize, admin: u8) {
        let st = match admin {
            ADMIN_MAINT => crate::queue::ServerState::Maint,
            ADMIN_DRAIN => crate::queue::ServerState::Drain,
            _ => crate::queue::ServerState::Up,
        };
        if let Some(q) = self.proxies().get(px).and_then(|p| p.queue.as_ref()) {
            let _ = q.set_state(srv, st, self.now_ms());
        }
    }
    /// `set maxconn global`.
    fn set_maxconn_global(&self, _v: u32) -> Result<(), String> {
        Err("Not supported by haproxy-rs yet.\n".into())
    }
    /// `set maxconn frontend`; the runtime frontend index.
    fn set_maxconn_frontend(&self, _fe: usize, _v: u32) -> Result<(), String> {
        Err("Not supported by haproxy-rs yet.\n".into())
    }
    /// `disable|enable frontend`.
    fn pause_frontend(&self, _fe: usize, _pause: bool) -> Result<(), String> {
        Err("Not supported by haproxy-rs yet.\n".into())
    }
    /// `shutdown sessions server`: closes the sessions on (backend index in
    /// [`Proc::proxies`], server index).
    fn shutdown_server_sessions(&self, _px: usize, _srv: usize) {}
}
