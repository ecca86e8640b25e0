//! The socket side of `src/log`: a frontend's compiled log settings ([`LogRt`], built
//! once), the per-stream facts the sessions collect ([`TxnLog`]), and a per-thread
//! sender that never blocks: UDP and UNIX datagram sockets are non-blocking, `stdout` /
//! `stderr` are written only when `poll()` says a write will not wait. A line that cannot
//! leave at once is dropped and counted ([`dropped`]), as HAProxy does.

use std::cell::RefCell;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use crate::log::{Facts, Ident, LOG_ERR, LOG_INFO};
use crate::model::global::{LogDest, LogTarget};
use crate::model::{Config, Proxy};
use crate::sample::fetch::Txn;
use crate::sample::lf::Template;

/// Lines dropped because their destination was not ready (HAProxy's `dropped_logs`).
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The process id, read once: `getpid()` is a system call, twice per line otherwise.
/// (haproxy-rs does not fork after start-up, so it cannot change.)
pub fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// A frontend's logging, compiled from the model.
pub struct LogRt {
    targets: Vec<LogTarget>,
    /// Per target, the lines seen so far (`log … sample <ranges>:<size>`).
    seen: Vec<AtomicU32>,
    /// `None`: no log format, HAProxy's "Connect from" line at accept instead.
    fmt: Option<Template>,
    sd: Option<Template>,
    err_fmt: Option<Template>,
    pub dontlognull: bool,
    dontlog_normal: bool,
    separate_errors: bool,
    tag: String,
    host: Option<String>,
    /// `%lc`.
    count: AtomicU32,
}

/// argv[0]'s basename, HAProxy's default `log-tag`.
fn progname() -> String {
    std::env::args()
        .next()
        .map(|a| a.rsplit('/').next().unwrap_or(&a).to_string())
        .unwrap_or_else(|| "haproxy".into())
}

impl LogRt {
    /// `None` for a frontend without log targets (nothing is collected for it then).
    pub fn build(cfg: &Config, px: &Proxy, warnings: &mut Vec<String>) -> Option<Box<LogRt>> {
        let s = &px.settings;
        if s.logs.is_empty() {
            return None;
        }
        for t in &s.logs {
            if !matches!(t.dest, LogDest::Udp(_) | LogDest::Unix(_) | LogDest::Fd(_)) {
                let w = format!(
                    "[{}] : log target '{}' is not supported by the haproxy-rs runtime yet (rings, TCP and abstract sockets); its lines are dropped.",
                    t.loc, t.text
                );
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        let mut compile = |lf: &Option<crate::model::expr::LogFormat>| {
            lf.as_ref()
                .map(|lf| super::maps::with(|m| Template::compile(lf, m, warnings)))
        };
        let (fmt, sd, err_fmt) = (
            compile(&s.log_lf),
            compile(&s.log_sd_lf),
            compile(&s.error_log_lf),
        );
        Some(Box::new(LogRt {
            seen: s.logs.iter().map(|_| AtomicU32::new(0)).collect(),
            targets: s.logs.clone(),
            fmt,
            sd,
            err_fmt,
            dontlognull: s.option("dontlognull") == Some(true),
            dontlog_normal: s.option("dontlog-normal") == Some(true),
            separate_errors: s.option("log-separate-errors") == Some(true),
            tag: s
                .log_tag
                .clone()
                .or_else(|| cfg.global.log_tag.clone())
                .unwrap_or_else(progname),
            host: cfg.global.log_send_hostname.clone(),
            count: AtomicU32::new(0),
        }))
    }

    /// Whether streams are logged at their end (a log format is set).
    pub fn logs_streams(&self) -> bool {
        self.fmt.is_some()
    }

    /// HAProxy's accept-time line of a frontend with targets but no log format.
    pub fn connect_line(
        &self,
        from: Option<SocketAddr>,
        to: Option<SocketAddr>,
        fe: &str,
        http: bool,
    ) {
        if self.fmt.is_some() {
            return;
        }
        let a = |x: Option<SocketAddr>| x.map_or_else(|| "unix".to_string(), |a| a.to_string());
        let msg = format!(
            "Connect from {} to {} ({fe}/{})",
            a(from),
            a(to),
            if http { "HTTP" } else { "TCP" }
        );
        self.send(LOG_INFO, msg.as_bytes(), None);
    }

    /// Renders and sends a stream's line (`strm_log()`), unless `dontlog-normal` hides it.
    /// `set_level`: the stream's `set-log-level` (`silent`: no line), which wins over
    /// `log-separate-errors` as in HAProxy.
    pub fn stream_end(&self, facts: &mut Facts<'_>, t: &mut Txn<'_>, set_level: Option<&str>) {
        let Some(fmt) = self.fmt.as_ref() else {
            return;
        };
        let forced = match set_level {
            Some("silent") => return,
            Some(name) => crate::config::log::LEVELS
                .iter()
                .position(|l| *l == name)
                .map(|i| i as u8),
            None => None,
        };
        let err = facts.is_error();
        if self.dontlog_normal && !err {
            return;
        }
        facts.log_count = self.count.fetch_add(1, Ordering::Relaxed);
        let level = match forced {
            Some(l) => l,
            None if err && self.separate_errors => LOG_ERR,
            None => LOG_INFO,
        };
        LINE.with(|l| {
            let Ok(mut l) = l.try_borrow_mut() else {
                return;
            };
            let (msg, sd) = &mut *l;
            msg.clear();
            sd.clear();
            let fmt = match (&self.err_fmt, facts.request.is_none()) {
                (Some(e), true) => e,
                _ => fmt,
            };
            fmt.render(t, facts, msg);
            let has_sd = self.sd.as_ref().map(|s| s.render(t, facts, sd)).is_some();
            self.send(level, msg, has_sd.then_some(&sd[..]));
        });
    }

    /// A message of the proxy's own (server state changes, health checks) at `level`.
    pub fn event(&self, level: u8, text: &str) {
        let t = text.strip_suffix('\n').unwrap_or(text);
        self.send(level, t.as_bytes(), None);
    }

    fn send(&self, level: u8, msg: &[u8], sd: Option<&[u8]>) {
        let now = SystemTime::now();
        let id = Ident {
            tag: &self.tag,
            pid: crate::runtime::log::pid(),
            host: self.host.as_deref(),
        };
        SENDER.with(|s| {
            let Ok(mut s) = s.try_borrow_mut() else {
                return;
            };
            for (t, seen) in self.targets.iter().zip(&self.seen) {
                if level > t.level {
                    continue;
                }
                if let Some(smp) = &t.sample {
                    // The n-th line (from 1, modulo the size) goes if a range holds it.
                    let n = seen.fetch_add(1, Ordering::Relaxed) % smp.size.max(1) + 1;
                    if !smp.ranges.iter().any(|&(lo, hi)| lo <= n && n <= hi) {
                        continue;
                    }
                }
                let lvl = level.max(t.minlevel);
                let mut buf = std::mem::take(&mut s.buf);
                let f = crate::log::Frame {
                    fmt: t.format,
                    facility: t.facility,
                    level: lvl,
                    maxlen: t.maxlen as usize,
                };
                crate::log::datagram(&mut buf, f, id, now, sd, msg);
                if !s.send(&t.dest, &buf) {
                    DROPPED.fetch_add(1, Ordering::Relaxed);
                }
                s.buf = buf;
            }
        });
    }
}

thread_local! {
    static SENDER: RefCell<Sender> = RefCell::new(Sender::default());
    /// The message and structured-data buffers, reused line after line.
    static LINE: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// One thread's sockets, opened at the first line.
#[derive(Default)]
struct Sender {
    udp4: Option<UdpSocket>,
    udp6: Option<UdpSocket>,
    unix: Option<UnixDatagram>,
    buf: Vec<u8>,
}

impl Sender {
    /// False: dropped.
    fn send(&mut self, dest: &LogDest, b: &[u8]) -> bool {
        match dest {
            LogDest::Udp(a) => {
                let slot = if a.is_ipv4() {
                    &mut self.udp4
                } else {
                    &mut self.udp6
                };
                if slot.is_none() {
                    let bind = if a.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                    *slot = UdpSocket::bind(bind)
                        .and_then(|s| s.set_nonblocking(true).map(|_| s))
                        .ok();
                }
                slot.as_ref().is_some_and(|s| s.send_to(b, a).is_ok())
            }
            LogDest::Unix(p) => {
                if self.unix.is_none() {
                    self.unix = UnixDatagram::unbound()
                        .and_then(|s| s.set_nonblocking(true).map(|_| s))
                        .ok();
                }
                self.unix.as_ref().is_some_and(|s| s.send_to(b, p).is_ok())
            }
            LogDest::Fd(fd) => write_ready(*fd, b),
            // Rings, TCP (through an implicit ring), abstract sockets, other fds: not yet.
            _ => false,
        }
    }
}

/// Writes `b` to `fd` only if a write cannot block (a pipe with room, a terminal, a
/// file): what does not go at once is dropped.
fn write_ready(fd: i32, b: &[u8]) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd for the duration of the call; timeout 0.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    if r != 1 || p.revents & libc::POLLOUT == 0 {
        return false;
    }
    // SAFETY: `b` is a valid slice for `b.len()` bytes; a bad fd only fails the call.
    let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
    n == b.len() as isize
}

/// What a stream collects for its log line when its frontend logs: instants the session
/// already has, copied at a few points; rendered only at the stream's end.
#[derive(Debug)]
pub struct TxnLog {
    pub accept: Instant,
    pub accept_date: SystemTime,
    /// The first byte of the request (`%Ti` ends there, `%TR` and `%Ta` start there).
    pub t_first: Option<Instant>,
    pub t_request: Option<Instant>,
    pub t_queue: Option<Instant>,
    pub t_connect: Option<Instant>,
    pub t_data: Option<Instant>,
    pub status: i32,
    pub bytes_in: u64,
    /// Bytes written to the client; the record's line adds what is still queued, and
    /// the next record starts that much below zero.
    pub bytes_out: i64,
    /// HTX size minus wire size of the heads counted (see `log::htx_adjust`).
    pub out_adj: i64,
    pub in_adj: i64,
    pub term: Option<[u8; 2]>,
    /// `%tsc`'s cookie characters.
    pub cookie: [u8; 2],
    /// The request line (`%r`), empty until a request parsed.
    pub request: Vec<u8>,
    pub parsed: bool,
    pub stream_id: u32,
}

impl TxnLog {
    pub fn new(now: Instant) -> TxnLog {
        TxnLog {
            accept: now,
            accept_date: SystemTime::now(),
            t_first: None,
            t_request: None,
            t_queue: None,
            t_connect: None,
            t_data: None,
            status: -1,
            bytes_in: 0,
            bytes_out: 0,
            out_adj: 0,
            in_adj: 0,
            term: None,
            cookie: *b"--",
            request: Vec::new(),
            parsed: false,
            stream_id: 0,
        }
    }

    /// A new transaction on a kept-alive connection starts its clock at `now`; `queued`
    /// bytes to the client belong to the last one, `read` client bytes to the next.
    pub fn restart(&mut self, now: Instant, queued: usize, read: usize) {
        let request = std::mem::take(&mut self.request);
        *self = TxnLog::new(now);
        self.request = request;
        self.request.clear();
        self.bytes_out = -(queued as i64);
        self.bytes_in = read as u64;
        if read > 0 {
            self.t_first = Some(now);
        }
    }

    /// Sets the termination state unless one was already decided.
    pub fn set_term(&mut self, t: &str) {
        if self.term.is_none() {
            if let [a, b] = t.as_bytes() {
                self.term = Some([*a, *b]);
            }
        }
    }

    /// Milliseconds since accept, `-1` for a step that did not happen.
    pub fn ms(&self, at: Option<Instant>) -> i64 {
        at.map_or(-1, |t| {
            t.saturating_duration_since(self.accept).as_millis() as i64
        })
    }
}
