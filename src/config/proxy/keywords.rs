//! The plain proxy keywords of `cfg_parse_listen()` and the `CFG_LISTEN` keyword parsers
//! registered in other HAProxy files.

use super::{alert_ns, pxm, too_many_args, too_many_args_idx, warn_ns, warnifnotcap, words_from};
use crate::config::values::{atoi, atol, parse_time, TimeError, TimeUnit};
use crate::config::{err, Line, State};
use crate::model::proxy::{
    Balance, Capture, Cookie, EmailAlert, HashFunction, HashType, HttpReuse, LogFormat, Source,
    Stats,
};
use crate::model::{Mode, ProxyCap};

/// Result of a keyword parser registered with `cfg_register_keywords()` in HAProxy: success,
/// success with a warning, or an error; the caller prefixes `parsing [file:line] : `.
pub(super) type KwResult = Result<Option<String>, String>;

/// Dispatches a non-rule proxy keyword.
pub(super) fn parse_keyword(st: &mut State, line: &Line, px: usize) -> u32 {
    let kw = line.arg(0).to_string();
    let r = match kw.as_str() {
        "server" | "default-server" | "server-template" => {
            return crate::config::server::parse_server(st, line, px)
        }
        "bind" => return kw_bind(st, line, px),
        "log" => {
            return crate::config::log::parse_log(st, line, crate::config::log::LogOwner::Proxy(px))
        }
        "option" => return super::options::parse_option(st, line, px),
        "monitor-net" => {
            return st.alert(line, format!("'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if {{ src {} }}' instead.", line.arg(1)))
        }
        "monitor-uri" => kw_monitor_uri(st, line, px),
        "mode" => kw_mode(st, line, px),
        "id" => kw_id(st, line, px),
        "description" => kw_description(st, line, px),
        "disabled" | "enabled" => {
            if too_many_args(st, line, 0) {
                return err::ALERT_FATAL;
            }
            pxm(st, px).disabled = kw == "disabled";
            used(st, line, &kw)
        }
        "bind-process" => kw_bind_process(st, line),
        "dynamic-cookie-key" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
                e |= err::WARN;
            }
            if line.arg(1).is_empty() {
                return st.alert(line, format!("'{kw}' expects <secret_key> as argument."));
            }
            pxm(st, px).settings.dynamic_cookie_key = Some(line.arg(1).to_string());
            e | used(st, line, &kw)
        }
        "cookie" => kw_cookie(st, line, px),
        "email-alert" => kw_email_alert(st, line, px),
        "persist" => kw_persist(st, line, px),
        "appsession" => {
            return st.alert(
                line,
                "'appsession' is not supported anymore since HAProxy 1.6.",
            )
        }
        "load-server-state-from-file" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
                e |= err::WARN;
            }
            let a = line.arg(1);
            if !matches!(a, "global" | "local" | "none") {
                return st.alert(
                    line,
                    format!("'{kw}' expects 'global', 'local' or 'none'. Got '{a}'"),
                );
            }
            pxm(st, px).settings.load_server_state_from_file = Some(a.to_string());
            e | used(st, line, &kw)
        }
        "server-state-file-name" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
                e |= err::WARN;
            }
            if too_many_args(st, line, 1) {
                return e | err::ALERT_FATAL;
            }
            let a = line.arg(1);
            let v = if a.is_empty() || a == "use-backend-name" {
                st.model.proxies[px].name.clone()
            } else {
                a.to_string()
            };
            pxm(st, px).settings.server_state_file_name = Some(v);
            e | used(st, line, &kw)
        }
        "max-session-srv-conns" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::FE, &kw, "") {
                e |= err::WARN;
            }
            if line.arg(1).is_empty() {
                // HAProxy's own typo ("parsine") is kept: users grep for it.
                let t = format!(
                    "parsine [{}:{}] : '{kw}' expects a number. Got no argument",
                    line.file(),
                    line.lineno()
                );
                st.diag.raw(
                    crate::config::Level::Alert,
                    Some((line.file(), line.lineno())),
                    t,
                );
                return e | err::ALERT_FATAL;
            }
            pxm(st, px).settings.max_session_srv_conns = Some(atoi(line.arg(1)));
            e | used(st, line, &kw)
        }
        "capture" => kw_capture(st, line, px),
        "retries" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
                e |= err::WARN;
            }
            if too_many_args(st, line, 1) {
                return e | err::ALERT_FATAL;
            }
            if line.arg(1).is_empty() {
                return e | st.alert(
                    line,
                    format!("'{kw}' expects an integer argument (dispatch counts for one)."),
                );
            }
            pxm(st, px).settings.retries = Some(atol(line.arg(1)) as u32);
            e | used(st, line, &kw)
        }
        "http-send-name-header" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
                e |= err::WARN;
            }
            if line.arg(1).is_empty() {
                return e | st.alert(line, format!("'{kw}' requires a header string."));
            }
            pxm(st, px).settings.http_send_name_header = Some(line.arg(1).to_ascii_lowercase());
            e | used(st, line, &kw)
        }
        "block" => {
            return st.alert(line, "The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.")
        }
        "force-persist" | "ignore-persist" => kw_persist_rule(st, line, px),
        "stats" => super::options::parse_stats(st, line, px),
        "default_backend" => {
            let mut e = 0;
            if warnifnotcap(st, line, px, ProxyCap::FE, &kw, "") {
                e |= err::WARN;
            }
            if line.arg(1).is_empty() {
                return e | st.alert(line, format!("'{kw}' expects a backend name."));
            }
            pxm(st, px).default_backend = Some((line.arg(1).to_string(), line.loc.clone()));
            if too_many_args_idx(st, line, 1, 0) {
                return e | err::ALERT_FATAL;
            }
            e | used(st, line, &kw)
        }
        "redispatch" | "redisp" => {
            return st.alert(line, format!("keyword '{kw}' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'."))
        }
        "http-reuse" => kw_http_reuse(st, line, px),
        "monitor" => kw_monitor(st, line, px),
        "transparent" => {
            pxm(st, px)
                .settings
                .options
                .retain(|(n, _)| n != "transparent");
            pxm(st, px)
                .settings
                .options
                .push(("transparent".into(), true));
            if too_many_args(st, line, 0) {
                return err::ALERT_FATAL;
            }
            used(st, line, &kw)
        }
        "maxconn" | "backlog" | "fullconn" => kw_conn_limits(st, line, px),
        "grace" => {
            return alert_ns(
                st,
                line,
                "the 'grace' keyword is not supported any more since HAProxy version 2.5.",
            )
        }
        "dispatch" => kw_dispatch(st, line, px),
        "balance" => kw_balance(st, line, px),
        "hash-type" => kw_hash_type(st, line, px),
        "hash-balance-factor" => {
            if line.arg(1).is_empty() {
                return st.alert(line, format!("'{kw}' expects an integer argument."));
            }
            let v = atol(line.arg(1)) as u32;
            pxm(st, px).settings.hash_balance_factor = Some(v);
            if v != 0 && v <= 100 {
                return st.alert(line, format!("'{kw}' must be 0 or greater than 100."));
            }
            used(st, line, &kw)
        }
        "unique-id-format" | "log-format" | "log-format-sd" | "error-log-format" => {
            kw_formats(st, line, px)
        }
        "unique-id-header" => {
            if line.arg(1).is_empty() {
                return st.alert(line, format!("{kw} expects an argument."));
            }
            pxm(st, px).settings.unique_id_header = Some(line.arg(1).to_string());
            used(st, line, &kw)
        }
        "log-tag" => {
            if line.arg(1).is_empty() {
                return st.alert(line, format!("'{kw}' expects a tag for use in syslog."));
            }
            pxm(st, px).settings.log_tag = Some(line.arg(1).to_string());
            used(st, line, &kw)
        }
        "source" => kw_source(st, line, px),
        "usesrc" => {
            return st.alert(line, "'usesrc' only allowed after a 'source' statement.")
        }
        "cliexp" | "reqrep" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."),
        "reqdel" | "reqidel" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead."),
        "reqdeny" => return removed(st, line, "not supported anymore since HAProxy 2.1. Use 'http-request deny' instead."),
        "reqpass" => return removed(st, line, "not supported anymore since HAProxy 2.1."),
        "reqipass" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1."),
        "reqallow" | "reqiallow" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead."),
        "reqtarpit" | "reqitarpit" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead."),
        "reqirep" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-header' instead."),
        "reqideny" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' instead."),
        "reqadd" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead."),
        "srvexp" | "rsprep" | "rspirep" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead."),
        "rspdel" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' ."),
        "rspidel" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' instead."),
        "rspdeny" | "rspideny" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead."),
        "rspadd" => return removed(st, line, "directive is not supported anymore since HAProxy 2.1. Use 'http-response add-header' instead."),
        _ => return registered(st, line, px),
    };
    r
}

fn used(st: &mut State, line: &Line, kw: &str) -> u32 {
    st.used(line, kw);
    0
}

fn removed(st: &mut State, line: &Line, tail: &str) -> u32 {
    let kw = line.arg(0).to_string();
    st.alert(line, format!("The '{kw}' {tail}"))
}

/// The keywords HAProxy registers with `cfg_register_keywords()` for proxies, then the
/// unknown-keyword alert.
fn registered(st: &mut State, line: &Line, px: usize) -> u32 {
    let kw = line.arg(0).to_string();
    let r: KwResult = match kw.as_str() {
        "timeout" | "clitimeout" | "contimeout" | "srvtimeout" => {
            super::registered::kw_timeout(st, line, px)
        }
        "rate-limit" => super::registered::kw_rate_limit(st, line, px),
        "max-keep-alive-queue" => super::registered::kw_max_ka_queue(st, line, px),
        "declare" => super::registered::kw_declare(st, line, px),
        "retry-on" => super::registered::kw_retry_on(st, line, px),
        "clitcpka-cnt" | "srvtcpka-cnt" => super::registered::kw_tcpka_cnt(st, line, px),
        "clitcpka-idle" | "srvtcpka-idle" | "clitcpka-intvl" | "srvtcpka-intvl" => {
            super::registered::kw_tcpka_time(st, line, px)
        }
        "errorloc" | "errorloc302" | "errorloc303" => super::registered::kw_errorloc(st, line, px),
        "errorfile" => super::registered::kw_errorfile(st, line, px),
        "errorfiles" => super::registered::kw_errorfiles(st, line, px),
        "http-error" => super::registered::kw_http_error(st, line, px),
        "compression" => super::registered::kw_compression(st, line, px),
        "filter" => super::registered::kw_filter(st, line, px),
        "external-check" => super::registered::kw_external_check(st, line, px),
        "use-fcgi-app" => super::registered::kw_use_fcgi_app(st, line, px),
        "http-check" => super::checks::parse_http_check(st, line, px),
        "tcp-check" => super::checks::parse_tcp_check(st, line, px),
        _ => {
            let sec = st.cursection.clone();
            return match super::suggest_keyword(&kw) {
                Some(b) => st.alert(
                    line,
                    format!(
                        "unknown keyword '{kw}' in '{sec}' section; did you mean '{b}' maybe ?"
                    ),
                ),
                None => st.alert(line, format!("unknown keyword '{kw}' in '{sec}' section")),
            };
        }
    };
    let path = if kw == "timeout" {
        format!("timeout {}", line.arg(1))
    } else {
        kw.clone()
    };
    report(st, line, r, &path)
}

/// Prints a registered parser's outcome as `cfg_parse_listen()` does.
pub(super) fn report(st: &mut State, line: &Line, r: KwResult, kw: &str) -> u32 {
    // HAProxy appends "\n" to messages that may already end with one.
    let fix = |m: String| if m.ends_with('\n') { m + "\n" } else { m };
    match r {
        Ok(None) => {
            st.used(line, kw);
            0
        }
        Ok(Some(w)) => {
            st.warn(line, fix(w));
            st.used(line, kw);
            err::WARN
        }
        Err(e) => st.alert(line, fix(e)),
    }
}

fn kw_bind(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'bind' not allowed in 'defaults' section.");
    }
    if warnifnotcap(st, line, px, ProxyCap::FE, "bind", "") {
        e |= err::WARN;
    }
    if line.arg(1).is_empty() {
        return e | st.alert(
            line,
            "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.",
        );
    }
    e | crate::config::bind::parse_bind(st, line, px)
}

fn kw_monitor_uri(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::FE, "monitor-uri", "") {
        e |= err::WARN;
    }
    if too_many_args(st, line, 1) {
        return e | err::ALERT_FATAL;
    }
    if line.arg(1).is_empty() {
        return e | st.alert(line, "'monitor-uri' expects an URI.");
    }
    pxm(st, px).settings.monitor_uri = Some(line.arg(1).to_string());
    e | used(st, line, "monitor-uri")
}

fn kw_mode(st: &mut State, line: &Line, px: usize) -> u32 {
    if too_many_args(st, line, 1) {
        return err::ALERT_FATAL;
    }
    let m = match line.arg(1) {
        "http" => Mode::Http,
        "tcp" => Mode::Tcp,
        "health" => {
            return st.alert(line, "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.")
        }
        other => {
            let t = format!("unknown proxy mode '{other}'.");
            return st.alert(line, t);
        }
    };
    pxm(st, px).mode = m;
    // Distinct paths: the runtime serves HTTP before it serves TCP.
    let path = if m == Mode::Http {
        "mode http"
    } else {
        "mode tcp"
    };
    used(st, line, path)
}

fn kw_id(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return alert_ns(st, line, "'id' not allowed in 'defaults' section.");
    }
    if too_many_args(st, line, 1) {
        return err::ALERT_FATAL;
    }
    if line.arg(1).is_empty() {
        return alert_ns(st, line, "'id' expects an integer argument.");
    }
    let id = atol(line.arg(1)) as i32;
    if id <= 0 {
        return alert_ns(st, line, "custom id has to be > 0.");
    }
    let id = id as u32;
    let me = &st.model.proxies[px];
    if let Some(o) = st
        .model
        .proxies
        .iter()
        .find(|p| !p.cap.is_defaults() && p.settings.id == Some(id))
    {
        let t = format!(
            "{} {} reuses same custom id as {} {} (declared at {}).",
            me.cap.cap_str(),
            me.name,
            o.cap.cap_str(),
            o.name,
            o.loc
        );
        return alert_ns(st, line, t);
    }
    pxm(st, px).settings.id = Some(id);
    used(st, line, "id")
}

fn kw_description(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return alert_ns(st, line, "'description' not allowed in 'defaults' section.");
    }
    if line.arg(1).is_empty() {
        // HAProxy returns -1 here, i.e. every error bit: the file is abandoned and its
        // caller then reports "Could not open configuration file <f> : Success".
        alert_ns(st, line, "'description' expects a string argument.");
        return u32::MAX;
    }
    pxm(st, px).settings.description = Some(words_from(line, 1).join(" "));
    used(st, line, "description")
}

fn kw_bind_process(st: &mut State, line: &Line) -> u32 {
    for a in line.argv().into_iter().skip(1) {
        if a == "all" {
            break;
        }
        if let Err(m) = parse_process_number(a, 1) {
            return st.alert(line, format!("bind-process : {m}"));
        }
    }
    warn_ns(
        st,
        line,
        "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.",
    )
}

/// HAProxy's `parse_process_number()` validation (the value itself is unused in 2.6).
pub(crate) fn parse_process_number(arg: &str, max: u32) -> Result<(), String> {
    if matches!(arg, "all" | "odd" | "even") {
        return Ok(());
    }
    let mut dash = None;
    for (i, c) in arg.char_indices() {
        if c == '-' && dash.is_none() {
            dash = Some(i);
        } else if !c.is_ascii_digit() {
            return Err(format!("'{arg}' is not a valid number/range."));
        }
    }
    let low = str2uic(arg);
    let mut high = low;
    if let Some(d) = dash {
        high = if d + 1 == arg.len() {
            max
        } else {
            str2uic(&arg[d + 1..])
        };
    }
    let (low, high) = if high < low { (high, low) } else { (low, high) };
    if low < 1 || low > max || high > max {
        return Err(format!(
            "'{arg}' is not a valid number/range. It supports numbers from 1 to {max}.\n"
        ));
    }
    Ok(())
}

/// HAProxy's `str2uic()`: leading digits as an unsigned int (wrapping).
fn str2uic(s: &str) -> u32 {
    let mut v: u32 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as u32);
    }
    v
}

fn kw_cookie(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::BE, "cookie", "") {
        e |= err::WARN;
    }
    if line.arg(1).is_empty() {
        return e | st.alert(line, "'cookie' expects <cookie_name> as argument.");
    }
    let mut ck = Cookie {
        name: line.arg(1).to_string(),
        ..Default::default()
    };
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        let next = line.arg(i + 1);
        match a {
            "rewrite" => ck.rewrite = true,
            "indirect" => ck.indirect = true,
            "insert" => ck.insert = true,
            "nocache" => ck.nocache = true,
            "postonly" => ck.postonly = true,
            "preserve" => ck.preserve = true,
            "prefix" => ck.prefix = true,
            "httponly" => ck.httponly = true,
            "secure" => ck.secure = true,
            "domain" => {
                if next.is_empty() {
                    return e | alert_ns(st, line, "'domain' expects <domain> as argument.");
                }
                if !next.contains('.') {
                    e |= warn_ns(st, line, format!("domain '{next}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)."));
                }
                if let Some(c) = next
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                {
                    return e | alert_ns(
                        st,
                        line,
                        format!("character '{c}' is not permitted in domain name '{next}'."),
                    );
                }
                ck.domains.push(next.to_string());
                i += 1;
            }
            "maxidle" | "maxlife" => {
                if next.is_empty() {
                    let what = if a == "maxidle" { "idletime" } else { "lifetime" };
                    return e | alert_ns(
                        st,
                        line,
                        format!("'{a}' expects <{what}> in seconds as argument."),
                    );
                }
                let v = match ptime(st, next, TimeUnit::S) {
                    Ok(t) => t,
                    Err(TimeError::Over) => return e | alert_ns(st, line, format!("timer overflow in argument <{next}> to <{a}>, maximum value is 2147483647 s (~68 years).")),
                    Err(TimeError::Under) => return e | alert_ns(st, line, format!("timer underflow in argument <{next}> to <{a}>, minimum non-null value is 1 s.")),
                    Err(TimeError::BadChar(p)) => return e | alert_ns(st, line, format!("unexpected character '{}' in argument to <{a}>.", char_at(next, p))),
                };
                if a == "maxidle" {
                    ck.maxidle = v;
                } else {
                    ck.maxlife = v;
                }
                i += 1;
            }
            "dynamic" => {
                if warnifnotcap(st, line, px, ProxyCap::BE, a, "") {
                    e |= err::WARN;
                }
                ck.dynamic = true;
            }
            "attr" => {
                if next.is_empty() {
                    return e | alert_ns(st, line, "'attr' expects <value> as argument.");
                }
                if let Some(c) = next.bytes().find(|c| c.is_ascii_control() || *c == b';') {
                    return e | alert_ns(
                        st,
                        line,
                        format!("character '%x{c:02X}' is not permitted in attribute value."),
                    );
                }
                ck.attrs.push(next.to_string());
                i += 1;
            }
            _ => {
                return e | st.alert(line, "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.")
            }
        }
        i += 1;
    }
    if ck.rewrite && ck.indirect {
        e |= st.alert(
            line,
            "cookie 'rewrite' and 'indirect' modes are incompatible.",
        );
    }
    if [ck.rewrite, ck.insert, ck.prefix]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        e |= st.alert(
            line,
            "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.",
        );
    }
    if ck.preserve && !ck.insert && !ck.indirect {
        e |= st.alert(
            line,
            "cookie 'preserve' requires at least 'insert' or 'indirect'.",
        );
    }
    pxm(st, px).settings.cookie = Some(ck);
    if e & err::FATAL == 0 {
        st.used(line, "cookie");
    }
    e
}

/// `parse_time_err()`, which itself warns (without a location) about trailing characters
/// after a valid unit.
pub(crate) fn ptime(st: &mut State, text: &str, unit: TimeUnit) -> Result<u32, TimeError> {
    let t = parse_time(text, unit)?;
    if let Some(w) = t.warning {
        st.diag.warning(w);
    }
    Ok(t.value)
}

/// The character at byte offset `p` (HAProxy prints `*res`), NUL past the end.
pub(crate) fn char_at(s: &str, p: usize) -> char {
    s[p.min(s.len())..].chars().next().unwrap_or('\0')
}

fn kw_email_alert(st: &mut State, line: &Line, px: usize) -> u32 {
    let a1 = line.arg(1);
    if a1.is_empty() {
        return st.alert(line, "missing argument after 'email-alert'.");
    }
    let v = line.arg(2).to_string();
    let ea: &mut EmailAlert = &mut pxm(st, px).settings.email_alert;
    match a1 {
        "from" => ea.from = Some(v),
        "mailers" => ea.mailers = Some(v),
        "myhostname" => ea.myhostname = Some(v),
        "to" => ea.to = Some(v),
        "level" => match syslog_level(&v) {
            Some(l) => ea.level = Some(l),
            None => {
                return st.alert(line, format!("unknown log level '{a1}' after '{v}'"));
            }
        },
        _ => {
            return st.alert(line, format!("email-alert: unknown argument '{a1}'."));
        }
    }
    pxm(st, px).settings.email_alert.set = true;
    let path = format!("email-alert {a1}");
    used(st, line, &path)
}

/// `get_log_level()`.
pub(crate) fn syslog_level(s: &str) -> Option<u8> {
    [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ]
    .iter()
    .position(|l| *l == s)
    .map(|p| p as u8)
}

fn kw_persist(st: &mut State, line: &Line, px: usize) -> u32 {
    let a = line.arg(1);
    if a.is_empty() {
        return st.alert(line, "missing persist method.");
    }
    let Some(rest) = a.strip_prefix("rdp-cookie") else {
        return st.alert(line, "unknown persist method.");
    };
    let name = if let Some(r) = rest.strip_prefix('(') {
        if too_many_args(st, line, 1) {
            return err::ALERT_FATAL;
        }
        match r.find(')') {
            Some(e) if e > 0 => r[..e].to_string(),
            _ => {
                return st.alert(
                    line,
                    "persist rdp-cookie(name)' requires an rdp cookie name.",
                )
            }
        }
    } else if rest.is_empty() {
        "msts".to_string()
    } else {
        return st.alert(
            line,
            "persist rdp-cookie(name)' requires an rdp cookie name.",
        );
    };
    pxm(st, px).settings.persist_rdp_cookie = Some(name);
    used(st, line, "persist rdp-cookie")
}

fn kw_capture(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::FE, "capture", "") {
        e |= err::WARN;
    }
    let is_def = st.model.proxies[px].cap.is_defaults();
    let (a1, a2) = (line.arg(1), line.arg(2));
    let which = if a1 == "cookie" {
        0
    } else if a1 == "request" && a2 == "header" {
        1
    } else if a1 == "response" && a2 == "header" {
        2
    } else {
        return e | st.alert(
            line,
            "'capture' expects 'cookie' or 'request header' or 'response header'.",
        );
    };
    if is_def {
        return e | st.alert(
            line,
            format!("'capture {a1}' not allowed in 'defaults' section."),
        );
    }
    if too_many_args_idx(st, line, 4, 1) {
        return e | err::ALERT_FATAL;
    }
    if which == 0 {
        if line.arg(4).is_empty() {
            return e | st.alert(
                line,
                "'capture' expects 'cookie' <cookie_name> 'len' <len>.",
            );
        }
        pxm(st, px).settings.capture_cookie = Some((a2.to_string(), atol(line.arg(4))));
        return e | used(st, line, "capture cookie");
    }
    if line.arg(3).is_empty() || line.arg(4) != "len" || line.arg(5).is_empty() {
        return e | st.alert(
            line,
            format!("'capture {a1}' expects 'header' <header_name> 'len' <len>."),
        );
    }
    let cap = Capture {
        header: Some(line.arg(3).to_string()),
        len: atol(line.arg(5)),
    };
    let s = &mut pxm(st, px).settings;
    if which == 1 {
        s.req_captures.push(cap);
    } else {
        s.rsp_captures.push(cap);
    }
    let path = format!("capture {a1} header");
    e | used(st, line, &path)
}

fn kw_persist_rule(st: &mut State, line: &Line, px: usize) -> u32 {
    let kw = line.arg(0).to_string();
    let mut e = 0;
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, format!("'{kw}' not allowed in 'defaults' section."));
    }
    if warnifnotcap(st, line, px, ProxyCap::BE, &kw, "") {
        e |= err::WARN;
    }
    if !matches!(line.arg(1), "if" | "unless") {
        return e | st.alert(
            line,
            format!("'{kw}' requires either 'if' or 'unless' followed by a condition."),
        );
    }
    let words = words_from(line, 1);
    match crate::config::expr::parse_cond(st, px, &words) {
        Ok(c) => {
            pxm(st, px)
                .settings
                .persist_rules
                .push((kw == "force-persist", c, line.loc.clone()));
            e | used(st, line, &kw)
        }
        Err(m) => {
            e | st.alert(
                line,
                format!("error detected while parsing a '{kw}' rule : {m}."),
            )
        }
    }
}

fn kw_http_reuse(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::BE, "http-reuse", "") {
        e |= err::WARN;
    }
    let r = match line.arg(1) {
        "never" => HttpReuse::Never,
        "safe" => HttpReuse::Safe,
        "aggressive" => HttpReuse::Aggressive,
        "always" => HttpReuse::Always,
        _ => {
            return e | st.alert(
                line,
                "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.",
            )
        }
    };
    pxm(st, px).settings.http_reuse = Some(r);
    if too_many_args_idx(st, line, 0, 1) {
        return e | err::ALERT_FATAL;
    }
    e | used(st, line, "http-reuse")
}

fn kw_monitor(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'monitor' not allowed in 'defaults' section.");
    }
    if warnifnotcap(st, line, px, ProxyCap::FE, "monitor", "") {
        e |= err::WARN;
    }
    if line.arg(1) != "fail" {
        return e | st.alert(line, "'monitor' only supports 'fail'.");
    }
    if !matches!(line.arg(2), "if" | "unless") {
        return e | st.alert(
            line,
            "'monitor fail' requires either 'if' or 'unless' followed by a condition.",
        );
    }
    let r = &st.model.proxies[px].rules;
    let after = if !r.http_request.is_empty() {
        Some("an 'http-request'")
    } else if !r.use_backend.is_empty() {
        Some("a 'use_backend'")
    } else if !r.use_server.is_empty() {
        Some("a 'use-server'")
    } else {
        None
    };
    if let Some(a) = after {
        e |= st.warn(
            line,
            format!("a 'monitor fail' rule placed after {a} rule will still be processed before."),
        );
    }
    let words = words_from(line, 2);
    match crate::config::expr::parse_cond(st, px, &words) {
        Ok(c) => {
            pxm(st, px)
                .settings
                .monitor_fail
                .push((c, line.loc.clone()));
            e | used(st, line, "monitor fail")
        }
        Err(m) => {
            e | st.alert(
                line,
                format!("error detected while parsing a 'monitor fail' condition : {m}."),
            )
        }
    }
}

fn kw_conn_limits(st: &mut State, line: &Line, px: usize) -> u32 {
    let kw = line.arg(0).to_string();
    let (cap, hint) = match kw.as_str() {
        "maxconn" => (ProxyCap::FE, " Maybe you want 'fullconn' instead ?"),
        "backlog" => (ProxyCap::FE, ""),
        _ => (ProxyCap::BE, " Maybe you want 'maxconn' instead ?"),
    };
    let mut e = 0;
    if warnifnotcap(st, line, px, cap, &kw, hint) {
        e |= err::WARN;
    }
    if line.arg(1).is_empty() {
        return e | st.alert(line, format!("'{kw}' expects an integer argument."));
    }
    let v = Some(atol(line.arg(1)) as u32);
    let s = &mut pxm(st, px).settings;
    match kw.as_str() {
        "maxconn" => s.maxconn = v,
        "backlog" => s.backlog = v,
        _ => s.fullconn = v,
    }
    if too_many_args(st, line, 1) {
        return e | err::ALERT_FATAL;
    }
    e | used(st, line, &kw)
}

fn kw_dispatch(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'dispatch' not allowed in 'defaults' section.");
    }
    if warnifnotcap(st, line, px, ProxyCap::BE, "dispatch", "") {
        e |= err::WARN;
    }
    let opts = crate::config::addr::SaOpts {
        port_mandatory: true,
        resolve: true,
        ..Default::default()
    };
    if let Err(m) = crate::config::addr::str2sa_range(line.arg(1), &opts) {
        return e | st.alert(line, format!("'dispatch' : {m}"));
    }
    if too_many_args(st, line, 1) {
        return e | err::ALERT_FATAL;
    }
    pxm(st, px).settings.dispatch = Some(line.arg(1).to_string());
    e | used(st, line, "dispatch")
}

fn kw_balance(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::BE, "balance", "") {
        e |= err::WARN;
    }
    let args: Vec<&str> = (1..line.nargs().max(2)).map(|i| line.arg(i)).collect();
    match parse_balance(&args) {
        Ok(b) => {
            pxm(st, px).settings.balance = Some(b);
            e | used(st, line, "balance")
        }
        Err(m) => e | st.alert(line, format!("balance {m}")),
    }
}

/// HAProxy's `backend_parse_balance()`; `args[0]` is the algorithm.
pub(crate) fn parse_balance(args: &[&str]) -> Result<Balance, String> {
    let a = |i: usize| args.get(i).copied().unwrap_or("");
    let algo = a(0);
    Ok(match algo {
        "" | "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "first" => Balance::First,
        "leastconn" => Balance::LeastConn,
        "source" => Balance::Source,
        _ if algo.starts_with("random") => {
            let rest = &algo[6..];
            let mut draws = 2;
            if let Some(r) = rest.strip_prefix('(') {
                if !r.starts_with(')') {
                    let (v, n) = strtol_base0(r);
                    draws = v;
                    match r[n..].chars().next() {
                        Some(')') => {}
                        None => return Err("random : missing closing parenthesis.".into()),
                        Some(c) => {
                            return Err(format!(
                                "random : unexpected character '{c}' after argument."
                            ))
                        }
                    }
                    if draws < 1 {
                        return Err("random : number of draws must be at least 1.".into());
                    }
                }
            }
            Balance::Random { draws }
        }
        "uri" => {
            let (mut whole, mut path_only, mut len, mut depth) = (false, false, 0, 0);
            let mut i = 1;
            while !a(i).is_empty() {
                match a(i) {
                    "len" | "depth" => {
                        if a(i + 1).is_empty() || atoi(a(i + 1)) <= 0 {
                            return Err(format!(
                                "{algo} : '{}' expects a positive integer (got '{}').",
                                a(i),
                                a(i + 1)
                            ));
                        }
                        if a(i) == "len" {
                            len = atoi(a(i + 1)) as u32;
                        } else {
                            depth = atoi(a(i + 1)) as u32;
                        }
                        i += 2;
                    }
                    "whole" => {
                        whole = true;
                        i += 1;
                    }
                    "path-only" => {
                        path_only = true;
                        i += 1;
                    }
                    o => {
                        return Err(format!("{algo} only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '{o}')."))
                    }
                }
            }
            Balance::Uri {
                whole,
                path_only,
                len,
                depth,
            }
        }
        "url_param" => {
            if a(1).is_empty() {
                return Err(format!("{algo} requires an URL parameter name."));
            }
            if !a(2).is_empty() && a(2) != "check_post" {
                return Err(format!(
                    "{algo} only accepts 'check_post' modifier (got '{}').",
                    a(2)
                ));
            }
            Balance::UrlParam {
                name: a(1).to_string(),
                check_post: a(2) == "check_post",
            }
        }
        "hash" => {
            if a(1).is_empty() {
                return Err(format!("{algo} requires a sample expression."));
            }
            if !a(2).is_empty() {
                return Err(format!("{algo} takes no other argument (got '{}').", a(2)));
            }
            Balance::Hash {
                expr: a(1).to_string(),
            }
        }
        _ if algo.starts_with("hdr(") => {
            let beg = &algo[4..];
            let name = match beg.find(')') {
                Some(e) if e > 0 => beg[..e].to_string(),
                _ => return Err("hdr requires an http header field name.".into()),
            };
            if !a(1).is_empty() && a(1) != "use_domain_only" {
                return Err(format!(
                    "{algo} only accepts 'use_domain_only' modifier (got '{}').",
                    a(1)
                ));
            }
            Balance::Hdr {
                name,
                use_domain_only: !a(1).is_empty(),
            }
        }
        _ if algo.starts_with("rdp-cookie") => {
            let rest = &algo[10..];
            let name = if let Some(r) = rest.strip_prefix('(') {
                match r.find(')') {
                    Some(e) if e > 0 => r[..e].to_string(),
                    _ => return Err("rdp-cookie : missing cookie name.".into()),
                }
            } else if rest.is_empty() {
                "mstshash".to_string()
            } else {
                return Err("rdp-cookie : missing cookie name.".into());
            };
            Balance::RdpCookie { name }
        }
        _ => return Err("only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.".into()),
    })
}

/// C `strtol(s, &end, 0)`: base prefix detection (`0x` hex, `0` octal). Returns the value
/// and the number of bytes consumed.
pub(crate) fn strtol_base0(s: &str) -> (i64, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let (base, start) = if i + 1 < b.len()
        && b[i] == b'0'
        && (b[i + 1] | 0x20) == b'x'
        && i + 2 < b.len()
        && b[i + 2].is_ascii_hexdigit()
    {
        (16, i + 2)
    } else if i < b.len() && b[i] == b'0' {
        (8, i)
    } else {
        (10, i)
    };
    let mut j = start;
    let mut v: i64 = 0;
    while j < b.len() {
        let d = match (b[j] as char).to_digit(base) {
            Some(d) => d as i64,
            None => break,
        };
        v = v.saturating_mul(base as i64).saturating_add(d);
        j += 1;
    }
    if j == start && base != 8 {
        return (0, 0);
    }
    (if neg { -v } else { v }, j)
}

fn kw_hash_type(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::BE, "hash-type", "") {
        e |= err::WARN;
    }
    let consistent = match line.arg(1) {
        "consistent" => true,
        "map-based" => false,
        "avalanche" => return e | st.alert(line, "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead."),
        _ => return e | st.alert(line, "'hash-type' only supports 'consistent' and 'map-based'."),
    };
    let mut ht = HashType {
        consistent,
        function: HashFunction::Sdbm,
        avalanche: false,
    };
    if line.arg(2).is_empty() {
        ht.avalanche = consistent;
    } else {
        ht.function =
            match line.arg(2) {
                "sdbm" => HashFunction::Sdbm,
                "djb2" => HashFunction::Djb2,
                "wt6" => HashFunction::Wt6,
                "crc32" => HashFunction::Crc32,
                _ => return e | st.alert(
                    line,
                    "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.",
                ),
            };
        match line.arg(3) {
            "avalanche" => ht.avalanche = true,
            "" => {}
            _ => {
                return e | st.alert(
                    line,
                    "'hash-type' only supports 'avalanche' as a modifier for hash functions.",
                )
            }
        }
    }
    pxm(st, px).settings.hash_type = Some(ht);
    e | used(st, line, "hash-type")
}

fn kw_formats(st: &mut State, line: &Line, px: usize) -> u32 {
    let kw = line.arg(0).to_string();
    if line.arg(1).is_empty() {
        return st.alert(line, format!("{kw} expects an argument."));
    }
    if !line.arg(2).is_empty() {
        return st.alert(
            line,
            format!("{kw} expects only one argument, don't forget to escape spaces!"),
        );
    }
    let fmt = line.arg(1).to_string();
    let p = &st.model.proxies[px];
    let (is_def, is_fe, name) = (p.cap.is_defaults(), p.cap.is_fe(), p.name.clone());
    let loc = line.loc.clone();
    let mut e = 0;
    match kw.as_str() {
        "unique-id-format" => {
            pxm(st, px).settings.unique_id_format = Some((fmt.clone(), loc));
        }
        "log-format" => {
            if is_def {
                if let Some((old, _)) = &st.model.proxies[px].settings.log_format {
                    let old = old.directive();
                    warn_ns(
                        st,
                        line,
                        format!("'log-format' overrides previous '{old}' in 'defaults' section."),
                    );
                }
            }
            pxm(st, px).settings.log_format = Some((LogFormat::Custom(fmt.clone()), loc));
        }
        "log-format-sd" => {
            pxm(st, px).settings.log_format_sd = Some((fmt.clone(), loc));
        }
        _ => {
            if is_def && st.model.proxies[px].settings.error_log_format.is_some() {
                warn_ns(
                    st,
                    line,
                    "'error-log-format' overrides previous 'error-log-format' in 'defaults' section.",
                );
            }
            pxm(st, px).settings.error_log_format = Some((fmt.clone(), loc));
        }
    }
    if kw != "unique-id-format" && !is_def && !is_fe {
        e |= st.warn(
            line,
            format!("backend '{name}' : '{kw}' directive is ignored in backends."),
        );
    }
    // The format itself is compiled after parsing (`check.rs`), as HAProxy does, with
    // the location kept next to it.
    e | used(st, line, &kw)
}

fn kw_source(st: &mut State, line: &Line, px: usize) -> u32 {
    let mut e = 0;
    if warnifnotcap(st, line, px, ProxyCap::BE, "source", "") {
        e |= err::WARN;
    }
    if line.arg(1).is_empty() {
        return e | st.alert(line, "'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.");
    }
    let opts = crate::config::addr::SaOpts {
        resolve: true,
        ..Default::default()
    };
    if let Err(m) = crate::config::addr::str2sa_range(line.arg(1), &opts) {
        return e | st.alert(line, format!("'source {}' : {m}", line.arg(1)));
    }
    let mut src = Source {
        addr: line.arg(1).to_string(),
        ..Default::default()
    };
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let next = line.arg(i + 1);
        match line.arg(i) {
            "usesrc" => {
                if next.is_empty() {
                    return e | st.alert(
                        line,
                        "'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.",
                    );
                }
                if next != "client" && next != "clientip" && !next.starts_with("hdr_ip(") {
                    if let Err(m) = crate::config::addr::str2sa_range(next, &opts) {
                        return e | st.alert(line, format!("'usesrc {next}' : {m}"));
                    }
                }
                src.usesrc = Some(next.to_string());
            }
            "interface" => {
                if next.is_empty() {
                    return e | st.alert(line, "'source' : missing interface name.");
                }
                src.interface = Some(next.to_string());
            }
            _ => {
                return e | st.alert(
                    line,
                    "'source' only supports optional keywords 'interface' and 'usesrc'.",
                )
            }
        }
        i += 2;
    }
    pxm(st, px).settings.source = Some(src);
    e | used(st, line, "source")
}

/// `log-format`-family keyword marker used by `option httplog` & co.
pub(crate) fn set_log_format(st: &mut State, line: &Line, px: usize, lf: LogFormat) {
    st.model.proxies[px].settings.log_format = Some((lf, line.loc.clone()));
}

/// Stats settings of the current proxy, detached from its defaults' on first use as
/// HAProxy does (`uri_auth` is shared until the proxy writes its own `stats` line).
pub(crate) fn stats_mut(st: &mut State, px: usize) -> &mut Stats {
    let s = st.model.proxies[px]
        .settings
        .stats
        .get_or_insert_with(Default::default);
    s.enabled = true;
    s
}

/// The first `stats` line of a regular proxy drops the settings shared with its defaults.
pub(crate) fn detach_stats(st: &mut State, px: usize) {
    let p = &mut st.model.proxies[px];
    if !p.cap.is_defaults() && !p.settings.stats_own {
        p.settings.stats_own = true;
        p.settings.stats = None;
    }
}
