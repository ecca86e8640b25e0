//! `mode tcp` through the real binary: forwarding both ways with half-close, round-robin
//! distribution, retries and redispatch past a refusing server, and the queue (`maxconn`,
//! `timeout queue`) holding and releasing connections. Real sockets on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(5);

mod common;

use common::proc::{free_port, serial, Proxy, Ready};

/// Starts haproxy-rs on `cfg` and waits until `fe` accepts connections.
fn start(cfg: &str, fe: u16) -> Proxy {
    Proxy::start(&common::rs_bin(), cfg, Ready::Port(fe))
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("bounded read");
    out
}

/// A backend that echoes each connection's bytes and closes after the client's FIN.
fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = s.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

/// A backend that writes its name, then waits for the client's FIN and closes.
fn named_server(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let _ = s.write_all(name.as_bytes());
                let mut buf = [0u8; 64];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

fn tcp_cfg(fe: u16, extra: &str, servers: &[(&str, SocketAddr, &str)]) -> String {
    tcp_cfg_threads(2, fe, extra, servers)
}

fn tcp_cfg_threads(
    threads: u32,
    fe: u16,
    extra: &str,
    servers: &[(&str, SocketAddr, &str)],
) -> String {
    let mut s = format!(
        "global\n nbthread {threads}\ndefaults\n mode tcp\n timeout connect 1s\n timeout client 5s\n timeout server 5s\nlisten l\n bind 127.0.0.1:{fe}\n{extra}"
    );
    for (name, addr, opts) in servers {
        s.push_str(&format!(" server {name} {addr} {opts}\n"));
    }
    s
}

#[test]
fn forwards_both_ways_and_passes_half_close() {
    let _serial = serial();
    let fe = free_port();
    let _px = start(&tcp_cfg(fe, "", &[("e", echo_server(), "")]), fe);
    let mut c = connect(fe);
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let mut c = c.try_clone().unwrap();
        let p = payload.clone();
        thread::spawn(move || {
            c.write_all(&p).unwrap();
            c.shutdown(Shutdown::Write).unwrap();
        })
    };
    // The echo server closes only after our FIN went through the proxy.
    let got = read_all(&mut c);
    writer.join().unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "echoed bytes differ");
}

#[test]
fn roundrobin_alternates_servers() {
    let _serial = serial();
    let fe = free_port();
    let a = named_server("A");
    let b = named_server("B");
    // One thread: with two, the readiness probe of `start` and the first client may be
    // accepted by different workers in either order, shifting the sequence.
    let _px = start(
        &tcp_cfg_threads(
            1,
            fe,
            " balance roundrobin\n",
            &[("a", a, ""), ("b", b, "")],
        ),
        fe,
    );
    let mut seen = String::new();
    for _ in 0..4 {
        let mut c = connect(fe);
        let mut one = [0u8; 1];
        c.read_exact(&mut one).unwrap();
        seen.push(one[0] as char);
    }
    // The readiness probe of `start` took the first pick.
    assert_eq!(seen, "BABA");
}

#[test]
fn refused_server_is_retried_then_redispatched() {
    let _serial = serial();
    let fe = free_port();
    let dead: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let good = named_server("G");
    let _px = start(
        &tcp_cfg(
            fe,
            " balance roundrobin\n retries 2\n option redispatch\n",
            &[("dead", dead, ""), ("good", good, "")],
        ),
        fe,
    );
    // Both connections end on the good server: the first one after a redispatch away from
    // the refusing one (immediately, as HAProxy does for round robin with 2 servers up).
    for _ in 0..2 {
        let mut c = connect(fe);
        let mut one = [0u8; 1];
        c.read_exact(&mut one).unwrap();
        assert_eq!(&one, b"G");
    }
}

#[test]
fn no_server_reachable_closes_the_client() {
    let _serial = serial();
    let fe = free_port();
    let dead: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _px = start(
        &tcp_cfg(
            fe,
            " retries 1\n timeout connect 100ms\n",
            &[("dead", dead, "")],
        ),
        fe,
    );
    let mut c = connect(fe);
    let t0 = Instant::now();
    assert!(read_all(&mut c).is_empty());
    // One attempt, one retry after the turn-around delay (min(1s, timeout connect)).
    assert!(
        t0.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn maxconn_queues_the_second_client_until_the_first_leaves() {
    let _serial = serial();
    let fe = free_port();
    let a = named_server("A");
    let _px = start(
        &tcp_cfg(fe, " timeout queue 5s\n", &[("a", a, "maxconn 1")]),
        fe,
    );
    let mut first = connect(fe);
    let mut one = [0u8; 1];
    first.read_exact(&mut one).unwrap();
    let mut second = connect(fe);
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    // Queued: nothing arrives while the first connection holds the only slot.
    assert!(
        second.read(&mut one).is_err(),
        "second client was not queued"
    );
    first.shutdown(Shutdown::Write).unwrap();
    drop(first);
    second.set_read_timeout(Some(WAIT)).unwrap();
    second.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"A");
}

#[test]
fn queue_timeout_closes_the_waiting_client() {
    let _serial = serial();
    let fe = free_port();
    let a = named_server("A");
    let _px = start(
        &tcp_cfg(fe, " timeout queue 200ms\n", &[("a", a, "maxconn 1")]),
        fe,
    );
    let mut first = connect(fe);
    let mut one = [0u8; 1];
    first.read_exact(&mut one).unwrap();
    let mut second = connect(fe);
    let t0 = Instant::now();
    assert!(read_all(&mut second).is_empty());
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(190) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn frontend_maxconn_pauses_accepting_until_a_connection_ends() {
    let _serial = serial();
    let fe = free_port();
    let a = named_server("A");
    // No server limit: only the frontend's maxconn 1 holds the second client back. The
    // readiness probe of `start` holds the slot briefly, so wait for the first byte.
    let _px = start(&tcp_cfg(fe, " maxconn 1\n", &[("a", a, "")]), fe);
    let mut first = connect(fe);
    let mut one = [0u8; 1];
    first.read_exact(&mut one).unwrap();
    let mut second = connect(fe);
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(second.read(&mut one).is_err(), "second client was accepted");
    first.shutdown(Shutdown::Write).unwrap();
    drop(first);
    second.set_read_timeout(Some(WAIT)).unwrap();
    second.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"A");
}

/// The keep-alive timer of the IPv4 socket from `local` to `remote` port in
/// /proc/net/tcp, in clock ticks (`tr` 2 is the keep-alive timer), if it runs.
fn keepalive_timer(local: Option<u16>, remote: u16) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/tcp").unwrap();
    text.lines().skip(1).find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        let port = |a: &str| u16::from_str_radix(a.rsplit(':').next()?, 16).ok();
        let ok = port(w[2]) == Some(remote) && local.is_none_or(|p| port(w[1]) == Some(p));
        let (tr, when) = w[5].split_once(':')?;
        (ok && w[3] == "01" && tr == "02").then(|| u64::from_str_radix(when, 16).unwrap())
    })
}

/// `option tcpka` with `clitcpka-idle`/`srvtcpka-idle`: both the accepted client connection
/// and the connection to the server carry TCP keep-alive with those idle times, as with
/// HAProxy, and without the option neither does.
#[test]
fn tcpka_sets_keepalive_on_both_sides() {
    let _serial = serial();
    for bin in [common::oracle(), common::rs_bin()] {
        for on in [true, false] {
            let fe = free_port();
            let echo = echo_server();
            let extra = if on {
                " option tcpka\n clitcpka-idle 7s\n srvtcpka-idle 9s\n"
            } else {
                ""
            };
            let _px = Proxy::start(
                &bin,
                &tcp_cfg(fe, extra, &[("e", echo, "")]),
                Ready::Port(fe),
            );
            let mut c = connect(fe);
            // A round trip: the server connection exists once the echo comes back.
            c.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            c.read_exact(&mut b).unwrap();
            let me = c.local_addr().unwrap().port();
            let cli = keepalive_timer(Some(fe), me);
            let srv = keepalive_timer(None, echo.port());
            let what = format!("{} tcpka={on}: cli {cli:?} srv {srv:?}", bin.display());
            if on {
                // Ticks of 1/100 s, counting down from the idle time.
                assert!(cli.is_some_and(|t| (600..=700).contains(&t)), "{what}");
                assert!(srv.is_some_and(|t| (800..=900).contains(&t)), "{what}");
            } else {
                assert!(cli.is_none() && srv.is_none(), "{what}");
            }
        }
    }
}

/// Pipe descriptors the process holds (`splice` keeps drained pipes pooled).
fn pipes(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|l| l.to_string_lossy().starts_with("pipe:"))
        .count()
}

/// `option splice-auto` (and `splice-request`/`splice-response` one way each): 1 MB each
/// way through the kernel's pipes arrives intact with the half-close relayed, and the
/// process then holds pipes it did not hold before; without the option it holds none more.
#[test]
fn splice_forwards_intact_through_pipes() {
    let _serial = serial();
    for opt in [
        "option splice-auto",
        "option splice-request",
        "option splice-response",
        "",
    ] {
        let fe = free_port();
        let extra = format!(" {opt}\n");
        let px = start(&tcp_cfg(fe, &extra, &[("e", echo_server(), "")]), fe);
        let before = pipes(px.child.id());
        let mut c = connect(fe);
        let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let writer = {
            let mut c = c.try_clone().unwrap();
            let p = payload.clone();
            thread::spawn(move || {
                c.write_all(&p).unwrap();
                c.shutdown(Shutdown::Write).unwrap();
            })
        };
        let got = read_all(&mut c);
        writer.join().unwrap();
        assert!(
            got == payload,
            "{opt:?}: {} bytes back, differing",
            got.len()
        );
        let after = pipes(px.child.id());
        if opt.is_empty() {
            assert_eq!(after, before, "no splice, no pipe");
        } else {
            assert!(after > before, "{opt}: pipes {before} -> {after}");
        }
    }
}
