//! The server side of a stream: getting a slot from the queue, connecting, and HAProxy's
//! connection-retry rules (`retries`, `option redispatch`, the turn-around delay), as in
//! 2.6's `back_handle_st_cer()` and `stream_choose_redispatch()`. Shared by TCP and HTTP
//! sessions so both behave identically on a dead server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::{Interest, Token};

use super::io::Sock;
use super::pool::IdleConn;
use super::shared::Backend;
use super::stream::{Stream, Target};
use super::worker::{Ctx, MAX_IDLE};
use crate::model::proxy::HttpReuse;
use crate::queue::{self, Assign, Poll as QPoll, ServerState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Queued {
        until: Option<Instant>,
    },
    Connecting {
        srv: usize,
        until: Option<Instant>,
    },
    /// Waiting `min(1s, timeout connect)` after a connection error before retrying.
    TurnAround {
        srv: Option<usize>,
        until: Instant,
    },
    Connected {
        srv: usize,
    },
}

/// What the session must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing yet (queued, connecting, waiting to retry).
    Pending,
    /// The server socket is connected.
    Connected(usize),
    /// Give up with this status; `term` is the two-character termination state of the logs.
    Failed { status: u16, term: &'static str },
}

pub struct ServerSide {
    pub be: usize,
    stream: Option<queue::Stream>,
    /// `set-priority-class` / `set-priority-offset` (ms) of the current request.
    pub priority: (i32, i32),
    phase: Phase,
    /// HAProxy's `si->conn_retries`: retries left.
    retries_left: i64,
    /// The server was chosen by persistence (HAProxy's `SF_DIRECT`).
    direct: bool,
    force_persist: bool,
    /// For the logs: the server of a request that failed, and its queue facts.
    last_srv: Option<usize>,
    last_queue: queue::StreamLog,
    hash_key: Option<Vec<u8>>,
    pub sock: Option<Sock>,
    /// Idle keep-alive connections of this session, by server, reusable by its next
    /// requests (slot `i` is registered with the session's idle token `i`).
    idle: [Option<(usize, Sock, u32)>; MAX_IDLE],
    /// The active connection was just opened (not reused): the PROXY header goes first.
    fresh: bool,
    /// Requests the active connection carried, this one included.
    uses: u32,
    /// The request is its session's first (`http-reuse safe` keeps it off shared
    /// connections).
    first_request: bool,
    /// The pool key of the connection this session parked still registered with its
    /// server token (see `pool::IdleConn::owner`).
    lent: Option<usize>,
    /// Where the client connected (after `set-dst`), for servers whose address comes from
    /// it (`Target::FromDst`); set by the session when its backend has such servers.
    pub dst: Option<SocketAddr>,
    /// The value of the backend's `sni` expression for the current request, set by the
    /// session when the backend has one.
    pub sni: Option<String>,
}

impl ServerSide {
    pub fn new(be: usize) -> ServerSide {
        ServerSide {
            be,
            stream: None,
            priority: (0, 0),
            phase: Phase::Idle,
            retries_left: 0,
            direct: false,
            force_persist: false,
            hash_key: None,
            sock: None,
            idle: Default::default(),
            fresh: false,
            uses: 0,
            first_request: true,
            lent: None,
            dst: None,
            sni: None,
            last_srv: None,
            last_queue: Default::default(),
        }
    }

    /// The server the current request went to or last tried (`%s`), also after a failure.
    pub fn log_server(&self) -> Option<usize> {
        match self.phase {
            Phase::Connected { srv } | Phase::Connecting { srv, .. } => Some(srv),
            Phase::TurnAround { srv: Some(srv), .. } => Some(srv),
            _ => self.last_srv,
        }
    }

    /// Connection retries made for the current request (`%rc`), and its queue facts
    /// (`%sq`, `%bq`, `Tw`).
    pub fn log_facts(&self, cx: &Ctx) -> (i64, queue::StreamLog) {
        let total = cx.shared.backends[self.be].retries as i64;
        let q = self.stream.as_ref().map_or(self.last_queue, |s| s.log());
        ((total - self.retries_left).clamp(0, total), q)
    }

    /// The PROXY protocol header to send first on a just-opened connection to a server
    /// with `send-proxy`/`send-proxy-v2`, for a client `src` that connected to `dst`.
    pub fn proxy_header(
        &self,
        cx: &Ctx,
        src: Option<SocketAddr>,
        dst: impl FnOnce() -> Option<SocketAddr>,
    ) -> Option<Vec<u8>> {
        let srv = self.server_of_last_request()?;
        let v = *cx.shared.backends[self.be].send_proxy.get(srv)?;
        // Over TLS the header would have to precede the handshake: not done yet (warned).
        if !self.fresh || v == 0 || self.sock.as_ref().is_some_and(|s| s.s.is_tls()) {
            return None;
        }
        // Only now: the client's local address costs a getsockname().
        let dst = dst();
        let mut out = Vec::new();
        match (src, dst) {
            (Some(s), Some(d)) if v == 2 => crate::proxy_proto::write_v2(s, d, &mut out),
            (Some(s), Some(d)) => crate::proxy_proto::write_v1(s, d, &mut out),
            _ if v == 2 => {
                // LOCAL command: no addresses to tell.
                out.extend_from_slice(crate::proxy_proto::V2_SIG);
                out.extend_from_slice(&[0x20, 0x00, 0x00, 0x00]);
            }
            _ => out.extend_from_slice(b"PROXY UNKNOWN\r\n"),
        }
        Some(out)
    }

    /// The active connection was reused (an idle one), not opened for this request.
    pub fn reused(&self) -> bool {
        self.sock.is_some() && !self.fresh
    }

    /// The server of the current request while connected (the response is being read).
    pub fn server_of_last_request(&self) -> Option<usize> {
        match self.phase {
            Phase::Connected { srv } => Some(srv),
            _ => None,
        }
    }

    pub fn server(&self) -> Option<usize> {
        match self.phase {
            Phase::Connected { srv } | Phase::Connecting { srv, .. } => Some(srv),
            _ => None,
        }
    }

    /// The server still is the one persistence chose (HAProxy's `SF_DIRECT`): false after
    /// a redispatch.
    /// (backend, server) while connecting or connected.
    pub fn target(&self) -> Option<(usize, usize)> {
        self.server().map(|s| (self.be, s))
    }

    pub fn is_direct(&self) -> bool {
        self.direct
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected { .. })
    }

    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Idle
    }

    /// Idle and holding nothing (no connection, no private idle connection): the
    /// session may drop it and build a new one for its next request.
    pub fn holds_nothing(&self) -> bool {
        self.phase == Phase::Idle
            && self.sock.is_none()
            && self.stream.is_none()
            && self.idle.iter().all(Option::is_none)
            && self.lent.is_none()
    }

    /// Hands the registration of the connection this session parked back to the pool,
    /// before the session's server token names another socket or goes away.
    pub fn disown(&mut self, cx: &mut Ctx) {
        if let Some(key) = self.lent.take() {
            cx.pool.disown(cx.registry, key, cx.server_token());
        }
    }

    /// An event on the server token while no connection is active: it is for the
    /// connection this session parked in the pool.
    pub fn lent_event(&mut self, cx: &mut Ctx, ev: &mio::event::Event) {
        if let Some(key) = self.lent {
            cx.pool.owned_event(key, cx.server_token(), ev);
        }
    }

    /// The stream id the queue knows this request by (to match wake-ups).
    pub fn stream_id(&self) -> Option<queue::StreamId> {
        self.stream.as_ref().map(|s| s.id())
    }

    /// Starts acquiring a server for one request (or a TCP connection).
    /// `persist`: a server chosen by cookie/use-server, with HAProxy's force-persist flag.
    pub fn start(
        &mut self,
        cx: &mut Ctx,
        hash_key: Option<Vec<u8>>,
        persist: Option<(usize, bool)>,
    ) -> Outcome {
        let be = &cx.shared.backends[self.be];
        self.retries_left = be.retries as i64;
        self.last_srv = None;
        self.last_queue = Default::default();
        self.hash_key = hash_key;
        self.direct = persist.is_some();
        self.force_persist = persist.is_some_and(|(_, f)| f);
        let srv = persist.map(|(s, _)| s).or_else(|| self.last_usable(cx));
        self.new_stream(cx, srv);
        self.assign(cx)
    }

    /// `option prefer-last-server`: the first server this session holds an idle connection
    /// to that is currently usable (up or starting, with weight), as `assign_server()`
    /// looks through the session's server list before load balancing.
    fn last_usable(&self, cx: &Ctx) -> Option<usize> {
        let be = &cx.shared.backends[self.be];
        if !be.prefer_last {
            return None;
        }
        self.idle.iter().flatten().map(|(s, _, _)| *s).find(|&s| {
            be.queue.server(s).is_some_and(|sv| {
                matches!(sv.state(), ServerState::Up | ServerState::Starting) && sv.weight() > 0
            })
        })
    }

    fn new_stream(&mut self, cx: &Ctx, srv: Option<usize>) {
        let be = &cx.shared.backends[self.be];
        let st = be.queue.stream_new();
        st.set_user_tag(cx.tag());
        if self.hash_key.is_some() {
            st.set_hash_key(self.hash_key.as_deref());
        }
        if let Some(s) = srv {
            let _ = st.set_server(s, self.direct, self.force_persist);
        }
        if self.priority != (0, 0) {
            st.set_priority(self.priority.0, self.priority.1);
        }
        self.stream = Some(st);
    }

    fn assign(&mut self, cx: &mut Ctx) -> Outcome {
        let be = &cx.shared.backends[self.be];
        let Some(st) = self.stream.as_ref() else {
            return Outcome::Failed {
                status: 503,
                term: "SC",
            };
        };
        match st.assign(cx.now_ms) {
            Ok(Assign::Ok(srv)) => {
                if !self.direct {
                    super::counters::picked(cx, self.be, srv);
                }
                self.connect(cx, srv)
            }
            Ok(Assign::Queued) => {
                self.phase = Phase::Queued {
                    until: be.queue_timeout.map(|d| cx.now + d),
                };
                Outcome::Pending
            }
            Ok(Assign::Full) => self.fail(503, "sQ"),
            Ok(Assign::NoSrv) | Err(_) => self.fail(503, "SC"),
        }
    }

    fn fail(&mut self, status: u16, term: &'static str) -> Outcome {
        self.last_srv = self.log_server();
        if let Some(st) = self.stream.as_ref() {
            self.last_queue = st.log();
        }
        self.stream = None;
        self.phase = Phase::Idle;
        Outcome::Failed { status, term }
    }

    fn connect(&mut self, cx: &mut Ctx, srv: usize) -> Outcome {
        self.drop_sock();
        // The session's own idle connection first, then one from the worker's pool when
        // `http-reuse` allows it.
        let found = self
            .idle
            .iter()
            .position(|e| e.as_ref().is_some_and(|(s, _, _)| *s == srv));
        // (socket, uses, where it is registered: ours, this worker's, or nowhere).
        let reused = match found {
            Some(i) => self.idle[i].take().map(|(_, s, u)| (s, u, Reg::Worker)),
            None => {
                let reuse = cx.shared.backends[self.be].http_reuse;
                cx.pool
                    .take(
                        self.be,
                        srv,
                        reuse,
                        self.first_request,
                        self.lent.map(|k| (k, cx.server_token())),
                    )
                    .map(|c| {
                        let reg = match c.owner {
                            Some(t) if t == cx.server_token() => Reg::Ours,
                            _ => Reg::Worker,
                        };
                        (c.sock, c.uses, reg)
                    })
                    .or_else(|| {
                        take_over(cx, self.be, srv, reuse, self.first_request)
                            .map(|(s, u)| (s, u, Reg::Nowhere))
                    })
            }
        };
        // A TLS connection named another server name than this request's SNI cannot
        // carry it (HAProxy keys idle connections by SNI).
        let tls = &cx.shared.backends[self.be].tls;
        let want = tls
            .uses_sni
            .get(srv)
            .copied()
            .unwrap_or(false)
            .then_some(self.sni.as_deref())
            .flatten();
        let reused = reused.filter(|(sock, _, _)| {
            sock.s
                .tls()
                .is_none_or(|t| t.servername(openssl::ssl::NameType::HOST_NAME) == want)
        });
        if let Some((mut sock, uses, reg)) = reused {
            let tok = Token(cx.server_token());
            let both = Interest::READABLE | Interest::WRITABLE;
            if reg == Reg::Ours {
                // Our own parked connection, still registered as ours.
                self.lent = None;
            } else {
                self.disown(cx);
            }
            let ok = match reg {
                Reg::Ours => true,
                Reg::Worker => cx.registry.reregister(&mut sock.s, tok, both).is_ok(),
                Reg::Nowhere => cx.registry.register(&mut sock.s, tok, both).is_ok(),
            };
            if ok {
                super::counters::connecting(cx, self.be, srv, false);
                sock.used = Some(cx.shared.backends[self.be].idle_cap[srv].use_one());
                self.sock = Some(sock);
                self.fresh = false;
                self.uses = uses + 1;
                self.phase = Phase::Connected { srv };
                return Outcome::Connected(srv);
            }
        }
        self.disown(cx);
        let be = &cx.shared.backends[self.be];
        let Some(target) = be
            .addrs
            .get(srv)
            .and_then(|t| t.with(|t| t?.for_dst(self.dst)))
        else {
            return self.conn_error(cx, srv, true);
        };
        let source = be.sources.get(srv).copied().flatten();
        super::counters::connecting(cx, self.be, srv, true);
        match start_connect(cx, &target, source) {
            Ok(mut sock) => {
                if let Some(ka) = &be.srv_ka {
                    sock.s.set_keepalive(ka);
                }
                sock.used = Some(be.idle_cap[srv].use_one());
                // On loopback the handshake is over when connect() returns: the request
                // goes out now instead of after an epoll round (HAProxy waits for it).
                // getpeername() tells a completed connect; a refused one fails it and is
                // reported by its event as usual.
                let done = matches!(target, Target::Inet(a) if a.ip().is_loopback())
                    && sock.s.peer_inet().is_some();
                if done {
                    sock.writable = true;
                }
                self.sock = Some(sock);
                self.phase = Phase::Connecting {
                    srv,
                    until: be.connect.map(|d| cx.now + d),
                };
                if done {
                    return self.on_connect_event(cx);
                }
                Outcome::Pending
            }
            Err(_) => self.conn_error(cx, srv, true),
        }
    }

    /// A readiness event on the server socket while connecting.
    pub fn on_connect_event(&mut self, cx: &mut Ctx) -> Outcome {
        let Phase::Connecting { srv, .. } = self.phase else {
            return Outcome::Pending;
        };
        let Some(sock) = self.sock.as_mut() else {
            return Outcome::Pending;
        };
        if sock.s.is_tls() {
            return self.tls_step(cx, srv);
        }
        if !sock.writable {
            return Outcome::Pending;
        }
        if sock.err_seen {
            match sock.s.take_error() {
                Ok(None) => {}
                _ => return self.conn_error(cx, srv, true),
            }
        }
        // Writable with no error reported: the connect completed (no getpeername needed:
        // `writable` is only set by an event, never on a socket still connecting).
        super::check::observe(&cx.shared.backends[self.be], srv, super::check::Hana::L4Ok);
        if let Some(tls) = cx.shared.backends[self.be]
            .tls
            .servers
            .get(srv)
            .and_then(|t| t.as_ref())
        {
            // `server … ssl`: the connection is established once the handshake is.
            let Some(mut sock) = self.sock.take() else {
                return Outcome::Pending;
            };
            let (nolinger, used) = (sock.nolinger(), sock.used.take());
            let sni = cx.shared.backends[self.be].tls.uses_sni[srv]
                .then_some(self.sni.as_deref())
                .flatten();
            let Some(stream) = tls.new_ssl(sni).ok().and_then(|ssl| {
                super::tls::TlsStream::new(ssl, sock.into_stream(), Vec::new()).ok()
            }) else {
                return self.conn_error(cx, srv, true);
            };
            let mut sock = Sock::new(Stream::Tls(Box::new(stream)));
            sock.carry_from(nolinger, used);
            self.sock = Some(sock);
            return self.tls_step(cx, srv);
        }
        self.established(srv)
    }

    fn established(&mut self, srv: usize) -> Outcome {
        self.phase = Phase::Connected { srv };
        self.fresh = true;
        self.uses = 1;
        Outcome::Connected(srv)
    }

    /// One step of the TLS handshake with the server, within `timeout connect`; a failure
    /// is a connection error (retried, then 503), as in HAProxy.
    fn tls_step(&mut self, cx: &mut Ctx, srv: usize) -> Outcome {
        let Some(Stream::Tls(t)) = self.sock.as_mut().map(|s| &mut s.s) else {
            return Outcome::Pending;
        };
        match t.handshake() {
            super::tls::Hs::Pending => Outcome::Pending,
            super::tls::Hs::Done => self.established(srv),
            super::tls::Hs::Failed(_) => self.conn_error(cx, srv, true),
        }
    }

    /// The queue changed this stream's state (slot given, redistributed, expired).
    pub fn on_wake(&mut self, cx: &mut Ctx) -> Outcome {
        if !matches!(self.phase, Phase::Queued { .. }) {
            return Outcome::Pending;
        }
        self.poll_queue(cx)
    }

    fn poll_queue(&mut self, cx: &mut Ctx) -> Outcome {
        let Some(st) = self.stream.as_ref() else {
            return Outcome::Pending;
        };
        match st.poll(cx.now_ms) {
            QPoll::Waiting => Outcome::Pending,
            QPoll::Assigned(srv) => self.connect(cx, srv),
            QPoll::Rebalance => self.assign(cx),
            QPoll::Timeout => self.fail(503, "sQ"),
            QPoll::Idle => self.assign(cx),
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Queued { until } | Phase::Connecting { until, .. } => until,
            Phase::TurnAround { until, .. } => Some(until),
            _ => None,
        }
    }

    pub fn on_timeout(&mut self, cx: &mut Ctx) -> Outcome {
        match self.phase {
            Phase::Queued { until: Some(u) } if u <= cx.now => {
                // Let the queue decide: a slot may have been given at the last moment.
                let o = self.poll_queue(cx);
                if o == Outcome::Pending {
                    // The queue's clock is in whole milliseconds: it may lag ours slightly.
                    self.phase = Phase::Queued {
                        until: Some(cx.now + Duration::from_millis(1)),
                    };
                }
                o
            }
            Phase::Connecting {
                srv,
                until: Some(u),
            } if u <= cx.now => self.conn_error(cx, srv, false),
            Phase::TurnAround { srv, until } if until <= cx.now => match srv {
                Some(srv) => self.connect(cx, srv),
                None => self.assign(cx),
            },
            _ => Outcome::Pending,
        }
    }

    /// A failed connection attempt: `refused` for an asynchronous error (as opposed to the
    /// connect timeout), which is what triggers HAProxy's turn-around delay.
    fn conn_error(&mut self, cx: &mut Ctx, srv: usize, refused: bool) -> Outcome {
        self.drop_sock();
        super::check::observe(&cx.shared.backends[self.be], srv, super::check::Hana::L4Err);
        let term = if refused { "SC" } else { "sC" };
        self.retries_left -= 1;
        if self.retries_left < 0 || !cx.shared.backends[self.be].retry_on.conn_failure {
            super::counters::conn_error(cx, self.be, Some(srv));
            return self.fail(503, term);
        }
        let be = &cx.shared.backends[self.be];
        let redispatch = self.choose_redispatch(be, srv);
        super::counters::retried(cx, self.be, srv, redispatch);
        let retry_srv = if redispatch {
            // Back to the load balancer: give the slot back first (it may dequeue others).
            self.direct = false;
            self.new_stream(cx, None);
            None
        } else {
            Some(srv)
        };
        let srv_act = active_servers(be);
        if refused && (!redispatch || !be.rr_kind || srv_act <= 1) {
            let delay = be.connect.map_or(Duration::from_millis(1000), |c| {
                c.min(Duration::from_millis(1000))
            });
            self.phase = Phase::TurnAround {
                srv: retry_srv,
                until: cx.now + delay,
            };
            return Outcome::Pending;
        }
        match retry_srv {
            Some(s) => self.connect(cx, s),
            None => self.assign(cx),
        }
    }

    /// `do_l7_retry()`: the server failed the request in a way `retry-on` names; try again
    /// (same server or, by the redispatch rules, another). `None` when no retry is left:
    /// the caller reports the failure as it is.
    pub fn retry_l7(&mut self, cx: &mut Ctx) -> Option<Outcome> {
        let srv = self.server_of_last_request()?;
        self.retries_left -= 1;
        if self.retries_left < 0 {
            return None;
        }
        self.drop_sock();
        let be = &cx.shared.backends[self.be];
        if self.choose_redispatch(be, srv) {
            self.direct = false;
            self.new_stream(cx, None);
            return Some(self.assign(cx));
        }
        Some(self.connect(cx, srv))
    }

    /// `stream_choose_redispatch()`.
    fn choose_redispatch(&self, be: &Backend, srv: usize) -> bool {
        if be.redispatch_after == 0 || self.force_persist {
            return false;
        }
        let total = be.retries as i64;
        let done = total - self.retries_left;
        let down = be
            .queue
            .server(srv)
            .is_some_and(|s| matches!(s.state(), ServerState::Down | ServerState::Maint));
        let after = be.redispatch_after;
        let interval = (after > 0 && done % after == 0)
            || (after < 0 && (total + 1 + after) != 0 && done % (total + 1 + after) == 0);
        down || interval || (!self.direct && active_servers(be) > 1 && be.rr_kind)
    }

    /// Ends the request's use of the server: the slot goes back to the queue (which may hand
    /// it to a waiting stream at once). With `keep_conn` the connection stays open, idle,
    /// for a later request of this session that picks the same server.
    pub fn release(&mut self, cx: &mut Ctx, keep_conn: bool) {
        self.last_srv = self.log_server();
        if let Some(st) = self.stream.take() {
            self.last_queue = st.log();
        }
        match (keep_conn, self.phase) {
            (true, Phase::Connected { srv }) if self.sock.is_some() => self.park(cx, srv),
            _ => self.drop_sock(),
        }
        self.phase = Phase::Idle;
    }

    /// Moves the active connection to the worker's pool, or with `http-reuse never` to the
    /// session's own idle set (replacing an older one to the same server, else the first
    /// free slot, else slot 0).
    fn park(&mut self, cx: &mut Ctx, srv: usize) {
        let Some(mut sock) = self.sock.take() else {
            return;
        };
        let reuse = cx.shared.backends[self.be].http_reuse;
        // Only `never` keeps connections private to the session; otherwise an idle
        // connection waits in the worker's pool, where this session's next request finds
        // it again and others may take it as `http-reuse` allows (HAProxy's idle lists).
        if reuse != HttpReuse::Never {
            self.disown(cx);
            // Not worth keeping, or `pool-max-conn` reached: closed (the session keeps
            // none of its own).
            let local = cx.pool.local(self.be, srv);
            let cap = &cx.shared.backends[self.be].idle_cap[srv];
            let Some(ticket) = cap.admit(super::pool::is_safe(self.uses), local) else {
                return;
            };
            sock.used = None;
            self.lent = cx.pool.put(
                cx.registry,
                IdleConn {
                    be: self.be,
                    srv,
                    sock,
                    uses: self.uses,
                    owner: Some(cx.server_token()),
                    ticket: Some(ticket),
                },
            );
            return;
        }
        let i = self
            .idle
            .iter()
            .position(|e| e.as_ref().is_some_and(|(s, _, _)| *s == srv))
            .or_else(|| self.idle.iter().position(Option::is_none))
            .unwrap_or(0);
        self.idle[i] = None;
        sock.used = None;
        let tok = Token(cx.idle_token(i));
        if cx
            .registry
            .reregister(&mut sock.s, tok, Interest::READABLE)
            .is_ok()
        {
            self.idle[i] = Some((srv, sock, self.uses));
        }
    }

    /// An event on idle connection `i`: a close or stray bytes make it unusable.
    pub fn idle_event(&mut self, i: usize, ev: &mio::event::Event) {
        let Some(Some((_, sock, _))) = self.idle.get_mut(i) else {
            return;
        };
        sock.on_event(ev);
        let mut scratch = super::io::Buf::default();
        if sock.read_into(&mut scratch, 64) != super::io::ReadOutcome::Blocked {
            self.idle[i] = None;
        }
    }

    /// Closes the active connection. Sockets are never deregistered before they are
    /// closed: the close takes them out of epoll (they are never duplicated), which saves
    /// an `epoll_ctl` per connection, as in HAProxy.
    pub fn drop_sock(&mut self) {
        self.sock = None;
    }

    /// Ends the session's use of servers: the slot and the active connection go; idle
    /// connections go to the worker's pool (unless `http-reuse never`).
    pub fn close(&mut self, cx: &mut Ctx) {
        self.release(cx, false);
        self.disown(cx);
        let share = cx.shared.backends[self.be].http_reuse != HttpReuse::Never;
        for e in self.idle.iter_mut() {
            if let Some((srv, sock, uses)) = e.take() {
                if share {
                    let local = cx.pool.local(self.be, srv);
                    let cap = &cx.shared.backends[self.be].idle_cap[srv];
                    let Some(ticket) = cap.admit(super::pool::is_safe(uses), local) else {
                        continue;
                    };
                    let c = IdleConn {
                        be: self.be,
                        srv,
                        sock,
                        uses,
                        owner: None,
                        ticket: Some(ticket),
                    };
                    cx.pool.put(cx.registry, c);
                }
            }
        }
    }

    /// Waiting in a queue (for the log's `CQ` when the client leaves then).
    pub fn queued(&self) -> bool {
        matches!(self.phase, Phase::Queued { .. })
    }

    /// Marks the next request as its session's first or not (for `http-reuse safe`).
    pub fn set_first_request(&mut self, first: bool) {
        self.first_request = first;
    }
}

/// Where a reused connection's socket is registered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reg {
    /// With this session's server token already.
    Ours,
    /// In this worker's epoll, under another token.
    Worker,
    /// Nowhere: taken over from another worker.
    Nowhere,
}

/// HAProxy's idle connection takeover: with none of its own, a worker takes an idle
/// connection to `srv` from another worker's pool, as `reuse` allows, and takes it out of
/// that worker's epoll. `try_lock` only: a busy worker is skipped, and two workers never
/// wait on each other.
fn take_over(
    cx: &Ctx,
    be: usize,
    srv: usize,
    reuse: HttpReuse,
    first: bool,
) -> Option<(Sock, u32)> {
    if reuse == HttpReuse::Never || (reuse == HttpReuse::Safe && first) {
        return None;
    }
    if !cx.shared.backends[be].idle_cap[srv].may_take_over() {
        return None;
    }
    for (w, peer) in cx.peers.iter().enumerate() {
        if w == cx.worker {
            continue;
        }
        let Ok(mut pool) = peer.idle.try_lock() else {
            continue;
        };
        if let Some(mut c) = pool.take(be, srv, reuse, first, None) {
            drop(pool);
            if peer.registry.deregister(&mut c.sock.s).is_ok() {
                return Some((c.sock, c.uses));
            }
        }
    }
    None
}

/// Servers that take load-balanced traffic (HAProxy's `srv_act`).
fn active_servers(be: &Backend) -> usize {
    be.queue
        .servers()
        .iter()
        .filter(|s| !s.is_backup() && matches!(s.state(), ServerState::Up | ServerState::Starting))
        .count()
}

/// A non-blocking connect to `target`, from `source` when the configuration names one.
fn start_connect(
    cx: &mut Ctx,
    target: &Target,
    source: Option<SocketAddr>,
) -> std::io::Result<Sock> {
    let mut s = match (target, source) {
        (Target::Inet(addr), Some(src)) => {
            let addr = *addr;
            use socket2::{Domain, Socket, Type};
            let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            sock.set_nonblocking(true)?;
            sock.bind(&src.into())?;
            match sock.connect(&addr.into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            Stream::Tcp(mio::net::TcpStream::from_std(sock.into()))
        }
        (t, _) => t.connect()?,
    };
    s.set_nodelay(true);
    cx.registry.register(
        &mut s,
        Token(cx.server_token()),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    let mut sock = Sock::new(s);
    sock.arm_nolinger();
    // Connecting: not writable until mio says so.
    sock.writable = false;
    sock.readable = false;
    Ok(sock)
}
