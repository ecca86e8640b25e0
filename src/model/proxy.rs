//! Proxies: `frontend`, `backend`, `listen` and `defaults` sections.
//!
//! One struct for all four, like HAProxy's `struct proxy`, because defaults inheritance is a
//! copy of the defaults proxy into the new one: the same fields must exist on both sides.

use super::bind::Bind;
use super::rules::ProxyRules;
use super::server::Server;
use super::Loc;

/// HAProxy's `PR_CAP_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyCap(pub u8);

impl ProxyCap {
    pub const FE: ProxyCap = ProxyCap(0x01);
    pub const BE: ProxyCap = ProxyCap(0x02);
    pub const LISTEN: ProxyCap = ProxyCap(0x03);
    pub const DEF: ProxyCap = ProxyCap(0x04);

    pub fn is_fe(self) -> bool {
        self.0 & 0x01 != 0
    }
    pub fn is_be(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub fn is_defaults(self) -> bool {
        self.0 & 0x04 != 0
    }
    pub fn intersects(self, o: ProxyCap) -> bool {
        self.0 & o.0 != 0
    }
    /// The word HAProxy uses in messages: "frontend", "backend", "listen" or "defaults".
    pub fn type_name(self) -> &'static str {
        if self.is_defaults() {
            "defaults"
        } else if self.is_fe() && self.is_be() {
            "listen"
        } else if self.is_fe() {
            "frontend"
        } else {
            "backend"
        }
    }
}

/// `mode tcp|http|health` (`health` is refused by 2.6 with a message; kept for the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

/// A proxy section. Fields whose keyword was not written stay at HAProxy's defaults.
#[derive(Debug, Clone, Default)]
pub struct Proxy {
    pub name: String,
    pub cap: ProxyCap,
    pub loc: Loc,
    /// Name of the defaults section this one inherited from, if any.
    pub defaults_from: Option<String>,
    pub mode: Mode,
    pub disabled: bool,
    pub binds: Vec<Bind>,
    pub servers: Vec<Server>,
    /// The `default-server` settings new servers start from.
    pub default_server: Option<Box<Server>>,
    pub rules: ProxyRules,
    pub default_backend: Option<(String, Loc)>,
    /// The proxy-level settings (timeouts, options, balance, …).
    pub settings: ProxySettings,
}

/// Proxy settings, inherited from defaults by copy.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    pub maxconn: Option<u32>,
    pub timeouts: Timeouts,
    /// `option <name>` / `no option <name>` values that were set explicitly.
    pub options: Vec<(String, bool)>,
    pub balance: Option<String>,
    /// Raw directives kept for keywords the model has no typed field for yet.
    pub other: Vec<(String, Vec<String>, Loc)>,
    /// `log` targets (including those copied by `log global`).
    pub logs: Vec<crate::model::global::LogTarget>,
}

/// `timeout …` values in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Timeouts {
    pub client: Option<u32>,
    pub server: Option<u32>,
    pub connect: Option<u32>,
    pub queue: Option<u32>,
    pub http_request: Option<u32>,
    pub http_keep_alive: Option<u32>,
    pub tunnel: Option<u32>,
    pub client_fin: Option<u32>,
    pub server_fin: Option<u32>,
    pub tarpit: Option<u32>,
    pub check: Option<u32>,
}
