//! `mode http`: one client connection carrying a sequence of HTTP/1 requests, each
//! forwarded to a server picked per request (HAProxy balances every request, not every
//! connection), bodies streamed in both directions through bounded buffers, then the next
//! request once both messages are complete. The server connection is kept for the next
//! request when both ends allow it and the next pick is the same server.
//!
//! Heads are parsed, rewritten and framed by [`super::http_msg`] (HAProxy's H1 rules);
//! replies produced by the proxy itself (`http-request return`/`deny`, error pages) take
//! the same path out as forwarded responses.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod log;
mod stats;

use mio::event::Event;

use super::env::RtEnv;
use super::errors::{ErrorTable, Rendered};
use super::http_msg::{self, BodyFwd, ConnPlan, Modes, ReqMsg, Want};
use super::http_return::{ConnHdr, Reply};
use super::io::{Buf, ReadOutcome, Sock};
use super::server_side::{Outcome, ServerSide};
use super::worker::{Ctx, Origin, Side};
use crate::http::{Framing, HeadEdits, RespHead};
use crate::persist::{self, BackendServers, HeaderEdit, RequestOutcome};
use crate::rules::http::{Captures, Effects, Flow, MsgRef, RedirectOut};
use crate::sample::fetch::{Session, Txn};
use crate::sample::msg::Resp;
use crate::sample::vars::Vars;

/// How long a closing connection keeps draining input after our shutdown, so that the
/// client reads our last response instead of a reset.
const LINGER: Duration = Duration::from_secs(1);

/// An idle keep-alive connection gives back its per-request state after this long (HAProxy
/// frees its stream at once; doing it at once here costs ~3,700 instructions per
/// keep-alive request in re-allocations, measured with benches/callgrind.sh).
const TRIM_AFTER: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Waiting for (the rest of) a request head.
    WaitReq,
    /// A proxy-made reply is queued; the request body, if any, is discarded.
    Skip,
    /// `option http-buffer-request`: waiting for the whole body (or a full buffer) before
    /// choosing a server.
    WaitBody,
    /// Waiting for the server side: queue, connect, retries.
    WaitSrv,
    /// Request and response flowing.
    Xfer,
    /// After a 101 or a CONNECT 2xx: bytes both ways until either side closes.
    Tunnel,
    /// Sending what is left, then closing.
    Closing,
    /// `http-request tarpit`: holding the client until `timeout tarpit`, then the reply.
    Tarpit,
}

/// What rules keep for a stream: variables, captures, side effects, and the owned view
/// of the current response for `http-response` rules.
#[derive(Debug, Default)]
struct RuleState {
    vars: Vars,
    caps: Captures,
    fx: Effects,
    res: Resp,
    /// `tarpit`: when to answer, the backend chosen (if any) and the reply.
    tarpit: Option<(Instant, Option<usize>, Box<Reply>)>,
    /// `res` holds the current server response as rules left it.
    res_active: bool,
    /// The stream's `unique-id`.
    unique_id: Option<String>,
}

/// The session's rule state, allocated on first use. A free function over the field so
/// callers can borrow the session's other fields beside it.
fn rule_state<'a>(
    rx: &'a mut Option<Box<RuleState>>,
    proc: &crate::sample::vars::ProcVars,
) -> &'a mut RuleState {
    rx.get_or_insert_with(|| Box::new(RuleState::new(proc.clone())))
}

/// `capture request|response header` slots: each slot with a header gets that header's
/// last value (`last(name)`), cut to the slot's length.
fn capture_headers<'v>(
    slots: &[(Option<String>, usize)],
    caps: &mut Vec<Option<Vec<u8>>>,
    last: impl Fn(&str) -> Option<&'v [u8]>,
) {
    caps.resize(slots.len(), None);
    for (i, (name, len)) in slots.iter().enumerate() {
        if let Some(v) = name.as_deref().and_then(&last) {
            caps[i] = Some(v[..v.len().min(*len)].to_vec());
        }
    }
}

impl RuleState {
    fn new(proc: crate::sample::vars::ProcVars) -> RuleState {
        RuleState {
            vars: Vars::new(proc),
            ..Default::default()
        }
    }

    /// A new transaction on the same connection.
    fn begin_txn(&mut self) {
        self.vars.end_txn();
        self.caps.req.clear();
        self.caps.res.clear();
        self.fx = Effects::default();
        self.tarpit = None;
        self.unique_id = None;
    }
}

pub struct HttpSession {
    fe: usize,
    client: Sock,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    /// The connection's own addresses once `set-src`/`set-dst` replaced `peer`/`local`
    /// (`fc_src`, `fc_dst` keep reading them).
    conn_addrs: ConnAddrs,
    /// Client → proxy bytes (request heads and bodies).
    cin: Buf,
    /// Proxy → client bytes.
    cout: Buf,
    /// Server → proxy bytes.
    sin: Buf,
    /// Proxy → server bytes.
    sout: Buf,
    /// The server side, for the backend of the current (or last) request.
    srv: Option<Box<ServerSide>>,
    be: Option<usize>,
    st: St,
    /// The current request (reused: its header vector keeps its capacity).
    req: ReqMsg,
    has_req: bool,
    /// The current final response head (reused like `req`).
    resp: RespHead,
    has_resp: bool,
    req_fwd: BodyFwd,
    resp_fwd: BodyFwd,
    plan: ConnPlan,
    /// The cookie persistence decision for the current request, with the positions of the
    /// `Cookie` headers it looked at (its edits are by index in that list).
    cookie: Option<(RequestOutcome, Vec<usize>)>,
    /// An `ignore-persist` rule matched the current request.
    ignore_persist: bool,
    /// Close the client connection once this exchange is over.
    close_after: bool,
    /// We answered the client's `Expect: 100-continue` ourselves: the header is not
    /// forwarded.
    sent_continue: bool,
    /// The backend chosen for a request waiting in `WaitBody`.
    be_pending: usize,
    /// `retry-on` layer-7 kinds: a copy of the request as sent so far (head and body), for
    /// a replay; `None` once it outgrew a buffer (no replay then, as in HAProxy).
    replay: Option<Vec<u8>>,
    /// The next connection gets `replay` instead of a head written from `cin`.
    replaying: bool,
    /// The current request's head left `cin` for a server (an error then must not skip it).
    head_sent: bool,
    /// The request went out on a reused idle connection: if the server turns out to have
    /// closed it, that is a connection failure to retry, as HAProxy does.
    on_reused: bool,
    requests: u64,
    /// Start of the current wait for a request.
    wait_since: Instant,
    client_seen: Instant,
    server_seen: Instant,
    linger_until: Option<Instant>,
    /// The last transaction ended cleanly with nothing more from the client in sight: the
    /// connection is closed right after our shutdown instead of draining (HAProxy's
    /// `http_end_request()` stops reading such a request; a POST or `abortonclose` keep
    /// reading, as a browser's trailing CRLF must not turn the close into a reset).
    quick_close: bool,
    scratch: Vec<u8>,
    /// `-d`: the listener's descriptor and the current stream's trace id.
    listener_fd: i32,
    /// Index of the listener in `Shared::listeners`.
    listener: Option<usize>,
    trace_id: Option<u32>,
    /// Allocated at the first request whose proxies have rules (a plain proxy's
    /// connections never carry it).
    rx: Option<Box<RuleState>>,
    proc_vars: crate::sample::vars::ProcVars,
    /// Stick-counter slots (`None`: no stick table in the configuration).
    stk: Option<std::sync::Arc<crate::stick::Trackers>>,
    /// `stick store-*` entries waiting for the response's server.
    stick_store: super::stick::PendingStores,
    /// The per-request state was given back while idle ([`Self::trim`]).
    trimmed: bool,
    /// The current transaction's log record (frontends with a log format only).
    lg: Option<Box<super::log::TxnLog>>,
}

/// The `bc_*` view of the server socket: its addresses are asked of the kernel only when a
/// fetch reads them.
struct BcView<'s>(&'s super::stream::Stream);

impl crate::sample::fetch::ServerConn for BcView<'_> {
    fn src(&self) -> Option<SocketAddr> {
        self.0.local_inet()
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.0.peer_inet()
    }
    fn http(&self) -> bool {
        true
    }
}

/// The client connection's source and destination before `set-src`/`set-dst` (boxed: rare).
type ConnAddrs = Option<Box<(Option<SocketAddr>, Option<SocketAddr>)>>;

/// An idle keep-alive client connection: what outlives a request (HAProxy keeps its
/// session and frees the stream). About a fifth of a [`HttpSession`]; the worker keeps idle
/// connections in this form and turns them back into sessions when the client speaks.
pub struct IdleHttp {
    fe: usize,
    client: Sock,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    conn_addrs: ConnAddrs,
    /// Kept only when it holds private idle connections (`http-reuse never`).
    srv: Option<Box<ServerSide>>,
    be: Option<usize>,
    requests: u64,
    wait_since: Instant,
    client_seen: Instant,
    server_seen: Instant,
    listener_fd: i32,
    listener: Option<usize>,
    trace_id: Option<u32>,
    /// Session-scope variables live on.
    rx: Option<Box<RuleState>>,
    proc_vars: crate::sample::vars::ProcVars,
    /// The entries the connection tracks (`track-sc*` at connection/session level).
    stk: Option<std::sync::Arc<crate::stick::Trackers>>,
    /// The keep-alive deadline as the session computed it when it went idle.
    deadline: Option<Instant>,
}

/// Whether bytes wait unread in `s`'s receive buffer (FIONREAD).
pub(crate) fn pending_input(s: &impl std::os::fd::AsRawFd) -> bool {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD on a live socket writes one int into `n`, which outlives the call.
    let rc = unsafe { libc::ioctl(s.as_raw_fd(), libc::FIONREAD, &mut n) };
    rc == 0 && n > 0
}

impl IdleHttp {
    /// Idle unless its client's next request already waits in the socket.
    pub fn is_idle(&self) -> bool {
        !pending_input(&self.client.s)
    }

    /// Back to a full session (the client sent something, or a timer is due).
    pub fn resume(self, cx: &Ctx) -> HttpSession {
        HttpSession::from_conn(cx, self, Buf::default())
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

/// A head with its header names lower-cased (the status line and body untouched).
fn lowercase_header_names(msg: &[u8]) -> Vec<u8> {
    let end = msg
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(msg.len(), |p| p + 4);
    let (head, body) = msg.split_at(end);
    let mut out = Vec::with_capacity(msg.len());
    for (i, line) in head.split_inclusive(|&b| b == b'\n').enumerate() {
        match line.iter().position(|&b| b == b':') {
            Some(c) if i > 0 => {
                out.extend(line[..c].iter().map(u8::to_ascii_lowercase));
                out.extend_from_slice(&line[c..]);
            }
            _ => out.extend_from_slice(line),
        }
    }
    out.extend_from_slice(body);
    out
}

/// Inserts a header line at the end of a rendered head, before its `connection` line (the
/// H1 layer writes that one last).
fn insert_header(msg: &mut Vec<u8>, line: &[u8]) {
    let Some(end) = msg.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let head = &msg[..end + 2];
    let at = match head
        .windows(14)
        .rposition(|w| w.eq_ignore_ascii_case(b"\r\nconnection: "))
    {
        Some(p) => p + 2,
        None => end + 2,
    };
    msg.splice(at..at, line.iter().copied());
}

fn edit_value(e: &HeaderEdit) -> Option<&[u8]> {
    match e {
        HeaderEdit::Remove => None,
        HeaderEdit::Set(v) => Some(v),
    }
}

/// The error pages of backend `be` (if chosen) and frontend `fe`, in the order
/// `http_error_message()` looks them up.
fn error_tables<'a>(
    cx: &Ctx<'a>,
    fe: usize,
    be: Option<usize>,
) -> (Option<&'a ErrorTable>, Option<&'a ErrorTable>) {
    let sh: &'a super::shared::Shared = cx.shared;
    (
        be.map(|b| &sh.backends[b].px.errors),
        Some(&sh.frontends[fe].px.errors),
    )
}

/// Cookie dates are wall-clock seconds (HAProxy's `date.tv_sec`).
/// The termination state of an error page the proxy sends for `status`.
fn error_term(status: u16) -> &'static str {
    match status {
        502 => "SH",
        503 => "SC",
        504 => "sH",
        408 => "cR",
        _ => "PR",
    }
}

fn wall_clock_secs() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

impl HttpSession {
    pub fn start(cx: &mut Ctx, fe: usize, client: Sock, origin: Origin) -> Option<HttpSession> {
        let Origin {
            peer,
            local,
            initial,
            listener_fd,
            listener,
        } = origin;
        let conn = IdleHttp {
            fe,
            client,
            peer,
            local,
            conn_addrs: None,
            srv: None,
            be: None,
            requests: 0,
            wait_since: cx.now,
            client_seen: cx.now,
            server_seen: cx.now,
            listener_fd,
            listener,
            trace_id: None,
            rx: None,
            proc_vars: cx.shared.proc_vars.clone(),
            stk: super::stick::trackers(cx.shared),
            deadline: None,
        };
        let mut s = HttpSession::from_conn(cx, conn, initial);
        s.trimmed = false;
        let px = &cx.shared.frontends[fe].px;
        for rules in [&px.tcp_connection, &px.tcp_session] {
            if rules.is_empty() {
                continue;
            }
            let stk = s.stk.clone();
            let listener = s.listener;
            let v = super::tcp::run_tcp_rules(
                cx,
                fe,
                None,
                rules,
                s.peer,
                s.local,
                None,
                &mut rule_state(&mut s.rx, &s.proc_vars).vars,
                stk,
                super::tcp::ConnFacts {
                    listener,
                    fd: None,
                    tls: super::tls::facts(&s.client.s),
                },
            );
            if v == super::tcp::Verdict::Reject {
                return None;
            }
        }
        super::stick::session_accepted(s.stk.as_deref());
        // After `tcp-request connection|session`: a rejected connection is not logged.
        s.log_accept(cx);
        cx.shared.frontends[fe].sess_rate.inc();
        if s.pump(cx) {
            return Some(s);
        }
        if s.stk.is_some() && !s.has_req {
            super::stick::client_gone(s.stk.as_deref(), !s.cin.is_empty());
        }
        s.log_close(cx);
        None
    }

    /// The session of connection `c` (new, or idle until now) with `cin` already read.
    fn from_conn(cx: &Ctx, c: IdleHttp, cin: Buf) -> HttpSession {
        let f = &cx.shared.frontends[c.fe];
        // A backend's response options once one was chosen (see `dispatch`).
        let resp_opts = match (c.be, &c.srv) {
            (Some(b), Some(_)) => &cx.shared.backends[b].resp_opts,
            _ => &f.req_opts,
        };
        // A connection idle until now: its transaction started when it began waiting (the
        // previous one's end, or the accept), as HAProxy's `%Ti` counts.
        let lg = f.log.as_ref().filter(|l| l.logs_streams()).map(|_| {
            let mut l = super::log::TxnLog::new(c.wait_since);
            l.accept_date -= cx.now.saturating_duration_since(c.wait_since);
            l.bytes_in = cin.len() as u64;
            if !cin.is_empty() {
                l.t_first = Some(cx.now);
            }
            Box::new(l)
        });
        HttpSession {
            fe: c.fe,
            client: c.client,
            peer: c.peer,
            local: c.local,
            conn_addrs: c.conn_addrs,
            cin,
            cout: Buf::default(),
            sin: Buf::default(),
            sout: Buf::default(),
            srv: c.srv,
            be: c.be,
            st: St::WaitReq,
            req: ReqMsg::default(),
            has_req: false,
            resp: RespHead::default(),
            has_resp: false,
            req_fwd: BodyFwd::new(false, &f.req_opts),
            resp_fwd: BodyFwd::new(true, resp_opts),
            plan: ConnPlan::default(),
            cookie: None,
            ignore_persist: false,
            close_after: false,
            sent_continue: false,
            be_pending: 0,
            replay: None,
            replaying: false,
            head_sent: false,
            on_reused: false,
            requests: c.requests,
            wait_since: c.wait_since,
            client_seen: c.client_seen,
            server_seen: c.server_seen,
            linger_until: None,
            quick_close: false,
            scratch: Vec::new(),
            listener_fd: c.listener_fd,
            listener: c.listener,
            trace_id: c.trace_id,
            rx: c.rx,
            proc_vars: c.proc_vars,
            trimmed: true,
            stk: c.stk,
            stick_store: Default::default(),
            lg,
        }
    }

    /// Idle in keep-alive with its per-request state given back ([`Self::trim`]) and
    /// nothing in flight: the session can live in the compact [`IdleHttp`] form.
    pub fn can_park(&self) -> bool {
        self.trimmed
            && self.st == St::WaitReq
            && self.requests > 0
            && self.cin.is_empty()
            && self.cout.is_empty()
            && self.sin.is_empty()
            && self.sout.is_empty()
            && self.linger_until.is_none()
            && !self.close_after
    }

    /// The compact form of an idle session (see [`Self::can_park`]).
    pub fn park(self, cx: &Ctx) -> IdleHttp {
        let deadline = self.deadline(cx);
        IdleHttp {
            fe: self.fe,
            client: self.client,
            peer: self.peer,
            local: self.local,
            conn_addrs: self.conn_addrs,
            srv: self.srv,
            be: self.be,
            requests: self.requests,
            wait_since: self.wait_since,
            client_seen: self.client_seen,
            server_seen: self.server_seen,
            listener_fd: self.listener_fd,
            listener: self.listener,
            trace_id: self.trace_id,
            rx: self.rx,
            proc_vars: self.proc_vars,
            stk: self.stk,
            deadline,
        }
    }

    pub fn stream_id(&self) -> Option<crate::queue::StreamId> {
        self.srv.as_ref().and_then(|s| s.stream_id())
    }

    /// Its way to a server, if it has one (for `on-marked-down shutdown-sessions`).
    pub fn server_side(&self) -> Option<&ServerSide> {
        self.srv.as_deref()
    }

    /// A stopping process answers in close mode (HAProxy's `h1_set_cli_conn_mode()`): its
    /// keep-alive clients then reconnect to the new process instead of sending a request on
    /// a connection the soft stop would close while idle.
    fn close_when_stopping(&mut self, sh: &super::shared::Shared) {
        if sh.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            self.plan.client = Want::Close;
        }
    }

    /// Idle between requests (for the soft stop, which closes such connections).
    /// A request already in the socket's receive buffer (not read yet) makes it busy: the
    /// stopping worker serves it, in close mode, rather than resetting it unread.
    pub fn is_idle(&self) -> bool {
        self.st == St::WaitReq
            && self.cin.is_empty()
            && self.cout.is_empty()
            && self.requests > 0
            && !pending_input(&self.client.s)
    }

    pub fn on_event(&mut self, cx: &mut Ctx, side: Side, ev: &Event) -> bool {
        match side {
            Side::Client => self.client.on_event(ev),
            Side::Server => {
                let Some(srv) = self.srv.as_mut() else {
                    return true;
                };
                match srv.sock.as_mut() {
                    Some(s) => s.on_event(ev),
                    None => {
                        srv.lent_event(cx, ev);
                        return true;
                    }
                }
                if self.st == St::WaitSrv {
                    let o = srv.on_connect_event(cx);
                    return self.follow(cx, o);
                }
            }
            Side::Idle(i) => {
                if let Some(srv) = self.srv.as_mut() {
                    srv.idle_event(i, ev);
                }
                return true;
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
            Outcome::Failed { status, term } => {
                self.log_term(term);
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
                let end = wait.map(|d| self.wait_since + d);
                if self.idle_untrimmed() {
                    return min(end, Some(self.wait_since + TRIM_AFTER));
                }
                end
            }
            St::WaitBody => fe.px.timeouts.request.map(|d| self.wait_since + d),
            St::Skip | St::Closing => client_t,
            St::Tarpit => self
                .rx
                .as_ref()
                .and_then(|r| r.tarpit.as_ref())
                .map(|t| t.0),
            St::WaitSrv => {
                let client_t = client_t.filter(|_| !self.request_in_full(cx));
                min(self.srv.as_ref().and_then(|s| s.deadline()), client_t)
            }
            St::Xfer => {
                let be = self.be.map(|b| &cx.shared.backends[b]);
                // `http-request set-timeout server` overrides the backend's.
                let fx = self.rx.as_ref().map(|r| &r.fx);
                let server = fx
                    .and_then(|f| f.timeout_server)
                    .map(|ms| Duration::from_millis(ms.into()))
                    .or(be.and_then(|b| b.server));
                let server_t = server.map(|d| self.server_seen + d);
                // The client's timeout only runs while we wait on it (reading a body or
                // writing a response it does not read).
                let waiting_client = !self.cout.is_empty() || !self.req_fwd.is_done();
                min(server_t, if waiting_client { client_t } else { None })
            }
            St::Tunnel => {
                let be = self.be.map(|b| &cx.shared.backends[b]);
                let fx = self.rx.as_ref().map(|r| &r.fx);
                let tunnel = fx
                    .and_then(|f| f.timeout_tunnel)
                    .map(|ms| Duration::from_millis(ms.into()))
                    .or(be.and_then(|b| b.tunnel))
                    .or(fe.tunnel);
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
            St::WaitBody => {
                // The body did not come in time: HAProxy's 408, then close.
                self.close_after = true;
                self.error(cx, 408);
                self.pump(cx)
            }
            St::WaitReq => {
                if self.idle_untrimmed() && self.wait_since + TRIM_AFTER <= cx.now {
                    self.trim(cx);
                    return true;
                }
                if self.cin.is_empty()
                    && (self.requests > 0 || cx.shared.frontends[self.fe].ignore_probes)
                {
                    // Idle keep-alive connection (or a probe): HAProxy closes silently.
                    return false;
                }
                let page = cx.shared.frontends[self.fe].px.errors.raw_mux_error(408);
                self.log_local(&page, "cR");
                self.cout.extend(&page);
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
                // The client's own timeout counts only while its request is still coming.
                self.request_in_full(cx)
                    || cx.shared.frontends[self.fe]
                        .px
                        .timeouts
                        .client
                        .is_none_or(|d| self.client_seen + d > cx.now)
            }
            St::Tarpit => {
                if let Some((_, be, reply)) = self.rx.as_mut().and_then(|r| r.tarpit.take()) {
                    self.log_term("PT");
                    self.local_reply(cx, be, &reply);
                }
                self.pump(cx)
            }
            St::Xfer if !self.has_resp => {
                // `timeout server` before the response head: 504, or a retry.
                if !self.retry(cx, |r| r.response_timeout) {
                    self.error(cx, 504);
                }
                self.pump(cx)
            }
            _ => {
                // An inactivity timeout: the client's if its own expired while we waited
                // on it, else the server's.
                let waiting_client = !self.cout.is_empty() || !self.req_fwd.is_done();
                let client_expired = (self.st != St::Xfer || waiting_client)
                    && cx.shared.frontends[self.fe]
                        .px
                        .timeouts
                        .client
                        .is_some_and(|d| self.client_seen + d <= cx.now);
                self.log_term(if client_expired { "cD" } else { "sD" });
                false
            }
        }
    }

    pub fn close(&mut self, cx: &mut Ctx) {
        if self.stk.is_some() && !self.has_req {
            super::stick::client_gone(self.stk.as_deref(), !self.cin.is_empty());
        }
        if let Some(srv) = self.srv.as_mut() {
            // Left while queued: `CQ` (the queue position is gone once released).
            if self.st == St::WaitSrv && srv.queued() {
                if let Some(l) = self.lg.as_mut() {
                    l.set_term("CQ");
                    // `Tw` runs until the abort (`back_handle_st_que()`).
                    l.t_queue.get_or_insert(cx.now);
                }
            }
            srv.close(cx);
        }
        self.log_close(cx);
        // Dropping the session closes the socket, which takes it out of epoll.
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
                    ReadOutcome::Data(n) => {
                        super::counters::client_bytes(cx, self.fe, true, n);
                        progress = true;
                        self.client_seen = cx.now;
                        super::stick::bytes(self.stk.as_deref(), true, n);
                        self.log_bytes(n, 0, cx.now);
                    }
                    ReadOutcome::Error => return false,
                    _ => {}
                }
            }
            match self.st {
                St::WaitReq => {
                    if !self.cin.is_empty() {
                        progress |= self.start_request(cx);
                        if self.st == St::WaitReq && self.client.read_closed && !progress {
                            // The client closed in the middle of a head: HAProxy's 400,
                            // logged as aborted by the client.
                            self.log_term("CR");
                            let page = cx.shared.frontends[self.fe].px.errors.raw_mux_error(400);
                            self.refuse(&page);
                            progress = true;
                        }
                    } else if self.client.read_closed {
                        return false;
                    }
                }
                St::Skip => progress |= self.skip_body(cx),
                St::WaitBody => {
                    progress |= self.wait_body(cx);
                    if self.st == St::WaitBody && self.client.read_closed {
                        // The body will not grow: HAProxy stops waiting, routes on (the
                        // log names the backend, Tq ends here) and then finds the client
                        // gone before any server: `CR`, no response.
                        if self.be_pending < stats::STATS_PENDING {
                            self.be = Some(self.be_pending);
                        }
                        if let Some(l) = self.lg.as_mut() {
                            l.t_request = Some(cx.now);
                        }
                        return false;
                    }
                }
                // Without `option abortonclose` a client that closed still gets its request
                // forwarded; with it, leaving the queue or the connect ends everything.
                St::WaitSrv => {
                    let abort = self.be.is_some_and(|b| cx.shared.backends[b].abortonclose);
                    if abort && self.client.read_closed {
                        return false;
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
                St::Tarpit => {
                    // The request is dropped; a client that leaves ends it early.
                    self.cin.clear();
                    if self.client.read_closed {
                        return false;
                    }
                }
            }
            // More of the response body follows: let the kernel fill segments.
            let more = self.st == St::Xfer && self.has_resp && !self.resp_fwd.is_done();
            match self.client.write_from_more(&mut self.cout, more) {
                Ok(n) if n > 0 => {
                    super::counters::client_bytes(cx, self.fe, false, n);
                    progress = true;
                    self.client_seen = cx.now;
                    super::stick::bytes(self.stk.as_deref(), false, n);
                    self.log_bytes(0, n, cx.now);
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
            self.cookie = None;
        }
        true
    }

    /// Idle between requests and still holding the last request's state.
    fn idle_untrimmed(&self) -> bool {
        self.st == St::WaitReq && self.requests > 0 && self.cin.is_empty() && !self.trimmed
    }

    /// An idle keep-alive connection keeps no per-request state, as HAProxy frees its
    /// stream: the parsed heads, the rules' views and an empty server side are rebuilt by
    /// the next request instead of held by every idle client.
    fn trim(&mut self, cx: &mut Ctx) {
        self.req = ReqMsg::default();
        self.resp = RespHead::default();
        if let Some(s) = self.srv.as_mut() {
            s.disown(cx);
        }
        if self.srv.as_ref().is_some_and(|s| s.holds_nothing()) {
            self.srv = None;
        }
        self.trimmed = true;
    }

    /// See [`HttpSession::quick_close`]: nothing pipelined behind the request, not a POST,
    /// no `abortonclose`.
    fn may_close_at_once(&self, cx: &Ctx) -> bool {
        let abort = self.be.is_some_and(|b| cx.shared.backends[b].abortonclose);
        self.cin.is_empty() && !self.req.is_post() && !abort && !self.client.s.is_tls()
    }

    /// After our last byte: shut our side and drain input until the peer closes or the
    /// linger time passes.
    fn linger(&mut self, cx: &mut Ctx) -> bool {
        self.client.shutdown_write();
        if self.quick_close {
            return false;
        }
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

    /// The H1 layer refused what the client sent: HAProxy's raw error, then close.
    fn refuse(&mut self, page: &[u8]) {
        self.log_local(page, "PR");
        self.cout.extend(page);
        self.cin.clear();
        self.has_req = false;
        self.st = St::Closing;
    }

    /// The address the client connected to: from the PROXY header, else asked of the
    /// socket (only when something needs it: `originalto`, `send-proxy`).
    fn local_addr(&self) -> Option<SocketAddr> {
        self.local.or_else(|| self.client.s.local_inet())
    }

    fn fds(&self) -> (i32, Option<i32>) {
        use std::os::fd::AsRawFd;
        let sfd = self
            .srv
            .as_ref()
            .and_then(|s| s.sock.as_ref())
            .map(|s| s.s.as_raw_fd());
        (self.client.s.as_raw_fd(), sfd)
    }

    fn trace_name<'c>(&self, cx: &'c Ctx) -> &'c str {
        match self.be {
            Some(b) if self.has_resp || self.head_sent => &cx.shared.backends[b].name,
            _ => &cx.shared.frontends[self.fe].name,
        }
    }

    /// `-d`: a new stream's accept line, request line and headers (HAProxy's
    /// `stream_new()` and `http_wait_for_request()` traces).
    fn trace_request(&mut self, cx: &Ctx) {
        let sh = cx.shared;
        let id = sh
            .next_stream_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.trace_id = Some(id);
        let (cfd, _) = self.fds();
        let fe = &sh.frontends[self.fe].name;
        let from = match self.peer {
            Some(p) => format!("[{}:{}]", p.ip(), p.port()),
            None => "[unix:1]".to_string(),
        };
        println!(
            "{id:08x}:{fe}.accept({:04x})={cfd:04x} from {from} ALPN=<none>",
            self.listener_fd
        );
        let buf = self.cin.bytes();
        let h = &self.req.head;
        let ver: &[u8] = if self.req.http10() {
            b"HTTP/1.0"
        } else {
            b"HTTP/1.1"
        };
        let line = [h.method_raw.get(buf), b" ", h.uri.get(buf), b" ", ver].concat();
        sh.trace(id, fe, "clireq", cfd, None, Some(&line));
        for x in h.headers.iter().filter(|x| !x.drop) {
            let name = x.name.get(buf).to_ascii_lowercase();
            let l = [&name[..], b": ", x.value.get(buf)].concat();
            sh.trace(id, fe, "clihdr", cfd, None, Some(&l));
        }
    }

    /// `-d`: the final response's status line and headers.
    fn trace_response(&self, cx: &Ctx) {
        let Some(id) = self.trace_id else { return };
        let (cfd, sfd) = self.fds();
        let name = self.trace_name(cx);
        let buf = self.sin.bytes();
        let r = &self.resp;
        let ver: &[u8] = if r.version == crate::http::Version::Http10 {
            b"HTTP/1.0"
        } else {
            b"HTTP/1.1"
        };
        let line = [ver, b" ", r.status_raw.get(buf), b" ", r.reason.get(buf)].concat();
        cx.shared.trace(id, name, "srvrep", cfd, sfd, Some(&line));
        for x in r.headers.iter().filter(|x| !x.drop) {
            let hn = x.name.get(buf).to_ascii_lowercase();
            let l = [&hn[..], b": ", x.value.get(buf)].concat();
            cx.shared.trace(id, name, "srvhdr", cfd, sfd, Some(&l));
        }
    }

    /// `-d`: the end of a stream.
    fn trace_end(&mut self, cx: &Ctx) {
        let Some(id) = self.trace_id.take() else {
            return;
        };
        let (cfd, sfd) = self.fds();
        let name = self.trace_name(cx);
        cx.shared.trace(id, name, "clicls", cfd, sfd, None);
        if sfd.is_some() {
            cx.shared.trace(id, name, "srvcls", cfd, sfd, None);
        }
        cx.shared.trace(id, name, "closed", cfd, sfd, None);
    }

    /// Parses a request head from `cin` and decides where it goes. True on progress.
    fn start_request(&mut self, cx: &mut Ctx) -> bool {
        self.trimmed = false;
        let fe = &cx.shared.frontends[self.fe];
        match http_msg::parse_request(self.cin.bytes(), &fe.req_opts, &mut self.req) {
            Ok(Some(())) => {}
            Ok(None) => return false,
            Err(e) => {
                super::stick::bad_request(self.stk.as_deref());
                self.refuse(&fe.px.errors.raw_mux_error(e.status));
                return true;
            }
        }
        super::stick::stream_start(self.stk.as_deref());
        self.head_sent = false;
        let body = self.cin.bytes().get(self.req.head_len..).unwrap_or(&[]);
        if !body.is_empty() {
            if let Err(e) = self.req_fwd.precheck(self.req.framing(), body) {
                // Refused by the H1 layer before any stream exists: the built-in page in
                // its own header order (its `Connection: close` included), names
                // lower-cased as HTX writes them, then close.
                let raw = cx.shared.frontends[self.fe]
                    .px
                    .errors
                    .raw_mux_error(e.status);
                let page = lowercase_header_names(&raw);
                super::stick::bad_request(self.stk.as_deref());
                self.refuse(&page);
                return true;
            }
        }
        self.has_req = true;
        self.has_resp = false;
        self.cookie = None;
        super::counters::request(cx, self.fe);
        if cx.shared.debug {
            self.trace_request(cx);
        }
        self.log_request(cx);
        if self.is_h2_preface() {
            // An HTTP/2 prior-knowledge preface on an HTTP/1 connection: HAProxy's stream
            // refuses it with its 400 page and closes (haproxy-rs has no HTTP/2 yet, so it
            // never switches protocols).
            self.close_after = true;
            self.error_in(cx, None, 400);
            return true;
        }
        let front_modes = Modes {
            frontend: fe.http_mode,
            backend: fe.http_mode,
            ..Default::default()
        };
        self.plan = ConnPlan::for_request(&self.req.head, front_modes);
        self.close_when_stopping(cx.shared);
        self.close_after = self.plan.client == Want::Close;
        if let Some(rx) = self.rx.as_mut() {
            rx.begin_txn();
        }
        let sh = cx.shared;
        let fe = &sh.frontends[self.fe];
        if fe.needs_dst && self.local.is_none() {
            self.local = self.client.s.local_inet();
        }
        // `capture request header`: the last occurrence, cut to the slot's length.
        if !fe.px.req_capture_slots.is_empty() {
            let caps = &mut rule_state(&mut self.rx, &self.proc_vars).caps.req;
            let h = &self.req.req.headers;
            capture_headers(&fe.px.req_capture_slots, caps, |n| {
                h.values(n, false).last()
            });
        }
        if let Some(tpl) = &fe.px.unique_id {
            let env = RtEnv {
                shared: sh,
                be: None,
                stk: self.stk.clone(),
            };
            let s = self.session(cx, &env);
            let id = tpl.render_vec(&mut self.txn(s));
            let uid = crate::sample::vars::VarName::unique_id();
            self.rx_mut().vars.set(
                &uid,
                crate::sample::Smp::string(id.clone()),
                &Default::default(),
            );
            self.rx_mut().unique_id = Some(String::from_utf8_lossy(&id).into_owned());
        }
        // `tcp-request content` rules see the parsed request (HAProxy waits for it in an
        // HTTP proxy), then the frontend's `http-request` rules, then the backend's.
        if !fe.px.tcp_content.is_empty() {
            let flow = self.run_request_rules(cx, None, &fe.px.tcp_content);
            if self.apply_request_flow(cx, None, flow) {
                return true;
            }
        }
        // `http_wait_for_request()` counts the request after the frontend's content rules
        // (their analyser runs first), before the `http-request` rules.
        super::stick::request(self.stk.as_deref());
        if let Some(m) = fe.monitor.as_deref() {
            if monitor_match(self.req.head.uri.get(self.cin.bytes()), &m.uri) {
                self.monitor(cx, m);
                return true;
            }
        }
        if !fe.px.http_request.is_empty() {
            let flow = self.run_request_rules(cx, None, &fe.px.http_request);
            if self.apply_request_flow(cx, None, flow) {
                return true;
            }
        }
        if self.restrict_header_names(cx, None, fe.px.restrict_hdr_names) {
            return true;
        }
        if fe.px.stats.is_some() && self.stats_page(cx, None) {
            return true;
        }
        let be = self.route(cx);
        let Some(be) = be else {
            self.st = St::WaitSrv;
            self.error_in(cx, None, 503);
            return true;
        };
        let backend = &cx.shared.backends[be];
        // `stream_set_backend()`: each request is a stream given to a backend.
        backend.sess_rate.inc();
        let modes = Modes {
            frontend: fe.http_mode,
            backend: backend.http_mode,
            pretend_keepalive: backend.pretend_keepalive,
            ..Default::default()
        };
        self.plan = ConnPlan::for_request(&self.req.head, modes);
        self.close_when_stopping(sh);
        self.close_after = self.plan.client == Want::Close;
        if fe.own_backend != Some(be) && !backend.px.tcp_content.is_empty() {
            let before = super::stick::tracked(self.stk.as_deref());
            let flow = self.run_request_rules(cx, Some(be), &backend.px.tcp_content);
            // `stream_inc_be_http_req_ctr()`: what the backend's content rules tracked
            // counts this request too.
            super::stick::be_request(self.stk.as_deref(), before);
            if self.apply_request_flow(cx, Some(be), flow) {
                return true;
            }
        }
        if fe.own_backend != Some(be) && !backend.px.http_request.is_empty() {
            let flow = self.run_request_rules(cx, Some(be), &backend.px.http_request);
            if self.apply_request_flow(cx, Some(be), flow) {
                return true;
            }
        }
        if fe.own_backend != Some(be)
            && self.restrict_header_names(cx, Some(be), backend.px.restrict_hdr_names)
        {
            return true;
        }
        if fe.own_backend != Some(be) && backend.px.stats.is_some() && self.stats_page(cx, Some(be))
        {
            return true;
        }
        self.sent_continue = false;
        if (fe.buffer_request || backend.buffer_request) && self.req.framing() != Framing::None {
            self.be_pending = be;
            self.st = St::WaitBody;
            self.wait_body(cx);
            return true;
        }
        self.dispatch(cx, be);
        true
    }

    /// `http-buffer-request`: proceeds once the body is complete or the buffer full, after
    /// answering `Expect: 100-continue` ourselves as HAProxy does. True on progress.
    fn wait_body(&mut self, cx: &mut Ctx) -> bool {
        let be = self.be_pending;
        let body = self.cin.bytes().get(self.req.head_len..).unwrap_or(&[]);
        let full = self.cin.len() >= cx.shared.bufsize.saturating_sub(1024);
        match self.req_fwd.complete_in(self.req.framing(), body) {
            Err(e) => {
                self.close_after = true;
                self.st = St::WaitSrv;
                self.error(cx, e.status);
                true
            }
            Ok(done) if done || full => {
                if be >= stats::STATS_PENDING {
                    self.stats_body_done(cx, be);
                } else {
                    self.dispatch(cx, be);
                }
                true
            }
            Ok(_) => {
                if self.req.head.expect_continue && !self.sent_continue {
                    self.sent_continue = true;
                    self.cout.extend(b"HTTP/1.1 100 Continue\r\n\r\n");
                    return true;
                }
                false
            }
        }
    }

    /// Persistence, load balancing and the server side for the routed request.
    fn dispatch(&mut self, cx: &mut Ctx, be: usize) {
        let backend = &cx.shared.backends[be];
        let key = self.hash_key(cx, be);
        let mut persist = self.persistence(cx, be);
        if !backend.stick_rules.is_empty() {
            persist = self.stick_match(cx, be, persist);
        }
        if self.be != Some(be) || self.srv.is_none() {
            if let Some(mut old) = self.srv.take() {
                old.close(cx);
            }
            self.srv = Some(Box::new(ServerSide::new(be)));
            self.be = Some(be);
            self.resp_fwd = BodyFwd::new(true, &backend.resp_opts);
        }
        if backend.addrs_from_dst {
            let dst = self.local_addr();
            if let Some(s) = self.srv.as_mut() {
                s.dst = dst;
            }
        }
        if let Some(e) = backend.tls.sni.as_ref() {
            let sni = self.eval_string(cx, be, e);
            if let Some(s) = self.srv.as_mut() {
                s.sni = sni;
            }
        }
        super::counters::to_backend(cx, be, true);
        self.st = St::WaitSrv;
        self.replay = None;
        self.replaying = false;
        self.head_sent = false;
        let srv = self.srv.as_mut().expect("set above");
        srv.set_first_request(self.requests == 0);
        srv.priority = match self.rx.as_ref() {
            Some(r) => (
                r.fx.priority_class.unwrap_or(0) as i32,
                r.fx.priority_offset.unwrap_or(0) as i32,
            ),
            None => (0, 0),
        };
        match srv.start(cx, key, persist) {
            Outcome::Pending => {}
            Outcome::Connected(_) => self.server_connected(cx),
            Outcome::Failed { status, term } => {
                self.log_term(term);
                self.error(cx, status)
            }
        }
    }

    /// `use-server` rules, then `cookie` persistence: the server HAProxy would send this
    /// request to before load balancing, with its force-persist flag.
    fn persistence(&mut self, cx: &Ctx, be: usize) -> Option<(usize, bool)> {
        let backend = &cx.shared.backends[be];
        if backend.persist_rules.is_empty() && backend.use_server.is_empty() {
            // Nothing to evaluate: no rule state for a plain proxy's connections.
            self.ignore_persist = false;
            return self.cookie_persistence(cx, be, None, false);
        }
        let env = RtEnv {
            shared: cx.shared,
            be: Some(be),
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        let req = &self.req.req;
        let mut t = Txn {
            dir: crate::sample::fetch::Dir::Req,
            req: Some(req),
            body: None,
            res: None,
            s,
            req_captures: &rx.caps.req,
            res_captures: &rx.caps.res,
            vars: &mut rx.vars,
            payload: None,
            missed: Default::default(),
        };
        let rule = backend
            .persist_rules
            .iter()
            .find(|(_, c)| c.eval(&mut t))
            .map(|(force, _)| *force);
        let (force_persist, ignore_persist) = (rule == Some(true), rule == Some(false));
        self.ignore_persist = ignore_persist;
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
                .filter(|(c, _)| c.as_ref().is_none_or(|c| c.eval(&mut t)))
                .map(|(_, i)| Some(*i));
            persist::use_server(targets, &servers, backend.persist, force_persist)
        };
        self.cookie_persistence(cx, be, assigned, force_persist)
    }

    /// `cookie` persistence after the `use-server` rules chose `assigned` (or not).
    fn cookie_persistence(
        &mut self,
        cx: &Ctx,
        be: usize,
        assigned: Option<usize>,
        force_persist: bool,
    ) -> Option<(usize, bool)> {
        let backend = &cx.shared.backends[be];
        let Some(cfg) = backend.cookie.as_ref() else {
            return assigned.map(|s| (s, force_persist));
        };
        let servers = BackendServers {
            backend: &backend.queue,
            cookies: &backend.cookies,
        };
        let ignore_persist = self.ignore_persist;
        let buf = self.cin.bytes();
        let (pos, values) = http_msg::headers_named(buf, &self.req.head.headers, b"cookie");
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
        chosen.map(|s| (s, force_persist))
    }

    /// `stick match|on` rules (after cookies and `use-server`, which win), and the keys
    /// `stick on|store-request` will store once the response comes.
    fn stick_match(
        &mut self,
        cx: &Ctx,
        be: usize,
        persist: Option<(usize, bool)>,
    ) -> Option<(usize, bool)> {
        let backend = &cx.shared.backends[be];
        let env = RtEnv {
            shared: cx.shared,
            be: Some(be),
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let mut pending = std::mem::take(&mut self.stick_store);
        pending.clear();
        let force = persist.is_some_and(|p| p.1);
        let mut t = self.txn(s);
        let q = &backend.queue;
        let found =
            super::stick::match_rules(&backend.stick_rules, &mut t, &mut pending, |id, name| {
                let servers = q.servers();
                let i = name
                    .and_then(|n| servers.iter().position(|sv| sv.name() == n))
                    .or_else(|| servers.iter().position(|sv| i64::from(sv.puid()) == id))?;
                let up = servers[i].state() != crate::queue::ServerState::Down
                    && servers[i].state() != crate::queue::ServerState::Maint;
                (up || backend.persist || force).then_some(i)
            });
        self.stick_store = pending;
        persist.or(found.map(|i| (i, force)))
    }

    fn hash_key(&self, cx: &Ctx, be: usize) -> Option<Vec<u8>> {
        let alg = &cx.shared.backends[be].alg;
        if !alg.is_hash() {
            return None;
        }
        let buf = self.cin.bytes();
        // The request as rules left it (`set-path` changes what `balance uri` hashes).
        let req = &self.req.req;
        let header = |name: &str| req.headers.values(name, false).next();
        let body = buf.get(self.req.head_len..);
        alg.request_key(&crate::lb::RequestView {
            method: req.method.as_bytes(),
            uri: req.uri.as_bytes(),
            header: &header,
            body,
            src: self.peer.map(|p| p.ip()),
            payload: None,
        })
    }

    /// An expression's value as text for the current request (a server's `sni`).
    fn eval_string(
        &mut self,
        cx: &Ctx,
        be: usize,
        e: &crate::sample::expr::Expr,
    ) -> Option<String> {
        let env = RtEnv {
            shared: cx.shared,
            be: Some(be),
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let mut t = self.txn(s);
        let v = e.eval_as(&mut t, crate::sample::SmpType::Str)?;
        Some(String::from_utf8_lossy(v.bytes()?).into_owned())
    }

    /// Sends a reply made by the proxy (for a request routed to backend `be`, if already
    /// chosen); the request body (if any) is then discarded.
    fn local_reply(&mut self, cx: &Ctx, be: Option<usize>, reply: &Reply) {
        let (bt, ft) = error_tables(cx, self.fe, be);
        let (head_only, conn) = (self.req.is_head(), self.reply_conn_hdr(cx));
        let env = RtEnv {
            shared: cx.shared,
            be,
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let out = {
            let mut t = self.txn(s);
            reply.send(&mut t, head_only, conn, bt, ft)
        };
        self.send_local(cx, be, out);
    }

    /// Sends bytes made by the proxy for the current request (after the
    /// `http-after-response` rules), then skips the request body.
    fn send_local(&mut self, cx: &Ctx, be: Option<usize>, out: Rendered) {
        let bytes = self.after_response_local(cx, be, out.bytes);
        if let Some(st) = super::counters::status_of(&bytes) {
            super::counters::response(cx, self.fe, be.map(|b| (b, None)), st);
        }
        let out = Rendered {
            bytes,
            close: out.close,
        };
        self.close_after |= out.close;
        // `deny`, `auth`: blocked by the proxy; `return`, `redirect`: a local answer.
        let term = match out.bytes.get(9) {
            Some(b'4' | b'5') => "PR",
            _ => "LR",
        };
        self.log_local(&out.bytes, term);
        self.put_local(cx, &out.bytes);
        self.cin.consume(self.req.head_len);
        self.req_fwd.reset(self.req.framing());
        self.has_req = false;
        self.st = St::Skip;
        self.skip_body(cx);
        if self.close_after && self.st == St::Skip {
            // Closing anyway: HAProxy does not wait for the rest of the body.
            self.cin.clear();
            self.st = St::Closing;
        }
    }

    /// The rule state, allocated on first use.
    fn rx_mut(&mut self) -> &mut RuleState {
        rule_state(&mut self.rx, &self.proc_vars)
    }

    /// The stream's facts for fetches; `env` answers what concerns the whole proxy.
    fn session<'a>(&self, cx: &Ctx<'a>, env: &'a RtEnv<'a>) -> Session<'a> {
        let sh: &'a super::shared::Shared = cx.shared;
        let fe = &sh.frontends[self.fe];
        let mut s = Session::new(&fe.name, env);
        s.stk = env.stk.as_deref();
        s.src = self.peer;
        s.dst = self.local;
        (s.fc_src, s.fc_dst) = self
            .conn_addrs
            .as_deref()
            .copied()
            .unwrap_or((self.peer, self.local));
        s.fe_id = fe.px.id;
        s.fe_defbe = fe.default_backend.map(|b| sh.backends[b].name.as_str());
        if let Some(b) = env.be {
            let be = &sh.backends[b];
            s.be = Some((&be.name, be.px.id));
            let srv = self.srv.as_ref().filter(|x| x.be == b);
            if let Some(sv) = srv
                .and_then(|x| x.server_of_last_request())
                .and_then(|i| be.queue.server(i))
            {
                s.srv = Some((sv.name(), sv.puid() as i64));
            }
        }
        s.txn_index = self.requests;
        s.fc_http = true;
        s.fc_fd = Some(std::os::fd::AsRawFd::as_raw_fd(&self.client.s));
        let fx = self.rx.as_ref().map(|r| &r.fx);
        s.prio = fx.map_or((0, 0), |f| {
            (
                f.priority_class.unwrap_or(0),
                f.priority_offset.unwrap_or(0),
            )
        });
        s.last_rule = fx.and_then(|f| f.last_rule).map(|(f, l)| (f, i64::from(l)));
        s.cur_timeout = fx.map_or((0, 0), |f| {
            (
                f.timeout_server.map_or(0, i64::from),
                f.timeout_tunnel.map_or(0, i64::from),
            )
        });
        if let Some(l) = self.listener.map(|i| &sh.listeners[i]) {
            s.dst_conn = Some(i64::from(
                l.conns.load(std::sync::atomic::Ordering::Relaxed),
            ));
            s.bind = Some((l.name.as_deref().unwrap_or(""), l.id));
        }
        s
    }

    /// Once the server connection is established (response rules): the backend's
    /// timeouts for those `set-timeout` left unset (HAProxy applies them at that point).
    fn server_conn_facts(&self, s: &mut Session<'_>, be: Option<&super::shared::Backend>) {
        if self.srv.as_ref().and_then(|x| x.sock.as_ref()).is_none() {
            return;
        }
        let fx = self.rx.as_ref().map(|r| &r.fx);
        let ms = |d: Option<std::time::Duration>| d.map_or(0, |d| d.as_millis() as i64);
        if let Some(b) = be {
            if fx.and_then(|f| f.timeout_server).is_none() {
                s.cur_timeout.0 = ms(b.server);
            }
            if fx.and_then(|f| f.timeout_tunnel).is_none() {
                s.cur_timeout.1 = ms(b.tunnel);
            }
        }
    }

    /// A transaction view of the current request for fetches and replies.
    fn txn<'b>(&'b mut self, mut s: Session<'b>) -> Txn<'b> {
        s.fc_tls = super::tls::facts(&self.client.s);
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        Txn {
            dir: crate::sample::fetch::Dir::Req,
            req: Some(&self.req.req),
            body: if self.head_sent {
                None
            } else {
                self.cin.bytes().get(self.req.head_len..)
            },
            res: None,
            s,
            req_captures: &rx.caps.req,
            res_captures: &rx.caps.res,
            vars: &mut rx.vars,
            payload: None,
            missed: Default::default(),
        }
    }

    /// Runs `http-request` rules on the current request.
    fn run_request_rules<'r>(
        &mut self,
        cx: &Ctx<'r>,
        be: Option<usize>,
        rules: &'r crate::rules::HttpRules<Reply>,
    ) -> Flow<'r, Reply> {
        let env = RtEnv {
            shared: cx.shared,
            be,
            stk: self.stk.clone(),
        };
        let mut s = self.session(cx, &env);
        s.fc_tls = super::tls::facts(&self.client.s);
        let body = self.cin.bytes().get(self.req.head_len..);
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        rules.run(
            s,
            MsgRef::Req(&mut self.req.req),
            body,
            &mut rx.vars,
            &mut rx.caps,
            &mut rx.fx,
        )
    }

    /// Runs `http-response`/`http-after-response` rules on the response view; `body_at`:
    /// where the body received with the head starts in `sin` (for the rewrite room).
    fn run_response_rules<'r>(
        &mut self,
        cx: &Ctx<'r>,
        be: Option<usize>,
        rules: &'r crate::rules::HttpRules<Reply>,
        body_at: Option<usize>,
    ) -> Flow<'r, Reply> {
        let env = RtEnv {
            shared: cx.shared,
            be,
            stk: self.stk.clone(),
        };
        let mut s = self.session(cx, &env);
        self.server_conn_facts(&mut s, be.map(|b| &cx.shared.backends[b]));
        // Only while the response is handled: each request is a new stream in HAProxy,
        // without a server connection until it connects.
        let bc = self
            .srv
            .as_ref()
            .and_then(|x| x.sock.as_ref())
            .map(|k| BcView(&k.s));
        s.bc = bc
            .as_ref()
            .map(|v| v as &dyn crate::sample::fetch::ServerConn);
        s.fc_tls = super::tls::facts(&self.client.s);
        s.bc_tls = self
            .srv
            .as_ref()
            .and_then(|x| x.sock.as_ref())
            .and_then(|k| super::tls::facts(&k.s));
        let body = body_at.and_then(|n| self.sin.bytes().get(n..));
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        rules.run(
            s,
            MsgRef::Res {
                req: &self.req.req,
                res: &mut rx.res,
            },
            body,
            &mut rx.vars,
            &mut rx.caps,
            &mut rx.fx,
        )
    }

    /// Acts on the outcome of request rules. True when the request was answered (or the
    /// connection dropped) by them.
    fn apply_request_flow(&mut self, cx: &Ctx, be: Option<usize>, flow: Flow<'_, Reply>) -> bool {
        let Some(rx) = self.rx.as_mut() else {
            return self.apply_request_flow_end(cx, be, flow);
        };
        let fx = &mut rx.fx;
        // `set-src`/`set-dst` change the connection's addresses for what follows.
        if (fx.src.is_some() || fx.dst.is_some()) && self.conn_addrs.is_none() {
            self.conn_addrs = Some(Box::new((self.peer, self.local)));
        }
        if let Some(a) = fx.src.take() {
            self.peer = Some(a);
        }
        if let Some(a) = fx.dst.take() {
            self.local = Some(a);
        }
        if !fx.early_hints.is_empty() {
            let mut m = b"HTTP/1.1 103 Early Hints\r\n".to_vec();
            for (n, v) in fx.early_hints.drain(..) {
                m.extend_from_slice(n.as_bytes());
                m.extend_from_slice(b": ");
                m.extend_from_slice(&v);
                m.extend_from_slice(b"\r\n");
            }
            m.extend_from_slice(b"\r\n");
            self.cout.extend(&m);
        }
        if std::mem::take(&mut fx.denied) || matches!(flow, Flow::Tarpit(_)) {
            super::stick::error(self.stk.as_deref());
        }
        self.apply_request_flow_end(cx, be, flow)
    }

    fn apply_request_flow_end(
        &mut self,
        cx: &Ctx,
        be: Option<usize>,
        flow: Flow<'_, Reply>,
    ) -> bool {
        match flow {
            Flow::Continue | Flow::Stop | Flow::Wait => false,
            Flow::Reply(r) => {
                let denied = !matches!(r.source, super::http_return::Source::Template);
                super::counters::ruled(cx, self.fe, denied);
                self.local_reply(cx, be, r);
                true
            }
            Flow::Redirect(rd) => {
                super::counters::ruled(cx, self.fe, false);
                let bytes = self.redirect_reply(cx, &rd);
                self.send_local(
                    cx,
                    be,
                    Rendered {
                        bytes,
                        close: false,
                    },
                );
                true
            }
            Flow::Auth(realm) => {
                let (bt, ft) = error_tables(cx, self.fe, be);
                let (head_only, conn) = (self.req.is_head(), self.reply_conn_hdr(cx));
                let page = super::errors::pick(bt, ft, 401);
                let mut out = {
                    let req = crate::sample::msg::Req::default();
                    let mut vars = Vars::default();
                    page.render(&mut Txn::bare(&req, &mut vars), head_only, conn)
                };
                let hdr = format!("www-authenticate: Basic realm=\"{realm}\"\r\n");
                insert_header(&mut out.bytes, hdr.as_bytes());
                self.send_local(cx, be, out);
                true
            }
            Flow::Tarpit(r) => {
                let sh = cx.shared;
                let hold = be
                    .and_then(|b| sh.backends[b].px.tarpit)
                    .or(sh.frontends[self.fe].px.tarpit)
                    .unwrap_or_default();
                self.rx_mut().tarpit = Some((cx.now + hold, be, Box::new(r.clone())));
                self.st = St::Tarpit;
                true
            }
            Flow::Reject => {
                self.log_term("PR");
                self.cin.clear();
                self.has_req = false;
                self.close_after = true;
                self.st = St::Closing;
                true
            }
            Flow::BadRequest => {
                self.local_reply(cx, be, &Reply::error_page(400));
                true
            }
            Flow::RewriteFailed => {
                self.local_reply(cx, be, &Reply::error_page(500));
                true
            }
            Flow::Service(sv) => {
                self.service(cx, be, sv);
                true
            }
        }
    }

    /// `http_apply_redirect_rule()`'s message.
    fn redirect_reply(&mut self, cx: &Ctx, rd: &RedirectOut) -> Vec<u8> {
        use std::io::Write as _;
        let reason = match rd.code {
            301 => "Moved Permanently",
            303 => "See Other",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            _ => "Found",
        };
        let mut out = Vec::with_capacity(96 + rd.location.len());
        let _ = write!(
            out,
            "HTTP/1.1 {} {reason}\r\ncontent-length: 0\r\nlocation: ",
            rd.code
        );
        out.extend_from_slice(&rd.location);
        out.extend_from_slice(b"\r\n");
        if matches!(rd.code, 302 | 303 | 307) {
            out.extend_from_slice(b"cache-control: no-cache\r\n");
        }
        if let Some(c) = &rd.cookie {
            out.extend_from_slice(b"set-cookie: ");
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        match self.reply_conn_hdr(cx) {
            ConnHdr::None => {}
            ConnHdr::KeepAlive => out.extend_from_slice(b"connection: keep-alive\r\n"),
            ConnHdr::Close => out.extend_from_slice(b"connection: close\r\n"),
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// `option http-restrict-req-hdr-names` (after the proxy's rules): headers whose name
    /// has a character outside `[A-Za-z0-9-]` are removed (`Some(false)`) or get the
    /// request a 403 (`Some(true)`). True when the request was answered.
    fn restrict_header_names(&mut self, cx: &Ctx, be: Option<usize>, mode: Option<bool>) -> bool {
        let Some(reject) = mode else { return false };
        let bad = |n: &str| n.bytes().any(|c| !c.is_ascii_alphanumeric() && c != b'-');
        let h = &mut self.req.req.headers;
        if !h.iter().any(|(n, _)| bad(n)) {
            return false;
        }
        if reject {
            self.local_reply(cx, be, &Reply::error_page(403));
            return true;
        }
        h.remove_where(|n, _| bad(n));
        false
    }

    /// `use_backend` rules (static and `%[…]` names), then `default_backend`.
    fn route(&mut self, cx: &Ctx) -> Option<usize> {
        let sh = cx.shared;
        let fe = &sh.frontends[self.fe];
        if fe.use_backend.is_empty() {
            return fe.default_backend;
        }
        let env = RtEnv {
            shared: sh,
            be: None,
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let mut t = self.txn(s);
        for ub in &fe.use_backend {
            if ub.cond.as_ref().is_some_and(|c| !c.eval(&mut t)) {
                continue;
            }
            match &ub.target {
                super::shared::BackendRef::Index(i) => return Some(*i),
                super::shared::BackendRef::Dynamic(tpl) => {
                    let name = tpl.render_vec(&mut t);
                    // A name that resolves to no backend falls through to the next rule.
                    if let Some(i) = sh
                        .backends
                        .iter()
                        .position(|b| b.name.as_bytes() == name.as_slice())
                    {
                        return Some(i);
                    }
                }
            }
        }
        fe.default_backend
    }

    /// `http-after-response` rules applied to a message made by the proxy.
    fn after_response_local(&mut self, cx: &Ctx, be: Option<usize>, bytes: Vec<u8>) -> Vec<u8> {
        let sh = cx.shared;
        let fe = &sh.frontends[self.fe];
        let sets: Vec<&crate::rules::HttpRules<Reply>> = be
            .map(|b| &sh.backends[b])
            .filter(|_| fe.own_backend != be)
            .map(|b| &b.px.http_after_response)
            .into_iter()
            .chain(std::iter::once(&fe.px.http_after_response))
            .filter(|r| !r.is_empty())
            .collect();
        if sets.is_empty() || bytes.is_empty() {
            return bytes;
        }
        let mut head = RespHead::default();
        let opts = crate::http::ParseOpts::default();
        let Ok(Some(n)) = http_msg::parse_response(&bytes, self.req.head.method, &opts, &mut head)
        else {
            return bytes;
        };
        http_msg::fill_resp(&bytes, &head, &mut self.rx_mut().res);
        for rules in sets {
            let _ = self.run_response_rules(cx, be, rules, None);
        }
        let res = &self.rx.as_ref().expect("allocated by fill_resp above").res;
        if !res.headers.edited() && !res.status_changed {
            return bytes;
        }
        let d = res.headers.diff(http_msg::present(&head.headers));
        let status = res.status.to_string();
        let edits = HeadEdits {
            add: &d.add,
            replace: &d.replace,
            conn: match head.conn {
                c if c.close => crate::http::ConnHdr::Close,
                c if c.keep_alive => crate::http::ConnHdr::KeepAlive,
                _ => crate::http::ConnHdr::None,
            },
            start: res
                .status_changed
                .then_some((status.as_bytes(), res.reason.as_slice())),
            ..Default::default()
        };
        let mut out = Vec::with_capacity(bytes.len() + 64);
        crate::http::write_response(&bytes, &head, &edits, &mut out);
        out.extend_from_slice(&bytes[n..]);
        out
    }

    /// The method the server received.
    fn sent_method(&self) -> crate::http::Method {
        if self.req.req.start_changed {
            crate::http::Method::from_bytes(self.req.req.method.as_bytes())
        } else {
            self.req.head.method
        }
    }

    /// The client asked for HEAD but the server was sent another method: the response
    /// body is consumed and dropped.
    fn drop_response_body(&self) -> bool {
        self.req.is_head() && self.sent_method() != crate::http::Method::Head
    }

    /// The `Connection` header of a reply made by the proxy.
    /// The whole current request is in: HAProxy then has nothing to wait for from the
    /// client, and `timeout client` does not end a request waiting on its server side.
    fn request_in_full(&self, cx: &Ctx) -> bool {
        if !self.has_req {
            return false;
        }
        if self.head_sent {
            return self.req_fwd.is_done();
        }
        let opts = &cx.shared.frontends[self.fe].req_opts;
        let after = self.cin.bytes().get(self.req.head_len..).unwrap_or(&[]);
        http_msg::complete_body_len(after, self.req.framing(), opts).is_some()
    }

    /// A `monitor-uri` request: counted as intercepted, never logged (HAProxy's
    /// `SF_MONITOR`), answered with the frontend's 200 page or its 503 page when a
    /// `monitor fail` condition holds.
    fn monitor(&mut self, cx: &mut Ctx, m: &super::shared::Monitor) {
        super::counters::ruled(cx, self.fe, false);
        let failed = if m.fail.is_empty() {
            false
        } else {
            let env = RtEnv {
                shared: cx.shared,
                be: None,
                stk: self.stk.clone(),
            };
            let s = self.session(cx, &env);
            let mut t = self.txn(s);
            m.fail.iter().any(|c| c.eval(&mut t))
        };
        self.rx_mut().fx.log_level = Some("silent".into());
        self.error_in(cx, None, if failed { 503 } else { 200 });
    }

    /// A message of the proxy's own on its way to the client, its header names spelled
    /// per `h1-case-adjust` when the frontend asks for it.
    fn put_local(&mut self, cx: &Ctx, bytes: &[u8]) {
        let adjusted = cx.shared.frontends[self.fe]
            .case_adjust
            .then(|| crate::http::write::adjust_case(bytes, &cx.shared.h1_case))
            .flatten();
        self.cout.extend(adjusted.as_deref().unwrap_or(bytes));
    }

    /// `PRI * HTTP/2.0`: the start of HTTP/2's connection preface.
    fn is_h2_preface(&self) -> bool {
        let buf = self.cin.bytes();
        let h = &self.req.head;
        h.method_raw.get(buf) == b"PRI"
            && h.uri.get(buf) == b"*"
            && h.version_raw.get(buf) == b"HTTP/2.0"
    }

    /// The connection header of a reply the proxy makes for the current request: a request
    /// not all received yet (body still to come, or more than HAProxy buffers) is answered
    /// with `connection: close` and the connection closed, as HAProxy does.
    fn reply_conn_hdr(&mut self, cx: &Ctx) -> ConnHdr {
        if self.has_req && !self.head_sent && !self.close_after {
            let opts = &cx.shared.frontends[self.fe].req_opts;
            let after = self.cin.bytes().get(self.req.head_len..).unwrap_or(&[]);
            if !http_msg::request_fully_buffered(&self.req, after, opts) {
                self.close_after = true;
            }
        }
        self.conn_hdr()
    }

    fn conn_hdr(&self) -> ConnHdr {
        match (self.close_after, self.req.http10()) {
            (true, _) => ConnHdr::Close,
            (false, true) => ConnHdr::KeepAlive,
            (false, false) => ConnHdr::None,
        }
    }

    /// Discards the body of a request answered by the proxy, then moves on.
    fn skip_body(&mut self, cx: &Ctx) -> bool {
        let before = self.cin.len();
        let mut sink = Buf::default();
        match self.req_fwd.forward(self.cin.bytes(), &mut sink) {
            Ok(n) => self.cin.consume(n),
            Err(_) => {
                self.cin.clear();
                self.close_after = true;
                self.req_fwd.reset(Framing::None);
            }
        }
        if self.req_fwd.is_done() {
            if cx.shared.debug {
                self.trace_end(cx);
            }
            super::stick::stream_end(self.stk.as_deref());
            self.log_end(cx);
            self.requests += 1;
            self.wait_since = std::time::Instant::now();
            if self.close_after {
                self.quick_close = self.may_close_at_once(cx);
                self.cin.clear();
                self.st = St::Closing;
            } else {
                self.st = St::WaitReq;
            }
            return true;
        }
        self.cin.len() != before
    }

    /// A proxy-generated error (503 no server, 502 bad response, 504 timeout). HAProxy
    /// sends its error page like any reply of its own: the rest of the request is skipped
    /// and the client connection stays open unless the exchange said otherwise.
    fn error(&mut self, cx: &mut Ctx, status: u16) {
        self.error_in(cx, self.be, status);
    }

    /// [`Self::error`] for a request routed to backend `be` (`None`: no backend, the
    /// frontend's error pages only).
    fn error_in(&mut self, cx: &mut Ctx, be: Option<usize>, status: u16) {
        if matches!(status, 502 | 504) {
            super::stick::failure(self.stk.as_deref());
        }
        self.reply_in(cx, be, &Reply::error_page(status));
    }

    /// Answers the current request with `page` instead of (the rest of) the server's
    /// response: the server connection is dropped, the request body skipped.
    fn reply_in(&mut self, cx: &mut Ctx, be: Option<usize>, page: &Reply) {
        if let Some(srv) = self.srv.as_mut() {
            srv.release(cx, false);
        }
        self.sin.clear();
        let be_idx = be;
        let (be, fe) = error_tables(cx, self.fe, be);
        if !self.has_req {
            let req = crate::sample::msg::Req::default();
            let mut vars = Vars::default();
            let out = page.send(
                &mut Txn::bare(&req, &mut vars),
                false,
                ConnHdr::Close,
                be,
                fe,
            );
            self.log_local(&out.bytes, error_term(page.status));
            self.put_local(cx, &out.bytes);
            self.cin.clear();
            self.st = St::Closing;
            return;
        }
        if !self.head_sent {
            // The head never left: skip it and the whole body.
            self.cin.consume(self.req.head_len);
            self.req_fwd.reset(self.req.framing());
        } else if !self.req_fwd.is_done() {
            // Part of the body already went to the server: HAProxy cannot tell where the
            // next request starts and closes after its page.
            self.close_after = true;
        }
        self.has_resp = false;
        self.has_req = false;
        let (head_only, conn) = (self.req.is_head(), self.reply_conn_hdr(cx));
        let env = RtEnv {
            shared: cx.shared,
            be: be_idx,
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let out = {
            let mut t = self.txn(s);
            page.send(&mut t, head_only, conn, be, fe)
        };
        let bytes = self.after_response_local(cx, be_idx, out.bytes);
        if let Some(st) = super::counters::status_of(&bytes) {
            super::counters::response(cx, self.fe, be_idx.map(|b| (b, None)), st);
        }
        self.close_after |= out.close;
        self.log_local(&bytes, error_term(page.status));
        self.put_local(cx, &bytes);
        self.st = St::Skip;
        self.skip_body(cx);
    }

    /// The server connection is ready: send the request head, then stream the body.
    fn server_connected(&mut self, cx: &mut Ctx) {
        if !self.has_req {
            return;
        }
        self.log_connected(cx);
        // `srv_inc_sess_ctr()` (HAProxy counts each connection attempt; here each
        // connection a request gets).
        if let Some((b, i)) = self.srv.as_ref().and_then(|x| Some((x.be, x.server()?))) {
            if let Some(r) = cx.shared.backends[b].srv_rates.get(i) {
                r.inc();
            }
        }
        if self.replaying {
            // A layer-7 retry: the same bytes again; the rest of the body still comes from
            // the client through `req_fwd`.
            self.replaying = false;
            self.sout.clear();
            let srv = self.srv.as_ref().expect("connected");
            self.on_reused = srv.reused();
            if let Some(h) = srv.proxy_header(cx, self.peer, || self.local_addr()) {
                self.sout.extend(&h);
            }
            if let Some(r) = &self.replay {
                self.sout.extend(r);
            }
            self.has_resp = false;
            self.server_seen = cx.now;
            self.st = St::Xfer;
            return;
        }
        if let (Some(b), Some(s)) = (self.be, self.srv.as_ref().and_then(|s| s.server())) {
            super::counters::to_server(cx, b, s, true);
        }
        let be = &cx.shared.backends[self.be.expect("a backend was chosen")];
        let fe = &cx.shared.frontends[self.fe];
        let buf = self.cin.bytes();
        let head = &self.req.head;
        // Headers added by rules come first, then `forwardfor`/`originalto` (HAProxy adds
        // those after the rules ran).
        let owned = &self.req.req;
        let diff = owned
            .headers
            .edited()
            .then(|| owned.headers.diff(http_msg::present(&head.headers)));
        // `option forwardfor`/`originalto`: the backend's setting, else the frontend's.
        let mut ff_val = Vec::new();
        let mut ot_val = Vec::new();
        let mut add: Vec<(&[u8], &[u8])> = diff.as_ref().map_or_else(Vec::new, |d| d.add.clone());
        let uid = self.rx.as_ref().and_then(|r| r.unique_id.as_ref());
        if let (Some(h), Some(id)) = (&fe.px.unique_id_header, uid) {
            add.push((h.as_bytes(), id.as_bytes()));
        }
        let ff = be.forwardfor.as_ref().or(fe.forwardfor.as_ref());
        if let (Some(ff), Some(p)) = (ff, self.peer) {
            if ff.value(p.ip(), head, buf, &mut ff_val) {
                add.push((&ff.header, &ff_val));
            }
        }
        let ot = be.originalto.as_ref().or(fe.originalto.as_ref());
        if let Some(ot) = ot {
            if let Some(l) = self.local_addr() {
                if ot.value(l.ip(), head, buf, &mut ot_val) {
                    add.push((&ot.header, &ot_val));
                }
            }
        }
        let mut replace: Vec<(usize, Option<&[u8]>)> = match &self.cookie {
            Some((out, pos)) => out
                .edits
                .iter()
                .map(|(i, e)| (pos[*i], edit_value(e)))
                .collect(),
            None => Vec::new(),
        };
        if let Some(d) = &diff {
            replace.extend(d.replace.iter().copied());
        }
        let del: &[&[u8]] = if self.sent_continue {
            &[b"expect"]
        } else {
            &[]
        };
        let edits = HeadEdits {
            del,
            add: &add,
            conn: self.plan.request_conn(head),
            replace: &replace,
            start: owned
                .start_changed
                .then_some((owned.method.as_bytes(), owned.uri.as_bytes())),
            case: be.case_adjust.then_some(&cx.shared.h1_case),
        };
        let srv = self.srv.as_ref().expect("connected");
        if let Some(h) = srv.proxy_header(cx, self.peer, || self.local_addr()) {
            self.sout.extend(&h);
        }
        let before = self.sout.len();
        http_msg::write_request(buf, &self.req, &edits, &mut self.scratch, &mut self.sout);
        self.on_reused = self.srv.as_ref().is_some_and(|s| s.reused());
        if be.retry_on.layer7() || self.on_reused {
            self.replay = Some(self.sout.bytes()[before..].to_vec());
        }
        self.cin.consume(self.req.head_len);
        self.head_sent = true;
        self.req_fwd.reset(self.req.framing());
        self.has_resp = false;
        self.server_seen = cx.now;
        self.st = St::Xfer;
    }

    /// One round of request/response forwarding. `None`: the session is over.
    fn xfer(&mut self, cx: &mut Ctx) -> Option<bool> {
        let limit = cx.shared.bufsize;
        let mut progress = false;
        // Request body: client input → server output, within the message.
        if !self.req_fwd.is_done() && self.sout.len() < limit {
            let avail = self.cin.len().min(limit - self.sout.len());
            let before = self.sout.len();
            match self
                .req_fwd
                .forward(&self.cin.bytes()[..avail], &mut self.sout)
            {
                Ok(n) => {
                    if n > 0 {
                        self.cin.consume(n);
                        progress = true;
                    }
                    if let Some(r) = self.replay.as_mut() {
                        let added = &self.sout.bytes()[before..];
                        if r.len() + added.len() > limit {
                            self.replay = None;
                        } else {
                            r.extend_from_slice(added);
                        }
                    }
                }
                Err(e) => {
                    // Broken framing from the client: its status if nothing answered yet.
                    if !self.has_resp {
                        self.close_after = true;
                        self.error(cx, e.status);
                        return Some(true);
                    }
                    return None;
                }
            }
        }
        let srv = self.srv.as_mut()?;
        let (be_i, srv_i) = (srv.be, srv.server());
        let sock = srv.sock.as_mut()?;
        match sock.write_from(&mut self.sout) {
            Ok(n) if n > 0 => {
                super::counters::server_bytes(cx, be_i, srv_i, true, n);
                progress = true;
                self.server_seen = cx.now;
            }
            Ok(_) => {}
            Err(_) => {
                let reused = self.on_reused;
                if !self.has_resp && self.retry(cx, |r| reused && r.conn_failure) {
                    return Some(true);
                }
                if !self.has_resp {
                    self.error(cx, 502);
                    return Some(true);
                }
                self.log_term("SD");
                return None;
            }
        }
        match sock.read_into(&mut self.sin, limit) {
            ReadOutcome::Data(n) => {
                super::counters::server_bytes(cx, be_i, srv_i, false, n);
                progress = true;
                self.server_seen = cx.now;
            }
            ReadOutcome::Error => {
                let reused = self.on_reused && self.sin.is_empty();
                if !self.has_resp && self.retry(cx, |r| reused && r.conn_failure) {
                    return Some(true);
                }
                if !self.has_resp {
                    self.error(cx, 502);
                    return Some(true);
                }
                self.log_term("SD");
                return None;
            }
            _ => {}
        }
        let server_eof = sock.read_closed;
        // Response head (after any 1xx interim responses).
        while !self.has_resp && !self.sin.is_empty() {
            let be = &cx.shared.backends[self.be.expect("a backend was chosen")];
            // The response is framed by the method the server got (`set-method` may have
            // turned a HEAD into a GET: its body is then read and not forwarded).
            let sent = self.sent_method();
            let parsed =
                http_msg::parse_response(self.sin.bytes(), sent, &be.resp_opts, &mut self.resp);
            let srv = self.srv.as_deref().and_then(ServerSide::server);
            match parsed {
                Ok(None) => break,
                Err(e) => {
                    if let Some(i) = srv {
                        super::check::observe(be, i, super::check::Hana::HttpHdrRsp);
                    }
                    if self.retry(cx, |r| r.junk_response) {
                        return Some(true);
                    }
                    self.error(cx, e.status);
                    return Some(true);
                }
                Ok(Some(n)) if self.resp.is_interim() => {
                    // 1xx interim: forwarded, the final response follows.
                    let edits = HeadEdits::default();
                    http_msg::write_response(
                        self.sin.bytes(),
                        &self.resp,
                        &edits,
                        &mut self.scratch,
                        &mut self.cout,
                    );
                    self.sin.consume(n);
                    progress = true;
                }
                Ok(Some(_))
                    if {
                        let st = self.resp.status;
                        self.retry(cx, |r| r.statuses.contains(&st))
                    } =>
                {
                    return Some(true);
                }
                Ok(Some(_))
                    if crate::http::validate_upgrade(&self.req.head, &self.resp).is_err() =>
                {
                    // A 101 the request did not ask for, or a WebSocket one without
                    // `Sec-WebSocket-Accept`: 502.
                    self.error(cx, 502);
                    return Some(true);
                }
                Ok(Some(n)) => {
                    if let Some(i) = srv {
                        let ev = super::check::Hana::of_status(self.resp.status);
                        super::check::observe(be, i, ev);
                    }
                    if cx.shared.debug {
                        self.has_resp = true;
                        self.trace_response(cx);
                    }
                    if self.response_rules(cx, n) {
                        return Some(true);
                    }
                    let head_at = self.cout.len();
                    self.write_response_head(cx);
                    self.log_response(cx, head_at, n);
                    self.sin.consume(n);
                    self.has_resp = true;
                    self.resp_fwd.reset(self.resp.framing);
                    progress = true;
                    if self.resp.tunnel {
                        self.st = St::Tunnel;
                        self.req_fwd.reset(Framing::None);
                        return Some(true);
                    }
                }
            }
        }
        if !self.has_resp {
            let abort = self.be.is_some_and(|b| cx.shared.backends[b].abortonclose);
            if abort && self.client.read_closed && self.req_fwd.is_done() && self.sout.is_empty() {
                // `option abortonclose`: the client's shutdown goes on to the server, which
                // decides; if it then closes without answering, HAProxy's "client abort
                // with an abortonclose": 400, `CH`.
                if let Some(sock) = self.srv.as_mut().and_then(|s| s.sock.as_mut()) {
                    if !sock.write_closed {
                        sock.shutdown_write();
                        progress = true;
                    }
                }
                if server_eof && self.sin.is_empty() {
                    self.log_term("CH");
                    self.close_after = true;
                    self.error(cx, 400);
                    return Some(true);
                }
            }
            if server_eof {
                // Closed before a complete response head: 502 (or a retry: an empty answer
                // is `empty-response`, a cut head `junk-response`).
                let empty = self.sin.is_empty();
                let reused = self.on_reused;
                if self.retry(cx, |r| {
                    if empty {
                        r.empty_response || (reused && r.conn_failure)
                    } else {
                        r.junk_response
                    }
                }) {
                    return Some(true);
                }
                self.error(cx, 502);
                return Some(true);
            }
            return Some(progress);
        }
        // Response body: server input → client output.
        if !self.resp_fwd.is_done() && self.cout.len() < limit {
            let avail = self.sin.len().min(limit - self.cout.len());
            let mut sink = Buf::default();
            let out = if self.drop_response_body() {
                &mut sink
            } else {
                &mut self.cout
            };
            match self.resp_fwd.forward(&self.sin.bytes()[..avail], out) {
                Ok(n) => {
                    if n > 0 {
                        self.sin.consume(n);
                        progress = true;
                    }
                }
                Err(_) => return None,
            }
        }
        if server_eof && !self.resp_fwd.is_done() && self.sin.is_empty() {
            if self.resp_fwd.finish().is_err() {
                // Truncated response: nothing sensible to add, close after what was sent.
                self.log_term("SD");
                return if self.cout.is_empty() {
                    None
                } else {
                    self.close_after = true;
                    self.st = St::Closing;
                    Some(true)
                };
            }
            self.resp_fwd.reset(Framing::None);
        }
        if self.resp_fwd.is_done() && (self.req_fwd.is_done() || server_eof) {
            if !self.req_fwd.is_done() {
                self.close_after = true;
            }
            self.end_exchange(cx, server_eof);
            return Some(true);
        }
        Some(progress)
    }

    /// A layer-7 retry if `retry-on` names this failure (`kind`), the request copy is whole
    /// and retries are left. True when the request went back to the server side.
    fn retry(&mut self, cx: &mut Ctx, kind: impl Fn(&super::shared::RetryOn) -> bool) -> bool {
        let Some(b) = self.be else {
            return false;
        };
        if self.replay.is_none() || !kind(&cx.shared.backends[b].retry_on) {
            return false;
        }
        let Some(srv) = self.srv.as_mut() else {
            return false;
        };
        let Some(o) = srv.retry_l7(cx) else {
            return false;
        };
        self.sin.clear();
        self.has_resp = false;
        self.replaying = true;
        self.st = St::WaitSrv;
        match o {
            Outcome::Pending => {}
            Outcome::Connected(_) => self.server_connected(cx),
            Outcome::Failed { status, term } => {
                self.log_term(term);
                self.replaying = false;
                self.close_after |= !self.req_fwd.is_done();
                self.error(cx, status);
            }
        }
        true
    }

    /// `http-response` rules (the backend's, then the frontend's) and `http-after-response`
    /// rules on the server's response head. True when they replaced the response.
    fn response_rules(&mut self, cx: &mut Ctx, head_len: usize) -> bool {
        if let Some(rx) = self.rx.as_mut() {
            rx.res_active = false;
        }
        let sh = cx.shared;
        let Some(bi) = self.be else { return false };
        super::stick::response(self.stk.as_deref(), self.resp.status);
        if !sh.backends[bi].stick_rules.is_empty() && self.resp.status >= 200 {
            self.stick_store(cx, bi);
        }
        let fe = &sh.frontends[self.fe];
        // `capture response header`: the last occurrence, cut to the slot's length.
        if !fe.px.res_capture_slots.is_empty() {
            let raw = self.sin.bytes();
            let caps = &mut rule_state(&mut self.rx, &self.proc_vars).caps.res;
            let heads = &self.resp.headers;
            capture_headers(&fe.px.res_capture_slots, caps, |n| {
                let (_, vals) = http_msg::headers_named(raw, heads, n.as_bytes());
                vals.last().map(|v| v.trim_ascii())
            });
        }
        let be = &sh.backends[bi];
        let own = fe.own_backend == Some(bi);
        let resp_sets: Vec<&crate::rules::HttpRules<Reply>> = std::iter::once(&be.px.http_response)
            .chain((!own).then_some(&fe.px.http_response))
            .filter(|r| !r.is_empty())
            .collect();
        let after_sets: Vec<&crate::rules::HttpRules<Reply>> =
            std::iter::once(&be.px.http_after_response)
                .chain((!own).then_some(&fe.px.http_after_response))
                .filter(|r| !r.is_empty())
                .collect();
        if resp_sets.is_empty() && after_sets.is_empty() {
            return false;
        }
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        rx.res_active = true;
        http_msg::fill_resp(self.sin.bytes(), &self.resp, &mut rx.res);
        for rules in resp_sets {
            // The response body received with the head shares its buffer (rewrite room).
            let flow = self.run_response_rules(cx, Some(bi), rules, Some(head_len));
            match flow {
                Flow::Continue
                | Flow::Stop
                | Flow::Auth(_)
                | Flow::Tarpit(_)
                | Flow::Wait
                | Flow::Service(_)
                | Flow::BadRequest => {}
                Flow::RewriteFailed => {
                    self.rx_mut().res_active = false;
                    self.close_after |= !self.req_fwd.is_done();
                    self.has_req = true;
                    self.reply_in(cx, Some(bi), &Reply::error_page(500));
                    return true;
                }
                Flow::Reply(r) => {
                    self.rx_mut().res_active = false;
                    self.close_after |= !self.req_fwd.is_done();
                    self.has_req = true;
                    self.reply_in(cx, Some(bi), r);
                    return true;
                }
                Flow::Redirect(rd) => {
                    self.rx_mut().res_active = false;
                    if let Some(srv) = self.srv.as_mut() {
                        srv.release(cx, false);
                    }
                    self.sin.clear();
                    self.close_after |= !self.req_fwd.is_done();
                    let bytes = self.redirect_reply(cx, &rd);
                    self.has_resp = false;
                    self.has_req = false;
                    self.put_local(cx, &bytes);
                    self.st = St::Skip;
                    self.skip_body(cx);
                    return true;
                }
                Flow::Reject => {
                    self.rx_mut().res_active = false;
                    if let Some(srv) = self.srv.as_mut() {
                        srv.release(cx, false);
                    }
                    self.sin.clear();
                    self.cin.clear();
                    self.has_req = false;
                    self.has_resp = false;
                    self.close_after = true;
                    self.st = St::Closing;
                    return true;
                }
            }
        }
        for rules in after_sets {
            let _ = self.run_response_rules(cx, Some(bi), rules, None);
        }
        false
    }

    /// `stick store-response` rules, then the request's pending stores get the server
    /// that answered.
    fn stick_store(&mut self, cx: &Ctx, bi: usize) {
        let backend = &cx.shared.backends[bi];
        let server = self
            .srv
            .as_ref()
            .filter(|x| x.be == bi)
            .and_then(|x| x.server_of_last_request());
        let server = server.and_then(|i| {
            let sv = backend.queue.server(i)?;
            Some((i64::from(sv.puid()), sv.name(), !backend.non_stick[i]))
        });
        let env = RtEnv {
            shared: cx.shared,
            be: Some(bi),
            stk: self.stk.clone(),
        };
        let s = self.session(cx, &env);
        let mut pending = std::mem::take(&mut self.stick_store);
        let rx = rule_state(&mut self.rx, &self.proc_vars);
        http_msg::fill_resp(self.sin.bytes(), &self.resp, &mut rx.res);
        let mut t = Txn {
            dir: crate::sample::fetch::Dir::Res,
            req: Some(&self.req.req),
            body: None,
            res: Some(&rx.res),
            s,
            req_captures: &rx.caps.req,
            res_captures: &rx.caps.res,
            vars: &mut rx.vars,
            payload: None,
            missed: Default::default(),
        };
        super::stick::store_rules(&backend.stick_rules, &mut t, &mut pending, server);
        self.stick_store = pending;
    }

    /// Forwards the final response head with the connection header and the cookie
    /// persistence edits.
    fn write_response_head(&mut self, cx: &Ctx) {
        if let Some(be) = self.be {
            let srv = self.srv.as_ref().and_then(|s| s.server_of_last_request());
            let st = self
                .rx
                .as_ref()
                .filter(|r| r.res_active && r.res.status_changed)
                .map_or(self.resp.status, |r| r.res.status);
            super::counters::response(cx, self.fe, Some((be, srv)), st);
        }
        // A soft stop that began while the server was working closes after this response.
        self.close_when_stopping(cx.shared);
        let conn = self.plan.on_response(&self.req.head, &self.resp);
        if self.plan.client == Want::Close {
            self.close_after = true;
        }
        let raw = self.sin.bytes();
        let srv = self.srv.as_ref();
        let be = self.be.map(|b| &cx.shared.backends[b]);
        let rx = self.rx.as_ref().filter(|r| r.res_active);
        let res = rx.map(|r| &r.res);
        let rules_edited = res.is_some_and(|r| r.headers.edited() || r.status_changed);
        let diff = res
            .filter(|_| rules_edited)
            .map(|r| r.headers.diff(http_msg::present(&self.resp.headers)));
        let status = res.map_or(String::new(), |r| r.status.to_string());
        let start = res
            .filter(|r| rules_edited && r.status_changed)
            .map(|r| (status.as_bytes(), r.reason.as_slice()));
        let case_client = cx.shared.frontends[self.fe]
            .case_adjust
            .then_some(&cx.shared.h1_case);
        let (Some(be), Some((req_out, _))) = (be, self.cookie.as_mut()) else {
            let edits = HeadEdits {
                conn,
                add: diff.as_ref().map_or(&[], |d| &d.add[..]),
                replace: diff.as_ref().map_or(&[], |d| &d.replace[..]),
                start,
                case: case_client,
                ..Default::default()
            };
            http_msg::write_response(raw, &self.resp, &edits, &mut self.scratch, &mut self.cout);
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
        let (pos1, sc1) = http_msg::headers_named(raw, &self.resp.headers, b"set-cookie");
        let (pos2, sc2) = http_msg::headers_named(raw, &self.resp.headers, b"set-cookie2");
        let method = self.req.head.method_raw.get(self.cin.bytes()).to_vec();
        let cacheable = persist::response_cacheable(
            &method,
            self.resp.status,
            self.resp
                .headers
                .iter()
                .filter(|h| !h.drop)
                .map(|h| (h.name.get(raw), h.value.get(raw))),
        );
        let input = persist::ResponseInput {
            server,
            direct,
            ignore_persist: self.ignore_persist,
            is_post: self.req.is_post(),
            status: self.resp.status,
            cacheable,
            now: wall_clock_secs(),
        };
        let out = persist::manage_response(cfg, &servers, req_out, &sc1, &sc2, &input);
        if let Some(l) = self.lg.as_mut() {
            l.cookie = persist::log_chars(Some(cfg), req_out.status, out.status);
        }
        let mut replace: Vec<(usize, Option<&[u8]>)> = Vec::new();
        replace.extend(out.edits.iter().map(|(i, e)| (pos1[*i], edit_value(e))));
        replace.extend(out.edits2.iter().map(|(i, e)| (pos2[*i], edit_value(e))));
        let mut add: Vec<(&[u8], &[u8])> = Vec::new();
        if let Some(d) = &diff {
            replace.extend(d.replace.iter().copied());
            add.extend(d.add.iter().copied());
        }
        if let Some(v) = &out.insert {
            add.push((b"Set-Cookie", v));
            if out.cache_control_private {
                add.push((
                    persist::NOCACHE_HEADER.0.as_bytes(),
                    persist::NOCACHE_HEADER.1.as_bytes(),
                ));
            }
        }
        let edits = HeadEdits {
            add: &add,
            conn,
            replace: &replace,
            start,
            case: case_client,
            ..Default::default()
        };
        http_msg::write_response(raw, &self.resp, &edits, &mut self.scratch, &mut self.cout);
    }

    /// Both messages are complete: give the server slot back, keep or close each side.
    fn end_exchange(&mut self, cx: &mut Ctx, server_eof: bool) {
        if cx.shared.debug {
            self.trace_end(cx);
        }
        let reusable = !server_eof
            && self.sout.is_empty()
            && self.sin.is_empty()
            && self.plan.server == Want::KeepAlive;
        if let Some(srv) = self.srv.as_mut() {
            srv.release(cx, reusable);
        }
        self.log_end(cx);
        self.has_req = false;
        self.has_resp = false;
        super::stick::stream_end(self.stk.as_deref());
        self.requests += 1;
        self.wait_since = cx.now;
        if self.close_after {
            self.quick_close = self.may_close_at_once(cx);
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
        let (be_i, srv_i) = (srv.be, srv.server());
        let sock = srv.sock.as_mut()?;
        match sock.write_from(&mut self.sout) {
            Ok(n) if n > 0 => {
                super::counters::server_bytes(cx, be_i, srv_i, true, n);
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
            ReadOutcome::Data(n) => {
                super::counters::server_bytes(cx, be_i, srv_i, false, n);
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

/// Whether a request URI is the `monitor-uri`: a configured URI starting with `/` is
/// compared with the request's path and query (so that absolute-form requests match
/// too), any other with the whole URI.
fn monitor_match(uri: &[u8], mon: &str) -> bool {
    if uri == mon.as_bytes() {
        return true;
    }
    if !mon.starts_with('/') {
        return false;
    }
    let path = match uri.first() {
        Some(b'/') => uri,
        _ => match uri.windows(3).position(|w| w == b"://") {
            Some(i) => {
                let rest = &uri[i + 3..];
                &rest[rest.iter().position(|&c| c == b'/').unwrap_or(rest.len())..]
            }
            None => return false,
        },
    };
    // HAProxy's `http_parse_path()` keeps the query string: `/health?x` is not `/health`.
    path == mon.as_bytes()
}
