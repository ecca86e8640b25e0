//! `bind` lines: where a frontend listens and with which options.

use super::Loc;

/// One listening address of a `bind` line (a line may expand to several, e.g. port ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// IPv4/IPv6 socket address; `port_end` > port for ranges.
    Inet {
        addr: std::net::SocketAddr,
        port_end: u16,
    },
    Unix {
        path: String,
    },
    Abns {
        name: String,
    },
    /// Inherited file descriptor (`fd@N`, VTest and systemd hand these over).
    Fd {
        fd: i32,
    },
    SockPair {
        fd: i32,
    },
    /// A host name that was not resolved while parsing (resolution disabled by the
    /// caller); the runtime resolves it before binding.
    Host {
        host: String,
        port: u16,
        port_end: u16,
        /// 4 or 6 when a prefix forced the family, else 0.
        family: u8,
    },
}

impl ListenAddr {
    /// Number of listeners HAProxy creates for this address (one per port of a range).
    pub fn listener_count(&self) -> usize {
        match self {
            ListenAddr::Inet { addr, port_end } => {
                usize::from(port_end.saturating_sub(addr.port())) + 1
            }
            ListenAddr::Host { port, port_end, .. } => {
                usize::from(port_end.saturating_sub(*port)) + 1
            }
            _ => 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Bind {
    pub loc: Loc,
    /// The address text as written (HAProxy prints it in messages).
    pub text: String,
    pub addrs: Vec<ListenAddr>,
    pub options: BindOptions,
}

/// TLS protocol version bounds and exclusions (`ssl-min-ver`, `no-tlsv10`, `force-tlsv12`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsVersions {
    /// `SSLv3`, `TLSv1.0` … `TLSv1.3` as written in `ssl-min-ver`.
    pub min: Option<String>,
    pub max: Option<String>,
    /// Versions disabled with `no-…` (`sslv3`, `tlsv10`, …).
    pub disabled: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct BindOptions {
    pub name: Option<String>,
    pub ssl: bool,
    pub crt: Vec<String>,
    pub alpn: Option<String>,
    pub accept_proxy: bool,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub v4v6: bool,
    pub v6only: bool,
    /// Options parsed but not given a typed field yet: (keyword, args).
    pub other: Vec<(String, Vec<String>)>,
    /// `id`: the listener's numeric id.
    pub id: Option<u32>,
    pub crt_list: Vec<String>,
    pub ca_file: Option<String>,
    pub crl_file: Option<String>,
    /// `verify none|optional|required`.
    pub verify: Option<String>,
    pub npn: Option<String>,
    pub ciphers: Option<String>,
    pub ciphersuites: Option<String>,
    pub curves: Option<String>,
    pub tls: TlsVersions,
    pub strict_sni: bool,
    pub transparent: bool,
    pub tfo: bool,
    pub defer_accept: bool,
    pub interface: Option<String>,
    pub namespace: Option<String>,
    /// `proto h1|h2|fcgi|none`: the multiplexer forced on accepted connections.
    pub proto: Option<String>,
    /// `thread` / `process` sets as written.
    pub thread: Vec<String>,
    pub nice: Option<i32>,
    pub mss: Option<i32>,
    pub tcp_ut: Option<u32>,
    /// UNIX socket permissions (`mode` octal, `uid`/`user`, `gid`/`group`).
    pub unix_mode: Option<u32>,
    pub unix_uid: Option<u32>,
    pub unix_gid: Option<u32>,
    /// Stats socket access level (`user`, `operator`, `admin`).
    pub level: Option<String>,
    pub severity_output: Option<String>,
    pub expose_fd_listeners: bool,
    pub accept_netscaler_cip: Option<u32>,
    pub shards: Option<u32>,
    /// Certificates loaded by `crt` / `crt-list` (files found while parsing).
    pub cert_count: usize,
    pub ca_sign_file: Option<String>,
    pub generate_certificates: bool,
}
