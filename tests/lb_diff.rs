//! Differential check of `haproxy_rs::lb` against the installed HAProxy 2.6
//! (`/usr/sbin/haproxy`): same backend config, same keys → same server.
//!
//! One haproxy process serves every combination: `use_backend %[req.hdr(x-be)]` routes
//! each request to the backend under test, whose servers are local listeners answering
//! with their index. Skipped (passes) when /usr/sbin/haproxy is absent.

mod common;

use common::proc::free_port;

use haproxy_rs::lb::{
    key, new_balancer, Algorithm, HashFunction, HashMethod, HashType, Pick, ServerSet,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HAPROXY: &str = "/usr/sbin/haproxy";

struct Set {
    sat: Vec<bool>,
    w: Vec<u32>,
    load: Vec<u32>,
    up: Vec<bool>,
    bck: Vec<bool>,
    puid: Vec<u32>,
}

impl ServerSet for Set {
    fn len(&self) -> usize {
        self.w.len()
    }
    fn weight(&self, i: usize) -> u32 {
        self.w[i]
    }
    fn usable(&self, i: usize) -> bool {
        self.up[i]
    }
    fn is_backup(&self, i: usize) -> bool {
        self.bck[i]
    }
    fn saturated(&self, i: usize) -> bool {
        self.sat[i]
    }
    fn load(&self, i: usize) -> u32 {
        self.load[i]
    }
    fn puid(&self, i: usize) -> u32 {
        self.puid[i]
    }
}

fn set(w: &[u32]) -> Set {
    Set {
        sat: vec![false; w.len()],
        w: w.to_vec(),
        load: vec![0; w.len()],
        up: vec![true; w.len()],
        bck: vec![false; w.len()],
        puid: (1..=w.len() as u32).collect(),
    }
}

/// Server listeners: each answers every request with its index.
fn start_servers(n: usize) -> Vec<u16> {
    start_servers_with(n, None)
}

/// Requests for `/hold…` are reported on `tx` (with the server's index) when they arrive,
/// and the n-th one is answered once `released >= n`: (arrived, released).
struct Hold {
    gen: std::sync::Mutex<(u64, u64)>,
    cv: std::sync::Condvar,
    tx: std::sync::Mutex<std::sync::mpsc::Sender<usize>>,
}

fn start_servers_with(n: usize, hold: Option<std::sync::Arc<Hold>>) -> Vec<u16> {
    (0..n)
        .map(|idx| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            let hold = hold.clone();
            std::thread::spawn(move || {
                for c in l.incoming() {
                    let Ok(mut c) = c else { continue };
                    let hold = hold.clone();
                    std::thread::spawn(move || {
                        let mut buf = Vec::new();
                        let mut b = [0u8; 4096];
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match c.read(&mut b) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&b[..n]),
                            }
                        }
                        if let (Some(h), true) = (&hold, buf.starts_with(b"GET /hold")) {
                            let mut g = h.gen.lock().unwrap();
                            g.0 += 1;
                            let my = g.0;
                            h.tx.lock().unwrap().send(idx).unwrap();
                            while g.1 < my {
                                g = h.cv.wait(g).unwrap();
                            }
                        }
                        let body = idx.to_string();
                        let _ = write!(
                            c,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                            body.len(),
                            body
                        );
                    });
                }
            });
            port
        })
        .collect()
}

struct Haproxy {
    child: Child,
    sock: std::path::PathBuf,
    port: u16,
    pport: u16,
    _dir: std::path::PathBuf,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_haproxy(backends: &str) -> Haproxy {
    let port = free_port();
    let pport = free_port();
    let dir = std::env::temp_dir().join(format!("lb_diff_{}_{}", std::process::id(), port));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("s.sock");
    let cfg = format!(
        "global\n  nbthread 1\n  stats socket {} level admin\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  use_backend %[req.hdr(x-be)]\n\
         frontend fep\n  bind 127.0.0.1:{pport} accept-proxy\n  use_backend %[req.hdr(x-be)]\n\
         {backends}",
        sock.display()
    );
    let path = dir.join("h.cfg");
    std::fs::write(&path, cfg).unwrap();
    let child = Command::new(HAPROXY)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && TcpStream::connect(("127.0.0.1", pport)).is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "haproxy did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    Haproxy {
        child,
        sock,
        port,
        pport,
        _dir: dir,
    }
}

/// Runs one command on the stats socket (admin level).
fn cli(h: &Haproxy, cmd: &str) {
    let mut c = std::os::unix::net::UnixStream::connect(&h.sock).unwrap();
    c.write_all(format!("{cmd}\n").as_bytes()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    assert!(out.trim().is_empty(), "{cmd}: {out}");
}

/// Sends one request; returns the index of the server that answered.
fn ask(h: &Haproxy, proxy_src: Option<&str>, be: &str, uri: &str, hdrs: &str) -> usize {
    let port = if proxy_src.is_some() { h.pport } else { h.port };
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = String::new();
    if let Some(src) = proxy_src {
        if src.contains(':') {
            req += &format!("PROXY TCP6 {src} ::1 1234 80\r\n");
        } else {
            req += &format!("PROXY TCP4 {src} 127.0.0.1 1234 80\r\n");
        }
    }
    req +=
        &format!("GET {uri} HTTP/1.1\r\nHost: t\r\nx-be: {be}\r\n{hdrs}Connection: close\r\n\r\n");
    send(&mut c, &req, be, uri)
}

fn post(h: &Haproxy, be: &str, uri: &str, body: &str) -> usize {
    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "POST {uri} HTTP/1.1\r\nHost: t\r\nx-be: {be}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    send(&mut c, &req, be, uri)
}

fn send(c: &mut TcpStream, req: &str, be: &str, uri: &str) -> usize {
    c.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{be} {uri}: {resp}");
    resp.rsplit("\r\n\r\n")
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn ht(method: HashMethod, function: HashFunction, avalanche: bool) -> HashType {
    HashType {
        method,
        function,
        avalanche,
    }
}

fn ht_cfg(t: &HashType) -> String {
    let m = match t.method {
        HashMethod::MapBased => "map-based",
        HashMethod::Consistent => "consistent",
    };
    let f = match t.function {
        HashFunction::Sdbm | HashFunction::None => "sdbm",
        HashFunction::Djb2 => "djb2",
        HashFunction::Wt6 => "wt6",
        HashFunction::Crc32 => "crc32",
    };
    format!("{m} {f}{}", if t.avalanche { " avalanche" } else { "" })
}

fn servers_cfg(ports: &[u16], w: &[u32]) -> String {
    w.iter()
        .enumerate()
        .map(|(i, w)| format!("  server s{i} 127.0.0.1:{} weight {w}\n", ports[i]))
        .collect()
}

fn keys(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            format!("k{i}x{x:x}")
        })
        .collect()
}

#[test]
fn against_haproxy() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed: skipped");
        return;
    }
    let weights = [1u32, 2, 3, 1];
    let ports = start_servers(weights.len());
    let srv = servers_cfg(&ports, &weights);

    // (name, balance line, algorithm)
    let algs: Vec<(&str, &str, Algorithm)> = vec![
        (
            "uri",
            "uri",
            Algorithm::Uri {
                whole: false,
                len: 0,
                depth: 0,
                path_only: false,
            },
        ),
        (
            "urlp",
            "url_param user",
            Algorithm::UrlParam {
                name: "user".into(),
                check_post: false,
            },
        ),
        (
            "hdr",
            "hdr(x-key)",
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            },
        ),
        ("src", "source", Algorithm::Source),
    ];
    let mut hts = Vec::new();
    for m in [HashMethod::MapBased, HashMethod::Consistent] {
        for f in [
            HashFunction::Sdbm,
            HashFunction::Djb2,
            HashFunction::Wt6,
            HashFunction::Crc32,
        ] {
            for a in [false, true] {
                hts.push(ht(m, f, a));
            }
        }
    }
    let mut cfg = String::new();
    for (name, bal, _) in &algs {
        for (j, t) in hts.iter().enumerate() {
            cfg += &format!(
                "backend {name}{j}\n  balance {bal}\n  hash-type {}\n{srv}",
                ht_cfg(t)
            );
        }
    }
    let rr_sets: [&[u32]; 4] = [&[1, 1, 1], &[1, 2, 3], &[5, 1], &[3, 7, 2, 5]];
    for (j, w) in rr_sets.iter().enumerate() {
        for (bname, bal) in [
            ("rr", "roundrobin"),
            ("srr", "static-rr"),
            ("lc", "leastconn"),
        ] {
            cfg += &format!(
                "backend {bname}{j}\n  balance {bal}\n{}",
                servers_cfg(&ports, w)
            );
        }
    }
    let h = start_haproxy(&cfg);

    let ks = keys(50);
    let mut checked = 0;
    for (name, _, alg) in &algs {
        for (j, t) in hts.iter().enumerate() {
            let be = format!("{name}{j}");
            let b = new_balancer(alg.clone(), *t, 0);
            let s = set(&weights);
            let mut hit = [false; 4];
            for (i, k) in ks.iter().enumerate() {
                let (got, ours) = match alg {
                    Algorithm::Uri { .. } => {
                        let uri = format!("/{k}/p?q={i}");
                        let kb = key::uri_key(uri.as_bytes(), false, 0, 0, false);
                        (ask(&h, None, &be, &uri, ""), b.pick(&s, Some(kb)))
                    }
                    Algorithm::UrlParam { .. } => {
                        let uri = format!("/x?a=1&user={k}&z=2");
                        let kb = key::url_param_key(uri.as_bytes(), b"user");
                        (ask(&h, None, &be, &uri, ""), b.pick(&s, kb))
                    }
                    Algorithm::Hdr { .. } => {
                        let kb = key::hdr_key(k.as_bytes(), false);
                        let hd = format!("x-key: {k}\r\n");
                        (ask(&h, None, &be, "/", &hd), b.pick(&s, kb))
                    }
                    _ => {
                        let ip = if i % 2 == 0 {
                            format!("10.{}.{}.{}", i, i * 7 % 256, (i * 13 + 1) % 256)
                        } else {
                            format!("2001:db8::{:x}:{:x}", i * 977, i * 31 + 5)
                        };
                        let addr: std::net::IpAddr = ip.parse().unwrap();
                        let kb = key::source_key(&addr);
                        (ask(&h, Some(&ip), &be, "/", ""), b.pick(&s, Some(&kb)))
                    }
                };
                assert_eq!(
                    ours,
                    Pick::Server(got),
                    "{be} ({alg:?}, {t:?}) key #{i} {k}: haproxy chose {got}"
                );
                hit[got] = true;
                checked += 1;
            }
            // The table must discriminate: 50 keys over weights 1,2,3,1 reach every server.
            assert!(hit.iter().all(|&h| h), "{be}: servers hit {hit:?}");
        }
    }
    eprintln!("hash tables: {checked} keys checked");

    for (j, w) in rr_sets.iter().enumerate() {
        for (bname, alg) in [
            ("rr", Algorithm::RoundRobin),
            ("srr", Algorithm::StaticRr),
            ("lc", Algorithm::LeastConn),
        ] {
            let be = format!("{bname}{j}");
            let b = new_balancer(alg, HashType::default(), 0);
            let mut s = set(w);
            let n = 3 * w.iter().sum::<u32>() as usize + 5;
            let theirs: Vec<usize> = (0..n).map(|_| ask(&h, None, &be, "/", "")).collect();
            let ours: Vec<usize> = (0..n)
                .map(|_| match b.pick(&s, None) {
                    Pick::Server(i) => {
                        s.load[i] += 1;
                        b.take_conn(&s, i);
                        s.load[i] -= 1;
                        b.drop_conn(&s, i);
                        i
                    }
                    p => panic!("{be}: {p:?}"),
                })
                .collect();
            assert_eq!(ours, theirs, "{be} weights {w:?}");
            eprintln!("{be} {w:?}: {n} picks identical: {theirs:?}");
        }
    }
}

/// `balance` options, backups, `id`s, and state/weight changes made on the stats socket.
#[test]
fn options_backups_and_changes() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed: skipped");
        return;
    }
    let weights = [1u32, 2, 3, 1];
    let ports = start_servers(4);
    let srv = servers_cfg(&ports, &weights);
    let consistent = HashType::consistent_default();
    let map = HashType::default();
    let uri = |whole, len, depth, path_only| Algorithm::Uri {
        whole,
        len,
        depth,
        path_only,
    };
    // (backend, balance line, hash-type, algorithm, key kind)
    let cases: Vec<(&str, &str, HashType, Algorithm)> = vec![
        ("uw", "uri whole", map, uri(true, 0, 0, false)),
        ("ul", "uri len 6", consistent, uri(false, 6, 0, false)),
        ("ud", "uri depth 2", map, uri(false, 0, 2, false)),
        ("up", "uri path-only", consistent, uri(false, 0, 0, true)),
        (
            "hd",
            "hdr(host) use_domain_only",
            map,
            Algorithm::Hdr {
                name: "host".into(),
                use_domain_only: true,
            },
        ),
        (
            "pp",
            "url_param user check_post",
            consistent,
            Algorithm::UrlParam {
                name: "user".into(),
                check_post: true,
            },
        ),
        ("he", "hash req.hdr(x-key)", map, Algorithm::Hash),
        (
            "hl",
            "hdr(x-key)",
            consistent,
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            },
        ),
        ("hc", "hash req.hdr(x-key)", consistent, Algorithm::Hash),
    ];
    let mut cfg = String::new();
    for (be, bal, t, _) in &cases {
        cfg += &format!(
            "backend {be}\n  balance {bal}\n  hash-type {}\n{srv}",
            ht_cfg(t)
        );
    }
    // chash with explicit ids (the ring depends on puid)
    let ids = [7u32, 3, 100, 42];
    cfg += &format!(
        "backend ids\n  balance hdr(x-key)\n  hash-type {}\n",
        ht_cfg(&consistent)
    );
    for i in 0..4 {
        cfg += &format!(
            "  server s{i} 127.0.0.1:{} weight {} id {}\n",
            ports[i], weights[i], ids[i]
        );
    }
    // backups: s0 s1 active but disabled, s2 s3 backups
    let bk = |name: &str, bal: &str, t: &HashType, all: bool| {
        format!(
            "backend {name}\n  balance {bal}\n  hash-type {}\n{}  server s0 127.0.0.1:{} disabled\n  server s1 127.0.0.1:{} disabled\n  server s2 127.0.0.1:{} backup weight 2\n  server s3 127.0.0.1:{} backup weight 3\n",
            ht_cfg(t),
            if all { "  option allbackups\n" } else { "" },
            ports[0], ports[1], ports[2], ports[3]
        )
    };
    cfg += &bk("bkrr", "roundrobin", &map, false);
    cfg += &bk("bkrra", "roundrobin", &map, true);
    cfg += &bk("bkmap", "hdr(x-key)", &map, false);
    cfg += &bk("bkmapa", "hdr(x-key)", &map, true);
    cfg += &bk("bkch", "hdr(x-key)", &consistent, false);
    cfg += &bk("bkcha", "hdr(x-key)", &consistent, true);
    // dynamic: the same weights, changed on the CLI between rounds
    for (be, bal, t) in [
        ("dynrr", "roundrobin", &map),
        ("dynsrr", "static-rr", &map),
        ("dynmap", "hdr(x-key)", &map),
        ("dynch", "hdr(x-key)", &consistent),
    ] {
        cfg += &format!(
            "backend {be}\n  balance {bal}\n  hash-type {}\n{srv}",
            ht_cfg(t)
        );
    }
    // map quirk: without allbackups the map still spreads over every backup
    cfg += &format!(
        "backend bkq\n  balance hdr(x-key)\n  server s0 127.0.0.1:{} disabled\n  server s1 127.0.0.1:{} backup weight 2\n  server s2 127.0.0.1:{} backup weight 4\n  server s3 127.0.0.1:{} backup weight 1\n",
        ports[0], ports[1], ports[2], ports[3]
    );
    // a missing key falls back to round robin on the map / along the ring
    for (be, t) in [("fbmap", &map), ("fbch", &consistent)] {
        cfg += &format!(
            "backend {be}\n  balance url_param user\n  hash-type {}\n{srv}",
            ht_cfg(t)
        );
    }
    let h = start_haproxy(&cfg);
    let ks = keys(50);
    let mut checked = 0;

    {
        let alg = Algorithm::Hdr {
            name: "x-key".into(),
            use_domain_only: false,
        };
        let b = new_balancer(alg, map, 0);
        let mut s = set(&[1, 2, 4, 1]);
        s.up[0] = false;
        s.bck = vec![false, true, true, true];
        let theirs: Vec<usize> = (0..10)
            .map(|i| ask(&h, None, "bkq", "/", &format!("x-key: {i}\r\n")))
            .collect();
        let ours: Vec<Pick> = (0..10)
            .map(|i| b.pick(&s, Some(i.to_string().as_bytes())))
            .collect();
        assert!(
            ours.iter()
                .zip(&theirs)
                .all(|(o, t)| *o == Pick::Server(*t)),
            "bkq {ours:?} {theirs:?}"
        );
        eprintln!("bkq: {theirs:?}");
        checked += 10;
    }

    for (be, t) in [("fbmap", map), ("fbch", consistent)] {
        let alg = Algorithm::UrlParam {
            name: "user".into(),
            check_post: false,
        };
        let b = new_balancer(alg, t, 0);
        let s = set(&weights);
        let theirs: Vec<usize> = (0..40).map(|_| ask(&h, None, be, "/nokey", "")).collect();
        let ours: Vec<Pick> = (0..40).map(|_| b.pick(&s, None)).collect();
        let ours: Vec<usize> = ours
            .iter()
            .map(|p| match p {
                Pick::Server(i) => *i,
                p => panic!("{be}: {p:?}"),
            })
            .collect();
        assert_eq!(ours, theirs, "{be}: round-robin fallback");
        checked += 40;
        // take the server the ring walk stands on out, then walk on
        let mut s = s;
        let cur = theirs[39];
        cli(&h, &format!("disable server {be}/s{cur}"));
        s.up[cur] = false;
        b.update(&s);
        let theirs: Vec<usize> = (0..30).map(|_| ask(&h, None, be, "/nokey", "")).collect();
        let ours: Vec<Pick> = (0..30).map(|_| b.pick(&s, None)).collect();
        assert!(
            ours.iter()
                .zip(&theirs)
                .all(|(o, t)| *o == Pick::Server(*t)),
            "{be} after disabling s{cur}: ours {ours:?} theirs {theirs:?}"
        );
        checked += 30;
    }

    for (be, _, t, alg) in &cases {
        let b = new_balancer(alg.clone(), *t, 0);
        let s = set(&weights);
        for (i, k) in ks.iter().enumerate() {
            let (got, ours) = match (*be, alg) {
                ("hl", _) => {
                    // a list value: HAProxy hashes its first element
                    let raw = format!(" {k} , second,third");
                    let hdr = |n: &str| n.eq_ignore_ascii_case("x-key").then_some(raw.as_bytes());
                    let req = haproxy_rs::lb::RequestView {
                        method: b"GET",
                        uri: b"/",
                        header: &hdr,
                        body: None,
                        src: None,
                        payload: None,
                    };
                    let kb = alg.request_key(&req);
                    let got = ask(&h, None, be, "/", &format!("x-key:{raw}\r\n"));
                    (got, b.pick(&s, kb.as_deref()))
                }
                (_, Algorithm::Uri { .. }) => {
                    let u = if i % 2 == 0 {
                        format!("/a{i}/{k}/c/d?x={k}")
                    } else {
                        format!("http://t/{k}/b{i}?q")
                    };
                    let (whole, len, depth, po) = match alg {
                        Algorithm::Uri {
                            whole,
                            len,
                            depth,
                            path_only,
                        } => (*whole, *len, *depth, *path_only),
                        _ => unreachable!(),
                    };
                    let kb = key::uri_key(u.as_bytes(), whole, len, depth, po);
                    (ask(&h, None, be, &u, ""), b.pick(&s, Some(kb)))
                }
                (_, Algorithm::Hdr { .. }) => {
                    let host = match i % 3 {
                        0 => format!("www.{k}.com"),
                        1 => format!("{k}.org"),
                        _ => k.clone(),
                    };
                    // our ask() sends "Host: t"; hash the x-host via a Host override
                    let c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
                    let mut c = c;
                    let req = format!(
                        "GET / HTTP/1.1\r\nHost: {host}\r\nx-be: {be}\r\nConnection: close\r\n\r\n"
                    );
                    let got = send(&mut c, &req, be, "/");
                    let kb = key::hdr_key(host.as_bytes(), true);
                    (got, b.pick(&s, kb))
                }
                (_, Algorithm::UrlParam { .. }) => {
                    if i % 2 == 0 {
                        let body = format!("a=1&user={k}&z=2");
                        let kb = key::url_param_post_key(body.as_bytes(), b"user");
                        (post(&h, be, "/form", &body), b.pick(&s, kb))
                    } else {
                        let u = format!("/q?user={k}");
                        let kb = key::url_param_key(u.as_bytes(), b"user");
                        (ask(&h, None, be, &u, ""), b.pick(&s, kb))
                    }
                }
                _ => {
                    let hd = format!("x-key: {k}\r\n");
                    (ask(&h, None, be, "/", &hd), b.pick(&s, Some(k.as_bytes())))
                }
            };
            assert_eq!(ours, Pick::Server(got), "{be} ({alg:?}) key #{i} {k}");
            checked += 1;
        }
    }
    eprintln!("option tables: {checked} keys checked");

    // ids
    {
        let b = new_balancer(
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            },
            consistent,
            0,
        );
        let mut s = set(&weights);
        s.puid = ids.to_vec();
        for k in &ks {
            let got = ask(&h, None, "ids", "/", &format!("x-key: {k}\r\n"));
            assert_eq!(b.pick(&s, Some(k.as_bytes())), Pick::Server(got), "ids {k}");
            checked += 1;
        }
    }

    // backups
    for (be, t, all, rr) in [
        ("bkrr", map, false, true),
        ("bkrra", map, true, true),
        ("bkmap", map, false, false),
        ("bkmapa", map, true, false),
        ("bkch", consistent, false, false),
        ("bkcha", consistent, true, false),
    ] {
        let alg = if rr {
            Algorithm::RoundRobin
        } else {
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            }
        };
        let b = haproxy_rs::lb::new_balancer_with(
            alg,
            t,
            haproxy_rs::lb::LbOptions {
                allbackups: all,
                hash_balance_factor: 0,
            },
        );
        let mut s = set(&[1, 1, 2, 3]);
        s.up = vec![false, false, true, true];
        s.bck = vec![false, false, true, true];
        let mut seen = Vec::new();
        for k in ks.iter().take(20) {
            let got = ask(&h, None, be, "/", &format!("x-key: {k}\r\n"));
            let key = if rr { None } else { Some(k.as_bytes()) };
            assert_eq!(b.pick(&s, key), Pick::Server(got), "{be} {k}");
            seen.push(got);
            checked += 1;
        }
        // no key at all: hdr() skips the lookup when a single server is usable
        for _ in 0..6 {
            let got = ask(&h, None, be, "/", "");
            assert_eq!(b.pick(&s, None), Pick::Server(got), "{be} without key");
            seen.push(got);
            checked += 1;
        }
        eprintln!("{be}: {seen:?}");
    }

    // dynamic changes, mirrored on both sides
    type Step = (&'static str, fn(&mut Set));
    let dynamic: [Step; 6] = [
        ("", |_| {}),
        ("set weight {be}/s0 4", |s| s.w[0] = 4),
        ("disable server {be}/s2", |s| s.up[2] = false),
        ("enable server {be}/s2", |s| s.up[2] = true),
        ("set weight {be}/s1 0", |s| s.w[1] = 0),
        ("set weight {be}/s1 5", |s| s.w[1] = 5),
    ];
    // static algorithms (map-based) only accept 0% and 100%
    let fixed: [Step; 6] = [
        ("", |_| {}),
        ("disable server {be}/s2", |s| s.up[2] = false),
        ("set weight {be}/s1 0%", |s| s.w[1] = 0),
        ("enable server {be}/s2", |s| s.up[2] = true),
        ("set weight {be}/s1 100%", |s| s.w[1] = 2),
        ("disable server {be}/s0", |s| s.up[0] = false),
    ];
    for (be, alg, t) in [
        ("dynrr", Algorithm::RoundRobin, map),
        ("dynsrr", Algorithm::StaticRr, map),
        (
            "dynmap",
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            },
            map,
        ),
        (
            "dynch",
            Algorithm::Hdr {
                name: "x-key".into(),
                use_domain_only: false,
            },
            consistent,
        ),
    ] {
        let hashed = !matches!(alg, Algorithm::RoundRobin | Algorithm::StaticRr);
        let steps = if t == consistent || alg == Algorithm::RoundRobin {
            &dynamic
        } else {
            &fixed
        };
        let b = new_balancer(alg, t, 0);
        let mut s = set(&weights);
        let mut n = 0;
        for (cmd, f) in steps.iter() {
            if !cmd.is_empty() {
                cli(&h, &cmd.replace("{be}", be));
                f(&mut s);
                b.update(&s);
            }
            let mut theirs = Vec::new();
            let mut ours = Vec::new();
            for k in ks.iter().take(if hashed { 25 } else { 13 }) {
                theirs.push(ask(&h, None, be, "/", &format!("x-key: {k}\r\n")));
                let key = if hashed { Some(k.as_bytes()) } else { None };
                ours.push(match b.pick(&s, key) {
                    Pick::Server(i) => i,
                    p => panic!("{be}: {p:?}"),
                });
                n += 1;
            }
            assert_eq!(ours, theirs, "{be} after `{cmd}`");
        }
        checked += n;
        eprintln!("{be}: {n} picks identical across weight/state changes");
    }
    eprintln!("total {checked}");
}

/// Saturated servers (`maxconn`), leastconn ordering and `hash-balance-factor` under load:
/// requests held open on the servers make HAProxy's `served` counts move.
#[test]
fn under_load() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed: skipped");
        return;
    }
    use std::sync::{mpsc, Arc, Condvar, Mutex};
    let (tx, rx) = mpsc::channel();
    let hold = Arc::new(Hold {
        gen: Mutex::new((0, 0)),
        cv: Condvar::new(),
        tx: Mutex::new(tx),
    });
    let weights = [1u32, 2, 3];
    let ports = start_servers_with(3, Some(hold.clone()));
    let consistent = HashType::consistent_default();
    let hdr = || Algorithm::Hdr {
        name: "x-key".into(),
        use_domain_only: false,
    };
    let cases: Vec<(&str, &str, u32, Algorithm, u32)> = vec![
        ("satrr", "roundrobin", 2, Algorithm::RoundRobin, 0),
        ("satsrr", "static-rr", 2, Algorithm::StaticRr, 0),
        ("satfirst", "first", 2, Algorithm::First, 0),
        ("satlc", "leastconn", 0, Algorithm::LeastConn, 0),
        ("satlcm", "leastconn", 2, Algorithm::LeastConn, 0),
        ("bf", "hdr(x-key)", 0, hdr(), 150),
    ];
    let mut cfg = String::new();
    for (be, bal, maxconn, _, bf) in &cases {
        cfg += &format!(
            "backend {be}\n  balance {bal}\n  hash-type {}\n",
            ht_cfg(&consistent)
        );
        if *bf > 0 {
            cfg += &format!("  hash-balance-factor {bf}\n");
        }
        for (i, w) in weights.iter().enumerate() {
            cfg += &format!("  server s{i} 127.0.0.1:{} weight {w}", ports[i]);
            if *maxconn > 0 {
                cfg += &format!(" maxconn {maxconn}");
            }
            cfg += "\n";
        }
    }
    let h = start_haproxy(&cfg);
    // H: hold a request, N: normal request, R: release every held request
    let pattern = "HNHNNHRNHHNHNRNNHHHNNRHNHNHNHRNN";
    let mut total = 0;
    for (be, _, maxconn, alg, bf) in cases {
        {
            let mut g = hold.gen.lock().unwrap();
            g.1 = g.0;
        }
        let b = haproxy_rs::lb::new_balancer(alg, consistent, bf);
        let mut s = set(&weights);
        let mut held: Vec<(TcpStream, usize)> = Vec::new();
        let mut theirs = Vec::new();
        let mut ours = Vec::new();
        for (n, a) in pattern.chars().enumerate() {
            let key = format!("k{}", n % 5);
            let our = |s: &Set| match b.pick(s, Some(key.as_bytes())) {
                Pick::Server(i) => i,
                p => panic!("{be} step {n}: {p:?}"),
            };
            match a {
                'H' => {
                    let i = our(&s);
                    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
                    write!(
                        c,
                        "GET /hold HTTP/1.1\r\nHost: t\r\nx-be: {be}\r\nx-key: {key}\r\nConnection: close\r\n\r\n"
                    )
                    .unwrap();
                    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
                    s.load[i] += 1;
                    b.take_conn(&s, i);
                    held.push((c, got));
                    theirs.push(got);
                    ours.push(i);
                }
                'N' => {
                    let i = our(&s);
                    s.load[i] += 1;
                    b.take_conn(&s, i);
                    let got = ask(&h, None, be, "/", &format!("x-key: {key}\r\n"));
                    s.load[i] -= 1;
                    b.drop_conn(&s, i);
                    theirs.push(got);
                    ours.push(i);
                }
                _ => {
                    // one at a time, oldest first, so that both sides see the same order
                    for (mut c, i) in held.drain(..) {
                        hold.gen.lock().unwrap().1 += 1;
                        hold.cv.notify_all();
                        let mut r = String::new();
                        c.read_to_string(&mut r).unwrap();
                        s.load[i] -= 1;
                        b.drop_conn(&s, i);
                    }
                }
            }
            if maxconn > 0 {
                // mirror HAProxy's saturation for the next pick
                s.sat = s.load.iter().map(|&l| l >= maxconn).collect();
            }
        }
        hold.gen.lock().unwrap().1 = u64::MAX;
        hold.cv.notify_all();
        for (mut c, _) in held.drain(..) {
            let mut r = String::new();
            let _ = c.read_to_string(&mut r);
        }
        assert_eq!(ours, theirs, "{be}");
        eprintln!("{be}: {} picks identical: {theirs:?}", theirs.len());
        total += theirs.len();
    }
    eprintln!("under load: {total} picks");
}

/// `balance rdp-cookie` in TCP mode: the key is read from the first RDP packet.
#[test]
fn rdp_cookie() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed: skipped");
        return;
    }
    let weights = [1u32, 2, 3, 1];
    let ports = start_servers(4);
    let srv = servers_cfg(&ports, &weights);
    let hts = [
        HashType::default(),
        ht(HashMethod::MapBased, HashFunction::Crc32, true),
        HashType::consistent_default(),
        ht(HashMethod::Consistent, HashFunction::Djb2, false),
    ];
    let mut cfg = String::new();
    let mut fports = Vec::new();
    for (j, t) in hts.iter().enumerate() {
        let p = free_port();
        fports.push(p);
        cfg += &format!(
            "frontend rdpf{j}\n  mode tcp\n  bind 127.0.0.1:{p}\n  tcp-request inspect-delay 2s\n  tcp-request content accept if RDP_COOKIE\n  default_backend rdp{j}\n\
             backend rdp{j}\n  mode tcp\n  balance rdp-cookie\n  hash-type {}\n{srv}",
            ht_cfg(t)
        );
    }
    let h = start_haproxy(&cfg);
    let mut n = 0;
    for (j, t) in hts.iter().enumerate() {
        let b = new_balancer(
            Algorithm::RdpCookie {
                name: "mstshash".into(),
            },
            *t,
            0,
        );
        let s = set(&weights);
        for k in keys(50) {
            let mut pkt = vec![3u8, 0, 0, 0x2a, 0x25, 0xe0, 0, 0, 0, 0, 0];
            pkt.extend_from_slice(format!("Cookie: mstshash={k}\r\n\r\n").as_bytes());
            let mut c = TcpStream::connect(("127.0.0.1", fports[j])).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            c.write_all(&pkt).unwrap();
            let mut resp = String::new();
            c.read_to_string(&mut resp).unwrap();
            let got: usize = resp
                .rsplit("\r\n\r\n")
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let kb = key::rdp_cookie_key(&pkt, b"mstshash");
            assert_eq!(b.pick(&s, kb), Pick::Server(got), "rdp{j} {t:?} {k}");
            n += 1;
        }
    }
    drop(h);
    eprintln!("rdp-cookie: {n} keys checked");
}

/// `option redispatch` with a server refusing connections: round-robin kinds redispatch
/// at once, avoiding the server that failed (`pick_avoid`).
#[test]
fn redispatch_avoids_failed_server() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed: skipped");
        return;
    }
    let mut ports = start_servers(3);
    ports.push(free_port()); // nobody listens there
    let mut cfg = String::new();
    let sets: [(&str, &str, Algorithm, &[u32]); 4] = [
        ("rd1", "roundrobin", Algorithm::RoundRobin, &[1, 1, 1, 1]),
        ("rd2", "roundrobin", Algorithm::RoundRobin, &[1, 2, 3, 4]),
        ("rd3", "static-rr", Algorithm::StaticRr, &[1, 1, 1, 1]),
        ("rd4", "static-rr", Algorithm::StaticRr, &[2, 1, 3, 3]),
    ];
    for (be, bal, _, w) in &sets {
        cfg += &format!(
            "backend {be}\n  balance {bal}\n  option redispatch 1\n  retries 3\n{}",
            servers_cfg(&ports, w)
        );
    }
    let h = start_haproxy(&cfg);
    let mut n = 0;
    for (be, _, alg, w) in sets {
        let b = new_balancer(alg, HashType::default(), 0);
        let s = set(w);
        let count = 3 * w.iter().sum::<u32>() as usize;
        let theirs: Vec<usize> = (0..count).map(|_| ask(&h, None, be, "/", "")).collect();
        let ours: Vec<usize> = (0..count)
            .map(|_| {
                let mut avoid = None;
                loop {
                    match b.pick_avoid(&s, None, avoid) {
                        Pick::Server(3) => avoid = Some(3),
                        Pick::Server(i) => return i,
                        p => panic!("{be}: {p:?}"),
                    }
                }
            })
            .collect();
        assert_eq!(ours, theirs, "{be} {w:?}");
        eprintln!("{be} {w:?}: {count} redispatched picks identical");
        n += count;
    }
    eprintln!("redispatch: {n} picks");
}
