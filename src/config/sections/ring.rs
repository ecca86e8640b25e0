//! `ring` sections (HAProxy's `cfg_parse_ring()`, as the 2.6.12 binary behaves): in-memory
//! log buffers, optionally forwarded to TCP servers.

use super::{invalid_char, parse_timer};
use crate::config::values::atol;
use crate::config::{err, Line, State};
use crate::model::sections::Ring;

/// `BUFSIZE`: the initial and minimum ring size.
pub const DEFAULT_SIZE: u64 = 16384;
/// Sinks that exist before any ring is declared.
const BUILTIN_SINKS: &[&str] = &["stdout", "stderr", "buf0"];
/// Formats `get_log_format()` knows.
const FORMATS: &[&str] = &[
    "local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw",
];

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "ring" {
        return parse_section(st, line);
    }
    // HAProxy forgets the current ring when its section ends, or when its header failed.
    let cur = st.cur_other.filter(|&i| i < st.model.rings.len());
    let a1 = line.arg(1).to_string();
    match line.arg(0) {
        "size" => parse_size(st, line, cur),
        "server" => match cur {
            None => st.alert(line, format!("unable to create server '{a1}'.")),
            Some(i) => {
                let name = st.model.rings[i].name.clone();
                let (bits, srv, _) = super::parse_server_in(st, line, &name, None);
                if let Some(srv) = srv {
                    st.used(line, "ring server");
                    st.model.rings[i].servers.push(srv);
                }
                bits
            }
        },
        "timeout" => parse_timeout(st, line, cur),
        "format" => {
            let Some(i) = cur else {
                return st.alert(line, format!("unable to set format '{a1}'."));
            };
            if !FORMATS.contains(&a1.as_str()) {
                return st.alert(line, format!("unknown format '{a1}'."));
            }
            st.used(line, "ring format");
            st.model.rings[i].format = Some(a1);
            0
        }
        "maxlen" => {
            let Some(i) = cur else {
                return st.alert(line, format!("unable to set event max length '{a1}'."));
            };
            let v = atol(&a1) as u32;
            if v == 0 {
                return st.alert(line, format!("invalid size '{a1}' for new sink buffer."));
            }
            st.used(line, "ring maxlen");
            st.model.rings[i].maxlen = Some(v as u64);
            0
        }
        "description" => {
            let Some(i) = cur else {
                return st.alert(line, format!("unable to set description '{a1}'."));
            };
            if a1.is_empty() {
                return st.alert(line, "missing ring description text.");
            }
            st.used(line, "ring description");
            st.model.rings[i].description = Some(a1);
            0
        }
        kw => st.alert(line, format!("unknown statement '{kw}'.")),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    st.cur_other = None;
    let name = line.arg(1);
    if name.is_empty() {
        return st.alert(line, "missing ring name.");
    }
    if let Some(c) = invalid_char(name) {
        return st.alert(
            line,
            format!("invalid ring name '{name}' (character '{c}' is not permitted)."),
        );
    }
    if BUILTIN_SINKS.contains(&name) || st.model.rings.iter().any(|r| r.name == name) {
        return st.alert(line, format!("sink named '{name}' already exists."));
    }
    st.used(line, "ring");
    st.model.rings.push(Ring {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    st.cur_other = Some(st.model.rings.len() - 1);
    0
}

fn parse_size(st: &mut State, line: &Line, cur: Option<usize>) -> u32 {
    let Some(i) = cur else {
        return st.alert(line, "'size' directive not usable with this type of sink.");
    };
    let a1 = line.arg(1);
    let size = atol(a1) as u64;
    if size == 0 {
        return st.alert(line, format!("invalid size '{a1}' for new sink buffer."));
    }
    let current = st.model.rings[i].size.unwrap_or(DEFAULT_SIZE);
    if size < current {
        let name = st.model.rings[i].name.clone();
        st.warn(
            line,
            format!("ignoring new size '{size}' that is smaller than current size '{current}' for ring '{name}'."),
        );
        return err::ALERT_FATAL | err::WARN;
    }
    st.used(line, "ring size");
    st.model.rings[i].size = Some(size);
    0
}

fn parse_timeout(st: &mut State, line: &Line, cur: Option<usize>) -> u32 {
    let what = line.arg(1);
    let Some(i) = cur else {
        return st.alert(line, format!("unable to set timeout '{what}'."));
    };
    if what != "connect" && what != "server" {
        // HAProxy silently ignores other timeouts here.
        return 0;
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
            st.used(line, &format!("ring {kw}"));
            let r = &mut st.model.rings[i];
            if what == "connect" {
                r.timeout_connect = Some(ms);
            } else {
                r.timeout_server = Some(ms);
            }
            0
        }
        Err(e) => e,
    }
}

/// `cfg_post_parse_ring()`: an event cannot be longer than the ring.
pub fn post_section(st: &mut State) -> u32 {
    let Some(i) = st.cur_other.take().filter(|&i| i < st.model.rings.len()) else {
        return 0;
    };
    let r = &mut st.model.rings[i];
    let size = r.size.unwrap_or(DEFAULT_SIZE);
    let maxlen = r.maxlen.unwrap_or(DEFAULT_SIZE);
    if maxlen > size {
        r.maxlen = Some(size);
        let name = r.name.clone();
        st.diag.warning(format!(
            "ring '{name}' event max length '{maxlen}' exceeds size, forced to size '{size}'."
        ));
        return err::ALERT;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn ring_messages() {
        let l = load(
            "ring r1\n  size\n  size 0\n  size 100000x\n  size 20000\n  maxlen\n  format\n  format foo\n  format raw\n  description\n  timeout foo 1s\n  timeout connect\n  timeout server 1x\n  bar\n",
        );
        let m = msgs(&l);
        let want = [
            "parsing [t.cfg:2] : invalid size '' for new sink buffer.",
            "parsing [t.cfg:3] : invalid size '0' for new sink buffer.",
            "parsing [t.cfg:5] : ignoring new size '20000' that is smaller than current size '100000' for ring 'r1'.",
            "parsing [t.cfg:6] : invalid size '' for new sink buffer.",
            "parsing [t.cfg:7] : unknown format ''.",
            "parsing [t.cfg:8] : unknown format 'foo'.",
            "parsing [t.cfg:10] : missing ring description text.",
            "parsing [t.cfg:12] : 'timeout connect' expects <time> as argument.",
            "parsing [t.cfg:13]: unexpected character 'x' in argument to <timeout server>.",
            "parsing [t.cfg:14] : unknown statement 'bar'.",
        ];
        for (i, w) in want.iter().enumerate() {
            assert!(m[i].ends_with(w), "{} vs {}", m[i], w);
        }
        assert!(m[2].contains("[WARNING]"));
    }

    #[test]
    fn ring_lost_after_section_or_error() {
        let l = load("ring r1\nring r1\n  size 10\n  maxlen 1\n  server s 1.2.3.4:5\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:2] : sink named 'r1' already exists."));
        assert!(m[1].ends_with("'size' directive not usable with this type of sink."));
        assert!(m[2].ends_with("unable to set event max length '1'."));
        assert!(m[3].ends_with("unable to create server 's'."));
        let l = load("ring stdout\n");
        assert!(msgs(&l)[0].ends_with("sink named 'stdout' already exists."));
    }

    #[test]
    fn ring_servers_use_the_server_parser() {
        let l = load("ring r1\n  server s1 127.0.0.1:6514 foo\n  server s2\n  server s4 127.0.0.1:6514 log-proto octet-count\n");
        let m = msgs(&l);
        assert!(m[0].ends_with(
            "config : [t.cfg:2] : 'server r1/s1' : unknown keyword 'foo'; did you mean 'tfo' maybe ?"
        ));
        assert!(m[1].ends_with(
            "config : [t.cfg:3] : 'server' expects <name> and <addr>[:<port>] as arguments."
        ));
        let l = load("ring r1\n  server s4 127.0.0.1:6514 log-proto octet-count\n");
        assert_eq!(l.config.unwrap().rings[0].servers[0].name, "s4");
    }

    #[test]
    fn ring_maxlen_forced() {
        let l = load("ring r1\n  maxlen 100000\n");
        let m = msgs(&l);
        assert!(m[0].ends_with(
            "config : ring 'r1' event max length '100000' exceeds size, forced to size '16384'."
        ));
        let l = load("ring r1\n  size 32768\n  maxlen 1000\n  format rfc5424\n");
        let c = l.config.unwrap();
        assert_eq!(c.rings[0].size, Some(32768));
        assert_eq!(c.rings[0].format.as_deref(), Some("rfc5424"));
    }
}
