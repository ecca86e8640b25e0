//! What every worker thread reads: the frontends and backends of the configuration compiled
//! for serving. Built once at start-up and shared through an `Arc`; the only mutable state
//! reachable from here is atomic (connection counts) or the queue's own, thread-safe.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{algorithm, build_backend, cookie_config, server_cookies};
use super::proxy::ProxyRt;
use crate::http::write::ForwardFor;
use crate::http::{HttpMode, ParseOpts};
use crate::lb::Algorithm;
use crate::model::proxy::HttpConnMode;
use crate::model::{Config, Mode, Proxy, ProxyCap};
use crate::queue;
use crate::sample::expr::CondRt;

/// Default `tune.bufsize`.
pub const BUFSIZE: usize = 16384;

fn ms(v: Option<u32>) -> Option<Duration> {
    v.filter(|&v| v > 0)
        .map(|v| Duration::from_millis(v.into()))
}

/// A connection limit (`maxconn` of the process, a frontend or a `bind` line), shared by
/// every worker. Reaching it pauses accepting, as HAProxy does: new connections wait in the
/// kernel's backlog until one ends.
#[derive(Debug)]
pub struct Limit {
    /// Changed at run time by `set maxconn global|frontend`.
    max: AtomicU32,
    cur: AtomicU32,
    /// `disable frontend`: nothing is admitted (connections wait in the backlog).
    paused: std::sync::atomic::AtomicBool,
}

impl Limit {
    pub fn new(max: u32) -> Limit {
        Limit {
            max: AtomicU32::new(max),
            cur: AtomicU32::new(0),
            paused: Default::default(),
        }
    }
    /// Pauses or resumes admission; the previous setting.
    pub fn set_paused(&self, paused: bool) -> bool {
        self.paused.swap(paused, Ordering::Relaxed)
    }
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }
    pub fn max(&self) -> u32 {
        self.max.load(Ordering::Relaxed)
    }
    /// The workers paused on this limit must be woken by the caller to notice a raise.
    pub fn set_max(&self, max: u32) {
        self.max.store(max, Ordering::Relaxed);
    }
    pub fn current(&self) -> u32 {
        self.cur.load(Ordering::Relaxed)
    }
    fn try_take(&self) -> bool {
        if self.paused.load(Ordering::Relaxed) {
            return false;
        }
        self.cur
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |c| {
                (c < self.max.load(Ordering::Relaxed)).then_some(c + 1)
            })
            .is_ok()
    }
    fn give(&self) {
        self.cur.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What `Shared::build` needs of each opened listener: its proxy, `maxconn`,
/// `accept-proxy`, `name`, `id`, its `bind` line.
pub type ListenerSpec = (usize, Option<u32>, bool, Option<String>, Option<u32>, usize);

/// One listening socket's place in the limits.
pub struct ListenerRt {
    pub frontend: usize,
    /// `bind … accept-proxy`: a PROXY protocol header precedes the client's bytes.
    pub accept_proxy: bool,
    /// `bind … maxconn`.
    pub limit: Option<Limit>,
    /// `bind … name` / `id`, for `so_name` / `so_id`.
    pub name: Option<String>,
    pub id: i64,
    /// Its connections now (`dst_conn`, HAProxy's `nbconn`).
    pub conns: AtomicU32,
    /// `bind … ssl`: the line's TLS contexts (shared by its addresses).
    pub tls: Option<Arc<crate::tls::BindTls>>,
    /// How connection-error log lines name it: its `name`, else its `id`, else its rank
    /// among its proxy's listeners from 1 (HAProxy's `luid`).
    pub log_name: String,
}

/// A per-second event rate (`fe_sess_rate`…): HAProxy's `freq_ctr` over one second.
#[derive(Debug, Default)]
pub struct Rate(std::sync::Mutex<crate::stick::freq::FreqCtr>);

impl Rate {
    pub fn inc(&self) {
        let now = crate::stick::now_ms() as u32;
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .update(1000, 1, now);
    }

    pub fn read(&self) -> u32 {
        let now = crate::stick::now_ms() as u32;
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read(1000, now)
    }
}

/// A frontend (or the frontend half of a listen section).
pub struct Frontend {
    /// `maxconn` (default: the global maxconn).
    pub limit: Limit,
    /// Sessions per second (counted after `tcp-request session` rules).
    pub sess_rate: Rate,
    pub name: String,
    pub mode: Mode,
    /// Its own `http-request` rules and client timeouts.
    pub px: ProxyRt,
    /// `use_backend` rules in order, then `default_backend` (indexes into `Shared::backends`).
    pub use_backend: Vec<UseBackendRt>,
    pub default_backend: Option<usize>,
    /// For a `listen`, its own backend half (whose rules must not run twice).
    pub own_backend: Option<usize>,
    /// Rules or conditions may read the destination address (`dst`, `%fi`…): learn it at
    /// the first request rather than on every connection.
    pub needs_dst: bool,
    pub client_fin: Option<Duration>,
    pub tunnel: Option<Duration>,
    /// Request parsing (`option accept-invalid-http-request`, buffer sizes).
    pub req_opts: ParseOpts,
    pub http_mode: HttpMode,
    pub forwardfor: Option<ForwardFor>,
    pub originalto: Option<ForwardFor>,
    /// `option http-buffer-request`.
    pub buffer_request: bool,
    /// `option clitcpka`/`tcpka`.
    pub cli_ka: Option<super::stream::Keepalive>,
    /// `option splice-*` of the frontend ([`Splice`] bits).
    pub splice: u8,
    /// `option h1-case-adjust-bogus-client`: response header names to the client spelled
    /// as `h1-case-adjust` says.
    pub case_adjust: bool,
    /// `monitor-uri` and its `monitor fail` conditions.
    pub monitor: Option<Box<Monitor>>,
    /// `option http-ignore-probes`: a first request that never starts is closed silently,
    /// like an idle keep-alive connection (no 408, no log).
    pub ignore_probes: bool,
    /// Log targets and formats; `None` when the frontend does not log.
    pub log: Option<Box<super::log::LogRt>>,
}

/// A server's address, read by every new connection and changed by the CLI.
pub struct ServerAddr(std::sync::RwLock<Option<super::stream::Target>>);

impl ServerAddr {
    pub fn new(t: Option<super::stream::Target>) -> ServerAddr {
        ServerAddr(std::sync::RwLock::new(t))
    }

    pub fn with<R>(&self, f: impl FnOnce(Option<&super::stream::Target>) -> R) -> R {
        f(self.0.read().unwrap_or_else(|e| e.into_inner()).as_ref())
    }

    /// The fixed IP address and port, if the server has one.
    pub fn inet(&self) -> Option<SocketAddr> {
        self.with(|t| match t {
            Some(super::stream::Target::Inet(a)) => Some(*a),
            _ => None,
        })
    }

    pub fn is_none(&self) -> bool {
        self.with(|t| t.is_none())
    }

    pub fn set(&self, t: super::stream::Target) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(t);
    }
}

/// `option splice-request` / `splice-response` (`splice-auto`: both) as bits; a
/// stream splices a direction when its frontend or its backend says so, unless the
/// global `nosplice` forbids it.
pub struct Splice;

impl Splice {
    pub const REQUEST: u8 = 1;
    pub const RESPONSE: u8 = 2;
}

fn splice_bits(cfg: &Config, s: &crate::model::proxy::ProxySettings) -> u8 {
    if cfg.global.other.iter().any(|(k, _, _)| k == "nosplice") {
        return 0;
    }
    let on = |o| s.option(o) == Some(true);
    let mut b = 0;
    if on("splice-auto") || on("splice-request") {
        b |= Splice::REQUEST;
    }
    if on("splice-auto") || on("splice-response") {
        b |= Splice::RESPONSE;
    }
    b
}

/// `monitor-uri`: requests for it are answered by the proxy itself, before any
/// `http-request` rule, with 200 or, when a `monitor fail` condition holds, 503.
pub struct Monitor {
    pub uri: String,
    pub fail: Vec<CondRt>,
}

/// The global section's `set-var(proc.x)` / `set-var-fmt(proc.x)`, computed once, in order.
fn global_vars(cfg: &Config, warnings: &mut Vec<String>) -> crate::sample::vars::ProcVars {
    use crate::sample::vars::{SetConds, VarName, Vars};
    let proc = crate::sample::vars::ProcVars::default();
    // Every `proc.*` name the configuration spells exists from the start (HAProxy creates
    // them while parsing).
    if let Ok(mut p) = proc.lock() {
        let mut words: Vec<&str> = cfg.global.set_vars.iter().map(|v| v.var.as_str()).collect();
        for px in &cfg.proxies {
            let r = &px.rules;
            for rule in [
                &r.http_request,
                &r.http_response,
                &r.http_after_response,
                &r.tcp_request_connection,
                &r.tcp_request_session,
                &r.tcp_request_content,
                &r.tcp_response_content,
            ]
            .into_iter()
            .flatten()
            {
                words.push(&rule.action);
                words.extend(rule.args.iter().map(String::as_str));
            }
            for a in &r.acls {
                words.extend(a.words.iter().map(String::as_str));
            }
        }
        for w in words {
            let mut rest = w;
            while let Some(i) = rest.find("proc.") {
                let tail = &rest[i + 5..];
                let n = tail
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.')
                    .unwrap_or(tail.len());
                if n > 0 {
                    p.declare(&tail[..n]);
                }
                rest = &tail[n..];
            }
        }
    }
    let req = crate::sample::msg::Req::default();
    for sv in &cfg.global.set_vars {
        let mut parts = sv.var.split(',');
        let name = parts.next().unwrap_or("");
        let conds: Vec<String> = parts.map(str::to_string).collect();
        let Some(var) = VarName::parse(name) else {
            continue;
        };
        let mut vars = Vars::new(proc.clone());
        let value = super::maps::with(|m| {
            let mut t = crate::sample::fetch::Txn::bare(&req, &mut vars);
            t.req = None;
            if let Some(e) = &sv.expr {
                let e = crate::sample::expr::Expr::compile(e, m).ok()?;
                e.eval(&mut t).map(|v| v.into_owned())
            } else {
                let lf = sv.fmt.as_ref()?;
                let tpl = crate::sample::lf::Template::compile(lf, m, &mut Vec::new());
                Some(crate::sample::Smp::string(tpl.render_vec(&mut t)))
            }
        });
        match value {
            Some(v) => {
                vars.set(&var, v, &SetConds::parse(&conds));
            }
            None => warnings.push(format!(
                "[{}] : global '{}' of '{}' has no value the haproxy-rs runtime can compute; the variable is not set.",
                sv.loc, sv.kw, sv.var
            )),
        }
    }
    proc
}

/// Whether anything of `px` may read the address the client connected to.
fn needs_dst(px: &crate::model::Proxy) -> bool {
    let uses = |e: &crate::model::expr::SampleExpr| e.fetch.contains("dst") || e.fetch == "so_name";
    let r = &px.rules;
    let in_text = |w: &[String]| {
        w.iter()
            .any(|x| x.contains("dst") || x.contains("%fi") || x.contains("%fp"))
    };
    r.acls
        .iter()
        .any(|a| a.expr.as_ref().is_some_and(|e| uses(&e.smp)))
        || [&r.http_request, &r.http_response, &r.http_after_response]
            .iter()
            .flat_map(|v| v.iter())
            .any(|rule| in_text(&rule.args) || rule.cond.is_some())
}

/// A `use_backend` rule.
#[derive(Debug, Clone)]
pub struct UseBackendRt {
    pub cond: Option<CondRt>,
    pub target: BackendRef,
}

/// A backend named in the configuration, or one named per request by a log-format.
#[derive(Debug, Clone)]
pub enum BackendRef {
    Index(usize),
    Dynamic(crate::sample::lf::Template),
}

/// `retry-on` (HAProxy's `retry_type`): which failures are retried. The layer-7 kinds
/// resend the request over a new connection, as long as a copy of it fits in a buffer and
/// nothing of the response reached the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryOn {
    pub conn_failure: bool,
    pub empty_response: bool,
    pub junk_response: bool,
    pub response_timeout: bool,
    pub statuses: Vec<u16>,
}

impl RetryOn {
    fn parse(words: Option<&Vec<String>>) -> RetryOn {
        let Some(words) = words else {
            return RetryOn {
                conn_failure: true,
                ..Default::default()
            };
        };
        let mut r = RetryOn::default();
        for w in words {
            match w.as_str() {
                "conn-failure" => r.conn_failure = true,
                "empty-response" => r.empty_response = true,
                "junk-response" => r.junk_response = true,
                "response-timeout" => r.response_timeout = true,
                "all-retryable-errors" => {
                    r.conn_failure = true;
                    r.empty_response = true;
                    r.junk_response = true;
                    r.response_timeout = true;
                    r.statuses.extend([500, 502, 503, 504]);
                }
                "none" => r = RetryOn::default(),
                // `0rtt-rejected` needs TLS early data, which is not served.
                other => r.statuses.extend(other.parse::<u16>()),
            }
        }
        r
    }

    /// Some failure needs the request kept for a replay.
    pub fn layer7(&self) -> bool {
        self.empty_response
            || self.junk_response
            || self.response_timeout
            || !self.statuses.is_empty()
    }
}

/// A backend (or the backend half of a listen section).
pub struct Backend {
    pub name: String,
    pub mode: Mode,
    pub px: ProxyRt,
    pub queue: Arc<queue::Backend>,
    /// Per server, where to connect (`None`: no address, the server is in resolution
    /// maintenance); `set server … addr` changes it while the workers run.
    pub addrs: Vec<ServerAddr>,
    /// `option srvtcpka`/`tcpka`.
    pub srv_ka: Option<super::stream::Keepalive>,
    /// `option splice-*` of the backend ([`Splice`] bits).
    pub splice: u8,
    /// `option h1-case-adjust-bogus-server`: request header names to the server.
    pub case_adjust: bool,
    /// `option prefer-last-server` with a non-hash algorithm: a request goes to a server
    /// the client's session still holds an idle connection to, if it can take it.
    pub prefer_last: bool,
    /// Per server, the local address its connections are made from (`server … source`,
    /// else the backend's `source`).
    pub sources: Vec<Option<SocketAddr>>,
    /// Per server, the PROXY protocol version to send first on each new connection (0 =
    /// none, `send-proxy` 1, `send-proxy-v2` 2).
    pub send_proxy: Vec<u8>,
    /// Per server, its idle-connection accounting (`pool-max-conn`, `pool-low-conn`).
    pub idle_cap: Vec<super::pool::IdleCap>,
    pub alg: Algorithm,
    pub connect: Option<Duration>,
    pub server: Option<Duration>,
    pub server_fin: Option<Duration>,
    pub tunnel: Option<Duration>,
    pub queue_timeout: Option<Duration>,
    /// `retries` (HAProxy's default 3).
    pub retries: u32,
    pub retry_on: RetryOn,
    /// `option redispatch [<interval>]`: HAProxy's `redispatch_after` (0 = off).
    pub redispatch_after: i64,
    /// `balance roundrobin|static-rr` (HAProxy's `BE_LB_KIND_RR`), which redispatches and
    /// skips the turn-around delay more eagerly.
    pub rr_kind: bool,
    pub conn_mode: HttpConnMode,
    /// `option forwardfor` / `option originalto` as set on the backend.
    pub forwardfor: Option<ForwardFor>,
    pub originalto: Option<ForwardFor>,
    /// Response parsing (`option accept-invalid-http-response`, buffer sizes).
    pub resp_opts: ParseOpts,
    pub http_mode: HttpMode,
    /// `option http-pretend-keepalive`.
    pub pretend_keepalive: bool,
    /// `http-reuse` (default `safe`).
    pub http_reuse: crate::model::proxy::HttpReuse,
    /// Some server's address comes from the client's destination (the session then tells
    /// its server side where the client connected).
    pub addrs_from_dst: bool,
    /// `option abortonclose`: a client that closes while its request waits for a server
    /// aborts it.
    pub abortonclose: bool,
    /// `option http-buffer-request`.
    pub buffer_request: bool,
    /// `cookie` persistence and each server's cookie (static or dynamic).
    pub cookie: Option<crate::persist::CookieConfig>,
    pub cookies: Vec<Option<String>>,
    /// `use-server <name> [if|unless …]` rules, resolved to server indexes.
    pub use_server: Vec<(Option<CondRt>, usize)>,
    /// `option persist`.
    pub persist: bool,
    /// `force-persist` (true) / `ignore-persist` (false) rules in order: the first whose
    /// condition matches sets its flag.
    pub persist_rules: Vec<(bool, CondRt)>,
    /// Per server, `observe`'s error counter (`None`: not observed), read by the checks.
    pub observe: Vec<Option<super::check::Observe>>,
    /// `stick on|match|store-request|store-response` rules.
    pub stick_rules: Vec<super::stick::StickRuleRt>,
    /// Per server, `non-stick` (never stored by `stick` rules).
    pub non_stick: Vec<bool>,
    /// Per server, the configured `weight` (`srv_iweight`; agents change the queue's).
    pub iweights: Vec<u32>,
    /// Streams given to this backend per second (`be_sess_rate`), and per server the
    /// connections made (`srv_sess_rate`).
    pub sess_rate: Rate,
    pub srv_rates: Vec<Rate>,
    /// `server … ssl`: per server its TLS context, and the `sni` expression.
    pub tls: super::tls::BackendTls,
}

pub struct Shared {
    /// Global `maxconn`.
    pub limit: Limit,
    /// Indexed like the runtime's listeners.
    pub listeners: Vec<ListenerRt>,
    pub frontends: Vec<Frontend>,
    pub backends: Vec<Backend>,
    /// Time origin of the queue's millisecond clock.
    pub epoch: Instant,
    pub bufsize: usize,
    /// `h1-case-adjust` and `h1-case-adjust-file` entries, for the proxies with
    /// `option h1-case-adjust-bogus-client/server`.
    pub h1_case: crate::http::CaseMap,
    /// `-d`: print HAProxy's per-stream traces on stdout.
    pub debug: bool,
    /// Stream ids for those traces (HAProxy's `uniq_id`).
    pub next_stream_id: AtomicU32,
    /// `proc.*` variables.
    pub proc_vars: crate::sample::vars::ProcVars,
    /// Traffic counters, one block per worker (`show stat`); sized by `Runtime::new`.
    pub counters: crate::stats::counters::Counters,
    /// Servers' administrative states (CLI), combined with the checks' verdicts.
    pub admin: super::admin::AdminStates,
    /// `userlist` sections, for `http_auth`.
    pub userlists: Vec<crate::model::sections::Userlist>,
    /// Every stick table (proxies' and peers sections').
    pub stick: Arc<crate::stick::Registry>,
    /// A soft stop began (`stopping`).
    pub stopping: std::sync::atomic::AtomicBool,
    /// What the stats socket and the stats page show of the configuration (set by
    /// `Runtime::new` once the proxies are built).
    pub proc_base: super::cli::ProcBase,
}

impl Shared {
    /// One `-d` trace line, as HAProxy's `debug_hdr()`/`stream_new()` print them:
    /// `<stream id>:<proxy>.<event>[<client fd>:<server fd>]: <text>`.
    pub fn trace(
        &self,
        id: u32,
        proxy: &str,
        event: &str,
        cfd: i32,
        sfd: Option<i32>,
        text: Option<&[u8]>,
    ) {
        use std::io::Write;
        let sfd = sfd.map_or("ffffffff".to_string(), |f| format!("{:04x}", f));
        let mut line = format!("{id:08x}:{proxy}.{event}[{cfd:04x}:{sfd}]");
        if let Some(t) = text {
            line.push_str(": ");
            line.push_str(&String::from_utf8_lossy(t));
        }
        line.push('\n');
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }

    pub fn now_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Takes a connection slot for listener `l` (process, frontend, bind limits, in that
    /// order). `false`: a limit is reached and the listener must pause.
    pub fn admit(&self, l: usize) -> bool {
        let lr = &self.listeners[l];
        let fe = &self.frontends[lr.frontend].limit;
        if !self.limit.try_take() {
            return false;
        }
        if !fe.try_take() {
            self.limit.give();
            return false;
        }
        if let Some(b) = &lr.limit {
            if !b.try_take() {
                fe.give();
                self.limit.give();
                return false;
            }
        }
        lr.conns.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Gives back what [`Shared::admit`] took.
    pub fn release(&self, l: usize) {
        let lr = &self.listeners[l];
        lr.conns.fetch_sub(1, Ordering::Relaxed);
        if let Some(b) = &lr.limit {
            b.give();
        }
        self.frontends[lr.frontend].limit.give();
        self.limit.give();
    }

    /// Compiles every enabled frontend of `cfg` with listeners (`fronts`, in that order) and
    /// every backend they can reach. What cannot be honoured goes to `warnings`.
    /// `listeners` gives, per opened listener, its frontend index, `bind maxconn` and
    /// `accept-proxy`.
    pub fn build(
        cfg: &Config,
        fronts: &[&Proxy],
        listeners: &[ListenerSpec],
        warnings: &mut Vec<String>,
    ) -> Result<Shared, String> {
        let global_max = global_maxconn(cfg, listeners.len());
        let stick = Arc::new(crate::stick::Registry::build(cfg));
        let mut tls = std::collections::HashMap::new();
        for b in cfg.proxies.iter().filter(|p| p.cap.is_be() && !p.disabled) {
            if b.servers.iter().any(|s| s.ssl.enabled) {
                tls.insert(
                    b.name.clone(),
                    super::tls::BackendTls::build(cfg, b, warnings)?,
                );
            }
        }
        let mut backends: Vec<Backend> = Vec::new();
        let mut be_index = |name: &str, warnings: &mut Vec<String>| -> Option<usize> {
            if let Some(i) = backends.iter().position(|b| b.name == name) {
                return Some(i);
            }
            let px = cfg.find_proxy(name, ProxyCap::BE)?;
            if px.disabled {
                return None;
            }
            let mut b =
                crate::stick::scope(&stick, &px.name, || compile_backend(cfg, px, warnings))
                    .ok()?;
            b.tls = tls.remove(&px.name).unwrap_or_default();
            backends.push(b);
            Some(backends.len() - 1)
        };
        let mut frontends = Vec::new();
        for px in fronts {
            let stick = stick.clone();
            let _scope = crate::stick::ScopeGuard::new(&stick, &px.name);
            let mut use_backend = Vec::new();
            for ub in &px.rules.use_backend {
                let cond = ub
                    .cond
                    .as_ref()
                    .map(|c| super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings)));
                if let Some(lf) = &ub.dynamic {
                    // Any backend may be named: make them all available.
                    for b in cfg.proxies.iter().filter(|p| p.cap.is_be()) {
                        be_index(&b.name, warnings);
                    }
                    let t = super::maps::with(|m| {
                        crate::sample::lf::Template::compile(lf, m, warnings)
                    });
                    use_backend.push(UseBackendRt {
                        cond,
                        target: BackendRef::Dynamic(t),
                    });
                    continue;
                }
                if let Some(i) = be_index(&ub.target, warnings) {
                    use_backend.push(UseBackendRt {
                        cond,
                        target: BackendRef::Index(i),
                    });
                }
            }
            let default_backend = if px.cap.is_be() {
                be_index(&px.name, warnings)
            } else {
                px.default_backend
                    .as_ref()
                    .and_then(|(n, _)| be_index(n, warnings))
            };
            let t = &px.settings.timeouts;
            frontends.push(Frontend {
                limit: Limit::new(px.settings.maxconn.filter(|&m| m > 0).unwrap_or(global_max)),
                sess_rate: Rate::default(),
                name: px.name.clone(),
                mode: px.mode,
                px: ProxyRt::compile_own(cfg, px, warnings),
                use_backend,
                default_backend,
                own_backend: if px.cap.is_be() {
                    default_backend
                } else {
                    None
                },
                needs_dst: needs_dst(px),
                client_fin: ms(t.client_fin),
                tunnel: ms(t.tunnel),
                buffer_request: px.settings.option("http-buffer-request") == Some(true),
                cli_ka: super::stream::Keepalive::of(&px.settings, true),
                splice: splice_bits(cfg, &px.settings),
                case_adjust: px.settings.option("h1-case-adjust-bogus-client") == Some(true),
                ignore_probes: px.settings.option("http-ignore-probes") == Some(true),
                monitor: px.settings.monitor_uri.as_ref().map(|uri| {
                    Box::new(Monitor {
                        uri: uri.clone(),
                        fail: px
                            .settings
                            .monitor_fail
                            .iter()
                            .map(|(c, _)| {
                                super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings))
                            })
                            .collect(),
                    })
                }),
                req_opts: parse_opts(cfg, px, "accept-invalid-http-request"),
                http_mode: http_mode(px),
                forwardfor: px
                    .settings
                    .forwardfor
                    .as_ref()
                    .map(|h| addr_header(h, true)),
                originalto: px
                    .settings
                    .originalto
                    .as_ref()
                    .map(|h| addr_header(h, false)),
                log: super::log::LogRt::build(cfg, px, warnings),
            });
        }
        // Every backend exists at run time, referenced or not (`nbsrv(other)`, dynamic
        // `use_backend`, the CLI).
        for b in cfg.proxies.iter().filter(|p| p.cap.is_be() && !p.disabled) {
            be_index(&b.name, warnings);
        }
        let bufsize = cfg
            .global
            .tune
            .bufsize
            .map(|b| b as usize)
            .unwrap_or(BUFSIZE);
        let tls = super::tls::bind_contexts(cfg, fronts, listeners, warnings)?;
        Ok(Shared {
            limit: Limit::new(global_max),
            listeners: listeners
                .iter()
                .enumerate()
                .map(
                    |(i, (frontend, max, accept_proxy, name, id, _))| ListenerRt {
                        frontend: *frontend,
                        accept_proxy: *accept_proxy,
                        tls: tls[i].clone(),
                        log_name: name.clone().unwrap_or_else(|| {
                            let rank = listeners[..i].iter().filter(|l| l.0 == *frontend).count();
                            id.map_or(rank as i64 + 1, i64::from).to_string()
                        }),
                        limit: max.filter(|&m| m > 0).map(Limit::new),
                        name: name.clone(),
                        // HAProxy numbers unnamed listeners of a proxy from 1; per process here.
                        id: id.map_or(i as i64 + 1, i64::from),
                        conns: AtomicU32::new(0),
                    },
                )
                .collect(),
            frontends,
            backends,
            epoch: Instant::now(),
            bufsize,
            h1_case: {
                let mut m = crate::http::CaseMap::new();
                for (_, to) in &cfg.global.h1_case_adjust {
                    m.insert(to.as_bytes());
                }
                m
            },
            debug: false,
            next_stream_id: AtomicU32::new(0),
            proc_vars: global_vars(cfg, warnings),
            counters: crate::stats::counters::Counters::new(0, 0, &[]),
            admin: Default::default(),
            proc_base: Default::default(),
            userlists: cfg.userlists.clone(),
            stick,
            stopping: Default::default(),
        })
    }
}

/// `<addr>[:<port>]` of a `source` keyword (port 0 or none: any).
fn parse_source(text: &str) -> Option<SocketAddr> {
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa);
    }
    if let Ok(ip) = text
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<std::net::IpAddr>()
    {
        return Some(SocketAddr::new(ip, 0));
    }
    let (a, p) = text.rsplit_once(':')?;
    let ip = a.trim_matches(|c| c == '[' || c == ']').parse().ok()?;
    Some(SocketAddr::new(ip, p.parse().ok()?))
}

/// The H1 parsing knobs of a proxy: the global buffer sizes and its accept-invalid option.
fn parse_opts(cfg: &Config, px: &Proxy, accept_invalid: &str) -> ParseOpts {
    let d = ParseOpts::default();
    let t = &cfg.global.tune;
    ParseOpts {
        accept_invalid: px.settings.option(accept_invalid) == Some(true),
        bufsize: t.bufsize.map_or(d.bufsize, |b| b as usize),
        maxrewrite: t.maxrewrite.map_or(d.maxrewrite, |b| b as usize),
        max_headers: t.http_maxhdr.map_or(d.max_headers, |b| b as usize),
    }
}

fn http_mode(px: &Proxy) -> HttpMode {
    match px.settings.http_conn_mode {
        Some(HttpConnMode::ServerClose) => HttpMode::ServerClose,
        Some(HttpConnMode::Close) => HttpMode::Close,
        _ => HttpMode::KeepAlive,
    }
}

/// `option forwardfor|originalto [except <net>] [header <name>] [if-none]`.
fn addr_header(h: &crate::model::proxy::AddrHeader, forwardfor: bool) -> ForwardFor {
    let except = h.except.as_deref().and_then(|net| {
        let (a, bits) = match net.split_once('/') {
            Some((a, b)) => (a, b.parse::<u8>().ok()),
            None => (net, None),
        };
        let ip: std::net::IpAddr = a.parse().ok()?;
        let full = if ip.is_ipv4() { 32 } else { 128 };
        // A dotted mask (`/255.0.0.0`) is accepted by HAProxy too.
        let bits = bits.or_else(|| {
            let m: std::net::Ipv4Addr = net.split_once('/')?.1.parse().ok()?;
            Some(u32::from(m).leading_ones() as u8)
        });
        Some((ip, bits.unwrap_or(full)))
    });
    ForwardFor {
        header: h.header.to_ascii_lowercase().into_bytes(),
        except,
        if_none: forwardfor && h.if_none,
    }
}

/// `nbthread`, or HAProxy's default: one thread per CPU.
pub fn nbthread(cfg: &Config) -> usize {
    cfg.global
        .nbthread
        .map(|n| n.max(1) as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The process's `maxconn`: as configured, else derived from the file descriptor limit as
/// HAProxy 2.6's `compute_ideal_maxconn()` does — two descriptors per proxied connection,
/// after ten reserved ones, one per listener, and a poller plus a wake-up pipe per thread
/// (checked against haproxy's "setting global.maxconn" note for several listener and
/// thread counts).
pub fn global_maxconn(cfg: &Config, listeners: usize) -> u32 {
    if let Some(m) = cfg.global.maxconn.filter(|&m| m > 0) {
        return m;
    }
    let nofile = rlimit_nofile().unwrap_or(1024);
    let reserved = 10 + listeners as u64 + 3 * nbthread(cfg) as u64;
    (nofile.saturating_sub(reserved) / 2).clamp(100, 1_000_000) as u32
}

fn rlimit_nofile() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass, which lives on our stack.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    // HAProxy takes the larger of the soft and hard limits it started with.
    let n = r.rlim_cur.max(r.rlim_max);
    (rc == 0 && n != libc::RLIM_INFINITY).then_some(n)
}

/// A backend's `stick` rules against the tables in scope.
fn stick_rules(px: &Proxy, warnings: &mut Vec<String>) -> Vec<super::stick::StickRuleRt> {
    px.rules
        .stick_rules
        .iter()
        .filter_map(|r| {
            let table = crate::stick::resolve(r.table.as_deref().unwrap_or(""))?;
            super::maps::with(|m| {
                let expr = match crate::sample::expr::Expr::compile(&r.expr, m) {
                    Ok(e) => e,
                    Err(x) => {
                        warnings.push(format!(
                            "[{}] : 'stick' rule uses {x}, parsed but not active yet in haproxy-rs; the rule is ignored",
                            r.loc
                        ));
                        return None;
                    }
                };
                let cond = r
                    .cond
                    .as_ref()
                    .map(|c| CondRt::compile(c, &px.rules, m, warnings));
                Some(super::stick::StickRuleRt {
                    kind: r.kind,
                    cond,
                    expr,
                    table,
                })
            })
        })
        .collect()
}

fn compile_backend(
    cfg: &Config,
    px: &Proxy,
    warnings: &mut Vec<String>,
) -> Result<Backend, String> {
    let queue = build_backend(cfg, &px.name)?;
    let s = &px.settings;
    let t = &s.timeouts;
    let alg = algorithm(s.balance.as_ref());
    let addrs: Vec<Option<super::stream::Target>> = px
        .servers
        .iter()
        .map(|sv| {
            use super::stream::Target;
            let a = match &sv.unix_path {
                Some(p) => Some(Target::Unix {
                    path: p.clone(),
                    abstract_ns: sv.abns,
                }),
                None => sv.addr.map(|a| {
                    let any_ip = a.ip().is_unspecified();
                    if !any_ip && a.port() != 0 && sv.port_offset.is_none() {
                        Target::Inet(a)
                    } else {
                        Target::FromDst {
                            ip: (!any_ip).then_some(a.ip()),
                            port: (a.port() != 0 && sv.port_offset.is_none()).then_some(a.port()),
                            offset: sv.port_offset.unwrap_or(0),
                        }
                    }
                }),
            };
            // A name left unresolved on purpose (`init-addr …,none`) is a server in
            // maintenance, as in HAProxy, not a runtime gap.
            let unresolved = sv.hostname.is_some() && sv.init_addr.iter().any(|m| m == "none");
            if a.is_none() && !unresolved {
                warnings.push(format!(
                    "[{}] : server '{}/{}' has no fixed address and port the haproxy-rs runtime can connect to yet; it answers 503.",
                    sv.loc, px.name, sv.name
                ));
            }
            a
        })
        .collect();
    let addrs_from_dst = addrs
        .iter()
        .any(|a| matches!(a, Some(super::stream::Target::FromDst { .. })));
    let addrs = addrs.into_iter().map(ServerAddr::new).collect();
    Ok(Backend {
        name: px.name.clone(),
        mode: px.mode,
        px: ProxyRt::compile_own(cfg, px, warnings),
        queue,
        addrs,
        srv_ka: super::stream::Keepalive::of(s, false),
        splice: splice_bits(cfg, s),
        case_adjust: s.option("h1-case-adjust-bogus-server") == Some(true),
        prefer_last: s.option("prefer-last-server") == Some(true) && !alg.is_hash(),
        sources: px
            .servers
            .iter()
            .map(|sv| {
                let text = sv
                    .source
                    .as_deref()
                    .or(s.source.as_ref().map(|x| x.addr.as_str()))?;
                let (addr, rest) = text.split_once(' ').unwrap_or((text, ""));
                let unsupported = !rest.trim().is_empty()
                    || (sv.source.is_none()
                        && s.source.as_ref().is_some_and(|x| x.usesrc.is_some() || x.interface.is_some()));
                let parsed = parse_source(addr);
                if unsupported || parsed.is_none() {
                    warnings.push(format!(
                        "[{}] : server '{}/{}': 'source {text}' is not active yet in haproxy-rs beyond a plain address[:port] (usesrc, interface and port ranges are ignored).",
                        sv.loc, px.name, sv.name
                    ));
                }
                parsed
            })
            .collect(),
        send_proxy: px
            .servers
            .iter()
            .map(|sv| {
                if sv.send_proxy_v2 {
                    2
                } else {
                    u8::from(sv.send_proxy)
                }
            })
            .collect(),
        idle_cap: px
            .servers
            .iter()
            .map(|sv| {
                super::pool::IdleCap::new(sv.pool_max_conn, sv.pool_low_conn, sv.pool_purge_delay)
            })
            .collect(),
        rr_kind: matches!(alg, Algorithm::RoundRobin | Algorithm::StaticRr),
        alg,
        connect: ms(t.connect),
        server: ms(t.server),
        server_fin: ms(t.server_fin),
        tunnel: ms(t.tunnel),
        queue_timeout: ms(t.queue.or(t.connect)),
        retries: s.retries.unwrap_or(3),
        retry_on: RetryOn::parse(s.retry_on.as_ref()),
        redispatch_after: s.redispatch.unwrap_or(0),
        conn_mode: s.http_conn_mode.unwrap_or(HttpConnMode::KeepAlive),
        forwardfor: s.forwardfor.as_ref().map(|h| addr_header(h, true)),
        originalto: s.originalto.as_ref().map(|h| addr_header(h, false)),
        resp_opts: parse_opts(cfg, px, "accept-invalid-http-response"),
        http_mode: http_mode(px),
        pretend_keepalive: s.option("http-pretend-keepalive") == Some(true),
        abortonclose: s.option("abortonclose") == Some(true),
        // Connections to addresses taken from the client are private to its session, as
        // HAProxy's transparent connections are.
        http_reuse: if addrs_from_dst {
            crate::model::proxy::HttpReuse::Never
        } else {
            s.http_reuse.unwrap_or(crate::model::proxy::HttpReuse::Safe)
        },
        addrs_from_dst,
        buffer_request: s.option("http-buffer-request") == Some(true),
        cookie: cookie_config(px),
        cookies: server_cookies(px),
        use_server: px
            .rules
            .use_server
            .iter()
            .filter_map(|r| {
                let i = px.servers.iter().position(|sv| sv.name == r.target)?;
                let cond = r
                    .cond
                    .as_ref()
                    .map(|c| super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings)));
                Some((cond, i))
            })
            .collect(),
        persist: s.option("persist") == Some(true),
        persist_rules: s
            .persist_rules
            .iter()
            .map(|(force, c, _)| (*force, super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings))))
            .collect(),
        observe: px.servers.iter().map(super::check::Observe::for_server).collect(),
        stick_rules: stick_rules(px, warnings),
        non_stick: px.servers.iter().map(|sv| sv.non_stick).collect(),
        iweights: px.servers.iter().map(|sv| sv.weight).collect(),
        sess_rate: Rate::default(),
        srv_rates: px.servers.iter().map(|_| Rate::default()).collect(),
        tls: Default::default(),
    })
}
