//! Health checks through the real binary against real backends on 127.0.0.1 that the
//! tests stop, restart and make answer 500/404: rise/fall counts, backup take-over,
//! `disable-on-404`, agent weights and states, `tcp-check send/expect`, queued requests
//! redistributed when their server goes down; and a differential run against
//! /usr/sbin/haproxy comparing the state-change messages for the same backend events.
//!
//! Readiness comes from the proxy's own stderr (each state change is a line) and from the
//! backends' counters, never from sleeping for a guessed time.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

use common::proc::{free_port, serial, Ready};

struct Proxy {
    _p: common::proc::Proxy,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proxy {
    fn start(bin: &Path, cfg: &str, fe: u16) -> Proxy {
        let mut p = common::proc::Proxy::builder(bin, cfg)
            .piped_stderr()
            .start(Ready::Port(fe));
        let err = p.child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for l in BufReader::new(err).lines() {
                let Ok(l) = l else { return };
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Proxy {
            _p: p,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The next stderr line containing `pat` (earlier lines are kept in `seen`).
    fn wait_for(&mut self, pat: &str) -> String {
        let t0 = Instant::now();
        loop {
            let left = WAIT.saturating_sub(t0.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(pat) {
                        return l;
                    }
                }
                Err(_) => panic!("no line with {pat:?}; saw {:#?}", self.seen),
            }
        }
    }

    /// State-change lines (warnings and alerts about servers) seen so far.
    fn changes(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|l| {
                l.contains("Server ")
                    || l.contains("has no server available")
                    || l.contains(" check for ")
            })
            .cloned()
            .collect()
    }
}

/// What a scripted backend does with each connection.
#[derive(Clone)]
enum Mode {
    /// Answer HTTP with this status and body.
    Http(u16, &'static str),
    /// Answer HTTP after a delay (traffic that holds a server slot).
    SlowHttp(Duration),
    /// Write this line and close (an agent).
    Line(String),
    /// Read a line, answer with this text (a tcp-check peer).
    Reply(&'static str),
    /// Echo lines prefixed with the backend's name, until the peer closes.
    Echo,
}

/// A backend the test can stop (its port then refuses) and start again on the same port.
struct Backend {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    /// Connections accepted, per answer kind: total and with a non-2xx status.
    conns: Arc<AtomicUsize>,
    bad: Arc<AtomicUsize>,
    /// Connections accepted (a layer-4 check sends nothing).
    accepted: Arc<AtomicUsize>,
    running: Arc<AtomicBool>,
    name: &'static str,
}

fn reason(st: u16) -> &'static str {
    match st {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    }
}

impl Backend {
    fn new(name: &'static str, mode: Mode) -> Backend {
        let b = Backend {
            port: free_port(),
            mode: Arc::new(Mutex::new(mode)),
            conns: Arc::default(),
            bad: Arc::default(),
            accepted: Arc::default(),
            running: Arc::default(),
            name,
        };
        b.start();
        b
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }

    fn start(&self) {
        let l = TcpListener::bind(self.addr()).unwrap();
        l.set_nonblocking(true).unwrap();
        self.running.store(true, Ordering::SeqCst);
        let accepted = self.accepted.clone();
        let (mode, conns, bad, running, name) = (
            self.mode.clone(),
            self.conns.clone(),
            self.bad.clone(),
            self.running.clone(),
            self.name,
        );
        thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((s, _)) => {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        s.set_nonblocking(false).unwrap();
                        let m = mode.lock().unwrap().clone();
                        let (conns, bad) = (conns.clone(), bad.clone());
                        thread::spawn(move || serve(s, m, name, &conns, &bad));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
    }

    /// Closes the listening socket: connections are refused from now on.
    fn stop(&self) {
        self.running.store(false, Ordering::SeqCst);
        // The accept loop polls every 2 ms; once it has dropped the listener, connecting
        // is refused.
        let t0 = Instant::now();
        while TcpStream::connect(self.addr()).is_ok() {
            assert!(t0.elapsed() < WAIT);
            thread::sleep(Duration::from_millis(2));
        }
    }
}

fn serve(s: TcpStream, m: Mode, name: &str, conns: &AtomicUsize, bad: &AtomicUsize) {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    match m {
        Mode::Echo => loop {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if w.write_all(format!("{name} {line}").as_bytes()).is_err() {
                return;
            }
        },
        Mode::Line(l) => {
            conns.fetch_add(1, Ordering::SeqCst);
            let _ = w.write_all(l.as_bytes());
        }
        Mode::Reply(text) => {
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let _ = w.write_all(text.as_bytes());
            if !text.starts_with('+') {
                bad.fetch_add(1, Ordering::SeqCst);
            }
            conns.fetch_add(1, Ordering::SeqCst);
        }
        Mode::Http(..) | Mode::SlowHttp(_) => loop {
            let mut head = String::new();
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                head.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let (st, body) = match m {
                Mode::Http(st, body) => (st, body.to_string()),
                Mode::SlowHttp(d) => {
                    // Counted on arrival: the test waits for the slot to be taken.
                    conns.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(d);
                    (200, name.to_string())
                }
                _ => unreachable!(),
            };
            if !(200..300).contains(&st) {
                bad.fetch_add(1, Ordering::SeqCst);
            }
            if !matches!(m, Mode::SlowHttp(_)) {
                conns.fetch_add(1, Ordering::SeqCst);
            }
            let body = if body.is_empty() {
                name.to_string()
            } else {
                body
            };
            let resp = format!(
                "HTTP/1.1 {st} {}\r\ncontent-length: {}\r\n\r\n{body}",
                reason(st),
                body.len()
            );
            if w.write_all(resp.as_bytes()).is_err() {
                return;
            }
            if head.starts_with("OPTIONS") || head.contains("HTTP/1.0") {
                return;
            }
        },
    }
}

/// One request through the proxy: status and body.
fn get(port: u16, extra: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn cfg(fe: u16, backend: &str) -> String {
    format!(
        "defaults\n mode http\n timeout connect 1s\n timeout check 3s\n timeout client 10s\n timeout server 10s\n timeout queue 10s\nfrontend f\n bind 127.0.0.1:{fe}\n default_backend b\nbackend b\n{backend}"
    )
}

fn rs() -> PathBuf {
    common::rs_bin()
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < WAIT, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn fall_failures_take_a_server_down_and_rise_successes_bring_it_back() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " option httpchk GET /health\n server a {} check inter 50 rise 2 fall 3\n",
                a.addr()
            ),
        ),
        fe,
    );
    // Two passing checks: fully up (a single failure no longer takes it down).
    wait_until("two checks", || a.conns.load(Ordering::SeqCst) >= 2);
    assert_eq!(get(fe, ""), (200, "A".into()));
    a.set(Mode::Http(500, ""));
    let line = px.wait_for("is DOWN");
    assert!(
        line.contains("Server b/a is DOWN, reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: "),
        "{line}"
    );
    assert!(
        line.ends_with(". 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."),
        "{line}"
    );
    // Exactly `fall` failed checks were needed (the next one is 50 ms away).
    assert_eq!(a.bad.load(Ordering::SeqCst), 3);
    px.wait_for("backend 'b' has no server available!");
    assert_eq!(get(fe, "").0, 503);
    let before = a.conns.load(Ordering::SeqCst);
    a.set(Mode::Http(200, ""));
    let line = px.wait_for("is UP");
    assert!(
        line.contains("Server b/a is UP, reason: Layer7 check passed, code: 200, check duration: "),
        "{line}"
    );
    assert!(line.ends_with(
        ". 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
    ));
    // `rise` passing checks (a check already under way when the mode changed may count).
    let ok = a.conns.load(Ordering::SeqCst) - before;
    assert!((2..=3).contains(&ok), "{ok} checks to come back up");
    assert_eq!(get(fe, ""), (200, "A".into()));
}

/// (`inter`, `rise` and `fall` come from `default-server`.)
#[test]
fn backup_takes_over_when_the_active_server_stops() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " default-server inter 50 fall 1 rise 1\n server a {} check\n server b {} check backup\n",
                a.addr(),
                b.addr()
            ),
        ),
        fe,
    );
    assert_eq!(get(fe, "").1, "A");
    a.stop();
    let line = px.wait_for("Server b/a is DOWN");
    assert!(
        line.contains(
            "reason: Layer4 connection problem, info: \"Connection refused\", check duration: "
        ),
        "{line}"
    );
    assert!(
        line.ends_with("0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."),
        "{line}"
    );
    assert_eq!(get(fe, "").1, "B");
    a.start();
    let line = px.wait_for("Server b/a is UP");
    assert!(
        line.contains("reason: Layer4 check passed, check duration: "),
        "{line}"
    );
    assert!(line
        .ends_with("1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."));
    assert_eq!(get(fe, "").1, "A");
}

#[test]
fn disable_on_404_stops_new_traffic_and_200_resumes_it() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " balance roundrobin\n option httpchk\n http-check disable-on-404\n server a {} check inter 50\n server b {}\n",
                a.addr(),
                b.addr()
            ),
        ),
        fe,
    );
    wait_until("a check", || a.conns.load(Ordering::SeqCst) >= 1);
    a.set(Mode::Http(404, ""));
    let line = px.wait_for("Server b/a is stopping");
    assert!(
        line.contains("reason: Layer7 check conditionally passed, code: 404, check duration: "),
        "{line}"
    );
    assert!(
        line.ends_with(
            "1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
        ),
        "{line}"
    );
    for _ in 0..4 {
        assert_eq!(get(fe, "").1, "B");
    }
    a.set(Mode::Http(200, ""));
    px.wait_for("Server b/a is UP");
    let names: Vec<String> = (0..4).map(|_| get(fe, "").1).collect();
    assert!(names.contains(&"A".to_string()), "{names:?}");
}

#[test]
fn agent_replies_change_weight_and_state() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let agent = Backend::new("agent", Mode::Line("up 0%\n".into()));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " balance roundrobin\n server a {} agent-check agent-port {} agent-inter 50 weight 10\n server b {} weight 10\n",
                a.addr(),
                agent.port,
                b.addr()
            ),
        ),
        fe,
    );
    // Weight 0%: a gets nothing.
    // The second connection means the first reply was read.
    wait_until("agent", || agent.conns.load(Ordering::SeqCst) >= 2);
    for _ in 0..4 {
        assert_eq!(get(fe, "").1, "B");
    }
    agent.set(Mode::Line("100%\n".into()));
    let n = agent.conns.load(Ordering::SeqCst);
    wait_until("agent", || agent.conns.load(Ordering::SeqCst) >= n + 2);
    let names: Vec<String> = (0..4).map(|_| get(fe, "").1).collect();
    assert!(names.contains(&"A".to_string()), "{names:?}");
    agent.set(Mode::Line("down # maintenance window\n".into()));
    let line = px.wait_for("Server b/a is DOWN");
    assert!(
        line.contains(
            "reason: Layer7 wrong status, code: 0, info: \"via agent : down (maintenance window)\""
        ),
        "{line}"
    );
    agent.set(Mode::Line("drain\n".into()));
    agent.set(Mode::Line("up\n".into()));
    let line = px.wait_for("Server b/a is UP");
    assert!(line.contains("info: \"via agent : up\""), "{line}");
    agent.set(Mode::Line("drain\n".into()));
    let line = px.wait_for("enters drain state");
    assert_eq!(
        line.split(" : ").nth(1).unwrap(),
        "Server b/a enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
    );
    for _ in 0..3 {
        assert_eq!(get(fe, "").1, "B");
    }
    agent.set(Mode::Line("ready\n".into()));
    px.wait_for("Server b/a is UP (leaving forced drain).");
}

#[test]
fn tcp_check_send_expect_against_a_scripted_server() {
    let _s = serial();
    let a = Backend::new("A", Mode::Reply("+PONG\r\n"));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &format!(
            "defaults\n mode tcp\n timeout connect 1s\n timeout check 3s\n timeout client 10s\n timeout server 10s\nlisten l\n bind 127.0.0.1:{fe}\n option tcp-check\n tcp-check send PING\\r\\n\n tcp-check expect string +PONG\n server a {} check inter 50 fall 1 rise 1\n",
            a.addr()
        ),
        fe,
    );
    wait_until("a check", || a.conns.load(Ordering::SeqCst) >= 2);
    a.set(Mode::Reply("-ERR no\r\n"));
    let line = px.wait_for("Server l/a is DOWN");
    assert!(
        line.contains("reason: Layer7 invalid response, info: \"TCPCHK did not match content '+PONG' at step 2\", check duration: "),
        "{line}"
    );
    px.wait_for("proxy 'l' has no server available!");
    a.set(Mode::Reply("+PONG\r\n"));
    let line = px.wait_for("Server l/a is UP");
    assert!(
        line.contains("reason: Layer7 check passed, code: 0, info: \"(tcp-check)\""),
        "{line}"
    );
    a.stop();
    let line = px.wait_for("Server l/a is DOWN");
    assert!(
        line.contains("info: \"Connection refused at initial connection step of tcp-check\""),
        "{line}"
    );
}

#[test]
fn requests_queued_on_a_server_are_redistributed_when_it_goes_down() {
    let _s = serial();
    // `a` serves slowly with one slot; its health is checked on another port the test
    // controls. Two requests persist to `a`: the second waits in a's queue.
    let a = Backend::new("A", Mode::SlowHttp(Duration::from_millis(1500)));
    let ahealth = Backend::new("ah", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " balance roundrobin\n option redispatch\n cookie SRV insert indirect\n server a {} cookie a maxconn 1 check port {} inter 50 fall 1\n server b {} cookie b\n",
                a.addr(),
                ahealth.port,
                b.addr()
            ),
        ),
        fe,
    );
    wait_until("a check", || ahealth.accepted.load(Ordering::SeqCst) >= 1);
    let first = thread::spawn(move || get(fe, "Cookie: SRV=a\r\n"));
    wait_until("a busy", || a.conns.load(Ordering::SeqCst) == 1);
    let second = thread::spawn(move || get(fe, "Cookie: SRV=a\r\n"));
    // Nothing outside the proxy tells that the second request reached a's queue; it has
    // 1.3 s left there (a holds its slot 1.5 s), so a short pause is a safe margin.
    thread::sleep(Duration::from_millis(200));
    ahealth.stop();
    let line = px.wait_for("Server b/a is DOWN");
    assert!(
        line.ends_with("1 active and 0 backup servers left. 1 sessions active, 1 requeued, 0 remaining in queue."),
        "{line}"
    );
    assert_eq!(second.join().unwrap().1, "B");
    assert_eq!(first.join().unwrap().1, "A");
}

#[test]
fn observe_layer4_marks_a_server_down_after_error_limit_connection_errors() {
    let _s = serial();
    // `a` refuses traffic while its health port answers: only observation can catch it.
    let dead = free_port();
    let health = Backend::new("H", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " retries 0\n server a 127.0.0.1:{dead} check port {} inter 5s observe layer4 error-limit 2 on-error mark-down\n server b {}\n",
                health.port,
                b.addr()
            ),
        ),
        fe,
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(fe, "").0);
    }
    assert_eq!(statuses, [503, 200, 503, 200]);
    let line = px.wait_for("Server b/a is DOWN");
    // HAProxy reports the same (with "1 sessions active": it acts while the failing
    // stream still holds its slot; haproxy-rs acts on the checks thread just after).
    assert!(
        line.contains(": Server b/a is DOWN, reason: Health analyze, info: \"Detected 2 consecutive errors, last one was: L4 unsuccessful connection\". 1 active and 0 backup servers left. "),
        "{line}"
    );
    for _ in 0..3 {
        assert_eq!(get(fe, "").0, 200);
    }
}

#[test]
fn observe_layer7_counts_5xx_answers() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(500, ""));
    let health = Backend::new("H", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " server a {} check port {} inter 5s observe layer7 error-limit 2 on-error mark-down\n server b {}\n",
                a.addr(),
                health.port,
                b.addr()
            ),
        ),
        fe,
    );
    let statuses: Vec<u16> = (0..4).map(|_| get(fe, "").0).collect();
    assert_eq!(statuses, [500, 200, 500, 200]);
    let line = px.wait_for("Server b/a is DOWN");
    assert!(
        line.contains(": Server b/a is DOWN, reason: Health analyze, info: \"Detected 2 consecutive errors, last one was: Wrong http response\". 1 active and 0 backup servers left. "),
        "{line}"
    );
    for _ in 0..3 {
        assert_eq!(get(fe, "").0, 200);
    }
}

#[test]
fn slowstart_ramps_a_returning_server_up() {
    let _s = serial();
    let a = Backend::new("A", Mode::Http(200, ""));
    let ah = Backend::new("ah", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &cfg(
            fe,
            &format!(
                " balance roundrobin\n server a {} check port {} inter 50 fall 1 rise 1 slowstart 3s weight 100\n server b {} weight 100\n",
                a.addr(),
                ah.port,
                b.addr()
            ),
        ),
        fe,
    );
    ah.stop();
    px.wait_for("Server b/a is DOWN");
    ah.start();
    px.wait_for("Server b/a is UP");
    let share = |n| (0..n).filter(|_| get(fe, "").1 == "A").count();
    // Just back: a small fraction of its weight.
    let early = share(40);
    assert!(early <= 10, "a got {early} of 40 right after coming back");
    // No event marks the end of the ramp: wait it out.
    thread::sleep(Duration::from_millis(3200));
    let late = share(40);
    eprintln!("slowstart: a got {early}/40 just back, {late}/40 after");
    assert!(
        (15..=25).contains(&late),
        "a got {late} of 40 after its slowstart"
    );
}

#[test]
fn checks_send_the_proxy_header_the_server_expects() {
    let _s = serial();
    let l1 = TcpListener::bind("127.0.0.1:0").unwrap();
    let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
    let (a1, a2) = (l1.local_addr().unwrap(), l2.local_addr().unwrap());
    let fe = free_port();
    let _px = Proxy::start(
        &rs(),
        &format!(
            "defaults\n mode tcp\n timeout connect 1s\n timeout client 10s\n timeout server 10s\nlisten l\n bind 127.0.0.1:{fe}\n server a {a1} send-proxy check inter 100\n server b {a2} send-proxy-v2 check inter 100\n"
        ),
        fe,
    );
    let read = |l: &TcpListener| {
        let (mut s, peer) = l.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut b = [0u8; 128];
        let n = s.read(&mut b).unwrap();
        (b[..n].to_vec(), peer)
    };
    // v1 names the check connection's own addresses (it has no client).
    let (h1, peer) = read(&l1);
    assert_eq!(
        String::from_utf8(h1).unwrap(),
        format!(
            "PROXY TCP4 127.0.0.1 127.0.0.1 {} {}\r\n",
            peer.port(),
            a1.port()
        )
    );
    // v2 is a LOCAL command without addresses.
    let (h2, _) = read(&l2);
    assert_eq!(h2, b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00");
}

#[test]
fn marked_down_shuts_its_sessions_and_marked_up_shuts_the_backups() {
    let _s = serial();
    let a = Backend::new("A", Mode::Echo);
    let ah = Backend::new("ah", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Echo);
    let fe = free_port();
    let mut px = Proxy::start(
        &rs(),
        &format!(
            "defaults\n mode tcp\n timeout connect 1s\n timeout check 3s\n timeout client 30s\n timeout server 30s\nlisten l\n bind 127.0.0.1:{fe}\n server a {} check port {} inter 50 fall 1 rise 1 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions\n server b {} backup\n",
            a.addr(),
            ah.port,
            b.addr()
        ),
        fe,
    );
    let talk = || {
        let s = TcpStream::connect(("127.0.0.1", fe)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        (s, move |s: &mut TcpStream| {
            s.write_all(b"hi\n").unwrap();
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            l
        })
    };
    let (mut c1, mut ask1) = talk();
    assert_eq!(ask1(&mut c1), "A hi\n");
    ah.stop();
    px.wait_for("Server l/a is DOWN");
    // The session on `a` was closed by the proxy.
    // (A read timeout would be an error, not end-of-file.)
    assert!(matches!(c1.read(&mut [0u8; 16]), Ok(0)));
    let (mut c2, mut ask2) = talk();
    assert_eq!(ask2(&mut c2), "B hi\n");
    ah.start();
    px.wait_for("Server l/a is UP");
    // `a` is back: the session on the backup is closed, new ones go to `a`.
    assert!(matches!(c2.read(&mut [0u8; 16]), Ok(0)));
    let (mut c3, mut ask3) = talk();
    assert_eq!(ask3(&mut c3), "A hi\n");
}

/// `Server …`/`backend …` lines with the pid and check durations masked, and the two
/// layer-4 errors a stopped backend gives (refused, or reset when a check connection was
/// accepted just before it stopped: either binary can see either) made one.
fn masked(lines: &[String]) -> Vec<String> {
    let re_pid = regex::Regex::new(r"\(\d+\) :").unwrap();
    let re_dur = regex::Regex::new(r"check duration: \d+ms").unwrap();
    let re_l4 = regex::Regex::new(r"Connection (refused|reset by peer)").unwrap();
    lines
        .iter()
        .map(|l| {
            let l = re_pid.replace(l, "(PID) :");
            let l = re_l4.replace(&l, "Connection refused|reset");
            re_dur.replace(&l, "check duration: Nms").into_owned()
        })
        .collect()
}

/// The same sequence of backend events for one binary: an HTTP-checked active server that
/// answers 500 then 200, then stops, with an L4-checked backup; returns the masked lines.
fn scenario(bin: &Path, defaults: &str) -> Vec<String> {
    let a = Backend::new("A", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let t = Backend::new("T", Mode::Reply("+PONG\r\n"));
    let fe = free_port();
    let cfg = format!(
        "defaults\n mode http\n timeout connect 1s\n timeout check 3s\n timeout client 10s\n timeout server 10s\n{defaults}\
         frontend f\n bind 127.0.0.1:{fe}\n default_backend be\n\
         backend be\n option httpchk GET /health\n server s1 {} check inter 100 rise 2 fall 2\n server s2 {} check inter 100 backup\n\
         backend tr\n server t2 {} track be/s1\n\
         backend tb\n option tcp-check\n tcp-check send PING\\r\\n\n tcp-check expect string +PONG\n server t1 {} check inter 100 rise 1 fall 1\n",
        a.addr(),
        b.addr(),
        a.addr(),
        t.addr()
    );
    let mut px = Proxy::start(bin, &cfg, fe);
    wait_until("checks", || {
        a.conns.load(Ordering::SeqCst) >= 2 && t.conns.load(Ordering::SeqCst) >= 2
    });
    a.set(Mode::Http(500, ""));
    px.wait_for("Server be/s1 is DOWN");
    a.set(Mode::Http(200, ""));
    px.wait_for("Server be/s1 is UP");
    a.stop();
    px.wait_for("Server be/s1 is DOWN");
    b.stop();
    px.wait_for("backend 'be' has no server available");
    t.set(Mode::Reply("-ERR\r\n"));
    px.wait_for("Server tb/t1 is DOWN");
    t.set(Mode::Reply("+PONG\r\n"));
    px.wait_for("Server tb/t1 is UP");
    masked(&px.changes())
}

/// `disable-on-404` and agent replies (drain, ready, maint, down, up), for one binary.
fn scenario_404_agent(bin: &Path) -> Vec<String> {
    let a = Backend::new("A", Mode::Http(200, ""));
    let b = Backend::new("B", Mode::Http(200, ""));
    let agent = Backend::new("agent", Mode::Line("up\n".into()));
    let fe = free_port();
    let cfg = format!(
        "defaults\n mode http\n timeout connect 1s\n timeout check 3s\n timeout client 10s\n timeout server 10s\n\
         frontend f\n bind 127.0.0.1:{fe}\n default_backend be\n\
         backend be\n option httpchk\n http-check disable-on-404\n server s1 {} check inter 100\n\
         backend ag\n server g1 {} agent-check agent-port {} agent-inter 100\n",
        a.addr(),
        b.addr(),
        agent.port
    );
    let mut px = Proxy::start(bin, &cfg, fe);
    wait_until("checks", || {
        a.conns.load(Ordering::SeqCst) >= 2 && agent.conns.load(Ordering::SeqCst) >= 2
    });
    a.set(Mode::Http(404, ""));
    px.wait_for("Server be/s1 is stopping");
    a.set(Mode::Http(200, ""));
    px.wait_for("Server be/s1 is UP");
    a.set(Mode::Http(503, ""));
    px.wait_for("Server be/s1 is DOWN");
    a.set(Mode::Http(404, ""));
    // A 404 is no pass for a server that is down: it stays down; a 200 brings it up.
    let n = a.conns.load(Ordering::SeqCst);
    wait_until("404 checks", || a.conns.load(Ordering::SeqCst) >= n + 3);
    a.set(Mode::Http(200, ""));
    px.wait_for("Server be/s1 is UP");
    agent.set(Mode::Line("drain\n".into()));
    px.wait_for("Server ag/g1 enters drain state");
    agent.set(Mode::Line("ready\n".into()));
    px.wait_for("Server ag/g1 is UP (leaving forced drain)");
    agent.set(Mode::Line("down # gone\n".into()));
    px.wait_for("Server ag/g1 is DOWN");
    agent.set(Mode::Line("up\n".into()));
    px.wait_for("Server ag/g1 is UP");
    agent.set(Mode::Line("maint\n".into()));
    px.wait_for("Server ag/g1 is going DOWN for maintenance");
    agent.set(Mode::Line("ready\n".into()));
    px.wait_for("leaving forced maintenance");
    masked(&px.changes())
}

#[test]
fn disable_on_404_and_agent_messages_match_haproxy() {
    let _s = serial();
    let want = scenario_404_agent(&common::oracle());
    eprintln!("{}", want.join("\n"));
    let got = scenario_404_agent(&rs());
    assert_eq!(got, want);
}

#[test]
fn log_health_checks_messages_match_haproxy() {
    let _s = serial();
    let want = scenario(&common::oracle(), " option log-health-checks\n");
    assert!(
        want.iter()
            .any(|l| l.contains("Health check for server be/s1 failed")),
        "{want:#?}"
    );
    let got = scenario(&rs(), " option log-health-checks\n");
    assert_eq!(got, want);
}

#[test]
fn state_change_messages_match_haproxy() {
    let _s = serial();
    let want = scenario(&common::oracle(), "");
    let got = scenario(&rs(), "");
    assert!(want.len() >= 8, "{want:#?}");
    eprintln!("{}", want.join("\n"));
    assert_eq!(got, want);
}
