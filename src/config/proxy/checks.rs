//! Health-check settings: `option httpchk|tcp-check|…-check`, `http-check …`, `tcp-check …`
//! (HAProxy's `tcpcheck.c`), and the HTTP reply arguments shared with `http-error`.

use super::{pxm, too_many_args_idx, warn_ns, warnifnotcap, words_from};
use crate::config::values::atol;
use crate::config::{err, Line, State};
use crate::model::proxy::{CheckKind, CheckRule, CheckStep};
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
    let httpchk = matches!(kind, CheckKind::Http { .. });
    pxm(st, px).settings.check = Some(kind);
    if httpchk {
        add_httpchk_step(st, px);
    }
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
        "connect" => http_first_step_connect(st, px).and_then(|_| check_connect(st, line, true)),
        "send" => check_send_http(st, px, line),
        "expect" => check_expect(st, px, line, true),
        "comment" => check_comment(line),
        _ if is_var_action(verb) => check_var(st, px, line),
        _ => return Err(format!("'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{verb}'")),
    }
    .and_then(|_| add_http_step(st, px, step_action(verb)))
    .map_err(|m| format!("'http-check {verb}' : {m}."))?;
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
        "connect" => tcp_first_step_connect(st, px).and_then(|_| check_connect(st, line, false)),
        "send" | "send-binary" | "send-lf" | "send-binary-lf" => check_send_tcp(st, px, line),
        "expect" => check_expect(st, px, line, false),
        "comment" => check_comment(line),
        _ if is_var_action(verb) => check_var(st, px, line),
        _ => return Err(format!("'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{verb}'")),
    }
    .map_err(|m| format!("'tcp-check {verb}' : {m}."))?;
    pxm(st, px).settings.tcp_check_rules.push(CheckRule {
        verb: verb.to_string(),
        args: words_from(line, 2),
        loc: line.loc.clone(),
    });
    Ok(not_be.then(|| "(null)".to_string()))
}

const FIRST_STEP_CONNECT: &str = "first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset";

/// A `connect` step must come first (after comments and variable settings) in the
/// proxy's own tcp-check ruleset: the rules written in this proxy, not in its defaults.
fn tcp_first_step_connect(st: &State, px: usize) -> Result<(), String> {
    let p = &st.model.proxies[px];
    let own = p
        .settings
        .tcp_check_rules
        .iter()
        .filter(|r| r.loc.file == p.loc.file && r.loc.line > p.loc.line);
    for r in own {
        if r.verb == "connect" {
            break;
        }
        if r.verb != "comment" && !is_var_action(&r.verb) {
            return Err(FIRST_STEP_CONNECT.into());
        }
    }
    Ok(())
}

/// The same for http-check, where the implicit request of `option httpchk` is skipped.
fn http_first_step_connect(st: &State, px: usize) -> Result<(), String> {
    let p = &st.model.proxies[px];
    if p.settings.http_check_steps.owner.as_ref() != Some(&p.loc) {
        return Ok(());
    }
    for s in &p.settings.http_check_steps.steps {
        if s.action == "connect" {
            break;
        }
        if !matches!(s.action, "comment" | "action") && !s.from_opt {
            return Err(FIRST_STEP_CONNECT.into());
        }
    }
    Ok(())
}

/// The step kind of an http-check verb.
fn step_action(verb: &str) -> &'static str {
    match verb {
        "connect" => "connect",
        "send" => "send",
        "expect" => "expect",
        "comment" => "comment",
        _ => "action",
    }
}

/// The proxy's own http-check steps, started afresh when they were copied from defaults.
fn own_steps(st: &mut State, px: usize) -> &mut Vec<CheckStep> {
    let p = &mut st.model.proxies[px];
    let steps = &mut p.settings.http_check_steps;
    if steps.owner.as_ref() != Some(&p.loc) {
        steps.owner = Some(p.loc.clone());
        steps.steps.clear();
    }
    &mut steps.steps
}

/// Whether a step counts for the order checks (comments and actions do not).
fn is_step(s: &CheckStep) -> bool {
    !matches!(s.action, "comment" | "action")
}

/// Adds an explicit http-check rule to the proxy's ruleset. Once `option httpchk` is on,
/// HAProxy checks the order as `tcpcheck_add_http_rule()` does and merges the first `send`
/// into the implicit request; before, rules are only appended.
fn add_http_step(st: &mut State, px: usize, action: &'static str) -> Result<(), String> {
    let http = matches!(
        st.model.proxies[px].settings.check,
        Some(CheckKind::Http { .. })
    );
    let steps = own_steps(st, px);
    let index = match steps.last() {
        Some(l) if !(l.action == "send" && l.from_opt) => l.index + 1,
        _ => 0,
    };
    let mut step = CheckStep {
        action,
        from_opt: false,
        index,
    };
    if http {
        let at = index + 1;
        match steps.iter().rev().find(|s| is_step(s)) {
            None => {}
            Some(r) if r.action == "send" && r.from_opt => {}
            Some(r) if r.action != "connect" && action == "send" => {
                return Err(format!(
                    "unable to add http-check send rule at step {at} (missing connect rule)."
                ))
            }
            Some(r) if !matches!(r.action, "send" | "expect") && action == "expect" => {
                return Err(format!(
                    "unable to add http-check expect rule at step {at} (missing send rule)."
                ))
            }
            Some(r) if r.action != "expect" && action == "connect" => {
                return Err(format!(
                    "unable to add http-check connect rule at step {at} (missing expect rule)."
                ))
            }
            Some(_) => {}
        }
        if action == "send" {
            let first = steps.iter().position(is_step);
            if let Some(f) = first.filter(|&f| steps[f].action == "send" && steps[f].from_opt) {
                // The explicit request takes the implicit one's place in the list order.
                step = steps.remove(f);
                step.from_opt = false;
            }
        }
    }
    steps.push(step);
    Ok(())
}

/// `option httpchk`: its implicit request goes first (after a first `connect`), replaces a
/// previous implicit one, or is merged into an explicit `send` written before.
fn add_httpchk_step(st: &mut State, px: usize) {
    let steps = own_steps(st, px);
    let mut idx: Vec<usize> = (0..steps.len()).filter(|&i| is_step(&steps[i])).collect();
    if idx.first().map(|&i| steps[i].action == "connect") == Some(true) {
        idx.remove(0);
    }
    let implicit = CheckStep {
        action: "send",
        from_opt: true,
        index: 0,
    };
    match idx.first().map(|&i| (i, &steps[i])) {
        Some((i, r)) if r.action == "send" && r.from_opt => {
            steps.remove(i);
            steps.insert(0, implicit);
        }
        Some((_, r)) if r.action == "send" => {}
        _ => steps.insert(0, implicit),
    }
}

/// `comment <text>`: HAProxy ignores any further word.
fn check_comment(line: &Line) -> Result<(), String> {
    if line.arg(2).is_empty() {
        return Err("expects a string as argument".into());
    }
    Ok(())
}

/// The check action keywords (`set-var(<name>)`, `set-var-fmt(<name>)`, `unset-var(<name>)`).
/// HAProxy looks the variable actions up by prefix: `set-var`, `set-varx(…)`… are theirs.
fn is_var_action(v: &str) -> bool {
    v.starts_with("set-var") || v.starts_with("unset-var")
}

/// `set-var(…)`, `set-var-fmt(…)`, `unset-var(…)` check rules: HAProxy's `parse_store()` for
/// `ACT_F_TCP_CHK` (check-rule fetches only), its messages prefixed with the keyword.
fn check_var(st: &State, px: usize, line: &Line) -> Result<(), String> {
    let full = line.arg(1);
    let kw = ["set-var-fmt", "set-var", "unset-var"]
        .into_iter()
        .find(|k| full.starts_with(k))
        .unwrap_or("set-var");
    parse_store(st, px, line, kw).map_err(|m| format!("'{kw}' : {m}"))
}

fn parse_store(st: &State, px: usize, line: &Line, kw: &str) -> Result<(), String> {
    use crate::config::expr::{kw as fkw, sample};
    let full = line.arg(1);
    let expects =
        "Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'";
    let Some(inner) = full[kw.len()..].strip_prefix('(') else {
        return Err(format!("invalid or incomplete action '{full}'. {expects}"));
    };
    let Some(inner) = inner.strip_suffix(')') else {
        return Err(format!(
            "incomplete argument after action '{full}'. {expects}"
        ));
    };
    let mut parts = inner.split(',');
    let name = parts.next().unwrap_or("");
    // HAProxy stops at the first empty condition.
    let conds: Vec<&str> = parts.take_while(|c| !c.is_empty()).collect();
    if !conds.is_empty() && kw == "unset-var" {
        return Err("unset-var does not expect parameters after the variable name. Only \"set-var\" and \"set-var-fmt\" manage conditions".into());
    }
    for c in &conds {
        sample::check_var_cond(c)?;
    }
    sample::check_var_name(name).map_err(|e| match e.strip_prefix("invalid syntax at char '") {
        // HAProxy prints the rest of the action word from the offending character.
        Some(bad) => {
            let bad = bad.trim_end_matches('\'');
            let at = kw.len() + 1 + name.len() - bad.len();
            format!("invalid syntax at char '{}'", &full[at..])
        }
        None => e,
    })?;
    match kw {
        "unset-var" => Ok(()),
        "set-var-fmt" => {
            use crate::config::expr::logformat::{check_logformat_kind, LfKind};
            check_logformat_kind(st, px, line.arg(2), LfKind::Check).map(|_| ())
        }
        _ => {
            let words = line.argv();
            let p = sample::parse_expr(&words, 2, false, sample::ExprEnv::from_state(st))?;
            if p.fetch.val & fkw::val::BE_CHK_RUL == 0 {
                return Err(format!(
                    "fetch method '{full}' extracts information from '{}', none of which is available here",
                    fkw::src_names(p.fetch.use_)
                ));
            }
            Ok(())
        }
    }
}

fn check_connect(st: &State, line: &Line, http: bool) -> Result<(), String> {
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
                let o = crate::config::addr::SaOpts {
                    connect: true,
                    ..crate::config::addr::SaOpts::resolving(&st.env)
                };
                crate::config::addr::str2sa_range(n, &o).map_err(|e| format!("'{a}' : {e}."))?;
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
                } else {
                    check_chk_expr(st, n, "port")?;
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

fn check_send_tcp(st: &State, px: usize, line: &Line) -> Result<(), String> {
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
    match verb {
        "send-binary" => {
            parse_binary(data).map_err(|m| format!("'{data}' invalid binary string ({m}).\n"))
        }
        "send-lf" | "send-binary-lf" => check_rule_lf(st, px, data, data),
        _ => Ok(()),
    }
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

/// `http-check send`: HAProxy's `parse_tcpcheck_send_http()`. The last `uri`/`uri-lf` and
/// `body`/`body-lf` win; header values are always log-format strings. All are compiled
/// once the words are read: URI, headers, body.
fn check_send_http(st: &State, px: usize, line: &Line) -> Result<(), String> {
    let mut i = 2;
    let mut host: Option<&str> = None;
    // The last `uri`/`body` word with whether it is the `-lf` form.
    let mut uri: Option<(&str, bool)> = None;
    let mut body: Option<(&str, bool)> = None;
    let mut hdrs: Vec<&str> = Vec::new();
    while !line.arg(i).is_empty() {
        let a = line.arg(i);
        let n = line.arg(i + 1);
        match a {
            "meth" | "uri" | "uri-lf" | "ver" | "body" | "body-lf" | "comment" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument."));
                }
                match a {
                    "uri" | "uri-lf" => uri = Some((n, a == "uri-lf")),
                    "body" | "body-lf" => body = Some((n, a == "body-lf")),
                    _ => {}
                }
                i += 2;
            }
            "hdr" => {
                let v = line.arg(i + 2);
                if n.is_empty() || v.is_empty() {
                    return Err(format!("'{a}' expects <name> and <value> as arguments"));
                }
                if n.eq_ignore_ascii_case("host") {
                    if let Some(prev) = host {
                        return Err(format!(
                            "'{n}' header already defined (previous value is '{prev}')"
                        ));
                    }
                    host = Some(v);
                }
                if !n.eq_ignore_ascii_case("content-length")
                    && !n.eq_ignore_ascii_case("transfer-encoding")
                {
                    hdrs.push(v);
                }
                i += 3;
            }
            _ => return Err(format!("expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{a}' as argument.")),
        }
    }
    if let Some((u, true)) = uri {
        check_rule_lf(st, px, u, u)?;
    }
    for v in hdrs {
        use crate::config::expr::logformat::{check_logformat_kind, LfKind};
        check_logformat_kind(st, px, v, LfKind::Check)?;
    }
    if let Some((b, true)) = body {
        check_rule_lf(st, px, b, b)?;
    }
    Ok(())
}

/// The `-m` method of an expect `hdr` name or value: true for `reg`, whose pattern is then
/// compiled as a regex (refused for a log-format pattern, `lf`).
fn match_method(kw: &str, m: &str, lf: bool) -> Result<bool, String> {
    match m {
        "" => Err(format!(
            "'{kw}' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')"
        )),
        "str" | "beg" | "end" | "sub" => Ok(false),
        "reg" if lf => Err(format!(
            "'{kw}': log-format string is not supported with a regex matching method"
        )),
        "reg" => Ok(true),
        _ => Err(format!(
            "'{kw}' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '{m}')"
        )),
    }
}

/// HAProxy strips any run of leading `!` from an expect word (`!rstring`, `! rstring`,
/// `!!string`): a bare run moves on to the next word, and the rest is rescanned. Returns the
/// index of the word finally scanned, that word without its `!`s, and whether a `!` was seen.
fn strip_inverse(line: &Line, mut i: usize) -> (usize, &str, bool) {
    let mut a = line.arg(i);
    let mut seen = false;
    while a.starts_with('!') {
        seen = true;
        a = a.trim_start_matches('!');
        if a.is_empty() {
            i += 1;
            a = line.arg(i);
        }
    }
    (i, a, seen)
}

/// A check rule log-format string, compiled as HAProxy does for check rules (`ARGC_SRV`,
/// `SMP_VAL_BE_CHK_RUL`). `shown` is the string HAProxy names in its message.
fn check_rule_lf(st: &State, px: usize, fmt: &str, shown: &str) -> Result<(), String> {
    use crate::config::expr::logformat::{check_logformat_kind, LfKind};
    check_logformat_kind(st, px, fmt, LfKind::Check)
        .map(|_| ())
        .map_err(|m| format!("'{shown}' invalid log-format string ({m}).\n"))
}

/// What an `expect` rule matches, kept until all its words are read: HAProxy compiles the
/// pattern last.
#[derive(Default)]
struct Expect<'a> {
    /// The pattern keyword without `!` (`string`, `rstatus`, `hdr`…), once seen.
    kind: Option<&'a str>,
    pattern: &'a str,
    /// `hdr`/`fhdr`: the name, whether it is a regex or a log-format, same for the value.
    name: (&'a str, bool, bool),
    value: Option<(&'a str, bool, bool)>,
    on_success: Option<&'a str>,
    on_error: Option<&'a str>,
}

/// `tcp-check expect` / `http-check expect`: HAProxy's `parse_tcpcheck_expect()`.
fn check_expect(st: &State, px: usize, line: &Line, http: bool) -> Result<(), String> {
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
    let mut ex = Expect::default();
    let mut i = 2;
    while !line.arg(i).is_empty() {
        let (next, a, inverse) = strip_inverse(line, i);
        i = next;
        let n = line.arg(i + 1);
        let simple_opt = matches!(
            a,
            "min-recv"
                | "custom"
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
        let pattern_kw = match a {
            // HAProxy refuses `binary-lf` in http-check only after the one-pattern check.
            "string" | "rstring" | "string-lf" | "binary-lf" | "custom" => true,
            "binary" | "rbinary" => !http,
            "status" | "rstatus" | "hdr" | "fhdr" => http,
            _ => false,
        };
        if pattern_kw && ex.kind.is_some() {
            return Err("only on pattern expected".into());
        }
        match a {
            // HAProxy 2.6 accepts (and ignores) `min-recv` in http-check too.
            "min-recv" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a integer as argument"));
                }
                let v = atol(n);
                if v < -1 || v > i32::MAX as i64 {
                    return Err(format!("'{a}' expects -1 or an integer from 0 to INT_MAX"));
                }
                i += 2;
            }
            "custom" => {
                ex.kind = Some(a);
                i += 1;
            }
            _ if pattern_kw && (a == "hdr" || a == "fhdr") => {
                i = expect_hdr(line, i, &mut ex)?;
                ex.kind = Some(a);
            }
            "binary-lf" if http => return Err(bad(a)),
            _ if pattern_kw => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a <pattern> as argument"));
                }
                ex.kind = Some(a);
                ex.pattern = n;
                i += 2;
            }
            "comment" | "on-success" | "on-error" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects a string as argument"));
                }
                match a {
                    "on-success" => ex.on_success = Some(n),
                    "on-error" => ex.on_error = Some(n),
                    _ => {}
                }
                i += 2;
            }
            "ok-status" | "error-status" | "tout-status" => {
                expect_status_kw(a, n)?;
                i += 2;
            }
            "status-code" => {
                if n.is_empty() {
                    return Err(format!("'{a}' expects an expression as argument"));
                }
                expect_status_code(st, n)?;
                i += 2;
            }
            _ => return Err(bad(a)),
        }
    }
    compile_expect(st, px, &ex)
}

/// The `hdr`/`fhdr` words from `line.arg(i)`; returns the index of the next word.
fn expect_hdr<'a>(line: &'a Line, mut i: usize, ex: &mut Expect<'a>) -> Result<usize, String> {
    let kw = line.arg(i);
    let n = line.arg(i + 1);
    if n.is_empty() || line.arg(i + 2).is_empty() || (n != "name" && n != "name-lf") {
        return Err(format!(
            "'{kw}' expects at the name keyword as first argument followed by a pattern"
        ));
    }
    let name_lf = n == "name-lf";
    i += 2;
    let mut name_re = false;
    if line.arg(i) == "-m" {
        name_re = match_method(kw, line.arg(i + 1), name_lf)?;
        i += 2;
    }
    ex.name = (line.arg(i), name_re, name_lf);
    let v = line.arg(i + 1);
    if v != "value" && v != "value-lf" {
        return Ok(i + 1);
    }
    let value_lf = v == "value-lf";
    let mut value_re = false;
    if line.arg(i + 2) == "-m" {
        i += 2;
        value_re = match_method(kw, line.arg(i + 1), value_lf)?;
    }
    if line.arg(i + 2).is_empty() {
        return Err(format!("'{kw}' expect a pattern with the value keyword"));
    }
    ex.value = Some((line.arg(i + 2), value_re, value_lf));
    Ok(i + 3)
}

/// `ok-status`, `error-status`, `tout-status`.
fn expect_status_kw(a: &str, n: &str) -> Result<(), String> {
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
    Ok(())
}

/// `status-code <expr>`: one word, a sample expression usable in check rules.
fn expect_status_code(st: &State, n: &str) -> Result<(), String> {
    check_chk_expr(st, n, "status-code")
}

/// A one-word sample expression of a check rule (`connect port`, `expect status-code`),
/// parsed as HAProxy does with `SMP_VAL_BE_CHK_RUL`; `what` names it in messages.
fn check_chk_expr(st: &State, n: &str, what: &str) -> Result<(), String> {
    use crate::config::expr::{kw, sample};
    let what = format!("error detected while parsing {what} expression :");
    let p = sample::parse_expr(&[n], 0, false, sample::ExprEnv::from_state(st))
        .map_err(|m| format!("{what} {m}"))?;
    if p.fetch.val & kw::val::BE_CHK_RUL == 0 {
        return Err(format!(
            "{what}  fetch method '{n}' extracts information from '{}', none of which is available here.\n",
            kw::src_names(p.fetch.use_)
        ));
    }
    Ok(())
}

/// The end of `parse_tcpcheck_expect()`: messages, then the pattern, compiled by type.
fn compile_expect(st: &State, px: usize, ex: &Expect<'_>) -> Result<(), String> {
    use crate::config::expr::acl::check_regex;
    for m in [ex.on_success, ex.on_error].into_iter().flatten() {
        check_rule_lf(st, px, m, m)?;
    }
    let p = ex.pattern;
    match ex.kind {
        None => Err("pattern not found".into()),
        Some("status") => check_status_list(p),
        Some("binary") => parse_binary(p).map_err(|m| format!("invalid binary string ({m})")),
        Some("rstring" | "rbinary" | "rstatus") => check_regex(p),
        Some("string-lf" | "binary-lf") => check_rule_lf(st, px, p, p),
        Some("hdr" | "fhdr") => {
            let (name, name_re, name_lf) = ex.name;
            if name_re {
                check_regex(name)?;
            } else if name_lf {
                check_rule_lf(st, px, name, name)?;
            }
            match ex.value {
                Some((v, true, _)) => check_regex(v),
                // HAProxy names the header name pattern in this message.
                Some((v, _, true)) => check_rule_lf(st, px, v, name),
                _ => Ok(()),
            }
        }
        Some(_) => Ok(()),
    }
}

/// `status <codes>`: comma-separated codes or ranges, read like HAProxy's `read_uint()`.
fn check_status_list(pattern: &str) -> Result<(), String> {
    let b = pattern.as_bytes();
    let mut p = 0;
    let read = |p: &mut usize| {
        let mut v: u32 = 0;
        while *p < b.len() && b[*p].is_ascii_digit() {
            v = v.wrapping_mul(10).wrapping_add((b[*p] - b'0') as u32);
            *p += 1;
        }
        v
    };
    loop {
        let c1 = read(&mut p);
        let mut c2 = c1;
        if b.get(p) == Some(&b'-') {
            p += 1;
            c2 = read(&mut p);
        }
        if c1 > c2 {
            return Err(format!("invalid range of status codes '{pattern}'"));
        }
        match b.get(p) {
            None => return Ok(()),
            Some(b',') => p += 1,
            Some(_) => {
                let c = pattern[p..].chars().next().unwrap_or('?');
                return Err(format!(
                    "invalid character '{c}' in the list of status codes"
                ));
            }
        }
    }
}

/// An `http-error` log-format string (`hdr` value, `lf-string`, `lf-file` contents), parsed
/// as HAProxy does in the `ARGC_HERR` context: any request or response fetch is allowed.
fn check_reply_lf(st: &State, px: usize, fmt: &str) -> Result<(), String> {
    use crate::config::expr::logformat::{check_logformat_kind, LfKind};
    check_logformat_kind(st, px, fmt, LfKind::HttpReply).map(|_| ())
}

/// Loads a `file`/`lf-file` payload, refusing it as HAProxy does when it cannot be opened or
/// does not fit in a buffer (`tune.bufsize`).
fn read_reply_file(st: &State, path: &str) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path).map_err(|_| format!("error opening file '{path}'"))?;
    let bufsize = reply_bufsize(st);
    if data.len() > bufsize {
        return Err(format!(
            "file '{path}' exceeds the buffer size ({} > {bufsize})",
            data.len()
        ));
    }
    Ok(data)
}

/// `global.tune.bufsize` as it is while parsing.
fn reply_bufsize(st: &State) -> usize {
    st.model.global.tune.bufsize.unwrap_or(16384) as usize
}

/// What an http reply answers with (HAProxy's `HTTP_REPLY_*` types), with what the
/// post-parse checks of `http_parse_http_reply()` need.
enum Payload {
    Empty,
    /// `errorfiles <name>` or `default-errorfiles`.
    DefaultErrors(&'static str),
    /// `errorfile <file>`.
    ErrorFile,
    /// `file` or `string`: the payload length, unknown when files are not read.
    Raw(Option<usize>),
    /// `lf-file` or `lf-string`: the log-format text, unknown when files are not read.
    LogFormat(Option<String>),
}

/// HAProxy's `http_parse_http_reply()` validation, with the default status 0 of
/// `http-error`. Returns the status if given and the index of the first word not used.
pub(super) fn parse_http_reply(
    st: &mut State,
    line: &Line,
    px: usize,
    args: &[String],
) -> Result<(Option<u16>, usize), String> {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut status: Option<u16> = None;
    let mut payload = Payload::Empty;
    let mut act = "";
    let mut ctype: Option<&str> = None;
    let mut hdrs = 0;
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
                ctype = Some(a(i + 1));
                i += 2;
            }
            "errorfiles" | "default-errorfiles" | "errorfile" | "file" | "string" | "lf-file"
            | "lf-string" => {
                if !matches!(payload, Payload::Empty) {
                    return Err(format!(
                        "unexpected '{k}' argument, '{act}' already defined"
                    ));
                }
                act = payload_keyword(k);
                payload = parse_payload(st, k, a(i + 1))?;
                i += if k == "default-errorfiles" { 1 } else { 2 };
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
                    check_reply_lf(st, px, a(i + 2))?;
                    hdrs += 1;
                }
                i += 3;
            }
            _ => break,
        }
    }
    let sts = status.unwrap_or(0);
    check_reply_payload(st, line, px, sts, &payload, ctype, hdrs)?;
    Ok((status, i))
}

/// The static name of a payload keyword (for "already defined" messages).
fn payload_keyword(k: &str) -> &'static str {
    match k {
        "errorfiles" => "errorfiles",
        "default-errorfiles" => "default-errorfiles",
        "errorfile" => "errorfile",
        "file" => "file",
        "string" => "string",
        "lf-file" => "lf-file",
        _ => "lf-string",
    }
}

/// One payload keyword `k` with its argument `v`, checked as HAProxy reads it.
fn parse_payload(st: &mut State, k: &str, v: &str) -> Result<Payload, String> {
    if k == "default-errorfiles" {
        return Ok(Payload::DefaultErrors("default-errorfiles"));
    }
    if v.is_empty() {
        let what = match k {
            "errorfiles" => "<name>",
            "errorfile" | "lf-string" => "<fmt>",
            "string" => "<str>",
            _ => "<file>",
        };
        return Err(format!("'{k}' expects {what} as argument"));
    }
    let files = st.env.check_files;
    Ok(match k {
        "errorfiles" => Payload::DefaultErrors("errorfiles"),
        "errorfile" => {
            if files {
                let bufsize = super::bufsize(st);
                super::registered::check_errorfile(v, bufsize, &mut |w| st.diag.warning(w))?;
            }
            Payload::ErrorFile
        }
        "file" if files => Payload::Raw(Some(read_reply_file(st, v)?.len())),
        "file" => Payload::Raw(None),
        "string" => Payload::Raw(Some(v.len())),
        "lf-file" if files => {
            let data = read_reply_file(st, v)?;
            Payload::LogFormat(Some(String::from_utf8_lossy(&data).into_owned()))
        }
        "lf-file" => Payload::LogFormat(None),
        _ => Payload::LogFormat(Some(v.to_string())),
    })
}

/// The checks `http_parse_http_reply()` makes once all words are read, by payload type.
fn check_reply_payload(
    st: &mut State,
    line: &Line,
    px: usize,
    status: u16,
    payload: &Payload,
    ctype: Option<&str>,
    hdrs: usize,
) -> Result<(), String> {
    let no_body = status == 204 || status == 304;
    match payload {
        Payload::Empty => {
            if let Some(ct) = ctype {
                st.warn(line, format!("content-type '{ct}' ignored by the http reply because neither errorfile nor payload defined."));
            }
        }
        Payload::DefaultErrors(_) | Payload::ErrorFile => {
            if let Payload::DefaultErrors(k) = payload {
                if !super::registered::HTTP_ERR_CODES.contains(&(status as i64)) {
                    return Err(format!(
                        "status code '{status}' not handled by default with '{k}' argument."
                    ));
                }
            }
            if let Some(ct) = ctype {
                st.warn(line, format!("content-type '{ct}' ignored by the http reply when used with an erorrfile."));
            }
            if hdrs > 0 {
                st.warn(
                    line,
                    "hdr parameters ignored by the http reply when used with an erorrfile.",
                );
            }
        }
        Payload::Raw(len) => {
            // An unread file counts as a non-empty payload.
            let nonempty = len.map(|l| l > 0).unwrap_or(true);
            if no_body && nonempty {
                return Err(format!("No body expected for {status} responses"));
            }
            if ctype.is_none() && nonempty {
                return Err(
                    "a content type must be defined when non-empty payload is configured".into(),
                );
            }
            if let (Some(ct), false) = (ctype, nonempty) {
                st.warn(line, format!("content-type '{ct}' ignored by the http reply when used with an empty payload."));
            }
            let room = reply_bufsize(st).saturating_sub(len.unwrap_or(0));
            let maxrewrite = st.model.global.tune.maxrewrite.unwrap_or(1024) as i32;
            if maxrewrite < 0 || room < maxrewrite as usize {
                st.warn(line, "http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled.");
            }
        }
        Payload::LogFormat(fmt) => {
            if no_body {
                return Err(format!("No body expected for {status} responses"));
            }
            if ctype.is_none() {
                return Err("a content type must be defined with a log-format payload".into());
            }
            if let Some(fmt) = fmt {
                check_reply_lf(st, px, fmt)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load_str, Diag, Level, ParseEnv};

    fn alerts(text: &str) -> Vec<String> {
        load_str("t.cfg", text, Diag::new(), ParseEnv::offline())
            .diag
            .messages
            .iter()
            .filter(|m| m.level == Level::Alert)
            .map(|m| m.text.clone())
            .collect()
    }

    fn expect(args: &str) -> Vec<String> {
        alerts(&format!(
            "backend b\n option tcp-check\n tcp-check expect {args}\n"
        ))
    }

    #[test]
    fn tcp_check_expect_negation_forms() {
        for ok in [
            "!rstring \"^error\"",
            "! rstring ^e",
            "!!string x",
            "! ! string x",
            "min-recv 5 !rstring \"^error\" comment \"negative check\"",
        ] {
            assert!(expect(ok).is_empty(), "{ok}: {:?}", expect(ok));
        }
        assert_eq!(
            expect("!min-recv 5")[0],
            "parsing [t.cfg:3] : 'tcp-check expect' : [!] not supported with 'min-recv'."
        );
        assert_eq!(
            expect("! custom")[0],
            "parsing [t.cfg:3] : 'tcp-check expect' : [!] not supported with 'custom'."
        );
        assert!(expect("!bogus")[0].ends_with("but got 'bogus' as argument.."));
        assert!(expect("!")[0].ends_with("but got '' as argument.."));
    }

    fn http_error(sec: &str, args: &str) -> Vec<String> {
        alerts(&format!(
            "defaults\n mode http\n{sec}\n http-error status 400 {args}\n"
        ))
    }

    #[test]
    fn http_error_log_formats_allow_request_and_response_fetches() {
        for sec in ["frontend f", "backend b", "listen l"] {
            for args in [
                "content-type text/plain hdr x-path \"path=%[path]\" lf-string \"The path is %[path]\"",
                "content-type text/plain hdr x-y %[res.hdr(x)] lf-string %[status]",
                "content-type text/plain lf-string %[srv_id]",
            ] {
                assert!(http_error(sec, args).is_empty(), "{sec} {args}");
            }
        }
        assert_eq!(
            http_error("frontend f", "content-type text/plain lf-string %[path")[0],
            "parsing [t.cfg:4] : http-error : missing ']' after 'path'"
        );
        // The payload is compiled after the content-type check, as in HAProxy.
        assert_eq!(
            http_error("frontend f", "lf-string %[bad]")[0],
            "parsing [t.cfg:4] : http-error : a content type must be defined with a log-format payload"
        );
    }

    fn warnings(text: &str) -> Vec<String> {
        load_str("t.cfg", text, Diag::new(), ParseEnv::offline())
            .diag
            .messages
            .iter()
            .filter(|m| m.level == Level::Warning && m.text.contains("http reply"))
            .map(|m| m.text.clone())
            .collect()
    }

    #[test]
    fn http_error_payload_checks_follow_the_reply_type() {
        let w = |args: &str| warnings(&format!("frontend f\n http-error {args}\n"));
        assert_eq!(
            w("status 400 content-type a/b hdr x y default-errorfiles"),
            [
                "parsing [t.cfg:2] : content-type 'a/b' ignored by the http reply when used with an erorrfile.",
                "parsing [t.cfg:2] : hdr parameters ignored by the http reply when used with an erorrfile."
            ]
        );
        let big = "x".repeat(15500);
        assert_eq!(
            w(&format!("status 400 content-type a/b string {big}")),
            ["parsing [t.cfg:2] : http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled."]
        );
        assert!(w("status 400 content-type a/b string abc").is_empty());
        // Without status, the checks run with HAProxy's default status 0.
        assert_eq!(
            alerts("frontend f\n http-error default-errorfiles\n")[0],
            "parsing [t.cfg:2] : http-error : status code '0' not handled by default with 'default-errorfiles' argument."
        );
        assert_eq!(
            alerts("frontend f\n http-error status 304 content-type a/b string abc\n")[0],
            "parsing [t.cfg:2] : http-error : No body expected for 304 responses"
        );
    }

    #[test]
    fn http_error_empty_file_payload() {
        let f = std::env::temp_dir().join(format!("fix1-empty-{}", std::process::id()));
        std::fs::write(&f, "").unwrap();
        let mut env = ParseEnv::offline();
        env.check_files = true;
        let text = format!(
            "frontend f\n http-error status 400 content-type a/b file {}\n http-error status 400 file {}\n",
            f.display(),
            f.display()
        );
        let l = load_str("t.cfg", &text, Diag::new(), env);
        let msgs: Vec<_> = l
            .diag
            .messages
            .iter()
            .map(|m| (m.level, m.text.clone()))
            .collect();
        std::fs::remove_file(&f).unwrap();
        assert_eq!(
            msgs[0],
            (
                Level::Warning,
                "parsing [t.cfg:2] : content-type 'a/b' ignored by the http reply when used with an empty payload.".to_string()
            )
        );
        // No content-type is needed for an empty payload.
        assert!(!msgs.iter().any(|m| m.0 == Level::Alert), "{msgs:?}");
    }

    fn http_rule(rule: &str) -> Vec<String> {
        alerts(&format!(
            "defaults\n mode http\nbackend b\n option httpchk\n http-check {rule}\n"
        ))
    }

    #[test]
    fn expect_patterns_are_compiled_after_the_words() {
        let first = |r: &str| http_rule(r).into_iter().next().unwrap_or_default();
        let pre = "parsing [t.cfg:5] : 'http-check expect' : ";
        assert_eq!(
            first("expect status 300-200"),
            format!("{pre}invalid range of status codes '300-200'.")
        );
        assert_eq!(
            first("expect status 200x"),
            format!("{pre}invalid character 'x' in the list of status codes.")
        );
        assert!(http_rule("expect status 200-299,304").is_empty());
        assert_eq!(
            first("expect rstatus ("),
            format!("{pre}regex '(' is invalid (error=missing closing parenthesis, erroffset=1).")
        );
        assert_eq!(
            first("expect status-code foo"),
            format!("{pre}error detected while parsing status-code expression : unknown fetch method 'foo'.")
        );
        // Check rules see no request: `path` is refused, and HAProxy names the header
        // name pattern when a value log-format fails.
        assert!(first("expect !string-lf %[path]").contains("needs 'HTTP request headers'"));
        assert!(first("expect hdr name x value-lf %[foo]")
            .starts_with(&format!("{pre}'x' invalid log-format string (")));
        assert_eq!(
            first("expect hdr name-lf -m reg x"),
            format!("{pre}'hdr': log-format string is not supported with a regex matching method.")
        );
        // `min-recv` is accepted by http-check too, `-m str` may end the line.
        assert!(http_rule("expect string x min-recv 1").is_empty());
        assert!(http_rule("expect hdr name -m str").is_empty());
        let tcp = |r: &str| expect(r).into_iter().next().unwrap_or_default();
        assert_eq!(
            tcp("binary 0"),
            "parsing [t.cfg:3] : 'tcp-check expect' : invalid binary string (an even number of hex digit is expected)."
        );
        assert!(tcp("!string-lf %[foo]").contains("unknown fetch method 'foo'"));
    }

    #[test]
    fn http_check_send_log_formats() {
        let first = |r: &str| http_rule(r).into_iter().next().unwrap_or_default();
        // Header values are log-format strings, reported without the usual wrapper.
        assert_eq!(
            first("send hdr x %[foo]"),
            "parsing [t.cfg:5] : 'http-check send' : failed to parse sample expression <foo]> : unknown fetch method 'foo'."
        );
        assert!(http_rule("send hdr content-length %[foo]").is_empty());
        assert!(http_rule("send uri-lf %[foo] uri /").is_empty());
        assert!(first("send body-lf %[path]").contains("needs 'HTTP request headers'"));
    }

    #[test]
    fn check_rule_actions_and_connect_options() {
        let tcp = |r: &str| {
            alerts(&format!("backend b\n option tcp-check\n tcp-check {r}\n"))
                .into_iter()
                .next()
        };
        let pre = "parsing [t.cfg:3] : ";
        assert_eq!(
            tcp("set-var(check.x) path"),
            Some(format!("{pre}'tcp-check set-var(check.x)' : 'set-var' : fetch method 'set-var(check.x)' extracts information from 'HTTP request headers', none of which is available here."))
        );
        assert_eq!(
            tcp("set-var(check.a-b) int(1)"),
            Some(format!(
                "{pre}'tcp-check set-var(check.a-b)' : 'set-var' : invalid syntax at char '-b)'."
            ))
        );
        assert_eq!(
            tcp("set-var check.x"),
            Some(format!("{pre}'tcp-check set-var' : 'set-var' : invalid or incomplete action 'set-var'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'."))
        );
        assert!(tcp("set-var-fmt(check.x) %[foo]")
            .unwrap()
            .ends_with("'set-var-fmt' : failed to parse sample expression <foo]> : unknown fetch method 'foo'."));
        for ok in [
            "set-var(check.x,,foo) int(1)",
            "set-var(check.x) src,ipmask(24)",
            "set-var-fmt(check.x)",
            "comment a b",
            "connect port \"int(80)\" addr 1.2.3.4:80",
        ] {
            assert_eq!(tcp(ok), None, "{ok}");
        }
        assert_eq!(
            tcp("connect port path"),
            Some(format!("{pre}'tcp-check connect' : error detected while parsing port expression :  fetch method 'path' extracts information from 'HTTP request headers', none of which is available here.\n."))
        );
        assert_eq!(
            tcp("connect addr a!b"),
            Some(format!(
                "{pre}'tcp-check connect' : 'addr' : invalid address: 'a!b' in 'a!b'\n.."
            ))
        );
    }

    #[test]
    fn http_check_rule_order_follows_the_ruleset() {
        let first = |body: &str| {
            alerts(&format!("defaults\n mode http\nbackend b\n{body}"))
                .into_iter()
                .next()
        };
        let err = |l: u32, verb: &str, what: &str| {
            Some(format!(
                "parsing [t.cfg:{l}] : 'http-check {verb}' : unable to add http-check {what}."
            ))
        };
        assert_eq!(
            first(" option httpchk\n http-check send meth GET\n http-check send meth HEAD\n"),
            err(6, "send", "send rule at step 2 (missing connect rule).")
        );
        assert_eq!(
            first(" option httpchk\n http-check comment x\n http-check connect\n http-check connect\n"),
            err(7, "connect", "connect rule at step 3 (missing expect rule).")
        );
        assert_eq!(
            first(" option httpchk\n http-check connect\n http-check expect status 200\n"),
            err(6, "expect", "expect rule at step 2 (missing send rule).")
        );
        // Rules written before `option httpchk` are not checked, but count afterwards.
        assert_eq!(
            first(" http-check send meth GET\n http-check send meth GET\n option httpchk\n http-check send meth GET\n"),
            err(7, "send", "send rule at step 3 (missing connect rule).")
        );
        // A proxy starts its own ruleset: the defaults' rules do not count.
        assert_eq!(
            alerts("defaults\n mode http\n option httpchk\n http-check send meth GET\nbackend b\n http-check send meth HEAD\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            first(" option httpchk\n option tcp-check\n http-check send meth GET\n http-check send meth GET\n"),
            None
        );
        assert_eq!(
            first(" option httpchk\n http-check connect\n http-check send meth GET\n http-check expect status 200\n http-check connect port 81\n http-check send meth GET\n http-check expect status 200\n"),
            None
        );
    }
}
