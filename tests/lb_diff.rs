//! Differential check of `haproxy_rs::lb` against the installed HAProxy 2.6
//! (`/usr/sbin/haproxy`): same backend config, same keys → same server.
//!
//! One haproxy process serves every combination: `use_backend %[req.hdr(x-be)]` routes
//! each request to the backend under test, whose servers are local listeners answering
//! with their index. Skipped (passes) when /usr/sbin/haproxy is absent.

use haproxy_rs::lb::{
    key, new_balancer, Algorithm, HashFunction, HashMethod, HashType, Pick, ServerSet,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HAPROXY: &str = "/usr/sbin/haproxy";

struct Set {
    w: Vec<u32>,
    load: Vec<u32>,
}

impl ServerSet for Set {
    fn len(&self) -> usize {
        self.w.len()
    }
    fn weight(&self, i: usize) -> u32 {
        self.w[i]
    }
    fn usable(&self, _i: usize) -> bool {
        true
    }
    fn is_backup(&self, _i: usize) -> bool {
        false
    }
    fn saturated(&self, _i: usize) -> bool {
        false
    }
    fn load(&self, i: usize) -> u32 {
        self.load[i]
    }
    fn puid(&self, i: usize) -> u32 {
        i as u32 + 1
    }
}

fn set(w: &[u32]) -> Set {
    Set {
        w: w.to_vec(),
        load: vec![0; w.len()],
    }
}

/// Server listeners: each answers every request with its index.
fn start_servers(n: usize) -> Vec<u16> {
    (0..n)
        .map(|idx| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            std::thread::spawn(move || {
                for c in l.incoming() {
                    let Ok(mut c) = c else { continue };
                    std::thread::spawn(move || {
                        let mut buf = Vec::new();
                        let mut b = [0u8; 4096];
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match c.read(&mut b) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&b[..n]),
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Haproxy {
    child: Child,
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
    let cfg = format!(
        "global\n  nbthread 1\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  use_backend %[req.hdr(x-be)]\n\
         frontend fep\n  bind 127.0.0.1:{pport} accept-proxy\n  use_backend %[req.hdr(x-be)]\n\
         {backends}"
    );
    let path = dir.join("h.cfg");
    std::fs::write(&path, cfg).unwrap();
    let child = Command::new(HAPROXY)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
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
        port,
        pport,
        _dir: dir,
    }
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
