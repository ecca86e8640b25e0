//! The `global` keywords HAProxy registers from other files (`cfg_kws` lists for
//! `CFG_GLOBAL`: ssl, lua, threads, h1/h2 muxes, vars, proxies, CLI…), as the 2.6 binary
//! exposes them. Their errors are printed by the caller as `parsing [f:l] : <msg>`.

use super::super::values::{self, TimeError, TimeUnit};
use super::super::{err, Line, State};
use super::{alert_msg, c_atoi, c_atol, char_at, keep_other, too_many_msg, warn_msg};

/// The registered global keywords, in the order `-dK cfg` lists them.
pub const NAMES: &[&str] = &[
    "ca-base",
    "close-spread-time",
    "crt-base",
    "default-path",
    "grace",
    "h1-accept-payload-with-any-method",
    "h1-case-adjust",
    "h1-case-adjust-file",
    "hard-stop-after",
    "httpclient.resolvers.id",
    "httpclient.resolvers.prefer",
    "httpclient.ssl.ca-file",
    "httpclient.ssl.verify",
    "issuers-chain-path",
    "lua-load",
    "lua-load-per-thread",
    "lua-prepend-path",
    "maxsslconn",
    "mworker-max-reloads",
    "nbthread",
    "no-memory-trimming",
    "pp2-never-send-local",
    "profiling.tasks",
    "set-var",
    "set-var-fmt",
    "ssl-default-bind-ciphers",
    "ssl-default-bind-ciphersuites",
    "ssl-default-bind-curves",
    "ssl-default-bind-options",
    "ssl-default-server-ciphers",
    "ssl-default-server-ciphersuites",
    "ssl-default-server-options",
    "ssl-dh-param-file",
    "ssl-load-extra-del-ext",
    "ssl-load-extra-files",
    "ssl-mode-async",
    "ssl-propquery",
    "ssl-provider",
    "ssl-provider-path",
    "ssl-skip-self-issued-ca",
    "stats",
    "thread-group",
    "thread-groups",
    "tune.fail-alloc",
    "tune.fd.edge-triggered",
    "tune.h2.header-table-size",
    "tune.h2.initial-window-size",
    "tune.h2.max-concurrent-streams",
    "tune.h2.max-frame-size",
    "tune.idle-pool.shared",
    "tune.listener.multi-queue",
    "tune.lua.forced-yield",
    "tune.lua.maxmem",
    "tune.lua.service-timeout",
    "tune.lua.session-timeout",
    "tune.lua.task-timeout",
    "tune.peers.max-updates-at-once",
    "tune.pool-high-fd-ratio",
    "tune.pool-low-fd-ratio",
    "tune.sched.low-latency",
    "tune.ssl.cachesize",
    "tune.ssl.capture-buffer-size",
    "tune.ssl.capture-cipherlist-size",
    "tune.ssl.default-dh-param",
    "tune.ssl.force-private-cache",
    "tune.ssl.hard-maxrecord",
    "tune.ssl.keylog",
    "tune.ssl.lifetime",
    "tune.ssl.maxrecord",
    "tune.ssl.ssl-ctx-cache-size",
    "tune.vars.check-max-size",
    "tune.vars.global-max-size",
    "tune.vars.proc-max-size",
    "tune.vars.reqres-max-size",
    "tune.vars.sess-max-size",
    "tune.vars.txn-max-size",
];

/// Keywords HAProxy flags `KWF_EXPERIMENTAL`.
const EXPERIMENTAL: &[&str] = &["tune.fd.edge-triggered"];

/// HAProxy's `MAX_THREADS` in the reference build.
pub const MAX_THREADS: i64 = 64;
/// `MAX_TGROUPS` in the reference build (thread groups are not enabled in 2.6 builds).
const MAX_TGROUPS: i64 = 1;
/// `LONGBITS`: the width of process/thread masks.
const LONGBITS: u32 = 64;
/// `ha_cpuset_size()` with glibc's `CPU_SETSIZE`.
const CPUSET_SIZE: u32 = 1024;
/// OpenSSL providers the reference system ships.
const SSL_PROVIDERS: &[&str] = &["default", "base", "legacy", "null"];

type R = Result<(), String>;

/// Parses a registered keyword; `None` if `kw` is not one.
pub fn parse(st: &mut State, line: &Line, kw: &str) -> Option<u32> {
    if !NAMES.contains(&kw) {
        return None;
    }
    if EXPERIMENTAL.contains(&kw) && !st.model.global.expose_experimental {
        return Some(st.alert(
            line,
            format!("'{kw}' directive is experimental, must be allowed via a global 'expose-experimental-directives'"),
        ));
    }
    // Keywords that print their own messages (HAProxy quirks reproduced as is).
    match kw {
        "stats" if line.arg(1) == "socket" => {
            // The bind parser frames its messages as `global` does and records the use.
            return Some(match super::super::bind::parse_stats_socket(st, line) {
                Ok(b) => {
                    st.model.global.stats_sockets.push(b);
                    0
                }
                Err(bits) => bits,
            });
        }
        "mworker-max-reloads" => return Some(mworker_max_reloads(st, line)),
        "ssl-provider" => return Some(ssl_provider(st, line)),
        "httpclient.resolvers.prefer" | "httpclient.ssl.verify" => {
            return Some(httpclient_choice(st, line, kw))
        }
        "tune.ssl.capture-cipherlist-size" => {
            let (f, l) = (line.file().to_string(), line.lineno());
            st.diag.raw(
                super::Level::Warning,
                Some((&f, l)),
                format!("parsing [{f}:{l}]: '{kw}' is deprecated and will be removed in version 2.7. Please use 'tune.ssl.capture-buffer-size' instead."),
            );
        }
        _ => {}
    }
    let r = dispatch(st, line, kw);
    Some(match r {
        Ok(()) => 0,
        Err(msg) => alert_msg(st, line, &msg),
    })
}

fn dispatch(st: &mut State, line: &Line, kw: &str) -> R {
    match kw {
        "ca-base" | "crt-base" => ca_crt_base(st, line),
        "issuers-chain-path" => issuers_chain_path(st, line),
        "maxsslconn"
        | "tune.ssl.cachesize"
        | "tune.ssl.maxrecord"
        | "tune.ssl.hard-maxrecord"
        | "tune.ssl.ssl-ctx-cache-size" => ssl_int(line).map(|v| {
            if kw == "maxsslconn" {
                st.model.global.maxsslconn = Some(v);
            } else {
                keep_other(st, line);
            }
        }),
        "tune.ssl.capture-buffer-size" | "tune.ssl.capture-cipherlist-size" => {
            ssl_int(line)?;
            let seen = st.model.global.other.iter().any(|(k, _, _)| {
                k == "tune.ssl.capture-buffer-size" || k == "tune.ssl.capture-cipherlist-size"
            });
            if seen {
                return Err(format!("'{kw}' is already configured."));
            }
            keep_other(st, line);
            Ok(())
        }
        "ssl-default-bind-options" | "ssl-default-server-options" => ssl_default_options(st, line),
        "ssl-dh-param-file" => ssl_dh_param_file(st, line),
        "ssl-mode-async" | "ssl-skip-self-issued-ca" | "ssl-load-extra-del-ext" => {
            keep_other(st, line);
            Ok(())
        }
        "ssl-propquery" => {
            let q = line.arg(1);
            if q.is_empty() {
                return Err(format!(
                    "global statement '{kw}' expects a property string as an argument."
                ));
            }
            if propquery_clauses(q).is_none() {
                // EVP_set_default_properties() failed: HAProxy prints its empty message.
                return Err("(null)".into());
            }
            st.model.global.ssl.propquery = Some(q.to_string());
            Ok(())
        }
        "ssl-provider-path" => nonempty(
            st,
            line,
            format!("global statement '{kw}' expects a directory path as an argument."),
        ),
        "tune.ssl.default-dh-param" => {
            no_extra(line, 1)?;
            if line.arg(1).is_empty() {
                return Err(format!("'{kw}' expects an integer argument."));
            }
            let v = c_atoi(line.arg(1));
            if v < 1024 {
                return Err(format!("'{kw}' expects a value >= 1024."));
            }
            st.model.global.ssl.default_dh_param = Some(v as u32);
            Ok(())
        }
        "tune.ssl.force-private-cache"
        | "h1-accept-payload-with-any-method"
        | "pp2-never-send-local"
        | "no-memory-trimming" => {
            no_extra(line, 0)?;
            keep_other(st, line);
            Ok(())
        }
        "tune.ssl.lifetime" => ssl_lifetime(st, line),
        "tune.ssl.keylog"
        | "tune.idle-pool.shared"
        | "tune.sched.low-latency"
        | "tune.listener.multi-queue"
        | "tune.fd.edge-triggered" => on_off(st, line, &["on", "off"]),
        "profiling.tasks" => on_off(st, line, &["on", "auto", "off"]),
        "ssl-default-bind-ciphers"
        | "ssl-default-server-ciphers"
        | "ssl-default-bind-ciphersuites"
        | "ssl-default-server-ciphersuites"
        | "ssl-default-bind-curves" => ssl_ciphers(st, line, kw),
        "ssl-load-extra-files" => ssl_load_extra_files(st, line),
        "default-path" => default_path(st, line),
        "stats" => stats(st, line),
        "lua-load" | "lua-load-per-thread" => lua_load(st, line, kw),
        "lua-prepend-path" => lua_prepend_path(st, line),
        "tune.lua.session-timeout" | "tune.lua.task-timeout" | "tune.lua.service-timeout" => {
            lua_timeout(st, line)
        }
        "tune.lua.forced-yield" => {
            let a = line.arg(1);
            let (_, n) = values::strtol(a);
            if n != a.len() && !(n == 0 && a.is_empty()) {
                return Err(format!("{kw}: invalid number"));
            }
            keep_other(st, line);
            Ok(())
        }
        "tune.lua.maxmem" => lua_maxmem(st, line),
        "httpclient.resolvers.id" | "httpclient.ssl.ca-file" => {
            no_extra(line, 1)?;
            let v = Some((line.arg(1).to_string(), line.loc.clone()));
            if kw == "httpclient.resolvers.id" {
                st.model.global.httpclient_resolvers_id = v;
            } else {
                st.model.global.httpclient_ca_file = v;
            }
            Ok(())
        }
        "h1-case-adjust" => h1_case_adjust(st, line),
        "h1-case-adjust-file" => {
            no_extra(line, 1)?;
            if line.arg(1).is_empty() {
                return Err(format!("'{kw}' expects <file> as argument."));
            }
            st.model.global.h1_case_adjust_file = Some((line.arg(1).to_string(), line.loc.clone()));
            Ok(())
        }
        "tune.h2.header-table-size" => int_range(st, line, 4096, 65536),
        "tune.h2.max-frame-size" => int_range(st, line, 16384, 16_777_215),
        "tune.h2.initial-window-size" | "tune.h2.max-concurrent-streams" => {
            no_extra(line, 1)?;
            if c_atoi(line.arg(1)) < 0 {
                return Err(format!("'{kw}' expects a positive numeric value."));
            }
            keep_other(st, line);
            Ok(())
        }
        "tune.fail-alloc" => {
            no_extra(line, 1)?;
            if !(0..=100).contains(&c_atoi(line.arg(1))) {
                return Err(format!("'{kw}' expects a numeric value between 0 and 100."));
            }
            keep_other(st, line);
            Ok(())
        }
        "tune.pool-high-fd-ratio" | "tune.pool-low-fd-ratio" => {
            no_extra(line, 1)?;
            let v = if line.arg(1).is_empty() {
                -1
            } else {
                c_atoi(line.arg(1))
            };
            if !(0..=100).contains(&v) {
                return Err(format!(
                    "'{kw}' expects an integer argument between 0 and 100."
                ));
            }
            keep_other(st, line);
            Ok(())
        }
        "tune.peers.max-updates-at-once" => {
            no_extra(line, 1)?;
            if c_atoi(line.arg(1)) < 1 {
                return Err(format!(
                    "'{kw}' expects an integer argument greater than 0."
                ));
            }
            keep_other(st, line);
            Ok(())
        }
        "grace" | "hard-stop-after" | "close-spread-time" => stop_timer(st, line, kw),
        "nbthread" => nbthread(st, line),
        "thread-groups" => thread_groups(st, line),
        "thread-group" => thread_group(st, line),
        "set-var" | "set-var-fmt" => set_var(st, line, kw),
        _ if kw.starts_with("tune.vars.") => {
            let a = line.arg(1);
            let (_, n) = values::strtol(a);
            if n != a.len() && !(n == 0 && a.is_empty()) {
                return Err(format!("{kw}: '{a}' is an invalid size"));
            }
            keep_other(st, line);
            Ok(())
        }
        _ => {
            keep_other(st, line);
            Ok(())
        }
    }
}

fn no_extra(line: &Line, max: usize) -> R {
    match too_many_msg(line, max) {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

fn nonempty(st: &mut State, line: &Line, msg: String) -> R {
    if line.arg(1).is_empty() {
        return Err(msg);
    }
    keep_other(st, line);
    Ok(())
}

fn on_off(st: &mut State, line: &Line, choices: &[&str]) -> R {
    no_extra(line, 1)?;
    if !choices.contains(&line.arg(1)) {
        let list = match choices.len() {
            2 => "either 'on' or 'off'".to_string(),
            _ => "either 'on', 'auto', or 'off'".to_string(),
        };
        return Err(format!(
            "'{}' expects {list} but got '{}'.",
            line.arg(0),
            line.arg(1)
        ));
    }
    keep_other(st, line);
    Ok(())
}

fn int_range(st: &mut State, line: &Line, lo: i32, hi: i32) -> R {
    no_extra(line, 1)?;
    if !(lo..=hi).contains(&c_atoi(line.arg(1))) {
        return Err(format!(
            "'{}' expects a numeric value between {lo} and {hi}.",
            line.arg(0)
        ));
    }
    keep_other(st, line);
    Ok(())
}

/// `ssl_parse_global_int()`.
fn ssl_int(line: &Line) -> Result<i32, String> {
    let kw = line.arg(0);
    no_extra(line, 1)?;
    if line.arg(1).is_empty() {
        return Err(format!("'{kw}' expects an integer argument."));
    }
    let v = c_atoi(line.arg(1));
    if v < 0 {
        return Err(format!("'{kw}' expects a positive numeric value."));
    }
    Ok(v)
}

fn ca_crt_base(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 1)?;
    let ssl = &mut st.model.global.ssl;
    let target = if kw == "ca-base" {
        &mut ssl.ca_base
    } else {
        &mut ssl.crt_base
    };
    if target.is_some() {
        return Err(format!("'{kw}' already specified."));
    }
    if line.arg(1).is_empty() {
        return Err(format!(
            "global statement '{kw}' expects a directory path as an argument."
        ));
    }
    *target = Some(line.arg(1).to_string());
    Ok(())
}

fn issuers_chain_path(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 1)?;
    let path = line.arg(1);
    let expects = format!("global statement '{kw}' expects a directory path as an argument.\n");
    if path.is_empty() {
        return Err(expects);
    }
    if st.env.check_files {
        match std::fs::metadata(super::resolve_path(st, line.file(), path)) {
            Err(_) => return Err(expects),
            Ok(m) if !m.is_dir() => {
                return Err(format!(
                    "global statement '{kw}': {path} is not a directory.\n"
                ))
            }
            Ok(_) => {}
        }
    }
    keep_other(st, line);
    Ok(())
}

/// `parse_tls_method_options()` / `parse_tls_method_minmax()` for the default options.
fn ssl_default_options(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    let bind = kw == "ssl-default-bind-options";
    if line.arg(1).is_empty() {
        return Err(format!(
            "global statement '{kw}' expects an option as an argument."
        ));
    }
    let mut i = 1;
    let mut opts = Vec::new();
    while !line.arg(i).is_empty() {
        let o = line.arg(i);
        if o == "no-tls-tickets" || (bind && o == "prefer-client-ciphers") {
            opts.push(o.to_string());
        } else if o == "ssl-min-ver" || o == "ssl-max-ver" {
            let v = line.arg(i + 1);
            if v.is_empty() {
                return Err(format!(
                    "'{o}' : missing the ssl/tls version on global statement '{kw}'."
                ));
            }
            if !["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"].contains(&v) {
                return Err(format!(
                    "'{v}' : unknown ssl/tls version on global statement '{kw}'."
                ));
            }
            opts.push(format!("{o} {v}"));
            i += 1;
        } else if tls_method_option(o) {
            opts.push(o.to_string());
        } else {
            return Err(format!("unknown option '{o}' on global statement '{kw}'."));
        }
        i += 1;
    }
    let ssl = &mut st.model.global.ssl;
    if bind {
        ssl.bind_options.extend(opts);
    } else {
        ssl.server_options.extend(opts);
    }
    Ok(())
}

/// `no-<ver>` / `force-<ver>` with a known TLS version.
fn tls_method_option(o: &str) -> bool {
    let Some((_, ver)) = o.split_once('-') else {
        return false;
    };
    ["sslv3", "tlsv10", "tlsv11", "tlsv12", "tlsv13"].contains(&ver)
        && (o.starts_with("no-") || o.starts_with("force-"))
}

fn ssl_dh_param_file(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 1)?;
    let path = line.arg(1);
    if path.is_empty() {
        return Err(format!("'{kw}' expects a file path as an argument."));
    }
    if st.env.check_files {
        // OpenSSL reads only PKCS#3 "DH PARAMETERS" here (not X9.42 ones).
        let ok = std::fs::read_to_string(super::resolve_path(st, line.file(), path))
            .map(|t| t.contains("-----BEGIN DH PARAMETERS-----"))
            .unwrap_or(false);
        if !ok {
            return Err(format!(
                "'{kw}': unable to load DH parameters from file <{path}>."
            ));
        }
    }
    st.model.global.ssl.dh_param_file = Some(path.to_string());
    Ok(())
}

fn ssl_lifetime(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 1)?;
    let a = line.arg(1);
    if a.is_empty() {
        return Err(format!(
            "'{kw}' expects ssl sessions <lifetime> in seconds as argument."
        ));
    }
    match values::parse_time(a, TimeUnit::S) {
        Err(TimeError::Over) => Err(format!("timer overflow in argument '{a}' to <{kw}> (maximum value is 2147483647 s or ~68 years).")),
        Err(TimeError::Under) => Err(format!("timer underflow in argument '{a}' to <{kw}> (minimum non-null value is 1 s).")),
        Err(TimeError::BadChar(p)) => Err(format!(
            "unexpected character '{}' in argument to <{kw}>.",
            char_at(a, p)
        )),
        Ok(_) => {
            keep_other(st, line);
            Ok(())
        }
    }
}

fn ssl_ciphers(st: &mut State, line: &Line, kw: &str) -> R {
    no_extra(line, 1)?;
    let v = line.arg(1);
    if v.is_empty() {
        return Err(if kw == "ssl-default-bind-curves" {
            format!("global statement '{kw}' expects a curves suite as an arguments.")
        } else {
            format!("global statement '{kw}' expects a cipher suite as an argument.")
        });
    }
    let ssl = &mut st.model.global.ssl;
    let slot = match kw {
        "ssl-default-bind-ciphers" => &mut ssl.bind_ciphers,
        "ssl-default-server-ciphers" => &mut ssl.server_ciphers,
        "ssl-default-bind-ciphersuites" => &mut ssl.bind_ciphersuites,
        "ssl-default-server-ciphersuites" => &mut ssl.server_ciphersuites,
        _ => &mut ssl.bind_curves,
    };
    *slot = Some(v.to_string());
    Ok(())
}

fn ssl_load_extra_files(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    let bad_arg = || {
        format!("'{kw}' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).")
    };
    let alone = || format!("'{kw}' 'none' and 'all' can be only used alone");
    if line.arg(1).is_empty() {
        return Err(bad_arg());
    }
    let mut i = 1;
    let mut any = false;
    while !line.arg(i).is_empty() {
        match line.arg(i) {
            "bundle" | "sctl" | "ocsp" | "issuer" | "key" => any = true,
            "none" | "all" => {
                if any {
                    return Err(alone());
                }
                i += 1;
                break;
            }
            _ => return Err(bad_arg()),
        }
        i += 1;
    }
    if !line.arg(i).is_empty() {
        return Err(alone());
    }
    keep_other(st, line);
    Ok(())
}

fn default_path(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    let mode = line.arg(1);
    if !["current", "config", "parent", "origin"].contains(&mode) {
        return Err(format!(
            "{} default-path mode '{mode}' for '{kw}', supported modes include 'current', 'config', 'parent', and 'origin'.",
            if mode.is_empty() { "missing" } else { "unsupported" }
        ));
    }
    let mut origin = None;
    if mode == "origin" {
        let dir = line.arg(2);
        if dir.is_empty() {
            return Err(format!("'{kw} {mode}' expects a directory as an argument."));
        }
        if st.env.check_files && !std::path::Path::new(dir).is_dir() {
            let cwd = std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "couldn't set '{kw}' to origin '{dir}': Impossible to get back to directory '{cwd}': No such file or directory."
            ));
        }
        origin = Some(dir.to_string());
    }
    // TODO: HAProxy chdir()s here so that later relative paths resolve from the new base.
    st.model.global.default_path = Some((mode.to_string(), origin));
    Ok(())
}

/// `parse_process_number()`: `all`, `odd`, `even`, `N`, `N-M`, `N-`; optional `auto:`.
fn process_number(arg: &str, max: u32, allow_auto: bool) -> Result<(u64, bool), String> {
    let (arg, auto) = match arg.strip_prefix("auto:") {
        Some(rest) if allow_auto => (rest, true),
        _ => (arg, false),
    };
    let mask = if max >= 64 { !0u64 } else { (1u64 << max) - 1 };
    let set = match arg {
        "all" => !0u64,
        "odd" => !0u64 / 3,
        "even" => (!0u64 / 3) << 1,
        _ => {
            let mut dash = None;
            for (i, c) in arg.char_indices() {
                if c == '-' && dash.is_none() {
                    dash = Some(i);
                } else if !c.is_ascii_digit() {
                    return Err(format!("'{arg}' is not a valid number/range."));
                }
            }
            let mut low = str2uic(arg);
            let mut high = match dash {
                Some(d) if d + 1 == arg.len() => max,
                Some(d) => str2uic(&arg[d + 1..]),
                None => low,
            };
            if high < low {
                std::mem::swap(&mut low, &mut high);
            }
            if low < 1 || low > max || high > max {
                return Err(format!(
                    "'{arg}' is not a valid number/range. It supports numbers from 1 to {max}.\n"
                ));
            }
            (low..=high).fold(0u64, |m, b| m | (1u64 << (b - 1)))
        }
    };
    Ok((set & mask, auto))
}

/// C `str2uic()`: leading decimal digits as an unsigned int.
fn str2uic(s: &str) -> u32 {
    s.bytes().take_while(u8::is_ascii_digit).fold(0u32, |v, c| {
        v.wrapping_mul(10).wrapping_add((c - b'0') as u32)
    })
}

/// `parse_cpu_set()` without commas: returns the CPUs selected, in increasing order.
fn cpu_set(args: &[&str]) -> Result<Vec<u32>, String> {
    let mut set = vec![false; CPUSET_SIZE as usize];
    for a in args {
        if !a.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("'{a}' is not a CPU range."));
        }
        let mut low = str2uic(a);
        let mut high = match a.find('-') {
            Some(d) if d + 1 < a.len() => str2uic(&a[d + 1..]),
            Some(_) => CPUSET_SIZE - 1,
            None => low,
        };
        if high < low {
            std::mem::swap(&mut low, &mut high);
        }
        if high >= CPUSET_SIZE {
            return Err(format!(
                "supports CPU numbers from 0 to {}.",
                CPUSET_SIZE - 1
            ));
        }
        for c in low..=high {
            set[c as usize] = true;
        }
    }
    Ok((0..CPUSET_SIZE).filter(|&c| set[c as usize]).collect())
}

/// `cpu-map [auto:]<proc>[/<thread>] <cpu-set>...`
pub fn cpu_map(st: &mut State, line: &Line) -> u32 {
    let kw = line.arg(0);
    if line.arg(1).is_empty() || line.arg(2).is_empty() {
        return st.alert(
            line,
            format!(
                "{kw} expects a process number  ('all', 'odd', 'even', a number from 1 to {LONGBITS} or a range),  followed by a list of CPU ranges with numbers from 0 to {}.",
                LONGBITS - 1
            ),
        );
    }
    let r = (|| -> Result<bool, String> {
        let (p, t) = match line.arg(1).split_once('/') {
            Some((p, t)) => (p, Some(t)),
            None => (line.arg(1), None),
        };
        let (proc, auto) = process_number(p, LONGBITS, true)?;
        let thread = match t {
            Some(t) => process_number(t, LONGBITS, false)?.0,
            None => 0,
        };
        let cpus = cpu_set(&line.argv()[2..])?;
        let n = cpus.len() as u32;
        if auto && proc.count_ones() != n && thread.count_ones() != n {
            return Err(
                "PROC/THREAD range and CPU sets must have the same size to be automatically bound"
                    .into(),
            );
        }
        let ignored = thread > 1 && proc != 1;
        if !ignored {
            st.model
                .global
                .cpu_map_sets
                .push(crate::model::global::CpuMap {
                    auto,
                    procs: proc,
                    threads: thread,
                    cpus,
                });
        }
        Ok(ignored)
    })();
    let r = r.map(|ignored| {
        if ignored {
            let (f, l) = (line.file().to_string(), line.lineno());
            st.diag.raw(
                super::Level::Diag,
                Some((&f, l)),
                format!("parsing [{f}:{l}] : cpu-map statement is considered invalid and thus ignored as it addresses multiple processes and threads at the same time. At least one of them should be 1 and only 1."),
            );
        }
    });
    match r {
        Ok(()) => {
            st.model.global.cpu_maps.push((
                line.argv()[1..].iter().map(|s| s.to_string()).collect(),
                line.loc.clone(),
            ));
            0
        }
        Err(m) => alert_msg(st, line, &format!("{kw} : {m}")),
    }
}

fn stats(st: &mut State, line: &Line) -> R {
    let (a0, a1, a2) = (line.arg(0), line.arg(1), line.arg(2));
    match a1 {
        "socket" => unreachable!("stats socket is parsed by bind::parse_stats_socket"),
        "timeout" => match values::parse_time(a2, TimeUnit::Ms) {
            Err(TimeError::Over) => Err(format!("timer overflow in argument '{a2}' to '{a0} {a1}' (maximum value is 2147483647 ms or ~24.8 days)")),
            Err(TimeError::Under) => Err(format!("timer underflow in argument '{a2}' to '{a0} {a1}' (minimum non-null value is 1 ms)")),
            Err(TimeError::BadChar(p)) => Err(format!(
                "'{a0} {a1}' : unexpected character '{}",
                char_at(a2, p)
            ) + if p < a2.len() { "'" } else { "" }),
            Ok(t) if t.value == 0 => Err(format!("'{a0} {a1}' expects a positive value")),
            Ok(t) => {
                st.model.global.stats_timeout = Some(t.value);
                Ok(())
            }
        },
        "maxconn" => {
            let v = c_atol(a2) as i32;
            if v <= 0 {
                return Err(format!("'{a0} {a1}' expects a positive value"));
            }
            st.model.global.stats_maxconn = Some(v as u32);
            Ok(())
        }
        "bind-process" => {
            for w in line.argv().into_iter().skip(2) {
                if w == "all" {
                    break;
                }
                process_number(w, 1, false).map_err(|e| format!("'{a0} {a1}' : {e}"))?;
            }
            keep_other(st, line);
            Ok(())
        }
        _ => Err(format!(
            "'{a0}' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{a1}')"
        )),
    }
}

fn lua_load(st: &mut State, line: &Line, kw: &str) -> R {
    let file = line.arg(1);
    if file.is_empty() {
        return Err(if kw == "lua-load" {
            format!("'{kw}' expects a file name as parameter.")
        } else {
            format!("'{kw}' expects a file as parameter.")
        });
    }
    if st.env.check_files {
        // luaL_loadfile()'s wording; haproxy-rs has no Lua runtime, so a readable file is
        // accepted (and reported as not active) without being compiled.
        match std::fs::File::open(super::resolve_path(st, line.file(), file)) {
            Err(e) => {
                return Err(format!(
                    "error in Lua file '{file}': cannot open {file}: {}",
                    super::super::reader::strerr(&e)
                ))
            }
            Ok(f) => {
                if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(format!(
                        "error in Lua file '{file}': cannot read {file}: Is a directory"
                    ));
                }
            }
        }
    }
    st.model
        .global
        .lua_loads
        .push((file.to_string(), kw != "lua-load", line.loc.clone()));
    Ok(())
}

fn lua_prepend_path(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 2)?;
    if line.arg(1).is_empty() {
        return Err(format!("'{kw}' expects to receive a <path> as argument"));
    }
    if !line.arg(2).is_empty() && line.arg(2) != "path" && line.arg(2) != "cpath" {
        return Err(format!(
            "'{kw}' expects <type> to either be 'path' or 'cpath'"
        ));
    }
    keep_other(st, line);
    Ok(())
}

fn lua_timeout(st: &mut State, line: &Line) -> R {
    let (kw, a) = (line.arg(0), line.arg(1));
    match values::parse_time(a, TimeUnit::Ms) {
        Err(TimeError::Over) => Err(format!("timer overflow in argument <{a}> to <{kw}> (maximum value is 2147483647 ms or ~24.8 days)")),
        Err(TimeError::Under) => Err(format!("timer underflow in argument <{a}> to <{kw}> (minimum non-null value is 1 ms)")),
        Err(TimeError::BadChar(_)) => Err(format!("{kw}: invalid timeout")),
        Ok(_) => {
            keep_other(st, line);
            Ok(())
        }
    }
}

fn lua_maxmem(st: &mut State, line: &Line) -> R {
    let (kw, a) = (line.arg(0), line.arg(1));
    if a.is_empty() {
        return Err(format!(
            "'{kw}' expects an integer argument (Lua memory size in MB)."
        ));
    }
    let (_, n) = values::strtol(a);
    if n != a.len() {
        return Err(format!(
            "{kw}: invalid number {a} (error at '{}')",
            char_at(a, n)
        ));
    }
    keep_other(st, line);
    Ok(())
}

fn h1_case_adjust(st: &mut State, line: &Line) -> R {
    let kw = line.arg(0);
    no_extra(line, 2)?;
    let (from, to) = (line.arg(1), line.arg(2));
    if from.is_empty() || to.is_empty() {
        return Err(format!("'{kw}' expects <from> and <to> as argument."));
    }
    if !from.eq_ignore_ascii_case(to) {
        return Err("<from> and <to> must not differ execpt the case".into());
    }
    let map = &mut st.model.global.h1_case_adjust;
    if map.iter().any(|(f, _)| f == from) {
        return Err(format!("duplicate entry '{from}'"));
    }
    map.push((from.to_string(), to.to_string()));
    Ok(())
}

fn stop_timer(st: &mut State, line: &Line, kw: &str) -> R {
    let a = line.arg(1);
    if a.is_empty() {
        return Err(format!("'{kw}' expects <time> as argument.\n"));
    }
    if kw == "close-spread-time" && a == "infinite" {
        st.model.global.close_spread_time = Some(None);
        return Ok(());
    }
    let t = match values::parse_time(a, TimeUnit::Ms) {
        Err(TimeError::Over) => return Err(format!("timer overflow in argument '{a}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")),
        Err(TimeError::Under) => return Err(format!("timer underflow in argument '{a}' to '{kw}' (minimum non-null value is 1 ms)")),
        Err(TimeError::BadChar(p)) => {
            return Err(format!(
                "unexpected character '{}' in argument to <{kw}>.\n",
                char_at(a, p)
            ))
        }
        Ok(t) => t.value,
    };
    let g = &mut st.model.global;
    match kw {
        "grace" => g.grace = Some(t),
        "hard-stop-after" => g.hard_stop_after = Some(t),
        _ => g.close_spread_time = Some(Some(t)),
    }
    Ok(())
}

/// The `-dD` note HAProxy gives when a keyword is set twice.
fn diag_overridden(st: &mut State, line: &Line) {
    let (f, l) = (line.file().to_string(), line.lineno());
    st.diag.raw(
        super::Level::Diag,
        Some((&f, l)),
        format!(
            "parsing [{f}:{l}] : '{}' is already defined and will be overridden.",
            line.arg(0)
        ),
    );
}

/// `strtol()` of a whole word; `None` when empty or with trailing garbage.
fn whole_long(s: &str) -> Option<i64> {
    let (v, n) = values::strtol(s);
    (!s.is_empty() && n == s.len()).then_some(v)
}

fn nbthread(st: &mut State, line: &Line) -> R {
    let (kw, a) = (line.arg(0), line.arg(1));
    no_extra(line, 1)?;
    let Some(n) = whole_long(a) else {
        return Err(format!(
            "'{kw}' passed a missing or unparsable integer value in '{a}'"
        ));
    };
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(format!(
            "'{kw}' value must be between 1 and {MAX_THREADS} (was {n})"
        ));
    }
    if st.model.global.nbthread.is_some() {
        diag_overridden(st, line);
    }
    st.model.global.nbthread = Some(n as u32);
    Ok(())
}

fn thread_groups(st: &mut State, line: &Line) -> R {
    let (kw, a) = (line.arg(0), line.arg(1));
    no_extra(line, 1)?;
    let Some(n) = whole_long(a) else {
        return Err(format!(
            "'{kw}' passed a missing or unparsable integer value in '{a}'"
        ));
    };
    if !(1..=MAX_TGROUPS).contains(&n) {
        return Err(format!(
            "'{kw}' value must be between 1 and {MAX_TGROUPS} (was {n})"
        ));
    }
    if st.model.global.other.iter().any(|(k, _, _)| k == kw) {
        diag_overridden(st, line);
    }
    keep_other(st, line);
    Ok(())
}

fn thread_group(st: &mut State, line: &Line) -> R {
    let (kw, a) = (line.arg(0), line.arg(1));
    let Some(g) = whole_long(a) else {
        return Err(format!(
            "'{kw}' passed a missing or unparsable integer value in '{a}'"
        ));
    };
    if !(1..=MAX_TGROUPS).contains(&g) {
        return Err(format!(
            "'{kw}' thread-group number must be between 1 and {MAX_TGROUPS} (was {g})"
        ));
    }
    if st
        .model
        .global
        .thread_groups_map
        .iter()
        .any(|(n, _)| *n as i64 == g)
    {
        st.warn(
            line,
            format!("'{kw} {g}' was already defined and will be overridden."),
        );
        st.model
            .global
            .thread_groups_map
            .retain(|(n, _)| *n as i64 != g);
    }
    let mut threads: Vec<i64> = Vec::new();
    for w in line.argv().into_iter().skip(2) {
        let (lo, n) = values::strtol(w);
        let mut hi = lo;
        let mut rest = &w[n..];
        if let Some(r) = rest.strip_prefix('-') {
            let (h, m) = values::strtol(r);
            hi = h;
            rest = &r[m..];
        }
        let valid = 1..=MAX_THREADS;
        if !rest.is_empty() || !valid.contains(&lo) || !valid.contains(&hi) {
            return Err(format!("'{kw} {g}' passed an unparsable or invalid thread number '{w}' (valid range is 1 to {MAX_THREADS})"));
        }
        for t in lo..=hi {
            if threads.contains(&t) {
                st.warn(
                    line,
                    format!("'{kw} {g}': thread {t} assigned more than once on the same line."),
                );
            } else {
                threads.push(t);
            }
        }
    }
    if let (Some(min), Some(max)) = (threads.iter().min(), threads.iter().max()) {
        if (max - min + 1) as usize > threads.len() {
            return Err(format!(
                "'{kw} {g}' assigned sparse threads, only contiguous supported"
            ));
        }
    }
    st.model
        .global
        .thread_groups_map
        .push((g as u32, threads.iter().map(|t| *t as u32).collect()));
    Ok(())
}

/// `vars_hash_name()`: `<scope>.<name>` with a known scope and `[A-Za-z0-9_.]` characters.
fn check_var_name(name: &str, tail: &str) -> Result<&'static str, String> {
    if name.is_empty() {
        return Err("Empty variable name cannot be accepted".into());
    }
    let scopes = ["proc.", "sess.", "txn.", "req.", "res.", "check."];
    let Some(scope) = scopes
        .iter()
        .find(|s| name.len() > s.len() && name.starts_with(**s))
    else {
        return Err(format!("invalid variable name '{name}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"));
    };
    let rest = &name[scope.len()..];
    if let Some(i) = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.') {
        return Err(format!("invalid syntax at char '{}{tail}'", &rest[i..]));
    }
    Ok(scope)
}

fn set_var(st: &mut State, line: &Line, kw: &str) -> R {
    let (var, expr) = (line.arg(1), line.arg(2));
    if var.is_empty() || expr.is_empty() {
        let what = if kw == "set-var-fmt" {
            "a format string"
        } else {
            "a sample expression"
        };
        return Err(format!(
            "'{kw}' requires a process-wide variable name ('proc.<name>') and {what}."
        ));
    }
    let (name, cond) = match var.find(',') {
        Some(i) => (&var[..i], &var[i..]),
        None => (var, ""),
    };
    let scope = check_var_name(name, &format!("{cond})"))?;
    // TODO: validate the sample expression / log-format once the expression parser is shared.
    if scope != "proc." {
        return Err(format!(
            "'{kw}': cannot set variable '{var}', only scope 'proc' is permitted in the global section."
        ));
    }
    let words: Vec<&str> = line.argv().into_iter().skip(2).collect();
    let (mut sexpr, mut fmt) = (None, None);
    if kw == "set-var-fmt" {
        let ctx = crate::config::expr::logformat::LfCtx {
            http_mode: false,
            merge_spaces: false,
            cap: crate::config::expr::kw::val::CFG_PARSER,
            check_files: false,
            lua: None,
            model: None,
        };
        fmt = crate::config::expr::logformat::parse_logformat(words.join(" ").as_str(), ctx).ok();
    } else {
        let env = crate::config::expr::sample::ExprEnv::default();
        sexpr = crate::config::expr::sample::parse_expr(&words, 0, false, env)
            .ok()
            .map(|p| p.expr);
    }
    st.model
        .global
        .set_vars
        .push(crate::model::global::GlobalSetVar {
            kw: kw.to_string(),
            var: var.to_string(),
            words: words.iter().map(|s| s.to_string()).collect(),
            loc: line.loc.clone(),
            expr: sexpr,
            fmt,
        });
    Ok(())
}

/// `mworker-max-reloads`: HAProxy returns its alert bits as a positive code, which its
/// caller takes for a warning; its messages start with "(null)". Reproduced as is.
fn mworker_max_reloads(st: &mut State, line: &Line) -> u32 {
    let (kw, f, l) = (line.arg(0), line.file().to_string(), line.lineno());
    if !line.arg(2).is_empty() {
        st.diag.alert_at(
            &f,
            l,
            format!(
                "'{kw}' cannot handle unexpected argument '{}'.",
                line.arg(2)
            ),
        );
        return warn_msg(st, line, "(null)");
    }
    if line.arg(1).is_empty() {
        return warn_msg(
            st,
            line,
            &format!("(null)parsing [{f}:{l}] : '{kw}' expects an integer argument.\n"),
        );
    }
    let v = c_atol(line.arg(1)) as i32;
    if v < 0 {
        return warn_msg(
            st,
            line,
            &format!("(null)parsing [{f}:{l}] '{kw}' : invalid value {v}, must be >= 0"),
        );
    }
    keep_other(st, line);
    0
}

fn ssl_provider(st: &mut State, line: &Line) -> u32 {
    let (kw, name) = (line.arg(0), line.arg(1));
    if name.is_empty() {
        return st.alert(
            line,
            format!("global statement '{kw}' expects a valid engine provider name as an argument."),
        );
    }
    if !SSL_PROVIDERS.contains(&name) {
        st.diag.alert(format!("{kw} {name}: unknown provider"));
        return st.alert(line, "(null)");
    }
    keep_other(st, line);
    0
}

fn httpclient_choice(st: &mut State, line: &Line, kw: &str) -> u32 {
    if let Some(m) = too_many_msg(line, 1) {
        return st.alert(line, m);
    }
    let (choices, msg) = if kw == "httpclient.resolvers.prefer" {
        (["ipv4", "ipv6"], "'ipv4' or 'ipv6'")
    } else {
        (["none", "required"], "'none' or 'required'")
    };
    if !choices.contains(&line.arg(1)) {
        st.diag.alert_at(
            line.file(),
            line.lineno(),
            format!("'{kw}' expects {msg} as argument."),
        );
        return st.alert(line, "(null)");
    }
    keep_other(st, line);
    err::NONE
}

/// One clause of an OpenSSL property query: `[?|-]name[(=|!=)value]`.
#[derive(Debug, PartialEq, Eq)]
pub struct PropClause {
    pub optional: bool,
    pub negated: bool,
    pub name: String,
    /// `(is_equal, value)`.
    pub value: Option<(bool, String)>,
}

/// Parses an OpenSSL property query (`ossl_parse_query()` grammar); `None` if malformed.
pub fn propquery_clauses(q: &str) -> Option<Vec<PropClause>> {
    q.split(',').map(prop_clause).collect()
}

fn prop_clause(c: &str) -> Option<PropClause> {
    let (optional, negated, rest) = match c.as_bytes().first()? {
        b'?' => (true, false, &c[1..]),
        b'-' => (false, true, &c[1..]),
        _ => (false, false, c),
    };
    if !rest.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
        return None;
    }
    let end = rest
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
        .unwrap_or(rest.len());
    let (name, tail) = rest.split_at(end);
    let value = if tail.is_empty() {
        None
    } else {
        let (eq, v) = if let Some(v) = tail.strip_prefix("!=") {
            (false, v)
        } else {
            (true, tail.strip_prefix('=')?)
        };
        if negated || v.contains(char::is_whitespace) {
            return None;
        }
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        Some((eq, v.to_string()))
    };
    Some(PropClause {
        optional,
        negated,
        name: name.to_ascii_lowercase(),
        value,
    })
}

/// Whether the default provider's algorithms (`provider=default`, `fips=no`) satisfy
/// every mandatory clause; otherwise no SSL context can be built.
pub fn propquery_satisfiable(q: &str) -> bool {
    let Some(clauses) = propquery_clauses(q) else {
        return false;
    };
    clauses.iter().all(|c| {
        if c.optional || c.negated {
            return true;
        }
        let actual = match c.name.as_str() {
            "provider" => "default",
            "fips" => "no",
            _ => return matches!(c.value, Some((false, _))),
        };
        match &c.value {
            Some((true, v)) => v == actual,
            Some((false, v)) => v != actual,
            None => false,
        }
    })
}
