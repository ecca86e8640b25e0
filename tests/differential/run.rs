//! Runs one scenario against one proxy binary and records what the clients and the scripted
//! servers saw, as transcript lines (no timings: only outcomes).

use super::scenario::{
    escape, file_var, port_var, port_vars, CExpect, CStep, SExpect, SStep, Scenario,
};
use super::wire::{read_body, request_framing, response_framing, Conn, Head, Stop};
use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a proxy may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on how long an idle keep-alive server connection waits for the proxy's next
/// request or close.
const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// Bound on `loop` rounds of a server script.
const MAX_LOOPS: usize = 64;

/// What one implementation did in one scenario.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The compared record: client side, then server side.
    pub transcript: Vec<String>,
    /// The scenario's `expect` lines that did not hold.
    pub failed_expectations: Vec<String>,
    /// The proxy's stderr (shown when something goes wrong).
    pub stderr: String,
}

/// Named events (`signal` / `wait`) shared by the servers and clients of one run.
#[derive(Default)]
struct Events {
    set: Mutex<HashSet<String>>,
    cv: Condvar,
}

impl Events {
    fn signal(&self, ev: &str) {
        self.set.lock().unwrap().insert(ev.to_string());
        self.cv.notify_all();
    }
    fn wait(&self, ev: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut g = self.set.lock().unwrap();
        while !g.contains(ev) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self.cv.wait_timeout(g, deadline - now).unwrap().0;
        }
        true
    }
}

/// Ports handed out by this process, never handed out twice: the kernel may give a
/// released port to the next `bind(0)`, and HAProxy binds with SO_REUSEPORT, so two
/// scenarios' proxies could otherwise share a frontend port.
static USED_PORTS: Mutex<Vec<u16>> = Mutex::new(Vec::new());

fn free_port() -> u16 {
    for _ in 0..1000 {
        let p = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut used = USED_PORTS.lock().unwrap();
        if !used.contains(&p) {
            used.push(p);
            return p;
        }
    }
    panic!("no unused port found");
}

/// Drops the header lines whose name is in `ignore` (case-insensitively).
fn head_lines(raw: &[u8], ignore: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&c| c == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        rest = &rest[end..];
        let name = line.iter().position(|&c| c == b':').map(|i| {
            String::from_utf8_lossy(&line[..i])
                .trim()
                .to_ascii_lowercase()
        });
        if !out.is_empty() && name.is_some_and(|n| ignore.contains(&n)) {
            continue;
        }
        out.push(escape(line));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Scripted servers

#[derive(Default, Clone)]
struct ConnRecord {
    lines: Vec<String>,
    requests: Vec<Vec<u8>>,
}

struct ServerRun {
    name: String,
    accept: Option<JoinHandle<Vec<ConnRecord>>>,
}

fn start_server(
    sc: &Scenario,
    idx: usize,
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    events: Arc<Events>,
) -> ServerRun {
    let srv = sc.servers[idx].clone();
    let ignore = sc.ignore_request_headers.clone();
    let limit = sc.step_timeout;
    listener.set_nonblocking(true).unwrap();
    let accept = std::thread::spawn(move || {
        let mut conns: Vec<JoinHandle<ConnRecord>> = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    let steps = srv.steps.clone();
                    let ignore = ignore.clone();
                    let events = events.clone();
                    let stop = stop.clone();
                    conns.push(std::thread::spawn(move || {
                        serve(Conn::new(s), &steps, &ignore, limit, &events, &stop)
                    }));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        conns
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| ConnRecord {
                    lines: vec!["server thread panicked".into()],
                    requests: Vec::new(),
                })
            })
            .collect()
    });
    ServerRun {
        name: sc.servers[idx].name.clone(),
        accept: Some(accept),
    }
}

/// Runs a server script on one accepted connection.
fn serve(
    mut c: Conn,
    steps: &[SStep],
    ignore: &[String],
    limit: Duration,
    ev: &Events,
    stop: &AtomicBool,
) -> ConnRecord {
    let mut r = ConnRecord::default();
    let mut last_head = Head::default();
    let mut rounds = 0;
    let mut i = 0;
    while i < steps.len() {
        let deadline = Instant::now() + limit;
        match &steps[i] {
            SStep::RecvRequest | SStep::RecvHead => {
                let whole = steps[i] == SStep::RecvRequest;
                // Waiting for a next request is not bounded by the step time-out but by the
                // run: the proxy's exit ends it.
                let idle = if !r.requests.is_empty() && c.buf.is_empty() {
                    c.await_data(IDLE_LIMIT, || stop.load(Ordering::SeqCst))
                } else {
                    Ok(())
                };
                let deadline = Instant::now() + limit;
                let raw = match idle.and_then(|()| c.read_head(deadline)) {
                    Ok(h) => h,
                    Err(e) => {
                        let got = c.take_all();
                        r.lines.push(if got.is_empty() {
                            format!("request: {} before a request", e.word())
                        } else {
                            format!("request: {} after {}", e.word(), escape(&got))
                        });
                        return r;
                    }
                };
                last_head = Head::parse(&raw);
                let mut req = raw.clone();
                for (n, l) in head_lines(&raw, ignore).into_iter().enumerate() {
                    r.lines.push(format!(
                        "{} {l}",
                        if n == 0 { "request:" } else { "        " }
                    ));
                }
                if whole {
                    match read_body(&mut c, request_framing(&last_head), deadline) {
                        Ok(b) => {
                            if !b.is_empty() {
                                r.lines.push(format!("         body {}", escape(&b)));
                            }
                            req.extend(b);
                        }
                        Err((b, e)) => {
                            r.lines.push(format!(
                                "         body {} after {}",
                                e.word(),
                                escape(&b)
                            ));
                            r.requests.push(req);
                            return r;
                        }
                    }
                }
                r.requests.push(req);
            }
            SStep::RecvBody => match read_body(&mut c, request_framing(&last_head), deadline) {
                Ok(b) => {
                    r.lines.push(format!("         body {}", escape(&b)));
                    if let Some(q) = r.requests.last_mut() {
                        q.extend(b);
                    }
                }
                Err((b, e)) => {
                    r.lines
                        .push(format!("         body {} after {}", e.word(), escape(&b)));
                    return r;
                }
            },
            SStep::RecvBytes(n) => match c.read_exact(*n, deadline) {
                Ok(b) => r.lines.push(format!("recv {n}: {}", escape(&b))),
                Err(e) => {
                    let got = c.take_all();
                    r.lines
                        .push(format!("recv {n}: {} after {}", e.word(), escape(&got)));
                    return r;
                }
            },
            SStep::RecvUntilClose => {
                let (b, e) = c.read_to_close(deadline);
                // A half-closed connection can still be written to.
                r.lines
                    .push(format!("until-close: {} then {}", escape(&b), e.word()));
            }
            SStep::WaitClose => {
                let (b, e) = c.read_to_close(deadline);
                r.lines.push(if b.is_empty() {
                    format!("wait-close: {}", e.word())
                } else {
                    format!("wait-close: got {} then {}", escape(&b), e.word())
                });
                return r;
            }
            SStep::Send(b) => {
                // A failed send shows in what the client gets.
                c.send(b);
            }
            SStep::Close => return r,
            SStep::Shutdown => c.shutdown_write(),
            SStep::Delay(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            SStep::Signal(e) => ev.signal(e),
            SStep::Loop => {
                rounds += 1;
                if rounds >= MAX_LOOPS {
                    r.lines.push("loop: bound reached".into());
                    return r;
                }
                i = 0;
                continue;
            }
        }
        i += 1;
    }
    r
}

// ---------------------------------------------------------------------------------------
// Clients

#[derive(Default)]
struct ClientState {
    response: Option<(Head, Vec<u8>)>,
    closed: Option<bool>,
    bytes: Option<Vec<u8>>,
}

/// A client's transcript lines and its failed expectations.
type ClientResult = (Vec<String>, Vec<String>);

fn run_client(sc: &Scenario, ci: usize, addr: SocketAddr, ev: &Events) -> ClientResult {
    let cl = &sc.clients[ci];
    let limit = sc.step_timeout;
    let mut lines = Vec::new();
    let mut fails = Vec::new();
    let p = |s: String| format!("{} {s}", cl.name);
    let mut conn = match TcpStream::connect_timeout(&addr, limit) {
        Ok(s) => Some(Conn::new(s)),
        Err(e) => {
            lines.push(p(format!("connect: failed ({:?})", e.kind())));
            None
        }
    };
    let mut st = ClientState::default();
    let mut nresp = 0;
    for step in &cl.steps {
        let deadline = Instant::now() + limit;
        if let CStep::Expect(x) = step {
            if let Some(f) = check_client(x, &st) {
                fails.push(format!("{}: expect {x:?}: {f}", cl.name));
            }
            continue;
        }
        match step {
            CStep::Delay(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                continue;
            }
            CStep::Wait(e) => {
                if !ev.wait(e, limit) {
                    lines.push(p(format!("wait {e}: timeout")));
                }
                continue;
            }
            CStep::Signal(e) => {
                ev.signal(e);
                continue;
            }
            _ => {}
        }
        let Some(c) = conn.as_mut() else {
            lines.push(p(format!("{step:?}: no connection")));
            continue;
        };
        match step {
            CStep::Send(b) => {
                c.send(b);
            }
            CStep::RecvResponse { head } => {
                nresp += 1;
                st.response = None;
                let tag = format!("response {nresp}:");
                let raw = match c.read_head(deadline) {
                    Ok(r) => r,
                    Err(e) => {
                        let got = c.take_all();
                        lines.push(p(if got.is_empty() {
                            format!("{tag} {} before a response", e.word())
                        } else {
                            format!("{tag} {} after {}", e.word(), escape(&got))
                        }));
                        st.closed = Some(e == Stop::Closed);
                        continue;
                    }
                };
                let h = Head::parse(&raw);
                for (n, l) in head_lines(&raw, &sc.ignore_headers).into_iter().enumerate() {
                    // Header names compare case-insensitively unless the scenario says.
                    let l = if n == 0 || sc.exact_case {
                        l
                    } else {
                        lower_name(&l)
                    };
                    lines.push(p(format!("{} {l}", if n == 0 { &tag } else { "  " })));
                }
                match read_body(c, response_framing(&h, *head), deadline) {
                    Ok(b) => {
                        if !b.is_empty() {
                            lines.push(p(format!("  body {}", escape(&b))));
                        }
                        st.response = Some((h, b));
                    }
                    Err((b, e)) => {
                        lines.push(p(format!("  body {} after {}", e.word(), escape(&b))));
                        st.closed = Some(e == Stop::Closed);
                        st.response = Some((h, b));
                    }
                }
            }
            CStep::RecvBytes(n) => match c.read_exact(*n, deadline) {
                Ok(b) => {
                    lines.push(p(format!("recv {n}: {}", escape(&b))));
                    st.bytes = Some(b);
                }
                Err(e) => {
                    let got = c.take_all();
                    lines.push(p(format!("recv {n}: {} after {}", e.word(), escape(&got))));
                    st.closed = Some(e == Stop::Closed);
                    st.bytes = Some(got);
                }
            },
            CStep::RecvUntilClose => {
                let (b, e) = c.read_to_close(deadline);
                lines.push(p(format!("until-close: {} then {}", escape(&b), e.word())));
                st.closed = Some(e == Stop::Closed);
                st.bytes = Some(b);
            }
            CStep::RecvClose => {
                let (b, e) = c.read_to_close(deadline);
                let end = if e == Stop::Closed {
                    "closed"
                } else {
                    "still open"
                };
                lines.push(p(if b.is_empty() {
                    format!("close-check: {end}")
                } else {
                    format!("close-check: extra bytes {} then {end}", escape(&b))
                }));
                st.closed = Some(e == Stop::Closed && b.is_empty());
            }
            CStep::RecvIdle(ms) => {
                let (b, e) = c.read_to_close(Instant::now() + Duration::from_millis(*ms));
                let end = if e == Stop::Closed { "closed" } else { "open" };
                lines.push(p(if b.is_empty() {
                    format!("idle-check: {end}")
                } else {
                    format!("idle-check: extra bytes {} then {end}", escape(&b))
                }));
                st.closed = Some(e == Stop::Closed);
                if !b.is_empty() {
                    st.closed = None;
                }
            }
            CStep::Close => conn = None,
            CStep::Shutdown => c.shutdown_write(),
            CStep::Delay(_) | CStep::Wait(_) | CStep::Signal(_) | CStep::Expect(_) => {
                unreachable!()
            }
        }
    }
    (lines, fails)
}

/// `"Content-Length: 2\r\n"` → `"content-length: 2\r\n"` (an escaped header line).
fn lower_name(escaped: &str) -> String {
    match escaped.find(':') {
        Some(i) => format!("{}{}", escaped[..i].to_ascii_lowercase(), &escaped[i..]),
        None => escaped.to_string(),
    }
}

fn check_client(x: &CExpect, st: &ClientState) -> Option<String> {
    let resp = || st.response.as_ref().ok_or("no response".to_string());
    let r: Result<(), String> = (|| match x {
        CExpect::Status(s) => {
            let (h, _) = resp()?;
            (h.status() == Some(*s))
                .then_some(())
                .ok_or(format!("got `{}`", h.start))
        }
        CExpect::Header(n, v) => {
            let (h, _) = resp()?;
            h.fields
                .iter()
                .any(|(hn, hv)| hn.eq_ignore_ascii_case(n) && hv == v)
                .then_some(())
                .ok_or(format!("headers {:?}", h.fields))
        }
        CExpect::NoHeader(n) => {
            let (h, _) = resp()?;
            h.get(n)
                .is_none()
                .then_some(())
                .ok_or(format!("headers {:?}", h.fields))
        }
        CExpect::Body(b) => {
            let (_, body) = resp()?;
            (body == b)
                .then_some(())
                .ok_or(format!("body {}", escape(body)))
        }
        CExpect::BodyContains(b) => {
            let (_, body) = resp()?;
            body.windows(b.len().max(1))
                .any(|w| w == &b[..])
                .then_some(())
                .ok_or(format!("body {}", escape(body)))
        }
        CExpect::Closed => (st.closed == Some(true))
            .then_some(())
            .ok_or(format!("closed: {:?}", st.closed)),
        CExpect::Open => (st.closed == Some(false))
            .then_some(())
            .ok_or(format!("closed: {:?}", st.closed)),
        CExpect::Bytes(b) => (st.bytes.as_deref() == Some(&b[..]))
            .then_some(())
            .ok_or(format!("bytes {:?}", st.bytes.as_deref().map(escape))),
    })();
    r.err()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------
// The proxy

struct Proxy {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The inodes of the sockets listening on 127.0.0.1:port, from the kernel's table.
fn listen_inodes(port: u16) -> Vec<String> {
    let want = format!("0100007F:{port:04X}");
    let text = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 9 && f[1] == want && f[3] == "0A").then(|| f[9].to_string())
        })
        .collect()
}

/// The socket inodes a process holds (`socket:[N]` links in /proc/PID/fd).
fn socket_inodes(pid: u32) -> HashSet<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect()
}

fn stderr_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("stderr")).unwrap_or_default()
}

/// Connects to `l` (never accepted from) until a connection attempt gets no answer: the
/// accept queue is then full and the kernel drops further SYNs. Bounded.
fn fill_backlog(l: &TcpListener) -> Vec<TcpStream> {
    let addr = l.local_addr().unwrap();
    let mut conns = Vec::new();
    for _ in 0..10_000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => conns.push(c),
            Err(_) => return conns,
        }
    }
    panic!("the accept queue of {addr} never filled up");
}

/// Runs `sc` through `bin` (`-db -f <cfg>`). `label` names the temp folder. A run whose
/// ports turn out to be shared with another process is started over on new ports.
pub fn run(sc: &Scenario, bin: &Path, label: &str) -> Run {
    for _ in 0..3 {
        if let Some(r) = run_once(sc, bin, label) {
            return r;
        }
    }
    panic!(
        "{}: ports shared with another process three times in a row",
        sc.name
    );
}

/// One run; `None` when a port of the run is shared with another process.
fn run_once(sc: &Scenario, bin: &Path, label: &str) -> Option<Run> {
    let dir = std::env::temp_dir().join(format!(
        "hap-diff-{}-{}-{label}-{}",
        std::process::id(),
        sc.name,
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    for (name, content) in &sc.files {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        env.insert(file_var(name), p.display().to_string());
    }
    // Scripted servers keep the listener they were given a port with (no race); other
    // ports (the frontends, refusing servers) are picked free and released.
    let mut listeners: HashMap<String, TcpListener> = HashMap::new();
    for s in sc.servers.iter().filter(|s| !s.refuse) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        env.insert(
            port_var(&s.name),
            l.local_addr().unwrap().port().to_string(),
        );
        listeners.insert(s.name.clone(), l);
    }
    for v in port_vars(sc) {
        env.entry(v).or_insert_with(|| free_port().to_string());
    }
    // Black holes: the listener is never accepted from and its queue is filled first.
    let mut holes: Vec<(TcpListener, Vec<TcpStream>)> = Vec::new();
    for s in sc.servers.iter().filter(|s| s.blackhole) {
        let l = listeners.remove(&s.name).unwrap();
        let filler = fill_backlog(&l);
        holes.push((l, filler));
    }
    let cfg = dir.join("scenario.cfg");
    std::fs::write(&cfg, &sc.config).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(Events::default());
    let mut servers: Vec<ServerRun> = Vec::new();
    for (i, s) in sc.servers.iter().enumerate() {
        if let Some(l) = listeners.remove(&s.name) {
            servers.push(start_server(sc, i, l, stop.clone(), events.clone()));
        }
    }

    let child = Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .current_dir(&dir)
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut px = Proxy {
        child,
        dir: dir.clone(),
    };
    let mut out = Run::default();

    // Readiness: the kernel lists a socket of this proxy listening on each frontend the
    // clients use, and (except in `mode tcp`, where it would reach a server) a connection
    // to it succeeds; in a bounded loop.
    let tcp_mode = sc.config.contains("mode tcp");
    let targets: Vec<u16> = {
        let mut t: Vec<u16> = sc
            .clients
            .iter()
            .map(|c| env[&c.target].parse().unwrap())
            .collect();
        t.sort();
        t.dedup();
        t
    };
    let pid = px.child.id();
    let deadline = Instant::now() + START_TIMEOUT;
    let mut ready = false;
    while Instant::now() < deadline {
        if let Ok(Some(st)) = px.child.try_wait() {
            out.transcript
                .push(format!("proxy: exited before listening ({st})"));
            break;
        }
        let mine = socket_inodes(pid);
        if targets.iter().all(|&p| {
            listen_inodes(p).iter().any(|i| mine.contains(i))
                && (tcp_mode || TcpStream::connect(("127.0.0.1", p)).is_ok())
        }) {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if !ready && out.transcript.is_empty() {
        out.transcript
            .push("proxy: not listening after 10 s".into());
    }
    if !ready {
        // No client ran, so none of the scenario's expectations was checked.
        out.failed_expectations.push(format!(
            "the proxy did not start: {}",
            out.transcript.last().map_or("", String::as_str)
        ));
    }
    // Another process on one of the ports (a second listener, or one on a port meant to
    // refuse): start over.
    let refusing: Vec<String> = sc
        .servers
        .iter()
        .filter(|s| s.refuse)
        .map(|s| port_var(&s.name))
        .collect();
    let collided = ready
        && port_vars(sc).iter().any(|v| {
            let n = listen_inodes(env[v].parse().unwrap()).len();
            n > 1 || (n == 1 && refusing.contains(v))
        });
    let ready = ready && !collided;

    let mut client_lines: Vec<Vec<String>> = vec![Vec::new(); sc.clients.len()];
    if ready {
        // Groups: a client starts after the previous ones finished, unless `concurrent`.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, c) in sc.clients.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if c.concurrent => g.push(i),
                _ => groups.push(vec![i]),
            }
        }
        for g in groups {
            let results: Vec<(usize, ClientResult)> = std::thread::scope(|s| {
                let hs: Vec<_> = g
                    .iter()
                    .map(|&i| {
                        let port: u16 = env[&sc.clients[i].target].parse().unwrap();
                        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
                        let ev = &*events;
                        (i, s.spawn(move || run_client(sc, i, addr, ev)))
                    })
                    .collect();
                hs.into_iter()
                    .map(|(i, h)| (i, h.join().expect("client thread")))
                    .collect()
            });
            for (i, (l, f)) in results {
                client_lines[i] = l;
                out.failed_expectations.extend(f);
            }
        }
        if let Ok(Some(st)) = px.child.try_wait() {
            out.transcript
                .push(format!("proxy: exited during the run ({st})"));
        }
    }
    for l in client_lines {
        out.transcript.extend(l);
    }

    // Stop the proxy: the servers' connections then end, and their threads with them.
    let _ = px.child.kill();
    let _ = px.child.wait();
    out.stderr = stderr_of(&dir);
    stop.store(true, Ordering::SeqCst);
    let mut records: HashMap<String, Vec<ConnRecord>> = HashMap::new();
    for mut s in servers {
        let conns = s.accept.take().unwrap().join().unwrap_or_default();
        records.insert(s.name, conns);
    }
    for s in &sc.servers {
        let conns = records.remove(&s.name).unwrap_or_default();
        if s.refuse {
            out.transcript
                .push(format!("{}: refuses connections", s.name));
        } else if s.blackhole {
            out.transcript
                .push(format!("{}: never answers connection attempts", s.name));
        } else {
            out.transcript
                .push(format!("{}: {} connection(s)", s.name, conns.len()));
        }
        for (k, c) in conns.iter().enumerate() {
            for l in &c.lines {
                out.transcript.push(format!("{}#{} {l}", s.name, k + 1));
            }
        }
        let reqs: Vec<&Vec<u8>> = conns.iter().flat_map(|c| c.requests.iter()).collect();
        for x in &s.expects {
            let ok = match x {
                SExpect::Connections(n) => conns.len() == *n,
                SExpect::Requests(n) => reqs.len() == *n,
                SExpect::RequestContains(b) => reqs.iter().any(|r| contains(r, b)),
                SExpect::RequestLacks(b) => !reqs.iter().any(|r| contains(r, b)),
            };
            if !ok {
                out.failed_expectations.push(format!(
                    "{}: expect {x:?}: {} connection(s), requests {:?}",
                    s.name,
                    conns.len(),
                    reqs.iter().map(|r| escape(r)).collect::<Vec<_>>()
                ));
            }
        }
    }
    drop(px);
    drop(holes);
    (!collided).then_some(out)
}
