//! The stats sockets (`stats socket` in `global`): one small thread with its own
//! `mio::Poll` accepts on every CLI listener (UNIX paths, `ipv4@`/`ipv6@` ports,
//! inherited `fd@N` as VTest passes them) and runs each connection's
//! [`crate::stats::session::Session`]. The commands themselves are in `crate::stats`;
//! this file only moves bytes and gives them a [`Proc`] over the live runtime. A
//! connection idle longer than `stats timeout` (10 s by default) is closed.

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mio::{Events, Interest, Poll, Token};

use super::shared::Shared;
use super::stream::{ListenSock, Stream};
use super::worker::{Control, Mailbox};
use crate::model::Config;
use crate::sample::map::MapCache;
use crate::stats::session::Session;
use crate::stats::{Cap, Level, Proc, ProcInfo, ProxyView, ServerView};

/// What the CLI and the stats page show of the configuration, built once when the
/// runtime starts (kept in `Shared`, so a worker serving the stats page has it too).
#[derive(Default)]
pub struct ProcBase {
    proxies: Vec<ProxyView>,
    started: Option<Instant>,
    start_time_sec: u64,
    ulimit_n: u64,
    nlisteners: u64,
    /// The `maxconn` the process started with (`set maxconn global`'s ceiling).
    hard_maxconn: u32,
    node: String,
    description: String,
}

/// The process as the CLI and the stats page see it: the static facts, the live shared
/// state and the workers' mailboxes (for `shutdown sessions`), all borrowed.
pub struct RtProc<'a> {
    base: &'a ProcBase,
    shared: &'a Shared,
    mailboxes: &'a [Arc<Mailbox>],
}

impl<'a> RtProc<'a> {
    pub fn new(shared: &'a Shared, mailboxes: &'a [Arc<Mailbox>]) -> RtProc<'a> {
        RtProc {
            base: &shared.proc_base,
            shared,
            mailboxes,
        }
    }
}

fn algo_name(b: Option<&crate::model::proxy::Balance>) -> &'static str {
    use crate::model::proxy::Balance as B;
    match b {
        None | Some(B::RoundRobin) => "roundrobin",
        Some(B::StaticRr) => "static-rr",
        Some(B::First) => "first",
        Some(B::LeastConn) => "leastconn",
        Some(B::Random { .. }) => "random",
        Some(B::Source) => "source",
        Some(B::Uri { .. }) => "uri",
        Some(B::UrlParam { .. }) => "url_param",
        Some(B::Hash { .. }) => "hash",
        Some(B::Hdr { .. }) => "hdr",
        Some(B::RdpCookie { .. }) => "rdp-cookie",
    }
}

impl ProcBase {
    pub fn new(cfg: &Config, shared: &Shared) -> ProcBase {
        // HAProxy numbers proxies from 1 in declaration order, after the CLI's own
        // "GLOBAL" frontend when a stats socket exists.
        let mut next_id = 1 + i64::from(!cfg.global.stats_sockets.is_empty());
        let used: HashSet<i64> = cfg
            .real_proxies()
            .filter_map(|p| p.settings.id.map(i64::from))
            .collect();
        let mut proxies = Vec::new();
        for px in cfg.real_proxies() {
            let id = match px.settings.id {
                Some(i) => i64::from(i),
                None => {
                    while used.contains(&next_id) {
                        next_id += 1;
                    }
                    next_id += 1;
                    next_id - 1
                }
            };
            let fe = shared.frontends.iter().position(|f| f.name == px.name);
            let be = shared
                .backends
                .iter()
                .position(|b| b.name == px.name && px.cap.is_be());
            let servers = px
                .servers
                .iter()
                .enumerate()
                .map(|(i, s)| ServerView {
                    name: s.name.clone(),
                    id: s.id.unwrap_or(i as u32 + 1),
                    addr: s.addr.map_or_else(|| "-".into(), |a| a.ip().to_string()),
                    port: s.addr.map_or(s.port.unwrap_or(0), |a| a.port()),
                    iweight: s.weight,
                    checked: s.check,
                    rise: s.health.rise,
                    fall: s.health.fall,
                    cfg_disabled: s.disabled,
                    no_addr: be.is_some_and(|b| shared.admin.no_addr(b, i)),
                    fqdn: s.hostname.clone(),
                    backup: s.backup,
                    cookie: s.cookie.clone().unwrap_or_default(),
                })
                .collect();
            let mode = if px.mode == crate::model::proxy::Mode::Http {
                "http"
            } else {
                "tcp"
            };
            proxies.push(ProxyView {
                name: px.name.clone(),
                id,
                cap: Cap {
                    fe: px.cap.is_fe(),
                    be: px.cap.is_be(),
                },
                mode,
                algo: algo_name(px.settings.balance.as_ref()),
                fe,
                be,
                queue: be.map(|b| shared.backends[b].queue.clone()),
                servers,
                maxconn: fe.map_or(0, |f| shared.frontends[f].limit.max()),
                // HAProxy's default `fullconn` is at least 1 (a backend no frontend uses).
                be_slim: be.map_or(0, |b| shared.backends[b].queue.config().fullconn.max(1)),
                disabled: px.disabled,
                cookie_name: px.settings.cookie.as_ref().map(|c| c.name.clone()),
            });
        }
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes into `r`.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
        ProcBase {
            proxies,
            started: Some(Instant::now()),
            start_time_sec: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            ulimit_n: r.rlim_cur,
            nlisteners: shared.listeners.len() as u64,
            hard_maxconn: shared.limit.max(),
            node: cfg
                .global
                .node
                .clone()
                .unwrap_or_else(|| hostname().unwrap_or_default()),
            description: cfg.global.description.clone().unwrap_or_default(),
        }
    }
}

fn hostname() -> Option<String> {
    let s = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(s.trim().to_string())
}

impl RtProc<'_> {
    /// The address part of `set server … addr`, step by step as HAProxy applies it: an
    /// address change stays even when the port then fails to parse.
    fn update_addr(
        &self,
        be: usize,
        srv: usize,
        addr: &super::shared::ServerAddr,
        ip: &str,
        port: Option<&str>,
    ) -> String {
        let Ok(new_ip) = ip
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
        else {
            return format!("Invalid addr '{ip}'");
        };
        let Some(old) = addr.inet() else {
            return "Update for the current server address family is only supported through configuration file".into();
        };
        let mut new = old;
        let mut msg = if old.ip() == new_ip {
            "no need to change the addr".to_string()
        } else {
            new.set_ip(new_ip);
            format!("IP changed from '{}' to '{ip}'", old.ip())
        };
        if let Some(pt) = port {
            msg.push_str(", ");
            match pt.parse::<u16>() {
                Ok(n) if n != old.port() => {
                    msg.push_str(&format!("port changed from '{}' to '{n}'", old.port()));
                    new.set_port(n);
                }
                Ok(_) => msg.push_str("no need to change the port"),
                Err(_) => msg.push_str(&format!("problem converting port '{pt}' to an int")),
            }
        }
        if new != old {
            addr.set(super::stream::Target::Inet(new));
            // `srv_cleanup_connections()`: nothing idle may still lead to the old address.
            for m in self.mailboxes.iter() {
                m.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove_server(be, srv);
            }
        }
        msg
    }

    /// Workers with listeners paused on a limit retry accepting when woken.
    fn wake_workers(&self) {
        for m in self.mailboxes.iter() {
            let _ = m.waker.wake();
        }
    }
}

impl Proc for RtProc<'_> {
    fn proxies(&self) -> &[ProxyView] {
        &self.base.proxies
    }

    fn info(&self) -> ProcInfo {
        let c = &self.shared.counters;
        let (mut conns, mut reqs, mut bout) = (0, 0, 0);
        for px in &self.base.proxies {
            if let Some(f) = px.fe {
                use crate::stats::counters::{Obj, C};
                conns += c.get(Obj::Fe(f), C::Conn);
                reqs += c.get(Obj::Fe(f), C::Req);
                bout += c.get(Obj::Fe(f), C::BytesOut);
            }
        }
        let cur = u64::from(self.shared.limit.current());
        ProcInfo {
            nbthread: self.mailboxes.len(),
            pid: std::process::id(),
            uptime_ms: self
                .base
                .started
                .map_or(0, |t| t.elapsed().as_millis() as u64),
            start_time_sec: self.base.start_time_sec,
            ulimit_n: self.base.ulimit_n,
            maxsock: self.base.ulimit_n,
            maxconn: self.shared.limit.max(),
            hard_maxconn: self.base.hard_maxconn,
            curr_conns: cur,
            cum_conns: conns,
            cum_req: reqs,
            listeners: self.base.nlisteners,
            jobs: cur + self.base.nlisteners,
            stopping: false,
            node: self.base.node.clone(),
            description: self.base.description.clone(),
            bytes_out: bout,
        }
    }

    fn now_ms(&self) -> u64 {
        self.shared.epoch.elapsed().as_millis() as u64
    }

    fn with_maps(&self, f: &mut dyn FnMut(&mut MapCache)) {
        super::maps::with(|m| f(m));
    }

    fn counters(&self) -> Option<&crate::stats::counters::Counters> {
        Some(&self.shared.counters)
    }

    fn fe_cur(&self, fe: usize) -> u32 {
        self.shared
            .frontends
            .get(fe)
            .map_or(0, |f| f.limit.current())
    }

    fn set_maxconn_global(&self, v: u32) -> Result<(), String> {
        if v > self.base.hard_maxconn {
            return Err("Value out of range.\n".into());
        }
        let v = if v == 0 { self.base.hard_maxconn } else { v };
        self.shared.limit.set_max(v);
        self.wake_workers();
        Ok(())
    }

    fn set_maxconn_frontend(&self, fe: usize, v: u32) -> Result<(), String> {
        if let Some(f) = self.shared.frontends.get(fe) {
            f.limit.set_max(if v == 0 { u32::MAX } else { v });
            self.wake_workers();
        }
        Ok(())
    }

    fn srv_addr(&self, be: usize, srv: usize) -> Option<(String, u16, bool)> {
        let a = self.shared.backends.get(be)?.addrs.get(srv)?;
        let none = self.shared.admin.no_addr(be, srv);
        Some(match a.inet() {
            Some(s) => (s.ip().to_string(), s.port(), none),
            None => {
                let v = self.base.proxies.iter().find(|p| p.be == Some(be))?;
                let sv = v.servers.get(srv)?;
                (sv.addr.clone(), sv.port, none)
            }
        })
    }

    /// `srv_update_addr_port()`: a new IPv4/IPv6 address (and port) for new connections;
    /// the server's idle connections to the old one are closed and a server left in
    /// resolution maintenance comes out of it.
    fn set_srv_addr(&self, px: usize, srv: usize, ip: &str, port: Option<&str>) -> String {
        const BY: &str = " by 'stats socket command'\n";
        let Some(p) = self.base.proxies.get(px) else {
            return String::new();
        };
        let (Some(b), Some(q)) = (p.be, p.queue.as_ref()) else {
            return String::new();
        };
        let Some(addr) = self.shared.backends[b].addrs.get(srv) else {
            return String::new();
        };
        let msg = self.update_addr(b, srv, addr, ip, port);
        // `srv_clr_admin_flag(SRV_ADMF_RMAINT)`: whatever the update said.
        if let Some(a) = self.shared.admin.get(b, srv) {
            a.admin.fetch_and(!super::admin::RMAINT, Ordering::SeqCst);
            let _ = q.set_state(srv, a.effective(), self.now_ms());
        }
        msg + BY
    }

    fn set_admin(&self, px: usize, srv: usize, admin: u8) {
        let Some(p) = self.base.proxies.get(px) else {
            return;
        };
        let (Some(b), Some(q)) = (p.be, p.queue.as_ref()) else {
            return;
        };
        if let Some(a) = self.shared.admin.get(b, srv) {
            let bits = match admin {
                crate::stats::ADMIN_MAINT => super::admin::MAINT,
                crate::stats::ADMIN_DRAIN => super::admin::DRAIN,
                _ => 0,
            };
            let kept = a.admin.load(Ordering::SeqCst) & super::admin::RMAINT;
            a.admin.store(bits | kept, Ordering::SeqCst);
            let _ = q.set_state(srv, a.effective(), self.now_ms());
        }
    }

    fn pause_frontend(&self, fe: usize, pause: bool) -> Result<(), String> {
        let Some(f) = self.shared.frontends.get(fe) else {
            return Ok(());
        };
        if f.limit.set_paused(pause) == pause {
            return Err(if pause {
                "All sockets are already disabled.\n".into()
            } else {
                "All sockets are already enabled.\n".into()
            });
        }
        if !pause {
            self.wake_workers();
        }
        Ok(())
    }

    fn fe_paused(&self, fe: usize) -> bool {
        self.shared
            .frontends
            .get(fe)
            .is_some_and(|f| f.limit.is_paused())
    }

    fn show_table(&self, name: Option<&str>) -> Option<String> {
        let now = crate::stick::now_ms();
        let reg = &self.shared.stick;
        match name {
            None => Some(reg.iter().map(|t| t.show_head(now)).collect()),
            Some(n) => {
                let t = reg.get(n)?;
                let mut out = t.show_head(now);
                // HAProxy walks its key tree: ascending key order (addresses and
                // integers are stored big-endian, strings as bytes).
                let mut entries = t.entries(now);
                entries.sort_by(|a, b| a.key.cmp(&b.key));
                for e in entries {
                    out.push_str(&t.show_entry(&e, now));
                }
                Some(out)
            }
        }
    }

    fn check_status(&self, px: usize, srv: usize) -> Option<(&'static str, &'static str, u16)> {
        let b = self.base.proxies.get(px)?.be?;
        let (st, code) = self.shared.admin.get(b, srv)?.last_check()?;
        Some((st.info(), st.desc(), code))
    }

    fn check_status_num(&self, px: usize, srv: usize) -> Option<u8> {
        let b = self.base.proxies.get(px)?.be?;
        self.shared.admin.get(b, srv)?.last_check_num()
    }

    fn check_counts(&self, px: usize, srv: usize) -> (u32, u32) {
        let a = self
            .base
            .proxies
            .get(px)
            .and_then(|p| p.be)
            .and_then(|b| self.shared.admin.get(b, srv));
        a.map_or((0, 0), |a| {
            (
                a.chkfail.load(Ordering::Relaxed),
                a.chkdown.load(Ordering::Relaxed),
            )
        })
    }

    fn proc_var(&self, name: &str) -> Option<crate::sample::value::Smp<'static>> {
        let n = name.strip_prefix("proc.")?;
        self.shared.proc_vars.lock().ok()?.get(n).cloned()
    }

    fn fe_max(&self, fe: usize) -> Option<u32> {
        self.shared.frontends.get(fe).map(|f| f.limit.max())
    }

    fn shutdown_server_sessions(&self, px: usize, srv: usize) {
        if let Some(b) = self.base.proxies.get(px).and_then(|p| p.be) {
            for m in self.mailboxes.iter() {
                m.post_shutdown(b, srv);
            }
        }
    }
}

struct Conn {
    sock: Stream,
    sess: Session,
    out: Vec<u8>,
    deadline: Instant,
    /// Our side is shut: waiting for the client's EOF before closing (so that unread
    /// input does not turn the close into a reset that could lose the reply).
    draining: bool,
}

/// The CLI listeners and the thread that serves them.
pub struct Cli {
    listeners: Vec<(ListenSock, Level)>,
    shared: Arc<Shared>,
    mailboxes: Arc<Vec<Arc<Mailbox>>>,
    timeout: Duration,
}

/// How long the CLI thread sleeps at most between two looks at the stop flags.
const STOP_CHECK: Duration = Duration::from_millis(100);
const LISTEN_BASE: usize = 1 << 30;

impl Cli {
    /// Opens every `stats socket` of `cfg` (`None` without any).
    pub fn open(
        cfg: &Config,
        shared: Arc<Shared>,
        mailboxes: Arc<Vec<Arc<Mailbox>>>,
        used_fds: &mut HashSet<i32>,
    ) -> Result<Option<Cli>, String> {
        if cfg.global.stats_sockets.is_empty() {
            return Ok(None);
        }
        let mut listeners = Vec::new();
        for b in &cfg.global.stats_sockets {
            let level = Level::parse(b.options.level.as_deref());
            for s in super::listener::open_cli(b, used_fds)
                .map_err(|e| format!("[haproxy.main()] {e}"))?
            {
                listeners.push((s, level));
            }
        }
        Ok(Some(Cli {
            listeners,
            shared,
            mailboxes,
            timeout: Duration::from_millis(u64::from(cfg.global.stats_timeout.unwrap_or(10_000))),
        }))
    }

    /// Serves until the runtime stops.
    pub fn run(mut self, ctl: Arc<Control>) -> std::io::Result<()> {
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(64);
        for (i, (l, _)) in self.listeners.iter_mut().enumerate() {
            poll.registry()
                .register(l, Token(LISTEN_BASE + i), Interest::READABLE)?;
        }
        let mut conns: slab::Slab<Conn> = slab::Slab::new();
        let proc = RtProc::new(&self.shared, &self.mailboxes);
        loop {
            if ctl.stop.load(Ordering::SeqCst) || ctl.running.load(Ordering::SeqCst) == 0 {
                return Ok(());
            }
            let now = Instant::now();
            let wait = conns
                .iter()
                .map(|(_, c)| c.deadline.saturating_duration_since(now))
                .min()
                .unwrap_or(STOP_CHECK)
                .min(STOP_CHECK);
            if let Err(e) = poll.poll(&mut events, Some(wait)) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for ev in events.iter() {
                let t = ev.token().0;
                if t >= LISTEN_BASE {
                    let (l, level) = &self.listeners[t - LISTEN_BASE];
                    loop {
                        match l.accept() {
                            Ok((sock, _)) => {
                                let e = conns.vacant_entry();
                                let mut c = Conn {
                                    sock,
                                    sess: Session::new(*level),
                                    out: Vec::new(),
                                    deadline: Instant::now() + self.timeout,
                                    draining: false,
                                };
                                if poll
                                    .registry()
                                    .register(
                                        &mut c.sock,
                                        Token(e.key()),
                                        Interest::READABLE | Interest::WRITABLE,
                                    )
                                    .is_ok()
                                {
                                    let k = e.key();
                                    e.insert(c);
                                    // The request may already be there.
                                    if !serve(&mut conns[k], &proc, self.timeout) {
                                        let mut c = conns.remove(k);
                                        let _ = poll.registry().deregister(&mut c.sock);
                                    }
                                }
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                    }
                } else if conns.contains(t) && !serve(&mut conns[t], &proc, self.timeout) {
                    let mut c = conns.remove(t);
                    let _ = poll.registry().deregister(&mut c.sock);
                }
            }
            let now = Instant::now();
            let expired: Vec<usize> = conns
                .iter()
                .filter(|(_, c)| c.deadline <= now)
                .map(|(k, _)| k)
                .collect();
            for k in expired {
                let mut c = conns.remove(k);
                let _ = poll.registry().deregister(&mut c.sock);
            }
        }
    }
}

/// Reads what is there, runs the complete commands, writes the replies. `false`: the
/// connection is done.
fn serve(c: &mut Conn, p: &RtProc<'_>, timeout: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let mut eof = false;
    loop {
        match c.sock.read(&mut buf) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => {
                c.deadline = Instant::now() + timeout;
                // `_getsocks` (expose-fd listeners): descriptors, not text.
                if super::takeover::serve_getsocks(&c.sock, &buf[..n]) {
                    return false;
                }
                if !c.draining && !c.sess.closing {
                    let mut out = std::mem::take(&mut c.out);
                    c.sess.feed(&buf[..n], &mut out, p);
                    c.out = out;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    while !c.out.is_empty() {
        match c.sock.write(&c.out) {
            Ok(0) => return false,
            Ok(n) => {
                c.out.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    if c.sess.closing || eof {
        if eof {
            return false;
        }
        if !c.draining {
            c.draining = true;
            let _ = c.sock.shutdown(Shutdown::Write);
        }
    }
    true
}
