//! The `global` section keywords: a port of HAProxy 2.6's `cfg_parse_global()` (the
//! keywords it compares by name) plus the keywords other files register for `CFG_GLOBAL`
//! (in [`registered`]). Several `global` sections merge in order, as in HAProxy.

mod registered;
mod sys;

use super::values::{self, TimeError, TimeUnit};
use super::{err, Kwm, Level, Line, State};

/// The `global` keywords `cfg_parse_global()` parses by name; with the registered ones
/// ([`keywords`]) they make the section's keyword list.
pub const KEYWORDS: &[&str] = &[
    "busy-polling",
    "chroot",
    "cluster-secret",
    "cpu-map",
    "daemon",
    "description",
    "expose-experimental-directives",
    "external-check",
    "fd-hard-limit",
    "gid",
    "group",
    "h2-workaround-bogus-websocket-clients",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "localpeer",
    "log",
    "log-send-hostname",
    "log-tag",
    "master-worker",
    "max-spread-checks",
    "maxcompcpuusage",
    "maxcomprate",
    "maxconn",
    "maxconnrate",
    "maxpipes",
    "maxsessrate",
    "maxsslrate",
    "maxzlibmem",
    "node",
    "noepoll",
    "noevports",
    "nogetaddrinfo",
    "nokqueue",
    "nopoll",
    "noreuseport",
    "nosplice",
    "numa-cpu-mapping",
    "pidfile",
    "presetenv",
    "quiet",
    "resetenv",
    "server-state-base",
    "server-state-file",
    "set-dumpable",
    "setenv",
    "spread-checks",
    "ssl-server-verify",
    "strict-limits",
    "tune.buffers.limit",
    "tune.buffers.reserve",
    "tune.bufsize",
    "tune.comp.maxlevel",
    "tune.http.cookielen",
    "tune.http.logurilen",
    "tune.http.maxhdr",
    "tune.idletimer",
    "tune.maxaccept",
    "tune.maxpollevents",
    "tune.maxrewrite",
    "tune.pattern.cache-size",
    "tune.pipesize",
    "tune.rcvbuf.client",
    "tune.rcvbuf.server",
    "tune.recv_enough",
    "tune.runqueue-depth",
    "tune.sndbuf.client",
    "tune.sndbuf.server",
    "uid",
    "ulimit-n",
    "unix-bind",
    "unsetenv",
    "user",
    "zero-warning",
];

/// Every `global` keyword (for `-dK cfg` and the coverage report).
pub fn keywords() -> Vec<&'static str> {
    KEYWORDS.iter().chain(registered::NAMES).copied().collect()
}

/// HAProxy's `common_kw_list`: the words compared by name, offered as suggestions for
/// mistyped keywords together with the registered ones.
const COMMON_KW_LIST: &[&str] = &[
    "global",
    "daemon",
    "master-worker",
    "noepoll",
    "nokqueue",
    "noevports",
    "nopoll",
    "busy-polling",
    "set-dumpable",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "nosplice",
    "nogetaddrinfo",
    "noreuseport",
    "quiet",
    "zero-warning",
    "tune.runqueue-depth",
    "tune.maxpollevents",
    "tune.maxaccept",
    "tune.recv_enough",
    "tune.buffers.limit",
    "tune.buffers.reserve",
    "tune.bufsize",
    "tune.maxrewrite",
    "tune.idletimer",
    "tune.rcvbuf.client",
    "tune.rcvbuf.server",
    "tune.sndbuf.client",
    "tune.sndbuf.server",
    "tune.pipesize",
    "tune.http.cookielen",
    "tune.http.logurilen",
    "tune.http.maxhdr",
    "tune.comp.maxlevel",
    "tune.pattern.cache-size",
    "uid",
    "gid",
    "external-check",
    "user",
    "group",
    "nbproc",
    "maxconn",
    "ssl-server-verify",
    "maxconnrate",
    "maxsessrate",
    "maxsslrate",
    "maxcomprate",
    "maxpipes",
    "maxzlibmem",
    "maxcompcpuusage",
    "ulimit-n",
    "chroot",
    "description",
    "node",
    "pidfile",
    "unix-bind",
    "log",
    "log-send-hostname",
    "server-state-base",
    "server-state-file",
    "log-tag",
    "spread-checks",
    "max-spread-checks",
    "cpu-map",
    "setenv",
    "presetenv",
    "unsetenv",
    "resetenv",
    "strict-limits",
    "localpeer",
    "numa-cpu-mapping",
    "defaults",
    "listen",
    "frontend",
    "backend",
    "peers",
    "resolvers",
    "cluster-secret",
];

/// `alertif_too_many_args_idx()`: alerts and returns the bits when word `index+max+1` exists.
fn too_many_idx(st: &mut State, line: &Line, max: usize, index: usize) -> Option<u32> {
    let extra = line.arg(index + max + 1);
    if extra.is_empty() {
        return None;
    }
    let kw = (0..=index)
        .map(|i| line.arg(i))
        .collect::<Vec<_>>()
        .join(" ");
    Some(st.alert(
        line,
        format!("'{kw}' cannot handle unexpected argument '{extra}'."),
    ))
}

fn too_many(st: &mut State, line: &Line, max: usize) -> Option<u32> {
    too_many_idx(st, line, max, 0)
}

/// `too_many_args()` message for keywords that return their error text.
fn too_many_msg(line: &Line, max: usize) -> Option<String> {
    let extra = line.arg(max + 1);
    (!extra.is_empty()).then(|| {
        format!(
            "'{}' cannot handle unexpected argument '{}'.",
            line.arg(0),
            extra
        )
    })
}

/// An alert that HAProxy does not count as fatal ("already specified. Continuing.").
fn alert_soft(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    st.diag.alert_at(line.file(), line.lineno(), text);
    err::ALERT
}

/// Alert with HAProxy's `parsing [file:line]: ` prefix (no space before the colon).
fn alert_tight(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let (f, l) = (line.file().to_string(), line.lineno());
    st.diag.raw(
        Level::Alert,
        Some((&f, l)),
        format!("parsing [{f}:{l}]: {}", text.as_ref()),
    );
    err::ALERT_FATAL
}

/// Alert printed as `parsing [f:l] : <msg>\n`, keeping the blank line HAProxy prints when
/// `msg` already ends with a line feed.
fn alert_msg(st: &mut State, line: &Line, msg: &str) -> u32 {
    let mut text = msg.to_string();
    if text.ends_with('\n') {
        text.push('\n');
    }
    st.alert(line, text)
}

fn warn_msg(st: &mut State, line: &Line, msg: &str) -> u32 {
    let mut text = msg.to_string();
    if text.ends_with('\n') {
        text.push('\n');
    }
    st.warn(line, text)
}

/// glibc `atol()`: like `strtol()`, saturating on overflow.
fn c_atol(s: &str) -> i64 {
    values::strtol(s).0
}

/// `atoi()`: the `strtol()` value truncated to `int`.
fn c_atoi(s: &str) -> i32 {
    c_atol(s) as i32
}

/// The char HAProxy prints with `%c` for a parse error at byte `pos` (NUL ends the text).
fn char_at(s: &str, pos: usize) -> String {
    s[pos.min(s.len())..]
        .chars()
        .next()
        .map(String::from)
        .unwrap_or_default()
}

fn keep_other(st: &mut State, line: &Line) {
    st.model.global.other.push((
        line.arg(0).to_string(),
        line.args_from(1).iter().map(|s| s.to_string()).collect(),
        line.loc.clone(),
    ));
}

/// Parses one line of a `global` section.
pub fn parse(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0).to_string();
    let r = parse_common(st, line, &kw)
        .or_else(|| registered::parse(st, line, &kw))
        .unwrap_or_else(|| unknown(st, line, &kw));
    // Lines that alerted or only warned (e.g. a non-numeric `uid`) were not applied.
    if r == 0 && kw != "global" && kw != "log" {
        st.used(line, &used_name(line, &kw));
    }
    r
}

/// The keyword path reported as "parsed but not active yet".
fn used_name(line: &Line, kw: &str) -> String {
    if kw == "stats" {
        format!("stats {}", line.arg(1))
    } else {
        kw.to_string()
    }
}

fn unknown(st: &mut State, line: &Line, kw: &str) -> u32 {
    let mut cands: Vec<&str> = registered::NAMES.to_vec();
    cands.extend_from_slice(COMMON_KW_LIST);
    match super::suggest::best_match(kw, &cands) {
        Some(best) => st.alert(
            line,
            format!(
                "unknown keyword '{kw}' in '{}' section; did you mean '{best}' maybe ?",
                st.cursection.clone()
            ),
        ),
        None => st.alert(line, format!("unknown keyword '{kw}' in 'global' section")),
    }
}

/// The keywords `cfg_parse_global()` compares by name. `None` if `kw` is not one of them.
fn parse_common(st: &mut State, line: &Line, kw: &str) -> Option<u32> {
    let r = match kw {
        "global" => too_many(st, line, 0).unwrap_or(0),
        "expose-experimental-directives" => {
            st.model.global.expose_experimental = true;
            0
        }
        "daemon" | "noepoll" | "nokqueue" | "noevports" | "nopoll" | "busy-polling"
        | "set-dumpable" | "h2-workaround-bogus-websocket-clients" | "insecure-fork-wanted"
        | "insecure-setuid-wanted" | "nosplice" | "nogetaddrinfo" | "noreuseport" | "quiet"
        | "zero-warning" | "external-check" | "strict-limits" => flag(st, line, kw),
        "master-worker" => master_worker(st, line),
        "numa-cpu-mapping" => {
            keep_other(st, line);
            0
        }
        "tune.chksize" => alert_tight(
            st,
            line,
            format!("option '{kw}' is not supported any more (tune.bufsize is used instead)."),
        ),
        "nbproc" => st.alert(
            line,
            "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.",
        ),
        "tune.idletimer" => idletimer(st, line),
        "tune.bufsize" => bufsize(st, line),
        "tune.maxrewrite" => int_kw(st, line, false).unwrap_or_else(|v| {
            if v as i32 >= 0 {
                st.model.global.tune.maxrewrite = Some(v as i32 as u32);
                0
            } else {
                st.alert(line, format!("'{kw}' expects a positive integer argument."))
            }
        }),
        "tune.http.maxhdr" => int_kw(st, line, false).unwrap_or_else(|_| {
            let v = c_atoi(line.arg(1));
            if (1..=32767).contains(&v) {
                st.model.global.tune.http_maxhdr = Some(v as u32);
                0
            } else {
                st.alert(
                    line,
                    format!("'{kw}' expects a numeric value between 1 and 32767"),
                )
            }
        }),
        "tune.comp.maxlevel" => comp_maxlevel(st, line),
        "tune.pattern.cache-size" => {
            if !line.arg(1).is_empty() && c_atoi(line.arg(1)) >= 0 {
                keep_other(st, line);
                0
            } else {
                st.alert(line, format!("'{kw}' expects a positive numeric value"))
            }
        }
        "tune.maxaccept" => int_kw(st, line, true).unwrap_or_else(|v| {
            if v > i32::MAX as i64 {
                st.alert(
                    line,
                    format!("'{kw}' expects -1 or an integer from 0 to INT_MAX."),
                )
            } else {
                st.model.global.tune.maxaccept = Some(v);
                0
            }
        }),
        "tune.runqueue-depth" | "tune.maxpollevents" | "tune.rcvbuf.client"
        | "tune.rcvbuf.server" | "tune.sndbuf.client" | "tune.sndbuf.server" | "maxconnrate"
        | "maxsessrate" | "maxsslrate" | "maxpipes" | "fd-hard-limit" | "ulimit-n" => {
            int_kw(st, line, true).unwrap_or_else(|v| {
                store_long(st, line, kw, v);
                0
            })
        }
        "tune.recv_enough" | "tune.buffers.limit" | "tune.buffers.reserve" | "tune.pipesize"
        | "tune.http.cookielen" | "tune.http.logurilen" | "maxzlibmem" => {
            int_kw(st, line, false).unwrap_or_else(|_| {
                keep_other(st, line);
                0
            })
        }
        "maxconn" => int_kw(st, line, true).unwrap_or_else(|v| {
            st.model.global.maxconn = Some(v as i32 as u32);
            0
        }),
        "maxcomprate" => too_many(st, line, 1).unwrap_or_else(|| {
            if line.arg(1).is_empty() {
                st.alert(line, format!("'{kw}' expects an integer argument in kb/s."))
            } else {
                keep_other(st, line);
                0
            }
        }),
        "maxcompcpuusage" => too_many(st, line, 1).unwrap_or_else(|| {
            let msg = format!("'{kw}' expects an integer argument between 0 and 100.");
            if line.arg(1).is_empty() || !(0..=100).contains(&c_atoi(line.arg(1))) {
                st.alert(line, msg)
            } else {
                keep_other(st, line);
                0
            }
        }),
        "ssl-server-verify" => ssl_server_verify(st, line),
        "cluster-secret" => cluster_secret(st, line),
        "uid" | "gid" => uid_gid(st, line, kw),
        "user" | "group" => user_group(st, line, kw),
        "chroot" | "pidfile" => chroot_pidfile(st, line, kw),
        "description" => {
            if line.arg(1).is_empty() {
                alert_tight(st, line, format!("'{kw}' expects a string argument."))
            } else {
                st.model.global.description = Some(line.argv()[1..].join(" "));
                0
            }
        }
        "node" => node(st, line),
        "unix-bind" => unix_bind(st, line),
        "log" => super::log::parse_log(st, line, super::log::LogOwner::Global),
        "log-send-hostname" => log_send_hostname(st, line),
        "server-state-base" | "server-state-file" => server_state(st, line, kw),
        "log-tag" => too_many(st, line, 1).unwrap_or_else(|| {
            if line.arg(1).is_empty() {
                st.alert(line, format!("'{kw}' expects a tag for use in syslog."))
            } else {
                st.model.global.log_tag = Some(line.arg(1).to_string());
                0
            }
        }),
        "spread-checks" => spread_checks(st, line),
        "max-spread-checks" => max_spread_checks(st, line),
        "cpu-map" => registered::cpu_map(st, line),
        "setenv" | "presetenv" => setenv(st, line, kw),
        "unsetenv" => unsetenv(st, line),
        "resetenv" => resetenv(st, line),
        "localpeer" => localpeer(st, line),
        _ => return None,
    };
    Some(r)
}

/// Keywords without argument (a few accept the `no` prefix).
fn flag(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(e) = too_many(st, line, 0) {
        return e;
    }
    let g = &mut st.model.global;
    match kw {
        "daemon" => g.daemon = true,
        // From here on, warnings are not printed (HAProxy's MODE_QUIET is set while parsing).
        "quiet" => {
            g.quiet = true;
            st.diag.quiet = true;
        }
        "zero-warning" => g.zero_warning = true,
        "external-check" => g.external_check = true,
        _ => {
            let name = if line.kwm == Kwm::No {
                format!("no {kw}")
            } else {
                kw.to_string()
            };
            g.other.push((name, Vec::new(), line.loc.clone()));
        }
    }
    0
}

fn master_worker(st: &mut State, line: &Line) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    match line.arg(1) {
        "" => {}
        "no-exit-on-failure" => st.model.global.mworker_no_exit_on_failure = true,
        _ => {
            return st.alert(
                line,
                format!(
                    "'{}' only supports 'no-exit-on-failure' option.",
                    line.arg(0)
                ),
            )
        }
    }
    st.model.global.master_worker = true;
    0
}

/// Whether the value behind an "already specified" check was set to non-zero before.
fn long_slot<'a>(st: &'a mut State, kw: &str) -> Option<&'a mut Option<i64>> {
    let g = &mut st.model.global;
    Some(match kw {
        "tune.runqueue-depth" => &mut g.tune.runqueue_depth,
        "tune.maxpollevents" => &mut g.tune.maxpollevents,
        "tune.maxaccept" => &mut g.tune.maxaccept,
        "tune.rcvbuf.client" => &mut g.tune.rcvbuf_client,
        "tune.rcvbuf.server" => &mut g.tune.rcvbuf_server,
        "tune.sndbuf.client" => &mut g.tune.sndbuf_client,
        "tune.sndbuf.server" => &mut g.tune.sndbuf_server,
        "maxconnrate" => &mut g.maxconnrate,
        "maxsessrate" => &mut g.maxsessrate,
        "maxsslrate" => &mut g.maxsslrate,
        "ulimit-n" => &mut g.ulimit_n,
        "maxpipes" => &mut g.maxpipes,
        "fd-hard-limit" => &mut g.fd_hard_limit,
        _ => return None,
    })
}

fn already_set(st: &mut State, kw: &str) -> bool {
    if kw == "maxconn" {
        return st.model.global.maxconn.is_some_and(|v| v != 0);
    }
    long_slot(st, kw).is_some_and(|s| s.is_some_and(|v| v as i32 != 0))
}

fn store_long(st: &mut State, line: &Line, kw: &str, v: i64) {
    match long_slot(st, kw) {
        Some(slot) => *slot = Some(v),
        None => keep_other(st, line),
    }
}

/// The common "one integer" shape: too many args, optional "already specified", missing
/// argument. `Ok(bits)` when it already failed, `Err(atol value)` to go on.
fn int_kw(st: &mut State, line: &Line, dup_check: bool) -> Result<u32, i64> {
    let kw = line.arg(0).to_string();
    if let Some(e) = too_many(st, line, 1) {
        return Ok(e);
    }
    if dup_check && already_set(st, &kw) {
        return Ok(alert_soft(
            st,
            line,
            format!("'{kw}' already specified. Continuing."),
        ));
    }
    if line.arg(1).is_empty() {
        return Ok(st.alert(line, format!("'{kw}' expects an integer argument.")));
    }
    Err(c_atol(line.arg(1)))
}

fn bufsize(st: &mut State, line: &Line) -> u32 {
    int_kw(st, line, false).unwrap_or_else(|v| {
        // Rounded up to a two-pointer alignment, then stored in an int.
        let rounded = (v.wrapping_add(15) & -16) as i32;
        if rounded <= 0 {
            st.alert(
                line,
                format!("'{}' expects a positive integer argument.", line.arg(0)),
            )
        } else {
            st.model.global.tune.bufsize = Some(rounded as u32);
            0
        }
    })
}

fn comp_maxlevel(st: &mut State, line: &Line) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let v = c_atoi(line.arg(1));
    if line.arg(1).is_empty() || !(1..=9).contains(&v) {
        return st.alert(
            line,
            format!("'{}' expects a numeric value between 1 and 9", line.arg(0)),
        );
    }
    st.model.global.tune.comp_maxlevel = Some(v as u32);
    0
}

fn idletimer(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let range = format!("'{kw}' expects a timer value between 0 and 65535 ms.");
    if line.arg(1).is_empty() {
        return st.alert(line, range);
    }
    match values::parse_time(line.arg(1), TimeUnit::Ms) {
        Err(TimeError::Over) => alert_tight(
            st,
            line,
            format!(
                "timer overflow in argument <{}> to <{kw}>, maximum value is 65535 ms.",
                line.arg(1)
            ),
        ),
        Err(TimeError::Under) => alert_tight(
            st,
            line,
            format!(
                "timer underflow in argument <{}> to <{kw}>, minimum non-null value is 1 ms.",
                line.arg(1)
            ),
        ),
        Err(TimeError::BadChar(p)) => alert_tight(
            st,
            line,
            format!(
                "unexpected character '{}' in argument to <{kw}>.",
                char_at(line.arg(1), p)
            ),
        ),
        Ok(t) if t.value > 65535 => st.alert(line, range),
        Ok(t) => {
            st.model.global.tune.idletimer = Some(t.value);
            0
        }
    }
}

fn ssl_server_verify(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let v = match line.arg(1) {
        "" => return st.alert(line, format!("'{kw}' expects an integer argument.")),
        "none" => false,
        "required" => true,
        _ => {
            return st.alert(
                line,
                format!("'{kw}' expects 'none' or 'required' as argument."),
            )
        }
    };
    st.model.global.ssl.server_verify_required = Some(v);
    0
}

fn cluster_secret(st: &mut State, line: &Line) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    if line.arg(1).is_empty() {
        return st.alert(line, "expects an ASCII string argument.");
    }
    if st.model.global.cluster_secret.is_some() {
        return alert_soft(
            st,
            line,
            format!("'{}' already specified. Continuing.", line.arg(0)),
        );
    }
    st.model.global.cluster_secret = Some(line.arg(1).to_string());
    0
}

/// C `strl2irc()`: a whole signed decimal `int`.
fn strl2irc(s: &str) -> Option<i32> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok()
}

fn uid_gid(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let is_uid = kw == "uid";
    let cur = if is_uid {
        st.model.global.uid
    } else {
        st.model.global.gid
    };
    if cur.is_some_and(|v| v != 0) {
        let what = if is_uid { "user/uid" } else { "group/gid" };
        return alert_soft(st, line, format!("{what} already specified. Continuing."));
    }
    if line.arg(1).is_empty() {
        return st.alert(line, format!("'{kw}' expects an integer argument."));
    }
    match strl2irc(line.arg(1)) {
        Some(v) => {
            if is_uid {
                st.model.global.uid = Some(v as u32);
            } else {
                st.model.global.gid = Some(v as u32);
            }
            0
        }
        None => {
            let hint = if is_uid { "user" } else { "group" };
            st.warn(
                line,
                format!(
                    " {kw}: string '{}' is not a number.\n   | You might want to use the '{hint}' parameter to use a system {hint} name.",
                    line.arg(1)
                ),
            )
        }
    }
}

fn user_group(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let is_user = kw == "user";
    let cur = if is_user {
        st.model.global.uid
    } else {
        st.model.global.gid
    };
    if cur.is_some_and(|v| v != 0) {
        let what = if is_user {
            "user/uid already specified"
        } else {
            "gid/group was already specified"
        };
        return alert_soft(st, line, format!("{what}. Continuing."));
    }
    let name = line.arg(1);
    if !st.env.check_files {
        keep_other(st, line);
        return 0;
    }
    let found = if is_user {
        sys::user_id(name)
    } else {
        sys::group_id(name)
    };
    match found {
        Some(id) => {
            if is_user {
                st.model.global.uid = Some(id);
            } else {
                st.model.global.gid = Some(id);
            }
            0
        }
        None => st.alert(
            line,
            format!(
                "cannot find {} id for '{name}' (0:Success)",
                if is_user { "user" } else { "group" }
            ),
        ),
    }
}

fn chroot_pidfile(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let is_chroot = kw == "chroot";
    let set = if is_chroot {
        st.model.global.chroot.is_some()
    } else {
        st.model.global.pidfile.is_some()
    };
    if set {
        return alert_soft(st, line, format!("'{kw}' already specified. Continuing."));
    }
    if line.arg(1).is_empty() {
        let what = if is_chroot {
            "a directory"
        } else {
            "a file name"
        };
        return st.alert(line, format!("'{kw}' expects {what} as an argument."));
    }
    let v = Some(line.arg(1).to_string());
    if is_chroot {
        st.model.global.chroot = v;
    } else {
        st.model.global.pidfile = v;
    }
    0
}

fn node(st: &mut State, line: &Line) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let n = line.arg(1);
    let ok = !n.is_empty()
        && n.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.');
    if !ok {
        return alert_tight(
            st,
            line,
            format!(
                "'{}' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).",
                line.arg(0)
            ),
        );
    }
    st.model.global.node = Some(n.to_string());
    0
}

fn unix_bind(st: &mut State, line: &Line) -> u32 {
    let mut errc = 0;
    let mut cur = 1;
    let mut prefix_seen = st
        .model
        .global
        .other
        .iter()
        .any(|(k, a, _)| k == "unix-bind" && a.iter().any(|w| w == "prefix"));
    while !line.arg(cur).is_empty() {
        let opt = line.arg(cur);
        let val = line.arg(cur + 1);
        match opt {
            "prefix" => {
                if prefix_seen {
                    errc |= alert_soft(
                        st,
                        line,
                        format!("unix-bind '{opt}' already specified. Continuing."),
                    );
                } else if val.is_empty() {
                    return errc
                        | st.alert(
                            line,
                            format!("unix_bind '{opt}' expects a path as an argument."),
                        );
                }
                prefix_seen = true;
            }
            "mode" | "uid" | "gid" => {}
            "user" | "group" => {
                let id = if !st.env.check_files {
                    Some(0)
                } else if opt == "user" {
                    sys::user_id(val)
                } else {
                    sys::group_id(val)
                };
                if id.is_none() {
                    return errc
                        | st.alert(
                            line,
                            format!("'{}' : '{val}' unknown {opt}.", line.arg(0)),
                        );
                }
            }
            _ => {
                return errc
                    | st.alert(
                        line,
                        format!(
                            "'{}' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options.",
                            line.arg(0)
                        ),
                    )
            }
        }
        cur += 2;
    }
    keep_other(st, line);
    errc
}

fn log_send_hostname(st: &mut State, line: &Line) -> u32 {
    if st.model.global.log_send_hostname.is_some() {
        return alert_soft(
            st,
            line,
            format!("'{}' already specified. Continuing.", line.arg(0)),
        );
    }
    let name = if line.arg(1).is_empty() {
        super::hostname()
    } else {
        line.arg(1).to_string()
    };
    st.model.global.log_send_hostname = Some(name);
    0
}

fn server_state(st: &mut State, line: &Line, kw: &str) -> u32 {
    let is_base = kw == "server-state-base";
    let set = if is_base {
        st.model.global.server_state_base.is_some()
    } else {
        st.model.global.server_state_file.is_some()
    };
    if set {
        return alert_soft(st, line, format!("'{kw}' already specified. Continuing."));
    }
    if line.arg(1).is_empty() {
        let msg = if is_base {
            format!("'{kw}' expects one argument: a directory path.")
        } else {
            format!("'{kw}' expect one argument: a file path.")
        };
        // HAProxy sets only ERR_FATAL here, yet prints an alert.
        st.diag.alert_at(line.file(), line.lineno(), msg);
        return err::FATAL;
    }
    let v = Some(line.arg(1).to_string());
    if is_base {
        st.model.global.server_state_base = v;
    } else {
        st.model.global.server_state_file = v;
    }
    0
}

fn spread_checks(st: &mut State, line: &Line) -> u32 {
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    if st.model.global.spread_checks.is_some_and(|v| v != 0) {
        let (f, l) = (line.file().to_string(), line.lineno());
        st.diag.raw(
            Level::Alert,
            Some((&f, l)),
            format!("parsing [{f}:{l}]: spread-checks already specified. Continuing."),
        );
        return err::ALERT;
    }
    if line.arg(1).is_empty() {
        return alert_tight(
            st,
            line,
            format!("'{}' expects an integer argument (0..50).", line.arg(0)),
        );
    }
    let v = c_atol(line.arg(1)) as i32;
    if !(0..=50).contains(&v) {
        return alert_tight(
            st,
            line,
            "'spread-checks' needs a positive value in range 0..50.",
        );
    }
    st.model.global.spread_checks = Some(v as u32);
    0
}

fn max_spread_checks(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    let a = line.arg(1);
    if a.is_empty() {
        return alert_tight(
            st,
            line,
            format!("'{kw}' expects an integer argument (0..50)."),
        );
    }
    match values::parse_time(a, TimeUnit::Ms) {
        Err(TimeError::Over) => alert_tight(
            st,
            line,
            format!("timer overflow in argument <{a}> to <{kw}>, maximum value is 2147483647 ms (~24.8 days)."),
        ),
        Err(TimeError::Under) => alert_tight(
            st,
            line,
            format!("timer underflow in argument <{a}> to <{kw}>, minimum non-null value is 1 ms."),
        ),
        Err(TimeError::BadChar(p)) => alert_tight(
            st,
            line,
            format!(
                "unsupported character '{}' in '{kw}' (wants an integer delay).",
                char_at(a, p)
            ),
        ),
        Ok(t) => {
            st.model.global.max_spread_checks = Some(t.value);
            0
        }
    }
}

/// Why `setenv()`/`unsetenv()` would fail (`EINVAL`), checked first because Rust panics.
fn bad_env_name(name: &str) -> bool {
    name.is_empty() || name.contains('=') || name.contains('\0')
}

fn setenv(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(e) = too_many(st, line, 3) {
        return e;
    }
    if line.arg(2).is_empty() {
        return alert_tight(st, line, format!("'{kw}' expects a name and a value."));
    }
    let (name, value) = (line.arg(1), line.arg(2));
    if bad_env_name(name) || value.contains('\0') {
        return alert_tight(
            st,
            line,
            format!("'{kw}' failed on variable '{name}' : Invalid argument."),
        );
    }
    // Later lines expand "${VAR}", so the environment must change now, as in HAProxy.
    if kw == "setenv" || std::env::var_os(name).is_none() {
        std::env::set_var(name, value);
    }
    0
}

fn unsetenv(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if line.arg(1).is_empty() {
        return alert_tight(
            st,
            line,
            format!("'{kw}' expects at least one variable name."),
        );
    }
    for name in line.argv().into_iter().skip(1) {
        if bad_env_name(name) {
            return alert_tight(
                st,
                line,
                format!("'{kw}' failed on variable '{name}' : Invalid argument."),
            );
        }
        std::env::remove_var(name);
    }
    0
}

fn resetenv(_st: &mut State, line: &Line) -> u32 {
    let keep: Vec<&str> = line.argv().into_iter().skip(1).collect();
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if !keep.contains(&name.as_str()) && !bad_env_name(&name) {
            std::env::remove_var(&name);
        }
    }
    0
}

fn localpeer(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if let Some(e) = too_many(st, line, 1) {
        return e;
    }
    if line.arg(1).is_empty() {
        return st.alert(line, format!("'{kw}' expects a name as an argument."));
    }
    if !st.model.peers.is_empty() {
        return st.warn(
            line,
            format!("'{kw}' ignored since it is used after 'peers' section."),
        );
    }
    st.model.global.localpeer = Some(line.arg(1).to_string());
    if !bad_env_name(line.arg(1)) {
        std::env::set_var("HAPROXY_LOCALPEER", line.arg(1));
    }
    0
}

/// The directory relative file names are taken from while parsing `cfg_file`, per
/// `default-path` (HAProxy `chdir()`s there at the start of each file and after the
/// keyword; haproxy-rs resolves instead). `None` means the working directory.
pub fn default_path_dir(st: &State, cfg_file: &str) -> Option<std::path::PathBuf> {
    let (mode, origin) = st.model.global.default_path.as_ref()?;
    let dir = cfg_file.rfind('/').map(|i| &cfg_file[..i]).unwrap_or("");
    let base = match mode.as_str() {
        "config" => dir.to_string(),
        "parent" if dir.is_empty() => "..".to_string(),
        "parent" => format!("{dir}/.."),
        "origin" => origin.clone().unwrap_or_default(),
        _ => String::new(),
    };
    (!base.is_empty()).then(|| std::path::PathBuf::from(base))
}

/// `path` as it opens from the current `default-path`.
pub fn resolve_path(st: &State, cfg_file: &str, path: &str) -> std::path::PathBuf {
    match default_path_dir(st, cfg_file) {
        Some(base) if !path.starts_with('/') => base.join(path),
        _ => std::path::PathBuf::from(path),
    }
}

/// End of a `global` section: nothing to finalize, sections merge.
pub fn post_section(_st: &mut State) -> u32 {
    0
}

/// The checks HAProxy makes on global settings after the whole configuration was read
/// (post-parsers of the h1 mux and the HTTP client). Returns error bits.
pub fn post_check(st: &mut State) -> u32 {
    let mut errc = 0;
    let g = st.model.global.clone();
    if st.env.check_files {
        if let Some((file, _)) = &g.h1_case_adjust_file {
            match std::fs::read(file) {
                Err(_) => {
                    st.diag.alert(format!(
                        "h1-headers-case-adjust-file '{file}': failed to open file."
                    ));
                    errc |= err::ALERT_FATAL;
                }
                Ok(bytes) => match h1_case_file(&String::from_utf8_lossy(&bytes), &g) {
                    Ok(found) => st.model.global.h1_case_adjust.extend(found),
                    Err(e) => {
                        st.diag
                            .alert(format!("h1-headers-case-adjust-file '{file}' : {e}."));
                        errc |= err::ALERT_FATAL;
                    }
                },
            }
        }
    }
    if let Some((id, _)) = &g.httpclient_resolvers_id {
        if !st.model.resolvers.iter().any(|r| &r.name == id) {
            st.diag.alert(format!(
                "Proxy '<HTTPCLIENT>': Can't find resolvers section '{id}' for do-resolve action."
            ));
            errc |= err::ALERT_FATAL;
        }
    }
    if st.env.check_files {
        if let Some((file, _)) = &g.httpclient_ca_file {
            if let Err(e) = std::fs::File::open(file) {
                st.diag.alert(format!(
                    "Couldn't open the ca-file '{file}' ({}).",
                    super::reader::strerr(&e)
                ));
                st.diag.alert(format!(
                    "httpclient: cannot initialize: cannot initialize SSL verify with 'ca-file \"{file}\"'."
                ));
                errc |= err::ALERT_FATAL;
            }
        }
    }
    errc |= thread_groups_check(st, &g);
    if let Some(q) = &g.ssl.propquery {
        if !registered::propquery_satisfiable(q) {
            st.diag
                .alert("'server <HTTPCLIENT>/<HTTPSCLIENT>' : unable to allocate ssl context.");
            errc |= err::ALERT_FATAL;
        }
    }
    if st.env.check_files {
        errc |= server_state_file_check(st, &g);
    }
    errc
}

/// `thread_map_to_groups()` with a single thread group: once `thread-group 1` lists
/// threads, every thread up to `nbthread` must be among them.
fn thread_groups_check(st: &mut State, g: &crate::model::Global) -> u32 {
    if g.thread_groups_map.is_empty() {
        return 0;
    }
    let nbthread = g
        .nbthread
        .unwrap_or_else(|| st.env.ncpus.clamp(1, registered::MAX_THREADS as usize) as u32);
    let unassigned = (1..=nbthread)
        .filter(|t| !g.thread_groups_map.iter().any(|(_, ts)| ts.contains(t)))
        .count();
    if unassigned == 0 {
        return 0;
    }
    st.diag.alert(format!(
        "Remaining unassigned threads found ({unassigned}) because all groups are in use. Please increase 'thread-groups', reduce 'nbthreads' or remove or extend 'thread-group' enumerations."
    ));
    err::ALERT_FATAL
}

/// The `h1-case-adjust-file` contents: `<from> <to>` per line, `#` comments.
fn h1_case_file(text: &str, g: &crate::model::Global) -> Result<Vec<(String, String)>, String> {
    let mut seen: Vec<String> = g.h1_case_adjust.iter().map(|(f, _)| f.clone()).collect();
    let mut found = Vec::new();
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let l = raw.trim_start_matches([' ', '\t']);
        if l.is_empty() || l.starts_with(['#', '\r', '\n']) {
            continue;
        }
        let key_end = l.find([' ', '\t', '\n', '\r']).unwrap_or(l.len());
        let (from, rest) = l.split_at(key_end);
        let rest = rest.trim_start_matches([' ', '\t']);
        let to =
            rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())].trim_end_matches([' ', '\t']);
        let line = n + 1;
        if to.is_empty() {
            return Err(format!("expect <to> at line {line}"));
        }
        if !from.eq_ignore_ascii_case(to) {
            return Err(format!(
                "<from> and <to> must not differ execpt the case at line {line}"
            ));
        }
        if seen.iter().any(|s| s == from) {
            return Err(format!("duplicate entry '{from}' at line {line}"));
        }
        seen.push(from.to_string());
        found.push((from.to_string(), to.to_string()));
    }
    Ok(found)
}

/// `apply_server_state()` at start-up: the global state file must be readable.
fn server_state_file_check(st: &mut State, g: &crate::model::Global) -> u32 {
    let Some(file) = &g.server_state_file else {
        return 0;
    };
    let path = match &g.server_state_base {
        Some(base) if !file.starts_with('/') => {
            let sep = if base.ends_with('/') { "" } else { "/" };
            format!("{base}{sep}{file}")
        }
        _ => file.clone(),
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            // srv_state_get_version(): the first line is the format version, 1 only.
            let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
            let has_lf = bytes.len() > first.len();
            let first = String::from_utf8_lossy(first);
            let (v, n) = values::strtol(&first);
            if n == 0 || n != first.len() || !has_lf || v != 1 {
                st.diag.warning(format!(
                    "config: Can't get version of the global server state file '{path}'."
                ));
                return err::WARN;
            }
            0
        }
        Err(e) => {
            st.diag.warning(format!(
                "config: Can't open global server state file '{path}': {}",
                super::reader::strerr(&e)
            ));
            err::WARN
        }
    }
}

#[cfg(test)]
mod tests;
