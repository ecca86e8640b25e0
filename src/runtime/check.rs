//! Health and agent checks on sockets, and the server states they drive.
//!
//! One thread with its own `mio::Poll` runs every check of the process: a check is a
//! [`crate::check::eval::Run`] fed by a non-blocking socket, so thousands of servers cost
//! one poller and a timer heap, and no worker's event loop ever waits for a server that is
//! down. (HAProxy runs checks as tasks on its worker threads; running them beside the
//! workers keeps the request path untouched: the workers only see the queue's states.)
//!
//! State changes follow `srv_set_stopped()`/`srv_set_running()`/`srv_set_stopping()` and
//! `srv_update_status()`: the queue learns the new state (which redistributes or dequeues
//! streams), tracking servers follow, and the messages are printed as HAProxy prints them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::shared::Shared;
use super::stream::Stream;
use super::worker::Control;
use crate::check::agent::{self, Admin, AgentHealth};
use crate::check::eval::{Ctx, Run, Want};
use crate::check::msg::{self, Counts, Why};
use crate::check::rules::Program;
use crate::check::{self as ck, CheckResult, Health, Intervals, Outcome, Status};
use crate::config::{Level, Message};
use crate::model::{Config, ProxyCap};
use crate::queue::ServerState;

/// `observe layer4|layer7` on one server: the workers count consecutive connection errors
/// (`health_adjust()`); reaching `error-limit` is left for the checks thread to act on
/// (`on-error`), which looks at `tripped` on each turn of its loop (at most 100 ms).
pub struct Observe {
    limit: u32,
    /// `layer7`: a successful connection proves nothing (HAProxy ignores it), a good HTTP
    /// answer does.
    l7: bool,
    errors: AtomicU32,
    /// The last failure seen ([`Hana`]), for the message.
    last: std::sync::atomic::AtomicU8,
    tripped: AtomicU32,
    /// Wakes the checks thread when the limit is reached (set once it runs).
    waker: std::sync::OnceLock<Arc<mio::Waker>>,
}

/// The checks thread's poller token for [`Observe`] wake-ups.
const WAKE: Token = Token(usize::MAX);

impl Observe {
    pub fn for_server(s: &crate::model::server::Server) -> Option<Observe> {
        let l7 = match s.observe.as_deref() {
            Some("layer4") => false,
            Some("layer7") => true,
            _ => return None,
        };
        s.check.then(|| Observe {
            limit: s.error_limit.unwrap_or(10).max(1) as u32,
            l7,
            errors: AtomicU32::new(0),
            last: std::sync::atomic::AtomicU8::new(Hana::L4Err as u8),
            tripped: AtomicU32::new(0),
            waker: std::sync::OnceLock::new(),
        })
    }
}

/// What the traffic told about a server (`HANA_STATUS_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hana {
    L4Ok = 1,
    L4Err,
    HttpOk,
    /// A 5xx other than 501 and 505 (those answer the request, not a failure).
    HttpSts,
    /// A response head that does not parse.
    HttpHdrRsp,
}

impl Hana {
    fn from_u8(v: u8) -> Hana {
        match v {
            1 => Hana::L4Ok,
            3 => Hana::HttpOk,
            4 => Hana::HttpSts,
            5 => Hana::HttpHdrRsp,
            _ => Hana::L4Err,
        }
    }

    /// `get_analyze_status()`.
    fn desc(self) -> &'static str {
        match self {
            Hana::L4Ok => "L4 successful connection",
            Hana::L4Err => "L4 unsuccessful connection",
            Hana::HttpOk => "Correct http response",
            Hana::HttpSts => "Wrong http response",
            Hana::HttpHdrRsp => "Invalid http response (headers)",
        }
    }

    /// The final status of a response as `http_wait_for_response()` classifies it.
    pub fn of_status(status: u16) -> Hana {
        if (100..500).contains(&status) || status == 501 || status == 505 {
            Hana::HttpOk
        } else {
            Hana::HttpSts
        }
    }
}

/// What the traffic on server `srv` of `be` showed (called by the server side and the
/// HTTP session; a no-op for servers without `observe`). `analyze_statuses[]`: layer 4
/// counts connection errors and resets on a connection, layer 7 counts connection errors
/// and bad responses and resets on a good response.
pub fn observe(be: &super::shared::Backend, srv: usize, ev: Hana) {
    let Some(Some(o)) = be.observe.get(srv) else {
        return;
    };
    let failed = match (ev, o.l7) {
        (Hana::L4Err, _) => true,
        (Hana::L4Ok, false) | (Hana::HttpOk, true) => false,
        (Hana::HttpSts | Hana::HttpHdrRsp, true) => true,
        _ => return,
    };
    if !failed {
        o.errors.store(0, Ordering::Relaxed);
        return;
    }
    o.last.store(ev as u8, Ordering::Relaxed);
    if o.errors.fetch_add(1, Ordering::AcqRel) + 1 >= o.limit {
        o.errors.store(0, Ordering::Relaxed);
        o.tripped.fetch_add(1, Ordering::AcqRel);
        if let Some(w) = o.waker.get() {
            let _ = w.wake();
        }
    }
}

/// `on-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnError {
    FastInter,
    FailCheck,
    SuddenDeath,
    MarkDown,
}

/// `SRV_ST_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Stopped,
    Starting,
    Running,
    Stopping,
}

struct Be {
    /// Index in `Shared::backends`.
    shared: usize,
    name: String,
    listen: bool,
    slowstart: bool,
    /// `option log-health-checks`: every check result that changes something is printed,
    /// and state changes no longer repeat the check's details.
    log_checks: bool,
    /// The backend's log targets: HAProxy also sends these messages there.
    log: Option<Box<super::log::LogRt>>,
}

struct Srv {
    be: usize,
    /// Index in the backend's queue.
    idx: usize,
    name: String,
    backup: bool,
    iweight: u32,
    uweight: u32,
    slowstart: bool,
    /// `on-marked-down shutdown-sessions`.
    down_kills: bool,
    /// `on-marked-up shutdown-backup-sessions`.
    up_kills_backups: bool,
    state: St,
    maint: bool,
    drain: bool,
    check: Option<usize>,
    agent: Option<usize>,
    on_error: OnError,
    track: Option<usize>,
    trackers: Vec<usize>,
    addr: Option<SocketAddr>,
}

struct Io {
    run: Run,
    sock: Option<Stream>,
    connected: bool,
    /// Connected at TCP level, the TLS handshake not done yet (`check-ssl`).
    handshaking: bool,
    /// What the run waits for.
    want: Want,
    out: Vec<u8>,
    start_ms: u64,
    send_proxy: bool,
}

struct Ck {
    srv: usize,
    agent: bool,
    prog: Arc<Program>,
    health: Health,
    iv: Intervals,
    port: Option<u16>,
    addr: Option<IpAddr>,
    send_proxy: bool,
    /// The server speaks PROXY v2 (`send-proxy-v2`): the check's header is v2 too.
    proxy_v2: bool,
    /// Over TLS (`check-ssl`, or the server's `ssl` when the check goes where the traffic
    /// goes): the client context and the `check-sni` name.
    tls: Option<(Arc<crate::tls::server::ServerTls>, Option<String>)>,
    timeout_check: Option<u64>,
    timeout_connect: Option<u64>,
    /// Maintenance pauses the health check (not the agent).
    paused: bool,
    /// The previous result's status (`log-health-checks` reports changes).
    last_status: Status,
    deadline: u64,
    io: Option<Io>,
}

/// Every check of a configuration, ready to run on its own thread.
pub struct Checker {
    shared: Arc<Shared>,
    bes: Vec<Be>,
    srvs: Vec<Srv>,
    cks: Vec<Ck>,
    spread_pct: u32,
    /// `node` (default: the host name), for `send-state`.
    node: String,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    rng: u64,
    /// The workers' mailboxes, to close sessions (`on-marked-down shutdown-sessions`).
    pub mailboxes: Arc<Vec<Arc<super::worker::Mailbox>>>,
    /// `-q`: nothing on stderr.
    pub quiet: bool,
    /// Messages printed, for embedders and tests (kept only when `record`).
    pub record: bool,
    pub log: Vec<String>,
}

fn port_of(p: Option<u32>) -> Option<u16> {
    p.and_then(|p| u16::try_from(p).ok()).filter(|&p| p > 0)
}

impl Checker {
    /// The checks `cfg` asks for; `None` when there are none. Warnings name what cannot
    /// run (a server on a UNIX socket, a rule set using what is not available yet).
    pub fn new(cfg: &Config, shared: Arc<Shared>, warnings: &mut Vec<String>) -> Option<Checker> {
        let mut bes = Vec::new();
        let mut srvs: Vec<Srv> = Vec::new();
        let mut cks = Vec::new();
        let mut tracks: Vec<(usize, String, usize)> = Vec::new();
        for (bi, b) in shared.backends.iter().enumerate() {
            let Some(px) = cfg.find_proxy(&b.name, ProxyCap::BE) else {
                continue;
            };
            let be = bes.len();
            bes.push(Be {
                shared: bi,
                name: b.name.clone(),
                listen: px.cap.is_fe(),
                slowstart: px.servers.iter().any(|s| s.slowstart > 0),
                log_checks: px.settings.option("log-health-checks") == Some(true),
                log: super::log::LogRt::build(cfg, px, warnings),
            });
            let s = &px.settings;
            if px.servers.iter().any(|sv| sv.check) {
                warnings.extend(crate::check::rules::approximations(s));
            }
            let mut prog: Option<Result<Arc<Program>, String>> = None;
            for (i, sv) in px.servers.iter().enumerate() {
                let si = srvs.len();
                let addr = b.addrs.get(i).and_then(|a| a.inet());
                srvs.push(Srv {
                    be,
                    idx: i,
                    name: sv.name.clone(),
                    backup: sv.backup,
                    iweight: sv.weight,
                    uweight: sv.weight,
                    slowstart: sv.slowstart > 0,
                    down_kills: sv.on_marked_down.as_deref() == Some("shutdown-sessions"),
                    up_kills_backups: sv.on_marked_up.as_deref()
                        == Some("shutdown-backup-sessions"),
                    state: St::Running,
                    maint: sv.disabled,
                    drain: false,
                    check: None,
                    agent: None,
                    on_error: match sv.on_error.as_deref() {
                        Some("fail-check") => OnError::FailCheck,
                        Some("sudden-death") => OnError::SuddenDeath,
                        Some("mark-down") => OnError::MarkDown,
                        _ => OnError::FastInter,
                    },
                    track: None,
                    trackers: Vec::new(),
                    addr,
                });
                if let Some(t) = &sv.track {
                    tracks.push((si, t.clone(), be));
                }

                let tc = s.timeouts.check.filter(|&v| v > 0).map(u64::from);
                let tcon = s.timeouts.connect.filter(|&v| v > 0).map(u64::from);
                let h = &sv.health;
                if sv.check && !sv.disabled {
                    let p = prog
                        .get_or_insert_with(|| Program::from_proxy(s).map(Arc::new))
                        .clone();
                    match p {
                        Ok(p) if addr.is_some() || h.addr.is_some() => {
                            srvs[si].check = Some(cks.len());
                            cks.push(Ck {
                                srv: si,
                                agent: false,
                                prog: p,
                                health: Health::new(h.rise, h.fall),
                                iv: Intervals {
                                    inter: u64::from(h.inter.max(1)),
                                    fastinter: u64::from(h.fastinter.unwrap_or(0)),
                                    downinter: u64::from(h.downinter.unwrap_or(0)),
                                },
                                port: port_of(h.port),
                                addr: h.addr.as_deref().and_then(parse_ip),
                                // Without a check port or address the check goes where the
                                // traffic goes, PROXY header included (`init_srv_check()`).
                                send_proxy: h.send_proxy
                                    || (h.port.is_none()
                                        && h.addr.is_none()
                                        && (sv.send_proxy || sv.send_proxy_v2)),
                                proxy_v2: sv.send_proxy_v2,
                                tls: check_tls(cfg, b, i, sv, warnings),
                                timeout_check: tc,
                                timeout_connect: tcon,
                                paused: false,
                                last_status: Status::Ini,
                                deadline: 0,
                                io: None,
                            });
                        }
                        Ok(_) => warnings.push(format!(
                            "health checks of server {}/{} are not available (not an IP address)",
                            px.name, sv.name
                        )),
                        Err(e) => warnings.push(format!(
                            "health checks of backend '{}' are not active: {e}",
                            px.name
                        )),
                    }
                }
                let a = &sv.agent;
                if a.enabled && !sv.disabled && (addr.is_some() || a.addr.is_some()) {
                    srvs[si].agent = Some(cks.len());
                    cks.push(Ck {
                        srv: si,
                        agent: true,
                        prog: Arc::new(Program::agent(a.send.as_deref())),
                        health: Health::new(1, 1),
                        iv: Intervals {
                            inter: u64::from(a.inter.max(1)),
                            fastinter: 0,
                            downinter: 0,
                        },
                        port: port_of(a.port),
                        addr: a.addr.as_deref().and_then(parse_ip),
                        send_proxy: false,
                        proxy_v2: false,
                        tls: None,
                        timeout_check: tc,
                        timeout_connect: tcon,
                        paused: false,
                        last_status: Status::Ini,
                        deadline: 0,
                        io: None,
                    });
                }
            }
        }
        for (si, t, be) in tracks {
            let (bname, sname) = match t.split_once('/') {
                Some((b, s)) => (b.to_string(), s.to_string()),
                None => (bes[be].name.clone(), t),
            };
            if let Some(ti) = srvs
                .iter()
                .position(|s| bes[s.be].name == bname && s.name == sname)
            {
                srvs[si].track = Some(ti);
                srvs[ti].trackers.push(si);
            }
        }
        if cks.is_empty() {
            return None;
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        let mut c = Checker {
            shared,
            bes,
            srvs,
            cks,
            spread_pct: cfg.global.spread_checks.unwrap_or(0),
            node: cfg.global.node.clone().unwrap_or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .map(|h| h.trim().to_string())
                    .unwrap_or_default()
            }),
            heap: BinaryHeap::new(),
            rng: seed,
            mailboxes: Arc::default(),
            quiet: false,
            record: false,
            log: Vec::new(),
        };
        c.schedule_first(u64::from(cfg.global.max_spread_checks.unwrap_or(0)));
        Some(c)
    }

    /// `start_checks()`: the first checks spread over the smallest interval of at least
    /// one second.
    fn schedule_first(&mut self, max_spread: u64) {
        let now = self.now();
        let n = self.cks.len() as u64;
        let inter = |c: &Ck, s: &Srv| c.iv.pick(&c.health, s.state == St::Stopped);
        let mininter = self
            .cks
            .iter()
            .map(|c| inter(c, &self.srvs[c.srv]))
            .filter(|&i| i >= ck::INTER_THRES)
            .min()
            .unwrap_or(0);
        for pos in 0..self.cks.len() {
            let own = inter(&self.cks[pos], &self.srvs[self.cks[pos].srv]);
            let d = now + ck::first_delay(mininter, own, max_spread, pos as u64, n);
            self.arm(pos, d);
        }
    }

    fn now(&self) -> u64 {
        self.shared.now_ms(Instant::now())
    }

    fn rand(&mut self) -> f64 {
        // xorshift64: the spread needs no more than a uniform number.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn arm(&mut self, c: usize, at: u64) {
        self.cks[c].deadline = at;
        self.heap.push(Reverse((at, c)));
    }

    /// Runs until the workers stop (`ctl.stop`, or none left running after a soft stop).
    pub fn run(mut self, ctl: Arc<Control>) -> std::io::Result<()> {
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(256);
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE)?);
        for b in &self.shared.backends {
            for o in b.observe.iter().flatten() {
                let _ = o.waker.set(waker.clone());
            }
        }
        let mut last_tick = 0;
        loop {
            if ctl.stop.load(Ordering::SeqCst) || ctl.running.load(Ordering::SeqCst) == 0 {
                return Ok(());
            }
            let now = self.now();
            while let Some(&Reverse((at, c))) = self.heap.peek() {
                if at > now {
                    break;
                }
                self.heap.pop();
                if self.cks[c].deadline == at {
                    self.on_timer(&poll, c, now);
                }
            }
            // Slowstart ramps (HAProxy's warmup task): the queue grows limits and weights.
            // `observe` trips are picked up at the same pace.
            if now >= last_tick + 100 {
                last_tick = now;
                self.observed(now);
                for b in self.bes.iter().filter(|b| b.slowstart) {
                    self.shared.backends[b.shared].queue.tick(now);
                }
            }
            let next = self
                .heap
                .peek()
                .map_or(100, |Reverse((at, _))| at.saturating_sub(now));
            let wait = Duration::from_millis(next.min(100));
            if let Err(e) = poll.poll(&mut events, Some(wait)) {
                if e.kind() != ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            for ev in events.iter() {
                if ev.token() == WAKE {
                    let now = self.now();
                    self.observed(now);
                    continue;
                }
                let c = ev.token().0;
                if c < self.cks.len() {
                    let now = self.now();
                    self.on_io(&poll, c, now, ev.is_writable());
                }
            }
        }
    }

    /// Servers whose `observe` counter reached `error-limit` since the last look.
    fn observed(&mut self, now: u64) {
        for si in 0..self.srvs.len() {
            let (b, i) = (self.bes[self.srvs[si].be].shared, self.srvs[si].idx);
            let trips = match self.shared.backends[b].observe.get(i) {
                Some(Some(o)) => o.tripped.swap(0, Ordering::AcqRel),
                _ => 0,
            };
            for _ in 0..trips {
                self.health_adjust(si, now);
            }
        }
    }

    /// `__health_adjust()` once the limit is reached: `on-error` decides.
    fn health_adjust(&mut self, si: usize, now: u64) {
        let Some(c) = self.srvs[si].check else { return };
        let b = self.bes[self.srvs[si].be].shared;
        let (limit, last) = match self.shared.backends[b].observe.get(self.srvs[si].idx) {
            Some(Some(o)) => (o.limit, Hana::from_u8(o.last.load(Ordering::Relaxed))),
            _ => return,
        };
        let desc = format!(
            "Detected {limit} consecutive errors, last one was: {}",
            last.desc()
        );
        let h = &mut self.cks[c].health;
        let fail = match self.srvs[si].on_error {
            OnError::FastInter => false,
            OnError::FailCheck => true,
            OnError::SuddenDeath => {
                if h.health > h.rise {
                    h.health = h.rise + 1;
                }
                true
            }
            OnError::MarkDown => {
                h.health = h.rise;
                true
            }
        };
        if fail {
            let moved = h.apply(CheckResult::Failed, true);
            let why = Why::Check {
                status: Status::Hana,
                code: 0,
                desc,
                duration_ms: -1,
            };
            self.log_check(c, &why, moved);
            if self.cks[c].health.health == 0 {
                let why = if self.bes[self.srvs[si].be].log_checks {
                    Why::None
                } else {
                    why
                };
                self.set_stopped(si, why, now);
            }
        }
        // Every mode checks sooner: the next check comes after `fastinter`.
        let k = &self.cks[c];
        if k.iv.fastinter > 0 && k.io.is_none() && now + k.iv.fastinter < k.deadline {
            let at = now + k.iv.fastinter;
            self.arm(c, at);
        }
    }

    fn on_timer(&mut self, poll: &Poll, c: usize, now: u64) {
        if self.cks[c].io.is_none() {
            if self.cks[c].paused {
                let inter = self.cks[c].iv.inter;
                self.arm(c, now + inter);
                return;
            }
            self.start(poll, c, now);
            return;
        }
        // The check's deadline passed while it ran.
        let Some(io) = self.cks[c].io.as_ref() else {
            return;
        };
        let connected = io.connected;
        let st = if io.handshaking {
            Status::L6Tout
        } else {
            io.run.timeout_status(connected)
        };
        let desc = io.run.error_suffix(true);
        self.finish(poll, c, Outcome::new(st, desc), now);
    }

    fn state_header(&self, c: usize) -> String {
        let k = &self.cks[c];
        let s = &self.srvs[k.srv];
        let h = &k.health;
        let q = &self.shared.backends[self.bes[s.be].shared].queue;
        let up = s.state != St::Stopped;
        let st = match (up, h.is_full(), s.state == St::Stopping) {
            (true, true, false) => "UP".to_string(),
            (true, true, true) => "NOLB".to_string(),
            (true, false, nolb) => {
                let (a, b) = (h.health + 1 - h.rise.min(h.health + 1), h.fall);
                format!("{} {a}/{b}", if nolb { "NOLB" } else { "UP" })
            }
            (false, _, _) if h.health > 0 => format!("DOWN {}/{}", h.health, h.rise),
            _ => "DOWN".to_string(),
        };
        let (addr, port) = s.addr.map_or((String::new(), String::new()), |a| {
            (a.ip().to_string(), a.port().to_string())
        });
        let tot: u32 = self
            .srvs
            .iter()
            .filter(|o| o.be == s.be && self.usable(o) && o.backup == s.backup)
            .map(|o| o.uweight)
            .sum();
        let srv = q.server(s.idx);
        format!(
            "{st}; address={addr}; port={port}; name={}/{}; node={}; weight={}/{tot}; scur={}/{}; qcur={}",
            self.bes[s.be].name,
            s.name,
            self.node,
            s.uweight,
            srv.map_or(0, |x| x.served()),
            q.beconn().saturating_sub(q.queued()),
            srv.map_or(0, |x| x.queued()),
        )
    }

    fn start(&mut self, poll: &Poll, c: usize, now: u64) {
        let ctx = Ctx {
            server_up: self.srvs[self.cks[c].srv].state != St::Stopped,
            state_header: self.cks[c].prog.send_state.then(|| self.state_header(c)),
        };
        let mut run = Run::new(self.cks[c].prog.clone(), ctx);
        let want = run.start();
        self.cks[c].io = Some(Io {
            run,
            sock: None,
            connected: false,
            handshaking: false,
            want: Want::Recv,
            out: Vec::new(),
            start_ms: now,
            send_proxy: false,
        });
        // Until a connect says otherwise, the check may last one interval.
        let inter = self.cks[c].iv.inter;
        self.arm(c, now + inter);
        self.drive(poll, c, want, now);
    }

    /// Carries out what the run wants until it must wait for the socket.
    fn drive(&mut self, poll: &Poll, c: usize, mut want: Want, now: u64) {
        loop {
            let k = &mut self.cks[c];
            let Some(io) = k.io.as_mut() else { return };
            match want {
                Want::Done(o) => {
                    self.finish(poll, c, o, now);
                    return;
                }
                Want::Connect {
                    port,
                    addr,
                    send_proxy,
                } => {
                    if let Some(mut s) = io.sock.take() {
                        let _ = poll.registry().deregister(&mut s);
                    }
                    let base = self.srvs[k.srv].addr;
                    let ip = addr.map(|a| a.ip()).or(k.addr).or(base.map(|a| a.ip()));
                    let p = port
                        .or(addr.map(|a| a.port()).filter(|&p| p > 0))
                        .or(k.port)
                        .or(base.map(|a| a.port()).filter(|&p| p > 0));
                    let (Some(ip), Some(p)) = (ip, p) else {
                        self.finish(poll, c, Outcome::new(Status::SockErr, ""), now);
                        return;
                    };
                    io.send_proxy = send_proxy || k.send_proxy;
                    io.connected = false;
                    match TcpStream::connect(SocketAddr::new(ip, p)) {
                        Ok(s) => {
                            let mut s = Stream::Tcp(s);
                            if poll
                                .registry()
                                .register(&mut s, Token(c), Interest::READABLE | Interest::WRITABLE)
                                .is_err()
                            {
                                self.finish(poll, c, Outcome::new(Status::SockErr, ""), now);
                                return;
                            }
                            io.sock = Some(s);
                            io.want = Want::Connect {
                                port,
                                addr,
                                send_proxy,
                            };
                            // HAProxy allows min(inter, timeout connect) to connect when
                            // `timeout check` is set, else the interval for everything.
                            let mut at = now + k.iv.inter;
                            if let (Some(_), Some(tc)) = (k.timeout_check, k.timeout_connect) {
                                at = at.min(now + tc);
                            }
                            self.arm(c, at);
                            return;
                        }
                        Err(e) => {
                            let desc = format!("{}{}", strerror(&e), io.run.error_suffix(true));
                            self.finish(poll, c, Outcome::new(Status::L4Con, desc), now);
                            return;
                        }
                    }
                }
                Want::Send(b) => {
                    io.out = b;
                    io.want = Want::Send(Vec::new());
                    match flush(io) {
                        Ok(true) => want = io.run.sent(),
                        Ok(false) => return,
                        Err(e) => {
                            let desc = format!("{}{}", strerror(&e), io.run.error_suffix(true));
                            self.finish(poll, c, Outcome::new(Status::SockErr, desc), now);
                            return;
                        }
                    }
                }
                Want::Recv => {
                    io.want = Want::Recv;
                    let mut buf = [0u8; 16384];
                    let mut got = Vec::new();
                    let mut eof = false;
                    let mut err = None;
                    if let Some(s) = io.sock.as_mut() {
                        loop {
                            match s.read(&mut buf) {
                                Ok(0) => {
                                    eof = true;
                                    break;
                                }
                                Ok(n) => {
                                    got.extend_from_slice(&buf[..n]);
                                    if got.len() >= 16384 {
                                        break;
                                    }
                                }
                                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                                Err(e) => {
                                    err = Some(e);
                                    eof = true;
                                    break;
                                }
                            }
                        }
                    }
                    if got.is_empty() && !eof {
                        return;
                    }
                    if got.is_empty() && err.is_none() {
                        // A reset right after the close (the server closed without reading
                        // what we sent): HAProxy reports the socket's error.
                        err = io.sock.as_ref().and_then(|s| s.take_error().ok().flatten());
                    }
                    if let Some(e) = err.filter(|_| got.is_empty()) {
                        // A network error with nothing received is reported as such; an RST
                        // after data lets the data decide.
                        let desc = format!("{}{}", strerror(&e), io.run.error_suffix(true));
                        self.finish(poll, c, Outcome::new(Status::SockErr, desc), now);
                        return;
                    }
                    want = io.run.received(&got, eof);
                }
            }
        }
    }

    fn on_io(&mut self, poll: &Poll, c: usize, now: u64, writable: bool) {
        let v2 = self.cks[c].proxy_v2;
        let tls = self.cks[c].tls.clone();
        let Some(io) = self.cks[c].io.as_mut() else {
            return;
        };
        if !io.connected {
            let Some(s) = io.sock.as_mut() else { return };
            match s.take_error() {
                Ok(Some(e)) | Err(e) => {
                    let desc = format!("{}{}", strerror(&e), io.run.error_suffix(true));
                    self.finish(poll, c, Outcome::new(Status::L4Con, desc), now);
                    return;
                }
                Ok(None) => {}
            }
            // Writable without a pending error: connected (no getpeername needed, the
            // socket only reports writable once the handshake is done).
            if !writable {
                return;
            }
            io.connected = true;
            if io.send_proxy {
                // A check has no client: HAProxy's v1 line names the check connection's own
                // addresses, its v2 header is a LOCAL command.
                let hdr = if v2 {
                    b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00".to_vec()
                } else {
                    match (s.local_inet(), s.peer_inet()) {
                        (Some(l), Some(p)) => format!(
                            "PROXY {} {} {} {} {}\r\n",
                            if l.is_ipv4() { "TCP4" } else { "TCP6" },
                            l.ip(),
                            p.ip(),
                            l.port(),
                            p.port()
                        )
                        .into_bytes(),
                        _ => b"PROXY UNKNOWN\r\n".to_vec(),
                    }
                };
                let _ = s.write_all(&hdr);
            }
            if let Some((tls, sni)) = &tls {
                // The PROXY header went in clear; TLS starts after it.
                let raw = io.sock.take().expect("connected above");
                match tls
                    .new_ssl(sni.as_deref())
                    .ok()
                    .and_then(|ssl| super::tls::TlsStream::new(ssl, raw, Vec::new()).ok())
                {
                    Some(t) => {
                        io.sock = Some(Stream::Tls(Box::new(t)));
                        io.handshaking = true;
                    }
                    None => {
                        self.finish(poll, c, Outcome::new(Status::SockErr, ""), now);
                        return;
                    }
                }
            } else {
                self.established(poll, c, now);
                return;
            }
        }
        if io.handshaking {
            let Some(Stream::Tls(t)) = io.sock.as_mut() else {
                return;
            };
            match t.handshake() {
                super::tls::Hs::Pending => {}
                super::tls::Hs::Done => {
                    io.handshaking = false;
                    self.established(poll, c, now);
                }
                super::tls::Hs::Failed(why) => {
                    let desc = format!("{why}{}", io.run.error_suffix(true));
                    self.finish(poll, c, Outcome::new(Status::L6Rsp, desc), now);
                }
            }
            return;
        }
        match io.want {
            Want::Send(_) => match flush(io) {
                Ok(true) => {
                    let want = io.run.sent();
                    self.drive(poll, c, want, now);
                }
                Ok(false) => {}
                Err(e) => {
                    let desc = format!("{}{}", strerror(&e), io.run.error_suffix(true));
                    self.finish(poll, c, Outcome::new(Status::SockErr, desc), now);
                }
            },
            Want::Recv => self.drive(poll, c, Want::Recv, now),
            _ => {}
        }
    }

    /// The connection is up (after its TLS handshake, if any): the run starts talking,
    /// under `timeout check` when set.
    fn established(&mut self, poll: &Poll, c: usize, now: u64) {
        let Some(io) = self.cks[c].io.as_mut() else {
            return;
        };
        let want = io.run.connected();
        if let Some(tc) = self.cks[c].timeout_check {
            self.arm(c, now + tc);
        }
        self.drive(poll, c, want, now);
    }

    /// A check ended: health, the server's state, the next check.
    fn finish(&mut self, poll: &Poll, c: usize, o: Outcome, now: u64) {
        let Some(mut io) = self.cks[c].io.take() else {
            return;
        };
        if let Some(mut s) = io.sock.take() {
            let _ = poll.registry().deregister(&mut s);
        }
        let duration = now.saturating_sub(io.start_ms) as i64;
        let si = self.cks[c].srv;
        let is_agent = self.cks[c].agent;
        if let Some(r) = &o.agent {
            self.apply_agent(c, r, now);
            match r.health {
                Some(AgentHealth::Up) => {
                    let h = &mut self.cks[c].health;
                    h.health = h.rise + h.fall - 1;
                }
                Some(AgentHealth::Down) => self.cks[c].health.health = 0,
                None => {}
            }
        }
        let result = o.status.result();
        let counts = !is_agent || o.status.has_code();
        let moved = self.cks[c].health.apply(result, counts);
        let why = Why::Check {
            status: o.status,
            code: o.code,
            desc: o.desc.clone(),
            duration_ms: duration,
        };
        self.log_check(c, &why, moved);
        let track = self.srvs[si].track.is_some();
        let why = if track || self.bes[self.srvs[si].be].log_checks {
            Why::None
        } else {
            why
        };
        if matches!(result, CheckResult::Passed | CheckResult::CondPass) && !is_agent {
            let b = self.bes[self.srvs[si].be].shared;
            if let Some(Some(o)) = self.shared.backends[b].observe.get(self.srvs[si].idx) {
                o.errors.store(0, Ordering::Relaxed);
            }
        }
        // `check_notify_failure()`: an agent only takes its server down by saying so.
        let agent_says = !is_agent || o.status == Status::L7Sts;
        match result {
            CheckResult::Failed if agent_says && self.cks[c].health.health == 0 => {
                self.set_stopped(si, why, now)
            }
            CheckResult::CondPass if !is_agent && self.may_be_up(si, is_agent) => {
                self.set_stopping(si, why, now)
            }
            CheckResult::Passed if self.may_be_up(si, is_agent) => self.set_running(si, why, now),
            _ => {}
        }
        let k = &self.cks[c];
        let inter = k.iv.pick(&k.health, self.srvs[si].state == St::Stopped);
        let r = self.rand();
        let next = ck::spread(inter, self.spread_pct, r);
        self.arm(c, now + next.max(1));
    }

    /// `option log-health-checks`: `Health check for server be/s succeeded, reason: …,
    /// status: 3/3 UP.` whenever the status or the health changed
    /// (`set_server_check_status()`).
    fn log_check(&mut self, c: usize, why: &Why, moved: bool) {
        let Why::Check { status, code, .. } = why else {
            return;
        };
        let status = *status;
        if !self.cks[c].agent {
            let s = &self.srvs[self.cks[c].srv];
            if let Some(a) = self.shared.admin.get(self.bes[s.be].shared, s.idx) {
                a.set_check(status, u16::try_from(*code).unwrap_or(0));
                if moved && status.result() == CheckResult::Failed {
                    a.chkfail.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let prev = std::mem::replace(&mut self.cks[c].last_status, status);
        let k = &self.cks[c];
        let s = &self.srvs[k.srv];
        let result = status.result();
        if !self.bes[s.be].log_checks
            || matches!(result, CheckResult::Neutral | CheckResult::Unknown)
            || (status == prev && !moved)
        {
            return;
        }
        let h = &k.health;
        let (n, m) = h.fraction();
        let word = if !h.is_up() {
            "DOWN"
        } else if s.uweight > 0 {
            "UP"
        } else {
            "DRAIN"
        };
        let t = format!(
            "{} check for {}server {}/{} {}{}{}, status: {n}/{m} {word}.",
            if k.agent { "Agent" } else { "Health" },
            if s.backup { "backup " } else { "" },
            self.bes[s.be].name,
            s.name,
            if result == CheckResult::CondPass {
                "conditionally "
            } else {
                ""
            },
            if matches!(result, CheckResult::Passed | CheckResult::CondPass) {
                "succeeded"
            } else {
                "failed"
            },
            msg::status_suffix(why),
        );
        self.say_srv(k.srv, Level::Warning, &t);
    }

    /// `check_notify_success()`'s conditions.
    fn may_be_up(&self, si: usize, is_agent: bool) -> bool {
        let s = &self.srvs[si];
        if s.maint {
            return false;
        }
        if let Some(t) = s.track {
            if self.srvs[t].state == St::Stopped {
                return false;
            }
        }
        let low = |c: Option<usize>| {
            c.is_some_and(|c| !self.cks[c].paused && !self.cks[c].health.is_up())
        };
        if low(s.check) || low(s.agent) {
            return false;
        }
        !(is_agent && s.state == St::Stopping)
    }

    fn apply_agent(&mut self, c: usize, r: &agent::Reply, now: u64) {
        let si = self.cks[c].srv;
        let (be, idx) = (self.srvs[si].be, self.srvs[si].idx);
        let q = self.shared.backends[self.bes[be].shared].queue.clone();
        match r.admin {
            Some(Admin::Drain) if !self.srvs[si].drain => {
                let prev = self.usable_count(be);
                let before = q.server(idx).map_or(0, |s| s.queued());
                self.srvs[si].drain = true;
                let _ = q.set_state(idx, self.queue_state(si), now);
                let xferred = before.saturating_sub(q.server(idx).map_or(0, |s| s.queued()));
                let s = &self.srvs[si];
                let text = format!(
                    "{}Server {}/{} enters drain state",
                    if s.backup { "Backup " } else { "" },
                    self.bes[be].name,
                    s.name
                );
                let counts = self.counts(si, xferred);
                let mut t = text;
                if s.state == St::Stopped {
                    t.push_str(&format!(
                        ". {} active and {} backup servers left.{} {} sessions active, {} requeued, {} remaining in queue",
                        counts.act, counts.bck, running_on_backup(counts), counts.cur_sess, counts.xferred, counts.queued
                    ));
                } else {
                    t.push_str(&format!(
                        ". {} active and {} backup servers online.{} {} sessions requeued, {} total in queue",
                        counts.act, counts.bck, running_on_backup(counts), counts.xferred, counts.queued
                    ));
                }
                self.say_srv(si, Level::Warning, &format!("{t}."));
                self.backend_down_alert(be, prev);
            }
            Some(Admin::Ready) if self.srvs[si].drain || self.srvs[si].maint => {
                let was_maint = self.srvs[si].maint;
                self.srvs[si].drain = false;
                if was_maint {
                    self.srvs[si].maint = false;
                    if let Some(hc) = self.srvs[si].check {
                        self.cks[hc].paused = false;
                        self.srvs[si].state = St::Stopped;
                    } else {
                        self.srvs[si].state = St::Running;
                    }
                }
                let _ = q.set_state(idx, self.queue_state(si), now);
                let s = &self.srvs[si];
                let updown = if s.state == St::Stopped { "DOWN" } else { "UP" };
                let text = if was_maint {
                    format!(
                        "{}Server {}/{} is {updown}/READY (leaving forced maintenance)",
                        if s.backup { "Backup " } else { "" },
                        self.bes[be].name,
                        s.name
                    )
                } else {
                    format!(
                        "{}Server {}/{} is {updown} (leaving forced drain)",
                        if s.backup { "Backup " } else { "" },
                        self.bes[be].name,
                        s.name
                    )
                };
                self.say_srv(si, Level::Warning, &format!("{text}."));
            }
            Some(Admin::Maint) if !self.srvs[si].maint => {
                let prev = self.usable_count(be);
                let before = q.server(idx).map_or(0, |s| s.queued());
                let was_down = self.srvs[si].state == St::Stopped;
                self.srvs[si].maint = true;
                if let Some(hc) = self.srvs[si].check {
                    self.cks[hc].paused = true;
                    self.cks[hc].health.health = 0;
                }
                let _ = q.set_state(idx, ServerState::Maint, now);
                let xferred = before.saturating_sub(q.server(idx).map_or(0, |s| s.queued()));
                let s = &self.srvs[si];
                let b = if s.backup { "Backup " } else { "" };
                let text = if was_down {
                    format!(
                        "{b}Server {}/{} was DOWN and now enters maintenance",
                        self.bes[be].name, s.name
                    )
                } else {
                    let c = self.counts(si, xferred);
                    format!(
                        "{b}Server {}/{} is going DOWN for maintenance. {} active and {} backup servers left.{} {} sessions active, {} requeued, {} remaining in queue",
                        self.bes[be].name, s.name, c.act, c.bck, running_on_backup(c), c.cur_sess, c.xferred, c.queued
                    )
                };
                self.say_srv(si, Level::Warning, &format!("{text}."));
                self.backend_down_alert(be, prev);
            }
            _ => {}
        }
        if let Some(w) = &r.weight {
            if let Ok(w) = agent::weight_from(w, self.srvs[si].iweight) {
                if w != self.srvs[si].uweight {
                    let prev = self.usable_count(be);
                    self.srvs[si].uweight = w;
                    let _ = q.set_weight(idx, w);
                    self.backend_down_alert(be, prev);
                }
            }
        }
        if let Some(m) = &r.maxconn {
            if let Ok(m) = m.parse::<u32>() {
                let _ = q.set_maxconn(idx, m);
            }
        }
    }

    fn usable(&self, s: &Srv) -> bool {
        !s.maint && !s.drain && matches!(s.state, St::Running | St::Starting) && s.uweight > 0
    }

    fn usable_count(&self, be: usize) -> u32 {
        self.srvs
            .iter()
            .filter(|s| s.be == be && self.usable(s))
            .count() as u32
    }

    fn counts(&self, si: usize, xferred: u32) -> Counts {
        let s = &self.srvs[si];
        let q = &self.shared.backends[self.bes[s.be].shared].queue;
        let mut c = Counts {
            act: 0,
            bck: 0,
            cur_sess: q.server(s.idx).map_or(0, |x| x.served()),
            xferred,
            queued: q.server(s.idx).map_or(0, |x| x.queued()),
        };
        for o in self.srvs.iter().filter(|o| o.be == s.be && self.usable(o)) {
            if o.backup {
                c.bck += 1;
            } else {
                c.act += 1;
            }
        }
        c
    }

    fn queue_state(&self, si: usize) -> ServerState {
        let s = &self.srvs[si];
        if s.maint {
            return ServerState::Maint;
        }
        let op = match s.state {
            St::Stopped => super::admin::OP_DOWN,
            St::Stopping => super::admin::OP_STOPPING,
            _ if s.drain => super::admin::OP_STOPPING,
            _ => super::admin::OP_UP,
        };
        // The CLI's maintenance/drain (`set server … state`) applies on top.
        match self.shared.admin.get(self.bes[s.be].shared, s.idx) {
            Some(a) => {
                a.op.store(op, std::sync::atomic::Ordering::SeqCst);
                a.effective()
            }
            None => super::admin::combine(0, op),
        }
    }

    /// Asks every worker to close the sessions on server `si`.
    fn shutdown_sessions(&self, si: usize) {
        let (b, i) = (self.bes[self.srvs[si].be].shared, self.srvs[si].idx);
        for m in self.mailboxes.iter() {
            m.post_shutdown(b, i);
        }
    }

    /// [`Self::say`] about server `si`, also sent to its backend's log targets at
    /// HAProxy's levels (`alert` for a server going down, `notice` otherwise).
    fn say_srv(&mut self, si: usize, level: Level, text: &str) {
        self.say(level, text);
        if let Some(l) = self.bes[self.srvs[si].be].log.as_deref() {
            let down = !text.starts_with("Health check") && text.contains("DOWN");
            let lvl = if down {
                crate::log::LOG_ALERT
            } else {
                crate::log::LOG_NOTICE
            };
            l.event(lvl, text);
        }
    }

    fn say(&mut self, level: Level, text: &str) {
        if self.record {
            self.log.push(text.to_string());
        }
        if self.quiet {
            return;
        }
        let m = Message {
            level,
            context: None,
            text: text.to_string(),
            at: None,
        };
        eprint!("{}", m.render(std::process::id()));
    }

    fn backend_down_alert(&mut self, be: usize, prev: u32) {
        if prev > 0 && self.usable_count(be) == 0 {
            let t = msg::no_server(self.bes[be].listen, &self.bes[be].name);
            self.say(Level::Alert, &t);
            if let Some(l) = self.bes[be].log.as_deref() {
                // The log's wording has no quotes around the name.
                let t = t.replacen(&format!("'{}'", self.bes[be].name), &self.bes[be].name, 1);
                l.event(crate::log::LOG_EMERG, &t);
            }
        }
    }

    fn why_for(&self, si: usize, why: Why) -> Why {
        match (why, self.srvs[si].track) {
            (Why::None, Some(t)) => {
                let ts = &self.srvs[t];
                Why::Via(format!("{}/{}", self.bes[ts.be].name, ts.name))
            }
            (w, _) => w,
        }
    }

    /// `srv_set_stopped()`.
    fn set_stopped(&mut self, si: usize, why: Why, now: u64) {
        if self.srvs[si].maint || self.srvs[si].state == St::Stopped {
            return;
        }
        let be = self.srvs[si].be;
        let prev = self.usable_count(be);
        let idx = self.srvs[si].idx;
        let q = self.shared.backends[self.bes[be].shared].queue.clone();
        let before = q.server(idx).map_or(0, |s| s.queued());
        self.srvs[si].state = St::Stopped;
        if let Some(a) = self.shared.admin.get(self.bes[be].shared, idx) {
            a.chkdown.fetch_add(1, Ordering::Relaxed);
        }
        let _ = q.set_state(idx, self.queue_state(si), now);
        if self.srvs[si].down_kills {
            self.shutdown_sessions(si);
        }
        let xferred = before.saturating_sub(q.server(idx).map_or(0, |s| s.queued()));
        let why = self.why_for(si, why);
        let s = &self.srvs[si];
        let t = msg::down(
            s.backup,
            &self.bes[be].name,
            &s.name,
            &why,
            self.counts(si, xferred),
        );
        self.say_srv(si, Level::Warning, &format!("{t}."));
        self.backend_down_alert(be, prev);
        for t in self.srvs[si].trackers.clone() {
            self.set_stopped(t, Why::None, now);
        }
    }

    /// `srv_set_running()`: STARTING first when the server has a slowstart.
    fn set_running(&mut self, si: usize, why: Why, now: u64) {
        if self.srvs[si].maint || matches!(self.srvs[si].state, St::Starting | St::Running) {
            return;
        }
        let be = self.srvs[si].be;
        let prev = self.usable_count(be);
        let idx = self.srvs[si].idx;
        let q = self.shared.backends[self.bes[be].shared].queue.clone();
        let before = q.queued();
        self.srvs[si].state = if self.srvs[si].slowstart {
            St::Starting
        } else {
            St::Running
        };
        let _ = q.set_state(idx, self.queue_state(si), now);
        let s = &self.srvs[si];
        if s.up_kills_backups && !s.backup && s.uweight > 0 {
            let backups: Vec<usize> = (0..self.srvs.len())
                .filter(|&o| self.srvs[o].be == be && self.srvs[o].backup)
                .collect();
            for o in backups {
                self.shutdown_sessions(o);
            }
        }
        let xferred = before.saturating_sub(q.queued());
        let why = self.why_for(si, why);
        let s = &self.srvs[si];
        let t = msg::up(
            s.backup,
            &self.bes[be].name,
            &s.name,
            "UP",
            &why,
            self.counts(si, xferred),
        );
        self.say_srv(si, Level::Warning, &format!("{t}."));
        self.backend_down_alert(be, prev);
        for t in self.srvs[si].trackers.clone() {
            self.set_running(t, Why::None, now);
        }
    }

    /// `srv_set_stopping()` (`disable-on-404`): no new traffic, persistent traffic stays.
    fn set_stopping(&mut self, si: usize, why: Why, now: u64) {
        if self.srvs[si].maint || self.srvs[si].state == St::Stopping {
            return;
        }
        let be = self.srvs[si].be;
        let prev = self.usable_count(be);
        let idx = self.srvs[si].idx;
        let q = self.shared.backends[self.bes[be].shared].queue.clone();
        let before = q.server(idx).map_or(0, |s| s.queued());
        let old = self.srvs[si].state;
        self.srvs[si].state = St::Stopping;
        let _ = q.set_state(idx, self.queue_state(si), now);
        let xferred = before.saturating_sub(q.server(idx).map_or(0, |s| s.queued()));
        let why = self.why_for(si, why);
        let s = &self.srvs[si];
        let c = self.counts(si, xferred);
        let t = if old == St::Stopped {
            // From DOWN straight to stopping: HAProxy reports it coming up (not usable).
            msg::up(s.backup, &self.bes[be].name, &s.name, "UP", &why, c)
        } else {
            msg::up(s.backup, &self.bes[be].name, &s.name, "stopping", &why, c)
        };
        self.say_srv(si, Level::Warning, &format!("{t}."));
        self.backend_down_alert(be, prev);
        for t in self.srvs[si].trackers.clone() {
            self.set_stopping(t, Why::None, now);
        }
    }
}

fn running_on_backup(c: Counts) -> &'static str {
    if c.bck > 0 && c.act == 0 {
        " Running on backup."
    } else {
        ""
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim_start_matches("ipv4@").trim_start_matches("ipv6@");
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// Writes what is pending; `Ok(true)` once all of it is gone.
fn flush(io: &mut Io) -> std::io::Result<bool> {
    let Some(s) = io.sock.as_mut() else {
        return Err(std::io::Error::from(ErrorKind::NotConnected));
    };
    while !io.out.is_empty() {
        match s.write(&io.out) {
            Ok(0) => return Err(std::io::Error::from(ErrorKind::WriteZero)),
            Ok(n) => {
                io.out.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// `strerror(errno)`: the C library's wording, without Rust's `(os error N)`.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The TLS a server's health check uses (`init_srv_check()`): `check-ssl`, or the server's
/// own `ssl` when the check has neither a `port` nor an `addr` of its own; the server's
/// client context (or one built from its settings for `check-ssl` alone), `check-sni`.
fn check_tls(
    cfg: &Config,
    b: &super::shared::Backend,
    i: usize,
    sv: &crate::model::server::Server,
    warnings: &mut Vec<String>,
) -> Option<(Arc<crate::tls::server::ServerTls>, Option<String>)> {
    let h = &sv.health;
    let inherited = h.port.is_none() && h.addr.is_none() && sv.ssl.enabled;
    if !h.ssl && !inherited {
        return None;
    }
    let ctx = match b.tls.servers.get(i).cloned().flatten() {
        Some(t) => t,
        None => match crate::tls::server::ServerTls::build(
            &sv.ssl,
            sv.ssl.crt.as_deref(),
            &cfg.global.ssl,
        ) {
            Ok(t) => Arc::new(t),
            Err(e) => {
                warnings.push(format!(
                    "[{}] : health checks of server '{}/{}' cannot use TLS: {e}",
                    sv.loc, b.name, sv.name
                ));
                return None;
            }
        },
    };
    Some((ctx, h.sni.clone()))
}
