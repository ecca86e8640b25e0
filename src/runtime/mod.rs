//! The runtime: serves a loaded [`crate::model::Config`].
//!
//! For now this is the quickstart subset: one thread, one mio event loop, HTTP/1.x
//! frontends answering with their `http-request return`/`deny` rules or HAProxy's 503 page
//! (there are no server connections yet). Layout:
//! - [`listener`] opens `bind` addresses and inherited `fd@N` sockets;
//! - [`conn`] does socket I/O and timeouts for one client, [`h1`] the HTTP/1 parsing;
//! - [`proxy`] compiles a frontend's rules, using [`acl`] conditions, [`sample`] fetches and
//!   [`http_return`] replies with HAProxy's built-in [`pages`].

pub mod acl;
pub mod backend;
pub mod conn;
pub mod h1;
pub mod http_return;
pub mod listener;
pub mod pages;
pub mod proxy;
pub mod sample;
#[cfg(test)]
mod testutil;

use std::collections::{HashMap, HashSet};
use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use mio::{Events, Interest, Poll, Token, Waker};

use crate::config::{Level, Message};
use crate::model::{Config, Mode};
use conn::Conn;
use listener::Listener;
use proxy::ProxyRt;

/// How the process was asked to run (from the command line).
#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// `-d` / `-db`: stay in the foreground. Daemon mode (`-D`) is not available yet.
    pub foreground: bool,
    /// `-p <file>`: write our pid there.
    pub pidfile: Option<String>,
    /// `-q` (without `-V`): nothing on stderr, not even alerts, as HAProxy's quiet mode.
    pub quiet: bool,
}

/// Runs `cfg` until SIGINT/SIGTERM (or SIGUSR1 once idle). Returns the exit status:
/// 0 after a signal-requested stop, 1 when start-up fails.
pub fn run(cfg: Config, opts: &RunOpts) -> i32 {
    // One message per line: HAProxy prints each alert with its own prefix.
    let say = |level: Level, text: &str| {
        if !opts.quiet {
            text.lines().for_each(|l| print_msg(level, l));
        }
    };
    let mut rt = match Runtime::new(&cfg) {
        Ok(rt) => rt,
        Err(e) => {
            say(Level::Alert, &e);
            return 1;
        }
    };
    for w in &rt.warnings {
        say(Level::Warning, w);
    }
    if !opts.foreground {
        say(
            Level::Warning,
            "daemon mode is not available yet in haproxy-rs: staying in the foreground.",
        );
    }
    if let Some(p) = &opts.pidfile {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            say(
                Level::Alert,
                &format!(
                    "[haproxy.main()] Cannot create pidfile {p} : {}",
                    listener::strerror(&e)
                ),
            );
            return 1;
        }
    }
    match rt.run_with_signals() {
        Ok(()) => 0,
        Err(e) => {
            say(Level::Alert, &format!("event loop failed: {e}"));
            1
        }
    }
}

fn print_msg(level: Level, text: &str) {
    let m = Message {
        level,
        context: None,
        text: text.to_string(),
        at: None,
    };
    eprint!("{}", m.render(std::process::id()));
}

const WAKER: Token = Token(usize::MAX - 1);
const SIGNALS: Token = Token(usize::MAX - 2);

/// Asks a running [`Runtime`] to stop, from any thread.
#[derive(Clone)]
pub struct Stopper {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl Stopper {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }
}

/// The open listeners and live connections of a configuration.
pub struct Runtime {
    poll: Poll,
    proxies: Vec<ProxyRt>,
    listeners: Vec<Option<Listener>>,
    conns: HashMap<usize, Conn>,
    next_token: usize,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    /// SIGUSR1: listeners closed, exit once every connection is idle.
    soft_stop: bool,
    /// What the runtime cannot honour in this configuration, for the start-up warnings.
    pub warnings: Vec<String>,
}

impl Runtime {
    /// Compiles the frontends and opens their listeners. `Err` is HAProxy's alert text.
    pub fn new(cfg: &Config) -> Result<Runtime, String> {
        let poll = Poll::new().map_err(|e| format!("cannot create poller: {e}"))?;
        let waker = Arc::new(
            Waker::new(poll.registry(), WAKER).map_err(|e| format!("cannot create waker: {e}"))?,
        );
        let mut warnings = Vec::new();
        let mut proxies = Vec::new();
        let mut listeners = Vec::new();
        let mut used_fds = HashSet::new();
        for px in cfg.real_proxies().filter(|p| p.cap.is_fe() && !p.disabled) {
            if px.binds.is_empty() {
                continue;
            }
            if px.mode != Mode::Http {
                warnings.push(format!(
                    "{} '{}' : mode tcp is not served by the haproxy-rs runtime yet; its listeners stay closed.",
                    px.cap.type_name(),
                    px.name
                ));
                continue;
            }
            let idx = proxies.len();
            proxies.push(ProxyRt::compile(cfg, px, &mut warnings));
            let opened = listener::open_proxy(px, idx, &mut used_fds, &mut warnings)
                .map_err(|e| {
                    format!("{e}\n[haproxy.main()] Some protocols failed to start their listeners! Exiting.")
                })?;
            listeners.extend(opened.into_iter().map(Some));
        }
        if listeners.is_empty() {
            return Err("[haproxy.main()] No enabled listener found (check for 'bind' directives) ! Exiting.".into());
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            let l = l.as_mut().expect("just opened");
            poll.registry()
                .register(&mut l.sock, Token(i), Interest::READABLE)
                .map_err(|e| format!("cannot register listener: {e}"))?;
        }
        let next_token = listeners.len();
        Ok(Runtime {
            poll,
            proxies,
            listeners,
            conns: HashMap::new(),
            next_token,
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            soft_stop: false,
            warnings,
        })
    }

    /// The local addresses actually listened on (useful with port 0 and `fd@`).
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.listeners
            .iter()
            .flatten()
            .filter_map(|l| l.sock.local_addr().ok())
            .collect()
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            flag: self.stop.clone(),
            waker: self.waker.clone(),
        }
    }

    /// Runs until SIGINT/SIGTERM, a [`Stopper`], or SIGUSR1 followed by idleness.
    pub fn run_with_signals(&mut self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
        let (rd, wr) = std::os::unix::net::UnixStream::pair()?;
        rd.set_nonblocking(true)?;
        let usr1 = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM, SIGUSR1] {
            // The flag is set before the wakeup byte is written (actions run in order).
            let flag = if sig == SIGUSR1 { &usr1 } else { &self.stop };
            ids.push(signal_hook::flag::register(sig, flag.clone())?);
            ids.push(signal_hook::low_level::pipe::register(
                sig,
                wr.try_clone()?,
            )?);
        }
        drop(wr);
        let mut src = mio::net::UnixStream::from_std(rd);
        self.poll
            .registry()
            .register(&mut src, SIGNALS, Interest::READABLE)?;
        let res = self.run_loop(Some((&mut src, &usr1)));
        for id in ids {
            signal_hook::low_level::unregister(id);
        }
        let _ = self.poll.registry().deregister(&mut src);
        res
    }

    /// Runs until a [`Stopper`] is used (no signal handling: for embedding and tests).
    pub fn run(&mut self) -> std::io::Result<()> {
        self.run_loop(None)
    }

    fn run_loop(
        &mut self,
        mut signals: Option<(&mut mio::net::UnixStream, &AtomicBool)>,
    ) -> std::io::Result<()> {
        let mut events = Events::with_capacity(256);
        loop {
            if self.stop.load(Ordering::SeqCst) || (self.soft_stop && self.conns.is_empty()) {
                return Ok(());
            }
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let now = Instant::now();
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    SIGNALS => {
                        if let Some((pipe, usr1)) = signals.as_mut() {
                            drain(pipe);
                            if usr1.swap(false, Ordering::SeqCst) && !self.soft_stop {
                                self.begin_soft_stop();
                            }
                        }
                    }
                    Token(t) if t < self.listeners.len() => self.accept(t, now),
                    Token(t) => self.on_conn(t, now),
                }
            }
            self.expire(Instant::now());
        }
    }

    /// SIGUSR1: stop accepting, let in-flight requests finish, close idle connections.
    fn begin_soft_stop(&mut self) {
        self.soft_stop = true;
        for l in self.listeners.iter_mut() {
            if let Some(mut l) = l.take() {
                let _ = self.poll.registry().deregister(&mut l.sock);
            }
        }
        self.conns.retain(|_, c| !c.is_idle());
    }

    fn accept(&mut self, idx: usize, now: Instant) {
        loop {
            let Some(l) = self.listeners[idx].as_ref() else {
                return;
            };
            let proxy = l.proxy;
            match l.sock.accept() {
                Ok((mut sock, _peer)) => {
                    let tok = self.next_token;
                    self.next_token += 1;
                    if tok >= SIGNALS.0 {
                        self.next_token = self.listeners.len();
                    }
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if self
                        .poll
                        .registry()
                        .register(&mut sock, Token(tok), interest)
                        .is_ok()
                    {
                        self.conns.insert(tok, Conn::new(sock, proxy, now));
                        self.on_conn(tok, now);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // EMFILE and friends: try again on the next readiness event.
                Err(_) => return,
            }
        }
    }

    fn on_conn(&mut self, tok: usize, now: Instant) {
        let Some(c) = self.conns.get_mut(&tok) else {
            return;
        };
        let alive = c.on_ready(&self.proxies[c.proxy], now);
        if !alive || (self.soft_stop && c.is_idle()) {
            self.drop_conn(tok);
        }
    }

    fn drop_conn(&mut self, tok: usize) {
        if let Some(mut c) = self.conns.remove(&tok) {
            let _ = self.poll.registry().deregister(&mut c.sock);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.conns
            .values()
            .filter_map(|c| c.deadline(&self.proxies[c.proxy]))
            .min()
    }

    fn expire(&mut self, now: Instant) {
        let dead: Vec<usize> = self
            .conns
            .iter_mut()
            .filter(|(_, c)| c.deadline(&self.proxies[c.proxy]).is_some_and(|d| d <= now))
            .map(|(t, _)| *t)
            .collect();
        for t in dead {
            let alive = match self.conns.get_mut(&t) {
                Some(c) => c.on_timeout(&self.proxies[c.proxy], now),
                None => true,
            };
            if !alive {
                self.drop_conn(t);
            }
        }
    }
}

/// Empties the signal pipe (its bytes only wake the loop; the flags say which signal).
fn drain(pipe: &mut mio::net::UnixStream) {
    let mut buf = [0u8; 64];
    loop {
        match pipe.read(&mut buf) {
            Ok(n) if n > 0 => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bind::ListenAddr;
    use std::io::Write;
    use std::os::fd::IntoRawFd;

    /// `listen l` serving "ok" on the inherited listener `fd` (its parsed bind replaced).
    fn config(fd: i32) -> Config {
        let mut cfg =
            testutil::listen(&["http-request return status 200 content-type text/plain string ok"]);
        let px = cfg.proxies.iter_mut().find(|p| p.name == "l").unwrap();
        px.binds[0].addrs = vec![ListenAddr::Fd { fd }];
        cfg
    }

    fn exchange(addr: std::net::SocketAddr, req: &[u8]) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        s.write_all(req).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_an_inherited_listener_until_stopped() {
        let pre = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = pre.local_addr().unwrap();
        let mut rt = Runtime::new(&config(pre.into_raw_fd())).unwrap();
        assert_eq!(rt.local_addrs(), vec![addr]);
        let stopper = rt.stopper();
        let th = std::thread::spawn(move || rt.run());
        let out = exchange(addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nok"
        );
        let out = exchange(addr, b"NOT HTTP\r\n\r\n");
        assert!(out.starts_with("HTTP/1.1 400 Bad request\r\n"), "{out}");
        stopper.stop();
        th.join().unwrap().unwrap();
    }

    #[test]
    fn request_timeout_sends_raw_408_then_idle_keep_alive_closes_silently() {
        let pre = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = pre.local_addr().unwrap();
        let mut cfg = config(pre.into_raw_fd());
        let px = cfg.proxies.iter_mut().find(|p| p.name == "l").unwrap();
        let t = &mut px.settings.timeouts;
        t.http_request = Some(150);
        t.http_keep_alive = Some(150);
        let mut rt = Runtime::new(&cfg).unwrap();
        let stopper = rt.stopper();
        let th = std::thread::spawn(move || rt.run());
        let out = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n");
        assert_eq!(out.as_bytes(), pages::raw_mux_error(408));
        // A complete request, then nothing: the keep-alive timeout closes without a word.
        let out = exchange(addr, b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
        );
        stopper.stop();
        th.join().unwrap().unwrap();
    }

    #[test]
    fn soft_stop_closes_listeners_and_returns_once_idle() {
        let pre = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = pre.local_addr().unwrap();
        let mut rt = Runtime::new(&config(pre.into_raw_fd())).unwrap();
        rt.begin_soft_stop();
        assert!(rt.local_addrs().is_empty());
        rt.run().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn no_listener_is_haproxys_alert() {
        let err = Runtime::new(&Config::default()).err().unwrap();
        assert!(err.contains("No enabled listener found"), "{err}");
    }
}
