//! Post-parse checks on servers that HAProxy makes in `check_config_validity()`, proxy by
//! proxy: duplicate names, the per-server loop (connection limits, TLS preparation, TCP
//! Fast Open retry advice, `track` resolution) and multiplexer compatibility.

use super::MsgCtx;
use crate::config::{err, State};
use crate::model::Mode;

/// Duplicate server names within proxy `px` (servers with an explicit `id` are exempt).
pub fn check_duplicate_names_in(st: &mut State, px: usize) -> u32 {
    let p = &st.model.proxies[px];
    let mut msgs = Vec::new();
    for (i, s) in p.servers.iter().enumerate() {
        if s.id.is_some() {
            continue;
        }
        if let Some(o) = p.servers[..i]
            .iter()
            .find(|o| o.id.is_none() && o.name == s.name)
        {
            msgs.push((
                s.loc.clone(),
                format!(
                    "{} '{}', another server named '{}' was already defined at line {}, please use distinct names.",
                    p.cap.type_name(),
                    p.name,
                    s.name,
                    o.loc.line
                ),
            ));
        }
    }
    let n = msgs.len();
    for (loc, m) in msgs {
        st.diag.alert_at(&loc.file, loc.line, m);
    }
    if n > 0 {
        err::ALERT_FATAL
    } else {
        0
    }
}

/// The per-server loop of `check_config_validity()` for proxy `px`: `minconn`/`maxconn`
/// adjustment, TLS verification prerequisites, the `tfo` retry warning and `track`.
pub fn check_servers_in(st: &mut State, px: usize) -> u32 {
    // `ssl-server-verify` defaults to `required`.
    let verify_required = st.model.global.ssl.server_verify_required != Some(false);
    let retry_ok = retry_covers_tfo(st, px);
    let mut code = 0;
    for si in 0..st.model.proxies[px].servers.len() {
        let s = &mut st.model.proxies[px].servers[si];
        if s.minconn > s.maxconn {
            s.maxconn = s.minconn;
        } else if s.maxconn != 0 && s.minconn == 0 {
            s.minconn = s.maxconn;
        }
        let s = &st.model.proxies[px].servers[si];
        let mut ctx = MsgCtx {
            file: s.loc.file.to_string(),
            line: s.loc.line,
            obj: Some(format!("server {}/{}", st.model.proxies[px].name, s.name)),
            used: false,
        };
        if s.ssl.enabled || s.health.ssl {
            if let Some(crt) = s.ssl.crt.clone() {
                if st.env.check_files {
                    let extra = crate::config::bind::ssl::extra_files(st);
                    if let Err(e) = load_client_cert(&crt, extra) {
                        ctx.alert(st, &e);
                        code |= err::ALERT_FATAL;
                    }
                }
            }
            code |= server_tls_versions(st, px, si, &mut ctx);
            let s = &st.model.proxies[px].servers[si];
            let verify = match s.ssl.verify.as_deref() {
                Some("none") => false,
                Some(_) => true,
                None => verify_required,
            };
            if verify && s.ssl.ca_file.is_none() {
                let text = if verify_required {
                    "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.\n"
                } else {
                    "verify is enabled but no CA file specified.\n"
                };
                ctx.alert(st, text);
                code |= err::ALERT_FATAL;
            }
        }
        let s = &st.model.proxies[px].servers[si];
        if s.tfo && !retry_ok {
            ctx.warn(st, "server has tfo activated, the backend should be configured with at least 'conn-failure', 'empty-response' and 'response-timeout' or we wouldn't be able to retry the connection on failure.\n");
            code |= err::WARN;
        }
        if let Some(t) = st.model.proxies[px].servers[si].track.clone() {
            if let Err(m) = apply_track(st, px, si, &t) {
                ctx.alert(st, &m);
                code |= err::ALERT_FATAL;
            }
        }
    }
    code
}

/// The TLS version range part of `ssl_sock_prepare_srv_ctx()` (no default minimum on the
/// server side; `ssl-default-server-options` fills what the line leaves unset).
fn server_tls_versions(st: &mut State, px: usize, si: usize, ctx: &mut MsgCtx) -> u32 {
    const NAMES: [&str; 6] = ["NONE", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
    let idx = |n: &str| NAMES.iter().position(|v| *v == n).unwrap_or(0);
    let defaults =
        crate::config::bind::checks::global_tls_defaults(st, "ssl-default-server-options");
    let p = &st.model.proxies[px];
    let (ptype, pname) = (p.cap.type_name(), p.name.clone());
    let s = &p.servers[si];
    let sname = s.name.clone();
    let tls = &s.ssl.tls;
    let mut off = [false; 6];
    for d in tls.disabled.iter().chain(defaults.disabled.iter()) {
        let i = match d.as_str() {
            "sslv3" => 1,
            "tlsv10" => 2,
            "tlsv11" => 3,
            "tlsv12" => 4,
            _ => 5,
        };
        off[i] = true;
    }
    let min = tls
        .min
        .as_deref()
        .or(defaults.min.as_deref())
        .map_or(0, idx);
    let max = tls
        .max
        .as_deref()
        .or(defaults.max.as_deref())
        .map_or(0, idx);
    if off.iter().any(|o| *o) && (min != 0 || max != 0) {
        ctx.warn(st, "no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.\n");
        off = [false; 6];
    }
    let hi = if max == 0 { 5 } else { max };
    let (mut first, mut hole) = (0, 0);
    for (i, disabled) in off.iter().enumerate().skip(1) {
        if !disabled && i >= min.max(1) && i <= hi {
            if first != 0 && hole != 0 {
                ctx.warn(st, &format!("{ptype} '{pname}': SSL/TLS versions range not contiguous for server '{sname}'. Hole find for {}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.\n", NAMES[hole]));
                hole = 0;
            }
            if first == 0 {
                first = i;
            }
        } else if first != 0 {
            hole = i;
        }
    }
    if first == 0 {
        ctx.alert(
            st,
            &format!(
                "{ptype} '{pname}': all SSL/TLS versions are disabled for server '{sname}'.\n"
            ),
        );
        return err::ALERT_FATAL;
    }
    0
}

/// `ssl_sock_load_srv_cert()`: a client certificate file (directories are not supported
/// on the server side).
/// A server's client certificate, found with the global `ssl-load-extra-*` rules as for
/// `bind … crt`.
fn load_client_cert(path: &str, extra: crate::config::bind::ssl::ExtraFiles) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => {
            crate::config::bind::ssl::load_cert_file_with(path, extra).map(|_| ())
        }
        Ok(_) => Err(format!(
            "unable to stat SSL certificate from file '{path}' : Is a directory.\n"
        )),
        Err(e) => Err(format!(
            "unable to stat SSL certificate from file '{path}' : {}.\n",
            crate::config::bind::ssl::strerror(&e)
        )),
    }
}

/// Whether `retry-on` includes both `empty-response` and `response-timeout`.
fn retry_covers_tfo(st: &State, px: usize) -> bool {
    let Some(words) = &st.model.proxies[px].settings.retry_on else {
        return false;
    };
    let has = |w: &str| words.iter().any(|x| x == w || x == "all-retryable-errors");
    has("empty-response") && has("response-timeout")
}

/// `srv_apply_track()`: `[<proxy>/]<server>` must name a checked server, without loops.
fn apply_track(st: &State, px: usize, si: usize, spec: &str) -> Result<(), String> {
    let (pname, sname) = match spec.rfind('/') {
        Some(i) => (Some(&spec[..i]), &spec[i + 1..]),
        None => (None, spec),
    };
    let tpx = match pname {
        Some(n) => st
            .model
            .proxies
            .iter()
            .position(|p| p.name == n && p.cap.is_be() && !p.cap.is_defaults())
            .ok_or_else(|| format!("unable to find required proxy '{n}' for tracking.\n"))?,
        None => px,
    };
    let p = &st.model.proxies[tpx];
    let tsi = p
        .servers
        .iter()
        .position(|s| s.name == sname)
        .ok_or_else(|| format!("unable to find required server '{sname}' for tracking.\n"))?;
    let t = &p.servers[tsi];
    if !t.check && !t.agent.enabled && t.track.is_none() {
        return Err(format!(
            "unable to use {}/{} for tracking as it does not have any check nor agent enabled.\n",
            p.name, t.name
        ));
    }
    // Walk the chain of tracks already applied (servers checked before this one).
    let mut cur = (tpx, tsi);
    let mut guard = 0;
    loop {
        if cur == (px, si) {
            let back = if (tpx, tsi) == (px, si) {
                t.name.clone()
            } else {
                st.model.proxies[px].servers[si].name.clone()
            };
            return Err(format!(
                "unable to track {}/{} as it belongs to a tracking chain looping back to {}/{}.\n",
                p.name, t.name, p.name, back
            ));
        }
        let applied = cur.0 < px || (cur.0 == px && cur.1 < si);
        let s = &st.model.proxies[cur.0].servers[cur.1];
        let next = match (&s.track, applied) {
            (Some(spec), true) => resolve(st, cur.0, spec),
            _ => None,
        };
        guard += 1;
        match next {
            Some(n) if guard < 10_000 => cur = n,
            _ => return Ok(()),
        }
    }
}

fn resolve(st: &State, px: usize, spec: &str) -> Option<(usize, usize)> {
    let (pname, sname) = match spec.rfind('/') {
        Some(i) => (Some(&spec[..i]), &spec[i + 1..]),
        None => (None, spec),
    };
    let tpx = match pname {
        Some(n) => st
            .model
            .proxies
            .iter()
            .position(|p| p.name == n && p.cap.is_be() && !p.cap.is_defaults())?,
        None => px,
    };
    let tsi = st.model.proxies[tpx]
        .servers
        .iter()
        .position(|s| s.name == sname)?;
    Some((tpx, tsi))
}

/// Multiplexer compatibility of `proto` on servers: h1/h2/fcgi need HTTP mode, `none`
/// TCP mode.
pub fn check_server_muxes(st: &mut State, px: usize) -> u32 {
    let p = &st.model.proxies[px];
    let http = p.mode == Mode::Http;
    let mut msgs = Vec::new();
    for s in &p.servers {
        let Some(proto) = &s.proto else { continue };
        let usable = match proto.as_str() {
            "h1" | "h2" | "fcgi" => http,
            "none" => !http,
            _ => false,
        };
        if !usable {
            msgs.push(format!(
                "{} '{}' : MUX protocol '{proto}' is not usable for server '{}' at [{}:{}].",
                p.cap.type_name(),
                p.name,
                s.name,
                s.loc.file,
                s.loc.line
            ));
        }
    }
    let bad = !msgs.is_empty();
    for m in msgs {
        st.diag.alert(m);
    }
    if bad {
        err::ALERT_FATAL
    } else {
        0
    }
}

/// HAProxy's post-server checks (`init_srv_check()`), run for every enabled proxy after
/// `check_config_validity()` even when it failed: a health check needs a port from
/// somewhere, and an explicit `check-proto` must fit the check type.
pub fn check_post_server(st: &mut State, px: usize) -> u32 {
    use crate::model::proxy::CheckKind;
    let p = &st.model.proxies[px];
    if p.disabled || !p.cap.is_be() || p.cap.is_defaults() {
        return 0;
    }
    let http = matches!(p.settings.check, Some(CheckKind::Http { .. }));
    let head = format!("config: {} '{}': server", p.cap.type_name(), p.name);
    // HAProxy 2.6 quirk: once an earlier backend without any check ruleset has released its
    // ruleset (`deinit_proxy_tcpcheck()`), later proxies without one still see a non-empty
    // rule list here and get the longer "nor tcp_check rule" wording. Reproduced as
    // observed with haproxy 2.6.12 (declaration order, enabled backend-capable proxies).
    let stale_ruleset = st.model.proxies[..px].iter().any(|q| {
        q.cap.is_be() && !q.cap.is_defaults() && !q.disabled && q.settings.check.is_none()
    });
    let mut msgs = Vec::new();
    let mut code = 0;
    for s in p.servers.iter().filter(|s| s.check) {
        if let Some(proto) = &s.health.proto {
            let proto_http = proto != "none";
            if proto_http != http {
                msgs.push(format!(
                    "{head} '{}' uses an incompatible MUX protocol for the selected check type",
                    s.name
                ));
                code |= err::ALERT_FATAL;
                continue;
            }
        }
        if let Some(m) = missing_check_port(p, s, stale_ruleset) {
            msgs.push(format!(
                "{head} '{}' has neither service port nor check port{m}",
                s.name
            ));
            code |= err::ALERT | err::ABORT;
        }
    }
    for m in msgs {
        st.diag.alert(m);
    }
    code
}

/// The end of HAProxy's "has neither service port nor check port" message when a
/// check of server `s` would have no port, `None` when a port is known.
fn missing_check_port(
    p: &crate::model::Proxy,
    s: &crate::model::Server,
    stale_ruleset: bool,
) -> Option<&'static str> {
    use crate::model::proxy::CheckKind;
    let addr_port = |a: &str| {
        crate::config::addr::str2sa_range_info(a, &Default::default())
            .map(|(_, i)| i.port > 0)
            .unwrap_or(false)
    };
    if s.health.port.unwrap_or(0) > 0
        || s.health.addr.as_deref().is_some_and(addr_port)
        || (s.port_offset.is_none() && s.port.unwrap_or(0) > 0)
    {
        return None;
    }
    // Only IPv4/IPv6 servers need a port (host names are resolved later, UNIX sockets
    // have none). HAProxy's `is_inet_addr()` is false for the unspecified address too
    // (`0.0.0.0`, `::`, `*`, an empty host as in `server s :` or an unset
    // `${addr}:${port}`), so such servers are not checked for a port either.
    use crate::config::addr::SaAddr;
    let srv_inet = s.addr.is_some_and(|a| !a.ip().is_unspecified());
    let check_addr = s.health.addr.as_deref().map(|a| {
        crate::config::addr::str2sa_range_info(a, &Default::default())
            .map(|(r, _)| r.addr)
            .ok()
    });
    match check_addr {
        None if !srv_inet => return None,
        // `addr` names a UNIX socket or the like: no port needed.
        Some(Some(SaAddr::Unix(_) | SaAddr::Abns(_) | SaAddr::Fd(_) | SaAddr::SockPair(_))) => {
            return None
        }
        Some(Some(SaAddr::Inet(ip))) if ip.is_unspecified() && !srv_inet => return None,
        _ => {}
    }
    let rules = match &p.settings.check {
        Some(CheckKind::Http { .. }) => Some(&p.settings.http_check_rules),
        Some(CheckKind::Tcp) => Some(&p.settings.tcp_check_rules),
        None => None,
        Some(_) => return Some(" nor tcp_check rule 'connect' with port information."),
    };
    let http = matches!(p.settings.check, Some(CheckKind::Http { .. }));
    let rules: Vec<_> = rules.map(|r| r.iter().collect()).unwrap_or_default();
    if rules.is_empty() {
        return Some(if http || (p.settings.check.is_none() && stale_ruleset) {
            " nor tcp_check rule 'connect' with port information."
        } else {
            "."
        });
    }
    let is_var = |v: &str| v.starts_with("set-var") || v.starts_with("unset-var");
    let connect_port = |args: &[String]| {
        args.windows(2).any(|w| {
            (w[0] == "port" && crate::config::values::atoi(&w[1]) > 0)
                || (w[0] == "addr" && addr_port(&w[1]))
        })
    };
    let first = rules
        .iter()
        .find(|r| r.verb != "comment" && !is_var(&r.verb));
    if !first.is_some_and(|r| r.verb == "connect" && connect_port(&r.args)) {
        return Some(" nor tcp_check rule 'connect' with port information.");
    }
    if rules
        .iter()
        .any(|r| r.verb == "connect" && !connect_port(&r.args))
    {
        return Some(", and a tcp_check rule 'connect' with no port information.");
    }
    None
}
