//! `bind` lines and their options (HAProxy's `listener.c`, `cfgparse-tcp.c`,
//! `cfgparse-unix.c`, `cli.c` and `cfgparse-ssl.c` bind keywords).
//!
//! The same option parser serves `bind` in proxies and `stats socket` in `global`, which
//! only differ in how messages are framed; [`BindCtx`] carries that difference.

pub mod checks;
pub mod ssl;

use super::addr::{indent_msg, str2sa_range_info, SaAddr, SaOpts};
use super::{err, Level, Line, State};
use crate::model::bind::{Bind, ListenAddr};

/// Bind option keywords with the number of arguments they take, in HAProxy's
/// registration order (the order matters for "did you mean" ties).
/// The bind option keywords, as the candidates of "did you mean" for an unknown one.
pub fn keyword_names() -> Vec<&'static str> {
    BIND_KWS.iter().map(|(k, _)| *k).collect()
}

const BIND_KWS: &[(&str, usize)] = &[
    // listener.c "ALL"
    ("accept-netscaler-cip", 1),
    ("accept-proxy", 0),
    ("backlog", 1),
    ("id", 1),
    ("maxconn", 1),
    ("name", 1),
    ("nice", 1),
    ("process", 1),
    ("proto", 1),
    ("shards", 1),
    ("thread", 1),
    // cfgparse-tcp.c "TCP"
    ("defer-accept", 0),
    ("interface", 1),
    ("mss", 1),
    ("tcp-ut", 1),
    ("tfo", 0),
    ("transparent", 0),
    ("v4v6", 0),
    ("v6only", 0),
    ("namespace", 1),
    // cfgparse-unix.c "UNIX"
    ("gid", 1),
    ("group", 1),
    ("mode", 1),
    ("uid", 1),
    ("user", 1),
    // cli.c "STAT"
    ("level", 1),
    ("expose-fd", 1),
    ("severity-output", 1),
    // cfgparse-ssl.c "SSL"
    ("allow-0rtt", 0),
    ("alpn", 1),
    ("ca-file", 1),
    ("ca-verify-file", 1),
    ("ca-ignore-err", 1),
    ("ca-sign-file", 1),
    ("ca-sign-pass", 1),
    ("ciphers", 1),
    ("ciphersuites", 1),
    ("crl-file", 1),
    ("crt", 1),
    ("crt-ignore-err", 1),
    ("crt-list", 1),
    ("curves", 1),
    ("ecdhe", 1),
    ("force-sslv3", 0),
    ("force-tlsv10", 0),
    ("force-tlsv11", 0),
    ("force-tlsv12", 0),
    ("force-tlsv13", 0),
    ("generate-certificates", 0),
    ("no-ca-names", 0),
    ("no-sslv3", 0),
    ("no-tlsv10", 0),
    ("no-tlsv11", 0),
    ("no-tlsv12", 0),
    ("no-tlsv13", 0),
    ("no-tls-tickets", 0),
    ("ssl", 0),
    ("ssl-min-ver", 1),
    ("ssl-max-ver", 1),
    ("strict-sni", 0),
    ("tls-ticket-keys", 1),
    ("verify", 1),
    ("npn", 1),
    ("prefer-client-ciphers", 0),
];

/// Bind option keywords (for `-dK cfg` and the coverage report).
pub const KEYWORDS: &[&str] = &[
    "accept-netscaler-cip",
    "accept-proxy",
    "backlog",
    "id",
    "maxconn",
    "name",
    "nice",
    "process",
    "proto",
    "shards",
    "thread",
    "defer-accept",
    "interface",
    "mss",
    "tcp-ut",
    "tfo",
    "transparent",
    "v4v6",
    "v6only",
    "namespace",
    "gid",
    "group",
    "mode",
    "uid",
    "user",
    "level",
    "expose-fd",
    "severity-output",
    "allow-0rtt",
    "alpn",
    "ca-file",
    "ca-verify-file",
    "ca-ignore-err",
    "ca-sign-file",
    "ca-sign-pass",
    "ciphers",
    "ciphersuites",
    "crl-file",
    "crt",
    "crt-ignore-err",
    "crt-list",
    "curves",
    "ecdhe",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "generate-certificates",
    "no-ca-names",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "no-tls-tickets",
    "ssl",
    "ssl-min-ver",
    "ssl-max-ver",
    "strict-sni",
    "tls-ticket-keys",
    "verify",
    "npn",
    "prefer-client-ciphers",
];

/// HAProxy's `MAX_THREADS` in the Debian build.
const MAX_THREADS: u32 = 64;
/// HAProxy's `MAX_TGROUPS` in 2.6.
const MAX_TGROUPS: i64 = 1;

/// Where the options being parsed come from; decides how messages are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindCtx<'a> {
    /// `bind` in a proxy section named by its section keyword (`frontend`, `listen`…),
    /// with the proxy index (for listener id uniqueness).
    Proxy { section: &'a str, px: usize },
    /// `stats socket` in `global` (HAProxy's `cli.c` parser).
    StatsSocket,
}

/// Formats a message the way HAProxy's `print_message()` prints `fmt` output: one trailing
/// line feed is dropped, and an extra one is kept when the text still ends with one.
pub fn hap_text(s: &str) -> String {
    let t = s.strip_suffix('\n').unwrap_or(s);
    if t.ends_with('\n') {
        format!("{t}\n")
    } else {
        t.to_string()
    }
}

/// The address options of `bind` (HAProxy's `str2listener()` flags).
fn listener_opts(st: &State, for_cli: bool) -> SaOpts {
    SaOpts {
        port_mandatory: true,
        port_range: true,
        probe_fd: true,
        want_proto: true,
        unix_prefix_len: if for_cli { 0 } else { unix_bind_prefix_len(st) },
        ..SaOpts::resolving(&st.env)
    }
}

/// Length of `unix-bind prefix <p>` from the global section, if the global parser kept it.
fn unix_bind_prefix_len(st: &State) -> usize {
    st.model
        .global
        .other
        .iter()
        .filter(|(k, _, _)| k == "unix-bind")
        .filter_map(|(_, a, _)| {
            let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
            let start = usize::from(a.first() == Some(&"unix-bind"));
            a[start..]
                .windows(2)
                .find(|w| w[0] == "prefix")
                .map(|w| w[1].len())
        })
        .next_back()
        .unwrap_or(0)
}

/// `str2listener()`: the comma-separated addresses of a `bind` line.
pub fn parse_listen_addrs(
    st: &State,
    text: &str,
    for_cli: bool,
) -> Result<Vec<ListenAddr>, String> {
    let opts = listener_opts(st, for_cli);
    let mut out = Vec::new();
    // A trailing comma ends the list; an empty element elsewhere is an (empty) address.
    let body = text.strip_suffix(',').unwrap_or(text);
    for part in body.split(',') {
        let (r, info) = str2sa_range_info(part, &opts)?;
        out.push(match r.addr {
            SaAddr::Inet(ip) => ListenAddr::Inet {
                addr: std::net::SocketAddr::new(ip, r.port_low),
                port_end: r.port_high,
            },
            SaAddr::Unix(path) => ListenAddr::Unix { path },
            SaAddr::Abns(name) => ListenAddr::Abns { name },
            SaAddr::Fd(fd) => ListenAddr::Fd { fd },
            SaAddr::SockPair(fd) => ListenAddr::SockPair { fd },
            SaAddr::Unresolved(host) => ListenAddr::Host {
                host,
                port: r.port_low,
                port_end: r.port_high,
                family: info.family_hint,
            },
        });
    }
    Ok(out)
}

fn new_bind(line: &Line, text: &str) -> Bind {
    Bind {
        loc: line.loc.clone(),
        text: text.to_string(),
        addrs: Vec::new(),
        options: Default::default(),
    }
}

/// The capability warning HAProxy gives before parsing `bind` in a proxy without frontend
/// capability (parsing goes on). The proxy keyword parser issues it before calling
/// [`parse_bind`]; this is for callers that do not.
pub fn warn_bind_not_frontend(st: &mut State, line: &Line, px: usize) -> u32 {
    let p = &st.model.proxies[px];
    if p.cap.is_fe() || p.cap.is_defaults() {
        return 0;
    }
    let msg = format!(
        "'bind' ignored because {} '{}' has no frontend capability.",
        p.cap.type_name(),
        p.name
    );
    st.warn(line, msg)
}

/// Parses a `bind` line of proxy `px` (index in `st.model.proxies`): the address list and
/// the options. The "no frontend capability" warning is the caller's (see
/// [`warn_bind_not_frontend`]), as in HAProxy's `cfg_parse_listen()`.
pub fn parse_bind(st: &mut State, line: &Line, px: usize) -> u32 {
    let Some(p) = st.model.proxies.get(px) else {
        return 0;
    };
    let cap = p.cap;
    let mut code = 0;
    if cap.is_defaults() {
        return st.alert(line, "'bind' not allowed in 'defaults' section.");
    }
    let text = line.arg(1).to_string();
    if text.is_empty() {
        return st.alert(
            line,
            "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.",
        );
    }
    let mut bind = new_bind(line, &text);
    match parse_listen_addrs(st, &text, false) {
        Ok(a) => bind.addrs = a,
        Err(e) => {
            let e = indent_msg(&e, 2);
            return code | st.alert(line, format!("'bind' : {e}"));
        }
    }
    let section = if st.cursection.is_empty() {
        cap.type_name().to_string()
    } else {
        st.cursection.clone()
    };
    let c = parse_bind_options(
        st,
        line,
        2,
        BindCtx::Proxy {
            section: &section,
            px,
        },
        &mut bind,
    );
    code |= c;
    if c & err::FATAL == 0 {
        st.used(line, "bind");
        if let Some(p) = st.model.proxies.get_mut(px) {
            p.binds.push(bind);
        }
    }
    code
}

/// Parses `stats socket <addr> [options]` (the words start at `line.arg(0) == "stats"`),
/// returning the listener or HAProxy's error bits after reporting the message exactly
/// as `global` does ("parsing [f:l] : 'stats socket' : …").
pub fn parse_stats_socket(st: &mut State, line: &Line) -> Result<Bind, u32> {
    let text = line.arg(2).to_string();
    if text.is_empty() {
        return Err(st.alert(
            line,
            format!(
                "'{} {}' in global section expects an address or a path to a UNIX socket",
                line.arg(0),
                line.arg(1)
            ),
        ));
    }
    let mut bind = new_bind(line, &text);
    match parse_listen_addrs(st, &text, true) {
        Ok(a) => bind.addrs = a,
        Err(e) => {
            let msg = format!(
                "parsing [{}:{}] : '{} {}' : {e}\n",
                line.file(),
                line.lineno(),
                line.arg(0),
                line.arg(1)
            );
            return Err(st.alert(line, hap_text(&format!("{msg}\n"))));
        }
    }
    bind.options.level = Some("operator".into());
    let c = parse_bind_options(st, line, 3, BindCtx::StatsSocket, &mut bind);
    if c & err::FATAL != 0 {
        return Err(c);
    }
    st.used(line, "stats socket");
    Ok(bind)
}

/// Parses the bind options of `line` from word `cur_arg` on into `bind`, reporting
/// problems as HAProxy does for `ctx`. Returns HAProxy's error bits.
///
/// For `stats socket` the global parser stops at the first error: so does this.
pub fn parse_bind_options(
    st: &mut State,
    line: &Line,
    cur_arg: usize,
    ctx: BindCtx,
    bind: &mut Bind,
) -> u32 {
    let mut code = 0;
    let mut i = cur_arg;
    let head = format!("'{} {}'", line.arg(0), line.arg(1));
    while !line.arg(i).is_empty() {
        let kw = line.arg(i);
        let Some(&(_, skip)) = BIND_KWS.iter().find(|(k, _)| *k == kw) else {
            let best = super::suggest::best_match(kw, &keyword_names());
            let msg = match (ctx, best) {
                (BindCtx::Proxy { section, .. }, Some(b)) => format!(
                    "{head} in section '{section}': unknown keyword '{kw}'; did you mean '{b}' maybe ?"
                ),
                (BindCtx::Proxy { section, .. }, None) => {
                    format!("{head} in section '{section}': unknown keyword '{kw}'.")
                }
                (BindCtx::StatsSocket, Some(b)) => {
                    format!("{head} : unknown keyword '{kw}'. Did you mean '{b}' maybe ?")
                }
                (BindCtx::StatsSocket, None) => format!("{head} : unknown keyword '{kw}'."),
            };
            return code | st.alert(line, msg);
        };
        let (c, msg) = bind_option(st, line, i, bind, ctx);
        code |= c;
        if c != 0 {
            report(st, line, ctx, &head, kw, c, msg);
            if c & err::FATAL != 0 || (ctx == BindCtx::StatsSocket && c & !err::WARN != 0) {
                return code;
            }
        } else {
            st.used(line, &format!("bind {kw}"));
        }
        i += 1 + skip;
    }
    code
}

/// Prints one option's message in the frame of `ctx`.
fn report(
    st: &mut State,
    line: &Line,
    ctx: BindCtx,
    head: &str,
    kw: &str,
    c: u32,
    msg: Option<String>,
) {
    let warn_only = c & (err::WARN | err::ALERT) == err::WARN;
    match ctx {
        BindCtx::Proxy { section, .. } => {
            let text = match msg.filter(|m| !m.is_empty()) {
                Some(m) => format!("{head} in section '{section}' : {}", indent_msg(&m, 2)),
                None => format!(
                    "{head} in section '{section}' : error encountered while processing '{kw}'."
                ),
            };
            if warn_only {
                st.warn(line, text);
            } else {
                st.alert(line, text);
            }
        }
        BindCtx::StatsSocket => {
            if warn_only {
                if let Some(m) = msg.filter(|m| !m.is_empty()) {
                    st.warn(line, format!("{head} : {}", indent_msg(&m, 2)));
                }
                return;
            }
            let text = match msg.filter(|m| !m.is_empty()) {
                Some(m) => format!("{head} : '{m}'"),
                None => format!("{head} : error encountered while processing '{kw}'"),
            };
            st.alert(line, hap_text(&format!("{text}\n")));
        }
    }
}

type OptResult = (u32, Option<String>);

fn fail(msg: String) -> OptResult {
    (err::ALERT_FATAL, Some(msg))
}

/// Parses one bind option at word `i`; returns HAProxy's code and message.
fn bind_option(st: &mut State, line: &Line, i: usize, b: &mut Bind, ctx: BindCtx) -> OptResult {
    let kw = line.arg(i);
    let arg = line.arg(i + 1);
    let o = &mut b.options;
    match kw {
        "accept-proxy" => o.accept_proxy = true,
        "accept-netscaler-cip" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            let v = super::values::atol(arg) as u32;
            if v == 0 {
                return fail(format!("'{kw}' : invalid value {}, must be >= 0", v as i32));
            }
            o.accept_netscaler_cip = Some(v);
        }
        "backlog" | "maxconn" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            let v = super::values::atol(arg) as i32;
            if v < 0 {
                let must = if kw == "backlog" { "> 0" } else { ">= 0" };
                return fail(format!("'{kw}' : invalid value {v}, must be {must}"));
            }
            if kw == "backlog" {
                o.backlog = Some(v as u32);
            } else {
                o.maxconn = Some(v as u32);
            }
        }
        "id" => return bind_id(st, i, line, b, ctx),
        "name" | "interface" | "namespace" => {
            if arg.is_empty() {
                let what = match kw {
                    "name" => "name",
                    "interface" => "interface name",
                    _ => "namespace id",
                };
                return fail(format!("'{kw}' : missing {what}"));
            }
            match kw {
                "name" => o.name = Some(arg.to_string()),
                "interface" => o.interface = Some(arg.to_string()),
                _ => {
                    if !netns_exists(st, arg) {
                        bare_alert(st, format!("Cannot open namespace '{arg}'."));
                        return (err::ALERT_FATAL, None);
                    }
                    b.options.namespace = Some(arg.to_string());
                }
            }
        }
        "nice" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            let v = super::values::atol(arg) as i32;
            if !(-1024..=1024).contains(&v) {
                return fail(format!(
                    "'{kw}' : invalid value {v}, allowed range is -1024..1024"
                ));
            }
            o.nice = Some(v);
        }
        "process" => return bind_process(arg, kw, o),
        "thread" => return bind_thread(arg, o),
        "proto" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            if !matches!(arg, "h1" | "h2" | "fcgi" | "none") {
                return fail(format!("'{kw}' :  unknown MUX protocol '{arg}'"));
            }
            o.proto = Some(arg.to_string());
        }
        "shards" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            let v = if arg == "by-thread" {
                MAX_THREADS as i32
            } else {
                super::values::atol(arg) as i32
            };
            if v < 1 || v > MAX_THREADS as i32 {
                return fail(format!(
                    "'{kw}' : invalid value {v}, allowed range is 1..{MAX_THREADS} or 'by-thread'"
                ));
            }
            o.shards = Some(v as u32);
        }
        "defer-accept" => o.defer_accept = true,
        "tfo" => o.tfo = true,
        "transparent" => o.transparent = true,
        "v4v6" => o.v4v6 = true,
        "v6only" => o.v6only = true,
        "mss" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing MSS value"));
            }
            let v = super::values::atoi(arg);
            if v == 0 || v.unsigned_abs() > 65535 {
                return fail(format!(
                    "'{kw}' : expects an MSS with and absolute value between 1 and 65535"
                ));
            }
            o.mss = Some(v);
        }
        "tcp-ut" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing TCP User Timeout value"));
            }
            match super::values::parse_time(arg, super::values::TimeUnit::Ms) {
                Ok(t) => o.tcp_ut = Some(t.value),
                Err(super::values::TimeError::Over) => return fail(format!(
                    "timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)"
                )),
                Err(super::values::TimeError::Under) => return fail(format!(
                    "timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)"
                )),
                Err(_) => {
                    return fail(format!("'{kw}' : expects a positive delay in milliseconds"))
                }
            }
        }
        "mode" => {
            let (v, used) = strtol_radix(arg, 8);
            if arg.is_empty() || used != arg.len() {
                return fail(format!(
                    "'{kw}' : missing or invalid mode '{arg}' (octal integer expected)"
                ));
            }
            o.unix_mode = Some(v as u32);
        }
        "uid" | "gid" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing value"));
            }
            let v = super::values::atol(arg) as u32;
            if kw == "uid" {
                o.unix_uid = Some(v);
            } else {
                o.unix_gid = Some(v);
            }
        }
        "user" | "group" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing {kw} name"));
            }
            let db = if kw == "user" {
                "/etc/passwd"
            } else {
                "/etc/group"
            };
            match lookup_id(db, arg) {
                Some(id) if kw == "user" => o.unix_uid = Some(id),
                Some(id) => o.unix_gid = Some(id),
                None => return fail(format!("'{kw}' : unknown {kw} name '{arg}'")),
            }
        }
        "level" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing level"));
            }
            if !matches!(arg, "user" | "operator" | "admin") {
                return fail(format!(
                    "'{kw}' only supports 'user', 'operator', and 'admin' (got '{arg}')"
                ));
            }
            o.level = Some(arg.to_string());
        }
        "expose-fd" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing fd type"));
            }
            if arg != "listeners" {
                return fail(format!("'{kw}' only supports 'listeners' (got '{arg}')"));
            }
            o.expose_fd_listeners = true;
        }
        "severity-output" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing severity format"));
            }
            if !matches!(arg, "none" | "number" | "string") {
                return fail(format!(
                    "'{kw}' only supports 'none', 'number', and 'string' (got '{arg}')"
                ));
            }
            o.severity_output = Some(arg.to_string());
        }
        _ => return ssl::bind_ssl_option(st, line, i, b),
    }
    (0, None)
}

/// `id <n>`: unique per proxy, one listener only.
fn bind_id(st: &State, i: usize, line: &Line, b: &mut Bind, ctx: BindCtx) -> OptResult {
    let kw = line.arg(i);
    let arg = line.arg(i + 1);
    let n: usize = b.addrs.iter().map(|a| a.listener_count()).sum();
    if n != 1 {
        return fail(format!("'{kw}' can only be used with a single socket"));
    }
    if arg.is_empty() {
        return fail(format!("'{kw}' : expects an integer argument"));
    }
    let (v, used) = super::values::strtol(arg);
    if used != arg.len() {
        return fail(format!(
            "'{kw}' : expects an integer argument, found '{arg}'"
        ));
    }
    let v = v as i32;
    if v <= 0 {
        return fail(format!("'{kw}' : custom id has to be > 0"));
    }
    if let BindCtx::Proxy { px, .. } = ctx {
        if let Some(p) = st.model.proxies.get(px) {
            if let Some(o) = p.binds.iter().find(|o| o.options.id == Some(v as u32)) {
                return fail(format!(
                    "'{kw}' : custom id {v} already used at {}:{} ('bind {}')",
                    o.loc.file, o.loc.line, o.text
                ));
            }
        }
    }
    b.options.id = Some(v as u32);
    (0, None)
}

/// `process <set>[/<thread set>]`: deprecated in 2.6, a warning.
fn bind_process(arg: &str, kw: &str, o: &mut crate::model::bind::BindOptions) -> OptResult {
    let (procs, threads) = match arg.split_once('/') {
        Some((p, t)) => (p, Some(t)),
        None => (arg, None),
    };
    if let Err(e) = parse_process_number(procs, 1) {
        return fail(format!("'{kw}' : {e}"));
    }
    if let Some(t) = threads {
        if let Err(e) = parse_process_number(t, MAX_THREADS) {
            return fail(format!("'{kw}' : {e}"));
        }
        o.thread.push(t.to_string());
    }
    let mut msg =
        format!("'process {arg}' on 'bind' lines is deprecated and will be removed in 2.7.");
    if let Some(t) = threads {
        msg.push_str(&format!(" Please use 'thread {t}' instead."));
    }
    (err::WARN, Some(msg))
}

/// `thread [<group>/]<set>`.
fn bind_thread(arg: &str, o: &mut crate::model::bind::BindOptions) -> OptResult {
    let (g, used) = super::values::strtol(arg);
    let set = if used > 0 && arg.as_bytes().get(used) == Some(&b'/') {
        if !(1..=MAX_TGROUPS).contains(&g) {
            return fail(format!(
                "'{arg}' thread-group number must be between 1 and {MAX_TGROUPS} (was {g})"
            ));
        }
        &arg[used + 1..]
    } else {
        arg
    };
    if let Err(e) = parse_process_number(set, MAX_THREADS) {
        return fail(format!("'{set}' : {e}"));
    }
    o.thread.push(arg.to_string());
    (0, None)
}

/// `parse_process_number()`: `all`, `odd`, `even`, `N` or `N-M` within 1..max.
pub fn parse_process_number(arg: &str, max: u32) -> Result<(), String> {
    if matches!(arg, "all" | "odd" | "even") {
        return Ok(());
    }
    let mut dash = None;
    for (i, c) in arg.bytes().enumerate() {
        if c == b'-' && dash.is_none() {
            dash = Some(i);
        } else if !c.is_ascii_digit() {
            return Err(format!("'{arg}' is not a valid number/range."));
        }
    }
    let num = |s: &str| -> u64 {
        s.bytes()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u64, |a, c| (a * 10 + u64::from(c - b'0')) & 0xffff_ffff)
    };
    let mut low = num(arg);
    let mut high = low;
    if let Some(d) = dash {
        let rest = &arg[d + 1..];
        high = if rest.is_empty() {
            u64::from(max)
        } else {
            num(rest)
        };
    }
    if high < low {
        std::mem::swap(&mut low, &mut high);
    }
    if low < 1 || low > u64::from(max) || high > u64::from(max) {
        return Err(format!(
            "'{arg}' is not a valid number/range. It supports numbers from 1 to {max}.\n"
        ));
    }
    Ok(())
}

/// C `strtol(s, &end, radix)`: value and bytes consumed.
fn strtol_radix(s: &str, radix: u32) -> (i64, usize) {
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
    let start = i;
    let mut v: i64 = 0;
    while i < b.len() {
        match (b[i] as char).to_digit(radix) {
            Some(d) => {
                v = v
                    .saturating_mul(i64::from(radix))
                    .saturating_add(i64::from(d))
            }
            None => break,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    (if neg { -v } else { v }, i)
}

/// `getpwnam()`/`getgrnam()` on the local files: the numeric id of `name` in `db`.
fn lookup_id(db: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(db).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

/// `netns_store_insert()` opens `/var/run/netns/<name>`: the namespace must exist.
pub fn netns_exists(st: &State, name: &str) -> bool {
    !st.env.check_files || std::path::Path::new(&format!("/var/run/netns/{name}")).exists()
}

/// Reports a context-less alert (HAProxy's `ha_alert()` outside any parsing context).
pub(crate) fn bare_alert(st: &mut State, text: String) {
    st.diag.raw(Level::Alert, None, text);
}

#[cfg(test)]
pub(crate) mod tests;
