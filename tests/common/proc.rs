//! Running a proxy (haproxy-rs or the HAProxy oracle) for a test: a private directory with the
//! configuration and any side files, the process killed and the directory removed when the
//! handle drops, readiness taken from the proxy itself (a port that accepts, a UNIX socket
//! that answers) rather than from a sleep.
//!
//! Every test file that runs the binary used to carry its own copy of this; keep new ones here.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a proxy may take to become ready, and a client to get its answer.
pub const WAIT: Duration = Duration::from_secs(10);

/// A port free at the time of the call (bound to port 0, then released). Tests that start
/// listeners of their own on such ports run under [`serial`] so that another test cannot
/// take the released port first.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One lock per test binary: the tests of a file that pick ports with [`free_port`] run one
/// at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What tells a test the proxy is serving.
pub enum Ready<'a> {
    /// A TCP port on 127.0.0.1 accepts connections.
    Port(u16),
    /// A UNIX socket (a stats socket) accepts connections.
    Unix(&'a str),
    /// Nothing to wait for (the test checks the process itself).
    None,
}

/// A proxy process and its private directory.
pub struct Proxy {
    pub child: Child,
    pub dir: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Builds the start of a proxy run: `Proxy::builder(bin, cfg).file(..).arg(..).start(ready)`.
pub struct Builder<'a> {
    bin: &'a Path,
    cfg: String,
    files: Vec<(&'a str, Vec<u8>)>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    stderr: Err,
}

#[derive(Clone, Copy)]
enum Err {
    Null,
    File,
    Piped,
}

impl Proxy {
    /// `cfg` may name `@DIR@`, replaced by the run's private directory (for stats sockets,
    /// side files, pid files).
    pub fn builder<'a>(bin: &'a Path, cfg: &str) -> Builder<'a> {
        Builder {
            bin,
            cfg: cfg.to_string(),
            files: Vec::new(),
            args: vec!["-db".into()],
            envs: Vec::new(),
            stderr: Err::Null,
        }
    }

    /// Starts `bin -db -f cfg` and waits for `ready`.
    pub fn start(bin: &Path, cfg: &str, ready: Ready) -> Proxy {
        Proxy::builder(bin, cfg).start(ready)
    }

    /// A path inside the run's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// What the process wrote to stderr so far (with [`Builder::stderr`]).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// Sends `sig` (`USR2`, `INT`…) to the process with kill(1) (tests stay free of unsafe).
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(st.success(), "kill -{sig} failed");
    }

    /// Waits until stderr (kept with [`Builder::stderr`]) holds `text` `n` times; returns it.
    pub fn wait_stderr(&self, text: &str, n: usize) -> String {
        let t0 = Instant::now();
        loop {
            let e = self.stderr();
            if e.matches(text).count() >= n {
                return e;
            }
            assert!(
                t0.elapsed() < WAIT,
                "{n} x {text:?} never appeared on stderr: {e}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits (bounded) for the process to exit; its status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let t0 = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(t0.elapsed() < WAIT, "the process did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `input` to the UNIX socket `name` of the run's directory on a new connection
    /// and reads until the proxy closes it (one stats-socket command).
    pub fn cli(&self, name: &str, input: &str) -> String {
        let mut s = UnixStream::connect(self.dir.join(name)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(input.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }
}

impl<'a> Builder<'a> {
    /// A side file written into the run's directory before the start.
    pub fn file(mut self, name: &'a str, content: impl AsRef<[u8]>) -> Self {
        self.files.push((name, content.as_ref().to_vec()));
        self
    }
    /// Replaces the default `-db` mode flag and adds arguments before `-f` (`@DIR@` is the
    /// run's directory there too).
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.envs.push((k.into(), v.into()));
        self
    }
    /// Keeps stderr in `<dir>/stderr` (read with [`Proxy::stderr`]) instead of discarding it.
    pub fn stderr(mut self) -> Self {
        self.stderr = Err::File;
        self
    }
    /// Leaves stderr as a pipe in `child.stderr` for a test that follows it line by line.
    pub fn piped_stderr(mut self) -> Self {
        self.stderr = Err::Piped;
        self
    }

    pub fn start(self, ready: Ready) -> Proxy {
        static RUN: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "haproxy-rs-t-{}-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed),
            self.bin.file_name().unwrap().to_string_lossy()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &self.files {
            let path = dir.join(name);
            // A name may be in a subdirectory (a `crt` directory of certificates).
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, self.cfg.replace("@DIR@", dir.to_str().unwrap())).unwrap();
        let stderr = match self.stderr {
            Err::Null => Stdio::null(),
            Err::File => Stdio::from(std::fs::File::create(dir.join("stderr")).unwrap()),
            Err::Piped => Stdio::piped(),
        };
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.replace("@DIR@", dir.to_str().unwrap()))
            .collect();
        let child = Command::new(self.bin)
            .args(&args)
            .arg("-f")
            .arg(&path)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut p = Proxy { child, dir };
        let t0 = Instant::now();
        let up = |p: &Proxy| match ready {
            Ready::Port(port) => TcpStream::connect(("127.0.0.1", port)).is_ok(),
            Ready::Unix(name) => UnixStream::connect(p.dir.join(name)).is_ok(),
            Ready::None => true,
        };
        while !up(&p) {
            if let Ok(Some(st)) = p.child.try_wait() {
                panic!(
                    "{} exited ({st}) before it was ready: {}",
                    self.bin.display(),
                    p.stderr()
                );
            }
            assert!(
                t0.elapsed() < WAIT,
                "{} did not become ready",
                self.bin.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        p
    }
}

/// Sends `raw` (a whole request, `Connection: close`) and returns everything the proxy
/// answers until it closes.
pub fn http_raw(port: u16, raw: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A one-shot `GET path` with `Connection: close`; the whole answer as text.
pub fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Columns that measure time (or rates over time), left out of `show stat` comparisons,
/// and the ones haproxy-rs does not report yet: the idle server connection gauges
/// (`srv_icur`, `idle_conn_cur`, `need_conn_est`: haproxy keeps the server connections of
/// closed clients idle, haproxy-rs closes them), `smax` (a peak that depends on timing)
/// and the `h1`/`h2`/`ssl` module columns after `-`.
pub const CSV_SKIP: &[&str] = &[
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "lastchg",
    "downtime",
    "lastsess",
    "check_duration",
    "rate",
    "rate_max",
    "req_rate",
    "req_rate_max",
    "conn_rate",
    "conn_rate_max",
    "bin",
    "bout",
    "smax",
    "srv_icur",
    "idle_conn_cur",
    "need_conn_est",
];

/// `show stat` CSV as `column=value` lines up to the modules' `-` column, timing columns
/// left out: what two proxies given the same traffic must agree on.
pub fn csv_comparable(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let hdr: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let cut = hdr.iter().position(|h| *h == "-").unwrap();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .zip(&hdr)
                .take(cut)
                .filter(|(_, h)| !CSV_SKIP.contains(h))
                .map(|(v, h)| format!("{h}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

/// A keep-alive HTTP backend answering every request with `200` and its `name` as body
/// (`404` for the name `s404`).
pub fn named_backend(name: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut got = Vec::new();
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                    while let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        got.drain(..end + 4);
                        let status = if name == "s404" {
                            "404 Not Found"
                        } else {
                            "200 OK"
                        };
                        let body = name;
                        let r = format!(
                            "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if s.write_all(r.as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}
