//! The master process of master-worker mode (`-W`, `-Ws`, `master-worker`), as HAProxy
//! 2.6's `mworker.c` and the master half of `haproxy.c`.
//!
//! The master binds the frontends' listening sockets itself, then forks a worker (the
//! ordinary runtime) which inherits them. It never serves traffic: it forwards signals,
//! reaps workers, answers the master CLI (`-S`) and reloads. A reload (SIGUSR2, SIGHUP or
//! the CLI's `reload`) re-executes the master's own binary with the original arguments plus
//! `-sf <current pids>`; the listening sockets survive the `execve` (their descriptors are
//! listed in the environment), so the new worker accepts from the very sockets the old one
//! used. The old worker is told to finish (SIGUSR1) by the new one once it listens, and
//! stops accepting; connections waiting in the shared accept queue are taken by the new
//! worker, none is refused (separate SO_REUSEPORT sockets would reset the old socket's
//! queue when it closes). A configuration that fails to load leaves the master in "wait
//! mode" with the old workers still serving.

pub mod cli;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mio::{Events, Interest, Poll, Token};

use super::listener;
use super::stream::{ListenSock, Stream};
use crate::config::Level;
use crate::model::bind::ListenAddr;
use crate::model::{Bind, Config};
use cli::{Cmd, ProcRow, Target};

/// Set in the environment of a re-executed master (HAProxy's name; scripts test it).
pub const ENV_REEXEC: &str = "HAPROXY_MWORKER_REEXEC";
/// The master's state handed to its re-executed self: dates, reload counts, workers.
const ENV_STATE: &str = "HAPROXY_RS_MWORKER_STATE";
/// The listening sockets handed to the re-executed master: `key\tfd` lines.
const ENV_LISTENERS: &str = "HAPROXY_RS_MWORKER_LISTENERS";

const SIGNALS: [i32; 9] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGHUP,
    libc::SIGCHLD,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGQUIT,
];

const T_SIG: Token = Token(0);
const T_LISTEN: usize = 1 << 16;
const T_CONN: usize = 2 << 16;
const T_READY: usize = 4 << 20;

/// How the master was asked to run.
#[derive(Debug, Clone, Default)]
pub struct MasterOpts {
    /// The command line as given (re-executed on reload without its `-sf`/`-st`/`-x`).
    pub argv: Vec<String>,
    /// `-S` listeners.
    pub cli: Vec<Bind>,
    /// `-Ws`: tell systemd (`NOTIFY_SOCKET`) about readiness, reloads and the stop.
    pub systemd: bool,
    /// `-D` / `daemon`: the master goes to the background; the pidfile holds its pid.
    pub daemon: bool,
    pub pidfile: Option<String>,
    pub quiet: bool,
    /// `mworker-max-reloads`: workers that survived more reloads get SIGTERM.
    pub max_reloads: Option<u32>,
    /// `master-worker no-exit-on-failure`.
    pub no_exit_on_failure: bool,
    /// `noreuseport` / `-dR`.
    pub no_reuseport: bool,
    /// What each worker runs with (the pids to stop and the readiness descriptor are
    /// filled in per worker).
    pub worker: super::RunOpts,
}

/// Whether this process is a master re-executed by a reload.
pub fn reexecuted() -> bool {
    std::env::var_os(ENV_REEXEC).is_some() && std::env::var_os(ENV_STATE).is_some()
}

/// HAProxy prints its version banner once per process image, before the image's first
/// warning or alert, and its master re-executes itself (into wait mode) after every load:
/// the banner is due again then. (The configuration loader prints it for the loading
/// image.)
static BANNER_DUE: AtomicBool = AtomicBool::new(false);

fn announce_reexec() {
    BANNER_DUE.store(true, Ordering::Relaxed);
}

fn say(level: Level, text: &str) {
    if matches!(level, Level::Warning | Level::Alert) && BANNER_DUE.swap(false, Ordering::Relaxed) {
        super::print_msg(
            Level::Notice,
            &format!("haproxy version is {}", crate::version::VERSION_STRING),
        );
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        super::print_msg(Level::Notice, &format!("path to executable is {exe}"));
    }
    super::print_msg(level, text);
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One worker.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Child {
    pid: i32,
    reloads: u32,
    started: u64,
    leaving: bool,
    /// Its runtime reported it listens (workers inherited through a reload count as ready).
    ready: bool,
    /// A `program` section's process (its name), not a worker.
    prog: Option<String>,
}

/// What survives a re-execution.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    started: u64,
    reloads: u32,
    failed: u32,
    children: Vec<Child>,
}

impl State {
    fn encode(&self) -> String {
        let mut s = format!("{} {} {}", self.started, self.reloads, self.failed);
        for c in &self.children {
            s += &format!(
                ";{}:{}:{}:{}:{}",
                c.pid,
                c.reloads,
                c.started,
                c.leaving as u8,
                c.prog.as_deref().unwrap_or("")
            );
        }
        s
    }

    fn decode(s: &str) -> Option<State> {
        let mut parts = s.split(';');
        let mut head = parts.next()?.split(' ').map(|v| v.parse::<u64>().ok());
        let (started, reloads, failed) = (head.next()??, head.next()??, head.next()??);
        let mut children = Vec::new();
        for p in parts {
            let mut it = p.splitn(5, ':');
            let mut num = || it.next()?.parse::<u64>().ok();
            let (pid, reloads, started, leaving) = (num()?, num()?, num()?, num()?);
            let prog = it.next()?;
            children.push(Child {
                pid: pid as i32,
                reloads: reloads as u32,
                started,
                leaving: leaving != 0,
                ready: true,
                prog: (!prog.is_empty()).then(|| prog.to_string()),
            });
        }
        Some(State {
            started,
            reloads: reloads as u32,
            failed: failed as u32,
            children,
        })
    }
}

/// `-sf`/`-st` with their pids and `-x <socket>` removed, as HAProxy's `copy_argv()` keeps
/// the arguments for re-execution.
pub fn strip_reload_args(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut i = 0;
    while i < argv.len() {
        let a = argv[i].as_str();
        if i > 0 && (a == "-sf" || a == "-st") {
            i += 1;
            while i < argv.len() && !argv[i].starts_with('-') {
                i += 1;
            }
            continue;
        }
        if i > 0 && a == "-x" {
            i += 2;
            continue;
        }
        if i > 0 && a == "--" {
            out.extend(argv[i..].iter().cloned());
            break;
        }
        out.push(argv[i].clone());
        i += 1;
    }
    out
}

/// Blocks the signals the master handles: across the `execve` of a reload they wait until
/// the new master has its handlers (a second SIGUSR2 would otherwise kill it).
fn block_signals(block: bool) {
    // SAFETY: a sigset_t built on the stack with the libc helpers, then a mask change of the
    // calling thread (the master is single-threaded).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        let how = if block {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

/// Unblocks what a reload blocked (for a re-executed process that does not become a master).
pub fn unblock_signals() {
    block_signals(false);
}

/// `sd_notify()`: one datagram to `$NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Errors are ignored, as libsystemd's callers do.
fn sd_notify(msg: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let path = path.to_string_lossy().into_owned();
    let Ok(s) = std::os::unix::net::UnixDatagram::unbound() else {
        return;
    };
    if let Some(name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        if let Ok(a) = std::os::unix::net::SocketAddr::from_abstract_name(name) {
            let _ = s.send_to_addr(msg.as_bytes(), &a);
        }
    } else {
        let _ = s.send_to(msg.as_bytes(), &path);
    }
}

/// The abstract socket a worker serves the master's `@<n>` commands on.
fn worker_cli_name(pid: i32) -> String {
    format!("haproxy-rs-mworker-{pid}")
}

struct Conn {
    stream: Stream,
    pending: Vec<u8>,
    prompt: bool,
}

/// The master's resources; a forked worker drops them all.
struct Master {
    mo: MasterOpts,
    st: State,
    poll: Poll,
    sig_rx: mio::net::UnixStream,
    sig_ids: Vec<signal_hook::SigId>,
    flags: Vec<(i32, Arc<AtomicBool>)>,
    listeners: Vec<ListenSock>,
    conns: Vec<Option<Conn>>,
    /// Per worker not ready yet: its pid and our end of its readiness socket.
    ready: Vec<(i32, mio::net::UnixStream)>,
    /// A worker was ever forked or inherited (before that, "no child" is not the end).
    had_children: bool,
    exitcode: i32,
    stopping: bool,
}

/// Runs the master: `cfg` is the loaded configuration, `None` when loading failed in a
/// re-executed master (wait mode: the old workers keep serving). Returns the exit status.
pub fn run(cfg: Option<Config>, mo: MasterOpts) -> i32 {
    let reexec = reexecuted();
    let mut st = std::env::var(ENV_STATE)
        .ok()
        .filter(|_| reexec)
        .and_then(|s| State::decode(&s))
        .unwrap_or(State {
            started: now_secs(),
            reloads: 0,
            failed: 0,
            children: Vec::new(),
        });
    std::env::remove_var(ENV_STATE);
    if reexec {
        listener::set_preopened(inherited_listeners());
    }
    let cfg = match cfg {
        Some(c) => Some(c),
        None if st.children.is_empty() => return 1,
        None => None,
    };
    // The sockets this configuration listens on, reusing those of the previous master.
    let mut failed_load = cfg.is_none();
    if let Some(c) = &cfg {
        match listener::open_for_master(c, !mo.no_reuseport) {
            Ok(socks) => listener::set_preopened(socks),
            Err(e) => {
                if !mo.quiet {
                    say(Level::Alert, &e);
                    say(
                        Level::Alert,
                        "[haproxy.main()] Some protocols failed to start their listeners! Exiting.",
                    );
                }
                if st.children.is_empty() {
                    return 1;
                }
                failed_load = true;
            }
        }
    }
    if failed_load {
        // Wait mode: keep the inherited sockets for the next reload, serve nothing new.
        if !mo.quiet {
            say(Level::Warning, "Loading failure!");
            announce_reexec();
        }
        st.failed += 1;
        for c in st.children.iter_mut() {
            c.leaving = false;
        }
    }
    if mo.daemon && !reexec {
        match super::daemonize() {
            Ok(Some(_)) => return 0,
            Ok(None) => {}
            Err(e) => {
                say(Level::Alert, &format!("[haproxy.main()] Cannot fork: {e}."));
                return 1;
            }
        }
    }
    if let Some(p) = &mo.pidfile {
        if std::fs::write(p, format!("{}\n", std::process::id())).is_err() {
            say(
                Level::Alert,
                &format!("[{}.main()] Cannot create pidfile {p}", mo.worker.argv0),
            );
            return 1;
        }
    }
    let mut m = match Master::new(mo, st) {
        Ok(m) => m,
        Err(e) => {
            say(Level::Alert, &e);
            return 1;
        }
    };
    block_signals(false);
    if let Some(c) = cfg.filter(|_| !failed_load) {
        for ch in m.st.children.iter_mut() {
            ch.leaving = true;
        }
        // What the new worker tells to stop once it listens: the previous load's workers
        // and programs (not the programs kept by `no option start-on-reload`).
        let before: Vec<i32> = m.st.children.iter().map(|c| c.pid).collect();
        if let Err(e) = m.launch_programs(&c, reexec) {
            say(Level::Alert, &e);
            return 1;
        }
        let old = before
            .into_iter()
            .filter(|p| m.st.children.iter().any(|c| c.pid == *p && c.leaving))
            .collect();
        if let Err(e) = m.spawn_worker(c, old) {
            say(Level::Alert, &format!("[haproxy.main()] Cannot fork: {e}."));
            return 1;
        }
    } else if m.mo.systemd {
        sd_notify(&format!("READY=1\nMAINPID={}", std::process::id()));
    }
    m.run()
}

/// The listening sockets a reload passed in the environment; their descriptors become ours
/// again (close-on-exec, so that nothing else inherits them by accident).
fn inherited_listeners() -> Vec<(String, OwnedFd)> {
    let Ok(text) = std::env::var(ENV_LISTENERS) else {
        return Vec::new();
    };
    std::env::remove_var(ENV_LISTENERS);
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((key, fd)) = line.rsplit_once('\t') else {
            continue;
        };
        let Ok(fd) = fd.parse::<RawFd>() else {
            continue;
        };
        // SAFETY: fcntl on an integer; a descriptor that is not open answers EBADF.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
            continue;
        }
        // SAFETY: the previous master image listed this descriptor as a listening socket
        // it owned and left open for us; nothing else in this process refers to it.
        out.push((key.to_string(), unsafe { OwnedFd::from_raw_fd(fd) }));
    }
    out
}

impl Master {
    fn new(mo: MasterOpts, st: State) -> Result<Master, String> {
        let poll = Poll::new().map_err(|e| format!("cannot create poller: {e}"))?;
        let (rd, wr) = StdUnixStream::pair().map_err(|e| e.to_string())?;
        rd.set_nonblocking(true).map_err(|e| e.to_string())?;
        wr.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut sig_rx = mio::net::UnixStream::from_std(rd);
        poll.registry()
            .register(&mut sig_rx, T_SIG, Interest::READABLE)
            .map_err(|e| e.to_string())?;
        let mut sig_ids = Vec::new();
        let mut flags = Vec::new();
        for s in SIGNALS {
            let f = Arc::new(AtomicBool::new(false));
            let reg = signal_hook::flag::register(s, f.clone()).and_then(|id| {
                sig_ids.push(id);
                signal_hook::low_level::pipe::register(s, wr.try_clone()?)
            });
            sig_ids.push(reg.map_err(|e| e.to_string())?);
            flags.push((s, f));
        }
        let mut listeners = Vec::new();
        let mut used = std::collections::HashSet::new();
        for b in &mo.cli {
            let socks = listener::open_cli(b, &mut used).map_err(|e| {
                format!("Cannot create the listener of the master CLI\n{e}\nCan't create the master's CLI.")
            })?;
            listeners.extend(socks);
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            let r = match l {
                ListenSock::Tcp(t) => {
                    poll.registry()
                        .register(t, Token(T_LISTEN + i), Interest::READABLE)
                }
                ListenSock::Unix(u) => {
                    poll.registry()
                        .register(u, Token(T_LISTEN + i), Interest::READABLE)
                }
            };
            r.map_err(|e| e.to_string())?;
        }
        let had_children = !st.children.is_empty();
        Ok(Master {
            mo,
            st,
            poll,
            sig_rx,
            sig_ids,
            flags,
            listeners,
            conns: Vec::new(),
            ready: Vec::new(),
            had_children,
            exitcode: -1,
            stopping: false,
        })
    }

    /// `mworker_ext_launch_all()`: starts every `program` of `cfg` (on a reload, a program
    /// with `no option start-on-reload` keeps its running instance instead).
    fn launch_programs(&mut self, cfg: &Config, reexec: bool) -> Result<(), String> {
        for p in &cfg.programs {
            let Some(cmd) = p.command.clone().filter(|c| !c.is_empty()) else {
                continue;
            };
            if reexec && !p.start_on_reload {
                for c in self.st.children.iter_mut() {
                    if c.prog.as_deref() == Some(p.name.as_str()) {
                        c.leaving = false;
                    }
                }
                continue;
            }
            let uid = p.user.as_deref().and_then(user_id);
            let gid = p.group.as_deref().and_then(group_id);
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            block_signals(true);
            // SAFETY: the master is single-threaded; the child only execs.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                block_signals(false);
                return Err(format!("Cannot fork program '{}'.", p.name));
            }
            if pid == 0 {
                self.drop_for_worker();
                // SAFETY: prctl with integer arguments: a program does not outlive a
                // master that was killed (it kept across the exec).
                unsafe {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                }
                block_signals(false);
                std::env::remove_var(ENV_REEXEC);
                std::process::exit(exec_program(&cmd, uid, gid));
            }
            block_signals(false);
            self.st.children.push(Child {
                pid,
                reloads: 0,
                started: now_secs(),
                leaving: false,
                ready: true,
                prog: Some(p.name.clone()),
            });
            self.had_children = true;
            if !self.mo.quiet {
                say(
                    Level::Notice,
                    &format!("New program '{}' ({pid}) forked", p.name),
                );
            }
        }
        Ok(())
    }

    /// Forks a worker serving `cfg`; it stops the processes `old` once it listens.
    fn spawn_worker(&mut self, mut cfg: Config, old: Vec<i32>) -> std::io::Result<()> {
        let (mine, theirs) = StdUnixStream::pair()?;
        let master_pid = std::process::id() as i32;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // The worker starts with the signals blocked: one forwarded before its runtime has
        // its handlers (VTest stops instances right after the start) waits for them instead
        // of reaching the master's inherited, now empty, handlers. The runtime unblocks
        // them once its own are in place.
        block_signals(true);
        // SAFETY: the master is single-threaded (no thread is ever started in it), so the
        // child is a complete copy and may run anything.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if pid == 0 {
            drop(mine);
            self.drop_for_worker();
            // SAFETY: prctl with integer arguments: the kernel sends SIGTERM to this worker
            // when the master dies, as HAProxy's workers leave when their master is gone.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                if libc::getppid() != master_pid {
                    libc::_exit(1);
                }
            }
            std::env::remove_var(ENV_REEXEC);
            let me = std::process::id() as i32;
            cfg.global.stats_sockets.push(Bind {
                loc: Default::default(),
                text: format!("abns@{}", worker_cli_name(me)),
                addrs: vec![ListenAddr::Abns {
                    name: worker_cli_name(me),
                }],
                options: crate::model::bind::BindOptions {
                    level: Some("admin".into()),
                    ..Default::default()
                },
            });
            let mut ro = self.mo.worker.clone();
            ro.old_pids = old;
            ro.old_pids_terminate = false;
            ro.pidfile = None;
            ro.foreground = true;
            ro.master_worker = true;
            ro.ready_fd = Some(std::os::fd::IntoRawFd::into_raw_fd(theirs));
            let code = super::run(cfg, &ro);
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            std::process::exit(code);
        }
        block_signals(false);
        drop(theirs);
        mine.set_nonblocking(true)?;
        let mut mine = mio::net::UnixStream::from_std(mine);
        // pids stay below 2^22 (Linux's pid_max): the token names the worker.
        self.poll.registry().register(
            &mut mine,
            Token(T_READY + pid as usize),
            Interest::READABLE,
        )?;
        self.ready.push((pid, mine));
        self.st.children.push(Child {
            pid,
            reloads: 0,
            started: now_secs(),
            leaving: false,
            ready: false,
            prog: None,
        });
        self.had_children = true;
        if !self.mo.quiet {
            say(Level::Notice, &format!("New worker ({pid}) forked"));
        }
        Ok(())
    }

    /// In a freshly forked worker: nothing of the master stays (its signal handlers, poller,
    /// CLI sockets and the other workers' readiness sockets).
    fn drop_for_worker(&mut self) {
        // signal-hook's handlers stay installed (it believes so, and the runtime adds its
        // own actions to them); only the master's actions go.
        for id in self.sig_ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        self.listeners.clear();
        self.conns.clear();
        self.ready.clear();
        // The poller and the signal socket close with these replacements' drop.
        if let Ok(p) = Poll::new() {
            drop(std::mem::replace(&mut self.poll, p));
        }
        if let Ok((a, _)) = StdUnixStream::pair() {
            drop(std::mem::replace(
                &mut self.sig_rx,
                mio::net::UnixStream::from_std(a),
            ));
        }
    }

    fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(64);
        loop {
            if let Some(code) = self.reap() {
                return code;
            }
            if let Err(e) = self.poll.poll(&mut events, Some(Duration::from_secs(1))) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                say(Level::Alert, &format!("master poll failed: {e}"));
                return 1;
            }
            let toks: Vec<Token> = events.iter().map(|e| e.token()).collect();
            for t in toks {
                match t.0 {
                    0 => self.on_signals(),
                    t if t >= T_READY => self.on_ready(t - T_READY),
                    t if t >= T_CONN => self.on_conn(t - T_CONN),
                    t => self.on_accept(t - T_LISTEN),
                }
            }
        }
    }

    fn on_signals(&mut self) {
        let mut b = [0u8; 64];
        while matches!(self.sig_rx.read(&mut b), Ok(n) if n > 0) {}
        let fired: Vec<i32> = self
            .flags
            .iter()
            .filter(|(_, f)| f.swap(false, Ordering::SeqCst))
            .map(|(s, _)| *s)
            .collect();
        for s in fired {
            match s {
                libc::SIGINT | libc::SIGTERM | libc::SIGUSR1 => {
                    if self.mo.systemd {
                        sd_notify("STOPPING=1");
                    }
                    if !self.mo.quiet {
                        say(Level::Warning, "Exiting Master process...");
                    }
                    self.stopping = true;
                    self.kill_all(s);
                }
                libc::SIGUSR2 | libc::SIGHUP => self.reload(),
                libc::SIGTTIN | libc::SIGTTOU => self.kill_all(s),
                _ => {}
            }
        }
    }

    fn kill_all(&self, sig: i32) {
        for c in &self.st.children {
            if c.pid > 0 {
                // SAFETY: kill() on a positive pid of our own child.
                unsafe {
                    libc::kill(c.pid, sig);
                }
            }
        }
    }

    /// `mworker_catch_sigchld()`: reaps every exited worker; `Some(status)` once none is left.
    fn reap(&mut self) -> Option<i32> {
        loop {
            let mut status = 0;
            // SAFETY: waitpid with a pointer to a local int.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid > 0 {
                let code = if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else if libc::WIFSIGNALED(status) {
                    128 + libc::WTERMSIG(status)
                } else {
                    255
                };
                self.child_exited(pid, code);
                continue;
            }
            let echild =
                pid == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
            if echild && self.had_children {
                let code = self.exitcode.max(0);
                if !self.mo.quiet {
                    say(
                        Level::Warning,
                        &format!("All workers exited. Exiting... ({code})"),
                    );
                }
                return Some(code);
            }
            return None;
        }
    }

    fn child_exited(&mut self, pid: i32, code: i32) {
        let why = if code >= 128 {
            strsignal(code - 128)
        } else {
            "Exit".to_string()
        };
        self.ready.retain(|(p, _)| *p != pid);
        let Some(i) = self.st.children.iter().position(|c| c.pid == pid) else {
            say(
                Level::Warning,
                &format!("Process {pid} exited with code {code} ({why})"),
            );
            return;
        };
        let c = self.st.children.remove(i);
        let q = self.mo.quiet;
        if let Some(name) = &c.prog {
            if !q {
                let (lvl, which) = if c.leaving {
                    (Level::Warning, "Former")
                } else {
                    (Level::Alert, "Current")
                };
                say(
                    lvl,
                    &format!("{which} program '{name}' ({pid}) exited with code {code} ({why})"),
                );
            }
            if !c.leaving {
                self.exit_on_failure(code);
            }
            return;
        }
        if c.leaving {
            if !q {
                say(
                    Level::Warning,
                    &format!("Former worker ({pid}) exited with code {code} ({why})"),
                );
            }
            return;
        }
        let msg = format!("Current worker ({pid}) exited with code {code} ({why})");
        if !q {
            say(
                if code < 128 {
                    Level::Warning
                } else {
                    Level::Alert
                },
                &msg,
            );
        }
        if !c.ready
            && !self.stopping
            && self
                .st
                .children
                .iter()
                .any(|o| o.leaving && o.prog.is_none())
        {
            // The new worker of a reload could not start: the old ones were not told to
            // stop (the new worker does that once it listens); they are current again.
            if !q {
                say(Level::Warning, "Loading failure!");
                announce_reexec();
            }
            self.st.failed += 1;
            for o in self.st.children.iter_mut().filter(|o| o.prog.is_none()) {
                o.leaving = false;
            }
            return;
        }
        self.exit_on_failure(code);
    }

    /// A current worker or program ended: any failure stops everything (unless
    /// `no-exit-on-failure`); the first abnormal status becomes the master's.
    fn exit_on_failure(&mut self, code: i32) {
        if code != 0 && code != 130 && code != 143 && !self.mo.no_exit_on_failure {
            if !self.mo.quiet {
                say(
                    Level::Alert,
                    "exit-on-failure: killing every processes with SIGTERM",
                );
            }
            self.kill_all(libc::SIGTERM);
        }
        if self.exitcode < 0 && code != 0 && code != 143 {
            self.exitcode = code;
        }
    }

    /// A worker's runtime listens (or died before: its exit is reaped elsewhere).
    fn on_ready(&mut self, pid: usize) {
        let pid = pid as i32;
        let Some(i) = self.ready.iter().position(|(p, _)| *p == pid) else {
            return;
        };
        let (_, mut s) = self.ready.remove(i);
        let mut b = [0u8; 8];
        let got = matches!(s.read(&mut b), Ok(n) if n > 0);
        let _ = self.poll.registry().deregister(&mut s);
        if !got {
            return;
        }
        if let Some(c) = self.st.children.iter_mut().find(|c| c.pid == pid) {
            c.ready = true;
        }
        if !self.mo.quiet {
            say(Level::Notice, "Loading success.");
            announce_reexec();
        }
        self.st.failed = 0;
        if self.mo.systemd {
            sd_notify(&format!("READY=1\nMAINPID={}", std::process::id()));
        }
        if let Some(max) = self.mo.max_reloads {
            for c in &self.st.children {
                if c.reloads > max {
                    // SAFETY: kill() on a positive pid of our own child.
                    unsafe {
                        libc::kill(c.pid, libc::SIGTERM);
                    }
                }
            }
        }
    }

    /// `mworker_reload()`: re-executes this binary, which loads the configuration again and
    /// forks a new worker; on success it never returns.
    fn reload(&mut self) {
        if !self.mo.quiet {
            say(Level::Notice, "Reloading HAProxy");
        }
        if self.mo.systemd {
            sd_notify("RELOADING=1");
        }
        block_signals(true);
        let mut st = self.st.clone();
        st.reloads += 1;
        for c in st.children.iter_mut() {
            c.reloads += 1;
        }
        let socks = listener::take_all_preopened();
        let mut list = String::new();
        for (k, fd) in &socks {
            // SAFETY: fcntl on a descriptor we own: it must survive the execve.
            unsafe {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, 0);
            }
            list += &format!("{k}\t{}\n", fd.as_raw_fd());
        }
        let base = strip_reload_args(&self.mo.argv);
        let mut argv: Vec<String> = base.iter().take(1).cloned().collect();
        let pids: Vec<String> = st.children.iter().map(|c| c.pid.to_string()).collect();
        if !pids.is_empty() {
            argv.push("-sf".into());
            argv.extend(pids);
        }
        argv.extend(base.iter().skip(1).cloned());
        std::env::set_var(ENV_REEXEC, "1");
        std::env::set_var(ENV_STATE, st.encode());
        std::env::set_var(ENV_LISTENERS, list);
        let err = exec(&argv);
        say(
            Level::Warning,
            &format!(
                "Failed to reexecute the master process [{}]: {err}",
                std::process::id()
            ),
        );
        for (_, fd) in &socks {
            // SAFETY: fcntl on a descriptor we own.
            unsafe {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        listener::set_preopened(socks);
        for k in [ENV_REEXEC, ENV_STATE, ENV_LISTENERS] {
            std::env::remove_var(k);
        }
        block_signals(false);
    }

    fn on_accept(&mut self, idx: usize) {
        loop {
            let Some(l) = self.listeners.get(idx) else {
                return;
            };
            let Ok((mut stream, _)) = l.accept() else {
                return;
            };
            let slot = match self.conns.iter().position(Option::is_none) {
                Some(i) => i,
                None => {
                    self.conns.push(None);
                    self.conns.len() - 1
                }
            };
            if self
                .poll
                .registry()
                .register(&mut stream, Token(T_CONN + slot), Interest::READABLE)
                .is_ok()
            {
                self.conns[slot] = Some(Conn {
                    stream,
                    pending: Vec::new(),
                    prompt: false,
                });
            }
        }
    }

    fn on_conn(&mut self, slot: usize) {
        // Out of its slot while it runs: the commands need the master itself.
        let Some(mut c) = self.conns.get_mut(slot).and_then(Option::take) else {
            return;
        };
        let mut eof = false;
        let mut b = [0u8; 4096];
        loop {
            match c.stream.read(&mut b) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => c.pending.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    eof = true;
                    break;
                }
            }
        }
        let mut out = Vec::new();
        let (mut close, mut reload, mut ran) = (false, false, false);
        while let Some(end) = command_end(&c.pending) {
            let line: Vec<u8> = c.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1])
                .trim_end_matches('\r')
                .to_string();
            ran = true;
            match cli::parse(&line) {
                Cmd::Nothing => {}
                Cmd::Reply(t) => {
                    out.extend_from_slice(t.as_bytes());
                    out.push(b'\n');
                }
                Cmd::ShowProc => {
                    out.extend_from_slice(self.show_proc().as_bytes());
                    out.push(b'\n');
                }
                Cmd::Route {
                    target,
                    prefix,
                    cmd,
                } => out.extend_from_slice(&self.route(target, &prefix, &cmd)),
                Cmd::Prompt => c.prompt = !c.prompt,
                Cmd::Quit => close = true,
                Cmd::Reload => {
                    reload = true;
                    close = true;
                }
            }
            if close {
                break;
            }
            if c.prompt {
                out.extend_from_slice(b"master> ");
            }
        }
        // Without `prompt` a connection carries one batch of commands.
        if ran && !c.prompt && c.pending.is_empty() {
            close = true;
        }
        if !out.is_empty() {
            let _ = write_all_blocking(&mut c.stream, &out);
        }
        if close || eof {
            let _ = self.poll.registry().deregister(&mut c.stream);
        } else {
            self.conns[slot] = Some(c);
        }
        if reload {
            self.reload();
        }
    }

    fn show_proc(&self) -> String {
        let master = ProcRow {
            pid: std::process::id() as i32,
            reloads: self.st.reloads,
            started: self.st.started,
            leaving: false,
            prog: None,
        };
        let row = |c: &Child| ProcRow {
            pid: c.pid,
            reloads: c.reloads,
            started: c.started,
            leaving: c.leaving,
            prog: c.prog.clone(),
        };
        // The newest worker first; programs in the order they were started.
        let mut rows: Vec<ProcRow> = self
            .st
            .children
            .iter()
            .rev()
            .filter(|c| c.prog.is_none())
            .map(row)
            .collect();
        rows.extend(
            self.st
                .children
                .iter()
                .filter(|c| c.prog.is_some())
                .map(row),
        );
        cli::show_proc(now_secs(), &master, self.st.failed, &rows)
    }

    /// `@<n> cmd` / `@!<pid> cmd`: the worker's reply, through its CLI socket.
    fn route(&self, target: Target, prefix: &str, cmd: &str) -> Vec<u8> {
        let pid = match target {
            Target::Pid(p) => self
                .st
                .children
                .iter()
                .find(|c| c.pid == p && c.prog.is_none())
                .map(|c| c.pid),
            Target::Relative(1) => self
                .st
                .children
                .iter()
                .rev()
                .find(|c| !c.leaving && c.prog.is_none())
                .map(|c| c.pid),
            Target::Relative(_) => None,
        };
        let Some(pid) = pid else {
            return format!("Can't find the target PID matching the prefix '{prefix}'\n\n")
                .into_bytes();
        };
        if cmd.is_empty() {
            return Vec::new();
        }
        worker_exchange(pid, cmd).unwrap_or_else(|e| format!("{e}\n\n").into_bytes())
    }
}

/// Where the first command of `b` ends: a line feed or a `;` not escaped by `\\` (escapes
/// stay in the text: a routed command is unescaped by the worker's CLI).
fn command_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\n' | b';' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// One command to a worker's CLI: the whole reply, read until the worker closes.
fn worker_exchange(pid: i32, cmd: &str) -> std::io::Result<Vec<u8>> {
    let addr = super::stream::unix_addr(&worker_cli_name(pid), true)?;
    // A worker just forked may not listen yet: give it a few seconds.
    let t0 = std::time::Instant::now();
    let mut s = loop {
        match StdUnixStream::connect_addr(&addr) {
            Ok(s) => break s,
            Err(e) if t0.elapsed() > Duration::from_secs(5) => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(cmd.as_bytes())?;
    s.write_all(b"\n")?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

/// The master CLI's replies are small: they are written at once, waiting a little when the
/// client does not read (the master has nothing better to do meanwhile).
fn write_all_blocking(s: &mut Stream, mut b: &[u8]) -> std::io::Result<()> {
    let t0 = std::time::Instant::now();
    while !b.is_empty() {
        match s.write(b) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => b = &b[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if t0.elapsed() > Duration::from_secs(2) {
                    return Err(e);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A program's process after the fork: the identity, then `execvp()`; the status to exit
/// with when that fails (HAProxy's messages).
fn exec_program(cmd: &[String], uid: Option<u32>, gid: Option<u32>) -> i32 {
    let name = &cmd[0];
    if let Some(g) = gid {
        // SAFETY: plain syscalls on integers (setgroups with an empty list).
        unsafe {
            libc::setgroups(0, std::ptr::null());
            if libc::setgid(g) == -1 {
                say(
                    Level::Alert,
                    &format!("[{name}.main()] Cannot set gid {g}."),
                );
                return 1;
            }
        }
    }
    if let Some(u) = uid {
        // SAFETY: a plain syscall on an integer.
        if unsafe { libc::setuid(u) } == -1 {
            say(
                Level::Alert,
                &format!("[{name}.main()] Cannot set uid {u}."),
            );
            return 1;
        }
    }
    let err = exec(cmd);
    say(Level::Alert, &format!("Cannot execute {name}: {err}"));
    1
}

fn user_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam reads a NUL-terminated name; the returned record is read at once.
    unsafe {
        let pw = libc::getpwnam(c.as_ptr());
        (!pw.is_null()).then(|| (*pw).pw_uid)
    }
}

fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam reads a NUL-terminated name; the returned record is read at once.
    unsafe {
        let gr = libc::getgrnam(c.as_ptr());
        (!gr.is_null()).then(|| (*gr).gr_gid)
    }
}

/// `strsignal()`: "Terminated", "Interrupt", "Killed"…
fn strsignal(sig: i32) -> String {
    // SAFETY: strsignal returns a pointer to a static (or thread-local) NUL-terminated
    // string, copied at once.
    unsafe {
        let p = libc::strsignal(sig);
        if p.is_null() {
            return format!("signal {sig}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// `execvp()` of `argv` with the current environment; returns only on failure.
fn exec(argv: &[String]) -> String {
    use std::ffi::CString;
    let Ok(args) = argv
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return "argument with a NUL byte".into();
    };
    let Some(first) = args.first() else {
        return "empty command line".into();
    };
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // A relative argv[0] may no longer name us after a chdir (`-C`): use our own binary.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| CString::new(p.to_string_lossy().into_owned()).ok());
    let path = if first.as_bytes().contains(&b'/') {
        exe.as_ref().unwrap_or(first)
    } else {
        first
    };
    // SAFETY: NUL-terminated strings and a NULL-terminated pointer array that outlive the
    // call; execvp only returns on failure.
    unsafe {
        libc::execvp(path.as_ptr(), ptrs.as_ptr());
    }
    super::listener::strerror(&std::io::Error::last_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_end_at_unescaped_separators() {
        assert_eq!(command_end(br"@1 add acl f a\ b\;;@1 show"), Some(19));
        assert_eq!(command_end(b"show proc\n"), Some(9));
        assert_eq!(command_end(b"show"), None);
    }

    #[test]
    fn state_round_trip() {
        let st = State {
            started: 17,
            reloads: 3,
            failed: 1,
            children: vec![Child {
                pid: 42,
                reloads: 2,
                started: 20,
                leaving: true,
                ready: true,
                prog: Some("p:x".into()),
            }],
        };
        assert_eq!(State::decode(&st.encode()), Some(st));
        assert_eq!(State::decode("garbage"), None);
    }

    #[test]
    fn reexec_arguments_drop_old_pids_and_sockets() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            strip_reload_args(&v(&[
                "haproxy", "-W", "-sf", "1", "2", "-f", "a.cfg", "-x", "/s", "-st", "3"
            ])),
            v(&["haproxy", "-W", "-f", "a.cfg"])
        );
        assert_eq!(
            strip_reload_args(&v(&["h", "-f", "x", "--", "-sf", "y"])),
            v(&["h", "-f", "x", "--", "-sf", "y"])
        );
    }
}
