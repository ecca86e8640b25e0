//! Cookie persistence, ported from HAProxy 2.6 `src/http_ana.c`:
//! `http_manage_client_side_cookies()` (request), `http_manage_server_side_cookies()` and
//! the insertion block of `http_process_res_common()` (response), and `srv_set_dyncookie()`
//! (`src/server.c`) for `dynamic` cookies.
//!
//! The header parsers keep HAProxy's pointer walk (att_beg / equal / val_beg / val_end /
//! next) as byte offsets, because the exact rewritten bytes — where spaces go, how a
//! removed cookie's delimiters are rejoined, when a header is dropped — are part of the
//! drop-in contract and only a faithful port reproduces them. Headers are borrowed and
//! copied only when a rewrite is needed ([`Cow`]).

use std::borrow::Cow;
use std::net::IpAddr;

/// The cookie mode (`rewrite`, `insert`, `prefix`, or none of them: passive, where HAProxy
/// only reads the server's own cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieMode {
    #[default]
    Passive,
    Insert,
    Rewrite,
    Prefix,
}

/// A backend's `cookie` settings, as HAProxy keeps them in `struct proxy` (`cookie_name`,
/// `ck_opts`, `cookie_domain`, `cookie_attrs`, `cookie_maxidle`, `cookie_maxlife`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieConfig {
    pub name: String,
    pub mode: CookieMode,
    pub indirect: bool,
    pub nocache: bool,
    pub postonly: bool,
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    /// Each `domain` in order; emitted as `; domain=a; domain=b`.
    pub domains: Vec<String>,
    /// Each `attr` in order; emitted as `; a; b`.
    pub attrs: Vec<String>,
    /// Seconds, 0 = off.
    pub maxidle: u32,
    /// Seconds, 0 = off.
    pub maxlife: u32,
    /// `dynamic`: servers without a `cookie` get one from [`dynamic_cookie`].
    pub dynamic: bool,
    /// `dynamic-cookie-key`.
    pub dynamic_key: Option<String>,
}

/// What the cookie logic needs to know of a backend's servers, in configuration order
/// (HAProxy walks `be->srv`, so the first matching server wins when several share a
/// cookie).
pub trait CookieServers {
    fn count(&self) -> usize;
    /// The server's cookie value (`cookie` keyword or dynamic), `None` when it has none.
    fn cookie(&self, i: usize) -> Option<&[u8]>;
    /// HAProxy's `cur_state != SRV_ST_STOPPED`: up, starting or draining servers count
    /// as running; down and maintenance (`disabled`) ones do not.
    fn running(&self, i: usize) -> bool;
}

impl CookieServers for [(Option<&[u8]>, bool)] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cookie(&self, i: usize) -> Option<&[u8]> {
        self[i].0
    }
    fn running(&self, i: usize) -> bool {
        self[i].1
    }
}

impl<const N: usize> CookieServers for [(Option<&[u8]>, bool); N] {
    fn count(&self) -> usize {
        N
    }
    fn cookie(&self, i: usize) -> Option<&[u8]> {
        self[i].0
    }
    fn running(&self, i: usize) -> bool {
        self[i].1
    }
}

/// The request-side cookie status (HAProxy's `TX_CK_*`), logged as the third character
/// of `%tsc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientCookie {
    /// `N`: no persistence cookie.
    #[default]
    None,
    /// `I`: a cookie naming no server (or an empty one).
    Invalid,
    /// `D`: a cookie for a down server (used only with `option persist`/`force-persist`).
    Down,
    /// `V`: a cookie for a running server, used.
    Valid,
    /// `E`: idle for longer than `maxidle` (or last-seen date too far in the future).
    Expired,
    /// `O`: older than `maxlife` (or first-seen date too far in the future).
    Old,
    /// `U`: present but not used (`ignore-persist`, `use-server`, or a server was already
    /// chosen by an earlier occurrence).
    Unused,
}

impl ClientCookie {
    pub fn log_char(self) -> u8 {
        b"NIDVEOU"[self as usize]
    }
}

/// The response-side cookie status (HAProxy's `TX_SCK_*`), logged as the fourth character
/// of `%tsc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerCookie {
    /// `N`: no persistence cookie from the server, none inserted.
    #[default]
    None,
    /// `P`: the server's cookie passed untouched.
    Found,
    /// `D`: the server's cookie was deleted.
    Deleted,
    /// `I`: a cookie was inserted.
    Inserted,
    /// `R`: the server's cookie was rewritten (`rewrite` or `prefix`).
    Replaced,
    /// `U`: an inserted cookie only refreshed its dates (same server).
    Updated,
}

impl ServerCookie {
    pub fn log_char(self) -> u8 {
        b"NPDIRU"[self as usize]
    }
    /// HAProxy tests `TX_SCK_FOUND` as a bit (0x100), which the codes 1, 3 and 5 all
    /// carry; kept so that the `preserve` test behaves identically.
    fn has_found_bit(self) -> bool {
        (self as u8) & 1 != 0
    }
}

/// The two cookie characters of `%tsc`: `--` when the backend has no `cookie`, and also
/// for a passive one without `indirect` (HAProxy tests `PR_CK_ANY`, which is the three
/// modes and `indirect`).
pub fn log_chars(cfg: Option<&CookieConfig>, ck: ClientCookie, sck: ServerCookie) -> [u8; 2] {
    match cfg {
        Some(c) if c.mode != CookieMode::Passive || c.indirect => [ck.log_char(), sck.log_char()],
        _ => *b"--",
    }
}

/// What to do with one header after processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Drop the whole header line.
    Remove,
    /// Replace the header's value with these bytes.
    Set(Vec<u8>),
}

/// Request-side inputs besides the headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestInput {
    /// `option persist`.
    pub persist: bool,
    /// A `force-persist` rule matched (`SF_FORCE_PRST`).
    pub force_persist: bool,
    /// An `ignore-persist` rule matched (`SF_IGNORE_PRST`).
    pub ignore_persist: bool,
    /// A server already chosen (`use-server`, which runs before the cookie analyser).
    pub assigned: Option<usize>,
    /// Wall-clock seconds since the epoch (HAProxy's `date.tv_sec`).
    pub now: u32,
}

/// Request-side result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOutcome {
    /// The server the cookie designates (`SF_DIRECT | SF_ASSIGNED`), possibly a down one
    /// with `option persist`/`force-persist`: connection errors then redispatch only with
    /// `option redispatch` and without `force-persist`, as in HAProxy.
    pub server: Option<usize>,
    pub status: ClientCookie,
    /// Dates decoded from the cookie (seconds, 4-second resolution, 0 = none), needed by
    /// the response side to decide whether to refresh the cookie.
    pub last_date: u32,
    pub first_date: u32,
    /// `(index in the Cookie headers given, edit)` for each header that changed.
    pub edits: Vec<(usize, HeaderEdit)>,
}

impl RequestOutcome {
    /// The stream left the cookie's server for another one (`option redispatch` after a
    /// connection failure): HAProxy's `assign_server_and_queue()` then turns a valid
    /// cookie into a down one for the log, and the response side must see `direct` false.
    pub fn redispatched(&mut self) {
        if self.status == ClientCookie::Valid {
            self.status = ClientCookie::Down;
        }
        self.server = None;
    }
}

fn is_spht(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `http_find_cookie_value_end()`: the first unquoted `,` or `;`.
fn cookie_value_end(b: &[u8], mut s: usize, e: usize) -> usize {
    let (mut quoted, mut qdpair) = (false, false);
    while s < e {
        let c = b[s];
        if qdpair {
            qdpair = false;
        } else if quoted {
            if c == b'\\' {
                qdpair = true;
            } else if c == b'"' {
                quoted = false;
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == b',' || c == b';' {
            return s;
        }
        s += 1;
    }
    s
}

/// `http_find_hdr_value_end()`: the first unquoted `,`.
fn hdr_value_end(b: &[u8], mut s: usize, e: usize) -> usize {
    let (mut quoted, mut qdpair) = (false, false);
    while s < e {
        let c = b[s];
        if qdpair {
            qdpair = false;
        } else if quoted {
            if c == b'\\' {
                qdpair = true;
            } else if c == b'"' {
                quoted = false;
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == b',' {
            return s;
        }
        s += 1;
    }
    s
}

/// `http_del_hdr_value()`: removes the value between `*from` (a delimiter or `start`)
/// and `next` (a delimiter or `end`), rejoining its neighbours with the delimiter found
/// at `next` and one space when there was room for it. Returns how many bytes went away.
/// The buffer is the header value up to `end`, followed by nothing else.
/// With `shrink` false the bytes are moved but the value keeps its length, its tail left
/// as it was: HAProxy's partial `Set-Cookie2` deletion never updates the block length.
fn del_hdr_value(
    buf: &mut Vec<u8>,
    start: usize,
    end: usize,
    from: &mut usize,
    next: usize,
    shrink: bool,
) -> usize {
    let mut prev = *from;
    let mut next = next;
    if prev == start {
        if next < end {
            next += 1;
        }
        while next < end && is_spht(buf[next]) {
            next += 1;
        }
    } else {
        while prev > 0 && is_spht(buf[prev - 1]) {
            prev -= 1;
        }
        *from = prev;
        if next < end {
            buf[prev] = buf[next];
            prev += 1;
            next += 1;
            if prev + 1 < next {
                buf[prev] = b' ';
                prev += 1;
            }
            while next < end && is_spht(buf[next]) {
                next += 1;
            }
        }
    }
    if shrink {
        buf.drain(prev..next);
    } else {
        buf.copy_within(next..end, prev);
    }
    next - prev
}

/// Strips the spaces around `=` as HAProxy does before using a cookie, shifting the
/// offsets that follow. Returns how many bytes went away.
fn strip_equal_spaces(
    buf: &mut Cow<'_, [u8]>,
    att_end: usize,
    equal: &mut usize,
    val_beg: &mut usize,
) -> usize {
    let mut stripped = 0;
    if att_end != *equal {
        let n = *equal - att_end;
        buf.to_mut().drain(att_end..*equal);
        *equal -= n;
        *val_beg -= n;
        stripped += n;
    }
    if *val_beg > *equal + 1 {
        let n = *val_beg - (*equal + 1);
        buf.to_mut().drain(*equal + 1..*val_beg);
        *val_beg -= n;
        stripped += n;
    }
    stripped
}

/// `b64tos30()`: five base64 characters (`A-Za-z0-9+/`, MSB first) to a 30-bit value;
/// negative on any other character (padding included).
pub fn b64tos30(s: &[u8]) -> i32 {
    if s.len() < 5 {
        return -1;
    }
    let mut out: i32 = 0;
    for &c in &s[..5] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return -1,
        };
        out = (out << 6) + i32::from(v);
    }
    out
}

/// `s30tob64()`: the low 30 bits of `v` as five base64 characters, MSB first.
pub fn s30tob64(v: u32) -> [u8; 5] {
    const TAB: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [0u8; 5];
    let mut v = v;
    for o in &mut out {
        *o = TAB[((v >> 24) & 0x3f) as usize];
        v <<= 6;
    }
    out
}

/// HAProxy's `(signed)(a - b)`: a 32-bit signed difference, wrapping like C.
fn sdiff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// Request side (`http_manage_client_side_cookies()`): looks for the persistence cookie in
/// every `Cookie` header value (each given whole, as HAProxy reads them without splitting
/// on commas), decides the server and computes the header rewrites: the cookie removed in
/// `insert indirect` mode, the `SRV~` prefix stripped in `prefix` mode, spaces around `=`
/// stripped wherever they occur, an emptied header dropped. Values must be given as
/// HAProxy's HTX holds them, leading and trailing blanks already trimmed, because the
/// offsets and the rejoining rules depend on it.
///
/// `use-server` must have run before (its result in `input.assigned`), as its analyser
/// precedes this one in HAProxy.
pub fn manage_request<S: CookieServers + ?Sized>(
    cfg: &CookieConfig,
    servers: &S,
    cookie_headers: &[&[u8]],
    input: &RequestInput,
) -> RequestOutcome {
    let name = cfg.name.as_bytes();
    let prefix = cfg.mode == CookieMode::Prefix;
    let ins_ind = cfg.mode == CookieMode::Insert && cfg.indirect;
    let mut out = RequestOutcome::default();
    let mut assigned = input.assigned;

    for (hidx, &hdr) in cookie_headers.iter().enumerate() {
        let mut buf: Cow<'_, [u8]> = Cow::Borrowed(hdr);
        let hdr_beg = 0usize;
        let mut hdr_end = hdr.len();
        let mut is_first = true;
        let mut del_from: Option<usize> = None;
        let mut preserve_hdr = false;
        let mut prev = hdr_beg;

        while prev < hdr_end {
            let mut att_beg = prev;
            if !is_first {
                att_beg += 1;
            }
            is_first = false;
            while att_beg < hdr_end && is_spht(buf[att_beg]) {
                att_beg += 1;
            }
            let mut equal = att_beg;
            let mut att_end = att_beg;
            while equal < hdr_end {
                let c = buf[equal];
                if c == b'=' || c == b',' || c == b';' {
                    break;
                }
                equal += 1;
                if is_spht(c) {
                    continue;
                }
                att_end = equal;
            }
            let (mut val_beg, mut val_end, mut next);
            if equal < hdr_end && buf[equal] == b'=' {
                val_beg = equal + 1;
                while val_beg < hdr_end && is_spht(buf[val_beg]) {
                    val_beg += 1;
                }
                next = cookie_value_end(&buf, val_beg, hdr_end);
                val_end = next;
                while val_end > val_beg && is_spht(buf[val_end - 1]) {
                    val_end -= 1;
                }
            } else {
                val_beg = equal;
                val_end = equal;
                next = equal;
            }

            // `$Version`-style attributes belong to the cookie before them: left alone,
            // they go with it if it is removed.
            if att_beg < hdr_end && buf[att_beg] == b'$' {
                prev = next;
                continue;
            }

            if equal == next {
                // No `=`: not ours, so the header must stay, but a pending removal can
                // still be done up to here.
                preserve_hdr = true;
                if let Some(mut df) = del_from.take() {
                    let d = del_hdr_value(buf.to_mut(), hdr_beg, hdr_end, &mut df, prev, true);
                    next -= d;
                    hdr_end -= d;
                }
                prev = next;
                continue;
            }

            if att_end != equal || val_beg > equal + 1 {
                let d = strip_equal_spaces(&mut buf, att_end, &mut equal, &mut val_beg);
                val_end -= d;
                next -= d;
                hdr_end -= d;
            }

            if att_end - att_beg == name.len() && &buf[att_beg..att_end] == name {
                let mut delim;
                if prefix {
                    delim = buf[val_beg..val_end]
                        .iter()
                        .position(|&c| c == b'~')
                        .map_or(val_end, |p| val_beg + p);
                } else {
                    delim = val_end;
                    if let Some(p) = buf[val_beg..val_end].iter().position(|&c| c == b'|') {
                        delim = val_beg + p;
                        let v1 = delim + 1;
                        if val_end - v1 >= 5 {
                            let v = b64tos30(&buf[v1..v1 + 5]);
                            if v > 0 {
                                out.last_date = (v as u32) << 2;
                            }
                        }
                        if let Some(p2) = buf[v1..val_end].iter().position(|&c| c == b'|') {
                            let b2 = v1 + p2;
                            if val_end - b2 > 5 {
                                let v = b64tos30(&buf[b2 + 1..b2 + 6]);
                                if v > 0 {
                                    out.first_date = (v as u32) << 2;
                                }
                            }
                        }
                    }
                }

                // Dates are checked at 4-second resolution; one more than a day in the
                // future is refused too, so that a clock fix does not expire everyone.
                let now = input.now;
                if out.first_date != 0
                    && cfg.maxlife != 0
                    && (sdiff(now, out.first_date) > cfg.maxlife as i32
                        || sdiff(out.first_date, now) > 86400)
                {
                    out.status = ClientCookie::Old;
                    delim = val_beg;
                    out.first_date = 0;
                    out.last_date = 0;
                } else if out.last_date != 0
                    && cfg.maxidle != 0
                    && (sdiff(now, out.last_date) > cfg.maxidle as i32
                        || sdiff(out.last_date, now) > 86400)
                {
                    out.status = ClientCookie::Expired;
                    delim = val_beg;
                    out.first_date = 0;
                    out.last_date = 0;
                }

                // An empty server part is never matched, so that a client that learned
                // the empty cookie of a cookie-less server does not stick to it.
                let mut found = None;
                if delim != val_beg && !input.ignore_persist && assigned.is_none() {
                    let want = &buf[val_beg..delim];
                    for i in 0..servers.count() {
                        if servers.cookie(i) != Some(want) {
                            continue;
                        }
                        let running = servers.running(i);
                        if running || input.persist || input.force_persist {
                            out.status = if running {
                                ClientCookie::Valid
                            } else {
                                ClientCookie::Down
                            };
                            found = Some(i);
                            break;
                        }
                        // Down: remembered, but another server may share the cookie.
                        out.status = ClientCookie::Down;
                    }
                }
                if let Some(i) = found {
                    assigned = Some(i);
                    out.server = Some(i);
                } else if out.status == ClientCookie::None {
                    // HAProxy tests `flags & (TX_CK_DOWN|TX_CK_EXPIRED|TX_CK_OLD)`, which
                    // covers every code but "none" (VALID is 0x60, INVALID 0x20): a status
                    // set by an earlier occurrence of the cookie is kept.
                    out.status = if input.ignore_persist || assigned.is_some() {
                        ClientCookie::Unused
                    } else {
                        ClientCookie::Invalid
                    };
                }

                if prefix && delim != val_end {
                    let n = delim + 1 - val_beg;
                    buf.to_mut().drain(val_beg..delim + 1);
                    next -= n;
                    hdr_end -= n;
                    del_from = None;
                    preserve_hdr = true;
                } else if del_from.is_none() && ins_ind {
                    del_from = Some(prev);
                }
            } else {
                preserve_hdr = true;
                if let Some(mut df) = del_from.take() {
                    let d = del_hdr_value(buf.to_mut(), hdr_beg, hdr_end, &mut df, prev, true);
                    next -= d;
                    hdr_end -= d;
                }
            }
            prev = next;
        }

        // A removal still pending at the end of the line cuts the line there, or drops
        // the header when nothing else in it had to be kept.
        if let Some(df) = del_from {
            hdr_end = if preserve_hdr { df } else { hdr_beg };
        }
        if hdr_end != hdr.len() {
            if hdr_end == hdr_beg {
                out.edits.push((hidx, HeaderEdit::Remove));
            } else {
                let mut v = buf.into_owned();
                v.truncate(hdr_end);
                out.edits.push((hidx, HeaderEdit::Set(v)));
            }
        }
    }
    out
}

/// Response-side inputs besides the headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseInput {
    /// The server that answered (`None`: no server, e.g. a dispatch address or an
    /// internally generated response).
    pub server: Option<usize>,
    /// `SF_DIRECT`: the server came from persistence (cookie, `use-server`) and was not
    /// redispatched since.
    pub direct: bool,
    /// An `ignore-persist` rule matched.
    pub ignore_persist: bool,
    /// The request method was POST (`postonly`).
    pub is_post: bool,
    pub status: u16,
    /// HAProxy's `TX_CACHEABLE` once the response was seen (see [`response_cacheable`]).
    pub cacheable: bool,
    /// Wall-clock seconds since the epoch.
    pub now: u32,
}

/// Response-side result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseOutcome {
    pub status: ServerCookie,
    /// A `Set-Cookie` or `Set-Cookie2` header was present (`TX_SCK_PRESENT`).
    pub present: bool,
    /// Edits of the `Set-Cookie` headers given, by index.
    pub edits: Vec<(usize, HeaderEdit)>,
    /// Edits of the `Set-Cookie2` headers given, by index.
    pub edits2: Vec<(usize, HeaderEdit)>,
    /// The value of a `Set-Cookie` header to append.
    pub insert: Option<Vec<u8>>,
    /// Append `Cache-control: private` after it (`nocache` on a cacheable response).
    pub cache_control_private: bool,
}

/// Appended after an inserted cookie by `nocache` (name and value as HAProxy adds them).
pub const NOCACHE_HEADER: (&str, &str) = ("Cache-control", "private");

/// Response side: `http_manage_server_side_cookies()` on the `Set-Cookie` then the
/// `Set-Cookie2` values, then the cookie insertion of `http_process_res_common()`.
/// `req` is the request side's outcome (for the cookie's dates). Interim responses
/// (1xx but 101) are left alone, as HAProxy only handles the final one. Values are
/// trimmed as for [`manage_request`]; the inserted line goes after every existing header,
/// followed by [`NOCACHE_HEADER`] when `cache_control_private` is set.
pub fn manage_response<S: CookieServers + ?Sized>(
    cfg: &CookieConfig,
    servers: &S,
    req: &RequestOutcome,
    set_cookie: &[&[u8]],
    set_cookie2: &[&[u8]],
    input: &ResponseInput,
) -> ResponseOutcome {
    let mut out = ResponseOutcome::default();
    if input.status < 200 && input.status != 101 {
        return out;
    }
    let srv = input.server.filter(|&i| i < servers.count());
    for (is_cookie2, list) in [(false, set_cookie), (true, set_cookie2)] {
        for (hidx, &hdr) in list.iter().enumerate() {
            out.present = true;
            let edit =
                server_side_header(cfg, servers, srv, input, is_cookie2, hdr, &mut out.status);
            if let Some(e) = edit {
                if is_cookie2 {
                    out.edits2.push((hidx, e));
                } else {
                    out.edits.push((hidx, e));
                }
            }
        }
    }

    let now = input.now;
    let (last, first) = (req.last_date, req.first_date);
    let Some(si) = srv else { return out };
    if cfg.mode != CookieMode::Insert
        || (out.status.has_found_bit() && cfg.preserve)
        || !(!input.direct
            || ((cfg.maxidle != 0 || last != 0)
                && (last == 0 || i64::from(last) - i64::from(now) < 0))
            || (cfg.maxlife != 0 && first == 0)
            || (cfg.maxlife == 0 && first != 0))
        || (cfg.postonly && !input.is_post)
        || input.ignore_persist
    {
        return out;
    }
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(cfg.name.as_bytes());
    let cookie = servers.cookie(si);
    match cookie {
        None => v.extend_from_slice(b"=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"),
        Some(c) => {
            v.push(b'=');
            v.extend_from_slice(c);
            if cfg.maxidle != 0 || cfg.maxlife != 0 {
                let stamp = now.wrapping_add(3) >> 2;
                v.push(b'|');
                v.extend_from_slice(&s30tob64(stamp));
                if cfg.maxlife != 0 {
                    v.push(b'|');
                    v.extend_from_slice(&s30tob64(if first != 0 { first >> 2 } else { stamp }));
                }
            }
            v.extend_from_slice(b"; path=/");
        }
    }
    for d in &cfg.domains {
        v.extend_from_slice(b"; domain=");
        v.extend_from_slice(d.as_bytes());
    }
    if cfg.httponly {
        v.extend_from_slice(b"; HttpOnly");
    }
    if cfg.secure {
        v.extend_from_slice(b"; Secure");
    }
    for a in &cfg.attrs {
        v.extend_from_slice(b"; ");
        v.extend_from_slice(a.as_bytes());
    }
    out.insert = Some(v);
    out.status = if cookie.is_some() && input.direct {
        ServerCookie::Updated
    } else {
        ServerCookie::Inserted
    };
    out.cache_control_private = cfg.nocache && input.cacheable;
    out
}

/// One `Set-Cookie`/`Set-Cookie2` value. A `Set-Cookie` holds one cookie (its attributes
/// may contain commas, e.g. `Expires`); a `Set-Cookie2` may hold several, comma-separated.
fn server_side_header<S: CookieServers + ?Sized>(
    cfg: &CookieConfig,
    servers: &S,
    srv: Option<usize>,
    input: &ResponseInput,
    is_cookie2: bool,
    hdr: &[u8],
    sck: &mut ServerCookie,
) -> Option<HeaderEdit> {
    let name = cfg.name.as_bytes();
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(hdr);
    let hdr_beg = 0usize;
    let mut hdr_end = hdr.len();
    let mut is_first = true;
    let mut prev = hdr_beg;
    while prev < hdr_end {
        let mut att_beg = prev;
        if !is_first {
            att_beg += 1;
        }
        is_first = false;
        while att_beg < hdr_end && is_spht(buf[att_beg]) {
            att_beg += 1;
        }
        let mut equal = att_beg;
        let mut att_end = att_beg;
        while equal < hdr_end {
            let c = buf[equal];
            if c == b'=' || c == b';' || (is_cookie2 && c == b',') {
                break;
            }
            equal += 1;
            if is_spht(c) {
                continue;
            }
            att_end = equal;
        }
        let (mut val_beg, mut val_end, mut next);
        if equal < hdr_end && buf[equal] == b'=' {
            val_beg = equal + 1;
            while val_beg < hdr_end && is_spht(buf[val_beg]) {
                val_beg += 1;
            }
            next = cookie_value_end(&buf, val_beg, hdr_end);
            val_end = next;
            while val_end > val_beg && is_spht(buf[val_end - 1]) {
                val_end -= 1;
            }
        } else {
            val_beg = equal;
            val_end = equal;
            next = equal;
        }
        if next < hdr_end {
            next = if is_cookie2 {
                hdr_value_end(&buf, next, hdr_end)
            } else {
                hdr_end
            };
        }
        if equal == val_end {
            prev = next;
            continue;
        }
        if att_end != equal || val_beg > equal + 1 {
            let d = strip_equal_spaces(&mut buf, att_end, &mut equal, &mut val_beg);
            val_end -= d;
            next -= d;
            hdr_end -= d;
            // Here HAProxy does set the value's length, dropping any stale tail.
            buf.to_mut().truncate(hdr_end);
        }

        if !input.ignore_persist
            && att_end - att_beg == name.len()
            && &buf[att_beg..att_end] == name
        {
            *sck = ServerCookie::Found;
            let cookie = srv.and_then(|i| servers.cookie(i));
            if cfg.preserve {
                // The server may end persistence itself (e.g. on logout).
            } else if (srv.is_some() && cfg.mode == CookieMode::Insert)
                || (input.direct && cfg.indirect)
            {
                if prev == hdr_beg && next == hdr_end {
                    *sck = ServerCookie::Deleted;
                    return Some(HeaderEdit::Remove);
                }
                let mut from = prev;
                let d = del_hdr_value(buf.to_mut(), hdr_beg, hdr_end, &mut from, next, false);
                next = from;
                hdr_end -= d;
                *sck = ServerCookie::Deleted;
            } else if let (Some(c), CookieMode::Rewrite) = (cookie, cfg.mode) {
                buf.to_mut().splice(val_beg..val_end, c.iter().copied());
                let (added, removed) = (c.len(), val_end - val_beg);
                next = next + added - removed;
                hdr_end = hdr_end + added - removed;
                *sck = ServerCookie::Replaced;
            } else if let (Some(c), CookieMode::Prefix) = (cookie, cfg.mode) {
                let ins = c.iter().copied().chain(std::iter::once(b'~'));
                buf.to_mut().splice(val_beg..val_beg, ins);
                next += c.len() + 1;
                hdr_end += c.len() + 1;
                *sck = ServerCookie::Replaced;
            }
        }
        prev = next;
    }
    match buf {
        Cow::Owned(v) => (v != hdr).then_some(HeaderEdit::Set(v)),
        Cow::Borrowed(_) => None,
    }
}

/// HAProxy's `TX_CACHEABLE` at the time cookies are inserted, as `nocache` needs it
/// (`http_wait_for_request()`, `http_wait_for_response()` and
/// `http_check_response_for_cacheability()` of 2.6.12): set for GET, HEAD, OPTIONS and
/// TRACE requests; kept only for the statuses cacheable by default (200, 203, 204, 206,
/// 300, 301, 404, 405, 410, 414, 501); a first `Pragma: no-cache` clears it; each
/// `Cache-Control` element in turn sets it (`public`) or clears it (`private`,
/// `no-cache`, `no-store`, `max-age=0`, `s-maxage=0`); and a response with neither
/// freshness (`max-age…`/`s-maxage…` element, `Expires`) nor validator (`ETag`,
/// `Last-Modified`) is not cacheable at all — so a plain response never gets the
/// `nocache` header. `headers` are the response's (name, value) pairs.
pub fn response_cacheable<'a>(
    method: &[u8],
    status: u16,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])> + Clone,
) -> bool {
    if status < 200 {
        return false;
    }
    let mut cacheable = matches!(method, b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE")
        && matches!(
            status,
            200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
        );
    let trim = |v: &'a [u8]| -> &'a [u8] {
        let s = v.iter().position(|c| !is_spht(*c)).unwrap_or(v.len());
        let e = v.iter().rposition(|c| !is_spht(*c)).map_or(s, |p| p + 1);
        &v[s..e]
    };
    let prefix = |v: &[u8], p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
    let has = |name: &[u8]| {
        headers
            .clone()
            .into_iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if let Some((_, v)) = headers
        .clone()
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"pragma"))
    {
        if trim(v).eq_ignore_ascii_case(b"no-cache") {
            return false;
        }
    }
    let mut fresh = false;
    for (n, v) in headers.clone() {
        if !n.eq_ignore_ascii_case(b"cache-control") {
            continue;
        }
        let mut s = 0;
        while s <= v.len() {
            let e = hdr_value_end(v, s, v.len());
            let el = trim(&v[s..e]);
            s = e + 1;
            if el.is_empty() {
                continue;
            }
            if el.eq_ignore_ascii_case(b"public") {
                cacheable = true;
            } else if [
                &b"private"[..],
                b"no-cache",
                b"no-store",
                b"max-age=0",
                b"s-maxage=0",
            ]
            .iter()
            .any(|w| el.eq_ignore_ascii_case(w))
            {
                cacheable = false;
            } else if prefix(el, b"no-cache=\"set-cookie") {
                // Only TX_CACHE_COOK, which `checkcache` uses.
            } else if prefix(el, b"s-maxage") || prefix(el, b"max-age") {
                fresh = true;
            }
        }
    }
    let fresh = fresh || has(b"expires");
    if !fresh && !has(b"etag") && !has(b"last-modified") {
        cacheable = false;
    }
    cacheable
}

/// `srv_set_dyncookie()`: the cookie of a server under `cookie … dynamic`, the XXH64 (seed
/// 0) of the key, the address bytes (network order) and the port as a big-endian 32-bit
/// number, written as 16 lowercase hex digits. Deterministic across load balancers so
/// that a farm of HAProxy nodes agrees on each server's cookie. `port` is HAProxy's
/// `svc_port`, which for a relative port (`+N`, `-N`, none) holds the offset as an
/// unsigned int.
pub fn dynamic_cookie(key: &[u8], ip: IpAddr, port: u32) -> String {
    let mut b = Vec::with_capacity(key.len() + 20);
    b.extend_from_slice(key);
    match ip {
        IpAddr::V4(a) => b.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => b.extend_from_slice(&a.octets()),
    }
    b.extend_from_slice(&port.to_be_bytes());
    format!("{:016x}", xxhash_rust::xxh64::xxh64(&b, 0))
}

#[cfg(test)]
#[path = "cookie_tests.rs"]
mod tests;
