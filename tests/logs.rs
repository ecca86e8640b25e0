//! Traffic logs against HAProxy 2.6 itself: both proxies run the same configuration and
//! send their logs to a UDP socket of the test (each its own), the same scripted traffic
//! goes through each (200, 404 from the server, 403 deny, 503 without a server, a queue
//! timeout, a client leaving mid-request, a server closing or stalling in its body, a TCP
//! connection), and the lines must be the same once the syslog header (date, tag, pid),
//! client ports, dates and timers are masked. Skipped when `/usr/sbin/haproxy` is not
//! installed.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod common;

use common::proc::{free_port, Proxy, Ready};

const ORACLE: &str = "/usr/sbin/haproxy";

fn backend(slow_seen: mpsc::Sender<()>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let tx = slow_seen.clone();
            thread::spawn(move || {
                let mut buf = Vec::new();
                let mut b = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&b[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                if head.contains("/short ") || head.contains("/stall ") {
                    // 5 bytes of 100, then a close (at once, or after 1.5 s).
                    let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
                    if head.contains("/stall ") {
                        thread::sleep(Duration::from_millis(1500));
                    }
                    return;
                }
                let rsp: &[u8] = if head.contains(" /404 ") {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nSet-Cookie: a=b\r\n\r\nnop"
                } else {
                    if head.contains("/slow ") {
                        let _ = tx.send(());
                        thread::sleep(Duration::from_millis(800));
                    }
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Srv: yes\r\n\r\nhello"
                };
                let _ = c.write_all(rsp);
            });
        }
    });
    port
}

fn config(log: u16, fe: u16, ft: u16, fc: u16, srv: u16, dead: u16, probe: u16) -> String {
    format!(
        r#"global
    nbthread 1
    log 127.0.0.1:{log} local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend probe
    no log
    bind 127.0.0.1:{probe}
    http-request return status 200
frontend fe
    bind 127.0.0.1:{fe}
    capture request header Host len 8
    capture response header X-Srv len 10
    http-request deny if {{ path /deny }}
    use_backend nosrv if {{ path /nosrv }}
    use_backend one if {{ path_beg /q }}
    use_backend bto if {{ path_beg /t }}
    default_backend be
backend be
    server s1 127.0.0.1:{srv}
backend one
    timeout queue 300ms
    server s1 127.0.0.1:{srv} maxconn 1
backend nosrv
    retries 0
    server s2 127.0.0.1:{dead}
backend bto
    timeout server 300ms
    server s1 127.0.0.1:{srv}
frontend ft
    mode tcp
    option tcplog
    bind 127.0.0.1:{ft}
    default_backend bet
backend bet
    mode tcp
    server s1 127.0.0.1:{srv}
frontend fc
    bind 127.0.0.1:{fc}
    log-format "%ci %f %b %s %ST %B %U %ts %tsc %HM %HU %HP %HQ %HV %{{+Q}}r %ac/%fc/%bc/%sc/%rc %sq/%bq %lc %ID %fi:%fp"
    default_backend be
"#
    )
}

fn start(bin: &str, cfg: &str, probe: u16) -> Proxy {
    Proxy::start(std::path::Path::new(bin), cfg, Ready::Port(probe))
}

fn get(port: u16, path: &str) -> String {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The lines one proxy logs for the traffic, in order.
fn run(bin: &str) -> Vec<String> {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let log = udp.local_addr().unwrap().port();
    let (tx, slow_seen) = mpsc::channel();
    let srv = backend(tx);
    let (fe, ft, fc, dead) = (free_port(), free_port(), free_port(), free_port());
    let probe = free_port();
    let _p = start(bin, &config(log, fe, ft, fc, srv, dead, probe), probe);
    let mut lines = Vec::new();
    let recv = |n: usize, lines: &mut Vec<String>| {
        let mut b = [0u8; 65536];
        for _ in 0..n {
            let k = udp.recv(&mut b).expect("a log line");
            lines.push(String::from_utf8_lossy(&b[..k]).into_owned());
        }
    };
    // A connection that sends nothing.
    drop(TcpStream::connect(("127.0.0.1", fe)).unwrap());
    recv(1, &mut lines);
    // A client that leaves in the middle of its request (first: the connection counts
    // of the line do not depend on when earlier connections were closed).
    {
        let mut c = TcpStream::connect(("127.0.0.1", fe)).unwrap();
        c.write_all(b"GET /half HTTP/1.1\r\nHost: x").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
    }
    recv(1, &mut lines);
    assert!(get(fe, "/ok").starts_with("HTTP/1.1 200"));
    recv(1, &mut lines);
    assert!(get(fe, "/404").starts_with("HTTP/1.1 404"));
    recv(1, &mut lines);
    assert!(get(fe, "/deny").starts_with("HTTP/1.1 403"));
    recv(1, &mut lines);
    assert!(get(fe, "/nosrv").starts_with("HTTP/1.1 503"));
    recv(1, &mut lines);
    // A queue timeout: `/q/slow` holds the only slot, `/q/next` waits 300 ms for it.
    let slow = thread::spawn(move || get(fe, "/q/slow"));
    slow_seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(get(fe, "/q/next").starts_with("HTTP/1.1 503"));
    recv(1, &mut lines);
    assert!(slow.join().unwrap().starts_with("HTTP/1.1 200"));
    recv(1, &mut lines);
    // The server closes in the middle of its body (`SD`), then stalls in it (`sD`).
    assert!(get(fe, "/short").starts_with("HTTP/1.1 200"));
    recv(1, &mut lines);
    assert!(get(fe, "/t/stall").starts_with("HTTP/1.1 200"));
    recv(1, &mut lines);
    // TCP.
    {
        let mut c = TcpStream::connect(("127.0.0.1", ft)).unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
    }
    recv(1, &mut lines);
    // The custom format.
    assert!(get(fc, "/ok?x=1").starts_with("HTTP/1.1 200"));
    recv(1, &mut lines);
    lines
}

/// What may differ between two runs: the syslog header (date, tag, pid), client ports,
/// dates, timers.
fn mask(line: &str) -> String {
    let body = line.split_once("]: ").map_or(line, |(_, b)| b);
    let pri = &line[..line.find('>').map_or(0, |i| i + 1)];
    let res = [
        (r"127\.0\.0\.1:\d+ \[", "127.0.0.1:PORT ["),
        (r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]", "[DATE]"),
        (
            r"\] (\S+) (\S+) -?\d+/-?\d+/-?\d+/-?\d+/-?\d+ ",
            "] $1 $2 TIMERS ",
        ),
        (r"\] (\S+) (\S+) -?\d+/-?\d+/-?\d+ ", "] $1 $2 TIMERS "),
        (r":\d+$", ":PORT"),
    ];
    let mut s = body.trim_end().to_string();
    for (re, to) in res {
        s = regex::Regex::new(re)
            .unwrap()
            .replace_all(&s, to)
            .into_owned();
    }
    format!("{pri}{s}")
}

/// The comparisons need the oracle: they fail without it, as every comparison with
/// HAProxy in this repository does (scripts/test.sh installs it).
fn oracle_present() {
    assert!(
        std::path::Path::new(ORACLE).exists(),
        "{ORACLE} is missing (apt-get install haproxy)"
    );
}

#[test]
fn log_lines_match_haproxy() {
    oracle_present();
    let want: Vec<String> = run(ORACLE).iter().map(|l| mask(l)).collect();
    let got: Vec<String> = run(env!("CARGO_BIN_EXE_haproxy-rs"))
        .iter()
        .map(|l| mask(l))
        .collect();
    for (w, g) in want.iter().zip(&got) {
        eprintln!("haproxy:    {w}\nhaproxy-rs: {g}");
    }
    assert_eq!(want, got);
}

#[allow(clippy::too_many_arguments)]
fn options_config(
    log: u16,
    probe: u16,
    f1: u16,
    f2: u16,
    f3: u16,
    f4: u16,
    f5: u16,
    srv: u16,
    dead: u16,
) -> String {
    format!(
        r#"global
    nbthread 1
    log 127.0.0.1:{log} local0
    log 127.0.0.1:{log} format rfc5424 local1
    log-send-hostname myhost
    log-tag gtag
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend probe
    no log
    bind 127.0.0.1:{probe}
    http-request return status 200
frontend f1
    bind 127.0.0.1:{f1}
    option httplog clf
    option dontlognull
    log-tag ftag
    log-format-sd "[exampleSDID@32473 iut=\"3\" fe=\"%f\"]"
    default_backend be
frontend f2
    bind 127.0.0.1:{f2}
    option httplog
    option dontlog-normal
    option log-separate-errors
    use_backend nosrv if {{ path /nosrv }}
    default_backend be
frontend f3
    bind 127.0.0.1:{f3}
    log-format "%ci %ST %b %{{+Q}}ID %{{+Q}}CC %CS"
    error-log-format "ERR %ci %ST %{{+Q}}r"
    http-request set-log-level silent if {{ path /silent }}
    http-request set-log-level err if {{ path /lvl }}
    default_backend be
backend be
    server s1 127.0.0.1:{srv}
frontend f4
    bind 127.0.0.1:{f4}
    option httplog
    default_backend bc
backend bc
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:{srv} cookie c1
backend nosrv
    retries 0
    server s2 127.0.0.1:{dead}
frontend f5
    bind 127.0.0.1:{f5}
    option httplog
    option http-buffer-request
    default_backend be
"#
    )
}

/// `option httplog clf`, `log-format-sd` on RFC 5424, `dontlognull`, `dontlog-normal`,
/// `log-separate-errors` (level err), `error-log-format`, `log-tag`,
/// `log-send-hostname`, `set-log-level`: the lines one proxy logs.
fn run_options(bin: &str) -> Vec<String> {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let log = udp.local_addr().unwrap().port();
    let (tx, _slow) = mpsc::channel();
    let srv = backend(tx);
    let [probe, f1, f2, f3, f4, f5, dead] = [(); 7].map(|_| free_port());
    let cfg = options_config(log, probe, f1, f2, f3, f4, f5, srv, dead);
    let _p = start(bin, &cfg, probe);
    let mut lines = Vec::new();
    let recv = |n: usize, lines: &mut Vec<String>| {
        let mut b = [0u8; 65536];
        for _ in 0..n {
            let k = udp.recv(&mut b).expect("a log line");
            lines.push(String::from_utf8_lossy(&b[..k]).into_owned());
        }
    };
    // Not logged (`dontlognull`): the next two lines are the request's.
    drop(TcpStream::connect(("127.0.0.1", f1)).unwrap());
    assert!(get(f1, "/ok").starts_with("HTTP/1.1 200"));
    recv(2, &mut lines);
    // Not logged (`dontlog-normal`), then an error at level err.
    assert!(get(f2, "/ok").starts_with("HTTP/1.1 200"));
    assert!(get(f2, "/nosrv").starts_with("HTTP/1.1 503"));
    recv(2, &mut lines);
    assert!(get(f3, "/ok").starts_with("HTTP/1.1 200"));
    recv(2, &mut lines);
    // `set-log-level`: `silent` logs nothing, `err` sets the level of both lines.
    assert!(get(f3, "/silent").starts_with("HTTP/1.1 200"));
    assert!(get(f3, "/lvl").starts_with("HTTP/1.1 200"));
    recv(2, &mut lines);
    // `error-log-format` for a request that never parsed.
    {
        let mut c = TcpStream::connect(("127.0.0.1", f3)).unwrap();
        c.write_all(b"BAD\r\n\r\n").unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
    }
    recv(2, &mut lines);
    // `%tsc` with cookie persistence: inserted (`NI`), then valid (`VN`).
    assert!(get(f4, "/ok").starts_with("HTTP/1.1 200"));
    recv(2, &mut lines);
    {
        let mut c = TcpStream::connect(("127.0.0.1", f4)).unwrap();
        c.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nCookie: SRV=c1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
    }
    recv(2, &mut lines);
    // `%r` is the start line as stored: single spaces whatever the client sent.
    {
        let mut c = TcpStream::connect(("127.0.0.1", f5)).unwrap();
        c.write_all(b"GET  /ok  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
        assert!(out.starts_with(b"HTTP/1.1 200"));
    }
    recv(2, &mut lines);
    // `http-buffer-request` and a client leaving before its body is complete: routed,
    // no server, `CR--`.
    {
        let mut c = TcpStream::connect(("127.0.0.1", f5)).unwrap();
        c.write_all(b"POST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n0\r\n")
            .unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.read_to_end(&mut out);
        assert!(out.is_empty(), "no response to a client that left");
    }
    recv(2, &mut lines);
    lines
}

fn mask_options(line: &str) -> String {
    let res = [
        (r"^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d ", "${1}DATE "),
        (r"^(<\d+>1) \S+ (\S+) (\S+) \d+ ", "$1 DATE $2 $3 PID "),
        (r"(\w+)\[\d+\]: ", "$1[PID]: "),
        (r"127\.0\.0\.1:\d+ \[", "127.0.0.1:PORT ["),
        (
            r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(\.\d{3}| \+0000)\]",
            "[DATE]",
        ),
        (
            r"\] (\S+) (\S+) -?\d+/-?\d+/-?\d+/-?\d+/-?\d+ ",
            "] $1 $2 TIMERS ",
        ),
        // CLF: `%cp %ms` and the five timers.
        (r#""" "" \d+ \d+ "#, r#""" "" PORT MS "#),
        (r#""s1" -?\d+ -?\d+ -?\d+ -?\d+ -?\d+ "#, r#""s1" TIMERS "#),
    ];
    let mut s = line.to_string();
    for (re, to) in res {
        s = regex::Regex::new(re)
            .unwrap()
            .replace_all(&s, to)
            .into_owned();
    }
    s
}

#[test]
fn log_options_match_haproxy() {
    oracle_present();
    let want: Vec<String> = run_options(ORACLE)
        .iter()
        .map(|l| mask_options(l))
        .collect();
    let got: Vec<String> = run_options(env!("CARGO_BIN_EXE_haproxy-rs"))
        .iter()
        .map(|l| mask_options(l))
        .collect();
    for (w, g) in want.iter().zip(&got) {
        eprintln!("haproxy:    {w:?}\nhaproxy-rs: {g:?}");
    }
    assert_eq!(want, got);
}

/// Health-check results and server state changes also go to the backend's log targets,
/// at HAProxy's levels: the lines of both proxies, sorted (the two servers' checks run
/// in no fixed order).
fn run_checks(bin: &str) -> Vec<String> {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let log = udp.local_addr().unwrap().port();
    let (tx, _slow) = mpsc::channel();
    let srv = backend(tx);
    let [probe, dead] = [(); 2].map(|_| free_port());
    let cfg = format!(
        r#"global
    log 127.0.0.1:{log} local0 debug
defaults
    mode http
    log global
    timeout connect 500ms
    timeout client 10s
    timeout server 10s
frontend probe
    no log
    bind 127.0.0.1:{probe}
    default_backend bchk
backend bchk
    option log-health-checks
    server s1 127.0.0.1:{dead} check inter 200ms fall 1 rise 1
    server s2 127.0.0.1:{srv} check inter 200ms fall 1 rise 1
"#
    );
    let _p = start(bin, &cfg, probe);
    let mut lines = Vec::new();
    let mut b = [0u8; 65536];
    for _ in 0..3 {
        let k = udp.recv(&mut b).expect("a log line");
        lines.push(String::from_utf8_lossy(&b[..k]).into_owned());
    }
    let re = regex::Regex::new(r"^(<\d+>).*?\]: (.*?)check duration: \d+ms").unwrap();
    let mut lines: Vec<String> = lines
        .iter()
        .map(|l| re.replace(l, "${1}${2}check duration: Nms").into_owned())
        .map(|l| {
            let r =
                regex::Regex::new(r"^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d \S+\[\d+\]: ").unwrap();
            r.replace(&l, "$1").into_owned()
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn check_messages_are_logged_like_haproxy() {
    oracle_present();
    let want = run_checks(ORACLE);
    let got = run_checks(env!("CARGO_BIN_EXE_haproxy-rs"));
    for (w, g) in want.iter().zip(&got) {
        eprintln!("haproxy:    {w:?}\nhaproxy-rs: {g:?}");
    }
    assert_eq!(want, got);
}

/// `%Ti` is the client's idle time before its request's first byte, and `%TR`/`%Ta` start
/// there, as in HAProxy: a client that waits 300 ms after connecting, then sends its head in
/// two parts 200 ms apart, logs Ti ≈ 300 and TR ≈ 200, on both proxies; so does the second
/// request of a kept-alive connection, whose idle time starts at the first one's end.
#[test]
fn idle_time_ends_at_the_first_request_byte() {
    let (tx, _slow) = mpsc::channel();
    let srv = backend(tx);
    for bin in [ORACLE, env!("CARGO_BIN_EXE_haproxy-rs")] {
        if bin == ORACLE && !std::path::Path::new(ORACLE).exists() {
            continue;
        }
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let fe = free_port();
        let cfg = format!(
            "global\n log 127.0.0.1:{} local0\ndefaults\n mode http\n log global\n option dontlognull\n timeout connect 1s\n timeout client 5s\n timeout server 5s\nfrontend fe\n bind 127.0.0.1:{fe}\n log-format \"%Ti %TR %Ta %HP\"\n default_backend be\nbackend be\n server s 127.0.0.1:{srv}\n",
            udp.local_addr().unwrap().port()
        );
        let _p = start(bin, &cfg, fe);
        let mut c = TcpStream::connect(("127.0.0.1", fe)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        for path in ["/a", "/b"] {
            thread::sleep(Duration::from_millis(300));
            write!(c, "GET {path} HTTP/1.1\r\n").unwrap();
            thread::sleep(Duration::from_millis(200));
            c.write_all(b"Host: x\r\n\r\n").unwrap();
            let mut b = [0u8; 4096];
            let mut head = Vec::new();
            while !head.ends_with(b"hello") {
                let n = c.read(&mut b).unwrap();
                assert!(n > 0, "{bin}: closed");
                head.extend_from_slice(&b[..n]);
            }
            let mut line = [0u8; 512];
            let n = udp.recv(&mut line).unwrap();
            let text = String::from_utf8_lossy(&line[..n]).into_owned();
            let w: Vec<&str> = text.rsplitn(5, ' ').collect();
            let ms = |s: &str| s.trim().parse::<i64>().unwrap();
            let (ti, tr, ta, p) = (ms(w[3]), ms(w[2]), ms(w[1]), w[0].trim().to_string());
            assert!(p.ends_with(path), "{bin}: {text}");
            got.push((ti, tr, ta));
        }
        for (ti, tr, ta) in got {
            assert!((280..450).contains(&ti), "{bin}: Ti {ti}");
            assert!((180..350).contains(&tr), "{bin}: TR {tr}");
            assert!(ta >= tr && ta < tr + 150, "{bin}: Ta {ta} TR {tr}");
        }
    }
}

/// `option abortonclose`: a client leaving while queued is `CQ` (its queue time counted),
/// one leaving while its request waits for the server's answer has its shutdown passed
/// on, and when the server then closes without answering the line is 400 `CH`
/// (HAProxy's "client abort with an abortonclose"). Timers are compared as "set or -1".
fn run_abortonclose(bin: &str) -> Vec<String> {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let log = udp.local_addr().unwrap().port();
    // Reads a request head, then waits for the proxy's shutdown and closes unanswered.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let srv = l.local_addr().unwrap().port();
    let (tx, got_head) = mpsc::channel();
    thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let tx = tx.clone();
            thread::spawn(move || {
                let mut b = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&b[..n]),
                    }
                }
                let _ = tx.send(());
                while matches!(c.read(&mut b), Ok(n) if n > 0) {}
            });
        }
    });
    let fe = free_port();
    let cfg = format!(
        "global\n nbthread 1\n log 127.0.0.1:{log} local0\n stats socket @DIR@/s.sock level admin\n\
         defaults\n mode http\n log global\n option httplog\n option dontlognull\n option abortonclose\n\
         timeout connect 2s\n timeout client 10s\n timeout server 10s\n timeout queue 10s\n\
         frontend fe\n bind 127.0.0.1:{fe}\n default_backend be\n\
         backend be\n server s1 127.0.0.1:{srv} maxconn 1\n"
    );
    let p = Proxy::start(std::path::Path::new(bin), &cfg, Ready::Port(fe));
    let mut c3 = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    c3.write_all(b"GET /c3 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    got_head
        .recv_timeout(Duration::from_secs(5))
        .expect("the server got /c3");
    let mut c4 = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    c4.write_all(b"GET /c4 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Queued once the backend queue (`qcur`, third CSV field) says so.
    let t0 = std::time::Instant::now();
    while !p
        .cli("s.sock", "show stat\n")
        .lines()
        .any(|l| l.starts_with("be,BACKEND,1,"))
    {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "/c4 never queued: {}",
            p.cli("s.sock", "show stat\n")
        );
        thread::sleep(Duration::from_millis(5));
    }
    drop(c4);
    let mut lines = Vec::new();
    let mut b = [0u8; 65536];
    let k = udp.recv(&mut b).expect("the /c4 line");
    lines.push(String::from_utf8_lossy(&b[..k]).into_owned());
    c3.shutdown(Shutdown::Write).unwrap();
    c3.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    let _ = c3.read_to_end(&mut out);
    let k = udp.recv(&mut b).expect("the /c3 line");
    lines.push(String::from_utf8_lossy(&b[..k]).into_owned());
    lines.push(
        String::from_utf8_lossy(out.split(|&c| c == b'\r').next().unwrap_or(&[])).into_owned(),
    );
    lines
}

#[test]
fn abortonclose_aborts_are_logged_like_haproxy() {
    oracle_present();
    let norm = |v: Vec<String>| -> Vec<String> {
        let res = [
            (r"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d [^:]+: ", ""),
            (r"127\.0\.0\.1:\d+", "ADDR"),
            (r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]", "[DATE]"),
            // "-1 or not" of every number (timers, sizes, counters) is what is compared.
            (r"\b\d+\b", "N"),
        ];
        v.iter()
            .map(|l| {
                let mut s = l.trim_end().to_string();
                for (re, to) in res {
                    s = regex::Regex::new(re)
                        .unwrap()
                        .replace_all(&s, to)
                        .into_owned();
                }
                s
            })
            .collect()
    };
    let want = norm(run_abortonclose(ORACLE));
    let got = norm(run_abortonclose(env!("CARGO_BIN_EXE_haproxy-rs")));
    assert!(
        want[0].contains("CQ--") && want[1].contains("CH--"),
        "{want:?}"
    );
    assert_eq!(want, got);
}
