//! Runs the `haproxy-rs` binary as scripts and VTest do, and compares it with HAProxy's
//! command line (`/usr/sbin/haproxy`, when installed) on exit codes and first alerts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-rs");
const HAPROXY: &str = "/usr/sbin/haproxy";

fn run_in(dir: &Path, prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .current_dir(dir)
        .env_remove("HAPROXY_RS_TEST_UNSET")
        .output()
        .expect("run binary")
}

fn run(args: &[&str]) -> Output {
    run_in(&std::env::temp_dir(), BIN, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("haproxy-rs-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn version_first_line() {
    let o = run(&["-v"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("HAProxy version 2.6.12-haproxy-rs-"),
        "{first}"
    );
    assert!(first.ends_with(" - https://haproxy.org/"));
    assert!(out.contains("\nStatus: long-term supported branch"));
}

#[test]
fn vv_shape() {
    let o = run(&["-vv"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("HAProxy version 2.6.12-"));
    for needle in [
        "\nBuild options :\n  TARGET  = linux-glibc\n",
        "\nFeature list : ",
        " +OPENSSL ",
        " -LUA ",
        "\nDefault settings :\n",
        "\nAvailable polling systems :\n",
        "\nAvailable services : prometheus-exporter\n",
        "\nAvailable filters :\n\t[CACHE] cache\n",
    ] {
        assert!(out.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn usage_on_unknown_flag() {
    let o = run(&["-z"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("HAProxy version "));
    let err = stderr(&o);
    assert!(
        err.starts_with("Usage : haproxy-rs [-f <cfgfile|cfgdir>]* [ -vdVD ]"),
        "{err}"
    );
    assert!(err.contains("        -cc check condition : evaluate a condition and exit\n"));
    // No configuration file at all is also a usage error.
    assert_eq!(run(&["-c"]).status.code(), Some(1));
    // An option missing its parameter fails before anything else, as in HAProxy.
    let o = run(&["-c", "-f"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(") : failed to copy argv.\n"));
}

#[test]
fn check_condition_exit_codes() {
    let cases: &[(&str, i32)] = &[
        ("version_atleast(2.5-dev0)", 0),
        ("version_atleast(1024)", 1),
        ("streq(foo,'foo')", 0),
        ("streq(\"foo bar\",'foo bar')", 0),
        ("streq(foo,bar)", 1),
        ("feature(OPENSSL) || !feature(OPENSSL)", 0),
        ("feature(LUA)", 1),
        ("1&&!0&&!((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))", 0),
        ("", 1),
        ("-1000 && 200", 0),
        ("200rrr", 2),
        ("!(0))", 2),
        ("streq(a,\"a)", 2),
    ];
    for (expr, code) in cases {
        assert_eq!(run(&["-cc", expr]).status.code(), Some(*code), "{expr}");
    }
    let o = run(&["-cc", "foo"]);
    assert!(stderr(&o).contains("[ALERT]    ("));
    assert!(stderr(&o).contains(
        " : config : Failed to evaluate condition: unparsable conditional expression 'foo'\n"
    ));
}

#[test]
fn check_mode_verdicts() {
    let d = scratch("check");
    std::fs::write(d.join("empty.cfg"), "global\n").unwrap();
    std::fs::write(d.join("bad.cfg"), ".if foo\n.endif\n").unwrap();
    let o = run_in(&d, BIN, &["-c", "-f", "empty.cfg"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stdout(&o),
        "Configuration file has no error but will not start (no listener) => exit(2).\n"
    );
    // -q silences the verdict but keeps the exit code.
    let o = run_in(&d, BIN, &["-c", "-q", "-f", "empty.cfg"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    // A master-worker always listens (its worker socketpair): valid.
    let o = run_in(&d, BIN, &["-W", "-c", "-f", "empty.cfg"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "Configuration file is valid\n");
    // Warnings are announced on stdout before the verdict.
    std::fs::write(d.join("warn.cfg"), ".warning \"careful\"\nglobal\n").unwrap();
    let o = run_in(&d, BIN, &["-W", "-c", "-f", "warn.cfg"]);
    assert_eq!(
        stdout(&o),
        "Warnings were found.\nConfiguration file is valid\n"
    );
    assert!(stderr(&o).contains("[WARNING]  ("));
    assert!(stderr(&o).contains(") : config : parsing [warn.cfg:1]: 'careful'.\n"));
    // -dW turns any warning into a failure.
    let o = run_in(&d, BIN, &["-W", "-dW", "-c", "-f", "warn.cfg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Some warnings were found and 'zero-warning' is set. Aborting.\n"));
    // So does the global keyword, wherever the warning comes from.
    std::fs::write(
        d.join("zw.cfg"),
        "global\n zero-warning\n.warning \"careful\"\n",
    )
    .unwrap();
    let o = run_in(&d, BIN, &["-W", "-c", "-f", "zw.cfg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Some warnings were found and 'zero-warning' is set. Aborting.\n"));
    // The global `quiet` silences the warnings that follow it, as -q does.
    std::fs::write(d.join("q.cfg"), "global\n quiet\n.warning \"careful\"\n").unwrap();
    let o = run_in(&d, BIN, &["-c", "-f", "q.cfg"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "");
    let o = run_in(&d, BIN, &["-c", "-f", "bad.cfg"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(
        " : config : parsing [bad.cfg:1]: unparsable conditional expression 'foo' in '.if' at position 1:\n  .if foo\n      ^\n"
    ));
    assert!(err.contains(" : config : Error(s) found in configuration file : bad.cfg\n"));
    // An aborting error stops there: no "Fatal errors found" line.
    assert!(!err.contains("Fatal errors found"));
    let o = run_in(&d, BIN, &["-c", "-f", "missing.cfg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(
        " : config : Cannot open configuration file/directory missing.cfg : No such file or directory\n"
    ));
}

#[test]
fn localpeer_is_exported_before_parsing() {
    let d = scratch("peer");
    std::fs::write(
        d.join("p.cfg"),
        ".if streq(\"${HAPROXY_LOCALPEER}\",\"node7\")\n.alert \"peer ok\"\n.endif\n",
    )
    .unwrap();
    let o = run_in(&d, BIN, &["-c", "-L", "node7", "-f", "p.cfg"]);
    assert!(stderr(&o).contains("'peer ok'."), "{}", stderr(&o));
    let o = run_in(&d, BIN, &["-c", "-L", "other", "-f", "p.cfg"]);
    assert!(!stderr(&o).contains("'peer ok'."));
}

#[test]
fn dk_shape() {
    let d = scratch("dk");
    std::fs::write(d.join("g.cfg"), "global\n").unwrap();
    let o = run_in(&d, BIN, &["-dKhelp,svc,flt,cfg", "-c", "-f", "g.cfg"]);
    let out = stdout(&o);
    assert!(out.starts_with("# List of supported keyword classes:\nall: list all keywords\n"));
    assert!(out.contains("# List of registered service names:\nprometheus-exporter\n"));
    assert!(out.contains("# List of registered filter names:\ncache [CACHE]\n"));
    assert!(out.contains("# List of registered configuration keywords:\nglobal\n"));
    // The dump comes before the -c verdict, and does not replace it.
    assert!(out.ends_with("(no listener) => exit(2).\n"));
    assert_eq!(o.status.code(), Some(2));
}

/// Strips the pid and haproxy-rs' own "not active yet" warnings from a message line.
fn normalize(line: &str) -> String {
    match (line.find('('), line.find(") : ")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &line[..a], &line[b + 1..]),
        _ => line.to_string(),
    }
}

fn first_alert(o: &Output) -> Option<String> {
    stderr(o)
        .lines()
        .find(|l| l.starts_with("[ALERT]"))
        .map(normalize)
}

/// Small configurations whose outcome depends on the command line, the reader and the
/// condition language: exit code and first alert must be HAProxy's.
#[test]
fn same_as_haproxy() {
    if !Path::new(HAPROXY).exists() {
        println!("note: {HAPROXY} absent, comparison with HAProxy skipped");
        return;
    }
    let d = scratch("cmp");
    let cfgs: &[(&str, &str)] = &[
        ("empty.cfg", ""),
        ("global.cfg", "global\n"),
        ("if_true.cfg", ".if 1\n.alert \"taken\"\n.endif\n"),
        (
            "if_false.cfg",
            ".if 0\n.alert \"taken\"\n.else\n.warning \"else\"\n.endif\nglobal\n",
        ),
        ("if_err.cfg", ".if streq(a)\n.endif\n"),
        ("if_paren.cfg", ".if 1 && (0 ||)\n.endif\n"),
        (
            "elif.cfg",
            ".if 0\n.elif version_atleast(2.6)\n.alert \"elif\"\n.endif\n",
        ),
        ("lone_endif.cfg", ".endif\n"),
        ("unterminated.cfg", ".if 1\nglobal\n"),
        ("outside.cfg", "maxconn 10\n"),
        ("unknown_directive.cfg", ".foo\n"),
        (
            "bad_ver.cfg",
            ".if version_atleast(2.7) || !defined(HAPROXY_RS_TEST_UNSET)\n.alert \"v\"\n.endif\n",
        ),
        ("trailing.cfg", ".if defined (X)\n.endif\n"),
        ("warning.cfg", ".warning \"w\"\nglobal\n"),
    ];
    for (name, text) in cfgs {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::create_dir_all(d.join("dir")).unwrap();
    std::fs::write(d.join("dir/a.cfg"), ".alert \"a\"\n").unwrap();
    std::fs::write(d.join("dir/a.cfg.cfg"), ".alert \"skipped\"\n").unwrap();
    let mut runs: Vec<Vec<&str>> = cfgs.iter().map(|(n, _)| vec!["-c", "-f", n]).collect();
    runs.push(vec!["-c", "-f", "dir/"]);
    runs.push(vec!["-c", "-f", "nonexistent.cfg"]);
    runs.push(vec!["-c", "-f", "global.cfg", "-f", "if_err.cfg"]);
    runs.push(vec!["-c", "-q", "-f", "if_err.cfg"]);
    runs.push(vec!["-c", "-C", "/nonexistent-dir", "-f", "global.cfg"]);
    runs.push(vec!["-c", "-sf", "12x", "-f", "global.cfg"]);
    runs.push(vec!["-dMfoo", "-c", "-f", "global.cfg"]);
    runs.push(vec!["-x"]);
    runs.push(vec!["-W", "-c", "-f", "global.cfg"]);
    runs.push(vec!["-W", "-c", "-f", "warning.cfg"]);
    runs.push(vec!["-W", "-dW", "-c", "-f", "warning.cfg"]);
    runs.push(vec!["-qc", "-f", "global.cfg"]);
    for e in [
        "streq(a#,a#)",
        "1 # x",
        "streq(a,\"a)",
        "version_before(2.6.13)",
        "defined(HOME)",
    ] {
        runs.push(vec!["-cc", e]);
    }
    for args in &runs {
        let ours = run_in(&d, BIN, args);
        let theirs = run_in(&d, HAPROXY, args);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "exit code of {args:?}"
        );
        assert_eq!(
            first_alert(&ours),
            first_alert(&theirs),
            "first alert of {args:?}"
        );
        // The usage case prints the version, which differs by design.
        if !args.contains(&"-x") {
            assert_eq!(stdout(&ours), stdout(&theirs), "stdout of {args:?}");
        }
    }
}

fn alerts(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("[ALERT]"))
        .map(normalize)
        .collect()
}

/// Start-up failures after the configuration is loaded: HAProxy names `argv[0]` as given
/// in `[<argv[0]>.main()]`, and only writes the `-p` pid file in `-W` / `-D` mode.
#[test]
fn startup_alerts_and_pidfile_like_haproxy() {
    if !Path::new(HAPROXY).exists() {
        println!("note: {HAPROXY} absent, comparison with HAProxy skipped");
        return;
    }
    let d = scratch("startup");
    // A port somebody else already listens on: binding fails.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let cfg = |p: u16| {
        format!(
            "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    \
             timeout connect 1s\nfrontend fe\n    bind 127.0.0.1:{p}\n    \
             http-request return status 200\n"
        )
    };
    std::fs::write(d.join("busy.cfg"), cfg(port)).unwrap();
    std::fs::write(d.join("none.cfg"), "defaults\n    mode http\n").unwrap();
    for args in [&["-d", "-f", "busy.cfg"][..], &["-d", "-f", "none.cfg"][..]] {
        let ours = run_in(&d, BIN, args);
        let theirs = run_in(&d, HAPROXY, args);
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        let strip = |v: Vec<String>, prog: &str| -> Vec<String> {
            v.into_iter().map(|a| a.replace(prog, "PROG")).collect()
        };
        assert_eq!(
            strip(alerts(&ours), BIN),
            strip(alerts(&theirs), HAPROXY),
            "alerts of {args:?}"
        );
        assert!(
            alerts(&ours)
                .iter()
                .any(|a| a.contains(&format!("[{BIN}.main()]"))),
            "{:?}",
            alerts(&ours)
        );
    }
    // The pid file: ignored in the foreground, an alert when it cannot be created in -W.
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(d.join("ok.cfg"), cfg(free)).unwrap();
    for prog in [BIN, HAPROXY] {
        let pid = d.join("fg.pid");
        let mut child = Command::new(prog)
            .args(["-d", "-f", "ok.cfg", "-p"])
            .arg(&pid)
            .current_dir(&d)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = child.kill();
        let _ = child.wait();
        assert!(!pid.exists(), "{prog} -d wrote its -p pid file");
    }
    let args = ["-W", "-f", "ok.cfg", "-p", "/nonexistent-dir/x.pid"];
    let ours = run_in(&d, BIN, &args);
    let theirs = run_in(&d, HAPROXY, &args);
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(
        alerts(&ours).last().map(|a| a.replace(BIN, "PROG")),
        alerts(&theirs).last().map(|a| a.replace(HAPROXY, "PROG")),
    );
    drop(busy);
    let _ = std::fs::remove_dir_all(&d);
}
