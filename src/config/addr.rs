//! Address parsing: HAProxy's `str2sa_range()` (families, ports, ranges, `fd@`, `unix@`…).
//!
//! Shared by `bind`, `server`, `log`, `peer`, `nameserver`, `mailer`, `source`… Callers wrap
//! the returned message in their own prefix, as HAProxy does.
//!
//! Messages are returned exactly as HAProxy builds them, including the trailing `'\n'` some
//! of them carry: HAProxy strips one line feed when printing, so a message that ends with
//! `'\n'` and is printed through `ha_alert("%s\n")` shows an empty line. Callers that use
//! `indent_msg()` in HAProxy should use [`indent_msg`] here too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// What the caller accepts (HAProxy's `PA_O_*` flags, as booleans).
///
/// The defaults (all `false`) mean: ports allowed but optional, stream sockets only, host
/// names refused, no file descriptors. HAProxy's callers translate as follows:
/// - `bind` (`str2listener`): `resolve, port_mandatory, port_range, probe_fd, want_proto`;
/// - `server` address: `port_offset, fqdn, connect`;
/// - `log` targets: `resolve, allow_fd, dgram`;
/// - `peer`, `nameserver`, `mailer`: `resolve, port_mandatory` (+ `dgram` for nameservers);
/// - `source`/`usesrc`: `resolve, port_range, connect`.
///
/// Start from [`SaOpts::resolving`] when host names are accepted, so that offline parsing
/// (tests, `ParseEnv::offline()`) never queries the resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaOpts {
    /// A port is mandatory (`PA_O_PORT_MAND`).
    pub port_mandatory: bool,
    /// Port ranges `a-b` allowed (`PA_O_PORT_RANGE`).
    pub port_range: bool,
    /// `+N`/`-N` port offsets allowed (`PA_O_PORT_OFS`).
    pub port_offset: bool,
    /// Host names are resolved now (`PA_O_RESOLVE`); otherwise only literal addresses
    /// (unless `fqdn` is set).
    pub resolve: bool,
    /// Datagram sockets by default, stream ones accepted too (`PA_O_DGRAM|PA_O_STREAM|
    /// PA_O_DEFAULT_DGRAM`, as `log` and `nameserver` targets); otherwise stream only
    /// (`PA_O_STREAM`).
    pub dgram: bool,
    /// `fd@N` accepted (`PA_O_RAW_FD`): no check of what the descriptor is.
    pub allow_fd: bool,
    /// Kept for callers' own family checks: `str2sa_range()` itself never refuses UNIX
    /// sockets, the callers do (e.g. "only AF_INET and AF_INET6 are supported").
    pub allow_unix: bool,
    /// Ports are not permitted at all (absence of `PA_O_PORT_OK`).
    pub no_port: bool,
    /// With `dgram`: stream addresses are refused (`PA_O_DGRAM` alone, `dgram-bind`).
    pub dgram_only: bool,
    /// `fd@N` accepted and must be an open socket (`PA_O_SOCKET_FD`, listeners).
    pub probe_fd: bool,
    /// The caller takes a host name to resolve later (HAProxy's non-NULL `fqdn` pointer):
    /// names are returned as [`SaAddr::Unresolved`].
    pub fqdn: bool,
    /// The protocol must be able to connect (`PA_O_CONNECT`).
    pub connect: bool,
    /// The caller needs a protocol (HAProxy's non-NULL `proto` pointer, as `bind` does).
    pub want_proto: bool,
    /// With `resolve`: do not query the resolver (tests, `-c` without DNS); a valid host
    /// name is kept as [`SaAddr::Unresolved`].
    pub no_dns: bool,
    /// Length of `unix-bind prefix` (shortens the maximum UNIX path length).
    pub unix_prefix_len: usize,
}

impl SaOpts {
    /// Host names accepted (`PA_O_RESOLVE`), looked up only when the parse environment
    /// allows DNS: the one place that ties `resolve` to `ParseEnv::resolve_hosts`.
    pub fn resolving(env: &super::ParseEnv) -> Self {
        SaOpts {
            resolve: true,
            no_dns: !env.resolve_hosts,
            ..SaOpts::default()
        }
    }
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
    /// HAProxy's `*low`: first port of a range, or the magnitude of a `-N` offset.
    pub port_low: u16,
    /// HAProxy's `*high`: last port of a range, or the value of a `+N` offset.
    pub port_high: u16,
    /// The port had a `+`/`-` prefix (offset).
    pub port_offset: bool,
    /// No port was written.
    pub no_port: bool,
    /// Protocol prefix given (`ipv4@`, `udp@`, `quic4@`…), if any, with its `@`.
    pub prefix: Option<String>,
}

/// What [`str2sa_range_info`] tells besides the [`SaRange`] (kept apart so that code
/// building `SaRange` values keeps compiling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaInfo {
    /// HAProxy's `*port`: the port, or the signed offset.
    pub port: i32,
    /// The socket is a datagram one (`udp@`, `uxdg@`, `dgram+`…).
    pub dgram: bool,
    /// Family forced by the prefix for host names (`ipv4@name`): 4, 6 or 0.
    pub family_hint: u8,
}

impl SaRange {
    /// The address with its (first) port, when it is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match &self.addr {
            SaAddr::Inet(ip) if !self.port_offset => Some(SocketAddr::new(*ip, self.port_low)),
            SaAddr::Inet(ip) => Some(SocketAddr::new(*ip, 0)),
            _ => None,
        }
    }
}

/// Address families with the numbers HAProxy prints in "family %d" messages (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Unspec,
    Unix,
    Inet,
    Inet6,
    /// `AF_CUST_EXISTING_FD` = `AF_MAX + 1`.
    Fd,
    /// `AF_CUST_SOCKPAIR` = `AF_MAX + 2`.
    SockPair,
}

impl Family {
    fn code(self) -> i32 {
        match self {
            Family::Unspec => 0,
            Family::Unix => 1,
            Family::Inet => 2,
            Family::Inet6 => 10,
            Family::Fd => 47,
            Family::SockPair => 48,
        }
    }
}

/// `env_expand()`: replaces `$NAME` and `${NAME}` by the environment value (empty if unset).
pub fn env_expand(input: &str) -> String {
    if !input.contains('$') {
        return input.to_string();
    }
    let b = input.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let next = input[i..].find('$').map(|p| i + p).unwrap_or(b.len());
            out.push_str(&input[i..next]);
            i = next;
            continue;
        }
        let mut beg = i + 1;
        let braced = b.get(beg) == Some(&b'{');
        if braced {
            beg += 1;
        }
        let mut end = beg;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
            end += 1;
        }
        if let Ok(v) = std::env::var(&input[beg..end]) {
            out.push_str(&v);
        }
        i = if braced && b.get(end) == Some(&b'}') {
            end + 1
        } else {
            end
        };
    }
    out
}

/// HAProxy's `getsockname()` probe on an inherited descriptor, done through
/// `/proc/self/fd` so that no FFI is needed: the descriptor must exist and be a socket.
fn check_socket_fd(fd: i32) -> Result<(), String> {
    match std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(t) if t.to_string_lossy().starts_with("socket:") => Ok(()),
        Ok(_) => Err(format!(
            "cannot use file descriptor '{fd}' : Socket operation on non-socket.\n"
        )),
        Err(_) if !std::path::Path::new("/proc/self/fd").exists() => Ok(()),
        Err(_) => Err(format!(
            "cannot use file descriptor '{fd}' : Bad file descriptor.\n"
        )),
    }
}

/// `resolv_hostname_validation()`: only letters, digits, `-`, `_` and dots, with
/// HAProxy's name and label size limits.
pub fn valid_hostname(s: &str) -> bool {
    if s.len() > 255 {
        return false;
    }
    s.split('.').all(|label| {
        label.len() <= 63
            && label
                .bytes()
                .all(|c| c == b'-' || c == b'_' || c.is_ascii_alphanumeric())
    })
}

/// `str2ip2(…, resolve=0)`: literal IPv4/IPv6 (brackets allowed), `*`, `::` or empty.
/// `fam` is the family forced by a prefix (`Unspec` when free).
fn str2ip_literal(s: &str, fam: Family) -> Option<IpAddr> {
    let mut s = s;
    if s.starts_with('[') {
        if s.len() < 4 || s.len() >= 48 || !s.ends_with(']') {
            return None;
        }
        s = &s[1..s.len() - 1];
    }
    if s == "::" {
        return match fam {
            Family::Unspec | Family::Inet6 => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            _ => None,
        };
    }
    if s.is_empty() || s == "*" {
        return Some(match fam {
            Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        });
    }
    if matches!(fam, Family::Unspec | Family::Inet6) {
        if let Ok(a) = s.parse::<Ipv6Addr>() {
            return Some(IpAddr::V6(a));
        }
    }
    if matches!(fam, Family::Unspec | Family::Inet) {
        if let Ok(a) = s.parse::<Ipv4Addr>() {
            return Some(IpAddr::V4(a));
        }
    }
    None
}

/// Resolves `host` with the system resolver, keeping the first address of the family
/// asked (`fam`: 4, 6 or 0 for any), as `str2ip2(…, resolve=1)` does.
pub fn resolve_host(host: &str, fam: u8) -> Option<IpAddr> {
    if !valid_hostname(host) {
        return None;
    }
    let addrs = (host, 0u16).to_socket_addrs().ok()?;
    let mut first = None;
    for a in addrs {
        let ip = a.ip();
        let ok = match fam {
            4 => ip.is_ipv4(),
            6 => ip.is_ipv6(),
            _ => true,
        };
        if ok {
            first = Some(ip);
            break;
        }
        if first.is_none() && fam == 0 {
            first = Some(ip);
        }
    }
    first
}

/// C `atoi()` clamped to `i32` range the way callers compare it.
fn atoi(s: &str) -> i64 {
    let mut v: i64 = 0;
    let b = s.as_bytes();
    let (neg, start) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    for &c in &b[start..] {
        if !c.is_ascii_digit() {
            break;
        }
        v = (v * 10 + (c - b'0') as i64).min(i64::from(u32::MAX) * 4);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// C `strtol(s, &end, 10)` that must consume the whole (non-empty) string.
fn whole_int(s: &str) -> Option<i64> {
    let (v, used) = super::values::strtol(s);
    (!s.is_empty() && used == s.len()).then_some(v)
}

/// Socket types as HAProxy tracks them: the protocol type and the control type.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Types {
    proto_dgram: bool,
    ctrl_dgram: bool,
}

const PREFIXES: &[(&str, Family, Option<Types>)] = &[
    ("unix@", Family::Unix, None),
    (
        "uxdg@",
        Family::Unix,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: true,
        }),
    ),
    (
        "uxst@",
        Family::Unix,
        Some(Types {
            proto_dgram: false,
            ctrl_dgram: false,
        }),
    ),
    ("abns@", Family::Unix, None),
    ("ip@", Family::Unspec, None),
    ("ipv4@", Family::Inet, None),
    ("ipv6@", Family::Inet6, None),
    (
        "tcp4@",
        Family::Inet,
        Some(Types {
            proto_dgram: false,
            ctrl_dgram: false,
        }),
    ),
    (
        "udp4@",
        Family::Inet,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: true,
        }),
    ),
    (
        "tcp6@",
        Family::Inet6,
        Some(Types {
            proto_dgram: false,
            ctrl_dgram: false,
        }),
    ),
    (
        "udp6@",
        Family::Inet6,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: true,
        }),
    ),
    (
        "tcp@",
        Family::Unspec,
        Some(Types {
            proto_dgram: false,
            ctrl_dgram: false,
        }),
    ),
    (
        "udp@",
        Family::Unspec,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: true,
        }),
    ),
    (
        "quic4@",
        Family::Inet,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: false,
        }),
    ),
    (
        "quic6@",
        Family::Inet6,
        Some(Types {
            proto_dgram: true,
            ctrl_dgram: false,
        }),
    ),
    ("fd@", Family::Fd, None),
    ("sockpair@", Family::SockPair, None),
];

/// Whether HAProxy 2.6 (built without QUIC) registers a protocol for this combination,
/// and whether it can connect.
fn protocol_lookup(fam: Family, t: Types) -> Option<bool> {
    match (fam, t.proto_dgram, t.ctrl_dgram) {
        (Family::Inet | Family::Inet6, false, false) => Some(true),
        (Family::Inet | Family::Inet6, true, true) => Some(false),
        (Family::Unix, false, false) => Some(true),
        (Family::Unix, true, true) => Some(false),
        (Family::SockPair, false, false) => Some(true),
        _ => None,
    }
}

/// Parses `text`; on error returns HAProxy's message (without the caller's prefix).
pub fn str2sa_range(text: &str, opts: &SaOpts) -> Result<SaRange, String> {
    str2sa_range_info(text, opts).map(|(r, _)| r)
}

/// [`str2sa_range`] with the signed port, socket type and family hint.
pub fn str2sa_range_info(text: &str, opts: &SaOpts) -> Result<(SaRange, SaInfo), String> {
    let expanded = env_expand(text);
    if expanded.is_empty() {
        return Err(format!(
            "'{text}' resolves to an empty address (environment variable missing?)\n"
        ));
    }
    let mut t = if opts.dgram {
        Types {
            proto_dgram: true,
            ctrl_dgram: true,
        }
    } else {
        Types {
            proto_dgram: false,
            ctrl_dgram: false,
        }
    };
    let mut s = expanded.as_str();
    let mut prefix = String::new();
    if let Some(r) = s.strip_prefix("stream+") {
        s = r;
        prefix.push_str("stream+");
        t = Types {
            proto_dgram: false,
            ctrl_dgram: false,
        };
    } else if let Some(r) = s.strip_prefix("dgram+") {
        s = r;
        prefix.push_str("dgram+");
        t = Types {
            proto_dgram: true,
            ctrl_dgram: true,
        };
    }
    let mut fam = if s.starts_with('/') {
        Family::Unix
    } else {
        Family::Unspec
    };
    let mut abstract_ns = false;
    for (p, f, ty) in PREFIXES {
        if let Some(r) = s.strip_prefix(p) {
            s = r;
            fam = *f;
            abstract_ns = *p == "abns@";
            if let Some(ty) = ty {
                t = *ty;
            }
            prefix.push_str(p);
            break;
        }
    }
    let mut out = SaRange {
        addr: SaAddr::Unresolved(String::new()),
        port_low: 0,
        port_high: 0,
        port_offset: false,
        no_port: true,
        prefix: (!prefix.is_empty()).then_some(prefix),
    };
    let mut info = SaInfo {
        port: 0,
        dgram: t.ctrl_dgram,
        family_hint: match fam {
            Family::Inet => 4,
            Family::Inet6 => 6,
            _ => 0,
        },
    };
    let mut fqdn = false;
    match fam {
        Family::SockPair => {
            let fd = whole_int(s)
                .filter(|v| (0..=i64::from(i32::MAX)).contains(v))
                .ok_or_else(|| {
                    format!("file descriptor '{s}' is not a valid integer in '{text}'\n")
                })?;
            check_socket_fd(fd as i32)?;
            out.addr = SaAddr::SockPair(fd as i32);
        }
        Family::Fd => {
            let fd = whole_int(s)
                .filter(|v| (0..=i64::from(i32::MAX)).contains(v))
                .ok_or_else(|| {
                    format!("file descriptor '{s}' is not a valid integer in '{text}'\n")
                })?;
            if opts.probe_fd {
                check_socket_fd(fd as i32)?;
            } else if !opts.allow_fd {
                return Err(format!(
                    "a file descriptor is not acceptable here in '{text}'\n"
                ));
            }
            out.addr = SaAddr::Fd(fd as i32);
        }
        Family::Unix => {
            let max = 107
                - if abstract_ns {
                    0
                } else {
                    opts.unix_prefix_len + 10
                };
            if s.len() > max {
                return Err(format!("socket path '{text}' too long (max {max})\n"));
            }
            out.addr = if abstract_ns {
                SaAddr::Abns(s.to_string())
            } else {
                SaAddr::Unix(s.to_string())
            };
        }
        Family::Unspec | Family::Inet | Family::Inet6 => {
            let (host, ip, is_fqdn) = parse_inet(s, text, fam, opts, &mut out, &mut info)?;
            fqdn = is_fqdn;
            out.addr = match ip {
                Some(ip) => SaAddr::Inet(ip),
                None => SaAddr::Unresolved(host),
            };
            if let SaAddr::Inet(ip) = &out.addr {
                fam = if ip.is_ipv4() {
                    Family::Inet
                } else {
                    Family::Inet6
                };
            }
        }
    }
    check_types(text, fam, t, fqdn, opts)?;
    Ok((out, info))
}

/// The IPv4/IPv6 branch: splits the port, validates it, then the host part.
/// Returns the host text, the IP if known, and whether it is a name to resolve later.
fn parse_inet(
    s: &str,
    text: &str,
    fam: Family,
    opts: &SaOpts,
    out: &mut SaRange,
    info: &mut SaInfo,
) -> Result<(String, Option<IpAddr>, bool), String> {
    let b = s.as_bytes();
    // search for ':' or ']' whatever comes first from the end (never index 0)
    let mut chr = b.len().saturating_sub(1);
    while chr > 0 && b[chr] != b']' && b[chr] != b':' {
        chr -= 1;
    }
    let (host, port1) = if b.get(chr) == Some(&b':') {
        if opts.no_port {
            return Err(format!("port specification not permitted here in '{text}'"));
        }
        (&s[..chr], &s[chr + 1..])
    } else {
        if opts.port_mandatory {
            return Err(format!("missing port specification in '{text}'"));
        }
        (s, "")
    };
    let mand = i64::from(opts.port_mandatory);
    let first = port1.as_bytes().first().copied();
    match first {
        Some(c) if c.is_ascii_digit() => {
            let (p1, p2) = match port1.find('-') {
                Some(d) => {
                    if !opts.port_range {
                        return Err(format!("port range not permitted here in '{text}'"));
                    }
                    (&port1[..d], &port1[d + 1..])
                }
                None => (port1, port1),
            };
            let (lo, hi) = (atoi(p1), atoi(p2));
            if lo < mand || lo > 65535 {
                return Err(format!("invalid port '{p1}'"));
            }
            if hi < mand || hi > 65535 {
                return Err(format!("invalid port '{p2}'"));
            }
            if lo > hi {
                return Err(format!("invalid port range '{lo}-{hi}'"));
            }
            out.port_low = lo as u16;
            out.port_high = hi as u16;
            info.port = lo as i32;
            out.no_port = false;
        }
        Some(c @ (b'-' | b'+')) => {
            if !opts.port_offset {
                return Err(format!("port offset not permitted here in '{text}'"));
            }
            let v = atoi(&port1[1..]).clamp(0, 65535);
            if c == b'-' {
                out.port_low = v as u16;
                info.port = -(v as i32);
            } else {
                out.port_high = v as u16;
                info.port = v as i32;
            }
            out.port_offset = true;
            out.no_port = false;
        }
        Some(c) => {
            return Err(format!(
                "invalid character '{}' in port number '{port1}' in '{text}'\n",
                c as char
            ));
        }
        None if opts.port_mandatory => {
            return Err(format!("missing port specification in '{text}'"));
        }
        None => {}
    }
    if let Some(ip) = str2ip_literal(host, fam) {
        return Ok((host.to_string(), Some(ip), false));
    }
    let famn = match fam {
        Family::Inet => 4,
        Family::Inet6 => 6,
        _ => 0,
    };
    let invalid = || format!("invalid address: '{host}' in '{text}'\n");
    if opts.resolve {
        if opts.no_dns {
            if !valid_hostname(host) {
                return Err(invalid());
            }
            return Ok((host.to_string(), None, true));
        }
        return match resolve_host(host, famn) {
            Some(ip) => Ok((host.to_string(), Some(ip), opts.fqdn)),
            None => Err(invalid()),
        };
    }
    if opts.fqdn {
        return Ok((host.to_string(), None, true));
    }
    Err(invalid())
}

/// The stream/datagram acceptance and protocol checks at the end of `str2sa_range()`.
fn check_types(text: &str, fam: Family, t: Types, fqdn: bool, opts: &SaOpts) -> Result<(), String> {
    let accept_stream = !opts.dgram || !opts.dgram_only;
    let accept_dgram = opts.dgram;
    if !t.ctrl_dgram && !accept_stream {
        return Err(format!("stream-type address not acceptable in '{text}'\n"));
    }
    if t.ctrl_dgram && !accept_dgram {
        return Err(format!("dgram-type address not acceptable in '{text}'\n"));
    }
    if opts.want_proto || opts.connect {
        let proto = protocol_lookup(fam, t);
        if proto.is_none() && !fqdn && fam != Family::Fd {
            let quic = if !t.ctrl_dgram && t.proto_dgram {
                "; QUIC is not compiled in if this is what you were looking for."
            } else {
                ""
            };
            return Err(format!(
                "unsupported {} protocol for {} family {} address '{text}'{quic}",
                if t.ctrl_dgram { "datagram" } else { "stream" },
                if t.proto_dgram { "datagram" } else { "stream" },
                fam.code(),
            ));
        }
        if opts.connect && proto == Some(false) {
            return Err(format!(
                "connect() not supported for this protocol family {} used by address '{text}'",
                fam.code()
            ));
        }
    }
    Ok(())
}

/// `indent_msg(&msg, level)`: a single line loses its final LF; several lines are each
/// put on a new line indented by `level` spaces.
pub fn indent_msg(msg: &str, level: usize) -> String {
    let lf = msg.matches('\n').count();
    if lf == 0 {
        return msg.to_string();
    }
    if lf == 1 && msg.ends_with('\n') {
        return msg[..msg.len() - 1].to_string();
    }
    // A literal port of HAProxy's loop, including its quirk: a line that starts with a LF
    // (an empty line) copies that LF as its first character.
    let b = msg.trim_start_matches('\n').as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', level));
        loop {
            out.push(b[i]);
            i += 1;
            if i >= b.len() || b[i] == b'\n' {
                break;
            }
        }
        if i < b.len() {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind_opts() -> SaOpts {
        SaOpts {
            resolve: true,
            port_mandatory: true,
            port_range: true,
            probe_fd: true,
            want_proto: true,
            no_dns: true,
            ..Default::default()
        }
    }

    fn srv_opts() -> SaOpts {
        SaOpts {
            port_offset: true,
            fqdn: true,
            connect: true,
            ..Default::default()
        }
    }

    #[test]
    fn inet_forms() {
        let o = bind_opts();
        let r = str2sa_range("*:80", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Inet("0.0.0.0".parse().unwrap()));
        assert_eq!((r.port_low, r.port_high), (80, 80));
        let r = str2sa_range(":::443", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Inet("::".parse().unwrap()));
        let r = str2sa_range("[::1]:90", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Inet("::1".parse().unwrap()));
        let r = str2sa_range("::1:91", &o).unwrap();
        assert_eq!(r.socket_addr().unwrap().port(), 91);
        let r = str2sa_range("10.0.0.1:8000-8010", &o).unwrap();
        assert_eq!((r.port_low, r.port_high), (8000, 8010));
        let r = str2sa_range("ipv6@:80", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Inet("::".parse().unwrap()));
        assert_eq!(r.prefix.as_deref(), Some("ipv6@"));
        let (_, i) = str2sa_range_info("ipv4@*:80", &o).unwrap();
        assert_eq!(i.family_hint, 4);
    }

    #[test]
    fn inet_errors() {
        let o = bind_opts();
        let e = |s: &str| str2sa_range(s, &o).unwrap_err();
        assert_eq!(
            e("mptcp@[::]:5000"),
            "invalid address: 'mptcp@[::]' in 'mptcp@[::]:5000'\n"
        );
        assert_eq!(
            e("0.0.0.0:$HAPROXY_RS_SURELY_UNSET"),
            "missing port specification in '0.0.0.0:$HAPROXY_RS_SURELY_UNSET'"
        );
        assert_eq!(
            e("*:{{"),
            "invalid character '{' in port number '{{' in '*:{{'\n"
        );
        assert_eq!(
            e("udp@:80"),
            "dgram-type address not acceptable in 'udp@:80'\n"
        );
        assert_eq!(
            e("quic4@:443"),
            "unsupported stream protocol for datagram family 2 address 'quic4@:443'; QUIC is not compiled in if this is what you were looking for."
        );
        assert_eq!(e(":80-70"), "invalid port range '80-70'");
        assert_eq!(e("1.2.3.4"), "missing port specification in '1.2.3.4'");
        assert_eq!(e("[::1]"), "missing port specification in '[::1]'");
        assert_eq!(e(":+5"), "port offset not permitted here in ':+5'");
        assert_eq!(e(":-5"), "port offset not permitted here in ':-5'");
        assert_eq!(e(":0"), "invalid port '0'");
        assert_eq!(e(":65536"), "invalid port '65536'");
        assert_eq!(e(":80-"), "invalid port ''");
        assert_eq!(
            e("fd@x"),
            "file descriptor 'x' is not a valid integer in 'fd@x'\n"
        );
        assert_eq!(
            e("ipv4@::1:90"),
            "invalid address: '::1' in 'ipv4@::1:90'\n"
        );
        assert_eq!(
            e("foo!bar:80"),
            "invalid address: 'foo!bar' in 'foo!bar:80'\n"
        );
        assert!(e(&format!("/{}", "a".repeat(100))).contains("too long (max 97)"));
    }

    #[test]
    fn unix_fd_and_names() {
        let o = bind_opts();
        let r = str2sa_range("/tmp/x.sock", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Unix("/tmp/x.sock".into()));
        let r = str2sa_range("abns@foo", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Abns("foo".into()));
        let sock = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&sock);
        let r = str2sa_range(&format!("fd@{fd}"), &o).unwrap();
        assert_eq!(r.addr, SaAddr::Fd(fd));
        assert_eq!(
            str2sa_range("fd@99999", &o).unwrap_err(),
            "cannot use file descriptor '99999' : Bad file descriptor.\n"
        );
        let r = str2sa_range("example.org:80", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Unresolved("example.org".into()));
    }

    #[test]
    fn server_forms() {
        let o = srv_opts();
        let r = str2sa_range("10.0.0.1", &o).unwrap();
        assert!(r.no_port);
        let (r, i) = str2sa_range_info("10.0.0.1:+10", &o).unwrap();
        assert!(r.port_offset);
        assert_eq!((i.port, r.port_low, r.port_high), (10, 0, 10));
        let (r, i) = str2sa_range_info("10.0.0.1:-10", &o).unwrap();
        assert_eq!((i.port, r.port_low, r.port_high), (-10, 10, 0));
        let r = str2sa_range("db.local:5432", &o).unwrap();
        assert_eq!(r.addr, SaAddr::Unresolved("db.local".into()));
        assert_eq!(
            str2sa_range("1.1.1.1:80-90", &o).unwrap_err(),
            "port range not permitted here in '1.1.1.1:80-90'"
        );
        assert_eq!(
            str2sa_range("fd@3", &o).unwrap_err(),
            "a file descriptor is not acceptable here in 'fd@3'\n"
        );
        assert_eq!(
            str2sa_range("udp@1.1.1.1:53", &o).unwrap_err(),
            "dgram-type address not acceptable in 'udp@1.1.1.1:53'\n"
        );
        assert!(str2sa_range("/tmp/sock", &o).is_ok());
    }

    #[test]
    fn env_and_indent() {
        std::env::set_var("HAPROXY_RS_ADDR_TEST", "8080");
        assert_eq!(env_expand(":${HAPROXY_RS_ADDR_TEST}"), ":8080");
        assert_eq!(env_expand(":$HAPROXY_RS_ADDR_TEST/x"), ":8080/x");
        assert_eq!(indent_msg("a\n", 2), "a");
        assert_eq!(indent_msg("a\nb\n", 2), "\n  a\n  b");
        assert_eq!(indent_msg("a\n\n", 2), "\n  a\n  \n");
    }
}
