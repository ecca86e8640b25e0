//! The quickstart, end to end: the built binary serves `examples/quickstart.cfg` (on a free
//! port), answers raw-socket and curl clients byte for byte like HAProxy 2.6, and stops with
//! exit status 0 on SIGINT as VTest expects in `-d` mode.
//!
//! `HAPROXY_RS_BIN=/usr/sbin/haproxy cargo test --test quickstart` runs the same checks
//! against HAProxy itself, which is how the expected bytes were confirmed.

mod common;

use common::proc::free_port;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use haproxy_rs::config::{self, Diag, ParseEnv};

const HELLO: &str = "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\nHello from haproxy-rs\n";
const P503: &str = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";
const P400: &str = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.cfg")
}

/// The quickstart needs the `bind` and `http-request` parsers; until they produce a model
/// the runtime can serve, there is nothing to run.
fn parser_ready() -> bool {
    let loaded = config::load_files(
        &[example().display().to_string()],
        Diag::new(),
        ParseEnv::offline(),
    );
    loaded.config.is_some_and(|c| {
        c.proxies
            .iter()
            .any(|p| !p.binds.is_empty() && !p.rules.http_request.is_empty())
    })
}

struct Proxy {
    child: Child,
    addr: SocketAddr,
    /// The `forward` listener, whose server is the first one.
    fwd: SocketAddr,
    _dir: TempDir,
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `haproxy-rs -d -f <copy of the quickstart on a free port>` and waits until it
/// accepts connections (bounded, no fixed sleep).
fn start() -> Proxy {
    let port = free_port();
    let fwd_port = free_port();
    let dir = std::env::temp_dir().join(format!("hap-rs-quickstart-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(example()).unwrap();
    assert!(text.contains("bind 127.0.0.1:8080"));
    let cfg = dir.join("quickstart.cfg");
    std::fs::write(
        &cfg,
        text.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            .replace("127.0.0.1:8081", &format!("127.0.0.1:{fwd_port}")),
    )
    .unwrap();
    let bin =
        std::env::var("HAPROXY_RS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_haproxy-rs").into());
    let mut child = Command::new(bin)
        .args(["-d", "-f"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(addr).is_ok() {
            break;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the binary exited before listening ({st}): is `-d -f` wired to the runtime?");
        }
        assert!(
            Instant::now() < deadline,
            "not listening on {addr} after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Proxy {
        child,
        addr,
        fwd: format!("127.0.0.1:{fwd_port}").parse().unwrap(),
        _dir: TempDir(dir),
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Reads exactly `n` bytes (a keep-alive response is not followed by EOF).
fn read_n(s: &mut TcpStream, n: usize) -> String {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// Sends `req` and reads until the server closes.
fn until_close(addr: SocketAddr, req: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn checks(px: &Proxy) {
    // Through the forwarding listener: the same bytes, relayed by the engine (keep-alive
    // on both sides, two requests on one client connection).
    let mut s = connect(px.fwd);
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(read_n(&mut s, HELLO.len()), HELLO);
    }
    drop(s);
    let a = px.addr;
    // HTTP/1.1 keep-alive: two requests on one connection, the second not covered by the rule.
    let mut s = connect(a);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_n(&mut s, HELLO.len()), HELLO);
    s.write_all(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_n(&mut s, P503.len()), P503);
    // Pipelined requests are answered in order.
    s.write_all(b"HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let head = "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\n";
    assert_eq!(
        read_n(&mut s, head.len() + HELLO.len()),
        format!("{head}{HELLO}")
    );
    drop(s);

    // HTTP/1.0 and `Connection: close` get `connection: close` and the connection ends.
    let close_hello = HELLO.replace(
        "text/plain\r\n\r\n",
        "text/plain\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(until_close(a, b"GET / HTTP/1.0\r\n\r\n"), close_hello);
    assert_eq!(
        until_close(a, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
        close_hello
    );
    let close_503 = P503.replace(
        "text/html\r\n\r\n",
        "text/html\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(until_close(a, b"GET /x HTTP/1.0\r\n\r\n"), close_503);

    // Malformed requests: HAProxy's raw 400 page, then close.
    assert_eq!(until_close(a, b"GARBAGE\r\n\r\n"), P400);
    assert_eq!(
        until_close(a, b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"),
        P400
    );
}

fn curl_checks(px: &Proxy) {
    let url = format!("http://{}/", px.addr);
    let out = match Command::new("curl")
        .args(["-s", "-i", "--max-time", "5", &url])
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("curl not installed: curl checks skipped");
            return;
        }
    };
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-type: text/plain\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nHello from haproxy-rs\n"), "{text}");
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
        ])
        .arg(format!("{url}missing"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "503");
    // Through the forwarding listener: curl sees the greeting relayed by the engine, two
    // requests over one keep-alive connection (curl reuses it for the second URL).
    let fwd = format!("http://{}/", px.fwd);
    let out = Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "5",
            "-w",
            "|%{num_connects}\n",
            &fwd,
            &fwd,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "Hello from haproxy-rs\n|1\nHello from haproxy-rs\n|0\n"
    );
}

/// SIGINT ends the process with status 0 (VTest's accepted outcome in `-d` mode).
fn stop_with_sigint(mut px: Proxy) {
    let pid = px.child.id().to_string();
    let st = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(st) = px.child.try_wait().unwrap() {
            // HAProxy itself dies by the signal, which VTest also accepts; ours exits 0.
            let reference = std::env::var("HAPROXY_RS_BIN").is_ok();
            let by_signal = std::os::unix::process::ExitStatusExt::signal(&st) == Some(2);
            assert!(
                st.code() == Some(0) || (reference && by_signal),
                "after SIGINT: {st}"
            );
            return;
        }
        assert!(Instant::now() < deadline, "still running 5 s after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn quickstart_serves_and_stops_cleanly() {
    if std::env::var("HAPROXY_RS_BIN").is_err() && !parser_ready() {
        eprintln!("skipped: the bind/http-request parsers do not yet build a servable model");
        return;
    }
    let px = start();
    checks(&px);
    curl_checks(&px);
    stop_with_sigint(px);
}

#[test]
fn quickstart_config_is_valid_for_haproxy_too() {
    // The example must stay a configuration HAProxy 2.6 itself accepts.
    let Ok(out) = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(example())
        .output()
    else {
        eprintln!("haproxy not installed: skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
