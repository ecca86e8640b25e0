//! Tests of `bind` parsing, and a small section driver shared with the server tests
//! (the proxy section parser lives elsewhere; this one only creates proxies).

use super::*;
use crate::config::{lexer, Diag, Kwm, Loc, ParseEnv};
use crate::model::{Mode, ProxyCap};

/// Parses `text` with only section starts, `mode`, `bind`, `stats socket` and the
/// server lines handled, as the real reader would dispatch them.
pub(crate) fn mini_load_env(text: &str, env: ParseEnv) -> State {
    mini_load_file("t.cfg", text, env)
}

pub(crate) fn mini_load_file(file: &str, text: &str, env: ParseEnv) -> State {
    let mut st = State::new(Diag::new(), env);
    for (n, raw) in text.lines().enumerate() {
        let pe = lexer::ProcessEnv {
            file,
            line: n + 1,
            section: "",
        };
        let words = lexer::split_words(raw, &pe).expect("lexer");
        if words.is_empty() {
            continue;
        }
        let line = Line {
            loc: Loc {
                file: file.into(),
                line: n + 1,
            },
            words,
            kwm: Kwm::Std,
            raw: raw.to_string(),
        };
        let a0 = line.arg(0).to_string();
        let cap = match a0.as_str() {
            "frontend" => Some(ProxyCap::FE),
            "backend" => Some(ProxyCap::BE),
            "listen" => Some(ProxyCap::LISTEN),
            "defaults" => Some(ProxyCap::DEF),
            _ => None,
        };
        if let Some(cap) = cap {
            let mut p = st
                .last_defaults
                .map(|d| st.model.proxies[d].clone())
                .unwrap_or_default();
            p.name = line.arg(1).to_string();
            p.cap = cap;
            p.binds.clear();
            p.servers.clear();
            st.model.proxies.push(p);
            let i = st.model.proxies.len() - 1;
            st.cur_proxy = Some(i);
            if cap == ProxyCap::DEF {
                st.last_defaults = Some(i);
            }
            st.cursection = a0;
            continue;
        }
        if a0 == "global" {
            st.cur_proxy = None;
            st.cursection = a0;
            continue;
        }
        match (st.cur_proxy, a0.as_str()) {
            (None, "stats") if line.arg(1) == "socket" => {
                let _ = parse_stats_socket(&mut st, &line);
            }
            (None, _) => {
                let args = line.args_from(1).iter().map(|s| s.to_string()).collect();
                st.model.global.other.push((a0, args, line.loc.clone()));
            }
            (Some(p), "mode") => {
                st.model.proxies[p].mode = if line.arg(1) == "http" {
                    Mode::Http
                } else {
                    Mode::Tcp
                }
            }
            (Some(p), "bind") => {
                if line.arg(1).is_empty() || st.model.proxies[p].cap.is_defaults() {
                    parse_bind(&mut st, &line, p);
                    continue;
                }
                warn_bind_not_frontend(&mut st, &line, p);
                parse_bind(&mut st, &line, p);
            }
            (Some(p), "server" | "default-server" | "server-template") => {
                crate::config::server::parse_server(&mut st, &line, p);
            }
            _ => {}
        }
    }
    st
}

pub(crate) fn mini_load(text: &str) -> State {
    mini_load_env(
        text,
        ParseEnv {
            resolve_hosts: false,
            check_files: true,
            ncpus: 1,
            ..Default::default()
        },
    )
}

/// Every alert and warning text, without the "not active yet" notes.
pub(crate) fn texts(st: &State) -> Vec<String> {
    st.diag
        .messages
        .iter()
        .filter(|m| !m.text.contains("not active yet"))
        .map(|m| {
            let lvl = if m.level == Level::Alert { "A" } else { "W" };
            format!("{lvl} {}", m.text)
        })
        .collect()
}

/// Prints what `BINDSRV_CFG` produces, to diff with `haproxy -c` by hand.
#[test]
#[ignore]
fn harness_print() {
    let path = std::env::var("BINDSRV_CFG").expect("BINDSRV_CFG");
    let text = std::fs::read_to_string(&path).unwrap();
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::env::set_current_dir(dir).unwrap();
    }
    let mut st = mini_load_file(
        &path,
        &text,
        ParseEnv {
            resolve_hosts: std::env::var("BINDSRV_DNS").is_ok(),
            check_files: true,
            ncpus: 1,
            ..Default::default()
        },
    );
    if crate::config::server::check_all(&mut st) & crate::config::err::FATAL == 0 {
        crate::config::server::resolve_addresses(&mut st);
    }
    for m in &st.diag.messages {
        if !m.text.contains("not active yet") {
            print!("{}", m.render(0));
        }
    }
}

fn one(text: &str) -> Vec<String> {
    texts(&mini_load(text))
}

#[test]
fn bind_addresses_and_listeners() {
    let sock = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&sock);
    let st = mini_load(&format!(
        "frontend f\n  bind :80,[::1]:8000-8002,/tmp/s.sock,abns@x,fd@{fd} name web\n"
    ));
    assert!(texts(&st).is_empty(), "{:?}", texts(&st));
    let b = &st.model.proxies[0].binds[0];
    assert_eq!(b.addrs.len(), 5);
    assert_eq!(b.addrs[1].listener_count(), 3);
    assert_eq!(b.options.name.as_deref(), Some("web"));
    assert_eq!(
        b.text,
        format!(":80,[::1]:8000-8002,/tmp/s.sock,abns@x,fd@{fd}")
    );
}

#[test]
fn bind_section_checks() {
    assert_eq!(
        one("defaults\n  bind :80\n"),
        ["A parsing [t.cfg:2] : 'bind' not allowed in 'defaults' section."]
    );
    assert_eq!(
        one("backend b\n  bind :82 backlog -1\n"),
        [
            "W parsing [t.cfg:2] : 'bind' ignored because backend 'b' has no frontend capability.",
            "A parsing [t.cfg:2] : 'bind :82' in section 'backend' : 'backlog' : invalid value -1, must be > 0"
        ]
    );
    assert_eq!(
        one("frontend f\n  bind\n"),
        ["A parsing [t.cfg:2] : 'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments."]
    );
    assert_eq!(
        one("frontend f\n  bind 1.2.3.4:9021,,:9022\n  bind :9023,\n"),
        ["A parsing [t.cfg:2] : 'bind' : '' resolves to an empty address (environment variable missing?)"]
    );
    assert_eq!(
        one("frontend f\n  bind mptcp@[::]:5000\n"),
        ["A parsing [t.cfg:2] : 'bind' : invalid address: 'mptcp@[::]' in 'mptcp@[::]:5000'"]
    );
}

#[test]
fn bind_option_errors() {
    let cases = [
        ("bind :83 id", "'bind :83' in section 'frontend' : 'id' : expects an integer argument"),
        ("bind :84 id 1x", "'bind :84' in section 'frontend' : 'id' : expects an integer argument, found '1x'"),
        ("bind :85-86 id 5", "'bind :85-86' in section 'frontend' : 'id' can only be used with a single socket"),
        ("bind :90 nice 2000", "'bind :90' in section 'frontend' : 'nice' : invalid value 2000, allowed range is -1024..1024"),
        ("bind :94 thread 70", "'bind :94' in section 'frontend' : '70' : '70' is not a valid number/range. It supports numbers from 1 to 64."),
        ("bind :95 thread x", "'bind :95' in section 'frontend' : 'x' : 'x' is not a valid number/range."),
        ("bind :96 proto h3", "'bind :96' in section 'frontend' : 'proto' :  unknown MUX protocol 'h3'"),
        ("bind :97 mode 8x", "'bind :97' in section 'frontend' : 'mode' : missing or invalid mode '8x' (octal integer expected)"),
        ("bind :98 mss 0", "'bind :98' in section 'frontend' : 'mss' : expects an MSS with and absolute value between 1 and 65535"),
        ("bind :99 tcp-ut 5x", "'bind :99' in section 'frontend' : 'tcp-ut' : expects a positive delay in milliseconds"),
        ("bind :100 shards 0", "'bind :100' in section 'frontend' : 'shards' : invalid value 0, allowed range is 1..64 or 'by-thread'"),
        ("bind :101 accept-netscaler-cip 0", "'bind :101' in section 'frontend' : 'accept-netscaler-cip' : invalid value 0, must be >= 0"),
        ("bind :102 level admin severity-output foo", "'bind :102' in section 'frontend' : 'severity-output' only supports 'none', 'number', and 'string' (got 'foo')"),
        ("bind :104 ca-ignore-err 99", "'bind :104' in section 'frontend' : 'ca-ignore-err' : ID '99' out of range (1..94) in error IDs list '99'"),
        ("bind :106 npn", "'bind :106' in section 'frontend' : 'npn' : missing the comma-delimited NPN protocol suite"),
        ("bind :107 ssl-min-ver", "'bind :107' in section 'frontend' : 'ssl-min-ver' : missing the ssl/tls version"),
        ("bind :108 ssl-min-ver TLSv1.9", "'bind :108' in section 'frontend' : 'TLSv1.9' : unknown ssl/tls version"),
        ("bind :109 verify foo", "'bind :109' in section 'frontend' : 'verify' : unknown verify method 'foo', only 'none', 'optional', and 'required' are supported"),
        ("bind :110 crt-list", "'bind :110' in section 'frontend' : 'crt-list' : missing certificate location"),
        ("bind :111 tls-ticket-keys /nonexist", "'bind :111' in section 'frontend' : '/nonexist' : unable to load ssl tickets keys file"),
        ("bind :113 accept-prox", "'bind :113' in section 'frontend': unknown keyword 'accept-prox'; did you mean 'accept-proxy' maybe ?"),
        ("bind :114 no-tlsv14", "'bind :114' in section 'frontend': unknown keyword 'no-tlsv14'; did you mean 'no-tlsv10' maybe ?"),
        ("bind :112 thread 2/1", "'bind :112' in section 'frontend' : '2/1' thread-group number must be between 1 and 1 (was 2)"),
    ];
    for (l, want) in cases {
        let got = one(&format!("frontend f\n  {l}\n"));
        assert_eq!(got, [format!("A parsing [t.cfg:2] : {want}")], "{l}");
    }
}

#[test]
fn bind_id_duplicate_and_process_warning() {
    let got = one("frontend f\n  bind :88 id 7\n  bind :89 id 7\n  bind :92 process 1/2\n");
    assert_eq!(
        got,
        [
            "A parsing [t.cfg:3] : 'bind :89' in section 'frontend' : 'id' : custom id 7 already used at t.cfg:2 ('bind :88')",
            "W parsing [t.cfg:4] : 'bind :92' in section 'frontend' : 'process 1/2' on 'bind' lines is deprecated and will be removed in 2.7. Please use 'thread 2' instead."
        ]
    );
}

#[test]
fn bind_tls_files() {
    let dir = std::env::temp_dir().join(format!("bindsrv-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.pem");
    let (cert, key) = crate::tls::test_pems("good");
    std::fs::write(&good, format!("{cert}{key}")).unwrap();
    let certonly = dir.join("c.pem");
    std::fs::write(&certonly, &cert).unwrap();
    let garbage = dir.join("g.pem");
    std::fs::write(&garbage, "garbage\n").unwrap();
    let list = dir.join("l.lst");
    std::fs::write(
        &list,
        format!("# c\n{} [alpn h2] www.example.org\n", good.display()),
    )
    .unwrap();
    let (g, c, x, l) = (
        good.display(),
        certonly.display(),
        garbage.display(),
        list.display(),
    );
    let st = mini_load(&format!(
        "frontend f\n  bind :443 ssl crt {g} crt-list {l} alpn h2,http/1.1\n  bind :444 ssl crt {x}\n  bind :445 ssl crt {c}\n  bind :446 ssl crt /nonexistent.pem\n  bind :447 ssl crt {g} ca-file /nonexist-ca.pem\n"
    ));
    assert_eq!(
        texts(&st),
        [
            format!("A parsing [t.cfg:3] : 'bind :444' in section 'frontend' : unable to load certificate from file '{x}'."),
            format!("A parsing [t.cfg:4] : 'bind :445' in section 'frontend' : No Private Key found in '{c}.key'."),
            "A parsing [t.cfg:5] : 'bind :446' in section 'frontend' : unable to stat SSL certificate from file '/nonexistent.pem' : No such file or directory.".to_string(),
            "A Couldn't open the ca-file '/nonexist-ca.pem' (No such file or directory).".to_string(),
            "A parsing [t.cfg:6] : 'bind :447' in section 'frontend' : 'ca-file' : unable to load /nonexist-ca.pem".to_string(),
        ]
    );
    let b = &st.model.proxies[0].binds[0];
    assert!(b.options.ssl);
    assert_eq!(b.options.alpn.as_deref(), Some("h2,http/1.1"));
    assert_eq!(b.options.crt_list.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stats_socket_forms() {
    let st = mini_load("global\n  stats socket /tmp/x.sock level foo\n  stats socket /tmp/y.sock leve admin\n  stats socket *:{{\n  stats socket\n");
    assert_eq!(
        texts(&st),
        [
            "A parsing [t.cfg:2] : 'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got 'foo')'",
            "A parsing [t.cfg:3] : 'stats socket' : unknown keyword 'leve'. Did you mean 'level' maybe ?",
            "A parsing [t.cfg:4] : parsing [t.cfg:4] : 'stats socket' : invalid character '{' in port number '{{' in '*:{{'\n\n\n",
            "A parsing [t.cfg:5] : 'stats socket' in global section expects an address or a path to a UNIX socket",
        ]
    );
}

#[test]
fn process_numbers() {
    assert!(parse_process_number("all", 64).is_ok());
    assert!(parse_process_number("1-4", 64).is_ok());
    assert!(parse_process_number("3-", 64).is_ok());
    assert!(parse_process_number("2", 1).is_err());
    assert_eq!(
        parse_process_number("a", 64).unwrap_err(),
        "'a' is not a valid number/range."
    );
}

#[test]
fn ca_files_need_certificates() {
    let dir = std::env::temp_dir().join(format!("bindsrv-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("g.pem");
    std::fs::write(&garbage, "garbage\n").unwrap();
    let g = garbage.display();
    let st = mini_load(&format!(
        "frontend f\n  bind :1 crl-file {g}\nbackend b\n  server s 1.1.1.1:443 ssl ca-file {g}\n"
    ));
    assert_eq!(
        texts(&st),
        [
            format!("A Couldn't open the ca-file '{g}' (no certificate or crl found)."),
            format!("A parsing [t.cfg:2] : 'bind :1' in section 'frontend' : 'crl-file' : unable to load {g}"),
            format!("A [t.cfg:4] : 'server b/s' : Couldn't open the ca-file '{g}' (no certificate or crl found)."),
            format!("A 'ca-file' : unable to load {g}."),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn crt_list_lines() {
    use super::ssl::load_crt_list;
    let dir = std::env::temp_dir().join(format!("bindsrv-cl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("p.pem");
    let (cert, key) = crate::tls::test_pems("p");
    std::fs::write(&pem, format!("{cert}{key}")).unwrap();
    let p = pem.display().to_string();
    let st = mini_load("");
    let cases = [
        (
            format!("{p} [alpn h2 foo] www\n"),
            Err("unknown ssl keyword foo"),
        ),
        (
            format!("{p} [alpn] www\n"),
            Err("ssl args out of '[]' for alpn"),
        ),
        (format!("{p} [alpn h2]] www\n"), Err("too many ']'")),
        (
            format!("[alpn h2] {p}\n"),
            Err("file must start with a cert"),
        ),
        (
            format!("\n  \n#c\n{p} [verify none no-ca-names] a.com !b.com\n"),
            Ok(1),
        ),
    ];
    for (i, (text, want)) in cases.into_iter().enumerate() {
        let f = dir.join(format!("l{i}.lst"));
        std::fs::write(&f, &text).unwrap();
        let got = load_crt_list(&st, &f.display().to_string());
        match want {
            Ok(n) => assert_eq!(got.unwrap().len(), n),
            Err(m) => assert!(got.unwrap_err().ends_with(m), "{text}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
