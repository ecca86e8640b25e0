//! Heads as HAProxy 2.6's H1 mux writes them (`h1_format_htx_reqline()`,
//! `h1_format_htx_stline()`, `h1_format_htx_hdr()`, `h1_process_mux()`).
//!
//! HAProxy never forwards the received bytes of a head: it rebuilds them from HTX, so the
//! peer sees single spaces in the start line, `HTTP/1.1` for any version ≥ 1.1, lower-case
//! header names (unless `h1-case-adjust` applies), `name: value` spacing, one cleaned
//! `Content-Length`, `Connection` without `close`/`keep-alive`, and the connection-mode
//! header (if any) appended as a separate `connection:` line after every other header.

use std::io::Write as _;
use std::net::IpAddr;

use super::h1::{clean_connection, HdrKind, Header, ReqHead, RespHead, Version};
use super::Span;

/// `h1-case-adjust <from> <to>` entries: the spelling some broken peers require, applied
/// to outgoing header names when `option h1-case-adjust-bogus-client/server` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseMap {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl CaseMap {
    pub fn new() -> CaseMap {
        CaseMap::default()
    }

    /// Adds one mapping; `to` must be `from` with a different case (HAProxy checks it).
    pub fn insert(&mut self, to: &[u8]) {
        let from = to.to_ascii_lowercase();
        self.entries.retain(|(f, _)| *f != from);
        self.entries.push((from, to.to_vec()));
    }

    fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
            .map(|(_, t)| t.as_slice())
    }
}

/// The connection-mode token HAProxy appends (see [`super::conn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnHdr {
    #[default]
    None,
    KeepAlive,
    Close,
}

/// Changes to a head on its way out, composed by the engine from `option forwardfor`,
/// `option originalto`, `http-request/response` rules and the connection mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeadEdits<'a> {
    /// Header names removed (case-insensitive), before additions.
    pub del: &'a [&'a [u8]],
    /// Headers appended after the message's own, in this order (names lower-cased like
    /// HTX does, unless `case` maps them).
    pub add: &'a [(&'a [u8], &'a [u8])],
    pub conn: ConnHdr,
    /// Set when `option h1-case-adjust-bogus-*` applies to this side.
    pub case: Option<&'a CaseMap>,
    /// In-place changes by position in the head's header list: a new value, or `None` to
    /// remove the line (cookie persistence rewrites `Cookie`/`Set-Cookie` where they are).
    pub replace: &'a [(usize, Option<&'a [u8]>)],
    /// A new start line from `http-request set-method/set-uri…` (method, URI) or
    /// `http-response set-status` (status code text, reason).
    pub start: Option<(&'a [u8], &'a [u8])>,
}

/// A whole message the proxy made itself (a `return`, an error page) with the names of
/// its head's headers spelled per `case`, as HAProxy's H1 mux writes every outgoing head;
/// `None` when no name changes.
pub fn adjust_case(msg: &[u8], case: &CaseMap) -> Option<Vec<u8>> {
    let head_end = msg.windows(4).position(|w| w == b"\r\n\r\n")? + 2;
    let mut out: Option<Vec<u8>> = None;
    let mut pos = msg.iter().position(|&b| b == b'\n')? + 1;
    while pos < head_end {
        let end = msg[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(head_end, |i| pos + i + 1);
        let line = &msg[pos..end];
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            if let Some(to) = case.get(&line[..colon]) {
                let o = out.get_or_insert_with(|| msg.to_vec());
                o[pos..pos + colon].copy_from_slice(to);
            }
        }
        pos = end;
    }
    out
}

fn write_name(name: &[u8], case: Option<&CaseMap>, out: &mut Vec<u8>) {
    match case.and_then(|c| c.get(name)) {
        Some(t) => out.extend_from_slice(t),
        None => out.extend(name.iter().map(u8::to_ascii_lowercase)),
    }
}

/// One `name: value\r\n` line of a parsed header (folding undone, CR/LF → space).
pub(crate) fn header_line(buf: &[u8], h: &Header, case: Option<&CaseMap>, out: &mut Vec<u8>) {
    write_name(h.name.get(buf), case, out);
    out.extend_from_slice(b": ");
    let v = h.value.get(buf);
    if h.folded {
        out.extend(
            v.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        out.extend_from_slice(v);
    }
    out.extend_from_slice(b"\r\n");
}

/// A request's `TE` header as HAProxy forwards it (`http_parse_req_te()`): of its
/// comma-separated elements, leading blanks stripped, only an exact `trailers` survives
/// (HTTP/2 semantics, which HAProxy applies to every request); nothing left, no header.
fn te_trailers_only(v: &[u8]) -> bool {
    v.split(|&b| b == b',')
        .any(|e| e.trim_ascii_start() == b"trailers")
}

fn write_headers(
    buf: &[u8],
    headers: &[Header],
    edits: &HeadEdits,
    request: bool,
    out: &mut Vec<u8>,
) {
    for (pos, h) in headers.iter().enumerate().filter(|(_, h)| !h.drop) {
        let name = h.name.get(buf);
        if edits.del.iter().any(|d| d.eq_ignore_ascii_case(name)) {
            continue;
        }
        if request && name.eq_ignore_ascii_case(b"te") {
            if te_trailers_only(h.value.get(buf)) {
                write_name(name, edits.case, out);
                out.extend_from_slice(b": trailers\r\n");
            }
            continue;
        }
        if let Some((_, new)) = edits.replace.iter().find(|(p, _)| *p == pos) {
            if let Some(v) = new {
                write_name(name, edits.case, out);
                out.extend_from_slice(b": ");
                out.extend_from_slice(v);
                out.extend_from_slice(b"\r\n");
            }
            continue;
        }
        if h.kind == HdrKind::Connection {
            let mark = out.len();
            write_name(name, edits.case, out);
            out.extend_from_slice(b": ");
            if clean_connection(h.value.get(buf), Some(out)) == 0 {
                out.truncate(mark);
            } else {
                out.extend_from_slice(b"\r\n");
            }
            continue;
        }
        header_line(buf, h, edits.case, out);
    }
    for (n, v) in edits.add {
        write_name(n, edits.case, out);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    let token: &[u8] = match edits.conn {
        ConnHdr::None => b"",
        ConnHdr::KeepAlive => b"keep-alive",
        ConnHdr::Close => b"close",
    };
    if !token.is_empty() {
        write_name(b"connection", edits.case, out);
        out.extend_from_slice(b": ");
        out.extend_from_slice(token);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn write_version(buf: &[u8], v: Version, raw: Span, out: &mut Vec<u8>) {
    if v == Version::Http11 {
        out.extend_from_slice(b"HTTP/1.1");
    } else if raw.is_empty() {
        // HTTP/0.9 accepted by accept-invalid-http-request goes out as 1.0.
        out.extend_from_slice(b"HTTP/1.0");
    } else {
        out.extend_from_slice(raw.get(buf));
    }
}

/// Appends the request head for the server to `out`. `buf` is the buffer `req` was parsed
/// from.
pub fn write_request(buf: &[u8], req: &ReqHead, edits: &HeadEdits, out: &mut Vec<u8>) {
    let (u, e) = (req.uri, req.uri_elide);
    if let Some((m, uri)) = edits.start {
        out.extend_from_slice(m);
        out.push(b' ');
        out.extend_from_slice(uri);
    } else {
        out.extend_from_slice(req.method_raw.get(buf));
        out.push(b' ');
        if e.is_empty() {
            out.extend_from_slice(u.get(buf));
        } else {
            out.extend_from_slice(Span { end: e.start, ..u }.get(buf));
            out.extend_from_slice(Span { start: e.end, ..u }.get(buf));
        }
    }
    out.push(b' ');
    write_version(buf, req.version, req.version_raw, out);
    out.extend_from_slice(b"\r\n");
    write_headers(buf, &req.headers, edits, true, out);
}

/// Appends the response head for the client to `out`. The reason phrase is kept as the
/// server sent it, even empty (`HTTP/1.1 200 \r\n`).
pub fn write_response(buf: &[u8], resp: &RespHead, edits: &HeadEdits, out: &mut Vec<u8>) {
    write_version(buf, resp.version, resp.version_raw, out);
    out.push(b' ');
    match edits.start {
        Some((st, reason)) => {
            out.extend_from_slice(st);
            out.push(b' ');
            out.extend_from_slice(reason);
        }
        None => {
            out.extend_from_slice(resp.status_raw.get(buf));
            out.push(b' ');
            out.extend_from_slice(resp.reason.get(buf));
        }
    }
    out.extend_from_slice(b"\r\n");
    write_headers(buf, &resp.headers, edits, false, out);
}

/// `option forwardfor [except <net>] [header <name>] [if-none]` and `option originalto
/// [except <net>] [header <name>]`: a header carrying an address, added at the end of the
/// request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardFor {
    /// Lower-case header name.
    pub header: Vec<u8>,
    /// No header for addresses in this network (address, prefix length).
    pub except: Option<(IpAddr, u8)>,
    /// Only when the request has no such header yet (`forwardfor` only).
    pub if_none: bool,
}

impl ForwardFor {
    pub fn x_forwarded_for() -> ForwardFor {
        ForwardFor {
            header: b"x-forwarded-for".to_vec(),
            except: None,
            if_none: false,
        }
    }

    pub fn x_original_to() -> ForwardFor {
        ForwardFor {
            header: b"x-original-to".to_vec(),
            except: None,
            if_none: false,
        }
    }

    /// Writes the value for `addr` (the client's source for `forwardfor`, the address it
    /// connected to for `originalto`) into `scratch`; false when HAProxy adds nothing.
    pub fn value(&self, addr: IpAddr, req: &ReqHead, buf: &[u8], scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        if let Some((net, bits)) = self.except {
            if in_net(addr, net, bits) {
                return false;
            }
        }
        if self.if_none && req.header_value(buf, &self.header).is_some() {
            return false;
        }
        let _ = write!(scratch, "{addr}");
        true
    }
}

fn in_net(a: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = u32::MAX
                .checked_shl(32 - u32::from(bits.min(32)))
                .unwrap_or(0);
            u32::from(a) & m == u32::from(n) & m
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(bits.min(128)))
                .unwrap_or(0);
            u128::from(a) & m == u128::from(n) & m
        }
        _ => false,
    }
}

#[cfg(test)]
mod te_tests {
    /// Checked against haproxy 2.6.12 (reg-test http-messaging/http_transfer_encoding).
    #[test]
    fn te_keeps_only_exact_trailers() {
        for (v, keep) in [
            (&b"trailers"[..], true),
            (b"trailers, gzip", true),
            (b"gzip, trailers", true),
            (b"trailers,trailers", true),
            (b"gzip", false),
            (b"trailers;q=0.5", false),
            (b"TRAILERS", false),
            (b"trailers , gzip", false),
        ] {
            assert_eq!(
                super::te_trailers_only(v),
                keep,
                "{}",
                String::from_utf8_lossy(v)
            );
        }
    }
}
