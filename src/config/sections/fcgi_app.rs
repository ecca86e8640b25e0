//! `fcgi-app` sections (HAProxy's `cfg_parse_fcgi_app()`) and their post-parse checks
//! (`cfg_fcgi_apps_postparser()`, the fcgi filter's `check` callback).
//!
//! ACL criteria are kept raw; conditions are checked for the ACL names they use, which must
//! be declared in the section or predefined.

use super::{alert_capital, alert_tight, invalid_char, too_many_args, words};
use crate::config::values::atol;
use crate::config::{err, Kwm, Line, State};
use crate::model::sections::FcgiApp;
use crate::model::Mode;

/// HAProxy's predefined ACLs (`acl.c`), usable in any condition.
const PREDEFINED_ACLS: &[&str] = &[
    "TRUE",
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_2.0",
    "HTTP_CONTENT",
    "HTTP_URL_ABS",
    "HTTP_URL_SLASH",
    "HTTP_URL_STAR",
    "LOCALHOST",
    "METH_CONNECT",
    "METH_DELETE",
    "METH_GET",
    "METH_HEAD",
    "METH_OPTIONS",
    "METH_POST",
    "METH_PUT",
    "METH_TRACE",
    "RDP_COOKIE",
    "REQ_CONTENT",
    "WAIT_END",
];

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "fcgi-app" {
        return parse_section(st, line);
    }
    // HAProxy links new applications first; the current one is the newest.
    let Some(cur) = st.model.fcgi_apps.len().checked_sub(1) else {
        return 0;
    };
    let kw = line.arg(0);
    let a1 = line.arg(1);
    match kw {
        "docroot" | "index" | "path-info" => {
            if a1.is_empty() {
                let what = match kw {
                    "docroot" => "<path>",
                    "index" => "<filename>",
                    _ => "<regex>",
                };
                return st.alert(line, format!("'{kw}' expects {what} as argument."));
            }
            if too_many_args(st, line, 0, 1) {
                return err::ALERT_FATAL;
            }
            if kw == "path-info" {
                if let Err(m) = crate::config::expr::acl::check_regex(a1) {
                    return st.alert(line, format!("'{a1}' : {m}."));
                }
            }
            let app = &mut st.model.fcgi_apps[cur];
            let v = Some(a1.to_string());
            match kw {
                "docroot" => app.docroot = v,
                "index" => app.index = v,
                _ => app.path_info = v,
            }
            st.used(line, &format!("fcgi-app {kw}"));
            0
        }
        "acl" => {
            if let Some(c) = invalid_char(a1) {
                return st.alert(
                    line,
                    format!("character '{c}' is not permitted in acl name '{a1}'."),
                );
            }
            if a1.eq_ignore_ascii_case("or") {
                return st.alert(line, format!("acl name '{a1}' will never match. 'or' is used to express a logical disjunction within a condition."));
            }
            st.model.fcgi_apps[cur]
                .acls
                .push((words(line)[1..].to_vec(), line.loc.clone()));
            st.used(line, "fcgi-app acl");
            0
        }
        "set-param" | "pass-header" => parse_rule(st, line, cur),
        "option" => parse_option(st, line, cur),
        "log-stderr" => {
            let e = crate::config::log::parse_log_into(st, line, &mut Vec::new());
            if e & err::FATAL == 0 {
                st.model.fcgi_apps[cur]
                    .log_stderr
                    .push((words(line), line.loc.clone()));
                st.used(line, "fcgi-app log-stderr");
            }
            e
        }
        _ => alert_tight(
            st,
            line,
            format!("unknown keyword '{kw}' in 'fcgi-app' section"),
        ),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        return alert_tight(st, line, "'fcgi-app' expects <name> as argument.");
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL;
    }
    if let Some(c) = invalid_char(name) {
        return alert_tight(
            st,
            line,
            format!("character '{c}' is not permitted in 'fcgi-app' name '{name}'."),
        );
    }
    let mut e = 0;
    let dups: Vec<String> = st
        .model
        .fcgi_apps
        .iter()
        .rev()
        .filter(|a| a.name == name)
        .map(|a| a.loc.to_string())
        .collect();
    for at in dups {
        e |= alert_capital(
            st,
            line,
            format!("fcgi-app section '{name}' has the same name as another one declared at {at}."),
        );
    }
    st.used(line, "fcgi-app");
    st.model.fcgi_apps.push(FcgiApp {
        name: name.to_string(),
        loc: line.loc.clone(),
        keep_conn: true,
        max_reqs: 1,
        ..Default::default()
    });
    e
}

fn parse_rule(st: &mut State, line: &Line, cur: usize) -> u32 {
    let kw = line.arg(0);
    let set = kw == "set-param";
    let name = line.arg(1);
    if set && (name.is_empty() || line.arg(2).is_empty()) {
        return st.alert(line, "'set-param' expects <name> and <value> as arguments.");
    }
    if !set && name.is_empty() {
        return st.alert(line, "'pass-header' expects <name> as arguments.");
    }
    let cond_at = if set { 3 } else { 2 };
    let mut e = 0;
    if let Err(msg) = check_cond(st, cur, &line.args_from(cond_at)) {
        e |= st.alert(line, format!("'{name}' : {msg}."));
    }
    st.model.fcgi_apps[cur].rules.push((
        kw.to_string(),
        words(line)[1..].to_vec(),
        line.loc.clone(),
    ));
    st.used(line, &format!("fcgi-app {kw}"));
    e
}

/// The ACL names of an `if|unless` condition must be known (HAProxy's "no such ACL").
fn check_cond(st: &State, cur: usize, w: &[&str]) -> Result<(), String> {
    let Some((&first, rest)) = w.split_first() else {
        return Ok(());
    };
    if first.is_empty() || (first != "if" && first != "unless") {
        return Ok(());
    }
    let app = &st.model.fcgi_apps[cur];
    let mut depth = 0usize;
    for &t in rest.iter().take_while(|t| !t.is_empty()) {
        match t {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            "||" | "or" | "!" => {}
            _ => {
                let name = t.trim_start_matches('!');
                let known = PREDEFINED_ACLS.contains(&name)
                    || app
                        .acls
                        .iter()
                        .any(|(aw, _)| aw.first().map(String::as_str) == Some(name));
                if !known {
                    return Err(format!("no such ACL : '{name}'"));
                }
            }
        }
    }
    Ok(())
}

fn parse_option(st: &mut State, line: &Line, cur: usize) -> u32 {
    let opt = line.arg(1);
    if opt.is_empty() {
        return alert_tight(st, line, "'option' expects an option name.");
    }
    match opt {
        "keep-conn" | "get-values" | "mpxs-conns" => {
            if too_many_args(st, line, 0, 1) {
                return err::ALERT_FATAL;
            }
            let on = match line.kwm {
                Kwm::Std => Some(true),
                Kwm::No => Some(false),
                Kwm::Default => None,
            };
            if let Some(on) = on {
                let app = &mut st.model.fcgi_apps[cur];
                match opt {
                    "keep-conn" => app.keep_conn = on,
                    "get-values" => app.get_values = on,
                    _ => app.mpxs_conns = on,
                }
            }
            st.used(line, &format!("fcgi-app option {opt}"));
            0
        }
        "max-reqs" => {
            if line.kwm != Kwm::Std {
                return alert_tight(
                    st,
                    line,
                    "negation/default is not supported for option 'max-reqs'.",
                );
            }
            if line.arg(2).is_empty() {
                return alert_tight(st, line, "option 'max-reqs' expects an integer argument.");
            }
            if too_many_args(st, line, 1, 1) {
                return err::ALERT_FATAL;
            }
            let n = atol(line.arg(2)) as u32;
            if n == 0 {
                return alert_tight(
                    st,
                    line,
                    "option 'max-reqs' expects a strictly positive integer argument.",
                );
            }
            st.model.fcgi_apps[cur].max_reqs = n as i64;
            st.used(line, "fcgi-app option max-reqs");
            0
        }
        _ => st.alert(line, format!("unknown option '{opt}'.")),
    }
}

/// The FCGI application a proxy uses (`use-fcgi-app` or an explicit `filter fcgi-app`).
pub fn proxy_app(p: &crate::model::Proxy) -> Option<String> {
    p.settings.use_fcgi_app.clone().or_else(|| {
        p.settings
            .filters
            .iter()
            .find(|(k, _, _)| k == "fcgi-app")
            .and_then(|(_, a, _)| a.first().cloned())
    })
}

/// `cfg_fcgi_apps_postparser()`: FCGI apps need HTTP mode and FCGI servers (and servers
/// speaking FCGI need an app); each application needs a docroot. HAProxy stops at the
/// first error. Returns error bits.
pub fn check(st: &mut State) -> u32 {
    for p in st.model.proxies.iter().filter(|p| !p.cap.is_defaults()) {
        let app = proxy_app(p);
        if p.mode == Mode::Tcp && app.is_some() {
            st.diag.alert(format!(
                "proxy '{}': FCGI application cannot be used in non-HTTP mode.",
                p.name
            ));
            return err::ALERT_FATAL;
        }
        let mut fcgi_servers = 0;
        for s in &p.servers {
            if s.proto.as_deref() == Some("fcgi") {
                fcgi_servers += 1;
                if app.is_none() {
                    st.diag.alert(format!(
                        "proxy '{}': FCGI server '{}' has no FCGI app configured.",
                        p.name, s.name
                    ));
                    return err::ALERT_FATAL;
                }
            }
        }
        if app.is_some() && fcgi_servers == 0 {
            st.diag.alert(format!(
                "proxy '{}': FCGI app configured but no FCGI server found.",
                p.name
            ));
            return err::ALERT_FATAL;
        }
    }
    let mut e = 0;
    for i in (0..st.model.fcgi_apps.len()).rev() {
        let app = &st.model.fcgi_apps[i];
        if app.docroot.as_deref().is_none_or(str::is_empty) {
            st.diag
                .alert(format!("fcgi-app '{}': no docroot configured.", app.name));
            return e | err::ALERT_FATAL;
        }
        if !app.mpxs_conns && !app.get_values && app.max_reqs > 1 {
            st.diag.warning(format!(
                "fcgi-app '{}': multiplexing not supported, ignore the option 'max-reqs'.",
                app.name
            ));
            e |= err::WARN;
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};
    use crate::config::{reader, Diag, ParseEnv, State};

    /// Parses `text` as lines of fcgi-app sections, whatever the reader knows of them.
    fn parse_lines(text: &str) -> Vec<String> {
        let mut st = State::new(Diag::new(), ParseEnv::offline());
        if reader::SECTIONS.contains(&"fcgi-app") {
            let l = load(text);
            return msgs(&l);
        }
        for (n, raw) in text.lines().enumerate() {
            let words: Vec<crate::config::Word> = crate::config::lexer::split_words(
                raw,
                &crate::config::lexer::ProcessEnv {
                    file: "t.cfg",
                    line: n + 1,
                    section: "fcgi-app",
                },
            )
            .unwrap_or_default();
            if words.is_empty() {
                continue;
            }
            let (kwm, words) = if words[0].text == "no" {
                (crate::config::Kwm::No, words[1..].to_vec())
            } else {
                (crate::config::Kwm::Std, words)
            };
            let line = crate::config::Line {
                loc: crate::config::Loc {
                    file: "t.cfg".into(),
                    line: n + 1,
                },
                words,
                kwm,
                raw: raw.to_string(),
            };
            super::parse(&mut st, &line);
        }
        st.diag
            .messages
            .iter()
            .map(|m| m.render(0).trim_end().to_string())
            .filter(|s| !s.contains("not active yet"))
            .collect()
    }

    #[test]
    fn fcgi_app_messages() {
        let m = parse_lines("fcgi-app\nfcgi-app a b\nfcgi-app a/b\nfcgi-app php\nfcgi-app php\n  docroot\n  docroot /a b\n  index\n  path-info\n  path-info ^(/.+\\.php)(/.*)?$\n  path-info (\n  acl a/b path /x\n  acl or path /x\n  acl x path /x\n  set-param\n  set-param A\n  set-param A B if x\n  set-param A B if nosuch\n  pass-header\n  pass-header X-Y if x\n  option\n  option keep-conn x\n  option foo\n  no option max-reqs\n  option max-reqs\n  option max-reqs 0\n  option max-reqs 5\n  log-stderr\n  log-stderr global\n  foo\n");
        let want = [
            "parsing [t.cfg:1]: 'fcgi-app' expects <name> as argument.",
            "parsing [t.cfg:2] : 'fcgi-app' cannot handle unexpected argument 'b'.",
            "parsing [t.cfg:3]: character '/' is not permitted in 'fcgi-app' name 'a/b'.",
            "Parsing [t.cfg:5]: fcgi-app section 'php' has the same name as another one declared at t.cfg:4.",
            "parsing [t.cfg:6] : 'docroot' expects <path> as argument.",
            "parsing [t.cfg:7] : 'docroot /a' cannot handle unexpected argument 'b'.",
            "parsing [t.cfg:8] : 'index' expects <filename> as argument.",
            "parsing [t.cfg:9] : 'path-info' expects <regex> as argument.",
            "parsing [t.cfg:11] : '(' : regex '(' is invalid (error=missing closing parenthesis, erroffset=1).",
            "parsing [t.cfg:12] : character '/' is not permitted in acl name 'a/b'.",
            "parsing [t.cfg:13] : acl name 'or' will never match. 'or' is used to express a logical disjunction within a condition.",
            "parsing [t.cfg:15] : 'set-param' expects <name> and <value> as arguments.",
            "parsing [t.cfg:16] : 'set-param' expects <name> and <value> as arguments.",
            "parsing [t.cfg:18] : 'A' : no such ACL : 'nosuch'.",
            "parsing [t.cfg:19] : 'pass-header' expects <name> as arguments.",
            "parsing [t.cfg:21]: 'option' expects an option name.",
            "parsing [t.cfg:22] : 'option keep-conn' cannot handle unexpected argument 'x'.",
            "parsing [t.cfg:23] : unknown option 'foo'.",
            "parsing [t.cfg:24]: negation/default is not supported for option 'max-reqs'.",
            "parsing [t.cfg:25]: option 'max-reqs' expects an integer argument.",
            "parsing [t.cfg:26]: option 'max-reqs' expects a strictly positive integer argument.",
            "parsing [t.cfg:28] : log-stderr : expects <address> and <facility> or global as arguments",
            "parsing [t.cfg:30]: unknown keyword 'foo' in 'fcgi-app' section",
        ];
        for (i, w) in want.iter().enumerate() {
            assert!(m[i].ends_with(w), "{} vs {}", m[i], w);
        }
    }
}
