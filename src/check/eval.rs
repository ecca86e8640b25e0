//! One check run as a step machine (`tcpcheck_main()`): it tells its driver what to do
//! next ([`Want`]) and is told what happened; it never touches a socket.

use super::rules::{Action, Custom, Expect, HttpSend, Msg, Pattern, Program, Proto};
use super::{agent, Outcome, Status};
use crate::http::h1::{self, Framing, Method, RespHead};
use crate::http::ParseOpts;
use std::sync::Arc;

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Open a (new) connection: the server's address with these overrides.
    Connect {
        port: Option<u16>,
        addr: Option<std::net::SocketAddr>,
        send_proxy: bool,
    },
    /// Write these bytes, then call [`Run::sent`].
    Send(Vec<u8>),
    /// Read what is available, then call [`Run::received`].
    Recv,
    Done(Outcome),
}

/// Facts of the server the run needs (the `X-Haproxy-Server-State` header, 404 handling).
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// The server is not marked down (`next_state != SRV_ST_STOPPED`).
    pub server_up: bool,
    /// The `send-state` header value, when the proxy asks for it.
    pub state_header: Option<String>,
}

/// A check in progress.
pub struct Run {
    prog: Arc<Program>,
    /// The rule being evaluated (`check->current_step`).
    step: usize,
    /// A connect or send handed to the driver and not confirmed yet.
    pending: bool,
    inbuf: Vec<u8>,
    must_read: bool,
    last_read: bool,
    /// The HTTP status code seen (`check->code`).
    code: i32,
    ctx: Ctx,
    resp: RespHead,
}

impl Run {
    pub fn new(prog: Arc<Program>, ctx: Ctx) -> Run {
        Run {
            prog,
            step: 0,
            pending: false,
            inbuf: Vec::new(),
            must_read: true,
            last_read: false,
            code: 0,
            ctx,
            resp: RespHead::default(),
        }
    }

    /// The rule a failure happened at, for `chk_report_conn_err()`'s tcp-check details.
    pub fn step(&self) -> usize {
        self.step
    }

    pub fn program(&self) -> &Program {
        &self.prog
    }

    pub fn start(&mut self) -> Want {
        self.eval()
    }

    /// The connection asked for is established.
    pub fn connected(&mut self) -> Want {
        self.pending = false;
        self.step += 1;
        self.inbuf.clear();
        self.must_read = true;
        self.last_read = false;
        self.eval()
    }

    /// The bytes asked for are written.
    pub fn sent(&mut self) -> Want {
        self.pending = false;
        self.step += 1;
        self.must_read = true;
        self.eval()
    }

    /// Bytes arrived (`eof`: the server closed, or errored after sending them).
    pub fn received(&mut self, data: &[u8], eof: bool) -> Want {
        if self.inbuf.len() < 16384 {
            self.inbuf.extend_from_slice(data);
        }
        self.last_read |= eof || self.inbuf.len() >= 16384;
        if self.inbuf.is_empty() && eof {
            let r = &self.prog.rules[self.step];
            let mut desc = format!(
                "TCPCHK got an empty response at step {}",
                self.prog.step_id(Some(self.step))
            );
            if let Some(c) = &r.comment {
                desc.push_str(&format!(" comment: '{c}'"));
            }
            let st = match &r.action {
                Action::Expect(e) => e.err_status.unwrap_or(Status::L7Rsp),
                _ => Status::L7Rsp,
            };
            return Want::Done(Outcome::new(st, desc));
        }
        self.must_read = false;
        self.eval()
    }

    /// The timeout status of the current step (`tout-status`, else HAProxy's default by layer).
    pub fn timeout_status(&self, connected: bool) -> Status {
        if !connected {
            return Status::L4Tout;
        }
        match self.prog.rules.get(self.step).map(|r| &r.action) {
            Some(Action::Expect(e)) => e.tout_status.unwrap_or(Status::L7Tout),
            _ => Status::L7Tout,
        }
    }

    /// `chk_report_conn_err()`'s suffix for tcp-check rule sets (`" at step 2 of tcp-check
    /// (expect string 'x')"`), empty for the others.
    pub fn error_suffix(&self, started: bool) -> String {
        if self.prog.proto != Proto::Tcp {
            return String::new();
        }
        let step = self.prog.step_id(started.then_some(self.step));
        if step == 0 {
            return " at initial connection step of tcp-check".into();
        }
        let mut s = format!(" at step {step} of tcp-check");
        let r = self.prog.rules.get(self.step);
        match r.map(|r| &r.action) {
            Some(Action::Connect { port: Some(p), .. }) => {
                s.push_str(&format!(" (connect port {p})"))
            }
            Some(Action::Connect { .. }) => s.push_str(" (connect)"),
            Some(Action::Expect(e)) => s.push_str(&match &e.pattern {
                Pattern::Bytes {
                    data,
                    binary: false,
                } => format!(" (expect string '{}')", String::from_utf8_lossy(data)),
                Pattern::Bytes { data, binary: true } => {
                    format!(" (expect binary '{}')", hex(data))
                }
                Pattern::Regex { binary: false, .. } => " (expect regex)".into(),
                Pattern::Regex { binary: true, .. } => " (expect binary regex)".into(),
                _ => " (expect custom function)".into(),
            }),
            Some(Action::Send(_)) | Some(Action::SendHttp(_)) => s.push_str(" (send)"),
            None => {}
        }
        if let Some(c) = r.and_then(|r| r.comment.as_ref()) {
            s.push_str(&format!(" comment: '{c}'"));
        }
        s
    }

    fn eval(&mut self) -> Want {
        // Consecutive expects re-evaluate from the first of the group when more data comes.
        let mut expect_head = None;
        let prog = self.prog.clone();
        while let Some(r) = prog.rules.get(self.step) {
            match &r.action {
                Action::Connect {
                    port,
                    addr,
                    send_proxy,
                    ..
                } => {
                    self.pending = true;
                    return Want::Connect {
                        port: *port,
                        addr: *addr,
                        send_proxy: *send_proxy,
                    };
                }
                Action::Send(b) => {
                    // `tcpcheck_eval_send()` always releases the input buffer.
                    self.pending = true;
                    self.inbuf.clear();
                    return Want::Send(b.clone());
                }
                Action::SendHttp(h) => {
                    self.pending = true;
                    self.inbuf.clear();
                    return Want::Send(http_request(h, self.ctx.state_header.as_deref()));
                }
                Action::Expect(e) => {
                    let head = *expect_head.get_or_insert(self.step);
                    if self.must_read {
                        return Want::Recv;
                    }
                    self.code = 0;
                    let res = if self.prog.proto == Proto::Http {
                        self.expect_http(e)
                    } else {
                        self.expect_tcp(e)
                    };
                    match res {
                        Eval::Continue => self.step += 1,
                        Eval::Wait => {
                            self.step = head;
                            self.must_read = true;
                            return Want::Recv;
                        }
                        Eval::Stop(o) => return Want::Done(o),
                    }
                }
            }
        }
        Want::Done(self.success())
    }

    /// What the end of the rule list reports (`tcpcheck_main()`'s last lines).
    fn success(&self) -> Outcome {
        let last = self
            .step
            .checked_sub(1)
            .and_then(|i| self.prog.rules.get(i));
        match last.map(|r| &r.action) {
            Some(Action::Expect(e)) => {
                if self.prog.disable_404 && self.ctx.server_up && self.code == 404 {
                    let mut o = Outcome::new(Status::L7Okcd, "");
                    o.code = 404;
                    return o;
                }
                let desc = match &e.on_success {
                    Some(m) => self.message(m),
                    None if self.prog.proto == Proto::Tcp => "(tcp-check)".into(),
                    None => String::new(),
                };
                let mut o = Outcome::new(e.ok_status.unwrap_or(Status::L7Okd), desc);
                o.code = self.code;
                if e.code_from_payload {
                    o.code = payload_code(&self.inbuf);
                }
                o
            }
            Some(Action::Connect { implicit, .. }) => {
                Outcome::new(Status::L4Ok, if *implicit { "" } else { "(tcp-check)" })
            }
            _ => Outcome::new(Status::L7Okd, "(tcp-check)"),
        }
    }

    fn message(&self, m: &Msg) -> String {
        match m {
            Msg::Text(t) => t.clone(),
            Msg::Payload { skip, trim, cut } => {
                let b = self.inbuf.get(*skip..).unwrap_or(&[]);
                let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
                let mut s = String::from_utf8_lossy(b).into_owned();
                if *trim {
                    s = s.trim_start_matches(' ').to_string();
                }
                if *cut {
                    if let Some(i) = s.find(['\r', '\n']) {
                        s.truncate(i);
                    }
                }
                s
            }
        }
    }

    fn fail(&self, e: &Expect, st: Status, matched: bool, info: &str) -> Eval {
        let r = &self.prog.rules[self.step];
        let mut desc = String::new();
        if !info.is_empty() {
            desc.push_str(info);
        } else if let Some(m) = &e.on_error {
            desc = self.message(m);
        } else if self.prog.proto == Proto::Tcp {
            desc.push_str(if matched {
                "TCPCHK matched unwanted content"
            } else {
                "TCPCHK did not match content"
            });
            let step = self.prog.step_id(Some(self.step));
            desc.push_str(&match &e.pattern {
                Pattern::Bytes {
                    data,
                    binary: false,
                } => format!(" '{}' at step {step}", String::from_utf8_lossy(data)),
                Pattern::Bytes { binary: true, .. } => format!(" (binary) at step {step}"),
                Pattern::Regex { binary: false, .. } => format!(" (regex) at step {step}"),
                Pattern::Regex { binary: true, .. } => format!(" (binary regex) at step {step}"),
                _ => format!(" (custom function) at step {step}"),
            });
        }
        if let Some(c) = &r.comment {
            desc.push_str(" comment: ");
            desc.push_str(c);
        }
        let mut o = Outcome::new(st, desc);
        o.code = if e.code_from_payload {
            payload_code(&self.inbuf)
        } else {
            self.code
        };
        Eval::Stop(o)
    }

    fn expect_tcp(&mut self, e: &Expect) -> Eval {
        let last = self.last_read;
        let buf = &self.inbuf;
        if !last {
            if let Pattern::Bytes { data, .. } = &e.pattern {
                if buf.len() < data.len() {
                    return Eval::Wait;
                }
            }
            if e.min_recv > 0 && (buf.len() as i64) < e.min_recv {
                return Eval::Wait;
            }
        }
        let st = e.err_status.unwrap_or(Status::L7Rsp);
        let matched = match &e.pattern {
            Pattern::Bytes { data, .. } => find(buf, data),
            Pattern::Regex { re, binary: false } => re.is_match(buf),
            Pattern::Regex { re, binary: true } => re.is_match(hex(buf).as_bytes()),
            Pattern::Custom(c) => return self.custom(*c, e),
            _ => false,
        };
        if !matched && !last && e.min_recv == -1 {
            return Eval::Wait;
        }
        if matched ^ e.inverse {
            Eval::Continue
        } else {
            self.fail(e, st, matched, "")
        }
    }

    fn custom(&mut self, c: Custom, e: &Expect) -> Eval {
        let last = self.last_read;
        let buf = &self.inbuf;
        match c {
            Custom::Agent => match agent::parse(buf, last) {
                None => Eval::Wait,
                Some(o) => Eval::Stop(o),
            },
            Custom::MysqlInit => self.mysql_packet(e, 0),
            Custom::MysqlOk => {
                let hs = buf.get(..3).map_or(0, |b| {
                    4 + (usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16)
                });
                self.mysql_packet(e, hs)
            }
            Custom::Ldap => self.ldap(e),
        }
    }

    /// `tcpcheck_mysql_expect_packet()`: a complete packet at `off` that is not an error;
    /// the last one reports the server version from the greeting.
    fn mysql_packet(&mut self, e: &Expect, off: usize) -> Eval {
        let (last, buf) = (self.last_read, &self.inbuf);
        if buf.len() < off + 4 {
            return if last {
                self.fail(e, Status::L7Rsp, false, "")
            } else {
                Eval::Wait
            };
        }
        let plen = usize::from(buf[off])
            | usize::from(buf[off + 1]) << 8
            | usize::from(buf[off + 2]) << 16;
        if buf.len() < off + plen + 4 {
            return if last {
                self.fail(e, Status::L7Rsp, false, "")
            } else {
                Eval::Wait
            };
        }
        if buf.get(off + 4) == Some(&0xff) {
            let code = i32::from(buf.get(off + 5).copied().unwrap_or(0))
                | i32::from(buf.get(off + 6).copied().unwrap_or(0)) << 8;
            let msg = String::from_utf8_lossy(buf.get(off + 7..).unwrap_or(&[])).into_owned();
            self.code = code;
            return self.fail(e, Status::L7Sts, false, &msg);
        }
        if self.step + 1 < self.prog.rules.len() {
            return Eval::Continue;
        }
        let v = buf.get(5..).unwrap_or(&[]);
        let v = &v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())];
        let mut o = Outcome::new(
            e.ok_status.unwrap_or(Status::L7Okd),
            String::from_utf8_lossy(v).into_owned(),
        );
        o.code = self.code;
        Eval::Stop(o)
    }

    /// `tcpcheck_ldap_expect_bindrsp()`.
    fn ldap(&mut self, e: &Expect) -> Eval {
        let (last, buf) = (self.last_read, &self.inbuf);
        let short = |me: &mut Self| {
            if last {
                me.fail(e, Status::L7Rsp, false, "")
            } else {
                Eval::Wait
            }
        };
        let not_ldap = |me: &mut Self| me.fail(e, Status::L7Rsp, false, "Not LDAPv3 protocol");
        let Some(&len0) = buf.get(1) else {
            return short(self);
        };
        let mut nbytes = 0usize;
        let msglen = if len0 & 0x80 != 0 {
            nbytes = usize::from(len0 & 0x7f);
            if buf.len() < 1 + nbytes {
                return short(self);
            }
            match nbytes {
                4 => buf
                    .get(2..6)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize),
                2 => buf
                    .get(2..4)
                    .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]]))),
                _ => return not_ldap(self),
            }
        } else {
            usize::from(len0)
        };
        if buf.len() < 2 + nbytes + msglen {
            return short(self);
        }
        let mut p = 2 + nbytes;
        if buf.get(p..p + 4) != Some(&[0x02, 0x01, 0x01, 0x61][..]) {
            return not_ldap(self);
        }
        p += 4;
        let n = buf.get(p).map_or(0, |&b| {
            if b & 0x80 != 0 {
                usize::from(b & 0x7f)
            } else {
                0
            }
        });
        p += 1 + n;
        if buf.get(p..p + 2) != Some(&[0x0a, 0x01][..]) {
            return not_ldap(self);
        }
        p += 2;
        self.code = i32::from(buf.get(p).copied().unwrap_or(0));
        if self.code != 0 {
            return self.fail(
                e,
                Status::L7Sts,
                false,
                "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9",
            );
        }
        let mut o = Outcome::new(e.ok_status.unwrap_or(Status::L7Okd), "Success");
        o.code = 0;
        Eval::Stop(o)
    }

    fn expect_http(&mut self, e: &Expect) -> Eval {
        let opts = ParseOpts::default();
        let last = self.last_read;
        let head_len = match h1::parse_response(&self.inbuf, Method::Get, &opts, &mut self.resp) {
            Ok(h1::Status::Complete(n)) => n,
            Ok(h1::Status::Partial) if !last => return Eval::Wait,
            _ => return self.fail(e, Status::L7Rsp, false, ""),
        };
        let resp = &self.resp;
        let buf = &self.inbuf;
        self.code = i32::from(resp.status);
        if self.prog.disable_404 && self.ctx.server_up && resp.status == 404 {
            return Eval::Continue;
        }
        let reason = String::from_utf8_lossy(resp.reason.get(buf)).into_owned();
        let st = e.err_status.unwrap_or(Status::L7Sts);
        let matched = match &e.pattern {
            Pattern::Status(codes) => codes
                .iter()
                .any(|&(a, b)| resp.status >= a && resp.status <= b),
            Pattern::RStatus(re) => re.is_match(resp.status_raw.get(buf)),
            Pattern::Hdr { name, value, full } => resp.headers.iter().any(|h| {
                if !name.matches(h.name.get(buf), true) {
                    return false;
                }
                let Some(v) = value else { return true };
                let val = h.value.get(buf);
                if *full {
                    v.matches(val, false)
                } else {
                    val.split(|&b| b == b',')
                        .any(|item| v.matches(trim(item), false))
                }
            }),
            Pattern::Body(_) | Pattern::RBody(_) => {
                let body = match body(resp, &buf[head_len..], last) {
                    Some(b) => b,
                    None => return Eval::Wait,
                };
                if body.is_empty() {
                    if !last {
                        return Eval::Wait;
                    }
                    let st = e.err_status.unwrap_or(Status::L7Rsp);
                    return self.fail(
                        e,
                        st,
                        false,
                        "HTTP content check could not find a response body",
                    );
                }
                let m = match &e.pattern {
                    Pattern::Body(p) => find(&body, p),
                    Pattern::RBody(re) => re.is_match(&body),
                    _ => false,
                };
                if !m && !last && e.min_recv == -1 {
                    return Eval::Wait;
                }
                let st = e.err_status.unwrap_or(Status::L7Rsp);
                if m ^ e.inverse {
                    return Eval::Continue;
                }
                let info = if e.on_error.is_some() {
                    ""
                } else if e.inverse {
                    "HTTP check matched unwanted content"
                } else {
                    "HTTP content check did not match"
                };
                return self.fail(e, st, m, info);
            }
            _ => false,
        };
        if matched ^ e.inverse {
            Eval::Continue
        } else {
            let info = if e.on_error.is_some() { "" } else { &reason };
            self.fail(e, st, matched, info)
        }
    }
}

enum Eval {
    Continue,
    Wait,
    Stop(Outcome),
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// `status-code res.payload(0,3)`: the three-digit reply code of SMTP.
fn payload_code(b: &[u8]) -> i32 {
    std::str::from_utf8(b.get(..3).unwrap_or(&[]))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The body received so far once it is complete (or the server closed); `None` to wait.
fn body(resp: &RespHead, rest: &[u8], last: bool) -> Option<Vec<u8>> {
    match resp.framing {
        Framing::None => Some(Vec::new()),
        Framing::ContentLength(n) => {
            let n = n as usize;
            if rest.len() >= n {
                Some(rest[..n].to_vec())
            } else if last {
                Some(rest.to_vec())
            } else {
                None
            }
        }
        Framing::UntilClose => last.then(|| rest.to_vec()),
        Framing::Chunked => {
            let mut d =
                crate::http::body::BodyDecoder::new(Framing::Chunked, true, &ParseOpts::default());
            let mut out = Vec::new();
            let mut pos = 0;
            loop {
                match d.decode(&rest[pos..]) {
                    Ok(ev) => {
                        out.extend_from_slice(&rest[pos..][ev.data.clone()]);
                        pos += ev.consumed;
                        if ev.done {
                            return Some(out);
                        }
                        if ev.consumed == 0 {
                            return last.then_some(out);
                        }
                    }
                    Err(_) => return Some(out),
                }
            }
        }
    }
}

/// The request an HTTP check sends (`TCPCHK_SEND_HTTP` written by the H1 mux): the
/// request line, the configured headers, `x-haproxy-server-state` with `send-state`, the
/// body length when there is a body, and `connection: close` from HTTP/1.1 on (the mux
/// writes the connection mode last; 1.0 closes by default).
pub fn http_request(h: &HttpSend, state: Option<&str>) -> Vec<u8> {
    let mut out = format!("{} {} {}\r\n", h.method, h.uri, h.version);
    let mut has_conn = false;
    for (n, v) in &h.headers {
        if n.eq_ignore_ascii_case("connection") {
            has_conn = true;
            continue;
        }
        out.push_str(&format!("{}: {v}\r\n", n.to_ascii_lowercase()));
    }
    if let Some(s) = state {
        out.push_str(&format!("x-haproxy-server-state: {s}\r\n"));
    }
    if !h.body.is_empty() {
        out.push_str(&format!("content-length: {}\r\n", h.body.len()));
    }
    let v11 = h.version != "HTTP/1.0" && h.version.starts_with("HTTP/");
    if v11 || has_conn {
        out.push_str("connection: close\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&h.body);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::proxy::{CheckKind, CheckRule, ProxySettings};

    fn prog(kind: CheckKind, tcp: &[(&str, &[&str])], http: &[(&str, &[&str])]) -> Arc<Program> {
        let cr = |l: &[(&str, &[&str])]| {
            l.iter()
                .map(|(v, a)| CheckRule {
                    verb: v.to_string(),
                    args: a.iter().map(|s| s.to_string()).collect(),
                    loc: Default::default(),
                })
                .collect()
        };
        Arc::new(
            Program::from_proxy(&ProxySettings {
                check: Some(kind),
                tcp_check_rules: cr(tcp),
                http_check_rules: cr(http),
                ..Default::default()
            })
            .unwrap(),
        )
    }

    fn connect() -> Want {
        Want::Connect {
            port: None,
            addr: None,
            send_proxy: false,
        }
    }

    #[test]
    fn tcp_check_send_expect() {
        let p = prog(
            CheckKind::Tcp,
            &[("send", &["PING\r\n"]), ("expect", &["string", "+PONG"])],
            &[],
        );
        let mut r = Run::new(p.clone(), Ctx::default());
        assert_eq!(r.start(), connect());
        assert_eq!(r.connected(), Want::Send(b"PING\r\n".to_vec()));
        assert_eq!(r.sent(), Want::Recv);
        assert_eq!(r.received(b"+PO", false), Want::Recv);
        match r.received(b"NG\r\n", false) {
            Want::Done(o) => {
                assert_eq!(o.status, Status::L7Okd);
                assert_eq!(o.desc, "(tcp-check)");
            }
            w => panic!("{w:?}"),
        }
        let mut r = Run::new(p.clone(), Ctx::default());
        r.start();
        r.connected();
        r.sent();
        match r.received(b"-ERR x\r\n", true) {
            Want::Done(o) => {
                assert_eq!(o.status, Status::L7Rsp);
                assert_eq!(o.desc, "TCPCHK did not match content '+PONG' at step 2");
            }
            w => panic!("{w:?}"),
        }
        assert_eq!(
            r.error_suffix(true),
            " at step 2 of tcp-check (expect string '+PONG')"
        );
    }

    #[test]
    fn http_check_status_and_disable_on_404() {
        let mut p = prog(
            CheckKind::Http {
                method: Some("GET".into()),
                uri: Some("/h".into()),
                version: None,
            },
            &[],
            &[],
        );
        let mut r = Run::new(p.clone(), Ctx::default());
        r.start();
        assert_eq!(
            r.connected(),
            Want::Send(b"GET /h HTTP/1.0\r\n\r\n".to_vec())
        );
        assert_eq!(r.sent(), Want::Recv);
        match r.received(b"HTTP/1.0 500 Internal Server Error\r\n\r\n", true) {
            Want::Done(o) => {
                assert_eq!(o.status, Status::L7Sts);
                assert_eq!(o.code, 500);
                assert_eq!(o.desc, "Internal Server Error");
            }
            w => panic!("{w:?}"),
        }
        Arc::make_mut(&mut p).disable_404 = true;
        let mut r = Run::new(
            p.clone(),
            Ctx {
                server_up: true,
                ..Default::default()
            },
        );
        r.start();
        r.connected();
        r.sent();
        match r.received(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            false,
        ) {
            Want::Done(o) => assert_eq!((o.status, o.code), (Status::L7Okcd, 404)),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn http_body_and_header_expects() {
        let p = prog(
            CheckKind::Http {
                method: None,
                uri: None,
                version: None,
            },
            &[],
            &[
                ("expect", &["hdr", "name", "x-state", "value", "ok"]),
                ("expect", &["string", "alive"]),
            ],
        );
        let mut r = Run::new(p.clone(), Ctx::default());
        r.start();
        r.connected();
        r.sent();
        let resp = b"HTTP/1.1 200 OK\r\nX-State: a, ok\r\ncontent-length: 9\r\n\r\nI'm ";
        assert_eq!(r.received(resp, false), Want::Recv);
        match r.received(b"alive", false) {
            Want::Done(o) => assert_eq!((o.status, o.code), (Status::L7Okd, 200)),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn redis_builtin_reports_the_reply_line() {
        let p = prog(CheckKind::Redis, &[], &[]);
        let mut r = Run::new(p.clone(), Ctx::default());
        r.start();
        assert_eq!(r.connected(), Want::Send(b"*1\r\n$4\r\nPING\r\n".to_vec()));
        r.sent();
        match r.received(b"-ERR unknown\r\n", true) {
            Want::Done(o) => {
                assert_eq!((o.status, o.desc.as_str()), (Status::L7Sts, "-ERR unknown"))
            }
            w => panic!("{w:?}"),
        }
    }
}
