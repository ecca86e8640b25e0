//! The runtime: serves a loaded [`crate::model::Config`].
//!
//! [`Runtime::new`] compiles the configuration into [`shared::Shared`] (read by every
//! thread) and opens the [`listener`]s; `run` starts `nbthread` [`worker`]s, each with its
//! own `mio::Poll`, which accept connections and drive [`http`] or [`tcp`] sessions. A
//! session reaches servers through [`server_side`] (the shared queue, connects, retries) and
//! reuses idle connections from its own set or the worker's [`pool`]. HTTP messages are
//! parsed and written by `crate::http` through [`http_msg`]; replies made by the proxy come
//! from [`http_return`], [`errors`] and [`pages`]. The main thread only handles signals.

pub mod admin;
pub mod affinity;
pub mod backend;
pub mod check;
pub mod cli;
pub mod counters;
pub mod env;
pub mod errors;
pub mod http;
pub mod http_msg;
pub mod http_return;
pub mod io;
pub mod listener;
pub mod log;
pub mod maps;
pub mod master;
pub mod pages;
pub mod pool;
pub mod proxy;
pub mod server_side;
pub mod shared;
pub mod splice;
pub mod stats_page;
pub mod stick;
pub mod stream;
pub mod takeover;
pub mod tcp;
#[cfg(test)]
mod testutil;
pub mod timer;
pub mod tls;
pub mod worker;

use std::collections::HashSet;
use std::io::{ErrorKind, Read};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::config::{Level, Message};
use crate::model::Config;
use listener::Listener;
use shared::Shared;
use worker::{Control, Mailbox, Worker};

/// How the process was asked to run (from the command line).
#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// `-d` / `-db`, or neither `-D` nor `daemon`: stay in the foreground; otherwise fork
    /// into the background once the listeners are bound.
    pub foreground: bool,
    /// `-p <file>`: write our pid there. HAProxy only does so in daemon (`-D`) or
    /// master-worker (`-W`) mode; in the foreground (`-d`, `-db`, no flag) it is ignored.
    pub pidfile: Option<String>,
    /// `argv[0]` as given: HAProxy's start-up alerts begin with `[<argv[0]>.main()]`.
    pub argv0: String,
    /// `-q` (without `-V`): nothing on stderr, not even alerts, as HAProxy's quiet mode.
    pub quiet: bool,
    /// `-d`: HAProxy's debug output (polling banner, per-stream traces on stdout).
    pub debug: bool,
    /// `-sf`/`-st`: processes told to finish (SIGUSR1) or stop (SIGTERM) once we listen.
    pub old_pids: Vec<i32>,
    pub old_pids_terminate: bool,
    /// `-W`: HAProxy's master exits with status 130 (128 + SIGINT) when SIGINT stopped it
    /// (0 after SIGTERM), which VTest requires of `haproxy hN -W` instances.
    pub master_worker: bool,
    /// A master-worker worker: the socket on which to tell the master it listens (one
    /// byte, then closed), so that the master announces "Loading success." and systemd
    /// readiness only once connections are served.
    pub ready_fd: Option<i32>,
    /// `-x <path>`: take the listening sockets of the process serving this stats socket.
    pub takeover_socket: Option<String>,
}

/// Runs `cfg` until SIGINT/SIGTERM (or SIGUSR1 once idle). Returns the exit status:
/// 0 after a signal-requested stop (130 after SIGINT with `-W`), 1 when start-up fails.
pub fn run(cfg: Config, opts: &RunOpts) -> i32 {
    // One message per line: HAProxy prints each alert with its own prefix.
    let say = |level: Level, text: &str| {
        if !opts.quiet {
            text.lines().for_each(|l| print_msg(level, l));
        }
    };
    let argv0 = if opts.argv0.is_empty() {
        "haproxy"
    } else {
        opts.argv0.as_str()
    };
    let main_tag = format!("[{argv0}.main()]");
    // `ulimit-n`, else what the connections need (HAProxy's `global.maxsock`): a soft limit
    // of 1024 under a high hard limit would otherwise refuse connections far below maxconn.
    // Unlike HAProxy, a computed value never lowers the limit: haproxy-rs's own threads
    // (checks, CLI, loggers) hold a few descriptors HAProxy's count does not foresee.
    let (nofile, exact) = match cfg.global.ulimit_n.filter(|&n| n > 0) {
        Some(n) => (n as u64, true),
        None => (ideal_maxsock(&cfg), false),
    };
    if let Err(cur) = set_nofile(nofile, exact) {
        say(
            Level::Warning,
            &format!("{main_tag} Cannot raise FD limit to {nofile}, limit is {cur}."),
        );
    }
    if let Some(path) = &opts.takeover_socket {
        match takeover::fetch(path) {
            Ok(socks) => listener::set_preopened(socks),
            Err(_) => {
                say(
                    Level::Alert,
                    "Failed to get the sockets from the old process!",
                );
                return 1;
            }
        }
    }
    let rt = Runtime::new_with(&cfg, opts.debug);
    // Sockets taken over that this configuration does not listen on any more.
    if opts.takeover_socket.is_some() {
        drop(listener::take_all_preopened());
    }
    let mut rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            say(Level::Alert, &e.replace("[haproxy.main()]", &main_tag));
            return 1;
        }
    };
    rt.set_quiet(opts.quiet);
    for w in &rt.warnings {
        say(Level::Warning, w);
    }
    let pidfile = opts
        .pidfile
        .as_ref()
        .filter(|_| opts.master_worker || !opts.foreground);
    if !opts.foreground && !opts.master_worker {
        // Daemon mode (`-D`, or `daemon` without `-d`/`-db`): listeners are bound, so a
        // configuration that cannot start fails in the foreground; the parent writes the
        // child's pid and exits, the child detaches.
        match daemonize() {
            Ok(Some(child)) => {
                if let Some(p) = pidfile {
                    if std::fs::write(p, format!("{child}\n")).is_err() {
                        say(
                            Level::Alert,
                            &format!("{main_tag} Cannot create pidfile {p}"),
                        );
                        return 1;
                    }
                }
                return 0;
            }
            Ok(None) => {}
            Err(e) => {
                say(Level::Alert, &format!("{main_tag} Cannot fork: {e}."));
                return 1;
            }
        }
    } else if let Some(p) = pidfile {
        if std::fs::write(p, format!("{}\n", std::process::id())).is_err() {
            say(
                Level::Alert,
                &format!("{main_tag} Cannot create pidfile {p}"),
            );
            return 1;
        }
    }
    // As haproxy.c does in the process that serves, once the listeners are bound: chroot,
    // then the group, then the user (before any thread exists).
    if let Err(e) = set_identity(&cfg.global) {
        say(Level::Alert, &format!("{main_tag} {e}"));
        return 1;
    }
    if opts.debug && !opts.quiet {
        debug_banner(&cfg, rt.shared.limit.max());
    }
    // The old processes of a reload stop accepting once we do (our listeners share their
    // ports through SO_REUSEPORT).
    let sig = if opts.old_pids_terminate {
        libc::SIGTERM
    } else {
        libc::SIGUSR1
    };
    for &pid in &opts.old_pids {
        // SAFETY: kill() only takes integers; a pid that no longer exists gives ESRCH.
        unsafe {
            libc::kill(pid, sig);
        }
    }
    if let Some(fd) = opts.ready_fd {
        // SAFETY: the descriptor the master gave us for this one purpose; written once and
        // closed, nothing else owns it.
        unsafe {
            libc::write(fd, b"R".as_ptr().cast(), 1);
            libc::close(fd);
        }
    }
    match rt.run_with_signals() {
        // A worker stopped by a signal reports it as HAProxy's workers do (128 + signal),
        // which the master turns into its own status (130 after SIGINT).
        Ok(()) if opts.master_worker && rt.stop_signal().is_some() => {
            128 + rt.stop_signal().unwrap_or(0)
        }
        Ok(()) => 0,
        Err(e) => {
            say(Level::Alert, &format!("event loop failed: {e}"));
            1
        }
    }
}

/// `chroot`, `gid`/`group`, `uid`/`user` (haproxy.c's chroot block and
/// `set_identity()`): the messages are HAProxy's alerts, without the `[argv0.main()]` tag.
fn set_identity(g: &crate::model::global::Global) -> Result<(), String> {
    if let Some(dir) = &g.chroot {
        let c =
            std::ffi::CString::new(dir.as_str()).map_err(|_| format!("Cannot chroot({dir})."))?;
        // SAFETY: a NUL-terminated path that outlives the call, then a literal.
        let ok = unsafe { libc::chroot(c.as_ptr()) == 0 && libc::chdir(c"/".as_ptr()) == 0 };
        if !ok {
            return Err(format!("Cannot chroot({dir})."));
        }
    }
    if let Some(gid) = g.gid {
        // SAFETY: plain syscalls on integers (setgroups with an empty list).
        unsafe {
            libc::setgroups(0, std::ptr::null());
            if libc::setgid(gid) == -1 {
                return Err(format!("Cannot set gid {gid}."));
            }
        }
    }
    if let Some(uid) = g.uid {
        // SAFETY: a plain syscall on an integer.
        if unsafe { libc::setuid(uid) } == -1 {
            return Err(format!("Cannot set uid {uid}."));
        }
    }
    Ok(())
}

/// HAProxy's `compute_ideal_maxsock()` with its reserved descriptors: ten, one per
/// listener (the CLI's included) and the CLI's own `maxconn` (`stats maxconn`, 10), two per
/// connection, a poller and a wake-up pipe per thread.
fn ideal_maxsock(cfg: &Config) -> u64 {
    let mut listeners: u64 = 0;
    for px in cfg.real_proxies().filter(|p| p.cap.is_fe() && !p.disabled) {
        for a in px.binds.iter().flat_map(|b| &b.addrs) {
            listeners += match a {
                crate::model::bind::ListenAddr::Inet { addr, port_end } => {
                    u64::from(port_end.saturating_sub(addr.port())) + 1
                }
                _ => 1,
            };
        }
    }
    let cli: u64 = cfg
        .global
        .stats_sockets
        .iter()
        .map(|b| b.addrs.len() as u64)
        .sum();
    let cli_conns = if cli > 0 {
        u64::from(cfg.global.stats_maxconn.unwrap_or(10))
    } else {
        0
    };
    let threads = shared::nbthread(cfg) as u64;
    let maxconn = u64::from(shared::global_maxconn(cfg, (listeners + cli) as usize));
    10 + listeners + cli + cli_conns + 2 * maxconn + 3 * threads
}

/// The soft limit of open files becomes `n` (only if higher unless `exact`), the hard one
/// at least that (HAProxy's `raise_rlim_nofile()`); when that is refused, the soft limit goes as high as the hard
/// one allows and `Err` carries it.
fn set_nofile(n: u64, exact: bool) -> Result<(), u64> {
    // SAFETY: getrlimit/setrlimit on local structs.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        if r.rlim_cur == n || (!exact && r.rlim_cur > n) {
            return Ok(());
        }
        let want = libc::rlimit {
            rlim_cur: n,
            rlim_max: r.rlim_max.max(n),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
            return Ok(());
        }
        let most = libc::rlimit {
            rlim_cur: r.rlim_max,
            rlim_max: r.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_NOFILE, &most);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        Err(r.rlim_cur)
    }
}

/// Forks into the background: `Ok(Some(pid))` in the parent, `Ok(None)` in the child,
/// which is in a new session with its standard streams on `/dev/null` (HAProxy's
/// `stdio_quiet()` and `setsid()`).
fn daemonize() -> std::io::Result<Option<i32>> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: called before any thread of the runtime exists (workers, checks, CLI and
    // signal threads start in `run_with_signals`), so the child is a whole copy.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => {
            // SAFETY: plain syscalls on integers and a NUL-terminated path literal; the
            // descriptors 0-2 are replaced atomically by dup2.
            unsafe {
                libc::setsid();
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 {
                    for fd in 0..3 {
                        libc::dup2(null, fd);
                    }
                    if null > 2 {
                        libc::close(null);
                    }
                }
            }
            Ok(None)
        }
        child => Ok(Some(child)),
    }
}

/// What HAProxy prints when it starts with `-d`: the computed maxconn, the pollers and
/// filters on stderr, the poller chosen on stdout.
fn debug_banner(cfg: &Config, maxconn: u32) {
    if cfg.global.maxconn.is_none() {
        eprintln!("Note: setting global.maxconn to {maxconn}.");
    }
    eprint!(
        "Available polling systems :\n      epoll : pref=300,  test result OK\n       poll : pref=200,  test result OK\n     select : pref=150,  test result FAILED\nTotal: 3 (2 usable), will use epoll.\n\nAvailable filters :\n\t[CACHE] cache\n\t[COMP] compression\n\t[FCGI] fcgi-app\n\t[SPOE] spoe\n\t[TRACE] trace\n"
    );
    println!("Using epoll() as the polling mechanism.");
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

/// Asks a running [`Runtime`] to stop, from any thread.
#[derive(Clone)]
pub struct Stopper {
    ctl: Arc<Control>,
    mailboxes: Arc<Vec<Arc<Mailbox>>>,
}

impl Stopper {
    pub fn stop(&self) {
        self.ctl.stop.store(true, Ordering::SeqCst);
        self.wake_all();
    }
    /// SIGUSR1: stop listening, let connections finish, then return.
    pub fn soft_stop(&self) {
        self.ctl.soft_stop.store(true, Ordering::SeqCst);
        self.wake_all();
    }
    fn wake_all(&self) {
        for m in self.mailboxes.iter() {
            let _ = m.waker.wake();
        }
    }
}

/// The open listeners of a configuration and the worker threads that will serve them.
pub struct Runtime {
    shared: Arc<Shared>,
    listeners: Vec<Listener>,
    /// One poller and mailbox per worker, created up front so that the queue's wake-up
    /// callbacks can reach every worker before any request arrives.
    pollers: Vec<mio::Poll>,
    mailboxes: Arc<Vec<Arc<Mailbox>>>,
    ctl: Arc<Control>,
    /// `grace`: after SIGUSR1, keep listening this long before stopping to.
    grace: Option<std::time::Duration>,
    /// `hard-stop-after`: after SIGUSR1, close everything this long after anyway.
    hard_stop_after: Option<std::time::Duration>,
    /// The signal that stopped [`Runtime::run_with_signals`] (0 = none yet).
    stop_signal: Arc<std::sync::atomic::AtomicI32>,
    /// What the runtime cannot honour in this configuration, for the start-up warnings.
    pub warnings: Vec<String>,
    /// The health and agent checks (`None` without any), run on their own thread.
    checker: Option<check::Checker>,
    /// The stats sockets (`None` without any), served on their own thread.
    cli: Option<cli::Cli>,
    /// `cpu-map`: each worker thread's CPUs.
    cpus: Vec<Option<Vec<u32>>>,
}

impl Runtime {
    /// Compiles the proxies and opens their listeners. `Err` is HAProxy's alert text.
    pub fn new(cfg: &Config) -> Result<Runtime, String> {
        Runtime::new_with(cfg, false)
    }

    /// [`Runtime::new`], with `-d`'s traces when `debug`.
    pub fn new_with(cfg: &Config, debug: bool) -> Result<Runtime, String> {
        let with_dispatch;
        let cfg = match dispatch_servers(cfg) {
            Some(c) => {
                with_dispatch = c;
                &with_dispatch
            }
            None => cfg,
        };
        let mut warnings = Vec::new();
        let mut listeners = Vec::new();
        let mut used_fds = HashSet::new();
        let mut fronts = Vec::new();
        let reuse_port = !cfg.global.other.iter().any(|(k, _, _)| k == "noreuseport");
        for px in cfg.real_proxies().filter(|p| p.cap.is_fe() && !p.disabled) {
            if px.binds.is_empty() {
                continue;
            }
            let idx = fronts.len();
            fronts.push(px);
            let opened = listener::open_proxy(px, idx, &mut used_fds, &mut warnings, reuse_port)
                .map_err(|e| {
                    format!("{e}\n[haproxy.main()] Some protocols failed to start their listeners! Exiting.")
                })?;
            listeners.extend(opened);
        }
        // HAProxy counts its CLI sockets among the listeners: a configuration whose only
        // listener is a `stats socket` (backends with health checks, the reg-tests driving
        // the CLI) starts. The CLI itself is not served yet (its keywords warn so).
        if listeners.is_empty() && cfg.global.stats_sockets.is_empty() {
            return Err("[haproxy.main()] No enabled listener found (check for 'bind' directives) ! Exiting.".into());
        }
        if cfg
            .global
            .stats_sockets
            .iter()
            .any(|b| b.options.expose_fd_listeners)
        {
            use std::os::fd::AsFd;
            let copies = listeners
                .iter()
                .filter_map(|l| match &l.sock {
                    stream::ListenSock::Tcp(t) => t.as_fd().try_clone_to_owned().ok(),
                    stream::ListenSock::Unix(u) => u.as_fd().try_clone_to_owned().ok(),
                })
                .collect();
            takeover::expose(copies);
        }
        let per_listener: Vec<_> = listeners
            .iter()
            .map(|l| {
                (
                    l.proxy,
                    l.maxconn,
                    l.accept_proxy,
                    l.name.clone(),
                    l.id,
                    l.bind,
                )
            })
            .collect();
        let mut shared = Shared::build(cfg, &fronts, &per_listener, &mut warnings)?;
        shared.debug = debug;
        let srvs: Vec<usize> = shared.backends.iter().map(|b| b.addrs.len()).collect();
        shared.admin = admin::AdminStates::new(&shared.backends);
        shared.counters = crate::stats::counters::Counters::new(
            shared::nbthread(cfg),
            shared.frontends.len(),
            &srvs,
        );
        shared.proc_base = cli::ProcBase::new(cfg, &shared);
        let shared = Arc::new(shared);
        let checker = check::Checker::new(cfg, shared.clone(), &mut warnings);
        let mut seen = HashSet::new();
        warnings.retain(|w| seen.insert(w.clone()));
        let nbthread = shared::nbthread(cfg);
        let mut pollers = Vec::new();
        let mut mailboxes = Vec::new();
        for _ in 0..nbthread {
            let (p, m) = Worker::poller().map_err(|e| format!("cannot create poller: {e}"))?;
            pollers.push(p);
            mailboxes.push(m);
        }
        let mailboxes = Arc::new(mailboxes);
        for be in &shared.backends {
            let mb = mailboxes.clone();
            be.queue.set_wakeup(Some(Arc::new(move |id, tag| {
                if let Some(m) = mb.get(tag >> 32) {
                    m.post(id, tag & 0xffff_ffff);
                }
            })));
        }
        let cli = cli::Cli::open(cfg, shared.clone(), mailboxes.clone(), &mut used_fds)?;
        let ms = |v: Option<u32>| {
            v.filter(|&v| v > 0)
                .map(|v| std::time::Duration::from_millis(v.into()))
        };
        Ok(Runtime {
            shared,
            listeners,
            pollers,
            mailboxes,
            ctl: Arc::new(Control::default()),
            grace: ms(cfg.global.grace),
            hard_stop_after: ms(cfg.global.hard_stop_after),
            stop_signal: Arc::default(),
            warnings,
            checker,
            cli,
            cpus: affinity::thread_cpus(&cfg.global.cpu_map_sets, nbthread),
        })
    }

    /// `-q`: the checks' state changes are not printed either.
    pub fn set_quiet(&mut self, quiet: bool) {
        if let Some(c) = self.checker.as_mut() {
            c.quiet = quiet;
        }
    }

    /// The local addresses actually listened on (useful with port 0 and `fd@`).
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.sock.local_inet())
            .collect()
    }

    /// The live queue of backend `name` (the one the workers use), for embedders.
    pub fn backend(&self, name: &str) -> Option<Arc<crate::queue::Backend>> {
        self.shared
            .backends
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.queue.clone())
    }

    /// The instant the runtime's queue clock counts from: every `now_ms` the workers give
    /// the queues is milliseconds since it (for embedders driving the live backends).
    pub fn epoch(&self) -> std::time::Instant {
        self.shared.epoch
    }

    /// The signal (SIGINT or SIGTERM) that ended [`Runtime::run_with_signals`], if any.
    pub fn stop_signal(&self) -> Option<i32> {
        match self.stop_signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            ctl: self.ctl.clone(),
            mailboxes: self.mailboxes.clone(),
        }
    }

    /// SIGUSR1 before the start: close the listeners now (the workers then find nothing to
    /// serve and return at once).
    pub fn begin_soft_stop(&mut self) {
        self.listeners.clear();
        self.ctl.soft_stop.store(true, Ordering::SeqCst);
    }

    /// Runs until SIGINT/SIGTERM, a [`Stopper`], or SIGUSR1 followed by idleness.
    pub fn run_with_signals(&mut self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
        let (rd, wr) = std::os::unix::net::UnixStream::pair()?;
        let usr1 = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let int = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let term = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM, SIGUSR1] {
            // The flag is set before the wakeup byte is written (actions run in order).
            let flag = match sig {
                SIGUSR1 => &usr1,
                SIGINT => &int,
                _ => &term,
            };
            ids.push(signal_hook::flag::register(sig, flag.clone())?);
            ids.push(signal_hook::low_level::pipe::register(
                sig,
                wr.try_clone()?,
            )?);
        }
        drop(wr);
        // A master-worker worker starts with its signals blocked (see `master`): they may
        // come now that the handlers are ours.
        master::unblock_signals();
        let stopper = self.stopper();
        let handles = self.spawn()?;
        // The main thread only waits for signals and for the workers to finish.
        let (grace, hard_stop_after) = (self.grace, self.hard_stop_after);
        let watcher = {
            let ctl = self.ctl.clone();
            let stop_signal = self.stop_signal.clone();
            let mut rd = rd;
            std::thread::spawn(move || {
                let mut b = [0u8; 64];
                loop {
                    if ctl.running.load(Ordering::SeqCst) == 0 {
                        return;
                    }
                    match rd.read(&mut b) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => return,
                    }
                    let sig = if int.load(Ordering::SeqCst) {
                        SIGINT
                    } else if term.load(Ordering::SeqCst) {
                        SIGTERM
                    } else {
                        0
                    };
                    if sig != 0 {
                        stop_signal.store(sig, Ordering::SeqCst);
                        stopper.stop();
                        return;
                    }
                    if usr1.swap(false, Ordering::SeqCst) {
                        soft_stop_later(&stopper, grace, hard_stop_after);
                    }
                }
            })
        };
        let res = join(handles);
        for id in ids {
            signal_hook::low_level::unregister(id);
        }
        // Unblocks the watcher if the workers ended on their own (soft stop).
        drop(watcher);
        res
    }

    /// Runs until a [`Stopper`] is used (no signal handling: for embedding and tests).
    pub fn run(&mut self) -> std::io::Result<()> {
        let handles = self.spawn()?;
        join(handles)
    }

    fn spawn(&mut self) -> std::io::Result<Vec<std::thread::JoinHandle<std::io::Result<()>>>> {
        let n = self.pollers.len();
        let listeners = std::mem::take(&mut self.listeners);
        // Every worker accepts from every listener (the kernel hands each connection to one
        // of them, the others get EAGAIN): copies for all but the last, which takes the
        // originals.
        let mut per_worker = Vec::with_capacity(n);
        for _ in 1..n {
            let copies = listeners
                .iter()
                .map(|l| Ok((l.sock_clone()?, l.proxy)))
                .collect::<std::io::Result<Vec<_>>>()?;
            per_worker.push(copies);
        }
        per_worker.push(listeners.into_iter().map(|l| (l.sock, l.proxy)).collect());
        self.ctl.running.store(n, Ordering::SeqCst);
        let pollers = std::mem::take(&mut self.pollers);
        let mut out = Vec::with_capacity(n);
        for (id, (poll, socks)) in pollers.into_iter().zip(per_worker).enumerate() {
            let w = Worker::new(
                id,
                poll,
                self.mailboxes.clone(),
                self.shared.clone(),
                socks,
                self.ctl.clone(),
            )?;
            let cpus = self.cpus.get(id).cloned().flatten();
            out.push(
                std::thread::Builder::new()
                    .name(format!("haproxy-rs-{}", id + 1))
                    .spawn(move || {
                        if let Some(c) = &cpus {
                            affinity::bind_current_thread(c);
                        }
                        w.run()
                    })?,
            );
        }
        if let Some(c) = self.cli.take() {
            let ctl = self.ctl.clone();
            out.push(
                std::thread::Builder::new()
                    .name("haproxy-rs-cli".into())
                    .spawn(move || c.run(ctl))?,
            );
        }
        if let Some(mut c) = self.checker.take() {
            c.mailboxes = self.mailboxes.clone();
            let ctl = self.ctl.clone();
            out.push(
                std::thread::Builder::new()
                    .name("haproxy-rs-checks".into())
                    .spawn(move || c.run(ctl))?,
            );
        }
        Ok(out)
    }
}

/// SIGUSR1 with `grace` (keep serving new connections a while, so a load balancer in front
/// notices the health change first) and `hard-stop-after` (connections still open by then
/// are closed). Each delay runs on its own thread: the workers only see the flags.
fn soft_stop_later(
    stopper: &Stopper,
    grace: Option<std::time::Duration>,
    hard_stop_after: Option<std::time::Duration>,
) {
    let st = stopper.clone();
    std::thread::spawn(move || {
        if let Some(g) = grace {
            std::thread::sleep(g);
        }
        st.soft_stop();
        if let Some(h) = hard_stop_after {
            std::thread::sleep(h);
            st.stop();
        }
    });
}

fn join(handles: Vec<std::thread::JoinHandle<std::io::Result<()>>>) -> std::io::Result<()> {
    let mut res = Ok(());
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => res = Err(e),
            Err(_) => res = Err(std::io::Error::other("a worker thread panicked")),
        }
    }
    res
}

/// `dispatch <addr>`: a backend without servers sends every connection to that address,
/// which the runtime serves as one unnamed server; `option transparent` likewise, to
/// `0.0.0.0` (where the client connected, see `Target::FromDst`). `None` when no backend
/// uses either.
fn dispatch_servers(cfg: &Config) -> Option<Config> {
    use std::net::ToSocketAddrs;
    let transparent = |p: &crate::model::Proxy| p.settings.option("transparent") == Some(true);
    let uses = |p: &crate::model::Proxy| {
        (p.settings.dispatch.is_some() || transparent(p)) && p.servers.is_empty()
    };
    if !cfg.proxies.iter().any(uses) {
        return None;
    }
    let mut c = cfg.clone();
    for p in c.proxies.iter_mut().filter(|p| uses(p)) {
        let text = match &p.settings.dispatch {
            Some(d) => d.clone(),
            None => "0.0.0.0:0".to_string(),
        };
        let addr = text.to_socket_addrs().ok().and_then(|mut a| a.next());
        p.servers.push(crate::model::server::Server {
            name: String::new(),
            loc: p.loc.clone(),
            addr_text: text,
            addr,
            weight: 1,
            ..Default::default()
        });
    }
    Some(c)
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
    fn stopping_is_true_for_requests_after_a_soft_stop() {
        let pre = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = pre.local_addr().unwrap();
        let mut cfg = testutil::listen(&[
            "http-request return status 200 hdr x-stop \"%[stopping]\" hdr x-proc \"%[proc]\"",
        ]);
        let px = cfg.proxies.iter_mut().find(|p| p.name == "l").unwrap();
        px.binds[0].addrs = vec![ListenAddr::Fd {
            fd: pre.into_raw_fd(),
        }];
        let mut rt = Runtime::new(&cfg).unwrap();
        let stopper = rt.stopper();
        let th = std::thread::spawn(move || rt.run());
        let out = exchange(addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert!(out.contains("x-stop: 0\r\nx-proc: 1\r\n"), "{out}");
        // A request whose head is still incomplete when the soft stop begins.
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        stopper.soft_stop();
        // The listener closes once the worker has begun the soft stop.
        let mut closed = false;
        for _ in 0..100_000 {
            match std::net::TcpStream::connect(addr) {
                Ok(_) => std::thread::yield_now(),
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        assert!(closed, "the listener stayed open");
        c.write_all(b"Connection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert!(out.contains("x-stop: 1\r\n"), "{out}");
        th.join().unwrap().unwrap();
    }

    #[test]
    fn no_listener_is_haproxys_alert() {
        let err = Runtime::new(&Config::default()).err().unwrap();
        assert!(err.contains("No enabled listener found"), "{err}");
    }
}
