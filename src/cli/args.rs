//! HAProxy's command-line parsing (`copy_argv()` then `init_args()` in `haproxy.c`), flag
//! for flag: scripts and VTest call the binary with HAProxy's flags and rely on its exit
//! codes and messages when something is wrong.

/// What `-sf` / `-st` ask the old processes to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OldPidsSignal {
    /// `-sf`: SIGUSR1, finish serving then exit.
    #[default]
    Finish,
    /// `-st`: SIGTERM, stop at once.
    Terminate,
}

/// Everything the command line sets (HAProxy's `arg_mode`, tuning flags and friends).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// Program name shown in the usage text (argv[0]'s basename, as HAProxy's `progname`).
    pub progname: String,
    pub cfgfiles: Vec<String>,
    pub check: bool,
    /// `-cc <expr>`; `Some(None)` when `-cc` was the last argument.
    pub check_condition: Option<Option<String>>,
    pub quiet: bool,
    pub verbose: bool,
    pub debug: bool,
    pub foreground: bool,
    pub daemon: bool,
    pub master_worker: bool,
    pub systemd: bool,
    pub diag: bool,
    pub zero_warning: bool,
    pub dump_libs: bool,
    /// `-dK<classes>`: the class list as given (possibly empty).
    pub kwd_dump: Option<String>,
    pub no_epoll: bool,
    pub no_poll: bool,
    pub no_splice: bool,
    pub no_getaddrinfo: bool,
    pub no_reuseport: bool,
    pub ssl_verify_none: bool,
    pub resolve_dontfail: bool,
    pub pidfile: Option<String>,
    pub old_pids: Vec<i32>,
    pub old_pids_sig: OldPidsSignal,
    /// `-x <unix_socket>`.
    pub unix_socket: Option<String>,
    /// `-S <bind>[,opts]`, in the order given.
    pub master_cli: Vec<String>,
    pub localpeer: Option<String>,
    pub change_dir: Option<String>,
    /// `-n`, `-m`, `-N`, parsed with `atol()` like HAProxy.
    pub maxconn: i64,
    pub memmax_mb: i64,
    pub maxpconn: i64,
    /// `-dM` settings: poison byte and options set/cleared.
    pub pool_debug: Option<PoolDebug>,
}

/// How argument parsing ends when it does not hand back options to run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `-v` / `-vv`: print the version (and build options) and exit 0.
    Version { build_opts: bool },
    /// Print `alert` first if any, then the usage text (which shows the `-N` value given
    /// so far), exit 1.
    Usage {
        alert: Option<String>,
        maxpconn: i64,
    },
    /// Print an alert (no config context) and exit with `code`.
    Alert { msg: String, code: i32 },
    /// Print `text` on stdout and exit 0 (`-dMhelp`).
    Print(String),
}

/// Warnings produced while parsing arguments (HAProxy prints them at once).
pub type Warnings = Vec<String>;

/// C's `atol()`: leading blanks, sign, digits; anything else stops it.
pub fn atol(s: &str) -> i64 {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// HAProxy's `copy_argv()` check: the options that take one parameter must have it, else
/// HAProxy fails with "failed to copy argv." before parsing anything.
fn copy_argv_ok(args: &[String]) -> bool {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_bytes();
        if a.first() != Some(&b'-') {
            i += 1;
            continue;
        }
        let flag = &a[1..];
        if flag == b"-" {
            return true;
        }
        match flag.first() {
            Some(b's') if matches!(flag.get(1), Some(b'f') | Some(b't')) => {
                i += 1;
                while i < args.len() && !args[i].starts_with('-') {
                    i += 1;
                }
            }
            Some(b's') => i += 1,
            Some(b'x') => i += 2,
            Some(b'C' | b'n' | b'm' | b'N' | b'L' | b'f' | b'p' | b'S') => {
                if i + 1 >= args.len() {
                    return false;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    true
}

/// Parses `argv` (program name first) like HAProxy 2.6.
pub fn parse(argv: &[String]) -> Result<(Opts, Warnings), Stop> {
    let prog = argv.first().map(String::as_str).unwrap_or("haproxy-rs");
    let mut o = Opts {
        progname: prog.rsplit('/').next().unwrap_or(prog).to_string(),
        ..Opts::default()
    };
    let mut warnings = Vec::new();
    let args = argv.get(1..).unwrap_or(&[]);
    if !copy_argv_ok(args) {
        return Err(Stop::Alert {
            msg: "failed to copy argv.".into(),
            code: 1,
        });
    }
    let mut i = 0;
    while i < args.len() {
        let usage = |o: &Opts| Stop::Usage {
            alert: None,
            maxpconn: o.maxpconn,
        };
        let arg = args[i].as_str();
        let Some(flag) = arg.strip_prefix('-') else {
            return Err(usage(&o));
        };
        let f = flag.as_bytes();
        let f0 = f.first().copied().unwrap_or(0);
        let f1 = f.get(1).copied().unwrap_or(0);
        match (f0, f1) {
            (b'v', _) => {
                return Err(Stop::Version {
                    build_opts: f1 == b'v',
                })
            }
            (b'd', b'e') => o.no_epoll = true,
            (b'd', b'p') => o.no_poll = true,
            (b'd', b'S') => o.no_splice = true,
            (b'd', b'G') => o.no_getaddrinfo = true,
            (b'd', b'R') => o.no_reuseport = true,
            (b'd', b'V') => o.ssl_verify_none = true,
            (b'V', _) => o.verbose = true,
            (b'd', b'b') => o.foreground = true,
            (b'd', b'D') => o.diag = true,
            (b'd', b'W') => o.zero_warning = true,
            (b'd', b'M') => {
                let mut pd = o.pool_debug.unwrap_or_default();
                match parse_pool_debugging(&flag[2..], &mut pd) {
                    Ok(()) => o.pool_debug = Some(pd),
                    Err(PoolErr::Help(t)) => return Err(Stop::Print(t)),
                    Err(PoolErr::Bad(m)) => {
                        return Err(Stop::Alert {
                            msg: format!("-dM: {m}"),
                            code: 1,
                        })
                    }
                }
            }
            (b'd', b'r') => o.resolve_dontfail = true,
            (b'd', b'L') => o.dump_libs = true,
            (b'd', b'K') => o.kwd_dump = Some(flag[2..].to_string()),
            (b'd', _) => o.debug = true,
            (b'c', b'c') => {
                i += 1;
                o.check_condition = Some(args.get(i).cloned());
            }
            (b'c', _) => o.check = true,
            (b'D', _) => o.daemon = true,
            (b'W', b's') => {
                o.master_worker = true;
                o.foreground = true;
                o.systemd = true;
            }
            (b'W', _) => o.master_worker = true,
            (b'q', _) => o.quiet = true,
            (b'x', _) => {
                let Some(sock) = args.get(i + 1) else {
                    return Err(Stop::Usage {
                        alert: Some("Unix socket path expected with the -x flag\n\n".into()),
                        maxpconn: o.maxpconn,
                    });
                };
                if o.unix_socket.is_some() {
                    warnings.push("-x option already set, overwriting the value".into());
                }
                o.unix_socket = Some(sock.clone());
                i += 1;
            }
            (b'S', _) => {
                let Some(b) = args.get(i + 1) else {
                    return Err(Stop::Usage {
                        alert: Some(
                            "Socket and optional bind parameters expected with the -S flag".into(),
                        ),
                        maxpconn: o.maxpconn,
                    });
                };
                o.master_cli.push(b.clone());
                i += 1;
            }
            (b's', b'f' | b't') => {
                o.old_pids_sig = if f1 == b'f' {
                    OldPidsSignal::Finish
                } else {
                    OldPidsSignal::Terminate
                };
                let shown = &flag[..2];
                while i + 1 < args.len() && !args[i + 1].starts_with('-') {
                    i += 1;
                    o.old_pids.push(parse_pid(shown, &args[i], o.maxpconn)?);
                }
            }
            (b'-', 0) => {
                o.cfgfiles.extend(args[i + 1..].iter().cloned());
                break;
            }
            _ => {
                i += 1;
                let Some(val) = args.get(i) else {
                    return Err(usage(&o));
                };
                match f0 {
                    b'C' => o.change_dir = Some(val.clone()),
                    b'n' => o.maxconn = atol(val),
                    b'm' => o.memmax_mb = atol(val),
                    b'N' => o.maxpconn = atol(val),
                    b'L' => o.localpeer = Some(val.clone()),
                    b'f' => o.cfgfiles.push(val.clone()),
                    b'p' => o.pidfile = Some(val.clone()),
                    _ => return Err(usage(&o)),
                }
            }
        }
        i += 1;
    }
    Ok((o, warnings))
}

/// One pid of `-sf`/`-st`, checked like HAProxy (`strtol`, trailing blanks allowed,
/// anything else refused; a pid <= 0 shows the usage).
fn parse_pid(flag: &str, s: &str, maxpconn: i64) -> Result<i32, Stop> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let sign_len = usize::from(t.starts_with(['-', '+']));
    let ndig = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    let (num, rest) = if ndig == 0 {
        ("0", s)
    } else {
        t.split_at(sign_len + ndig)
    };
    let v: i64 = match num.parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            return Err(Stop::Alert {
                msg: format!(
                    "-{flag} option: failed to parse {{{s}}}: Numerical result out of range"
                ),
                code: 1,
            })
        }
    };
    if !rest
        .trim_start_matches(|c: char| c.is_ascii_whitespace())
        .is_empty()
    {
        return Err(Stop::Alert {
            msg: format!("-{flag} option: some bytes unconsumed in PID list {{{rest}}}"),
            code: 1,
        });
    }
    // HAProxy stores the long into an int.
    let pid = v as i32;
    if pid <= 0 {
        return Err(Stop::Usage {
            alert: None,
            maxpconn,
        });
    }
    Ok(pid)
}

/// `-dM` state: HAProxy's memory pool debugging. haproxy-rs has no pools; the options are
/// validated and kept so that scripts passing them (run-regtests.sh passes `-dM`) work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolDebug {
    pub poison_byte: Option<i64>,
    /// Bit i set = option i of [`POOL_DBG_OPTIONS`] enabled.
    pub flags: u32,
}

/// HAProxy's `dbg_options[]`: (set, clear, help).
pub const POOL_DBG_OPTIONS: &[(&str, &str, &str)] = &[
    ("fail", "no-fail", "randomly fail allocations"),
    ("no-merge", "merge", "disable merging of similar pools"),
    ("cold-first", "hot-first", "pick cold objects first"),
    ("integrity", "no-integrity", "enable cache integrity checks"),
    ("no-global", "global", "disable global shared cache"),
    ("no-cache", "cache", "disable thread-local cache"),
    ("caller", "no-caller", "save caller information in cache"),
    ("tag", "no-tag", "add tag at end of allocated objects"),
    ("poison", "no-poison", "poison newly allocated objects"),
];

enum PoolErr {
    Help(String),
    Bad(String),
}

/// HAProxy's `pool_parse_debugging()`.
fn parse_pool_debugging(s: &str, pd: &mut PoolDebug) -> Result<(), PoolErr> {
    let poison_bit = 1 << 8;
    let mut rest = s;
    let num_len = crate::config::cond::strtol_prefix_len(s);
    if num_len == s.len() || s.as_bytes().get(num_len) == Some(&b',') {
        let v = if s.is_empty() {
            b'P' as i64
        } else {
            crate::config::cond::strtol_value(&s[..num_len])
        };
        pd.poison_byte = Some(v);
        if v >= 0 {
            pd.flags |= poison_bit;
        } else {
            pd.flags &= !poison_bit;
        }
        rest = &s[num_len..];
    }
    let mut flags = pd.flags;
    for feat in rest.split(',').filter(|f| !f.is_empty()) {
        if feat == "help" {
            return Err(PoolErr::Help(pool_help(pd.flags)));
        }
        match POOL_DBG_OPTIONS
            .iter()
            .enumerate()
            .find(|(_, (set, clr, _))| feat == *set || feat == *clr)
        {
            Some((i, (set, _, _))) if feat == *set => flags |= 1 << i,
            Some((i, _)) => flags &= !(1 << i),
            None => {
                return Err(PoolErr::Bad(format!(
                    "unknown pool debugging feature <{feat}>"
                )))
            }
        }
    }
    pd.flags = flags;
    Ok(())
}

fn pool_help(flags: u32) -> String {
    let mut t = String::from(
        "-dM alone enables memory poisonning with byte 0x50 on allocation. A numeric\n\
         value may be appended immediately after -dM to use another value (0 supported).\n\
         Then an optional list of comma-delimited keywords may be appended to set or\n\
         clear some debugging options ('*' marks the current setting):\n\n\
         \x20   set               clear            description\n\
         \x20 -----------------+-----------------+-----------------------------------------\n",
    );
    for (i, (set, clr, hlp)) in POOL_DBG_OPTIONS.iter().enumerate() {
        let on = flags & (1 << i) != 0;
        t.push_str(&format!(
            "  {} {:<15}|{} {:<15}| {}\n",
            if on { '*' } else { ' ' },
            set,
            if on { ' ' } else { '*' },
            clr,
            hlp
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<(Opts, Warnings), Stop> {
        let mut v = vec!["/usr/sbin/haproxy-rs".to_string()];
        v.extend(a.iter().map(|s| s.to_string()));
        parse(&v)
    }

    #[test]
    fn files_and_modes() {
        let (o, _) = p(&[
            "-c", "-f", "a.cfg", "-f", "d", "-q", "-L", "me", "-p", "pid",
        ])
        .unwrap();
        assert_eq!(o.progname, "haproxy-rs");
        assert!(o.check && o.quiet);
        assert_eq!(o.cfgfiles, ["a.cfg", "d"]);
        assert_eq!(o.localpeer.as_deref(), Some("me"));
        assert_eq!(o.pidfile.as_deref(), Some("pid"));
        let (o, _) = p(&["-c", "--", "a.cfg", "-q"]).unwrap();
        assert_eq!(o.cfgfiles, ["a.cfg", "-q"]);
        assert!(!o.quiet);
        let (o, _) = p(&["-Ws", "-dKcfg,acl", "-n", "10x", "-db"]).unwrap();
        assert!(o.master_worker && o.systemd && o.foreground);
        assert_eq!(o.kwd_dump.as_deref(), Some("cfg,acl"));
        assert_eq!(o.maxconn, 10);
        let (o, _) = p(&["-cc", "1"]).unwrap();
        assert_eq!(o.check_condition, Some(Some("1".into())));
        let (o, _) = p(&["-cc"]).unwrap();
        assert_eq!(o.check_condition, Some(None));
    }

    #[test]
    fn errors_like_haproxy() {
        assert_eq!(
            p(&["-z"]),
            Err(Stop::Usage {
                alert: None,
                maxpconn: 0
            })
        );
        assert_eq!(
            p(&["-z", "x"]),
            Err(Stop::Usage {
                alert: None,
                maxpconn: 0
            })
        );
        assert_eq!(
            p(&["foo"]),
            Err(Stop::Usage {
                alert: None,
                maxpconn: 0
            })
        );
        assert!(matches!(p(&["-f"]), Err(Stop::Alert { code: 1, .. })));
        assert!(matches!(p(&["-c", "-S"]), Err(Stop::Alert { .. })));
        assert!(matches!(
            p(&["-x"]),
            Err(Stop::Usage { alert: Some(_), .. })
        ));
        assert_eq!(p(&["-vv", "-z"]), Err(Stop::Version { build_opts: true }));
        assert_eq!(
            p(&["-sf", "0"]),
            Err(Stop::Usage {
                alert: None,
                maxpconn: 0
            })
        );
        assert_eq!(
            p(&["-sf", "12x"]),
            Err(Stop::Alert {
                msg: "-sf option: some bytes unconsumed in PID list {x}".into(),
                code: 1
            })
        );
        let (o, _) = p(&["-st", "12", "13 ", "-c"]).unwrap();
        assert_eq!(o.old_pids, [12, 13]);
        assert_eq!(o.old_pids_sig, OldPidsSignal::Terminate);
        assert!(o.check);
    }

    #[test]
    fn pool_debugging() {
        let (o, _) = p(&["-dM"]).unwrap();
        assert_eq!(o.pool_debug.unwrap().poison_byte, Some(0x50));
        let (o, _) = p(&["-dM0x20,no-merge"]).unwrap();
        assert_eq!(o.pool_debug.unwrap().poison_byte, Some(0x20));
        assert_eq!(
            p(&["-dMfoo"]),
            Err(Stop::Alert {
                msg: "-dM: unknown pool debugging feature <foo>".into(),
                code: 1
            })
        );
        match p(&["-dMhelp"]) {
            Err(Stop::Print(t)) => {
                assert!(t
                    .contains("    fail           |* no-fail        | randomly fail allocations\n"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn atol_is_c_like() {
        assert_eq!(atol("10x"), 10);
        assert_eq!(atol(" -3"), -3);
        assert_eq!(atol("x"), 0);
    }
}
