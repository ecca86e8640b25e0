//! Health-check settings: `option httpchk|tcp-check|…-check`, `http-check …`, `tcp-check …`
//! (HAProxy's `tcpcheck.c`), and the HTTP reply arguments shared with `http-error`.

use super::{pxm, too_many_args_idx, warn_ns, warnifnotcap, words_from};
use crate::config::values::atol;
use crate::config::{err, Line, State};
use crate::model::proxy::{CheckKind, CheckRule};
use crate::model::ProxyCap;

type KwResult = Result<Option<String>, String>;

/// `option httpchk|ssl-hello-chk|smtpchk|pgsql-check|redis-check|mysql-check|ldap-check|
/// spop-check|tcp-check|external-check`.
pub(super) fn parse_check_option(st: &mut State, line: &Line, px: usize) -> u32 {
    let name = line.arg(1).to_string();
    let mut e = 0;
    if name != "external-check" && warnifnotcap(st, line, px, ProxyCap::BE, &name, "") {
        e |= err::WARN;
    }
    let maxarg = match name.as_str() {
        "httpchk" | "mysql-check" => 3,
        "smtpchk" | "pgsql-check" => 2,
        _ => 0,
    };
    if too_many_args_idx(st, line, maxarg, 1) {
        return e | err::ALERT_FATAL;
    }
    let a = |i: usize| line.arg(i).to_string();
    let kind = match name.as_str() {
        "httpchk" => {
            let (a2, a3, a4) = (a(2), a(3), a(4));
            if a4.contains("\r\n") {
                e |= warn_ns(st, line, "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.");
            }
            let (method, uri) = match (a2.is_empty(), a3.is_empty()) {
                (true, _) => (None, None),
                (false, true) => (None, Some(a2)),
                (false, false) => (Some(a2), Some(a3)),
            };
            CheckKind::Http {
                method,
                uri,
                version: (!a4.is_empty()).then_some(a4),
            }
        }
        "ssl-hello-chk" => CheckKind::SslHello,
        "smtpchk" => {
            let (a2, a3) = (a(2), a(3));
            let helo = (!a2.is_empty() && !a3.is_empty() && (a2 == "EHLO" || a2 == "HELO"))
                .then_some((a2, a3));
            CheckKind::Smtp { helo }
        }
        "pgsql-check" => {
            if a(2).is_empty() || a(3).is_empty() {
                return e | st.alert(
                    line,
                    "'option pgsql-check' expects 'user <username>' as argument.",
                );
            }
            if a(2) != "user" {
                return e | st.alert(
                    line,
                    "'option pgsql-check' only supports optional values: 'user'.",
                );
            }
            CheckKind::Pgsql { user: a(3) }
        }
        "redis-check" => CheckKind::Redis,
        "mysql-check" => {
            let mut user = None;
            let mut post41 = true;
            if !a(2).is_empty() {
                if a(2) != "user" {
                    return e | st.alert(line, format!("'option mysql-check' only supports optional values: 'user' (got '{}').", a(2)));
                }
                if a(3).is_empty() {
                    return e | st.alert(
                        line,
                        "'option mysql-check user' expects <username> as argument.",
                    );
                }
                match a(4).as_str() {
                    "" | "post-41" => {}
                    "pre-41" => post41 = false,
                    o => {
                        return e | st.alert(
                            line,
                            format!(
                                "keyword 'user' only supports 'post-41' and 'pre-41' (got '{o}')."
                            ),
                        )
                    }
                }
                user = Some(a(3));
            }
            CheckKind::Mysql { user, post41 }
        }
        "ldap-check" => CheckKind::Ldap,
        "spop-check" => CheckKind::Spop,
        "tcp-check" => CheckKind::Tcp,
        _ => CheckKind::External,
    };
    pxm(st, px).settings.check = Some(kind);
    e
}

/// `http-check …`.
pub(super) fn parse_http_check(st: &mut State, line: &Line, px: usize) -> KwResult {
    let mut warn = None;
    if warnifnotcap(st, line, px, ProxyCap::BE, "http-check", "") {
        warn = Some(String::new());
    }
    let verb = line.arg(1);
    match verb {
        "disable-on-404" | "send-state" => {
            if !line.arg(2).is_empty() {
                return Err(format!(
                    "'http-check' cannot handle unexpected argument '{}'.",
                    line.arg(2)
                ));
            }
            let s = &mut pxm(st, px).settings;
            if verb == "disable-on-404" {
                s.http_check_disable_on_404 = true;
            } else {
                s.http_check_send_state = true;
            }
            return Ok(None);
        }
        "connect" => check_connect(line, true),
        "send" => check_send_http(line),
        "expect" => check_expect(line, true),
        "comment" => check_comment(line),
        _ if is_var_action(verb) => check_var(line),
        _ => return Err(format!("'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{verb}'")),
    }
    .map_err(|m| format!("'http-check {verb}' : {m}."))?;
    check_rule_logformats(st, line, px).map_err(|m| format!("'http-check {verb}' : {m}."))?;
    if verb == "connect" {
        first_step_connect(&st.model.proxies[px].settings.http_check_rules)
            .map_err(|m| format!("'http-check {verb}' : {m}."))?;
    }
    pxm(st, px).settings.http_check_rules.push(CheckRule {
        verb: verb.to_string(),
        args: words_from(line, 2),
        loc: line.loc.clone(),
    });
    let _ = warn;
    Ok(None)
}

/// `tcp-check …`.
pub(super) fn parse_tcp_check(st: &mut State, line: &Line, px: usize) -> KwResult {
    // HAProxy then reports its empty message as a warning: "(null)".
    let not_be = warnifnotcap(st, line, px, ProxyCap::BE, "tcp-check", "");
    let verb = line.arg(1);
    match verb {
        "connect" => check_connect(line, false),
        "send" | "send-binary" | "send-lf" | "send-binary-lf" => check_send_tcp(line),
        "expect" => check_expect(line, false),
        "comment" => check_comment(line),
        _ if is_var_action(verb) => check_var(line),
        _ => return Err(format!("'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{verb}'")),
    }
    .map_err(|m| format!("'tcp-check {verb}' : {m}."))?;
    check_rule_logformats(st, line, px).map_err(|m| format!("'tcp-check {verb}' : {m}."))?;
    if verb == "connect" {
        first_step_connect(&st.model.proxies[px].settings.tcp_check_rules)
            .map_err(|m| format!("'tcp-check {verb}' : {m}."))?;
    }
    pxm(st, px).settings.tcp_check_rules.push(CheckRule {
        verb: verb.to_string(),
        args: words_from(line, 2),
        loc: line.loc.clone(),
    });
    Ok(not_be.then(|| "(null)".to_string()))
}

/// The log-format strings of a check rule are compiled when the rule is parsed.
fn check_rule_logformats(st: &State, line: &Line, px: usize) -> Result<(), String> {
    let verb = line.arg(1);
    let mut fmts: Vec<&str> = Vec::new();
    if verb == "send-lf" || verb == "send-binary-lf" {
        fmts.push(line.arg(2));
    }
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        let lf = matches!(
            a,
            "uri-lf"
                | "body-lf"
                | "string-lf"
                | "binary-lf"
                | "name-lf"
                | "value-lf"
                | "on-success"
                | "on-error"
        );
        if lf && !line.arg(i + 1).is_empty() {
            fmts.push(line.arg(i + 1));
        }
        i += 1;
    }
    for f in fmts {
        crate::config::expr::check_logformat(st, px, f)
            .map_err(|m| format!("'{f}' invalid log-format string ({m}).\n"))?;
    }
    Ok(())
}

/// A `connect` step must come first (after comments and variable settings).
fn first_step_connect(rules: &[CheckRule]) -> Result<(), String> {
    for r in rules {
        if r.verb == "connect" {
            break;
        }
        if r.verb == "comment" || is_var_action(&r.verb) {
            continue;
        }
        return Err("first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset".into());
    }
    Ok(())
}

fn check_comment(line: &Line) -> Result<(), String> {
    if line.arg(2).is_empty() {
        return Err("expects a string as argument".into());
    }
    if !line.arg(3).is_empty() {
        return Err(format!(
            "'comment' cannot handle unexpected argument '{}'.",
            line.arg(3)
        ));
    }
    Ok(())
}

/// The check action keywords (`set-var(<name>)`, `set-var-fmt(<name>)`, `unset-var(<name>)`).
fn is_var_action(v: &str) -> bool {
    v.starts_with("set-var(") || v.starts_with("set-var-fmt(") || v.starts_with("unset-var(")
}

fn check_var(line: &Line) -> Result<(), String> {
    let v = line.arg(1);
    if !v.ends_with(')') {
        return Err(format!("'{v}' : missing closing parenthesis"));
    }
    if !v.starts_with("unset-var(") && line.arg(2).is_empty() {
        return Err(format!("'{v}' : missing expression"));
    }
    Ok(())
}

fn check_connect(line: &Line, http: bool) -> Result<(), String> {
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        let n = line.arg(i + 1);
        match a {
            "default" | "send-proxy" | "via-socks4" | "linger" | "ssl" => {}
            "addr" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects <ipv4|ipv6> as argument."));
                }
                i += 1;
            }
            "port" => {
                if n.is_empty() {
                    return Err(format!(
                        "'{a}' expects a port number or a sample expression as argument."
                    ));
                }
                if n.bytes().all(|c| c.is_ascii_digit()) {
                    let p = atol(n);
                    if !(1..=65535).contains(&p) {
                        return Err(format!("expects a valid TCP port (from range 1 to 65535) or a sample expression, got {n}."));
                    }
                }
                i += 1;
            }
            "proto" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a MUX protocol as argument."));
                }
                let (tcp, htt) = (["h2", "fcgi", "h1", "none"], ["h2", "fcgi", "h1"]);
                let known = ["h2", "fcgi", "h1", "none", "http"];
                if !known.contains(&n) {
                    return Err(format!("'{a}' : unknown MUX protocol '{n}'."));
                }
                let _ = tcp;
                if http && !htt.contains(&n) && n != "http" {
                    return Err(format!("'{a}' : invalid MUX protocol '{n}' for http-check"));
                }
                if !http && matches!(n, "h2" | "fcgi" | "h1" | "http") {
                    return Err(format!("'{a}' : invalid MUX protocol '{n}' for tcp-check"));
                }
                i += 1;
            }
            "comment" | "sni" | "alpn" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument."));
                }
                i += 1;
            }
            _ => return Err(format!("expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '{a}' as argument.")),
        }
        i += 1;
    }
    Ok(())
}

fn check_send_tcp(line: &Line) -> Result<(), String> {
    let verb = line.arg(1);
    let what = if verb == "send-binary" {
        "binary string"
    } else {
        "string"
    };
    let data = line.arg(2);
    if data.is_empty() {
        return Err(format!("'{what}' expects a {verb} as argument"));
    }
    let mut i = 3;
    while !line.arg(i).is_empty() {
        if line.arg(i) == "comment" {
            if line.arg(i + 1).is_empty() {
                return Err("'comment' expects a string as argument.".into());
            }
            i += 2;
        } else {
            return Err(format!(
                "expects 'comment' but got '{}' as argument.",
                line.arg(i)
            ));
        }
    }
    if verb == "send-binary" {
        parse_binary(data).map_err(|m| format!("'{data}' invalid binary string ({m}).\n"))?;
    }
    Ok(())
}

/// HAProxy's `parse_binary()` validation of a hex string.
fn parse_binary(data: &str) -> Result<(), String> {
    if data.len() % 2 != 0 {
        return Err("an even number of hex digit is expected".into());
    }
    match data.chars().find(|c| !c.is_ascii_hexdigit()) {
        Some(c) => Err(format!("an hex digit is expected (found '{c}')")),
        None => Ok(()),
    }
}

fn check_send_http(line: &Line) -> Result<(), String> {
    let mut i = 2;
    let mut host: Option<&str> = None;
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        let n = line.arg(i + 1);
        match a {
            "meth" | "uri" | "uri-lf" | "ver" | "body" | "body-lf" | "comment" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument."));
                }
                i += 2;
            }
            "hdr" => {
                if n.is_empty() || line.arg(i + 2).is_empty() {
                    return Err(format!("'{a}' expects <name> and <value> as arguments"));
                }
                if n.eq_ignore_ascii_case("host") {
                    if let Some(prev) = host {
                        return Err(format!(
                            "'{n}' header already defined (previous value is '{prev}')"
                        ));
                    }
                    host = Some(line.arg(i + 2));
                }
                i += 3;
            }
            _ => return Err(format!("expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{a}' as argument.")),
        }
    }
    Ok(())
}

fn check_match_method(kw: &str, m: &str) -> Result<(), String> {
    if m.is_empty() {
        return Err(format!(
            "'{kw}' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')"
        ));
    }
    if !matches!(m, "str" | "beg" | "end" | "sub" | "reg") {
        return Err(format!(
            "'{kw}' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '{m}')"
        ));
    }
    Ok(())
}

/// A regex pattern as HAProxy compiles it (PCRE2 there; its error text differs).
fn check_regex(p: &str) -> Result<(), String> {
    regex::bytes::Regex::new(p)
        .map(|_| ())
        .map_err(|_| format!("regex '{p}' is invalid"))
}

fn check_expect(line: &Line, http: bool) -> Result<(), String> {
    if line.arg(2).is_empty() {
        return Err("expects at least a matching pattern as arguments".into());
    }
    let bad = |a: &str| {
        if http {
            format!("'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '{a}' as argument.")
        } else {
            format!("'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '{a}' as argument.")
        }
    };
    let mut have_pattern = false;
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let mut a = line.arg(i);
        let inverse = a == "!";
        if inverse {
            i += 1;
            a = line.arg(i);
        }
        let n = line.arg(i + 1);
        let simple_opt = matches!(
            a,
            "min-recv"
                | "comment"
                | "on-success"
                | "on-error"
                | "ok-status"
                | "error-status"
                | "tout-status"
                | "status-code"
        );
        if inverse && simple_opt {
            return Err(format!("[!] not supported with '{a}'"));
        }
        match a {
            "min-recv" => {
                if http {
                    return Err(bad(a));
                }
                if n.is_empty() {
                    return Err(format!("'{a}' expects a integer as argument"));
                }
                let v = atol(n);
                if v < -1 || v > i32::MAX as i64 {
                    return Err(format!("'{a}' expects -1 or an integer from 0 to INT_MAX"));
                }
                i += 2;
            }
            "string" | "rstring" | "string-lf" => {
                if have_pattern {
                    return Err("only on pattern expected".into());
                }
                if n.is_empty() {
                    return Err(format!("'{a}' expects a <pattern> as argument"));
                }
                if a == "rstring" {
                    check_regex(n)?;
                }
                have_pattern = true;
                i += 2;
            }
            "binary" | "rbinary" | "binary-lf" if !http => {
                if have_pattern {
                    return Err("only on pattern expected".into());
                }
                if n.is_empty() {
                    return Err(format!("'{a}' expects a <pattern> as argument"));
                }
                have_pattern = true;
                i += 2;
            }
            "status" | "rstatus" if http => {
                if have_pattern {
                    return Err("only on pattern expected".into());
                }
                if n.is_empty() {
                    return Err(format!("'{a}' expects a <pattern> as argument"));
                }
                if a == "rstatus" {
                    check_regex(n)?;
                }
                have_pattern = true;
                i += 2;
            }
            "hdr" | "fhdr" if http => {
                if have_pattern {
                    return Err("only on pattern expected".into());
                }
                let name_err = || {
                    format!(
                        "'{a}' expects at the name keyword as first argument followed by a pattern"
                    )
                };
                if n != "name" && n != "name-lf" {
                    return Err(name_err());
                }
                i += 2;
                if line.arg(i) == "-m" {
                    check_match_method(a, line.arg(i + 1))?;
                    i += 2;
                }
                if line.arg(i).is_empty() {
                    return Err(name_err());
                }
                i += 1;
                if line.arg(i) == "value" || line.arg(i) == "value-lf" {
                    i += 1;
                    if line.arg(i) == "-m" {
                        check_match_method(a, line.arg(i + 1))?;
                        i += 2;
                    }
                    if line.arg(i).is_empty() {
                        return Err(format!("'{a}' expect a pattern with the value keyword"));
                    }
                    i += 1;
                }
                have_pattern = true;
            }
            "custom" => {
                if have_pattern {
                    return Err("only on pattern expected".into());
                }
                have_pattern = true;
                i += 1;
            }
            "comment" | "on-success" | "on-error" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument"));
                }
                i += 2;
            }
            "ok-status" | "error-status" | "tout-status" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument"));
                }
                let (ok, list): (&[&str], &str) = match a {
                    "ok-status" => (
                        &["L4OK", "L6OK", "L7OK", "L7OKC"],
                        "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'",
                    ),
                    "error-status" => (
                        &["L4CON", "L6RSP", "L7RSP", "L7STS"],
                        "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'",
                    ),
                    _ => (
                        &["L4TOUT", "L6TOUT", "L7TOUT"],
                        "'L4TOUT', 'L6TOUT' or 'L7TOUT'",
                    ),
                };
                if !ok.contains(&n) {
                    return Err(format!("'{a}' only supports {list} status (got '{n}')."));
                }
                i += 2;
            }
            "status-code" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects an expression as argument"));
                }
                i += 2;
            }
            _ => return Err(bad(a)),
        }
    }
    if !have_pattern {
        return Err("pattern not found".into());
    }
    Ok(())
}

/// HAProxy's `http_parse_http_reply()` validation. Returns the status if given.
pub(super) fn parse_http_reply(
    st: &mut State,
    line: &Line,
    px: usize,
    args: &[String],
) -> Result<(Option<u16>, usize), String> {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut status: Option<u16> = None;
    let mut act: Option<&str> = None;
    let mut ctype = false;
    let mut i = 0;
    while !a(i).is_empty() {
        let k = a(i);
        match k {
            "status" => {
                if a(i + 1).is_empty() {
                    return Err(format!("'{k}' expects <status_code> as argument"));
                }
                let s = atol(a(i + 1)) as i32;
                if !(200..=599).contains(&s) {
                    return Err(format!("Unexpected status code '{s}'"));
                }
                status = Some(s as u16);
                i += 2;
            }
            "content-type" => {
                if a(i + 1).is_empty() {
                    return Err(format!("'{k}' expects <ctype> as argument"));
                }
                ctype = true;
                i += 2;
            }
            "default-errorfiles" => {
                if let Some(p) = act {
                    return Err(format!("unexpected '{k}' argument, '{p}' already defined"));
                }
                act = Some("default-errorfiles");
                i += 1;
            }
            "errorfiles" | "errorfile" | "file" | "string" | "lf-file" | "lf-string" => {
                if let Some(p) = act {
                    return Err(format!("unexpected '{k}' argument, '{p}' already defined"));
                }
                let what = match k {
                    "errorfiles" => "<name>",
                    "errorfile" | "lf-string" => "<fmt>",
                    "string" => "<str>",
                    _ => "<file>",
                };
                if a(i + 1).is_empty() {
                    return Err(format!("'{k}' expects {what} as argument"));
                }
                if matches!(k, "file" | "lf-file") && st.env.check_files {
                    let path = a(i + 1);
                    if std::fs::read(path).is_err() {
                        return Err(format!("error opening file '{path}'"));
                    }
                }
                if k == "lf-string" {
                    crate::config::expr::check_logformat(st, px, a(i + 1))?;
                }
                if k == "errorfile" && st.env.check_files {
                    super::registered::check_errorfile(a(i + 1))?;
                }
                act = Some(match k {
                    "errorfiles" => "errorfiles",
                    "errorfile" => "errorfile",
                    "file" => "file",
                    "string" => "string",
                    "lf-file" => "lf-file",
                    _ => "lf-string",
                });
                i += 2;
            }
            "hdr" => {
                if a(i + 1).is_empty() || a(i + 2).is_empty() {
                    return Err(format!("'{k}' expects <name> and <value> as arguments"));
                }
                let n = a(i + 1);
                if n.eq_ignore_ascii_case("content-length")
                    || n.eq_ignore_ascii_case("transfer-encoding")
                    || n.eq_ignore_ascii_case("content-type")
                {
                    st.warn(
                        line,
                        format!("header '{n}' always ignored by the http reply."),
                    );
                } else {
                    crate::config::expr::check_logformat(st, px, a(i + 2))?;
                }
                i += 3;
            }
            _ => break,
        }
    }
    if act.is_none() && ctype {
        let ct = args
            .iter()
            .position(|w| w == "content-type")
            .and_then(|p| args.get(p + 1))
            .cloned()
            .unwrap_or_default();
        st.warn(
            line,
            format!("content-type '{ct}' ignored by the http reply because neither errorfile nor payload defined."),
        );
    }
    let Some(s) = status else {
        return Ok((None, i));
    };
    if matches!(
        act,
        Some("file") | Some("string") | Some("lf-file") | Some("lf-string")
    ) {
        if s == 204 || s == 304 {
            return Err(format!("No body expected for {s} responses"));
        }
        if !ctype {
            return Err(if matches!(act, Some("lf-file") | Some("lf-string")) {
                "a content type must be defined with a log-format payload".into()
            } else {
                "a content type must be defined when non-empty payload is configured".into()
            });
        }
    }
    if matches!(act, Some("default-errorfiles") | Some("errorfiles"))
        && !super::registered::HTTP_ERR_CODES.contains(&(s as i64))
    {
        return Err(format!(
            "status code '{s}' not handled by default with '{}' argument.",
            act.unwrap_or("")
        ));
    }
    Ok((Some(s), i))
}
