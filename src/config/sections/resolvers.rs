//! `resolvers` sections (HAProxy's `cfg_parse_resolvers()`): DNS servers for run-time
//! resolution of server addresses.

use super::{alert_capital, invalid_char, parse_timer, unknown_keyword};
use crate::config::addr::{str2sa_range_info, SaOpts};
use crate::config::values::atoi;
use crate::config::{err, Level, Line, State};
use crate::model::sections::{Nameserver, Resolvers};

/// `DNS_HEADER_SIZE` and `DNS_MAX_UDP_MESSAGE`.
const MIN_PAYLOAD: i32 = 12;
const MAX_PAYLOAD: i32 = 65535;

pub fn parse(st: &mut State, line: &Line) -> u32 {
    match line.arg(0) {
        "resolvers" => parse_section(st, line),
        "nameserver" => parse_nameserver(st, line),
        "parse-resolv-conf" => {
            if let Some(r) = st.model.resolvers.last_mut() {
                r.parse_resolv_conf = true;
            }
            st.used(line, "resolvers parse-resolv-conf");
            0
        }
        "hold" => parse_hold(st, line),
        "accepted_payload_size" => parse_payload(st, line),
        "resolution_pool_size" => st.alert(
            line,
            "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).",
        ),
        "resolve_retries" => {
            if line.arg(1).is_empty() {
                return st.alert(line, "'resolve_retries' expects <nb> as argument.");
            }
            let n = atoi(line.arg(1));
            if let Some(r) = st.model.resolvers.last_mut() {
                r.resolve_retries = Some(n);
            }
            st.used(line, "resolvers resolve_retries");
            0
        }
        "timeout" => parse_timeout(st, line),
        _ => unknown_keyword(st, line, "resolvers"),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "missing name for resolvers section.");
        return err::ALERT | err::ABORT;
    }
    if let Some(c) = invalid_char(name) {
        st.alert(
            line,
            format!("character '{c}' is not permitted in 'resolvers' name '{name}'."),
        );
        return err::ALERT | err::ABORT;
    }
    if let Some(prev) = st.model.resolvers.iter().find(|r| r.name == name) {
        let at = prev.loc.to_string();
        alert_capital(
            st,
            line,
            format!("resolvers '{name}' has same name as another resolvers (declared at {at})."),
        );
        // HAProxy then mistakes its own error bit for an allocation failure.
        st.alert(line, "out of memory.");
        return err::ALERT | err::ABORT;
    }
    st.used(line, "resolvers");
    st.model.resolvers.push(Resolvers {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    0
}

fn parse_nameserver(st: &mut State, line: &Line) -> u32 {
    if line.arg(2).is_empty() {
        return st.alert(
            line,
            "'nameserver' expects <name> and <addr>[:<port>] as arguments.",
        );
    }
    let name = line.arg(1);
    if let Some(c) = invalid_char(name) {
        return st.alert(
            line,
            format!("character '{c}' is not permitted in server name '{name}'."),
        );
    }
    let Some(cur) = st.model.resolvers.len().checked_sub(1) else {
        return 0;
    };
    let mut e = 0;
    let dups: Vec<String> = st.model.resolvers[cur]
        .nameservers
        .iter()
        .filter(|n| n.name == name)
        .map(|n| n.loc.to_string())
        .collect();
    for at in dups {
        e |= alert_capital(
            st,
            line,
            format!("nameserver '{name}' has same name as another nameserver (declared at {at})."),
        );
    }
    let opts = SaOpts {
        port_mandatory: true,
        dgram: true,
        ..SaOpts::resolving(&st.env)
    };
    match str2sa_range_info(line.arg(2), &opts) {
        Ok((sa, info)) => {
            if !info.dgram {
                // TCP nameservers are servers of the section's hidden proxy.
                let rname = st.model.resolvers[cur].name.clone();
                let (bits, _, _) = super::parse_server_in(st, line, &rname, None);
                if bits & (err::FATAL | err::ABORT) != 0 {
                    return e | bits | err::ABORT;
                }
                e |= bits;
            }
            st.model.resolvers[cur].nameservers.push(Nameserver {
                name: name.to_string(),
                loc: line.loc.clone(),
                addr_text: line.arg(2).to_string(),
                addr: Some(sa),
            });
            st.used(line, "resolvers nameserver");
            e
        }
        Err(msg) => {
            e | st.alert(
                line,
                super::blank_after(format!("'nameserver {name}' : {msg}")),
            )
        }
    }
}

fn parse_hold(st: &mut State, line: &Line) -> u32 {
    if line.arg(2).is_empty() {
        st.alert(line, "'hold' expects an <event> and a <time> as arguments.");
        st.diag.raw(
            Level::Alert,
            None,
            "<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'",
        );
        return err::ALERT_FATAL;
    }
    // HAProxy parses the time first, and names the event as the faulty argument.
    let ms = match parse_timer(st, line, line.arg(2), line.arg(1), "hold") {
        Ok(ms) => ms,
        Err(e) => return e,
    };
    let ev = line.arg(1);
    if !matches!(
        ev,
        "nx" | "other" | "refused" | "timeout" | "valid" | "obsolete"
    ) {
        return st.alert(
            line,
            format!("'hold' unknown <event>: '{ev}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'."),
        );
    }
    if let Some(r) = st.model.resolvers.last_mut() {
        r.hold.retain(|(e, _)| e != ev);
        r.hold.push((ev.to_string(), ms));
    }
    st.used(line, "resolvers hold");
    0
}

fn parse_payload(st: &mut State, line: &Line) -> u32 {
    if line.arg(1).is_empty() {
        return st.alert(line, "'accepted_payload_size' expects <nb> as argument.");
    }
    let n = atoi(line.arg(1));
    if !(MIN_PAYLOAD..=MAX_PAYLOAD).contains(&n) {
        return st.alert(
            line,
            format!(
                "'accepted_payload_size' must be between {MIN_PAYLOAD} and {MAX_PAYLOAD} inclusive (was {}).",
                line.arg(1)
            ),
        );
    }
    if let Some(r) = st.model.resolvers.last_mut() {
        r.accepted_payload_size = Some(n as u32);
    }
    st.used(line, "resolvers accepted_payload_size");
    0
}

fn parse_timeout(st: &mut State, line: &Line) -> u32 {
    let what = line.arg(1);
    if what.is_empty() {
        return st.alert(
            line,
            "'timeout' expects 'retry' or 'resolve' and <time> as arguments.",
        );
    }
    if what != "retry" && what != "resolve" {
        return st.alert(
            line,
            format!("'timeout' expects 'retry' or 'resolve' and <time> as arguments got '{what}'."),
        );
    }
    let v = line.arg(2);
    if v.is_empty() {
        return st.alert(
            line,
            format!("'timeout {what}' expects <time> as argument."),
        );
    }
    let kw = format!("timeout {what}");
    match parse_timer(st, line, v, v, &kw) {
        Ok(ms) => {
            if let Some(r) = st.model.resolvers.last_mut() {
                if what == "retry" {
                    r.timeout_retry = Some(ms);
                } else {
                    r.timeout_resolve = Some(ms);
                }
            }
            st.used(line, &format!("resolvers {kw}"));
            0
        }
        Err(e) => e,
    }
}

/// Check-time warning for sections without any nameserver.
pub fn check(st: &mut State) -> u32 {
    let mut e = 0;
    let empty: Vec<(String, String)> = st
        .model
        .resolvers
        .iter()
        .filter(|r| r.nameservers.is_empty() && !r.parse_resolv_conf)
        .map(|r| (r.name.clone(), r.loc.to_string()))
        .collect();
    for (name, at) in empty {
        st.diag.warning(format!(
            "resolvers '{name}' [{at}] has no nameservers configured!"
        ));
        e |= err::WARN;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn resolvers_messages() {
        let l = load(
            "resolvers r1\n  nameserver a\n  nameserver a/b 1.2.3.4:53\n  hold\n  hold foo 10s\n  hold nx 10x\n  accepted_payload_size 10\n  accepted_payload_size\n  resolution_pool_size 2\n  resolve_retries\n  timeout\n  timeout retry\n  timeout foo 1s\n  timeout resolve 1x\n  foo\n  hold nx 30d\n",
        );
        let m = msgs(&l);
        let want = [
            "parsing [t.cfg:2] : 'nameserver' expects <name> and <addr>[:<port>] as arguments.",
            "parsing [t.cfg:3] : character '/' is not permitted in server name 'a/b'.",
            "parsing [t.cfg:4] : 'hold' expects an <event> and a <time> as arguments.",
            "config : <event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'",
            "parsing [t.cfg:5] : 'hold' unknown <event>: 'foo', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.",
            "parsing [t.cfg:6]: unexpected character 'x' in argument to <hold>.",
            "parsing [t.cfg:7] : 'accepted_payload_size' must be between 12 and 65535 inclusive (was 10).",
            "parsing [t.cfg:8] : 'accepted_payload_size' expects <nb> as argument.",
            "parsing [t.cfg:9] : 'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).",
            "parsing [t.cfg:10] : 'resolve_retries' expects <nb> as argument.",
            "parsing [t.cfg:11] : 'timeout' expects 'retry' or 'resolve' and <time> as arguments.",
            "parsing [t.cfg:12] : 'timeout retry' expects <time> as argument.",
            "parsing [t.cfg:13] : 'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'foo'.",
            "parsing [t.cfg:14]: unexpected character 'x' in argument to <timeout resolve>.",
            "parsing [t.cfg:15] : unknown keyword 'foo' in 'resolvers' section",
            "parsing [t.cfg:16]: timer overflow in argument <nx> to <hold>, maximum value is 2147483647 ms (~24.8 days).",
        ];
        for (i, w) in want.iter().enumerate() {
            assert!(m[i].ends_with(w), "{} vs {}", m[i], w);
        }
    }

    #[test]
    fn tcp_nameservers_use_the_server_parser() {
        let l = load("resolvers r1\n  nameserver t tcp@1.2.3.4:53 foo\n  foo\n");
        let m = msgs(&l);
        assert!(m[0].ends_with(
            "config : [t.cfg:2] : 'server r1/t' : unknown keyword 'foo'; did you mean 'tfo' maybe ?"
        ));
        // The error aborts the file.
        assert!(!m.iter().any(|s| s.contains("'foo' in 'resolvers'")));
        let l = load("resolvers r1\n  nameserver v 1.2.3.4:53 foo\n");
        assert_eq!(l.config.unwrap().resolvers[0].nameservers.len(), 1);
    }

    #[test]
    fn resolvers_duplicate_and_empty() {
        let l = load("resolvers r1\nresolvers r1\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("Parsing [t.cfg:2]: resolvers 'r1' has same name as another resolvers (declared at t.cfg:1)."));
        assert!(m[1].ends_with("parsing [t.cfg:2] : out of memory."));
        let l = load("resolvers r1\n  hold valid 10s\n  timeout resolve 1s\n");
        assert!(msgs(&l)
            .iter()
            .any(|m| m.ends_with("resolvers 'r1' [t.cfg:1] has no nameservers configured!")));
        let c = l.config.unwrap();
        assert_eq!(c.resolvers[0].timeout_resolve, Some(1000));
        assert_eq!(c.resolvers[0].hold, vec![("valid".to_string(), 10000)]);
    }
}
