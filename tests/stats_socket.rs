//! The stats socket through the real binary: commands sent over a UNIX socket (with
//! `socat` and with a Rust client) and an `ipv4@` one, compared with the replies
//! /usr/sbin/haproxy 2.6 gives, the map/ACL and server commands observed in traffic, and
//! `show stat` compared with haproxy's after the same requests.
//!
//! Readiness: the socket path accepting a connection (the proxy binds its listeners before
//! it serves), never a guessed sleep.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::proc::csv_comparable as comparable;
use common::proc::{free_port, http_get as get, serial, Ready, WAIT};

/// A proxy with its stats socket at `<dir>/stats.sock`.
struct Proxy {
    p: common::proc::Proxy,
    sock: PathBuf,
}

impl Proxy {
    /// Starts `bin` on `cfg`, where `@SOCK@` and `@DIR@` are replaced by the stats socket
    /// path and the test's directory; `tag` names the run in assertion messages only.
    fn start(bin: &Path, _tag: &str, cfg: &str, files: &[(&str, &str)]) -> Proxy {
        let cfg = cfg.replace("@SOCK@", "@DIR@/stats.sock");
        let mut b = common::proc::Proxy::builder(bin, &cfg);
        for (name, text) in files {
            b = b.file(name, text);
        }
        let p = b.start(Ready::Unix("stats.sock"));
        let sock = p.path("stats.sock");
        Proxy { p, sock }
    }

    /// Sends `input` on a new connection and reads until the proxy closes it.
    fn cli(&self, input: &str) -> String {
        self.p.cli("stats.sock", input)
    }
}

fn socat(sock: &Path, input: &str) -> Option<String> {
    let mut c = Command::new("socat")
        .arg("-")
        .arg(format!("UNIX-CONNECT:{}", sock.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    c.stdin.take().unwrap().write_all(input.as_bytes()).ok()?;
    let out = c.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn backend(name: &'static str) -> u16 {
    common::proc::named_backend(name)
}

fn basic_cfg(fe: u16, s1: u16, s2: u16, op: u16) -> String {
    format!(
        "global\n stats socket @SOCK@ level admin mode 600\n stats socket ipv4@127.0.0.1:{op} level operator\n stats timeout 5s\n set-var proc.int5 int(5)\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
frontend fe\n bind 127.0.0.1:{fe}\n http-request set-header x-m %[path,map(@DIR@/m.map,none)]\n http-request return status 200 content-type text/plain lf-string %[req.hdr(x-m)] if {{ path_beg /m/ }}\n default_backend be\n\
backend be\n server s1 127.0.0.1:{s1}\n server s2 127.0.0.1:{s2} weight 3\n"
    )
}

#[test]
fn framing_help_and_info_as_haproxy() {
    let _g = serial();
    let (fe, op) = (free_port(), free_port());
    let p = Proxy::start(
        &common::rs_bin(),
        "basic",
        &basic_cfg(fe, 1, 2, op),
        &[("m.map", "/m/a A\n")],
    );
    let v = p.cli("show version\n");
    assert!(v.starts_with("2.6.12") && v.ends_with("\n\n"), "{v:?}");
    // Pipelined with ';' and a line feed: every reply then an empty line, then close.
    let two = p.cli("show version;show version\n");
    assert_eq!(two, format!("{v}{v}"));
    // HAProxy 2.6.12's own reply to a mistyped command.
    assert_eq!(
        p.cli("sho stat\n"),
        "Unknown command, but maybe one of the following ones is a better match:\n  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n\n"
    );
    let help = p.cli("help\n");
    assert!(help.starts_with(
        "The following commands are valid at this level:\n  abort ssl ca-file <cafile>"
    ));
    assert_eq!(help.lines().count(), 105);
    let empty = p.cli("\n");
    assert!(
        empty.starts_with("Unknown command. Please enter one of the following commands only:\n")
    );
    // Interactive mode: the prompt after each reply, until quit.
    let inter = p.cli("prompt\nshow cli level\nquit\n");
    assert_eq!(inter, "\n> admin\n\n> ");
    let info = p.cli("show info\n");
    let names: Vec<&str> = info
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(names.len(), 69, "{info}");
    assert!(info.starts_with("Name: HAProxy\nVersion: 2.6.12"));
    assert!(info.contains(&format!("\nPid: {}\n", p.p.child.id())));
    assert_eq!(p.cli("show backend\n"), "# name\nbe\n\n");
    assert_eq!(
        p.cli("get var proc.int5\n"),
        "proc.int5: type=sint value=<5>\n"
    );
    assert_eq!(p.cli("get var proc.nope\n"), "Variable not found.\n\n");
    // The same through socat, as operators script it.
    if let Some(out) = socat(&p.sock, "show version\n") {
        assert_eq!(out, v);
    }
    // The ipv4@ socket has level operator: admin commands are refused.
    let mut s = TcpStream::connect(("127.0.0.1", op)).unwrap();
    s.write_all(b"show cli level;set weight be/s1 2\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(out, "operator\n\nPermission denied\n\n");
}

#[test]
fn server_commands_steer_traffic() {
    let _g = serial();
    let (s1, s2) = (backend("s1"), backend("s2"));
    let fe = free_port();
    let p = Proxy::start(
        &common::rs_bin(),
        "srv",
        &basic_cfg(fe, s1, s2, free_port()),
        &[("m.map", "")],
    );
    assert_eq!(p.cli("get weight be/s2\n"), "3 (initial 3)\n\n");
    assert_eq!(
        p.cli("set weight be/s2 50%\nget weight be/s2\n"),
        "\n1 (initial 3)\n\n"
    );
    assert_eq!(p.cli("get weight be/zz\n"), "No such server.\n\n");
    assert_eq!(p.cli("get weight zz/s1\n"), "No such backend.\n\n");
    assert_eq!(
        p.cli("set server be/s1\n"),
        "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n"
    );
    assert_eq!(
        p.cli("set server be/s1 state bogus\n"),
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
    );
    // s1 in maintenance: every request goes to s2.
    assert_eq!(p.cli("set server be/s1 state maint\n"), "\n");
    for _ in 0..4 {
        assert!(get(fe, "/").ends_with("s2"));
    }
    let st = p.cli("show servers state be\n");
    assert!(st.contains("\n3 be 1 s1 127.0.0.1 0 1 1 1 "), "{st}");
    let csv = p.cli("show stat\n");
    assert!(csv.contains("\nbe,s1,0,0,0,0,,"), "{csv}");
    assert!(csv.contains(",MAINT,1,1,0,"), "{csv}");
    // Back to ready, and s2 drained: s1 takes everything.
    assert_eq!(
        p.cli("enable server be/s1;set server be/s2 state drain\n"),
        "\n\n"
    );
    for _ in 0..4 {
        assert!(get(fe, "/").ends_with("s1"));
    }
    assert_eq!(
        p.cli("disable server be/s1;set server be/s2 state ready\n"),
        "\n\n"
    );
    assert!(get(fe, "/").ends_with("s2"));
    assert_eq!(p.cli("set maxconn server be/s2 10\n"), "\n");
    assert_eq!(
        p.cli("set maxconn global 99999999\n"),
        "Value out of range.\n\n"
    );
    assert_eq!(p.cli("set maxconn global 500\n"), "\n");
    assert!(p.cli("show info\n").contains("\nMaxconn: 500\n"));
    assert_eq!(
        p.cli("set maxconn frontend nope 5\n"),
        "No such frontend.\n\n"
    );
    assert_eq!(p.cli("set maxconn frontend fe 7\n"), "\n");
    let csv = p.cli("show stat\n");
    let fe_row = csv.lines().find(|l| l.starts_with("fe,FRONTEND,")).unwrap();
    assert_eq!(fe_row.split(',').nth(6), Some("7"), "{fe_row}");
    assert!(get(fe, "/").starts_with("HTTP/1.1 200"));
    // A disabled frontend admits nothing (connections wait in the backlog) until enabled.
    assert_eq!(p.cli("disable frontend fe\n"), "\n");
    assert_eq!(
        p.cli("disable frontend fe\n"),
        "All sockets are already disabled.\n\n"
    );
    assert!(p.cli("show stat\n").contains(",PAUSED,"));
    let mut waiting = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    waiting
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(p.cli("enable frontend fe\n"), "\n");
    let mut out = String::new();
    waiting.set_read_timeout(Some(WAIT)).unwrap();
    waiting.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert_eq!(
        p.cli("enable frontend fe\n"),
        "All sockets are already enabled.\n\n"
    );
    assert_eq!(p.cli("shutdown sessions server be/s2\n"), "\n");
}

#[test]
fn map_commands_change_lookups() {
    let _g = serial();
    let fe = free_port();
    let p = Proxy::start(
        &common::rs_bin(),
        "map",
        &basic_cfg(fe, 1, 2, free_port()),
        &[("m.map", "/m/a A\n")],
    );
    let map = format!("{}/m.map", p.p.dir.display());
    assert!(get(fe, "/m/a").ends_with("\r\n\r\nA"));
    assert!(get(fe, "/m/b").ends_with("\r\n\r\nnone"));
    assert_eq!(p.cli(&format!("add map {map} /m/b B\n")), "\n");
    assert!(get(fe, "/m/b").ends_with("\r\n\r\nB"));
    assert_eq!(p.cli(&format!("set map {map} /m/a AA\n")), "\n");
    assert!(get(fe, "/m/a").ends_with("\r\n\r\nAA"));
    let shown = p.cli(&format!("show map {map}\n"));
    assert_eq!(shown, "0x0 /m/a AA\n0x1 /m/b B\n\n");
    assert_eq!(p.cli(&format!("del map {map} /m/a\n")), "\n");
    assert_eq!(
        p.cli(&format!("del map {map} /m/zz\n")),
        "Key not found.\n\n"
    );
    assert!(get(fe, "/m/a").ends_with("\r\n\r\nnone"));
    // A payload: several entries in one command.
    assert_eq!(
        p.cli(&format!("add map {map} <<\n/m/c C\n/m/d D\n\n")),
        "\n"
    );
    assert!(get(fe, "/m/d").ends_with("\r\n\r\nD"));
    assert_eq!(p.cli(&format!("clear map {map}\n")), "\n");
    assert!(get(fe, "/m/b").ends_with("\r\n\r\nnone"));
    assert_eq!(
        p.cli("show map /nope\n"),
        "Unknown map identifier. Please use #<id> or <file>.\n\n"
    );
    let list = p.cli("show map\n");
    assert!(list.starts_with("# id (file) description\n0 ("), "{list}");
}

#[test]
fn show_stat_matches_haproxy_after_the_same_traffic() {
    let _g = serial();
    let oracle = common::oracle();
    let (s1, s2, s3) = (backend("s1"), backend("s2"), backend("s404"));
    let dead = free_port();
    let mut runs = Vec::new();
    for (tag, bin) in [("hap", oracle), ("rs", common::rs_bin())] {
        let fe = free_port();
        let tfe = free_port();
        let cfg = format!(
            "global\n maxconn 1000\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 2s\n retries 1\n\
frontend fe\n bind 127.0.0.1:{fe}\n http-request deny if {{ path /deny }}\n http-request return status 200 if {{ path /ret }}\n use_backend dead if {{ path /dead }}\n use_backend b404 if {{ path /404 }}\n default_backend be\n\
backend be\n server s1 127.0.0.1:{s1}\n server s2 127.0.0.1:{s2} weight 2\n\
backend b404\n server x 127.0.0.1:{s3}\n\
backend dead\n server d1 127.0.0.1:{dead}\n\
listen t\n mode tcp\n bind 127.0.0.1:{tfe}\n server t1 127.0.0.1:{s1}\n"
        );
        let p = Proxy::start(&bin, tag, &cfg, &[]);
        for path in [
            "/", "/", "/", "/a", "/b", "/c", "/ret", "/deny", "/404", "/404", "/dead",
        ] {
            let r = get(fe, path);
            assert!(r.starts_with("HTTP/1.1 "), "{tag} {path}: {r:?}");
        }
        for _ in 0..2 {
            let mut s = TcpStream::connect(("127.0.0.1", tfe)).unwrap();
            s.set_read_timeout(Some(WAIT)).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut b = [0u8; 256];
            let mut got = 0;
            while got == 0 || !String::from_utf8_lossy(&b[..got]).ends_with("s1") {
                let n = s.read(&mut b[got..]).unwrap();
                assert!(n > 0);
                got += n;
            }
        }
        // Every connection is over once its reply was read in full; the session on the
        // proxy side ends right after. Wait for the counts to settle (scur back to 0).
        let t0 = Instant::now();
        let csv = loop {
            let c = p.cli("show stat\n");
            let busy = c.lines().skip(1).any(|l| {
                let v: Vec<&str> = l.split(',').collect();
                v.len() > 4 && !v[4].is_empty() && v[4] != "0"
            });
            if !busy || t0.elapsed() > WAIT {
                break c;
            }
            std::thread::yield_now();
        };
        runs.push(comparable(&csv));
    }
    let (hap, rs) = (&runs[0], &runs[1]);
    assert_eq!(hap.len(), rs.len());
    let mut diffs = Vec::new();
    for (h, r) in hap.iter().zip(rs) {
        for (a, b) in h.split(',').zip(r.split(',')) {
            if a != b {
                let row: Vec<&str> = h.splitn(3, ',').take(2).collect();
                diffs.push(format!("{}: haproxy {a} / haproxy-rs {b}", row.join(",")));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The CLI's maintenance and the checks' verdict are separate states, as in HAProxy:
/// `ready` does not bring a server the checks found down back, and a check does not
/// take a server out of maintenance.
#[test]
fn admin_state_and_checks_combine() {
    let _g = serial();
    let (fe, up, dead) = (free_port(), backend("up"), free_port());
    let cfg = format!(
        "global\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n\
frontend fe\n bind 127.0.0.1:{fe}\n default_backend be\n\
backend be\n server up 127.0.0.1:{up} check inter 100ms\n server dead 127.0.0.1:{dead} check inter 100ms fall 1\n"
    );
    let p = Proxy::start(&common::rs_bin(), "admin", &cfg, &[]);
    let row = |name: &str| -> String {
        let st = p.cli("show servers state be\n");
        st.lines()
            .find(|l| l.split(' ').nth(3) == Some(name))
            .map(|l| l.split(' ').skip(5).take(2).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let t0 = Instant::now();
    while row("dead") != "0 0" {
        assert!(
            t0.elapsed() < WAIT,
            "the dead server never went down: {}",
            row("dead")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(p.cli("set server be/dead state maint\n"), "\n");
    assert_eq!(row("dead"), "0 1");
    assert_eq!(p.cli("set server be/dead state ready\n"), "\n");
    assert_eq!(row("dead"), "0 0", "ready must leave the checks' DOWN");
    assert_eq!(p.cli("set server be/up state drain\n"), "\n");
    assert_eq!(row("up"), "2 8");
    assert_eq!(p.cli("set server be/up state maint\n"), "\n");
    assert_eq!(row("up"), "0 1");
    // Requests find no server while the live one is in maintenance.
    assert!(get(fe, "/").starts_with("HTTP/1.1 503"));
    assert_eq!(p.cli("enable server be/up\n"), "\n");
    assert_eq!(row("up"), "2 0");
    assert!(get(fe, "/").ends_with("up"));
}

#[test]
fn show_table_lists_tracked_entries() {
    let _g = serial();
    let fe = free_port();
    let cfg = format!(
        "global\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n\
frontend fe\n bind 127.0.0.1:{fe}\n http-request track-sc0 src table t\n http-request return status 200\n\
backend t\n stick-table type ip size 1k expire 1m store http_req_cnt\n"
    );
    let p = Proxy::start(&common::rs_bin(), "table", &cfg, &[]);
    assert_eq!(
        p.cli("show table\n"),
        "# table: t, type: ip, size:1024, used:0\n\n"
    );
    assert!(get(fe, "/").starts_with("HTTP/1.1 200"));
    let t = p.cli("show table t\n");
    let mut lines = t.lines();
    assert_eq!(
        lines.next(),
        Some("# table: t, type: ip, size:1024, used:1")
    );
    let e = lines.next().unwrap();
    assert!(
        e.starts_with("0x") && e.contains(": key=127.0.0.1 use=0 exp="),
        "{e}"
    );
    assert!(e.ends_with(" http_req_cnt=1"), "{e}");
    assert_eq!(p.cli("show table nope\n"), "No such table\n\n");
}

/// A health-http server for `option httpchk`: 200 to every request, then close.
fn check_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut b = [0u8; 2048];
            let _ = s.read(&mut b);
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    port
}

/// The check columns of `show stat` and the check fields of `show servers state` for an
/// up TCP-checked server, a down one and an HTTP-checked one, against haproxy's.
#[test]
fn checked_servers_report_as_haproxy() {
    let _g = serial();
    let (up, http, dead) = (backend("up"), check_server(), free_port());
    let mut runs = Vec::new();
    for (tag, bin) in [("hap", common::oracle()), ("rs", common::rs_bin())] {
        let cfg = format!(
            "global\n maxconn 1000\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n\
frontend fe\n bind 127.0.0.1:{}\n default_backend be\n\
backend be\n server s1 127.0.0.1:{up} check inter 100ms\n server s2 127.0.0.1:{dead} check inter 100ms fall 1\n server s3 127.0.0.1:{up} disabled\n\
backend bh\n option httpchk GET /\n server h1 127.0.0.1:{http} check inter 100ms\n",
            free_port()
        );
        let p = Proxy::start(&bin, &format!("chk-{tag}"), &cfg, &[]);
        // Settled once every check ran: s2 is down, s1 and h1 have a passed check.
        let t0 = Instant::now();
        let csv = loop {
            let c = p.cli("show stat\n");
            let ok =
                c.contains(",L4CON,") && c.matches(",L4OK,").count() == 1 && c.contains(",L7OK,");
            if ok || t0.elapsed() > WAIT {
                break c;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let state: Vec<String> = p
            .cli("show servers state\n")
            .lines()
            .skip(2)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut w: Vec<&str> = l.split(' ').collect();
                w[9] = "-"; // seconds since the last change
                w.join(" ")
            })
            .collect();
        runs.push((comparable(&csv), state));
    }
    assert_eq!(runs[0].1, runs[1].1);
    let skip = ["lastchg", "check_duration", "last_chk"];
    for (h, r) in runs[0].0.iter().zip(&runs[1].0) {
        let keep = |row: &String| -> Vec<String> {
            row.split(',')
                .filter(|f| !skip.iter().any(|s| f.starts_with(&format!("{s}="))))
                .map(String::from)
                .collect()
        };
        assert_eq!(keep(h), keep(r));
    }
}

/// `init-addr none`: a server whose name does not resolve starts in maintenance for want of
/// an address (`MAINT (resolution)`), traffic goes to the others, `enable server` does not
/// bring it back; the same as HAProxy reports it, with its configured name and port.
#[test]
fn unresolved_init_addr_none_server_is_in_resolution_maintenance() {
    let _g = serial();
    let up = backend("up");
    let mut runs = Vec::new();
    for (tag, bin) in [("hap", common::oracle()), ("rs", common::rs_bin())] {
        let fe = free_port();
        let cfg = format!(
            "global\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n\
frontend fe\n bind 127.0.0.1:{fe}\n default_backend be\n\
backend be\n server s1 nosuch.invalid:8080 init-addr none\n server s2 127.0.0.1:{up}\n"
        );
        let p = Proxy::start(&bin, &format!("ia-{tag}"), &cfg, &[]);
        for _ in 0..4 {
            let r = get(fe, "/");
            assert!(
                r.starts_with("HTTP/1.1 200") && r.ends_with("up"),
                "{tag}: {r}"
            );
        }
        assert_eq!(p.cli("enable server be/s1\n"), "\n");
        let status: Vec<String> = p
            .cli("show stat\n")
            .lines()
            .filter(|l| l.starts_with("be,s"))
            .map(|l| l.split(',').nth(17).unwrap_or("").to_string())
            .collect();
        let state: Vec<String> = p
            .cli("show servers state be\n")
            .lines()
            .skip(2)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut w: Vec<&str> = l.split(' ').collect();
                w[9] = "-";
                w.join(" ")
            })
            .collect();
        runs.push((status, state));
    }
    assert_eq!(runs[0].0, ["MAINT (resolution)", "no check"]);
    assert_eq!(runs[0], runs[1]);
}

/// `set server … addr [port]`: HAProxy's reports (changed, unchanged, invalid, a server
/// without an address), new connections go to the new address at once (idle ones to the
/// old address are closed), a server in resolution maintenance leaves it, and `show
/// servers state` shows the result; all as haproxy does.
#[test]
fn set_server_addr_moves_new_connections() {
    let _g = serial();
    let (one, two) = (backend("one"), backend("two"));
    let mut runs = Vec::new();
    for (tag, bin) in [("hap", common::oracle()), ("rs", common::rs_bin())] {
        let fe = free_port();
        let cfg = format!(
            "global\n stats socket @SOCK@ level admin\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n\
frontend fe\n bind 127.0.0.1:{fe}\n default_backend be2\n\
backend be1\n server n nosuch.invalid:80 init-addr none\n\
backend be2\n http-reuse always\n server s 127.0.0.1:{one}\n"
        );
        let p = Proxy::start(&bin, &format!("addr-{tag}"), &cfg, &[]);
        let mut seen = Vec::new();
        // A kept-alive server connection to the old address exists before the change.
        assert!(get(fe, "/").ends_with("one"), "{tag}");
        for cmd in [
            format!("set server be2/s addr 127.0.0.1 port {two}\n"),
            format!("set server be2/s addr 127.0.0.1 port {two}\n"),
            "set server be2/s addr bad\n".to_string(),
            "set server be2/s addr\n".to_string(),
            "set server be1/n addr 127.0.0.2\n".to_string(),
        ] {
            seen.push(p.cli(&cmd));
        }
        for _ in 0..3 {
            let r = get(fe, "/");
            seen.push(r[r.len().saturating_sub(3)..].to_string());
        }
        seen.extend(p.cli("show servers state\n").lines().skip(2).map(|l| {
            let mut w: Vec<&str> = l.split(' ').collect();
            if w.len() > 9 {
                w[9] = "-";
            }
            w.join(" ")
        }));
        runs.push(seen);
    }
    assert_eq!(
        runs[0][0],
        format!("no need to change the addr, port changed from '{one}' to '{two}' by 'stats socket command'\n\n")
    );
    assert_eq!(runs[0][5..8], ["two", "two", "two"]);
    assert_eq!(runs[0], runs[1]);
}
