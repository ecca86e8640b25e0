//! The differential suite: every scenario of `compat/differential/*.scn` (config, scripted
//! servers, raw clients) runs through HAProxy 2.6 (`/usr/sbin/haproxy`, the oracle) and
//! through haproxy-rs; what the clients and the servers saw must be identical.
//!
//! - Each scenario's own `expect` lines must hold on HAProxy's run (so a scenario cannot
//!   silently stop exercising what it claims).
//! - `compat/differential/expected-failures.txt` lists the scenarios known to differ today;
//!   an unlisted difference fails, and so does a listed scenario that now matches.
//! - `HAPROXY_RS_DIFF=all`: report every scenario, ignore the list (never fails on a
//!   difference). `HAPROXY_RS_DIFF_ONLY=<substring>`: only matching scenarios.
//!   `HAPROXY_RS_DIFF_JOBS=<n>`: parallel scenarios (default 3). `HAPROXY_RS_DIFF_SHOW=1`:
//!   print HAProxy's transcript of every scenario (to write a new scenario's expectations).
//!
//! The format and the comparison are described in `compat/differential/README.md`.

mod common;

#[path = "differential/diff.rs"]
mod diff;
#[path = "differential/run.rs"]
mod run;
#[path = "differential/scenario.rs"]
mod scenario;
#[path = "differential/wire.rs"]
mod wire;

use scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/differential")
}

fn scenarios() -> Vec<Scenario> {
    let all = scenario::load_dir(&scenario_dir()).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = std::collections::HashSet::new();
    for s in &all {
        assert!(seen.insert(s.name.clone()), "duplicate scenario {}", s.name);
    }
    all
}

/// `name  reason…` lines; `#` comments.
fn expected_failures() -> BTreeMap<String, String> {
    let path = scenario_dir().join("expected-failures.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(
            !reason.trim().is_empty(),
            "expected-failures.txt:{}: `{name}` needs a one-line reason",
            no + 1
        );
        assert!(
            out.insert(name.to_string(), reason.trim().to_string())
                .is_none(),
            "expected-failures.txt:{}: `{name}` listed twice",
            no + 1
        );
    }
    out
}

fn jobs() -> usize {
    std::env::var("HAPROXY_RS_DIFF_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

struct Outcome {
    name: String,
    oracle: run::Run,
    rs: run::Run,
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn differential() {
    let oracle = common::oracle();
    let rs = common::rs_bin();
    let all_mode = std::env::var("HAPROXY_RS_DIFF").is_ok_and(|v| v == "all");
    let only = std::env::var("HAPROXY_RS_DIFF_ONLY").unwrap_or_default();
    let all = scenarios();
    let xfail = expected_failures();
    let mut problems: Vec<String> = Vec::new();
    for name in xfail.keys() {
        if !all.iter().any(|s| &s.name == name) {
            problems.push(format!(
                "expected-failures.txt lists `{name}`, which is no scenario"
            ));
        }
    }
    let picked: Vec<Scenario> = all.into_iter().filter(|s| s.name.contains(&only)).collect();
    assert!(
        !picked.is_empty(),
        "no scenario matches HAPROXY_RS_DIFF_ONLY={only}"
    );
    let t0 = Instant::now();
    let outcomes = common::par_map(&picked, jobs(), |sc| Outcome {
        name: sc.name.clone(),
        oracle: run::run(sc, &oracle, "haproxy"),
        rs: run::run(sc, &rs, "haproxy-rs"),
    });
    let (mut identical, mut expected, mut differ, mut now_match) = (0, 0, 0, 0);
    let show = std::env::var("HAPROXY_RS_DIFF_SHOW").is_ok_and(|v| v == "1");
    for (sc, o) in picked.iter().zip(&outcomes) {
        if show {
            println!(
                "HAPROXY     {} ({})\n    {}",
                o.name,
                sc.path.display(),
                o.oracle.transcript.join("\n    ")
            );
        }
        if !o.oracle.failed_expectations.is_empty() {
            problems.push(format!(
                "{}: the scenario's expectations do not hold on HAProxy:\n    {}\n  HAProxy's transcript:\n    {}\n  HAProxy's stderr:\n{}",
                o.name,
                o.oracle.failed_expectations.join("\n    "),
                o.oracle.transcript.join("\n    "),
                tail(&o.oracle.stderr, 10)
            ));
        }
        let same = o.oracle.transcript == o.rs.transcript;
        let listed = xfail.get(&o.name);
        match (same, listed) {
            (true, None) => {
                identical += 1;
                println!("identical  {}", o.name);
            }
            (true, Some(_)) => {
                identical += 1;
                now_match += 1;
                println!("identical  {} (listed as an expected failure)", o.name);
                if !all_mode {
                    problems.push(format!(
                        "{}: now identical to HAProxy: remove it from compat/differential/expected-failures.txt",
                        o.name
                    ));
                }
            }
            (false, Some(reason)) if !all_mode => {
                expected += 1;
                println!("expected   {} ({reason})", o.name);
            }
            (false, _) => {
                differ += 1;
                let report = format!(
                    "{}: haproxy-rs differs from HAProxy ({})\n{}\n  haproxy-rs stderr (tail):\n{}",
                    o.name,
                    sc.about,
                    diff::render(&o.oracle.transcript, &o.rs.transcript),
                    tail(&o.rs.stderr, 6)
                );
                println!("DIFFERS    {report}");
                if !all_mode {
                    problems.push(format!(
                        "{}: differs and is not in expected-failures.txt",
                        o.name
                    ));
                }
            }
        }
    }
    println!(
        "differential: {} scenarios, {identical} identical, {expected} expected failures, {differ} unexpected differences{} ({:.1} s)",
        picked.len(),
        if all_mode { " (HAPROXY_RS_DIFF=all)".to_string() } else { format!(", {now_match} listed but identical") },
        t0.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}

/// The harness itself: HAProxy against HAProxy gives identical transcripts (no false
/// differences from timing), on scenarios with keep-alive, pipelining, timeouts, queues
/// and errors.
#[test]
fn harness_is_deterministic() {
    let oracle = common::oracle();
    let names = [
        "keepalive-client-reuse",
        "pipelining-three",
        "timeout-server-504",
        "maxconn-queue-timeout-503",
        "smuggle-cl-te",
        "balance-roundrobin",
        "tcp-half-close",
    ];
    let all = scenarios();
    let picked: Vec<&Scenario> = names
        .iter()
        .map(|n| {
            all.iter()
                .find(|s| &s.name == n)
                .unwrap_or_else(|| panic!("no scenario {n}"))
        })
        .collect();
    let outcomes = common::par_map(&picked, jobs(), |sc| {
        (run::run(sc, &oracle, "a"), run::run(sc, &oracle, "b"))
    });
    let mut bad = Vec::new();
    for (sc, (a, b)) in picked.iter().zip(&outcomes) {
        assert!(
            a.failed_expectations.is_empty(),
            "{}: {:?}",
            sc.name,
            a.failed_expectations
        );
        if a.transcript != b.transcript {
            bad.push(format!(
                "{}\n{}",
                sc.name,
                diff::render(&a.transcript, &b.transcript)
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "HAProxy vs HAProxy differ:\n{}",
        bad.join("\n")
    );
}

/// A difference is caught and shown: the same scenario with one server byte changed.
#[test]
fn harness_sees_a_difference() {
    let oracle = common::oracle();
    let all = scenarios();
    let sc = all
        .iter()
        .find(|s| s.name == "get-basic")
        .expect("get-basic");
    let mut other = sc.clone();
    for s in &mut other.servers {
        for st in &mut s.steps {
            if let scenario::SStep::Send(b) = st {
                *b = String::from_utf8_lossy(b)
                    .replace("hello", "HELLO")
                    .into_bytes();
            }
        }
    }
    let a = run::run(sc, &oracle, "a");
    let b = run::run(&other, &oracle, "b");
    assert!(
        a.failed_expectations.is_empty(),
        "{:?}",
        a.failed_expectations
    );
    assert_ne!(a.transcript, b.transcript);
    let d = diff::render(&a.transcript, &b.transcript);
    assert!(
        d.contains("- c1   body \"hello\"") && d.contains("+ c1   body \"HELLO\""),
        "{d}"
    );
}

/// A scenario whose stated expectation is wrong about HAProxy is caught.
#[test]
fn harness_catches_a_wrong_expectation() {
    let oracle = common::oracle();
    let all = scenarios();
    let mut sc = all
        .iter()
        .find(|s| s.name == "get-basic")
        .expect("get-basic")
        .clone();
    for st in &mut sc.clients[0].steps {
        if let scenario::CStep::Expect(scenario::CExpect::Status(s)) = st {
            *s = 201;
        }
    }
    sc.servers[0]
        .expects
        .push(scenario::SExpect::Connections(2));
    let r = run::run(&sc, &oracle, "wrong");
    assert_eq!(
        r.failed_expectations.len(),
        2,
        "{:?}",
        r.failed_expectations
    );
    assert!(
        r.failed_expectations[0].contains("Status(201)"),
        "{:?}",
        r.failed_expectations
    );
}
