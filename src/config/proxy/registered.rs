//! The proxy keywords HAProxy registers with `cfg_register_keywords()` (`timeout`,
//! `rate-limit`, `declare`, `retry-on`, `*tcpka-*`, `errorfile`/`errorloc*`/`errorfiles`,
//! `http-error`, `compression`, `filter`, `external-check`, `use-fcgi-app`). Each returns
//! success, a warning or an error message; `keywords::report()` prints it with HAProxy's
//! `parsing [file:line] : ` prefix.

use super::keywords::{char_at, ptime, strtol_base0, KwResult};
use super::{defaults_settings, words_from};
use crate::config::values::{atol, strtol, TimeError, TimeUnit};
use crate::config::{Line, State};
use crate::model::proxy::{Capture, Compression, ErrorDirective, Timeouts};
use crate::model::ProxyCap;

/// The HTTP status codes HAProxy can produce itself (`http_err_codes`).
pub(crate) const HTTP_ERR_CODES: &[i64] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
];

/// Which timeout a name designates and which side it needs.
fn timeout_slot<'a>(t: &'a mut Timeouts, name: &str) -> Option<(&'a mut Option<u32>, ProxyCap)> {
    let fe_be = ProxyCap::LISTEN;
    Some(match name {
        "client" => (&mut t.client, ProxyCap::FE),
        "tarpit" => (&mut t.tarpit, fe_be),
        "http-keep-alive" => (&mut t.http_keep_alive, fe_be),
        "http-request" => (&mut t.http_request, fe_be),
        "server" => (&mut t.server, ProxyCap::BE),
        "connect" => (&mut t.connect, ProxyCap::BE),
        "check" => (&mut t.check, ProxyCap::BE),
        "queue" => (&mut t.queue, ProxyCap::BE),
        "tunnel" => (&mut t.tunnel, ProxyCap::BE),
        "client-fin" => (&mut t.client_fin, ProxyCap::FE),
        "server-fin" => (&mut t.server_fin, ProxyCap::BE),
        _ => return None,
    })
}

pub(super) fn kw_timeout(st: &mut State, line: &Line, px: usize) -> KwResult {
    let off = usize::from(line.arg(0) == "timeout");
    let name = line.arg(off);
    match name {
        "clitimeout" => return Err("the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'.".into()),
        "srvtimeout" => return Err("the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'.".into()),
        "contimeout" => return Err("the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'.".into()),
        _ => {}
    }
    let mut def = defaults_settings(st, px).timeouts;
    let Some((td, cap)) = timeout_slot(&mut def, name) else {
        return Err(format!("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '{name}')"));
    };
    let td = *td;
    let val = line.arg(off + 1);
    if val.is_empty() {
        return Err(format!(
            "'timeout {name}' expects an integer value (in milliseconds)"
        ));
    }
    let v = match ptime(st, val, TimeUnit::Ms) {
        Ok(t) => t,
        Err(TimeError::Over) => return Err(format!("timer overflow in argument '{val}' to 'timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)")),
        Err(TimeError::Under) => return Err(format!("timer underflow in argument '{val}' to 'timeout {name}' (minimum non-null value is 1 ms)")),
        Err(TimeError::BadChar(p)) => return Err(format!("unexpected character '{}' in 'timeout {name}'", char_at(val, p))),
    };
    let p = &mut st.model.proxies[px];
    let (pcap, pname) = (p.cap, p.name.clone());
    let (tv, _) = timeout_slot(&mut p.settings.timeouts, name).expect("known timeout");
    let mut ret = None;
    if pcap.0 & cap.0 == 0 {
        let side = if cap.is_be() { "backend" } else { "frontend" };
        ret = Some(format!(
            "'timeout {name}' will be ignored because {} '{pname}' has no {side} capability",
            pcap.cap_str()
        ));
    } else if *tv != td {
        ret = Some(format!(
            "overwriting 'timeout {name}' which was already specified"
        ));
    }
    *tv = Some(v);
    let extra = line.arg(off + 2);
    if !extra.is_empty() {
        return Err(format!(
            "'timeout {name}' : unexpected extra argument '{extra}' after value '{val}'."
        ));
    }
    Ok(ret)
}

pub(super) fn kw_rate_limit(st: &mut State, line: &Line, px: usize) -> KwResult {
    if line.arg(1) != "sessions" {
        return Err(format!(
            "'rate-limit' only supports 'sessions' (got '{}')",
            line.arg(1)
        ));
    }
    let a = line.arg(2);
    if a.is_empty() {
        return Err(
            "'rate-limit sessions' expects expects an integer value (in sessions/second)".into(),
        );
    }
    let (v, n) = strtol_base0(a);
    if n < a.len() {
        return Err(format!(
            "'rate-limit sessions' : unexpected character '{}' in integer value '{a}'",
            char_at(a, n)
        ));
    }
    let def = defaults_settings(st, px).rate_limit_sessions;
    let p = &mut st.model.proxies[px];
    let mut ret = None;
    if !p.cap.is_fe() {
        ret = Some(format!(
            "rate-limit sessions will be ignored because {} '{}' has no frontend capability",
            p.cap.cap_str(),
            p.name
        ));
    } else if p.settings.rate_limit_sessions.unwrap_or(0) != def.unwrap_or(0) {
        ret = Some("overwriting rate-limit sessions which was already specified".into());
    }
    p.settings.rate_limit_sessions = Some(v as u32);
    Ok(ret)
}

pub(super) fn kw_max_ka_queue(st: &mut State, line: &Line, px: usize) -> KwResult {
    let a = line.arg(1);
    if a.is_empty() {
        return Err(
            "'max-keep-alive-queue' expects expects an integer value (or -1 to disable)".into(),
        );
    }
    let (v, n) = strtol_base0(a);
    if n < a.len() {
        return Err(format!(
            "'max-keep-alive-queue' : unexpected character '{}' in integer value '{a}'",
            char_at(a, n)
        ));
    }
    let p = &mut st.model.proxies[px];
    p.settings.max_keep_alive_queue = Some(v);
    if !p.cap.is_be() {
        return Ok(Some(format!(
            "max-keep-alive-queue will be ignored because {} '{}' has no backend capability",
            p.cap.cap_str(),
            p.name
        )));
    }
    Ok(None)
}

pub(super) fn kw_declare(st: &mut State, line: &Line, px: usize) -> KwResult {
    let cap = st.model.proxies[px].cap;
    if cap.is_defaults() {
        return Err("'declare' not available in default section".into());
    }
    if !cap.is_fe() {
        return Err("'declare' only available in frontend or listen section".into());
    }
    if line.arg(1).is_empty() {
        return Err(
            "'declare' needs a second keyword that specify the type of declaration ('capture')"
                .into(),
        );
    }
    if line.arg(1) != "capture" {
        return Err(format!(
            "unknown declaration type '{}' (supports 'capture')",
            line.arg(1)
        ));
    }
    let dir = line.arg(2);
    if dir != "request" && dir != "response" {
        return Err("'declare capture' requires a direction ('request' or 'response')".into());
    }
    if line.arg(3) != "len" {
        return Err("'declare capture' requires a capture length ('len')".into());
    }
    let l = line.arg(4);
    if l.is_empty() {
        return Err(
            "'declare capture': 'len' requires a numeric value that represents the capture length"
                .into(),
        );
    }
    let (v, n) = strtol(l);
    if n < l.len() {
        return Err("'declare capture': cannot parse the length 'len'.".into());
    }
    if v <= 0 {
        return Err("length must be > 0".into());
    }
    let c = Capture {
        header: None,
        len: v,
    };
    let s = &mut st.model.proxies[px].settings;
    if dir == "request" {
        s.req_captures.push(c);
    } else {
        s.rsp_captures.push(c);
    }
    Ok(None)
}

const RETRY_ON: &[&str] = &[
    "conn-failure",
    "empty-response",
    "response-timeout",
    "401",
    "403",
    "404",
    "408",
    "425",
    "500",
    "501",
    "502",
    "503",
    "504",
    "0rtt-rejected",
    "junk-response",
    "all-retryable-errors",
];

pub(super) fn kw_retry_on(st: &mut State, line: &Line, px: usize) -> KwResult {
    if line.arg(1).is_empty() {
        return Err("'retry-on' needs at least one keyword to specify when to retry".into());
    }
    if !st.model.proxies[px].cap.is_be() {
        return Err("'retry-on' only available in backend or listen section".into());
    }
    let words = words_from(line, 1);
    for (i, w) in words.iter().enumerate() {
        if w == "none" {
            if i != 0 || words.len() > 1 {
                return Err("'retry-on' 'none' keyworld only usable alone".into());
            }
        } else if !RETRY_ON.contains(&w.as_str()) {
            return Err(format!("'retry-on': unknown keyword '{w}'"));
        }
    }
    st.model.proxies[px].settings.retry_on = Some(words);
    Ok(None)
}

pub(super) fn kw_tcpka_cnt(st: &mut State, line: &Line, px: usize) -> KwResult {
    let kw = line.arg(0);
    let a = line.arg(1);
    if a.is_empty() {
        return Err(format!("'{kw}' expects an integer value"));
    }
    let (v, n) = strtol_base0(a);
    if n < a.len() {
        return Err(format!(
            "'{kw}' : unexpected character '{}' in integer value '{a}'",
            char_at(a, n)
        ));
    }
    let cli = kw.starts_with("cli");
    let p = &mut st.model.proxies[px];
    let ret = side_warning(kw, p.cap, &p.name, cli);
    if cli {
        p.settings.clitcpka_cnt = Some(v);
    } else {
        p.settings.srvtcpka_cnt = Some(v);
    }
    Ok(ret)
}

fn side_warning(kw: &str, cap: ProxyCap, name: &str, fe: bool) -> Option<String> {
    let (ok, side) = if fe {
        (cap.is_fe(), "frontend")
    } else {
        (cap.is_be(), "backend")
    };
    (!ok).then(|| {
        format!(
            "{kw} will be ignored because {} '{name}' has no {side} capability",
            cap.cap_str()
        )
    })
}

pub(super) fn kw_tcpka_time(st: &mut State, line: &Line, px: usize) -> KwResult {
    let kw = line.arg(0);
    let a = line.arg(1);
    if a.is_empty() {
        return Err(format!("'{kw}' expects an integer value"));
    }
    let v = match ptime(st, a, TimeUnit::S) {
        Ok(t) => t,
        Err(TimeError::Over) => return Err(format!("timer overflow in argument '{a}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")),
        Err(TimeError::Under) => return Err(format!("timer underflow in argument '{a}' to '{kw}' (minimum non-null value is 1 ms)")),
        Err(TimeError::BadChar(p)) => return Err(format!("unexpected character '{}' in argument to <{kw}>.\n", char_at(a, p))),
    };
    let cli = kw.starts_with("cli");
    let p = &mut st.model.proxies[px];
    let ret = side_warning(kw, p.cap, &p.name, cli);
    let s = &mut p.settings;
    match kw {
        "clitcpka-idle" => s.clitcpka_idle = Some(v),
        "srvtcpka-idle" => s.srvtcpka_idle = Some(v),
        "clitcpka-intvl" => s.clitcpka_intvl = Some(v),
        _ => s.srvtcpka_intvl = Some(v),
    }
    Ok(ret)
}

pub(super) fn kw_errorloc(st: &mut State, line: &Line, px: usize) -> KwResult {
    let kw = line.arg(0);
    if line.arg(1).is_empty() || line.arg(2).is_empty() {
        return Err(format!(
            "{kw} : expects <status_code> and <url> as arguments.\n"
        ));
    }
    let status = atol(line.arg(1));
    if !HTTP_ERR_CODES.contains(&status) {
        return Err(format!("{kw} : status code '{status}' not handled."));
    }
    let code = if kw == "errorloc303" { 303 } else { 302 };
    st.model.proxies[px].settings.errors.push((
        ErrorDirective::Loc {
            status: status as u16,
            code,
            url: line.arg(2).to_string(),
        },
        line.loc.clone(),
    ));
    Ok(None)
}

pub(super) fn kw_errorfile(st: &mut State, line: &Line, px: usize) -> KwResult {
    if line.arg(1).is_empty() || line.arg(2).is_empty() {
        return Err("errorfile : expects <status_code> and <file> as arguments.\n".into());
    }
    let status = atol(line.arg(1));
    if !HTTP_ERR_CODES.contains(&status) {
        return Err(format!("errorfile : status code '{status}' not handled."));
    }
    let path = line.arg(2);
    if st.env.check_files {
        let bufsize = super::bufsize(st);
        check_errorfile(path, bufsize, &mut |w| st.diag.warning(w))
            .map_err(|m| format!("errorfile : {m}"))?;
    }
    st.model.proxies[px].settings.errors.push((
        ErrorDirective::File {
            status: status as u16,
            path: path.to_string(),
        },
        line.loc.clone(),
    ));
    Ok(None)
}

/// `http_load_errorfile()`: the file must be readable and hold an HTTP response. At most
/// `bufsize` bytes are used (0: no limit); a longer file gives HAProxy's truncation
/// warning, passed to `warn` before any error is returned.
pub(crate) fn check_errorfile(
    path: &str,
    bufsize: usize,
    warn: &mut dyn FnMut(String),
) -> Result<(), String> {
    let md = std::fs::metadata(path).map_err(|_| format!("error opening file '{path}'."))?;
    if md.is_dir() {
        return Err(format!("error reading file '{path}'."));
    }
    let mut data = std::fs::read(path).map_err(|_| format!("error opening file '{path}'."))?;
    if bufsize > 0 && data.len() > bufsize {
        warn(format!(
            "custom error message file '{path}' larger than {bufsize} bytes. Truncating."
        ));
        data.truncate(bufsize);
    }
    http_str_check(&data).map_err(|m| format!("'{path}': {m}"))
}

/// The checks of `http_str_to_htx()` on a raw error message: one HTTP/1 response whose
/// payload matches its framing.
fn http_str_check(data: &[u8]) -> Result<(), String> {
    if data.is_empty() {
        return Ok(());
    }
    // The H1 parser's verdict on the head, with the offset HAProxy reports.
    crate::config::sections::http_errors::check_response_head(data)
        .map_err(|off| format!("unable to parse headers (error offset: {off})"))?;
    let line_end = data.iter().position(|&c| c == b'\n');
    let first = &data[..line_end.unwrap_or(data.len())];
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let mut parts = first
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|p| !p.is_empty());
    let ver = parts.next().unwrap_or(b"");
    let code = parts.next().unwrap_or(b"");
    let end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .into_iter()
        .chain(data.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .min()
        .unwrap_or(data.len());
    if ver.len() != 8 {
        return Err(format!(
            "invalid http version ({})",
            String::from_utf8_lossy(ver)
        ));
    }
    let status: u32 = std::str::from_utf8(code)
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if status < 200 && (status == 100 || status >= 102) {
        return Err(format!(
            "invalid http status code for an error message ({status})"
        ));
    }
    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
    let mut clen: Option<usize> = None;
    for h in head.lines().skip(1) {
        if let Some((n, v)) = h.split_once(':') {
            let v = v.trim();
            if n.trim() == "transfer-encoding" && v.contains("chunked") {
                return Err("chunk-encoded payload not supported".into());
            }
            if n.trim() == "content-length" {
                clen = v.parse().ok();
            }
        }
    }
    let body = data.len() - end;
    if (status == 204 || status == 304) && body > 0 {
        return Err("message payload not expected".into());
    }
    if let Some(l) = clen {
        if l != body {
            return Err(format!(
                "payload size does not match the announced content-length ({body} != {l})"
            ));
        }
    }
    Ok(())
}

pub(super) fn kw_errorfiles(st: &mut State, line: &Line, px: usize) -> KwResult {
    if line.arg(1).is_empty() {
        return Err("errorfiles : expects <name> as argument.".into());
    }
    let mut statuses = Vec::new();
    for a in line.argv().into_iter().skip(2) {
        let s = atol(a);
        if !HTTP_ERR_CODES.contains(&s) {
            return Err(format!(
                "errorfiles : status code '{}' not handled.",
                s as i32
            ));
        }
        statuses.push(s as u16);
    }
    st.model.proxies[px].settings.errors.push((
        ErrorDirective::Files {
            name: line.arg(1).to_string(),
            statuses,
        },
        line.loc.clone(),
    ));
    Ok(None)
}

pub(super) fn kw_http_error(st: &mut State, line: &Line, px: usize) -> KwResult {
    let args = words_from(line, 1);
    let (status, stop) = super::checks::parse_http_reply(st, line, px, &args)
        .map_err(|m| format!("http-error : {m}"))?;
    let Some(status) = status else {
        return Err("http-error : expects at least a <status> as arguments.\n".into());
    };
    if !HTTP_ERR_CODES.contains(&(status as i64)) {
        return Err(format!("http-error: status code '{status}' not handled."));
    }
    if let Some(k) = args.get(stop) {
        return Err(format!("http-error : unknown keyword '{k}'."));
    }
    // The reply itself, built by the rule parser (warnings were printed by the check
    // above, so the parser's own are dropped).
    let reply = {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let warns = std::cell::RefCell::new(Vec::new());
        // HAProxy parses it with request and response fetches both allowed
        // (`ARGC_HERR`); the rule parser knows one side at a time.
        [
            crate::config::rules::actions::Ruleset::HttpReq,
            crate::config::rules::actions::Ruleset::HttpRes,
        ]
        .into_iter()
        .find_map(|rs| {
            let c = crate::config::rules::actions::Ctx {
                st,
                px,
                rs,
                args: &words,
                warns: &warns,
            };
            crate::config::rules::actions::parse_reply(&c, &words, &mut 0, 0).ok()
        })
        .map(Box::new)
    };
    st.model.proxies[px].settings.errors.push((
        ErrorDirective::Reply {
            status,
            args: args.clone(),
            reply,
        },
        line.loc.clone(),
    ));
    Ok(None)
}

/// Compression algorithms of a build with libslz (Debian's 2.6: `USE_SLZ`).
const COMP_ALGOS: &[&str] = &["identity", "deflate", "raw-deflate", "gzip"];

pub(super) fn kw_compression(st: &mut State, line: &Line, px: usize) -> KwResult {
    let is_def = st.model.proxies[px].cap.is_defaults();
    let comp: &mut Compression = st.model.proxies[px]
        .settings
        .compression
        .get_or_insert_with(Default::default);
    match line.arg(1) {
        "algo" => {
            if line.arg(2).is_empty() {
                return Err(format!(
                    "parsing [{}:{}] : 'compression' expects <algorithm>.",
                    line.file(),
                    line.lineno()
                ));
            }
            for a in line.argv().into_iter().skip(2) {
                if !COMP_ALGOS.contains(&a) {
                    return Err(format!(
                        "'compression' : '{a}' is not a supported algorithm."
                    ));
                }
                comp.algos.push(a.to_string());
            }
        }
        "offload" => {
            comp.offload = true;
            if is_def {
                return Ok(Some(
                    "'compression' : 'offload' ignored in 'defaults' section.".into(),
                ));
            }
        }
        "type" => {
            if line.arg(2).is_empty() {
                return Err("'compression' expects <type>.".into());
            }
            comp.types
                .extend(line.argv().into_iter().skip(2).map(String::from));
        }
        _ => return Err("'compression' expects 'algo', 'type' or 'offload'".into()),
    }
    Ok(None)
}

/// Filter names a Debian 2.6 build registers (`flt.txt`).
const FILTERS: &[&str] = &[
    "cache",
    "compression",
    "fcgi-app",
    "opentracing",
    "spoe",
    "trace",
];

pub(super) fn kw_filter(st: &mut State, line: &Line, px: usize) -> KwResult {
    let p = &st.model.proxies[px];
    let (f, l) = (line.file(), line.lineno());
    if p.cap.is_defaults() {
        return Err(format!(
            "parsing [{f}:{l}] : filter is not allowed in a 'default' section."
        ));
    }
    let name = line.arg(1);
    if name.is_empty() {
        return Err(format!(
            "parsing [{f}:{l}] : missing argument for 'filter' in {} '{}'.",
            p.cap.cap_str(),
            p.name
        ));
    }
    if !FILTERS.contains(&name) {
        let list: String = FILTERS.iter().map(|n| format!("\n        {n}")).collect();
        return Err(format!(
            "'filter' : unknown keyword '{name}'. Registered keywords :{list}"
        ));
    }
    if name == "compression"
        && p.settings
            .filters
            .iter()
            .any(|(n, _, _)| n == "compression")
    {
        return Err(format!(
            "'filter' : '{}: Proxy supports only one compression filter\n'",
            p.name
        ));
    }
    let stop = filter_args(line, st.env.check_files).map_err(|m| format!("'filter' : '{m}'"))?;
    if !line.arg(stop).is_empty() {
        return Err(format!(
            "'filter {name}' : unknown keyword '{}'.",
            line.arg(stop)
        ));
    }
    let args = words_from(line, 2);
    st.model.proxies[px]
        .settings
        .filters
        .push((name.to_string(), args, line.loc.clone()));
    Ok(None)
}

/// Each filter's own argument parser: returns the index of the first word it did not take.
fn filter_args(line: &Line, check_files: bool) -> Result<usize, String> {
    let name = line.arg(1);
    let a = |i: usize| line.arg(i);
    match name {
        "cache" | "fcgi-app" => {
            if a(2).is_empty() {
                return Err(format!("{name} : expects a <name> argument"));
            }
            Ok(3)
        }
        "trace" => {
            let mut i = 2;
            loop {
                match a(i) {
                    "name" => {
                        if a(i + 1).is_empty() {
                            return Err("'trace' : 'name' option without value".into());
                        }
                        i += 1;
                    }
                    "quiet" | "random-parsing" | "random-forwarding" | "hexdump" => {}
                    _ => return Ok(i),
                }
                i += 1;
            }
        }
        "spoe" | "opentracing" => {
            let mut i = 2;
            let mut config = None;
            while !a(i).is_empty() {
                let k = a(i);
                let known = if name == "spoe" {
                    matches!(k, "config" | "engine")
                } else {
                    matches!(k, "config" | "id")
                };
                if !known {
                    return Err(if name == "spoe" {
                        format!("unknown keyword '{k}'")
                    } else {
                        format!("'{name}' : unknown keyword '{k}'")
                    });
                }
                if a(i + 1).is_empty() {
                    return Err(format!("'{name}' : '{k}' option without value"));
                }
                if k == "config" {
                    config = Some(a(i + 1));
                }
                i += 2;
            }
            let Some(file) = config else {
                return Err(if name == "spoe" {
                    "'spoe' : missing config file".into()
                } else {
                    "'opentracing' : no configuration file specified".into()
                });
            };
            if check_files && name == "spoe" {
                if let Err(e) = std::fs::metadata(file) {
                    return Err(format!(
                        "Could not open configuration file {file} : {}",
                        crate::config::reader::strerr(&e)
                    ));
                }
            }
            Ok(i)
        }
        _ => Ok(2),
    }
}

pub(super) fn kw_external_check(st: &mut State, line: &Line, px: usize) -> KwResult {
    let a1 = line.arg(1);
    if a1.is_empty() {
        return Err("missing argument after 'external-check'.\n".into());
    }
    if a1 != "command" && a1 != "path" {
        return Err(format!(
            "'external-check' only supports 'command' and 'path'. but got '{a1}'."
        ));
    }
    if !line.arg(3).is_empty() {
        return Err(format!(
            "'external-check' cannot handle unexpected argument '{}'.",
            line.arg(3)
        ));
    }
    if line.arg(2).is_empty() {
        return Err(format!("missing argument after '{a1}'."));
    }
    let v = Some(line.arg(2).to_string());
    let s = &mut st.model.proxies[px].settings;
    if a1 == "command" {
        s.external_check_command = v;
    } else {
        s.external_check_path = v;
    }
    Ok(None)
}

pub(super) fn kw_use_fcgi_app(st: &mut State, line: &Line, px: usize) -> KwResult {
    if !st.model.proxies[px].cap.is_be() {
        return Err("'use-fcgi-app' only available in backend or listen section".into());
    }
    let name = line.arg(1);
    if name.is_empty() {
        return Err("'use-fcgi-app' expects <name> as argument".into());
    }
    let s = &mut st.model.proxies[px].settings;
    if let Some(old) = &s.use_fcgi_app {
        if old != name {
            return Err("'use-fcgi-app' : only one fcgi-app supported per backend".into());
        }
    }
    s.use_fcgi_app = Some(name.to_string());
    Ok(None)
}
