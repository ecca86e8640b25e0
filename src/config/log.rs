//! `log` lines (global and proxies): targets, length, format, sampling, facility, levels.
//! A port of HAProxy 2.6's `parse_logsrv()` (log.c), with its messages.

use super::addr::{self, SaAddr, SaOpts, SaRange};
use super::{Kwm, Line, State};
use crate::model::global::{LogDest, LogFormat, LogSample, LogTarget};
use std::net::SocketAddr;

/// Where a `log` line belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOwner {
    Global,
    /// Proxy index in `st.model.proxies`.
    Proxy(usize),
}

/// Syslog facility names, in numeric order.
pub const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// Syslog level names, in numeric order.
pub const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// HAProxy's `MAX_SYSLOG_LEN`.
pub const MAX_SYSLOG_LEN: u32 = 1024;
/// HAProxy's `SYSLOG_PORT`.
pub const SYSLOG_PORT: u16 = 514;

/// Parses `log …` / `no log` / `log global`. Returns HAProxy's error bits.
pub fn parse_log(st: &mut State, line: &Line, owner: LogOwner) -> u32 {
    let mut targets = match owner {
        LogOwner::Global => std::mem::take(&mut st.model.global.logs),
        LogOwner::Proxy(i) => match st.model.proxies.get_mut(i) {
            Some(p) => std::mem::take(&mut p.settings.logs),
            None => Vec::new(),
        },
    };
    let r = parse_into(st, line, &mut targets, owner == LogOwner::Global);
    match owner {
        LogOwner::Global => st.model.global.logs = targets,
        LogOwner::Proxy(i) => {
            if let Some(p) = st.model.proxies.get_mut(i) {
                p.settings.logs = targets;
            }
        }
    }
    r
}

/// Parses a `log` line into `targets`, a list the caller keeps (e.g. a `peers` or
/// `log-forward` section): the same rules and messages as in a proxy, `log global` included.
pub fn parse_log_into(st: &mut State, line: &Line, targets: &mut Vec<LogTarget>) -> u32 {
    parse_into(st, line, targets, false)
}

fn parse_into(st: &mut State, line: &Line, targets: &mut Vec<LogTarget>, global: bool) -> u32 {
    match parse_logsrv(st, line, targets, global) {
        Ok(()) => {
            st.used(line, "log");
            0
        }
        Err(msg) => {
            let mut text = format!("{} : {}", line.arg(0), msg);
            // HAProxy appends its own LF even when the message already ends with one.
            if text.ends_with('\n') {
                text.push('\n');
            }
            st.alert(line, text)
        }
    }
}

/// `parse_logsrv()`; `global` tells whether `targets` is the global list.
fn parse_logsrv(
    st: &State,
    line: &Line,
    targets: &mut Vec<LogTarget>,
    global: bool,
) -> Result<(), String> {
    let a = |i: usize| line.arg(i);
    if line.kwm == Kwm::No {
        if !a(1).is_empty() {
            return Err("'no log' does not expect arguments".into());
        }
        targets.clear();
        return Ok(());
    }
    if !a(1).is_empty() && a(2).is_empty() && a(1) == "global" {
        if global {
            return Err("'global' is not supported for a global syslog server".into());
        }
        copy_global(&st.model.global.logs, line, targets);
        return Ok(());
    }
    if a(1).is_empty() || a(2).is_empty() {
        return Err(format!(
            "expects <address> and <facility> {} as arguments",
            if global { "" } else { "or global" }
        ));
    }
    targets.push(parse_target(st, line)?);
    Ok(())
}

/// `log global`: appends the global targets not already copied.
fn copy_global(globals: &[LogTarget], line: &Line, targets: &mut Vec<LogTarget>) {
    for (i, g) in globals.iter().enumerate() {
        if targets.iter().any(|x| x.global_ref == Some(i)) {
            continue;
        }
        let mut node = g.clone();
        node.global_ref = Some(i);
        node.loc = line.loc.clone();
        targets.push(node);
    }
}

fn parse_target(st: &State, line: &Line) -> Result<LogTarget, String> {
    let a = |i: usize| line.arg(i);
    let mut cur = 2;
    let mut maxlen = MAX_SYSLOG_LEN;
    if a(cur) == "len" {
        let len = super::values::atoi(a(cur + 1));
        if !(80..=65535).contains(&len) {
            return Err(format!(
                "invalid log length '{}', must be between 80 and 65535",
                a(cur + 1)
            ));
        }
        maxlen = len as u32;
        cur += 2;
    }
    let mut format = LogFormat::default();
    if a(cur) == "format" {
        format = LogFormat::from_name(a(cur + 1))
            .ok_or_else(|| format!("unknown log format '{}'", a(cur + 1)))?;
        cur += 2;
    }
    let mut sample = None;
    if a(cur) == "sample" {
        sample = Some(parse_sample(a(cur + 1))?);
        cur += 2;
    }
    let facility = FACILITIES
        .iter()
        .position(|f| *f == a(cur))
        .ok_or_else(|| format!("unknown log facility '{}'", a(cur)))?;
    cur += 1;
    let mut level = 7;
    if !a(cur).is_empty() {
        level = LEVELS
            .iter()
            .position(|l| *l == a(cur))
            .ok_or_else(|| format!("unknown optional log level '{}'", a(cur)))?;
        cur += 1;
    }
    let mut minlevel = 0;
    if !a(cur).is_empty() {
        minlevel = LEVELS
            .iter()
            .position(|l| *l == a(cur))
            .ok_or_else(|| format!("unknown optional minimum log level '{}'", a(cur)))?;
        cur += 1;
    }
    if !a(cur).is_empty() {
        return Err(format!("cannot handle unexpected argument '{}'", a(cur)));
    }
    let text = a(1).to_string();
    let dest = parse_dest(st, &text)?;
    Ok(LogTarget {
        loc: line.loc.clone(),
        text,
        dest,
        maxlen,
        format,
        sample,
        facility: facility as u8,
        level: level as u8,
        minlevel: minlevel as u8,
        global_ref: None,
    })
}

/// C `read_uint()`: digits only, wrapping like the C code; returns the value and the bytes used.
fn read_uint(s: &str) -> (u32, usize) {
    let mut v: u32 = 0;
    let mut n = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as u32);
        n += 1;
    }
    (v, n)
}

/// One `low[-high]` range of a `sample` list (`get_logsrv_smp_range()`).
fn sample_range(item: &str, rest: &str) -> Result<(u32, u32), String> {
    let bad = || format!("wrong sample range '{rest}'");
    let (low, n) = read_uint(item);
    if low == 0 || (n != item.len() && item.as_bytes()[n] != b'-') {
        return Err(bad());
    }
    if n == item.len() {
        return Ok((low, low));
    }
    let tail = &item[n + 1..];
    let (high, m) = read_uint(tail);
    if high == 0 || high <= low || m != tail.len() {
        return Err(bad());
    }
    Ok((low, high))
}

/// `sample <ranges>:<size>`.
fn parse_sample(arg: &str) -> Result<LogSample, String> {
    let Some((list, size_str)) = arg.split_once(':') else {
        return Err("Missing sample size".into());
    };
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut max_high = 0;
    let mut rest = list;
    while !rest.is_empty() {
        let (item, next) = match rest.find(',') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (low, high) = sample_range(item, rest)?;
        if ranges
            .iter()
            .any(|&(l, h)| (low >= l && low <= h) || (high >= l && high <= h))
        {
            return Err("ranges are overlapping".into());
        }
        ranges.push((low, high));
        max_high = max_high.max(high);
        rest = next;
    }
    if ranges.is_empty() {
        return Err("no sampling ranges given".into());
    }
    let (size, n) = read_uint(size_str);
    if size == 0 || n != size_str.len() {
        return Err(format!(
            "wrong sample size '{size_str}' for sample range '{list}'"
        ));
    }
    if size < max_high {
        return Err(format!(
            "sample size {size} should be greater or equal to {max_high} the maximum of the high ranges limits"
        ));
    }
    ranges.sort();
    Ok(LogSample { ranges, size })
}

/// The target address: `ring@`, `stdout`/`stderr`, then `str2sa_range()`.
fn parse_dest(st: &State, text: &str) -> Result<LogDest, String> {
    if let Some(ring) = text.strip_prefix("ring@") {
        return Ok(LogDest::Ring(ring.to_string()));
    }
    let text = match text {
        "stdout" => "fd@1",
        "stderr" => "fd@2",
        t => t,
    };
    let opts = SaOpts {
        resolve: st.env.resolve_hosts,
        dgram: true,
        allow_fd: true,
        allow_unix: true,
        ..SaOpts::default()
    };
    let sa = str2sa(text, &opts)?;
    let stream = sa.prefix.as_deref().is_some_and(|p| p.starts_with("tcp"));
    Ok(match sa.addr {
        SaAddr::Inet(ip) => {
            let port = if sa.no_port || sa.port_low == 0 {
                SYSLOG_PORT
            } else {
                sa.port_low
            };
            let sock = SocketAddr::new(ip, port);
            if stream {
                LogDest::Tcp(sock)
            } else {
                LogDest::Udp(sock)
            }
        }
        SaAddr::Unix(p) => LogDest::Unix(p),
        SaAddr::Abns(p) => LogDest::Abns(p),
        SaAddr::Fd(fd) | SaAddr::SockPair(fd) => LogDest::Fd(fd),
        SaAddr::Unresolved(s) => LogDest::Other(s),
    })
}

/// `str2sa_range()`; a separate name so log targets read like HAProxy's `parse_logsrv`.
pub(crate) fn str2sa(text: &str, opts: &SaOpts) -> Result<SaRange, String> {
    addr::str2sa_range(text, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_str, Diag, Level, ParseEnv};

    fn env() -> ParseEnv {
        ParseEnv {
            resolve_hosts: false,
            check_files: false,
            ncpus: 2,
            ..ParseEnv::default()
        }
    }

    fn alerts(text: &str) -> Vec<String> {
        let l = load_str("t.cfg", text, Diag::new(), env());
        l.diag
            .messages
            .iter()
            .filter(|m| m.level == Level::Alert && m.at.is_some())
            .map(|m| m.text.clone())
            .collect()
    }

    fn global_logs(text: &str) -> Vec<LogTarget> {
        let l = load_str("t.cfg", text, Diag::new(), env());
        l.config.expect("config should load").global.logs
    }

    #[test]
    fn typical_targets() {
        let logs = global_logs(
            "global\n log 127.0.0.1 local0\n log 10.0.0.1:1514 len 2048 format rfc5424 local1 info notice\n log stdout format raw daemon\n log /dev/log local2\n log ring@buf user\n",
        );
        assert_eq!(logs.len(), 5);
        assert_eq!(logs[0].dest, LogDest::Udp("127.0.0.1:514".parse().unwrap()));
        assert_eq!(logs[0].facility, 16);
        assert_eq!(logs[0].level, 7);
        assert_eq!(logs[1].dest, LogDest::Udp("10.0.0.1:1514".parse().unwrap()));
        assert_eq!(logs[1].maxlen, 2048);
        assert_eq!(logs[1].format, LogFormat::Rfc5424);
        assert_eq!((logs[1].level, logs[1].minlevel), (6, 5));
        assert_eq!(logs[2].dest, LogDest::Fd(1));
        assert_eq!(logs[3].dest, LogDest::Unix("/dev/log".into()));
        assert_eq!(logs[4].dest, LogDest::Ring("buf".into()));
    }

    #[test]
    fn no_log_clears() {
        let logs = global_logs("global\n log 127.0.0.1 local0\n no log\n log 127.0.0.2 local0\n");
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].text, "127.0.0.2");
    }

    #[test]
    fn errors() {
        let cases = [
            ("log", "log : expects <address> and <facility>  as arguments"),
            (
                "log global",
                "log : 'global' is not supported for a global syslog server",
            ),
            ("no log x", "log : 'no log' does not expect arguments"),
            (
                "log 127.0.0.1 len 79 local0",
                "log : invalid log length '79', must be between 80 and 65535",
            ),
            (
                "log 127.0.0.1 format foo local0",
                "log : unknown log format 'foo'",
            ),
            ("log 127.0.0.1 foo", "log : unknown log facility 'foo'"),
            (
                "log 127.0.0.1 local0 foo",
                "log : unknown optional log level 'foo'",
            ),
            (
                "log 127.0.0.1 local0 info foo",
                "log : unknown optional minimum log level 'foo'",
            ),
            (
                "log 127.0.0.1 local0 info notice x",
                "log : cannot handle unexpected argument 'x'",
            ),
            (
                "log 127.0.0.1 sample 1-2,2:3 local0",
                "log : ranges are overlapping",
            ),
            (
                "log 127.0.0.1 sample 1-2:1 local0",
                "log : sample size 1 should be greater or equal to 2 the maximum of the high ranges limits",
            ),
            (
                "log 127.0.0.1 sample 2-1:3 local0",
                "log : wrong sample range '2-1'",
            ),
            ("log 127.0.0.1 sample 1 local0", "log : Missing sample size"),
            (
                "log 127.0.0.1 sample :5 local0",
                "log : no sampling ranges given",
            ),
            (
                "log 127.0.0.1 sample 1:x local0",
                "log : wrong sample size 'x' for sample range '1'",
            ),
            (
                "log 127.0.0.1:99999 local0",
                "log : invalid port '99999'",
            ),
            (
                "log 127.0.0.1:1-5 local0",
                "log : port range not permitted here in '127.0.0.1:1-5'",
            ),
            (
                "log 256.0.0.1 local0",
                "log : invalid address: '256.0.0.1' in '256.0.0.1'\n\n",
            ),
            (
                "log fd@x local0",
                "log : file descriptor 'x' is not a valid integer in 'fd@x'\n\n",
            ),
        ];
        for (line, msg) in cases {
            let a = alerts(&format!("global\n{line}\n"));
            assert_eq!(
                a.first().map(String::as_str),
                Some(format!("parsing [t.cfg:2] : {msg}").as_str()),
                "{line}"
            );
        }
    }

    #[test]
    fn sample_ranges_sorted() {
        let s = parse_sample("5-6,1-2:10").unwrap();
        assert_eq!(s.ranges, vec![(1, 2), (5, 6)]);
        assert_eq!(s.size, 10);
    }

    fn proxy_line(text: &str) -> Line {
        let words = text
            .split_whitespace()
            .enumerate()
            .map(|(col, w)| crate::config::Word {
                text: w.to_string(),
                col,
            })
            .collect::<Vec<_>>();
        let (kwm, words) = if words[0].text == "no" {
            (Kwm::No, words[1..].to_vec())
        } else {
            (Kwm::Std, words)
        };
        Line {
            loc: crate::config::Loc {
                file: "p.cfg".into(),
                line: 9,
            },
            words,
            kwm,
            raw: text.to_string(),
        }
    }

    #[test]
    fn proxy_owner() {
        let mut st = State::new(Diag::new(), env());
        st.model.global.logs =
            global_logs("global\n log 127.0.0.1 local0\n log 127.0.0.2 local1\n");
        st.model.proxies.push(crate::model::Proxy::default());
        let owner = LogOwner::Proxy(0);
        assert_eq!(parse_log(&mut st, &proxy_line("log global"), owner), 0);
        // A second `log global` does not duplicate the copied targets.
        assert_eq!(parse_log(&mut st, &proxy_line("log global"), owner), 0);
        assert_eq!(
            parse_log(&mut st, &proxy_line("log stderr local2 err"), owner),
            0
        );
        let logs = &st.model.proxies[0].settings.logs;
        assert_eq!(logs.len(), 3);
        assert_eq!(logs[0].global_ref, Some(0));
        assert_eq!(logs[0].loc.line, 9);
        assert_eq!(logs[2].dest, LogDest::Fd(2));
        assert_eq!(logs[2].level, 3);
        assert!(parse_log(&mut st, &proxy_line("log"), owner) & crate::config::err::FATAL != 0);
        assert_eq!(
            st.diag.first_alert().unwrap().text,
            "parsing [p.cfg:9] : log : expects <address> and <facility> or global as arguments"
        );
        assert_eq!(parse_log(&mut st, &proxy_line("no log"), owner), 0);
        assert!(st.model.proxies[0].settings.logs.is_empty());
        // A section keeping its own list (peers, log-forward).
        let mut own = Vec::new();
        assert_eq!(
            parse_log_into(&mut st, &proxy_line("log global"), &mut own),
            0
        );
        assert_eq!(
            parse_log_into(&mut st, &proxy_line("log 10.0.0.1:5140 local3"), &mut own),
            0
        );
        assert_eq!(own.len(), 3);
        assert_eq!(own[2].dest, LogDest::Udp("10.0.0.1:5140".parse().unwrap()));
    }
}
