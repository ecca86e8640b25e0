//! Unit tests of the `global` section parser, messages checked against HAProxy 2.6.

use crate::config::{load_str, Diag, Level, Loaded, ParseEnv};

fn load(text: &str) -> Loaded {
    let env = ParseEnv {
        resolve_hosts: false,
        check_files: false,
        ncpus: 2,
        ..ParseEnv::default()
    };
    load_str("t.cfg", text, Diag::new(), env)
}

fn first_alert(text: &str) -> Option<String> {
    load(text)
        .diag
        .messages
        .iter()
        .find(|m| m.level == Level::Alert)
        .map(|m| m.text.clone())
}

fn check(line: &str, msg: &str) {
    assert_eq!(
        first_alert(&format!("global\n{line}\n")).as_deref(),
        Some(format!("parsing [t.cfg:2] : {msg}").as_str()),
        "{line}"
    );
}

fn check_tight(line: &str, msg: &str) {
    assert_eq!(
        first_alert(&format!("global\n{line}\n")).as_deref(),
        Some(format!("parsing [t.cfg:2]: {msg}").as_str()),
        "{line}"
    );
}

#[test]
fn typical_global_section() {
    let l = load(
        "global\n daemon\n maxconn 4096\n nbthread 4\n pidfile /run/haproxy.pid\n chroot /var/lib/haproxy\n uid 99\n gid 99\n tune.bufsize 16380\n tune.http.maxhdr 200\n stats socket /run/haproxy.sock mode 660 level admin\n stats timeout 30s\n hard-stop-after 1m\n log-tag hap\n spread-checks 5\n ssl-default-bind-ciphers HIGH\n ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n ca-base /etc/ssl/certs\n description my  load balancer\n",
    );
    assert_eq!(l.diag.alerts, 0);
    let g = l.config.expect("valid").global;
    assert!(g.daemon);
    assert_eq!(g.maxconn, Some(4096));
    assert_eq!(g.nbthread, Some(4));
    assert_eq!(g.pidfile.as_deref(), Some("/run/haproxy.pid"));
    assert_eq!(g.chroot.as_deref(), Some("/var/lib/haproxy"));
    assert_eq!((g.uid, g.gid), (Some(99), Some(99)));
    assert_eq!(g.tune.bufsize, Some(16384));
    assert_eq!(g.tune.http_maxhdr, Some(200));
    assert_eq!(g.stats_sockets.len(), 1);
    assert_eq!(g.stats_sockets[0].text, "/run/haproxy.sock");
    assert_eq!(g.stats_sockets[0].options.unix_mode, Some(0o660));
    assert_eq!(g.stats_sockets[0].options.level.as_deref(), Some("admin"));
    assert_eq!(g.stats_timeout, Some(30_000));
    assert_eq!(g.hard_stop_after, Some(60_000));
    assert_eq!(g.log_tag.as_deref(), Some("hap"));
    assert_eq!(g.spread_checks, Some(5));
    assert_eq!(g.ssl.bind_ciphers.as_deref(), Some("HIGH"));
    assert_eq!(
        g.ssl.bind_options,
        vec!["ssl-min-ver TLSv1.2", "no-tls-tickets"]
    );
    assert_eq!(g.ssl.ca_base.as_deref(), Some("/etc/ssl/certs"));
    assert_eq!(g.description.as_deref(), Some("my load balancer"));
}

#[test]
fn sections_merge_and_duplicates_are_soft() {
    let l = load("global\n maxconn 10\nglobal\n maxconn 20\n");
    // HAProxy alerts but the configuration stays valid.
    assert_eq!(l.diag.alerts, 1);
    assert_eq!(
        l.diag.first_alert().unwrap().text,
        "parsing [t.cfg:4] : 'maxconn' already specified. Continuing."
    );
    assert_eq!(l.config.expect("valid").global.maxconn, Some(10));
}

#[test]
fn removed_and_unknown() {
    check("nbproc 2", "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.");
    check("debug", "unknown keyword 'debug' in 'global' section");
    check_tight(
        "tune.chksize 10",
        "option 'tune.chksize' is not supported any more (tune.bufsize is used instead).",
    );
}

#[test]
fn argument_errors() {
    check(
        "daemon x",
        "'daemon' cannot handle unexpected argument 'x'.",
    );
    check(
        "master-worker foo",
        "'master-worker' only supports 'no-exit-on-failure' option.",
    );
    check("maxconn", "'maxconn' expects an integer argument.");
    check(
        "tune.bufsize -5",
        "'tune.bufsize' expects a positive integer argument.",
    );
    check(
        "tune.http.maxhdr 0",
        "'tune.http.maxhdr' expects a numeric value between 1 and 32767",
    );
    check(
        "tune.maxaccept 9999999999999999999999",
        "'tune.maxaccept' expects -1 or an integer from 0 to INT_MAX.",
    );
    check_tight(
        "tune.idletimer 5x",
        "unexpected character 'x' in argument to <tune.idletimer>.",
    );
    check(
        "nbthread 65",
        "'nbthread' value must be between 1 and 64 (was 65)",
    );
    check(
        "nbthread x",
        "'nbthread' passed a missing or unparsable integer value in 'x'",
    );
    check_tight(
        "spread-checks 51",
        "'spread-checks' needs a positive value in range 0..50.",
    );
    check_tight("node bad!", "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).");
    check_tight("setenv A", "'setenv' expects a name and a value.");
    check(
        "hard-stop-after 5x",
        "unexpected character 'x' in argument to <hard-stop-after>.\n\n",
    );
    check(
        "stats timeout 0",
        "'stats timeout' expects a positive value",
    );
    check("stats timeout", "'stats timeout' : unexpected character '");
    check(
        "stats foo",
        "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got 'foo')",
    );
    check(
        "stats socket",
        "'stats socket' in global section expects an address or a path to a UNIX socket",
    );
    check(
        "stats socket 127.0.0.1:",
        "parsing [t.cfg:2] : 'stats socket' : missing port specification in '127.0.0.1:'\n\n",
    );
    check(
        "cpu-map 1 2000",
        "cpu-map : supports CPU numbers from 0 to 1023.",
    );
    check(
        "cpu-map auto:1/1-4 0-2",
        "cpu-map : PROC/THREAD range and CPU sets must have the same size to be automatically bound",
    );
    check(
        "ssl-default-bind-options ssl-min-ver TLSv1.4",
        "'TLSv1.4' : unknown ssl/tls version on global statement 'ssl-default-bind-options'.",
    );
    check(
        "ssl-default-server-options prefer-client-ciphers",
        "unknown option 'prefer-client-ciphers' on global statement 'ssl-default-server-options'.",
    );
    check(
        "tune.fd.edge-triggered on",
        "'tune.fd.edge-triggered' directive is experimental, must be allowed via a global 'expose-experimental-directives'",
    );
    check(
        "set-var txn.a int(1)",
        "'set-var': cannot set variable 'txn.a', only scope 'proc' is permitted in the global section.",
    );
    check(
        "h1-case-adjust a B",
        "<from> and <to> must not differ execpt the case",
    );
    check(
        "tune.lua.maxmem 10x",
        "tune.lua.maxmem: invalid number 10x (error at 'x')",
    );
    check("lua-load", "'lua-load' expects a file name as parameter.");
    check(
        "issuers-chain-path",
        "global statement 'issuers-chain-path' expects a directory path as an argument.\n\n",
    );
}

#[test]
fn accepted_forms() {
    for line in [
        "maxconn 10x",
        "uid 0",
        "cpu-map 1/1-4 0-3",
        "cpu-map auto:1/1-4 0-3",
        "tune.ssl.cachesize x",
        "thread-group 1 1-4",
        "close-spread-time infinite",
        "set-var proc.a int(1)",
        "stats socket ipv4@127.0.0.1:9999 level admin",
        "stats bind-process all",
        "expose-experimental-directives",
        "log-send-hostname",
        "no busy-polling",
        "tune.vars.txn-max-size",
        "lua-load /nonexistent.lua",
    ] {
        assert_eq!(first_alert(&format!("global\n{line}\n")), None, "{line}");
    }
}

#[test]
fn cli_fd_must_be_a_socket() {
    use std::os::fd::AsRawFd;
    let sock = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fd = sock.as_raw_fd();
    let text = format!("global\nstats socket fd@{fd} level admin\n");
    assert_eq!(first_alert(&text), None);
    let file = std::fs::File::open("/proc/self/stat").unwrap();
    let text = format!("global\nstats socket fd@{} level admin\n", file.as_raw_fd());
    assert!(first_alert(&text)
        .unwrap()
        .ends_with("Socket operation on non-socket.\n\n\n"));
}

#[test]
fn mworker_max_reloads_is_only_a_warning() {
    let l = load("global\nmworker-max-reloads -1\n");
    assert!(l.config.is_some());
    let w = l
        .diag
        .messages
        .iter()
        .find(|m| m.level == Level::Warning)
        .unwrap();
    assert_eq!(
        w.text,
        "parsing [t.cfg:2] : (null)parsing [t.cfg:2] 'mworker-max-reloads' : invalid value -1, must be >= 0"
    );
}

#[test]
fn setenv_applies_to_later_lines() {
    let l = load(
        "global\n setenv HAPRS_TEST_GLOBAL_PIDF /tmp/x.pid\n pidfile \"${HAPRS_TEST_GLOBAL_PIDF}\"\n presetenv HAPRS_TEST_GLOBAL_PIDF other\n unsetenv HAPRS_TEST_GLOBAL_UNSET\n",
    );
    assert_eq!(l.diag.alerts, 0);
    assert_eq!(
        l.config.unwrap().global.pidfile.as_deref(),
        Some("/tmp/x.pid")
    );
    assert_eq!(
        std::env::var("HAPRS_TEST_GLOBAL_PIDF").as_deref(),
        Ok("/tmp/x.pid")
    );
}

#[test]
fn not_active_keywords_warn() {
    let l = load("global\n tune.h2.max-frame-size 16384\n");
    assert!(l.diag.messages.iter().any(|m| m.level == Level::Warning
        && m.text
            .contains("'tune.h2.max-frame-size' parsed but not active yet")));
}

/// Parses `text` then runs the global post-parse checks only.
fn post_check_alerts(text: &str, check_files: bool) -> Vec<String> {
    let env = ParseEnv {
        resolve_hosts: false,
        check_files,
        ncpus: 2,
        ..ParseEnv::default()
    };
    let mut st = crate::config::State::new(Diag::new(), env);
    crate::config::reader::read_text(&mut st, "t.cfg", text.as_bytes());
    super::post_check(&mut st);
    st.diag
        .messages
        .iter()
        .filter(|m| m.level >= Level::Warning && !m.text.contains("not active yet"))
        .map(|m| m.text.clone())
        .collect()
}

#[test]
fn post_checks() {
    assert_eq!(
        post_check_alerts("global\n thread-group 1 1\n", false),
        vec!["Remaining unassigned threads found (1) because all groups are in use. Please increase 'thread-groups', reduce 'nbthreads' or remove or extend 'thread-group' enumerations."]
    );
    assert!(post_check_alerts("global\n thread-group 1 1-2\n", false).is_empty());
    assert_eq!(
        post_check_alerts("global\n httpclient.resolvers.id foo\n", false),
        vec!["Proxy '<HTTPCLIENT>': Can't find resolvers section 'foo' for do-resolve action."]
    );
    assert_eq!(
        post_check_alerts("global\n h1-case-adjust-file /nonexistent/h1\n", true),
        vec!["h1-headers-case-adjust-file '/nonexistent/h1': failed to open file."]
    );
    assert_eq!(
        post_check_alerts("global\n server-state-file /nonexistent/state\n", true),
        vec!["config: Can't open global server state file '/nonexistent/state': No such file or directory"]
    );
}

#[test]
fn h1_case_file_contents() {
    let g = crate::model::Global::default();
    assert_eq!(
        super::h1_case_file("# c\n  content-type   Content-Type \n\nx-a X-A\n", &g),
        Ok(vec![
            ("content-type".into(), "Content-Type".into()),
            ("x-a".into(), "X-A".into())
        ])
    );
    assert_eq!(
        super::h1_case_file("ok\n", &g),
        Err("expect <to> at line 1".into())
    );
    assert_eq!(
        super::h1_case_file("a A\na A\n", &g),
        Err("duplicate entry 'a' at line 2".into())
    );
}

/// Suggestions as the HAProxy 2.6 binary makes them (candidates in HAProxy's order).
#[test]
fn unknown_keyword_suggestions() {
    let cases = [
        ("tune.zlib.memlevel", Some("tune.comp.maxlevel")),
        ("profiling.memory", Some("no-memory-trimming")),
        (
            "tune.h2.be.initial-window-size",
            Some("tune.h2.initial-window-size"),
        ),
        ("httpclient.timeout.connect", Some("tune.http.cookielen")),
        ("tune.ssl.ocsp-update.maxdelay", Some("tune.ssl.maxrecord")),
        ("tune.h1.zero-copy-fwd-recv", Some("tune.recv_enough")),
        ("tune.memory.hot-size", Some("tune.bufsize")),
        ("tune.glitches.kill.cpu-usage", Some("tune.ssl.cachesize")),
        (
            "tune.h2.max-total-streams",
            Some("tune.h2.max-concurrent-streams"),
        ),
        (
            "tune.lua.bool-sample-conversion",
            Some("tune.lua.session-timeout"),
        ),
        ("tune.max-checks-per-thread", Some("max-spread-checks")),
        ("stats-file", Some("stats")),
        ("tune.rcvbuf.frontend", Some("tune.rcvbuf.client")),
        ("tune.epoll.mask-events", Some("tune.maxpollevents")),
        ("debug", None),
        ("setcap", None),
        ("prealloc-fd", None),
        ("tune.disable-zero-copy-forwarding", None),
        ("harden.reject-privileged-ports.tcp", None),
        ("tune.quic.socket-owner", None),
        ("wurfl-data-file", None),
    ];
    for (kw, best) in cases {
        let msg = match best {
            Some(b) => {
                format!("unknown keyword '{kw}' in 'global' section; did you mean '{b}' maybe ?")
            }
            None => format!("unknown keyword '{kw}' in 'global' section"),
        };
        check(&format!("{kw} x"), &msg);
    }
}

#[test]
fn default_path_bases() {
    let env = ParseEnv {
        resolve_hosts: false,
        check_files: false,
        ncpus: 2,
        ..ParseEnv::default()
    };
    let mut st = crate::config::State::new(Diag::new(), env);
    assert_eq!(super::default_path_dir(&st, "/etc/h/x.cfg"), None);
    let mut set = |mode: &str, origin: Option<&str>| {
        st.model.global.default_path = Some((mode.into(), origin.map(Into::into)));
        (
            super::default_path_dir(&st, "/etc/h/x.cfg"),
            super::default_path_dir(&st, "x.cfg"),
        )
    };
    let p = |s: &str| Some(std::path::PathBuf::from(s));
    assert_eq!(set("config", None), (p("/etc/h"), None));
    assert_eq!(set("parent", None), (p("/etc/h/.."), p("..")));
    assert_eq!(set("origin", Some("/srv")), (p("/srv"), p("/srv")));
    assert_eq!(set("current", None), (None, None));
    assert_eq!(
        super::resolve_path(&st, "/etc/h/x.cfg", "/abs/f"),
        std::path::PathBuf::from("/abs/f")
    );
}

#[test]
fn every_listed_keyword_is_known() {
    for kw in super::keywords() {
        let a = first_alert(&format!("global\n{kw}\n")).unwrap_or_default();
        assert!(!a.contains("unknown keyword"), "{kw}: {a}");
    }
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/compat/keywords/reference/cfg.txt"
    ));
    let text = expected.expect("reference dump");
    {
        // The registered global keywords of the reference binary, one per tabbed line.
        let listed: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "global")
            .skip(1)
            .take_while(|l| l.starts_with('\t'))
            .map(str::trim)
            .collect();
        assert_eq!(listed, super::registered::NAMES.to_vec());
    }
}

#[test]
fn ssl_propquery() {
    use super::registered::{propquery_clauses, propquery_satisfiable};
    for ok in [
        "provider=default",
        "?fips=yes",
        "-fips",
        "fips!=yes",
        "provider=\"default\"",
    ] {
        assert!(propquery_satisfiable(ok), "{ok}");
    }
    for bad in ["foo", "fips=yes", "a=", "provider=legacy"] {
        assert!(propquery_clauses(bad).is_some(), "{bad}");
        assert!(!propquery_satisfiable(bad), "{bad}");
    }
    for malformed in ["1a", ",", "a b", "?", "=x"] {
        assert!(propquery_clauses(malformed).is_none(), "{malformed}");
    }
    check("ssl-propquery =x", "(null)");
    assert_eq!(
        post_check_alerts("global\n ssl-propquery foo\n", false),
        vec!["'server <HTTPCLIENT>/<HTTPSCLIENT>' : unable to allocate ssl context."]
    );
}
