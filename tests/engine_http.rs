//! `mode http` through the real binary, against small real backends: forwarding with
//! bodies both ways, per-request load balancing, server connection reuse, HAProxy's
//! 502/503/504 pages (the client connection stays open after them, as in HAProxy 2.6), and
//! the queue end to end: many concurrent clients on `maxconn 1..4` servers, every request
//! answered by a server or by a 503 after `timeout queue`, none left hanging.
//! Byte-exact comparisons with HAProxy itself live in the differential suite (compat/).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

mod common;

use common::proc::{free_port, serial, Proxy, Ready};

/// Starts haproxy-rs on `cfg`; ready once the frontend port accepts a connection.
fn start(cfg: &str, fe: u16) -> Proxy {
    Proxy::start(&common::rs_bin(), cfg, Ready::Port(fe))
}

/// What a backend saw.
#[derive(Default)]
struct Seen {
    conns: AtomicUsize,
    requests: Mutex<Vec<String>>,
}

/// An HTTP/1.1 keep-alive backend answering `name` (and the request's body length) after
/// `delay`, recording every request head it received.
fn backend(name: &'static str, delay: Duration) -> (SocketAddr, Arc<Seen>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            s2.conns.fetch_add(1, Ordering::SeqCst);
            let seen = s2.clone();
            thread::spawn(move || serve(s, name, delay, &seen));
        }
    });
    (addr, seen)
}

fn serve(s: TcpStream, name: &str, delay: Duration, seen: &Seen) {
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    loop {
        let mut head = String::new();
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        seen.requests.lock().unwrap().push(head);
        thread::sleep(delay);
        let text = format!("{name} {len}");
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Server: {name}\r\n\r\n{text}",
            text.len()
        );
        if w.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one response (head + content-length body) from a keep-alive connection.
fn read_response(r: &mut BufReader<TcpStream>) -> (u16, String) {
    let (status, _, body) = read_full(r);
    (status, body)
}

fn client(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let r = BufReader::new(s.try_clone().unwrap());
    (s, r)
}

fn cfg(fe: u16, backend_lines: &str) -> String {
    format!(
        "global\n nbthread 2\ndefaults\n mode http\n timeout connect 1s\n timeout client 10s\n timeout server 10s\nfrontend f\n bind 127.0.0.1:{fe}\n default_backend b\nbackend b\n{backend_lines}"
    )
}

#[test]
fn forwards_requests_with_bodies_and_balances_each_request() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let (b, sb) = backend("B", Duration::ZERO);
    let fe = free_port();
    let _px = start(
        &cfg(
            fe,
            &format!(" balance roundrobin\n server a {a}\n server b {b}\n"),
        ),
        fe,
    );
    let (mut s, mut r) = client(fe);
    let mut got = Vec::new();
    for i in 0..4 {
        let body = "x".repeat(i * 1000);
        write!(
            s,
            "POST /p{i} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let (st, text) = read_response(&mut r);
        assert_eq!(st, 200);
        got.push(text);
    }
    // One client connection, four requests, alternating servers, bodies intact.
    let names: Vec<&str> = got.iter().map(|t| &t[..1]).collect();
    assert!(
        names == ["A", "B", "A", "B"] || names == ["B", "A", "B", "A"],
        "{got:?}"
    );
    for (i, t) in got.iter().enumerate() {
        assert!(t.ends_with(&format!(" {}", i * 1000)), "{t}");
    }
    assert_eq!(
        sa.requests.lock().unwrap().len() + sb.requests.lock().unwrap().len(),
        4
    );
}

#[test]
fn keep_alive_reuses_the_server_connection() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let fe = free_port();
    let _px = start(&cfg(fe, &format!(" server a {a}\n")), fe);
    let (mut s, mut r) = client(fe);
    for _ in 0..5 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut r).0, 200);
    }
    assert_eq!(sa.requests.lock().unwrap().len(), 5);
    assert_eq!(
        sa.conns.load(Ordering::SeqCst),
        1,
        "server connection not reused"
    );
}

/// A keep-alive connection idle for longer than the 200 ms after which the engine keeps
/// it in a compact form (as HAProxy frees the stream and keeps the session) carries on:
/// session variables are still there, and the server connection is reused. The pause is
/// what is under test, not a synchronisation.
#[test]
fn idle_keep_alive_connection_keeps_its_session_state() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let fe = free_port();
    let conf = cfg(fe, &format!(" server a {a}\n")).replace(
        " default_backend b\n",
        " http-request set-var(sess.n) int(7) if !{ var(sess.n) -m found }\n http-request set-var(sess.n) var(sess.n),add(1) if { path /again }\n http-response set-header x-n %[var(sess.n)]\n default_backend b\n",
    );
    let _px = start(&conf, fe);
    let (mut s, mut r) = client(fe);
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let (st, h, _) = read_full(&mut r);
    assert_eq!(st, 200);
    assert!(h.contains(&("x-n".into(), "7".into())), "{h:?}");
    for i in 0..2 {
        std::thread::sleep(Duration::from_millis(450));
        s.write_all(b"GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let (st, h, _) = read_full(&mut r);
        assert_eq!(st, 200);
        let want = (8 + i).to_string();
        assert!(h.contains(&("x-n".into(), want)), "{h:?}");
    }
    assert_eq!(sa.requests.lock().unwrap().len(), 3);
    assert_eq!(
        sa.conns.load(Ordering::SeqCst),
        1,
        "server connection not reused"
    );
}

#[test]
fn server_close_mode_closes_the_server_side_only() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let fe = free_port();
    let _px = start(
        &cfg(fe, &format!(" option http-server-close\n server a {a}\n")),
        fe,
    );
    let (mut s, mut r) = client(fe);
    for _ in 0..3 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut r).0, 200);
    }
    assert_eq!(sa.conns.load(Ordering::SeqCst), 3);
    let heads = sa.requests.lock().unwrap();
    assert!(
        heads
            .iter()
            .all(|h| h.to_ascii_lowercase().contains("connection: close")),
        "{heads:?}"
    );
}

#[test]
fn forwardfor_adds_the_client_address() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let fe = free_port();
    let _px = start(
        &cfg(fe, &format!(" option forwardfor\n server a {a}\n")),
        fe,
    );
    let (mut s, mut r) = client(fe);
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut r).0, 200);
    let heads = sa.requests.lock().unwrap();
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("x-forwarded-for: 127.0.0.1\r\n"),
        "{heads:?}"
    );
}

#[test]
fn dead_server_gives_503_and_the_connection_stays_open() {
    let _serial = serial();
    let dead = free_port();
    let fe = free_port();
    let _px = start(
        &cfg(
            fe,
            &format!(" retries 1\n timeout connect 100ms\n server d 127.0.0.1:{dead}\n"),
        ),
        fe,
    );
    let (mut s, mut r) = client(fe);
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let (st, body) = read_response(&mut r);
        assert_eq!(st, 503);
        assert!(body.contains("No server is available"), "{body}");
    }
}

#[test]
fn silent_server_gives_504_and_closing_server_gives_502() {
    let _serial = serial();
    // A server that accepts and never answers; another that closes at once.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let sa = silent.local_addr().unwrap();
    let closing = TcpListener::bind("127.0.0.1:0").unwrap();
    let ca = closing.local_addr().unwrap();
    thread::spawn(move || {
        let mut keep = Vec::new();
        for s in silent.incoming() {
            keep.push(s);
        }
    });
    thread::spawn(move || {
        for s in closing.incoming() {
            let mut s = s.unwrap();
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b);
        }
    });
    let fe = free_port();
    let conf = format!(
        "defaults\n mode http\n timeout connect 1s\n timeout client 10s\n timeout server 300ms\nfrontend f\n bind 127.0.0.1:{fe}\n use_backend closing if {{ path /close }}\n default_backend silent\nbackend silent\n server s {sa}\nbackend closing\n server c {ca}\n"
    );
    let _px = start(&conf, fe);
    let (mut s, mut r) = client(fe);
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let t0 = Instant::now();
    let (st, body) = read_response(&mut r);
    assert_eq!(st, 504, "{body}");
    assert!(t0.elapsed() >= Duration::from_millis(290));
    s.write_all(b"GET /close HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let (st, body) = read_response(&mut r);
    assert_eq!(st, 502, "{body}");
}

/// N concurrent clients, servers with maxconn 1..4 and slow responses: every request gets
/// a server's answer or HAProxy's 503 after `timeout queue`; none hangs, and no server ever
/// sees more concurrent requests than its maxconn.
#[test]
fn queue_end_to_end_every_request_answered() {
    let _serial = serial();
    for (maxconn, clients, tq) in [
        (1, 12, "5s"),
        (2, 16, "5s"),
        (4, 24, "5s"),
        (1, 12, "150ms"),
    ] {
        let (a, sa) = backend("A", Duration::from_millis(40));
        let (b, sb) = backend("B", Duration::from_millis(40));
        let fe = free_port();
        let _px = start(
            &cfg(
                fe,
                &format!(
                    " balance leastconn\n timeout queue {tq}\n server a {a} maxconn {maxconn}\n server b {b} maxconn {maxconn}\n"
                ),
            ),
            fe,
        );
        let results: Vec<u16> = (0..clients)
            .map(|_| {
                thread::spawn(move || {
                    let (mut s, mut r) = client(fe);
                    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
                    read_response(&mut r).0
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let ok = results.iter().filter(|&&s| s == 200).count();
        let q503 = results.iter().filter(|&&s| s == 503).count();
        assert_eq!(ok + q503, clients, "{results:?}");
        let served = sa.requests.lock().unwrap().len() + sb.requests.lock().unwrap().len();
        assert_eq!(served, ok);
        if tq == "5s" {
            assert_eq!(ok, clients, "all fit in a 5 s queue: {results:?}");
        } else {
            // 150 ms of queue for 40 ms responses, two servers with one slot each: some
            // must time out, and the first few are served.
            assert!(q503 > 0 && ok >= 2, "{results:?}");
        }
    }
}

/// Reads one response and returns its status, headers (lower-case names) and body.
fn read_full(r: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>, String) {
    let mut status = 0;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "closed before a response"
        );
        if line == "\r\n" {
            break;
        }
        if status == 0 {
            status = line.split(' ').nth(1).unwrap().parse().unwrap();
            continue;
        }
        let (n, v) = line.trim_end().split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).unwrap();
    (status, headers, String::from_utf8(body).unwrap())
}

#[test]
fn cookie_insert_indirect_sticks_to_the_server() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::ZERO);
    let (b, sb) = backend("B", Duration::ZERO);
    let fe = free_port();
    let _px = start(
        &cfg(
            fe,
            &format!(" balance roundrobin\n cookie SRV insert indirect\n server a {a} cookie ca\n server b {b} cookie cb\n"),
        ),
        fe,
    );
    let (mut s, mut r) = client(fe);
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let (st, h, body) = read_full(&mut r);
    assert_eq!(st, 200);
    let set = h
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .expect("cookie inserted");
    let want = format!("SRV=c{}; path=/", body[..1].to_ascii_lowercase());
    assert_eq!(set.1, want);
    // Requests carrying the cookie of B all go to B, which never sees the cookie, and get
    // no new cookie.
    for _ in 0..3 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nCookie: x=1; SRV=cb; y=2\r\n\r\n")
            .unwrap();
        let (st, h, body) = read_full(&mut r);
        assert_eq!((st, &body[..1]), (200, "B"));
        assert!(h.iter().all(|(n, _)| n != "set-cookie"), "{h:?}");
    }
    let heads = sb.requests.lock().unwrap();
    let with_cookie: Vec<&String> = heads.iter().filter(|h| h.contains("y=2")).collect();
    assert_eq!(with_cookie.len(), 3, "{heads:?}");
    assert!(
        with_cookie
            .iter()
            .all(|h| h.to_ascii_lowercase().contains("\r\ncookie: x=1; y=2\r\n")),
        "{heads:?}"
    );
    drop(heads);
    let _ = sa;
}

#[test]
fn abortonclose_drops_a_queued_request_whose_client_left() {
    let _serial = serial();
    let (a, sa) = backend("A", Duration::from_millis(400));
    let fe = free_port();
    let _px = start(
        &cfg(
            fe,
            &format!(" option abortonclose\n timeout queue 5s\n server a {a} maxconn 1\n"),
        ),
        fe,
    );
    let (mut busy, mut busy_r) = client(fe);
    busy.write_all(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    // Wait until the first request holds the only slot.
    let t0 = Instant::now();
    while sa.requests.lock().unwrap().is_empty() {
        assert!(
            t0.elapsed() < WAIT,
            "first request never reached the server"
        );
        thread::sleep(Duration::from_millis(5));
    }
    let (mut gone, _) = client(fe);
    gone.write_all(b"GET /second HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    gone.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    gone.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "aborted request got an answer");
    assert_eq!(read_response(&mut busy_r).0, 200);
    // The aborted request never reached the server.
    let heads = sa.requests.lock().unwrap();
    assert!(heads.iter().all(|h| !h.contains("/second")), "{heads:?}");
}

/// A backend answering 200 and reporting, per connection, the client address it saw.
fn peer_recording_backend() -> (SocketAddr, std::sync::mpsc::Receiver<std::net::IpAddr>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let _ = tx.send(s.peer_addr().unwrap().ip());
            let seen = Arc::new(Seen::default());
            thread::spawn(move || serve(s, "P", Duration::ZERO, &seen));
        }
    });
    (addr, rx)
}

#[test]
fn source_sets_the_local_address_of_server_connections() {
    let _serial = serial();
    let (a, peers_a) = peer_recording_backend();
    let (b, peers_b) = peer_recording_backend();
    let fe = free_port();
    let _px = start(
        &cfg(
            fe,
            &format!(" balance roundrobin\n source 127.0.0.3\n server a {a} source 127.0.0.2\n server b {b}\n"),
        ),
        fe,
    );
    for _ in 0..2 {
        let (mut s, mut r) = client(fe);
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut r).0, 200);
    }
    let want_a: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let want_b: std::net::IpAddr = "127.0.0.3".parse().unwrap();
    assert_eq!(peers_a.recv_timeout(WAIT).unwrap(), want_a);
    assert_eq!(peers_b.recv_timeout(WAIT).unwrap(), want_b);
}

/// A server that closes each connection right after its response, while the client sends
/// its next request at once: a request that meets the closed idle connection is retried on
/// a new one (HAProxy's usual outcome; when it notices the close only after sending, it
/// sometimes drops the client connection instead), so the client never gets a 502.
#[test]
fn request_on_an_idle_connection_the_server_closed_is_retried() {
    let _serial = serial();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let s2 = served.clone();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            s2.fetch_add(1, Ordering::SeqCst);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let fe = free_port();
    let _px = start(&cfg(fe, &format!(" server a {a}\n")), fe);
    for _ in 0..5 {
        let (mut s, mut r) = client(fe);
        for i in 0..3 {
            write!(s, "GET /{i} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            assert_eq!(read_response(&mut r).0, 200, "request {i}");
        }
    }
    assert_eq!(served.load(Ordering::SeqCst), 15);
}

/// How each connection to a backend ended, in order: "eof" (the proxy closed it) or
/// "reset" (closed with `SO_LINGER` 0, as HAProxy gives up server connections).
fn ending_backend() -> (SocketAddr, Arc<Mutex<Vec<&'static str>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let ends = Arc::new(Mutex::new(Vec::new()));
    let e2 = ends.clone();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let ends = e2.clone();
            thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                let end = loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) => break "eof",
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break "reset",
                        Err(_) => break "error",
                        Ok(_) if line == "\r\n" => {
                            let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                        }
                        Ok(_) => {}
                    }
                };
                ends.lock().unwrap().push(end);
            });
        }
    });
    (addr, ends)
}

/// Waits (bounded) until `ends` holds `n` entries and returns them.
fn ends_after(ends: &Mutex<Vec<&'static str>>, n: usize) -> Vec<&'static str> {
    let t0 = Instant::now();
    while ends.lock().unwrap().len() < n && t0.elapsed() < WAIT {
        thread::sleep(Duration::from_millis(5));
    }
    ends.lock().unwrap().clone()
}

/// `srv_add_to_idle_list()`: connection-per-request clients (`http-reuse safe`: a first
/// request never reuses) leave one idle server connection, not one per request; the
/// others are reset at once, and the purge (`pool-purge-delay`) resets the last one when
/// the need is gone. `pool-purge-delay 0` keeps none. Same as /usr/sbin/haproxy.
#[test]
fn idle_pool_keeps_what_is_needed_and_resets_the_rest() {
    let _serial = serial();
    for bin in [common::rs_bin(), common::oracle()] {
        for (purge, kept) in [("100ms", 1), ("0", 0)] {
            let (a, ends) = ending_backend();
            let fe = free_port();
            let conf = format!(
                "global\n nbthread 1\ndefaults\n mode http\n timeout connect 1s\n timeout client 10s\n timeout server 10s\nfrontend f\n bind 127.0.0.1:{fe}\n default_backend b\nbackend b\n server a {a} pool-purge-delay {purge}\n"
            );
            let _px = Proxy::start(&bin, &conf, Ready::Port(fe));
            for i in 0..6 {
                let (mut s, mut r) = client(fe);
                write!(
                    s,
                    "GET /{i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                assert_eq!(
                    read_response(&mut r).0,
                    200,
                    "{}: request {i}",
                    bin.display()
                );
            }
            let who = format!("{} pool-purge-delay {purge}", bin.display());
            let now = ends_after(&ends, 6 - kept);
            assert_eq!(now, vec!["reset"; 6 - kept], "{who}: given up at once");
            if kept == 1 {
                // est_need decays over three purges, then the excess goes.
                assert_eq!(ends_after(&ends, 6), vec!["reset"; 6], "{who}: purged");
            }
        }
    }
}
