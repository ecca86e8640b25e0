//! One CLI command against a [`Proc`]: HAProxy 2.6's parsers and their messages.

use std::sync::Arc;

use super::{csv, info, usage, Level, Proc, ProxyView, ADMIN_DRAIN, ADMIN_MAINT};
use crate::queue::ServerState;
use crate::sample::map::{MapCache, MapFile};

/// A command's reply. `nolf`: no line feed after it (HAProxy's `APPCTX_CLI_ST1_NOLF`).
pub struct Reply {
    pub text: String,
    pub nolf: bool,
}

fn r(text: impl Into<String>) -> Option<Reply> {
    Some(Reply {
        text: text.into(),
        nolf: false,
    })
}

const DENIED: &str = "Permission denied\n";

/// Runs `args`; `None` when no command has these words (the caller prints the usage).
pub fn exec(args: &[&str], payload: Option<&str>, level: Level, p: &dyn Proc) -> Option<Reply> {
    let a = |i: usize| args.get(i).copied().unwrap_or("");
    let need = |l: Level| level >= l;
    match args {
        ["show", "version", ..] => r(format!("{}\n", crate::version::VERSION_STRING)),
        ["show", "info", ..] => r(info::show_info(&p.info(), &args[2..])),
        ["show", "stat", ..] => r(csv::show_stat(p, &args[2..])),
        ["show", "schema", "json", ..] => r(super::json::SCHEMA.to_string()),
        ["show", "backend", ..] => {
            let mut out = String::from("# name\n");
            for px in p.proxies().iter().filter(|x| x.cap.be) {
                out.push_str(&px.name);
                out.push('\n');
            }
            r(out)
        }
        ["show", "servers", "state", ..] => r(servers_state(p, a(3))),
        ["show", "errors", ..] => {
            if !need(Level::Operator) {
                return r(DENIED);
            }
            r(format!(
                "Total events captured on [{}] : 0\n",
                crate::stats::info::log_date()
            ))
        }
        ["show", "activity", ..] => r(info::show_activity(&p.info())),
        ["get", "var", ..] => {
            if !need(Level::Operator) {
                return r(DENIED);
            }
            let name = a(2);
            if name.is_empty() {
                return r("Missing process-wide variable identifier.\n");
            }
            let Some(v) = p.proc_var(name) else {
                return r("Variable not found.\n");
            };
            r(get_var_reply(name, v))
        }
        ["show", "table", ..] => {
            if !need(Level::Operator) {
                return r(DENIED);
            }
            if args.len() > 3 {
                return r("'show table' filters are not supported by haproxy-rs yet.\n");
            }
            match p.show_table(args.get(2).copied()) {
                Some(t) => r(t),
                None => r("No such table\n"),
            }
        }
        ["show", "map", ..] => maps_show(p, args, true),
        ["show", "acl", ..] => maps_show(p, args, false),
        ["add" | "del" | "set" | "clear", "map" | "acl", ..] => {
            if !need(Level::Admin) && args[0] != "clear" || !need(Level::Operator) {
                return r(DENIED);
            }
            maps_edit(p, args, payload)
        }
        ["get", "weight", ..] => {
            let (px, si) = match find_server_raw(p, a(2)) {
                Ok(x) => x,
                Err(e) => return r(e),
            };
            let q = px.queue.as_ref()?;
            let w = q.server(si).map_or(0, |s| s.weight());
            r(format!("{w} (initial {})\n", px.servers[si].iweight))
        }
        ["set", "weight", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            r(with_server(p, a(2), |px, si| set_weight(p, px, si, a(3))))
        }
        ["set", "server", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            r(with_server(p, a(2), |px, si| {
                set_server(p, px, si, a(3), a(4), (a(5) == "port").then(|| a(6)))
            }))
        }
        ["disable", "server", ..] | ["enable", "server", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            let st = if args[0] == "disable" {
                ServerState::Maint
            } else {
                ServerState::Up
            };
            let admin = if st == ServerState::Maint {
                ADMIN_MAINT
            } else {
                0
            };
            r(with_server(p, a(2), |px, si| set_admin(p, px, si, admin)))
        }
        ["set", "maxconn", "server", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            r(with_server(p, a(3), |px, si| {
                let v = a(4);
                if v.is_empty() {
                    return "Require <maxconn>.\n".into();
                }
                let (n, rest) = strtol(v);
                if rest.len() == v.len() {
                    return "maxconn string empty or preceded by garbage".into();
                }
                if !rest.is_empty() {
                    return "Trailing garbage in maxconn string".into();
                }
                if let Some(q) = &px.queue {
                    let _ = q.set_maxconn(si, n.max(0) as u32);
                }
                String::new()
            }))
        }
        ["set", "maxconn", "frontend", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            let fe = match find_frontend(p, a(3)) {
                Ok(f) => f,
                Err(e) => return r(e),
            };
            let v = a(4);
            if v.is_empty() {
                return r("Integer value expected.\n");
            }
            let (n, _) = strtol(v);
            if n < 0 {
                return r("Value out of range.\n");
            }
            match fe.fe {
                Some(i) => r(p
                    .set_maxconn_frontend(i, n as u32)
                    .err()
                    .unwrap_or_default()),
                None => r(""),
            }
        }
        ["set", "maxconn", "global", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            let v = a(3);
            if v.is_empty() {
                return r("Expects an integer value.\n");
            }
            let (n, _) = strtol(v);
            if n < 0 {
                return r("Value out of range.\n");
            }
            r(p.set_maxconn_global(n as u32).err().unwrap_or_default())
        }
        ["disable", "frontend", ..] | ["enable", "frontend", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            let fe = match find_frontend(p, a(2)) {
                Ok(f) => f,
                Err(e) => return r(e),
            };
            let pause = args[0] == "disable";
            match fe.fe {
                Some(i) => r(p.pause_frontend(i, pause).err().unwrap_or_default()),
                None => r(""),
            }
        }
        ["shutdown", "sessions", "server", ..] => {
            if !need(Level::Admin) {
                return r(DENIED);
            }
            r(with_server(p, a(3), |px, si| {
                if let Some(pi) = p.proxies().iter().position(|x| std::ptr::eq(x, px)) {
                    p.shutdown_server_sessions(pi, si);
                }
                String::new()
            }))
        }
        ["clear", "counters", ..] => {
            let all = a(2) == "all";
            if !need(if all { Level::Admin } else { Level::Operator }) {
                return r(DENIED);
            }
            if let Some(c) = p.counters() {
                c.clear(all);
            }
            r("")
        }
        _ if usage::known(args) => r(format!(
            "'{}' is not supported by haproxy-rs yet.\n",
            args.iter()
                .take_while(|w| !w.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        )),
        _ => None,
    }
}

/// `get var`'s line: the type, then the value as a string with unprintable bytes as dots.
fn get_var_reply(name: &str, v: crate::sample::value::Smp<'static>) -> String {
    use crate::sample::value::{Smp, SmpType};
    let ty = match &v {
        Smp::Bool(_) => "bool",
        Smp::Sint(_) => "sint",
        Smp::Ipv4(_) => "ipv4",
        Smp::Ipv6(_) => "ipv6",
        Smp::Str(_) => "str",
        Smp::Bin(_) => "bin",
        Smp::Meth(_) => "meth",
    };
    let mut out = format!("{name}: type={ty} value=");
    match v.cast(SmpType::Str) {
        Some(Smp::Str(s)) => {
            out.push('<');
            out.extend(s.iter().map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            }));
            out.push('>');
        }
        _ => out.push_str("(undisplayable)"),
    }
    out
}

/// C's `strtol(s, &end, 10)`: the value and what follows the digits.
fn strtol(s: &str) -> (i64, &str) {
    let t = s.trim_start();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = body.bytes().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return (0, s);
    }
    let v: i64 = body[..n].parse().unwrap_or(i64::MAX);
    (if neg { -v } else { v }, &body[n..])
}

fn find_frontend<'a>(p: &'a dyn Proc, name: &str) -> Result<&'a ProxyView, String> {
    if name.is_empty() {
        return Err("A frontend name is expected.\n".into());
    }
    p.proxies()
        .iter()
        .find(|x| x.cap.fe && (x.name == name || name.strip_prefix('#') == Some(&x.id.to_string())))
        .ok_or_else(|| "No such frontend.\n".into())
}

/// `get_backend_server()` on "backend/server" (ids as `#n` accepted).
fn find_server_raw<'a>(p: &'a dyn Proc, arg: &str) -> Result<(&'a ProxyView, usize), String> {
    let (b, s) = arg.split_once('/').unwrap_or((arg, ""));
    if s.is_empty() {
        return Err("Require 'backend/server'.\n".into());
    }
    let matches = |name: &str, id: i64, want: &str| {
        name == want || want.strip_prefix('#').and_then(|n| n.parse::<i64>().ok()) == Some(id)
    };
    let Some(px) = p
        .proxies()
        .iter()
        .find(|x| x.cap.be && matches(&x.name, x.id, b))
    else {
        return Err("No such backend.\n".into());
    };
    match px
        .servers
        .iter()
        .position(|sv| matches(&sv.name, i64::from(sv.id), s))
    {
        Some(i) => Ok((px, i)),
        None => Err("No such server.\n".into()),
    }
}

/// `cli_find_server()` (which also refuses disabled proxies), then `f`; `f`'s text is
/// the reply.
fn with_server(p: &dyn Proc, arg: &str, f: impl FnOnce(&ProxyView, usize) -> String) -> String {
    if arg
        .split_once('/')
        .is_none_or(|(b, s)| b.is_empty() || s.is_empty())
    {
        return "Require 'backend/server'.\n".into();
    }
    match find_server_raw(p, arg) {
        Ok((px, _)) if px.disabled => "Proxy is disabled.\n".into(),
        Ok((px, si)) => f(px, si),
        Err(e) => e,
    }
}

fn set_state(p: &dyn Proc, px: &ProxyView, si: usize, st: ServerState) -> String {
    if let Some(q) = &px.queue {
        let _ = q.set_state(si, st, p.now_ms());
    }
    String::new()
}

fn set_admin(p: &dyn Proc, px: &ProxyView, si: usize, admin: u8) -> String {
    if let Some(pi) = p.proxies().iter().position(|x| std::ptr::eq(x, px)) {
        p.set_admin(pi, si, admin);
    }
    String::new()
}

fn set_server(
    p: &dyn Proc,
    px: &ProxyView,
    si: usize,
    what: &str,
    v: &str,
    port: Option<&str>,
) -> String {
    match what {
        "weight" => set_weight(p, px, si, v),
        "state" => match v {
            "ready" => set_admin(p, px, si, 0),
            "drain" => set_admin(p, px, si, ADMIN_DRAIN),
            "maint" => set_admin(p, px, si, ADMIN_MAINT),
            _ => "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into(),
        },
        "health" => match v {
            "up" => set_state(p, px, si, ServerState::Up),
            "stopping" => set_state(p, px, si, ServerState::Drain),
            "down" => set_state(p, px, si, ServerState::Down),
            _ => "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n".into(),
        },
        // No `resolvers` run yet, so every server is one without resolution.
        "fqdn" => "set server <b>/<s> fqdn failed because no resolution is configured.\n".into(),
        "addr" if v.is_empty() => {
            "set server <b>/<s> addr requires an address and optionally a port.\n".into()
        }
        "addr" => match p.proxies().iter().position(|x| std::ptr::eq(x, px)) {
            Some(pi) => p.set_srv_addr(pi, si, v, port),
            None => String::new(),
        },
        "agent" | "agent-addr" | "agent-port" | "agent-send" | "check-addr"
        | "check-port" | "ssl" => {
            format!("'set server <srv> {what}' is not supported by haproxy-rs yet.\n")
        }
        _ => "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n".into(),
    }
}

/// `server_parse_weight_change_request()`.
fn set_weight(_p: &dyn Proc, px: &ProxyView, si: usize, v: &str) -> String {
    if v.is_empty() {
        return "Require <weight> or <weight%>.\n".into();
    }
    let iw = i64::from(px.servers[si].iweight);
    let (mut w, rest) = strtol(v);
    if rest.len() == v.len() {
        return "Empty weight string empty or preceded by garbage".into();
    } else if rest == "%" {
        if w < 0 {
            return "Relative weight must be positive.\n".into();
        }
        w = (iw * w.min(25600) / 100).min(256);
    } else if !(0..=256).contains(&w) {
        return "Absolute weight can only be between 0 and 256 inclusive.\n".into();
    } else if !rest.is_empty() {
        return "Trailing garbage in weight string".into();
    }
    if w != 0 && w != iw && px.algo == "static-rr" {
        return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
            .into();
    }
    if let Some(q) = &px.queue {
        let _ = q.set_weight(si, w as u32);
    }
    String::new()
}

/// `show servers state [<backend>]` (format version 1).
fn servers_state(p: &dyn Proc, only: &str) -> String {
    let pxs: Vec<&ProxyView> = p
        .proxies()
        .iter()
        .filter(|x| x.cap.be && (only.is_empty() || x.name == only))
        .collect();
    if !only.is_empty() && pxs.is_empty() {
        return format!("Can't find backend '{only}'.\n");
    }
    let mut out = String::from("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
    let now = p.now_ms();
    for px in pxs {
        let Some(q) = &px.queue else { continue };
        let px: &ProxyView = px;
        for (i, sv) in px.servers.iter().enumerate() {
            let Some(s) = q.server(i) else { continue };
            let st = s.state();
            let (op, mut adm) = op_admin(st);
            let cfg_maint = sv.cfg_disabled && st == ServerState::Maint;
            if cfg_maint {
                adm |= 4;
            }
            let (ip, port, none) = super::live_addr(p, px, i);
            if none && !sv.cfg_disabled {
                adm = 32;
            }
            let since = now.saturating_sub(s.last_change_ms()) / 1000;
            // check status (HCHK_STATUS_INI / L4OK…), result (CHK_RES_PASSED 3 /
            // FAILED 2), health (rise + fall - 1 when up), check state.
            let pi = p.proxies().iter().position(|x| std::ptr::eq(x, px));
            let last = pi.and_then(|pi| p.check_status_num(pi, i)).unwrap_or(1);
            let (cst, cres, health, cstate) = match (sv.checked, op) {
                (true, 0) => (last, 2, 0, 6),
                (true, _) => (last, 3, sv.rise + sv.fall - 1, 6),
                (false, 0) => (1, 0, 0, if cfg_maint { 8 } else { 0 }),
                // A server that started without an address never had its health raised.
                (false, _) => (1, 0, if sv.no_addr { 0 } else { sv.rise }, 0),
            };
            out.push_str(&format!(
                "{} {} {} {} {} {op} {adm} {} {} {since} {cst} {cres} {health} {cstate} 0 0 0 {} {} - 0 0 - - 0\n",
                px.id,
                px.name,
                sv.id,
                sv.name,
                ip,
                s.weight(),
                sv.iweight,
                sv.fqdn.as_deref().unwrap_or("-"),
                port,
            ));
        }
    }
    out
}

/// A queue state as HAProxy's `srv_op_state` (0 stopped, 1 starting, 2 running, 3
/// stopping) and `srv_admin_state` (1 forced maintenance, 8 forced drain).
pub fn op_admin(st: ServerState) -> (u8, u8) {
    match st {
        ServerState::Up => (2, 0),
        ServerState::Down => (0, 0),
        ServerState::Maint => (0, 1),
        ServerState::Drain => (2, 8),
        ServerState::Starting => (1, 0),
    }
}

/// Resolves a map/ACL identifier: a loaded file's path, or `#<n>` (its position in
/// `show map`).
fn find_map(maps: &MapCache, id: &str) -> Option<Arc<MapFile>> {
    if let Some(n) = id.strip_prefix('#') {
        let n: usize = n.parse().ok()?;
        return maps.files().nth(n).cloned();
    }
    maps.get(id)
}

fn maps_show(p: &dyn Proc, args: &[&str], is_map: bool) -> Option<Reply> {
    let mut id = args.get(2).copied().unwrap_or("");
    if id.starts_with('@') {
        id = args.get(3).copied().unwrap_or("");
    }
    let mut out = String::new();
    p.with_maps(&mut |maps| {
        if id.is_empty() {
            out.push_str("# id (file) description\n");
            for (n, f) in maps.files().enumerate() {
                let kind = if is_map { "map" } else { "acl" };
                out.push_str(&format!(
                    "{n} ({}) pattern loaded from file '{}' used by {kind}. curr_ver=0 next_ver=0 entry_cnt={}\n",
                    f.path(),
                    f.path(),
                    f.len()
                ));
            }
            return;
        }
        let Some(f) = find_map(maps, id) else {
            out.push_str(if is_map {
                "Unknown map identifier. Please use #<id> or <file>.\n"
            } else {
                "Unknown ACL identifier. Please use #<id> or <file>.\n"
            });
            return;
        };
        for e in f.entries() {
            if is_map {
                out.push_str(&format!(
                    "{:#x} {} {}\n",
                    e.id,
                    e.key,
                    String::from_utf8_lossy(&e.value)
                ));
            } else {
                out.push_str(&format!("{:#x} {}\n", e.id, e.key));
            }
        }
    });
    r(out)
}

fn parse_ref(s: &str) -> Option<u32> {
    let h = s.strip_prefix("#")?;
    let h = h.strip_prefix("0x").unwrap_or(h);
    u32::from_str_radix(h, 16).ok()
}

/// `add|del|set|clear map|acl`.
fn maps_edit(p: &dyn Proc, args: &[&str], payload: Option<&str>) -> Option<Reply> {
    let is_map = args[1] == "map";
    let mut rest: Vec<&str> = args[2..].to_vec();
    if rest.first().is_some_and(|w| w.starts_with('@')) {
        rest.remove(0);
    }
    let unknown = if is_map {
        "Unknown map identifier. Please use #<id> or <file>.\n"
    } else {
        "Unknown ACL identifier. Please use #<id> or <file>.\n"
    };
    let mut out = String::new();
    let op = args[0];
    p.with_maps(&mut |maps| {
        let id = rest.first().copied().unwrap_or("");
        match op {
            "clear" => {
                if id.is_empty() {
                    out.push_str(if is_map {
                        "Missing map identifier.\n"
                    } else {
                        "Missing ACL identifier.\n"
                    });
                    return;
                }
                match find_map(maps, id) {
                    Some(f) => f.clear(),
                    None => out.push_str(unknown),
                }
            }
            "add" => {
                let enough = if is_map {
                    rest.len() >= 3 || (rest.len() == 1 && payload.is_some())
                } else {
                    rest.len() >= 2 || (rest.len() == 1 && payload.is_some())
                };
                if !enough {
                    out.push_str(if is_map {
                        "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"
                    } else {
                        "'add acl' expects two parameters: ACL identifier and pattern.\n"
                    });
                    return;
                }
                let Some(f) = find_map(maps, id) else {
                    out.push_str(unknown);
                    return;
                };
                let mut items: Vec<(String, String)> = Vec::new();
                if rest.len() >= 2 {
                    items.push((
                        rest[1].to_string(),
                        rest.get(2).copied().unwrap_or("").to_string(),
                    ));
                } else if let Some(pl) = payload {
                    for l in pl.lines() {
                        let w = super::session::split_words(l);
                        if w.is_empty() {
                            continue;
                        }
                        if is_map && w.len() < 2 {
                            out.push_str(&format!("Missing value for key '{}'.\n", w[0]));
                            return;
                        }
                        items.push((w[0].clone(), w.get(1).cloned().unwrap_or_default()));
                    }
                }
                for (k, v) in items {
                    if let Err(e) = f.add(&k, v.as_bytes()) {
                        out.push_str(&format!("{e}.\n"));
                        return;
                    }
                }
            }
            "set" => {
                if !is_map {
                    return;
                }
                if rest.len() < 3 {
                    out.push_str(
                        "'set map' expects three parameters: map identifier, key and value.\n",
                    );
                    return;
                }
                let Some(f) = find_map(maps, id) else {
                    out.push_str(unknown);
                    return;
                };
                let res = if rest[1].starts_with('#') {
                    match parse_ref(rest[1]) {
                        Some(n) => f.set_id(n, rest[2].as_bytes()).map(usize::from),
                        None => {
                            out.push_str("Malformed identifier. Please use #<id> or <file>.\n");
                            return;
                        }
                    }
                } else {
                    f.set(rest[1], rest[2].as_bytes())
                };
                match res {
                    Ok(0) => out.push_str("Unable to find the entry.\n"),
                    Ok(_) => {}
                    Err(e) => out.push_str(&format!("{e}.\n")),
                }
            }
            _ => {
                if rest.len() < 2 {
                    out.push_str(if is_map {
                        "This command expects two parameters: map identifier and key.\n"
                    } else {
                        "This command expects two parameters: ACL identifier and key.\n"
                    });
                    return;
                }
                let Some(f) = find_map(maps, id) else {
                    out.push_str(unknown);
                    return;
                };
                let found = if rest[1].starts_with('#') {
                    match parse_ref(rest[1]) {
                        Some(n) => f.del_id(n),
                        None => {
                            out.push_str("Malformed identifier. Please use #<id> or <file>.\n");
                            return;
                        }
                    }
                } else {
                    f.del(rest[1]) > 0
                };
                if !found {
                    out.push_str("Key not found.\n");
                }
            }
        }
    });
    r(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_is_cs() {
        assert_eq!(strtol("50%"), (50, "%"));
        assert_eq!(strtol("x"), (0, "x"));
        assert_eq!(strtol("-3"), (-3, ""));
    }
}
