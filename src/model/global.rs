//! The `global` section: process-wide settings, merged from every `global` section in order.

use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct Global {
    pub maxconn: Option<u32>,
    pub nbthread: Option<u32>,
    pub daemon: bool,
    pub master_worker: bool,
    pub pidfile: Option<String>,
    /// `stats socket` lines (the CLI): address, raw bind options, location. The bind options
    /// are validated by the bind parser.
    pub stats_sockets: Vec<crate::model::bind::Bind>,
    /// Raw directives kept for keywords the model has no typed field for yet.
    pub other: Vec<(String, Vec<String>, Loc)>,
    /// `master-worker no-exit-on-failure`.
    pub mworker_no_exit_on_failure: bool,
    /// Numeric uid, from `uid` or resolved from `user`.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub chroot: Option<String>,
    /// `ulimit-n`.
    pub ulimit_n: Option<i64>,
    pub fd_hard_limit: Option<i64>,
    pub node: Option<String>,
    pub description: Option<String>,
    /// Milliseconds.
    pub hard_stop_after: Option<u32>,
    pub grace: Option<u32>,
    /// `close-spread-time`: `None` = unset, `Some(None)` = `infinite`.
    pub close_spread_time: Option<Option<u32>>,
    pub stats_timeout: Option<u32>,
    pub stats_maxconn: Option<u32>,
    pub log_tag: Option<String>,
    /// `log-send-hostname` (the machine's host name when given without argument).
    pub log_send_hostname: Option<String>,
    pub spread_checks: Option<u32>,
    pub max_spread_checks: Option<u32>,
    pub maxconnrate: Option<i64>,
    pub maxsessrate: Option<i64>,
    pub maxsslrate: Option<i64>,
    pub maxsslconn: Option<i32>,
    pub maxpipes: Option<i64>,
    pub quiet: bool,
    pub zero_warning: bool,
    pub expose_experimental: bool,
    pub external_check: bool,
    pub localpeer: Option<String>,
    pub cluster_secret: Option<String>,
    pub server_state_base: Option<String>,
    pub server_state_file: Option<String>,
    pub default_path: Option<(String, Option<String>)>,
    pub tune: Tune,
    pub ssl: SslDefaults,
    /// Global `log` targets, in order.
    pub logs: Vec<LogTarget>,
    /// `lua-load` / `lua-load-per-thread` files (true = per thread).
    pub lua_loads: Vec<(String, bool, Loc)>,
    /// `h1-case-adjust <from> <to>` pairs.
    pub h1_case_adjust: Vec<(String, String)>,
    pub h1_case_adjust_file: Option<(String, Loc)>,
    /// `cpu-map` lines as written (validated).
    pub cpu_maps: Vec<(Vec<String>, Loc)>,
    /// The same `cpu-map` lines, parsed (those HAProxy ignores left out).
    pub cpu_map_sets: Vec<CpuMap>,
    /// `set-var` / `set-var-fmt`, in order.
    pub set_vars: Vec<GlobalSetVar>,
    pub httpclient_resolvers_id: Option<(String, Loc)>,
    pub httpclient_ca_file: Option<(String, Loc)>,
    /// `thread-group <n> <threads>`: the threads (1-based) each group was given.
    pub thread_groups_map: Vec<(u32, Vec<u32>)>,
}

/// `tune.*` values that matter to the runtime.
#[derive(Debug, Clone, Default)]
pub struct Tune {
    /// `tune.bufsize`, already rounded up like HAProxy does.
    pub bufsize: Option<u32>,
    pub maxrewrite: Option<u32>,
    pub http_maxhdr: Option<u32>,
    pub maxaccept: Option<i64>,
    pub maxpollevents: Option<i64>,
    pub runqueue_depth: Option<i64>,
    pub idletimer: Option<u32>,
    pub rcvbuf_client: Option<i64>,
    pub rcvbuf_server: Option<i64>,
    pub sndbuf_client: Option<i64>,
    pub sndbuf_server: Option<i64>,
    pub comp_maxlevel: Option<u32>,
}

/// `ssl-default-*`, `ca-base`, `crt-base` and friends.
#[derive(Debug, Clone, Default)]
pub struct SslDefaults {
    pub ca_base: Option<String>,
    pub crt_base: Option<String>,
    pub bind_ciphers: Option<String>,
    pub bind_ciphersuites: Option<String>,
    pub bind_curves: Option<String>,
    pub server_ciphers: Option<String>,
    pub server_ciphersuites: Option<String>,
    pub bind_options: Vec<String>,
    pub server_options: Vec<String>,
    pub dh_param_file: Option<String>,
    pub default_dh_param: Option<u32>,
    /// `ssl-server-verify required` (true) / `none` (false).
    pub server_verify_required: Option<bool>,
    /// `ssl-propquery`: OpenSSL's default property query.
    pub propquery: Option<String>,
}

/// Syslog header formats (`log … format <fmt>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    Local,
    #[default]
    Rfc3164,
    Rfc5424,
    Priority,
    Short,
    Timed,
    Iso,
    Raw,
}

impl LogFormat {
    pub const NAMES: &'static [(&'static str, LogFormat)] = &[
        ("local", LogFormat::Local),
        ("rfc3164", LogFormat::Rfc3164),
        ("rfc5424", LogFormat::Rfc5424),
        ("priority", LogFormat::Priority),
        ("short", LogFormat::Short),
        ("timed", LogFormat::Timed),
        ("iso", LogFormat::Iso),
        ("raw", LogFormat::Raw),
    ];

    pub fn from_name(s: &str) -> Option<LogFormat> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
    }
}

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDest {
    /// UDP syslog server (port defaults to 514).
    Udp(std::net::SocketAddr),
    /// A TCP syslog server, which HAProxy feeds through an implicit ring.
    Tcp(std::net::SocketAddr),
    Unix(String),
    Abns(String),
    /// `fd@N`, `stdout` (fd 1), `stderr` (fd 2).
    Fd(i32),
    /// `ring@<name>`: a `ring` section.
    Ring(String),
    /// An address the parser could not type (kept as written).
    Other(String),
}

/// `log … sample <ranges>:<size>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSample {
    /// Inclusive index ranges, sorted.
    pub ranges: Vec<(u32, u32)>,
    pub size: u32,
}

/// One `log` target (global or proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub loc: Loc,
    /// The address as written.
    pub text: String,
    pub dest: LogDest,
    pub maxlen: u32,
    pub format: LogFormat,
    pub sample: Option<LogSample>,
    /// Syslog facility number (0 = kern … 23 = local7).
    pub facility: u8,
    /// Maximum level sent (0 = emerg … 7 = debug).
    pub level: u8,
    /// Minimum level (levels below are raised to it).
    pub minlevel: u8,
    /// For a proxy target copied by `log global`: index of the global target.
    pub global_ref: Option<usize>,
}

/// One `cpu-map [auto:]<procs>[/<threads>] <cpus>…` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuMap {
    pub auto: bool,
    /// Bit n = process n + 1.
    pub procs: u64,
    /// Bit n = thread n + 1; 0 when the line names processes only.
    pub threads: u64,
    pub cpus: Vec<u32>,
}

/// A global `set-var(proc.x) <expr>` / `set-var-fmt(proc.x) <fmt>` (value computed once at
/// start-up).
#[derive(Debug, Clone)]
pub struct GlobalSetVar {
    pub kw: String,
    /// The variable with its conditions, as written (`proc.x,ifnotexists`).
    pub var: String,
    pub words: Vec<String>,
    pub loc: Loc,
    /// The parsed value (`None`: not parseable without a stream).
    pub expr: Option<super::expr::SampleExpr>,
    pub fmt: Option<super::expr::LogFormat>,
}
