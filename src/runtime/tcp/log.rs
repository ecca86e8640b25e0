//! The TCP session's side of the logs: one line per connection, at its end.

use super::TcpSession;
use crate::log::Facts;
use crate::runtime::env::RtEnv;
use crate::runtime::log::TxnLog;
use crate::runtime::worker::Ctx;
use crate::sample::fetch::{Dir, Session, Txn};

impl TcpSession {
    /// A record for the connection if its frontend logs streams; else HAProxy's
    /// "Connect from" line when it has targets.
    pub(super) fn log_accept(&mut self, cx: &Ctx) {
        let fe = &cx.shared.frontends[self.fe];
        let Some(lr) = fe.log.as_deref() else { return };
        if lr.logs_streams() {
            let mut l = TxnLog::new(cx.now);
            l.bytes_in = self.c2s.len() as u64;
            l.stream_id = self.trace_id.unwrap_or_else(|| {
                cx.shared
                    .next_stream_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            });
            self.lg = Some(Box::new(l));
        } else {
            let to = self.local.or_else(|| self.client.s.local_inet());
            lr.connect_line(self.peer, to, &fe.name, false);
        }
    }

    pub(super) fn log_term(&mut self, term: &str) {
        if let Some(l) = self.lg.as_mut() {
            l.set_term(term);
        }
    }

    pub(super) fn log_connected(&mut self, cx: &Ctx) {
        if let Some(l) = self.lg.as_mut() {
            l.t_queue.get_or_insert(cx.now);
            l.t_connect = Some(cx.now);
        }
    }

    #[inline]
    pub(super) fn log_bytes(&mut self, read: usize, written: usize) {
        if let Some(l) = self.lg.as_mut() {
            l.bytes_in += read as u64;
            l.bytes_out += written as i64;
        }
    }

    /// Sends the connection's line (once).
    pub(super) fn log_end(&mut self, cx: &Ctx) {
        let Some(l) = self.lg.take() else { return };
        let sh = cx.shared;
        let fe = &sh.frontends[self.fe];
        let Some(lr) = fe.log.as_deref() else { return };
        if lr.dontlognull && l.bytes_in == 0 && l.bytes_out <= 0 && l.term.is_none() {
            return;
        }
        let b = self.srv.be;
        let backend = &sh.backends[b];
        let env = RtEnv {
            shared: sh,
            be: Some(b),
            stk: self.stk.clone(),
        };
        let mut s = Session::new(&fe.name, &env);
        s.fc_tls = super::super::tls::facts(&self.client.s);
        s.src = self.peer;
        s.dst = self.local;
        s.fe_id = fe.px.id;
        s.be = Some((&backend.name, backend.px.id));
        let (retries, q) = self.srv.log_facts(cx);
        let (mut srv_name, mut srv_conn, mut server_addr) = ("<NOSRV>", 0, None);
        if let Some(i) = self.srv.log_server() {
            if let Some(sv) = backend.queue.server(i) {
                srv_name = sv.name();
                srv_conn = sv.served();
                s.srv = Some((sv.name(), sv.puid() as i64));
            }
            server_addr = backend.addrs.get(i).and_then(|a| a.inet());
        }
        let mut t_queue = l.t_queue;
        if t_queue.is_none() && l.term.is_some_and(|t| t[1] == b'C') {
            t_queue = Some(l.accept);
        }
        if let (Some(ms), None) = (q.queue_ms, l.t_queue) {
            t_queue = Some(l.accept + std::time::Duration::from_millis(ms));
        }
        let mut t = Txn {
            dir: Dir::Req,
            req: None,
            body: None,
            res: None,
            s,
            req_captures: &[],
            res_captures: &[],
            vars: &mut self.vars,
            payload: None,
            missed: Default::default(),
        };
        let mut facts = Facts {
            accept_date: l.accept_date,
            request_date: l.accept_date,
            t_handshake: 0,
            t_idle: -1,
            t_request: -1,
            t_queue: l.ms(t_queue),
            t_connect: l.ms(l.t_connect),
            t_data: -1,
            t_close: l.ms(Some(cx.now)),
            client: self.peer,
            frontend_addr: self.local.or_else(|| self.client.s.local_inet()),
            backend_src: None,
            server_addr,
            fe: &fe.name,
            be: &backend.name,
            srv: srv_name,
            http: false,
            status: -1,
            bytes_out: l.bytes_out.max(0) as u64,
            bytes_in: l.bytes_in,
            term: l.term.unwrap_or(*b"--"),
            cookie: *b"--",
            actconn: sh.limit.current(),
            feconn: fe.limit.current(),
            beconn: backend.queue.beconn(),
            srv_conn,
            retries,
            srv_queue: q.srv_queue,
            be_queue: q.backend_queue,
            request: None,
            req_caps: &[],
            res_caps: &[],
            has_req_caps: false,
            has_res_caps: false,
            unique_id: None,
            stream_id: l.stream_id,
            log_count: 0,
            pid: crate::runtime::log::pid(),
            tls: self
                .client
                .s
                .tls()
                .map(|t| (t.version_str(), t.current_cipher().map_or("", |c| c.name()))),
        };
        lr.stream_end(&mut facts, &mut t, None);
    }
}
