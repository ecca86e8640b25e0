//! The server keywords, one function per family, with HAProxy's messages.

use super::{display_parser_err, MsgCtx, SrvKind};
use crate::config::addr::{str2sa_range, SaOpts};
use crate::config::bind::ssl as tls;
use crate::config::values::{atoi, atol, parse_time, TimeError, TimeUnit};
use crate::config::{err, Line, State};
use crate::model::server::Server;
use crate::model::Mode;

/// `(keyword, arguments (-1: the parser decides), accepted in default-server)`, in
/// HAProxy's registration order (server.c, check.c, cfgparse-ssl.c, cfgparse-tcp.c).
const SRV_KWS: &[(&str, i32, bool)] = &[
    ("backup", 0, true),
    ("cookie", 1, true),
    ("disabled", 0, true),
    ("enabled", 0, true),
    ("error-limit", 1, true),
    ("ws", 1, true),
    ("id", 1, false),
    ("init-addr", 1, true),
    ("log-proto", 1, true),
    ("maxconn", 1, true),
    ("maxqueue", 1, true),
    ("max-reuse", 1, true),
    ("minconn", 1, true),
    ("namespace", 1, true),
    ("no-backup", 0, true),
    ("no-send-proxy", 0, true),
    ("no-send-proxy-v2", 0, true),
    ("no-tfo", 0, true),
    ("non-stick", 0, true),
    ("observe", 1, true),
    ("on-error", 1, true),
    ("on-marked-down", 1, true),
    ("on-marked-up", 1, true),
    ("pool-low-conn", 1, true),
    ("pool-max-conn", 1, true),
    ("pool-purge-delay", 1, true),
    ("proto", 1, true),
    ("proxy-v2-options", 1, true),
    ("redir", 1, true),
    ("resolve-net", 1, true),
    ("resolve-opts", 1, true),
    ("resolve-prefer", 1, true),
    ("resolvers", 1, true),
    ("send-proxy", 0, true),
    ("send-proxy-v2", 0, true),
    ("slowstart", 1, true),
    ("source", -1, true),
    ("stick", 0, true),
    ("tfo", 0, true),
    ("track", 1, true),
    ("socks4", 1, true),
    ("usesrc", 0, true),
    ("weight", 1, true),
    ("addr", 1, true),
    ("agent-addr", 1, true),
    ("agent-check", 0, true),
    ("agent-inter", 1, true),
    ("agent-port", 1, true),
    ("agent-send", 1, true),
    ("check", 0, true),
    ("check-proto", 1, true),
    ("check-send-proxy", 0, true),
    ("check-via-socks4", 0, true),
    ("no-agent-check", 0, true),
    ("no-check", 0, true),
    ("no-check-send-proxy", 0, true),
    ("rise", 1, true),
    ("fall", 1, true),
    ("inter", 1, true),
    ("fastinter", 1, true),
    ("downinter", 1, true),
    ("port", 1, true),
    ("allow-0rtt", 0, true),
    ("alpn", 1, true),
    ("ca-file", 1, true),
    ("check-alpn", 1, true),
    ("check-sni", 1, true),
    ("check-ssl", 0, true),
    ("ciphers", 1, true),
    ("ciphersuites", 1, true),
    ("crl-file", 1, true),
    ("crt", 1, true),
    ("force-sslv3", 0, true),
    ("force-tlsv10", 0, true),
    ("force-tlsv11", 0, true),
    ("force-tlsv12", 0, true),
    ("force-tlsv13", 0, true),
    ("no-check-ssl", 0, true),
    ("no-send-proxy-v2-ssl", 0, true),
    ("no-send-proxy-v2-ssl-cn", 0, true),
    ("no-ssl", 0, true),
    ("no-ssl-reuse", 0, true),
    ("no-sslv3", 0, false),
    ("no-tlsv10", 0, false),
    ("no-tlsv11", 0, false),
    ("no-tlsv12", 0, false),
    ("no-tlsv13", 0, false),
    ("no-tls-tickets", 0, true),
    ("npn", 1, true),
    ("send-proxy-v2-ssl", 0, true),
    ("send-proxy-v2-ssl-cn", 0, true),
    ("sni", 1, true),
    ("ssl", 0, true),
    ("ssl-min-ver", 1, true),
    ("ssl-max-ver", 1, true),
    ("ssl-reuse", 0, true),
    ("tls-tickets", 0, true),
    ("verify", 1, true),
    ("verifyhost", 1, true),
    ("tcp-ut", 1, true),
];

/// Server option keywords (for `-dK cfg` and the coverage report).
pub const KEYWORDS: &[&str] = &[
    "backup",
    "cookie",
    "disabled",
    "enabled",
    "error-limit",
    "ws",
    "id",
    "init-addr",
    "log-proto",
    "maxconn",
    "maxqueue",
    "max-reuse",
    "minconn",
    "namespace",
    "no-backup",
    "no-send-proxy",
    "no-send-proxy-v2",
    "no-tfo",
    "non-stick",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "send-proxy",
    "send-proxy-v2",
    "slowstart",
    "source",
    "stick",
    "tfo",
    "track",
    "socks4",
    "usesrc",
    "weight",
    "addr",
    "agent-addr",
    "agent-check",
    "agent-inter",
    "agent-port",
    "agent-send",
    "check",
    "check-proto",
    "check-send-proxy",
    "check-via-socks4",
    "no-agent-check",
    "no-check",
    "no-check-send-proxy",
    "rise",
    "fall",
    "inter",
    "fastinter",
    "downinter",
    "port",
    "allow-0rtt",
    "alpn",
    "ca-file",
    "check-alpn",
    "check-sni",
    "check-ssl",
    "ciphers",
    "ciphersuites",
    "crl-file",
    "crt",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "no-check-ssl",
    "no-send-proxy-v2-ssl",
    "no-send-proxy-v2-ssl-cn",
    "no-ssl",
    "no-ssl-reuse",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "no-tls-tickets",
    "npn",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "sni",
    "ssl",
    "ssl-min-ver",
    "ssl-max-ver",
    "ssl-reuse",
    "tls-tickets",
    "verify",
    "verifyhost",
    "tcp-ut",
];

/// A keyword parser's result: HAProxy's code, its message, and (for `source`) where the
/// next keyword starts when the parser consumed a variable number of words.
struct KwRes {
    code: u32,
    msg: Option<String>,
    next: Option<usize>,
}

fn ok() -> KwRes {
    KwRes {
        code: 0,
        msg: None,
        next: None,
    }
}

fn fail(msg: String) -> KwRes {
    KwRes {
        code: err::ALERT_FATAL,
        msg: Some(msg),
        next: None,
    }
}

/// `_srv_parse_kw()`: parses the keyword at `cur`; returns the code and the next index.
pub(super) fn parse_kw(
    st: &mut State,
    line: &Line,
    cur: usize,
    px: usize,
    kind: SrvKind,
    srv: &mut Server,
    ctx: &mut MsgCtx,
) -> (u32, usize) {
    let kw = line.arg(cur);
    let Some(&(_, skip, default_ok)) = SRV_KWS.iter().find(|(k, _, _)| *k == kw) else {
        let names: Vec<&str> = SRV_KWS.iter().map(|(k, _, _)| *k).collect();
        let hint = if kind == SrvKind::Default {
            " Hint: no address was expected for this server."
        } else {
            ""
        };
        let text = match crate::config::suggest::best_match(kw, &names) {
            Some(b) => format!("unknown keyword '{kw}'; did you mean '{b}' maybe ?{hint}\n"),
            None => format!("unknown keyword '{kw}'.{hint}\n"),
        };
        ctx.alert(st, &text);
        return (err::ALERT_FATAL, cur);
    };
    let next = if skip >= 0 {
        cur + 1 + skip as usize
    } else {
        cur
    };
    if kind == SrvKind::Default && !default_ok {
        ctx.alert(
            st,
            &format!("'{kw}' option is not accepted in default-server sections\n"),
        );
        return (err::ALERT, next);
    }
    let id = match kind {
        SrvKind::Default => "default-server".to_string(),
        SrvKind::Template => "(null)".to_string(),
        SrvKind::Server => srv.name.clone(),
    };
    let r = keyword(st, line, cur, px, &id, srv, ctx);
    if r.code != 0 {
        // `source` advances HAProxy's cursor before failing: the token named is where it
        // stopped.
        let tok = r.next.map(|n| line.arg(n)).unwrap_or(kw);
        display_parser_err(st, ctx, tok, r.code, r.msg);
    }
    (r.code, r.next.unwrap_or(next))
}

fn keyword(
    st: &mut State,
    line: &Line,
    cur: usize,
    px: usize,
    id: &str,
    s: &mut Server,
    ctx: &mut MsgCtx,
) -> KwRes {
    let kw = line.arg(cur);
    let arg = line.arg(cur + 1);
    match kw {
        "backup" => s.backup = true,
        "no-backup" => s.backup = false,
        "disabled" => s.disabled = true,
        "enabled" => s.disabled = false,
        "cookie" | "redir" => {
            if arg.is_empty() {
                let what = if kw == "cookie" { "value" } else { "prefix" };
                return fail(format!("'{kw}' expects <{what}> as argument.\n"));
            }
            if kw == "cookie" {
                s.cookie = Some(arg.to_string());
            } else {
                s.redir = Some(arg.to_string());
            }
        }
        "error-limit" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects an integer argument."));
            }
            let v = atoi(arg);
            if v <= 0 {
                return fail(format!("{kw} has to be > 0."));
            }
            s.error_limit = Some(v);
        }
        "ws" => match arg {
            "h1" | "h2" | "auto" => s.ws = Some(arg.to_string()),
            _ => return fail(format!("'{kw}' has to be 'auto', 'h1' or 'h2'")),
        },
        "id" => return srv_id(st, px, kw, arg, s),
        "init-addr" => return init_addr(kw, arg, s),
        "log-proto" => match arg {
            "legacy" | "octet-count" => s.log_proto = Some(arg.to_string()),
            _ => {
                return fail(format!(
                    "'{kw}' expects one of 'legacy' or 'octet-count' but got '{arg}'"
                ))
            }
        },
        "maxconn" => s.maxconn = atol(arg) as u32,
        "maxqueue" => s.maxqueue = atol(arg) as u32,
        "minconn" => s.minconn = atol(arg) as u32,
        "max-reuse" | "pool-low-conn" | "pool-max-conn" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects <value> as argument.\n"));
            }
            let v = atoi(arg);
            match kw {
                "max-reuse" => s.max_reuse = Some(v),
                "pool-low-conn" => s.pool_low_conn = Some(v),
                _ => {
                    if v < -1 {
                        return fail(format!("'{kw}' must be >= -1"));
                    }
                    s.pool_max_conn = Some(v);
                }
            }
        }
        "pool-purge-delay" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects <value> as argument.\n"));
            }
            match parse_time(arg, TimeUnit::Ms) {
                Ok(t) => s.pool_purge_delay = Some(t.value),
                Err(TimeError::Over) => return fail(format!("timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")),
                Err(TimeError::Under) => return fail(format!("timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)")),
                Err(TimeError::BadChar(p)) => {
                    return fail(format!(
                        "unexpected character '{}' in argument to <{kw}>.\n",
                        char_at(arg, p)
                    ))
                }
            }
        }
        "namespace" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : expects <name> as argument"));
            }
            if arg != "*" && !crate::config::bind::netns_exists(st, arg) {
                return fail(format!("Cannot open namespace '{arg}'"));
            }
            s.namespace = Some(arg.to_string());
        }
        "no-send-proxy" => s.send_proxy = false,
        "no-send-proxy-v2" => s.send_proxy_v2 = false,
        "send-proxy" => s.send_proxy = true,
        "send-proxy-v2" => s.send_proxy_v2 = true,
        "no-tfo" => s.tfo = false,
        "tfo" => s.tfo = true,
        "non-stick" => s.non_stick = true,
        "stick" => s.non_stick = false,
        "observe" => return observe(st, px, kw, arg, s),
        "on-error" => match arg {
            "fastinter" | "fail-check" | "sudden-death" | "mark-down" => {
                s.on_error = Some(arg.to_string())
            }
            _ => return fail(format!("'{kw}' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '{arg}'")),
        },
        "on-marked-down" | "on-marked-up" => {
            let want = if kw == "on-marked-down" {
                "shutdown-sessions"
            } else {
                "shutdown-backup-sessions"
            };
            if arg != want {
                return fail(format!("'{kw}' expects '{want}' but got '{arg}'"));
            }
            if kw == "on-marked-down" {
                s.on_marked_down = Some(arg.to_string());
            } else {
                s.on_marked_up = Some(arg.to_string());
            }
        }
        "proto" | "check-proto" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            if !matches!(arg, "h1" | "h2" | "fcgi" | "none") {
                return fail(format!("'{kw}' :  unknown MUX protocol '{arg}'"));
            }
            if kw == "proto" {
                s.proto = Some(arg.to_string());
            } else {
                s.health.proto = Some(arg.to_string());
            }
        }
        "proxy-v2-options" => {
            for p in arg.split(',') {
                if !matches!(
                    p,
                    "ssl" | "cert-cn" | "cert-key" | "cert-sig" | "ssl-cipher" | "authority"
                        | "crc32c" | "unique-id"
                ) {
                    return fail(format!("'{p}' : proxy v2 option not implemented"));
                }
                s.proxy_v2_options.push(p.to_string());
            }
        }
        "resolvers" => s.resolvers = Some(arg.to_string()),
        "resolve-net" => return resolve_net(kw, arg, s),
        "resolve-opts" => {
            for p in arg.split(',').take_while(|p| !p.is_empty()) {
                if !matches!(p, "allow-dup-ip" | "ignore-weight" | "prevent-dup-ip") {
                    return fail(format!("'{kw}' : unknown resolve-opts option '{p}', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'."));
                }
                s.resolve_opts.push(p.to_string());
            }
        }
        "resolve-prefer" => match arg {
            "ipv4" | "ipv6" => s.resolve_prefer = Some(arg.to_string()),
            _ => return fail(format!("'{kw}' expects either ipv4 or ipv6 as argument.")),
        },
        "slowstart" => match time_arg(kw, arg, id, "overflow", "underflow", "slowstart") {
            Ok(v) => s.slowstart = v.div_ceil(1000),
            Err(e) => return fail(e),
        },
        "source" => return source(st, line, cur, s, ctx),
        "usesrc" => {
            return fail("'usesrc' only allowed after a 'source' statement.".to_string())
        }
        "track" => {
            if arg.is_empty() {
                return fail("'track' expects [<proxy>/]<server> as argument.\n".to_string());
            }
            s.track = Some(arg.to_string());
        }
        "socks4" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects <addr>:<port> as argument.\n"));
            }
            let o = SaOpts {
                port_mandatory: true,
                connect: true,
                ..SaOpts::resolving(&st.env)
            };
            if let Err(e) = str2sa_range(arg, &o) {
                return fail(format!("'{kw} {arg}' : {e}\n"));
            }
            s.socks4 = Some(arg.to_string());
        }
        "weight" => {
            let w = atol(arg) as i32;
            if !(0..=256).contains(&w) {
                return fail(format!(
                    "weight of server {id} is not within 0 and 256 ({w})."
                ));
            }
            s.weight = w as u32;
        }
        "tcp-ut" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing TCP User Timeout value"));
            }
            match parse_time(arg, TimeUnit::Ms) {
                Ok(t) => s.tcp_ut = Some(t.value),
                Err(TimeError::Over) => return fail(format!("timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")),
                Err(TimeError::Under) => return fail(format!("timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)")),
                Err(_) => return fail(format!("'{kw}' : expects a positive delay in milliseconds")),
            }
        }
        _ => return check_kw(st, line, cur, px, id, s, ctx),
    }
    ok()
}

fn char_at(s: &str, p: usize) -> char {
    s[p..].chars().next().unwrap_or('\0')
}

/// The check.c timers: `parse_time_err()` in ms with the server's messages. `what` names
/// the keyword in the "unexpected character" message (HAProxy says 'agent-inter' for all
/// check timers).
fn time_arg(
    kw: &str,
    arg: &str,
    id: &str,
    over: &str,
    under: &str,
    what: &str,
) -> Result<u32, String> {
    match parse_time(arg, TimeUnit::Ms) {
        Ok(t) => Ok(t.value),
        Err(TimeError::Over) => Err(format!("{over} in argument <{arg}> to <{kw}> of server {id}, maximum value is 2147483647 ms (~24.8 days).")),
        Err(TimeError::Under) => Err(format!("{under} in argument <{arg}> to <{kw}> of server {id}, minimum non-null value is 1 ms.")),
        // HAProxy prints the NUL at the end of an empty value with %c: the C string stops
        // there.
        Err(TimeError::BadChar(p)) if p >= arg.len() => Err("unexpected character '".into()),
        Err(TimeError::BadChar(p)) => Err(format!(
            "unexpected character '{}' in '{what}' argument of server {id}.",
            char_at(arg, p)
        )),
    }
}

/// `id <n>`: positive and unique within the proxy.
fn srv_id(st: &State, px: usize, kw: &str, arg: &str, s: &mut Server) -> KwRes {
    if arg.is_empty() {
        return fail(format!("'{kw}' : expects an integer argument"));
    }
    let v = atol(arg) as i32;
    if v <= 0 {
        return fail(format!("'{kw}' : custom id has to be > 0"));
    }
    if let Some(o) = st.model.proxies[px]
        .servers
        .iter()
        .find(|o| o.id == Some(v as u32))
    {
        return fail(format!(
            "'{kw}' : custom id {v} already used at {}:{} ('server {}')",
            o.loc.file, o.loc.line, o.name
        ));
    }
    s.id = Some(v as u32);
    ok()
}

/// `init-addr libc,last,none,<ip>`.
fn init_addr(kw: &str, arg: &str, s: &mut Server) -> KwRes {
    s.init_addr.clear();
    let mut have_ip = false;
    for p in arg.split(',').take_while(|p| !p.is_empty()) {
        let is_ip = !matches!(p, "libc" | "last" | "none")
            && crate::config::addr::str2sa_range(
                p,
                &SaOpts {
                    no_port: true,
                    ..Default::default()
                },
            )
            .is_ok_and(|r| matches!(r.addr, crate::config::addr::SaAddr::Inet(_)));
        if !matches!(p, "libc" | "last" | "none") && !is_ip {
            return fail(format!("'{kw}' : unknown init-addr method '{p}', supported methods are 'libc', 'last', 'none'."));
        }
        if is_ip {
            if have_ip {
                return fail(format!(
                    "'{kw}' : initial address already specified, cannot add '{p}'."
                ));
            }
            have_ip = true;
        }
        if s.init_addr.len() >= 10 {
            return fail(format!(
                "'{kw}' : too many init-addr methods when trying to add '{p}'"
            ));
        }
        s.init_addr.push(p.to_string());
    }
    ok()
}

/// `observe none|layer4|layer7` (layer7 needs an HTTP proxy: a non-fatal alert).
fn observe(st: &State, px: usize, kw: &str, arg: &str, s: &mut Server) -> KwRes {
    match arg {
        "" => fail(format!("'{kw}' expects <mode> as argument.\n")),
        "none" | "layer4" => {
            s.observe = Some(arg.to_string());
            ok()
        }
        "layer7" => {
            if st.model.proxies[px].mode != Mode::Http {
                return KwRes {
                    code: err::ALERT,
                    msg: Some(format!("'{arg}' can only be used in http proxies.\n")),
                    next: None,
                };
            }
            s.observe = Some(arg.to_string());
            ok()
        }
        _ => fail(format!(
            "'{kw}' expects one of 'none', 'layer4', 'layer7' but got '{arg}'\n"
        )),
    }
}

/// `resolve-net <net>[,<net>…]` (at most 5 networks).
fn resolve_net(kw: &str, arg: &str, s: &mut Server) -> KwRes {
    if arg.is_empty() {
        return fail(format!("'{kw}' expects a list of networks."));
    }
    for p in arg.split(',').take_while(|p| !p.is_empty()) {
        if s.resolve_net.len() >= 5 {
            return fail(format!("'{kw}' exceed 5 networks."));
        }
        if !valid_net(p) {
            return fail(format!("'{kw}' invalid network '{p}'."));
        }
        s.resolve_net.push(p.to_string());
    }
    ok()
}

/// `str2net()` / `str62net()`: an address with an optional mask (IPv4 dotted or length).
fn valid_net(p: &str) -> bool {
    let (a, m) = match p.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (p, None),
    };
    if a.parse::<std::net::Ipv4Addr>().is_ok() {
        return match m {
            None => true,
            Some(m) => {
                m.parse::<u8>().is_ok_and(|l| l <= 32) || m.parse::<std::net::Ipv4Addr>().is_ok()
            }
        };
    }
    if a.parse::<std::net::Ipv6Addr>().is_ok() {
        return m.is_none_or(|m| m.parse::<u8>().is_ok_and(|l| l <= 128));
    }
    false
}

/// `source <addr>[:<port>[-<port>]] [usesrc …] [interface <name>]`.
fn source(st: &mut State, line: &Line, cur: usize, s: &mut Server, ctx: &mut MsgCtx) -> KwRes {
    let kw = line.arg(cur);
    let arg = line.arg(cur + 1);
    if arg.is_empty() {
        return fail(format!("'{kw}' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument.\n"));
    }
    let o = SaOpts {
        port_range: true,
        connect: true,
        ..SaOpts::resolving(&st.env)
    };
    if let Err(e) = str2sa_range(arg, &o) {
        return fail(format!("'{kw} {arg}' : {e}\n"));
    }
    let mut words = vec![arg.to_string()];
    let mut i = cur + 2;
    loop {
        match line.arg(i) {
            "usesrc" => {
                let a = line.arg(i + 1);
                if a.is_empty() {
                    ctx.alert(st, "'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.\n");
                    return KwRes {
                        code: err::ALERT_FATAL,
                        msg: None,
                        next: Some(i),
                    };
                }
                if !matches!(a, "client" | "clientip") && !a.starts_with("hdr_ip(") {
                    let o = SaOpts {
                        connect: true,
                        ..SaOpts::resolving(&st.env)
                    };
                    if let Err(e) = str2sa_range(a, &o) {
                        ctx.alert(st, &format!("'usesrc {a}' : {e}\n"));
                        return KwRes {
                            code: err::ALERT_FATAL,
                            msg: None,
                            next: Some(i),
                        };
                    }
                }
                words.extend(["usesrc".to_string(), a.to_string()]);
                i += 2;
            }
            "interface" => {
                if line.arg(i + 1).is_empty() {
                    ctx.alert(
                        st,
                        &format!("'{}' : missing interface name.\n", line.arg(0)),
                    );
                    return KwRes {
                        code: err::ALERT_FATAL,
                        msg: None,
                        next: Some(i),
                    };
                }
                words.extend(["interface".to_string(), line.arg(i + 1).to_string()]);
                i += 2;
            }
            _ => break,
        }
    }
    s.source = Some(words.join(" "));
    KwRes {
        code: 0,
        msg: None,
        next: Some(i),
    }
}

/// Health and agent check keywords (check.c), then TLS ones.
fn check_kw(
    st: &mut State,
    line: &Line,
    cur: usize,
    px: usize,
    id: &str,
    s: &mut Server,
    ctx: &mut MsgCtx,
) -> KwRes {
    let kw = line.arg(cur);
    let arg = line.arg(cur + 1);
    match kw {
        "addr" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects <ipv4|ipv6> as argument."));
            }
            let o = SaOpts {
                connect: true,
                ..SaOpts::resolving(&st.env)
            };
            if let Err(e) = str2sa_range(arg, &o) {
                return fail(format!("'{kw}' : {e}"));
            }
            s.health.addr = Some(arg.to_string());
            if s.agent.addr.is_none() {
                s.agent.addr = Some(arg.to_string());
            }
        }
        "agent-addr" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects an address as argument."));
            }
            // `str2ip()` resolves: host names (and inet_aton forms such as "0") count.
            let o = SaOpts {
                no_port: true,
                ..SaOpts::resolving(&st.env)
            };
            let literal = arg.is_empty() || arg == "*" || arg.parse::<std::net::IpAddr>().is_ok();
            if !literal && str2sa_range(arg, &o).is_err() {
                return fail(format!(
                    "parsing agent-addr failed. Check if '{arg}' is correct address."
                ));
            }
            s.agent.addr = Some(arg.to_string());
        }
        "agent-check" => {
            if !st.model.proxies[px].cap.is_be() && !st.model.proxies[px].cap.is_defaults() {
                return KwRes {
                    code: err::WARN,
                    msg: Some(format!(
                        "'{kw}' ignored because {} '{}' has no backend capability",
                        st.model.proxies[px].cap.type_name(),
                        st.model.proxies[px].name
                    )),
                    next: None,
                };
            }
            s.agent.enabled = true;
        }
        "no-agent-check" => s.agent = Default::default(),
        "agent-inter" | "inter" | "fastinter" | "downinter" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects a delay as argument."));
            }
            let v = match time_arg(
                kw,
                arg,
                id,
                "timer overflow",
                "timer underflow",
                "agent-inter",
            ) {
                Ok(v) => v,
                Err(e) => return fail(e),
            };
            if v == 0 {
                return fail(format!(
                    "invalid value 0 for argument '{kw}' of server {id}."
                ));
            }
            match kw {
                "agent-inter" => s.agent.inter = v,
                "inter" => s.health.inter = v,
                "fastinter" => s.health.fastinter = Some(v),
                _ => s.health.downinter = Some(v),
            }
        }
        "agent-port" | "port" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects a port number as argument."));
            }
            let v = atol(arg) as u32;
            if kw == "port" {
                s.health.port = Some(v);
                if s.agent.port.is_none() {
                    s.agent.port = Some(v);
                }
            } else {
                s.agent.port = Some(v);
            }
        }
        "agent-send" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects a string as argument."));
            }
            s.agent.send = Some(arg.to_string());
        }
        "check" => {
            let p = &st.model.proxies[px];
            if !p.cap.is_be() && !p.cap.is_defaults() {
                return KwRes {
                    code: err::WARN,
                    msg: Some(format!(
                        "'{kw}' ignored because {} '{}' has no backend capability",
                        p.cap.type_name(),
                        p.name
                    )),
                    next: None,
                };
            }
            s.check = true;
        }
        "no-check" => s.check = false,
        "check-send-proxy" => s.health.send_proxy = true,
        "no-check-send-proxy" => s.health.send_proxy = false,
        "check-via-socks4" => s.health.via_socks4 = true,
        "rise" | "fall" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' expects an integer argument."));
            }
            let v = atol(arg) as i32;
            if v <= 0 {
                return fail(format!("'{kw}' has to be > 0."));
            }
            if kw == "rise" {
                s.health.rise = v as u32;
            } else {
                s.health.fall = v as u32;
            }
        }
        _ => return ssl_kw(st, line, cur, s, ctx),
    }
    ok()
}

/// The outgoing TLS keywords (cfgparse-ssl.c).
fn ssl_kw(st: &mut State, line: &Line, cur: usize, s: &mut Server, ctx: &mut MsgCtx) -> KwRes {
    let kw = line.arg(cur);
    let arg = line.arg(cur + 1);
    let t = &mut s.ssl;
    match kw {
        "ssl" => t.enabled = true,
        "no-ssl" => t.enabled = false,
        "check-ssl" => s.health.ssl = true,
        "no-check-ssl" => s.health.ssl = false,
        "allow-0rtt" => t.allow_0rtt = true,
        "no-ssl-reuse" => t.no_reuse = true,
        "ssl-reuse" => t.no_reuse = false,
        "no-tls-tickets" => t.no_tls_tickets = true,
        "tls-tickets" => t.no_tls_tickets = false,
        "send-proxy-v2-ssl" | "send-proxy-v2-ssl-cn" => {
            s.send_proxy_v2 = true;
            s.proxy_v2_options.push(if kw.ends_with("-cn") {
                "cert-cn".into()
            } else {
                "ssl".into()
            });
        }
        "no-send-proxy-v2-ssl" | "no-send-proxy-v2-ssl-cn" => {
            s.send_proxy_v2 = false;
            s.proxy_v2_options
                .retain(|o| o != "ssl" && !(kw.ends_with("-cn") && o == "cert-cn"));
        }
        "alpn" | "check-alpn" => {
            if arg.is_empty() {
                return fail(format!(
                    "'{kw}' : missing the comma-delimited ALPN protocol suite"
                ));
            }
            if let Err(p) = tls::check_proto_list(arg) {
                return fail(format!("'{kw}' : ALPN protocol name too long : '{p}'"));
            }
            if kw == "alpn" {
                t.alpn = Some(arg.to_string());
            } else {
                s.health.alpn = Some(arg.to_string());
            }
        }
        "npn" => {
            if arg.is_empty() {
                return fail(format!(
                    "'{kw}' : missing the comma-delimited NPN protocol suite"
                ));
            }
            if let Err(p) = tls::check_proto_list(arg) {
                return fail(format!("'{kw}' : NPN protocol name too long : '{p}'"));
            }
            t.npn = Some(arg.to_string());
        }
        "ca-file" | "crl-file" => {
            if arg.is_empty() {
                let what = if kw == "ca-file" { "CAfile" } else { "CRLfile" };
                return fail(format!("'{kw}' : missing {what} path"));
            }
            let path = tls::with_base(st, "ca-base", arg);
            if st.env.check_files {
                if let Some(why) = tls::ca_file_error(&path) {
                    ctx.alert(st, &format!("Couldn't open the ca-file '{path}' ({why}).\n"));
                    return fail(format!("'{kw}' : unable to load {path}"));
                }
            }
            if kw == "ca-file" {
                s.ssl.ca_file = Some(path);
            } else {
                s.ssl.crl_file = Some(path);
            }
        }
        "check-sni" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing SNI"));
            }
            s.health.sni = Some(arg.to_string());
        }
        "ciphers" | "ciphersuites" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing cipher suite"));
            }
            if kw == "ciphers" {
                t.ciphers = Some(arg.to_string());
            } else {
                t.ciphersuites = Some(arg.to_string());
            }
        }
        "crt" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing certificate file path"));
            }
            let p = tls::with_base(st, "crt-base", arg);
            s.ssl.crt = Some(p);
        }
        "sni" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing sni expression"));
            }
            t.sni = Some(arg.to_string());
        }
        "ssl-min-ver" | "ssl-max-ver" => {
            if let Err(e) = tls::tls_minmax(kw, arg, &mut t.tls) {
                return fail(e);
            }
        }
        "verify" => match arg {
            "" => return fail(format!("'{kw}' : missing verify method")),
            "none" | "required" => t.verify = Some(arg.to_string()),
            _ => return fail(format!("'{kw}' : unknown verify method '{arg}', only 'none' and 'required' are supported\n")),
        },
        "verifyhost" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing hostname to verify against"));
            }
            t.verifyhost = Some(arg.to_string());
        }
        _ if kw.starts_with("no-") || kw.starts_with("force-") => {
            if let Err(e) = tls::tls_method_option(kw, &mut t.tls) {
                return fail(e);
            }
        }
        _ => return fail(format!("'{kw}' option is not implemented in this version (check build options)")),
    }
    ok()
}
