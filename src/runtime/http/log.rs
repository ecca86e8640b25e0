//! The HTTP session's side of the logs: what it notes on the way (request line and
//! instants, status, bytes, termination state) and the line it sends when a
//! transaction ends. Only frontends with a log format carry a [`TxnLog`].

use super::{HttpSession, St};
use crate::log::Facts;
use crate::runtime::env::RtEnv;
use crate::runtime::log::TxnLog;
use crate::runtime::worker::Ctx;
use crate::sample::fetch::{Dir, Txn};
use crate::sample::vars::Vars;

/// The status of a response head the proxy wrote (`HTTP/1.1 403 …`).
fn head_status(b: &[u8]) -> Option<i32> {
    let s = b.get(9..12)?;
    std::str::from_utf8(s).ok()?.parse().ok()
}

impl HttpSession {
    /// A log record for the session's next transaction, if its frontend logs streams;
    /// HAProxy's "Connect from" line for a frontend with targets but no format.
    pub(super) fn log_accept(&mut self, cx: &Ctx) {
        let Some(lr) = cx.shared.frontends[self.fe].log.as_deref() else {
            return;
        };
        if lr.logs_streams() {
            self.lg = Some(Box::new(TxnLog::new(cx.now)));
        } else {
            let to = self.local_addr();
            lr.connect_line(self.peer, to, &cx.shared.frontends[self.fe].name, true);
        }
    }

    /// A request head parsed: its line and the instant.
    pub(super) fn log_request(&mut self, cx: &Ctx) {
        let Some(l) = self.lg.as_mut() else { return };
        l.t_request = Some(cx.now);
        l.parsed = true;
        l.request.clear();
        let b = self.cin.bytes();
        // HAProxy logs the start line as it stored it (`htx_fmt_req_line()`): method, URI
        // and version joined by single spaces, whatever spacing the client used.
        let h = &self.req.head;
        let ver: &[u8] = if self.req.http10() {
            b"HTTP/1.0"
        } else {
            b"HTTP/1.1"
        };
        for (i, part) in [h.method_raw.get(b), h.uri.get(b), ver].iter().enumerate() {
            if i > 0 {
                l.request.push(b' ');
            }
            l.request.extend_from_slice(part);
        }
        l.in_adj = crate::log::htx_adjust(b.get(..self.req.head_len).unwrap_or(b));
        // `-d` numbered the stream already; else the same counter (HAProxy's `uniq_id`).
        l.stream_id = self.trace_id.unwrap_or_else(|| {
            cx.shared
                .next_stream_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        });
    }

    /// The server connection is up (`Tw`, `Tc`).
    pub(super) fn log_connected(&mut self, cx: &Ctx) {
        if let Some(l) = self.lg.as_mut() {
            l.t_queue.get_or_insert(cx.now);
            l.t_connect = Some(cx.now);
        }
    }

    /// The server's final response head is on its way to the client.
    /// `head_at`: where the head written to the client starts in `cout`; `n`: the
    /// server's head length in `sin`. HAProxy counts what it received (`res.total`), so
    /// `%B` is the server's head in HTX form plus the body, whatever rules added.
    pub(super) fn log_response(&mut self, cx: &Ctx, head_at: usize, n: usize) {
        let status = match self.rx.as_ref().filter(|r| r.res_active) {
            Some(r) => r.res.status as i32,
            None => self.resp.status as i32,
        };
        if let Some(l) = self.lg.as_mut() {
            l.t_data = Some(cx.now);
            l.status = status;
            let written = self.cout.len().saturating_sub(head_at) as i64;
            let received = self.sin.bytes().get(..n).unwrap_or(&[]);
            let htx = crate::log::htx_head_size(received).unwrap_or(n) as i64;
            l.out_adj += htx - written;
        }
    }

    /// A reply of the proxy's own (`bytes` starts with its status line), ending the
    /// transaction as `term` unless a cause was already noted.
    pub(super) fn log_local(&mut self, bytes: &[u8], term: &str) {
        if let Some(l) = self.lg.as_mut() {
            if let Some(s) = head_status(bytes) {
                l.status = s;
            }
            l.out_adj += crate::log::htx_adjust(bytes);
            l.set_term(term);
        }
    }

    pub(super) fn log_term(&mut self, term: &str) {
        if let Some(l) = self.lg.as_mut() {
            l.set_term(term);
        }
    }

    /// Client bytes read / written at `now`.
    #[inline]
    pub(super) fn log_bytes(&mut self, read: usize, written: usize, now: std::time::Instant) {
        if let Some(l) = self.lg.as_mut() {
            if read > 0 && l.t_first.is_none() {
                l.t_first = Some(now);
            }
            l.bytes_in += read as u64;
            l.bytes_out += written as i64;
        }
    }

    /// The connection is going away: a transaction still open is logged with the cause
    /// its state tells (HAProxy's abort and timeout states).
    pub(super) fn log_close(&mut self, cx: &Ctx) {
        let Some(l) = self.lg.as_deref() else { return };
        let fresh = l.parsed || l.bytes_in > 0 || l.term.is_some() || self.requests == 0;
        if !fresh {
            return;
        }
        let term = match self.st {
            St::WaitReq
                if l.bytes_in == 0
                    && (self.requests > 0 || cx.shared.frontends[self.fe].ignore_probes) =>
            {
                return
            }
            St::WaitReq | St::WaitBody => "CR",
            St::Skip | St::Closing => "--",
            St::WaitSrv => "CC",
            St::Tarpit => "CT",
            St::Xfer if !self.has_resp => "CH",
            St::Xfer | St::Tunnel => "CD",
        };
        let dontlognull = cx.shared.frontends[self.fe]
            .log
            .as_ref()
            .is_some_and(|r| r.dontlognull);
        if !l.parsed && l.bytes_in == 0 && dontlognull {
            // `option dontlognull`: a connection that sent nothing (closed or timed out).
            return;
        }
        if !l.parsed && l.term.is_none() {
            // A request that never came: `<BADREQ>`, 400 (HAProxy answers it so).
            if let Some(l) = self.lg.as_mut() {
                l.status = 400;
            }
        }
        self.log_term(term);
        self.log_end(cx);
    }

    /// Sends the current transaction's line and starts a new record.
    pub(super) fn log_end(&mut self, cx: &Ctx) {
        let Some(mut l) = self.lg.take() else { return };
        let sh = cx.shared;
        let fe = &sh.frontends[self.fe];
        let Some(lr) = fe.log.as_deref() else { return };
        let be = self.be.filter(|_| l.parsed);
        let env = RtEnv {
            shared: sh,
            be,
            stk: self.stk.clone(),
        };
        let mut s = self.session(cx, &env);
        s.fc_tls = super::super::tls::facts(&self.client.s);
        let (mut srv_name, mut srv_conn, mut retries) = ("<NOSRV>", 0, 0);
        let (mut sq, mut bq, mut beconn, mut server_addr) = (0, 0, 0, None);
        let mut t_queue = l.t_queue;
        if let (Some(b), Some(ss)) = (be, self.srv.as_deref().filter(|x| Some(x.be) == be)) {
            let backend = &sh.backends[b];
            let (rc, q) = ss.log_facts(cx);
            retries = rc;
            sq = q.srv_queue;
            bq = q.backend_queue;
            if let Some(ms) = q.queue_ms {
                if let Some(tr) = l.t_request {
                    t_queue = Some(tr + std::time::Duration::from_millis(ms));
                }
            }
            if let Some(i) = ss.log_server() {
                if let Some(sv) = backend.queue.server(i) {
                    srv_name = sv.name();
                    srv_conn = sv.served();
                    s.srv = Some((sv.name(), sv.puid() as i64));
                }
                server_addr = backend.addrs.get(i).and_then(|a| a.inet());
            }
            beconn = backend.queue.beconn();
        }
        if t_queue.is_none() && l.t_connect.is_none() && l.term.is_some_and(|t| t[1] == b'C') {
            // Left the queue, then failed to connect.
            t_queue = l.t_request;
        }
        // `set-log-level` of this transaction (moved out: the transaction is over).
        let set_level = self.rx.as_mut().and_then(|r| r.fx.log_level.take());
        let rx = self.rx.as_deref_mut();
        let mut spare = Vars::default();
        let (vars, req_caps, res_caps, uid) = match rx {
            Some(r) => (
                &mut r.vars,
                &r.caps.req[..],
                &r.caps.res[..],
                r.unique_id.as_deref(),
            ),
            None => (&mut spare, &[][..], &[][..], None),
        };
        let mut t = Txn {
            dir: Dir::Res,
            req: l.parsed.then_some(&self.req.req),
            body: None,
            res: None,
            s,
            req_captures: req_caps,
            res_captures: res_caps,
            vars,
            payload: None,
            missed: Default::default(),
        };
        let now = cx.now;
        let term = l.term.unwrap_or(*b"--");
        // HAProxy's idle time: from accept (or the previous transaction's end) to the
        // request's first byte; its request timers start there.
        let t_idle = l.ms(l.t_first).max(0);
        let mut facts = Facts {
            accept_date: l.accept_date,
            request_date: l.accept_date + std::time::Duration::from_millis(t_idle as u64),
            t_handshake: 0,
            t_idle,
            t_request: l.ms(l.t_request),
            t_queue: l.ms(t_queue),
            t_connect: l.ms(l.t_connect),
            t_data: l.ms(l.t_data),
            t_close: l.ms(Some(now)),
            client: self.peer,
            frontend_addr: self.local.or_else(|| self.client.s.local_inet()),
            backend_src: None,
            server_addr,
            fe: &fe.name,
            be: be.map_or(&fe.name, |b| &sh.backends[b].name),
            srv: srv_name,
            http: true,
            status: l.status,
            bytes_out: if l.parsed {
                (l.bytes_out + self.cout.len() as i64 + l.out_adj).max(0) as u64
            } else {
                0
            },
            bytes_in: (l.bytes_in as i64 + l.in_adj).max(0) as u64,
            term,
            cookie: l.cookie,
            actconn: sh.limit.current(),
            feconn: fe.limit.current(),
            beconn,
            srv_conn,
            retries,
            srv_queue: sq,
            be_queue: bq,
            request: l.parsed.then_some(&l.request[..]),
            req_caps,
            res_caps,
            // A request that never parsed has no captures, not even empty ones.
            has_req_caps: l.parsed && !fe.px.req_capture_slots.is_empty(),
            has_res_caps: l.parsed && !fe.px.res_capture_slots.is_empty(),
            unique_id: uid,
            stream_id: l.stream_id,
            log_count: 0,
            pid: crate::runtime::log::pid(),
            tls: self
                .client
                .s
                .tls()
                .map(|t| (t.version_str(), t.current_cipher().map_or("", |c| c.name()))),
        };
        lr.stream_end(&mut facts, &mut t, set_level.as_deref());
        l.restart(now, self.cout.len(), self.cin.len());
        self.lg = Some(l);
    }
}
