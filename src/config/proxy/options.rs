//! `option …` (with its `no` / `default` modifiers) and `stats …`.

use super::keywords::{char_at, detach_stats, ptime, set_log_format, stats_mut};
use super::{alert_ns, pxm, too_many_args_idx, warn_ns, warnifnotcap, words_from};
use crate::config::values::{atol, TimeError, TimeUnit};
use crate::config::{err, Kwm, Line, State};
use crate::model::proxy::{AddrHeader, HttpConnMode, LogFormat};
use crate::model::ProxyCap;

/// A simple flag option of HAProxy's `cfg_opts[]`/`cfg_opts2[]` tables.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    pub name: &'static str,
    /// The side(s) it applies to; a proxy lacking them ignores it with a warning.
    pub cap: ProxyCap,
    /// It only works in `mode http`: the post-parse check warns "'option %s' ignored for
    /// %s '%s' as it requires HTTP mode." for other modes.
    pub http_only: bool,
}

const FE: ProxyCap = ProxyCap::FE;
const BE: ProxyCap = ProxyCap::BE;
const FB: ProxyCap = ProxyCap::LISTEN;

const fn o(name: &'static str, cap: ProxyCap, http_only: bool) -> OptSpec {
    OptSpec {
        name,
        cap,
        http_only,
    }
}

/// `cfg_opts[]` then `cfg_opts2[]` of HAProxy 2.6 (Linux build: splice and transparent on).
pub const CFG_OPTS: &[OptSpec] = &[
    o("abortonclose", BE, false),
    o("allbackups", BE, false),
    o("checkcache", BE, true),
    o("clitcpka", FE, false),
    o("contstats", FE, false),
    o("dontlognull", FE, false),
    o("http-buffer-request", FB, true),
    o("http-ignore-probes", FE, true),
    o("idle-close-on-response", FE, true),
    o("prefer-last-server", BE, true),
    o("logasap", FE, false),
    o("nolinger", FB, false),
    o("persist", BE, false),
    o("srvtcpka", BE, false),
    o("transparent", BE, false),
    o("splice-request", FB, false),
    o("splice-response", FB, false),
    o("splice-auto", FB, false),
    o("accept-invalid-http-request", FE, true),
    o("accept-invalid-http-response", BE, true),
    o("dontlog-normal", FE, false),
    o("log-separate-errors", FE, false),
    o("log-health-checks", BE, false),
    o("socket-stats", FE, false),
    o("tcp-smart-accept", FE, false),
    o("tcp-smart-connect", BE, false),
    o("independent-streams", FB, false),
    o("http-use-proxy-header", FE, true),
    o("http-pretend-keepalive", BE, true),
    o("http-no-delay", FB, true),
    o("h1-case-adjust-bogus-client", FE, true),
    o("h1-case-adjust-bogus-server", BE, true),
    o("disable-h2-upgrade", FE, true),
];

/// HAProxy's `common_options[]`, the other candidates of "did you mean".
const COMMON_OPTIONS: &[&str] = &[
    "httpclose",
    "http-server-close",
    "http-keep-alive",
    "redispatch",
    "httplog",
    "tcplog",
    "tcpka",
    "httpchk",
    "ssl-hello-chk",
    "smtpchk",
    "pgsql-check",
    "redis-check",
    "mysql-check",
    "ldap-check",
    "spop-check",
    "tcp-check",
    "external-check",
    "forwardfor",
    "original-to",
];

/// Every `option <name>` the parser accepts (for `-dK cfg`): the flag options, then those
/// with their own parsers.
pub fn option_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = CFG_OPTS.iter().map(|o| o.name).collect();
    v.extend(COMMON_OPTIONS.iter().filter(|n| **n != "original-to"));
    v.extend(["originalto", "httpslog", "http-restrict-req-hdr-names"]);
    v
}

fn set_flag(st: &mut State, px: usize, name: &str, kwm: Kwm) {
    let opts = &mut pxm(st, px).settings.options;
    opts.retain(|(n, _)| n != name);
    match kwm {
        Kwm::Std => opts.push((name.to_string(), true)),
        Kwm::No => opts.push((name.to_string(), false)),
        Kwm::Default => {}
    }
}

/// `option <name> …`.
pub(super) fn parse_option(st: &mut State, line: &Line, px: usize) -> u32 {
    let name = line.arg(1).to_string();
    let kwm = line.kwm;
    if name.is_empty() {
        return alert_ns(st, line, "'option' expects an option name.");
    }
    let path = format!("option {name}");
    if let Some(spec) = CFG_OPTS.iter().find(|s| s.name == name) {
        if too_many_args_idx(st, line, 0, 1) {
            return err::ALERT_FATAL;
        }
        if warnifnotcap(st, line, px, spec.cap, &name, "") {
            return err::WARN;
        }
        set_flag(st, px, &name, kwm);
        st.used(line, &path);
        return 0;
    }
    let mode = match name.as_str() {
        "forceclose" => {
            return alert_ns(st, line, "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.")
        }
        "httpclose" => Some(HttpConnMode::Close),
        "http-server-close" => Some(HttpConnMode::ServerClose),
        "http-keep-alive" => Some(HttpConnMode::KeepAlive),
        "http-tunnel" => {
            return alert_ns(st, line, "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.")
        }
        _ => None,
    };
    if let Some(m) = mode {
        if too_many_args_idx(st, line, 0, 1) {
            return err::ALERT_FATAL;
        }
        let s = &mut pxm(st, px).settings;
        match kwm {
            Kwm::Std => s.http_conn_mode = Some(m),
            Kwm::No => {
                if s.http_conn_mode == Some(m) {
                    s.http_conn_mode = None;
                }
            }
            // HAProxy falls through to the "negation/default is not supported" alert.
            Kwm::Default => {
                return alert_ns(
                    st,
                    line,
                    format!("negation/default is not supported for option '{name}'."),
                )
            }
        }
        st.used(line, &path);
        return 0;
    }
    if name == "redispatch" {
        if warnifnotcap(st, line, px, ProxyCap::BE, &name, "") {
            return err::WARN;
        }
        let s = &mut pxm(st, px).settings;
        s.options.retain(|(n, _)| n != "redispatch");
        match kwm {
            Kwm::Std => {
                s.options.push(("redispatch".into(), true));
                s.redispatch = Some(if line.arg(2).is_empty() {
                    -1
                } else {
                    atol(line.arg(2))
                });
            }
            Kwm::No => {
                s.options.push(("redispatch".into(), false));
                s.redispatch = Some(0);
            }
            Kwm::Default => {}
        }
        st.used(line, &path);
        return 0;
    }
    if name == "http_proxy" {
        return alert_ns(st, line, "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.");
    }
    if kwm != Kwm::Std {
        return alert_ns(
            st,
            line,
            format!("negation/default is not supported for option '{name}'."),
        );
    }
    let r = match name.as_str() {
        "httplog" | "tcplog" | "httpslog" => opt_logformat(st, line, px),
        "tcpka" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::LISTEN, "tcpka", "") {
                e |= err::WARN;
            }
            if too_many_args_idx(st, line, 0, 1) {
                return e | err::ALERT_FATAL;
            }
            let cap = st.model.proxies[px].cap;
            if cap.is_fe() {
                set_flag(st, px, "clitcpka", Kwm::Std);
            }
            if cap.is_be() {
                set_flag(st, px, "srvtcpka", Kwm::Std);
            }
            e
        }
        "httpchk" | "ssl-hello-chk" | "smtpchk" | "pgsql-check" | "redis-check" | "mysql-check"
        | "ldap-check" | "spop-check" | "tcp-check" | "external-check" => {
            super::checks::parse_check_option(st, line, px)
        }
        "forwardfor" | "originalto" => opt_addr_header(st, line, px),
        "http-restrict-req-hdr-names" => {
            if super::too_many_args(st, line, 2) {
                return err::ALERT_FATAL;
            }
            let a = line.arg(2);
            if a.is_empty() {
                return st.alert(line, format!("missing parameter. option '{name}' expects 'preserve', 'reject' or 'delete' option."));
            }
            if !matches!(a, "preserve" | "reject" | "delete") {
                return st.alert(line, format!("invalid parameter '{a}'. option '{name}' expects 'preserve', 'reject' or 'delete' option."));
            }
            pxm(st, px).settings.http_restrict_req_hdr_names = Some(a.to_string());
            0
        }
        _ => {
            let mut cands: Vec<&str> = CFG_OPTS.iter().map(|s| s.name).collect();
            cands.extend_from_slice(COMMON_OPTIONS);
            return match crate::config::suggest::best_match(&name, &cands) {
                Some(b) => st.alert(
                    line,
                    format!("unknown option '{name}'; did you mean '{b}' maybe ?"),
                ),
                None => st.alert(line, format!("unknown option '{name}'.")),
            };
        }
    };
    if r & err::FATAL == 0 {
        st.used(line, &path);
    }
    r
}

fn opt_logformat(st: &mut State, line: &Line, px: usize) -> u32 {
    let name = line.arg(1).to_string();
    let mut lf = match name.as_str() {
        "httplog" => LogFormat::Http,
        "httpslog" => LogFormat::Https,
        _ => LogFormat::Tcp,
    };
    if name == "httplog" && !line.arg(2).is_empty() {
        if line.arg(2) != "clf" {
            return st.alert(line, "keyword 'httplog' only supports option 'clf'.");
        }
        lf = LogFormat::HttpClf;
        if too_many_args_idx(st, line, 1, 1) {
            return err::ALERT_FATAL;
        }
    }
    let p = &st.model.proxies[px];
    let (is_def, is_fe, pname) = (p.cap.is_defaults(), p.cap.is_fe(), p.name.clone());
    if is_def {
        if let Some((old, _)) = &p.settings.log_format {
            let old = old.directive();
            // HAProxy names `option httpslog` "option httplog" in this warning.
            let shown = match lf {
                LogFormat::HttpClf => "option httplog clf",
                LogFormat::Tcp => "option tcplog",
                _ => "option httplog",
            };
            warn_ns(
                st,
                line,
                format!("'{shown}' overrides previous '{old}' in 'defaults' section."),
            );
        }
    }
    set_log_format(st, line, px, lf);
    if name == "tcplog" && too_many_args_idx(st, line, 0, 1) {
        return err::ALERT_FATAL;
    }
    if !is_def && !is_fe {
        return st.warn(
            line,
            format!("backend '{pname}' : 'option {name}' directive is ignored in backends."),
        );
    }
    0
}

/// `option forwardfor [except <net>] [header <name>] [if-none]` and `option originalto`.
fn opt_addr_header(st: &mut State, line: &Line, px: usize) -> u32 {
    let name = line.arg(1).to_string();
    let ff = name == "forwardfor";
    let mut h = AddrHeader {
        header: if ff {
            "X-Forwarded-For".into()
        } else {
            "X-Original-To".into()
        },
        except: None,
        if_none: false,
    };
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        match a {
            "except" => {
                let n = line.arg(i + 1);
                if n.is_empty() || !is_network(n) {
                    return st.alert(
                        line,
                        format!("'option {name} except' expects <address>[/mask] as argument."),
                    );
                }
                h.except = Some(n.to_string());
                i += 2;
            }
            "header" => {
                if line.arg(i + 1).is_empty() {
                    return st.alert(
                        line,
                        format!("'option {name} header' expects <header_name> as argument."),
                    );
                }
                h.header = line.arg(i + 1).to_string();
                i += 2;
            }
            "if-none" if ff => {
                h.if_none = true;
                i += 1;
            }
            _ => {
                let tail = if ff {
                    "'except', 'header' and 'if-none'."
                } else {
                    "'except' and 'header'."
                };
                return st.alert(
                    line,
                    format!("'option {name}' only supports optional values: {tail}"),
                );
            }
        }
    }
    let s = &mut pxm(st, px).settings;
    if ff {
        s.forwardfor = Some(h);
    } else {
        s.originalto = Some(h);
    }
    0
}

/// `str2net()` (IPv4 address or name with optional mask) or `str62net()` (IPv6/len).
fn is_network(s: &str) -> bool {
    let (addr, mask) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
        let _ = a;
        return match mask {
            None => true,
            Some(m) => {
                m.parse::<std::net::Ipv4Addr>().is_ok()
                    || m.parse::<u32>().map(|v| v <= 32).unwrap_or(false)
            }
        };
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return match mask {
            None => true,
            Some(m) => m.parse::<u32>().map(|v| v <= 128).unwrap_or(false),
        };
    }
    false
}

/// `stats …` in a proxy section.
pub(super) fn parse_stats(st: &mut State, line: &Line, px: usize) -> u32 {
    let a1 = line.arg(1).to_string();
    let a2 = line.arg(2).to_string();
    let is_def = st.model.proxies[px].cap.is_defaults();
    // Any stats line detaches the proxy from its defaults' stats settings.
    detach_stats(st, px);
    let path = format!("stats {a1}");
    match a1.as_str() {
        "admin" => {
            if is_def {
                return alert_ns(st, line, "'stats admin' not allowed in 'defaults' section.");
            }
            if a2 != "if" && a2 != "unless" {
                return st.alert(
                    line,
                    "'stats admin' requires either 'if' or 'unless' followed by a condition.",
                );
            }
            let words = words_from(line, 2);
            match crate::config::expr::parse_cond(st, px, &words) {
                Ok(c) => stats_mut(st, px).admin.push((c, line.loc.clone())),
                Err(m) => {
                    return st.alert(
                        line,
                        format!("error detected while parsing a 'stats admin' rule : {m}."),
                    )
                }
            }
        }
        "uri" | "realm" | "auth" | "scope" => {
            if a2.is_empty() {
                let m = match a1.as_str() {
                    "uri" => "'uri' needs an URI prefix.",
                    "realm" => "'realm' needs an realm name.",
                    "auth" => "'auth' needs a user:password account.",
                    _ => "'scope' needs a proxy name.",
                };
                return st.alert(line, m);
            }
            let user = a2.split(':').next().unwrap_or("").to_string();
            let s = stats_mut(st, px);
            match a1.as_str() {
                "uri" => s.uri = Some(a2),
                "realm" => s.realm = Some(a2),
                "scope" => s.scope.push(a2),
                _ => {
                    if s.auth
                        .iter()
                        .any(|a| a.split(':').next().unwrap_or("") == user)
                    {
                        st.diag
                            .warning(format!("uri auth: ignoring duplicated user '{user}'."));
                    } else {
                        s.auth.push(a2);
                    }
                }
            }
        }
        "refresh" => {
            let v = match ptime(st, &a2, TimeUnit::S) {
                Ok(t) => t,
                Err(TimeError::Over) => return alert_ns(st, line, format!("timer overflow in argument <{a2}> to stats refresh interval, maximum value is 2147483647 s (~68 years).")),
                Err(TimeError::Under) => return alert_ns(st, line, format!("timer underflow in argument <{a2}> to stats refresh interval, minimum non-null value is 1 s.")),
                Err(TimeError::BadChar(p)) => return alert_ns(st, line, format!("unexpected character '{}' in argument to stats refresh interval.", char_at(&a2, p))),
            };
            stats_mut(st, px).refresh = Some(v);
        }
        "http-request" => {
            if is_def {
                return alert_ns(st, line, "'stats' not allowed in 'defaults' section.");
            }
            let s = stats_mut(st, px);
            if let Some((w, _)) = s.http_request.last() {
                if !w.iter().any(|x| x == "if" || x == "unless") {
                    warn_ns(st, line, "previous 'stats' action has no condition attached, further entries are NOOP.");
                }
            }
            let words = words_from(line, 2);
            stats_mut(st, px)
                .http_request
                .push((words.clone(), line.loc.clone()));
            // The actions the stats page honours (HAProxy's applet only acts on these).
            use crate::model::proxy::{StatsAction, StatsRule};
            let (action, mut at) = match words.first().map(String::as_str) {
                Some("allow") => (Some(StatsAction::Allow), 1),
                Some("deny") => (Some(StatsAction::Deny), 1),
                Some("auth") if words.get(1).map(String::as_str) == Some("realm") => {
                    (Some(StatsAction::Auth(words.get(2).cloned())), 3)
                }
                Some("auth") => (Some(StatsAction::Auth(None)), 1),
                _ => (None, 0),
            };
            let Some(action) = action else {
                let a = words.first().cloned().unwrap_or_default();
                st.used(line, &format!("stats http-request {a}"));
                return 0;
            };
            at = at.min(words.len());
            let cond = if at < words.len() {
                match crate::config::expr::parse_cond(st, px, &words[at..]) {
                    Ok(c) => Some(c),
                    Err(m) => {
                        return st.alert(
                            line,
                            format!(
                            "error detected while parsing a 'stats http-request' condition : {m}."
                        ),
                        )
                    }
                }
            } else {
                None
            };
            stats_mut(st, px).rules.push(StatsRule {
                action,
                cond,
                loc: line.loc.clone(),
            });
        }
        "enable" => stats_mut(st, px).enabled = true,
        "hide-version" => stats_mut(st, px).hide_version = true,
        "show-legends" => stats_mut(st, px).show_legends = true,
        "show-modules" => stats_mut(st, px).show_modules = true,
        "show-node" => {
            if !a2.is_empty()
                && !a2
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return alert_ns(st, line, "'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).");
            }
            stats_mut(st, px).show_node = Some(a2);
        }
        "show-desc" => {
            let desc = words_from(line, 2).join(" ");
            let global_desc = st
                .model
                .global
                .other
                .iter()
                .any(|(k, _, _)| k == "description");
            if desc.is_empty() && !global_desc {
                warn_ns(
                    st,
                    line,
                    "'show-desc' requires a parameter or 'desc' to be set in the global section.",
                );
            } else {
                stats_mut(st, px).show_desc = Some(desc);
            }
        }
        _ => {
            let (what, arg) = if a1.is_empty() {
                ("missing keyword in", "stats".to_string())
            } else {
                ("unknown stats parameter", a1.clone())
            };
            return alert_ns(st, line, format!("{what} '{arg}', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."));
        }
    }
    st.used(line, &path);
    0
}
