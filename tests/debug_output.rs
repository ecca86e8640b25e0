//! `-d` output compared with `/usr/sbin/haproxy`: the same configuration and requests go
//! through both binaries, and their stdout (the polling banner and the per-stream traces:
//! accept, request line and headers, response line and headers, close events) must be
//! identical once descriptor numbers and client ports are masked (they depend on each
//! process's descriptor layout and on the kernel), as must the computed maxconn note.

mod common;

use common::proc::free_port;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A keep-alive backend answering every request with a small response.
fn backend() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => {
                            let _ = w.write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok",
                            );
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    port
}

/// Stops a proxy even when an assertion fails first (a leaked `-d` process would keep
/// its listener).
struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Masks `(0009)=000e`, `[000e:000f]` and `:PORT]`.
fn normalise(out: &str) -> String {
    let hex = regex::Regex::new(r"\((?:[0-9a-f]{4})\)=[0-9a-f]{4}").unwrap();
    let fds = regex::Regex::new(r"\[[0-9a-f]{4}:(?:[0-9a-f]{4}|ffffffff)\]").unwrap();
    let port = regex::Regex::new(r":[0-9]+\] ALPN").unwrap();
    let s = hex.replace_all(out, "(L)=C");
    let s = fds.replace_all(&s, |c: &regex::Captures| {
        if c[0].contains("ffffffff") {
            "[C:-]".to_string()
        } else {
            "[C:S]".to_string()
        }
    });
    port.replace_all(&s, ":PORT] ALPN").into_owned()
}

/// Runs `bin -d` on the configuration, sends two keep-alive requests, returns
/// (stdout, the maxconn note line).
fn run(bin: &str) -> (String, String) {
    let fe = free_port();
    let be = backend();
    let dir = std::env::temp_dir().join(format!("hap-rs-dbg-{}-{fe}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("d.cfg");
    std::fs::write(
        &cfg,
        format!("global\n nbthread 2\ndefaults\n mode http\n timeout connect 1s\n timeout client 5s\n timeout server 5s\nfrontend f\n bind 127.0.0.1:{fe}\n default_backend b\nbackend b\n server s 127.0.0.1:{be}\n"),
    )
    .unwrap();
    let mut child = Command::new(bin)
        .args(["-d", "-f"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let mut s = loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", fe)) {
            break s;
        }
        assert!(t0.elapsed() < WAIT, "{bin} did not listen");
        thread::sleep(Duration::from_millis(10));
    };
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for path in ["/1", "/2"] {
        write!(s, "GET {path} HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n").unwrap();
        let mut got = Vec::new();
        while !got.ends_with(b"\r\n\r\nok") {
            let mut b = [0u8; 256];
            let n = r.read(&mut b).unwrap();
            assert!(n > 0, "{bin}: connection closed");
            got.extend_from_slice(&b[..n]);
        }
    }
    drop(r);
    drop(s);
    // The close traces come once the proxy has seen the client leave: read stdout until
    // both streams said `closed` (bounded), then stop the proxy.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    let t0 = Instant::now();
    while lines
        .iter()
        .filter(|l: &&String| l.contains(".closed["))
        .count()
        < 2
    {
        let left = WAIT.saturating_sub(t0.elapsed());
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(_) => panic!("{bin}: no closed traces in {lines:?}"),
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = lines.join("\n") + "\n";
    let note = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.contains("setting global.maxconn"))
        .unwrap_or("")
        .to_string();
    (normalise(&stdout), note)
}

#[test]
fn debug_traces_match_haproxy() {
    let oracle = "/usr/sbin/haproxy";
    assert!(
        std::path::Path::new(oracle).exists(),
        "{oracle} missing: scripts/test.sh installs it"
    );
    let (h_out, h_note) = run(oracle);
    let (r_out, r_note) = run(env!("CARGO_BIN_EXE_haproxy-rs"));
    assert!(h_out.contains("b.srvrep[C:S]: HTTP/1.1 200 OK"), "{h_out}");
    assert_eq!(r_out, h_out);
    assert_eq!(r_note, h_note);
}

/// `mode tcp`: a server that answers `pong` and closes once it read `ping`.
fn run_tcp(bin: &str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let be = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut b = [0u8; 4];
            if s.read_exact(&mut b).is_ok() {
                let _ = s.write_all(b"pong");
            }
        }
    });
    let fe = free_port();
    let dir = std::env::temp_dir().join(format!("hap-rs-dbgt-{}-{fe}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("t.cfg");
    std::fs::write(
        &cfg,
        format!("defaults\n mode tcp\n timeout connect 1s\n timeout client 5s\n timeout server 5s\nlisten t\n bind 127.0.0.1:{fe}\n server s 127.0.0.1:{be}\n"),
    )
    .unwrap();
    let mut child = KillOnDrop(
        Command::new(bin)
            .args(["-d", "-f"])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // No separate readiness probe: in TCP mode it would be a traced session of its own.
    // Refused attempts leave no trace, so the client retries until the proxy listens.
    let t0 = Instant::now();
    let mut s = loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", fe)) {
            break s;
        }
        assert!(t0.elapsed() < WAIT, "{bin} did not listen");
        thread::sleep(Duration::from_millis(10));
    };
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"ping").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"pong");
    let mut lines: Vec<String> = Vec::new();
    while !lines.iter().any(|l| l.contains(".closed[")) {
        lines.push(rx.recv_timeout(WAIT).expect("closed trace"));
    }
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
    normalise_tcp(&(lines.join("\n") + "\n"))
}

/// Masks the accept line's descriptors and port, and the client descriptor of the first
/// close line (`ffff` ones are kept: they are what HAProxy prints for closed ones).
fn normalise_tcp(out: &str) -> String {
    let hex = regex::Regex::new(r"\((?:[0-9a-f]{4})\)=[0-9a-f]{4}").unwrap();
    let port = regex::Regex::new(r":[0-9]+\] ALPN").unwrap();
    let s = hex.replace_all(out, "(L)=C");
    let s = port.replace_all(&s, ":PORT] ALPN");
    let first = regex::Regex::new(r"\[[0-9a-f]{4}:ffff\]").unwrap();
    first
        .replace_all(&s, |c: &regex::Captures| {
            if &c[0] == "[ffff:ffff]" {
                c[0].to_string()
            } else {
                "[C:ffff]".to_string()
            }
        })
        .into_owned()
}

/// The accept line and the set of close events, which HAProxy prints in an order that
/// depends on which side's close it processes first (seen both ways on 2.6.12).
fn tcp_shape(out: &str) -> (String, Vec<String>, String) {
    let lines: Vec<&str> = out.lines().collect();
    let accept = lines
        .iter()
        .find(|l| l.contains(".accept("))
        .expect("accept line")
        .to_string();
    let ev = regex::Regex::new(r"\.(clicls|srvcls)\[").unwrap();
    let mut closes: Vec<String> = lines
        .iter()
        .filter_map(|l| ev.captures(l).map(|c| c[1].to_string()))
        .collect();
    closes.sort();
    let last = lines.last().copied().unwrap_or("").to_string();
    (accept, closes, last)
}

#[test]
fn tcp_debug_traces_match_haproxy() {
    let h = tcp_shape(&run_tcp("/usr/sbin/haproxy"));
    let r = tcp_shape(&run_tcp(env!("CARGO_BIN_EXE_haproxy-rs")));
    assert_eq!(h.1, ["clicls", "srvcls"], "{h:?}");
    assert!(h.2.ends_with(".closed[ffff:ffff]"), "{h:?}");
    assert_eq!(r, h);
}
