//! Differential check of `haproxy_rs::persist` (cookie persistence, `use-server`) against
//! the installed HAProxy 2.6 (`/usr/sbin/haproxy`), over real sockets on 127.0.0.1.
//!
//! One haproxy process holds every backend under test; `use_backend %[req.hdr(x-be)]`
//! routes each request. The servers are local listeners that answer with the status and
//! `Set-Cookie`/`Set-Cookie2`/`Cache-Control`/`Pragma` headers the request asks for (its
//! `x-sc`, `x-sc2`, `x-cc`, `x-pragma`, `x-status` headers) and report, in the body, who
//! they are and the `Cookie` headers they received. HAProxy logs `%tsc` to a local UDP
//! syslog socket for the two cookie characters.
//!
//! For each case the same inputs go through the module — configuration parsed by this
//! project's parser and mapped by `runtime::backend::cookie_config` — and both sides are
//! compared: which server answered (or 503), the `Cookie` headers it saw, the
//! `Set-Cookie`/`Set-Cookie2`/`Cache-Control` headers the client got, the log characters.
//!
//! Skipped, with a printed reason, only when /usr/sbin/haproxy is absent.

mod common;

use common::proc::free_port;

use haproxy_rs::config::{load_str, Diag, ParseEnv};
use haproxy_rs::model::ProxyCap;
use haproxy_rs::persist::{
    self, log_chars, manage_request, manage_response, response_cacheable, s30tob64, CookieConfig,
    HeaderEdit, RequestInput, ResponseInput, NOCACHE_HEADER,
};
use haproxy_rs::runtime::backend::{cookie_config, server_cookies};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// Number of live server listeners; their bodies say `srv=<index>`.
const NSRV: usize = 4;

fn start_servers() -> Vec<u16> {
    (0..NSRV)
        .map(|idx| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            std::thread::spawn(move || {
                for c in l.incoming() {
                    let Ok(c) = c else { continue };
                    std::thread::spawn(move || serve(c, idx));
                }
            });
            port
        })
        .collect()
}

/// Raw header lines of a message head (after the start line), value left of OWS only.
fn header_lines(head: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for line in head.split(|&c| c == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
        let mut v = &line[colon + 1..];
        while let [b' ' | b'\t', rest @ ..] = v {
            v = rest;
        }
        out.push((name, v.to_vec()));
    }
    out
}

fn serve(mut c: TcpStream, idx: usize) {
    let mut buf = Vec::new();
    let mut b = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        match c.read(&mut b) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    };
    let hdrs = header_lines(&buf[..head_end]);
    let mut status = "200".to_string();
    let mut resp_hdrs = Vec::new();
    let mut body = format!("srv={idx}\n").into_bytes();
    let mut extra: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (n, v) in &hdrs {
        let v = v.clone();
        match n.as_str() {
            "x-status" => status = String::from_utf8_lossy(&v).into_owned(),
            "x-sc" => resp_hdrs.push((&b"Set-Cookie"[..], v)),
            "x-sc2" => resp_hdrs.push((&b"Set-Cookie2"[..], v)),
            "x-cc" => resp_hdrs.push((&b"Cache-Control"[..], v)),
            "x-pragma" => resp_hdrs.push((&b"Pragma"[..], v)),
            "x-h" => {
                let p = v.iter().position(|&c| c == b':').unwrap();
                let (n, val) = (v[..p].to_vec(), v[p + 1..].trim_ascii().to_vec());
                extra.push((n, val));
            }
            "cookie" => {
                body.extend_from_slice(b"cookie:");
                body.extend_from_slice(&v);
                body.push(b'\n');
            }
            _ => {}
        }
    }
    let mut r = format!("HTTP/1.1 {status} X\r\n").into_bytes();
    for (n, v) in resp_hdrs {
        r.extend_from_slice(n);
        r.extend_from_slice(b": ");
        r.extend_from_slice(&v);
        r.extend_from_slice(b"\r\n");
    }
    for (n, v) in extra {
        r.extend_from_slice(&n);
        r.extend_from_slice(b": ");
        r.extend_from_slice(&v);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    r.extend_from_slice(&body);
    let _ = c.write_all(&r);
}

struct Haproxy {
    child: Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

/// Starts haproxy on `cfg` with the environment `vars` (the config refers to ports as
/// `"${NAME}"`), and waits until the frontend accepts connections.
fn start_haproxy(cfg: &str, vars: &[(String, String)], port: u16) -> Haproxy {
    let dir = std::env::temp_dir().join(format!("cookie_diff_{}_{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("h.cfg");
    std::fs::write(&path, cfg).unwrap();
    let check = Command::new(HAPROXY)
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .envs(vars.iter().cloned())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "haproxy rejects the test config: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new(HAPROXY)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .envs(vars.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "haproxy did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    Haproxy {
        child,
        port,
        _dir: dir,
    }
}

/// One request through haproxy: its inputs.
#[derive(Default, Clone)]
struct Case {
    be: &'static str,
    post: bool,
    cookies: Vec<String>,
    sc: Vec<String>,
    sc2: Vec<String>,
    cc: Vec<String>,
    pragma: Option<String>,
    /// Other response headers, "Name: value" (Expires, ETag, Last-Modified).
    extra: Vec<String>,
    status: u16,
    /// `x-us` value (use-server conditions), `x-fp` / `x-ip` present (force/ignore-persist).
    us: Option<&'static str>,
    fp: bool,
    ip: bool,
}

/// What either side says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// Index of the server listener that answered, or `None` with HAProxy's status.
    srv: Result<usize, u16>,
    /// `Cookie` values the server received.
    cookies: Vec<String>,
    /// Client-side `set-cookie`, `set-cookie2`, `cache-control` headers in order.
    resp: Vec<(String, String)>,
    log: String,
}

/// A backend under test: its config lines, and the `use-server` rules as (server index,
/// `x-us` value that makes the condition true).
struct Be {
    name: &'static str,
    body: String,
    us: Vec<(usize, &'static str)>,
}

fn now_s() -> u32 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

fn s(v: &str) -> String {
    v.to_string()
}

fn date(t: u32) -> String {
    String::from_utf8(s30tob64(t >> 2).to_vec()).unwrap()
}

/// The module's view of one backend.
struct Model {
    cfg: CookieConfig,
    cookies: Vec<Option<String>>,
    running: Vec<bool>,
    /// Server index → listener index, `None` for the refusing port.
    target: Vec<Option<usize>>,
    persist: bool,
    redispatch: bool,
    us: Vec<(usize, &'static str)>,
}

impl Model {
    /// `balance first` without `maxconn`: the first running server.
    fn lb(&self) -> Option<usize> {
        self.running.iter().position(|&r| r)
    }

    fn predict(&self, c: &Case, now: u32) -> Seen {
        let srvs: Vec<(Option<&[u8]>, bool)> = self
            .cookies
            .iter()
            .zip(&self.running)
            .map(|(ck, &r)| (ck.as_deref().map(str::as_bytes), r))
            .collect();
        let srvs = &srvs[..];
        // The persist rules are `force-persist if { req.hdr(x-fp) -m found }` then
        // `ignore-persist if { req.hdr(x-ip) -m found }`: the first matching one counts.
        let force = c.fp;
        let ignore = c.ip && !c.fp;
        let rules = self
            .us
            .iter()
            .filter(|(_, v)| Some(*v) == c.us)
            .map(|&(i, _)| Some(i));
        let assigned = persist::use_server(rules, srvs, self.persist, force);
        let hdrs: Vec<&[u8]> = c.cookies.iter().map(|v| v.trim().as_bytes()).collect();
        let mut req = manage_request(
            &self.cfg,
            srvs,
            &hdrs,
            &RequestInput {
                persist: self.persist,
                force_persist: force,
                ignore_persist: ignore,
                assigned,
                now,
            },
        );
        let mut cookies: Vec<String> = c.cookies.iter().map(|v| v.trim().to_string()).collect();
        for (i, e) in req.edits.iter().rev() {
            match e {
                HeaderEdit::Remove => {
                    cookies.remove(*i);
                }
                HeaderEdit::Set(v) => cookies[*i] = String::from_utf8(v.clone()).unwrap(),
            }
        }
        let mut chosen = assigned.or(req.server);
        let mut direct = chosen.is_some();
        if chosen.is_none() {
            chosen = self.lb();
        }
        let Some(mut si) = chosen else {
            return Seen {
                srv: Err(503),
                cookies: vec![],
                resp: vec![],
                log: chars(&self.cfg, req.status, persist::ServerCookie::None),
            };
        };
        if self.target[si].is_none() {
            // Connection refused: redispatch (unless force-persist) or give up.
            if !self.redispatch || force {
                return Seen {
                    srv: Err(503),
                    cookies: vec![],
                    resp: vec![],
                    log: chars(&self.cfg, req.status, persist::ServerCookie::None),
                };
            }
            si = self.lb().unwrap();
            direct = false;
            req.redispatched();
        }
        let status = if c.status == 0 { 200 } else { c.status };
        let mut resp_hdrs: Vec<(&[u8], &[u8])> = Vec::new();
        for v in &c.sc {
            resp_hdrs.push((b"set-cookie", v.trim().as_bytes()));
        }
        for v in &c.sc2 {
            resp_hdrs.push((b"set-cookie2", v.trim().as_bytes()));
        }
        for v in &c.cc {
            resp_hdrs.push((b"cache-control", v.trim().as_bytes()));
        }
        if let Some(p) = &c.pragma {
            resp_hdrs.push((b"pragma", p.trim().as_bytes()));
        }
        for x in &c.extra {
            let (n, v) = x.split_once(':').unwrap();
            resp_hdrs.push((n.as_bytes(), v.trim().as_bytes()));
        }
        let method: &[u8] = if c.post { b"POST" } else { b"GET" };
        let cacheable = response_cacheable(method, status, resp_hdrs.iter().copied());
        let sc: Vec<&[u8]> = c.sc.iter().map(|v| v.trim().as_bytes()).collect();
        let sc2: Vec<&[u8]> = c.sc2.iter().map(|v| v.trim().as_bytes()).collect();
        let res = manage_response(
            &self.cfg,
            srvs,
            &req,
            &sc,
            &sc2,
            &ResponseInput {
                server: Some(si),
                direct,
                ignore_persist: ignore,
                is_post: c.post,
                status,
                cacheable,
                now,
            },
        );
        let apply = |list: &[String], edits: &[(usize, HeaderEdit)]| {
            let mut l: Vec<Option<String>> = list.iter().map(|v| Some(s(v.trim()))).collect();
            for (i, e) in edits {
                l[*i] = match e {
                    HeaderEdit::Remove => None,
                    HeaderEdit::Set(v) => Some(String::from_utf8(v.clone()).unwrap()),
                };
            }
            l.into_iter().flatten().collect::<Vec<_>>()
        };
        let mut resp = Vec::new();
        resp.extend(
            apply(&c.sc, &res.edits)
                .into_iter()
                .map(|v| (s("set-cookie"), v)),
        );
        resp.extend(
            apply(&c.sc2, &res.edits2)
                .into_iter()
                .map(|v| (s("set-cookie2"), v)),
        );
        resp.extend(c.cc.iter().map(|v| (s("cache-control"), s(v.trim()))));
        if let Some(v) = &res.insert {
            resp.push((s("set-cookie"), String::from_utf8(v.clone()).unwrap()));
        }
        if res.cache_control_private {
            resp.push((NOCACHE_HEADER.0.to_ascii_lowercase(), s(NOCACHE_HEADER.1)));
        }
        sort_by_name(&mut resp);
        Seen {
            srv: Ok(self.target[si].unwrap()),
            cookies,
            resp,
            log: chars(&self.cfg, req.status, res.status),
        }
    }
}

fn chars(cfg: &CookieConfig, ck: persist::ClientCookie, sck: persist::ServerCookie) -> String {
    String::from_utf8(log_chars(Some(cfg), ck, sck).to_vec()).unwrap()
}

/// Headers of different names may be reordered freely; same-name order is kept.
fn sort_by_name(v: &mut [(String, String)]) {
    v.sort_by(|a, b| a.0.cmp(&b.0));
}

fn send(h: &Haproxy, id: usize, c: &Case) -> Seen {
    let mut req = format!(
        "{} /c{id} HTTP/1.1\r\nHost: t\r\nx-be: {}\r\n",
        if c.post { "POST" } else { "GET" },
        c.be
    );
    for v in &c.cookies {
        req += &format!("Cookie: {v}\r\n");
    }
    for v in &c.sc {
        req += &format!("x-sc: {v}\r\n");
    }
    for v in &c.sc2 {
        req += &format!("x-sc2: {v}\r\n");
    }
    for v in &c.cc {
        req += &format!("x-cc: {v}\r\n");
    }
    if let Some(p) = &c.pragma {
        req += &format!("x-pragma: {p}\r\n");
    }
    if c.status != 0 {
        req += &format!("x-status: {}\r\n", c.status);
    }
    for x in &c.extra {
        req += &format!("x-h: {x}\r\n");
    }
    if let Some(u) = c.us {
        req += &format!("x-us: {u}\r\n");
    }
    if c.fp {
        req += "x-fp: 1\r\n";
    }
    if c.ip {
        req += "x-ip: 1\r\n";
    }
    req += if c.post {
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    };
    let mut conn = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).unwrap();
    let head_end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("c{id}: bad response {:?}", String::from_utf8_lossy(&resp)));
    let head = &resp[..head_end];
    let body = String::from_utf8_lossy(&resp[head_end + 4..]).into_owned();
    let code: u16 = String::from_utf8_lossy(&head[9..12]).parse().unwrap();
    let srv = match body.lines().next().and_then(|l| l.strip_prefix("srv=")) {
        Some(n) => Ok(n.parse().unwrap()),
        None => Err(code),
    };
    let cookies = body
        .lines()
        .filter_map(|l| l.strip_prefix("cookie:"))
        .map(s)
        .collect();
    let mut hdrs: Vec<(String, String)> = header_lines(head)
        .into_iter()
        .filter(|(n, _)| matches!(n.as_str(), "set-cookie" | "set-cookie2" | "cache-control"))
        .map(|(n, v)| (n, String::from_utf8(v).unwrap()))
        .collect();
    if srv.is_err() {
        hdrs.clear();
    }
    sort_by_name(&mut hdrs);
    Seen {
        srv,
        cookies: if srv.is_ok() { cookies } else { vec![] },
        resp: hdrs,
        log: String::new(),
    }
}

fn backends() -> Vec<Be> {
    // Three servers on listeners 0, 1, 2 unless a backend says otherwise.
    let std3 = |extra: &str| {
        format!(
            "  server s1 \"127.0.0.1:${{S0_PORT}}\" cookie c1{extra}\n  server s2 \"127.0.0.1:${{S1_PORT}}\" cookie c2\n  server s3 \"127.0.0.1:${{S2_PORT}}\" cookie c3\n"
        )
    };
    let be = |name, head: &str, servers: String| Be {
        name,
        body: format!("backend {name}\n  balance first\n{head}{servers}"),
        us: vec![],
    };
    let mut v = vec![
        be("ins", "  cookie SRV insert indirect nocache\n", std3("")),
        be("insp", "  cookie SRV insert\n", std3("")),
        be(
            "insx",
            "  cookie SRV insert indirect preserve httponly secure domain .example.com domain .b.org attr SameSite=Lax attr Partitioned\n",
            std3(""),
        ),
        be("post", "  cookie SRV insert indirect postonly nocache\n", std3("")),
        be("rw", "  cookie JSESSIONID rewrite\n", std3("")),
        be("pfx", "  cookie JSESSIONID prefix\n", std3("")),
        be("psv", "  cookie SRV\n", std3("")),
        be("pind", "  cookie SRV indirect\n", std3("")),
        be("idle", "  cookie SRV insert indirect maxidle 600\n", std3("")),
        be(
            "life",
            "  cookie SRV insert indirect maxidle 600 maxlife 3600\n",
            std3(""),
        ),
        be("lifeonly", "  cookie SRV insert maxlife 3600\n", std3("")),
        be(
            "dyn",
            "  cookie DYN insert indirect dynamic\n  dynamic-cookie-key \"s3cr3t\"\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\"\n  server s2 \"127.0.0.1:${S1_PORT}\"\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie fixed\n"),
        ),
        be(
            "down",
            "  cookie SRV insert indirect\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2 disabled\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c3\n"),
        ),
        be(
            "downp",
            "  cookie SRV insert indirect\n  option persist\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2 disabled\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c3\n"),
        ),
        be(
            "downpr",
            "  cookie SRV insert indirect\n  option persist\n  option redispatch\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n  server s3 \"127.0.0.1:${REFUSED_PORT}\" cookie c3 disabled\n"),
        ),
        be(
            "downr",
            "  cookie SRV insert indirect\n  option redispatch\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n  server s3 \"127.0.0.1:${REFUSED_PORT}\" cookie c3 disabled\n"),
        ),
        be(
            "refused",
            "  cookie SRV insert indirect\n  retries 1\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s3 \"127.0.0.1:${REFUSED_PORT}\" cookie c3\n"),
        ),
        be(
            "refusedr",
            "  cookie SRV insert indirect\n  retries 1\n  option redispatch\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s3 \"127.0.0.1:${REFUSED_PORT}\" cookie c3\n"),
        ),
        be(
            "fp",
            "  cookie SRV insert indirect\n  force-persist if { req.hdr(x-fp) -m found }\n  ignore-persist if { req.hdr(x-ip) -m found }\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2 disabled\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c3\n"),
        ),
        be(
            "fpr",
            "  cookie SRV insert indirect\n  option redispatch\n  retries 1\n  force-persist if { req.hdr(x-fp) -m found }\n  ignore-persist if { req.hdr(x-ip) -m found }\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n  server s3 \"127.0.0.1:${REFUSED_PORT}\" cookie c3 disabled\n"),
        ),
        be(
            "shared",
            "  cookie SRV insert indirect\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c disabled\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c\n"),
        ),
        be(
            "nock",
            "  cookie SRV insert indirect nocache\n",
            s("  server s1 \"127.0.0.1:${S0_PORT}\"\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n"),
        ),
    ];
    let mut us = be(
        "us",
        "  cookie SRV insert indirect\n  use-server s2 if { req.hdr(x-us) -m str two }\n  use-server s3 if { req.hdr(x-us) -m str three }\n  use-server s4 if { req.hdr(x-us) -m str three }\n",
        s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c3 disabled\n  server s4 \"127.0.0.1:${S3_PORT}\" cookie c4\n"),
    );
    us.us = vec![(1, "two"), (2, "three"), (3, "three")];
    v.push(us);
    let mut usp = be(
        "usp",
        "  cookie SRV insert indirect\n  option persist\n  use-server s3 if { req.hdr(x-us) -m str three }\n  use-server s4 if { req.hdr(x-us) -m str three }\n",
        s("  server s1 \"127.0.0.1:${S0_PORT}\" cookie c1\n  server s2 \"127.0.0.1:${S1_PORT}\" cookie c2\n  server s3 \"127.0.0.1:${S2_PORT}\" cookie c3 disabled\n  server s4 \"127.0.0.1:${S3_PORT}\" cookie c4\n"),
    );
    usp.us = vec![(2, "three"), (3, "three")];
    v.push(usp);
    v
}

fn cases(now: u32) -> Vec<Case> {
    let g = |be: &'static str, cookies: &[&str]| Case {
        be,
        cookies: cookies.iter().map(|c| s(c)).collect(),
        ..Case::default()
    };
    let with_sc = |mut c: Case, sc: &[&str]| {
        c.sc = sc.iter().map(|v| s(v)).collect();
        c
    };
    let mut v = Vec::new();
    // Request-side parsing and rewriting, insert indirect.
    for ck in [
        &[][..],
        &["SRV=c2"],
        &["SRV=c3"],
        &["SRV=nope"],
        &["SRV="],
        &["a=1; SRV=c2"],
        &["SRV=c2; a=1"],
        &["a=1; SRV=c2; b=2"],
        &["a=1;SRV=c2;b=2"],
        &["a=1 ;  SRV=c2 ;  b=2"],
        &["a = 1; SRV = c2; b= 2"],
        &["a=1, SRV=c2, b=2"],
        &["a=1; SRV=c2 ; flag"],
        &["flag; SRV=c2"],
        &["SRV=c2; flag"],
        &["$Version=1; SRV=c2; $Path=/"],
        &["$Version=1; a=1; SRV=c2; $Path=/; b=2"],
        &["a=\"x;y\"; SRV=c2; b=\"q,r\""],
        &["SRV=\"c2\""],
        &["a=1", "SRV=c2", "b=2"],
        &["SRV=c1", "SRV=c2"],
        &["SRV=nope; SRV=c3"],
        &["SRV=c2; SRV=c3"],
        &["srv=c2"],
        &["SRVX=c2; XSRV=c3"],
        &["SRV=c2|AAAAA"],
        &["a=1 ; SRV=c2"],
        &["a=1\t;\tSRV=c2\t;\tb=2"],
        &[";SRV=c2;"],
        &["a=1;;SRV=c2"],
    ] {
        v.push(g("ins", ck));
        v.push(g("insp", ck));
    }
    // Response side in insert modes: server cookies removed, preserved, cacheability.
    for be in ["ins", "insp", "insx", "post"] {
        v.push(with_sc(g(be, &[]), &["SRV=fromserver; path=/"]));
        v.push(with_sc(g(be, &["SRV=c2"]), &["SRV=fromserver; path=/"]));
        v.push(with_sc(
            g(be, &["SRV=c2"]),
            &["other=1", "SRV=x", "SRV = y"],
        ));
        let mut c = g(be, &[]);
        c.post = true;
        v.push(c.clone());
        c.cookies = vec![s("SRV=c3")];
        v.push(c.clone());
        c.cookies = vec![];
        c.sc = vec![s("SRV=; Max-Age=0")];
        v.push(c);
        let mut c = g(be, &[]);
        c.cc = vec![s("public")];
        v.push(c.clone());
        c.cc = vec![s("no-cache")];
        v.push(c.clone());
        c.cc = vec![s("max-age=10, private")];
        v.push(c.clone());
        c.cc = vec![];
        c.pragma = Some(s("no-cache"));
        v.push(c.clone());
        c.pragma = None;
        for st in [404, 302, 500, 203] {
            c.status = st;
            v.push(c.clone());
        }
        let mut c = g(be, &[]);
        c.post = true;
        c.cc = vec![s("public")];
        v.push(c);
        // Freshness or a validator makes a response cacheable.
        for (cc, extra) in [
            (&[][..], &["Expires: Thu, 01 Jan 2037 00:00:00 GMT"][..]),
            (&[], &["ETag: \"x\""]),
            (&[], &["Last-Modified: Thu, 01 Jan 2015 00:00:00 GMT"]),
            (&["max-age=60"], &[]),
            (&["s-maxage=60"], &[]),
            (&["public, max-age=60"], &[]),
            (&["max-age=60", "private"], &[]),
            (&["max-age=60, no-cache=\"set-cookie\""], &[]),
            (&["max-age=0"], &["ETag: \"x\""]),
            (&["no-store"], &["ETag: \"x\""]),
        ] {
            for (post, status) in [(false, 200), (true, 200), (false, 302), (false, 404)] {
                let mut c = g(be, &[]);
                c.cc = cc.iter().map(|v| s(v)).collect();
                c.extra = extra.iter().map(|v| s(v)).collect();
                c.post = post;
                c.status = status;
                v.push(c);
            }
            let mut c = g(be, &[]);
            c.cc = cc.iter().map(|v| s(v)).collect();
            c.extra = extra.iter().map(|v| s(v)).collect();
            c.pragma = Some(s("no-cache"));
            v.push(c);
        }
    }
    // Set-Cookie2 lists.
    for be in ["ins", "rw", "pfx", "psv"] {
        let mut c = g(be, &["SRV=c2"]);
        c.sc2 = vec![
            s("a=1, SRV=x; Version=1, b=2"),
            s("SRV=only"),
            s("JSESSIONID=abc; Version=1, z=1"),
        ];
        v.push(c);
    }
    // Rewrite and prefix modes.
    for be in ["rw", "pfx"] {
        v.push(g(be, &[]));
        v.push(with_sc(g(be, &[]), &["JSESSIONID=abc123; path=/"]));
        v.push(with_sc(g(be, &[]), &["JSESSIONID = abc123 ; path=/"]));
        v.push(with_sc(g(be, &[]), &["JSESSIONID=; path=/"]));
        v.push(with_sc(
            g(be, &[]),
            &[
                "other = 1; path=/",
                "JSESSIONID=a; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
            ],
        ));
        v.push(with_sc(
            g(be, &[]),
            &["JSESSIONID; path=/", "JSESSIONID=\"q;v\"; path=/"],
        ));
        v.push(with_sc(g(be, &[]), &["other=1; JSESSIONID=abc"]));
        v.push(with_sc(g(be, &["JSESSIONID=c2"]), &["JSESSIONID=abc"]));
        v.push(g(be, &["JSESSIONID=c3~abc"]));
        v.push(g(be, &["x=1; JSESSIONID=c3~abc; y=2"]));
        v.push(g(be, &["JSESSIONID=c3"]));
        v.push(g(be, &["JSESSIONID=~abc"]));
        v.push(g(be, &["JSESSIONID=zz~abc"]));
        v.push(g(be, &["JSESSIONID=c2~a~b"]));
        v.push(with_sc(g(be, &["JSESSIONID=c2~abc"]), &["JSESSIONID=def"]));
    }
    // Passive and passive+indirect.
    for be in ["psv", "pind"] {
        v.push(g(be, &["SRV=c2"]));
        v.push(with_sc(g(be, &[]), &["SRV=c1"]));
        v.push(with_sc(g(be, &["SRV=c2"]), &["SRV=c2"]));
        v.push(with_sc(g(be, &["SRV=zz"]), &["SRV=c1"]));
    }
    // maxidle / maxlife: dates built from the current time.
    let fresh = date(now);
    let stale = date(now - 1000);
    let future = date(now + 90000);
    let old = date(now - 4000);
    let young = date(now - 100);
    let soon = date(now + 3600);
    for be in ["idle", "life", "lifeonly", "ins"] {
        for ck in [
            s("SRV=c2"),
            format!("SRV=c2|{fresh}"),
            format!("SRV=c2|{stale}"),
            format!("SRV=c2|{future}"),
            format!("SRV=c2|{soon}"),
            format!("SRV=c2|{fresh}|{soon}"),
            format!("SRV=c2|{fresh}|{young}"),
            format!("SRV=c2|{fresh}|{old}"),
            format!("SRV=c2|{fresh}|{future}"),
            format!("SRV=c2|{stale}|{young}"),
            format!("SRV=c2|{young}|{young}"),
            s("SRV=c2|AAAA"),
            s("SRV=c2|!!!!!"),
            format!("SRV=c2|{fresh}|"),
            format!("SRV=nope|{fresh}"),
            format!("SRV=|{fresh}"),
        ] {
            v.push(g(be, &[&ck]));
        }
    }
    // Dynamic cookies: learn them from an insertion, then present them.
    v.push(g("dyn", &[]));
    v.push(g("dyn", &["DYN=fixed"]));
    v.push(g("dyn", &["DYN=0123456789abcdef"]));
    // Down servers, persist, redispatch.
    for be in [
        "down", "downp", "downpr", "downr", "refused", "refusedr", "shared",
    ] {
        for ck in ["SRV=c1", "SRV=c2", "SRV=c3", "SRV=c", "SRV=zz"] {
            v.push(g(be, &[ck]));
        }
    }
    // force-persist / ignore-persist.
    for (fp, ip) in [(false, false), (true, false), (false, true), (true, true)] {
        for ck in ["SRV=c2", "SRV=c3", "a=1; SRV=c3; b=2"] {
            let mut c = with_sc(g("fp", &[ck]), &["SRV=fromserver"]);
            c.fp = fp;
            c.ip = ip;
            v.push(c);
        }
    }
    // force-persist forbids the redispatch away from a refusing server.
    for (fp, ip) in [(false, false), (true, false), (false, true)] {
        for ck in ["SRV=c2", "SRV=c3"] {
            let mut c = g("fpr", &[ck]);
            c.fp = fp;
            c.ip = ip;
            v.push(c);
        }
    }
    // Cookie-less server: the insertion deletes the client's cookie.
    v.push(g("nock", &[]));
    v.push(g("nock", &["SRV=c2"]));
    v.push(g("nock", &["SRV=zz"]));
    // use-server.
    for be in ["us", "usp"] {
        for us in [None, Some("two"), Some("three"), Some("none")] {
            for ck in [&[][..], &["SRV=c1"], &["SRV=c3"], &["SRV=c4"]] {
                let mut c = g(be, ck);
                c.us = us;
                v.push(c);
            }
        }
    }
    v
}

#[test]
fn against_haproxy() {
    if !std::path::Path::new(HAPROXY).exists() {
        eprintln!("cookie_diff: {HAPROXY} not installed, differential test skipped");
        return;
    }
    let ports = start_servers();
    let refused = free_port();
    let fe_port = free_port();
    let log = UdpSocket::bind("127.0.0.1:0").unwrap();
    log.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let log_port = log.local_addr().unwrap().port();
    // Read on a thread: a burst of datagrams would overflow the socket buffer otherwise.
    let logs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    {
        let logs = logs.clone();
        let log = log.try_clone().unwrap();
        log.set_read_timeout(None).unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while let Ok(len) = log.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..len]);
                let (Some(i), Some(t)) = (msg.find("ID=/c"), msg.find("TSC=")) else {
                    continue;
                };
                let id: usize = msg[i + 5..].split(' ').next().unwrap().parse().unwrap();
                let tsc: String = msg[t + 4..].trim().chars().skip(2).take(2).collect();
                logs.lock().unwrap().insert(id, tsc);
            }
        });
    }

    let mut vars: Vec<(String, String)> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("S{i}_PORT"), p.to_string()))
        .collect();
    vars.push((s("REFUSED_PORT"), refused.to_string()));
    vars.push((s("FE_PORT"), fe_port.to_string()));
    vars.push((s("LOG_PORT"), log_port.to_string()));

    let bes = backends();
    let mut cfg = s(
        "global\n  nbthread 1\n  log \"127.0.0.1:${LOG_PORT}\" local0\n\
         defaults\n  mode http\n  log global\n  log-format \"ID=%HU TSC=%tsc\"\n\
         timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
         frontend fe\n  bind \"127.0.0.1:${FE_PORT}\"\n  use_backend %[req.hdr(x-be)]\n",
    );
    for b in &bes {
        cfg += &b.body;
    }

    // The module side reads the same text through this project's parser.
    let mut expanded = cfg.clone();
    for (k, v) in &vars {
        expanded = expanded.replace(&format!("${{{k}}}"), v);
    }
    let l = load_str("<cookie_diff>", &expanded, Diag::new(), ParseEnv::offline());
    let parsed = l
        .config
        .unwrap_or_else(|| panic!("{}", l.diag.render_all(0)));
    let models: Vec<(&str, Model)> = bes
        .iter()
        .map(|b| {
            let px = parsed.find_proxy(b.name, ProxyCap::BE).unwrap();
            let target = px
                .servers
                .iter()
                .map(|sv| {
                    let port = sv.addr.unwrap().port();
                    ports.iter().position(|&p| p == port)
                })
                .collect();
            (
                b.name,
                Model {
                    cfg: cookie_config(px).unwrap(),
                    cookies: server_cookies(px),
                    running: px.servers.iter().map(|sv| !sv.disabled).collect(),
                    target,
                    persist: px.settings.option("persist") == Some(true),
                    redispatch: px.settings.redispatch.is_some_and(|n| n != 0),
                    us: b.us.clone(),
                },
            )
        })
        .collect();
    let model = |be: &str| &models.iter().find(|(n, _)| *n == be).unwrap().1;

    let h = start_haproxy(&cfg, &vars, fe_port);

    let mut all = cases(now_s());
    // Present the dynamic cookies the module computes: haproxy must route on them.
    let dyn_cookies = model("dyn").cookies.clone();
    for ck in dyn_cookies.iter().flatten() {
        let mut c = Case {
            be: "dyn",
            cookies: vec![format!("DYN={ck}")],
            ..Case::default()
        };
        all.push(c.clone());
        c.cookies = vec![format!("a=b; DYN={ck}")];
        all.push(c);
    }

    let mut got = Vec::new();
    for (id, c) in all.iter().enumerate() {
        let t0 = now_s();
        let seen = send(&h, id, c);
        let t1 = now_s();
        got.push((seen, t0, t1));
    }
    // The log lines ("ID=/c<id> TSC=<4 chars>") were collected as they came.
    let deadline = Instant::now() + Duration::from_secs(10);
    while logs.lock().unwrap().len() < all.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let logs_map = logs.lock().unwrap().clone();
    let n = logs_map.len();
    let logs: Vec<String> = (0..all.len())
        .map(|i| logs_map.get(&i).cloned().unwrap_or_default())
        .collect();
    assert_eq!(n, all.len(), "missing log lines from haproxy");

    let mut same = 0;
    let mut diffs = Vec::new();
    let mut seen_all = Vec::new();
    for (id, (c, ((mut seen, t0, t1), log))) in
        all.iter().zip(got.into_iter().zip(logs)).enumerate()
    {
        seen.log = log;
        let m = model(c.be);
        let ok = (t0..=t1).any(|t| m.predict(c, t) == seen);
        seen_all.push(seen.clone());
        if ok {
            same += 1;
        } else {
            diffs.push(format!(
                "c{id} be={} post={} cookies={:?} sc={:?} sc2={:?} cc={:?} pragma={:?} extra={:?} status={} us={:?} fp={} ip={}\n  haproxy: {:?}\n  module:  {:?}",
                c.be, c.post, c.cookies, c.sc, c.sc2, c.cc, c.pragma, c.extra, c.status, c.us, c.fp, c.ip,
                seen,
                m.predict(c, t0)
            ));
        }
    }
    // Guard against a vacuous pass: the cases must reach each outcome on haproxy's side.
    let mut ck_chars = std::collections::BTreeSet::new();
    let mut sck_chars = std::collections::BTreeSet::new();
    let (mut private, mut unavailable) = (0, 0);
    for (c, seen) in all.iter().zip(&seen_all) {
        let mut l = seen.log.chars();
        ck_chars.insert(l.next().unwrap_or(' '));
        sck_chars.insert(l.next().unwrap_or(' '));
        private += seen
            .resp
            .iter()
            .filter(|(n, v)| n == "cache-control" && v == "private" && !c.cc.contains(v))
            .count();
        unavailable += usize::from(seen.srv.is_err());
    }
    let ck_chars: String = ck_chars.into_iter().collect();
    let sck_chars: String = sck_chars.into_iter().collect();
    println!(
        "cookie_diff: request cookie chars {ck_chars:?}, response {sck_chars:?}, {private} nocache insertions, {unavailable} 503"
    );
    for ch in "-DEINOUV".chars() {
        assert!(
            ck_chars.contains(ch),
            "no case logged request cookie '{ch}'"
        );
    }
    for ch in "-DINPRU".chars() {
        assert!(
            sck_chars.contains(ch),
            "no case logged response cookie '{ch}'"
        );
    }
    assert!(private > 0 && unavailable > 0);
    println!(
        "cookie_diff: {} cases, {same} identical, {} different",
        all.len(),
        diffs.len()
    );
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
