//! Master-worker mode (`-W`, `-Ws`): the master forks a worker that serves, reloads on
//! SIGUSR2 or the master CLI's `reload` with the new configuration (or keeps the old worker
//! when the new one does not load), answers `show proc`, notifies systemd, and hands the
//! listening sockets over without refusing a connection under load. Real processes, real
//! sockets on 127.0.0.1, compared with `/usr/sbin/haproxy` where the output is HAProxy's.

mod common;

use common::proc::{free_port, serial, Proxy, Ready};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn cfg(port: u16, body: &str) -> String {
    format!(
        "global\n stats socket @DIR@/stats.sock level admin\ndefaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\nfrontend f\n bind 127.0.0.1:{port}\n http-request return status 200 content-type text/plain string {body}\n"
    )
}

fn start(bin: &Path, port: u16, text: &str, args: &[&str]) -> Proxy {
    Proxy::builder(bin, text)
        .args(args)
        .stderr()
        .start(Ready::Port(port))
}

/// The body of `GET /` on a new connection.
fn body(port: u16) -> String {
    let out = common::proc::http_get(port, "/");
    out.rsplit("\r\n\r\n").next().unwrap_or("").to_string()
}

/// A master CLI command. HAProxy opens its master CLI after its listeners (once it has
/// re-executed itself in wait mode), so the socket is waited for.
fn mcli(p: &Proxy, cmd: &str) -> String {
    let t0 = Instant::now();
    while std::os::unix::net::UnixStream::connect(p.path("m.sock")).is_err() {
        assert!(t0.elapsed() < common::proc::WAIT, "no master CLI");
        thread::sleep(Duration::from_millis(10));
    }
    p.cli("m.sock", cmd)
}

/// The pids of the workers `show proc` lists under "# workers" (asked again while the
/// answer is empty: HAProxy's master re-executes itself right after a load, dropping the
/// CLI connections of the moment).
fn workers(p: &Proxy) -> Vec<u32> {
    let t0 = Instant::now();
    loop {
        let t = mcli(p, "show proc\n");
        let w: Vec<u32> = t
            .split("# workers\n")
            .nth(1)
            .unwrap_or("")
            .lines()
            .take_while(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        if !w.is_empty() || t0.elapsed() > common::proc::WAIT {
            return w;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The master's own stderr lines with pids, the version and the executable path masked.
fn master_lines(stderr: &str, master: u32) -> Vec<String> {
    let tag = format!("({master})");
    stderr
        .lines()
        .filter(|l| l.contains(&tag))
        .map(|l| {
            let mut w: Vec<String> = Vec::new();
            for word in l.split(' ') {
                let masked = if word
                    .trim_matches(|c| c == '(' || c == ')')
                    .parse::<u32>()
                    .is_ok()
                    && word.starts_with('(')
                {
                    "(PID)".to_string()
                } else {
                    word.to_string()
                };
                w.push(masked);
            }
            let l = w.join(" ");
            if l.contains("haproxy version is") {
                "NOTICE version".into()
            } else if l.contains("path to executable is") {
                "NOTICE path".into()
            } else {
                l
            }
        })
        .collect()
}

/// `-W`: a master and one worker, which serves; SIGINT stops both with status 130, and the
/// master's messages are HAProxy's, line for line.
#[test]
fn w_forks_a_worker_that_serves_and_exits_130_on_sigint() {
    let _s = serial();
    let mut lines = Vec::new();
    for bin in [common::rs_bin(), common::oracle()] {
        let port = free_port();
        let mut p = start(
            &bin,
            port,
            &cfg(port, "one"),
            &["-W", "-db", "-S", "@DIR@/m.sock", "-p", "@DIR@/pid"],
        );
        assert_eq!(body(port), "one");
        let master = p.child.id();
        let pidfile = std::fs::read_to_string(p.path("pid")).unwrap();
        assert_eq!(
            pidfile.trim(),
            master.to_string(),
            "the pidfile names the master"
        );
        let w = workers(&p);
        assert_eq!(w.len(), 1, "{bin:?}: {w:?}");
        assert_ne!(w[0], master);
        p.wait_stderr("Loading success.", 1);
        p.signal("INT");
        let st = p.wait_exit();
        assert_eq!(st.code(), Some(130), "{bin:?}");
        let e = p.stderr();
        assert!(e.contains(&format!("New worker ({}) forked", w[0])), "{e}");
        assert!(
            e.contains(&format!(
                "Current worker ({}) exited with code 130 (Interrupt)",
                w[0]
            )),
            "{e}"
        );
        lines.push(master_lines(&e, master));
    }
    assert_eq!(lines[0], lines[1], "haproxy-rs vs haproxy master messages");
}

/// SIGUSR2 reloads with the changed configuration; a broken one keeps the old worker
/// serving, with HAProxy's alert and "Loading failure!"; the master CLI's `reload` works too.
#[test]
fn sigusr2_reload_serves_the_new_config_and_a_broken_one_keeps_the_old() {
    let _s = serial();
    let port = free_port();
    let p = start(
        &common::rs_bin(),
        port,
        &cfg(port, "one"),
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    let first = workers(&p);
    let path = p.path("haproxy.cfg");
    let text = |b: &str| cfg(port, b).replace("@DIR@", p.dir.to_str().unwrap());
    std::fs::write(&path, text("two")).unwrap();
    p.signal("USR2");
    p.wait_stderr("Loading success.", 2);
    // Until the former worker has stopped, either worker may accept from the shared sockets.
    let e = p.wait_stderr(
        &format!("Former worker ({}) exited with code 0", first[0]),
        1,
    );
    assert_eq!(body(port), "two");
    assert!(e.contains("Reloading HAProxy"), "{e}");
    let second = workers(&p);
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);

    std::fs::write(&path, format!("{}garbage\n", text("three"))).unwrap();
    p.signal("USR2");
    let e = p.wait_stderr("Loading failure!", 1);
    assert!(
        e.contains("unknown keyword 'garbage' in 'frontend' section"),
        "{e}"
    );
    assert_eq!(body(port), "two", "the old worker keeps serving");
    assert_eq!(workers(&p), second);
    assert!(p
        .cli("m.sock", "show proc\n")
        .contains("master          2 [failed: 1]"));

    // The CLI's reload, with a good configuration again.
    std::fs::write(&path, text("four")).unwrap();
    let _ = mcli(&p, "reload\n");
    p.wait_stderr("Loading success.", 3);
    p.wait_stderr(
        &format!("Former worker ({}) exited with code 0", second[0]),
        1,
    );
    assert_eq!(body(port), "four");
}

/// The master CLI: `show proc` lists the worker, `@1` reaches its stats socket, `@!<pid>`
/// too, unknown targets are refused with HAProxy's message, `prompt` mode keeps the
/// connection with the `master> ` prompt.
#[test]
fn master_cli_show_proc_and_routing() {
    let _s = serial();
    let port = free_port();
    let p = start(
        &common::rs_bin(),
        port,
        &cfg(port, "one"),
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    let t = p.cli("m.sock", "show proc\n");
    assert!(t.starts_with(
        "#<PID>          <type>          <reloads>       <uptime>        <version>      \n"
    ));
    assert!(t.contains(&format!(
        "{:<15} master          0 [failed: 0]",
        p.child.id()
    )));
    let w = workers(&p);
    assert_eq!(w.len(), 1);
    let info = p.cli("m.sock", "@1 show info\n");
    assert!(info.contains("\nProcess_num: 1\n"), "{info}");
    assert!(info.contains(&format!("\nPid: {}\n", w[0])), "{info}");
    let info = p.cli("m.sock", &format!("@!{} show info\n", w[0]));
    assert!(info.contains(&format!("\nPid: {}\n", w[0])), "{info}");
    assert_eq!(
        p.cli("m.sock", "@5 show info\n"),
        "Can't find the target PID matching the prefix '@5'\n\n"
    );
    let t = p.cli("m.sock", "prompt\nshow proc\nquit\n");
    assert!(t.starts_with("master> #<PID>"), "{t}");
    assert!(t.ends_with("# programs\n\nmaster> "), "{t}");
}

/// `-Ws`: READY=1 once the worker serves, RELOADING=1 then READY=1 around a reload,
/// STOPPING=1 on SIGTERM, on the datagram socket named by NOTIFY_SOCKET.
#[test]
fn ws_notifies_systemd() {
    let _s = serial();
    let dir = std::env::temp_dir().join(format!("haproxy-rs-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock_path = dir.join("notify");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(common::proc::WAIT)).unwrap();
    let recv = || {
        let mut b = [0u8; 256];
        let n = sock.recv(&mut b).expect("no notification");
        String::from_utf8_lossy(&b[..n]).into_owned()
    };
    let port = free_port();
    let mut p = Proxy::builder(&common::rs_bin(), &cfg(port, "one"))
        .args(&["-Ws", "-S", "@DIR@/m.sock"])
        .env("NOTIFY_SOCKET", sock_path.to_str().unwrap())
        .stderr()
        .start(Ready::None);
    let ready = recv();
    assert!(ready.starts_with("READY=1\n"), "{ready}");
    assert!(
        ready.contains(&format!("MAINPID={}", p.child.id())),
        "{ready}"
    );
    // READY=1 came once the worker listens: no wait needed.
    assert_eq!(body(port), "one");
    p.signal("USR2");
    assert_eq!(recv(), "RELOADING=1");
    assert!(recv().starts_with("READY=1\n"));
    p.signal("TERM");
    assert_eq!(recv(), "STOPPING=1");
    assert_eq!(p.wait_exit().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A backend answering every request after a short delay (so that requests are in flight
/// when the reloads happen), keep-alive; `seen` counts the requests it received.
fn backend(seen: Arc<AtomicU64>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let seen = seen.clone();
            thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                let mut line = String::new();
                loop {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => {
                            seen.fetch_add(1, Ordering::Relaxed);
                            thread::sleep(Duration::from_millis(3));
                            if w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                                .is_err()
                            {
                                return;
                            }
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    port
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    /// connect() refused or failed.
    connect_err: AtomicU64,
    /// A status other than 2xx.
    non_2xx: AtomicU64,
    /// The exchange broke after the request was sent on a new connection, or after part of
    /// the response arrived: an in-flight request lost.
    broken: AtomicU64,
    /// A reused keep-alive connection closed by the proxy before any byte of the response
    /// (an idle connection closed by a stopping worker): retried on a new connection, as
    /// HTTP clients do (RFC 9112 9.3.1).
    idle_retry: AtomicU64,
    /// Requests the backend received: each must have reached its client (`ok`), which is
    /// what tells an idle connection closed apart from a request lost in flight.
    backend_seen: AtomicU64,
}

enum Outcome {
    Status(u16, bool),
    /// Nothing at all came back.
    Silent,
    /// Part of a response, then the end.
    Partial,
}

/// Sends one GET on `s` and reads its response; the status and whether the proxy will close.
fn exchange(s: &mut TcpStream, close: bool) -> Outcome {
    let req: &[u8] = if close {
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    } else {
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    };
    if s.write_all(req).is_err() {
        return Outcome::Silent;
    }
    let mut buf = Vec::with_capacity(512);
    let mut b = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut b) {
            Ok(0) | Err(_) if buf.is_empty() => return Outcome::Silent,
            Ok(0) | Err(_) => return Outcome::Partial,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match s.read(&mut b) {
            Ok(0) | Err(_) => return Outcome::Partial,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    Outcome::Status(status, head.contains("connection: close"))
}

fn connect(port: u16, t: &Tally) -> Option<TcpStream> {
    match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            Some(s)
        }
        Err(_) => {
            t.connect_err.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

fn count(t: &Tally, o: Outcome) {
    match o {
        Outcome::Status(200..=299, _) => t.ok.fetch_add(1, Ordering::Relaxed),
        Outcome::Status(..) => t.non_2xx.fetch_add(1, Ordering::Relaxed),
        Outcome::Silent | Outcome::Partial => t.broken.fetch_add(1, Ordering::Relaxed),
    };
}

/// One client thread until `stop`: keep-alive (`ka`) or a new connection per request.
fn client(port: u16, ka: bool, stop: Arc<AtomicBool>, t: Arc<Tally>) {
    let mut conn: Option<(TcpStream, u32)> = None;
    while !stop.load(Ordering::Relaxed) {
        if !ka {
            if let Some(mut s) = connect(port, &t) {
                count(&t, exchange(&mut s, true));
            }
            continue;
        }
        if conn.is_none() {
            conn = connect(port, &t).map(|s| (s, 0));
        }
        let Some((s, used)) = conn.as_mut() else {
            continue;
        };
        match exchange(s, false) {
            Outcome::Status(st, closing) => {
                *used += 1;
                count(&t, Outcome::Status(st, closing));
                if closing {
                    conn = None;
                }
            }
            Outcome::Silent if *used > 0 => {
                t.idle_retry.fetch_add(1, Ordering::Relaxed);
                conn = None;
                if let Some(mut s) = connect(port, &t) {
                    let o = exchange(&mut s, false);
                    let keep = matches!(o, Outcome::Status(_, false));
                    count(&t, o);
                    conn = keep.then_some((s, 1));
                }
            }
            o => {
                count(&t, o);
                conn = None;
            }
        }
    }
}

/// Load from 6 client threads (3 keep-alive, 3 new connections) while `reloads` reloads
/// happen, half by SIGUSR2 on the master, half by the master CLI's `reload`, each one once
/// the previous new worker is up. Returns the tally and the elapsed time.
fn load_with_reloads(bin: &Path, reloads: usize) -> (Tally, Duration) {
    let seen = Arc::new(AtomicU64::new(0));
    let be = backend(seen.clone());
    let port = free_port();
    let text = format!(
        "global\n nbthread 2\ndefaults\n mode http\n timeout client 10s\n timeout server 10s\n timeout connect 2s\nfrontend f\n bind 127.0.0.1:{port}\n default_backend b\nbackend b\n server s 127.0.0.1:{be}\n"
    );
    let p = Proxy::builder(bin, &text)
        .args(&["-W", "-db", "-S", "@DIR@/m.sock"])
        .stderr()
        .start(Ready::Port(port));
    p.wait_stderr("Loading success.", 1);
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let t0 = Instant::now();
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let (stop, t) = (stop.clone(), tally.clone());
            thread::spawn(move || client(port, i % 2 == 0, stop, t))
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    for i in 0..reloads {
        if i % 2 == 0 {
            p.signal("USR2");
        } else {
            let _ = mcli(&p, "reload\n");
        }
        p.wait_stderr("Loading success.", i + 2);
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let elapsed = t0.elapsed();
    drop(p);
    let tally = Arc::try_unwrap(tally).unwrap_or_else(|_| panic!("clients still hold the tally"));
    tally
        .backend_seen
        .store(seen.load(Ordering::Relaxed), Ordering::Relaxed);
    (tally, elapsed)
}

/// The same load while the standalone processes `next` take over one after the other the way
/// scripts reload without a master: each started with `-sf <previous pid>` (and `extra`,
/// e.g. HAProxy's `-x <stats socket>` to take the listening sockets over), the next one
/// once the previous process has exited.
fn load_with_sf_reloads(
    bin: &Path,
    next: &[std::path::PathBuf],
    extra: &[&str],
) -> (Tally, Duration) {
    let seen = Arc::new(AtomicU64::new(0));
    let be = backend(seen.clone());
    let port = free_port();
    let text = format!(
        "global\n nbthread 2\n stats socket @DIR@/stats.sock level admin expose-fd listeners\ndefaults\n mode http\n timeout client 10s\n timeout server 10s\n timeout connect 2s\nfrontend f\n bind 127.0.0.1:{port}\n default_backend b\nbackend b\n server s 127.0.0.1:{be}\n"
    );
    let first = Proxy::builder(bin, &text).start(Ready::Port(port));
    let cfg_path = first.path("haproxy.cfg");
    let extra: Vec<String> = extra
        .iter()
        .map(|a| a.replace("@DIR@", first.dir.to_str().unwrap()))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let t0 = Instant::now();
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let (stop, t) = (stop.clone(), tally.clone());
            thread::spawn(move || client(port, i % 2 == 0, stop, t))
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    let mut prev: Option<std::process::Child> = None;
    let mut prev_pid = first.child.id();
    for nbin in next {
        let next = std::process::Command::new(nbin)
            .arg("-db")
            .arg("-f")
            .arg(&cfg_path)
            .args(&extra)
            .arg("-sf")
            .arg(prev_pid.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The previous process exits once the new one listens and it has finished.
        let t1 = Instant::now();
        while std::path::Path::new(&format!("/proc/{prev_pid}/stat")).exists()
            && !std::fs::read_to_string(format!("/proc/{prev_pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
        {
            assert!(t1.elapsed() < common::proc::WAIT, "{prev_pid} did not stop");
            thread::sleep(Duration::from_millis(5));
        }
        if let Some(mut p) = prev.take() {
            let _ = p.wait();
        }
        prev_pid = next.id();
        prev = Some(next);
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let elapsed = t0.elapsed();
    if let Some(mut p) = prev {
        let _ = p.kill();
        let _ = p.wait();
    }
    drop(first);
    let tally = Arc::try_unwrap(tally).unwrap_or_else(|_| panic!("clients still hold the tally"));
    tally
        .backend_seen
        .store(seen.load(Ordering::Relaxed), Ordering::Relaxed);
    (tally, elapsed)
}

/// No refused connection, no error status, nothing broken in flight, and every request the
/// server received answered to its client.
fn assert_lossless(t: &Tally, r: &str) {
    assert_eq!(t.connect_err.load(Ordering::Relaxed), 0, "{r}");
    assert_eq!(t.non_2xx.load(Ordering::Relaxed), 0, "{r}");
    assert_eq!(t.broken.load(Ordering::Relaxed), 0, "{r}");
    assert_eq!(
        t.backend_seen.load(Ordering::Relaxed),
        t.ok.load(Ordering::Relaxed),
        "a request reached the server and its response never reached the client: {r}"
    );
}

fn report(name: &str, t: &Tally, d: Duration) -> String {
    format!(
        "{name}: {} ok in {:.1}s, connect errors {}, non-2xx {}, broken in-flight {}, idle keep-alive closes retried {}, backend saw {}",
        t.ok.load(Ordering::Relaxed),
        d.as_secs_f64(),
        t.connect_err.load(Ordering::Relaxed),
        t.non_2xx.load(Ordering::Relaxed),
        t.broken.load(Ordering::Relaxed),
        t.idle_retry.load(Ordering::Relaxed),
        t.backend_seen.load(Ordering::Relaxed),
    )
}

/// The headline: 20 reloads under continuous load lose nothing — no refused connection, no
/// error status, no request in flight broken. The same load against HAProxy's master is
/// measured for comparison (printed). Then 10 standalone `-sf -x` reloads of each binary
/// (haproxy-rs asserted the same way) and, printed, haproxy-rs `-sf` without `-x`; last,
/// HAProxy and haproxy-rs handing the sockets to each other (asserted).
#[test]
fn twenty_reloads_under_load_refuse_nothing() {
    let _s = serial();
    let (rs, hap) = (common::rs_bin(), common::oracle());
    let (w_rs, d_rs) = load_with_reloads(&rs, 20);
    let (w_hap, d_hap) = load_with_reloads(&hap, 20);
    let r1 = report("haproxy-rs -W", &w_rs, d_rs);
    let r2 = report("haproxy    -W", &w_hap, d_hap);
    // Reloads without a master: -sf with the sockets taken over by -x (asserted below),
    // and, informative, without -x (a separate SO_REUSEPORT socket: what is queued on the
    // old one is reset when it closes).
    let (sf_rs, d) = load_with_sf_reloads(&rs, &vec![rs.clone(); 10], &["-x", "@DIR@/stats.sock"]);
    let r3 = report("haproxy-rs -x -sf", &sf_rs, d);
    let (bare, d) = load_with_sf_reloads(&rs, &vec![rs.clone(); 10], &[]);
    let r5 = report("haproxy-rs -sf (no -x)", &bare, d);
    let (sf_hap, d) =
        load_with_sf_reloads(&hap, &vec![hap.clone(); 10], &["-x", "@DIR@/stats.sock"]);
    let r4 = report("haproxy    -x -sf", &sf_hap, d);
    // HAProxy and haproxy-rs taking over from each other with -x (same `_getsocks`).
    let mixed: Vec<_> = (0..6)
        .map(|i| if i % 2 == 0 { rs.clone() } else { hap.clone() })
        .collect();
    let (mix, d) = load_with_sf_reloads(&hap, &mixed, &["-x", "@DIR@/stats.sock"]);
    let r6 = report("haproxy <-> haproxy-rs -x -sf", &mix, d);
    println!("{r1}\n{r2}\n{r3}\n{r4}\n{r5}\n{r6}");
    eprintln!("{r1}\n{r2}\n{r3}\n{r4}\n{r5}\n{r6}");
    assert!(w_rs.ok.load(Ordering::Relaxed) > 100, "{r1}");
    assert_lossless(&w_rs, &r1);
    assert_lossless(&sf_rs, &r3);
    assert_lossless(&mix, &r6);
}

/// `ulimit-n`, `node` and `description` reach the worker (its `show info`, through `@1`).
#[test]
fn ulimit_node_and_description_reach_show_info() {
    let _s = serial();
    let port = free_port();
    let text = cfg(port, "one").replacen(
        "global\n",
        "global\n ulimit-n 4000\n node n1\n description the-d\n",
        1,
    );
    let p = start(
        &common::rs_bin(),
        port,
        &text,
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    let info = mcli(&p, "@1 show info\n");
    assert!(info.contains("\nUlimit-n: 4000\n"), "{info}");
    assert!(info.contains("\nnode: n1\n"), "{info}");
    assert!(info.contains("\ndescription: the-d\n"), "{info}");
}

/// `mworker-max-reloads 0`: a worker still finishing after a reload gets SIGTERM at once
/// instead of lingering (a client holding a half-sent request keeps it busy).
#[test]
fn max_reloads_terminates_lingering_old_workers() {
    let _s = serial();
    let port = free_port();
    let text = cfg(port, "one").replacen("global\n", "global\n mworker-max-reloads 0\n", 1);
    let p = start(
        &common::rs_bin(),
        port,
        &text,
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    let old = workers(&p);
    let mut busy = TcpStream::connect(("127.0.0.1", port)).unwrap();
    busy.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    assert_eq!(body(port), "one");
    p.signal("USR2");
    let e = p.wait_stderr(
        &format!(
            "Former worker ({}) exited with code 143 (Terminated)",
            old[0]
        ),
        1,
    );
    assert!(e.contains("Loading success."), "{e}");
}

/// `program` sections: the master starts them before the worker, lists them under
/// "# programs" in `show proc` (as reg-test mcli_start_progs expects), restarts those with
/// `option start-on-reload` on a reload and keeps the others, and stops them with the rest.
#[test]
fn programs_start_with_the_master_and_show_in_show_proc() {
    let _s = serial();
    let port = free_port();
    let text = format!(
        "{}program foo\n command sleep 30\nprogram bar\n command sleep 31\n no option start-on-reload\n",
        cfg(port, "one")
    );
    let mut p = start(
        &common::rs_bin(),
        port,
        &text,
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    p.wait_stderr("Loading success.", 1);
    let progs = |p: &Proxy| -> Vec<(u32, String)> {
        mcli(p, "show proc\n")
            .split("# programs\n")
            .nth(1)
            .unwrap_or("")
            .lines()
            .take_while(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?.parse().ok()?, w.next()?.to_string()))
            })
            .collect()
    };
    let first = progs(&p);
    let names: Vec<&str> = first.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["foo", "bar"]);
    p.signal("USR2");
    p.wait_stderr("Loading success.", 2);
    let e = p.wait_stderr(&format!("Former program 'foo' ({})", first[0].0), 1);
    assert!(e.contains("New program 'foo'"), "{e}");
    let after = progs(&p);
    assert!(after.contains(&first[1]), "bar kept: {after:?}");
    assert!(!after.contains(&first[0]), "foo restarted: {after:?}");
    p.signal("INT");
    assert_eq!(p.wait_exit().code(), Some(130));
    let e = p.stderr();
    assert!(
        e.contains(&format!(
            "Current program 'bar' ({}) exited with code 130 (Interrupt)",
            first[1].0
        )),
        "{e}"
    );
}

/// `cpu-map auto:1/1-2 0-1`: worker thread 1 runs on CPU 0, thread 2 on CPU 1 (read from
/// /proc, per thread name).
#[test]
fn cpu_map_binds_each_worker_thread() {
    let _s = serial();
    let port = free_port();
    let text = cfg(port, "one").replacen(
        "global\n",
        "global\n nbthread 2\n cpu-map auto:1/1-2 0-1\n",
        1,
    );
    let p = start(
        &common::rs_bin(),
        port,
        &text,
        &["-W", "-db", "-S", "@DIR@/m.sock"],
    );
    assert_eq!(body(port), "one");
    let w = workers(&p)[0];
    let mut seen = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{w}/task")).unwrap() {
        let t = t.unwrap().path();
        let comm = std::fs::read_to_string(t.join("comm")).unwrap();
        let status = std::fs::read_to_string(t.join("status")).unwrap();
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_string();
        if let Some(n) = comm.trim().strip_prefix("haproxy-rs-") {
            if n.parse::<u32>().is_ok() {
                seen.push((n.to_string(), cpus));
            }
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [("1".to_string(), "0".to_string()), ("2".into(), "1".into())]
    );
}

/// `-W -D`: the launcher returns once the master is in the background; the pidfile names
/// the master (a session leader), whose worker serves; SIGTERM stops both.
#[test]
fn w_with_daemon_detaches_the_master() {
    let _s = serial();
    let port = free_port();
    let mut p = start(
        &common::rs_bin(),
        port,
        &cfg(port, "bg"),
        &["-W", "-D", "-S", "@DIR@/m.sock", "-p", "@DIR@/pid"],
    );
    assert_eq!(p.wait_exit().code(), Some(0), "the launcher");
    assert_eq!(body(port), "bg");
    let master: u32 = std::fs::read_to_string(p.path("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(master, p.child.id());
    let stat = std::fs::read_to_string(format!("/proc/{master}/stat")).unwrap();
    let f: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(f[3], master.to_string(), "not a session leader: {stat}");
    let w = workers(&p);
    assert_eq!(w.len(), 1);
    assert!(std::process::Command::new("kill")
        .arg(master.to_string())
        .status()
        .unwrap()
        .success());
    let t0 = Instant::now();
    while [master, w[0]]
        .iter()
        .any(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        assert!(t0.elapsed() < common::proc::WAIT, "still running");
        thread::sleep(Duration::from_millis(10));
    }
}

/// A good reload, then a broken one, then SIGINT: the master's messages are HAProxy's,
/// line for line (pids, version and path masked).
#[test]
fn reload_messages_match_haproxy() {
    let _s = serial();
    let mut lines = Vec::new();
    for bin in [common::rs_bin(), common::oracle()] {
        let port = free_port();
        let mut p = start(
            &bin,
            port,
            &cfg(port, "one"),
            &["-W", "-db", "-S", "@DIR@/m.sock"],
        );
        let master = p.child.id();
        p.wait_stderr("Loading success.", 1);
        let first = workers(&p);
        let path = p.path("haproxy.cfg");
        let text = |b: &str| cfg(port, b).replace("@DIR@", p.dir.to_str().unwrap());
        std::fs::write(&path, text("two")).unwrap();
        p.signal("USR2");
        p.wait_stderr(&format!("Former worker ({})", first[0]), 1);
        std::fs::write(&path, format!("{}garbage\n", text("three"))).unwrap();
        p.signal("USR2");
        p.wait_stderr("Loading failure!", 1);
        // HAProxy re-executes itself after a load; its CLI answers once that is done (a
        // signal before would find it without handlers).
        assert_eq!(workers(&p).len(), 1);
        p.signal("INT");
        assert_eq!(p.wait_exit().code(), Some(130), "{bin:?}");
        let e = p.stderr().replace(p.dir.to_str().unwrap(), "DIR");
        lines.push(master_lines(&e, master));
    }
    assert_eq!(lines[0], lines[1], "haproxy-rs vs haproxy master messages");
}

/// Without `ulimit-n`, the file limit is raised to what `maxconn` needs (HAProxy's
/// `maxsock`): started under a soft limit of 256, both binaries report the same
/// `Ulimit-n`.
#[test]
fn file_limit_follows_maxconn_like_haproxy() {
    let _s = serial();
    let mut seen = Vec::new();
    for bin in [common::rs_bin(), common::oracle()] {
        let port = free_port();
        let text = cfg(port, "one").replacen("global\n", "global\n maxconn 1000\n nbthread 2\n", 1);
        let script = format!("ulimit -Sn 256; exec {} -db \"$@\"", bin.display());
        let p = Proxy::builder(Path::new("/bin/sh"), &text)
            .args(&["-c", &script, "sh"])
            .start(Ready::Unix("stats.sock"));
        let info = p.cli("stats.sock", "show info\n");
        let line = info
            .lines()
            .find(|l| l.starts_with("Ulimit-n: "))
            .unwrap_or_default()
            .to_string();
        seen.push(line);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], "Ulimit-n: 2028");
}
