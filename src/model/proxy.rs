//! Proxies: `frontend`, `backend`, `listen` and `defaults` sections.
//!
//! One struct for all four, like HAProxy's `struct proxy`, because defaults inheritance is a
//! copy of the defaults proxy into the new one: the same fields must exist on both sides.

use super::bind::Bind;
use super::expr::Cond;
use super::rules::ProxyRules;
use super::server::Server;
use super::Loc;

/// HAProxy's `PR_CAP_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyCap(pub u8);

impl ProxyCap {
    pub const FE: ProxyCap = ProxyCap(0x01);
    pub const BE: ProxyCap = ProxyCap(0x02);
    pub const LISTEN: ProxyCap = ProxyCap(0x03);
    pub const DEF: ProxyCap = ProxyCap(0x04);

    pub fn is_fe(self) -> bool {
        self.0 & 0x01 != 0
    }
    pub fn is_be(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub fn is_defaults(self) -> bool {
        self.0 & 0x04 != 0
    }
    pub fn intersects(self, o: ProxyCap) -> bool {
        self.0 & o.0 != 0
    }
    /// The word HAProxy uses in messages: "frontend", "backend", "listen" or "defaults".
    pub fn type_name(self) -> &'static str {
        if self.is_defaults() {
            "defaults"
        } else if self.is_fe() && self.is_be() {
            "listen"
        } else if self.is_fe() {
            "frontend"
        } else {
            "backend"
        }
    }
    /// HAProxy's `proxy_cap_str()`/`proxy_type_str()`: like [`Self::type_name`] but a
    /// `listen` section is called "proxy", as in most of HAProxy's messages.
    pub fn cap_str(self) -> &'static str {
        if self.is_defaults() {
            "defaults"
        } else if self.is_fe() && self.is_be() {
            "proxy"
        } else if self.is_fe() {
            "frontend"
        } else {
            "backend"
        }
    }
}

/// `mode tcp|http|health` (`health` is refused by 2.6 with a message; kept for the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

/// A proxy section. Fields whose keyword was not written stay at HAProxy's defaults.
#[derive(Debug, Clone, Default)]
pub struct Proxy {
    pub name: String,
    pub cap: ProxyCap,
    pub loc: Loc,
    /// Name of the defaults section this one inherited from, if any ("" for an anonymous
    /// one; see `defaults_idx` for which one exactly).
    pub defaults_from: Option<String>,
    pub mode: Mode,
    pub disabled: bool,
    pub binds: Vec<Bind>,
    pub servers: Vec<Server>,
    /// The `default-server` settings new servers start from.
    pub default_server: Option<Box<Server>>,
    pub rules: ProxyRules,
    pub default_backend: Option<(String, Loc)>,
    /// The proxy-level settings (timeouts, options, balance, …).
    pub settings: ProxySettings,
    /// Index in `Config::proxies` of the defaults section this proxy was preset from. The
    /// runtime needs it because the TCP/HTTP rules of a named defaults section are run
    /// before the proxy's own rules (they are referenced, not copied).
    pub defaults_idx: Option<usize>,
    /// Defaults only: referenced by name with `from` (HAProxy's `PR_FL_EXPLICIT_REF`).
    pub explicit_ref: bool,
    /// Defaults only: used implicitly as "the last defaults section" (`PR_FL_IMPLICIT_REF`).
    pub implicit_ref: bool,
}

/// How HTTP connections are handled (`option http-keep-alive|http-server-close|httpclose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpConnMode {
    KeepAlive,
    ServerClose,
    Close,
}

/// `balance` algorithms, with their parameters (`backend_parse_balance()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    StaticRr,
    First,
    LeastConn,
    /// `random[(draws)]`, draws defaults to 2.
    Random {
        draws: i64,
    },
    Source,
    Uri {
        whole: bool,
        path_only: bool,
        /// 0 = unlimited.
        len: u32,
        /// 0 = unlimited (the number of directories, as written).
        depth: u32,
    },
    UrlParam {
        name: String,
        check_post: bool,
    },
    /// `hash <expr>`: the sample expression is validated after parsing.
    Hash {
        expr: String,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    RdpCookie {
        name: String,
    },
}

impl Balance {
    /// Layer-7 algorithms need `mode http` (HAProxy's `BE_LB_NEED_HTTP`).
    pub fn needs_http(&self) -> bool {
        matches!(
            self,
            Balance::Uri { .. } | Balance::UrlParam { .. } | Balance::Hdr { .. }
        )
    }
}

/// `hash-type map-based|consistent [sdbm|djb2|wt6|crc32 [avalanche]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashType {
    pub consistent: bool,
    pub function: HashFunction,
    pub avalanche: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFunction {
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
}

/// `http-reuse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpReuse {
    Never,
    Safe,
    Aggressive,
    Always,
}

/// The log format selected by `option httplog|httpslog|tcplog` or `log-format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Http,
    HttpClf,
    Https,
    Tcp,
    Custom(String),
}

impl LogFormat {
    /// The directive that set it, as HAProxy names it in its "overrides previous" warning.
    pub fn directive(&self) -> &'static str {
        match self {
            LogFormat::Http => "option httplog",
            LogFormat::HttpClf => "option httplog clf",
            LogFormat::Https => "option httpslog",
            LogFormat::Tcp => "option tcplog",
            LogFormat::Custom(_) => "log-format",
        }
    }
}

/// `option forwardfor` / `option originalto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrHeader {
    pub header: String,
    /// `except <net>` as written.
    pub except: Option<String>,
    /// `if-none` (forwardfor only).
    pub if_none: bool,
}

/// `cookie <name> [options]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub rewrite: bool,
    pub indirect: bool,
    pub insert: bool,
    pub nocache: bool,
    pub postonly: bool,
    pub preserve: bool,
    pub prefix: bool,
    pub httponly: bool,
    pub secure: bool,
    pub dynamic: bool,
    pub domains: Vec<String>,
    /// Seconds, 0 = unset.
    pub maxidle: u32,
    pub maxlife: u32,
    pub attrs: Vec<String>,
}

/// A header or slot capture (`capture request|response header`, `declare capture`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// `None` for `declare capture` slots.
    pub header: Option<String>,
    pub len: i64,
}

/// `stats …` settings (HAProxy's `uri_auth`).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub enabled: bool,
    pub uri: Option<String>,
    pub realm: Option<String>,
    pub auth: Vec<String>,
    pub scope: Vec<String>,
    /// Seconds.
    pub refresh: Option<u32>,
    pub hide_version: bool,
    pub show_legends: bool,
    pub show_modules: bool,
    /// `Some("")` = `show-node` without a name (use the hostname).
    pub show_node: Option<String>,
    pub show_desc: Option<String>,
    pub admin: Vec<(Cond, Loc)>,
    /// `stats http-request <rule words>` (kept as words).
    pub http_request: Vec<(Vec<String>, Loc)>,
    /// The `stats http-request` rules the stats page runs (`allow`, `deny`, `auth`), in
    /// order.
    pub rules: Vec<StatsRule>,
}

/// One `stats http-request allow|deny|auth [realm <r>] [if|unless <cond>]`.
#[derive(Debug, Clone)]
pub struct StatsRule {
    pub action: StatsAction,
    pub cond: Option<Cond>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsAction {
    Allow,
    Deny,
    /// `auth [realm <realm>]`.
    Auth(Option<String>),
}

/// `errorfile`, `errorloc*`, `errorfiles`, `http-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorDirective {
    File {
        status: u16,
        path: String,
    },
    Loc {
        status: u16,
        code: u16,
        url: String,
    },
    Files {
        name: String,
        statuses: Vec<u16>,
    },
    /// `http-error status <code> [reply args]`.
    Reply {
        status: u16,
        args: Vec<String>,
        /// The reply as the rule parser builds it (`None`: it could not, the runtime then
        /// keeps the default page).
        reply: Option<Box<crate::model::rules::Reply>>,
    },
}

/// Which health check protocol the backend uses (`option httpchk`, `option tcp-check`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// `option httpchk [<method>] [<uri>] [<version>]`.
    Http {
        method: Option<String>,
        uri: Option<String>,
        version: Option<String>,
    },
    Tcp,
    SslHello,
    Smtp {
        helo: Option<(String, String)>,
    },
    Pgsql {
        user: String,
    },
    Redis,
    Mysql {
        user: Option<String>,
        post41: bool,
    },
    Ldap,
    Spop,
    External,
}

/// One `tcp-check` / `http-check` rule: its verb and the words after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRule {
    pub verb: String,
    pub args: Vec<String>,
    pub loc: Loc,
}

/// `compression algo|type|offload`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compression {
    pub algos: Vec<String>,
    pub types: Vec<String>,
    pub offload: bool,
}

/// `source <addr>[:port] [usesrc …] [interface …]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub addr: String,
    pub usesrc: Option<String>,
    pub interface: Option<String>,
}

/// `email-alert …`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailAlert {
    pub from: Option<String>,
    pub to: Option<String>,
    pub mailers: Option<String>,
    pub myhostname: Option<String>,
    /// syslog level number, 1 (alert) by default.
    pub level: Option<u8>,
    pub set: bool,
}

/// Proxy settings, inherited from defaults by copy (see `config::proxy::inherit`).
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    pub maxconn: Option<u32>,
    pub timeouts: Timeouts,
    /// `option <name>` / `no option <name>` values that were set explicitly (simple flag
    /// options only; the options with parameters have their own fields below).
    pub options: Vec<(String, bool)>,
    pub balance: Option<Balance>,
    /// Raw directives kept for keywords the model has no typed field for yet.
    pub other: Vec<(String, Vec<String>, Loc)>,
    pub backlog: Option<u32>,
    pub fullconn: Option<u32>,
    pub retries: Option<u32>,
    /// `retry-on` keywords; `None` = HAProxy's default (`conn-failure`).
    pub retry_on: Option<Vec<String>>,
    pub http_conn_mode: Option<HttpConnMode>,
    /// `option redispatch [<interval>]`: `Some(-1)` = on every retry, `Some(0)` = disabled.
    pub redispatch: Option<i64>,
    pub forwardfor: Option<AddrHeader>,
    pub originalto: Option<AddrHeader>,
    /// Where the log format was set, for HAProxy's later warnings.
    pub log_format: Option<(LogFormat, Loc)>,
    pub log_format_sd: Option<(String, Loc)>,
    pub error_log_format: Option<(String, Loc)>,
    pub unique_id_format: Option<(String, Loc)>,
    pub unique_id_header: Option<String>,
    /// `unique-id-format` compiled once the proxy is complete (as HAProxy's checker does).
    pub unique_id_lf: Option<super::expr::LogFormat>,
    /// The traffic log format (`log-format` or the `option httplog|tcplog|clf` default),
    /// `log-format-sd` and `error-log-format`, compiled once the proxy is complete.
    pub log_lf: Option<super::expr::LogFormat>,
    pub log_sd_lf: Option<super::expr::LogFormat>,
    pub error_log_lf: Option<super::expr::LogFormat>,
    pub log_tag: Option<String>,
    pub hash_type: Option<HashType>,
    pub hash_balance_factor: Option<u32>,
    pub cookie: Option<Cookie>,
    pub dynamic_cookie_key: Option<String>,
    /// `capture cookie <name> len <len>`.
    pub capture_cookie: Option<(String, i64)>,
    pub req_captures: Vec<Capture>,
    pub rsp_captures: Vec<Capture>,
    pub http_reuse: Option<HttpReuse>,
    pub monitor_uri: Option<String>,
    pub monitor_fail: Vec<(Cond, Loc)>,
    pub stats: Option<Stats>,
    pub errors: Vec<(ErrorDirective, Loc)>,
    pub check: Option<CheckKind>,
    pub tcp_check_rules: Vec<CheckRule>,
    pub http_check_rules: Vec<CheckRule>,
    pub http_check_disable_on_404: bool,
    pub http_check_send_state: bool,
    pub compression: Option<Compression>,
    pub filters: Vec<(String, Vec<String>, Loc)>,
    pub source: Option<Source>,
    pub dispatch: Option<String>,
    /// `persist rdp-cookie[(name)]`.
    pub persist_rdp_cookie: Option<String>,
    /// `force-persist` (true) / `ignore-persist` (false) rules.
    pub persist_rules: Vec<(bool, Cond, Loc)>,
    pub rate_limit_sessions: Option<u32>,
    pub max_keep_alive_queue: Option<i64>,
    pub server_state_file_name: Option<String>,
    pub load_server_state_from_file: Option<String>,
    pub email_alert: EmailAlert,
    pub external_check_command: Option<String>,
    pub external_check_path: Option<String>,
    pub http_send_name_header: Option<String>,
    pub use_fcgi_app: Option<String>,
    pub id: Option<u32>,
    pub description: Option<String>,
    pub max_session_srv_conns: Option<i32>,
    pub clitcpka_cnt: Option<i64>,
    pub clitcpka_idle: Option<u32>,
    pub clitcpka_intvl: Option<u32>,
    pub srvtcpka_cnt: Option<i64>,
    pub srvtcpka_idle: Option<u32>,
    pub srvtcpka_intvl: Option<u32>,
    pub http_restrict_req_hdr_names: Option<String>,
    /// This proxy wrote its own `stats` lines (HAProxy then stops sharing the defaults'
    /// stats settings and starts from scratch). Never inherited.
    pub stats_own: bool,
    /// `log` targets (including those copied by `log global`).
    pub logs: Vec<crate::model::global::LogTarget>,
    /// The proxy's own http-check ruleset in HAProxy's parse-time order (the implicit
    /// request of `option httpchk` included), to refuse rules in an impossible order.
    pub http_check_steps: CheckSteps,
}

impl ProxySettings {
    /// The explicit state of a flag option: `Some(true)` set, `Some(false)` negated.
    pub fn option(&self, name: &str) -> Option<bool> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// `timeout …` values in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub client: Option<u32>,
    pub server: Option<u32>,
    pub connect: Option<u32>,
    pub queue: Option<u32>,
    pub http_request: Option<u32>,
    pub http_keep_alive: Option<u32>,
    pub tunnel: Option<u32>,
    pub client_fin: Option<u32>,
    pub server_fin: Option<u32>,
    pub tarpit: Option<u32>,
    pub check: Option<u32>,
}

/// The steps of an http-check ruleset as `tcpcheck_add_http_rule()` sees them. Settings are
/// copied from defaults, but a proxy starts its own ruleset: `owner` tells whose it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckSteps {
    pub owner: Option<Loc>,
    pub steps: Vec<CheckStep>,
}

/// One http-check step: `connect`, `send`, `expect`, `comment` or `action` (set-var…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStep {
    pub action: &'static str,
    /// The implicit request of `option httpchk` (HAProxy's `TCPCHK_SND_HTTP_FROM_OPT`).
    pub from_opt: bool,
    /// HAProxy's step index, shown (plus one) in its messages.
    pub index: u32,
}
