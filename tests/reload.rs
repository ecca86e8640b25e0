//! Seamless reload the way HAProxy scripts do it: a new process started with `-sf <old>`
//! binds the same port (SO_REUSEPORT) and then tells the old one to finish (SIGUSR1): the
//! old one stops accepting, completes what is in flight and exits 0; `-st` and
//! `hard-stop-after` end it sooner. Real processes, real sockets on 127.0.0.1.

mod common;

use common::proc::free_port;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// The tests of this file run one at a time: each picks its frontend port with
/// `free_port()` (bind port 0, release) and then starts listeners of its own; run
/// concurrently, another test's listener could take the released port first and the proxy
/// would fail to bind while the readiness probe reached the wrong listener.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A backend answering every request after `delay`; each request head it receives is
/// announced on the returned channel (the tests' signal that a request is in flight).
fn slow_backend(delay: Duration) -> (u16, std::sync::mpsc::Receiver<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let tx = tx.clone();
            thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => {
                            let _ = tx.send(());
                            thread::sleep(delay);
                            let _ =
                                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow");
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    (port, rx)
}

fn config(
    dir: &std::path::Path,
    name: &str,
    fe: u16,
    be: u16,
    extra_global: &str,
) -> std::path::PathBuf {
    let text = format!(
        "global\n nbthread 1\n{extra_global}defaults\n mode http\n timeout connect 1s\n timeout client 10s\n timeout server 10s\nfrontend f\n bind 127.0.0.1:{fe}\n http-request return status 200 content-type text/plain string {name} if {{ path /who }}\n default_backend b\nbackend b\n server s 127.0.0.1:{be}\n"
    );
    let p = dir.join(format!("{name}.cfg"));
    std::fs::write(&p, text).unwrap();
    p
}

fn spawn(cfg: &std::path::Path, extra: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .args(["-db", "-f"])
        .arg(cfg)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// One request on a new connection; the body of the response.
fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.rsplit("\r\n\r\n").next().unwrap_or("").to_string()
}

/// Waits until a `/who` request is answered by `name`.
fn wait_served_by(port: u16, name: &str) {
    let t0 = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() && get(port, "/who") == name {
            return;
        }
        assert!(t0.elapsed() < WAIT, "{name} never answered");
        thread::sleep(Duration::from_millis(20));
    }
}

fn wait_exit(c: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(st) = c.try_wait().unwrap() {
            return Some(st);
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("haproxy-rs-reload-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn sf_reload_finishes_in_flight_requests_and_hands_over_the_port() {
    let _serial = serial();
    let dir = tmpdir("sf");
    let fe = free_port();
    let (be, arrived) = slow_backend(Duration::from_millis(600));
    let mut old = spawn(&config(&dir, "old", fe, be, ""), &[]);
    wait_served_by(fe, "old");
    // A request in flight on the old process when the reload happens.
    let inflight = thread::spawn(move || get(fe, "/slow"));
    arrived
        .recv_timeout(WAIT)
        .expect("request reached the server");
    let mut new = spawn(
        &config(&dir, "new", fe, be, ""),
        &["-sf".into(), old.id().to_string()],
    );
    wait_served_by(fe, "new");
    assert_eq!(inflight.join().unwrap(), "slow", "in-flight request lost");
    let st = wait_exit(&mut old, WAIT).expect("old process did not exit");
    assert_eq!(st.code(), Some(0));
    // Only the new process listens now.
    for _ in 0..5 {
        assert_eq!(get(fe, "/who"), "new");
    }
    let _ = new.kill();
    let _ = new.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hard_stop_after_ends_a_lingering_request() {
    let _serial = serial();
    let dir = tmpdir("hsa");
    let fe = free_port();
    let (be, arrived) = slow_backend(Duration::from_secs(30));
    let mut old = spawn(
        &config(&dir, "old", fe, be, " hard-stop-after 300ms\n"),
        &[],
    );
    wait_served_by(fe, "old");
    let mut stuck = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    stuck.set_read_timeout(Some(WAIT)).unwrap();
    stuck
        .write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    arrived
        .recv_timeout(WAIT)
        .expect("request reached the server");
    let t0 = Instant::now();
    send_usr1(old.id() as i32);
    let st = wait_exit(&mut old, WAIT).expect("hard-stop-after did not stop the process");
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(st.code(), Some(0));
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest);
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGUSR1 through the `kill` command (tests stay free of `unsafe`).
fn send_usr1(pid: i32) {
    let st = Command::new("kill")
        .args(["-USR1", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}
