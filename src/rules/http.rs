//! HTTP rule sets: conditions, header and request-line rewrites, variables, captures and
//! the actions that end processing (replies, redirects, auth, reject).

use regex::bytes::Regex;

use super::uri;
use crate::model::rules::{Action, ProxyRules, Redirect, Reply as ModelReply, Rule};
use crate::sample::expr::{CondRt, Expr};
use crate::sample::fetch::{Dir, Session, Txn};
use crate::sample::lf::Template;
use crate::sample::map::MapCache;
use crate::sample::msg::{HeaderList, Req, Resp};
use crate::sample::vars::{SetConds, VarName, Vars};
use crate::sample::Smp;

/// The message a rule set runs on: the request (`http-request`), or the response with
/// its request (`http-response`, `http-after-response`).
pub enum MsgRef<'m> {
    Req(&'m mut Req),
    Res {
        req: &'m Req,
        res: &'m mut Resp,
    },
    /// `tcp-request connection|session|content` in TCP mode: no HTTP message.
    None,
}

impl MsgRef<'_> {
    fn req(&self) -> Option<&Req> {
        match self {
            MsgRef::Req(r) => Some(r),
            MsgRef::Res { req, .. } => Some(req),
            MsgRef::None => None,
        }
    }
    fn res(&self) -> Option<&Resp> {
        match self {
            MsgRef::Res { res, .. } => Some(res),
            _ => None,
        }
    }
    fn dir(&self) -> Dir {
        match self {
            MsgRef::Res { .. } => Dir::Res,
            _ => Dir::Req,
        }
    }
    /// The headers rules edit; `None` without an HTTP message (the edit is skipped).
    fn headers_mut(&mut self) -> Option<&mut HeaderList> {
        match self {
            MsgRef::Req(r) => Some(&mut r.headers),
            MsgRef::Res { res, .. } => Some(&mut res.headers),
            MsgRef::None => None,
        }
    }
}

/// Capture slots of a stream (`capture request header`, `http-request capture`).
#[derive(Debug, Clone, Default)]
pub struct Captures {
    pub req: Vec<Option<Vec<u8>>>,
    pub res: Vec<Option<Vec<u8>>>,
}

/// Side effects of rules on the stream, applied by the engine.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub priority_class: Option<i64>,
    pub priority_offset: Option<i64>,
    /// `set-timeout server|tunnel|client`, in milliseconds.
    pub timeout_server: Option<u32>,
    pub timeout_tunnel: Option<u32>,
    pub timeout_client: Option<u32>,
    pub log_level: Option<String>,
    /// `early-hint` headers waiting to be sent as one `103 Early Hints`.
    pub early_hints: Vec<(String, Vec<u8>)>,
    /// `strict-mode off` was set (rewrite failures are then skipped).
    pub lax: bool,
    /// `set-src`/`set-dst` (and their `-port` forms): the connection's new addresses.
    pub src: Option<std::net::SocketAddr>,
    pub dst: Option<std::net::SocketAddr>,
    /// The reply is a `deny` (which counts as an HTTP error for stick counters), not a
    /// `return`.
    pub denied: bool,
    /// The last rule that ended its rule set (`last_rule_file`, `last_rule_line`).
    pub last_rule: Option<(&'static str, u32)>,
}

/// A configuration file name for the life of the process: rules keep one per file, and
/// fetches return it without copying (HAProxy points at its config's own strings).
fn intern(file: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let set = names.get_or_insert_with(HashSet::new);
    if let Some(n) = set.get(file) {
        return n;
    }
    let n: &'static str = Box::leak(file.to_string().into_boxed_str());
    set.insert(n);
    n
}

/// A redirect to send: status, `Location`, an optional `Set-Cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectOut {
    pub code: u16,
    pub location: Vec<u8>,
    pub cookie: Option<Vec<u8>>,
}

/// What the engine does after a rule set.
#[derive(Debug)]
pub enum Flow<'r, R> {
    /// Every rule ran (or none matched an ending action): go on.
    Continue,
    /// `allow`: stop this proxy's rules, go on.
    Stop,
    /// `deny`, `return`: send this reply.
    Reply(&'r R),
    /// `tarpit`: hold the connection for `timeout tarpit`, then send this reply.
    Tarpit(&'r R),
    Redirect(RedirectOut),
    /// `auth`: 401 with `WWW-Authenticate: Basic realm="…"`.
    Auth(&'r str),
    /// `reject` (close without a response), `silent-drop`.
    Reject,
    /// The request is invalid for a rule (`normalize-uri … strict`): 400.
    BadRequest,
    /// A rewrite did not fit in the buffer under `strict-mode on`: 500.
    RewriteFailed,
    /// A condition needed data that may still arrive (`tcp-request inspect-delay`):
    /// evaluate again with more.
    Wait,
    /// `use-service <name>`: an applet of the proxy answers the request.
    Service(Service),
}

/// The services `use-service` can hand a request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// HAProxy's `prometheus-exporter` (addons/promex).
    Prometheus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MapOp {
    SetMap,
    DelMap,
    AddAcl,
    DelAcl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameMatch {
    Str,
    Beg,
    End,
    Sub,
}

#[derive(Debug, Clone)]
enum Part {
    Path,
    Pathq,
    Query,
    Uri,
    Method,
}

#[derive(Debug, Clone)]
enum Act<R> {
    Allow,
    Service(Service),
    /// A reply; `true` for `deny`.
    Reply(R, bool),
    Tarpit(R),
    Reject,
    Auth(String),
    Redirect(Box<RedirectRt>),
    SetHeader {
        add: bool,
        name: String,
        value: Template,
    },
    DelHeader(String, NameMatch),
    DelHeaderRe(Regex),
    ReplaceHeader {
        value_only: bool,
        name: String,
        re: Regex,
        fmt: Template,
    },
    Rewrite {
        part: Part,
        re: Option<Regex>,
        fmt: Template,
    },
    SetVar(VarName, SetConds, Expr),
    SetVarFmt(VarName, SetConds, Template),
    UnsetVar(VarName),
    SetStatus(u16, Option<Vec<u8>>),
    Capture {
        expr: Expr,
        slot: usize,
        len: usize,
    },
    SetPriority {
        class: bool,
        expr: Expr,
    },
    SetTimeout {
        which: String,
        value: u32,
    },
    SetLogLevel(String),
    NormalizeUri(super::uri_norm::Normalizer),
    EarlyHint(String, Template),
    StrictMode(bool),
    MapEdit {
        op: MapOp,
        file: std::sync::Arc<crate::sample::map::MapFile>,
        key: Template,
        value: Option<Template>,
    },
    SetAddr {
        dst: bool,
        port_only: bool,
        expr: Expr,
    },
    /// `track-scN <key> [table t]`; `http`: an HTTP rule, which counts the request (and
    /// a response's error) itself.
    TrackSc {
        n: usize,
        key: Expr,
        table: std::sync::Arc<crate::stick::Table>,
        http: bool,
    },
    /// `sc-inc-gpc*`.
    ScIncGpc {
        idx: usize,
        legacy: bool,
        sc: usize,
    },
    /// `sc-set-gpt*`.
    ScSetGpt {
        idx: usize,
        legacy: bool,
        sc: usize,
        value: GptRt,
    },
}

#[derive(Debug, Clone)]
enum GptRt {
    Const(u32),
    Expr(Expr),
}

#[derive(Debug, Clone)]
struct RedirectRt {
    kind: RedirKind,
    target: Template,
    code: u16,
    drop_query: bool,
    append_slash: bool,
    cookie: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedirKind {
    Location,
    Prefix,
    Scheme,
}

#[derive(Debug, Clone)]
struct RuleRt<R> {
    cond: Option<CondRt>,
    act: Act<R>,
    /// Its configuration file and line (`last_rule_file`, `last_rule_line`).
    loc: (&'static str, u32),
}

/// One proxy's rules of one kind (`http-request`…), in order.
#[derive(Debug, Clone)]
pub struct HttpRules<R> {
    rules: Vec<RuleRt<R>>,
    /// A head larger than this after a rewrite does not fit in a buffer (`tune.bufsize`).
    max_head: usize,
    /// `tune.maxrewrite`: the part of the buffer input never fills.
    reserve: usize,
}

impl<R> Default for HttpRules<R> {
    fn default() -> Self {
        HttpRules {
            rules: Vec::new(),
            max_head: usize::MAX,
            reserve: 0,
        }
    }
}

/// How the engine compiles replies and what the rules need to know about their proxy.
pub struct Compiler<'c, R> {
    pub acls: &'c ProxyRules,
    pub maps: &'c mut MapCache,
    pub proxy_name: &'c str,
    /// Capture slots already declared by `capture request header` (the first
    /// `http-request capture … len` gets the next one).
    pub next_capture: usize,
    /// Lengths of the declared slots (`http-request capture … id N` truncates to them).
    pub slot_lens: Vec<usize>,
    pub reply: &'c mut dyn FnMut(&ModelReply, &mut MapCache, &mut Vec<String>) -> R,
    /// `tune.bufsize`: rewrites that would make a head larger fail.
    pub max_head: usize,
    /// `tune.maxrewrite`.
    pub reserve: usize,
    /// The rules being compiled are `tcp-request` ones (`track-sc*` counts no HTTP
    /// request there).
    pub tcp_rules: bool,
}

fn not_active(rule: &Rule, what: &str) -> String {
    format!(
        "[{}] : '{} {}' {what}, parsed but not active yet in haproxy-rs; the rule is ignored",
        rule.loc, "http rule", rule.action
    )
}

impl<R> HttpRules<R> {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// `first`'s rules, then these (a named defaults section's rules run before the
    /// proxy's own).
    pub fn after(mut self, first: HttpRules<R>) -> HttpRules<R> {
        let mut r = first.rules;
        r.append(&mut self.rules);
        HttpRules {
            rules: r,
            max_head: self.max_head,
            reserve: self.reserve,
        }
    }

    /// Compiles `rules`; what cannot run is left out and reported in `warnings`.
    pub fn compile(rules: &[Rule], c: &mut Compiler<'_, R>, warnings: &mut Vec<String>) -> Self {
        let mut out = Vec::new();
        for rule in rules {
            let mut w = Vec::new();
            let act = compile_action(rule, c, &mut w);
            let cond = rule
                .cond
                .as_ref()
                .map(|cd| CondRt::compile(cd, c.acls, c.maps, &mut w));
            warnings.extend(w.into_iter().map(|m| {
                if m.starts_with('[') {
                    m
                } else {
                    format!("[{}] : {m}", rule.loc)
                }
            }));
            match act {
                Ok(act) => out.push(RuleRt {
                    cond,
                    act,
                    loc: (intern(&rule.loc.file), rule.loc.line as u32),
                }),
                Err(e) => warnings.push(not_active(rule, &e)),
            }
        }
        HttpRules {
            rules: out,
            max_head: c.max_head,
            reserve: c.reserve.min(c.max_head),
        }
    }

    /// Runs the rules on `msg`.
    #[allow(clippy::too_many_arguments)]
    pub fn run<'r>(
        &'r self,
        s: Session<'_>,
        msg: MsgRef<'_>,
        body: Option<&[u8]>,
        vars: &mut Vars,
        caps: &mut Captures,
        fx: &mut Effects,
    ) -> Flow<'r, R> {
        self.run_with(s, msg, body, None, vars, caps, fx)
    }

    /// [`Self::run`] for content inspection: `payload` is the client's data so far and
    /// whether more may come.
    #[allow(clippy::too_many_arguments)]
    pub fn run_with<'r>(
        &'r self,
        mut s: Session<'_>,
        mut msg: MsgRef<'_>,
        body: Option<&[u8]>,
        payload: Option<(&[u8], bool)>,
        vars: &mut Vars,
        caps: &mut Captures,
        fx: &mut Effects,
    ) -> Flow<'r, R> {
        macro_rules! txn {
            () => {
                Txn {
                    dir: msg.dir(),
                    req: msg.req(),
                    body,
                    res: msg.res(),
                    s,
                    req_captures: &caps.req,
                    res_captures: &caps.res,
                    vars: &mut *vars,
                    payload,
                    missed: Default::default(),
                }
            };
        }
        for r in &self.rules {
            if let Some(c) = &r.cond {
                let mut t = txn!();
                match c.eval_tri(&mut t) {
                    None => return Flow::Wait,
                    Some(false) => continue,
                    Some(true) => {}
                }
            }
            match &r.act {
                Act::Allow => {
                    fx.last_rule = Some(r.loc);
                    return Flow::Stop;
                }
                // HAProxy renders a `return`, `redirect` or `auth` reply (after-response
                // rules included) inside the action, before it records the rule: only
                // a `deny` reply sees itself as the last rule.
                Act::Reply(rep, deny) => {
                    fx.denied = *deny;
                    if *deny {
                        fx.last_rule = Some(r.loc);
                    }
                    return Flow::Reply(rep);
                }
                Act::Tarpit(rep) => {
                    fx.last_rule = Some(r.loc);
                    return Flow::Tarpit(rep);
                }
                Act::Reject => {
                    fx.last_rule = Some(r.loc);
                    return Flow::Reject;
                }
                Act::Auth(realm) => return Flow::Auth(realm),
                Act::Service(sv) => {
                    fx.last_rule = Some(r.loc);
                    return Flow::Service(*sv);
                }
                Act::Redirect(rd) => {
                    let out = redirect(rd, &mut txn!());
                    return Flow::Redirect(out);
                }
                Act::SetHeader { add, name, value } => {
                    let v = value.render_vec(&mut txn!());
                    // The buffered body shares the buffer with the head.
                    // The buffered body shares the buffer with the head; what was received
                    // stops `tune.maxrewrite` short of the buffer's end.
                    let body_len = body.map_or(0, |b| if b.is_empty() { 0 } else { 8 + b.len() });
                    let (received, added) = head_size(&msg);
                    let used = (received + body_len).min(self.max_head - self.reserve) + added;
                    let size = used + 8 + name.len() + v.len();
                    if size > self.max_head {
                        // `http_res_set_status`/`htx_add_header` failing: 500 unless
                        // `strict-mode off`, which skips the rewrite.
                        if !fx.lax {
                            fx.last_rule = Some(r.loc);
                            return Flow::RewriteFailed;
                        }
                        continue;
                    }
                    if let Some(h) = msg.headers_mut() {
                        if !add {
                            h.remove_named(name);
                        }
                        h.add(name, v);
                    }
                }
                Act::DelHeader(name, how) => {
                    let n = name.to_ascii_lowercase();
                    let Some(hl) = msg.headers_mut() else {
                        continue;
                    };
                    hl.remove_where(|h, _| {
                        let h = h.to_ascii_lowercase();
                        match how {
                            NameMatch::Str => h == n,
                            NameMatch::Beg => h.starts_with(&n),
                            NameMatch::End => h.ends_with(&n),
                            NameMatch::Sub => h.contains(&n),
                        }
                    });
                }
                Act::DelHeaderRe(re) => {
                    if let Some(hl) = msg.headers_mut() {
                        hl.remove_where(|h, _| re.is_match(h.as_bytes()));
                    }
                }
                Act::ReplaceHeader {
                    value_only,
                    name,
                    re,
                    fmt,
                } => {
                    let f = fmt.render_vec(&mut txn!());
                    if let Some(hl) = msg.headers_mut() {
                        replace_header(hl, name, re, &f, *value_only);
                    }
                }
                Act::Rewrite { part, re, fmt } => {
                    let f = fmt.render_vec(&mut txn!());
                    if let MsgRef::Req(req) = &mut msg {
                        rewrite(req, part, re.as_ref(), &f);
                    }
                }
                Act::NormalizeUri(n) => {
                    if let MsgRef::Req(req) = &mut msg {
                        match n.apply(&req.uri) {
                            Some(u) if u != req.uri => {
                                req.uri = u;
                                req.start_changed = true;
                            }
                            Some(_) => {}
                            // A strict normalizer refusing the URI: HAProxy's 400.
                            None => {
                                fx.last_rule = Some(r.loc);
                                return Flow::BadRequest;
                            }
                        }
                    }
                }
                Act::SetVar(v, conds, e) => {
                    let mut t = txn!();
                    if let Some(x) = e.eval(&mut t) {
                        let x = x.into_owned();
                        t.vars.set(v, x, conds);
                    }
                }
                Act::SetVarFmt(v, conds, f) => {
                    let x = f.render_vec(&mut txn!());
                    vars.set(v, Smp::string(x), conds);
                }
                Act::UnsetVar(v) => vars.unset(v),
                Act::SetStatus(code, reason) => {
                    if let MsgRef::Res { res, .. } = &mut msg {
                        res.status = *code;
                        res.reason = reason.clone().unwrap_or_else(|| {
                            crate::http::reason_phrase(*code).as_bytes().to_vec()
                        });
                        res.status_changed = true;
                    }
                }
                Act::Capture { expr, slot, len } => {
                    let dir = msg.dir();
                    let v = expr
                        .eval_as(&mut txn!(), crate::sample::SmpType::Str)
                        .and_then(|v| v.bytes().map(|b| b[..b.len().min(*len)].to_vec()));
                    let slots = if dir == Dir::Req {
                        &mut caps.req
                    } else {
                        &mut caps.res
                    };
                    if slots.len() <= *slot {
                        slots.resize(*slot + 1, None);
                    }
                    if v.is_some() {
                        slots[*slot] = v;
                    }
                }
                Act::SetPriority { class, expr } => {
                    let v = expr.eval_as(&mut txn!(), crate::sample::SmpType::Sint);
                    if let Some(Smp::Sint(v)) = v {
                        if *class {
                            fx.priority_class = Some(v.clamp(-0x7ff, 0x7ff));
                            s.prio.0 = v.clamp(-0x7ff, 0x7ff);
                        } else {
                            fx.priority_offset = Some(v.clamp(-0x7ffff, 0x7ffff));
                            s.prio.1 = v.clamp(-0x7ffff, 0x7ffff);
                        }
                    }
                }
                Act::SetTimeout { which, value } => match which.as_str() {
                    "server" => {
                        fx.timeout_server = Some(*value);
                        s.cur_timeout.0 = i64::from(*value);
                    }
                    "tunnel" => {
                        fx.timeout_tunnel = Some(*value);
                        s.cur_timeout.1 = i64::from(*value);
                    }
                    _ => fx.timeout_client = Some(*value),
                },
                Act::SetLogLevel(l) => fx.log_level = Some(l.clone()),
                Act::StrictMode(on) => fx.lax = !on,
                Act::MapEdit {
                    op,
                    file,
                    key,
                    value,
                } => {
                    let k = key.render_vec(&mut txn!());
                    let k = String::from_utf8_lossy(&k).into_owned();
                    match op {
                        // `set-map`: the entries with this key get the value, or it is
                        // added.
                        MapOp::SetMap => {
                            let v = value
                                .as_ref()
                                .map(|v| v.render_vec(&mut txn!()))
                                .unwrap_or_default();
                            if file.set(&k, &v).unwrap_or(0) == 0 {
                                let _ = file.add(&k, &v);
                            }
                        }
                        MapOp::DelMap | MapOp::DelAcl => {
                            file.del(&k);
                        }
                        // `add-acl`: only once per key.
                        MapOp::AddAcl => {
                            if !file.entries().iter().any(|e| e.key == k) {
                                let _ = file.add(&k, b"");
                            }
                        }
                    }
                }
                Act::EarlyHint(name, v) => {
                    let v = v.render_vec(&mut txn!());
                    fx.early_hints.push((name.to_ascii_lowercase(), v));
                }
                Act::TrackSc {
                    n,
                    key,
                    table,
                    http,
                } => {
                    let Some(stk) = s.stk else { continue };
                    if stk.is_tracked(*n) {
                        continue;
                    }
                    let Some(k) = key.eval(&mut txn!()).and_then(|v| table.key_of(v)) else {
                        continue;
                    };
                    let now = crate::stick::now_ms();
                    let Some(e) = stk.track(*n, table, &k, now) else {
                        continue;
                    };
                    if *http {
                        let status = msg.res().map(|r| r.status);
                        track_http_counts(table, &e, status, now);
                    }
                }
                Act::ScIncGpc { idx, legacy, sc } => {
                    if let Some(t) = s.stk.and_then(|k| k.get(*sc)) {
                        inc_gpc(&t, *idx, *legacy, crate::stick::now_ms());
                    }
                }
                Act::ScSetGpt {
                    idx,
                    legacy,
                    sc,
                    value,
                } => {
                    let Some(t) = s.stk.and_then(|k| k.get(*sc)) else {
                        continue;
                    };
                    use crate::stick::Dt;
                    let (dt, i) = if *legacy && t.table.stores(Dt::Gpt0, 0) {
                        (Dt::Gpt0, 0)
                    } else {
                        (Dt::Gpt, *idx)
                    };
                    if !t.table.stores(dt, i) {
                        continue;
                    }
                    let v = match value {
                        GptRt::Const(v) => *v,
                        GptRt::Expr(e) => {
                            match e.eval_as(&mut txn!(), crate::sample::SmpType::Sint) {
                                Some(Smp::Sint(v)) => v as u32,
                                _ => continue,
                            }
                        }
                    };
                    t.table.set(&t.entry, dt, i, u64::from(v));
                    t.table.touch(&t.entry, crate::stick::now_ms());
                }
                Act::SetAddr {
                    dst,
                    port_only,
                    expr,
                } => {
                    let cur = if *dst { s.dst } else { s.src };
                    let Some(new) = set_addr(cur, *port_only, expr, &mut txn!()) else {
                        continue;
                    };
                    if *dst {
                        s.dst = Some(new);
                        fx.dst = Some(new);
                    } else {
                        s.src = Some(new);
                        fx.src = Some(new);
                    }
                }
            }
        }
        Flow::Continue
    }
}

fn compile_action<R>(
    rule: &Rule,
    c: &mut Compiler<'_, R>,
    w: &mut Vec<String>,
) -> Result<Act<R>, String> {
    let tpl = |lf, c: &mut Compiler<'_, R>, w: &mut Vec<String>| Template::compile(lf, c.maps, w);
    let expr =
        |e, c: &mut Compiler<'_, R>| Expr::compile(e, c.maps).map_err(|x| format!("uses {x}"));
    let var = |n: &str| VarName::parse(n).ok_or_else(|| format!("bad variable '{n}'"));
    let re = |r: &str| Regex::new(r).map_err(|e| format!("regex: {e}"));
    Ok(match &rule.kind {
        Action::Allow => Act::Allow,
        Action::Deny(r) => Act::Reply((c.reply)(r, c.maps, w), true),
        Action::Return(r) => Act::Reply((c.reply)(r, c.maps, w), false),
        Action::Tarpit(r) => Act::Tarpit((c.reply)(r, c.maps, w)),
        Action::Reject => Act::Reject,
        Action::Auth { realm } => Act::Auth(realm.clone().unwrap_or_else(|| c.proxy_name.into())),
        Action::Redirect(r) => Act::Redirect(Box::new(compile_redirect(r, c, w))),
        Action::SetHeader { add, name, value } => Act::SetHeader {
            add: *add,
            name: name.clone(),
            value: tpl(value, c, w),
        },
        Action::DelHeader { name, method } => match method.as_str() {
            "reg" => Act::DelHeaderRe(re(name)?),
            "beg" => Act::DelHeader(name.clone(), NameMatch::Beg),
            "end" => Act::DelHeader(name.clone(), NameMatch::End),
            "sub" => Act::DelHeader(name.clone(), NameMatch::Sub),
            _ => Act::DelHeader(name.clone(), NameMatch::Str),
        },
        Action::ReplaceHeader {
            value_only,
            name,
            regex,
            replace,
        } => Act::ReplaceHeader {
            value_only: *value_only,
            name: name.clone(),
            re: re(regex)?,
            fmt: tpl(replace, c, w),
        },
        Action::Rewrite { what, regex, fmt } => Act::Rewrite {
            part: match what.as_str() {
                "path" => Part::Path,
                "pathq" => Part::Pathq,
                "query" => Part::Query,
                "uri" => Part::Uri,
                "method" => Part::Method,
                o => return Err(format!("rewrites '{o}'")),
            },
            re: regex.as_deref().map(re).transpose()?,
            fmt: tpl(fmt, c, w),
        },
        Action::SetVar {
            name,
            conds,
            expr: e,
        } => Act::SetVar(var(name)?, SetConds::parse(conds), expr(e, c)?),
        Action::SetVarFmt { name, conds, fmt } => {
            Act::SetVarFmt(var(name)?, SetConds::parse(conds), tpl(fmt, c, w))
        }
        Action::UnsetVar { name } => Act::UnsetVar(var(name)?),
        Action::SetStatus { status, reason } => {
            Act::SetStatus(*status, reason.as_ref().map(|r| r.as_bytes().to_vec()))
        }
        Action::Capture { expr: e, len, id } => {
            let slot = match (len, id) {
                (_, Some(id)) => *id as usize,
                _ => {
                    c.next_capture += 1;
                    c.next_capture - 1
                }
            };
            let len = match len {
                Some(l) => *l as usize,
                None => c.slot_lens.get(slot).copied().unwrap_or(usize::MAX),
            };
            Act::Capture {
                expr: expr(e, c)?,
                slot,
                len,
            }
        }
        Action::SetPriority { class, expr: e } => Act::SetPriority {
            class: *class,
            expr: expr(e, c)?,
        },
        Action::SetTimeout { which, value } => match value {
            crate::model::rules::TimeoutValue::Const(v) => Act::SetTimeout {
                which: which.clone(),
                value: *v,
            },
            crate::model::rules::TimeoutValue::Expr(_) => return Err("with an expression".into()),
        },
        Action::SetLogLevel(l) => Act::SetLogLevel(l.clone()),
        Action::UseService(n) if n == "prometheus-exporter" => Act::Service(Service::Prometheus),
        Action::UseService(n) => return Err(format!("use-service {n}")),
        Action::EarlyHint { name, value } => Act::EarlyHint(name.clone(), tpl(value, c, w)),
        Action::StrictMode(on) => Act::StrictMode(*on),
        Action::MapEdit {
            op,
            file,
            key,
            value,
        } => {
            let op = match op.as_str() {
                "set-map" => MapOp::SetMap,
                "del-map" => MapOp::DelMap,
                "add-acl" => MapOp::AddAcl,
                _ => MapOp::DelAcl,
            };
            // The file must be one a map converter or an ACL loaded (HAProxy looks it up
            // among its pattern references); load it otherwise.
            let f = match c.maps.get(file) {
                Some(f) => f,
                None => c
                    .maps
                    .load(
                        file,
                        crate::model::expr::MatchMethod::Str,
                        crate::sample::map::Out::Str,
                    )?
                    .file()
                    .clone(),
            };
            Act::MapEdit {
                op,
                file: f,
                key: tpl(key, c, w),
                value: value.as_ref().map(|v| tpl(v, c, w)),
            }
        }
        Action::SetAddr { what, expr: e } => Act::SetAddr {
            dst: what.contains("dst"),
            port_only: what.ends_with("-port"),
            expr: expr(e, c)?,
        },
        Action::TrackSc { n, key, table } => {
            let t = crate::stick::resolve(table.as_deref().unwrap_or(""))
                .ok_or_else(|| "has no stick table at run time".to_string())?;
            Act::TrackSc {
                n: *n as usize,
                key: expr(key, c)?,
                table: t,
                http: !c.tcp_rules,
            }
        }
        Action::ScIncGpc { idx, legacy, sc } => Act::ScIncGpc {
            idx: *idx as usize,
            legacy: *legacy,
            sc: *sc as usize,
        },
        Action::ScSetGpt {
            idx,
            legacy,
            sc,
            value,
        } => Act::ScSetGpt {
            idx: *idx as usize,
            legacy: *legacy,
            sc: *sc as usize,
            value: match value {
                crate::model::rules::GptValue::Const(v) => GptRt::Const(*v as u32),
                crate::model::rules::GptValue::Expr(e) => GptRt::Expr(expr(e, c)?),
            },
        },
        Action::Other if rule.action == "normalize-uri" => {
            Act::NormalizeUri(super::uri_norm::Normalizer::parse(&rule.args)?)
        }
        _ => return Err("is not built".into()),
    })
}

/// `http_action_track_sc()`: an HTTP rule tracking counts the request (the stream's
/// count ran before the entry was tracked), and on a response its 4xx error or 5xx failure
/// (but 501 and 505).
fn track_http_counts(
    t: &crate::stick::Table,
    e: &crate::stick::Entry,
    status: Option<u16>,
    now: u64,
) {
    use crate::stick::Dt;
    let mut changed = t.add(e, Dt::HttpReqCnt, 0, 1).is_some();
    changed |= t.add_rate(e, Dt::HttpReqRate, 0, 1, now).is_some();
    if let Some(st) = status {
        if (400..500).contains(&st) {
            changed |= t.add(e, Dt::HttpErrCnt, 0, 1).is_some();
            changed |= t.add_rate(e, Dt::HttpErrRate, 0, 1, now).is_some();
        }
        if (500..600).contains(&st) && st != 501 && st != 505 {
            changed |= t.add(e, Dt::HttpFailCnt, 0, 1).is_some();
            changed |= t.add_rate(e, Dt::HttpFailRate, 0, 1, now).is_some();
        }
    }
    if changed {
        t.touch(e, now);
    }
}

/// `action_inc_gpc()` / `action_inc_gpc0/1()`: the rate first, then the counter, each
/// falling back on the `gpc` arrays for the legacy forms.
fn inc_gpc(t: &crate::stick::Tracked, idx: usize, legacy: bool, now: u64) {
    use crate::stick::Dt;
    let tb = &t.table;
    let pick = |d: Dt, arr: Dt| {
        if legacy && tb.stores(d, 0) {
            Some((d, 0))
        } else {
            tb.stores(arr, idx).then_some((arr, idx))
        }
    };
    let (rate, cnt) = match (legacy, idx) {
        (true, 1) => (pick(Dt::Gpc1Rate, Dt::GpcRate), pick(Dt::Gpc1, Dt::Gpc)),
        (true, _) => (pick(Dt::Gpc0Rate, Dt::GpcRate), pick(Dt::Gpc0, Dt::Gpc)),
        _ => (pick(Dt::GpcRate, Dt::GpcRate), pick(Dt::Gpc, Dt::Gpc)),
    };
    if let Some((d, i)) = rate {
        tb.add_rate(&t.entry, d, i, 1, now);
    }
    if let Some((d, i)) = cnt {
        tb.add(&t.entry, d, i, 1);
    }
    if rate.is_some() || cnt.is_some() {
        tb.touch(&t.entry, now);
    }
}

fn compile_redirect<R>(r: &Redirect, c: &mut Compiler<'_, R>, w: &mut Vec<String>) -> RedirectRt {
    RedirectRt {
        kind: match r.kind.as_str() {
            "prefix" => RedirKind::Prefix,
            "scheme" => RedirKind::Scheme,
            _ => RedirKind::Location,
        },
        target: Template::compile(&r.target, c.maps, w),
        code: r.code,
        drop_query: r.drop_query,
        append_slash: r.append_slash,
        cookie: match (&r.set_cookie, &r.clear_cookie) {
            (Some(s), _) => Some(format!("{s}; path=/;").into_bytes()),
            (None, Some(s)) => Some(format!("{s}; path=/; Max-Age=0;").into_bytes()),
            _ => None,
        },
    }
}

/// The room the message's head takes in an HTX buffer, as (what was received, what rules
/// added): an 8-byte block header per start line, header and end-of-headers, the start
/// line's fixed part (`struct htx_sl`), names and values without separators, plus the
/// buffer's own header.
fn head_size(m: &MsgRef<'_>) -> (usize, usize) {
    const HTX_HDR: usize = 48;
    let start = match m {
        MsgRef::Req(r) => 8 + 32 + r.method.len() + r.uri.len() + 8,
        MsgRef::Res { res, .. } => 8 + 32 + 8 + 3 + res.reason.len(),
        MsgRef::None => 0,
    };
    let hdrs = match m {
        MsgRef::Req(r) => &r.headers,
        MsgRef::Res { res, .. } => &res.headers,
        MsgRef::None => return (0, 0),
    };
    let (mut received, mut added) = (HTX_HDR + start + 8, 0);
    for (i, (n, v)) in hdrs.iter().enumerate() {
        let sz = 8 + n.len() + v.len();
        if hdrs.orig[i].is_some() && !hdrs.changed[i] {
            received += sz;
        } else {
            added += sz;
        }
    }
    (received, added)
}

/// `action_set_src_dst()`: an address keeps the old port, a port keeps the old address; a
/// value of the wrong type changes nothing.
fn set_addr(
    cur: Option<std::net::SocketAddr>,
    port_only: bool,
    e: &Expr,
    t: &mut Txn<'_>,
) -> Option<std::net::SocketAddr> {
    use std::net::{IpAddr, SocketAddr};
    let port = cur.map_or(0, |a| a.port());
    if port_only {
        let Smp::Sint(p) = e.eval_as(t, crate::sample::SmpType::Sint)? else {
            return None;
        };
        let ip = cur.map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        return Some(SocketAddr::new(ip, p as u16));
    }
    match e.eval_as(t, crate::sample::SmpType::Addr)? {
        Smp::Ipv4(a) => Some(SocketAddr::new(a.into(), port)),
        Smp::Ipv6(a) => Some(SocketAddr::new(a.into(), port)),
        _ => None,
    }
}

/// `http_apply_redirect_rule()`.
fn redirect(rd: &RedirectRt, t: &mut Txn<'_>) -> RedirectOut {
    let target = rd.target.render_vec(t);
    let Some(req) = t.req else {
        return RedirectOut {
            code: rd.code,
            location: target,
            cookie: rd.cookie.clone(),
        };
    };
    let mut loc = Vec::new();
    let path_q = |loc: &mut Vec<u8>| {
        let pq = uri::pathq(&req.uri);
        let (p, q) = match pq.find('?') {
            Some(i) => (&pq[..i], &pq[i..]),
            None => (pq, ""),
        };
        loc.extend_from_slice(p.as_bytes());
        if rd.append_slash && !p.ends_with('/') {
            loc.push(b'/');
        }
        if !rd.drop_query {
            loc.extend_from_slice(q.as_bytes());
        }
    };
    match rd.kind {
        RedirKind::Location => loc = target,
        RedirKind::Prefix => {
            // A prefix of "/" adds nothing before the path.
            if target != b"/" {
                loc.extend_from_slice(&target);
            }
            path_q(&mut loc);
        }
        RedirKind::Scheme => {
            loc.extend_from_slice(&target);
            loc.extend_from_slice(b"://");
            if let Some(h) = req.headers.values("host", false).next() {
                loc.extend_from_slice(h);
            }
            path_q(&mut loc);
        }
    }
    RedirectOut {
        code: rd.code,
        location: loc,
        cookie: rd.cookie.clone(),
    }
}

/// `http_replace_hdrs()`: the whole value (`replace-header`) or each comma-separated
/// element (`replace-value`) matching `re` is replaced with `fmt` expanded.
fn replace_header(h: &mut HeaderList, name: &str, re: &Regex, fmt: &[u8], value_only: bool) {
    for i in 0..h.len() {
        if !h.list[i].0.eq_ignore_ascii_case(name) {
            continue;
        }
        let v = h.list[i].1.clone();
        let new = if value_only {
            let mut out = Vec::new();
            let mut changed = false;
            for (k, el) in v.split(|&c| c == b',').enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                // HAProxy replaces an element with its leading blanks (observed on 2.6:
                // `a, b` with `b` rewritten gives `a,B`); others are kept as they were.
                match uri::regex_replace(re, el.trim_ascii(), fmt) {
                    Some(r) => {
                        changed = true;
                        out.extend_from_slice(&r);
                    }
                    None => out.extend_from_slice(el),
                }
            }
            if !changed {
                continue;
            }
            out
        } else {
            match uri::regex_replace(re, &v, fmt) {
                Some(r) => r,
                None => continue,
            }
        };
        h.set_value(i, new);
    }
}

fn rewrite(req: &mut Req, part: &Part, re: Option<&Regex>, f: &[u8]) {
    let fs = String::from_utf8_lossy(f);
    let new = match (part, re) {
        (Part::Method, _) => {
            req.method = fs.into_owned();
            req.start_changed = true;
            return;
        }
        (Part::Path, None) => uri::set_path(&req.uri, &fs),
        (Part::Pathq, None) => uri::set_pathq(&req.uri, &fs),
        (Part::Query, _) => uri::set_query(&req.uri, &fs),
        (Part::Uri, None) => fs.into_owned(),
        (Part::Path, Some(re)) => {
            let Some(p) = uri::regex_replace(re, uri::path(&req.uri).as_bytes(), f) else {
                return;
            };
            uri::set_path(&req.uri, &String::from_utf8_lossy(&p))
        }
        (Part::Pathq, Some(re)) => {
            let Some(p) = uri::regex_replace(re, uri::pathq(&req.uri).as_bytes(), f) else {
                return;
            };
            uri::set_pathq(&req.uri, &String::from_utf8_lossy(&p))
        }
        (Part::Uri, Some(re)) => {
            let Some(p) = uri::regex_replace(re, req.uri.as_bytes(), f) else {
                return;
            };
            String::from_utf8_lossy(&p).into_owned()
        }
    };
    req.uri = new;
    req.start_changed = true;
}
