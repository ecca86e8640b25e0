//! Traffic logs without sockets: the facts a stream leaves behind ([`Facts`]), the
//! log-format variables of HAProxy 2.6's section 8.2.4 computed from them (as
//! `build_logline()` does), the default formats of `option httplog`/`tcplog`/`clf`, and
//! the syslog headers (`rfc3164`, `rfc5424`, `short`, `raw`, `iso`, `timed`,
//! `priority`) with `len` truncation. The runtime fills a `Facts` on its hot path (copies
//! of numbers it already has) and only renders when a frontend has a log target.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::global::LogFormat as Hdr;
use crate::sample::lf::{LogVars, VarStyle};

pub mod date;

/// `default_http_log_format` (`option httplog`).
pub const HTTPLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `clf_http_log_format` (`option httplog clf`).
pub const CLF: &str = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
/// `default_https_log_format` (`option httpslog`).
pub const HTTPSLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";
/// `default_tcp_log_format` (`option tcplog`).
pub const TCPLOG: &str = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

/// Syslog levels HAProxy uses for traffic and server events.
pub const LOG_EMERG: u8 = 0;
pub const LOG_ALERT: u8 = 1;
pub const LOG_ERR: u8 = 3;
pub const LOG_NOTICE: u8 = 5;
pub const LOG_INFO: u8 = 6;

/// What one stream (an HTTP transaction or a TCP connection) leaves for its log line.
/// Timers are milliseconds from `accept`, `-1` when the step never happened (HAProxy's
/// `logs.t_*` fields).
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub accept_date: SystemTime,
    /// Date the request started (after the idle time); `%tr`.
    pub request_date: SystemTime,
    pub t_handshake: i64,
    pub t_idle: i64,
    /// Request head complete.
    pub t_request: i64,
    /// Left the queue (server assigned).
    pub t_queue: i64,
    pub t_connect: i64,
    /// Response head received.
    pub t_data: i64,
    pub t_close: i64,
    pub client: Option<SocketAddr>,
    pub frontend_addr: Option<SocketAddr>,
    pub backend_src: Option<SocketAddr>,
    pub server_addr: Option<SocketAddr>,
    pub fe: &'a str,
    /// Backend name (the frontend's when none was chosen).
    pub be: &'a str,
    /// Server name, `<NOSRV>` when none.
    pub srv: &'a str,
    pub http: bool,
    /// Final status; `-1` none.
    pub status: i32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    /// Termination state: cause and phase (`--`, `CD`, `sQ`…).
    pub term: [u8; 2],
    /// Cookie status characters of `%tsc` (`--` without `cookie`).
    pub cookie: [u8; 2],
    pub actconn: u32,
    pub feconn: u32,
    pub beconn: u32,
    pub srv_conn: u32,
    pub retries: i64,
    pub srv_queue: u32,
    pub be_queue: u32,
    /// The request line as received (`%r`), `None` for a request that never parsed.
    pub request: Option<&'a [u8]>,
    pub req_caps: &'a [Option<Vec<u8>>],
    pub res_caps: &'a [Option<Vec<u8>>],
    /// The proxy declared header captures (`%hr` renders `{}` only then).
    pub has_req_caps: bool,
    pub has_res_caps: bool,
    pub unique_id: Option<&'a str>,
    /// `%rt`: the stream's number; `%lc`: the frontend's log counter.
    pub stream_id: u32,
    pub log_count: u32,
    pub pid: u32,
    /// A TLS client connection's protocol version and cipher (`%sslv`, `%sslc`; `%ft`
    /// gets its `~`).
    pub tls: Option<(&'a str, &'a str)>,
}

impl Facts<'_> {
    /// HAProxy's `sess_term_cond`/`sess_fin_state` result as a string.
    pub fn term_str(&self) -> &str {
        std::str::from_utf8(&self.term).unwrap_or("--")
    }

    fn tt(&self) -> i64 {
        self.t_close
    }

    /// Whether this stream counts as an error for `log-separate-errors`/`dontlog-normal`
    /// (HAProxy: `status >= 500` or a termination cause other than a normal end).
    pub fn is_error(&self) -> bool {
        self.term[0] != b'-' || self.status >= 500
    }
}

fn ip_text(a: IpAddr, out: &mut Vec<u8>) {
    let a = match a {
        IpAddr::V6(v) => v.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        a => a,
    };
    let _ = write!(out, "{a}");
}

fn num(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// The request line's pieces, as `%HM`, `%HU`, `%HP`, `%HQ`, `%HV` split it.
fn request_parts(r: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut it = r.splitn(3, |&c| c == b' ');
    let m = it.next().unwrap_or(b"");
    let u = it.next().unwrap_or(b"");
    let v = it.next().unwrap_or(b"");
    (m, u, v)
}

fn caps(list: &[Option<Vec<u8>>], sep: u8, braces: bool, out: &mut Vec<u8>) {
    if braces {
        out.push(b'{');
    }
    for (i, c) in list.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        if let Some(v) = c {
            // `lf_encode_string()` with the default map: control characters as #XX.
            for &b in v {
                if !(0x20..0x7f).contains(&b)
                    || b == b'"'
                    || b == b'#'
                    || b == b'{'
                    || b == b'|'
                    || b == b'}'
                {
                    let _ = write!(out, "#{b:02X}");
                } else {
                    out.push(b);
                }
            }
        }
    }
    if braces {
        out.push(b'}');
    }
}

impl LogVars for Facts<'_> {
    fn style(&self, name: &str) -> VarStyle {
        match name {
            // Texts (`lf_text()`, `lf_ip()`); the absent ones print `-`.
            "ci" | "fi" | "bi" | "si" | "f" | "ft" | "b" | "s" | "r" | "HM" | "HU" | "HP"
            | "HPO" | "HQ" | "HV" | "H" => VarStyle {
                quotable: true,
                dash: false,
            },
            "ID" | "CC" | "CS" | "sslc" | "sslv" => VarStyle {
                quotable: true,
                dash: true,
            },
            // Numbers, dates, state codes, capture lists.
            _ => VarStyle {
                quotable: false,
                dash: false,
            },
        }
    }

    fn write(&self, name: &str, out: &mut Vec<u8>) -> bool {
        let d = |x: i64| if x < 0 { -1 } else { x };
        match name {
            "ci" => match self.client {
                Some(a) => ip_text(a.ip(), out),
                None => out.extend_from_slice(b"unix"),
            },
            "cp" => match self.client {
                Some(a) => num(out, a.port()),
                None => out.extend_from_slice(b"unix"),
            },
            "fi" => match self.frontend_addr {
                Some(a) => ip_text(a.ip(), out),
                None => out.push(b'-'),
            },
            "fp" => match self.frontend_addr {
                Some(a) => num(out, a.port()),
                None => out.push(b'-'),
            },
            "bi" => match self.backend_src {
                Some(a) => ip_text(a.ip(), out),
                None => out.push(b'-'),
            },
            "bp" => match self.backend_src {
                Some(a) => num(out, a.port()),
                None => out.push(b'-'),
            },
            "si" => match self.server_addr {
                Some(a) => ip_text(a.ip(), out),
                None => out.push(b'-'),
            },
            "sp" => match self.server_addr {
                Some(a) => num(out, a.port()),
                None => out.push(b'-'),
            },
            "f" => out.extend_from_slice(self.fe.as_bytes()),
            "ft" => {
                out.extend_from_slice(self.fe.as_bytes());
                if self.tls.is_some() {
                    out.push(b'~');
                }
            }
            "b" => out.extend_from_slice(self.be.as_bytes()),
            "s" => out.extend_from_slice(self.srv.as_bytes()),
            "t" => date::local_ms(self.accept_date, out),
            "tr" => date::local_ms(self.request_date, out),
            "T" => date::gmt(self.accept_date, out),
            "trg" => date::gmt(self.request_date, out),
            "Tl" => date::local(self.accept_date, out),
            "trl" => date::local(self.request_date, out),
            "Ts" => num(out, secs(self.accept_date)),
            "ms" => num(out, format_args!("{:03}", millis(self.accept_date))),
            "Th" => num(out, self.t_handshake),
            "Ti" => num(out, self.t_idle),
            // The timers as `build_logline()` derives them (a TCP stream has no
            // `t_request`: its `%Tw` counts from -1, as in HAProxy).
            "TR" => num(
                out,
                if self.t_request < 0 {
                    -1
                } else {
                    self.t_request - self.t_idle.max(0) - self.t_handshake.max(0)
                },
            ),
            "Tq" => num(out, self.t_request),
            "Tw" => num(
                out,
                if self.t_queue < 0 {
                    -1
                } else {
                    self.t_queue - self.t_request
                },
            ),
            "Tc" => num(
                out,
                if self.t_connect < 0 {
                    -1
                } else {
                    self.t_connect - self.t_queue
                },
            ),
            "Tr" => num(
                out,
                if self.t_data < 0 {
                    -1
                } else {
                    self.t_data - self.t_connect
                },
            ),
            "Td" => num(
                out,
                if self.t_data < 0 {
                    -1
                } else {
                    d(self.tt() - self.t_data)
                },
            ),
            "Ta" => num(
                out,
                d(self.tt() - self.t_idle.max(0) - self.t_handshake.max(0)),
            ),
            "Tt" => num(out, self.tt()),
            "Tu" => num(out, d(self.tt() - self.t_idle.max(0))),
            "B" => num(out, self.bytes_out),
            "U" => num(out, self.bytes_in),
            "ST" => num(out, self.status),
            "CC" | "CS" => {}
            "ts" => out.extend_from_slice(&self.term),
            "tsc" => {
                out.extend_from_slice(&self.term);
                out.extend_from_slice(&self.cookie);
            }
            "ac" => num(out, self.actconn),
            "fc" => num(out, self.feconn),
            "bc" => num(out, self.beconn),
            "sc" => num(out, self.srv_conn),
            "rc" => num(out, self.retries),
            "sq" => num(out, self.srv_queue),
            "bq" => num(out, self.be_queue),
            "hr" => {
                if self.has_req_caps {
                    caps(self.req_caps, b'|', true, out)
                }
            }
            "hrl" => {
                if self.has_req_caps {
                    caps(self.req_caps, b' ', false, out)
                }
            }
            "hs" => {
                if self.has_res_caps {
                    caps(self.res_caps, b'|', true, out)
                }
            }
            "hsl" => {
                if self.has_res_caps {
                    caps(self.res_caps, b' ', false, out)
                }
            }
            "r" => match self.request {
                Some(r) => out.extend_from_slice(r),
                None => out.extend_from_slice(b"<BADREQ>"),
            },
            "HM" | "HU" | "HP" | "HPO" | "HQ" | "HV" => {
                let Some(r) = self.request else {
                    out.push(b'-');
                    return true;
                };
                let (m, u, v) = request_parts(r);
                let (path, query) = match u.iter().position(|&c| c == b'?') {
                    Some(i) => (&u[..i], &u[i..]),
                    None => (u, &b""[..]),
                };
                match name {
                    "HM" => out.extend_from_slice(m),
                    "HU" => out.extend_from_slice(u),
                    "HP" => out.extend_from_slice(path),
                    "HPO" => {
                        // The path without scheme and authority.
                        let p = match path.windows(3).position(|w| w == b"://") {
                            Some(i) => {
                                let rest = &path[i + 3..];
                                rest.iter()
                                    .position(|&c| c == b'/')
                                    .map_or(&b"/"[..], |j| &rest[j..])
                            }
                            None => path,
                        };
                        out.extend_from_slice(p)
                    }
                    "HQ" => out.extend_from_slice(query),
                    _ => out.extend_from_slice(if v.is_empty() { b"HTTP/0.9" } else { v }),
                }
            }
            "ID" => {
                if let Some(u) = self.unique_id {
                    out.extend_from_slice(u.as_bytes())
                }
            }
            "rt" => num(out, self.stream_id),
            "lc" => num(out, self.log_count),
            "pid" => num(out, self.pid),
            "H" => out.extend_from_slice(crate::sample::lf::hostname().as_bytes()),
            "sslv" => {
                if let Some((v, _)) = self.tls {
                    out.extend_from_slice(v.as_bytes());
                }
            }
            "sslc" => {
                if let Some((_, c)) = self.tls {
                    out.extend_from_slice(c.as_bytes());
                }
            }
            _ => return false,
        }
        true
    }
}

/// The size HAProxy 2.6 counts for a message head in `%B`/`%U`: its HTX form (a
/// 20-byte start-line block with the three parts, each header's name and value, a
/// 1-byte end-of-headers block), not the bytes on the wire; `Connection` headers are
/// not part of it. `None` when `head` is not a
/// complete head.
pub fn htx_head_size(head: &[u8]) -> Option<usize> {
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let mut lines = head[..end].split(|&c| c == b'\n');
    let first = lines.next()?;
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let spaces = first.iter().filter(|&&c| c == b' ').count().min(2);
    let mut n = 20 + first.len() - spaces + 1;
    for l in lines {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let Some(colon) = l.iter().position(|&c| c == b':') else {
            continue;
        };
        let v = &l[colon + 1..];
        let lead = v.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        let v = &v[lead..];
        let trail = v
            .iter()
            .rev()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        // The H1 mux keeps `Connection` out of HTX (it becomes flags, and is written
        // back on output).
        if l[..colon].eq_ignore_ascii_case(b"connection") {
            continue;
        }
        n += colon + v.len() - trail;
    }
    Some(n)
}

/// `htx_head_size(head) - wire length of head`: what to add to wire byte counts.
pub fn htx_adjust(head: &[u8]) -> i64 {
    let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
        return 0;
    };
    htx_head_size(head).map_or(0, |h| h as i64 - (end + 4) as i64)
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn millis(t: SystemTime) -> u32 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_millis())
}

/// Identity fields of a syslog header.
#[derive(Debug, Clone, Copy)]
pub struct Ident<'a> {
    pub tag: &'a str,
    pub pid: u32,
    /// `log-send-hostname`.
    pub host: Option<&'a str>,
}

/// Writes the header of `fmt` for `facility`/`level` at `now` into `out`, as
/// `update_log_hdr()` and `__send_log()` build it.
pub fn header(
    out: &mut Vec<u8>,
    fmt: Hdr,
    facility: u8,
    level: u8,
    id: Ident<'_>,
    now: SystemTime,
) {
    let pri = u32::from(facility) * 8 + u32::from(level);
    let host = |out: &mut Vec<u8>| {
        if let Some(h) = id.host {
            out.extend_from_slice(h.as_bytes());
            out.push(b' ');
        }
    };
    match fmt {
        Hdr::Rfc3164 | Hdr::Local => {
            let _ = write!(out, "<{pri}>");
            date::syslog(now, out);
            out.push(b' ');
            if fmt == Hdr::Rfc3164 {
                host(out);
            }
            let _ = write!(out, "{}[{}]: ", id.tag, id.pid);
        }
        Hdr::Rfc5424 => {
            let _ = write!(out, "<{pri}>1 ");
            date::iso(now, out);
            out.push(b' ');
            out.extend_from_slice(id.host.unwrap_or("-").as_bytes());
            let _ = write!(out, " {} {} - ", id.tag, id.pid);
        }
        Hdr::Priority => {
            let _ = write!(out, "<{pri}>");
        }
        // Observed on 2.6: `short` and `timed` carry the level alone, no facility.
        Hdr::Short => {
            let _ = write!(out, "<{level}>");
        }
        Hdr::Timed => {
            let _ = write!(out, "<{level}>");
            date::iso(now, out);
            out.push(b' ');
        }
        Hdr::Iso => {
            date::iso(now, out);
            out.push(b' ');
        }
        Hdr::Raw => {}
    }
}

/// How one target frames its lines.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub fmt: Hdr,
    pub facility: u8,
    pub level: u8,
    /// `log … len`.
    pub maxlen: usize,
}

/// A complete datagram: header, message cut at `maxlen` bytes (`log … len`), then the
/// LF HAProxy always appends.
pub fn datagram(
    out: &mut Vec<u8>,
    f: Frame,
    id: Ident<'_>,
    now: SystemTime,
    sd: Option<&[u8]>,
    msg: &[u8],
) {
    out.clear();
    header(out, f.fmt, f.facility, f.level, id, now);
    if f.fmt == Hdr::Rfc5424 {
        match sd {
            Some(sd) => {
                out.extend_from_slice(sd);
                out.push(b' ');
            }
            None => out.extend_from_slice(b"- "),
        }
    }
    out.extend_from_slice(msg);
    out.truncate(f.maxlen);
    out.push(b'\n');
}

#[cfg(test)]
mod tests;
