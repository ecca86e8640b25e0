//! `mode tcp`: a client connection forwarded to one server, bytes both ways, with
//! half-close passed through (a FIN from one side becomes a shutdown towards the other)
//! and HAProxy's timeouts: each side expires after `timeout client`/`timeout server` of
//! inactivity (a read or a write on that side), `timeout tunnel` replaces both once the
//! server is connected, and `timeout client-fin`/`server-fin` apply to a side we have
//! already shut.

use std::time::{Duration, Instant};

mod log;

use mio::event::Event;

use super::env::RtEnv;
use super::io::{Buf, ReadOutcome, Sock};
use super::server_side::{Outcome, ServerSide};
use super::shared::Splice;
use super::worker::{Ctx, Origin, Side};
use crate::rules::http::{Captures, Effects, Flow, MsgRef};
use crate::sample::fetch::Session;
use crate::sample::vars::Vars;

pub struct TcpSession {
    fe: usize,
    client: Sock,
    peer: Option<std::net::SocketAddr>,
    local: Option<std::net::SocketAddr>,
    srv: ServerSide,
    c2s: Buf,
    s2c: Buf,
    /// Pipes of the spliced directions while they hold bytes (client→server, back).
    c2s_pipe: Option<super::splice::Pipe>,
    s2c_pipe: Option<super::splice::Pipe>,
    client_seen: Instant,
    server_seen: Instant,
    /// `-d`: this connection's stream id.
    trace_id: Option<u32>,
    /// `tcp-request content` rules still deciding: until when (`inspect-delay`).
    inspecting: Option<Instant>,
    vars: Vars,
    /// Stick-counter slots (`None`: no stick table in the configuration).
    stk: Option<std::sync::Arc<crate::stick::Trackers>>,
    /// `stick store-request|on` entries waiting for the server.
    stick_store: super::stick::PendingStores,
    /// The connection's log record (frontends with a log format only).
    lg: Option<Box<super::log::TxnLog>>,
    /// Its index in `Shared::listeners`.
    listener: Option<usize>,
}

/// What `tcp-request` rules decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    Reject,
    Wait,
}

/// The client connection as `tcp-request` rules see it.
#[derive(Clone, Copy, Default)]
pub struct ConnFacts<'c> {
    /// Its index in `Shared::listeners` (`so_id`, `so_name`, `dst_conn`).
    pub listener: Option<usize>,
    /// The client socket, once a stream exists (content rules): `TCP_INFO` fetches.
    pub fd: Option<i32>,
    /// Its TLS state (`ssl_fc`…).
    pub tls: Option<&'c dyn crate::sample::tls_conn::TlsConn>,
}

/// Runs `tcp-request` rules (`payload`: the client's bytes so far and whether more may
/// come) for a connection from `peer` to `local` on frontend `fe`.
#[allow(clippy::too_many_arguments)]
pub fn run_tcp_rules(
    cx: &Ctx,
    fe: usize,
    be: Option<usize>,
    rules: &crate::rules::HttpRules<super::http_return::Reply>,
    peer: Option<std::net::SocketAddr>,
    local: Option<std::net::SocketAddr>,
    payload: Option<(&[u8], bool)>,
    vars: &mut Vars,
    stk: Option<std::sync::Arc<crate::stick::Trackers>>,
    conn: ConnFacts<'_>,
) -> Verdict {
    if rules.is_empty() {
        return Verdict::Go;
    }
    let sh = cx.shared;
    let env = RtEnv {
        shared: sh,
        be,
        stk,
    };
    let f = &sh.frontends[fe];
    let mut s = Session::new(&f.name, &env);
    s.stk = env.stk.as_deref();
    s.src = peer;
    s.dst = local;
    s.fe_id = f.px.id;
    if let Some(b) = be {
        s.be = Some((&sh.backends[b].name, sh.backends[b].px.id));
    }
    if let Some(l) = conn.listener.map(|i| &sh.listeners[i]) {
        s.dst_conn = Some(i64::from(
            l.conns.load(std::sync::atomic::Ordering::Relaxed),
        ));
        s.bind = Some((l.name.as_deref().unwrap_or(""), l.id));
    }
    s.fc_fd = conn.fd;
    s.fc_tls = conn.tls;
    let (mut caps, mut fx) = (Captures::default(), Effects::default());
    match rules.run_with(s, MsgRef::None, None, payload, vars, &mut caps, &mut fx) {
        Flow::Reject => Verdict::Reject,
        Flow::Wait => Verdict::Wait,
        _ => Verdict::Go,
    }
}

impl TcpSession {
    /// Starts a session for an accepted client; `None` when it ended at once (no server).
    pub fn start(cx: &mut Ctx, fe: usize, client: Sock, origin: Origin) -> Option<TcpSession> {
        let be = cx.shared.frontends[fe].default_backend?;
        let mut vars = Vars::new(cx.shared.proc_vars.clone());
        let px = &cx.shared.frontends[fe].px;
        let stk = super::stick::trackers(cx.shared);
        for rules in [&px.tcp_connection, &px.tcp_session] {
            let v = run_tcp_rules(
                cx,
                fe,
                None,
                rules,
                origin.peer,
                origin.local,
                None,
                &mut vars,
                stk.clone(),
                ConnFacts {
                    listener: origin.listener,
                    fd: None,
                    tls: super::tls::facts(&client.s),
                },
            );
            if v == Verdict::Reject {
                return None;
            }
        }
        super::stick::session_accepted(stk.as_deref());
        cx.shared.frontends[fe].sess_rate.inc();
        cx.shared.backends[be].sess_rate.inc();
        if let Some(t) = &stk {
            t.begin_stream();
        }
        let inspect =
            !px.tcp_content.is_empty() || !cx.shared.backends[be].px.tcp_content.is_empty();
        let mut s = TcpSession {
            fe,
            client,
            peer: origin.peer,
            local: origin.local,
            srv: ServerSide::new(be),
            c2s: origin.initial,
            s2c: Buf::default(),
            c2s_pipe: None,
            s2c_pipe: None,
            client_seen: cx.now,
            server_seen: cx.now,
            trace_id: None,
            inspecting: inspect.then(|| cx.now + px.inspect_delay.unwrap_or_default()),
            vars,
            stk,
            stick_store: Default::default(),
            lg: None,
            listener: origin.listener,
        };
        if cx.shared.debug {
            use std::os::fd::AsRawFd;
            let id = cx
                .shared
                .next_stream_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            s.trace_id = Some(id);
            let from = s.peer.map_or("[unix:1]".to_string(), |p| {
                format!("[{}:{}]", p.ip(), p.port())
            });
            println!(
                "{id:08x}:{}.accept({:04x})={:04x} from {from} ALPN=<none>",
                cx.shared.frontends[fe].name,
                origin.listener_fd,
                s.client.s.as_raw_fd()
            );
        }
        s.log_accept(cx);
        let alive = if s.inspecting.is_some() {
            s.pump(cx)
        } else {
            s.begin_server(cx)
        };
        if !alive {
            s.log_end(cx);
            return None;
        }
        Some(s)
    }

    /// Content inspection is over: pick and connect a server. False when the session
    /// ends.
    fn begin_server(&mut self, cx: &mut Ctx) -> bool {
        let be = self.srv.be;
        let key = match cx.shared.backends[be].alg {
            crate::lb::Algorithm::Source => self.peer.map(|a| crate::lb::key::source_key(&a.ip())),
            _ => None,
        };
        super::counters::to_backend(cx, be, false);
        let persist = if cx.shared.backends[be].stick_rules.is_empty() {
            None
        } else {
            self.stick_match(cx, be)
        };
        if cx.shared.backends[be].addrs_from_dst {
            self.srv.dst = self.local.or_else(|| self.client.s.local_inet());
        }
        match self.srv.start(cx, key, persist) {
            Outcome::Failed { term, .. } => {
                self.log_term(term);
                self.srv.close(cx);
                false
            }
            Outcome::Connected(_) => {
                self.connected(cx);
                self.pump(cx)
            }
            Outcome::Pending => true,
        }
    }

    /// The facts `stick` rules read: the connection and the client's bytes so far.
    fn stick_txn<'a>(
        &'a mut self,
        s: Session<'a>,
        caps: &'a crate::rules::http::Captures,
    ) -> crate::sample::fetch::Txn<'a> {
        crate::sample::fetch::Txn {
            dir: crate::sample::fetch::Dir::Req,
            req: None,
            body: None,
            res: None,
            s,
            req_captures: &caps.req,
            res_captures: &caps.res,
            vars: &mut self.vars,
            payload: Some((self.c2s.bytes(), false)),
            missed: Default::default(),
        }
    }

    /// `stick match|on` rules: the server an entry names, if it may be used.
    fn stick_match(&mut self, cx: &Ctx, be: usize) -> Option<(usize, bool)> {
        let sh = cx.shared;
        let backend = &sh.backends[be];
        let env = RtEnv {
            shared: sh,
            be: Some(be),
            stk: self.stk.clone(),
        };
        let mut s = Session::new(&sh.frontends[self.fe].name, &env);
        s.stk = env.stk.as_deref();
        s.src = self.peer;
        s.dst = self.local;
        s.be = Some((&backend.name, backend.px.id));
        let mut pending = std::mem::take(&mut self.stick_store);
        pending.clear();
        let caps = Captures::default();
        let q = &backend.queue;
        let found = {
            let mut t = self.stick_txn(s, &caps);
            super::stick::match_rules(&backend.stick_rules, &mut t, &mut pending, |id, name| {
                let servers = q.servers();
                let i = name
                    .and_then(|n| servers.iter().position(|sv| sv.name() == n))
                    .or_else(|| servers.iter().position(|sv| i64::from(sv.puid()) == id))?;
                let st = servers[i].state();
                let up =
                    st != crate::queue::ServerState::Down && st != crate::queue::ServerState::Maint;
                (up || backend.persist).then_some(i)
            })
        };
        self.stick_store = pending;
        found.map(|i| (i, false))
    }

    /// The server is connected: pending `stick` stores get it.
    fn stick_store(&mut self, cx: &Ctx) {
        let sh = cx.shared;
        let be = self.srv.be;
        let backend = &sh.backends[be];
        if backend.stick_rules.is_empty() {
            return;
        }
        let server = self.srv.server_of_last_request().and_then(|i| {
            let sv = backend.queue.server(i)?;
            Some((i64::from(sv.puid()), sv.name(), !backend.non_stick[i]))
        });
        let env = RtEnv {
            shared: sh,
            be: Some(be),
            stk: self.stk.clone(),
        };
        let mut s = Session::new(&sh.frontends[self.fe].name, &env);
        s.stk = env.stk.as_deref();
        s.src = self.peer;
        s.dst = self.local;
        let mut pending = std::mem::take(&mut self.stick_store);
        let caps = Captures::default();
        {
            let mut t = self.stick_txn(s, &caps);
            super::stick::store_rules(&backend.stick_rules, &mut t, &mut pending, server);
        }
        self.stick_store = pending;
    }

    /// `tcp-request content` rules of the frontend, then the backend, on the bytes so
    /// far. `Some(go)` once decided.
    fn inspect(&mut self, cx: &mut Ctx) -> Option<bool> {
        let until = self.inspecting?;
        let more = cx.now < until && !self.client.read_closed;
        let be = self.srv.be;
        let sh = cx.shared;
        let sets = [
            &sh.frontends[self.fe].px.tcp_content,
            &sh.backends[be].px.tcp_content,
        ];
        let local = self.local;
        for (i, rules) in sets.into_iter().enumerate() {
            let b = (i == 1).then_some(be);
            let payload = Some((self.c2s.bytes(), more));
            match run_tcp_rules(
                cx,
                self.fe,
                b,
                rules,
                self.peer,
                local,
                payload,
                &mut self.vars,
                self.stk.clone(),
                ConnFacts {
                    listener: self.listener,
                    fd: Some(std::os::fd::AsRawFd::as_raw_fd(&self.client.s)),
                    tls: super::tls::facts(&self.client.s),
                },
            ) {
                Verdict::Reject => return Some(false),
                Verdict::Wait => return None,
                Verdict::Go => {}
            }
        }
        self.inspecting = None;
        Some(true)
    }

    /// The server connection is up: the PROXY header (if configured) goes before any
    /// client byte.
    fn connected(&mut self, cx: &mut Ctx) {
        self.server_seen = cx.now;
        if let Some(i) = self.srv.server() {
            if let Some(r) = cx.shared.backends[self.srv.be].srv_rates.get(i) {
                r.inc();
            }
            super::counters::to_server(cx, self.srv.be, i, false);
        }
        self.stick_store(cx);
        self.log_connected(cx);
        if let Some(h) = self.srv.proxy_header(cx, self.peer, || {
            self.local.or_else(|| self.client.s.local_inet())
        }) {
            let mut b = Buf::default();
            b.extend(&h);
            b.extend(self.c2s.bytes());
            self.c2s = b;
        }
    }

    pub fn on_event(&mut self, cx: &mut Ctx, side: Side, ev: &Event) -> bool {
        match side {
            Side::Client => self.client.on_event(ev),
            Side::Idle(_) => return true,
            Side::Server => {
                if let Some(s) = self.srv.sock.as_mut() {
                    s.on_event(ev);
                }
                if !self.srv.is_connected() {
                    match self.srv.on_connect_event(cx) {
                        Outcome::Failed { term, .. } => {
                            self.log_term(term);
                            return false;
                        }
                        Outcome::Pending => return self.pump(cx),
                        Outcome::Connected(_) => self.connected(cx),
                    }
                }
            }
        }
        self.pump(cx)
    }

    pub fn on_wake(&mut self, cx: &mut Ctx) -> bool {
        self.follow(cx, |s, cx| s.srv.on_wake(cx))
    }

    pub fn on_timeout(&mut self, cx: &mut Ctx) -> bool {
        if self.inspecting.is_some_and(|t| t <= cx.now) {
            return self.pump(cx);
        }
        if !self.srv.is_connected() {
            if self.srv.deadline().is_some_and(|d| d <= cx.now) {
                return self.follow(cx, |s, cx| s.srv.on_timeout(cx));
            }
            return self.client_deadline(cx).is_none_or(|d| d > cx.now);
        }
        // Connected: any side idle past its timeout ends the session.
        let alive = self.deadline_connected(cx).is_none_or(|d| d > cx.now);
        if !alive {
            self.log_term(if self.server_seen < self.client_seen {
                "sD"
            } else {
                "cD"
            });
        }
        alive
    }

    fn follow(&mut self, cx: &mut Ctx, f: impl FnOnce(&mut Self, &mut Ctx) -> Outcome) -> bool {
        match f(self, cx) {
            Outcome::Failed { term, .. } => {
                self.log_term(term);
                false
            }
            Outcome::Pending => true,
            Outcome::Connected(_) => {
                self.connected(cx);
                self.pump(cx)
            }
        }
    }

    pub fn deadline(&self, cx: &Ctx) -> Option<Instant> {
        if let Some(t) = self.inspecting {
            return Some(t);
        }
        if self.srv.is_connected() {
            return self.deadline_connected(cx);
        }
        match (self.srv.deadline(), self.client_deadline(cx)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn client_deadline(&self, cx: &Ctx) -> Option<Instant> {
        let fe = &cx.shared.frontends[self.fe];
        let t = if self.client.write_closed {
            fe.client_fin.or(fe.px.timeouts.client)
        } else {
            fe.px.timeouts.client
        };
        t.map(|d| self.client_seen + d)
    }

    fn deadline_connected(&self, cx: &Ctx) -> Option<Instant> {
        let fe = &cx.shared.frontends[self.fe];
        let be = &cx.shared.backends[self.srv.be];
        let tunnel = be.tunnel.or(fe.tunnel);
        let pick = |fin: Option<Duration>, shut: bool, base: Option<Duration>| {
            if shut {
                fin.or(tunnel).or(base)
            } else {
                tunnel.or(base)
            }
        };
        let client_t = pick(
            fe.client_fin,
            self.client.write_closed,
            fe.px.timeouts.client,
        );
        let srv_shut = self.srv.sock.as_ref().is_some_and(|s| s.write_closed);
        let server_t = pick(be.server_fin, srv_shut, be.server);
        let c = client_t.map(|d| self.client_seen + d);
        let s = server_t.map(|d| self.server_seen + d);
        match (c, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves bytes until nothing progresses. Returns false once the session is over.
    fn pump(&mut self, cx: &mut Ctx) -> bool {
        let limit = cx.shared.bufsize;
        // Only between two plain sockets (not TLS), once the server side is up.
        let plain = |s: &Sock| s.s.splice_fd().is_some();
        let splice = match self.srv.sock.as_ref() {
            Some(s) if self.srv.is_connected() && plain(s) && plain(&self.client) => {
                cx.shared.frontends[self.fe].splice | cx.shared.backends[self.srv.be].splice
            }
            _ => 0,
        };
        loop {
            let mut progress = false;
            // A direction is spliced once its buffer is drained (bytes read before the
            // server connection was up, or for inspection, go out first).
            let splice_c2s = splice & Splice::REQUEST != 0
                && self.c2s.is_empty()
                && self.inspecting.is_none()
                && take_pipe(&mut self.c2s_pipe);
            let got = if splice_c2s {
                let p = self.c2s_pipe.as_mut().expect("taken above");
                self.client.splice_in(p, PIPE_ROOM)
            } else {
                self.client.read_into(&mut self.c2s, limit)
            };
            match got {
                ReadOutcome::Data(n) => {
                    super::counters::client_bytes(cx, self.fe, true, n);
                    progress = true;
                    self.client_seen = cx.now;
                    super::stick::bytes(self.stk.as_deref(), true, n);
                    self.log_bytes(n, 0);
                }
                ReadOutcome::Error => {
                    self.log_term("CD");
                    return false;
                }
                _ => {}
            }
            if self.inspecting.is_some() {
                return match self.inspect(cx) {
                    Some(true) => self.begin_server(cx),
                    Some(false) => false,
                    None => true,
                };
            }
            let connected = self.srv.is_connected();
            let (be_i, srv_i) = (self.srv.be, self.srv.server());
            if let Some(srv) = self.srv.sock.as_mut().filter(|_| connected) {
                let sent = match self.c2s_pipe.as_mut() {
                    Some(p) if p.len > 0 => srv.splice_out(p),
                    _ => srv.write_from(&mut self.c2s),
                };
                match sent {
                    Ok(n) if n > 0 => {
                        super::counters::server_bytes(cx, be_i, srv_i, true, n);
                        progress = true;
                        self.server_seen = cx.now;
                    }
                    Ok(_) => {}
                    Err(_) => return false,
                }
                let c2s_empty = self.c2s.is_empty() && pipe_empty(&self.c2s_pipe);
                if self.client.read_closed && c2s_empty && !srv.write_closed {
                    srv.shutdown_write();
                }
                let splice_s2c = splice & Splice::RESPONSE != 0
                    && self.s2c.is_empty()
                    && take_pipe(&mut self.s2c_pipe);
                let got = if splice_s2c {
                    let p = self.s2c_pipe.as_mut().expect("taken above");
                    srv.splice_in(p, PIPE_ROOM)
                } else {
                    srv.read_into(&mut self.s2c, limit)
                };
                match got {
                    ReadOutcome::Data(n) => {
                        super::counters::server_bytes(cx, be_i, srv_i, false, n);
                        progress = true;
                        self.server_seen = cx.now;
                    }
                    ReadOutcome::Error => {
                        if let Some(l) = self.lg.as_mut() {
                            l.set_term("SD");
                        }
                        return false;
                    }
                    _ => {}
                }
                let sent = match self.s2c_pipe.as_mut() {
                    Some(p) if p.len > 0 => self.client.splice_out(p),
                    _ => self.client.write_from(&mut self.s2c),
                };
                match sent {
                    Ok(n) if n > 0 => {
                        super::counters::client_bytes(cx, self.fe, false, n);
                        progress = true;
                        self.client_seen = cx.now;
                        super::stick::bytes(self.stk.as_deref(), false, n);
                        if let Some(l) = self.lg.as_mut() {
                            l.bytes_out += n as i64;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => {
                        self.log_term("CD");
                        return false;
                    }
                }
                if srv.read_closed && self.s2c.is_empty() && pipe_empty(&self.s2c_pipe) {
                    self.client.shutdown_write();
                }
                if srv.read_closed && srv.write_closed && self.client.write_closed {
                    return false;
                }
            } else if self.client.read_closed && self.c2s.is_empty() && !self.srv.is_idle() {
                // The client left before anything was sent: HAProxy still connects and
                // forwards the close; nothing to do until the connection is up.
            }
            if !progress {
                break;
            }
        }
        // Drained pipes go back to the thread's pool.
        for p in [&mut self.c2s_pipe, &mut self.s2c_pipe] {
            if let Some(pipe) = p.take_if(|p| p.len == 0) {
                pipe.give();
            }
        }
        if self.c2s.is_empty() && self.s2c.is_empty() && self.srv.is_connected() {
            self.c2s.release();
            self.s2c.release();
        }
        true
    }

    /// `-d`: HAProxy prints the side that closed first with the client's descriptor, then
    /// the other side and `closed` with both already gone (`ffff`).
    fn trace_close(&mut self, cx: &Ctx) {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let Some(id) = self.trace_id.take() else {
            return;
        };
        let name = &cx.shared.frontends[self.fe].name;
        // A client that only half-closed is not closed until the server's end is relayed.
        let server_first = self.srv.sock.as_ref().is_some_and(|s| s.read_closed);
        let (first, second) = if server_first {
            ("srvcls", "clicls")
        } else {
            ("clicls", "srvcls")
        };
        let cfd = self.client.s.as_raw_fd();
        let out = format!(
            "{id:08x}:{name}.{first}[{cfd:04x}:ffff]\n{id:08x}:{name}.{second}[ffff:ffff]\n{id:08x}:{name}.closed[ffff:ffff]\n"
        );
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }

    pub fn close(&mut self, cx: &mut Ctx) {
        if cx.shared.debug {
            self.trace_close(cx);
        }
        self.srv.close(cx);
        self.log_end(cx);
        // Dropping the session closes the socket, which takes it out of epoll.
    }

    /// Its way to the server (for `on-marked-down shutdown-sessions`).
    pub fn server_side(&self) -> &ServerSide {
        &self.srv
    }

    pub fn stream_id(&self) -> Option<crate::queue::StreamId> {
        self.srv.stream_id()
    }
}

/// A session that ends gives its drained pipes back to the pool (one with bytes left is
/// closed).
impl Drop for TcpSession {
    fn drop(&mut self) {
        for p in [self.c2s_pipe.take(), self.s2c_pipe.take()]
            .into_iter()
            .flatten()
        {
            p.give();
        }
    }
}

/// Bytes a spliced direction keeps in its pipe at most (the kernel's default pipe size,
/// HAProxy's `tune.pipesize` default).
const PIPE_ROOM: usize = 64 * 1024;

/// Makes sure a direction has a pipe; false when none can be had (descriptors exhausted):
/// that direction is then copied through its buffer.
fn take_pipe(p: &mut Option<super::splice::Pipe>) -> bool {
    if p.is_none() {
        *p = super::splice::Pipe::take();
    }
    p.is_some()
}

fn pipe_empty(p: &Option<super::splice::Pipe>) -> bool {
    p.as_ref().is_none_or(|p| p.len == 0)
}
