//! Daemon mode: `-D`, or `daemon` in the configuration without `-d`/`-db`. The command
//! returns once the listeners are bound, the pidfile names the detached child (a new
//! session, not the launcher), which serves traffic until SIGTERM. Real processes, real
//! sockets on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

/// Starts the binary with `args` on a config with `global_extra`, checks the daemon's
/// pidfile, traffic and session, then stops it.
fn daemon_case(global_extra: &str, args: &[&str]) {
    let dir = std::env::temp_dir().join(format!(
        "haproxy-rs-daemon-{}-{}",
        std::process::id(),
        args.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (cfg, pid_path) = (dir.join("d.cfg"), dir.join("d.pid"));
    let port = free_port();
    std::fs::write(
        &cfg,
        format!(
            "global\n{global_extra}defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\nfrontend f\n bind 127.0.0.1:{port}\n http-request return status 200 content-type text/plain string daemon-ok\n"
        ),
    )
    .unwrap();
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .args(args)
        .arg("-p")
        .arg(&pid_path)
        .arg("-f")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(t0.elapsed() < WAIT, "the launcher did not return");
    let pid: i32 = std::fs::read_to_string(&pid_path)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid), "the daemon {pid} is not running");
    // A session of its own: the daemon leads it (setsid), unlike the launcher's.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(fields[3], pid.to_string(), "not a session leader: {stat}");
    assert!(get(port).ends_with("daemon-ok"));
    // kill(1) rather than libc: the test needs no unsafe code.
    assert!(Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success());
    let t1 = Instant::now();
    while alive(pid) {
        assert!(t1.elapsed() < WAIT, "the daemon did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dash_d_detaches_and_writes_the_childs_pid() {
    daemon_case("", &["-D"]);
}

#[test]
fn daemon_keyword_detaches_too() {
    daemon_case(" daemon\n", &[]);
}
