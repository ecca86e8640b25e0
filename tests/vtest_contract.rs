//! The parts of the VTest contract (shared/design/vtest-contract.md) that can be checked
//! without VTest itself: start-up the way VTest starts haproxy (`sh -c "exec …"`, inherited
//! `fd@` listeners named by environment variables, the prepended `global` section), the `-cc`
//! conditions used as test gates, and the `-c` verdicts on the configurations embedded in
//! HAProxy 2.6's own reg-tests.
//!
//! Run: `cargo test --test vtest_contract -- --nocapture`.

mod common;

use common::{agree, check_args, jobs, oracle, par_map, rs_bin, Class, Outcome, Tally};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// What VTest writes before every test's own configuration (vtc_haproxy.c).
fn vtest_prelude(workdir: &Path) -> String {
    format!(
        "global\n    stats socket \"{}/stats.sock\" level admin mode 600\n    \
         stats socket \"fd@${{cli}}\" level admin\n\n",
        workdir.display()
    )
}

/// A listening socket the child inherits, as VTest creates one per `fd@${name}`.
fn inheritable_listener() -> TcpListener {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    // SAFETY: F_SETFD on a descriptor this listener owns only changes its close-on-exec
    // flag; no memory is involved.
    let rc = unsafe { libc::fcntl(l.as_raw_fd(), libc::F_SETFD, 0) };
    assert_eq!(rc, 0, "fcntl(F_SETFD) failed");
    l
}

/// Runs `bin -c -f cfg` exactly as VTest does: through `/bin/sh -c "exec …"`, in the
/// instance's work directory, with the listener fds in the environment.
/// `worker` adds `-W` (master-worker), as VTest does for `haproxy hN -W`.
fn vtest_check(
    bin: &Path,
    workdir: &Path,
    cfg: &Path,
    envs: &[(&str, &str)],
    worker: bool,
) -> Outcome {
    let bin = bin.to_str().expect("utf-8 path");
    let cfg = cfg.to_str().expect("utf-8 path");
    let script = if worker {
        "exec \"$0\" -c -W -f \"$1\""
    } else {
        "exec \"$0\" -c -f \"$1\""
    };
    check_args(
        Path::new("/bin/sh"),
        workdir,
        &["-c", script, bin, cfg],
        envs,
    )
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("haproxy-rs-vtest-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

const TYPICAL_TEST: &str = "global
    # a test's own global section follows VTest's: both must merge
    tune.idle-pool.shared off

defaults
    mode http
    timeout connect \"${HAPROXY_TEST_TIMEOUT-5s}\"
    timeout client  \"${HAPROXY_TEST_TIMEOUT-5s}\"
    timeout server  \"${HAPROXY_TEST_TIMEOUT-5s}\"

frontend fe1
    bind \"fd@${fe1}\"
    default_backend be1

backend be1
    server s1 127.0.0.1:1
";

#[test]
fn vtest_style_startup_config_is_accepted() {
    let haproxy = oracle();
    let dir = scratch("startup");
    let cfg = dir.join("cfg");
    std::fs::write(&cfg, vtest_prelude(&dir) + TYPICAL_TEST).expect("write cfg");
    let (cli, fe1) = (inheritable_listener(), inheritable_listener());
    let (cli_fd, fe1_fd) = (cli.as_raw_fd().to_string(), fe1.as_raw_fd().to_string());
    let envs = [("cli", cli_fd.as_str()), ("fe1", fe1_fd.as_str())];

    let ora = vtest_check(&haproxy, &dir, &cfg, &envs, false);
    let rs = vtest_check(&rs_bin(), &dir, &cfg, &envs, false);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        ora.class,
        Class::Valid,
        "oracle rejects the test config: {}",
        ora.describe()
    );
    assert_eq!(rs.class, Class::Valid, "haproxy-rs: {}", rs.describe());
}

#[test]
fn vtest_config_without_inherited_fds_is_rejected_like_haproxy() {
    let haproxy = oracle();
    let dir = scratch("nofd");
    let cfg = dir.join("cfg");
    std::fs::write(&cfg, vtest_prelude(&dir) + TYPICAL_TEST).expect("write cfg");
    // `${cli}` / `${fe1}` unset: HAProxy rejects `fd@` with an empty descriptor.
    let ora = vtest_check(&haproxy, &dir, &cfg, &[], false);
    let rs = vtest_check(&rs_bin(), &dir, &cfg, &[], false);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ora.class, Class::Invalid, "{}", ora.describe());
    assert!(
        agree(&ora, &rs),
        "haproxy: {}\nhaproxy-rs: {}",
        ora.describe(),
        rs.describe()
    );
}

/// Starts `bin <mode> -f cfg` the way VTest does (`sh -c "exec …"`, an inherited `fd@`
/// listener), waits until it serves, sends `sig` and returns how the process ended.
fn stop_status(bin: &Path, mode: &[&str], sig: i32) -> std::process::ExitStatus {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = scratch(&format!("stop-{}-{sig}-{}", mode.join(""), bin.display()).replace('/', "_"));
    let cfg = dir.join("cfg");
    let text = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    \
                timeout server 5s\n\nfrontend fe1\n    bind \"fd@${fe1}\"\n    \
                http-request return status 200\n";
    std::fs::write(&cfg, text).expect("write cfg");
    let fe1 = inheritable_listener();
    let addr = fe1.local_addr().expect("local addr");
    let pid_file = dir.join("pid");
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "exec \"$0\" {} -f \"$1\" -p \"$2\"",
            mode.join(" ")
        ))
        .arg(bin)
        .arg(&cfg)
        .arg(&pid_file)
        .current_dir(&dir)
        .env("fe1", fe1.as_raw_fd().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    drop(fe1);
    // Served once a request gets an answer (VTest itself has no readiness probe in -d).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = std::net::TcpStream::connect(addr).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(2))).ok();
        c.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            .ok();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        if out.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "{} never served", bin.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    if mode.contains(&"-W") {
        // VTest waits for the pid file with -W; HAProxy's master installs its signal
        // handlers a little after its worker starts serving.
        while std::fs::read_to_string(&pid_file).map_or(true, |p| p.trim().is_empty()) {
            assert!(Instant::now() < deadline, "no pid file");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // SAFETY: kill() on the pid of a child we spawned and have not reaped yet.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill");
    let deadline = Instant::now() + Duration::from_secs(5);
    let st = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{} {mode:?} still running 5 s after signal {sig}",
                bin.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_dir_all(&dir);
    st
}

/// VTest stops `haproxy hN -W` instances with SIGINT and wants exit status 130 (the
/// master's 128 + SIGINT); HAProxy's master exits 0 after SIGTERM. In `-d` mode VTest
/// accepts 0 or death by the signal: haproxy-rs exits 0.
#[test]
fn stop_signals_give_vtest_accepted_exit_status() {
    use std::os::unix::process::ExitStatusExt;
    let haproxy = oracle();
    for (mode, sig, want) in [
        (&["-W"][..], libc::SIGINT, 130),
        (&["-W", "-d"][..], libc::SIGINT, 130),
        (&["-W"][..], libc::SIGTERM, 0),
    ] {
        let ora = stop_status(&haproxy, mode, sig);
        assert_eq!(
            ora.code(),
            Some(want),
            "haproxy {mode:?} signal {sig}: {ora}"
        );
        let rs = stop_status(&rs_bin(), mode, sig);
        assert_eq!(
            rs.code(),
            Some(want),
            "haproxy-rs {mode:?} signal {sig}: {rs}"
        );
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let ora = stop_status(&haproxy, &["-d"], sig);
        assert!(
            ora.code() == Some(0) || ora.signal() == Some(sig),
            "haproxy -d signal {sig}: {ora}"
        );
        let rs = stop_status(&rs_bin(), &["-d"], sig);
        assert_eq!(rs.code(), Some(0), "haproxy-rs -d signal {sig}: {rs}");
    }
}

/// HAProxy counts its CLI sockets as listeners: a configuration with only a `stats
/// socket` (checks/*.vtc, server/cli_add_track_server.vtc, startup/automatic_maxconn.vtc)
/// starts instead of failing with "No enabled listener found".
#[test]
fn a_stats_socket_alone_is_enough_to_start() {
    use std::time::Duration;
    let haproxy = oracle();
    for bin in [haproxy, rs_bin()] {
        let dir = scratch(&format!("cli-only-{}", bin.display()).replace('/', "_"));
        let cfg = dir.join("cfg");
        let text = format!(
            "global\n    stats socket \"{}/stats.sock\" level admin mode 600\n\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    \
             timeout server 1s\n\nbackend be\n    server s1 127.0.0.1:9\n",
            dir.display()
        );
        std::fs::write(&cfg, text).expect("write cfg");
        let mut child = std::process::Command::new(&bin)
            .args(["-d", "-f"])
            .arg(&cfg)
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(700));
        let early = child.try_wait().expect("wait");
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            early.is_none(),
            "{} exited at once: {early:?}",
            bin.display()
        );
    }
}

/// Server addresses VTest leaves unexpanded (`${s1_addr}:${s1_port}` of a server that the
/// test does not declare, as server/cli_delete_server.vtc does) expand to `:`, the
/// unspecified address without a port. HAProxy does not ask such a `check` server for a
/// port (its `is_inet_addr()` is false for `0.0.0.0`/`::`), only real IPv4/IPv6 ones.
#[test]
fn checked_servers_on_the_unspecified_address_need_no_port() {
    let haproxy = oracle();
    let dir = scratch("anyaddr");
    let cases = [
        "${s1_addr}:${s1_port} check",
        ": check",
        "0.0.0.0 check",
        "[::]:0 check",
        "* check",
        "127.0.0.1 check",
        "[::1] check",
        "0.0.0.0 check addr 127.0.0.1",
        "127.0.0.1 check addr 0.0.0.0",
        "0.0.0.0 check addr 0.0.0.0",
        "127.0.0.1 check addr /tmp/x.sock",
        "0.0.0.0 check port 80",
    ];
    let mut bad = Vec::new();
    for (i, srv) in cases.iter().enumerate() {
        let cfg = dir.join(format!("cfg{i}"));
        let text = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    \
             timeout server 1s\n\nbackend be\n    server s1 {srv}\n"
        );
        std::fs::write(&cfg, text).expect("write cfg");
        let ora = vtest_check(&haproxy, &dir, &cfg, &[], false);
        let rs = vtest_check(&rs_bin(), &dir, &cfg, &[], false);
        if !agree(&ora, &rs) {
            bad.push(format!(
                "server s1 {srv}\n  haproxy: {}\n  haproxy-rs: {}",
                ora.describe(),
                rs.describe()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `-cc` expressions from startup/check_condition.vtc and the reg-tests' `feature cmd`
/// gates, with the exit status haproxy-rs must give (true = 0).
const CC_CASES: &[(&str, bool)] = &[
    ("version_atleast(2.5-dev0)", true),
    ("version_atleast(2.6-dev0)", true),
    ("version_atleast(2.5-dev9)", true),
    ("version_atleast(2.4)", true),
    ("version_atleast(1024)", false),
    ("streq(foo,'foo')", true),
    ("streq(\"foo bar\",'foo bar')", true),
    ("streq(foo,bar)", false),
    ("defined(TESTVAR) && streq(\"$TESTVAR\",\"1\")", true),
    ("defined(NO_SUCH_TESTVAR)", false),
    ("feature(OPENSSL) || !feature(OPENSSL)", true),
    ("1&&!0&&!((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))", true),
    (
        "1   &&!   0&&    !((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))",
        true,
    ),
    (
        "1 && !0 && !((streq(a,b) || !streq(a,a) && 1) || strneq(a,a))",
        true,
    ),
    (
        "1 && !0 && !((streq(a,b) || !streq(a,a) && 1) || strneq(a,b))",
        false,
    ),
    (
        "1 && !0 && !((streq(a,a) || !streq(a,a) && 1) || strneq(a,a))",
        false,
    ),
    ("", false),
    ("-1000 && 200", true),
    ("200rrr", false),
    ("!(0))", false),
    ("streq(a,\"a)", false),
];

#[test]
fn cc_conditions_match_check_condition_vtc() {
    let haproxy = oracle();
    let dir = std::env::temp_dir();
    let env = [("TESTVAR", "1")];
    let mut failures = Vec::new();
    for (expr, want) in CC_CASES {
        let ora = check_args(&haproxy, &dir, &["-cc", expr], &env);
        assert_eq!(
            ora.class == Class::Valid,
            *want,
            "oracle disagrees with check_condition.vtc on -cc '{expr}'"
        );
        let rs = check_args(&rs_bin(), &dir, &["-cc", expr], &env);
        if (rs.class == Class::Valid) != *want {
            failures.push(format!(
                "-cc '{expr}': want {}, got {}",
                want,
                rs.describe()
            ));
        }
    }
    // haproxy-rs has no Lua: tests gated on it must be skipped, not run and failed.
    let lua = check_args(&rs_bin(), &dir, &["-cc", "feature(LUA)"], &[]);
    if lua.class == Class::Valid {
        failures.push("-cc 'feature(LUA)' must be false for haproxy-rs".into());
    }
    println!(
        "cc: {} of {} conditions right",
        CC_CASES.len() + 1 - failures.len(),
        CC_CASES.len() + 1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// HAProxy's reg-tests folder: `target/haproxy-src/reg-tests` (scripts/test.sh extracts it
/// from Debian's haproxy source package), or
/// `HAPROXY_RS_REGTESTS`.
fn regtests_dir() -> PathBuf {
    let dir = std::env::var_os("HAPROXY_RS_REGTESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/haproxy-src/reg-tests")
        });
    assert!(
        dir.is_dir(),
        "HAProxy 2.6 reg-tests not found at {}: run scripts/test.sh (it extracts them from \
         Debian's haproxy source package) or set HAPROXY_RS_REGTESTS",
        dir.display()
    );
    dir
}

fn vtc_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            vtc_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "vtc") {
            out.push(p);
        }
    }
}

/// One `haproxy hN -conf… {…}` block of a `.vtc` file.
#[derive(Debug, PartialEq)]
struct VtcConf {
    instance: String,
    /// `-conf`, `-conf-OK` or `-conf-BAD`.
    mode: String,
    /// Started with `-W` (master-worker).
    worker: bool,
    text: String,
}

/// The `{…}` string starting at `s[0] == '{'`, as VTest's lexer reads it (braces nest, no
/// escapes); returns its content and the rest.
fn brace_string(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[1..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

fn extract_confs(vtc: &str) -> Vec<VtcConf> {
    let mut out = Vec::new();
    let mut rest = vtc;
    while let Some(pos) = rest.find("haproxy ") {
        let at_line_start = pos == 0 || rest[..pos].ends_with('\n');
        let cmd = &rest[pos..];
        rest = &cmd["haproxy ".len()..];
        let line = cmd.lines().next().unwrap_or("");
        if !at_line_start || !line.contains(" -conf") {
            continue;
        }
        let instance = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mode = line
            .split_whitespace()
            .find(|w| w.starts_with("-conf"))
            .unwrap_or("-conf")
            .to_string();
        let Some(open) = cmd.find('{') else { break };
        let Some((mut text, mut after)) = brace_string(&cmd[open..]) else {
            break;
        };
        if mode == "-conf-BAD" {
            // First brace string is the expected message, the second the configuration.
            let Some(open2) = after.find('{') else { break };
            let Some((t, a)) = brace_string(&after[open2..]) else {
                break;
            };
            (text, after) = (t, a);
        }
        out.push(VtcConf {
            instance,
            mode,
            worker: line.split_whitespace().any(|w| w == "-W"),
            text: text.to_string(),
        });
        rest = after;
    }
    out
}

/// Expands the macros VTest itself defines (`${tmpdir}`, `${testdir}`, `${sN_addr}`…), leaving
/// the others (`${fe1}`, `${HAPROXY_TEST_TIMEOUT-5s}`) for haproxy's environment expansion,
/// as VTest does with `feature ignore_unknown_macro`. Returns the text and the `fd@` names.
fn expand_macros(text: &str, tmpdir: &Path, testdir: &Path) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut fds = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let whole = &rest[i..i + 3 + end];
        let expanded = match name {
            "tmpdir" => tmpdir.display().to_string(),
            "testdir" => testdir.display().to_string(),
            n if n.ends_with("_addr") => "127.0.0.1".into(),
            n if n.ends_with("_port") => "9".into(),
            n if n.ends_with("_sock") => "127.0.0.1 9".into(),
            n if n.ends_with("_pid") => "4242".into(),
            n => {
                if out.ends_with("fd@") && !fds.iter().any(|f| f == n) {
                    fds.push(n.to_string());
                }
                whole.to_string()
            }
        };
        out.push_str(&expanded);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if !fds.iter().any(|f| f == "cli") {
        fds.push("cli".into());
    }
    (out, fds)
}

struct VtcJob {
    name: String,
    worker: bool,
    /// What the .vtc expects of HAProxy: `-conf-BAD` must be rejected.
    expect_valid: bool,
    workdir: PathBuf,
    cfg: PathBuf,
    envs: Vec<(String, String)>,
}

#[test]
fn regtest_configs_agree_with_haproxy() {
    let haproxy = oracle();
    let root = regtests_dir();
    let mut files = Vec::new();
    vtc_files(&root, &mut files);
    let base = scratch("regtests");
    // One inherited listener per fd@ name, shared by all configurations: `-c` only checks
    // that the descriptor is a listening socket.
    let mut listeners: BTreeMap<String, TcpListener> = BTreeMap::new();
    let mut jobs_list = Vec::new();
    for (n, vtc) in files.iter().enumerate() {
        let text = std::fs::read_to_string(vtc).expect("read vtc");
        let rel = vtc.strip_prefix(&root).unwrap_or(vtc).display().to_string();
        // Short, like VTest's /tmp/vtc.PID.XXXX: unix socket paths are limited to 107 bytes.
        let tmpdir = base.join(format!("t{n}"));
        let testdir = vtc.parent().expect("vtc dir");
        for conf in extract_confs(&text) {
            let workdir = tmpdir.join(&conf.instance);
            std::fs::create_dir_all(&workdir).expect("create workdir");
            let (body, fds) = expand_macros(&conf.text, &tmpdir, testdir);
            let cfg = workdir.join("cfg");
            std::fs::write(&cfg, vtest_prelude(&workdir) + &body).expect("write cfg");
            let envs = fds
                .iter()
                .map(|n| {
                    let l = listeners
                        .entry(n.clone())
                        .or_insert_with(inheritable_listener);
                    (n.clone(), l.as_raw_fd().to_string())
                })
                .collect();
            jobs_list.push(VtcJob {
                name: format!("{rel} {} {}", conf.instance, conf.mode),
                expect_valid: conf.mode != "-conf-BAD",
                worker: conf.worker,
                workdir,
                cfg,
                envs,
            });
        }
    }
    assert!(
        jobs_list.len() > 100,
        "only {} configurations found",
        jobs_list.len()
    );

    let results = par_map(&jobs_list, jobs(), |j| {
        let envs: Vec<(&str, &str)> = j
            .envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        (
            vtest_check(&haproxy, &j.workdir, &j.cfg, &envs, j.worker),
            vtest_check(&rs_bin(), &j.workdir, &j.cfg, &envs, j.worker),
        )
    });
    drop(listeners);
    let _ = std::fs::remove_dir_all(&base);

    let mut tally = Tally::default();
    let mut oracle_valid = 0;
    for (j, (ora, got)) in jobs_list.iter().zip(&results) {
        oracle_valid += usize::from(ora.class == Class::Valid);
        if (ora.class == Class::Valid) != j.expect_valid {
            // Not a haproxy-rs failure: shows where this harness is not VTest (e.g. -W).
            println!(
                "note: HAProxy's verdict differs from the .vtc: {}: {}",
                j.name,
                ora.describe()
            );
        }
        tally.record(&j.name, ora, got);
    }
    println!(
        "regtests: {} configurations from {} .vtc files, {} accepted by HAProxy",
        jobs_list.len(),
        files.len(),
        oracle_valid
    );
    println!("{}", tally.text_summary("regtests"));
    println!("{}", tally.summary("regtests"));
    assert_eq!(tally.disagree, 0, "{}", tally.summary("regtests"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_conf_blocks_with_nested_braces() {
        let vtc = "varnishtest \"x\"\nhaproxy h1 -conf {\n  log-format \"%{+Q}o\"\n} -start\n\
                   haproxy h2 -conf-BAD {} {\n  defaults\n}\nclient c1 -connect ${h1_fe1_sock} {\n} -run\n";
        let c = extract_confs(vtc);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].instance, "h1");
        assert_eq!(c[0].mode, "-conf");
        assert!(!c[0].worker);
        assert_eq!(c[0].text, "\n  log-format \"%{+Q}o\"\n");
        assert_eq!(c[1].mode, "-conf-BAD");
        assert_eq!(c[1].text, "\n  defaults\n");
    }

    #[test]
    fn expands_vtest_macros_only() {
        let (t, fds) = expand_macros(
            "bind \"fd@${fe1}\"\nserver s1 ${s1_addr}:${s1_port}\ncrt ${testdir}/a.pem\n\
             timeout client \"${HAPROXY_TEST_TIMEOUT-5s}\"\n",
            Path::new("/t"),
            Path::new("/d"),
        );
        assert_eq!(
            t,
            "bind \"fd@${fe1}\"\nserver s1 127.0.0.1:9\ncrt /d/a.pem\n\
             timeout client \"${HAPROXY_TEST_TIMEOUT-5s}\"\n"
        );
        assert_eq!(fds, ["fe1", "cli"]);
    }
}
