//! Actions of `http-request`, `http-response`, `http-after-response`, `tcp-request` and
//! `tcp-response` rules: one parser per action family, ported from HAProxy's `http_act.c`,
//! `tcp_act.c`, `vars.c`, `stick_table.c`, `stream.c`, `queue.c`, `cache.c`….
//!
//! Every parser sees the words as HAProxy's action parsers do (`args`, with `cur` the
//! index after the action word) and returns the typed action or HAProxy's message.

use crate::config::expr::kw::{self, val};
use crate::config::expr::logformat::{parse_checked, LfCtx};
use crate::config::expr::sample::{self, check_var_cond, check_var_name, ExprEnv, Parsed};
use crate::config::values::{atoi, atol, parse_time, TimeError, TimeUnit};
use crate::config::State;
use crate::model::expr::LogFormat;
use crate::model::rules::{Action, Redirect, Reply, ReplyBody, TimeoutValue};

/// Which rule list an action belongs to (HAProxy's `ACT_F_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ruleset {
    HttpReq,
    HttpRes,
    HttpAfter,
    TcpCon,
    TcpSes,
    TcpCnt,
    TcpRes,
}

impl Ruleset {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Ruleset::HttpReq | Ruleset::HttpRes | Ruleset::HttpAfter
        )
    }
    fn is_req(self) -> bool {
        matches!(
            self,
            Ruleset::HttpReq | Ruleset::TcpCon | Ruleset::TcpSes | Ruleset::TcpCnt
        )
    }
}

/// What an action parser needs: the state (for proxy caps, files, globals) and the proxy.
pub struct Ctx<'a> {
    pub st: &'a State,
    pub px: usize,
    pub rs: Ruleset,
    pub args: &'a [&'a str],
    /// Warnings HAProxy prints while parsing the action (`parsing [f:l] : <text>`), for
    /// the caller to emit.
    pub warns: &'a std::cell::RefCell<Vec<String>>,
}

impl Ctx<'_> {
    fn warn(&self, w: String) {
        self.warns.borrow_mut().push(w);
    }
    fn arg(&self, i: usize) -> &str {
        self.args.get(i).copied().unwrap_or("")
    }
    fn fe(&self) -> bool {
        has_fe(self.st.model.proxies[self.px].cap)
    }
    fn be(&self) -> bool {
        has_be(self.st.model.proxies[self.px].cap)
    }
    fn px_name(&self) -> &str {
        &self.st.model.proxies[self.px].name
    }
    /// The check points where this ruleset's expressions run.
    pub fn where_(&self) -> u32 {
        let (fe, be) = (self.fe(), self.be());
        let pick = |f: u32, b: u32| (if fe { f } else { 0 }) | (if be { b } else { 0 });
        match self.rs {
            Ruleset::HttpReq => pick(val::FE_HRQ_HDR, val::BE_HRQ_HDR),
            Ruleset::HttpRes | Ruleset::HttpAfter => pick(val::FE_HRS_HDR, val::BE_HRS_HDR),
            Ruleset::TcpCon => val::FE_CON_ACC,
            Ruleset::TcpSes => val::FE_SES_ACC,
            Ruleset::TcpCnt => pick(val::FE_REQ_CNT, val::BE_REQ_CNT),
            Ruleset::TcpRes => pick(val::FE_RES_CNT, val::BE_RES_CNT),
        }
    }
    fn env(&self) -> ExprEnv<'_> {
        ExprEnv::from_state(self.st)
    }
    /// `sample_parse_expr()` at `*cur`, advancing it.
    fn expr(&self, cur: &mut usize) -> Result<Parsed, String> {
        let p = sample::parse_expr(self.args, *cur, false, self.env())?;
        *cur = p.next;
        Ok(p)
    }
    /// An expression that must be usable at `where_`, named by the last word it used.
    fn expr_here(&self, cur: &mut usize, where_: u32) -> Result<Parsed, String> {
        let p = self.expr(cur)?;
        if p.fetch.val & where_ == 0 {
            return Err(format!(
                "fetch method '{}' extracts information from '{}', none of which is available here",
                self.arg(*cur - 1),
                kw::src_names(p.fetch.use_)
            ));
        }
        Ok(p)
    }
    /// A log-format string of an HTTP action (`LOG_OPT_HTTP`, header check points).
    fn lf(&self, fmt: &str) -> Result<LogFormat, String> {
        self.lf_cap(fmt, self.where_())
    }
    fn lf_cap(&self, fmt: &str, cap: u32) -> Result<LogFormat, String> {
        parse_checked(
            fmt,
            LfCtx {
                http_mode: self.st.model.proxies[self.px].mode == crate::model::Mode::Http,
                merge_spaces: false,
                cap,
                check_files: self.st.env.check_files,
                lua: lua_global(self.st),
                model: Some(&self.st.model),
            },
        )
    }
    fn is_cond(&self, i: usize) -> bool {
        matches!(self.arg(i), "if" | "unless")
    }
}

type ParseFn = fn(&Ctx, &mut usize) -> Result<Action, String>;

/// One action keyword: its name, whether it is a prefix (`set-var(*)`), the rulesets it
/// exists in and its parser.
pub struct ActionKw {
    pub name: &'static str,
    pub prefix: bool,
    pub sets: u8,
    pub parse: ParseFn,
    /// Ends rule evaluation (HAProxy's `ACT_FLAG_FINAL`).
    pub final_: bool,
}

const HRQ: u8 = 1;
const HRS: u8 = 2;
const HAF: u8 = 4;
const TCO: u8 = 8;
const TSE: u8 = 16;
const TCN: u8 = 32;
const TRS: u8 = 64;
const TCP_ALL: u8 = TCO | TSE | TCN;

macro_rules! kw {
    ($n:expr, $p:expr, $s:expr, $f:expr) => {
        ActionKw {
            name: $n,
            prefix: $p,
            sets: $s,
            parse: $f,
            final_: false,
        }
    };
    ($n:expr, $p:expr, $s:expr, $f:expr, final) => {
        ActionKw {
            name: $n,
            prefix: $p,
            sets: $s,
            parse: $f,
            final_: true,
        }
    };
}

/// Every action HAProxy 2.6 (as packaged by Debian) registers, except the built-in
/// `tcp-* accept|reject|close|capture|track-scN|expect-*` handled by the tcp parser.
pub static ACTIONS: &[ActionKw] = &[
    kw!("wait-for-handshake", false, HRQ, p_none),
    kw!("ot-group", false, HRQ | HRS | HAF | TCN | TRS, p_two),
    kw!(
        "set-log-level",
        false,
        HRQ | HRS | TCN | TRS,
        p_set_log_level
    ),
    kw!("set-nice", false, HRQ | HRS | TCN | TRS, p_set_nice),
    kw!("use-service", false, HRQ | TCN, p_use_service, final),
    kw!("switch-mode", false, TCN, p_switch_mode),
    kw!("sc-inc-gpc", true, HRQ | HRS | TCP_ALL | TRS, p_sc_inc_gpc),
    kw!("sc-inc-gpc0", true, HRQ | HRS | TCP_ALL | TRS, p_sc_inc_gpc),
    kw!("sc-inc-gpc1", true, HRQ | HRS | TCP_ALL | TRS, p_sc_inc_gpc),
    kw!("sc-set-gpt", true, HRQ | HRS | TCP_ALL | TRS, p_sc_set_gpt),
    kw!("sc-set-gpt0", true, HRQ | HRS | TCP_ALL | TRS, p_sc_set_gpt),
    kw!("send-spoe-group", false, HRQ | HRS | TCN | TRS, p_two),
    kw!("do-resolve", true, HRQ | TCN, p_do_resolve),
    kw!("cache-use", false, HRQ, p_cache),
    kw!("cache-store", false, HRS, p_cache),
    kw!("add-acl", true, HRQ | HRS, p_acl_map),
    kw!("add-header", false, HRQ | HRS | HAF, p_set_header),
    kw!("allow", false, HRQ | HRS | HAF, p_allow, final),
    kw!("auth", false, HRQ, p_auth, final),
    kw!("capture", false, HRQ | HRS | HAF, p_capture),
    kw!("del-acl", true, HRQ | HRS, p_acl_map),
    kw!("del-header", false, HRQ | HRS | HAF, p_del_header),
    kw!("del-map", true, HRQ | HRS, p_acl_map),
    kw!("deny", false, HRQ | HRS, p_deny, final),
    kw!("disable-l7-retry", false, HRQ, p_none),
    kw!("early-hint", false, HRQ, p_set_header),
    kw!("normalize-uri", false, HRQ, p_normalize_uri),
    kw!("redirect", false, HRQ | HRS, p_redirect, final),
    kw!("reject", false, HRQ, p_reject, final),
    kw!("replace-header", false, HRQ | HRS | HAF, p_replace_header),
    kw!("replace-path", false, HRQ, p_replace_uri),
    kw!("replace-pathq", false, HRQ, p_replace_uri),
    kw!("replace-uri", false, HRQ, p_replace_uri),
    kw!("replace-value", false, HRQ | HRS | HAF, p_replace_header),
    kw!("return", false, HRQ | HRS, p_return, final),
    kw!("set-header", false, HRQ | HRS | HAF, p_set_header),
    kw!("set-map", true, HRQ | HRS, p_acl_map),
    kw!("set-method", false, HRQ, p_set_req_line),
    kw!("set-path", false, HRQ, p_set_req_line),
    kw!("set-pathq", false, HRQ, p_set_req_line),
    kw!("set-query", false, HRQ, p_set_req_line),
    kw!("set-status", false, HRS | HAF, p_set_status),
    kw!("set-uri", false, HRQ, p_set_req_line),
    kw!("strict-mode", false, HRQ | HRS | HAF, p_strict_mode),
    kw!("tarpit", false, HRQ, p_deny, final),
    kw!("track-sc", true, HRQ | HRS, p_track_sc),
    kw!("set-timeout", false, HRQ, p_set_timeout),
    kw!("wait-for-body", false, HRQ | HRS, p_wait_for_body),
    kw!(
        "set-var-fmt",
        true,
        HRQ | HRS | HAF | TCP_ALL | TRS,
        p_set_var
    ),
    kw!("set-var", true, HRQ | HRS | HAF | TCP_ALL | TRS, p_set_var),
    kw!(
        "unset-var",
        true,
        HRQ | HRS | HAF | TCP_ALL | TRS,
        p_set_var
    ),
    kw!("set-dst", false, HRQ | TCO | TSE | TCN, p_set_addr),
    kw!("set-dst-port", false, HRQ | TCO | TSE | TCN, p_set_addr),
    kw!("set-mark", false, HRQ | HRS | TCP_ALL | TRS, p_set_mark),
    kw!("set-src", false, HRQ | TCO | TSE | TCN, p_set_addr),
    kw!("set-src-port", false, HRQ | TCO | TSE | TCN, p_set_addr),
    kw!("set-tos", false, HRQ | HRS | TCP_ALL | TRS, p_set_mark),
    kw!(
        "silent-drop",
        false,
        HRQ | HRS | TCP_ALL | TRS,
        p_none,
        final
    ),
    kw!("set-priority-class", false, HRQ | TCN, p_set_priority),
    kw!("set-priority-offset", false, HRQ | TCN, p_set_priority),
];

/// The list HAProxy prints after "expects" for an unknown action, per ruleset.
pub fn expects_list(rs: Ruleset) -> &'static str {
    match rs {
        Ruleset::HttpReq => "'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', 'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', 'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'",
        Ruleset::HttpRes => "'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', 'add-acl(*)', 'add-header', 'allow', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-status', 'strict-mode', 'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop'",
        Ruleset::HttpAfter => "'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'",
        Ruleset::TcpCon | Ruleset::TcpSes => "'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop'",
        Ruleset::TcpCnt => "'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'",
        Ruleset::TcpRes => "'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop'",
    }
}

impl Ruleset {
    /// Every rule set with the words that introduce it in a configuration.
    pub const ALL: [(Ruleset, &'static str); 7] = [
        (Ruleset::HttpReq, "http-request"),
        (Ruleset::HttpRes, "http-response"),
        (Ruleset::HttpAfter, "http-after-response"),
        (Ruleset::TcpCon, "tcp-request connection"),
        (Ruleset::TcpSes, "tcp-request session"),
        (Ruleset::TcpCnt, "tcp-request content"),
        (Ruleset::TcpRes, "tcp-response content"),
    ];
}

/// Candidate names for "did you mean" suggestions.
pub fn names(rs: Ruleset) -> Vec<&'static str> {
    ACTIONS
        .iter()
        .filter(|a| a.sets & rs.bit() != 0)
        .map(|a| a.name)
        .collect()
}

/// `action_lookup()`: exact names, or prefix names followed by anything (in HAProxy a
/// prefix keyword matches any word starting with it; the longest registered wins here so
/// that `sc-inc-gpc0` is not taken for `sc-inc-gpc`).
pub fn lookup(rs: Ruleset, word: &str) -> Option<&'static ActionKw> {
    ACTIONS
        .iter()
        .filter(|a| a.sets & rs.bit() != 0)
        .filter(|a| {
            if a.prefix {
                word.starts_with(a.name)
            } else {
                word == a.name
            }
        })
        .max_by_key(|a| a.name.len())
}

/// Actions registered by Lua scripts (`lua.<name>`) cannot be known without running them:
/// they are accepted when a Lua file is loaded, with their arguments up to the condition.
pub fn lua_loaded(st: &State) -> bool {
    !lua_files(&st.model.global).is_empty()
}

/// The global section when it loads Lua files (what expression parsers need to look up
/// `lua.*` fetches and converters).
pub fn lua_global(st: &State) -> Option<&crate::model::Global> {
    lua_loaded(st).then_some(&st.model.global)
}

/// The files loaded by `lua-load` / `lua-load-per-thread`.
fn lua_files(g: &crate::model::Global) -> Vec<&str> {
    g.lua_loads
        .iter()
        .map(|(f, _, _)| f.as_str())
        .chain(
            g.other
                .iter()
                .filter(|(k, _, _)| k.starts_with("lua-load"))
                .map(|(_, a, _)| a.first().map(|s| s.as_str()).unwrap_or("")),
        )
        .collect()
}

/// Whether a Lua file loaded by `lua-load` registers `name` (without `lua.`) with
/// `core.register_<what>` (`action`, `service`, `fetches`, `converters`). An unreadable
/// file cannot be checked, so it is assumed to register anything.
pub fn lua_registers(g: &crate::model::Global, what: &str, name: &str) -> bool {
    let pat = format!(r#"register_{what}\s*\(\s*["']{}["']"#, regex::escape(name));
    let Ok(re) = regex::Regex::new(&pat) else {
        return true;
    };
    let files = lua_files(g);
    // Scripts also register names from tables (`for _, n in ipairs(names) do
    // core.register_action(n, …)`): then any quoted occurrence of the name counts.
    let dynamic = regex::Regex::new(&format!(r"register_{what}\s*\(\s*[A-Za-z_]")).ok();
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    files.iter().any(|f| match std::fs::read_to_string(f) {
        Ok(text) => {
            re.is_match(&text)
                || (dynamic.as_ref().is_some_and(|d| d.is_match(&text))
                    && quoted.iter().any(|q| text.contains(q.as_str())))
        }
        Err(_) => true,
    })
}

/// Consumes the words up to the condition (for actions whose arguments are kept raw).
pub fn skip_to_cond(c: &Ctx, cur: &mut usize) {
    while !c.arg(*cur).is_empty() && !c.is_cond(*cur) {
        *cur += 1;
    }
}

fn p_none(_c: &Ctx, _cur: &mut usize) -> Result<Action, String> {
    Ok(Action::Other)
}

fn p_allow(_c: &Ctx, _cur: &mut usize) -> Result<Action, String> {
    Ok(Action::Allow)
}

fn p_reject(_c: &Ctx, _cur: &mut usize) -> Result<Action, String> {
    Ok(Action::Reject)
}

/// `ot-group`/`send-spoe-group <a> <b>`: needs the filters; kept raw.
fn p_two(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    skip_to_cond(c, cur);
    Ok(Action::Other)
}

fn p_set_log_level(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    const LEVELS: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ];
    let a = c.arg(*cur);
    if a.is_empty() || (a != "silent" && !LEVELS.contains(&a)) {
        return Err("expects exactly 1 argument (log level name or 'silent')".into());
    }
    *cur += 1;
    Ok(Action::SetLogLevel(a.to_string()))
}

fn p_set_nice(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    if c.arg(*cur).is_empty() {
        return Err("expects exactly 1 argument (integer value)".into());
    }
    *cur += 1;
    Ok(Action::Other)
}

fn p_use_service(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let name = c.arg(*cur);
    if name.is_empty() {
        return Err(format!("'{}' expects a service name.", c.arg(0)));
    }
    let known = name == "prometheus-exporter"
        || name
            .strip_prefix("lua.")
            .is_some_and(|n| lua_registers(&c.st.model.global, "service", n));
    if !known {
        return Err(format!("'{}' unknown service name.", c.arg(1)));
    }
    if name == "prometheus-exporter" && c.rs != Ruleset::HttpReq {
        return Err("Prometheus exporter service only available on 'http-request' rulesets".into());
    }
    *cur += 1;
    Ok(Action::UseService(name.to_string()))
}

fn p_switch_mode(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let kwn = c.arg(*cur - 1);
    let m = c.arg(*cur);
    if m.is_empty() {
        return Err(format!("'{} {kwn}' expects a mode as argument.", c.arg(0)));
    }
    if !c.fe() {
        return Err(format!(
            "'{} {kwn}' not allowed because {} '{}' has no frontend capability",
            c.arg(0),
            proxy_type_str(c),
            c.px_name()
        ));
    }
    if m != "http" {
        return Err(format!(
            "'{} {kwn}' expects a valid mode (got '{m}').",
            c.arg(0)
        ));
    }
    *cur += 1;
    if c.arg(*cur) == "proto" {
        *cur += 1;
        let p = c.arg(*cur);
        if p.is_empty() {
            return Err(format!(
                "'{} {kwn}': '{}' expects a protocol as argument.",
                c.arg(0),
                c.arg(*cur - 1)
            ));
        }
        if !matches!(p, "h1" | "h2") {
            return Err(format!(
                "'{} {kwn}': '{}' expects a valid MUX protocol, if specified (got '{p}')",
                c.arg(0),
                c.arg(*cur - 1)
            ));
        }
        *cur += 1;
    }
    Ok(Action::Other)
}

pub fn proxy_type_str(c: &Ctx) -> &'static str {
    proxy_cap_str(c.st.model.proxies[c.px].cap)
}

/// Frontend capability as HAProxy sees it: defaults sections carry both capabilities
/// (`PR_CAP_DEF | PR_CAP_LISTEN`).
pub fn has_fe(cap: crate::model::ProxyCap) -> bool {
    cap.is_fe() || cap.is_defaults()
}

/// Backend capability, defaults included (see [`has_fe`]).
pub fn has_be(cap: crate::model::ProxyCap) -> bool {
    cap.is_be() || cap.is_defaults()
}

/// `proxy_cap_str()`: "listen" sections are called "proxy".
pub fn proxy_cap_str(cap: crate::model::ProxyCap) -> &'static str {
    if cap.is_defaults() {
        "defaults"
    } else if cap.is_fe() && cap.is_be() {
        "proxy"
    } else if cap.is_fe() {
        "frontend"
    } else {
        "backend"
    }
}

/// `strtol()` returning the value and the unparsed rest.
fn strtol_rest(s: &str) -> (i64, &str) {
    let (v, n) = crate::config::values::strtol(s);
    (v, &s[n..])
}

fn p_sc_inc_gpc(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let full = c.arg(*cur - 1);
    let rest = &full["sc-inc-gpc".len()..];
    let (idx, mut sc, legacy);
    if let Some(r) = rest.strip_prefix('(') {
        let (i, r) = strtol_rest(r);
        let Some(r) = r.strip_prefix(',') else {
            return Err(format!(
                "Missing gpc ID '{full}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"
            ));
        };
        let (s, r) = strtol_rest(r);
        if !r.starts_with(')') {
            return Err(format!(
                "invalid stick table track ID '{full}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"
            ));
        }
        if s >= 3 {
            return Err(format!(
                "invalid stick table track ID '{full}'. The max allowed ID is 2"
            ));
        }
        (idx, sc, legacy) = (i, s, false);
    } else if rest.starts_with('0') || rest.starts_with('1') {
        let r = &rest[1..];
        (idx, sc, legacy) = (i64::from(rest.as_bytes()[0] - b'0'), 0, true);
        if !r.is_empty() {
            let Some(r) = r.strip_prefix('(') else {
                return Err(format!(
                    "invalid stick table track ID. Expects {full}(<Track ID>)"
                ));
            };
            let (s, r) = strtol_rest(r);
            if !r.starts_with(')') {
                return Err(format!(
                    "invalid stick table track ID. Expects {full}(<Track ID>)"
                ));
            }
            if s >= 3 {
                return Err("invalid stick table track ID. The max allowed ID is 2".into());
            }
            sc = s;
        }
    } else {
        return Err(format!(
            "invalid gpc ID '{full}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"
        ));
    }
    Ok(Action::ScIncGpc {
        idx: idx.max(0) as u32,
        legacy,
        sc: sc.max(0) as u32,
    })
}

fn p_sc_set_gpt(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let full = c.arg(*cur - 1);
    let rest = &full["sc-set-gpt".len()..];
    let (idx, mut sc, legacy);
    if let Some(r) = rest.strip_prefix('(') {
        let (i, r) = strtol_rest(r);
        let Some(r) = r.strip_prefix(',') else {
            return Err(format!(
                "Missing gpt ID '{full}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"
            ));
        };
        let (s, r) = strtol_rest(r);
        if !r.starts_with(')') {
            return Err(format!(
                "invalid stick table track ID '{full}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"
            ));
        }
        if s >= 3 {
            return Err(format!(
                "invalid stick table track ID '{full}'. The max allowed ID is 2"
            ));
        }
        (idx, sc, legacy) = (i, s, false);
    } else if let Some(r) = rest.strip_prefix('0') {
        (idx, sc, legacy) = (0, 0, true);
        if !r.is_empty() {
            let Some(r) = r.strip_prefix('(') else {
                return Err(format!(
                    "invalid stick table track ID '{full}'. Expects sc-set-gpt0(<Track ID>)"
                ));
            };
            let (s, r) = strtol_rest(r);
            if !r.starts_with(')') {
                return Err(format!(
                    "invalid stick table track ID '{full}'. Expects sc-set-gpt0(<Track ID>)"
                ));
            }
            if s >= 3 {
                return Err(format!(
                    "invalid stick table track ID '{full}'. The max allowed ID is 2"
                ));
            }
            sc = s;
        }
    } else {
        return Err(format!(
            "invalid gpt ID '{full}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"
        ));
    }
    // The value: an integer (`strtol()` accepting all of it, even empty) or an expression
    // usable at the ruleset's first check point.
    let v = c.arg(*cur);
    let (num, n) = crate::config::values::strtol(v);
    let value = if n == v.len() {
        *cur += 1;
        crate::model::rules::GptValue::Const(num)
    } else {
        let w = match c.rs {
            Ruleset::TcpSes => val::FE_SES_ACC,
            Ruleset::TcpCnt => val::FE_REQ_CNT,
            Ruleset::TcpRes => val::BE_RES_CNT,
            Ruleset::HttpReq => val::FE_HRQ_HDR,
            _ => val::BE_HRS_HDR,
        };
        crate::model::rules::GptValue::Expr(c.expr_here(cur, w)?.expr)
    };
    Ok(Action::ScSetGpt {
        idx: idx.max(0) as u32,
        legacy,
        sc: sc.max(0) as u32,
        value,
    })
}

fn p_do_resolve(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let full = c.arg(*cur - 1);
    let bad = || {
        format!("Can't parse '{full}'. Expects 'do-resolve(<varname>,<resolvers>[,<options>]) <expr>'. Available options are 'ipv4' and 'ipv6'")
    };
    let inner = full["do-resolve".len()..]
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(bad)?;
    let mut parts = inner.split(',');
    let var = parts.next().unwrap_or("");
    parts.next().filter(|r| !r.is_empty()).ok_or_else(bad)?;
    check_var_name(var).map_err(|_| bad())?;
    c.expr_here(cur, c.where_())?;
    Ok(Action::Other)
}

fn p_cache(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let n = c.arg(*cur);
    if n.is_empty() || c.is_cond(*cur) {
        return Err("expects a cache name".into());
    }
    *cur += 1;
    Ok(Action::Other)
}

/// `add-acl(<file>) <key fmt>`, `del-acl(…)`, `set-map(<file>) <key> <value>`, `del-map`.
fn p_acl_map(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    // HAProxy takes the file name between the parentheses without checking it.
    let full = c.arg(*cur - 1);
    let two = full.starts_with("set-map");
    if two {
        if c.arg(*cur).is_empty() || c.arg(*cur + 1).is_empty() {
            return Err("expects exactly 2 arguments".into());
        }
    } else if c.arg(*cur).is_empty() {
        return Err("expects exactly 1 arguments".into());
    }
    let key = c.lf(c.arg(*cur))?;
    *cur += 1;
    let mut value = None;
    if two {
        value = Some(c.lf(c.arg(*cur))?);
        *cur += 1;
    }
    let (op, file) = match full.split_once('(') {
        Some((op, rest)) => (op, rest.strip_suffix(')').unwrap_or(rest)),
        None => (full, ""),
    };
    Ok(Action::MapEdit {
        op: op.to_string(),
        file: file.to_string(),
        key,
        value,
    })
}

fn p_set_header(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let (name, value) = (c.arg(*cur), c.arg(*cur + 1));
    if name.is_empty() || value.is_empty() {
        return Err("expects exactly 2 arguments".into());
    }
    let cap = if c.rs == Ruleset::HttpReq {
        c.where_()
    } else {
        Ctx {
            rs: Ruleset::HttpRes,
            ..*c
        }
        .where_()
    };
    let fmt = c.lf_cap(value, cap)?;
    *cur += 2;
    let add = c.arg(0).starts_with('a') || c.arg(*cur - 3).starts_with('a');
    if c.args.get(*cur - 3).is_some_and(|a| a.starts_with('e')) {
        return Ok(Action::EarlyHint {
            name: name.to_string(),
            value: fmt,
        });
    }
    Ok(Action::SetHeader {
        add,
        name: name.to_string(),
        value: fmt,
    })
}

fn p_del_header(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let name = c.arg(*cur);
    if name.is_empty() {
        return Err("expects at least 1 argument".into());
    }
    let mut method = "str".to_string();
    if c.arg(*cur + 1) == "-m" {
        *cur += 1;
        if c.arg(*cur + 1).is_empty() {
            return Err("-m flag expects exactly 1 argument".into());
        }
        *cur += 1;
        let m = c.arg(*cur);
        match m {
            "reg" => crate::config::expr::acl::check_regex(name)?,
            "str" | "beg" | "end" | "sub" => {}
            _ => return Err(format!("-m with unsupported matching method '{m}'")),
        }
        method = m.to_string();
    }
    *cur += 1;
    Ok(Action::DelHeader {
        name: name.to_string(),
        method,
    })
}

fn p_replace_header(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let (name, re, fmt) = (c.arg(*cur), c.arg(*cur + 1), c.arg(*cur + 2));
    if name.is_empty() || re.is_empty() || fmt.is_empty() {
        return Err("expects exactly 3 arguments".into());
    }
    crate::config::expr::acl::check_regex(re)?;
    let value_only = c.arg(*cur - 1) == "replace-value";
    let replace = c.lf(fmt)?;
    *cur += 3;
    Ok(Action::ReplaceHeader {
        value_only,
        name: name.to_string(),
        regex: re.to_string(),
        replace,
    })
}

fn p_replace_uri(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let (re, fmt) = (c.arg(*cur), c.arg(*cur + 1));
    if re.is_empty() || fmt.is_empty() || (!c.arg(*cur + 2).is_empty() && !c.is_cond(*cur + 2)) {
        return Err("expects exactly 2 arguments <match-regex> and <replace-format>".into());
    }
    crate::config::expr::acl::check_regex(re)
        .map_err(|e| format!("failed to parse the regex : {e}"))?;
    let what = c.arg(*cur - 1)["replace-".len()..].to_string();
    let fmt = c.lf(fmt)?;
    *cur += 2;
    Ok(Action::Rewrite {
        what,
        regex: Some(re.to_string()),
        fmt,
    })
}

fn p_set_req_line(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    if c.arg(*cur).is_empty() || (!c.arg(*cur + 1).is_empty() && !c.is_cond(*cur + 1)) {
        return Err("expects exactly 1 argument <format>".into());
    }
    let what = c.arg(*cur - 1)["set-".len()..].to_string();
    let fmt = c.lf(c.arg(*cur))?;
    *cur += 1;
    Ok(Action::Rewrite {
        what,
        regex: None,
        fmt,
    })
}

fn p_set_status(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let a = c.arg(*cur);
    if a.is_empty() {
        return Err("expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>".into());
    }
    let (v, n) = crate::config::values::strtol(a);
    if n != a.len() || !(100..=999).contains(&v) {
        return Err("expects an integer status code between 100 and 999".into());
    }
    *cur += 1;
    let mut reason = None;
    if c.arg(*cur) == "reason" && !c.arg(*cur + 1).is_empty() && !c.is_cond(*cur + 1) {
        reason = Some(c.arg(*cur + 1).to_string());
        *cur += 2;
    }
    Ok(Action::SetStatus {
        status: v as u16,
        reason,
    })
}

fn p_strict_mode(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let a = c.arg(*cur);
    if a.is_empty() {
        return Err("expects exactly 1 arguments".into());
    }
    if a != "on" && a != "off" {
        return Err(format!(
            "Unexpected value '{a}'. Only 'on' and 'off' are supported"
        ));
    }
    *cur += 1;
    Ok(Action::StrictMode(a == "on"))
}

fn p_auth(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let mut realm = None;
    if c.arg(*cur) == "realm" {
        *cur += 1;
        if c.arg(*cur).is_empty() {
            return Err("missing realm value.\n".into());
        }
        realm = Some(c.arg(*cur).to_string());
        *cur += 1;
    }
    Ok(Action::Auth { realm })
}

fn p_capture(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    if c.rs != Ruleset::HttpReq {
        let start = *cur;
        let mut i = start;
        while i < start + 3 && !c.arg(i).is_empty() && !c.is_cond(i) {
            i += 1;
        }
        if i < start + 3 {
            return Err("expects <expression> id <idx>".into());
        }
        let p = c.expr_here(cur, val::FE_HRS_HDR | val::BE_HRS_HDR)?;
        if c.arg(*cur).is_empty() {
            return Err("expects 'id'".into());
        }
        if c.arg(*cur) != "id" {
            return Err(format!("expects 'id', found '{}'", c.arg(*cur)));
        }
        *cur += 1;
        let idv = c.arg(*cur);
        let (id, n) = crate::config::values::strtol(idv);
        if idv.is_empty() {
            return Err("missing id value".into());
        }
        if n != idv.len() {
            return Err(format!("cannot parse id '{idv}'"));
        }
        *cur += 1;
        return Ok(Action::Capture {
            expr: p.expr,
            len: None,
            id: Some(id as u32),
        });
    }
    let start = *cur;
    let mut i = start;
    while i < start + 3 && !c.arg(i).is_empty() && !c.is_cond(i) {
        i += 1;
    }
    if i < start + 3 {
        return Err("expects <expression> [ 'len' <length> | id <idx> ]".into());
    }
    let p = c.expr_here(cur, val::FE_HRQ_HDR)?;
    match c.arg(*cur) {
        "" => Err("expects 'len or 'id'".into()),
        "len" => {
            *cur += 1;
            if !c.fe() {
                return Err(format!(
                    "proxy '{}' has no frontend capability",
                    c.px_name()
                ));
            }
            let len = atoi(c.arg(*cur));
            if len <= 0 {
                return Err("length must be > 0".into());
            }
            *cur += 1;
            Ok(Action::Capture {
                expr: p.expr,
                len: Some(len as u32),
                id: None,
            })
        }
        "id" => {
            *cur += 1;
            let idv = c.arg(*cur);
            let (id, n) = crate::config::values::strtol(idv);
            if n != idv.len() {
                return Err(format!("cannot parse id '{idv}'"));
            }
            *cur += 1;
            Ok(Action::Capture {
                expr: p.expr,
                len: None,
                id: Some(id as u32),
            })
        }
        other => Err(format!("expects 'len' or 'id', found '{other}'")),
    }
}

fn p_track_sc(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let num = &c.arg(*cur - 1)["track-sc".len()..];
    let n = track_sc_num(num)?;
    let p = c.expr_here(cur, c.where_())?;
    let mut table = None;
    if c.arg(*cur) == "table" {
        *cur += 1;
        if c.arg(*cur).is_empty() {
            return Err("missing table name".into());
        }
        table = Some(c.arg(*cur).to_string());
        *cur += 1;
    }
    Ok(Action::TrackSc {
        n,
        key: p.expr,
        table,
    })
}

/// `cfg_parse_track_sc_num()`.
pub fn track_sc_num(num: &str) -> Result<u32, String> {
    let (v, n) = super::super::expr::args::read_int64(num.as_bytes());
    if n != num.len() || num.starts_with(['-', '+']) {
        return Err(format!("Wrong track-sc number '{num}'"));
    }
    if !(0..3).contains(&v) {
        return Err(format!(
            "{} track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value",
            v as u32
        ));
    }
    Ok(v as u32)
}

fn p_set_timeout(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    if c.arg(*cur).is_empty() || c.arg(*cur + 1).is_empty() {
        return Err("expects exactly 2 arguments".into());
    }
    if !c.be() {
        return Err(format!("proxy '{}' has no backend capability", c.px_name()));
    }
    let name = c.arg(*cur);
    if name != "server" && name != "tunnel" {
        return Err(format!(
            "'set-timeout' rule supports 'server'/'tunnel' (got '{name}')"
        ));
    }
    let v = c.arg(*cur + 1);
    let value = match parse_time(v, TimeUnit::Ms) {
        Err(TimeError::Over) => return Err(format!("timer overflow in argument '{v}' to rule 'set-timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)")),
        Err(TimeError::Under) => return Err(format!("timer underflow in argument '{v}' to rule 'set-timeout {name}' (minimum value is 1 ms)")),
        Err(TimeError::BadChar(p)) => {
            let mut i = *cur + 1;
            match sample::parse_expr(c.args, i, false, c.env()) {
                Ok(e) => {
                    i = e.next;
                    let _ = i;
                    TimeoutValue::Expr(e.expr)
                }
                Err(_) => {
                    return Err(format!(
                        "unexpected character '{}' in rule 'set-timeout {name}'",
                        v[p..].chars().next().unwrap_or(' ')
                    ))
                }
            }
        }
        Ok(t) if t.value == 0 => {
            return Err(format!(
                "null value is not valid for a 'set-timeout {name}' rule"
            ))
        }
        Ok(t) => TimeoutValue::Const(t.value),
    };
    *cur += 2;
    Ok(Action::SetTimeout {
        which: name.to_string(),
        value,
    })
}

fn p_wait_for_body(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    if c.arg(*cur) != "time" {
        return Err("expects time <time> [ at-least <bytes> ]".into());
    }
    let mut have_time = false;
    while !c.arg(*cur).is_empty() && !c.is_cond(*cur) {
        match c.arg(*cur) {
            "time" => {
                let v = c.arg(*cur + 1);
                if v.is_empty() {
                    return Err(format!("missing argument for '{}'", c.arg(*cur)));
                }
                match parse_time(v, TimeUnit::Ms) {
                    Err(TimeError::Over) => {
                        return Err(
                            "time overflow (maximum value is 2147483647 ms or ~24.8 days)".into(),
                        )
                    }
                    Err(TimeError::Under) => {
                        return Err("time underflow (minimum non-null value is 1 ms)".into())
                    }
                    Err(TimeError::BadChar(p)) => {
                        return Err(format!(
                            "unexpected character '{}'",
                            v[p..].chars().next().unwrap_or(' ')
                        ))
                    }
                    Ok(_) => {}
                }
                have_time = true;
                *cur += 2;
            }
            "at-least" => {
                let v = c.arg(*cur + 1);
                if v.is_empty() {
                    return Err(format!("missing argument for '{}'", c.arg(*cur)));
                }
                if let Err(p) = crate::config::values::parse_size(v) {
                    return Err(format!(
                        "unexpected character '{}'",
                        v[p..].chars().next().unwrap_or(' ')
                    ));
                }
                *cur += 2;
            }
            _ => break,
        }
    }
    if !have_time {
        return Err("expects time <time> [ at-least <bytes> ]".into());
    }
    Ok(Action::Other)
}

fn p_set_var(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let full = c.arg(*cur - 1);
    let (rest, mode) = if let Some(r) = full.strip_prefix("set-var-fmt") {
        (r, 2)
    } else if let Some(r) = full.strip_prefix("set-var") {
        (r, 1)
    } else {
        (&full["unset-var".len()..], 0)
    };
    let Some(inner) = rest.strip_prefix('(') else {
        return Err(format!("invalid or incomplete action '{full}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"));
    };
    let Some(inner) = inner.strip_suffix(')') else {
        return Err(format!("incomplete argument after action '{full}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"));
    };
    let mut parts = inner.split(',');
    let name = parts.next().unwrap_or("").to_string();
    let conds: Vec<String> = parts.filter(|s| !s.is_empty()).map(String::from).collect();
    if !conds.is_empty() && mode == 0 {
        return Err("unset-var does not expect parameters after the variable name. Only \"set-var\" and \"set-var-fmt\" manage conditions".into());
    }
    for cd in &conds {
        check_var_cond(cd)?;
    }
    check_var_name(&name).map_err(|e| {
        // HAProxy prints the rest of the action word from the offending character.
        match e.strip_prefix("invalid syntax at char '") {
            Some(bad) => {
                let bad = bad.trim_end_matches('\'');
                let at = full
                    .find(&format!("{bad})"))
                    .or_else(|| full.find(&format!("{bad},")));
                match at {
                    Some(p) => format!("invalid syntax at char '{}'", &full[p..]),
                    None => e,
                }
            }
            None => e,
        }
    })?;
    match mode {
        0 => Ok(Action::UnsetVar { name }),
        2 => {
            let fmt = parse_checked(
                c.arg(*cur),
                LfCtx {
                    http_mode: c.st.model.proxies[c.px].mode == crate::model::Mode::Http,
                    merge_spaces: false,
                    cap: c.where_(),
                    check_files: c.st.env.check_files,
                    lua: lua_global(c.st),
                    model: Some(&c.st.model),
                },
            )?;
            *cur += 1;
            Ok(Action::SetVarFmt { name, conds, fmt })
        }
        _ => {
            let p = c.expr(cur)?;
            if p.fetch.val & c.where_() == 0 {
                return Err(format!(
                    "fetch method '{full}' extracts information from '{}', none of which is available here",
                    kw::src_names(p.fetch.use_)
                ));
            }
            Ok(Action::SetVar {
                name,
                conds,
                expr: p.expr,
            })
        }
    }
}

fn p_set_addr(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let w = match c.rs {
        Ruleset::HttpReq => c.where_(),
        _ => c.where_(),
    };
    // HAProxy checks http-request header check points for all rulesets here.
    let hw = Ctx {
        rs: Ruleset::HttpReq,
        ..*c
    }
    .where_();
    let _ = w;
    let what = c.arg(*cur - 1).to_string();
    let p = c.expr_here(cur, hw)?;
    Ok(Action::SetAddr { what, expr: p.expr })
}

fn p_set_mark(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let a = c.arg(*cur);
    if a.is_empty() {
        return Err("expects exactly 1 argument (integer/hex value)".into());
    }
    let (digits, radix) = match a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (a, 10),
    };
    let n = digits.chars().take_while(|ch| ch.is_digit(radix)).count();
    if n != digits.len() {
        return Err(format!(
            "invalid character starting at '{}' (integer/hex value expected)",
            &digits[n..]
        ));
    }
    *cur += 1;
    Ok(Action::Other)
}

fn p_set_priority(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let class = c.arg(*cur - 1) == "set-priority-class";
    let p = sample::parse_expr(c.args, *cur, false, c.env())?;
    *cur = p.next;
    let hw = Ctx {
        rs: Ruleset::HttpReq,
        ..*c
    }
    .where_();
    if p.fetch.val & hw == 0 {
        return Err(format!(
            "fetch method '{}' extracts information from '{}', none of which is available here",
            c.arg(0),
            kw::src_names(p.fetch.use_)
        ));
    }
    Ok(Action::SetPriority {
        class,
        expr: p.expr,
    })
}

fn p_normalize_uri(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let n = c.arg(*cur);
    if n.is_empty() {
        return Err("missing argument <normalizer>".into());
    }
    *cur += 1;
    let opt = |cur: &mut usize, allowed: &[&str]| -> Result<(), String> {
        let a = c.arg(*cur);
        if a.is_empty() || c.is_cond(*cur) {
            return Ok(());
        }
        if allowed.contains(&a) {
            *cur += 1;
            Ok(())
        } else {
            Err(format!("unknown argument '{a}' for '{n}' normalizer"))
        }
    };
    match n {
        "path-strip-dotdot" => opt(cur, &["full"])?,
        "percent-to-uppercase" | "percent-decode-unreserved" => opt(cur, &["strict"])?,
        "path-merge-slashes" | "path-strip-dot" | "query-sort-by-name" | "fragment-strip"
        | "fragment-encode" => {}
        _ => return Err(format!("unknown normalizer '{n}'")),
    }
    Ok(Action::Other)
}

fn p_redirect(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let dir_res = c.rs != Ruleset::HttpReq;
    let words: Vec<&str> = c.args[*cur..].to_vec();
    let (r, used) = parse_redirect(c, &words, true, dir_res)?;
    // HAProxy parses the condition inside the redirect rule, so its errors carry the
    // rule's wording; it is only validated here and kept for the caller to attach.
    if used < words.len() {
        crate::config::expr::cond::parse_cond_info(c.st, c.px, &words[used..])
            .map_err(|m| format!("error in condition: {m}"))?;
    }
    *cur += used;
    Ok(Action::Redirect(r))
}

/// `http_parse_redirect_rule()` up to (not including) the condition; returns the rule and
/// the number of words used.
pub fn parse_redirect(
    c: &Ctx,
    w: &[&str],
    use_fmt: bool,
    dir_res: bool,
) -> Result<(Redirect, usize), String> {
    let arg = |i: usize| w.get(i).copied().unwrap_or("");
    let mut i = 0;
    let mut kind = None;
    let mut dest = "";
    let mut code = 302u16;
    let (mut drop_query, mut append_slash) = (false, false);
    let (mut set_cookie, mut clear_cookie) = (None, None);
    while !arg(i).is_empty() {
        let a = arg(i);
        let needs = matches!(
            a,
            "location" | "prefix" | "scheme" | "set-cookie" | "clear-cookie" | "code"
        );
        if needs && arg(i + 1).is_empty() {
            return Err(format!("missing argument for '{a}'"));
        }
        match a {
            "location" | "prefix" | "scheme" => {
                kind = Some(a);
                i += 1;
                dest = arg(i);
            }
            "set-cookie" => {
                i += 1;
                set_cookie = Some(arg(i).to_string());
                clear_cookie = None;
            }
            "clear-cookie" => {
                i += 1;
                clear_cookie = Some(arg(i).to_string());
                set_cookie = None;
            }
            "code" => {
                i += 1;
                let v = atol(arg(i));
                if !(301..=308).contains(&v) || (v > 303 && v < 307) {
                    return Err(format!("'code': unsupported HTTP code '{}' (must be one of 301, 302, 303, 307 or 308)", arg(i)));
                }
                code = v as u16;
            }
            "drop-query" => drop_query = true,
            "append-slash" => append_slash = true,
            "ignore-empty" => {}
            "if" | "unless" => break,
            other => {
                return Err(format!("expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '{other}')"));
            }
        }
        i += 1;
    }
    let Some(kind) = kind else {
        return Err("redirection type expected ('prefix', 'location', or 'scheme')".into());
    };
    if dir_res && kind != "location" {
        return Err("response only supports redirect type 'location'".into());
    }
    let target = if use_fmt && !(kind == "prefix" && dest == "/") {
        let cap = if dir_res {
            Ctx {
                rs: Ruleset::HttpRes,
                ..*c
            }
            .where_()
        } else {
            Ctx {
                rs: Ruleset::HttpReq,
                ..*c
            }
            .where_()
        };
        c.lf_cap(dest, cap)?
    } else {
        LogFormat {
            nodes: vec![crate::model::expr::LfNode::Text(dest.to_string())],
        }
    };
    Ok((
        Redirect {
            kind: kind.to_string(),
            target,
            code,
            drop_query,
            append_slash,
            set_cookie,
            clear_cookie,
        },
        i,
    ))
}

fn p_deny(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let tarpit = c.arg(*cur - 1) == "tarpit";
    let default_status = match (c.rs, tarpit) {
        (Ruleset::HttpReq, true) => 500,
        (Ruleset::HttpReq, false) => 403,
        _ => 502,
    };
    let a = c.arg(*cur);
    let reply = if a.is_empty() || c.is_cond(*cur) {
        parse_reply(c, &["default-errorfiles"], &mut 0, default_status)?
    } else if a == "deny_status" && (c.arg(*cur + 2).is_empty() || c.is_cond(*cur + 2)) {
        let r = parse_reply(
            c,
            &["status", c.arg(*cur + 1), "default-errorfiles"],
            &mut 0,
            default_status,
        )?;
        *cur += 2;
        r
    } else {
        let mut args: Vec<&str> = c.args.to_vec();
        if a == "deny_status" {
            args[*cur] = "status";
        }
        let sub = Ctx { args: &args, ..*c };
        parse_reply(&sub, &args, cur, default_status)?
    };
    Ok(if tarpit {
        Action::Tarpit(reply)
    } else {
        Action::Deny(reply)
    })
}

fn p_return(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    Ok(Action::Return(parse_reply(c, c.args, cur, 200)?))
}

/// HTTP status codes that have a default error file: HAProxy 2.6's `http_err_codes[]`
/// (one list for the whole crate, so that `deny_status`, `errorfile` and `http-error`
/// accept the same codes HAProxy does).
use crate::config::sections::http_errors::HTTP_ERR_CODES as ERR_CODES;

fn read_body_file(path: &str) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path).map_err(|_| format!("error opening file '{path}'"))?;
    if data.len() > 16384 {
        return Err(format!(
            "file '{path}' exceeds the buffer size ({} > 16384)",
            data.len()
        ));
    }
    Ok(data)
}

/// `http_parse_http_reply()`: `status`, `content-type`, `errorfile(s)`, `default-errorfiles`,
/// `file`, `string`, `lf-file`, `lf-string`, `hdr`.
pub fn parse_reply(
    c: &Ctx,
    args: &[&str],
    cur: &mut usize,
    default_status: u16,
) -> Result<Reply, String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let mut reply = Reply {
        status: default_status,
        ..Default::default()
    };
    let mut act_arg = "";
    let mut status: i64 = default_status as i64;
    let mut lf_src: Option<String> = None;
    let mut raw_len = 0usize;
    let mut empty = true;
    let mut i = *cur;
    while !arg(i).is_empty() {
        let a = arg(i);
        let body_kw = matches!(
            a,
            "errorfiles"
                | "default-errorfiles"
                | "errorfile"
                | "file"
                | "string"
                | "lf-file"
                | "lf-string"
        );
        if body_kw && !empty {
            return Err(format!(
                "unexpected '{a}' argument, '{act_arg}' already defined"
            ));
        }
        match a {
            "status" => {
                i += 1;
                if arg(i).is_empty() {
                    return Err(format!("'{a}' expects <status_code> as argument"));
                }
                status = atol(arg(i));
                if !(200..=599).contains(&status) {
                    return Err(format!("Unexpected status code '{}'", status as i32));
                }
                i += 1;
            }
            "content-type" => {
                i += 1;
                if arg(i).is_empty() {
                    return Err(format!("'{a}' expects <ctype> as argument"));
                }
                reply.content_type = Some(arg(i).to_string());
                i += 1;
            }
            "errorfiles" => {
                act_arg = a;
                i += 1;
                if arg(i).is_empty() {
                    return Err(format!("'{a}' expects <name> as argument"));
                }
                reply.body = ReplyBody::ErrorFiles(arg(i).to_string());
                empty = false;
                i += 1;
            }
            "default-errorfiles" => {
                act_arg = a;
                reply.body = ReplyBody::DefaultErrorFiles;
                empty = false;
                i += 1;
            }
            "errorfile" => {
                act_arg = a;
                i += 1;
                if arg(i).is_empty() {
                    return Err(format!("'{a}' expects <fmt> as argument"));
                }
                // `http_load_errorfile()`: the file must hold a usable HTTP response.
                // (Its truncation warning is not printed here: HAProxy prints it unprefixed.)
                if c.st.env.check_files {
                    let bufsize = crate::config::proxy::bufsize(c.st);
                    crate::config::proxy::check_errorfile(arg(i), bufsize, &mut |_| {})?;
                }
                reply.body = ReplyBody::ErrorFile(arg(i).to_string());
                empty = false;
                i += 1;
            }
            "file" | "string" => {
                act_arg = a;
                i += 1;
                if arg(i).is_empty() {
                    let what = if a == "file" { "<file>" } else { "<str>" };
                    return Err(format!("'{a}' expects {what} as argument"));
                }
                let data = if a == "file" {
                    if c.st.env.check_files {
                        read_body_file(arg(i))?
                    } else {
                        Vec::new()
                    }
                } else {
                    arg(i).as_bytes().to_vec()
                };
                raw_len = data.len();
                reply.body = ReplyBody::Raw(data);
                empty = false;
                i += 1;
            }
            "lf-file" | "lf-string" => {
                act_arg = a;
                i += 1;
                if arg(i).is_empty() {
                    let what = if a == "lf-file" { "<file>" } else { "<fmt>" };
                    return Err(format!("'{a}' expects {what} as argument"));
                }
                let src = if a == "lf-file" {
                    if c.st.env.check_files {
                        String::from_utf8_lossy(&read_body_file(arg(i))?).into_owned()
                    } else {
                        String::new()
                    }
                } else {
                    arg(i).to_string()
                };
                lf_src = Some(src);
                reply.body = ReplyBody::LogFormat(LogFormat::default());
                empty = false;
                i += 1;
            }
            "hdr" => {
                i += 1;
                if arg(i).is_empty() || arg(i + 1).is_empty() {
                    return Err(format!("'{a}' expects <name> and <value> as arguments"));
                }
                let name = arg(i);
                if ["content-length", "transfer-encoding", "content-type"]
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name))
                {
                    c.warn(format!("header '{name}' always ignored by the http reply."));
                } else {
                    let v = c.lf(arg(i + 1))?;
                    reply.headers.push((name.to_string(), v));
                }
                i += 2;
            }
            _ => break,
        }
    }
    reply.status = status as u16;
    let ignored_for_errorfile = |reply: &mut Reply| {
        if let Some(ct) = reply.content_type.take() {
            c.warn(format!(
                "content-type '{ct}' ignored by the http reply when used with an erorrfile."
            ));
        }
        if !reply.headers.is_empty() {
            c.warn("hdr parameters ignored by the http reply when used with an erorrfile.".into());
            reply.headers.clear();
        }
    };
    match &reply.body {
        ReplyBody::Empty => {
            if let Some(ct) = reply.content_type.take() {
                c.warn(format!("content-type '{ct}' ignored by the http reply because neither errorfile nor payload defined."));
            }
        }
        ReplyBody::ErrorFiles(_) | ReplyBody::DefaultErrorFiles => {
            if !ERR_CODES.contains(&reply.status) {
                return Err(format!(
                    "status code '{}' not handled by default with '{act_arg}' argument.",
                    reply.status
                ));
            }
            ignored_for_errorfile(&mut reply);
        }
        ReplyBody::ErrorFile(_) => ignored_for_errorfile(&mut reply),
        ReplyBody::Raw(_) => {
            if (reply.status == 204 || reply.status == 304) && raw_len > 0 {
                return Err(format!("No body expected for {} responses", reply.status));
            }
            if reply.content_type.is_none() && raw_len > 0 {
                return Err(
                    "a content type must be defined when non-empty payload is configured".into(),
                );
            }
            if raw_len == 0 {
                if let Some(ct) = reply.content_type.take() {
                    c.warn(format!("content-type '{ct}' ignored by the http reply when used with an empty payload."));
                }
            }
            // bufsize (16384) minus maxrewrite (1024) must hold the payload.
            if 16384 - raw_len.min(16384) < 1024 {
                c.warn("http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled.".into());
            }
        }
        ReplyBody::LogFormat(_) => {
            if reply.status == 204 || reply.status == 304 {
                return Err(format!("No body expected for {} responses", reply.status));
            }
            if reply.content_type.is_none() {
                return Err("a content type must be defined with a log-format payload".into());
            }
            let f = c.lf(lf_src.as_deref().unwrap_or(""))?;
            reply.body = ReplyBody::LogFormat(f);
        }
    }
    *cur = i;
    Ok(reply)
}

/// Whether an action word is final in `rs` (for "previous action is final" warnings).
pub fn is_final(rs: Ruleset, word: &str) -> bool {
    lookup(rs, word).is_some_and(|k| k.final_)
        || (matches!(
            rs,
            Ruleset::TcpCon | Ruleset::TcpSes | Ruleset::TcpCnt | Ruleset::TcpRes
        ) && matches!(word, "accept" | "reject" | "close"))
}

/// Check point set of a ruleset for condition warnings.
pub fn rs_is_req(rs: Ruleset) -> bool {
    rs.is_req()
}
