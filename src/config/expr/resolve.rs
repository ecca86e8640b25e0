//! Post-parse resolution of the arguments that name other objects (`smp_resolve_args()` in
//! HAProxy's `sample.c`): backends, frontends, servers, stick tables and userlists named in
//! fetch and converter arguments must exist once the whole configuration is read.
//!
//! The check helper calls [`resolve_proxy_args`] for every proxy from its post-parse
//! checks; each returned text is one HAProxy alert (already prefixed with its location).

use crate::model::expr::{ArgValue, CondTerm, LfNode, LogFormat, SampleExpr};
use crate::model::rules::{Action, Reply, ReplyBody, Rule};
use crate::model::{Config, Loc, Proxy};

/// Where an expression was used, for HAProxy's wording of the message.
#[derive(Debug, Clone, Copy)]
enum Ctx {
    Acl,
    Hrq,
    Hrs,
    Tco,
    Tse,
    Trq,
    Trs,
    Trk,
    Cap,
    Stk,
    Rdr,
}

impl Ctx {
    /// (`ctx`, `where`) of `smp_resolve_args()`.
    fn words(self) -> (&'static str, &'static str) {
        let kw = "sample fetch keyword";
        match self {
            Ctx::Acl => ("ACL keyword", "in"),
            Ctx::Hrq => (kw, "in http-request expression in"),
            Ctx::Hrs => (kw, "in http-response response in"),
            Ctx::Tco => (kw, "in tcp-request connection expression in"),
            Ctx::Tse => (kw, "in tcp-request session expression in"),
            Ctx::Trq => (kw, "in tcp-request content expression in"),
            Ctx::Trs => (kw, "in tcp-response content expression in"),
            Ctx::Trk => (kw, "in tracking rule in"),
            Ctx::Cap => (kw, "in capture rule in"),
            Ctx::Stk => (kw, "in stick rule in"),
            Ctx::Rdr => (kw, "in redirect format string in"),
        }
    }
}

struct Use<'a> {
    loc: &'a Loc,
    ctx: Ctx,
    expr: &'a SampleExpr,
}

fn lf_exprs<'a>(out: &mut Vec<Use<'a>>, loc: &'a Loc, ctx: Ctx, lf: &'a LogFormat) {
    for n in &lf.nodes {
        if let LfNode::Expr { expr, .. } = n {
            out.push(Use { loc, ctx, expr });
        }
    }
}

fn reply_exprs<'a>(out: &mut Vec<Use<'a>>, loc: &'a Loc, ctx: Ctx, r: &'a Reply) {
    for (_, v) in &r.headers {
        lf_exprs(out, loc, ctx, v);
    }
    if let ReplyBody::LogFormat(f) = &r.body {
        lf_exprs(out, loc, ctx, f);
    }
}

fn cond_exprs<'a>(out: &mut Vec<Use<'a>>, loc: &'a Loc, terms: &'a [Vec<CondTerm>]) {
    for t in terms.iter().flatten() {
        if let (crate::model::expr::AclRef::Anonymous(_), Some(e)) = (&t.acl, &t.expr) {
            out.push(Use {
                loc,
                ctx: Ctx::Acl,
                expr: &e.smp,
            });
        }
    }
}

fn rule_exprs<'a>(out: &mut Vec<Use<'a>>, r: &'a Rule, ctx: Ctx) {
    let loc = &r.loc;
    match &r.kind {
        Action::SetHeader { value, .. } => lf_exprs(out, loc, ctx, value),
        Action::ReplaceHeader { replace, .. } => lf_exprs(out, loc, ctx, replace),
        Action::Rewrite { fmt, .. } => lf_exprs(out, loc, ctx, fmt),
        Action::SetVarFmt { fmt, .. } => lf_exprs(out, loc, ctx, fmt),
        Action::SetVar { expr, .. } | Action::SetPriority { expr, .. } => {
            out.push(Use { loc, ctx, expr })
        }
        Action::TrackSc { key, .. } => {
            let c = if matches!(ctx, Ctx::Hrq | Ctx::Hrs) {
                ctx
            } else {
                Ctx::Trk
            };
            out.push(Use {
                loc,
                ctx: c,
                expr: key,
            })
        }
        Action::Capture { expr, .. } => out.push(Use {
            loc,
            ctx: Ctx::Cap,
            expr,
        }),
        Action::Deny(rep) | Action::Tarpit(rep) | Action::Return(rep) => {
            reply_exprs(out, loc, ctx, rep)
        }
        Action::Redirect(rd) => lf_exprs(out, loc, Ctx::Rdr, &rd.target),
        _ => {}
    }
    if let Some(c) = &r.cond {
        cond_exprs(out, loc, &c.groups);
    }
}

/// Every expression of proxy `p` with where it was written, in line order.
fn proxy_exprs(p: &Proxy) -> Vec<Use<'_>> {
    let mut out = Vec::new();
    let r = &p.rules;
    for a in &r.acls {
        if let Some(e) = &a.expr {
            out.push(Use {
                loc: &a.loc,
                ctx: Ctx::Acl,
                expr: &e.smp,
            });
        }
    }
    for (list, ctx) in [
        (&r.http_request, Ctx::Hrq),
        (&r.http_response, Ctx::Hrs),
        (&r.http_after_response, Ctx::Hrs),
        (&r.tcp_request_connection, Ctx::Tco),
        (&r.tcp_request_session, Ctx::Tse),
        (&r.tcp_request_content, Ctx::Trq),
        (&r.tcp_response_content, Ctx::Trs),
        (&r.redirects, Ctx::Rdr),
    ] {
        for rule in list {
            rule_exprs(&mut out, rule, ctx);
        }
    }
    for u in r.use_backend.iter().chain(r.use_server.iter()) {
        if let Some(c) = &u.cond {
            cond_exprs(&mut out, &u.loc, &c.groups);
        }
    }
    for s in &r.stick_rules {
        out.push(Use {
            loc: &s.loc,
            ctx: Ctx::Stk,
            expr: &s.expr,
        });
        if let Some(c) = &s.cond {
            cond_exprs(&mut out, &s.loc, &c.groups);
        }
    }
    out.sort_by_key(|u| (u.loc.file.clone(), u.loc.line));
    out
}

/// How pattern file `path` was first loaded in the configuration read so far: `Some(true)`
/// as a two-column file (maps, `-M`), `Some(false)` as a pattern list (`acl … -f`).
/// HAProxy keeps one reference per file name and refuses to reuse it the other way.
pub fn file_columns(m: &Config, path: &str) -> Option<bool> {
    for p in &m.proxies {
        let acl_files = p.rules.acls.iter().filter_map(|a| a.expr.as_ref());
        let anon = proxy_conds(p)
            .into_iter()
            .flat_map(|c| c.groups.iter().flatten())
            .filter_map(|t| t.expr.as_ref());
        for e in acl_files.chain(anon) {
            if e.files.iter().any(|f| f == path) {
                return Some(e.map);
            }
        }
        for u in proxy_exprs(p) {
            for c in &u.expr.convs {
                if c.name.starts_with("map") && c.args.first() == Some(&ArgValue::Str(path.into()))
                {
                    return Some(true);
                }
            }
        }
    }
    None
}

/// Every condition of proxy `p`'s rules.
fn proxy_conds(p: &Proxy) -> Vec<&crate::model::expr::Cond> {
    let r = &p.rules;
    let rules = r
        .http_request
        .iter()
        .chain(&r.http_response)
        .chain(&r.http_after_response)
        .chain(&r.tcp_request_connection)
        .chain(&r.tcp_request_session)
        .chain(&r.tcp_request_content)
        .chain(&r.tcp_response_content)
        .chain(&r.redirects)
        .filter_map(|x| x.cond.as_ref());
    let switching = r
        .use_backend
        .iter()
        .chain(&r.use_server)
        .filter_map(|u| u.cond.as_ref());
    let stick = r.stick_rules.iter().filter_map(|s| s.cond.as_ref());
    rules.chain(switching).chain(stick).collect()
}

fn be_by_name<'a>(m: &'a Config, name: &str) -> Option<&'a Proxy> {
    m.proxies
        .iter()
        .find(|p| !p.cap.is_defaults() && p.cap.is_be() && p.name == name)
}

fn any_by_name<'a>(m: &'a Config, name: &str, fe: bool) -> Option<&'a Proxy> {
    m.proxies.iter().find(|p| {
        !p.cap.is_defaults() && p.name == name && if fe { p.cap.is_fe() } else { p.cap.is_be() }
    })
}

/// Whether a stick table named `name` exists (a proxy's own table or a peers section's
/// `table` line).
fn table_exists(m: &Config, name: &str) -> bool {
    m.proxies
        .iter()
        .any(|p| !p.cap.is_defaults() && p.name == name && p.rules.stick_table.is_some())
        // Peers tables are named `<peers>/<table>` (`stktable_find_by_name()`).
        || m.peers
            .iter()
            .any(|pe| pe.tables.iter().any(|t| t.id == name))
}

/// Checks one argument; the message tail after "parsing [f:l]: " on failure.
fn check_arg(m: &Config, p: &Proxy, a: &ArgValue, refd: &str) -> Option<String> {
    let pname = &p.name;
    match a {
        ArgValue::Srv(s) => {
            if s.is_empty() {
                return Some(format!("missing server name in arg {refd}"));
            }
            let (px, sname) = match s.rsplit_once('/') {
                Some((b, sv)) => match be_by_name(m, b) {
                    Some(px) => (px, sv),
                    None => {
                        return Some(format!(
                            "unable to find proxy '{b}' referenced in arg {refd}"
                        ))
                    }
                },
                None => {
                    if p.cap.is_defaults() {
                        return Some(format!("backend name must be set in arg {refd}"));
                    }
                    (p, s.as_str())
                }
            };
            if !px.servers.iter().any(|sv| sv.name == sname) {
                return Some(format!(
                    "unable to find server '{sname}' in proxy '{}', referenced in arg {refd}",
                    px.name
                ));
            }
            None
        }
        ArgValue::Fe(n) | ArgValue::Be(n) => {
            let fe = matches!(a, ArgValue::Fe(_));
            let what = if fe { "frontend" } else { "backend" };
            let name = if n.is_empty() { pname } else { n };
            if n.is_empty() {
                let ok = if fe { p.cap.is_fe() } else { p.cap.is_be() };
                if ok || p.cap.is_defaults() {
                    return None;
                }
                return Some(format!(
                    "proxy '{name}', referenced in arg {refd}, has not {what} capability."
                ));
            }
            if any_by_name(m, name, fe).is_some() {
                return None;
            }
            // Named proxies are looked up by capability: a frontend named like the wanted
            // backend is simply not found.
            Some(format!(
                "unable to find {what} '{name}' referenced in arg {refd}"
            ))
        }
        ArgValue::Tab(n) => {
            let name = if n.is_empty() {
                if p.cap.is_defaults() {
                    return Some(format!("table name must be set in arg {refd}"));
                }
                pname
            } else {
                n
            };
            if table_exists(m, name) {
                None
            } else {
                Some(format!(
                    "unable to find table '{name}' referenced in arg {refd}"
                ))
            }
        }
        ArgValue::Reg(r) => {
            if r.is_empty() {
                return Some(format!("missing regex in arg {refd}"));
            }
            match super::acl::check_regex(r) {
                Ok(()) => None,
                Err(e) => Some(format!("error in regex '{r}' in arg {refd} : {e}.")),
            }
        }
        ArgValue::Usr(n) => {
            if n.is_empty() {
                return Some(format!("missing userlist name in arg {refd}"));
            }
            if m.userlists.iter().any(|u| u.name == *n) {
                None
            } else {
                Some(format!(
                    "unable to find userlist '{n}' referenced in arg {refd}"
                ))
            }
        }
        _ => None,
    }
}

/// Resolves the object names used in the expressions of proxy `px`; one alert text per
/// failure, as HAProxy prints them (`parsing [file:line]: unable to find …`).
pub fn resolve_proxy_args(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    let mut out = Vec::new();
    for u in proxy_exprs(p) {
        let (ctx, where_) = u.ctx.words();
        let mut check = |args: &[ArgValue], conv: Option<&str>| {
            for (i, a) in args.iter().enumerate() {
                let convs = conv
                    .map(|c| format!("conversion keyword '{c}' for "))
                    .unwrap_or_default();
                let refd = format!(
                    "{} of {convs}{ctx} '{}' {where_} proxy '{}'",
                    i + 1,
                    u.expr.fetch,
                    p.name
                );
                if let Some(msg) = check_arg(m, p, a, &refd) {
                    let msg = if msg.ends_with('.') {
                        msg
                    } else {
                        format!("{msg}.")
                    };
                    out.push(format!("parsing [{}:{}]: {msg}", u.loc.file, u.loc.line));
                }
            }
        };
        check(&u.expr.args, None);
        for c in &u.expr.convs {
            check(&c.args, Some(&c.name));
        }
    }
    out
}

/// The single alert HAProxy prints for proxy `px` when some arguments do not resolve
/// (`check_config()`): the message itself, or a header followed by every message indented
/// by eight spaces when there are several. The error counts once per message.
pub fn resolve_alert(m: &Config, px: usize) -> Option<(String, usize)> {
    let msgs = resolve_proxy_args(m, px);
    match msgs.len() {
        0 => None,
        1 => Some((msgs[0].clone(), 1)),
        n => {
            let mut t = String::from("multiple argument resolution errors:");
            for msg in &msgs {
                t.push_str("\n        ");
                t.push_str(msg);
            }
            Some((t, n))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::rules::tests::{run, state};
    use crate::model::{Mode, Proxy, ProxyCap};

    #[test]
    fn unresolved_names() {
        let mut st = state(ProxyCap::FE, Mode::Http);
        run(&mut st, "acl x nbsrv(nope) gt 0");
        run(&mut st, "acl y nbsrv(be) gt 0");
        run(
            &mut st,
            "http-request set-var(txn.x) sc_http_req_rate(0,tbl)",
        );
        st.model.proxies.push(Proxy {
            name: "be".into(),
            cap: ProxyCap::BE,
            ..Default::default()
        });
        let msgs = super::resolve_proxy_args(&st.model, 0);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(
            msgs[0],
            "parsing [t.cfg:1]: unable to find backend 'nope' referenced in arg 1 of ACL keyword 'nbsrv' in proxy 'fe'."
        );
        assert!(msgs[1].contains("unable to find table 'tbl' referenced in arg 2 of sample fetch keyword 'sc_http_req_rate' in http-request expression in proxy 'fe'."), "{}", msgs[1]);
        run(&mut st, "http-request set-header x %[path,regsub((a,b)]");
        let msgs = super::resolve_proxy_args(&st.model, 0);
        assert_eq!(msgs[2], "parsing [t.cfg:1]: error in regex '(a' in arg 1 of conversion keyword 'regsub' for sample fetch keyword 'path' in http-request expression in proxy 'fe' : regex '(a' is invalid (error=missing closing parenthesis, erroffset=2).");
    }
}
