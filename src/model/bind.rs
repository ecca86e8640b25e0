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
}

#[derive(Debug, Clone)]
pub struct Bind {
    pub loc: Loc,
    /// The address text as written (HAProxy prints it in messages).
    pub text: String,
    pub addrs: Vec<ListenAddr>,
    pub options: BindOptions,
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
}
