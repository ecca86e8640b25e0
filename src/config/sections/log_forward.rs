//! `log-forward` sections (HAProxy's `cfg_parse_log_forward()`): syslog relays with stream
//! (`bind`) and datagram (`dgram-bind`) listeners and `log` targets.
//!
//! Bind options are kept raw: only the first option word is checked against HAProxy's bind
//! keywords, since the option table (with argument counts) lives with the bind parser.

use super::{alert_capital, blank_after, invalid_char, too_many_args, words};
use crate::config::addr::{str2sa_range, SaOpts};
use crate::config::bind::parse_listen_addrs;
use crate::config::suggest::best_match;
use crate::config::values::{atol, parse_time, TimeError, TimeUnit};
use crate::config::{err, Line, State};
use crate::model::sections::LogForward;

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "log-forward" {
        return parse_section(st, line);
    }
    let Some(cur) = st.model.log_forwards.len().checked_sub(1) else {
        return 0;
    };
    match line.arg(0) {
        kw @ ("maxconn" | "backlog") => {
            if line.arg(1).is_empty() {
                return st.alert(line, format!("'{kw}' expects an integer argument."));
            }
            let v = atol(line.arg(1));
            let lf = &mut st.model.log_forwards[cur];
            if kw == "maxconn" {
                lf.maxconn = v;
            } else {
                lf.backlog = Some(v);
            }
            if too_many_args(st, line, 1, 0) {
                return err::ALERT_FATAL;
            }
            st.used(line, &format!("log-forward {kw}"));
            0
        }
        "bind" | "dgram-bind" => parse_bind(st, line, cur),
        "log" => {
            let e = crate::config::log::parse_log_into(st, line, &mut Vec::new());
            if e & err::FATAL == 0 {
                st.used(line, "log-forward log");
                st.model.log_forwards[cur]
                    .logs
                    .push((words(line), line.loc.clone()));
            }
            e
        }
        "timeout" => parse_timeout(st, line, cur),
        kw => {
            st.alert(
                line,
                format!("unknown keyword '{kw}' in log-forward section."),
            );
            err::ALERT | err::ABORT
        }
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "missing name for ip-forward section.");
        return err::ALERT | err::ABORT;
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL;
    }
    if let Some(c) = invalid_char(name) {
        st.alert(
            line,
            format!("character '{c}' is not permitted in 'log-forward' name '{name}'."),
        );
        return err::ALERT | err::ABORT;
    }
    let mut e = 0;
    if let Some(prev) = st.model.log_forwards.iter().find(|l| l.name == name) {
        let at = prev.loc.to_string();
        e |= alert_capital(
            st,
            line,
            format!("log-forward section '{name}' has the same name as another log-forward section declared at {at}."),
        );
    }
    if let Some(p) = st.model.proxies.iter().find(|p| p.name == name) {
        let msg = format!(
            "log forward section '{name}' has the same name as {} '{}' declared at {}.",
            if p.cap.is_defaults() {
                "defaults"
            } else if p.cap.is_fe() && p.cap.is_be() {
                "proxy"
            } else if p.cap.is_fe() {
                "frontend"
            } else {
                "backend"
            },
            p.name,
            p.loc
        );
        e |= alert_capital(st, line, msg);
    }
    st.used(line, "log-forward");
    st.model.log_forwards.push(LogForward {
        name: name.to_string(),
        loc: line.loc.clone(),
        maxconn: 10,
        ..Default::default()
    });
    e
}

fn parse_bind(st: &mut State, line: &Line, cur: usize) -> u32 {
    let kw = line.arg(0);
    let dgram = kw == "dgram-bind";
    let addr = line.arg(1);
    if addr.is_empty() {
        // HAProxy silently accepts an empty address here.
        return 0;
    }
    let parsed = if dgram {
        let opts = SaOpts {
            port_mandatory: true,
            port_range: true,
            dgram: true,
            dgram_only: true,
            ..SaOpts::resolving(&st.env)
        };
        str2sa_range(addr, &opts).map(|_| ())
    } else {
        parse_listen_addrs(st, addr, false).map(|_| ())
    };
    if let Err(msg) = parsed {
        return st.alert(line, blank_after(format!("'{kw} {addr}' : {msg}")));
    }
    if !dgram {
        let name = st.model.log_forwards[cur].name.clone();
        let (bits, _) = super::parse_bind_options_in(st, line, 2, "log-forward", &name);
        if bits & err::FATAL != 0 {
            return bits;
        }
    }
    let first = line.arg(2);
    let bind_kws = crate::config::bind::keyword_names();
    if dgram && !first.is_empty() && !bind_kws.contains(&first) {
        let best = best_match(first, &bind_kws);
        let msg = match (dgram, best) {
            (false, Some(b)) => format!(
                "'{kw} {addr}' in section 'log-forward': unknown keyword '{first}'; did you mean '{b}' maybe ?"
            ),
            (false, None) => {
                format!("'{kw} {addr}' in section 'log-forward': unknown keyword '{first}'.")
            }
            (true, Some(b)) => format!(
                "unknown keyword '{first}' in 'log-forward' section; did you mean '{b}' maybe ?"
            ),
            (true, None) => format!("unknown keyword '{first}' in 'log-forward' section."),
        };
        return st.alert(line, msg);
    }
    st.used(line, &format!("log-forward {kw}"));
    let entry = (
        addr.to_string(),
        words(line)[2..].to_vec(),
        line.loc.clone(),
    );
    let lf = &mut st.model.log_forwards[cur];
    if dgram {
        lf.dgram_binds.push(entry);
    } else {
        lf.binds.push(entry);
    }
    0
}

fn parse_timeout(st: &mut State, line: &Line, cur: usize) -> u32 {
    if line.arg(1) != "client" {
        return st.alert(
            line,
            format!(
                "unknown keyword '{} {}' in log-forward section.",
                line.arg(0),
                line.arg(1)
            ),
        );
    }
    let v = line.arg(2);
    if v.is_empty() {
        return st.alert(line, "missing timeout client value.");
    }
    let msg = match parse_time(v, TimeUnit::Ms) {
        Ok(t) => {
            st.model.log_forwards[cur].timeout_client = Some(t.value);
            st.used(line, "log-forward timeout client");
            return 0;
        }
        Err(TimeError::Over) => format!("timer overflow in argument '{v}' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)"),
        Err(TimeError::Under) => format!("timer underflow in argument '{v}' to 'timeout client' (minimum non-null value is 1 ms)"),
        Err(TimeError::BadChar(_)) => {
            // HAProxy returns -1 here, which its caller takes for an unreadable file.
            st.diag.alert(format!(
                "Could not open configuration file {} : Success",
                line.file()
            ));
            return err::ALERT_FATAL | err::ABORT;
        }
    };
    st.alert(line, format!("timeout : {msg}"))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn log_forward_messages() {
        let l = load("log-forward\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:1] : missing name for ip-forward section."));
        let l = load(
            "log-forward lf\nlog-forward lf\n  maxconn\n  maxconn 10 x\n  backlog\n  timeout foo\n  timeout client\n  timeout client 30d\n  bind\n  log\n  foo\n  bar\n",
        );
        let m = msgs(&l);
        let want = [
            "Parsing [t.cfg:2]: log-forward section 'lf' has the same name as another log-forward section declared at t.cfg:1.",
            "parsing [t.cfg:3] : 'maxconn' expects an integer argument.",
            "parsing [t.cfg:4] : 'maxconn' cannot handle unexpected argument 'x'.",
            "parsing [t.cfg:5] : 'backlog' expects an integer argument.",
            "parsing [t.cfg:6] : unknown keyword 'timeout foo' in log-forward section.",
            "parsing [t.cfg:7] : missing timeout client value.",
            "parsing [t.cfg:8] : timeout : timer overflow in argument '30d' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)",
            "parsing [t.cfg:10] : log : expects <address> and <facility> or global as arguments",
            "parsing [t.cfg:11] : unknown keyword 'foo' in log-forward section.",
        ];
        for (i, w) in want.iter().enumerate() {
            assert!(m[i].ends_with(w), "{} vs {}", m[i], w);
        }
        // `foo` aborts the file: `bar` is never read.
        assert!(!m.iter().any(|s| s.contains("'bar'")));
    }

    #[test]
    fn bad_timer_char_aborts_like_haproxy() {
        let l = load("log-forward lf\n  timeout client 1x\n  foo\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("config : Could not open configuration file t.cfg : Success"));
        assert!(!m.iter().any(|s| s.contains("'foo'")));
    }
}
