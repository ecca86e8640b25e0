//! `mode http`: one client connection carrying a sequence of HTTP/1 requests, each
//! forwarded to a server picked per request (HAProxy balances every request, not every
//! connection), bodies streamed in both directions through bounded buffers, then the next
//! request once both messages are complete. The server connection is kept for the next
//! request when both ends allow it and the next pick is the same server.
//!
//! Replies produced by the proxy itself (`http-request return`/`deny`, error pages) take
//! the same path out as forwarded responses.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::event::Event;

use super::http_msg::{self, BodyDec, Edits, Framing, ReqMsg, RespMsg};
use super::http_return::{ConnHdr, Reply};
use super::io::{Buf, ReadOutcome, Sock};
use super::pages;
use super::server_side::{Outcome, ServerSide};
use super::worker::{Ctx, Side};
use crate::model::proxy::HttpConnMode;
use crate::persist::{self, BackendServers, HeaderEdit, RequestOutcome};

/// How long a closing connection keeps draining input after our shutdown, so that the
/// client reads our last response instead of a reset.
const LINGER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Waiting for (the rest of) a request head.
    WaitReq,
    /// A proxy-made reply is queued; the request body, if any, is discarded.
    Skip,
    /// Waiting for the server side: queue, connect, retries.
    WaitSrv,
    /// Request and response flowing.
    Xfer,
    /// After a 101 or a CONNECT 2xx: bytes both ways until either side closes.
    Tunnel,
    /// Sending what is left, then closing.
    Closing,
}

pub struct HttpSession {
    fe: usize,
    client: Sock,
    peer: Option<SocketAddr>,
    /// Client → proxy bytes (request heads and bodies).
    cin: Buf,
    /// Proxy → client bytes.
    cout: Buf,
    /// Server → proxy bytes.
    sin: Buf,
    /// Proxy → server bytes.
    sout: Buf,
    /// The server side, for the backend of the current (or last) request.
    srv: Option<ServerSide>,
    be: Option<usize>,
    st: St,
    req: Option<ReqMsg>,
    resp: Option<RespMsg>,
    req_body: BodyDec,
    resp_body: BodyDec,
    /// The cookie persistence decision for the current request, with the positions of the
    /// `Cookie` headers it looked at (its edits are by index in that list).
    cookie: Option<(RequestOutcome, Vec<usize>)>,
    /// An `ignore-persist` rule matched the current request.
    ignore_persist: bool,
    /// Close the client connection once this exchange is over.
    close_after: bool,
    requests: u64,
    /// Start of the current wait for a request.
    wait_since: Instant,
    client_seen: Instant,
    server_seen: Instant,
    linger_until: Option<Instant>,
}

fn edit_value(e: &HeaderEdit) -> Option<&[u8]> {
    match e {
        HeaderEdit::Remove => None,
        HeaderEdit::Set(v) => Some(v),
    }
}

/// Cookie dates are wall-clock seconds (HAProxy's `date.tv_sec`).
fn wall_clock_secs() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

impl HttpSession {
    pub fn start(cx: &mut Ctx, fe: usize, client: Sock) -> Option<HttpSession> {
        let peer = client.s.peer_addr().ok();
        let mut s = HttpSession {
            fe,
            client,
            peer,
            cin: Buf::default(),
            cout: Buf::default(),
            sin: Buf::default(),
            sout: Buf::default(),
            srv: None,
            be: None,
            st: St::WaitReq,
            req: None,
            resp: None,
            req_body: BodyDec::Done,
            resp_body: BodyDec::Done,
            cookie: None,
            ignore_persist: false,
            close_after: false,
            requests: 0,
            wait_since: cx.now,
            client_seen: cx.now,
            server_seen: cx.now,
            linger_until: None,
        };
        s.pump(cx).then_some(s)
    }

    pub fn stream_id(&self) -> Option<crate::queue::StreamId> {
        self.srv.as_ref().and_then(|s| s.stream_id())
    }

    /// Idle between requests (for the soft stop, which closes such connections).
    pub fn is_idle(&self) -> bool {
        self.st == St::WaitReq && self.cin.is_empty() && self.cout.is_empty() && self.requests > 0
    }

    pub fn on_event(&mut self, cx: &mut Ctx, side: Side, ev: &Event) -> bool {
        match side {
            Side::Client => self.client.on_event(ev),
            Side::Server => {
                let Some(srv) = self.srv.as_mut() else {
                    return true;
                };
                if let Some(s) = srv.sock.as_mut() {
                    s.on_event(ev);
                }
                match self.st {
                    St::WaitSrv => {
                        let o = srv.on_connect_event(cx);
                        return self.follow(cx, o);
                    }
                    St::Xfer | St::Tunnel => {}
                    _ => {
                        // An idle kept connection has nothing to say: a close or stray
                        // bytes make it unusable for the next request.
                        let mut scratch = Buf::default();
                        let broken = srv
                            .sock
                            .as_mut()
                            .is_some_and(|s| s.read_into(&mut scratch, 64) != ReadOutcome::Blocked);
                        if broken {
                            srv.kept_conn_broken(cx);
                        }
                    }
                }
            }
        }
        self.pump(cx)
    }

    pub fn on_wake(&mut self, cx: &mut Ctx) -> bool {
        if self.st != St::WaitSrv {
            return true;
        }
        let Some(srv) = self.srv.as_mut() else {
            return true;
        };
        let o = srv.on_wake(cx);
        self.follow(cx, o)
    }

    fn follow(&mut self, cx: &mut Ctx, o: Outcome) -> bool {
        match o {
            Outcome::Pending => self.pump(cx),
            Outcome::Connected(_) => {
                self.server_connected(cx);
                self.pump(cx)
            }
            Outcome::Failed { status, .. } => {
                self.error(cx, status);
                self.pump(cx)
            }
        }
    }

    pub fn deadline(&self, cx: &Ctx) -> Option<Instant> {
        if let Some(t) = self.linger_until {
            return Some(t);
        }
        let fe = &cx.shared.frontends[self.fe];
        let client_t = fe.px.timeouts.client.map(|d| self.client_seen + d);
        let min = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.st {
            St::WaitReq => {
                let t = &fe.px.timeouts;
                let wait = if self.requests == 0 || !self.cin.is_empty() {
                    t.request
                } else {
                    t.keep_alive
                };
                wait.map(|d| self.wait_since + d)
            }
            St::Skip | St::Closing => client_t,
            St::WaitSrv => {
                let srv = self.srv.as_ref().and_then(|s| s.deadline());
                min(srv, client_t)
            }
            St::Xfer => {
                let be = self.be.map(|b| &cx.shared.backends[b]);
                let server_t = be.and_then(|b| b.server).map(|d| self.server_seen + d);
                // The client's timeout only runs while we wait on it (reading a body or
                // writing a response it does not read).
                let waiting_client = !self.cout.is_empty() || !self.req_body.is_done();
                min(server_t, if waiting_client { client_t } else { None })
            }
            St::Tunnel => {
                let be = self.be.map(|b| &cx.shared.backends[b]);
                let tunnel = be.and_then(|b| b.tunnel).or(fe.tunnel);
                let c = tunnel
                    .or(fe.px.timeouts.client)
                    .map(|d| self.client_seen + d);
                let s = tunnel
                    .or(be.and_then(|b| b.server))
                    .map(|d| self.server_seen + d);
                min(c, s)
            }
        }
    }

    pub fn on_timeout(&mut self, cx: &mut Ctx) -> bool {
        if self.deadline(cx).is_none_or(|d| d > cx.now) {
            return true;
        }
        match self.st {
            St::WaitReq => {
                if self.requests > 0 && self.cin.is_empty() {
                    // Idle keep-alive connection: HAProxy closes silently.
                    return false;
                }
                self.cout.extend(&pages::raw_mux_error(408));
                self.cin.clear();
                self.st = St::Closing;
                self.pump(cx)
            }
            St::WaitSrv => {
                let srv = self.srv.as_mut().expect("waiting on a server side");
                if srv.deadline().is_some_and(|d| d <= cx.now) {
                    let o = srv.on_timeout(cx);
                    return self.follow(cx, o);
                }
                false
            }
            St::Xfer if self.resp.is_none() => {
                // `timeout server` before the response head: 504.
                self.error(cx, 504);
                self.pump(cx)
            }
            _ => false,
        }
    }

    pub fn close(&mut self, cx: &mut Ctx) {
        if let Some(srv) = self.srv.as_mut() {
            srv.close(cx);
        }
        let _ = cx.registry.deregister(&mut self.client.s);
    }

    /// Moves bytes and advances the state machine until nothing progresses. Returns false
    /// once the session is over.
    fn pump(&mut self, cx: &mut Ctx) -> bool {
        let limit = cx.shared.bufsize;
        for _ in 0..64 {
            let mut progress = false;
            // Client input: heads, bodies, tunnel bytes. Not while closing.
            if self.st != St::Closing {
                match self.client.read_into(&mut self.cin, limit) {
                    ReadOutcome::Data(_) => {
                        progress = true;
                        self.client_seen = cx.now;
                    }
                    ReadOutcome::Error => return false,
                    _ => {}
                }
            }
            match self.st {
                St::WaitReq => {
                    if !self.cin.is_empty() {
                        progress |= self.start_request(cx);
                    } else if self.client.read_closed {
                        return false;
                    }
                }
                St::Skip => {
                    progress |= self.skip_body();
                }
                St::WaitSrv => {
                    if self.client.read_closed && self.cin.is_empty() && self.requests == 0 {
                        // Nothing more can come; keep going (no abortonclose).
                    }
                }
                St::Xfer => match self.xfer(cx) {
                    Some(p) => progress |= p,
                    None => return false,
                },
                St::Tunnel => match self.tunnel(cx) {
                    Some(p) => progress |= p,
                    None => return false,
                },
                St::Closing => {}
            }
            match self.client.write_from(&mut self.cout) {
                Ok(n) if n > 0 => {
                    progress = true;
                    self.client_seen = cx.now;
                }
                Ok(_) => {}
                Err(_) => return false,
            }
            if self.st == St::Closing && self.cout.is_empty() {
                return self.linger(cx);
            }
            if !progress {
                break;
            }
        }
        if self.st == St::WaitReq && self.cin.is_empty() && self.cout.is_empty() {
            self.cin.release();
            self.cout.release();
            self.sin.release();
            self.sout.release();
        }
        true
    }

    /// After our last byte: shut our side and drain input until the peer closes or the
    /// linger time passes.
    fn linger(&mut self, cx: &mut Ctx) -> bool {
        self.client.shutdown_write();
        if self.linger_until.is_none() {
            self.linger_until = Some(cx.now + LINGER);
        }
        if self.linger_until.is_some_and(|t| t <= cx.now) {
            return false;
        }
        loop {
            self.cin.clear();
            match self.client.read_into(&mut self.cin, 4096) {
                ReadOutcome::Data(_) => {}
                ReadOutcome::Blocked => return true,
                _ => return false,
            }
        }
    }

    /// Parses a request head from `cin` and decides where it goes. True on progress.
    fn start_request(&mut self, cx: &mut Ctx) -> bool {
        let msg = match http_msg::parse_request(self.cin.bytes()) {
            Ok(Some(m)) => m,
            Ok(None) => return false,
            Err(status) => {
                self.cout.extend(&pages::raw_mux_error(status));
                self.cin.clear();
                self.st = St::Closing;
                return true;
            }
        };
        let fe = &cx.shared.frontends[self.fe];
        self.close_after = msg.wants_close || fe.px.httpclose;
        // The frontend's rules, then the backend's.
        if let Some(reply) = fe.px.decide(&msg.req) {
            self.local_reply(cx, msg, &reply);
            return true;
        }
        let be = fe
            .use_backend
            .iter()
            .find(|(c, _)| c.as_ref().is_none_or(|c| c.eval(&msg.req)))
            .map(|(_, b)| *b)
            .or(fe.default_backend);
        let Some(be) = be else {
            self.req = Some(msg);
            self.st = St::WaitSrv;
            self.error(cx, 503);
            return true;
        };
        let backend = &cx.shared.backends[be];
        if let Some(reply) = backend.px.decide(&msg.req) {
            self.local_reply(cx, msg, &reply);
            return true;
        }
        if backend.px.httpclose {
            self.close_after = true;
        }
        let key = self.hash_key(cx, be, &msg);
        let persist = self.persistence(cx, be, &msg);
        if self.be != Some(be) {
            if let Some(mut old) = self.srv.take() {
                old.close(cx);
            }
            self.srv = Some(ServerSide::new(be));
            self.be = Some(be);
        }
        self.req = Some(msg);
        self.resp = None;
        self.st = St::WaitSrv;
        let srv = self.srv.as_mut().expect("set above");
        match srv.start(cx, key, persist) {
            Outcome::Pending => {}
            Outcome::Connected(_) => self.server_connected(cx),
            Outcome::Failed { status, .. } => self.error(cx, status),
        }
        true
    }

    /// `use-server` rules, then `cookie` persistence: the server HAProxy would send this
    /// request to before load balancing, with its force-persist flag.
    fn persistence(&mut self, cx: &Ctx, be: usize, msg: &ReqMsg) -> Option<(usize, bool)> {
        let backend = &cx.shared.backends[be];
        self.cookie = None;
        let rule = backend
            .persist_rules
            .iter()
            .find(|(_, c)| c.eval(&msg.req))
            .map(|(force, _)| *force);
        let (force_persist, ignore_persist) = (rule == Some(true), rule == Some(false));
        let servers = BackendServers {
            backend: &backend.queue,
            cookies: &backend.cookies,
        };
        let assigned = if backend.use_server.is_empty() {
            None
        } else {
            let targets = backend
                .use_server
                .iter()
                .filter(|(c, _)| c.as_ref().is_none_or(|c| c.eval(&msg.req)))
                .map(|(_, i)| Some(*i));
            persist::use_server(targets, &servers, backend.persist, force_persist)
        };
        let Some(cfg) = backend.cookie.as_ref() else {
            return assigned.map(|s| (s, force_persist));
        };
        let (pos, values): (Vec<usize>, Vec<&[u8]>) = msg
            .req
            .headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| n.eq_ignore_ascii_case("cookie"))
            .map(|(i, (_, v))| (i, v.trim_ascii()))
            .unzip();
        let input = persist::RequestInput {
            persist: backend.persist,
            force_persist,
            ignore_persist,
            assigned,
            now: wall_clock_secs(),
        };
        let out = persist::manage_request(cfg, &servers, &values, &input);
        let chosen = assigned.or(out.server);
        self.cookie = Some((out, pos));
        self.ignore_persist = ignore_persist;
        chosen.map(|s| (s, force_persist))
    }

    fn hash_key(&self, cx: &Ctx, be: usize, msg: &ReqMsg) -> Option<Vec<u8>> {
        let alg = &cx.shared.backends[be].alg;
        if !alg.is_hash() {
            return None;
        }
        let req = &msg.req;
        let header = |name: &str| -> Option<&[u8]> {
            req.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
        };
        let body = self.cin.bytes().get(msg.head_len..);
        alg.request_key(&crate::lb::RequestView {
            method: req.method.as_bytes(),
            uri: req.uri.as_bytes(),
            header: &header,
            body,
            src: self.peer.map(|p| p.ip()),
            payload: None,
        })
    }

    /// Sends a reply made by the proxy; the request body (if any) is then discarded.
    fn local_reply(&mut self, _cx: &mut Ctx, msg: ReqMsg, reply: &Reply) {
        let bytes = reply.render(&msg.req, msg.head, self.conn_hdr(msg.req.minor));
        self.cout.extend(&bytes);
        self.cin.consume(msg.head_len);
        self.req_body = BodyDec::new(msg.framing);
        self.req = None;
        self.st = St::Skip;
        self.skip_body();
    }

    /// The `Connection` header of a reply made by the proxy.
    fn conn_hdr(&self, minor: u8) -> ConnHdr {
        match (self.close_after, minor) {
            (true, _) => ConnHdr::Close,
            (false, 0) => ConnHdr::KeepAlive,
            (false, _) => ConnHdr::None,
        }
    }

    /// Discards the body of a request answered by the proxy, then moves on.
    fn skip_body(&mut self) -> bool {
        let before = self.cin.len();
        match self.req_body.feed(self.cin.bytes()) {
            Ok(n) => self.cin.consume(n),
            Err(_) => {
                self.cin.clear();
                self.close_after = true;
                self.req_body = BodyDec::Done;
            }
        }
        if self.req_body.is_done() {
            self.end_exchange_local();
            return true;
        }
        self.cin.len() != before
    }

    fn end_exchange_local(&mut self) {
        self.requests += 1;
        if self.close_after {
            self.cin.clear();
            self.st = St::Closing;
        } else {
            self.st = St::WaitReq;
        }
    }

    /// A proxy-generated error (503 no server, 502 bad response, 504 timeout). HAProxy
    /// sends its error page like any reply of its own: the rest of the request is skipped
    /// and the client connection stays open unless the exchange said otherwise.
    fn error(&mut self, cx: &mut Ctx, status: u16) {
        if let Some(srv) = self.srv.as_mut() {
            srv.release(cx, false);
        }
        let Some(msg) = self.req.take() else {
            self.cout.extend(&Reply::error_page(status).render(
                &Default::default(),
                false,
                ConnHdr::Close,
            ));
            self.cin.clear();
            self.st = St::Closing;
            return;
        };
        if self.st == St::WaitSrv {
            // The head never left: skip it and the whole body.
            self.cin.consume(msg.head_len);
            self.req_body = BodyDec::new(msg.framing);
        }
        self.resp = None;
        let bytes =
            Reply::error_page(status).render(&msg.req, msg.head, self.conn_hdr(msg.req.minor));
        self.cout.extend(&bytes);
        self.st = St::Skip;
        self.skip_body();
    }

    /// The server connection is ready: send the request head, then stream the body.
    fn server_connected(&mut self, cx: &mut Ctx) {
        let Some(msg) = self.req.as_ref() else {
            return;
        };
        let be = &cx.shared.backends[self.be.expect("a backend was chosen")];
        let fe = &cx.shared.frontends[self.fe];
        let server_close = matches!(
            be.conn_mode,
            HttpConnMode::ServerClose | HttpConnMode::Close
        ) || fe.px.httpclose;
        let connection = if server_close && !msg.upgrade {
            Some("close")
        } else {
            None
        };
        let xff;
        let add: &[(&str, String)] = match &be.forwardfor {
            Some(h) if self.peer.is_some() => {
                xff = [(h.as_str(), self.peer.expect("checked").ip().to_string())];
                &xff
            }
            _ => &[],
        };
        let replace: Vec<(usize, Option<&[u8]>)> = match &self.cookie {
            Some((out, pos)) => out
                .edits
                .iter()
                .map(|(i, e)| (pos[*i], edit_value(e)))
                .collect(),
            None => Vec::new(),
        };
        let edits = Edits {
            add,
            connection,
            replace: &replace,
        };
        http_msg::write_head(&self.cin.bytes()[..msg.head_len], &edits, &mut self.sout);
        self.cin.consume(msg.head_len);
        self.req_body = BodyDec::new(msg.framing);
        self.resp_body = BodyDec::Done;
        self.resp = None;
        self.server_seen = cx.now;
        self.st = St::Xfer;
    }

    /// One round of request/response forwarding. `None`: the session is over.
    fn xfer(&mut self, cx: &mut Ctx) -> Option<bool> {
        let limit = cx.shared.bufsize;
        let mut progress = false;
        // Request body: client input → server output, within the message.
        if !self.req_body.is_done() && self.sout.len() < limit {
            let avail = self.cin.len().min(limit - self.sout.len());
            let Ok(n) = self.req_body.feed(&self.cin.bytes()[..avail]) else {
                // Broken chunking from the client: 400 if nothing answered yet.
                if self.resp.is_none() {
                    self.error(cx, 400);
                    return Some(true);
                }
                return None;
            };
            if n > 0 {
                self.sout.extend(&self.cin.bytes()[..n]);
                self.cin.consume(n);
                progress = true;
            }
        }
        let srv = self.srv.as_mut()?;
        let sock = srv.sock.as_mut()?;
        match sock.write_from(&mut self.sout) {
            Ok(n) if n > 0 => {
                progress = true;
                self.server_seen = cx.now;
            }
            Ok(_) => {}
            Err(_) => {
                if self.resp.is_none() {
                    self.error(cx, 502);
                    return Some(true);
                }
                return None;
            }
        }
        match sock.read_into(&mut self.sin, limit) {
            ReadOutcome::Data(_) => {
                progress = true;
                self.server_seen = cx.now;
            }
            ReadOutcome::Error => {
                if self.resp.is_none() {
                    self.error(cx, 502);
                    return Some(true);
                }
                return None;
            }
            _ => {}
        }
        let server_eof = sock.read_closed;
        // Response head (after any 1xx interim responses).
        while self.resp.is_none() && !self.sin.is_empty() {
            let head = self.req.as_ref().is_some_and(|r| r.head);
            match http_msg::parse_response(self.sin.bytes(), head) {
                Ok(None) => break,
                Err(status) => {
                    self.error(cx, status);
                    return Some(true);
                }
                Ok(Some(r)) if r.status < 200 && r.status != 101 => {
                    // 1xx interim: forwarded as is, the final response follows.
                    self.cout.extend(&self.sin.bytes()[..r.head_len]);
                    self.sin.consume(r.head_len);
                    progress = true;
                }
                Ok(Some(r)) => {
                    self.write_response_head(cx, &r);
                    self.sin.consume(r.head_len);
                    self.resp_body = BodyDec::new(r.framing);
                    let tunnel = r.status == 101
                        || (self.req.as_ref().is_some_and(|q| q.connect) && r.status / 100 == 2);
                    if r.framing == Framing::UntilClose {
                        self.close_after = true;
                    }
                    self.resp = Some(r);
                    progress = true;
                    if tunnel {
                        self.st = St::Tunnel;
                        self.req_body = BodyDec::Done;
                        return Some(true);
                    }
                }
            }
        }
        if self.resp.is_none() {
            if server_eof {
                // Closed before a complete response head: 502.
                self.error(cx, 502);
                return Some(true);
            }
            return Some(progress);
        }
        // Response body: server input → client output.
        if !self.resp_body.is_done() && self.cout.len() < limit {
            let avail = self.sin.len().min(limit - self.cout.len());
            let Ok(n) = self.resp_body.feed(&self.sin.bytes()[..avail]) else {
                return None;
            };
            if n > 0 {
                self.cout.extend(&self.sin.bytes()[..n]);
                self.sin.consume(n);
                progress = true;
            }
        }
        if server_eof && !self.resp_body.is_done() {
            if self.resp_body == BodyDec::UntilClose && self.sin.is_empty() {
                self.resp_body = BodyDec::Done;
            } else if self.sin.is_empty() {
                // Truncated response: nothing sensible to add, close after what was sent.
                self.close_after = true;
                self.resp_body = BodyDec::Done;
                self.req_body = BodyDec::Done;
            }
        }
        if self.resp_body.is_done() && (self.req_body.is_done() || server_eof) {
            if !self.req_body.is_done() {
                self.close_after = true;
            }
            self.end_exchange(cx, server_eof);
            return Some(true);
        }
        Some(progress)
    }

    /// Forwards the final response head, with the cookie persistence edits applied.
    fn write_response_head(&mut self, cx: &Ctx, r: &RespMsg) {
        let raw = &self.sin.bytes()[..r.head_len];
        let srv = self.srv.as_ref();
        let be = self.be.map(|b| &cx.shared.backends[b]);
        let (Some(be), Some((req_out, _))) = (be, self.cookie.as_mut()) else {
            http_msg::write_head(raw, &Edits::default(), &mut self.cout);
            return;
        };
        let cfg = be
            .cookie
            .as_ref()
            .expect("a cookie decision implies a cookie config");
        let servers = BackendServers {
            backend: &be.queue,
            cookies: &be.cookies,
        };
        let server = srv.and_then(|s| s.server_of_last_request());
        let direct = srv.is_some_and(|s| s.is_direct()) && req_out.server.is_some();
        if req_out.server.is_some() && !direct {
            req_out.redispatched();
        }
        let pick = |name: &str| -> (Vec<usize>, Vec<&[u8]>) {
            r.headers
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| n.eq_ignore_ascii_case(name))
                .map(|(i, (_, v))| (i, v.trim_ascii()))
                .unzip()
        };
        let (pos1, sc1) = pick("set-cookie");
        let (pos2, sc2) = pick("set-cookie2");
        let method = self
            .req
            .as_ref()
            .map(|q| q.req.method.as_bytes())
            .unwrap_or(b"GET");
        let cacheable = persist::response_cacheable(
            method,
            r.status,
            r.headers.iter().map(|(n, v)| (n.as_bytes(), v.as_slice())),
        );
        let input = persist::ResponseInput {
            server,
            direct,
            ignore_persist: self.ignore_persist,
            is_post: method == b"POST",
            status: r.status,
            cacheable,
            now: wall_clock_secs(),
        };
        let out = persist::manage_response(cfg, &servers, req_out, &sc1, &sc2, &input);
        let mut replace: Vec<(usize, Option<&[u8]>)> = Vec::new();
        replace.extend(out.edits.iter().map(|(i, e)| (pos1[*i], edit_value(e))));
        replace.extend(out.edits2.iter().map(|(i, e)| (pos2[*i], edit_value(e))));
        let mut add: Vec<(&str, String)> = Vec::new();
        if let Some(v) = &out.insert {
            add.push(("Set-Cookie", String::from_utf8_lossy(v).into_owned()));
            if out.cache_control_private {
                add.push((persist::NOCACHE_HEADER.0, persist::NOCACHE_HEADER.1.into()));
            }
        }
        let edits = Edits {
            add: &add,
            connection: None,
            replace: &replace,
        };
        http_msg::write_head(raw, &edits, &mut self.cout);
    }

    /// Both messages are complete: give the server slot back, keep or close each side.
    fn end_exchange(&mut self, cx: &mut Ctx, server_eof: bool) {
        let resp = self.resp.take();
        let be = &cx.shared.backends[self.be.expect("a backend was chosen")];
        let reusable = !server_eof
            && self.sout.is_empty()
            && self.sin.is_empty()
            && be.conn_mode == HttpConnMode::KeepAlive
            && !cx.shared.frontends[self.fe].px.httpclose
            && resp.as_ref().is_some_and(|r| !r.wants_close);
        if let Some(srv) = self.srv.as_mut() {
            srv.release(cx, reusable);
        }
        self.req = None;
        self.requests += 1;
        self.wait_since = cx.now;
        if self.close_after {
            self.cin.clear();
            self.st = St::Closing;
        } else {
            self.st = St::WaitReq;
        }
    }

    fn tunnel(&mut self, cx: &mut Ctx) -> Option<bool> {
        let limit = cx.shared.bufsize;
        let mut progress = false;
        // Bytes the server sent right after its 101 are already in `sin`.
        if !self.sin.is_empty() && self.cout.len() < limit {
            let n = self.sin.len().min(limit - self.cout.len());
            self.cout.extend(&self.sin.bytes()[..n]);
            self.sin.consume(n);
            progress = true;
        }
        if !self.cin.is_empty() && self.sout.len() < limit {
            let n = self.cin.len().min(limit - self.sout.len());
            self.sout.extend(&self.cin.bytes()[..n]);
            self.cin.consume(n);
            progress = true;
        }
        let srv = self.srv.as_mut()?;
        let sock = srv.sock.as_mut()?;
        match sock.write_from(&mut self.sout) {
            Ok(n) if n > 0 => {
                progress = true;
                self.server_seen = cx.now;
            }
            Ok(_) => {}
            Err(_) => return None,
        }
        if self.client.read_closed && self.cin.is_empty() && self.sout.is_empty() {
            sock.shutdown_write();
        }
        match sock.read_into(&mut self.sin, limit) {
            ReadOutcome::Data(_) => {
                progress = true;
                self.server_seen = cx.now;
            }
            ReadOutcome::Error => return None,
            _ => {}
        }
        if sock.read_closed && self.sin.is_empty() && self.cout.is_empty() {
            self.client.shutdown_write();
            if sock.write_closed || self.client.read_closed {
                return None;
            }
        }
        Some(progress)
    }
}
