//! What the command line hands to the runtime, and the single place where it is started.

use super::args::{OldPidsSignal, Opts};

/// The process-level settings the runtime needs from the command line (HAProxy keeps them
/// in `global.mode`, `global.tune.options`, `oldpids`, `old_unixsocket`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOpts {
    /// The full command line, for master-worker re-execution.
    pub argv: Vec<String>,
    /// The configuration files as loaded (directories expanded).
    pub cfgfiles: Vec<String>,
    /// `-d`: debug mode (foreground, traces on stderr).
    pub debug: bool,
    /// `-db` or `-Ws`: stay in the foreground.
    pub foreground: bool,
    /// `-D`.
    pub daemon: bool,
    /// `-W` / `-Ws`.
    pub master_worker: bool,
    /// `-Ws`: notify systemd.
    pub systemd: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// `-dD`.
    pub diag: bool,
    /// `-p`.
    pub pidfile: Option<String>,
    /// `-sf` / `-st` pids and the signal to send them once listening.
    pub old_pids: Vec<i32>,
    pub old_pids_sig: OldPidsSignal,
    /// `-x`: take listening sockets from this unix socket.
    pub unix_socket: Option<String>,
    /// `-S`: master CLI listeners.
    pub master_cli: Vec<String>,
    /// `-L` or the host name.
    pub localpeer: String,
    /// `-n` (0 = not set).
    pub maxconn: i64,
    /// `-m` in MB (0 = not set).
    pub memmax_mb: i64,
    /// `-N` (0 = not set).
    pub maxpconn: i64,
    pub no_epoll: bool,
    pub no_poll: bool,
    pub no_splice: bool,
    pub no_getaddrinfo: bool,
    pub no_reuseport: bool,
    /// `-dV`.
    pub ssl_verify_none: bool,
}

impl RunOpts {
    pub fn from_opts(o: &Opts, argv: &[String], cfgfiles: Vec<String>, localpeer: &str) -> Self {
        RunOpts {
            argv: argv.to_vec(),
            cfgfiles,
            debug: o.debug,
            foreground: o.foreground,
            daemon: o.daemon,
            master_worker: o.master_worker,
            systemd: o.systemd,
            quiet: o.quiet,
            verbose: o.verbose,
            diag: o.diag,
            pidfile: o.pidfile.clone(),
            old_pids: o.old_pids.clone(),
            old_pids_sig: o.old_pids_sig,
            unix_socket: o.unix_socket.clone(),
            master_cli: o.master_cli.clone(),
            localpeer: localpeer.to_string(),
            maxconn: o.maxconn,
            memmax_mb: o.memmax_mb,
            maxpconn: o.maxpconn,
            no_epoll: o.no_epoll,
            no_poll: o.no_poll,
            no_splice: o.no_splice,
            no_getaddrinfo: o.no_getaddrinfo,
            no_reuseport: o.no_reuseport,
            ssl_verify_none: o.ssl_verify_none,
        }
    }

    /// The flags given whose process handling is not built yet, as HAProxy spells them.
    pub fn inactive_flags(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// The master's settings (`cfg`: the loaded configuration, `None` when a reload's
    /// configuration failed to load).
    pub fn master_opts(
        &self,
        cfg: Option<&crate::model::Config>,
    ) -> crate::runtime::master::MasterOpts {
        let g = cfg.map(|c| &c.global);
        let worker = crate::runtime::RunOpts {
            foreground: true,
            pidfile: None,
            argv0: self.argv.first().cloned().unwrap_or_default(),
            quiet: self.quiet && !self.verbose,
            debug: self.debug,
            master_worker: true,
            ..Default::default()
        };
        crate::runtime::master::MasterOpts {
            argv: self.argv.clone(),
            cli: self
                .master_cli
                .iter()
                .filter_map(|s| master_cli_bind(s))
                .collect(),
            systemd: self.systemd,
            daemon: (self.daemon || g.is_some_and(|g| g.daemon)) && !self.foreground && !self.debug,
            pidfile: self
                .pidfile
                .clone()
                .or_else(|| g.and_then(|g| g.pidfile.clone())),
            quiet: self.quiet && !self.verbose,
            max_reloads: cfg.and_then(max_reloads),
            no_exit_on_failure: g.is_some_and(|g| g.mworker_no_exit_on_failure),
            no_reuseport: self.no_reuseport
                || cfg.is_some_and(|c| c.global.other.iter().any(|(k, _, _)| k == "noreuseport")),
            worker,
        }
    }
}

/// Starts the runtime with a valid configuration; returns the process exit code.
///
/// COORDINATOR: wire `crate::runtime::run(cfg, &opts)` here at merge time (convert this
/// `RunOpts` into `crate::runtime::RunOpts`). Until then haproxy-rs cannot serve traffic,
/// and says so instead of exiting silently.
pub fn start_runtime(mut cfg: crate::model::Config, opts: &RunOpts) -> i32 {
    if opts.master_worker || cfg.global.master_worker {
        let mo = opts.master_opts(Some(&cfg));
        return crate::runtime::master::run(Some(cfg), mo);
    }
    crate::runtime::master::unblock_signals();
    // `-dR` is the command-line form of `noreuseport`.
    if opts.no_reuseport {
        cfg.global
            .other
            .push(("noreuseport".into(), Vec::new(), Default::default()));
    }
    let ro = crate::runtime::RunOpts {
        // `daemon` in the configuration is `-D`; `-d`/`-db` win over both (haproxy.c).
        foreground: !(opts.daemon || cfg.global.daemon) || opts.foreground || opts.debug,
        // `-p` wins over the configuration's `pidfile`.
        pidfile: opts.pidfile.clone().or_else(|| cfg.global.pidfile.clone()),
        argv0: opts.argv.first().cloned().unwrap_or_default(),
        // HAProxy's alerts are silenced by -q while starting.
        quiet: opts.quiet && !opts.verbose,
        debug: opts.debug,
        old_pids: opts.old_pids.clone(),
        old_pids_terminate: opts.old_pids_sig == OldPidsSignal::Terminate,
        master_worker: opts.master_worker,
        ready_fd: None,
        takeover_socket: opts.unix_socket.clone(),
    };
    crate::runtime::run(cfg, &ro)
}

/// `mworker-max-reloads <n>`.
fn max_reloads(cfg: &crate::model::Config) -> Option<u32> {
    cfg.global
        .other
        .iter()
        .rev()
        .find(|(k, _, _)| k == "mworker-max-reloads")
        .and_then(|(_, a, _)| a.first())
        .and_then(|v| u32::try_from(super::args::atol(v)).ok())
}

/// `-S <address>[,<option>,<value>…]` as a listener: the address as a `bind` address, the
/// options `mode`, `uid`, `gid` and `level` (the others are ignored).
fn master_cli_bind(spec: &str) -> Option<crate::model::Bind> {
    use crate::config::addr::{str2sa_range, SaAddr, SaOpts};
    use crate::model::bind::ListenAddr;
    let mut parts = spec.split(',');
    let addr = parts.next()?;
    let o = SaOpts {
        port_mandatory: true,
        resolve: true,
        allow_fd: true,
        allow_unix: true,
        ..Default::default()
    };
    let r = str2sa_range(addr, &o).ok()?;
    let la = match r.addr {
        SaAddr::Inet(ip) => ListenAddr::Inet {
            addr: std::net::SocketAddr::new(ip, r.port_low),
            port_end: r.port_low,
        },
        SaAddr::Unix(path) => ListenAddr::Unix { path },
        SaAddr::Abns(name) => ListenAddr::Abns { name },
        SaAddr::Fd(fd) => ListenAddr::Fd { fd },
        _ => return None,
    };
    let mut options = crate::model::bind::BindOptions::default();
    let rest: Vec<&str> = parts.collect();
    for kv in rest.chunks(2) {
        match kv {
            ["mode", v] => options.unix_mode = u32::from_str_radix(v, 8).ok(),
            ["uid", v] => options.unix_uid = v.parse().ok(),
            ["gid", v] => options.unix_gid = v.parse().ok(),
            ["level", v] => options.level = Some(v.to_string()),
            _ => {}
        }
    }
    Some(crate::model::Bind {
        loc: Default::default(),
        text: addr.to_string(),
        addrs: vec![la],
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_flags_named_like_haproxy() {
        let r = RunOpts {
            daemon: true,
            master_worker: true,
            systemd: true,
            unix_socket: Some("/x".into()),
            ..RunOpts::default()
        };
        assert!(r.inactive_flags().is_empty());
        assert!(RunOpts::default().inactive_flags().is_empty());
    }
}
