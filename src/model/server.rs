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
    /// Host name to resolve (with `init-addr`/`resolvers`), when not an IP literal.
    pub hostname: Option<String>,
    /// Family forced by an address prefix (`ipv4@`, `ipv6@`): 4, 6 or 0.
    pub family_hint: u8,
    /// Signed port offset for `+N` / `-N` / no port (HAProxy's `SRV_F_MAPPORTS`).
    pub port_offset: Option<i32>,
    /// UNIX socket path (`/path` or `unix@path`), abstract namespace if `abns@`.
    pub unix_path: Option<String>,
    pub abns: bool,
    /// `sockpair@N`.
    pub sockpair_fd: Option<i32>,
    /// Health-check settings (`inter`, `fastinter`, `downinter` in ms).
    pub health: HealthCheck,
    /// Agent check settings.
    pub agent: AgentCheck,
    pub track: Option<String>,
    pub ssl: ServerSsl,
    /// PROXY protocol: `send-proxy` (v1), `send-proxy-v2` and its TLV options.
    pub send_proxy: bool,
    pub send_proxy_v2: bool,
    pub proxy_v2_options: Vec<String>,
    /// `init-addr` methods in order (`libc`, `last`, `none`, or an IP literal).
    pub init_addr: Vec<String>,
    pub resolvers: Option<String>,
    pub resolve_prefer: Option<String>,
    pub resolve_net: Vec<String>,
    pub resolve_opts: Vec<String>,
    pub redir: Option<String>,
    /// `proto`: multiplexer name.
    pub proto: Option<String>,
    pub source: Option<String>,
    pub namespace: Option<String>,
    pub socks4: Option<String>,
    pub tfo: bool,
    pub non_stick: bool,
    pub observe: Option<String>,
    pub on_error: Option<String>,
    pub on_marked_down: Option<String>,
    pub on_marked_up: Option<String>,
    pub error_limit: Option<i32>,
    pub pool_low_conn: Option<i32>,
    pub pool_max_conn: Option<i32>,
    pub pool_purge_delay: Option<u32>,
    pub max_reuse: Option<i32>,
    pub ws: Option<String>,
    pub log_proto: Option<String>,
    pub tcp_ut: Option<u32>,
    /// `server-template`: prefix and numeric range the template expands to.
    pub template: Option<(String, u32, u32)>,
}

impl Server {
    /// A server with HAProxy's defaults (weight 1, checks every 2s, rise 2, fall 3).
    pub fn with_defaults() -> Server {
        Server {
            weight: 1,
            ..Default::default()
        }
    }
}

/// `check`, `inter`, `rise`, `fall`… (HAProxy's defaults: 2s, 2, 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub inter: u32,
    pub fastinter: Option<u32>,
    pub downinter: Option<u32>,
    pub rise: u32,
    pub fall: u32,
    pub port: Option<u32>,
    pub addr: Option<String>,
    pub send_proxy: bool,
    pub via_socks4: bool,
    pub ssl: bool,
    pub sni: Option<String>,
    pub alpn: Option<String>,
    pub proto: Option<String>,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            inter: 2000,
            fastinter: None,
            downinter: None,
            rise: 2,
            fall: 3,
            port: None,
            addr: None,
            send_proxy: false,
            via_socks4: false,
            ssl: false,
            sni: None,
            alpn: None,
            proto: None,
        }
    }
}

/// `agent-check` and its settings (HAProxy's agent defaults: inter 2s, rise 1, fall 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCheck {
    pub enabled: bool,
    pub inter: u32,
    pub port: Option<u32>,
    pub addr: Option<String>,
    pub send: Option<String>,
}

impl Default for AgentCheck {
    fn default() -> Self {
        AgentCheck {
            enabled: false,
            inter: 2000,
            port: None,
            addr: None,
            send: None,
        }
    }
}

/// Outgoing TLS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSsl {
    pub enabled: bool,
    /// `verify none|required`.
    pub verify: Option<String>,
    pub verifyhost: Option<String>,
    pub ca_file: Option<String>,
    pub crl_file: Option<String>,
    pub crt: Option<String>,
    pub sni: Option<String>,
    pub alpn: Option<String>,
    pub npn: Option<String>,
    pub ciphers: Option<String>,
    pub ciphersuites: Option<String>,
    pub tls: super::bind::TlsVersions,
    pub no_reuse: bool,
    pub no_tls_tickets: bool,
    pub allow_0rtt: bool,
}
