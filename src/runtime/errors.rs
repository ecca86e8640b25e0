//! HAProxy's error messages and their overrides: `errorfile`, `errorloc*`, `errorfiles` and
//! `http-errors` sections, as the stream layer sends them (`http_error_message()`,
//! `http_reply_to_htx()` in `src/http_ana.c`) and the H1 multiplexer writes them
//! (`h1_process_mux()` in `src/mux_h1.c`).
//!
//! HAProxy turns every error message, built-in or loaded from a file, into an HTX message
//! once at start-up (`http_str_to_htx()`): status line and headers parsed, header names
//! lower-cased, the payload kept as is. When it is sent, the H1 multiplexer rewrites it like
//! any response: `Connection` tokens `close`/`keep-alive` are removed (the header goes if
//! nothing is left) and a `connection` header is appended according to the connection mode,
//! which the message itself may turn to close (a `close` token, or no announced length).
//! That is why the built-in 400 and 408 pages, whose source text has `Connection: close`,
//! come out with a trailing `connection: close` and close the connection, while the other
//! pages keep it alive. Both the built-in pages and the files go through the same code here,
//! so what is sent is what HAProxy sends, byte for byte.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::http_return::{ConnHdr, Reply};
use super::pages;
use crate::config::sections::http_errors::HTTP_ERR_CODES;
use crate::model::proxy::ErrorDirective;
use crate::model::rules::ReplyBody;
use crate::model::sections::HttpErrors;
use crate::model::Proxy;
use crate::sample::fetch::Txn;

/// An error message as HAProxy holds it after `http_str_to_htx()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrMsg {
    /// The status code as a number (HAProxy's `sl->info.res.status`).
    pub status: u16,
    /// Version, code and reason exactly as written in the message.
    vsn: String,
    code: String,
    reason: String,
    /// `HTTP/1.1` or later (`H1_MF_VER_11`): written as `HTTP/1.1`, and decides whether a
    /// `connection: close` can be announced.
    ver11: bool,
    /// The payload length is known (`HTX_SL_F_XFER_LEN`: a Content-Length, or 204/304).
    xfer_len: bool,
    /// Header names lower-cased (HTX), values as parsed (blanks around them trimmed).
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What a status maps to: a message, or an empty file (HAProxy sends nothing at all and
/// closes: that is how `errorfile 400 /dev/null` silences an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Msg(Arc<ErrMsg>),
    Empty,
}

/// What a proxy maps a status to: an error message, or an `http-error` reply built from
/// its words (`HTTP_REPLY_RAW`/`_LOGFMT`, evaluated per request).
#[derive(Debug, Clone)]
pub enum Slot {
    Page(Page),
    Reply(Arc<Reply>),
}

impl Slot {
    /// The slot's reply for request `req`.
    pub fn render(&self, t: &mut Txn<'_>, head_only: bool, conn: ConnHdr) -> Rendered {
        match self {
            Slot::Page(p) => p.render(head_only, conn),
            Slot::Reply(r) => r.send(t, head_only, conn, None, None),
        }
    }
}

/// A reply ready for the wire, and whether the client connection must close after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub close: bool,
}

/// Parses a raw error message the way `http_str_to_htx()` does. `Ok(None)`: empty input.
/// The configuration checker already reported HAProxy's messages for broken files; the
/// errors here only guard the runtime.
pub fn parse_message(raw: &[u8]) -> Result<Option<ErrMsg>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let (head_end, body_start) = find_head_end(raw).ok_or("incomplete message head")?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| "non-UTF-8 message head")?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    let (vsn, rest) = first.split_once([' ', '\t']).ok_or("bad status line")?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let code_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if vsn.len() != 8 || !vsn.starts_with("HTTP/") || code_len == 0 {
        return Err("bad status line".into());
    }
    let (code, reason) = rest.split_at(code_len);
    let reason = reason.trim_start_matches([' ', '\t']);
    let status: u16 = code.parse().map_err(|_| "bad status code")?;
    let v = vsn.as_bytes();
    let ver11 = v[5] > b'1' || (v[5] == b'1' && v[7] >= b'1');
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut clen: Option<u64> = None;
    for l in lines.filter(|l| !l.is_empty()) {
        let (n, val) = l.split_once(':').ok_or("bad header line")?;
        let name = n.to_ascii_lowercase();
        let val = val.trim_matches([' ', '\t']).to_string();
        if name == "transfer-encoding" && val.to_ascii_lowercase().contains("chunked") {
            return Err("chunk-encoded payload not supported".into());
        }
        let mut val = val;
        if name == "content-length" {
            // h1_parse_cont_len_header(): a list of equal values is kept as one, and the
            // H1 parser indexes one header (equal duplicates are dropped).
            let mut l: Option<u64> = None;
            for w in val.split(',') {
                let n: u64 = w.trim().parse().map_err(|_| "bad content-length")?;
                if l.is_some_and(|l| l != n) || clen.is_some_and(|c| c != n) {
                    return Err("conflicting content-length".into());
                }
                l = Some(n);
            }
            if clen.is_some() {
                continue;
            }
            clen = l;
            val = l.map(|l| l.to_string()).unwrap_or_default();
        }
        headers.push((name, val));
    }
    let bodyless = status == 204 || status == 304;
    Ok(Some(ErrMsg {
        status,
        vsn: vsn.to_string(),
        code: code.to_string(),
        reason: reason.to_string(),
        ver11,
        xfer_len: bodyless || clen.is_some(),
        headers,
        body: raw[body_start..].to_vec(),
    }))
}

/// End of the head (before the empty line) and start of the payload; bare LFs are
/// accepted like HAProxy's H1 parser does.
fn find_head_end(raw: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(p) = raw[i..].iter().position(|&c| c == b'\n') {
        let lf = i + p;
        let next = lf + 1;
        if raw.get(next) == Some(&b'\n') {
            return Some((lf, next + 1));
        }
        if raw.get(next) == Some(&b'\r') && raw.get(next + 1) == Some(&b'\n') {
            return Some((lf, next + 2));
        }
        i = next;
    }
    None
}

/// The `Connection` value the H1 multiplexer keeps once `close` and `keep-alive` are
/// removed (`h1_parse_connection_header()` with `H1_MF_CLEAN_CONN_HDR`), and which of
/// those two tokens were seen.
fn clean_connection(v: &str) -> (String, bool, bool) {
    let (mut close, mut kal) = (false, false);
    let mut out = String::new();
    // Until a token is removed, the value is kept as written up to the current word.
    let mut rewritten = false;
    let mut end = 0;
    for seg in v.split(',') {
        end += seg.len();
        let w = seg.trim_matches([' ', '\t']);
        if w.eq_ignore_ascii_case("close") {
            close = true;
            rewritten = true;
        } else if w.eq_ignore_ascii_case("keep-alive") {
            kal = true;
            rewritten = true;
        } else if !w.is_empty() {
            if !rewritten {
                out = v[..end].to_string();
            } else {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(w);
            }
        }
        end += 1;
    }
    (out, close, kal)
}

impl ErrMsg {
    /// The message as the H1 multiplexer writes it to a client. `conn` is the connection
    /// mode the exchange had before the message (see [`ConnHdr`]); `head_only` drops the
    /// payload (HEAD requests). `option httpclose` is taken as part of `conn`: HAProxy would
    /// let a message's own `Connection: keep-alive` keep the connection, not modelled here.
    pub fn render(&self, head_only: bool, conn: ConnHdr) -> Rendered {
        let mut s = String::with_capacity(128 + self.headers.len() * 32);
        s.push_str(if self.ver11 { "HTTP/1.1" } else { &self.vsn });
        s.push(' ');
        s.push_str(&self.code);
        s.push(' ');
        s.push_str(&self.reason);
        s.push_str("\r\n");
        let (mut msg_close, mut upgrade) = (false, false);
        for (n, v) in &self.headers {
            let mut v = v.as_str();
            let cleaned;
            match n.as_str() {
                "content-length" | "transfer-encoding"
                    if self.status < 200 || self.status == 204 =>
                {
                    continue
                }
                "connection" => {
                    let (val, close, _kal) = clean_connection(v);
                    msg_close |= close;
                    upgrade |= val
                        .split(',')
                        .any(|w| w.trim().eq_ignore_ascii_case("upgrade"));
                    if val.is_empty() {
                        continue;
                    }
                    cleaned = val;
                    v = &cleaned;
                }
                _ => {}
            }
            s.push_str(n);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        // h1_set_cli_conn_mode(): a keep-alive exchange closes when the message has no
        // known length or says `close`.
        let close = conn == ConnHdr::Close || !self.xfer_len || msg_close;
        // h1_update_res_conn_value(), not applied with an `Upgrade` token.
        if !upgrade {
            if close {
                if self.ver11 {
                    s.push_str("connection: close\r\n");
                }
            } else if !self.ver11 || conn == ConnHdr::KeepAlive {
                s.push_str("connection: keep-alive\r\n");
            }
        }
        s.push_str("\r\n");
        let mut bytes = s.into_bytes();
        if !head_only && self.status != 204 && self.status != 304 {
            bytes.extend_from_slice(&self.body);
        }
        Rendered { bytes, close }
    }
}

impl Page {
    pub fn render(&self, head_only: bool, conn: ConnHdr) -> Rendered {
        match self {
            Page::Msg(m) => m.render(head_only, conn),
            Page::Empty => Rendered {
                bytes: Vec::new(),
                close: true,
            },
        }
    }
}

/// HAProxy's `http_get_status_idx()`: the slot of a status, unknown ones sharing 500's.
fn slot(status: u16) -> usize {
    HTTP_ERR_CODES
        .iter()
        .position(|&c| c == status)
        .or_else(|| HTTP_ERR_CODES.iter().position(|&c| c == 500))
        .expect("500 is an error code")
}

/// The built-in message of a status (`http_err_replies[]`), parsed from the very text of
/// `http_err_msgs[]`.
pub fn builtin(status: u16) -> &'static Arc<ErrMsg> {
    static BUILTIN: OnceLock<Vec<Arc<ErrMsg>>> = OnceLock::new();
    let all = BUILTIN.get_or_init(|| {
        HTTP_ERR_CODES
            .iter()
            .map(|&c| {
                let raw = pages::raw_message(c);
                Arc::new(
                    parse_message(&raw)
                        .expect("built-in pages parse")
                        .expect("built-in pages are not empty"),
                )
            })
            .collect()
    });
    &all[slot(status)]
}

/// A proxy's overrides (`px->replies[]` after `proxy_check_errors()`), one per status of
/// `http_err_codes[]`; `None` falls back to the next proxy, then to the built-in page.
#[derive(Debug, Clone, Default)]
pub struct ErrorTable {
    slots: Vec<Option<Slot>>,
}

/// Loads error files once per path, as HAProxy's `http_error_messages` tree does.
#[derive(Default)]
pub struct Loader {
    cache: HashMap<String, Option<Page>>,
    bufsize: usize,
}

impl Loader {
    pub fn new(bufsize: usize) -> Loader {
        Loader {
            cache: HashMap::new(),
            bufsize,
        }
    }

    /// The page of file `path` (`http_load_errorfile()`: at most `tune.bufsize` bytes are
    /// read). `None` when it cannot be used; the reason goes to `warnings`.
    pub fn file(&mut self, path: &str, warnings: &mut Vec<String>) -> Option<Page> {
        if let Some(p) = self.cache.get(path) {
            return p.clone();
        }
        let page = match std::fs::read(path) {
            Ok(mut data) => {
                if self.bufsize > 0 {
                    data.truncate(self.bufsize);
                }
                match parse_message(&data) {
                    Ok(Some(m)) => Some(Page::Msg(Arc::new(m))),
                    Ok(None) => Some(Page::Empty),
                    Err(e) => {
                        warnings.push(format!("error file '{path}' cannot be used ({e}); HAProxy's built-in page is sent instead"));
                        None
                    }
                }
            }
            Err(e) => {
                warnings.push(format!("error file '{path}' cannot be read ({e}); HAProxy's built-in page is sent instead"));
                None
            }
        };
        self.cache.insert(path.to_string(), page.clone());
        page
    }

    /// `http_parse_errorloc()`: a 302/303 redirect to `url` with an empty payload.
    pub fn location(code: u16, url: &str) -> Page {
        let head = if code == 303 {
            "HTTP/1.1 303 See Other\r\n"
        } else {
            "HTTP/1.1 302 Found\r\n"
        };
        let raw = format!(
            "{head}Cache-Control: no-cache\r\nContent-length: 0\r\nLocation: {url}\r\n\r\n"
        );
        match parse_message(raw.as_bytes()) {
            Ok(Some(m)) => Page::Msg(Arc::new(m)),
            // A URL breaking the head (a CR or LF in it) cannot come from a config word.
            _ => Page::Empty,
        }
    }

    /// The page of status `status` in section `sec`, if it declares one.
    pub fn section(
        &mut self,
        sec: &HttpErrors,
        status: u16,
        warnings: &mut Vec<String>,
    ) -> Option<Page> {
        let (_, path, _) = sec.files.iter().find(|(s, _, _)| *s == status)?;
        self.file(path, warnings)
    }
}

impl ErrorTable {
    /// `proxy_check_errors()`: the proxy's `errorfile`, `errorloc*`, `errorfiles` and
    /// `http-error` lines (those of its defaults section first, as HAProxy copies them),
    /// later ones winning.
    pub fn compile(
        px: &Proxy,
        sections: &[HttpErrors],
        loader: &mut Loader,
        warnings: &mut Vec<String>,
    ) -> ErrorTable {
        let mut slots: Vec<Option<Slot>> = vec![None; HTTP_ERR_CODES.len()];
        let from_section = |slots: &mut Vec<Option<Slot>>,
                            name: &str,
                            only: &[u16],
                            loader: &mut Loader,
                            warnings: &mut Vec<String>| {
            // An unknown section is refused by the configuration checker.
            let Some(sec) = sections.iter().find(|s| s.name == name) else {
                return;
            };
            for &code in HTTP_ERR_CODES {
                if !only.is_empty() && !only.contains(&code) {
                    continue;
                }
                if let Some(p) = loader.section(sec, code, warnings) {
                    slots[slot(code)] = Some(Slot::Page(p));
                }
            }
        };
        for (d, at) in &px.settings.errors {
            match d {
                ErrorDirective::File { status, path } => {
                    if let Some(p) = loader.file(path, warnings) {
                        slots[slot(*status)] = Some(Slot::Page(p));
                    }
                }
                ErrorDirective::Loc { status, code, url } => {
                    slots[slot(*status)] = Some(Slot::Page(Loader::location(*code, url)));
                }
                ErrorDirective::Files { name, statuses } => {
                    from_section(&mut slots, name, statuses, loader, warnings);
                }
                ErrorDirective::Reply { status, reply, .. } => {
                    let Some(r) = reply else {
                        warnings.push(format!("[{at}] : this http-error reply is not served by the haproxy-rs runtime; HAProxy's default page is sent instead"));
                        continue;
                    };
                    match &r.body {
                        // "To rely on default replies, just don't reference a reply."
                        ReplyBody::DefaultErrorFiles => slots[slot(*status)] = None,
                        ReplyBody::ErrorFiles(name) => {
                            from_section(&mut slots, name, &[*status], loader, warnings);
                        }
                        ReplyBody::ErrorFile(path) => {
                            if let Some(p) = loader.file(path, warnings) {
                                slots[slot(*status)] = Some(Slot::Page(p));
                            }
                        }
                        _ => {
                            let mut w = Vec::new();
                            let rep = super::maps::with(|m| {
                                Reply::compile(r, sections, loader, m, &mut w)
                            });
                            warnings.extend(w.into_iter().map(|m| format!("[{at}] : {m}")));
                            slots[slot(*status)] = Some(Slot::Reply(Arc::new(rep)));
                        }
                    }
                }
            }
        }
        ErrorTable { slots }
    }

    /// This proxy's override for `status`, if any.
    pub fn get(&self, status: u16) -> Option<&Slot> {
        self.slots.get(slot(status)).and_then(Option::as_ref)
    }

    /// What the H1 multiplexer sends for an error it detects itself (`h1_send_error()`):
    /// always the raw built-in text, unless the frontend maps the status to an empty file,
    /// in which case nothing is sent.
    pub fn raw_mux_error(&self, status: u16) -> Vec<u8> {
        match self.get(status) {
            Some(Slot::Page(Page::Empty)) => Vec::new(),
            _ => pages::raw_mux_error(status),
        }
    }
}

/// `http_error_message()`: the backend's page for `status`, else the frontend's, else the
/// built-in one. `be` is `None` when the request has no backend yet (the frontend's own
/// rules, or no backend at all: HAProxy's `s->be` is then the frontend itself).
pub fn pick(be: Option<&ErrorTable>, fe: Option<&ErrorTable>, status: u16) -> Slot {
    be.and_then(|t| t.get(status))
        .or_else(|| fe.and_then(|t| t.get(status)))
        .cloned()
        .unwrap_or_else(|| Slot::Page(Page::Msg(builtin(status).clone())))
}

#[cfg(test)]
mod tests {
    /// A detached transaction for rendering outside a stream.
    macro_rules! bare {
        () => {
            Txn::bare(&crate::sample::msg::Req::default(), &mut Default::default())
        };
    }

    use super::*;

    fn text(r: &Rendered) -> String {
        String::from_utf8(r.bytes.clone()).unwrap()
    }

    // Expected bytes below were captured from HAProxy 2.6.12 (compat/differential).
    #[test]
    fn builtin_pages_as_haproxy_sends_them() {
        let r = builtin(403).render(false, ConnHdr::None);
        assert_eq!(text(&r), "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n");
        assert!(!r.close);
        // 400 and 408 carry `Connection: close` in their source text: moved to the end, and
        // the connection closes.
        let r = builtin(400).render(false, ConnHdr::None);
        assert!(text(&r).starts_with("HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html>"));
        assert!(r.close);
        assert!(builtin(408).render(false, ConnHdr::None).close);
        // Unknown statuses share the 500 page.
        assert_eq!(builtin(418).status, 500);
    }

    #[test]
    fn connection_header_follows_the_exchange() {
        let r = builtin(503).render(false, ConnHdr::KeepAlive);
        assert!(text(&r).contains("content-type: text/html\r\nconnection: keep-alive\r\n\r\n"));
        let r = builtin(503).render(true, ConnHdr::Close);
        assert!(text(&r).ends_with("content-type: text/html\r\nconnection: close\r\n\r\n"));
        assert!(r.close);
    }

    #[test]
    fn http10_file_without_length_closes_silently() {
        // compat/differential/errorfile-503.scn
        let m = parse_message(b"HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\ncustom 503\n").unwrap().unwrap();
        let r = m.render(false, ConnHdr::None);
        assert_eq!(text(&r), "HTTP/1.0 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\n\r\ncustom 503\n");
        assert!(r.close);
    }

    #[test]
    fn file_headers_are_lower_cased_and_kept_in_order() {
        // compat/differential/errorfile-403-deny.scn
        let m = parse_message(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\ngo away\n",
        )
        .unwrap()
        .unwrap();
        let r = m.render(false, ConnHdr::None);
        assert_eq!(text(&r), "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\ngo away\n");
        assert!(!r.close);
        // HTTP/1.1 without a length: close, announced.
        let m = parse_message(b"HTTP/1.1 500 Oops\nX-A:  b \n\nbody")
            .unwrap()
            .unwrap();
        let r = m.render(false, ConnHdr::None);
        assert_eq!(
            text(&r),
            "HTTP/1.1 500 Oops\r\nx-a: b\r\nconnection: close\r\n\r\nbody"
        );
        // One Content-Length is kept, reduced to one value.
        let m =
            parse_message(b"HTTP/1.1 500 x\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nab")
                .unwrap()
                .unwrap();
        assert_eq!(
            text(&m.render(false, ConnHdr::None)),
            "HTTP/1.1 500 x\r\ncontent-length: 2\r\n\r\nab"
        );
    }

    #[test]
    fn connection_tokens() {
        assert_eq!(clean_connection("close"), (String::new(), true, false));
        assert_eq!(
            clean_connection("foo, close"),
            ("foo".to_string(), true, false)
        );
        assert_eq!(
            clean_connection("keep-alive,a, b"),
            ("a,b".to_string(), false, true)
        );
        assert_eq!(clean_connection("a, b"), ("a, b".to_string(), false, false));
        assert_eq!(
            clean_connection("a, b, close, c"),
            ("a, b,c".to_string(), true, false)
        );
    }

    #[test]
    fn errorloc_is_a_redirect() {
        let r = Loader::location(302, "http://x/y").render(false, ConnHdr::None);
        assert_eq!(
            text(&r),
            "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://x/y\r\n\r\n"
        );
        let r = Loader::location(303, "/z").render(false, ConnHdr::None);
        assert!(text(&r).starts_with("HTTP/1.1 303 See Other\r\n"));
    }

    /// The status line of a compiled override, to tell pages apart.
    fn first_line(t: &ErrorTable, status: u16) -> Option<String> {
        let r = t.get(status)?.render(&mut bare!(), false, ConnHdr::None);
        Some(text(&r).lines().next().unwrap_or("").to_string())
    }

    #[test]
    fn table_follows_directive_order_from_defaults_on() {
        let dir = std::env::temp_dir().join(format!("hrs-errors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, status: &str| {
            let p = dir.join(name);
            std::fs::write(
                &p,
                format!("HTTP/1.1 {status} {name}\r\ncontent-length: 0\r\n\r\n"),
            )
            .unwrap();
            p.display().to_string()
        };
        let (a, b, c, d) = (
            file("a", "404"),
            file("b", "503"),
            file("c", "503"),
            file("d", "404"),
        );
        let text = format!(
            "http-errors site\n    errorfile 404 {a}\n    errorfile 503 {b}\n\
             defaults\n    mode http\n    timeout client 5s\n    timeout connect 5s\n    timeout server 5s\n    errorfile 503 {c}\n\
             listen l\n    bind 127.0.0.1:1\n    errorfiles site\n    errorfile 404 {d}\n    errorloc 403 /x\n\
             listen m\n    bind 127.0.0.1:2\n    errorfiles site 503\n"
        );
        let loaded = crate::config::load_str(
            "t.cfg",
            &text,
            crate::config::Diag::new(),
            crate::config::ParseEnv::offline(),
        );
        let cfg = loaded.config.expect("valid configuration");
        let table = |name: &str| {
            let px = cfg.proxies.iter().find(|p| p.name == name).unwrap();
            let mut w = Vec::new();
            let t = ErrorTable::compile(px, &cfg.http_errors, &mut Loader::new(16384), &mut w);
            assert!(w.is_empty(), "{w:?}");
            t
        };
        let l = table("l");
        // `errorfiles site` comes after the defaults' `errorfile 503`, then `errorfile 404`
        // overrides the section's 404.
        assert_eq!(first_line(&l, 503).as_deref(), Some("HTTP/1.1 503 b"));
        assert_eq!(first_line(&l, 404).as_deref(), Some("HTTP/1.1 404 d"));
        assert_eq!(first_line(&l, 403).as_deref(), Some("HTTP/1.1 302 Found"));
        assert_eq!(first_line(&l, 502), None);
        // `errorfiles site 503` takes only that status from the section.
        let m = table("m");
        assert_eq!(first_line(&m, 503).as_deref(), Some("HTTP/1.1 503 b"));
        assert_eq!(first_line(&m, 404), None);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn precedence_backend_then_frontend_then_builtin() {
        let page = |s: &str| {
            Slot::Page(Page::Msg(Arc::new(
                parse_message(s.as_bytes()).unwrap().unwrap(),
            )))
        };
        let mut fe = ErrorTable {
            slots: vec![None; HTTP_ERR_CODES.len()],
        };
        let mut be = fe.clone();
        fe.slots[slot(503)] = Some(page("HTTP/1.1 503 FE\r\ncontent-length: 0\r\n\r\n"));
        fe.slots[slot(404)] = Some(page("HTTP/1.1 404 FE\r\ncontent-length: 0\r\n\r\n"));
        be.slots[slot(503)] = Some(page("HTTP/1.1 503 BE\r\ncontent-length: 0\r\n\r\n"));
        let reason = |p: Slot| match p {
            Slot::Page(Page::Msg(m)) => m.reason.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(reason(pick(Some(&be), Some(&fe), 503)), "BE");
        assert_eq!(reason(pick(None, Some(&fe), 503)), "FE");
        assert_eq!(reason(pick(Some(&be), Some(&fe), 404)), "FE");
        assert_eq!(reason(pick(Some(&be), Some(&fe), 502)), "Bad Gateway");
        be.slots[slot(400)] = Some(Slot::Page(Page::Empty));
        let silent = pick(Some(&be), Some(&fe), 400).render(&mut bare!(), false, ConnHdr::None);
        assert_eq!(silent.bytes, b"");
        assert!(silent.close);
        assert!(be.raw_mux_error(400).is_empty());
        assert_eq!(fe.raw_mux_error(400), pages::raw_mux_error(400));
    }

    #[test]
    fn http_error_replies() {
        let cfg = crate::runtime::testutil::listen(&[
            "http-error status 503 content-type text/plain string maint",
            "errorfile 404 /nonexistent-but-unchecked",
            "http-error status 404 default-errorfiles",
        ]);
        let px = cfg.proxies.iter().find(|p| p.name == "l").unwrap();
        let mut w = Vec::new();
        let t = ErrorTable::compile(px, &cfg.http_errors, &mut Loader::new(16384), &mut w);
        let r = t
            .get(503)
            .unwrap()
            .render(&mut bare!(), false, ConnHdr::None);
        assert_eq!(
            text(&r),
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nmaint"
        );
        // `default-errorfiles` clears what an earlier line set.
        assert!(t.get(404).is_none());
    }
}
