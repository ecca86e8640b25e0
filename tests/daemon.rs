//! Daemon mode: `-D`, or `daemon` in the configuration without `-d`/`-db`. The command
//! returns once the listeners are bound, the pidfile names the detached child (a new
//! session, not the launcher), which serves traffic until SIGTERM. Real processes, real
//! sockets on 127.0.0.1.

mod common;

use common::proc::free_port;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

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

/// `chroot`, `user` and `group` are applied once the listeners are bound, as HAProxy does:
/// as root the serving process runs as nobody:nogroup inside the directory and still
/// serves; otherwise it stops with HAProxy's alert.
#[test]
fn chroot_user_and_group_are_applied() {
    let dir = std::env::temp_dir().join(format!("haproxy-rs-chroot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("c.cfg");
    let port = free_port();
    std::fs::write(
        &cfg,
        format!(
            "global\n chroot {}\n user nobody\n group nogroup\ndefaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\nfrontend f\n bind 127.0.0.1:{port}\n http-request return status 200 content-type text/plain string jailed\n",
            dir.display()
        ),
    )
    .unwrap();
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .args(["-db", "-f"])
        .arg(&cfg)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if !root {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("Cannot chroot({}).", dir.display())),
            "{err}"
        );
        return;
    }
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < WAIT, "not listening");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(get(port).ends_with("jailed"));
    let pid = child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .to_string();
    let gid = status
        .lines()
        .find(|l| l.starts_with("Gid:"))
        .unwrap()
        .to_string();
    assert!(
        uid.split_whitespace().skip(1).all(|v| v == "65534"),
        "{uid}"
    );
    assert!(
        gid.split_whitespace().skip(1).all(|v| v == "65534"),
        "{gid}"
    );
    let jail = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
    assert_eq!(jail, dir.canonicalize().unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
