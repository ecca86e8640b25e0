//! `acl`, `http-request`, `http-response`, `http-after-response`, `tcp-request`,
//! `tcp-response`, `use_backend`, `use-server`, `redirect`, `stick-table`, `stick …`:
//! validated into [`crate::model::rules`].

pub mod actions;
pub mod check;
pub mod stick;
pub mod tcp;
#[cfg(test)]
#[rustfmt::skip]
mod verified;

use super::diag::Level;
use super::expr::cond::{cond_conflict_warning, parse_cond_info, CondInfo};
use super::expr::kw::val;
use super::{err, Line, State};
use crate::model::rules::{Acl, Action, Rule, UseBackend};
use actions::{Ctx, Ruleset};

/// Keywords handled here (for `-dK cfg` and coverage).
pub const KEYWORDS: &[&str] = &[
    "acl",
    "http-request",
    "http-response",
    "http-after-response",
    "tcp-request",
    "tcp-response",
    "use_backend",
    "use-server",
    "redirect",
    "stick-table",
    "stick",
];

/// Parses a rule keyword of proxy `px`; `None` if `line.arg(0)` is not a rule keyword.
pub fn parse(st: &mut State, line: &Line, px: usize) -> Option<u32> {
    Some(match line.arg(0) {
        "acl" => parse_acl(st, line, px),
        "http-request" => parse_http(st, line, px, Ruleset::HttpReq),
        "http-response" => parse_http(st, line, px, Ruleset::HttpRes),
        "http-after-response" => parse_http(st, line, px, Ruleset::HttpAfter),
        "tcp-request" => tcp::parse_tcp_request(st, line, px),
        "tcp-response" => tcp::parse_tcp_response(st, line, px),
        "use_backend" => parse_use_backend(st, line, px),
        "use-server" => parse_use_server(st, line, px),
        "redirect" => parse_redirect(st, line, px),
        "stick-table" => stick::parse_stick_table(st, line, px),
        "stick" => stick::parse_stick(st, line, px),
        _ => return None,
    })
}

fn proxy_is_anon_defaults(st: &State, px: usize) -> bool {
    let p = &st.model.proxies[px];
    p.cap.is_defaults() && p.name.is_empty()
}

/// Prints `text` as HAProxy's `parsing [file:line]: ` (no space before the colon) alerts.
fn alert_nospace(st: &mut State, line: &Line, text: &str) {
    st.diag.raw(
        Level::Alert,
        Some((line.file(), line.lineno())),
        format!("parsing [{}:{}]: {text}", line.file(), line.lineno()),
    );
}

fn warn_nospace(st: &mut State, line: &Line, text: &str) {
    st.diag.raw(
        Level::Warning,
        Some((line.file(), line.lineno())),
        format!("parsing [{}:{}]: {text}", line.file(), line.lineno()),
    );
}

/// Emits the warnings collected while parsing a condition and the "will never match"
/// one for check points `where_`.
fn cond_warnings(st: &mut State, line: &Line, info: &CondInfo, where_: u32) -> u32 {
    let mut e = 0;
    for w in &info.warnings {
        st.diag.warning(w.clone());
    }
    if let Some(w) = cond_conflict_warning(info, where_) {
        e |= st.warn(line, w);
    }
    e
}

/// The name HAProxy gives a rule list in "placed after" warnings.
fn after_warning(st: &mut State, line: &Line, px: usize, arg: &str, order: &[&str]) -> u32 {
    let r = &st.model.proxies[px].rules;
    for what in order {
        let nonempty = match *what {
            "tcp-request session" => !r.tcp_request_session.is_empty(),
            "tcp-request content" => !r.tcp_request_content.is_empty(),
            "http-request" => !r.http_request.is_empty(),
            "redirect" => !r.redirects.is_empty(),
            "use_backend" => !r.use_backend.is_empty(),
            "use-server" => !r.use_server.is_empty(),
            _ => false,
        };
        if nonempty {
            let an = if what.starts_with('h') { "an" } else { "a" };
            return st.warn(
                line,
                format!("a '{arg}' rule placed after {an} '{what}' rule will still be processed before."),
            );
        }
    }
    0
}

fn rule_list(st: &mut State, px: usize, rs: Ruleset) -> &mut Vec<Rule> {
    let r = &mut st.model.proxies[px].rules;
    match rs {
        Ruleset::HttpReq => &mut r.http_request,
        Ruleset::HttpRes => &mut r.http_response,
        Ruleset::HttpAfter => &mut r.http_after_response,
        Ruleset::TcpCon => &mut r.tcp_request_connection,
        Ruleset::TcpSes => &mut r.tcp_request_session,
        Ruleset::TcpCnt => &mut r.tcp_request_content,
        Ruleset::TcpRes => &mut r.tcp_response_content,
    }
}

/// Whether the last rule of the list ends evaluation unconditionally.
fn last_is_final(st: &mut State, px: usize, rs: Ruleset) -> bool {
    rule_list(st, px, rs).last().is_some_and(|r| {
        r.cond.is_none()
            && actions::is_final(rs, &r.action)
            && !(r.action == "redirect" && r.args.iter().any(|a| a == "ignore-empty"))
    })
}

/// The keyword path given to [`State::used`]: `http-request set-var` for
/// `http-request set-var(txn.x)`, `tcp-request content track-sc` for `track-sc1`.
pub fn used_path(prefix: &str, action: &str) -> String {
    let base = if action.starts_with("lua.") {
        "lua"
    } else if action.starts_with("track-sc") {
        "track-sc"
    } else {
        action.split('(').next().unwrap_or(action)
    };
    format!("{prefix} {base}")
}

fn http_name(rs: Ruleset) -> &'static str {
    match rs {
        Ruleset::HttpReq => "http-request",
        Ruleset::HttpRes => "http-response",
        _ => "http-after-response",
    }
}

/// Whether `expose-experimental-directives` was set in the global section.
fn experimental_allowed(st: &State) -> bool {
    st.model.global.expose_experimental
        || st
            .model
            .global
            .other
            .iter()
            .any(|(k, _, _)| k == "expose-experimental-directives")
}

/// `http-request|http-response|http-after-response <action> [args] [if|unless cond]`.
fn parse_http(st: &mut State, line: &Line, px: usize, rs: Ruleset) -> u32 {
    let kwn = http_name(rs);
    if proxy_is_anon_defaults(st, px) {
        return st.alert(
            line,
            format!("'{kwn}' not allowed in anonymous 'defaults' section."),
        );
    }
    let mut e = 0;
    if last_is_final(st, px, rs) {
        warn_nospace(
            st,
            line,
            &format!("previous '{kwn}' action is final and has no condition attached, further entries are NOOP."),
        );
        e |= err::WARN;
    }
    let words = line.argv();
    let args: Vec<&str> = words[1..].to_vec();
    let aw = args.first().copied().unwrap_or("");
    let mut cur = 1;
    let st_ro: &State = st;
    let warns = std::cell::RefCell::new(Vec::new());
    let ctx = Ctx {
        st: st_ro,
        px,
        rs,
        args: &args,
        warns: &warns,
    };
    let where_ = ctx.where_();
    let lua_ok = aw
        .strip_prefix("lua.")
        .is_some_and(|n| actions::lua_registers(&st_ro.model.global, "action", n));
    let action = if lua_ok {
        actions::skip_to_cond(&ctx, &mut cur);
        Ok(Action::Other)
    } else if let Some(k) = actions::lookup(rs, aw) {
        if k.name == "normalize-uri" && !experimental_allowed(st_ro) {
            let t = format!("parsing [{}:{}] : 'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'", line.file(), line.lineno());
            st.diag
                .raw(Level::Alert, Some((line.file(), line.lineno())), t);
            return e | err::ALERT | err::ABORT;
        }
        (k.parse)(&ctx, &mut cur)
    } else {
        let names = actions::names(rs);
        let best = super::suggest::best_match(aw, &names);
        let t = format!(
            "'{kwn}' expects {}, but got '{aw}'{}.{}",
            actions::expects_list(rs),
            if aw.is_empty() {
                " (missing argument)"
            } else {
                ""
            },
            best.map(|b| format!(" Did you mean '{b}' maybe ?"))
                .unwrap_or_default()
        );
        alert_nospace(st, line, &t);
        return e | err::ALERT | err::ABORT;
    };
    for w in warns.take() {
        e |= st.warn(line, w);
    }
    let kind = match action {
        Ok(a) => a,
        Err(msg) => {
            let p = &st.model.proxies[px];
            let t = format!(
                "error detected in {} '{}' while parsing '{kwn} {aw}' rule : {msg}.",
                actions::proxy_cap_str(p.cap),
                p.name
            );
            st.alert(line, t);
            return e | err::ALERT | err::ABORT;
        }
    };
    let cur = cur.min(args.len());
    let mut cond = None;
    let mut conflict = None;
    let next = args.get(cur).copied().unwrap_or("");
    if next == "if" || next == "unless" {
        match parse_cond_info(st, px, &args[cur..]) {
            Ok(info) => {
                // ACL parse warnings come at once, the conflict one after the placement one.
                for w in &info.warnings {
                    st.diag.warning(w.clone());
                }
                conflict = cond_conflict_warning(&info, where_);
                cond = Some(info.cond);
            }
            Err(msg) => {
                st.alert(
                    line,
                    format!("error detected while parsing an '{kwn} {aw}' condition : {msg}."),
                );
                return e | err::ALERT | err::ABORT;
            }
        }
    } else if !next.is_empty() {
        alert_nospace(
            st,
            line,
            &format!("'{kwn} {aw}' expects either 'if' or 'unless' followed by a condition but found '{next}'."),
        );
        return e | err::ALERT | err::ABORT;
    }
    if rs == Ruleset::HttpReq {
        e |= after_warning(
            st,
            line,
            px,
            kwn,
            &["redirect", "use_backend", "use-server"],
        );
    }
    if let Some(w) = conflict {
        e |= st.warn(line, w);
    }
    let rule = Rule {
        loc: line.loc.clone(),
        action: aw.to_string(),
        args: args[1..cur].iter().map(|s| s.to_string()).collect(),
        cond,
        kind,
    };
    rule_list(st, px, rs).push(rule);
    st.used(line, &used_path(kwn, aw));
    e
}

/// Whether a proxy defines TCP/HTTP rules that sections inheriting from it (when it is a
/// defaults section) keep a reference to.
pub fn has_tcp_http_rules(p: &crate::model::Proxy) -> bool {
    let r = &p.rules;
    !(r.http_request.is_empty()
        && r.http_response.is_empty()
        && r.http_after_response.is_empty()
        && r.tcp_request_connection.is_empty()
        && r.tcp_request_session.is_empty()
        && r.tcp_request_content.is_empty()
        && r.tcp_response_content.is_empty())
}

/// HAProxy's checks when a section of capability `new_cap` starts from defaults `def`
/// (`cfg_parse_listen()`): a defaults section with rules can only initialize sections of
/// one kind. `first_user` is the capability of the first section that already inherited
/// from `def` (HAProxy narrows the defaults' capability to it). Returns the alert text
/// without the `parsing [file:line]: ` prefix (no space before the colon); the error is
/// `ALERT | ABORT`.
pub fn defaults_inherit_error(
    def: &crate::model::Proxy,
    new_cap: crate::model::ProxyCap,
    first_user: Option<crate::model::ProxyCap>,
) -> Option<String> {
    let at = format!("{}:{}", def.loc.file, def.loc.line);
    if has_tcp_http_rules(def) {
        if new_cap.is_defaults() {
            return Some(format!("a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at {at})."));
        }
        if new_cap.is_fe() && new_cap.is_be() {
            return Some(
                "a listen section cannot inherit from a defaults section defining TCP/HTTP rules."
                    .into(),
            );
        }
        if let Some(u) = first_user {
            if u.is_fe() != new_cap.is_fe() {
                return Some(format!("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at {at})."));
            }
        }
        let r = &def.rules;
        if !new_cap.is_fe()
            && (!r.tcp_request_connection.is_empty() || !r.tcp_request_session.is_empty())
        {
            return Some(format!("a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at {at})."));
        }
        if !new_cap.is_be() && !r.tcp_response_content.is_empty() {
            return Some(format!("a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at {at})."));
        }
    }
    let captures = def
        .rules
        .http_request
        .iter()
        .chain(def.rules.tcp_request_content.iter())
        .any(|r| matches!(r.kind, Action::Capture { len: Some(_), .. }));
    if (new_cap.is_be() || new_cap.is_defaults()) && captures {
        return Some(format!("backend or defaults sections cannot inherit from a defaults section defining capptures (defaults section at {at})."));
    }
    None
}

/// `acl <name> <criterion> [flags] [operator] <patterns>`.
fn parse_acl(st: &mut State, line: &Line, px: usize) -> u32 {
    if proxy_is_anon_defaults(st, px) {
        return st.alert(line, "'acl' not allowed in anonymous 'defaults' section.");
    }
    let name = line.arg(1);
    if name.is_empty() {
        // HAProxy reports the terminating NUL of the empty name, which ends its output.
        return st.alert(line, "character '");
    }
    if let Some(c) = super::expr::acl::invalid_char(name) {
        return st.alert(
            line,
            format!("character '{c}' is not permitted in acl name '{name}'."),
        );
    }
    if name.eq_ignore_ascii_case("or") {
        return st.alert(line, format!("acl name '{name}' will never match. 'or' is used to express a logical disjunction within a condition."));
    }
    let words = line.argv();
    let crit_words: Vec<&str> = words.get(2..).map(|w| w.to_vec()).unwrap_or_default();
    let env = super::expr::cond::acl_env(st);
    let parsed = if crit_words.is_empty() {
        super::expr::acl::parse_acl_expr(&[""], env)
    } else {
        super::expr::acl::parse_acl_expr(&crit_words, env)
    };
    let p = match parsed {
        Ok(p) => p,
        Err(msg) => {
            return st.alert(
                line,
                format!("error detected while parsing ACL '{name}' : {msg}."),
            )
        }
    };
    // `-u <id>` must be unique among the pattern references of the whole configuration.
    if let Some(id) = p.expr.unique_id {
        let used = st.model.proxies.iter().any(|q| {
            q.rules
                .acls
                .iter()
                .any(|a| a.expr.as_ref().and_then(|e| e.unique_id) == Some(id))
        });
        if used {
            return st.alert(
                line,
                format!("error detected while parsing ACL '{name}' : the id is already used."),
            );
        }
    }
    for w in &p.warnings {
        st.diag.warning(w.clone());
    }
    let crit = line.arg(2);
    if !crit.contains('(') && line.arg(3).starts_with('(') {
        st.diag.warning(format!(
            "parsing acl '{name}' :\n  matching '{crit}' for pattern '{}' is likely a mistake and probably\n  not what you want. Maybe you need to remove the extraneous space before '('.\n  If you are really sure this is not an error, please insert '--' between the\n  match and the pattern to make this warning message disappear.",
            line.arg(3)
        ));
    }
    let acl = Acl {
        name: name.to_string(),
        loc: line.loc.clone(),
        words: words[2..].iter().map(|s| s.to_string()).collect(),
        kw: p.expr.kw.clone(),
        use_: p.use_,
        val: p.val,
        expr: Some(p.expr),
    };
    st.model.proxies[px].rules.push_acl(acl);
    st.used(line, "acl");
    0
}

fn warnifnotcap(st: &mut State, line: &Line, px: usize, fe: bool) -> u32 {
    let p = &st.model.proxies[px];
    let ok = if fe {
        crate::config::rules::actions::has_fe(p.cap)
    } else {
        crate::config::rules::actions::has_be(p.cap)
    };
    if ok {
        return 0;
    }
    let t = format!(
        "'{}' ignored because {} '{}' has no {} capability.",
        line.arg(0),
        actions::proxy_cap_str(p.cap),
        p.name,
        if fe { "frontend" } else { "backend" }
    );
    st.warn(line, t)
}

fn parse_use_backend(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'use_backend' not allowed in 'defaults' section.");
    }
    let mut e = warnifnotcap(st, line, px, true);
    if line.arg(1).is_empty() {
        return e | st.alert(line, "'use_backend' expects a backend name.");
    }
    let words = line.argv();
    let mut cond = None;
    let a2 = line.arg(2);
    if a2 == "if" || a2 == "unless" {
        match parse_cond_info(st, px, &words[2..]) {
            Ok(info) => {
                e |= cond_warnings(st, line, &info, val::FE_SET_BCK);
                cond = Some(info.cond);
            }
            Err(msg) => {
                return e | st.alert(
                    line,
                    format!("error detected while parsing switching rule : {msg}."),
                )
            }
        }
    } else if !a2.is_empty() {
        return e | st.alert(line, format!("unexpected keyword '{a2}' after switching rule, only 'if' and 'unless' are allowed."));
    }
    let target = line.arg(1).to_string();
    // HAProxy parses the name as a log-format string in its post-parse checks; a single
    // text node means a static name. Errors are reported there, not here.
    let dynamic = super::expr::logformat::check_logformat_kind(
        st,
        px,
        &target,
        super::expr::logformat::LfKind::Switching,
    )
    .ok()
    .filter(|f| {
        !matches!(
            f.nodes.as_slice(),
            [crate::model::expr::LfNode::Text(_)] | []
        )
    });
    st.model.proxies[px].rules.use_backend.push(UseBackend {
        loc: line.loc.clone(),
        target,
        cond,
        dynamic,
    });
    st.used(line, "use_backend");
    e
}

fn parse_use_server(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'use-server' not allowed in 'defaults' section.");
    }
    let mut e = warnifnotcap(st, line, px, false);
    if line.arg(1).is_empty() {
        return e | st.alert(line, "'use-server' expects a server name.");
    }
    let a2 = line.arg(2);
    if a2 != "if" && a2 != "unless" {
        return e | st.alert(
            line,
            "'use-server' requires either 'if' or 'unless' followed by a condition.",
        );
    }
    let words = line.argv();
    let cond = match parse_cond_info(st, px, &words[2..]) {
        Ok(info) => {
            e |= cond_warnings(st, line, &info, val::BE_SET_SRV);
            info.cond
        }
        Err(msg) => {
            return e | st.alert(
                line,
                format!("error detected while parsing switching rule : {msg}."),
            )
        }
    };
    st.model.proxies[px].rules.use_server.push(UseBackend {
        loc: line.loc.clone(),
        target: line.arg(1).to_string(),
        cond: Some(cond),
        dynamic: None,
    });
    st.used(line, "use-server");
    e
}

/// The legacy `redirect` keyword (static strings, condition parsed inside).
fn parse_redirect(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(line, "'redirect' not allowed in 'defaults' section.");
    }
    let words = line.argv();
    let args: Vec<&str> = words[1..].to_vec();
    let warns = std::cell::RefCell::new(Vec::new());
    let ctx = Ctx {
        st,
        px,
        rs: Ruleset::HttpReq,
        args: &args,
        warns: &warns,
    };
    let p = &st.model.proxies[px];
    let head = format!(
        "error detected in {} '{}' while parsing redirect rule : ",
        actions::proxy_cap_str(p.cap),
        p.name
    );
    let (r, used) = match actions::parse_redirect(&ctx, &args, false, false) {
        Ok(x) => x,
        Err(m) => return st.alert(line, format!("{head}{m}.")),
    };
    let mut cond = None;
    let mut e = 0;
    if used < args.len() {
        match parse_cond_info(st, px, &args[used..]) {
            Ok(info) => {
                let p = &st.model.proxies[px];
                let mut w = 0;
                if crate::config::rules::actions::has_fe(p.cap) {
                    w |= val::FE_HRQ_HDR;
                }
                if crate::config::rules::actions::has_be(p.cap) {
                    w |= val::BE_HRQ_HDR;
                }
                cond = Some(info.cond.clone());
                for x in &info.warnings {
                    st.diag.warning(x.clone());
                }
                e |= after_warning(st, line, px, "redirect", &["use_backend", "use-server"]);
                if let Some(x) = cond_conflict_warning(&info, w) {
                    e |= st.warn(line, x);
                }
            }
            Err(m) => return st.alert(line, format!("{head}error in condition: {m}.")),
        }
    } else {
        e |= after_warning(st, line, px, "redirect", &["use_backend", "use-server"]);
    }
    st.model.proxies[px].rules.redirects.push(Rule {
        loc: line.loc.clone(),
        action: "redirect".into(),
        args: args[..used].iter().map(|s| s.to_string()).collect(),
        cond,
        kind: Action::Redirect(r),
    });
    st.used(line, "redirect");
    e
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::lexer::split_words;
    use crate::model::{Mode, Proxy, ProxyCap};

    pub fn state(cap: ProxyCap, mode: Mode) -> State {
        let mut st = State::new(
            crate::config::Diag::new(),
            crate::config::ParseEnv::offline(),
        );
        st.model.proxies.push(Proxy {
            name: "fe".into(),
            cap,
            mode,
            ..Default::default()
        });
        st
    }

    pub fn line(text: &str) -> Line {
        let env = crate::config::lexer::ProcessEnv {
            file: "t.cfg",
            line: 1,
            section: "",
        };
        let words = split_words(text, &env).expect("lexes");
        Line {
            loc: crate::config::Loc {
                file: "t.cfg".into(),
                line: 1,
            },
            words,
            kwm: crate::config::Kwm::Std,
            raw: text.into(),
        }
    }

    /// Runs one line and returns (error bits, first alert text or "").
    pub fn run(st: &mut State, text: &str) -> (u32, String) {
        let n = st.diag.messages.len();
        let e = parse(st, &line(text), 0).expect("rule keyword");
        let first = st.diag.messages[n..]
            .iter()
            .find(|m| m.level == Level::Alert)
            .map(|m| m.text.clone())
            .unwrap_or_default();
        (e, first)
    }

    fn ok(st: &mut State, text: &str) {
        let (e, m) = run(st, text);
        assert_eq!(e & err::ALERT, 0, "{text}: {m}");
    }

    fn bad(st: &mut State, text: &str, msg: &str) {
        let (e, m) = run(st, text);
        assert_ne!(e & err::ALERT, 0, "{text} should fail");
        assert!(m.contains(msg), "{text}: got {m}, want {msg}");
    }

    /// Every line HAProxy was run on gives HAProxy's first alert (or none).
    #[test]
    fn verified_against_haproxy() {
        let mut failures = Vec::new();
        for (ctx, text, want) in super::verified::CASES {
            let (cap, mode, name) = match *ctx {
                "listen-tcp" => (ProxyCap::LISTEN, Mode::Tcp, "fe"),
                "be-http" => (ProxyCap::BE, Mode::Http, "be"),
                _ => (ProxyCap::FE, Mode::Http, "fe"),
            };
            let mut st = state(cap, mode);
            st.model.proxies[0].name = name.into();
            // The other proxy of the files HAProxy was run on.
            let other = match *ctx {
                "be-http" => Some(("fe", ProxyCap::FE)),
                "fe-http" => Some(("be", ProxyCap::BE)),
                _ => None,
            };
            if let Some((n, c)) = other {
                st.model.proxies.push(crate::model::Proxy {
                    name: n.into(),
                    cap: c,
                    mode,
                    ..Default::default()
                });
            }
            st.model.proxy_names.clear();
            for (i, p) in st.model.proxies.iter().enumerate() {
                st.model
                    .proxy_names
                    .entry(p.name.clone())
                    .or_default()
                    .push(i);
            }
            // HAProxy checks files and resolves names in IP patterns while starting.
            st.env.check_files = true;
            st.env.resolve_hosts = true;
            run(&mut st, "acl a path_beg /a");
            let (_, got) = run(&mut st, text);
            // Without a parse-time alert, the post-parse checks give HAProxy's next one.
            let got = if got.is_empty() {
                check::post_parse_alerts(&st.model, 0)
                    .first()
                    .cloned()
                    .unwrap_or_default()
            } else {
                got
            };
            let got = got.lines().next().unwrap_or("");
            if got != *want {
                failures.push(format!("{text}\n  want: {want}\n  got:  {got}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// `deny_status` and `default-errorfiles` take every code of HAProxy 2.6's
    /// `http_err_codes[]` (checked with `haproxy -c` 2.6.12: 413, 421, 422, 503, 504 are
    /// accepted, 418 is refused with this message).
    #[test]
    fn default_errorfiles_take_every_http_err_code() {
        let mut st = state(ProxyCap::LISTEN, Mode::Http);
        for code in crate::config::sections::http_errors::HTTP_ERR_CODES {
            ok(&mut st, &format!("http-request deny deny_status {code}"));
            ok(
                &mut st,
                &format!("http-request return status {code} default-errorfiles"),
            );
        }
        bad(
            &mut st,
            "http-request deny deny_status 418",
            "status code '418' not handled by default with 'default-errorfiles' argument.",
        );
    }

    /// `return … errorfile <file>` loads the file like `errorfile` does
    /// (`http_load_errorfile()`); messages checked with `haproxy -c` 2.6.12.
    #[test]
    fn return_errorfile_is_validated() {
        let dir = std::env::temp_dir().join(format!("hrs-rules-ef-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, body: &str| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p.display().to_string()
        };
        let mut st = state(ProxyCap::LISTEN, Mode::Http);
        st.env.check_files = true;
        let req = file("req", "GET / HTTP/1.0\r\n\r\n");
        bad(
            &mut st,
            &format!("http-request return status 500 errorfile {req}"),
            &format!("'{req}': unable to parse headers (error offset: 4)"),
        );
        let len = file("len", "HTTP/1.1 500 x\r\nContent-Length: 9\r\n\r\nab");
        bad(
            &mut st,
            &format!("http-request return status 500 errorfile {len}"),
            "payload size does not match the announced content-length (2 != 9)",
        );
        // Two-digit codes parse (and 99 is no 1xx HAProxy refuses); empty files are fine.
        let c99 = file("c99", "HTTP/1.1 99 x\r\n\r\n");
        ok(&mut st, &format!("http-request return errorfile {c99}"));
        let empty = file("empty", "");
        ok(&mut st, &format!("http-request return errorfile {empty}"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn http_request_actions() {
        let mut st = state(ProxyCap::LISTEN, Mode::Http);
        ok(&mut st, "acl api path_beg /api");
        ok(&mut st, "http-request deny if api");
        ok(&mut st, "http-request deny deny_status 429 if api");
        ok(
            &mut st,
            "http-request return status 200 content-type text/plain string ok if api",
        );
        ok(&mut st, "http-request set-header X-Foo %[src] if !api");
        ok(&mut st, "http-request add-header X-Bar bar");
        ok(&mut st, "http-request del-header X-Bar -m beg");
        ok(
            &mut st,
            "http-request set-var(txn.host) req.hdr(host),lower",
        );
        ok(
            &mut st,
            "http-request redirect scheme https code 301 unless { ssl_fc }",
        );
        ok(&mut st, "http-request replace-path /a(.*) /b\\1");
        ok(&mut st, "http-request track-sc0 src table t");
        ok(&mut st, "http-request capture req.hdr(host) len 20");
        ok(&mut st, "http-request set-log-level silent");
        ok(&mut st, "http-request set-timeout server 5s");
        ok(&mut st, "http-request auth realm foo if !api");
        ok(
            &mut st,
            "http-request use-service prometheus-exporter if { path /metrics }",
        );
        let r = &st.model.proxies[0].rules.http_request;
        assert!(matches!(r[2].kind, Action::Return(ref rep) if rep.status == 200));
        assert!(matches!(r[1].kind, Action::Deny(ref rep) if rep.status == 429));
        bad(
            &mut st,
            "http-request add-header name %[hdr(arg))]",
            "error detected in proxy 'fe' while parsing 'http-request add-header' rule : expected ']' after 'hdr(arg)', but found ')'.",
        );
        bad(
            &mut st,
            "http-request foo",
            "'http-request' expects 'wait-for-handshake'",
        );
        bad(
            &mut st,
            "http-request deny if nope",
            "error detected while parsing an 'http-request deny' condition : no such ACL : 'nope'.",
        );
        bad(&mut st, "http-request deny foo", "'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
        bad(
            &mut st,
            "http-request return status 200 string ok",
            "a content type must be defined when non-empty payload is configured",
        );
        bad(
            &mut st,
            "http-request set-header X",
            "expects exactly 2 arguments",
        );
        bad(
            &mut st,
            "http-request set-var(foo) src",
            "invalid variable name 'foo'",
        );
        bad(&mut st, "http-request set-var(txn.x) res.hdr(x)", "fetch method 'set-var(txn.x)' extracts information from 'HTTP response headers', none of which is available here");
        bad(
            &mut st,
            "http-request redirect code 301",
            "redirection type expected",
        );
        bad(
            &mut st,
            "http-request set-timeout client 5s",
            "'set-timeout' rule supports 'server'/'tunnel' (got 'client')",
        );
        bad(
            &mut st,
            "http-request track-sc5 src",
            "5 track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value",
        );
        bad(
            &mut st,
            "http-request deny deny_status 999",
            "Unexpected status code '999'",
        );
    }

    #[test]
    fn response_and_after_rules() {
        let mut st = state(ProxyCap::LISTEN, Mode::Http);
        ok(
            &mut st,
            "http-response set-header X-Server %[res.hdr(server)]",
        );
        ok(&mut st, "http-response set-status 503 reason Down");
        ok(&mut st, "http-after-response add-header X a");
        bad(
            &mut st,
            "http-response set-status 42",
            "expects an integer status code between 100 and 999",
        );
        bad(
            &mut st,
            "http-after-response deny",
            "'http-after-response' expects",
        );
        bad(
            &mut st,
            "http-response redirect prefix /x",
            "response only supports redirect type 'location'",
        );
    }

    /// Lua actions and services exist only when a loaded script registers them, literally
    /// or from a table of names.
    #[test]
    fn lua_registrations() {
        let dir = std::env::temp_dir().join(format!("rules-lua-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.lua");
        std::fs::write(
            &f,
            "core.register_action('hello', {'http-req'}, function(t) end)\n\
             local n = {\"svc\"}\nfor _, x in ipairs(n) do core.register_service(x, 'http', f) end\n\
             core.register_fetches(\"f1\", function(t) return '' end)\n",
        )
        .unwrap();
        let mut st = state(ProxyCap::FE, Mode::Http);
        st.model
            .global
            .lua_loads
            .push((f.display().to_string(), false, Default::default()));
        ok(&mut st, "http-request lua.hello arg1 if TRUE");
        ok(&mut st, "http-request use-service lua.svc");
        bad(&mut st, "http-request lua.nope", "'http-request' expects");
        bad(
            &mut st,
            "http-request use-service lua.nope",
            "'lua.nope' unknown service name.",
        );
        ok(&mut st, "http-request set-var(txn.x) lua.f1,lower");
        bad(
            &mut st,
            "http-request set-var(txn.x) lua.hello",
            "unknown fetch method 'lua.hello'",
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Pattern files are read as HAProxy reads them and their patterns checked with line
    /// numbers in errors.
    #[test]
    fn pattern_files() {
        let dir = std::env::temp_dir().join(format!("rules-pat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ips = dir.join("ips.txt");
        std::fs::write(&ips, "10.0.0.1\n# comment\n  192.168.0.0/16\n\nnot-an-ip\n").unwrap();
        let map = dir.join("m.map");
        std::fs::write(&map, "10.0.0.0/8 be1\n1.2.3.4 be2\n").unwrap();
        let mut st = state(ProxyCap::FE, Mode::Http);
        st.env.check_files = true;
        let (p, m) = (ips.display(), map.display());
        bad(
            &mut st,
            &format!("acl x src -n -f {p}"),
            &format!("'not-an-ip' is not a valid IPv4 or IPv6 address at line 5 of file '{p}'."),
        );
        ok(&mut st, &format!("acl y src -M -f {m}"));
        ok(
            &mut st,
            &format!("http-request set-var(txn.b) src,map_ip({m})"),
        );
        bad(
            &mut st,
            &format!("http-request set-var(txn.b) src,map_int({m})"),
            "'10.0.0.0/8' is not a number at line 1",
        );
        bad(
            &mut st,
            "acl z path -f /nonexistent/file",
            "failed to open pattern file </nonexistent/file>",
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Arbitrary words never make the parsers panic (they end in an alert or are accepted).
    #[test]
    fn garbage_does_not_panic() {
        const PIECES: &[&str] = &[
            "%[",
            "]",
            "(",
            ")",
            ",",
            "{",
            "}",
            "%",
            "\\",
            "'",
            "\"",
            "é",
            "ü",
            "src",
            "hdr",
            "lower",
            "map",
            "if",
            "unless",
            "!",
            "||",
            "or",
            "-m",
            "-f",
            "-i",
            "reg",
            "a",
            "1",
            "-",
            ":",
            "set-var(",
            "txn.x",
            "track-sc",
            "sc-inc-gpc(",
            "0x",
            "*",
            "+",
            "?",
            "[",
            "[:",
            "\\1",
            "lua.",
            "return",
            "status",
            "hdr",
            "string",
            "content-type",
            "deny",
        ];
        let heads = [
            "http-request ",
            "http-response ",
            "tcp-request content ",
            "tcp-request connection ",
            "acl x ",
            "use_backend ",
            "redirect ",
            "stick on ",
            "stick-table ",
            "http-request set-header x ",
            "acl y path_reg ",
            "http-request deny if { ",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut text = heads[(next() % heads.len() as u64) as usize].to_string();
            for _ in 0..(next() % 8) {
                text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                if next() % 3 == 0 {
                    text.push(' ');
                }
            }
            let env = crate::config::lexer::ProcessEnv {
                file: "t.cfg",
                line: 1,
                section: "",
            };
            let Ok(words) = split_words(&text, &env) else {
                continue;
            };
            if words.is_empty() {
                continue;
            }
            let mut st = state(ProxyCap::LISTEN, Mode::Http);
            let l = Line {
                loc: crate::config::Loc {
                    file: "t.cfg".into(),
                    line: 1,
                },
                words,
                kwm: crate::config::Kwm::Std,
                raw: text.clone(),
            };
            let _ = parse(&mut st, &l, 0);
            let _ = check::post_parse_alerts(&st.model, 0);
            let _ = check::post_parse_warnings(&st.model, 0);
        }
    }

    #[test]
    fn acl_and_routing() {
        let mut st = state(ProxyCap::FE, Mode::Http);
        ok(&mut st, "acl is_api path_beg /api");
        ok(&mut st, "acl is_api hdr(host) -i api.example.com");
        ok(&mut st, "use_backend api if is_api");
        ok(&mut st, "use_backend be_%[req.hdr(host),lower]");
        ok(
            &mut st,
            "redirect prefix https://x.example.com code 301 if is_api",
        );
        bad(
            &mut st,
            "acl b@d path /",
            "character '@' is not permitted in acl name 'b@d'.",
        );
        bad(&mut st, "acl or path /", "acl name 'or' will never match.");
        bad(&mut st, "acl x src 1.2.3.400", "error detected while parsing ACL 'x' : '1.2.3.400' is not a valid IPv4 or IPv6 address.");
        bad(
            &mut st,
            "use_backend",
            "'use_backend' expects a backend name.",
        );
        bad(
            &mut st,
            "use_backend b foo",
            "unexpected keyword 'foo' after switching rule",
        );
        bad(
            &mut st,
            "use_backend b if nope",
            "error detected while parsing switching rule : no such ACL : 'nope'.",
        );
        bad(
            &mut st,
            "redirect foo",
            "error detected in frontend 'fe' while parsing redirect rule : expects 'code'",
        );
        assert_eq!(st.model.proxies[0].rules.acls.len(), 2);
        assert_eq!(st.model.proxies[0].rules.use_backend.len(), 2);
        assert!(st.model.proxies[0].rules.use_backend[1].dynamic.is_some());
    }
}

/// A minimal driver used to compare rule parsing with HAProxy on real files: it creates
/// proxies for section lines, sets `mode`, records global keywords and feeds every rule
/// keyword to [`parse`]. Run with `RULES_CASES=<dir> cargo test --lib rules_cases -- --ignored
/// --nocapture`; prints `file: first alert` for each `*.cfg`.
#[cfg(test)]
mod harness {
    use super::*;
    use crate::config::lexer::{split_words, ProcessEnv};
    use crate::model::{Mode, Proxy, ProxyCap};

    fn run_file(path: &std::path::Path) -> String {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut st = State::new(
            crate::config::Diag::new(),
            crate::config::ParseEnv::default(),
        );
        let fname = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(d) = path.parent() {
            let _ = std::env::set_current_dir(d);
        }
        let mut cur: Option<usize> = None;
        let mut in_global = false;
        let mut first_user: Vec<Option<ProxyCap>> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let env = ProcessEnv {
                file: &fname,
                line: i + 1,
                section: "",
            };
            let Ok(words) = split_words(raw, &env) else {
                continue;
            };
            if words.is_empty() {
                continue;
            }
            let line = Line {
                loc: crate::config::Loc {
                    file: fname.as_str().into(),
                    line: i + 1,
                },
                words,
                kwm: crate::config::Kwm::Std,
                raw: raw.into(),
            };
            let a0 = line.arg(0);
            let cap = match a0 {
                "frontend" => Some(ProxyCap::FE),
                "backend" => Some(ProxyCap::BE),
                "listen" => Some(ProxyCap::LISTEN),
                "defaults" => Some(ProxyCap::DEF),
                _ => None,
            };
            if let Some(cap) = cap {
                in_global = false;
                let mut p = Proxy {
                    name: line.arg(1).to_string(),
                    cap,
                    loc: line.loc.clone(),
                    ..Default::default()
                };
                if let Some(d) = st.last_defaults {
                    if cap != ProxyCap::DEF {
                        p.mode = st.model.proxies[d].mode;
                    }
                    let def = &st.model.proxies[d];
                    if let Some(m) = defaults_inherit_error(def, cap, first_user[d]) {
                        let t = format!("parsing [{}:{}]: {m}", fname, i + 1);
                        st.diag.raw(Level::Alert, None, t);
                        break;
                    }
                    if has_tcp_http_rules(def) && first_user[d].is_none() {
                        first_user[d] = Some(cap);
                    }
                }
                first_user.push(None);
                st.model.proxies.push(p);
                cur = Some(st.model.proxies.len() - 1);
                if cap == ProxyCap::DEF {
                    st.last_defaults = cur;
                }
                continue;
            }
            if a0 == "global" {
                in_global = true;
                cur = None;
                continue;
            }
            if a0 == "peers" {
                st.model.peers.push(crate::model::sections::Peers {
                    name: line.arg(1).to_string(),
                    ..Default::default()
                });
            }
            if a0 == "userlist" {
                st.model.userlists.push(crate::model::sections::Userlist {
                    name: line.arg(1).to_string(),
                    ..Default::default()
                });
            }
            if matches!(
                a0,
                "userlist"
                    | "peers"
                    | "resolvers"
                    | "cache"
                    | "http-errors"
                    | "ring"
                    | "mailers"
                    | "program"
            ) {
                in_global = false;
                cur = None;
                continue;
            }
            if in_global {
                let args = line.argv()[1..].iter().map(|s| s.to_string()).collect();
                st.model
                    .global
                    .other
                    .push((a0.to_string(), args, line.loc.clone()));
                continue;
            }
            let Some(px) = cur else { continue };
            if a0 == "server" {
                st.model.proxies[px].servers.push(crate::model::Server {
                    name: line.arg(1).to_string(),
                    ..Default::default()
                });
                continue;
            }
            if a0 == "capture" {
                let args = line.argv()[1..].iter().map(|s| s.to_string()).collect();
                st.model.proxies[px].settings.other.push((
                    "capture".into(),
                    args,
                    line.loc.clone(),
                ));
                continue;
            }
            if a0 == "mode" {
                st.model.proxies[px].mode = if line.arg(1) == "http" {
                    Mode::Http
                } else {
                    Mode::Tcp
                };
                continue;
            }
            if let Some(e) = parse(&mut st, &line, px) {
                if e & err::ABORT != 0 {
                    break;
                }
            }
        }
        if std::env::var("RULES_ALL").is_ok() {
            for m in &st.diag.messages {
                let lvl = if m.level == Level::Alert {
                    "ALERT"
                } else {
                    "WARNING"
                };
                let first = m.text.lines().next().unwrap_or("");
                println!("MSG {fname} {lvl} {first}");
            }
        }
        if st.diag.alerts == 0 {
            for px in 0..st.model.proxies.len() {
                if st.model.proxies[px].cap.is_defaults() {
                    continue;
                }
                for m in check::post_parse_alerts(&st.model, px) {
                    st.diag.raw(Level::Alert, None, m);
                }
            }
        }
        st.diag
            .messages
            .iter()
            .find(|m| m.level == Level::Alert)
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    #[test]
    #[ignore]
    fn rules_cases() {
        let Ok(dir) = std::env::var("RULES_CASES") else {
            return;
        };
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
            .collect();
        files.sort();
        for f in files {
            if std::env::var("RULES_ALL").is_ok() {
                let _ = run_file(&f);
                continue;
            }
            let first = run_file(&f);
            println!(
                "CASE {}\t{}",
                f.file_name().unwrap().to_string_lossy(),
                first.replace('\n', "\\n")
            );
        }
    }
}
