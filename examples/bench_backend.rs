//! Helpers for `benches/http.sh` (not part of the proxy).
//!
//! `bench_backend serve ADDR`: a small, fast, single-threaded (mio) HTTP/1.1 keep-alive
//! server. `GET /big` answers a 64 KiB body, anything else a 128-byte body; a request with
//! `Connection: close` gets `Connection: close` and the connection is closed after the
//! answer. Pipelined requests are answered in order. It also echoes TCP-mode traffic the
//! same way (the TCP benchmark sends HTTP requests through a `mode tcp` proxy).
//!
//! `bench_backend seq ADDR N [PATH]`: `N` sequential keep-alive `GET PATH` (default `/`) on one
//! connection.
//!
//! `bench_backend idle ADDR N`: opens `N` keep-alive connections to `ADDR`, sends one
//! `GET /` on each and reads the answer, prints `ready` and holds them open (idle) until
//! its standard input is closed.

use std::collections::HashMap;
use std::io::{BufRead, ErrorKind, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const SMALL: usize = 128;
const BIG: usize = 64 * 1024;

fn response(len: usize, close: bool) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes();
    r.extend(std::iter::repeat_n(b'x', len));
    r
}

struct Conn {
    s: TcpStream,
    inb: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    close_after: bool,
}

fn find_head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Answers every complete request in `c.inb`.
fn answer(c: &mut Conn, resp: &[Vec<u8>; 4]) {
    while let Some(end) = find_head_end(&c.inb) {
        let head = &c.inb[..end];
        let big = head.starts_with(b"GET /big");
        let lower = head.to_ascii_lowercase();
        let close = lower.windows(17).any(|w| w == b"connection: close");
        let body_len = lower
            .split(|&b| b == b'\n')
            .find_map(|l| l.strip_prefix(b"content-length:"))
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if c.inb.len() < end + body_len {
            return;
        }
        c.out
            .extend_from_slice(&resp[usize::from(big) * 2 + usize::from(close)]);
        c.inb.drain(..end + body_len);
        if close {
            c.close_after = true;
            c.inb.clear();
            return;
        }
    }
}

/// Returns false when the connection is finished.
fn drive(c: &mut Conn, resp: &[Vec<u8>; 4]) -> bool {
    let mut buf = [0u8; 16384];
    loop {
        match c.s.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => c.inb.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    if !c.close_after {
        answer(c, resp);
    }
    while c.sent < c.out.len() {
        match c.s.write(&c.out[c.sent..]) {
            Ok(0) => return false,
            Ok(n) => c.sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    c.out.clear();
    c.sent = 0;
    !c.close_after
}

fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let resp = [
        response(SMALL, false),
        response(SMALL, true),
        response(BIG, false),
        response(BIG, true),
    ];
    let mut poll = Poll::new()?;
    let mut l = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut l, Token(usize::MAX), Interest::READABLE)?;
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 0usize;
    let mut events = Events::with_capacity(1024);
    println!("listening {addr}");
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for ev in &events {
            if ev.token() == Token(usize::MAX) {
                loop {
                    match l.accept() {
                        Ok((mut s, _)) => {
                            let _ = s.set_nodelay(true);
                            let t = next;
                            next += 1;
                            poll.registry().register(
                                &mut s,
                                Token(t),
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            let mut c = Conn {
                                s,
                                inb: Vec::new(),
                                out: Vec::new(),
                                sent: 0,
                                close_after: false,
                            };
                            if drive(&mut c, &resp) {
                                conns.insert(t, c);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => break,
                    }
                }
                continue;
            }
            let t = ev.token().0;
            let keep = match conns.get_mut(&t) {
                Some(c) => drive(c, &resp),
                None => continue,
            };
            if !keep {
                if let Some(mut c) = conns.remove(&t) {
                    let _ = poll.registry().deregister(&mut c.s);
                }
            }
        }
    }
}

fn idle(addr: SocketAddr, n: usize) -> std::io::Result<()> {
    let mut v = Vec::with_capacity(n);
    let req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
    let mut buf = vec![0u8; 4096];
    // One at a time: each connection makes one request, reads the whole answer (head +
    // 128-byte body) and then stays open, idle, in keep-alive.
    for _ in 0..n {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.write_all(req)?;
        let mut got = Vec::new();
        loop {
            let k = s.read(&mut buf)?;
            if k == 0 {
                return Err(std::io::Error::other("closed"));
            }
            got.extend_from_slice(&buf[..k]);
            if let Some(end) = find_head_end(&got) {
                if got.len() >= end + SMALL {
                    break;
                }
            }
        }
        v.push(s);
    }
    println!("ready {}", v.len());
    std::io::stdout().flush()?;
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    drop(v);
    Ok(())
}

/// `N` sequential keep-alive `GET /` on one connection (for instruction counts under
/// callgrind: the same work every run).
fn seq(addr: SocketAddr, n: usize, path: &str) -> std::io::Result<()> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n");
    let req = req.as_bytes();
    let want = if path == "/big" { BIG } else { SMALL };
    let mut buf = vec![0u8; 4096];
    for _ in 0..n {
        s.write_all(req)?;
        let mut got = Vec::new();
        loop {
            let k = s.read(&mut buf)?;
            if k == 0 {
                return Err(std::io::Error::other("closed"));
            }
            got.extend_from_slice(&buf[..k]);
            if let Some(end) = find_head_end(&got) {
                if got.len() >= end + want {
                    break;
                }
            }
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = |i: usize| -> SocketAddr {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| "127.0.0.1:18080".parse().unwrap())
    };
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(addr(2)),
        Some("seq") => seq(
            addr(2),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1000),
            args.get(4).map_or("/", String::as_str),
        ),
        Some("idle") => idle(
            addr(2),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10000),
        ),
        _ => {
            eprintln!("usage: bench_backend serve ADDR | idle ADDR N | seq ADDR N [PATH]");
            std::process::exit(2)
        }
    }
}
