//! Proxy sections: `defaults`, `frontend`, `backend`, `listen` (HAProxy's `cfgparse-listen.c`
//! plus the `CFG_LISTEN` keywords registered in `proxy.c`, `http_htx.c`, `tcpcheck.c`,
//! `filters.c`, `flt_http_comp.c`, `extcheck.c` and `fcgi-app.c`).
//!
//! Layout: this module handles section starts, defaults inheritance and dispatch;
//! [`keywords`] the plain keywords, [`options`] the `option` family, [`checks`] health-check
//! settings (`http-check`, `tcp-check`, `option httpchk`…).

mod checks;
mod keywords;
mod options;
mod registered;

/// Shared with `http-request return … errorfile <file>`, which HAProxy loads the same way.
pub(crate) use registered::check_errorfile;

/// `global.tune.bufsize` as parsed so far (HAProxy's default 16384).
pub(crate) fn bufsize(st: &State) -> usize {
    st.model.global.tune.bufsize.map_or(16384, |b| b as usize)
}
#[cfg(test)]
mod tests;

pub use options::{option_names, OptSpec, CFG_OPTS};

use super::{err, Level, Line, State};
use crate::model::proxy::ProxySettings;
use crate::model::{Proxy, ProxyCap};

/// Keywords of proxy sections (for `-dK cfg`), the ones parsed here; `bind`, `server`,
/// `log` and the rule keywords are parsed by their own modules.
pub const KEYWORDS: &[&str] = &[
    "backlog",
    "balance",
    "bind-process",
    "capture",
    "clitcpka-cnt",
    "clitcpka-idle",
    "clitcpka-intvl",
    "compression",
    "cookie",
    "declare",
    "default_backend",
    "description",
    "disabled",
    "dispatch",
    "dynamic-cookie-key",
    "email-alert",
    "enabled",
    "error-log-format",
    "errorfile",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "external-check",
    "filter",
    "force-persist",
    "fullconn",
    "hash-balance-factor",
    "hash-type",
    "http-check",
    "http-error",
    "http-reuse",
    "http-send-name-header",
    "id",
    "ignore-persist",
    "load-server-state-from-file",
    "log-format",
    "log-format-sd",
    "log-tag",
    "max-keep-alive-queue",
    "max-session-srv-conns",
    "maxconn",
    "mode",
    "monitor",
    "monitor-uri",
    "option",
    "persist",
    "rate-limit",
    "retries",
    "retry-on",
    "server-state-file-name",
    "source",
    "srvtcpka-cnt",
    "srvtcpka-idle",
    "srvtcpka-intvl",
    "stats",
    "tcp-check",
    "timeout",
    "transparent",
    "unique-id-format",
    "unique-id-header",
    "use-fcgi-app",
];

/// The `CFG_LISTEN` keywords HAProxy 2.6 registers, in its registration order, followed by
/// its `common_kw_list`: the candidates of "did you mean" for an unknown keyword.
const SUGGEST_KW: &[&str] = &[
    "clitcpka-cnt",
    "clitcpka-idle",
    "clitcpka-intvl",
    "clitimeout",
    "compression",
    "contimeout",
    "declare",
    "errorfile",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "external-check",
    "filter",
    "http-check",
    "http-error",
    "max-keep-alive-queue",
    "rate-limit",
    "retry-on",
    "srvtcpka-cnt",
    "srvtcpka-idle",
    "srvtcpka-intvl",
    "srvtimeout",
    "tcp-check",
    "tcp-request",
    "tcp-response",
    "timeout",
    "use-fcgi-app",
    "listen",
    "frontend",
    "backend",
    "defaults",
    "server",
    "default-server",
    "server-template",
    "bind",
    "monitor-net",
    "monitor-uri",
    "mode",
    "id",
    "description",
    "disabled",
    "enabled",
    "bind-process",
    "acl",
    "dynamic-cookie-key",
    "cookie",
    "email-alert",
    "persist",
    "appsession",
    "load-server-state-from-file",
    "server-state-file-name",
    "max-session-srv-conns",
    "capture",
    "retries",
    "http-request",
    "http-response",
    "http-after-response",
    "http-send-name-header",
    "block",
    "redirect",
    "use_backend",
    "use-server",
    "force-persist",
    "ignore-persist",
    "force-persist",
    "stick-table",
    "stick",
    "stats",
    "option",
    "default_backend",
    "http-reuse",
    "monitor",
    "transparent",
    "maxconn",
    "backlog",
    "fullconn",
    "dispatch",
    "balance",
    "hash-type",
    "hash-balance-factor",
    "unique-id-format",
    "unique-id-header",
    "log-format",
    "log-format-sd",
    "log-tag",
    "log",
    "source",
    "usesrc",
    "error-log-format",
];

/// Parses one line of a proxy section (including the section line itself).
pub fn parse(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if matches!(kw, "listen" | "frontend" | "backend" | "defaults") {
        return section_start(st, line);
    }
    let Some(px) = st.cur_proxy else {
        return st.alert(line, "'listen' or 'defaults' expected.");
    };
    if let Some(bits) = super::rules::parse(st, line, px) {
        return bits;
    }
    keywords::parse_keyword(st, line, px)
}

/// End of a proxy section. HAProxy does no per-section work at this point (its checks
/// run after the whole configuration was read, in `check.rs`).
pub fn post_section(_st: &mut State) -> u32 {
    0
}

/// HAProxy's `invalid_char()`: the first character not in `[A-Za-z0-9.:_-]`.
pub fn invalid_char(name: &str) -> Option<char> {
    if name.is_empty() {
        return Some('\0');
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '_' | '-')))
}

/// A `frontend|backend|listen <name> [from <defaults>]` or `defaults [<name>] [from <defaults>]`
/// line (the first part of `cfg_parse_listen()`).
fn section_start(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    let rc = match kw {
        "listen" => ProxyCap::LISTEN,
        "frontend" => ProxyCap::FE,
        "backend" => ProxyCap::BE,
        _ => ProxyCap(ProxyCap::DEF.0 | ProxyCap::LISTEN.0),
    };
    let is_def = rc.is_defaults();
    let mut errc = 0;
    // "defaults" first forgets the current defaults; a regular proxy's is the last one.
    let mut curr_def: Option<usize> = None;

    if !is_def {
        if line.arg(1).is_empty() {
            st.alert(line, format!("'{kw}' expects an <id> argument"));
            return err::ALERT | err::ABORT;
        }
        let name = line.arg(1);
        if let Some(c) = invalid_char(name) {
            errc |= st.alert(
                line,
                format!("character '{c}' is not permitted in '{kw}' name '{name}'."),
            );
        }
        let want = if rc.is_fe() {
            ProxyCap::FE
        } else {
            ProxyCap::BE
        };
        if let Some(other) = find_proxy(st, name, want) {
            let o = &st.model.proxies[other];
            let text = format!(
                "Parsing [{}:{}]: {} '{}' has the same name as {} '{}' declared at {}.",
                line.file(),
                line.lineno(),
                rc.cap_str(),
                name,
                o.cap.cap_str(),
                o.name,
                o.loc
            );
            st.diag
                .raw(Level::Alert, Some((line.file(), line.lineno())), text);
            errc |= err::ALERT_FATAL;
        }
        let a2 = line.arg(2);
        if !a2.is_empty() && (line.arg(3).is_empty() || a2 != "from") {
            if rc.is_fe() {
                st.alert(
                    line,
                    "please use the 'bind' keyword for listening addresses.",
                );
            }
            // HAProxy leaves the section without a current proxy here.
            st.cur_proxy = None;
            return errc;
        }
        if !line.arg(4).is_empty() {
            errc |= st.alert(
                line,
                format!(
                    "'{kw}' cannot handle unexpected argument '{}'.",
                    line.arg(4)
                ),
            );
            if rc.is_fe() {
                st.alert(
                    line,
                    "please use the 'bind' keyword for listening addresses.",
                );
            }
            st.cur_proxy = None;
            return errc;
        }
    }

    let (name, arg) =
        if is_def && line.arg(1) == "from" && !line.arg(2).is_empty() && line.arg(3).is_empty() {
            (String::new(), 1)
        } else {
            (line.arg(1).to_string(), 2)
        };
    if !is_def {
        curr_def = st.last_defaults;
    }
    if line.arg(arg) == "from" {
        let dname = line.arg(arg + 1);
        let mut found: Vec<usize> = st
            .model
            .proxy_names
            .get(dname)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| st.model.proxies[i].cap.is_defaults())
                    .collect()
            })
            .unwrap_or_default();
        if dname.is_empty() {
            // `from` with nothing after it designates HAProxy's built-in (unnamed, unlisted)
            // defaults, whose empty name then fails `invalid_char()`: HAProxy prints the
            // NUL character, which cuts its message short.
            errc |= st.alert(line, "character '");
            found.clear();
        }
        let Some(&first) = found.first() else {
            if dname.is_empty() {
                curr_def = None;
                return finish_section_start(st, line, rc, &name, curr_def, errc);
            }
            st.alert(
                line,
                format!(
                    "defaults section '{dname}' not found for {} '{name}'.",
                    rc.cap_str()
                ),
            );
            return errc | err::ALERT | err::ABORT;
        };
        if let Some(&second) = found.get(1) {
            let (l1, l2) = (
                st.model.proxies[first].loc.clone(),
                st.model.proxies[second].loc.clone(),
            );
            errc |= st.alert(
                line,
                format!(
                    "ambiguous defaults section name '{dname}' referenced by {} '{name}' exists at least at {l1} and {l2}.",
                    rc.cap_str()
                ),
            );
        }
        if let Some(c) = invalid_char(dname) {
            let l1 = st.model.proxies[first].loc.clone();
            errc |= st.alert(
                line,
                format!(
                    "character '{c}' is not permitted in defaults section name '{dname}' when designated by its name (section found at {l1})."
                ),
            );
        }
        st.model.proxies[first].explicit_ref = true;
        curr_def = Some(first);
    } else if let Some(d) = curr_def {
        st.model.proxies[d].implicit_ref = true;
    }
    finish_section_start(st, line, rc, &name, curr_def, errc)
}

/// The end of a section start: reference checks, creation of the proxy from its defaults.
fn finish_section_start(
    st: &mut State,
    line: &Line,
    rc: ProxyCap,
    name: &str,
    curr_def: Option<usize>,
    mut errc: u32,
) -> u32 {
    let kw = line.arg(0);
    let is_def = rc.is_defaults();
    if let Some(d) = curr_def {
        let dp = &st.model.proxies[d];
        if dp.explicit_ref && dp.implicit_ref {
            let text = format!(
                "defaults section '{}' (declared at {}) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.",
                dp.name, dp.loc
            );
            st.alert(line, text);
            errc |= err::WARN;
        }
    }

    let mut px = new_proxy(st, name, rc, line, curr_def);
    if let Some(d) = curr_def {
        errc |= check_defaults_rules(st, line, rc, d);
        if rc.is_be() {
            let dp = &st.model.proxies[d];
            if !dp.settings.req_captures.is_empty() || !dp.settings.rsp_captures.is_empty() {
                let text = format!(
                    "parsing [{}:{}]: backend or defaults sections cannot inherit from a defaults section defining capptures (defaults section at {}).",
                    line.file(),
                    line.lineno(),
                    dp.loc
                );
                st.diag
                    .raw(Level::Alert, Some((line.file(), line.lineno())), text);
                errc |= err::ALERT | err::ABORT;
            }
        }
    }
    px.defaults_idx = curr_def;
    st.model.proxies.push(px);
    let idx = st.model.proxies.len() - 1;
    st.model
        .proxy_names
        .entry(name.to_string())
        .or_default()
        .push(idx);
    st.cur_proxy = Some(idx);
    if is_def {
        st.last_defaults = Some(idx);
    }
    st.used(line, kw);
    errc
}

/// The finder behind `proxy_fe_by_name()` / `proxy_be_by_name()`: a regular proxy with all
/// the capabilities in `want`.
fn find_proxy(st: &State, name: &str, want: ProxyCap) -> Option<usize> {
    let idx = st.model.proxy_names.get(name)?;
    idx.iter().copied().find(|&i| {
        let p = &st.model.proxies[i];
        !p.cap.is_defaults() && p.cap.0 & want.0 == want.0
    })
}

/// The sanity checks HAProxy makes when a proxy inherits from a defaults section that
/// defines TCP/HTTP rules (such rules are referenced, not copied).
fn check_defaults_rules(st: &mut State, line: &Line, rc: ProxyCap, d: usize) -> u32 {
    let dp = &st.model.proxies[d];
    let r = &dp.rules;
    let l4l5 = !r.tcp_request_connection.is_empty() || !r.tcp_request_session.is_empty();
    let any = !r.http_request.is_empty()
        || !r.http_response.is_empty()
        || !r.http_after_response.is_empty()
        || l4l5
        || !r.tcp_request_content.is_empty()
        || !r.tcp_response_content.is_empty();
    if !any {
        return 0;
    }
    let (f, l) = (line.file().to_string(), line.lineno());
    let dloc = dp.loc.clone();
    let msg = if rc.is_defaults() {
        format!("a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at {dloc}).")
    } else if rc.is_fe() && rc.is_be() {
        "a listen section cannot inherit from a defaults section defining TCP/HTTP rules."
            .to_string()
    } else {
        let defcap = dp.cap.0 & ProxyCap::LISTEN.0;
        if (defcap == ProxyCap::FE.0 || defcap == ProxyCap::BE.0) && rc.0 & 0x03 != defcap {
            format!("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at {dloc}).")
        } else if !rc.is_fe() && l4l5 {
            format!("a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at {dloc}).")
        } else if !rc.is_be() && !r.tcp_response_content.is_empty() {
            format!("a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at {dloc}).")
        } else {
            // The defaults section is now dedicated to this side.
            let dp = &mut st.model.proxies[d];
            dp.cap = ProxyCap((dp.cap.0 & !0x03) | (rc.0 & 0x03));
            return 0;
        }
    };
    st.diag.raw(
        Level::Alert,
        Some((&f, l)),
        format!("parsing [{f}:{l}]: {msg}"),
    );
    err::ALERT | err::ABORT
}

/// `alloc_new_proxy()` + `proxy_defproxy_cpy()`: a new proxy preset from its defaults.
fn new_proxy(st: &State, name: &str, cap: ProxyCap, line: &Line, def: Option<usize>) -> Proxy {
    let mut px = match def {
        Some(d) => inherit(&st.model.proxies[d], cap),
        None => Proxy::default(),
    };
    px.name = name.to_string();
    px.cap = cap;
    px.loc = line.loc.clone();
    px.defaults_from = def.map(|d| st.model.proxies[d].name.clone());
    px
}

/// What a proxy of capabilities `cap` copies from its defaults section (HAProxy's
/// `proxy_defproxy_cpy()`): the settings of its side(s), the mode, the disabled flag, the
/// default-server, the logs; never binds, servers, rules, ids or descriptions.
pub fn inherit(def: &Proxy, cap: ProxyCap) -> Proxy {
    // Start from a full copy so that fields other modules append (e.g. log targets) follow
    // HAProxy's "copied unless stated" default, then clear what is not inherited.
    let mut px = def.clone();
    px.binds.clear();
    px.servers.clear();
    px.rules = Default::default();
    px.explicit_ref = false;
    px.implicit_ref = false;
    if !cap.is_fe() {
        px.default_backend = None;
    }
    px.settings = inherit_settings(&def.settings, cap);
    px
}

fn inherit_settings(d: &ProxySettings, cap: ProxyCap) -> ProxySettings {
    let mut s = ProxySettings {
        options: d.options.clone(),
        retry_on: d.retry_on.clone(),
        http_conn_mode: d.http_conn_mode,
        forwardfor: d.forwardfor.clone(),
        originalto: d.originalto.clone(),
        http_send_name_header: d.http_send_name_header.clone(),
        errors: d.errors.clone(),
        unique_id_format: d.unique_id_format.clone(),
        unique_id_header: d.unique_id_header.clone(),
        log_tag: d.log_tag.clone(),
        // `proxy_defproxy_cpy()` copies the log targets; a proxy's own `log` lines add
        // to them and its `no log` clears them.
        logs: d.logs.clone(),
        // Only the algorithms and types are copied, not `offload`.
        compression: d
            .compression
            .as_ref()
            .map(|c| crate::model::proxy::Compression {
                algos: c.algos.clone(),
                types: c.types.clone(),
                offload: false,
            }),
        stats: d.stats.clone(),
        external_check_command: d.external_check_command.clone(),
        external_check_path: d.external_check_path.clone(),
        email_alert: d.email_alert.clone(),
        http_reuse: d.http_reuse,
        http_restrict_req_hdr_names: d.http_restrict_req_hdr_names.clone(),
        other: d.other.clone(),
        ..Default::default()
    };
    if cap.is_fe() {
        s.maxconn = d.maxconn;
        s.backlog = d.backlog;
        s.rate_limit_sessions = d.rate_limit_sessions;
        s.max_session_srv_conns = d.max_session_srv_conns;
        s.clitcpka_cnt = d.clitcpka_cnt;
        s.clitcpka_idle = d.clitcpka_idle;
        s.clitcpka_intvl = d.clitcpka_intvl;
        s.capture_cookie = d.capture_cookie.clone();
        s.req_captures = d.req_captures.clone();
        s.rsp_captures = d.rsp_captures.clone();
        s.timeouts.client = d.timeouts.client;
        s.timeouts.client_fin = d.timeouts.client_fin;
        s.timeouts.tarpit = d.timeouts.tarpit;
        s.timeouts.http_request = d.timeouts.http_request;
        s.timeouts.http_keep_alive = d.timeouts.http_keep_alive;
        s.monitor_uri = d.monitor_uri.clone();
        s.log_format = d.log_format.clone();
        s.log_format_sd = d.log_format_sd.clone();
        s.error_log_format = d.error_log_format.clone();
    }
    if cap.is_be() {
        s.balance = d.balance.clone();
        s.hash_type = d.hash_type;
        s.hash_balance_factor = d.hash_balance_factor;
        s.fullconn = d.fullconn;
        s.retries = d.retries;
        s.redispatch = d.redispatch;
        s.max_keep_alive_queue = d.max_keep_alive_queue;
        s.check = d.check.clone();
        s.tcp_check_rules = d.tcp_check_rules.clone();
        s.http_check_rules = d.http_check_rules.clone();
        s.http_check_disable_on_404 = d.http_check_disable_on_404;
        s.http_check_send_state = d.http_check_send_state;
        s.cookie = d.cookie.clone();
        s.dynamic_cookie_key = d.dynamic_cookie_key.clone();
        s.persist_rdp_cookie = d.persist_rdp_cookie.clone();
        s.source = d.source.clone();
        s.load_server_state_from_file = d.load_server_state_from_file.clone();
        s.srvtcpka_cnt = d.srvtcpka_cnt;
        s.srvtcpka_idle = d.srvtcpka_idle;
        s.srvtcpka_intvl = d.srvtcpka_intvl;
        s.timeouts.connect = d.timeouts.connect;
        s.timeouts.server = d.timeouts.server;
        s.timeouts.server_fin = d.timeouts.server_fin;
        s.timeouts.check = d.timeouts.check;
        s.timeouts.queue = d.timeouts.queue;
        s.timeouts.tarpit = d.timeouts.tarpit;
        s.timeouts.http_request = d.timeouts.http_request;
        s.timeouts.http_keep_alive = d.timeouts.http_keep_alive;
        s.timeouts.tunnel = d.timeouts.tunnel;
    }
    s
}

// ---- helpers shared by the submodules ----

/// HAProxy's `warnifnotcap()`: warns and returns true if the proxy lacks `cap`.
pub(crate) fn warnifnotcap(
    st: &mut State,
    line: &Line,
    px: usize,
    cap: ProxyCap,
    arg: &str,
    hint: &str,
) -> bool {
    let p = &st.model.proxies[px];
    if p.cap.0 & cap.0 != 0 {
        return false;
    }
    let msg = match cap.0 & 0x03 {
        0x02 => "no backend",
        0x01 => "no frontend",
        0x03 => "neither frontend nor backend",
        _ => "not enough",
    };
    let text = format!(
        "'{arg}' ignored because {} '{}' has {msg} capability.{hint}",
        p.cap.cap_str(),
        p.name
    );
    st.warn(line, text);
    true
}

/// HAProxy's `alertif_too_many_args_idx()`.
pub(crate) fn too_many_args_idx(st: &mut State, line: &Line, maxarg: usize, index: usize) -> bool {
    let extra = harg(line, index + maxarg + 1);
    if extra.is_empty() {
        return false;
    }
    let kw = (0..=index)
        .map(|i| line.arg(i))
        .collect::<Vec<_>>()
        .join(" ");
    st.alert(
        line,
        format!("'{kw}' cannot handle unexpected argument '{extra}'."),
    );
    true
}

pub(crate) fn too_many_args(st: &mut State, line: &Line, maxarg: usize) -> bool {
    too_many_args_idx(st, line, maxarg, 0)
}

/// HAProxy's `args[i]` (the reader already reproduces the `default` prefix quirk).
pub(crate) fn harg(line: &Line, i: usize) -> &str {
    line.arg(i)
}

/// An alert in HAProxy's other spelling, `parsing [file:line]: text` (no space).
pub(crate) fn alert_ns(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let t = format!(
        "parsing [{}:{}]: {}",
        line.file(),
        line.lineno(),
        text.as_ref()
    );
    st.diag
        .raw(Level::Alert, Some((line.file(), line.lineno())), t);
    err::ALERT_FATAL
}

/// A warning in HAProxy's other spelling, `parsing [file:line]: text` (no space).
pub(crate) fn warn_ns(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let t = format!(
        "parsing [{}:{}]: {}",
        line.file(),
        line.lineno(),
        text.as_ref()
    );
    st.diag
        .raw(Level::Warning, Some((line.file(), line.lineno())), t);
    err::WARN
}

/// The proxy's defaults settings (HAProxy's `defpx`): the defaults section it was preset
/// from, itself for a defaults section, or HAProxy's built-in (all unset) defaults.
pub(crate) fn defaults_settings(st: &State, px: usize) -> ProxySettings {
    let p = &st.model.proxies[px];
    if p.cap.is_defaults() {
        return p.settings.clone();
    }
    match p.defaults_idx {
        Some(d) => st.model.proxies[d].settings.clone(),
        None => ProxySettings::default(),
    }
}

/// `curproxy` as a mutable reference.
pub(crate) fn pxm(st: &mut State, px: usize) -> &mut Proxy {
    &mut st.model.proxies[px]
}

/// The words of `line` from `i` on, as owned strings (up to the first empty one).
pub(crate) fn words_from(line: &Line, i: usize) -> Vec<String> {
    line.argv().into_iter().skip(i).map(String::from).collect()
}

/// The "did you mean" candidate for an unknown proxy keyword.
pub(crate) fn suggest_keyword(word: &str) -> Option<&'static str> {
    super::suggest::best_match(word, SUGGEST_KW)
}
