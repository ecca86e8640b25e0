//! The `haproxy-rs` command line, with HAProxy's flags, messages and exit codes
//! (`init_early()`, `init_args()` and `init()` of HAProxy's `haproxy.c`).
//!
//! Streams follow HAProxy: alerts, warnings and the usage on stderr; the version, `-dK`
//! dumps and the `-c` verdict on stdout (the verdict silenced by `-q`).

pub mod args;
pub mod dk;
pub mod run;
pub mod text;

pub use args::{OldPidsSignal, Opts};
pub use run::{start_runtime, RunOpts};

use crate::config::lexer::{self, LexErrorKind, ProcessEnv};
use crate::config::{self, cond, Diag, Level, Message, ParseEnv};
use args::Stop;
use std::io::Write as _;

/// HAProxy's `MAX_LINE_ARGS`, also the word limit of `-cc`.
const MAX_LINE_ARGS: usize = 64;

/// haproxy-rs' own "not built yet" warnings are not HAProxy warnings: they must not turn a
/// clean configuration into "Warnings were found." nor fail `-dW`.
pub(crate) const INACTIVE_MARK: &str = "not active yet in haproxy-rs";

/// Runs the program with `argv`; returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    let localpeer = config::hostname();
    std::env::set_var("HAPROXY_LOCALPEER", &localpeer);
    let mut diag = Diag::new();
    diag.echo = true;
    let progname = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_else(|| "haproxy-rs".into());
    let (opts, warnings) = match args::parse(&argv) {
        Ok(x) => x,
        Err(stop) => return stop_exit(stop, &mut diag, &progname),
    };
    for w in warnings {
        say(&mut diag, Level::Warning, None, w);
    }
    diag.quiet = opts.quiet && !opts.verbose;
    diag.echo = !diag.quiet;
    diag.show_diag = opts.diag;
    let localpeer = opts.localpeer.clone().unwrap_or(localpeer);
    std::env::set_var("HAPROXY_LOCALPEER", &localpeer);

    if let Some(dir) = &opts.change_dir {
        if let Err(e) = std::env::set_current_dir(dir) {
            let msg = format!(
                "Could not change to directory {dir} : {}",
                config::reader::strerr(&e)
            );
            say(&mut diag, Level::Alert, None, msg);
            return 1;
        }
    }
    if let Some(expr) = &opts.check_condition {
        let Some(expr) = expr else {
            return usage_exit(&progname, opts.maxpconn);
        };
        return check_condition(expr, &mut diag);
    }
    if opts.cfgfiles.is_empty() {
        return usage_exit(&progname, opts.maxpconn);
    }
    load_and_run(&argv, &opts, diag, &localpeer)
}

/// Loads the configuration, then checks it (`-c`) or starts the runtime.
fn load_and_run(argv: &[String], opts: &Opts, diag: Diag, localpeer: &str) -> i32 {
    let env = ParseEnv {
        localpeer: localpeer.to_string(),
        resolve_dontfail: opts.resolve_dontfail,
        maxpconn: opts.maxpconn,
        master_worker: opts.master_worker,
        ..ParseEnv::default()
    };
    let reexec = crate::runtime::master::reexecuted() && !opts.check;
    let loaded = config::load_files(&opts.cfgfiles, diag, env);
    let mut diag = loaded.diag;
    let Some(cfg) = loaded.config else {
        if reexec {
            // A reload whose configuration does not load: the master stays, with the
            // workers it had (HAProxy's wait mode).
            let run = RunOpts::from_opts(opts, argv, Vec::new(), localpeer);
            return crate::runtime::master::run(None, run.master_opts(None));
        }
        return 1;
    };
    let files = config::expand_cfg_paths(&opts.cfgfiles, &mut Diag::new()).unwrap_or_default();
    std::env::set_var("HAPROXY_CFGFILES", files.join(";"));
    if let Err(code) = master_worker_setup(opts, &mut diag) {
        return code;
    }
    // The global section's `quiet` and `zero-warning` act like -q and -dW.
    if cfg.global.quiet && !opts.verbose {
        diag.quiet = true;
        diag.echo = false;
    }
    let warned = diag
        .messages
        .iter()
        .any(|m| m.level == Level::Warning && !m.text.contains(INACTIVE_MARK));
    if warned && (opts.zero_warning || cfg.global.zero_warning) {
        let a = "Some warnings were found and 'zero-warning' is set. Aborting.";
        say(&mut diag, Level::Alert, Some("config"), a.into());
        return 1;
    }
    if opts.dump_libs {
        qprint(&diag, &dump_libs());
    }
    if let Some(classes) = &opts.kwd_dump {
        out(&dk::dump(classes));
    }
    if opts.check {
        return check_verdict(&cfg, opts, &diag, warned, localpeer);
    }
    let run = RunOpts::from_opts(opts, argv, files, localpeer);
    for flag in run.inactive_flags() {
        let w = format!("'{flag}' is parsed but {INACTIVE_MARK}");
        say(&mut diag, Level::Warning, None, w);
    }
    let _ = std::io::stdout().flush();
    start_runtime(cfg, &run)
}

/// What HAProxy does for `-W` and `-S` between parsing and checking: export
/// `HAPROXY_MWORKER`, create the master CLI listeners (here: validate their addresses), and
/// warn about `-S` without `-W`.
fn master_worker_setup(opts: &Opts, diag: &mut Diag) -> Result<(), i32> {
    if !opts.master_worker {
        if !opts.master_cli.is_empty() {
            let w = "a master CLI socket was defined, but master-worker mode (-W) is not enabled.";
            say(diag, Level::Warning, Some("config"), w.into());
        }
        return Ok(());
    }
    std::env::set_var("HAPROXY_MWORKER", "1");
    for b in &opts.master_cli {
        if let Err(e) = check_master_cli(b) {
            for a in [
                "Cannot create the listener of the master CLI",
                e.as_str(),
                "Can't create the master's CLI.",
            ] {
                say(diag, Level::Alert, Some("config"), a.to_string());
            }
            return Err(1);
        }
    }
    Ok(())
}

/// `-S <bind>[,<option>…]`: the address must parse as a `bind` address does (HAProxy's
/// `str2listener()`); the options are the bind keywords, checked by the runtime.
fn check_master_cli(spec: &str) -> Result<(), String> {
    let addr = spec.split(',').next().unwrap_or("");
    let o = config::addr::SaOpts {
        port_mandatory: true,
        port_range: true,
        resolve: true,
        allow_fd: true,
        allow_unix: true,
        ..Default::default()
    };
    config::addr::str2sa_range(addr, &o).map(|_| ())
}

/// Whether the global section has the flag keyword `kw` (kept as a raw entry).
/// The end of `-c`: "Warnings were found." then valid (0) or no listener (2), on stdout.
fn check_verdict(
    cfg: &crate::model::Config,
    opts: &Opts,
    diag: &Diag,
    warned: bool,
    localpeer: &str,
) -> i32 {
    if warned {
        qprint(diag, "Warnings were found.\n");
    }
    // In master-worker mode the worker always listens on its master socketpair.
    if opts.master_worker || has_listener(cfg, localpeer) {
        qprint(diag, "Configuration file is valid\n");
        return 0;
    }
    qprint(
        diag,
        "Configuration file has no error but will not start (no listener) => exit(2).\n",
    );
    2
}

/// HAProxy's `-c` verdict: at least one enabled proxy with a listener (the `stats socket`
/// CLI counts, as HAProxy's CLI frontend is a proxy), or a peers section declaring the
/// local peer (it then listens).
pub fn has_listener(cfg: &crate::model::Config, localpeer: &str) -> bool {
    cfg.real_proxies()
        .any(|p| !p.disabled && !p.binds.is_empty())
        || !cfg.global.stats_sockets.is_empty()
        || cfg.peers.iter().any(|p| {
            p.lines.iter().any(|(w, _)| {
                matches!(w.first().map(String::as_str), Some("peer" | "server"))
                    && w.get(1).map(String::as_str) == Some(localpeer)
            })
        })
}

/// `-cc <expr>`: tokenized like a configuration line, then evaluated; exit 0 when true,
/// 1 when false, 2 on error.
fn check_condition(expr: &str, diag: &mut Diag) -> i32 {
    let vars = ProcessEnv {
        file: "",
        line: 0,
        section: "",
    };
    let fail = |diag: &mut Diag, m: &str| {
        say(diag, Level::Alert, Some("config"), m.to_string());
        2
    };
    let words = match lexer::split_words(&escape_sharps(expr), &vars) {
        Ok(w) => w,
        Err(e) => {
            let m = match e.kind {
                LexErrorKind::Quote => "Syntax Error in condition: Unmatched quote.",
                LexErrorKind::Hex => {
                    "Syntax Error in condition: Truncated or invalid hexadecimal sequence."
                }
                _ => "Unhandled error in condition, please report this to the developers.",
            };
            return fail(diag, m);
        }
    };
    if words.len() > MAX_LINE_ARGS {
        return fail(diag, "Error in condition: Too many words.");
    }
    let text = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    match cond::eval(&text) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            if !e.msg.is_empty() {
                fail(diag, &format!("Failed to evaluate condition: {}", e.msg));
            }
            2
        }
    }
}

/// HAProxy tokenizes `-cc` without comment support: a `#` outside quotes is an ordinary
/// character there, so it is escaped before handing the text to the configuration lexer.
fn escape_sharps(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let (mut squote, mut dquote) = (false, false);
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !squote => {
                match chars.next() {
                    // Without comments HAProxy keeps "\#" as is.
                    Some('#') => out.push_str("\\\\\\#"),
                    Some(n) => {
                        out.push(c);
                        out.push(n);
                    }
                    None => out.push(c),
                }
                continue;
            }
            '\'' if !dquote => squote = !squote,
            '"' if !squote => dquote = !dquote,
            '#' if !squote && !dquote => out.push('\\'),
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Ends the program as argument parsing asked.
fn stop_exit(stop: Stop, diag: &mut Diag, progname: &str) -> i32 {
    match stop {
        Stop::Version { build_opts } => {
            out(&text::version());
            if build_opts {
                out(&text::build_opts());
            }
            0
        }
        Stop::Usage { alert, maxpconn } => {
            if let Some(a) = alert {
                say(diag, Level::Alert, None, a);
            }
            usage_exit(progname, maxpconn)
        }
        Stop::Alert { msg, code } => {
            say(diag, Level::Alert, None, msg);
            code
        }
        Stop::Print(t) => {
            out(&format!("{t}\n"));
            0
        }
    }
}

/// `usage()`: the version on stdout, the usage on stderr, exit 1.
fn usage_exit(progname: &str, maxpconn: i64) -> i32 {
    out(&text::version());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(text::usage(progname, maxpconn).as_bytes());
    1
}

/// An alert or warning outside configuration lines, with or without HAProxy's "config"
/// context (HAProxy sets it once it starts reading the configuration).
fn say(diag: &mut Diag, level: Level, context: Option<&'static str>, text: String) {
    let _ = std::io::stdout().flush();
    diag.push(Message {
        level,
        context,
        text,
        at: None,
    });
}

/// Writes to stdout; a closed pipe (`haproxy-rs -vv | head -1`) is not an error worth a
/// panic, HAProxy would just die of SIGPIPE.
fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

/// HAProxy's `qfprintf(stdout, …)`: silenced by `-q` (unless `-V`).
fn qprint(diag: &Diag, s: &str) {
    if !diag.quiet {
        out(s);
    }
}

/// `-dL`: the object files mapped in the process, from /proc/self/maps, in the layout of
/// HAProxy's `dump_libs()` (start-end, size, path).
fn dump_libs() -> String {
    let mut out = String::from("List of loaded object files:\n");
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut objs: Vec<(u64, u64, String)> = Vec::new();
    for l in maps.lines() {
        let mut it = l.split_whitespace();
        let (Some(range), Some(path)) = (it.next(), it.nth(4)) else {
            continue;
        };
        if !path.starts_with('/') {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        match objs.iter_mut().find(|o| o.2 == path) {
            Some(o) => {
                o.0 = o.0.min(a);
                o.1 = o.1.max(b);
            }
            None => objs.push((a, b, path.to_string())),
        }
    }
    for (a, b, p) in objs {
        out.push_str(&format!("  0x{a:012x}-0x{b:012x} (0x{:05x}) {p}\n", b - a));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_exit_codes() {
        let mut d = Diag::new();
        assert_eq!(check_condition("1", &mut d), 0);
        assert_eq!(check_condition("", &mut d), 1);
        assert_eq!(check_condition("streq(foo,'foo')", &mut d), 0);
        assert_eq!(check_condition("streq(\"foo bar\",'foo bar')", &mut d), 0);
        assert_eq!(check_condition("streq(foo,bar)", &mut d), 1);
        assert_eq!(check_condition("200rrr", &mut d), 2);
        assert_eq!(check_condition("streq(a,\"a)", &mut d), 2);
        assert_eq!(
            d.messages.last().unwrap().text,
            "Syntax Error in condition: Unmatched quote."
        );
        assert_eq!(check_condition("streq(a#,a#)", &mut d), 0);
        assert_eq!(check_condition("1 # comment", &mut d), 2);
        assert_eq!(check_condition("streq(a\\#,a#)", &mut d), 1);
        assert_eq!(check_condition("streq(\"a#\",'a#')", &mut d), 0);
        assert_eq!(check_condition("foo", &mut d), 2);
        assert_eq!(
            d.messages.last().unwrap().text,
            "Failed to evaluate condition: unparsable conditional expression 'foo'"
        );
    }

    #[test]
    fn listener_verdict() {
        let mut cfg = crate::model::Config::default();
        assert!(!has_listener(&cfg, "me"));
        cfg.peers.push(crate::model::sections::Generic {
            lines: vec![(vec!["peer".into(), "me".into()], Default::default())],
            ..Default::default()
        });
        assert!(has_listener(&cfg, "me"));
        assert!(!has_listener(&cfg, "other"));
    }
}
