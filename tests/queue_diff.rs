//! The queue under load, haproxy-rs against `/usr/sbin/haproxy` on the same configuration:
//! concurrent clients, three slow servers with a small `maxconn`, every request must be
//! answered (served, or HAProxy's 503 after `timeout queue`), none may hang, no server may
//! ever run more requests than its maxconn, and the per-server distribution must match
//! HAProxy's.
//!
//! Hash-based and cookie routing choose the server even when it is full (the request waits
//! in that server's queue), so their per-server counts are deterministic and must be equal.
//! With round robin, leastconn and first, a request that finds every server full waits in
//! the backend queue and goes to whichever server frees a slot first, so HAProxy's own
//! counts vary with timing between runs; those are compared within a small tolerance.

mod common;

use common::proc::{free_port, Proxy, Ready};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const CLIENTS: usize = 24;

/// A slow HTTP/1.1 server that names itself, counts requests and tracks its concurrency.
struct Srv {
    port: u16,
    served: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

fn server(name: &'static str, delay: Duration) -> Srv {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let active = Arc::new(AtomicUsize::new(0));
    let (s2, p2) = (served.clone(), peak.clone());
    thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { return };
            let (served, peak, active) = (s2.clone(), p2.clone(), active.clone());
            thread::spawn(move || {
                let mut w = c.try_clone().unwrap();
                let mut r = BufReader::new(c);
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => {
                            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            thread::sleep(delay);
                            served.fetch_add(1, Ordering::SeqCst);
                            active.fetch_sub(1, Ordering::SeqCst);
                            let body = name;
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nSet-Cookie: X=1\r\n\r\n{body}",
                                body.len()
                            );
                            if w.write_all(resp.as_bytes()).is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    Srv { port, served, peak }
}

/// Readiness without a request: an idle probe connection is not balanced in HTTP mode.
fn start(bin: &str, cfg: &str, fe: u16) -> Proxy {
    Proxy::start(std::path::Path::new(bin), cfg, Ready::Port(fe))
}

/// One request on its own connection; the status and the answering server's name.
fn request(fe: u16, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let ck = cookie.map_or(String::new(), |c| format!("Cookie: SRV={c}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\n{ck}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).expect("no hang: bounded read");
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.rsplit("\r\n\r\n").next().unwrap_or("").to_string();
    (status, body)
}

/// Runs `CLIENTS` concurrent requests through `bin`; per-server counts, 503 count, peaks.
fn run(
    bin: &str,
    backend: &str,
    maxconn: u32,
    paths: &dyn Fn(usize) -> (String, Option<&'static str>),
) -> (BTreeMap<String, usize>, usize, Vec<usize>) {
    let srvs: Vec<Srv> = ["s1", "s2", "s3"]
        .iter()
        .map(|n| server(n, Duration::from_millis(60)))
        .collect();
    let fe = free_port();
    let mut cfg = format!(
        "global\n nbthread 2\ndefaults\n mode http\n timeout connect 2s\n timeout client 20s\n timeout server 20s\n timeout queue 15s\nfrontend f\n bind 127.0.0.1:{fe}\n default_backend b\nbackend b\n{backend}"
    );
    for (i, s) in srvs.iter().enumerate() {
        cfg.push_str(&format!(
            " server s{} 127.0.0.1:{} maxconn {maxconn} cookie s{}\n",
            i + 1,
            s.port,
            i + 1
        ));
    }
    let _px = start(bin, &cfg, fe);
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (path, cookie) = paths(i);
            let results = results.clone();
            thread::spawn(move || {
                let r = request(fe, &path, cookie);
                results.lock().unwrap().push(r);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let results = results.lock().unwrap();
    let mut per = BTreeMap::new();
    let mut q503 = 0;
    for (st, body) in results.iter() {
        match st {
            200 => *per.entry(body.clone()).or_insert(0) += 1,
            503 => q503 += 1,
            other => panic!("{bin}: unexpected status {other}"),
        }
    }
    assert_eq!(results.len(), CLIENTS);
    let served: usize = srvs.iter().map(|s| s.served.load(Ordering::SeqCst)).sum();
    assert_eq!(served, CLIENTS - q503, "{bin}: servers' counts");
    let peaks = srvs.iter().map(|s| s.peak.load(Ordering::SeqCst)).collect();
    (per, q503, peaks)
}

/// The tests of this file run one at a time: each starts two proxies and three servers
/// on ports picked at run time, and both proxies bind with SO_REUSEPORT, so two tests
/// picking the same free port at once would share a listener.
static SERIAL: Mutex<()> = Mutex::new(());

fn compare(
    name: &str,
    backend: &str,
    maxconn: u32,
    exact: bool,
    paths: &dyn Fn(usize) -> (String, Option<&'static str>),
) {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let oracle = "/usr/sbin/haproxy";
    assert!(std::path::Path::new(oracle).exists(), "{oracle} missing");
    let (h, h503, hpeak) = run(oracle, backend, maxconn, paths);
    let (r, r503, rpeak) = run(env!("CARGO_BIN_EXE_haproxy-rs"), backend, maxconn, paths);
    println!("{name}: haproxy {h:?} 503s {h503} peaks {hpeak:?} | haproxy-rs {r:?} 503s {r503} peaks {rpeak:?}");
    assert_eq!(r503, h503, "{name}: 503 count");
    for p in &rpeak {
        assert!(
            *p as u32 <= maxconn,
            "{name}: a server ran {p} requests (maxconn {maxconn})"
        );
    }
    if exact {
        assert_eq!(r, h, "{name}: per-server distribution");
    } else {
        for s in ["s1", "s2", "s3"] {
            let (a, b) = (
                *h.get(s).unwrap_or(&0) as i64,
                *r.get(s).unwrap_or(&0) as i64,
            );
            assert!((a - b).abs() <= 3, "{name}: {s} got {b}, haproxy {a}");
        }
    }
}

fn distinct(i: usize) -> (String, Option<&'static str>) {
    (format!("/k{i}"), None)
}

#[test]
fn uri_hash_distribution_is_haproxys() {
    compare("uri", " balance uri\n", 2, true, &distinct);
}

#[test]
fn consistent_uri_hash_distribution_is_haproxys() {
    compare(
        "uri-consistent",
        " balance uri\n hash-type consistent\n",
        1,
        true,
        &distinct,
    );
}

#[test]
fn cookie_persistence_distribution_is_haproxys() {
    // Two thirds of the clients carry a cookie for s2 or s3; the rest are balanced.
    let f = |i: usize| -> (String, Option<&'static str>) {
        let c = match i % 3 {
            0 => Some("s2"),
            1 => Some("s3"),
            _ => None,
        };
        (format!("/c{i}"), c)
    };
    compare(
        "cookie",
        " balance uri\n cookie SRV insert indirect\n",
        2,
        true,
        &f,
    );
}

#[test]
fn roundrobin_distribution_is_close_to_haproxys() {
    compare("roundrobin", " balance roundrobin\n", 2, false, &distinct);
}

#[test]
fn leastconn_distribution_is_close_to_haproxys() {
    compare("leastconn", " balance leastconn\n", 4, false, &distinct);
}

#[test]
fn first_distribution_is_close_to_haproxys() {
    compare("first", " balance first\n", 3, false, &distinct);
}
