//! `peers` sections (HAProxy's `cfg_parse_peers()`, as the 2.6.12 binary behaves): the
//! local peer and the remote peers stick-tables are synchronised with, and their tables.
//!
//! The local peer is the one named like the local peer name (`localpeer` in `global`, `-L`,
//! or the host name). Server and bind options of peer lines are kept raw: their keyword
//! tables live with the `server` and `bind` parsers.

use super::{alert_capital, invalid_char, too_many_args, words};
use crate::config::addr::{str2sa_range, SaOpts};
use crate::config::bind::parse_listen_addrs;
use crate::config::values::{atoi, atol, parse_size, parse_time, TimeError, TimeUnit};
use crate::config::{err, Level, Line, Loc, State};
use crate::model::sections::{Peer, Peers, PeersTable};

/// Options of a peer `server` line HAProxy ignores, with a warning.
const IGNORED_SERVER_OPTS: &[&str] = &["check", "agent-check", "resolvers", "init-addr"];

/// The local peer name: `localpeer` from `global` if set, else `-L` or the host name
/// (as the command line put it in the parse environment).
pub fn local_peer_name(st: &State) -> String {
    st.model
        .global
        .localpeer
        .clone()
        .unwrap_or_else(|| st.env.localpeer.clone())
}

#[cfg(test)]
fn hostname() -> String {
    crate::config::hostname()
}

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "peers" {
        return parse_section(st, line);
    }
    let Some(cur) = st.model.peers.len().checked_sub(1) else {
        return 0;
    };
    st.model.peers[cur]
        .lines
        .push((words(line), line.loc.clone()));
    match line.arg(0) {
        "bind" | "default-bind" => parse_bind(st, line, cur),
        "default-server" => {
            let p = &mut st.model.peers[cur];
            p.has_frontend = true;
            p.default_server = words(line)[1..].to_vec();
            let fe_id = p.fe_id.clone().unwrap_or_else(|| "(null)".into());
            let (bits, _) = server_via_proxy(st, cur, line, &fe_id);
            st.used(line, "peers default-server");
            bits
        }
        "log" => {
            let p = &mut st.model.peers[cur];
            p.has_frontend = true;
            p.fe_loc = Some(line.loc.clone());
            let e = crate::config::log::parse_log_into(st, line, &mut Vec::new());
            if e & err::FATAL == 0 {
                st.model.peers[cur]
                    .logs
                    .push((words(line), line.loc.clone()));
                st.used(line, "peers log");
            }
            e
        }
        "peer" | "server" => parse_peer(st, line, cur),
        "table" => parse_table(st, line, cur),
        "disabled" => {
            st.model.peers[cur].disabled = true;
            st.used(line, "peers disabled");
            0
        }
        "enabled" => {
            st.model.peers[cur].disabled = false;
            st.used(line, "peers enabled");
            0
        }
        kw => st.alert(line, format!("unknown keyword '{kw}' in 'peers' section")),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "missing name for peers section.");
        return err::ALERT | err::ABORT;
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL;
    }
    if let Some(c) = invalid_char(name) {
        st.alert(
            line,
            format!("character '{c}' is not permitted in 'peers' name '{name}'."),
        );
        return err::ALERT | err::ABORT;
    }
    let mut e = 0;
    let dups: Vec<String> = st
        .model
        .peers
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.loc.to_string())
        .collect();
    for at in dups.iter().rev() {
        e |= alert_capital(
            st,
            line,
            format!("peers section '{name}' has the same name as another peers section declared at {at}."),
        );
    }
    st.used(line, "peers");
    st.model.peers.push(Peers {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    e
}

fn parse_bind(st: &mut State, line: &Line, cur: usize) -> u32 {
    let is_bind = line.arg(0) == "bind";
    let p = &mut st.model.peers[cur];
    p.has_frontend = true;
    p.fe_loc = Some(line.loc.clone());
    if p.bind_conf_loc.is_none() {
        p.bind_conf_loc = Some(line.loc.clone());
    }
    let name = p.name.clone();
    if !is_bind {
        p.default_bind = words(line)[1..].to_vec();
        let (bits, _) = super::parse_bind_options_in(st, line, 1, "peers", &name);
        st.used(line, "peers default-bind");
        return bits;
    }
    if p.peer_line {
        return st.alert(line, "mixing \"peer\" and \"bind\" line is forbidden");
    }
    let mut e = 0;
    if p.bind.is_some() {
        let at = p.bind_conf_loc.clone().unwrap_or_default();
        st.alert(
            line,
            format!("One listener per \"peers\" section is authorized but another is already configured at [{at}]."),
        );
        e |= err::FATAL;
    }
    let addr = line.arg(1);
    if let Err(msg) = parse_listen_addrs(st, addr, false) {
        st.alert(line, format!("'bind {addr}' : {}", indent(&msg, 2)));
        return e | err::FATAL;
    }
    let p = &mut st.model.peers[cur];
    p.bind = Some((
        addr.to_string(),
        line.loc.clone(),
        words(line)[2..].to_vec(),
    ));
    p.bind_line = true;
    if !p.peers.iter().any(|x| x.local) {
        // The local peer exists from now on; its `server` line will name it.
        p.peers.push(Peer {
            name: None,
            loc: line.loc.clone(),
            local: true,
            ..Default::default()
        });
    }
    // The listener exists before its options are parsed, as in HAProxy.
    e |= super::parse_bind_options_in(st, line, 2, "peers", &name).0;
    if e & err::FATAL != 0 {
        return e;
    }
    st.used(line, "peers bind");
    e
}

/// HAProxy's `indent_msg()`: a single line loses its final LF; several lines are each put
/// on a new line indented by `n` spaces.
fn indent(msg: &str, n: usize) -> String {
    let lf = msg.matches('\n').count();
    if lf == 0 {
        return msg.to_string();
    }
    if lf == 1 && msg.ends_with('\n') {
        return msg[..msg.len() - 1].to_string();
    }
    let body = msg.trim_start_matches('\n');
    let body = body.strip_suffix('\n').unwrap_or(body);
    body.split('\n')
        .map(|l| format!("\n{}{l}", " ".repeat(n)))
        .collect()
}

fn parse_peer(st: &mut State, line: &Line, cur: usize) -> u32 {
    let is_peer = line.arg(0) == "peer";
    let name = line.arg(1);
    let localpeer = local_peer_name(st);
    let is_local = name == localpeer;
    let p = &mut st.model.peers[cur];
    if is_peer {
        if p.bind_line {
            return st.alert(line, "mixing \"peer\" and \"bind\" line is forbidden");
        }
        p.peer_line = true;
    }
    let local_idx = p.peers.iter().position(|x| x.local);
    let idx = match local_idx {
        Some(i) if p.peers[i].name.is_none() && is_local => {
            p.peers[i].name = Some(localpeer.clone());
            i
        }
        Some(i) if is_local => {
            let at = p.fe_loc.clone().unwrap_or_default();
            let id = p.peers[i].name.clone().unwrap_or_default();
            st.alert(
                line,
                format!(
                    "'{} {name}' : local peer name already referenced at {at}. {id}",
                    line.arg(0)
                ),
            );
            return err::FATAL;
        }
        _ => {
            p.peers.push(Peer {
                name: Some(name.to_string()),
                loc: line.loc.clone(),
                local: is_local,
                ..Default::default()
            });
            p.peers.len() - 1
        }
    };
    p.has_frontend = true;
    if is_local {
        p.fe_loc = Some(line.loc.clone());
        p.fe_id = Some(localpeer.clone());
    }
    let fe_id = p.fe_id.clone().unwrap_or_else(|| "(null)".into());
    st.used(line, &format!("peers {}", line.arg(0)));
    let (f, l) = (line.file().to_string(), line.lineno());
    let raw_alert = |st: &mut State, text: String| {
        st.diag
            .raw(Level::Alert, Some((&f, l)), format!("[{f}:{l}] : {text}"));
        err::ALERT_FATAL
    };
    if name.is_empty() {
        return 0;
    }
    if let Some(c) = invalid_char(name) {
        st.model.peers[cur].peers.remove(idx);
        return raw_alert(
            st,
            format!("character '{c}' is not permitted in peer name '{name}'."),
        );
    }
    let parse_addr = is_peer || !is_local;
    let mut e = 0;
    let mut opt_start = 2;
    if parse_addr && !line.arg(2).is_empty() {
        opt_start = 3;
        let (bits, srv) = server_via_proxy(st, cur, line, &fe_id);
        e |= bits;
        if let Some(srv) = srv {
            // Peer addresses are resolved when parsed (`SRV_PARSE_INITIAL_RESOLVE`).
            if srv.hostname.is_some() {
                let opts = SaOpts {
                    port_offset: true,
                    connect: true,
                    ..SaOpts::resolving(&st.env)
                };
                if let Err(msg) = str2sa_range(line.arg(2), &opts) {
                    e |= raw_alert(
                        st,
                        super::blank_after(format!("'server {fe_id}/{name}' : {msg}")),
                    );
                }
            }
            let peer = &mut st.model.peers[cur].peers[idx];
            peer.addr_text = line.arg(2).to_string();
            peer.server = Some(srv);
        }
    }
    let opts: Vec<String> = words(line).into_iter().skip(opt_start).collect();
    if opts
        .iter()
        .any(|o| IGNORED_SERVER_OPTS.contains(&o.as_str()))
    {
        st.warn(
            line,
            format!(
                "'{} {name}' : init_addr, resolvers, check and agent are ignored for peers.",
                line.arg(0)
            ),
        );
        e |= err::WARN;
    }
    st.model.peers[cur].peers[idx].options = opts;
    if !st.model.peers[cur].peers[idx].local || !is_peer {
        return e;
    }
    // A local `peer` line also declares the listener.
    let p = &mut st.model.peers[cur];
    if p.bind_conf_loc.is_none() {
        p.bind_conf_loc = Some(line.loc.clone());
    }
    if p.bind.is_some() {
        let at = p.bind_conf_loc.clone().unwrap_or_default();
        st.alert(
            line,
            format!("One listener per \"peers\" section is authorized but another is already configured at [{at}]."),
        );
        e |= err::FATAL;
    }
    let addr = line.arg(2);
    match parse_listen_addrs(st, addr, false) {
        Ok(_) => {
            st.model.peers[cur].bind = Some((addr.to_string(), line.loc.clone(), Vec::new()));
            e
        }
        Err(msg) => {
            st.alert(line, format!("'peer {name}' : {}", indent(&msg, 2)));
            e | err::FATAL
        }
    }
}

/// Parses a `peer`/`server`/`default-server` line with the `server` parser, as HAProxy
/// does through the section's hidden frontend (named after the local peer, "(null)" until
/// it is known). For `default-server`, the section's defaults are updated.
fn server_via_proxy(
    st: &mut State,
    cur: usize,
    line: &Line,
    fe_id: &str,
) -> (u32, Option<crate::model::Server>) {
    let defaults = st.model.peers[cur].default_srv.clone();
    let (bits, srv, defaults) = super::parse_server_in(st, line, fe_id, defaults);
    if line.arg(0) == "default-server" {
        st.model.peers[cur].default_srv = defaults;
    }
    (bits, srv)
}

fn parse_table(st: &mut State, line: &Line, cur: usize) -> u32 {
    st.model.peers[cur].has_frontend = true;
    let tname = line.arg(1);
    if let Some((kind, owner, at)) = table_conflict(st, tname) {
        return st.alert(
            line,
            format!("stick-table name '{tname}' conflicts with table declared in {kind} '{owner}' at {at}."),
        );
    }
    let id = format!("{}/{tname}", st.model.peers[cur].name);
    match parse_stick_table_args(line, 2) {
        Ok(t) => {
            st.used(line, "peers table");
            st.model.peers[cur].tables.push(PeersTable {
                id,
                loc: line.loc.clone(),
                key_type: t.key_type,
                size: t.size,
                args: words(line)[2..].to_vec(),
            });
            t.warnings.iter().for_each(|w| {
                let (f, l) = (line.file().to_string(), line.lineno());
                st.diag.raw(
                    Level::Warning,
                    Some((&f, l)),
                    format!("parsing [{f}:{l}]: {w}"),
                );
            });
            if t.warnings.is_empty() {
                0
            } else {
                err::WARN
            }
        }
        Err((tight, msg, bits)) => {
            if tight {
                super::alert_tight(st, line, msg);
            } else {
                st.alert(line, msg);
            }
            bits
        }
    }
}

/// Another stick-table already known under `name`: a proxy's own table is named after the
/// proxy, a peers table `peers/table`.
fn table_conflict(st: &State, name: &str) -> Option<(&'static str, String, Loc)> {
    let in_proxy = st.model.proxies.iter().find_map(|p| {
        let t = p.rules.stick_table.as_ref()?;
        if p.cap.is_defaults() || p.name != name {
            return None;
        }
        let kind = if p.cap.is_fe() && p.cap.is_be() {
            "proxy"
        } else if p.cap.is_fe() {
            "frontend"
        } else {
            "backend"
        };
        Some((kind, p.name.clone(), t.loc.clone()))
    });
    in_proxy.or_else(|| {
        st.model.peers.iter().find_map(|p| {
            p.tables
                .iter()
                .find(|t| t.id == name)
                .map(|t| ("peers", p.name.clone(), t.loc.clone()))
        })
    })
}

/// A parsed stick-table declaration.
#[derive(Debug, Default)]
pub struct StickTableArgs {
    pub key_type: String,
    pub key_size: usize,
    pub size: u32,
    pub expire: Option<u32>,
    pub nopurge: bool,
    pub store: Vec<String>,
    pub warnings: Vec<String>,
}

/// Data types a table can store: name, is an array, takes a period argument.
const STORE_TYPES: &[(&str, bool, bool)] = &[
    ("server_id", false, false),
    ("gpt0", false, false),
    ("gpc0", false, false),
    ("gpc0_rate", false, true),
    ("conn_cnt", false, false),
    ("conn_rate", false, true),
    ("conn_cur", false, false),
    ("sess_cnt", false, false),
    ("sess_rate", false, true),
    ("http_req_cnt", false, false),
    ("http_req_rate", false, true),
    ("http_err_cnt", false, false),
    ("http_err_rate", false, true),
    ("bytes_in_cnt", false, false),
    ("bytes_in_rate", false, true),
    ("bytes_out_cnt", false, false),
    ("bytes_out_rate", false, true),
    ("gpc1", false, false),
    ("gpc1_rate", false, true),
    ("server_key", false, false),
    ("http_fail_cnt", false, false),
    ("http_fail_rate", false, true),
    ("gpt", true, false),
    ("gpc", true, false),
    ("gpc_rate", true, true),
];

/// HAProxy's `parse_stick_table()` from word `idx` on (after the table name). The error is
/// (uses the `parsing [f:l]:` prefix, message, error bits); messages name `args[0]`.
pub fn parse_stick_table_args(
    line: &Line,
    mut idx: usize,
) -> Result<StickTableArgs, (bool, String, u32)> {
    let kw = line.arg(0);
    let fatal = |m: String| Err((false, m, err::ALERT_FATAL));
    let mut t = StickTableArgs::default();
    let mut typed = false;
    while !line.arg(idx).is_empty() {
        let a = line.arg(idx);
        match a {
            "size" | "expire" => {
                idx += 1;
                let v = line.arg(idx);
                if v.is_empty() {
                    return fatal(format!("{kw}: missing argument after '{a}'."));
                }
                if a == "size" {
                    match parse_size(v) {
                        Ok(n) => t.size = n,
                        Err(p) => {
                            let c = v[p..].chars().next().unwrap_or('\0');
                            return fatal(format!(
                                "{kw}: unexpected character '{c}' in argument of '{a}'."
                            ));
                        }
                    }
                } else {
                    match parse_time(v, TimeUnit::Ms) {
                        Ok(x) => t.expire = Some(x.value),
                        Err(TimeError::Over) => return Err((true, format!("{kw}: timer overflow in argument <{v}> to <{a}>, maximum value is 2147483647 ms (~24.8 days)."), err::ALERT_FATAL)),
                        Err(TimeError::Under) => return Err((true, format!("{kw}: timer underflow in argument <{v}> to <{a}>, minimum non-null value is 1 ms."), err::ALERT_FATAL)),
                        Err(TimeError::BadChar(p)) => {
                            let c = v[p..].chars().next().unwrap_or('\0');
                            return fatal(format!(
                                "{kw}: unexpected character '{c}' in argument of '{a}'."
                            ));
                        }
                    }
                }
                idx += 1;
            }
            "nopurge" => {
                t.nopurge = true;
                idx += 1;
            }
            "type" => {
                idx += 1;
                let ty = line.arg(idx);
                let (default, custom) = match ty {
                    "integer" | "ip" => (4, false),
                    "ipv6" => (16, false),
                    "string" | "binary" => (32, true),
                    _ => return fatal(format!("{kw}: unknown type '{ty}'.")),
                };
                t.key_type = ty.to_string();
                t.key_size = default;
                idx += 1;
                if custom && line.arg(idx) == "len" {
                    idx += 1;
                    let n = atol(line.arg(idx)) as usize;
                    if n == 0 {
                        return fatal(format!("{kw}: unknown type '{}'.", line.arg(idx)));
                    }
                    t.key_size = n + usize::from(ty == "string");
                    idx += 1;
                }
                typed = true;
            }
            "store" => {
                idx += 1;
                parse_store(kw, line.arg(idx), &mut t)?;
                idx += 1;
            }
            "srvkey" => {
                idx += 1;
                let k = line.arg(idx);
                if k != "name" && k != "addr" {
                    return fatal(format!("{kw} : unknown server key type '{k}'."));
                }
                idx += 1;
            }
            _ => return fatal(format!("{kw}: unknown argument '{a}'.")),
        }
    }
    if t.size == 0 {
        return fatal(format!("{kw}: missing size."));
    }
    if !typed {
        return fatal(format!("{kw}: missing type."));
    }
    Ok(t)
}

/// The comma-separated `store` list, with `name(arg[,arg2])` arguments.
fn parse_store(kw: &str, list: &str, t: &mut StickTableArgs) -> Result<(), (bool, String, u32)> {
    let fatal = |m: String| Err((false, m, err::ALERT_FATAL));
    let b = list.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let mut name_end = None;
        let mut args: Vec<String> = Vec::new();
        while i < b.len() && b[i] != b',' {
            if b[i] == b'(' {
                name_end = Some(i);
                let close = list[i + 1..].find(')');
                let Some(close) = close else {
                    return fatal(format!(
                        "{kw}: missing closing parenthesis after store option '{}'.",
                        &list[start..i]
                    ));
                };
                let inner = &list[i + 1..i + 1 + close];
                args = match inner.split_once(',') {
                    Some((a, b2)) => vec![a.to_string(), b2.to_string()],
                    None => vec![inner.to_string()],
                };
                i += close + 1;
            }
            i += 1;
        }
        let name = &list[start..name_end.unwrap_or(i.min(b.len()))];
        i += 1;
        let Some(&(_, is_array, delay)) = STORE_TYPES.iter().find(|(n, _, _)| *n == name) else {
            return fatal(format!("{kw}: unknown store option '{name}'."));
        };
        if t.store.iter().any(|s| s == name) {
            t.warnings.push(format!(
                "{kw}: store option '{name}' already enabled, ignored."
            ));
            continue;
        }
        let mut rest = args.iter().map(String::as_str);
        if is_array {
            let Some(n) = rest.next() else {
                return fatal(format!("{kw}: missing argument to store option '{name}'."));
            };
            let n = atoi(n);
            if n == 0 || n > 100 {
                return fatal(format!(
                    "{kw}: array size is out of allowed range (1-100) for store option '{name}'."
                ));
            }
        }
        match (delay, rest.next()) {
            (false, Some(_)) => {
                return fatal(format!(
                    "{kw}: unexpected argument to store option '{name}'."
                ))
            }
            (true, None) => {
                return fatal(format!("{kw}: missing argument to store option '{name}'."))
            }
            (true, Some(p)) if parse_time(p, TimeUnit::Ms).is_err() => {
                return fatal(format!(
                    "{kw}: error when processing store option '{name}'."
                ))
            }
            _ => {}
        }
        t.store.push(name.to_string());
    }
    let has = |n: &str| t.store.iter().any(|s| s == n);
    if has("gpt") && has("gpt0") {
        return fatal(format!("{kw}: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'."));
    }
    if has("gpc") && (has("gpc0") || has("gpc1")) {
        return fatal(format!("{kw}: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'."));
    }
    if has("gpc_rate") && (has("gpc0_rate") || has("gpc1_rate")) {
        return fatal(format!("{kw}: simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'."));
    }
    Ok(())
}

/// Check time: sections without a local peer are removed with a warning, newest first as
/// HAProxy walks its list. Returns the bits.
pub fn check(st: &mut State) -> u32 {
    let localpeer = local_peer_name(st);
    let mut e = 0;
    let incomplete: Vec<String> = st
        .model
        .peers
        .iter()
        .rev()
        .filter(|p| !p.disabled && (!p.has_frontend || p.fe_id.is_none()))
        .map(|p| p.name.clone())
        .collect();
    for name in incomplete {
        st.diag.warning(format!(
            "Removing incomplete section 'peers {name}' (no peer named '{localpeer}')."
        ));
        e |= err::WARN;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};
    use super::*;

    /// The local peer is the host name in these tests (`global` is parsed elsewhere);
    /// configs are written with `me` and two lines of `global` padding to keep line numbers.
    fn cfg(_local: &str, body: &str) -> String {
        format!("\n\n{}", body.replace("me", &hostname()))
    }

    #[test]
    fn section_header() {
        let l = load("peers\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:1] : missing name for peers section."));
        let l = load("peers a b\n");
        assert!(msgs(&l)[0].ends_with("'peers' cannot handle unexpected argument 'b'."));
        let l = load("peers p1\npeers p1\n  foo\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("Parsing [t.cfg:2]: peers section 'p1' has the same name as another peers section declared at t.cfg:1."));
        assert!(m[1].ends_with("parsing [t.cfg:3] : unknown keyword 'foo' in 'peers' section"));
    }

    #[test]
    fn tables() {
        let l = load("peers p1\n  table\n  table t type ip size 1k expire 1x\n  table t2 type ip size 1k store foo\n  table t3 type string len 10 size 10 foo\n  table t4 size 1k\n  table t5 type string len 0 size 1\n  table t6 type ip size 1k store gpc(2),gpc0\n  table t7 type ip size 1k store http_req_rate\n");
        let m = msgs(&l);
        let want = [
            "parsing [t.cfg:2] : table: missing size.",
            "parsing [t.cfg:3] : table: unexpected character 'x' in argument of 'expire'.",
            "parsing [t.cfg:4] : table: unknown store option 'foo'.",
            "parsing [t.cfg:5] : table: unknown argument 'foo'.",
            "parsing [t.cfg:6] : table: missing type.",
            "parsing [t.cfg:7] : table: unknown type '0'.",
            "parsing [t.cfg:8] : table: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.",
            "parsing [t.cfg:9] : table: missing argument to store option 'http_req_rate'.",
        ];
        for (i, w) in want.iter().enumerate() {
            assert!(m[i].ends_with(w), "{} vs {}", m[i], w);
        }
    }

    #[test]
    fn peer_structure() {
        // Address parsing is another module's; only structural errors are asserted here.
        let l = load(&cfg(
            "me",
            "peers p1\n  peer y/z 1.2.3.4:10\n  server q 1.2.3.4:10 check\n  peer x\n",
        ));
        let m = msgs(&l);
        assert!(m.iter().any(|s| s
            .ends_with("config : [t.cfg:4] : character '/' is not permitted in peer name 'y/z'.")));
        assert!(m.iter().any(|s| s.ends_with(
            "parsing [t.cfg:5] : 'server q' : init_addr, resolvers, check and agent are ignored for peers."
        )));
        let l = load(&cfg("me", "peers p1\n  server me\n  server me\n  peer q\n"));
        let m = msgs(&l);
        let h = hostname();
        assert!(m[0].ends_with(&format!(
            "parsing [t.cfg:5] : 'server {h}' : local peer name already referenced at t.cfg:4. {h}"
        )));
        let l = load(&cfg("me", "peers p1\n  peer q\n  bind :1000\n"));
        assert!(msgs(&l)
            .iter()
            .any(|s| s
                .ends_with("parsing [t.cfg:5] : mixing \"peer\" and \"bind\" line is forbidden")));
    }

    #[test]
    fn incomplete_section_warning() {
        let l = load(&cfg("me", "peers p1\n  peer x\n"));
        assert!(msgs(&l).iter().any(|s| s.ends_with(&format!(
            "Removing incomplete section 'peers p1' (no peer named '{}').",
            hostname()
        ))));
        let l = load("peers a\n  peer x\npeers b\n  server h1\n");
        let m = msgs(&l);
        assert!(m[0].contains("'peers b'") && m[1].contains("'peers a'"));
        let l = load(&cfg("me", "peers p1\n  server me\n  peer x\n"));
        assert!(!msgs(&l).iter().any(|s| s.contains("Removing incomplete")));
        let l = load(&cfg("me", "peers p1\n  disabled\n  peer x\n"));
        assert!(!msgs(&l).iter().any(|s| s.contains("Removing incomplete")));
    }

    #[test]
    fn global_localpeer_names_the_local_peer() {
        let l = load("global\n  localpeer me\npeers p1\n  peer x\n");
        assert!(msgs(&l)
            .iter()
            .any(|s| s.ends_with("Removing incomplete section 'peers p1' (no peer named 'me').")));
        let l = load("global\n  localpeer me\npeers p1\n  peer me\n  peer x\n");
        assert!(!msgs(&l).iter().any(|s| s.contains("Removing incomplete")));
    }

    #[test]
    fn table_name_conflicts() {
        let l = load("backend b\n  stick-table type ip size 1k\npeers p\n  table b type ip size 1k\n  table t type ip size 1k\n  table p/t type ip size 1k\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:4] : stick-table name 'b' conflicts with table declared in backend 'b' at t.cfg:2."));
        assert!(m[1].ends_with("parsing [t.cfg:6] : stick-table name 'p/t' conflicts with table declared in peers 'p' at t.cfg:5."));
    }

    #[test]
    fn peer_server_options_use_the_server_parser() {
        let l = load("peers p1\n  peer x 1.2.3.4:10 foo\n  peer w 1.2.3.4:99999\n  default-server foo\n  peer y 1.2.3.4:10 weight 10\n");
        let m = msgs(&l);
        assert!(m[0].ends_with(
            "config : [t.cfg:2] : 'server (null)/x' : unknown keyword 'foo'; did you mean 'tfo' maybe ?"
        ));
        assert!(m[1].ends_with("config : [t.cfg:3] : 'server (null)/w' : invalid port '99999'"));
        assert!(m[2].ends_with("config : [t.cfg:4] : unknown keyword 'foo'; did you mean 'tfo' maybe ? Hint: no address was expected for this server."));
        assert_eq!(m.iter().filter(|s| s.contains("[ALERT]")).count(), 5);
    }

    #[test]
    fn bind_options_use_the_bind_parser() {
        let l = load(
            "peers p1\n  default-bind foo\n  bind 127.0.0.1:1000 bar\n  bind 127.0.0.1:1001\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:2] : 'default-bind foo' in section 'peers': unknown keyword 'foo'; did you mean 'tfo' maybe ?"));
        assert!(m[1].ends_with(
            "parsing [t.cfg:3] : 'bind 127.0.0.1:1000' in section 'peers': unknown keyword 'bar'."
        ));
        assert!(m[2].ends_with("parsing [t.cfg:4] : One listener per \"peers\" section is authorized but another is already configured at [t.cfg:2]."));
    }

    #[test]
    fn indent_continuations() {
        assert_eq!(indent("a\n", 2), "a");
        assert_eq!(indent("a\nb\n", 2), "\n  a\n  b");
    }
}
