//! HTTP/1 head parsing with HAProxy 2.6's acceptance rules (`h1_headers_to_hdr_list()`,
//! `h1_postparse_req_hdrs()`/`h1_postparse_res_hdrs()` and the HTX conversion limits).
//!
//! `httparse` is stricter than HAProxy in several places that clients rely on (DEL in the
//! URI, obsolete line folding, control bytes in values, several spaces in the request line)
//! and laxer in others (`#` in the URI), so the byte-level state machine is HAProxy's own;
//! only the semantics of the message are derived in a second pass over the header vector.

use super::{ErrKind, H1Error, Span};

/// Per-proxy parsing knobs, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOpts {
    /// `option accept-invalid-http-request` (frontend) or `-response` (backend): tolerate
    /// non-ASCII and `#` in the URI, any byte in header names, non-standard versions and
    /// HTTP/0.9 requests (converted to HTTP/1.0, as HAProxy does).
    pub accept_invalid: bool,
    /// `tune.bufsize`.
    pub bufsize: usize,
    /// `tune.maxrewrite`: reserved in the buffer for header rewrites, so not usable by the
    /// head itself.
    pub maxrewrite: usize,
    /// `tune.http.maxhdr`; one slot is HAProxy's end-of-list marker, so a message may carry
    /// `max_headers - 1` header lines.
    pub max_headers: usize,
}

impl Default for ParseOpts {
    fn default() -> Self {
        ParseOpts {
            accept_invalid: false,
            bufsize: 16384,
            maxrewrite: 1024,
            max_headers: 101,
        }
    }
}

/// `sizeof(struct htx)` in 2.6: the HTX message header that shares the buffer with the head.
const HTX_HDR: usize = 48;
/// An HTX block's fixed cost, and the start-line struct's.
const HTX_BLK: usize = 8;
const HTX_SL: usize = 20;
/// What `buf_room_for_htx_data()` leaves for raw input in an empty buffer: an incomplete head
/// larger than this can never complete (measured: 16320 with the default 16384 bufsize).
const IBUF_RESERVE: usize = 64;

impl ParseOpts {
    /// Raw bytes HAProxy reads before giving up on an incomplete head.
    pub fn max_raw(&self) -> usize {
        self.bufsize.saturating_sub(IBUF_RESERVE)
    }

    /// HTX bytes a complete head may use: the head is rejected when its HTX form (blocks
    /// of 8 bytes + name + value) does not fit below `bufsize - maxrewrite - sizeof(htx)`.
    fn htx_limit(&self) -> usize {
        self.bufsize
            .saturating_sub(self.maxrewrite)
            .saturating_sub(HTX_HDR)
    }
}

/// Result of a head parse that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The head is complete and `n` bytes long (leading empty lines included): the body, if
    /// any, starts at `buf[n..]`.
    Complete(usize),
    /// More bytes are needed; parse again from the start of the buffer once they arrive.
    Partial,
}

/// Request methods HAProxy knows by name (`find_http_meth()`: case-sensitive, so `get` is an
/// extension method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    Options,
    #[default]
    Get,
    Head,
    Post,
    Put,
    Delete,
    Trace,
    Connect,
    Other,
}

impl Method {
    pub fn from_bytes(m: &[u8]) -> Method {
        match m {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"CONNECT" => Method::Connect,
            _ => Method::Other,
        }
    }
}

/// HAProxy's `H1_MF_VER_11` view of a version: `HTTP/1.1` and above (`HTTP/2.0` too) are
/// 1.1, everything else (including `HTTP/1.10` and `HTTP/0.9` accepted by
/// `accept-invalid-http-*`) is 1.0 for keep-alive and framing decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    Http10,
    #[default]
    Http11,
}

/// Headers whose meaning the message layer uses; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HdrKind {
    #[default]
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
    Expect,
    SecWebSocketKey,
    SecWebSocketAccept,
}

/// One header line, as ranges of the parsed buffer. The value is trimmed as HAProxy trims it
/// (leading and trailing blanks) and, for `Content-Length`, reduced to the single cleaned
/// number HAProxy forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub name: Span,
    pub value: Span,
    pub kind: HdrKind,
    /// Not forwarded: a duplicate `Content-Length`/`Host`, a `Content-Length` beside
    /// `Transfer-Encoding`, a `Connection` left empty once `close`/`keep-alive` are removed,
    /// or framing headers of a response that cannot have a body.
    pub drop: bool,
    /// The value spans an obsolete line folding: its CR and LF bytes stand for spaces (HAProxy
    /// overwrites them in place). Read it through [`unfold`].
    pub folded: bool,
}

/// How the body of a message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// No body (no length on a request, HEAD, 1xx/204/304, CONNECT 2xx, 101).
    #[default]
    None,
    ContentLength(u64),
    Chunked,
    /// A response without length: the body ends when the server closes.
    UntilClose,
}

/// Tokens of the `Connection` headers (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnTokens {
    pub close: bool,
    pub keep_alive: bool,
    pub upgrade: bool,
}

/// A parsed request head. Reused across requests: `parse_request` clears it but keeps the
/// header vector's capacity.
#[derive(Debug, Clone, Default)]
pub struct ReqHead {
    pub method: Method,
    pub method_raw: Span,
    pub uri: Span,
    /// A part of the URI HAProxy's scheme-based normalisation removes when forwarding (a
    /// default or empty port of an `http`/`https` absolute URI); empty when none.
    pub uri_elide: Span,
    pub version: Version,
    /// The version as received; empty for an HTTP/0.9 request (forwarded as `HTTP/1.0`).
    pub version_raw: Span,
    pub headers: Vec<Header>,
    pub framing: Framing,
    pub conn: ConnTokens,
    /// `Expect: 100-continue`.
    pub expect_continue: bool,
    /// `Connection: upgrade` with `Upgrade: websocket`.
    pub websocket: bool,
    /// The authority of an absolute-form URI, or the target of CONNECT.
    pub authority: Option<Span>,
    /// Index of the `Host` header in `headers`.
    pub host: Option<usize>,
    /// HAProxy closes the client connection after this exchange: `Content-Length` together
    /// with `Transfer-Encoding` (a smuggling attempt), or a chunked HTTP/1.0 request.
    pub close_client: bool,
    /// The server connection is not kept either (chunked HTTP/1.0 request).
    pub close_server: bool,
    /// Bytes of leading empty lines skipped before the request line.
    pub skipped: usize,
    pub head_len: usize,
    /// First byte `accept_invalid` tolerated, for `show errors`.
    pub tolerated_at: Option<usize>,
}

/// A parsed response head; reused like [`ReqHead`].
#[derive(Debug, Clone, Default)]
pub struct RespHead {
    pub version: Version,
    pub version_raw: Span,
    pub status: u16,
    pub status_raw: Span,
    pub reason: Span,
    pub headers: Vec<Header>,
    pub framing: Framing,
    pub conn: ConnTokens,
    /// After this response both sides are a raw tunnel (CONNECT 2xx, 101).
    pub tunnel: bool,
    pub ws_accept: bool,
    /// `Content-Length` together with `Transfer-Encoding`: HAProxy forwards it chunked but
    /// does not reuse that server connection.
    pub close_server: bool,
    pub skipped: usize,
    pub head_len: usize,
    pub tolerated_at: Option<usize>,
}

impl RespHead {
    /// 1xx other than 101: another response head follows on the same request.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

impl ReqHead {
    pub fn header_value<'a>(&self, buf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        find_value(&self.headers, buf, name)
    }
}

impl RespHead {
    pub fn header_value<'a>(&self, buf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        find_value(&self.headers, buf, name)
    }
}

fn find_value<'a>(hs: &[Header], buf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    hs.iter()
        .find(|h| !h.drop && h.name.get(buf).eq_ignore_ascii_case(name))
        .map(|h| h.value.get(buf))
}

/// A header value with obsolete line folding undone the way HAProxy does it (CR and LF become
/// spaces); borrowed unless the header was folded.
pub fn unfold<'a>(buf: &'a [u8], h: &Header) -> std::borrow::Cow<'a, [u8]> {
    let v = h.value.get(buf);
    if h.folded {
        std::borrow::Cow::Owned(
            v.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// The HTTP/2 connection preface: HAProxy switches an H1 listener to H2 when a client opens
/// with it, so the engine checks this before treating `PRI * HTTP/2.0` as a request.
pub fn is_h2_preface(buf: &[u8]) -> bool {
    buf.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
}

/// RFC 7230 `tchar` (HAProxy's `HTTP_IS_TOKEN`).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_spht(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_crlf(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// HAProxy's `HTTP_IS_LWS`: trimming also eats the CR/LF left inside folded values.
fn is_lws(b: u8) -> bool {
    is_spht(b) || is_crlf(b)
}

fn is_ver_token(b: u8) -> bool {
    b.is_ascii_digit() || b"HTP/.".contains(&b)
}

/// Internal parse outcome: `Ok(None)` is "need more bytes".
type Step<T> = Result<Option<T>, H1Error>;

struct Ctx<'o> {
    opts: &'o ParseOpts,
    status: u16,
    tolerated: Option<usize>,
}

impl Ctx<'_> {
    fn err(&self, pos: usize, kind: ErrKind) -> H1Error {
        H1Error::new(self.status, pos, kind)
    }

    /// A byte HAProxy refuses unless `accept-invalid-http-*` is set.
    fn tolerate(&mut self, pos: usize) -> Result<(), H1Error> {
        if !self.opts.accept_invalid {
            return Err(self.err(pos, ErrKind::InvalidChar));
        }
        self.tolerated.get_or_insert(pos);
        Ok(())
    }
}

/// Consumes one line ending at `pos` (CRLF or bare LF); the position after it.
fn eol(buf: &[u8], pos: usize, cx: &Ctx) -> Step<usize> {
    match buf.get(pos) {
        None => Ok(None),
        Some(b'\n') => Ok(Some(pos + 1)),
        Some(b'\r') => match buf.get(pos + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(pos + 2)),
            Some(_) => Err(cx.err(pos + 1, ErrKind::InvalidChar)),
        },
        Some(_) => Err(cx.err(pos, ErrKind::InvalidChar)),
    }
}

/// Skips the empty lines HAProxy tolerates before a start line.
fn skip_empty_lines(buf: &[u8], cx: &Ctx) -> Step<usize> {
    let mut pos = 0;
    loop {
        match buf.get(pos) {
            None => return Ok(None),
            Some(&b) if is_crlf(b) => match eol(buf, pos, cx)? {
                Some(p) => pos = p,
                None => return Ok(None),
            },
            Some(_) => return Ok(Some(pos)),
        }
    }
}

fn skip_spht(buf: &[u8], mut pos: usize) -> Option<usize> {
    while pos < buf.len() && is_spht(buf[pos]) {
        pos += 1;
    }
    (pos < buf.len()).then_some(pos)
}

/// Parses header lines from `pos` up to and including the empty line; the end of the head.
fn parse_headers(
    buf: &[u8],
    mut pos: usize,
    cx: &mut Ctx,
    out: &mut Vec<Header>,
    max_headers: usize,
) -> Step<usize> {
    let mut first = true;
    loop {
        let Some(&c) = buf.get(pos) else {
            return Ok(None);
        };
        if is_crlf(c) {
            return eol(buf, pos, cx);
        }
        if first && is_spht(c) {
            // Folding needs a previous header to continue.
            return Err(cx.err(pos, ErrKind::InvalidChar));
        }
        first = false;
        let name_start = pos;
        loop {
            let Some(&b) = buf.get(pos) else {
                return Ok(None);
            };
            if b == b':' {
                break;
            }
            if !is_token(b) {
                if b == b'\n' || b == b'\r' {
                    return Err(cx.err(pos, ErrKind::InvalidChar));
                }
                cx.tolerate(pos)?;
            }
            pos += 1;
        }
        if pos == name_start {
            return Err(cx.err(pos, ErrKind::InvalidChar));
        }
        let name = Span::new(name_start, pos);
        pos += 1;
        let mut folded = false;
        // Leading blanks, possibly across folded lines ("X:\r\n b" is "b").
        let val_start = loop {
            let Some(p) = skip_spht(buf, pos) else {
                return Ok(None);
            };
            if !is_crlf(buf[p]) {
                break p;
            }
            let Some(next) = eol(buf, p, cx)? else {
                return Ok(None);
            };
            match buf.get(next) {
                None => return Ok(None),
                Some(&b) if is_spht(b) => {
                    folded = true;
                    pos = next;
                }
                Some(_) => break p,
            }
        };
        pos = val_start;
        let line_end = loop {
            while pos < buf.len() && !is_crlf(buf[pos]) {
                pos += 1;
            }
            let e = pos;
            let Some(next) = eol(buf, pos, cx)? else {
                return Ok(None);
            };
            match buf.get(next) {
                None => return Ok(None),
                Some(&b) if is_spht(b) => {
                    folded = true;
                    pos = next;
                }
                Some(_) => {
                    pos = next;
                    break e;
                }
            }
        };
        let mut val_end = line_end.max(val_start);
        while val_end > val_start && is_lws(buf[val_end - 1]) {
            val_end -= 1;
        }
        if out.len() + 1 >= max_headers {
            return Err(cx.err(name_start, ErrKind::TooManyHeaders));
        }
        out.push(Header {
            name,
            value: Span::new(val_start, val_end),
            kind: HdrKind::Other,
            drop: false,
            folded: folded && buf[val_start..val_end].iter().any(|&b| is_crlf(b)),
        });
    }
}

/// The trailer block of a chunked body, parsed like headers (`H1_MF_HDRS_ONLY`).
pub(crate) fn parse_trailers(
    buf: &[u8],
    pos: usize,
    opts: &ParseOpts,
    status: u16,
    out: &mut Vec<Header>,
) -> Step<usize> {
    let mut cx = Ctx {
        opts,
        status,
        tolerated: None,
    };
    parse_headers(buf, pos, &mut cx, out, opts.max_headers)
}

/// `h1_process_req_vsn()`/`h1_process_res_vsn()`: exactly `HTTP/d.d` unless tolerated.
fn check_version(v: &[u8], pos: usize, cx: &mut Ctx) -> Result<(), H1Error> {
    let ok = v.len() == 8
        && v.starts_with(b"HTTP/")
        && v[5].is_ascii_digit()
        && v[6] == b'.'
        && v[7].is_ascii_digit();
    if ok {
        return Ok(());
    }
    if cx.opts.accept_invalid {
        cx.tolerated.get_or_insert(pos);
        return Ok(());
    }
    Err(cx.err(pos, ErrKind::Version))
}

fn version_of(v: &[u8]) -> Version {
    if v.len() == 8 && (v[5] > b'1' || (v[5] == b'1' && v[7] >= b'1')) {
        Version::Http11
    } else {
        Version::Http10
    }
}

/// The HTX size of the head, which must stay below [`ParseOpts::htx_limit`].
fn htx_cost(sl: usize, headers: &[Header]) -> usize {
    HTX_BLK
        + HTX_SL
        + sl
        + headers
            .iter()
            .filter(|h| !h.drop)
            .map(|h| HTX_BLK + h.name.len() + h.value.len())
            .sum::<usize>()
        + HTX_BLK
}

/// Splits a comma-separated header value into trimmed tokens (commas inside quoted strings
/// do not split, as in `http_find_hdr_value_end()`); each item is `(token, end)` where `end`
/// is the position of the comma or the end of the value, both relative to `v`.
pub(crate) fn tokens(v: &[u8]) -> impl Iterator<Item = (std::ops::Range<usize>, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < v.len() && (is_lws(v[pos]) || v[pos] == b',') {
            pos += 1;
        }
        if pos >= v.len() {
            return None;
        }
        let start = pos;
        let mut quoted = false;
        while pos < v.len() {
            match v[pos] {
                b'"' => quoted = !quoted,
                b'\\' if quoted => pos += 1,
                b',' if !quoted => break,
                _ => {}
            }
            pos += 1;
        }
        let end = pos.min(v.len());
        let mut tend = end;
        while tend > start && is_lws(v[tend - 1]) {
            tend -= 1;
        }
        Some((start..tend, end))
    })
}

/// `http_find_hdr_value_end()`: the next comma outside a quoted string.
fn value_end(v: &[u8], mut pos: usize) -> usize {
    let mut quoted = false;
    while pos < v.len() {
        match v[pos] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => pos += 1,
            b',' if !quoted => return pos,
            _ => {}
        }
        pos += 1;
    }
    v.len()
}

/// `h1_parse_connection_header()` with `H1_MF_CLEAN_CONN_HDR`: the value without its
/// `close`/`keep-alive` tokens, rebuilt as HAProxy rewrites it in place (the original bytes
/// while nothing was removed, then tokens joined by a bare comma). Appends it to `out` when
/// given; returns its length (0: the header disappears).
pub(crate) fn clean_connection(v: &[u8], mut out: Option<&mut Vec<u8>>) -> usize {
    let base = out.as_ref().map_or(0, |o| o.len());
    let (mut p, mut len) = (0usize, 0usize);
    let mut w = 0usize;
    while w < v.len() {
        if is_lws(v[w]) {
            w += 1;
            continue;
        }
        let n = value_end(v, w);
        let mut wl = n - w;
        while wl > 0 && is_lws(v[w + wl - 1]) {
            wl -= 1;
        }
        let word = &v[w..w + wl];
        if !(word.eq_ignore_ascii_case(b"keep-alive") || word.eq_ignore_ascii_case(b"close")) {
            if len == p {
                // Nothing rewritten so far: keep the original bytes up to this token.
                if let Some(o) = out.as_mut() {
                    o.truncate(base);
                    o.extend_from_slice(&v[..n]);
                }
                len = n;
            } else {
                if len > 0 {
                    if let Some(o) = out.as_mut() {
                        o.push(b',');
                    }
                    len += 1;
                }
                if let Some(o) = out.as_mut() {
                    o.extend_from_slice(word);
                }
                len += wl;
            }
        }
        p = n;
        w = n + 1;
    }
    len
}

/// `h1_parse_cont_len_header()`: every comma-separated value must be a number equal to the
/// others (and to previous headers'); returns the value and the range of its last digits.
fn parse_cl(v: &[u8], prev: Option<u64>) -> Option<(u64, std::ops::Range<usize>)> {
    let mut found: Option<(u64, std::ops::Range<usize>)> = None;
    let mut pos = 0;
    while pos < v.len() {
        if is_lws(v[pos]) {
            pos += 1;
            continue;
        }
        let start = pos;
        let mut n: u64 = 0;
        while pos < v.len() && v[pos].is_ascii_digit() {
            n = n.checked_mul(10)?.checked_add(u64::from(v[pos] - b'0'))?;
            pos += 1;
        }
        if pos == start || n > i64::MAX as u64 {
            // Stored as a signed long long by HAProxy: 2^63 is refused.
            return None;
        }
        let digits = start..pos;
        while pos < v.len() && is_lws(v[pos]) {
            pos += 1;
        }
        if pos < v.len() {
            if v[pos] != b',' {
                return None;
            }
            pos += 1;
            // "3," and "3,,3": a comma must be followed by another value.
            let rest = &v[pos..];
            match rest.iter().position(|&b| !is_lws(b)) {
                Some(i) if rest[i] != b',' => {}
                _ => return None,
            }
        }
        if let Some(p) = prev.or(found.as_ref().map(|f| f.0)) {
            if p != n {
                return None;
            }
        }
        found = Some((n, digits));
    }
    found
}

fn host_port(h: &[u8]) -> Option<(&[u8], &[u8])> {
    // "[::1]:80" keeps the brackets in the host part.
    let colon = h.iter().rposition(|&b| b == b':')?;
    if h.contains(&b']') && h.iter().rposition(|&b| b == b']')? > colon {
        return None;
    }
    Some((&h[..colon], &h[colon + 1..]))
}

/// The default port of a scheme, for HAProxy's scheme-based normalisation.
fn default_port(scheme: &[u8]) -> Option<&'static [u8]> {
    if scheme.eq_ignore_ascii_case(b"http") {
        Some(b"80")
    } else if scheme.eq_ignore_ascii_case(b"https") {
        Some(b"443")
    } else {
        None
    }
}

/// The host without a port that is empty or the default one for `scheme`.
fn strip_default_port<'a>(h: &'a [u8], scheme: &[u8]) -> &'a [u8] {
    match (host_port(h), default_port(scheme)) {
        (Some((host, port)), Some(d)) if port.is_empty() || port == d => host,
        _ => h,
    }
}

/// A CONNECT target on port 80 or 443 also matches a Host with the same name and no port
/// or an empty one (reg-test http-messaging/h1_host_normalization: `CONNECT hostname:80`
/// with `host: hostname` or `host: hostname:` is accepted by haproxy 2.6.12).
fn connect_host_matches(target: &[u8], host: &[u8]) -> bool {
    let Some((th, tp)) = host_port(target) else {
        return false;
    };
    if tp != b"80" && tp != b"443" {
        return false;
    }
    let (hh, hp) = host_port(host).unwrap_or((host, b""));
    (hp.is_empty() || hp == tp) && th.eq_ignore_ascii_case(hh)
}

fn same_authority(auth: &[u8], host: &[u8], scheme: &[u8]) -> bool {
    auth.eq_ignore_ascii_case(host)
        || strip_default_port(auth, scheme).eq_ignore_ascii_case(strip_default_port(host, scheme))
}

/// Facts collected from the header list, common to requests and responses.
#[derive(Default)]
struct Facts {
    cl: Option<u64>,
    te: bool,
    te_chunked: bool,
    te_other: bool,
    te_twice: bool,
    te_bad_order: bool,
    had_cl_with_te: bool,
    conn: ConnTokens,
    upgrade_ws: bool,
    expect_continue: bool,
    ws_key: bool,
    ws_accept: bool,
    host: Option<usize>,
    host_conflict: Option<usize>,
}

fn classify(name: &[u8]) -> HdrKind {
    const KINDS: &[(&[u8], HdrKind)] = &[
        (b"host", HdrKind::Host),
        (b"content-length", HdrKind::ContentLength),
        (b"transfer-encoding", HdrKind::TransferEncoding),
        (b"connection", HdrKind::Connection),
        (b"upgrade", HdrKind::Upgrade),
        (b"expect", HdrKind::Expect),
        (b"sec-websocket-key", HdrKind::SecWebSocketKey),
        (b"sec-websocket-accept", HdrKind::SecWebSocketAccept),
    ];
    KINDS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(HdrKind::Other, |(_, k)| *k)
}

/// The second pass: header kinds, framing headers, `Connection` tokens, duplicates.
fn collect(buf: &[u8], hs: &mut [Header], cx: &Ctx) -> Result<Facts, H1Error> {
    let mut f = Facts::default();
    for i in 0..hs.len() {
        let h = hs[i];
        let kind = classify(h.name.get(buf));
        hs[i].kind = kind;
        let v = h.value.get(buf);
        match kind {
            HdrKind::ContentLength => {
                if f.te {
                    f.had_cl_with_te = true;
                    hs[i].drop = true;
                    // Still validated: a bad value is refused even when TE wins.
                }
                let Some((n, digits)) = parse_cl(v, f.cl) else {
                    return Err(cx.err(h.value.start as usize, ErrKind::ContentLength));
                };
                if f.cl.is_some() {
                    hs[i].drop = true;
                } else {
                    hs[i].value = Span::new(
                        h.value.start as usize + digits.start,
                        h.value.start as usize + digits.end,
                    );
                }
                f.cl = Some(n);
            }
            HdrKind::TransferEncoding => {
                if !f.te {
                    for prev in hs[..i].iter_mut() {
                        if prev.kind == HdrKind::ContentLength {
                            prev.drop = true;
                            f.had_cl_with_te = true;
                        }
                    }
                }
                f.te = true;
                for (t, _) in tokens(v) {
                    if v[t].eq_ignore_ascii_case(b"chunked") {
                        if f.te_chunked {
                            f.te_twice = true;
                        }
                        f.te_chunked = true;
                    } else {
                        if f.te_chunked {
                            f.te_bad_order = true;
                        }
                        f.te_other = true;
                    }
                }
            }
            HdrKind::Connection => {
                for (t, _) in tokens(v) {
                    let t = &v[t];
                    if t.eq_ignore_ascii_case(b"close") {
                        f.conn.close = true;
                    } else if t.eq_ignore_ascii_case(b"keep-alive") {
                        f.conn.keep_alive = true;
                    } else if t.eq_ignore_ascii_case(b"upgrade") {
                        f.conn.upgrade = true;
                    }
                }
                hs[i].drop = clean_connection(v, None) == 0;
            }
            HdrKind::Host => match f.host {
                None => f.host = Some(i),
                Some(first) => {
                    if v.eq_ignore_ascii_case(hs[first].value.get(buf)) {
                        hs[i].drop = true;
                    } else {
                        f.host_conflict.get_or_insert(h.name.start as usize);
                    }
                }
            },
            HdrKind::Upgrade => {
                if tokens(v).any(|(t, _)| {
                    let t = &v[t];
                    // "websocket/13" style product versions still name WebSocket.
                    let p = t.split(|&b| b == b'/').next().unwrap_or(t);
                    p.eq_ignore_ascii_case(b"websocket")
                }) {
                    f.upgrade_ws = true;
                }
            }
            HdrKind::Expect => {
                if v.eq_ignore_ascii_case(b"100-continue") {
                    f.expect_continue = true;
                }
            }
            HdrKind::SecWebSocketKey => f.ws_key = true,
            HdrKind::SecWebSocketAccept => f.ws_accept = true,
            HdrKind::Other => {}
        }
    }
    Ok(f)
}

/// Parses a request head from the start of `buf` (which may hold more: body bytes,
/// pipelined requests). HAProxy answers every error with 400, except a request
/// `Transfer-Encoding` applying codings before `chunked` (422).
pub fn parse_request(buf: &[u8], opts: &ParseOpts, out: &mut ReqHead) -> Result<Status, H1Error> {
    let mut headers = std::mem::take(&mut out.headers);
    headers.clear();
    *out = ReqHead {
        headers,
        ..ReqHead::default()
    };
    let window = &buf[..buf.len().min(opts.max_raw())];
    let mut cx = Ctx {
        opts,
        status: 400,
        tolerated: None,
    };
    let r = parse_request_in(window, &mut cx, out);
    out.tolerated_at = cx.tolerated;
    match r? {
        Some(n) => Ok(Status::Complete(n)),
        None if window.len() >= opts.max_raw() => Err(cx.err(window.len(), ErrKind::TooLarge)),
        None => Ok(Status::Partial),
    }
}

fn parse_request_in(buf: &[u8], cx: &mut Ctx, out: &mut ReqHead) -> Step<usize> {
    let Some(start) = skip_empty_lines(buf, cx)? else {
        return Ok(None);
    };
    out.skipped = start;
    let mut pos = start;
    if !is_token(buf[pos]) {
        return Err(cx.err(pos, ErrKind::InvalidChar));
    }
    while pos < buf.len() && is_token(buf[pos]) {
        pos += 1;
    }
    let Some(&c) = buf.get(pos) else {
        return Ok(None);
    };
    out.method_raw = Span::new(start, pos);
    out.method = Method::from_bytes(&buf[start..pos]);
    // HTTP/0.9 shapes leave the URI and/or the version empty.
    let mut uri = Span::new(pos, pos);
    let mut ver = Span::new(pos, pos);
    if is_spht(c) {
        let Some(p) = skip_spht(buf, pos) else {
            return Ok(None);
        };
        pos = p;
        if !is_crlf(buf[pos]) {
            let u0 = pos;
            loop {
                let Some(&b) = buf.get(pos) else {
                    return Ok(None);
                };
                match b {
                    b'#' => cx.tolerate(pos)?,
                    33..=127 => {}
                    b' ' | b'\t' | b'\r' | b'\n' => break,
                    128..=255 => cx.tolerate(pos)?,
                    _ => return Err(cx.err(pos, ErrKind::InvalidChar)),
                }
                pos += 1;
            }
            uri = Span::new(u0, pos);
            ver = Span::new(pos, pos);
            if is_spht(buf[pos]) {
                let Some(p) = skip_spht(buf, pos) else {
                    return Ok(None);
                };
                pos = p;
                let v0 = pos;
                if !is_crlf(buf[pos]) {
                    loop {
                        let Some(&b) = buf.get(pos) else {
                            return Ok(None);
                        };
                        if is_crlf(b) {
                            break;
                        }
                        if !is_ver_token(b) {
                            return Err(cx.err(pos, ErrKind::InvalidChar));
                        }
                        pos += 1;
                    }
                }
                ver = Span::new(v0, pos);
            }
        }
    } else if !is_crlf(c) {
        return Err(cx.err(pos, ErrKind::InvalidChar));
    }
    let Some(hdr_start) = eol(buf, pos, cx)? else {
        return Ok(None);
    };
    out.uri = uri;
    out.version_raw = ver;
    let v = ver.get(buf);
    if v.is_empty() && cx.opts.accept_invalid {
        // RFC 1945: only GET, with a URI, existed in HTTP/0.9.
        if out.method != Method::Get || uri.is_empty() {
            return Err(cx.err(ver.start as usize, ErrKind::Version));
        }
        cx.tolerated.get_or_insert(ver.start as usize);
        out.version = Version::Http10;
    } else {
        check_version(v, ver.start as usize, cx)?;
        out.version = version_of(v);
    }
    let Some(end) = parse_headers(buf, hdr_start, cx, &mut out.headers, cx.opts.max_headers)?
    else {
        return Ok(None);
    };
    out.head_len = end;
    finish_request(buf, cx, out)?;
    let sl = out.method_raw.len() + out.uri.len() + v.len().max(8 * usize::from(v.is_empty()));
    if htx_cost(sl, &out.headers) >= cx.opts.htx_limit() {
        return Err(cx.err(end, ErrKind::TooLarge));
    }
    Ok(Some(end))
}

fn finish_request(buf: &[u8], cx: &Ctx, out: &mut ReqHead) -> Result<(), H1Error> {
    let f = collect(buf, &mut out.headers, cx)?;
    if let Some(pos) = f.host_conflict {
        return Err(cx.err(pos, ErrKind::Host));
    }
    let head_pos = out.method_raw.start as usize;
    if f.te {
        if f.te_twice || f.te_bad_order || !f.te_chunked {
            return Err(cx.err(head_pos, ErrKind::TransferEncoding));
        }
        if f.te_other {
            return Err(H1Error::new(422, head_pos, ErrKind::TransferEncoding));
        }
        out.framing = Framing::Chunked;
        out.close_client = f.had_cl_with_te;
        if out.version == Version::Http10 {
            out.close_client = true;
            out.close_server = true;
        }
    } else if let Some(n) = f.cl {
        out.framing = Framing::ContentLength(n);
    }
    out.conn = f.conn;
    out.expect_continue = f.expect_continue;
    out.websocket = f.conn.upgrade && f.upgrade_ws;
    if out.websocket && !f.ws_key {
        return Err(cx.err(head_pos, ErrKind::WebSocket));
    }
    out.host = f.host;
    authority(buf, cx, out)
}

/// Absolute-form and CONNECT targets: the authority must agree with `Host`, and default
/// ports are dropped from what is forwarded (HAProxy's scheme-based normalisation).
fn authority(buf: &[u8], cx: &Ctx, out: &mut ReqHead) -> Result<(), H1Error> {
    let u = out.uri.get(buf);
    let u0 = out.uri.start as usize;
    let (scheme, auth) = if out.method == Method::Connect {
        match host_port(u) {
            Some((h, p)) if !h.is_empty() && !p.is_empty() => {}
            _ => return Err(cx.err(u0, ErrKind::ConnectTarget)),
        }
        (&b""[..], 0..u.len())
    } else {
        if u.first().is_none_or(|&b| !b.is_ascii_alphabetic()) {
            return Ok(());
        }
        let s_end = u
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
            .unwrap_or(u.len());
        if !u[s_end..].starts_with(b"://") {
            return Ok(());
        }
        let a0 = s_end + 3;
        let a1 = u[a0..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(u.len(), |i| a0 + i);
        // Userinfo is not part of the authority compared with Host.
        let a0 = u[a0..a1]
            .iter()
            .rposition(|&b| b == b'@')
            .map_or(a0, |i| a0 + i + 1);
        (&u[..s_end], a0..a1)
    };
    let a = &u[auth.clone()];
    out.authority = Some(Span::new(u0 + auth.start, u0 + auth.end));
    if let Some(hi) = out.host {
        let hv = out.headers[hi].value.get(buf);
        let ok = if out.method == Method::Connect {
            a.eq_ignore_ascii_case(hv) || connect_host_matches(a, hv)
        } else {
            same_authority(a, hv, scheme)
        };
        if !ok {
            return Err(cx.err(out.headers[hi].name.start as usize, ErrKind::Host));
        }
    }
    // Normalisation: a default (or empty) port goes from the URI (not from a CONNECT
    // target, which needs it) and from the Host header.
    let (port_default, elide) = if out.method == Method::Connect {
        let (_, p) = host_port(a).unwrap_or((a, b""));
        (p == b"80" || p == b"443", None)
    } else {
        match (host_port(a), default_port(scheme)) {
            (Some((h, p)), Some(d)) if p.is_empty() || p == d => {
                let s = u0 + auth.start + h.len();
                (true, Some(Span::new(s, u0 + auth.end)))
            }
            _ => (false, None),
        }
    };
    if let Some(e) = elide {
        out.uri_elide = e;
    }
    if port_default {
        for h in out.headers.iter_mut() {
            if h.kind != HdrKind::Host || h.drop {
                continue;
            }
            let hv = h.value.get(buf);
            if let Some((host, p)) = host_port(hv) {
                // A CONNECT keeps an empty Host port as sent (checked against 2.6.12).
                let empty_kept = p.is_empty() && out.method == Method::Connect;
                if !empty_kept && (p.is_empty() || p == b"80" || p == b"443") {
                    h.value.end = h.value.start + host.len() as u32;
                }
            }
        }
    }
    Ok(())
}

/// Parses a response head. `req_method` decides whether a body can follow (HEAD, CONNECT).
/// Every error is a 502 for the client.
pub fn parse_response(
    buf: &[u8],
    req_method: Method,
    opts: &ParseOpts,
    out: &mut RespHead,
) -> Result<Status, H1Error> {
    let mut headers = std::mem::take(&mut out.headers);
    headers.clear();
    *out = RespHead {
        headers,
        ..RespHead::default()
    };
    let window = &buf[..buf.len().min(opts.max_raw())];
    let mut cx = Ctx {
        opts,
        status: 502,
        tolerated: None,
    };
    let r = parse_response_in(window, req_method, &mut cx, out);
    out.tolerated_at = cx.tolerated;
    match r? {
        Some(n) => Ok(Status::Complete(n)),
        None if window.len() >= opts.max_raw() => Err(cx.err(window.len(), ErrKind::TooLarge)),
        None => Ok(Status::Partial),
    }
}

fn parse_response_in(
    buf: &[u8],
    req_method: Method,
    cx: &mut Ctx,
    out: &mut RespHead,
) -> Step<usize> {
    let Some(start) = skip_empty_lines(buf, cx)? else {
        return Ok(None);
    };
    out.skipped = start;
    let mut pos = start;
    loop {
        let Some(&b) = buf.get(pos) else {
            return Ok(None);
        };
        if is_spht(b) {
            break;
        }
        if !is_ver_token(b) {
            return Err(cx.err(pos, ErrKind::InvalidChar));
        }
        pos += 1;
    }
    let ver = Span::new(start, pos);
    let Some(p) = skip_spht(buf, pos) else {
        return Ok(None);
    };
    pos = p;
    let c0 = pos;
    let mut status: u32 = 0;
    loop {
        let Some(&b) = buf.get(pos) else {
            return Ok(None);
        };
        if is_spht(b) || is_crlf(b) {
            break;
        }
        if !b.is_ascii_digit() {
            return Err(cx.err(pos, ErrKind::Status));
        }
        status = (status * 10 + u32::from(b - b'0')).min(u32::from(u16::MAX));
        pos += 1;
    }
    if pos == c0 {
        return Err(cx.err(pos, ErrKind::Status));
    }
    out.status_raw = Span::new(c0, pos);
    out.status = status as u16;
    if is_spht(buf[pos]) {
        let Some(p) = skip_spht(buf, pos) else {
            return Ok(None);
        };
        pos = p;
    }
    let r0 = pos;
    while pos < buf.len() && !is_crlf(buf[pos]) {
        pos += 1;
    }
    out.reason = Span::new(r0, pos);
    let Some(hdr_start) = eol(buf, pos, cx)? else {
        return Ok(None);
    };
    let v = ver.get(buf);
    check_version(v, start, cx)?;
    out.version_raw = ver;
    out.version = version_of(v);
    let Some(end) = parse_headers(buf, hdr_start, cx, &mut out.headers, cx.opts.max_headers)?
    else {
        return Ok(None);
    };
    out.head_len = end;
    finish_response(buf, req_method, cx, out)?;
    let sl = v.len() + out.status_raw.len() + out.reason.len();
    if htx_cost(sl, &out.headers) >= cx.opts.htx_limit() {
        return Err(cx.err(end, ErrKind::TooLarge));
    }
    Ok(Some(end))
}

fn finish_response(
    buf: &[u8],
    req_method: Method,
    cx: &Ctx,
    out: &mut RespHead,
) -> Result<(), H1Error> {
    let f = collect(buf, &mut out.headers, cx)?;
    let pos = out.version_raw.start as usize;
    // Responses may only be chunked, once: other codings cannot be re-framed by HAProxy.
    if f.te && (f.te_other || f.te_twice || !f.te_chunked) {
        return Err(cx.err(pos, ErrKind::TransferEncoding));
    }
    out.conn = f.conn;
    out.ws_accept = f.ws_accept;
    out.close_server = f.had_cl_with_te;
    let st = out.status;
    if st < 200 || st == 204 {
        // No body can follow; HAProxy does not forward the framing headers either.
        for h in out.headers.iter_mut() {
            if matches!(h.kind, HdrKind::ContentLength | HdrKind::TransferEncoding) {
                h.drop = true;
            }
        }
    }
    out.tunnel = st == 101 || (req_method == Method::Connect && (200..300).contains(&st));
    out.framing = if req_method == Method::Head || st < 200 || st == 204 || st == 304 || out.tunnel
    {
        Framing::None
    } else if f.te {
        Framing::Chunked
    } else if let Some(n) = f.cl {
        Framing::ContentLength(n)
    } else {
        Framing::UntilClose
    };
    Ok(())
}

/// HAProxy's checks across the exchange: a 101 must answer an upgrade request, and a
/// WebSocket one must carry `Sec-WebSocket-Accept` (both 502 otherwise).
pub fn validate_upgrade(req: &ReqHead, resp: &RespHead) -> Result<(), H1Error> {
    if resp.status != 101 {
        return Ok(());
    }
    let pos = resp.status_raw.start as usize;
    if !req.conn.upgrade {
        return Err(H1Error::new(502, pos, ErrKind::WebSocket));
    }
    if req.websocket && !resp.ws_accept {
        return Err(H1Error::new(502, pos, ErrKind::WebSocket));
    }
    Ok(())
}
