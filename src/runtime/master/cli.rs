//! The master CLI's language (`-S`), socket-free: which command a line is, `show proc` as
//! `cli_io_handler_show_proc()` prints it, the master's `help`. The master process
//! ([`super`]) moves the bytes and forwards `@<n>` / `@!<pid>` commands to the workers.

/// One process the master knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcRow {
    pub pid: i32,
    pub reloads: u32,
    /// Start date, seconds since the epoch.
    pub started: u64,
    /// Told to stop by a reload and still finishing.
    pub leaving: bool,
    /// A `program` section's process: its name.
    pub prog: Option<String>,
}

/// What a master CLI line asks.
#[derive(Debug, PartialEq, Eq)]
pub enum Cmd {
    /// Answer with this text (the caller appends the reply's final line feed).
    Reply(String),
    /// Send `cmd` to the worker selected by `target`; `prefix` is the routing word as
    /// written, for the error message.
    Route {
        target: Target,
        prefix: String,
        cmd: String,
    },
    Reload,
    Prompt,
    Quit,
    /// `show proc`: the caller builds the table, it knows the processes.
    ShowProc,
    /// Nothing to answer (an empty line).
    Nothing,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Target {
    /// `@<n>`: the n-th current worker (HAProxy 2.6 has one, `@1`).
    Relative(u32),
    /// `@!<pid>`.
    Pid(i32),
}

/// The master's commands with their `help` lines, sorted like `cli_gen_usage_msg()` does.
const USAGE: &[(&[&str], &str)] = &[
    (
        &["@!<pid>"],
        "@!<pid>                                 : send a command to the <pid> process",
    ),
    (
        &["@<relative", "pid>"],
        "@<relative pid>                         : send a command to the <relative pid> process",
    ),
    (
        &["@master"],
        "@master                                 : send a command to the master process",
    ),
    (
        &["operator"],
        "operator                                : lower the level of the current CLI session to operator",
    ),
    (
        &["reload"],
        "reload                                  : reload haproxy",
    ),
    (
        &["show", "cli", "level"],
        "show cli level                          : display the level of the current CLI session",
    ),
    (
        &["show", "cli", "sockets"],
        "show cli sockets                        : dump list of cli sockets",
    ),
    (
        &["show", "proc"],
        "show proc                               : show processes status",
    ),
    (
        &["show", "version"],
        "show version                            : show version of the current process",
    ),
    (
        &["user"],
        "user                                    : lower the level of the current CLI session to user",
    ),
];

/// Parses one command line (already cut at `\n` or `;`).
pub fn parse(line: &str) -> Cmd {
    let line = line.trim_start_matches([' ', '\t']);
    let (first, rest) = match line.split_once([' ', '\t']) {
        Some((a, b)) => (a, b.trim_start_matches([' ', '\t'])),
        None => (line, ""),
    };
    if let Some(t) = first.strip_prefix('@') {
        if t == "master" {
            return if rest.is_empty() {
                Cmd::Nothing
            } else {
                parse(rest)
            };
        }
        let target = match t.strip_prefix('!') {
            Some(p) => p.parse().ok().map(Target::Pid),
            None => t.parse().ok().map(Target::Relative),
        };
        return match target {
            Some(target) => Cmd::Route {
                target,
                prefix: first.to_string(),
                cmd: rest.to_string(),
            },
            None => Cmd::Reply(format!(
                "Can't find the target PID matching the prefix '{first}'\n"
            )),
        };
    }
    let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [] => Cmd::Nothing,
        ["show", "proc", ..] => Cmd::ShowProc,
        ["reload", ..] => Cmd::Reload,
        ["prompt", ..] => Cmd::Prompt,
        ["quit", ..] => Cmd::Quit,
        ["show", "version", ..] => Cmd::Reply(format!("{}\n", crate::version::VERSION_STRING)),
        ["help", ..] => Cmd::Reply(crate::stats::usage::usage_msg_in(USAGE, &words)),
        _ => Cmd::Reply(crate::stats::usage::usage_msg_in(USAGE, &words)),
    }
}

/// `%dd%02dh%02dm%02ds`.
fn uptime(now: u64, started: u64) -> String {
    let up = now.saturating_sub(started);
    format!(
        "{}d{:02}h{:02}m{:02}s",
        up / 86400,
        (up % 86400) / 3600,
        (up % 3600) / 60,
        up % 60
    )
}

/// `show proc`: the master, then current workers, then those a reload is stopping, then
/// the programs (current, then old) in the order given.
pub fn show_proc(now: u64, master: &ProcRow, failed: u32, workers: &[ProcRow]) -> String {
    let v = crate::version::VERSION_STRING;
    let mut s = format!(
        "#{:<14} {:<15} {:<15} {:<15} {:<15}\n",
        "<PID>", "<type>", "<reloads>", "<uptime>", "<version>"
    );
    let reloads = format!("{} [failed: {failed}]", master.reloads);
    s += &format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        master.pid,
        "master",
        reloads,
        uptime(now, master.started),
        v
    );
    s += "# workers\n";
    let row = |w: &ProcRow| {
        format!(
            "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
            w.pid,
            "worker",
            w.reloads,
            uptime(now, w.started),
            v
        )
    };
    let (progs, workers): (Vec<&ProcRow>, Vec<&ProcRow>) =
        workers.iter().partition(|w| w.prog.is_some());
    for w in workers.iter().filter(|w| !w.leaving) {
        s += &row(w);
    }
    if workers.iter().any(|w| w.leaving) {
        s += "# old workers\n";
        for w in workers.iter().filter(|w| w.leaving) {
            s += &row(w);
        }
    }
    let prow = |p: &ProcRow| {
        format!(
            "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
            p.pid,
            p.prog.as_deref().unwrap_or(""),
            p.reloads,
            uptime(now, p.started),
            "-"
        )
    };
    s += "# programs\n";
    for p in progs.iter().filter(|p| !p.leaving) {
        s += &prow(p);
    }
    if progs.iter().any(|p| p.leaving) {
        s += "# old programs\n";
        for p in progs.iter().filter(|p| p.leaving) {
            s += &prow(p);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_prefixes() {
        assert_eq!(
            parse("@1 show info"),
            Cmd::Route {
                target: Target::Relative(1),
                prefix: "@1".into(),
                cmd: "show info".into()
            }
        );
        assert_eq!(
            parse("@!42 show stat"),
            Cmd::Route {
                target: Target::Pid(42),
                prefix: "@!42".into(),
                cmd: "show stat".into()
            }
        );
        assert_eq!(parse("@master show proc"), Cmd::ShowProc);
        assert_eq!(
            parse("@x foo"),
            Cmd::Reply("Can't find the target PID matching the prefix '@x'\n".into())
        );
        assert_eq!(parse("  reload"), Cmd::Reload);
        assert_eq!(parse(""), Cmd::Nothing);
    }

    /// The help text and an unknown command, as HAProxy 2.6.12's master prints them.
    #[test]
    fn help_like_haproxy() {
        let Cmd::Reply(h) = parse("help") else {
            panic!()
        };
        assert!(h.starts_with("The following commands are valid at this level:\n  @!<pid>  "));
        assert!(h.contains("  show proc                               : show processes status\n"));
        assert!(h.ends_with("  quit                                    : disconnect\n"));
        let Cmd::Reply(u) = parse("foo") else {
            panic!()
        };
        assert!(
            u.starts_with(
                "Unknown command, but maybe one of the following ones is a better match:\n"
            ),
            "{u}"
        );
    }

    #[test]
    fn show_proc_columns() {
        let m = ProcRow {
            pid: 20296,
            reloads: 3,
            started: 100,
            leaving: false,
            prog: None,
        };
        let w = |pid, leaving| ProcRow {
            pid,
            reloads: 1,
            started: 102,
            leaving,
            prog: None,
        };
        let foo = ProcRow {
            pid: 20301,
            reloads: 0,
            started: 104,
            leaving: false,
            prog: Some("foo".into()),
        };
        let t = show_proc(104, &m, 1, &[w(20338, false), w(20300, true), foo]);
        let v = crate::version::VERSION_STRING;
        let mut want = String::from(
            "#<PID>          <type>          <reloads>       <uptime>        <version>      \n",
        );
        want +=
            &format!("20296           master          3 [failed: 1]   0d00h00m04s     {v:<15}\n");
        want += "# workers\n";
        want +=
            &format!("20338           worker          1               0d00h00m02s     {v:<15}\n");
        want += "# old workers\n";
        want +=
            &format!("20300           worker          1               0d00h00m02s     {v:<15}\n");
        want += "# programs\n";
        want += "20301           foo             0               0d00h00m00s     -              \n";
        assert_eq!(t, want);
    }
}
