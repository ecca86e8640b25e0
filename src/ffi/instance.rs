//! The Embedding API of `c-api.md`: a whole proxy inside a C program. A `hap_instance` is
//! a checked configuration (`hap_instance_new`, like `haproxy -c`), then a running runtime
//! (`hap_instance_start`: listeners opened, `nbthread` workers in the background), then a
//! stopped one (`hap_instance_stop`, graceful like SIGUSR1 or hard like SIGTERM).
//!
//! Life cycle: `Configured → Running → Stopping → Stopped`; a failed start stays
//! `Configured` (it may be retried), a stopped instance cannot start again. Every function
//! but `hap_instance_free` may be called from any thread at once: the state sits behind a
//! mutex that is never held while waiting for the workers.
//!
//! The live backends (`hap_instance_backend`) are `hap_backend` handles marked borrowed,
//! built once at start on the very queues the workers use and kept until the instance is
//! freed, so the pointers stay the same and valid after a stop.

use std::ffi::{c_char, CStr};
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use super::queue::hap_backend;
use super::{cbuf, guard, hap_result, live, with, with_res};
use crate::config::{self, Diag, Level, Message, ParseEnv};
use crate::model::Config;
use crate::runtime::{Runtime, Stopper};

/// An embedded proxy: a checked configuration, then its running runtime.
#[allow(non_camel_case_types)]
pub struct hap_instance {
    cfg: Config,
    state: Mutex<State>,
    /// Signalled when a stop has joined the workers (`Stopping → Stopped`).
    stopped: Condvar,
    /// What the last start or stop had to say (alerts, start-up warnings), rendered.
    message: Mutex<String>,
    /// Set by the successful start.
    live: OnceLock<Live>,
}

/// What a successful start leaves behind, for the whole life of the instance.
struct Live {
    stopper: Stopper,
    addrs: Vec<SocketAddr>,
    epoch: Instant,
    /// Boxes never move nor drop before the instance: C holds pointers into them.
    backends: Vec<(String, Box<hap_backend>)>,
}

enum State {
    Configured,
    /// The thread running `Runtime::run` (it joins the workers).
    Running(JoinHandle<std::io::Result<()>>),
    Stopping,
    Stopped,
}

impl hap_instance {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_message(&self, text: String) {
        *self.message.lock().unwrap_or_else(|e| e.into_inner()) = text;
    }

    /// Opens the listeners and starts the workers (the safe core of `hap_instance_start`).
    fn start(&self) -> hap_result {
        let mut st = self.state();
        if !matches!(*st, State::Configured) {
            return hap_result::HAP_ERR_STATE;
        }
        let mut rt = match Runtime::new(&self.cfg) {
            Ok(rt) => rt,
            Err(e) => {
                self.set_message(render(Level::Alert, &e));
                // Without any `bind` the configuration is the problem, not the system.
                return if has_binds(&self.cfg) {
                    hap_result::HAP_ERR_IO
                } else {
                    hap_result::HAP_ERR_INVALID
                };
            }
        };
        let warnings: String = rt
            .warnings
            .iter()
            .map(|w| render(Level::Warning, w))
            .collect();
        let backends = self
            .cfg
            .real_proxies()
            .filter(|p| p.cap.is_be())
            .filter_map(|p| {
                let be = rt.backend(&p.name)?;
                Some((p.name.clone(), Box::new(hap_backend::new(be, true))))
            })
            .collect();
        let live = Live {
            stopper: rt.stopper(),
            addrs: rt.local_addrs(),
            epoch: rt.epoch(),
            backends,
        };
        let th = std::thread::Builder::new()
            .name("haproxy-rs-main".into())
            .spawn(move || rt.run());
        match th {
            Ok(th) => {
                let _ = self.live.set(live);
                *st = State::Running(th);
                self.set_message(warnings);
                hap_result::HAP_OK
            }
            Err(e) => {
                self.set_message(render(
                    Level::Alert,
                    &format!("cannot start the main thread: {e}"),
                ));
                hap_result::HAP_ERR_IO
            }
        }
    }

    /// The safe core of `hap_instance_stop`.
    fn stop(&self, graceful: bool) -> hap_result {
        let mut st = self.state();
        let th = match std::mem::replace(&mut *st, State::Stopping) {
            State::Running(th) => th,
            State::Stopping => {
                // Another thread is stopping: a hard stop escalates it; both wait.
                if !graceful {
                    if let Some(l) = self.live.get() {
                        l.stopper.stop();
                    }
                }
                while matches!(*st, State::Stopping) {
                    st = self.stopped.wait(st).unwrap_or_else(|e| e.into_inner());
                }
                return hap_result::HAP_OK;
            }
            other => {
                *st = other;
                return hap_result::HAP_ERR_STATE;
            }
        };
        drop(st);
        if let Some(l) = self.live.get() {
            if graceful {
                l.stopper.soft_stop();
            } else {
                l.stopper.stop();
            }
        }
        let res = match th.join() {
            Ok(Ok(())) => hap_result::HAP_OK,
            Ok(Err(e)) => {
                self.set_message(render(Level::Alert, &format!("event loop failed: {e}")));
                hap_result::HAP_ERR_IO
            }
            Err(_) => hap_result::HAP_ERR_PANIC,
        };
        *self.state() = State::Stopped;
        self.stopped.notify_all();
        res
    }

    fn backend(&self, name: &str) -> *mut hap_backend {
        self.live
            .get()
            .and_then(|l| l.backends.iter().find(|(n, _)| n == name))
            .map_or(std::ptr::null_mut(), |(_, b)| {
                std::ptr::from_ref::<hap_backend>(b).cast_mut()
            })
    }
}

// Every function but `hap_instance_free` may use an instance from many threads at once.
const _: () = {
    const fn sync<T: Send + Sync>() {}
    sync::<hap_instance>()
};

impl Drop for hap_instance {
    fn drop(&mut self) {
        if matches!(*self.state(), State::Running(_)) {
            let _ = self.stop(false);
        }
    }
}

/// Whether the runtime will find any listener to open (else its alert is a config error).
fn has_binds(cfg: &Config) -> bool {
    cfg.real_proxies()
        .any(|p| p.cap.is_fe() && !p.disabled && !p.binds.is_empty())
}

/// Runtime text as the binary prints it: one `[LEVEL]    (pid) : ` line per line.
fn render(level: Level, text: &str) -> String {
    text.lines()
        .map(|l| {
            Message {
                level,
                context: None,
                text: l.to_string(),
                at: None,
            }
            .render(std::process::id())
        })
        .collect()
}

/// The safe core of `hap_instance_new`: the checked configuration and every message.
pub fn load(paths: &[String]) -> (Option<Config>, String) {
    let loaded = config::load_files(paths, Diag::new(), ParseEnv::default());
    let mut diag = loaded.diag;
    let Some(cfg) = loaded.config else {
        return (None, diag.render_all(std::process::id()));
    };
    // `global zero-warning`, as `-c` honours it (haproxy-rs' own notes do not count).
    let warned = diag
        .messages
        .iter()
        .any(|m| m.level == Level::Warning && !m.text.contains(crate::cli::INACTIVE_MARK));
    if warned && cfg.global.zero_warning {
        diag.push(Message {
            level: Level::Alert,
            context: Some("config"),
            text: "Some warnings were found and 'zero-warning' is set. Aborting.".into(),
            at: None,
        });
        return (None, diag.render_all(std::process::id()));
    }
    (Some(cfg), diag.render_all(std::process::id()))
}

/// Writes `text` like `hap_server_name`: truncated, NUL-terminated, full length to `*n`.
///
/// # Safety
/// `buf` NULL (with `len` 0) or `len` writable bytes; `n` NULL or writable.
unsafe fn write_out(buf: *mut c_char, len: usize, n: *mut usize, text: &str) {
    // SAFETY: the caller's contract; NULL `buf` (len 0) is a no-op.
    unsafe { cbuf::write_str(buf, len, text) };
    if !n.is_null() {
        // SAFETY: `n` is non-NULL and writable (caller contract).
        unsafe { n.write(text.len()) };
    }
}

/// Loads and checks the configuration files `cfg_paths[0..n]` like `haproxy -f … -c`: a
/// directory stands for its `*.cfg` files in lexical order; host names are resolved and
/// referenced files checked; `global zero-warning` is honoured. Every message (`[ALERT]`
/// and `[WARNING]` lines, `parsing [file:line] : …`, as the binary prints them) is written
/// into `err`, truncated to `errlen - 1` bytes and NUL-terminated; on success only the
/// warnings, often none. Nothing is opened yet: see `hap_instance_start`.
///
/// `HAP_OK` and a new instance in `*out` (free it with `hap_instance_free`);
/// `HAP_ERR_INVALID` if the configuration is rejected, a file cannot be read, `n` is 0 or a
/// path is not UTF-8 (`*out` is set to NULL); `HAP_ERR_NULL` if `cfg_paths`, one of its
/// entries or `out` is NULL, or `err` is NULL with `errlen` not 0. The process environment
/// is not changed (the binary's `HAPROXY_LOCALPEER`/`HAPROXY_CFGFILES` are not set).
///
/// # Safety
/// `cfg_paths` must point to `n` readable pointers, each NULL or a NUL-terminated string;
/// `out` must be writable; `err` NULL (with `errlen` 0) or `errlen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_new(
    cfg_paths: *const *const c_char,
    n: usize,
    out: *mut *mut hap_instance,
    err: *mut c_char,
    errlen: usize,
) -> hap_result {
    guard(|| {
        if cfg_paths.is_null() || out.is_null() || (err.is_null() && errlen != 0) {
            return hap_result::HAP_ERR_NULL;
        }
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { out.write(std::ptr::null_mut()) };
        let fail = |msg: &str| {
            // SAFETY: caller contract; a NULL `err` is a no-op.
            unsafe { cbuf::write_str(err, errlen, msg) };
            hap_result::HAP_ERR_INVALID
        };
        if n == 0 {
            return fail(&render(Level::Alert, "No configuration file given."));
        }
        let mut paths = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: `cfg_paths` has `n` readable entries (caller contract).
            let p = unsafe { cfg_paths.add(i).read() };
            if p.is_null() {
                return hap_result::HAP_ERR_NULL;
            }
            // SAFETY: non-NULL entries are NUL-terminated strings (caller contract).
            match unsafe { CStr::from_ptr(p) }.to_str() {
                Ok(s) => paths.push(s.to_string()),
                Err(_) => return fail(&render(Level::Alert, "configuration path is not UTF-8")),
            }
        }
        let (cfg, messages) = load(&paths);
        let Some(cfg) = cfg else {
            return fail(&messages);
        };
        // SAFETY: caller contract; a NULL `err` is a no-op.
        unsafe { cbuf::write_str(err, errlen, &messages) };
        let h = Box::new(hap_instance {
            cfg,
            state: Mutex::new(State::Configured),
            stopped: Condvar::new(),
            message: Mutex::new(String::new()),
            live: OnceLock::new(),
        });
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { out.write(Box::into_raw(h)) };
        hap_result::HAP_OK
    })
}

/// Opens every listener (`bind` lines; `fd@N` adopts the caller's listening socket N) and
/// starts the `nbthread` worker threads (default: one per CPU) in the background; returns
/// once the sockets listen, so connections made after it are served.
///
/// `HAP_OK`: running; the start-up warnings, if any, are in `hap_instance_message`.
/// `HAP_ERR_IO`: a listener could not be opened, nothing is left open and HAProxy's alerts
/// (`Binding [file:line] for frontend fe: cannot bind socket (Address already in use) for
/// [127.0.0.1:8080]`, `[haproxy.main()] Some protocols failed to start their listeners!
/// Exiting.`) are in `hap_instance_message`; the instance stays startable.
/// `HAP_ERR_INVALID`: no `bind` at all ("No enabled listener found"). `HAP_ERR_STATE`:
/// already started (running or stopped: an instance runs once). `HAP_ERR_NULL`: `h` NULL.
///
/// # Safety
/// `h` must be NULL or a live instance handle.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_start(h: *mut hap_instance) -> hap_result {
    // SAFETY: NULL or live (this function's contract).
    with_res(unsafe { live(h) }, hap_instance::start)
}

/// Stops a running instance and waits for its worker threads to end. `graceful`: like
/// SIGUSR1, the listeners close at once (new connections are refused), idle connections
/// are closed and the requests in flight are finished (within their timeouts) before it
/// returns. Otherwise like SIGTERM: every connection is closed now.
///
/// `HAP_OK` once stopped (also when another thread's stop was in progress: then a hard
/// stop cuts a graceful one short, and both calls return when the workers ended);
/// `HAP_ERR_STATE` if never started or already stopped; `HAP_ERR_IO` if a worker's event
/// loop had failed (`hap_instance_message` says why); `HAP_ERR_NULL` for NULL. The live
/// backend handles stay valid (until `hap_instance_free`) and read the final counters.
///
/// # Safety
/// `h` must be NULL or a live instance handle.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_stop(h: *mut hap_instance, graceful: bool) -> hap_result {
    // SAFETY: NULL or live (this function's contract).
    with_res(unsafe { live(h) }, |i| i.stop(graceful))
}

/// Frees the instance, stopping it first (hard) if it runs. Every handle borrowed from it
/// (`hap_instance_backend` backends and their servers) becomes invalid. NULL is a no-op.
///
/// # Safety
/// `h` must be NULL or a live instance handle, with no other call on it or on its
/// borrowed handles in flight.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_free(h: *mut hap_instance) {
    if h.is_null() {
        return;
    }
    // SAFETY: a live handle made by Box::into_raw (caller contract); ownership returns.
    let b = unsafe { Box::from_raw(h) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(b)));
}

/// The live backend (or listen section) `name` of a started instance: the very queues,
/// servers and counters its workers use, borrowed. The same pointer every time, valid
/// until `hap_instance_free` (also after a stop); never free it (`hap_backend_free`
/// ignores it). The `hap_backend_*` and `hap_server_*` functions work on it (reading
/// counters, `hap_server_set_state/maxconn/weight`…, from any thread); the `now_ms` they
/// take is the instance clock (`hap_instance_now_ms`). Two calls are refused:
/// `hap_stream_new` gives `HAP_ERR_STATE` and `hap_backend_set_wakeup` is ignored (streams
/// and wake-ups belong to the workers). NULL if `h` or `name` is NULL, the instance was
/// not started, or no backend has that name.
///
/// # Safety
/// `h` must be NULL or a live instance handle; `name` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_backend(
    h: *mut hap_instance,
    name: *const c_char,
) -> *mut hap_backend {
    if name.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: NULL or live (this function's contract).
    with(unsafe { live(h) }, std::ptr::null_mut(), |i| {
        // SAFETY: non-NULL and NUL-terminated (caller contract).
        let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
        i.backend(&name)
    })
}

/// Milliseconds on the instance clock: the clock the workers give the live queues (and
/// that `now_ms` arguments on a live backend are in). 0 before the start or for NULL.
///
/// # Safety
/// `h` must be NULL or a live instance handle.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_now_ms(h: *const hap_instance) -> u64 {
    // SAFETY: NULL or live (this function's contract).
    with(unsafe { live(h) }, 0, |i| {
        i.live.get().map_or(0, |l| {
            Instant::now()
                .saturating_duration_since(l.epoch)
                .as_millis() as u64
        })
    })
}

/// How many sockets the started instance listens on (kept after a stop); 0 before the
/// start or for NULL.
///
/// # Safety
/// `h` must be NULL or a live instance handle.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_listener_count(h: *const hap_instance) -> usize {
    // SAFETY: NULL or live (this function's contract).
    with(unsafe { live(h) }, 0, |i| {
        i.live.get().map_or(0, |l| l.addrs.len())
    })
}

/// The local port of listener `idx` (0..count, in configuration order): useful with
/// `bind fd@N` on a socket the caller bound to port 0. 0 if out of range, not started or
/// NULL.
///
/// # Safety
/// `h` must be NULL or a live instance handle.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_local_port(h: *const hap_instance, idx: usize) -> u16 {
    // SAFETY: NULL or live (this function's contract).
    with(unsafe { live(h) }, 0, |i| {
        i.live
            .get()
            .and_then(|l| l.addrs.get(idx))
            .map_or(0, |a| a.port())
    })
}

/// Writes listener `idx`'s local address (`127.0.0.1:8080`, `[::1]:8080`) into `buf` like
/// `hap_server_name` (truncated to `len - 1`, NUL-terminated, full length to `*n`).
/// `HAP_ERR_STATE` before the start, `HAP_ERR_INVALID` if `idx` is out of range,
/// `HAP_ERR_NULL` if `h` is NULL or `buf` is NULL with `len` > 0.
///
/// # Safety
/// `h` must be NULL or a live instance handle; `buf` NULL or `len` writable bytes; `n` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_addr(
    h: *const hap_instance,
    idx: usize,
    buf: *mut c_char,
    len: usize,
    n: *mut usize,
) -> hap_result {
    if buf.is_null() && len != 0 {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: NULL or live (this function's contract).
    with_res(unsafe { live(h) }, |i| {
        let Some(l) = i.live.get() else {
            return hap_result::HAP_ERR_STATE;
        };
        let Some(a) = l.addrs.get(idx) else {
            return hap_result::HAP_ERR_INVALID;
        };
        // SAFETY: the caller's buffers (this function's contract).
        unsafe { write_out(buf, len, n, &a.to_string()) };
        hap_result::HAP_OK
    })
}

/// Writes what the last start or stop reported, as the binary prints it on stderr: the
/// alerts of a failed start, the warnings of a successful one, an event-loop failure of a
/// stop; "" if nothing. Buffers like `hap_server_name`. `HAP_ERR_NULL` if `h` is NULL or
/// `buf` is NULL with `len` > 0.
///
/// # Safety
/// `h` must be NULL or a live instance handle; `buf` NULL or `len` writable bytes; `n` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_message(
    h: *const hap_instance,
    buf: *mut c_char,
    len: usize,
    n: *mut usize,
) -> hap_result {
    if buf.is_null() && len != 0 {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: NULL or live (this function's contract).
    with_res(unsafe { live(h) }, |i| {
        let msg = i.message.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // SAFETY: the caller's buffers (this function's contract).
        unsafe { write_out(buf, len, n, &msg) };
        hap_result::HAP_OK
    })
}

/// The stats-socket command line `cmd` (one or more commands separated by LF or `;`, as
/// written to the socket). **The haproxy-rs CLI has no commands yet**: every command gets
/// HAProxy 2.6's answer for a command it does not know, exactly as `src/cli.c` builds it
/// when no keyword matches (`Unknown command, but maybe one of the following ones is a
/// better match:` then the `help`/`prompt`/`quit` lines, then the empty line ending a
/// reply), and the call returns `HAP_ERR_UNSUPPORTED`. `help`, `prompt` and `quit` behave as
/// in HAProxy and alone give `HAP_OK`. Works in every state. The reply is written to `out`
/// like `hap_server_name` (truncated, NUL-terminated, full length to `*n`).
/// `HAP_ERR_NULL` if `h` or `cmd` is NULL, or `out` is NULL with `outlen` > 0.
///
/// # Safety
/// `h` must be NULL or a live instance handle; `cmd` NULL or a NUL-terminated string;
/// `out` NULL or `outlen` writable bytes; `n` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_instance_cli(
    h: *mut hap_instance,
    cmd: *const c_char,
    out: *mut c_char,
    outlen: usize,
    n: *mut usize,
) -> hap_result {
    if cmd.is_null() || (out.is_null() && outlen != 0) {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: NULL or live (this function's contract).
    with_res(unsafe { live(h) }, |_| {
        // SAFETY: non-NULL and NUL-terminated (caller contract).
        let cmd = unsafe { CStr::from_ptr(cmd) }.to_bytes();
        let (reply, known) = cli_reply(cmd);
        // SAFETY: the caller's buffers (this function's contract).
        unsafe { write_out(out, outlen, n, &reply) };
        if known {
            hap_result::HAP_OK
        } else {
            hap_result::HAP_ERR_UNSUPPORTED
        }
    })
}

/// The lines `cli_gen_usage_msg()` always ends with (the only keywords, having no usage
/// text of their own, that the haproxy-rs CLI knows).
const CLI_ALWAYS: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

/// HAProxy's `cli_io_handler()` + `cli_parse_request()` on a one-shot, non-interactive
/// connection, with an empty keyword list: the reply, and whether every command was one of
/// `help`/`prompt`/`quit`.
pub fn cli_reply(input: &[u8]) -> (String, bool) {
    let mut out = String::new();
    let mut known = true;
    let mut prompt = false;
    let mut rest = input;
    // Each request is terminated by LF; the last one may lack it (we add it, as a client
    // writing one command does).
    while !rest.is_empty() {
        let (line, tail) = next_request(rest);
        rest = tail;
        let mut line = line;
        // A line ending with the payload pattern gathers the following lines up to an
        // empty one; an unterminated payload gets no answer (the connection ends first).
        if line.ends_with(b"<<") {
            let mut done = false;
            while !rest.is_empty() {
                let (l, tail) = split_line(rest);
                rest = tail;
                if l.is_empty() {
                    done = true;
                    break;
                }
            }
            if !done {
                break;
            }
            line = &line[..line.len() - 2];
        }
        let args = cli_words(line);
        match args.first().map(Vec::as_slice) {
            Some(b"quit") => break,
            Some(b"prompt") => prompt = !prompt,
            Some(b"help") => {
                out.push_str("The following commands are valid at this level:\n");
                out.push_str(CLI_ALWAYS);
            }
            None => {
                known = false;
                out.push_str("Unknown command. Please enter one of the following commands only:\n");
                out.push_str(CLI_ALWAYS);
            }
            Some(_) => {
                known = false;
                out.push_str(
                    "Unknown command, but maybe one of the following ones is a better match:\n",
                );
                out.push_str(CLI_ALWAYS);
            }
        }
        out.push_str(if prompt { "\n> " } else { "\n" });
    }
    (out, known)
}

/// One request: up to an LF or an unescaped `;` (`co_getdelim(…, "\n;", '\\')`), without
/// it and without a trailing CR.
fn next_request(s: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'\n' | b';' => break,
            _ => i += 1,
        }
    }
    let i = i.min(s.len());
    let line = &s[..i];
    let tail = s.get(i + 1..).unwrap_or(&[]);
    (line.strip_suffix(b"\r").unwrap_or(line), tail)
}

/// A payload line: up to LF, without a trailing CR.
fn split_line(s: &[u8]) -> (&[u8], &[u8]) {
    let i = s.iter().position(|&c| c == b'\n').unwrap_or(s.len());
    let line = &s[..i];
    (
        line.strip_suffix(b"\r").unwrap_or(line),
        s.get(i + 1..).unwrap_or(&[]),
    )
}

/// `cli_parse_request()`'s words: split on spaces and tabs, a backslash escapes the next
/// character (and is removed, `\\` giving one).
fn cli_words(line: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut w = Vec::new();
        while i < line.len() && line[i] != b' ' && line[i] != b'\t' {
            if line[i] == b'\\' {
                i += 1;
                if i >= line.len() {
                    break;
                }
            }
            w.push(line[i]);
            i += 1;
        }
        words.push(w);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn instance(text: &str) -> (*mut hap_instance, std::path::PathBuf) {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("hap-inst-{}-{seq}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.cfg");
        std::fs::write(&f, text).unwrap();
        let path = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        let paths = [path.as_ptr()];
        let mut h = null_mut();
        let mut err = [0 as c_char; 512];
        // SAFETY: one valid path, valid out and err buffers.
        let r = unsafe { hap_instance_new(paths.as_ptr(), 1, &mut h, err.as_mut_ptr(), 512) };
        // SAFETY: NUL-terminated by hap_instance_new.
        let e = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy();
        assert_eq!(r, hap_result::HAP_OK, "{e}");
        (h, dir)
    }

    #[test]
    fn cli_is_haproxys_unknown_command_reply() {
        let (r, known) = cli_reply(b"show info");
        assert!(!known);
        assert_eq!(
            r,
            format!("Unknown command, but maybe one of the following ones is a better match:\n{CLI_ALWAYS}\n")
        );
        let (r, known) = cli_reply(b"help\n");
        assert!(known);
        assert_eq!(
            r,
            format!("The following commands are valid at this level:\n{CLI_ALWAYS}\n")
        );
        let (r, _) = cli_reply(b"\n");
        assert!(r.starts_with("Unknown command. Please enter one"), "{r}");
        // Two commands, then quit ends the connection.
        let (r, _) = cli_reply(b"foo;bar\nquit\nshow stat\n");
        assert_eq!(r.matches("Unknown command, but").count(), 2);
        // prompt switches to the interactive "\n> " prompt.
        let (r, _) = cli_reply(b"prompt\nx\n");
        assert!(r.starts_with("\n> Unknown command"), "{r:?}");
        assert!(r.ends_with("disconnect\n\n> "), "{r:?}");
        // Escapes and payloads.
        assert_eq!(
            cli_words(b" he\\lp  a\\ b\t"),
            vec![b"help".to_vec(), b"a b".to_vec()]
        );
        let (r, _) = cli_reply(b"add map m <<\nk v\nk2 v2\n\nhelp\n");
        assert_eq!(r.matches("Unknown command").count(), 1);
        assert!(r.contains("The following commands"));
        let (r, _) = cli_reply(b"add map m <<\nk v\n");
        assert_eq!(r, "");
    }

    #[test]
    fn lifecycle_states_and_nulls() {
        let (h, dir) = instance(
            "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
             frontend fe\n bind 127.0.0.1:1\n default_backend be\nbackend be\n server s 127.0.0.1:9\n",
        );
        // SAFETY: h is a live instance for this whole test; NULLs are allowed.
        unsafe {
            assert_eq!(hap_instance_stop(h, true), hap_result::HAP_ERR_STATE);
            assert!(hap_instance_backend(h, c"be".as_ptr()).is_null());
            assert_eq!(hap_instance_now_ms(h), 0);
            assert_eq!(hap_instance_start(null_mut()), hap_result::HAP_ERR_NULL);
            assert_eq!(
                hap_instance_stop(null_mut(), false),
                hap_result::HAP_ERR_NULL
            );
            assert!(hap_instance_backend(null_mut(), c"be".as_ptr()).is_null());
            assert!(hap_instance_backend(h, null()).is_null());
            let mut n = 0;
            assert_eq!(
                hap_instance_cli(h, c"show info".as_ptr(), null_mut(), 0, &mut n),
                hap_result::HAP_ERR_UNSUPPORTED
            );
            assert!(n > 0);
            hap_instance_free(null_mut());
            hap_instance_free(h);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn no_listener_is_a_config_error_at_start() {
        let (h, dir) = instance("defaults\n mode http\nbackend be\n server s 127.0.0.1:9\n");
        let mut buf = [0 as c_char; 512];
        let mut n = 0;
        // SAFETY: h is live until freed below; valid buffers.
        unsafe {
            assert_eq!(hap_instance_start(h), hap_result::HAP_ERR_INVALID);
            let r = hap_instance_message(h, buf.as_mut_ptr(), buf.len(), &mut n);
            assert_eq!(r, hap_result::HAP_OK);
            let m = CStr::from_ptr(buf.as_ptr()).to_string_lossy();
            assert!(m.starts_with("[ALERT]"), "{m}");
            assert!(m.contains("No enabled listener found"), "{m}");
            assert_eq!(n, m.len());
            // Still configured: a start may be retried, a stop is refused.
            assert_eq!(hap_instance_stop(h, false), hap_result::HAP_ERR_STATE);
            assert_eq!(hap_instance_start(h), hap_result::HAP_ERR_INVALID);
            hap_instance_free(h);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_file_and_bad_config() {
        let p = c"/nonexistent/haproxy-rs.cfg";
        let paths = [p.as_ptr()];
        let mut h = null_mut();
        let mut err = [0 as c_char; 512];
        // SAFETY: valid arguments.
        let r = unsafe { hap_instance_new(paths.as_ptr(), 1, &mut h, err.as_mut_ptr(), 512) };
        assert_eq!(r, hap_result::HAP_ERR_INVALID);
        assert!(h.is_null());
        // SAFETY: NUL-terminated.
        let e = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy();
        assert!(
            e.contains("Cannot open configuration file/directory"),
            "{e}"
        );
        // SAFETY: NULL arguments are checked before use.
        unsafe {
            assert_eq!(
                hap_instance_new(null(), 1, &mut h, null_mut(), 0),
                hap_result::HAP_ERR_NULL
            );
            let nul = [null::<c_char>()];
            assert_eq!(
                hap_instance_new(nul.as_ptr(), 1, &mut h, null_mut(), 0),
                hap_result::HAP_ERR_NULL
            );
            assert_eq!(
                hap_instance_new(paths.as_ptr(), 0, &mut h, null_mut(), 0),
                hap_result::HAP_ERR_INVALID
            );
        }
    }
}
