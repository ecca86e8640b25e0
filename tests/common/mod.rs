//! Shared machinery of the compatibility tests: run HAProxy (the oracle) and haproxy-rs on
//! the same configuration and decide whether their `-c` verdicts agree.
//!
//! Expected verdicts are never stored: HAProxy 2.6 is run every time, so the tests follow the
//! oracle binary rather than a snapshot that could silently go stale.
//!
//! Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod proc;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Per-run limit: a check that hangs (a blocking file) must not hang the suite. Generous
/// because unresolvable server names cost the system resolver's time-out (5 s, twice) per
/// name when the name server does not answer, for both binaries alike.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The haproxy-rs binary under test: the one cargo built for this test crate, or
/// `HAPROXY_RS_BIN` (e.g. a release build, or another branch's binary).
pub fn rs_bin() -> PathBuf {
    std::env::var_os("HAPROXY_RS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_haproxy-rs")))
}

/// The HAProxy 2.6 binary used as the oracle. Panics with instructions when it is missing
/// or is not 2.6: a missing oracle must fail the test, never make it pass vacuously.
pub fn oracle() -> PathBuf {
    let path = std::env::var_os("HAPROXY_RS_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/haproxy"));
    assert!(
        path.exists(),
        "HAProxy 2.6 (the oracle) not found at {}: install it \
         (`apt-get install haproxy` on Debian 12 gives 2.6) or point HAPROXY_RS_ORACLE at it",
        path.display()
    );
    let out = Command::new(&path)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run oracle {}: {e}", path.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("version 2.6."),
        "oracle {} is not HAProxy 2.6: {}",
        path.display(),
        text.lines().next().unwrap_or("")
    );
    path
}

/// The corpus folder: `../shared/configs` beside the repository, or `HAPROXY_RS_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("HAPROXY_RS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/configs"));
    assert!(
        dir.is_dir(),
        "corpus folder {} not found: put shared/configs beside the repository \
         or set HAPROXY_RS_CORPUS",
        dir.display()
    );
    dir
}

/// The corpus configurations (file names, sorted), optionally narrowed by the
/// `HAPROXY_RS_FILTER` substring to rerun one case.
pub fn corpus_files(dir: &Path) -> Vec<String> {
    let filter = std::env::var("HAPROXY_RS_FILTER").unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cfg") && n.contains(&filter))
        .collect();
    names.sort();
    names
}

/// HAProxy's `-c` exit status, as a class: what a caller of `haproxy -c` acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    Valid,
    Invalid,
    /// Exit 2: valid but nothing to listen on ("will not start").
    NoListener,
    /// Any other exit status or a signal.
    Other(String),
    Timeout,
    /// The binary could not be started.
    SpawnError(String),
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Class::Valid => f.write_str("valid(0)"),
            Class::Invalid => f.write_str("invalid(1)"),
            Class::NoListener => f.write_str("no-listener(2)"),
            Class::Other(s) => write!(f, "other({s})"),
            Class::Timeout => f.write_str("timeout"),
            Class::SpawnError(e) => write!(f, "spawn-error({e})"),
        }
    }
}

/// What one `-c` run said.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub class: Class,
    /// The first `[ALERT]` line, without the tag and pid.
    pub first_alert: Option<String>,
    /// `file:line` named by the first alert, if it names one.
    pub loc: Option<String>,
    pub elapsed: Duration,
}

impl Outcome {
    /// One-line description for disagreement reports.
    pub fn describe(&self) -> String {
        let alert = self.first_alert.as_deref().unwrap_or("(no alert)");
        format!("{} {}", self.class, truncate(alert, 220))
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// Runs `bin -c -f cfg` with `dir` as working directory (configs use paths relative to it).
pub fn check(bin: &Path, dir: &Path, cfg: &str) -> Outcome {
    check_args(bin, dir, &["-c", "-f", cfg], &[])
}

/// Runs `bin args…` in `dir` with extra environment variables, bounded by [`RUN_TIMEOUT`].
pub fn check_args(bin: &Path, dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Outcome {
    let start = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                class: Class::SpawnError(e.to_string()),
                first_alert: None,
                loc: None,
                elapsed: start.elapsed(),
            }
        }
    };
    match wait_bounded(child, RUN_TIMEOUT) {
        Some(out) => outcome_of(&out, start.elapsed()),
        None => Outcome {
            class: Class::Timeout,
            first_alert: None,
            loc: None,
            elapsed: start.elapsed(),
        },
    }
}

/// Waits for `child` at most `limit`; kills it (by its own pid) when it overruns.
/// A helper thread does the blocking wait so that no polling sleep is needed.
pub fn wait_bounded(child: std::process::Child, limit: Duration) -> Option<Output> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(res) => res.ok(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let _ = rx.recv_timeout(Duration::from_secs(2));
            None
        }
    }
}

fn outcome_of(out: &Output, elapsed: Duration) -> Outcome {
    let class = match out.status.code() {
        Some(0) => Class::Valid,
        Some(1) => Class::Invalid,
        Some(2) => Class::NoListener,
        Some(c) => Class::Other(c.to_string()),
        None => Class::Other(format!("{:?}", out.status)),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first_alert = first_alert(&stderr).or_else(|| first_alert(&stdout));
    let loc = first_alert.as_deref().and_then(alert_loc);
    Outcome {
        class,
        first_alert,
        loc,
        elapsed,
    }
}

/// The first `[ALERT]` line of `text`, with the tag and `(pid) : ` removed so that two runs
/// can be compared.
pub fn first_alert(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with("[ALERT]"))?;
    let rest = line["[ALERT]".len()..].trim_start();
    let rest = match rest.strip_prefix('(') {
        Some(r) => match r.find(") : ") {
            Some(i) => &r[i + 4..],
            None => rest,
        },
        None => rest,
    };
    Some(rest.to_string())
}

/// The `file:line` an alert (as returned by [`first_alert`]) is about: HAProxy writes it as
/// `parsing [f:l] : …`, `parsing [f:l]: …` or, in post-parse checks, `[f:l] : …`.
pub fn alert_loc(alert: &str) -> Option<String> {
    let rest = alert.strip_prefix("config : ").unwrap_or(alert);
    let rest = rest.strip_prefix("parsing ").unwrap_or(rest);
    let inner = rest.strip_prefix('[')?;
    let inner = &inner[..inner.find(']')?];
    let (file, line) = inner.rsplit_once(':')?;
    if file.is_empty() || line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{file}:{line}"))
}

/// Do the two runs give the same verdict? Same exit class and, when both reject, the same
/// `file:line` in the first alert (the line a user is sent to). When HAProxy's first alert
/// names no line (post-parse checks such as "unable to find required default_backend"),
/// its text must match instead: otherwise any bare "Fatal errors found" would pass.
pub fn agree(oracle: &Outcome, rs: &Outcome) -> bool {
    if oracle.class != rs.class {
        return false;
    }
    if oracle.class != Class::Invalid {
        return true;
    }
    match &oracle.loc {
        Some(_) => oracle.loc == rs.loc,
        None => oracle.first_alert == rs.first_alert,
    }
}

/// Whether the two first alerts carry the same text (a stricter, informational measure).
pub fn same_text(oracle: &Outcome, rs: &Outcome) -> bool {
    oracle.first_alert.is_some() && oracle.first_alert == rs.first_alert
}

/// Number of worker threads (`HAPROXY_RS_JOBS`, default 2: the CI machines have 2 cores).
pub fn jobs() -> usize {
    std::env::var("HAPROXY_RS_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

/// Maps `f` over `items` with a bounded pool of `threads`, keeping the input order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item mapped"))
        .collect()
}

/// Counts of one comparison run, printed as the summary line the coordinator greps for.
#[derive(Debug, Default)]
pub struct Tally {
    pub agree: usize,
    pub disagree: usize,
    /// Agreeing rejections whose first alert text is also identical.
    pub same_text: usize,
    /// Agreeing rejections in total (denominator of `same_text`).
    pub rejections: usize,
}

impl Tally {
    /// Records one comparison; prints a line when the verdicts differ.
    pub fn record(&mut self, name: &str, oracle: &Outcome, rs: &Outcome) {
        if agree(oracle, rs) {
            self.agree += 1;
            if oracle.class == Class::Invalid {
                self.rejections += 1;
                if same_text(oracle, rs) {
                    self.same_text += 1;
                }
            }
        } else {
            self.disagree += 1;
            // One line per disagreement, so that `grep DISAGREE` gives the whole list.
            println!(
                "DISAGREE {name} | haproxy: {} | haproxy-rs: {}",
                oracle.describe(),
                rs.describe()
            );
        }
    }

    pub fn summary(&self, what: &str) -> String {
        format!("{what}: {} agree, {} disagree", self.agree, self.disagree)
    }

    pub fn text_summary(&self, what: &str) -> String {
        format!(
            "{what}: {} of {} agreeing rejections also have identical first-alert text",
            self.same_text, self.rejections
        )
    }
}
