//! `server` / `default-server` / `server-template` lines and their options (HAProxy's
//! `server.c`, `check.c`, `cfgparse-ssl.c` and `cfgparse-tcp.c` server keywords), the
//! duplicate-name check and the start-time address resolution (`srv_init_addr()`).
//!
//! HAProxy prints server messages through its "user messages context": the first message
//! of a line is prefixed with `[file:line] : ` and, once the server object exists,
//! `'server <proxy>/<name>' : `; printing resets the context, so later messages of the same
//! line have no prefix at all. [`MsgCtx`] reproduces that.

pub mod checks;
mod options;

use super::addr::{indent_msg, str2sa_range_info, SaAddr, SaOpts};
use super::bind::hap_text;
use super::{err, Level, Line, State};
use crate::model::server::Server;

pub use options::KEYWORDS;

/// What kind of line is being parsed (HAProxy's `SRV_PARSE_*` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrvKind {
    Server,
    Default,
    Template,
}

/// HAProxy's user messages context for one server line.
pub struct MsgCtx {
    file: String,
    line: usize,
    /// `'server <px>/<id>'` once the server object is registered.
    obj: Option<String>,
    /// The context was consumed by a previous message.
    used: bool,
}

impl MsgCtx {
    fn new(line: &Line) -> Self {
        MsgCtx {
            file: line.file().to_string(),
            line: line.lineno(),
            obj: None,
            used: false,
        }
    }

    fn prefix(&mut self) -> String {
        if self.used {
            return String::new();
        }
        self.used = true;
        let mut p = format!("[{}:{}] : ", self.file, self.line);
        if let Some(o) = &self.obj {
            p.push_str(&format!("'{o}' : "));
        }
        p
    }

    /// `ha_alert(fmt)` where `text` is the formatted message (with its own line feeds).
    pub fn alert(&mut self, st: &mut State, text: &str) {
        let at = (!self.used).then(|| (self.file.clone(), self.line));
        let t = format!("{}{}", self.prefix(), hap_text(text));
        st.diag
            .raw(Level::Alert, at.as_ref().map(|(f, l)| (f.as_str(), *l)), t);
    }

    pub fn warn(&mut self, st: &mut State, text: &str) {
        let at = (!self.used).then(|| (self.file.clone(), self.line));
        let t = format!("{}{}", self.prefix(), hap_text(text));
        st.diag.raw(
            Level::Warning,
            at.as_ref().map(|(f, l)| (f.as_str(), *l)),
            t,
        );
    }
}

/// `invalid_char()` / `invalid_prefix_char()`: names allow letters, digits, `-_.:`.
fn invalid_char(name: &str, prefix: bool) -> Option<char> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':');
    if name.is_empty() && !prefix {
        return None;
    }
    name.chars().find(|c| !ok(*c))
}

/// `_srv_parse_tmpl_range()`: `<n>` means 1..n, `<a>-<b>` means a..b.
fn template_range(arg: &str) -> Option<(u32, u32)> {
    let a = super::values::atoi;
    let lo = a(arg);
    let (lo, hi) = match arg.find('-') {
        Some(d) => (lo, a(&arg[d + 1..])),
        None => (1, lo),
    };
    (lo >= 0 && hi >= lo).then_some((lo as u32, hi as u32))
}

/// `resolv_str_to_dn_label()` refuses empty labels (leading or doubled dots).
fn valid_dn(host: &str) -> bool {
    let b = host.as_bytes();
    let mut offset = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if i == offset {
                return false;
            }
            offset = i + 1;
        }
    }
    true
}

/// Parses `server`, `default-server` or `server-template` for proxy `px`.
pub fn parse_server(st: &mut State, line: &Line, px: usize) -> u32 {
    let kind = match line.arg(0) {
        "default-server" => SrvKind::Default,
        "server-template" => SrvKind::Template,
        _ => SrvKind::Server,
    };
    let Some(p) = st.model.proxies.get(px) else {
        return 0;
    };
    let (cap, pname) = (p.cap, p.name.clone());
    let mut ctx = MsgCtx::new(line);
    let kw0 = line.arg(0);
    if kind != SrvKind::Default && cap.is_defaults() {
        ctx.alert(st, &format!("'{kw0}' not allowed in 'defaults' section.\n"));
        return err::ALERT_FATAL;
    }
    if !cap.is_defaults() && !cap.is_be() {
        ctx.alert(
            st,
            &format!(
                "parsing [{}:{}] : '{kw0}' not allowed because {} '{pname}' has no backend capability.\n",
                line.file(),
                line.lineno(),
                cap.type_name()
            ),
        );
        return err::ALERT_FATAL;
    }
    let (mut srv, mut cur, tmpl) = match parse_init(st, line, px, kind, &mut ctx) {
        Ok(v) => v,
        Err(c) => return c,
    };
    if kind != SrvKind::Default {
        ctx.obj = Some(format!(
            "server {pname}/{}",
            if kind == SrvKind::Template {
                "(null)"
            } else {
                line.arg(1)
            }
        ));
    }
    // The error code of the last keyword only, as HAProxy's loop overwrites it.
    let mut code = 0;
    while !line.arg(cur).is_empty() {
        let (c, next) = options::parse_kw(st, line, cur, px, kind, &mut srv, &mut ctx);
        code = c;
        if c & err::FATAL != 0 {
            return c;
        }
        if c == 0 {
            st.used(line, &format!("server {}", line.arg(cur)));
        }
        cur = next;
    }
    if kind != SrvKind::Default {
        let c = finalize(st, &srv, &mut ctx);
        if c & err::FATAL != 0 {
            return c;
        }
    }
    st.used(line, kw0);
    store(st, px, kind, srv, tmpl);
    // HAProxy returns 0 here even when a keyword raised a non-fatal alert.
    let _ = code;
    0
}

/// `_srv_parse_init()`: arguments, name, template range, address; returns the new server
/// (a copy of `default-server`), the index of the first option and the template range.
#[allow(clippy::type_complexity)]
fn parse_init(
    st: &mut State,
    line: &Line,
    px: usize,
    kind: SrvKind,
    ctx: &mut MsgCtx,
) -> Result<(Server, usize, Option<(u32, u32)>), u32> {
    let base = st.model.proxies[px]
        .default_server
        .as_deref()
        .cloned()
        .unwrap_or_else(Server::with_defaults);
    if kind == SrvKind::Default {
        return Ok((base, 1, None));
    }
    let kw0 = line.arg(0);
    let bad = if kind == SrvKind::Template {
        if line.arg(3).is_empty() {
            ctx.alert(
                st,
                &format!("'{kw0}' expects <prefix> <nb | range> <addr>[:<port>] as arguments.\n"),
            );
            return Err(err::ALERT_FATAL);
        }
        invalid_char(line.arg(1), true)
    } else {
        if line.arg(2).is_empty() {
            ctx.alert(
                st,
                &format!("'{kw0}' expects <name> and <addr>[:<port>] as arguments.\n"),
            );
            return Err(err::ALERT_FATAL);
        }
        invalid_char(line.arg(1), false)
    };
    if let Some(c) = bad {
        let what = if kind == SrvKind::Template {
            "prefix"
        } else {
            "name"
        };
        ctx.alert(
            st,
            &format!(
                "character '{c}' is not permitted in {kw0} {what} '{}'.\n",
                line.arg(1)
            ),
        );
        return Err(err::ALERT_FATAL);
    }
    let mut cur = 2;
    let mut tmpl = None;
    if kind == SrvKind::Template {
        match template_range(line.arg(2)) {
            Some(r) => tmpl = Some(r),
            None => {
                ctx.alert(
                    st,
                    &format!("Wrong {kw0} number or range arg '{}'.\n", line.arg(2)),
                );
                return Err(err::ALERT_FATAL);
            }
        }
        cur = 3;
    }
    let pname = st.model.proxies[px].name.clone();
    ctx.obj = Some(format!(
        "server {pname}/{}",
        if kind == SrvKind::Template {
            "(null)"
        } else {
            line.arg(1)
        }
    ));
    let mut srv = base;
    srv.name = line.arg(1).to_string();
    srv.loc = line.loc.clone();
    srv.addr_text = line.arg(cur).to_string();
    set_address(st, &mut srv, line.arg(cur), ctx)?;
    Ok((srv, cur + 1, tmpl))
}

/// The server address: `str2sa_range()` with a host name kept for later resolution.
fn set_address(st: &mut State, srv: &mut Server, text: &str, ctx: &mut MsgCtx) -> Result<(), u32> {
    let opts = SaOpts {
        port_offset: true,
        fqdn: true,
        connect: true,
        ..Default::default()
    };
    let (r, info) = match str2sa_range_info(text, &opts) {
        Ok(r) => r,
        Err(e) => {
            ctx.alert(st, &format!("{e}\n"));
            return Err(err::ALERT_FATAL);
        }
    };
    srv.hostname = None;
    srv.addr = None;
    srv.unix_path = None;
    srv.sockpair_fd = None;
    srv.family_hint = info.family_hint;
    srv.port_offset = (r.port_low == 0 || r.port_high == 0).then_some(info.port);
    srv.port = srv.port_offset.is_none().then_some(info.port as u16);
    match r.addr {
        SaAddr::Inet(ip) => {
            srv.addr = Some(std::net::SocketAddr::new(
                ip,
                info.port.clamp(0, 65535) as u16,
            ))
        }
        SaAddr::Unix(p) => srv.unix_path = Some(p),
        SaAddr::Abns(p) => {
            srv.unix_path = Some(p);
            srv.abns = true;
        }
        SaAddr::SockPair(fd) => srv.sockpair_fd = Some(fd),
        SaAddr::Fd(_) => {}
        SaAddr::Unresolved(host) => {
            if !host.starts_with('_') && !valid_dn(&host) {
                ctx.alert(
                    st,
                    &format!("Can't create DNS resolution for server '{}'\n", srv.name),
                );
                return Err(err::ALERT_FATAL);
            }
            srv.hostname = Some(host);
        }
    }
    Ok(())
}

/// `_srv_parse_finalize()`: checks that need the whole line.
fn finalize(st: &mut State, srv: &Server, ctx: &mut MsgCtx) -> u32 {
    if srv.check && srv.track.is_some() {
        ctx.alert(
            st,
            "unable to enable checks and tracking at the same time!\n",
        );
        return err::ALERT_FATAL;
    }
    if srv.agent.enabled && srv.agent.port.unwrap_or(0) == 0 {
        ctx.alert(
            st,
            &format!(
                "server {} does not have agent port. Agent check has been disabled.\n",
                srv.name
            ),
        );
        return err::ALERT_FATAL;
    }
    0
}

/// Adds the parsed server to the proxy (templates expand to one server per number).
fn store(st: &mut State, px: usize, kind: SrvKind, mut srv: Server, tmpl: Option<(u32, u32)>) {
    let p = &mut st.model.proxies[px];
    match kind {
        SrvKind::Default => p.default_server = Some(Box::new(srv)),
        SrvKind::Server => p.servers.push(srv),
        SrvKind::Template => {
            let (lo, hi) = tmpl.unwrap_or((1, 1));
            let prefix = std::mem::take(&mut srv.name);
            srv.template = Some((prefix.clone(), lo, hi));
            for i in lo..=hi {
                let mut s = srv.clone();
                s.name = format!("{prefix}{i}");
                p.servers.push(s);
            }
        }
    }
}

/// The duplicate server name check of `check_config_validity()`: servers without an
/// explicit `id` must have distinct names within a proxy. Reports every conflict.
pub fn check_duplicate_names(st: &mut State) -> u32 {
    let mut code = 0;
    for px in 0..st.model.proxies.len() {
        if !st.model.proxies[px].cap.is_defaults() {
            code |= checks::check_duplicate_names_in(st, px);
        }
    }
    code
}

/// Every bind/server post-parse check in HAProxy's order, for callers that have nothing
/// to interleave: per proxy the duplicate names, the server loop and the multiplexer
/// checks, then per proxy the TLS bind preparation, then `resolvers` references (a
/// config post-parser, the end of `check_config_validity()`), then the post-server checks
/// (health check ports and protocols), which HAProxy runs even after errors. Name
/// resolution ([`resolve_addresses`]) comes after, only when all of this passed.
pub fn check_all(st: &mut State) -> u32 {
    let real: Vec<usize> = (0..st.model.proxies.len())
        .filter(|&px| !st.model.proxies[px].cap.is_defaults())
        .collect();
    let mut code = 0;
    // Disabled proxies skip the main loop of `check_config_validity()`.
    let enabled: Vec<usize> = real
        .iter()
        .copied()
        .filter(|&px| !st.model.proxies[px].disabled)
        .collect();
    for &px in &enabled {
        code |= checks::check_duplicate_names_in(st, px);
        code |= checks::check_servers_in(st, px);
        code |= super::bind::checks::check_bind_muxes(st, px);
        code |= checks::check_server_muxes(st, px);
    }
    for &px in &real {
        code |= super::bind::checks::check_bind_ssl(st, px);
    }
    code |= check_resolvers(st);
    for &px in &real {
        code |= checks::check_post_server(st, px);
    }
    code
}

/// The server part of `resolvers_finalize_config()`: every `resolvers <id>` must name a
/// resolvers section (`default` always exists, HAProxy creates it from resolv.conf).
pub fn check_resolvers(st: &mut State) -> u32 {
    let mut msgs = Vec::new();
    for p in st.model.proxies.iter().filter(|p| !p.cap.is_defaults()) {
        for s in &p.servers {
            let Some(r) = &s.resolvers else { continue };
            if r != "default" && !st.model.resolvers.iter().any(|x| &x.name == r) {
                msgs.push(format!(
                    "{} '{}', server '{}': unable to find required resolvers '{r}'",
                    p.cap.type_name(),
                    p.name,
                    s.name
                ));
            }
        }
    }
    let bad = !msgs.is_empty();
    for m in msgs {
        st.diag.alert(m);
    }
    if bad {
        err::ALERT | err::ABORT
    } else {
        0
    }
}

/// Resolves server addresses after all checks passed, as HAProxy does at start
/// ("could not resolve address"). Returns error bits; on failure it also prints HAProxy's
/// closing "Failed to initialize server(s) addr." (the caller must not add its own
/// "Fatal errors found" line).
pub fn resolve_addresses(st: &mut State) -> u32 {
    if !st.env.resolve_hosts {
        return 0;
    }
    let mut code = 0;
    let mut todo = Vec::new();
    for (pi, p) in st.model.proxies.iter().enumerate() {
        if p.cap.is_defaults() || !p.cap.is_be() || p.disabled {
            continue;
        }
        for (si, s) in p.servers.iter().enumerate() {
            if s.hostname.is_some() {
                todo.push((pi, si));
            }
        }
    }
    for (pi, si) in todo {
        code |= resolve_one(st, pi, si);
    }
    if code & err::FATAL != 0 {
        st.diag.alert("Failed to initialize server(s) addr.");
    }
    code
}

/// `srv_iterate_initaddr()` for one server.
fn resolve_one(st: &mut State, pi: usize, si: usize) -> u32 {
    let p = &st.model.proxies[pi];
    let s = &p.servers[si];
    let host = s.hostname.clone().unwrap_or_default();
    let mut methods = s.init_addr.clone();
    if methods.is_empty() {
        methods = vec!["last".into(), "libc".into()];
        if s.resolvers.is_some() {
            methods.push("none".into());
        }
    }
    // "-dr": resolution failures are silently ignored.
    if st.env.resolve_dontfail {
        methods.push("none".into());
    }
    let mut ctx = MsgCtx {
        file: s.loc.file.to_string(),
        line: s.loc.line,
        obj: Some(format!("server {}/{}", p.name, s.name)),
        used: false,
    };
    let fam = s.family_hint;
    let port = s.port.unwrap_or(0);
    let mut failed = false;
    for m in &methods {
        match m.as_str() {
            // No server state file is loaded: "last" never applies.
            "last" => {}
            "libc" => {
                if host.starts_with('_') {
                    continue;
                }
                match super::addr::resolve_host(&host, fam) {
                    Some(ip) => {
                        st.model.proxies[pi].servers[si].addr =
                            Some(std::net::SocketAddr::new(ip, port));
                        return 0;
                    }
                    None => failed = true,
                }
            }
            "none" => {
                if failed {
                    ctx.warn(
                        st,
                        &format!("could not resolve address '{host}', disabling server.\n"),
                    );
                    return err::WARN;
                }
                return 0;
            }
            ip => {
                if let Ok(ip) = ip.trim_matches(|c| c == '[' || c == ']').parse() {
                    if failed {
                        ctx.warn(
                            st,
                            &format!(
                                "could not resolve address '{host}', falling back to configured address.\n"
                            ),
                        );
                    }
                    st.model.proxies[pi].servers[si].addr =
                        Some(std::net::SocketAddr::new(ip, port));
                    return if failed { err::WARN } else { 0 };
                }
            }
        }
    }
    if failed {
        ctx.alert(st, &format!("could not resolve address '{host}'.\n"));
    } else {
        ctx.alert(
            st,
            &format!("no method found to resolve address '{host}'.\n"),
        );
    }
    err::ALERT_FATAL | if failed { err::WARN } else { 0 }
}

/// `display_parser_err()`: a keyword's message, indented, with a final dot.
fn display_parser_err(st: &mut State, ctx: &mut MsgCtx, kw: &str, code: u32, msg: Option<String>) {
    let text = match msg.filter(|m| !m.is_empty()) {
        Some(m) => format!("{}.\n", indent_msg(&m, 2)),
        None => format!("error encountered while processing '{kw}'.\n"),
    };
    if code & err::WARN != 0 && code & err::ALERT == 0 {
        ctx.warn(st, &text);
    } else {
        ctx.alert(st, &text);
    }
}

#[cfg(test)]
mod tests;
